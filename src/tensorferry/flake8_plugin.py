"""flake8 plugin (code prefix TNP).

Importing this module is cheap: it loads neither libcst nor torch/numpy. libcst is imported
on the first file that passes the text prefilter. flake8 handles ``# noqa`` and selection.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tensorferry import __version__


class TensorferryChecker:
    name = "tensorferry"
    version = __version__

    def __init__(self, tree: Any, lines: list[str], filename: str) -> None:
        # flake8 classifies plugins by their parameters: `tree` makes this an AST plugin,
        # run once per file. We use the decoded `lines` flake8 already read, never the file.
        self.tree = tree
        self.lines = lines
        self.filename = filename

    def run(self) -> Iterator[tuple[int, int, str, type]]:
        from tensorferry.engine import lint_source
        from tensorferry.rules import all_rules

        source = "".join(self.lines)
        # flake8 built ``tree`` with CPython's parser, so the source is within its nesting limits,
        # and the rules' syntax gates read it.
        result = lint_source(source, self.filename, all_rules(), noqa=False, gate=False,
                             tree=self.tree)
        for d in result.diagnostics:
            # flake8 adds 1 to the column a plugin yields.
            yield d.row, d.column - 1, f"{d.code} {d.message}", type(self)
