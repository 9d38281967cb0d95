"""The lean position pass gives libcst's ``PositionProvider`` ranges for every node."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from tensorferry.positions import Positions

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "fixtures").rglob("*.py")) + sorted((ROOT / "src").rglob("*.py"))

ODD = {
    "crlf": "import torch\r\nx = torch.Tensor(\r\n    [1],\r\n)\r\n",
    "cr": "import torch\rx = (torch\r .Tensor([1]))\r",
    "no_final_newline": "def f(a):\n    return (a\n        .cpu()  # c\n        .detach())",
    "tabs_and_unicode": "if True:\n\tß = 'é' ; t = torch.tensor(ß)\n\tu = f'{t!r:>{ß}}'\n",
    "decorators_and_comments": "# c\n\n@dec(1)\n# d\nclass A(B):\n    '''doc'''\n\n    x: int = 1\n",
}


def _same(source: str) -> int:
    module = cst.parse_module(source)
    want = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    got = Positions(module)
    for node, rng in want.items():
        r = got[node]
        assert (r.start.line, r.start.column, r.end.line, r.end.column) == (
            rng.start.line, rng.start.column, rng.end.line, rng.end.column), (type(node).__name__, rng)
    return len(want)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_every_node_of_every_fixture_and_source_file(path):
    assert _same(path.read_text(encoding="utf-8")) > 0


@pytest.mark.parametrize("name", sorted(ODD))
def test_line_breaks_and_odd_layouts(name):
    assert _same(ODD[name]) > 5


class _Nodes(cst.CSTVisitor):
    def __init__(self) -> None:
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.nodes.append(node)
        return True


def _hinted(source: str, rows: set[int]) -> tuple[int, bool]:
    """Every node inside a statement, positioned statement by statement (``hint``), against the
    whole pass; and whether the hinted pass had to fall back to the whole one."""
    import ast

    module = cst.parse_module(source)
    whole = Positions(module)
    hinted = Positions(module, (source, ast.parse(source), rows))
    fell_back = []
    hinted._whole = lambda: (fell_back.append(True), Positions._whole(hinted))
    visitor = _Nodes()
    for stmt in module.body:
        stmt.visit(visitor)
    for node in visitor.nodes:
        assert hinted[node] == whole[node], type(node).__name__
    return len(visitor.nodes), bool(fell_back)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_statement_by_statement_positions_are_the_whole_pass_positions(path):
    source = path.read_text(encoding="utf-8")
    rows = {len(source.splitlines()) // 2 + 1}
    count, fell_back = _hinted(source, rows)
    assert count > 0 and not fell_back


@pytest.mark.parametrize("name", sorted(ODD))
def test_statement_by_statement_positions_with_odd_layouts(name):
    # a file without a final newline falls back to the whole pass for its last statement
    count, fell_back = _hinted(ODD[name], {1, 2})
    assert count > 5 and fell_back == (name == "no_final_newline")


def test_statement_by_statement_positions_fall_back_when_the_tree_does_not_line_up():
    source = "import torch\nx = torch.Tensor(5)\n"
    module = cst.parse_module(source)
    other = __import__("ast").parse("import torch\n\n\nx = torch.Tensor(5)\n")  # other lines
    hinted = Positions(module, (source, other, {2}))
    call = module.body[1].body[0].value
    assert hinted[call] == Positions(module)[call]
