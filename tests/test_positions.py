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
