"""The prefilters (text triggers, then syntax gates) never change a result.

``lint_source(..., prefilter=False)`` runs every rule on every parsed file; the default skips the
rules whose triggers or gates do not hold and does not parse a file where none holds. Both must report
the same findings on every fixture, example, test file and the alias snippets in
``tests/data/prefilter``. The same comparison over the whole benchmark corpus is
``bench/prefilter.py --compare`` (its result is recorded in docs/performance.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tensorferry.engine import _cpython_parse, compile_triggers, gated, lint_source, prefilter, triggered
from tensorferry.files import DecodeError, read_source
from tensorferry.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent
SNIPPETS = ROOT / "tests" / "data" / "prefilter"


def _files() -> list[Path]:
    out: list[Path] = []
    for folder in ("fixtures", "examples", "tests"):
        out += sorted((ROOT / folder).rglob("*.py"))
    return out


def _key(diags):
    return [(d.code, d.location, d.end_location, d.message, d.fix) for d in diags]


def _same(path: Path) -> list:
    try:
        text = read_source(str(path)).text
    except DecodeError:
        return []
    without = lint_source(text, str(path), prefilter=False)
    with_ = lint_source(text, str(path))
    assert _key(with_.diagnostics) == _key(without.diagnostics), path
    assert with_.error == without.error, path
    return without.diagnostics


FILES = _files()


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_same_findings_with_and_without_prefilter(path):
    _same(path)


def test_fixture_findings_are_many():
    # the comparison above is only worth something if the files do produce findings
    codes = {d.code for p in FILES if "fixtures" in p.parts for d in _same(p)}
    assert {r.code for r in all_rules()} <= codes


@pytest.mark.parametrize("path", sorted(SNIPPETS.glob("*.py")), ids=lambda p: p.name)
def test_alias_snippets_report_and_agree(path):
    assert _same(path), f"{path.name}: a snippet must produce at least one finding"


def test_every_rule_is_reached_through_an_alias_snippet():
    codes = {d.code for p in SNIPPETS.glob("*.py") for d in _same(p)}
    expected = {r.code for r in all_rules()} - {"TNP103", "TNP202", "TNP204", "TNP401"}
    assert expected <= codes, sorted(expected - codes)


def test_file_without_triggers_is_not_parsed():
    assert not lint_source("import os\nprint(os.getcwd())\n").parsed
    assert not prefilter("import torch\nx: torch.Size = torch.Size([2])\n", all_rules())


def test_rules_run_only_when_their_triggers_hold():
    src = "def f(t):\n    return t.cpu().detach()\n"
    assert [r.code for r in triggered(src, all_rules())] == ["TNP303"]


@pytest.mark.parametrize("text,expected", [
    ("x.numpy()", True),
    ("x . numpy ()", True),
    ("(x.\n  numpy())", True),
    ("(x.  # a comment\n  numpy())", True),
    ("x.\\\n    numpy()", True),
    ("x.numpyish()", False),
    ("import numpy", False),
    ("." + "#" * 60 + "x", False),
])
def test_attribute_token_allows_any_gap(text, expected):
    assert compile_triggers((".numpy",))(text) is expected


def test_trigger_forms():
    test = compile_triggers(("a", ("b", ("c", "d"))))
    assert test("a")
    assert test("b d") and test("bc")
    assert not test("b") and not test("c d")
    assert not compile_triggers(())("anything")


def test_rule_triggers_are_documented_tokens():
    for rule in all_rules():
        assert rule.triggers, rule.code
        for alt in rule.triggers:
            clauses = (alt,) if isinstance(alt, str) else alt
            for clause in clauses:
                tokens = (clause,) if isinstance(clause, str) else clause
                assert tokens and all(isinstance(t, str) and t for t in tokens), rule.code


def _gated(src: str) -> list[str]:
    tree, err = _cpython_parse(src)
    assert err is None
    return [r.code for r in gated(tree, triggered(src, all_rules()))]


@pytest.mark.parametrize("src", [
    # the text names a legacy constructor, a conversion and `.numpy()`, but only in annotations,
    # isinstance types, strings and comments
    'import torch\nimport numpy as np\n\n'
    'def f(x: torch.Tensor, a: np.ndarray) -> torch.Tensor:\n'
    '    """torch.from_numpy(a), x.cpu().detach(), t.numpy()"""\n'
    '    assert isinstance(x, (torch.Tensor, torch.FloatTensor))\n'
    '    return x  # torch.Tensor(a), torch.tensor(x), a[::-1]\n',
    # `tensor` and `asarray` of other libraries
    'import torch\nimport jax.numpy as jnp\n'
    'def f(a, batch):\n    c = jnp.asarray(a)\n    return batch.tensor(c)\n',
])
def test_syntax_gates_skip_files_the_text_triggers_let_through(src):
    assert triggered(src, all_rules())
    assert _gated(src) == []
    assert not lint_source(src).parsed


def test_syntax_gates_follow_aliases_of_the_module():
    src = "import torch\nm = torch\nx = m.Tensor\n"
    assert "TNP101" in _gated(src)
    src = "import torch\nx = torch.Tensor\n"
    assert "TNP101" in _gated(src)
    src = "from torch import Tensor as T\ny = T(3)\n"
    assert "TNP101" in _gated(src)
    src = "import torch\nclass A:\n    y = torch.Tensor\n"
    assert "TNP101" in _gated(src)


def test_graph_retention_gate_works_per_function():
    base = "import torch\nimport torch.nn as nn\nm = nn.Linear(2, 2)\n"
    apart = base + "def f(x):\n    return m(x).cpu()\ndef g(s, y):\n    s.y = y\n"
    assert _gated(apart) == []
    together = base + "def f(s, x):\n    s.y = m(x).cpu()\n"
    assert _gated(together) == ["TNP304"]
    outside = base + "y = m(torch.ones(2)).cpu()\ndef g(s):\n    s.y = y\n"
    assert _gated(outside) == ["TNP304"]


def test_graph_retention_gate_is_not_asked_when_the_file_is_parsed_anyway():
    src = ("import torch\nimport numpy as np\nm = torch.nn.Linear(2, 2)\n"
           "def f(x):\n    return m(x).cpu()\na = torch.from_numpy(np.ones(2))\n")
    assert "TNP201" in _gated(src) and "TNP304" in _gated(src)


def test_tensor_from_tensor_gate_ignores_literal_data():
    src = "import torch\nx = torch.tensor([1.0, -2.0]), torch.tensor(-1), torch.tensor((0, 1))\n"
    assert "TNP402" not in _gated(src)
    assert "TNP402" in _gated(src + "y = torch.tensor(x)\n")
