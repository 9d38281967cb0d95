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


def test_attribute_searches_run_after_the_substrings(monkeypatch):
    from tensorferry import engine

    test = compile_triggers(((".numpy", "torch"), ((".cpu", "numpy"),), "frombuffer"))
    asked = []
    for token in (".numpy", ".cpu", "torch", "numpy", "frombuffer"):
        real = engine._TOKENS[token]
        monkeypatch.setitem(engine._TOKENS, token,
                            lambda text, real=real, token=token: asked.append(token) or real(text))
    for text, expected, order in [
        ("x.numpy()", True, ["torch", "numpy"]),
        ("import torch\nx.cpu()", True, ["torch", ".numpy", "numpy", ".cpu"]),
        ("nothing", False, ["torch", "numpy", ".cpu", "frombuffer"]),
    ]:
        asked.clear()
        assert test(text) is expected and asked == order, text


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


def test_graph_retention_gate_follows_moved_values_to_stores():
    base = "import torch\nimport torch.nn as nn\nm = nn.Linear(2, 2)\n"
    apart = base + "def f(x):\n    return m(x).cpu()\ndef g(s, y):\n    s.y = y\n"
    assert _gated(apart) == []
    together = base + "def f(s, x):\n    s.y = m(x).cpu()\n"
    assert _gated(together) == ["TNP304"]
    outside = base + "y = m(torch.ones(2)).cpu()\ndef g(s):\n    s.y = y\n"
    assert _gated(outside) == ["TNP304"]
    chained = base + "def f(s, x):\n    a, b = m(x).to('cpu').float(), 1\n    for c in [a]:\n" \
        "        s.keep.append({'c': c if b else None})\n"
    assert _gated(chained) == ["TNP304"]
    unstored = base + "def f(s, x):\n    a = m(x).to('cpu')\n    s.keep.append(a.sum().item())\n"
    assert _gated(unstored) == []
    totals = base + "def f(xs, opt):\n    t = 0\n    for x in xs:\n        loss = m(x).sum()\n" \
        "        loss.backward()\n        t += loss\n"
    assert _gated(totals) == ["TNP304"]


def test_graph_retention_gate_is_not_asked_when_the_file_is_parsed_anyway():
    src = ("import torch\nimport numpy as np\nm = torch.nn.Linear(2, 2)\n"
           "def f(x):\n    return m(x).cpu()\na = torch.from_numpy(np.ones(2))\n")
    assert "TNP201" in _gated(src) and "TNP304" in _gated(src)


def test_tensor_from_tensor_gate_ignores_literal_data():
    src = "import torch\nx = torch.tensor([1.0, -2.0]), torch.tensor(-1), torch.tensor((0, 1))\n"
    assert "TNP402" not in _gated(src)
    assert "TNP402" in _gated(src + "y = torch.tensor(x)\n")


def test_syntax_walk_visits_what_ast_walk_visits():
    import ast

    from tensorferry.syntax import walk

    skipped = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
    for path in FILES:
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue
        want = {id(n) for n in ast.walk(tree) if not isinstance(n, skipped)}
        got = [id(n) for n in walk(tree)]
        assert len(got) == len(set(got)) and set(got) == want, path


CLASS_SNIPPET = '''
class A:
    def __init__(self):
        self.a = 1
    def f(self):
        self.b += 1
        (self.c, [*self.d]) = 1, [2]
        self.e: int = 3
        if x:
            class Inner:
                def g(self):
                    self.z -= 1
        elif y:
            class Other:
                pass
        else:
            self.b = 2
    async def h(self):
        self.h += 1
        def nested():
            self.k = 1
try:
    class B:
        def m(self): self.q += 1
except E:
    class C: pass
finally:
    class D: pass
match v:
    case 1:
        class M: pass
'''


@pytest.mark.parametrize("path", [None] + FILES, ids=lambda p: "snippet" if p is None else str(p.relative_to(ROOT)))
def test_class_facts_from_cpython_match_the_analysis(path):
    import ast

    import libcst as cst

    from tensorferry.analysis import Analyzer
    from tensorferry.reduce import _class_facts, libcst_classes

    text = CLASS_SNIPPET if path is None else path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(text)
        module = cst.parse_module(text)
    except (SyntaxError, cst.ParserSyntaxError):
        return
    analyzer = Analyzer(module)
    want = [(c.name.value, analyzer.attrs_assigned_outside_init(c),
             analyzer.attrs_only_augassigned_outside_init(c)) for c in libcst_classes(module)]
    assert list(_class_facts(tree.body, set())) == want
    if path is None:
        assert [w[0] for w in want] == ["A", "Inner", "Other", "B", "C", "D", "M"]
        assert want[0][1] == {"b", "c", "d", "e", "h", "k", "z"} and want[0][2] == {"h", "z"}


