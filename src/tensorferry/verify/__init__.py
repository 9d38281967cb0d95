"""``tensorferry verify``: prove every rule at runtime against its fixtures.

Importing this package never imports torch or numpy: the snippets run in child processes
(see :mod:`tensorferry.verify.executor`). Use :func:`verify` from code and tests, and
:func:`run_verify` from the command line.
"""

from __future__ import annotations

import argparse
import sys

from tensorferry.verify.executor import MissingDependency, RunnerError
from tensorferry.verify.harness import (
    CONFIRMED,
    FAILED,
    KNOWN_DEVICES,
    SKIPPED,
    CaseResult,
    Report,
    verify,
)

__all__ = [
    "CONFIRMED", "FAILED", "SKIPPED", "KNOWN_DEVICES", "CaseResult", "Report",
    "MissingDependency", "RunnerError", "verify", "run_verify", "INSTALL_HINT",
]

EXIT_OK, EXIT_FAILED, EXIT_ERROR = 0, 1, 2

INSTALL_HINT = (
    "Install them with:\n"
    "    pip install 'tensorferry[verify]' -c constraints.txt\n"
    "(constraints.txt, at the root of the tensorferry repository, pins torch and numpy to the\n"
    "versions the fixtures are verified with; torch==2.13.0 resolves to the CPU wheel.)"
)


def missing_message(name: str, error: str = "") -> str:
    why = f" ({error})" if error else ""
    return (f"error: `tensorferry verify` runs the fixture snippets and needs torch and numpy, "
            f"but {name} cannot be imported{why}.\n{INSTALL_HINT}")


def _importable(name: str) -> str | None:
    """None when ``name`` can be found, else why not. Finds, never imports."""
    import importlib.util

    try:
        if importlib.util.find_spec(name) is None:
            return f"No module named {name!r}"
    except Exception as exc:  # a broken install or an import hook may raise anything
        return f"{type(exc).__name__}: {exc}"
    return None


def _select(codes: list[str]):
    from tensorferry.rules import all_rules

    wanted = [c.strip().upper() for item in codes for c in item.split(",") if c.strip()]
    if not wanted:
        return None
    chosen = []
    for code in wanted:
        matched = [r for r in all_rules() if r.code.startswith(code)]
        if not matched:
            raise ValueError(f"unknown rule code or prefix: {code} (see `tensorferry rules`)")
        chosen.extend(r for r in matched if r not in chosen)
    return sorted(chosen, key=lambda r: r.code)


def run_verify(args: argparse.Namespace) -> int:
    from tensorferry.verify.report import render

    fmt = getattr(args, "format", "text") or "text"
    try:
        device_arg = getattr(args, "device", None)
        devices = [d for d in device_arg.split(",")] if device_arg else None
        rules = _select(list(getattr(args, "rule", None) or []))
        jobs = getattr(args, "jobs", None)
        if jobs is not None and jobs < 1:
            raise ValueError("--jobs must be at least 1")
        timeout = float(getattr(args, "timeout", None) or 120.0)
        if timeout <= 0:
            raise ValueError("--timeout must be positive")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for name in ("numpy", "torch"):
        why = _importable(name)
        if why is not None:
            print(missing_message(name, why), file=sys.stderr)
            return EXIT_ERROR

    def progress(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        print(f"\rrunning snippets: {done}/{total}", end=end, file=sys.stderr, flush=True)

    try:
        report = verify(rules=rules, fixtures=getattr(args, "fixtures", None), devices=devices,
                        jobs=jobs, timeout=timeout,
                        progress=progress if fmt == "text" and sys.stderr.isatty() else None)
    except MissingDependency as exc:
        print(missing_message(exc.name, exc.error), file=sys.stderr)
        return EXIT_ERROR
    except (RunnerError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    text = render(report, fmt)
    sys.stdout.write(text)
    sys.stdout.flush()
    output = getattr(args, "output", None)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            print(f"error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_ERROR
    missing = [d for d in report.unavailable if devices is not None and d in devices]
    for device in missing:
        print(f"error: {device} was requested with --device but is not available, so none of its "
              f"cases ran: {report.unavailable[device]}", file=sys.stderr)
    if missing:
        return EXIT_ERROR
    return EXIT_FAILED if report.failed else EXIT_OK
