"""Render diagnostics for people and machines."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from tensorferry.diagnostics import Diagnostic

FORMATS = ("text", "concise", "json", "json-lines")


def fix_marker(d: Diagnostic) -> str:
    return "[*] " if d.fix is not None and d.fix.applicability == "safe" else ""


def summary_lines(diags: Sequence[Diagnostic], unsafe_enabled: bool = False) -> list[str]:
    if not diags:
        return ["All checks passed!"]
    n = len(diags)
    safe = sum(1 for d in diags if d.fix and d.fix.applicability == "safe")
    unsafe = sum(1 for d in diags if d.fix and d.fix.applicability == "unsafe")
    lines = [f"Found {n} error{'s' if n != 1 else ''}."]
    if unsafe_enabled and safe + unsafe:
        lines.append(f"[*] {safe + unsafe} fixable with `tensorferry fix --unsafe-fixes`.")
    elif safe and unsafe:
        lines.append(
            f"[*] {safe} fixable with `tensorferry fix` "
            f"({unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled with the `--unsafe-fixes` option)."
        )
    elif safe:
        lines.append(f"[*] {safe} fixable with `tensorferry fix`.")
    elif unsafe:
        lines.append(
            f"No fixes available ({unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled "
            "with the `--unsafe-fixes` option)."
        )
    return lines


def render(diags: Sequence[Diagnostic], fmt: str, out: TextIO, *, quiet: bool = False,
           unsafe_enabled: bool = False) -> None:
    if fmt == "json":
        json.dump([d.to_json() for d in diags], out, indent=2)
        out.write("\n")
        return
    if fmt == "json-lines":
        for d in diags:
            out.write(json.dumps(d.to_json()) + "\n")
        return
    for d in diags:
        out.write(f"{d.filename}:{d.row}:{d.column}: {d.code} {fix_marker(d)}{d.message}\n")
    if not quiet:
        for line in summary_lines(diags, unsafe_enabled):
            out.write(line + "\n")
