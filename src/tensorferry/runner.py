"""Run the engine over files: discovery, decoding, per-file error isolation, stable order."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from tensorferry.diagnostics import Diagnostic
from tensorferry.engine import lint_source, parse_error
from tensorferry.files import DecodeError, decode, discover, read_source
from tensorferry.rules import Rule


@dataclass
class Report:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    files: int = 0
    had_error: bool = False


def check_one(path: str, rules: Sequence[type[Rule]], display: str | None = None
              ) -> tuple[list[Diagnostic], bool]:
    name = display or path
    try:
        if path == "-":
            src = decode(sys.stdin.buffer.read())
        else:
            src = read_source(path)
    except DecodeError as exc:
        return [parse_error(name, f"cannot read: {exc}")], True
    except OSError as exc:
        return [parse_error(name, f"cannot read: {exc.strerror or exc}")], True
    result = lint_source(src.text, name, rules)
    return result.diagnostics, result.error


_RULES: Sequence[type[Rule]] = ()


def _init_worker(codes: tuple[str, ...]) -> None:
    global _RULES
    from tensorferry.rules import rules_by_code

    by_code = rules_by_code()
    _RULES = tuple(by_code[c] for c in codes)


def _work(path: str) -> tuple[list[Diagnostic], bool]:
    return check_one(path, _RULES)


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover
        return max(1, os.cpu_count() or 1)


def check_paths(paths: Sequence[str], rules: Sequence[type[Rule]], *,
                stdin_filename: str | None = None, exclude: list[str] | None = None,
                jobs: int | None = None) -> Report:
    report = Report()
    files, errors = discover(list(paths), exclude)
    report.errors.extend(errors)
    report.had_error = bool(errors)
    jobs = default_jobs() if not jobs or jobs < 1 else jobs
    parallel = [f for f in files if f != "-"]
    results: list[tuple[list[Diagnostic], bool]] = []
    if "-" in files:
        results.append(check_one("-", rules, stdin_filename))
    if jobs > 1 and len(parallel) > 1:
        import concurrent.futures
        import multiprocessing

        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=min(jobs, len(parallel)), mp_context=ctx,
            initializer=_init_worker, initargs=(tuple(r.code for r in rules),),
        ) as pool:
            results.extend(pool.map(_work, parallel, chunksize=max(1, min(32, len(parallel) // (jobs * 8) or 1))))
    else:
        results.extend(check_one(p, rules) for p in parallel)
    for diags, err in results:
        report.files += 1
        report.diagnostics.extend(diags)
        report.had_error |= err
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report