REDUCIBLE = '''import torch
import torch.nn as nn


class Holder:
    def __init__(self):
        self.w = torch.zeros(3)

    def read(self):
        return self.w.cpu().detach()

    def replace(self, n):
        for _ in range(n):
            self.w = nn.Parameter(torch.randn(3))
        return "replaced"
'''


def test_left_out_functions_keep_lines_and_class_facts():
    import ast

    from tensorferry.reduce import plan

    tree = ast.parse(REDUCIBLE)
    p = plan(REDUCIBLE, tree, triggered(REDUCIBLE, all_rules()))
    assert p is not None and p.left_out == 1
    old, new = REDUCIBLE.splitlines(), p.source.splitlines()
    assert len(old) == len(new)
    changed = [i + 1 for i, (a, b) in enumerate(zip(old, new)) if a != b]
    assert changed == [12, 13, 14, 15]  # `replace` only: its name stays, its decorators would too
    assert new[11] == '    def replace(*_): """' and new[12:14] == ["", ""] and new[14] == '"""'
    ast.parse(p.source)
    # `replace` rebinds `self.w`, so `read` cannot rely on `__init__`'s grad-free tensor: the
    # finding needs the class facts of the whole file, not of the reduced one
    full = lint_source(REDUCIBLE, "r.py", prefilter=False).diagnostics
    reduced = lint_source(REDUCIBLE, "r.py").diagnostics
    assert [d.code for d in full] == ["TNP303"]
    assert _key(reduced) == _key(full)


def test_float64_evidence_elsewhere_keeps_its_function():
    src = ('import numpy as np\nimport torch\n\nmodel = torch.nn.Linear(3, 1)\n\n\n'
           'def predict():\n    x = torch.from_numpy(np.random.rand(2, 3))\n    return model(x)\n\n\n'
           'def precise(t):\n    return t.double()\n')
    assert lint_source(src.replace("t.double()", "t"), prefilter=False).diagnostics
    assert _key(lint_source(src).diagnostics) == _key(lint_source(src, prefilter=False).diagnostics) == []


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_summary_in_parts_is_the_summary_of_the_file(path):
    import ast

    from tensorferry.reduce import Parts
    from tensorferry.syntax import Summary, summarize

    try:
        tree = ast.parse(path.read_bytes())
    except (SyntaxError, ValueError):
        return
    whole, parts = summarize(tree), Parts(tree).whole
    for field in Summary.__slots__:
        if field not in ("parts", "cache", "flow_nodes", "_by_module"):  # per part; caches
            assert getattr(parts, field) == getattr(whole, field), field
    assert ({id(n) for nodes in parts.flow_nodes.values() for n in nodes}
            == {id(n) for nodes in whole.flow_nodes.values() for n in nodes})
    pu, wu = parts.units(), whole.units()
    assert pu[0] == wu[0]  # code outside functions
    assert sorted(map(sorted, pu[1:])) == sorted(map(sorted, wu[1:]))  # one entry per function


LEFT_OUT_SHAPES = '''import torch


class A:
    @staticmethod
    @torch.no_grad()
    def helper(x: "torch.Tensor" = torch.zeros(1),
               *rest, key=lambda v: v,
               **kw) -> int:  # a comment
        """Docs."""
        return 1

    async def later(self):
        await something()
        return 2

    def kept(self, t):
        return t.cpu().detach()


def one_more(a,
             b):
    return a + b
'''


def test_left_out_functions_of_any_shape_parse_and_keep_kept_code():
    import ast

    from tensorferry.reduce import plan

    p = plan(LEFT_OUT_SHAPES, ast.parse(LEFT_OUT_SHAPES), triggered(LEFT_OUT_SHAPES, all_rules()))
    assert p is not None and p.left_out == 3
    tree = ast.parse(p.source)  # decorators kept, `async def` kept, multi-line signatures gone
    old, new = LEFT_OUT_SHAPES.splitlines(), p.source.splitlines()
    assert len(old) == len(new)
    assert new[4:6] == old[4:6] and new[6] == '    def helper(*_): """'
    assert new[12] == '    async def later(*_): """' and new[20] == 'def one_more(*_): """'
    assert [ln for ln in new if "kept" in ln or "detach" in ln] == old[16:18]
    names = [n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    assert sorted(names) == ["helper", "kept", "later", "one_more"]
    full = lint_source(LEFT_OUT_SHAPES, "s.py", prefilter=False).diagnostics
    assert [d.code for d in full] == ["TNP303"]
    assert _key(lint_source(LEFT_OUT_SHAPES, "s.py").diagnostics) == _key(full)
