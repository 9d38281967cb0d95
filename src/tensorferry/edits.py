"""Apply fix edits to source text (one round; the fixer loops to a fixpoint)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tensorferry.diagnostics import Diagnostic, Fix, Location

_NEWLINE = re.compile(r"\r\n|\r|\n")


def line_starts(source: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in _NEWLINE.finditer(source))
    return starts


def offset(starts: list[int], loc: Location) -> int:
    """1-based row and column (code points) to a string offset."""
    return starts[loc.row - 1] + loc.column - 1


def fix_allowed(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (fix.applicability == "safe" or unsafe)


def apply_fixes(source: str, diagnostics: Iterable[Diagnostic], unsafe: bool = False
                ) -> tuple[str, list[Diagnostic]]:
    """Apply every applicable, non-overlapping fix. Returns the new text and the diagnostics fixed.

    Fixes whose edits overlap an earlier accepted fix are left for the next round.
    """
    starts = line_starts(source)
    chosen: list[tuple[int, int, str]] = []
    applied: list[Diagnostic] = []
    candidates = sorted(
        (d for d in diagnostics if fix_allowed(d.fix, unsafe)),
        key=lambda d: (d.fix.edits[0].location if d.fix.edits else d.location, d.code),
    )
    taken: list[tuple[int, int]] = []
    for diag in candidates:
        spans = [
            (offset(starts, e.location), offset(starts, e.end_location), e.content)
            for e in diag.fix.edits
        ]
        if any(s < te and ts < e or (s == e == ts == te) for s, e, _ in spans for ts, te in taken):
            continue
        if any(s > e for s, e, _ in spans):
            continue
        chosen.extend(spans)
        taken.extend((s, e) for s, e, _ in spans)
        applied.append(diag)
    if not chosen:
        return source, []
    out = []
    pos = 0
    for s, e, content in sorted(chosen, key=lambda x: (x[0], x[1])):
        out.append(source[pos:s])
        out.append(content)
        pos = e
    out.append(source[pos:])
    return "".join(out), applied
