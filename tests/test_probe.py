"""The tree built from CPython's ``ast`` (tensorferry.probe) has libcst's shape, and deciding on it
never hides a finding."""

import ast
import dataclasses
from pathlib import Path

import libcst as cst
import pytest

from tensorferry import nodes, probe
from tensorferry.context import Context
from tensorferry.engine import lint_source
from tensorferry.probe import Builder, ProbeContext, may_report
from tensorferry.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent

# Fields that hold whitespace, punctuation or layout: the analysis never reads them.
LAYOUT = {"lpar", "rpar", "comma", "semicolon", "leading_lines", "lines_after_decorators", "header",
          "footer", "trailing_whitespace", "leading_whitespace", "equal", "indent", "encoding",
          "default_indent", "default_newline", "has_trailing_newline", "lbracket", "rbracket",
          "lbrace", "rbrace", "colon", "dot", "first_colon", "second_colon", "whitespace_between",
          "start", "end", "type_parameters", "pattern", "guard"}

CONSTRUCTS = '''
"""doc"""
from __future__ import annotations
import os, numpy as np, torch.nn.functional as F
from . import a
from .. b import c as d
from x import *
from x.y import (p, q as r)
x = y = 1; z: int = 2
w: "T"
x += 1; x -= 2; x *= 3; x /= 4; x //= 5; x %= 6; x **= 7; x @= m; x <<= 1; x >>= 1; x |= 1; x &= 1; x ^= 1
a, *b = c
(a, b), [c, d] = e
del a
del a, b
del (a, b)
del x[0], y.z
global g
assert x, "m"
assert x
raise
raise E
raise E from e
s = "a" "b"
s2 = b"a" b"b"
s3 = f"a{x!r:>{w}}" "b"
s4 = f"{x}" f"{y}"
s5 = 'it''s'
s6 = """a\\"""" + r"\\\\" + 'x\\'y' + """b" "c"""
n = 0x10 + 0o7 + 0b1 + 1_000 + 1.5 + 2j + 1e3 + -1 + +1 + ~1 + (not x)
v = [1, *a], (1,), (), {1, *a}, {}, {"k": 1, **d}, {k: v for k, v in i if k if v}
g = (x for x in y for y in z), [x async for x in y], {x for x in y}
t = x if y else z
u = a and b and c or d
cmp = a < b <= c == d != e > f >= g is h is not i in j not in k
sub = x[0], x[0, 1], x[(0, 1)], x[a:b], x[::2], x[a:b, ::-1], x[..., None], x[()], x[:, None]
lam = lambda a, /, b=1, *c, d, e=2, **f: a
lam2 = lambda *, k: k
lam3 = lambda: 0
w = (y := 3)
call = f(a, *b, c=1, **d), f(x=1, *rest), f(*a, *b), f(**a, **b)
chain = a.b.c(d)[e].f
if a: pass
elif b: x = 1; y = 2
else:
    if c:
        pass
if a:
    b
else: c
for i in x: pass
else: pass
async def co(a, b: int = 1, *args: str, k, **kw) -> None:
    async for i in x:
        await y
    async with a as b, c:
        pass
    yield x
    yield from y
    yield
while x:
    break
else:
    continue
try:
    pass
except E as e:
    pass
except (A, B):
    pass
except:
    pass
else:
    pass
finally:
    pass
try:
    pass
except* E:
    pass
with a as (b, c), d:
    pass
@dec
@dec.call(1)
class K(B, *bases, metaclass=M, **kw):
    """doc"""
    x: int = 0
    def f(self, a, /, b, *, c):
        nonlocal_names = 1
        def g():
            nonlocal nonlocal_names
        return self.x
match cmd:
    case [x, y, *rest] if x:
        pass
    case {"k": v}:
        z = 1
    case _:
        pass
print(*a, sep="")
'''


def _kind(node) -> str:
    return type(node).__name__


def _is_node(value) -> bool:
    return isinstance(value, (cst.CSTNode, nodes.CSTNode))


