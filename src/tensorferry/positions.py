"""Node positions for the reported nodes of a libcst module, in one lean code generation pass.

libcst's ``PositionProvider`` generates the module's code once and, for every token, splits it on
newlines and builds ``CodePosition`` / ``CodeRange`` objects for every node: on large files that
costs more than parsing them. The positions here are the same (``PositionProvider``'s syntactic
ranges, hoisted start and end nodes included), but the pass only adds up token lengths and
records character offsets; offsets become lines and columns on request, for the few nodes a rule
reports or quotes. ``tests/test_positions.py`` compares both on every node of every fixture.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from libcst._nodes.internal import CodegenState

NEWLINE_RE = re.compile(r"\r\n?|\n")  # the same line breaks as libcst's PositionProvider


class Position(NamedTuple):
    line: int  # 1-based
    column: int  # 0-based


class Range(NamedTuple):
    start: Position
    end: Position


class _OffsetState(CodegenState):
    """Code generation that records each node's [start, end) character offsets."""

    def __init__(self, default_indent: str, default_newline: str) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline)
        self.offset = 0
        self.stack: list[int] = []
        self.ranges: dict[Any, tuple[int, int]] = {}
        self.popped = ""

    def pop_trailing_newline(self) -> None:
        # the module's last newline is left out of its code but, as in PositionProvider, not
        # out of the positions
        if self.tokens:
            self.popped = self.tokens.pop()

    def add_indent_tokens(self) -> None:
        tokens = self.indent_tokens
        self.tokens.extend(tokens)
        for token in tokens:
            self.offset += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        self.offset += len(value)

    def before_codegen(self, node) -> None:
        self.stack.append(self.offset)

    def after_codegen(self, node) -> None:
        start = self.stack.pop()
        if node not in self.ranges:  # a syntactic range recorded inside wins
            self.ranges[node] = (start, self.offset)

    @contextmanager
    def record_syntactic_position(self, node, *, start_node=None, end_node=None) -> Iterator[None]:
        start = self.offset
        try:
            yield
        finally:
            end = self.offset
            if start_node is not None:
                start = self.ranges[start_node][0]
            if end_node is not None:
                end = self.ranges[end_node][1]
            self.ranges[node] = (start, end)


class Positions:
    """``positions[node]``: the node's range, like ``PositionProvider``'s.

    Without ``hint`` the whole module's code is generated at once. With ``hint``, (the module's
    source, CPython's tree of a source with the same lines, the rows where rules report), the
    code is generated one statement at a time, those holding a reported row first, and only
    until the node asked for is found: a top-level statement, or one statement of a class body.
    Each statement's place in the source comes from CPython's line of its first token less its
    leading lines, and is checked: its generated code must be the source's text there. Anything
    else (a statement that does not check, a node in none of them) falls back to the whole pass.
    """

    def __init__(self, module, hint: tuple[str, Any, Any] | None = None) -> None:
        self._module = module
        self._ranges: dict[Any, tuple[int, int]] = {}
        self._units: Iterator | None = None
        if hint is not None:
            source, tree, rows = hint
            self._line_starts = [0] + [m.end() for m in NEWLINE_RE.finditer(source)]
            self._source = source
            found = _units(module, tree)
            if found is not None:
                units, classes = found
                near = [u for u in units if any(u[1] <= r <= u[2] for r in rows)]
                rest = [u for u in units if not any(u[1] <= r <= u[2] for r in rows)]
                self._units = iter(near + rest + classes)
        if self._units is None:
            self._whole()

    def _whole(self) -> None:
        module = self._module
        state = _OffsetState(module.default_indent, module.default_newline)
        module._codegen(state)
        self._ranges = state.ranges
        self._units = None
        code = "".join(state.tokens) + state.popped
        self._line_starts = [0] + [m.end() for m in NEWLINE_RE.finditer(code)]

    def _one(self, stmt, first: int, indent: str | None) -> bool:
        """Generate ``stmt``'s code alone and record its nodes' ranges; False when it is not the
        source's text where CPython puts it."""
        module = self._module
        row = first - len(stmt.leading_lines)
        decorators = getattr(stmt, "decorators", None)
        if decorators:
            row -= len(decorators[0].leading_lines)
        if not 0 < row <= len(self._line_starts):
            return False
        state = _OffsetState(module.default_indent, module.default_newline)
        if indent is not None:
            state.indent_tokens = [indent]
        stmt._codegen(state)
        start = self._line_starts[row - 1]
        if not self._source.startswith("".join(state.tokens), start):
            return False
        ranges = self._ranges
        for node, (a, b) in state.ranges.items():
            ranges.setdefault(node, (a + start, b + start))
        return True

    def _range(self, node) -> tuple[int, int]:
        found = self._ranges.get(node)
        while found is None and self._units is not None:
            unit = next(self._units, None)
            if unit is None or not self._one(unit[0], unit[1], unit[3]):
                self._whole()
            found = self._ranges.get(node)
        if found is None:
            raise KeyError(node)
        return found

    def _position(self, offset: int) -> Position:
        line = bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1])

    def __getitem__(self, node) -> Range:
        start, end = self._range(node)
        return Range(self._position(start), self._position(end))


def _first_line(stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    return min([d.lineno for d in decorators] + [stmt.lineno]) if decorators else stmt.lineno


def _pairs(body, stmts):
    """libcst's statements of a block with CPython's: (libcst statement, its first row, its last
    row), or None when the two do not line up (a line of `a; b` is one libcst statement)."""
    import libcst as cst

    out = []
    i = 0
    for s in body:
        k = len(s.body) if type(s) is cst.SimpleStatementLine else 1
        part = stmts[i:i + k]
        if len(part) != k:
            return None
        i += k
        out.append((s, _first_line(part[0]), part[-1].end_lineno, part[0] if k == 1 else None))
    return out if i == len(stmts) else None


def _units(module, tree):
    """The units of code generation (see ``Positions``), each (statement, first row, last row,
    indentation or None): the statements, with class bodies split into theirs, and apart the
    classes whole (for their headers); None when libcst's and CPython's statements do not
    line up."""
    import libcst as cst

    top = _pairs(module.body, tree.body)
    if top is None:
        return None
    units = []
    classes = []
    for s, first, last, py in top:
        if type(s) is cst.ClassDef and type(s.body) is cst.IndentedBlock and py is not None:
            inner = _pairs(s.body.body, py.body)
            if inner is not None:
                indent = module.default_indent if s.body.indent is None else s.body.indent
                units += [(c, f, e, indent) for c, f, e, _ in inner]
                classes.append((s, first, last, None))
                continue
        units.append((s, first, last, None))
    return units, classes
