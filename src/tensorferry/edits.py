"""Apply fix edits to source text (one round; the fixer loops to a fixpoint).

Edits are plain text replacements on the original source: nothing is regenerated from the
libcst tree, so comments, formatting, tabs and newlines outside the edited spans stay byte for
byte (and libcst's own round-trip quirks, e.g. ``'pass\\n\\n '`` or CR-only files, cannot leak
into the output).

Newlines: an edit's ``content`` may use ``\\n``; :func:`apply_fixes` rewrites every line break in
it to the file's newline style (the first line break in the file: LF, CRLF or CR).

Imports a fix needs
-------------------
A fix that introduces a name the module may not have (``np.ascontiguousarray(...)``,
``torch.empty(...)``) asks :func:`ensure_import` for it and adds the edits it returns to the
same fix::

    np, imports = ensure_import(ctx, "numpy", alias="np", at=node)
    if np is not None:
        fix = ctx.fix("safe", "Wrap in `np.ascontiguousarray`",
                      ctx.replace(arg, f"{np}.ascontiguousarray({ctx.code(arg)})"), *imports)

``ensure_import`` reuses the module's own binding when a top-level import before ``at``
already provides it (``import numpy as N`` gives ``"N"``, ``import numpy`` gives ``"numpy"``)
and returns no edit. Otherwise it returns the conventional name and one edit that inserts the
import line after the last top-level import that precedes ``at`` (after the module docstring,
or before the first statement, when there is none). It returns ``(None, ())`` when the name it
would add is already bound to something else at module level; the rule then offers no fix.
Only module-level bindings are considered (a function parameter named ``np`` is not seen), and
a plain ``import torch`` is trusted to reach ``torch.nn.functional``.

The import edit belongs to the fix, so it is applied only when the fix is applied: nothing is
added to a file that nothing else changes, and JSON consumers see complete fixes. Several fixes
asking for the same import produce identical edits; :func:`apply_fixes` applies such an edit
once and keeps all those fixes in the same round.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from tensorferry.diagnostics import Diagnostic, Edit, Fix, Location

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from tensorferry.context import Context

_NEWLINE = re.compile(r"\r\n|\r|\n")


def line_starts(source: str) -> list[int]:
    starts = [0]
    starts.extend(m.end() for m in _NEWLINE.finditer(source))
    return starts


def offset(starts: list[int], loc: Location) -> int:
    """1-based row and column (code points) to a string offset."""
    return starts[loc.row - 1] + loc.column - 1


def newline_of(source: str) -> str:
    """The file's newline style: its first line break, ``\\n`` when it has none."""
    m = _NEWLINE.search(source)
    return m.group() if m else "\n"