def _shape(built, parsed, path, out):
    """Differences between a built tree (light nodes) and libcst's parse, layout fields left
    aside: the same class names, the same structural fields."""
    if _is_node(built) != _is_node(parsed):
        out.append(f"{path}: {built!r:.60} != {parsed!r:.60}")
        return
    if _is_node(parsed) and _kind(built) != _kind(parsed):
        out.append(f"{path}: {_kind(built)} != {_kind(parsed)}")
        return
    if isinstance(parsed, cst.ConcatenatedString):
        return
    if isinstance(parsed, (list, tuple)):
        if not isinstance(built, (list, tuple)) or len(built) != len(parsed):
            out.append(f"{path}: {built!r:.60} != {parsed!r:.60}")
            return
        for i, (b, p) in enumerate(zip(built, parsed)):
            _shape(b, p, f"{path}[{i}]", out)
        return
    if parsed is cst.MaybeSentinel.DEFAULT:
        if built is not nodes.MaybeSentinel.DEFAULT:
            out.append(f"{path}: {built!r} != {parsed!r}")
        return
    if not _is_node(parsed):
        if type(built) is not type(parsed) or built != parsed:
            out.append(f"{path}: {built!r} != {parsed!r}")
        return
    if isinstance(parsed, cst.SimpleString):
        if ast.literal_eval(built.value) != parsed.evaluated_value:
            out.append(f"{path}: {built.value!r:.40} != {parsed.value!r:.40}")
        return
    if isinstance(parsed, (cst.Integer, cst.Float, cst.Imaginary)):
        if ast.literal_eval(built.value) != ast.literal_eval(parsed.value):
            out.append(f"{path}: {built.value} != {parsed.value}")
        return
    if isinstance(parsed, cst.FormattedStringText):
        return
    for f in dataclasses.fields(parsed):
        if f.name in LAYOUT or f.name.startswith("whitespace") or (
                isinstance(parsed, cst.FormattedStringExpression) and f.name in ("conversion", "format_spec")):
            continue
        try:
            value = getattr(built, f.name)
        except AttributeError:
            out.append(f"{path}.{f.name}: not built ({_kind(parsed)})")
            continue
        _shape(value, getattr(parsed, f.name), f"{path}.{f.name}", out)


def _differences(source: str) -> list[str]:
    built = Builder(source).module(ast.parse(source))
    out: list[str] = []
    _shape(built, cst.parse_module(source), "module", out)
    return out




def test_every_construct_has_libcst_shape():
    assert _differences(CONSTRUCTS) == []


def _sources():
    for folder in ("src", "fixtures", "examples"):
        yield from sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", list(_sources()), ids=lambda p: str(p.relative_to(ROOT)))
