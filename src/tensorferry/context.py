"""What a rule reports into: positions resolved lazily, only for reported nodes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tensorferry.diagnostics import Diagnostic, Edit, Fix, Location

if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from tensorferry.rules.base import Rule


class Context:
    def __init__(self, module: "cst.Module", filename: str, hint: tuple | None = None) -> None:
        self.module = module
        self.filename = filename
        self._hint = hint  # see ``tensorferry.positions.Positions``
        self.diagnostics: list[Diagnostic] = []
        self._positions: Any = None
        self._rule: type[Rule] | None = None

    # -- positions -------------------------------------------------------------------------
    def _pos(self):
        if self._positions is None:
            from tensorferry.positions import Positions

            self._positions = Positions(self.module, self._hint)
        return self._positions

    def span(self, node: "cst.CSTNode") -> tuple[Location, Location]:
        """1-based rows and columns; the end is exclusive."""
        rng = self._pos()[node]
        return (
            Location(rng.start.line, rng.start.column + 1),
            Location(rng.end.line, rng.end.column + 1),
        )

    def line(self, node: "cst.CSTNode") -> int:
        return self._pos()[node].start.line

    def code(self, node: "cst.CSTNode") -> str:
        """Source of ``node`` without its own outer parentheses (matching :meth:`span`)."""
        if getattr(node, "lpar", None):
            node = node.with_changes(lpar=[], rpar=[])
        return self.module.code_for_node(node)

    # -- reporting ---------------------------------------------------------------------------
    def replace(self, node: "cst.CSTNode", new: "cst.CSTNode | str") -> Edit:
        """An edit replacing ``node``'s span with ``new`` (a node or source text)."""
        start, end = self.span(node)
        content = new if isinstance(new, str) else self.code(new)
        return Edit(content, start, end)

    def report(self, node: "cst.CSTNode", message: str, *, fix: Fix | None = None,
               rule: "type[Rule] | None" = None) -> None:
        rule = rule or self._rule
        assert rule is not None
        start, end = self.span(node)
        self.diagnostics.append(
            Diagnostic(rule.code, rule.name, message, self.filename, start, end, fix, rule.url())
        )

    def fix(self, applicability: str, message: str, *edits: Edit) -> Fix:
        return Fix(applicability, message, tuple(edits))  # type: ignore[arg-type]