def fix_allowed(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (fix.applicability == "safe" or unsafe)


def apply_fixes(source: str, diagnostics: Iterable[Diagnostic], unsafe: bool = False
                ) -> tuple[str, list[Diagnostic]]:
    """Apply every applicable, non-overlapping fix. Returns the new text and the diagnostics fixed.

    Fixes whose edits overlap an earlier accepted fix are left for the next round. An edit
    identical to one already accepted (the same import asked for by two fixes) is shared, not
    counted as an overlap.
    """
    starts = line_starts(source)
    newline = newline_of(source)
    chosen: list[tuple[int, int, str]] = []
    applied: list[Diagnostic] = []
    candidates = sorted(
        (d for d in diagnostics if fix_allowed(d.fix, unsafe)),
        key=lambda d: (d.fix.edits[0].location if d.fix.edits else d.location, d.code),
    )
    for diag in candidates:
        spans = [
            (offset(starts, e.location), offset(starts, e.end_location),
             _NEWLINE.sub(newline, e.content))
            for e in diag.fix.edits
        ]
        new = [span for span in spans if span not in chosen]
        if any(s > e for s, e, _ in new):
            continue
        if any(s < te and ts < e or (s == e == ts == te)
               for s, e, _ in new for ts, te, _ in chosen):
            continue
        chosen.extend(new)
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


# -- imports a fix needs ---------------------------------------------------------------------

def ensure_import(ctx: "Context", module: str, *, name: str | None = None,
                  alias: str | None = None, at: "cst.CSTNode"
                  ) -> tuple[str | None, tuple[Edit, ...]]:
    """The text that refers to ``module`` (or ``module.name``) at ``at``, and the edits needed.

    ``ensure_import(ctx, "numpy", alias="np", at=node)`` -> ``("np", (edit,))`` in a module
    without a numpy import, ``("N", ())`` after ``import numpy as N``.
    ``ensure_import(ctx, "torch", name="empty", at=node)`` -> ``("T.empty", ())`` after
    ``import torch as T``, ``("empty", ())`` after ``from torch import empty``, otherwise
    ``("empty", (edit,))`` adding ``from torch import empty``.
    Returns ``(None, ())`` when the name to add is already bound to something else.
    """
    mod = ctx.module
    at_row = ctx.line(at)
    if name is None:
        binding = alias or module.partition(".")[0]
        key = ("import", module if alias else binding)
        line = f"import {module} as {alias}" if alias else f"import {module}"
        ref = alias or module
    else:
        binding = alias or name
        key = ("from", module, name)
        line = f"from {module} import {name} as {alias}" if alias else f"from {module} import {name}"
        ref = binding
    conflict = False
    last_import = None
    for stmt in mod.body:
        before = _end_row(ctx, stmt) < at_row
        for bound, target, executed in _bindings(stmt):
            if before and executed and target is not None:
                found = _reference(target, module, name, bound)
                if found is not None:
                    return found, ()
            if bound == binding and target != key:
                conflict = True
        if before and _is_import_line(stmt):
            last_import = stmt
    if conflict:
        return None, ()
    if last_import is not None:
        row = _end_row(ctx, last_import) + 1
    elif _is_docstring(mod.body[0]) and _end_row(ctx, mod.body[0]) < at_row:
        row = _end_row(ctx, mod.body[0]) + 1
    else:
        first = mod.body[0]
        decorators = getattr(first, "decorators", ())
        row = ctx.line(decorators[0] if decorators else first)
    loc = Location(row, 1)
    return ref, (Edit(line + mod.default_newline, loc, loc),)


def _end_row(ctx: "Context", stmt: "cst.CSTNode") -> int:
    return ctx.span(stmt)[1].row


def _is_import_line(stmt: "cst.CSTNode") -> bool:
    import libcst as cst

    return isinstance(stmt, cst.SimpleStatementLine) and any(
        isinstance(s, (cst.Import, cst.ImportFrom)) for s in stmt.body
    )


def _is_docstring(stmt: "cst.CSTNode") -> bool:
    import libcst as cst

    return (
        isinstance(stmt, cst.SimpleStatementLine)
        and len(stmt.body) == 1
        and isinstance(stmt.body[0], cst.Expr)
        and isinstance(stmt.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _bindings(stmt: "cst.CSTNode", executed: bool = True):
    """Module-level names a top-level statement binds: ``(name, target, executed)``.

    ``target`` is ``("import", module)`` for ``import module [as name]`` (the top package for a
    plain ``import a.b``), ``("from", module, attr)`` for ``from module import attr [as name]``
    and ``None`` for anything else (assignments, defs, classes). Imports in a top-level ``try:``
    body are executed; those under ``if`` (``if TYPE_CHECKING:``) only take the name.
    """
    import libcst as cst

    if isinstance(stmt, cst.SimpleStatementLine):
        for small in stmt.body:
            if isinstance(small, cst.Import):
                for a in small.names:
                    dotted = _dotted(a.name)
                    asname = _asname(a)
                    if asname:
                        yield asname, ("import", dotted), executed
                    else:
                        top = dotted.partition(".")[0]
                        yield top, ("import", top), executed
            elif isinstance(small, cst.ImportFrom):
                if isinstance(small.names, cst.ImportStar) or small.relative or small.module is None:
                    continue
                source = _dotted(small.module)
                for a in small.names:
                    attr = _dotted(a.name)
                    yield _asname(a) or attr, ("from", source, attr), executed
            elif isinstance(small, cst.Assign):
                for target in small.targets:
                    yield from _target_names(target.target)
            elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                yield from _target_names(small.target)
    elif isinstance(stmt, (cst.FunctionDef, cst.ClassDef)):
        yield stmt.name.value, None, executed
    elif isinstance(stmt, (cst.Try, cst.TryStar)):
        for inner in stmt.body.body:
            yield from _bindings(inner, executed)
    elif isinstance(stmt, cst.If):
        for inner in stmt.body.body:
            yield from _bindings(inner, False)


def _target_names(target: "cst.CSTNode"):
    import libcst as cst

    if isinstance(target, cst.Name):
        yield target.value, None, True
    elif isinstance(target, (cst.Tuple, cst.List)):
        for el in target.elements:
            yield from _target_names(el.value)


def _dotted(node: "cst.CSTNode") -> str:
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _asname(a: "cst.ImportAlias") -> str | None:
    import libcst as cst

    if a.asname is not None and isinstance(a.asname.name, cst.Name):
        return a.asname.name.value
    return None


def _reference(target: tuple, module: str, name: str | None, bound: str) -> str | None:
    """How ``module`` (or ``module.name``) is spelled through the binding ``bound`` -> ``target``."""
    if target[0] == "import":
        # `import numpy as N` binds N to numpy; a plain `import numpy` or `import numpy.linalg`
        # binds `numpy`, and `import torch` reaches `torch.nn` once torch has imported it.
        imported = target[1]
        if imported == module:
            mod_ref = bound
        elif bound == imported and module.startswith(imported + "."):
            mod_ref = bound + module[len(imported):]
        else:
            return None
        return mod_ref if name is None else f"{mod_ref}.{name}"
    _, source, attr = target
    if name is not None and (source, attr) == (module, name):
        return bound
    if f"{source}.{attr}" == module:
        return bound if name is None else f"{bound}.{name}"
    return None