def test_project_sources_have_libcst_shape(path):
    assert _differences(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("source, concatenated", [
    ('x = "a"\n', False),
    ('x = "a" "b"\n', True),
    ('x = ("a"\n     "b")\n', True),
    ("x = '\\'' \n", False),
    ("x = '\\\\' 'b'\n", True),
    ('x = """a " "" b"""\n', False),
    ('x = r"\\"" \n', False),
    ('x = f"{a}" "b"\n', True),
    ('x = f"{a}b"\n', False),
    ('x = "é" "b"\n', True),
    ('y = "é"; x = "ü"\n', False),
])
def test_string_literals_are_told_apart(source, concatenated):
    built = Builder(source).module(ast.parse(source))
    value = built.body[-1].body[-1].value
    assert isinstance(value, nodes.ConcatenatedString) is concatenated
    assert _differences(source) == []


def test_one_line_suites_and_elif_follow_the_source():
    src = "if a: b; c\nelif d:\n    e\nelse:\n    if f: g\n"
    built = Builder(src).module(ast.parse(src))
    node = built.body[0]
    assert isinstance(node.body, nodes.SimpleStatementSuite) and len(node.body.body) == 2
    assert isinstance(node.orelse, nodes.If)
    assert isinstance(node.orelse.orelse, nodes.Else)
    assert _differences(src) == []


def _pairs(built, parsed, out):
    """(built, parsed) pairs of the expressions of two trees of the same shape."""
    if isinstance(parsed, (list, tuple)):
        for b, p in zip(built, parsed):
            _pairs(b, p, out)
        return
    if not isinstance(parsed, cst.CSTNode) or _kind(built) != _kind(parsed):
        return
    if isinstance(parsed, cst.BaseExpression):
        out.append((built, parsed))
    if isinstance(parsed, (cst.ConcatenatedString, cst.FormattedStringText, cst.SimpleString)):
        return
    for f in dataclasses.fields(parsed):
        if f.name in LAYOUT or f.name.startswith("whitespace"):
            continue
        try:
            value = getattr(built, f.name)
        except AttributeError:
            continue
        _pairs(value, getattr(parsed, f.name), out)


@pytest.mark.parametrize("path", sorted((ROOT / "fixtures").rglob("*.py"))[::7] + [None],
                         ids=lambda p: "constructs" if p is None else str(p.relative_to(ROOT)))
def test_code_and_line_of_a_built_node_are_the_context_s(path):
    source = CONSTRUCTS if path is None else path.read_text(encoding="utf-8")
    builder = Builder(source)
    built = builder.module(ast.parse(source))
    module = cst.parse_module(source)
    ctx, probe_ctx = Context(module, "x.py"), ProbeContext(builder)
    pairs: list = []
    _pairs(built, module, pairs)
    assert pairs
    answered = 0
    for b, p in pairs:
        try:
            code, line = probe_ctx.code(b), probe_ctx.line(b)
        except probe._Found:
            continue  # not answered: the rule stops, as if it reported
        answered += 1
        assert (code, line) == (ctx.code(p), ctx.line(p)), ctx.code(p)
    assert answered > len(pairs) // 2


@pytest.mark.parametrize("path", sorted((ROOT / "fixtures").rglob("*.py")) + sorted(
    (ROOT / "examples").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_findings_are_the_same_with_and_without_the_probe(path):
    source = path.read_text(encoding="utf-8")
    with_probe = lint_source(source, str(path))
    without = lint_source(source, str(path), probe=False)
    assert with_probe.diagnostics == without.diagnostics
    if with_probe.diagnostics:
        assert with_probe.parsed


def test_a_file_without_findings_is_not_parsed_by_libcst():
    src = ("import torch\nimport numpy as np\n"
           "def f(x):\n    return x.detach().cpu().numpy()\n"
           "t = torch.tensor(np.zeros(3), dtype=torch.float32)\n")
    assert lint_source(src, "x.py", probe=False).parsed
    result = lint_source(src, "x.py")
    assert not result.parsed and result.diagnostics == []


def test_a_file_with_a_finding_is_linted_from_libcst():
    src = "import torch\nimport numpy as np\nlabels = np.array([1, 2])\nt = torch.Tensor(labels)\n"
    result = lint_source(src, "x.py")
    assert result.parsed and [d.code for d in result.diagnostics] == ["TNP101"]
    tree = ast.parse(src)
    assert may_report(tree, src, all_rules())


def test_anything_the_builder_cannot_make_falls_back_to_libcst(monkeypatch):
    src = "import torch\nimport numpy as np\ndef f(x):\n    return x.detach().cpu().numpy()\n"
    tree = ast.parse(src)
    assert not may_report(tree, src, all_rules())

    def broken(self, tree):
        raise probe.Unsupported("test")

    monkeypatch.setattr(Builder, "module", broken)
    assert may_report(tree, src, all_rules())
    assert lint_source(src, "x.py").parsed


def test_a_rule_failing_on_the_built_tree_falls_back_to_libcst(monkeypatch):
    src = "import torch\nimport numpy as np\ndef f(x):\n    return x.detach().cpu().numpy()\n"
    rule = next(r for r in all_rules() if r.code == "TNP301")

    def failing(self, analysis, ctx):
        raise ValueError("rule bug")

    monkeypatch.setattr(rule, "check", failing)
    assert may_report(ast.parse(src), src, [rule])


NARROW = '''import torch
import numpy as np


def clean(x):
    y = x.detach().cpu().numpy()
    return torch.tensor(y)


def finding(x):
    labels = np.array([1, 2])
    return torch.Tensor(labels)
'''


def test_locate_gives_the_rows_of_the_reports():
    from tensorferry.probe import locate

    tree = ast.parse(NARROW)
    assert locate(tree, NARROW, all_rules()) == frozenset({12})
    assert locate(ast.parse("import torch\n"), "import torch\n", all_rules()) is None


def test_locate_answers_anywhere_when_a_rule_asks_what_it_cannot_give(monkeypatch):
    from tensorferry.engine import ANYWHERE
    from tensorferry.probe import locate

    rule = next(r for r in all_rules() if r.code == "TNP101")
    original = rule.check

    def asks_for_the_module(self, analysis, ctx):
        original(self, analysis, ctx)
        ctx.module  # noqa: B018

    monkeypatch.setattr(rule, "check", asks_for_the_module)
    assert locate(ast.parse(NARROW), NARROW, [rule]) is ANYWHERE


def test_functions_without_a_report_are_left_out_of_libcst_s_parse(monkeypatch):
    from tensorferry import engine
    from tensorferry.reduce import Parts

    sources: list[str] = []
    parse = engine._parse_libcst

    def recording(source, *args, **kwargs):
        sources.append(source)
        return parse(source, *args, **kwargs)

    monkeypatch.setattr(engine, "_parse_libcst", recording)
    result = lint_source(NARROW, "x.py")
    assert [(d.code, d.row) for d in result.diagnostics] == [("TNP101", 12)]
    assert len(sources) == 1
    assert "def clean(*_):" in sources[0] and "def finding(x):" in sources[0]
    assert sources[0].count("\n") == NARROW.count("\n")
    assert result.diagnostics == lint_source(NARROW, "x.py", probe=False).diagnostics

    parts = Parts(ast.parse(NARROW))
    rules = engine.select(parts.whole, engine.triggered(NARROW, all_rules()))
    planned = parts.plan(NARROW, rules)
    assert parts.narrow(NARROW, planned, frozenset({12})).left_out == 1
    assert parts.narrow(NARROW, planned, frozenset({6, 12})) is planned


def test_functions_kept_for_float64_evidence_stay():
    from tensorferry import engine
    from tensorferry.reduce import Parts

    src = NARROW + "\n\ndef doubles(m):\n    return m.double()\n"
    parts = Parts(ast.parse(src))
    rules = engine.select(parts.whole, engine.triggered(src, all_rules()))
    assert any(r.code == "TNP103" for r in rules)
    planned = parts.plan(src, rules)
    narrowed = parts.narrow(src, planned, frozenset({12}))
    assert "def doubles(m):" in narrowed.source and "def clean(*_):" in narrowed.source


_BASES = ("BaseExpression", "BaseSmallStatement", "BaseCompoundStatement", "BaseSuite")
_LIGHT = sorted(name for name, c in vars(nodes).items()
                if isinstance(c, type) and issubclass(c, nodes.CSTNode)
                and name != "CSTNode" and name not in _BASES)


@pytest.mark.parametrize("name", _LIGHT)
def test_light_classes_follow_libcst_s(name):
    light, real = getattr(nodes, name), getattr(cst, name)
    fields = [f.name for f in dataclasses.fields(real)]
    # the light fields are libcst's, in libcst's order (positional arguments mean the same)
    assert [f for f in fields if f in light.__slots__] == list(light.__slots__)
    for base in _BASES:
        assert issubclass(light, getattr(nodes, base)) == issubclass(real, getattr(cst, base)), base
    # the constructor takes the fields, by position or by name; one not given is None
    values = [object() for _ in light.__slots__]
    made, by_name = light(*values), light(**dict(zip(light.__slots__, values)))
    assert [getattr(made, f) for f in light.__slots__] == values
    assert [getattr(by_name, f) for f in light.__slots__] == values
    assert all(getattr(light(), f) is None for f in light.__slots__)


def test_there_is_a_light_class_for_every_node_the_builder_makes():
    assert len(_LIGHT) > 100 and {"Name", "Call", "Module", "NotEqual", "Pass"} <= set(_LIGHT)


# Made only for fixes, which are built on libcst's tree: never asked of the light classes.
_FIX_ONLY = {"parse_expression", "AssignEqual", "SimpleWhitespace"}


def test_the_node_classes_the_analysis_and_the_rules_name_are_light_classes():
    named: set[str] = set()
    for path in [ROOT / "src/tensorferry/analysis.py", *sorted((ROOT / "src/tensorferry/rules").glob("*.py"))]:
        for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if type(n) is ast.Attribute and type(n.value) is ast.Name and n.value.id == "cst":
                named.add(n.attr)
    assert {"Name", "Call", "Attribute", "BaseSmallStatement"} <= named
    missing = sorted(n for n in named - _FIX_ONLY if not hasattr(nodes, n))
    assert missing == []


def test_the_probe_never_imports_libcst():
    import subprocess
    import sys

    code = ("import ast, sys\n"
            "from tensorferry.probe import locate\n"
            "from tensorferry.rules import all_rules\n"
            "src = 'import torch\\nimport numpy as np\\ndef f(x):\\n    return x.detach().cpu().numpy()\\n'\n"
            "assert locate(ast.parse(src), src, all_rules()) is None\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'libcst'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
