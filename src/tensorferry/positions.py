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
    """``positions[node]``: the node's range, like ``PositionProvider``'s."""

    def __init__(self, module) -> None:
        state = _OffsetState(module.default_indent, module.default_newline)
        module._codegen(state)
        self._ranges = state.ranges
        code = "".join(state.tokens) + state.popped
        self._line_starts = [0] + [m.end() for m in NEWLINE_RE.finditer(code)]

    def _position(self, offset: int) -> Position:
        line = bisect_right(self._line_starts, offset)
        return Position(line, offset - self._line_starts[line - 1])

    def __getitem__(self, node) -> Range:
        start, end = self._ranges[node]
        return Range(self._position(start), self._position(end))
