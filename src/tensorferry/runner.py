"""Run the engine over files: discovery, decoding, per-file error isolation, stable order."""

from __future__ import annotations

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


def check_paths(paths: Sequence[str], rules: Sequence[type[Rule]], *,
                stdin_filename: str | None = None, exclude: list[str] | None = None) -> Report:
    report = Report()
    files, errors = discover(list(paths), exclude)
    report.errors.extend(errors)
    report.had_error = bool(errors)
    for path in files:
        diags, err = check_one(path, rules, stdin_filename if path == "-" else None)
        report.files += 1
        report.diagnostics.extend(diags)
        report.had_error |= err
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report
