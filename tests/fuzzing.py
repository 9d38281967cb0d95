"""Properties and input generators shared by ``tests/test_fuzz.py`` and ``bench/fuzz.py``.

Properties, for any source text:

- ``check`` never fails inside tensorferry: no TNP002 (a TNP001 for text that does not parse is
  allowed);
- ``fix`` (safe, and with unsafe fixes) never fails inside tensorferry, its output parses
  whenever the input did, fixing the output again changes nothing, and no finding that the mode
  may fix is left.
"""

from __future__ import annotations

import ast
import random
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from tensorferry.diagnostics import INTERNAL_ERROR, PARSE_ERROR
from tensorferry.edits import fix_allowed
from tensorferry.engine import fix_source, lint_source
from tensorferry.rules import all_rules

ROOT = Path(__file__).resolve().parents[1]
HEADER = "import numpy as np\nimport torch\n"
# A comment that passes every rule's text prefilter, so the program is parsed and analysed.
TRIGGERS = "\n# torch.Tensor( torch.tensor( from_numpy .numpy() .cpu() .data as_tensor\n"


class PropertyFailure(AssertionError):
    pass


@dataclass
class Outcome:
    parsed: bool = False
    findings: int = 0
    fixed: int = 0
    parse_errors: int = 0
    failures: list[str] = field(default_factory=list)


def parses(text: str) -> bool:
    try:
        cst.parse_module(text)
    except Exception:
        return False
    return True


def cpython_parses(text: str) -> bool:
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def check_properties(source: str, name: str = "fuzz.py", rules=None) -> Outcome:
    """Run check and fix (safe and unsafe) on ``source``; collect every property violation."""
    rules = all_rules() if rules is None else rules
    out = Outcome()
    result = lint_source(source, name, rules)
    out.parsed = result.parsed
    codes = [d.code for d in result.diagnostics]
    out.findings = sum(c not in (PARSE_ERROR, INTERNAL_ERROR) for c in codes)
    out.parse_errors = codes.count(PARSE_ERROR)
    if INTERNAL_ERROR in codes:
        out.failures.append("check: " + next(d.message for d in result.diagnostics
                                             if d.code == INTERNAL_ERROR))
    if len([c for c in codes if c == PARSE_ERROR]) > 1:
        out.failures.append("check: more than one TNP001")
    input_parses = cpython_parses(source) and parses(source)
    for unsafe in (False, True):
        mode = "fix --unsafe-fixes" if unsafe else "fix"
        res = fix_source(source, name, rules, unsafe=unsafe)
        if res.error is not None:
            out.failures.append(f"{mode}: {res.error.message}")
            continue
        if any(d.code == INTERNAL_ERROR for d in res.remaining):
            out.failures.append(f"{mode}: internal error in the fixed text")
        if res.source != source:
            if not parses(res.source):
                out.failures.append(f"{mode}: output does not parse (libcst)")
            elif input_parses and not cpython_parses(res.source):
                out.failures.append(f"{mode}: output does not parse (CPython)")
        left = sorted({d.code for d in res.remaining if fix_allowed(d.fix, unsafe)})
        if left:
            out.failures.append(f"{mode}: fixable findings left: {', '.join(left)}")
        again = fix_source(res.source, name, rules, unsafe=unsafe)
        if again.error is not None or again.source != res.source:
            out.failures.append(f"{mode}: not idempotent")
        if unsafe:
            out.fixed = len(res.fixed)
    return out


def assert_properties(source: str, name: str = "fuzz.py") -> Outcome:
    out = check_properties(source, name)
    if out.failures:
        raise PropertyFailure("\n".join(out.failures) + "\n--- source ---\n" + source[:4000])
    return out


# -- inputs --------------------------------------------------------------------------------------

def fixture_positives() -> list[Path]:
    return sorted(p for p in (ROOT / "fixtures").glob("TNP*/positive_*.py")
                  if not p.name.endswith(".fixed.py"))


def corpus_seeds() -> list[Path]:
    """The bundled real files mutation fuzzing starts from: fixtures (all kinds) and examples."""
    files = sorted((ROOT / "fixtures").glob("TNP*/*.py")) + sorted((ROOT / "examples").glob("*.py"))
    return [p for p in files if not p.name.endswith(".fixed.py")]


def snippet_pool() -> list[list[str]]:
    """Per fixture positive, its top-level statements (a hazard needs its context: the
    statements that make a name an ndarray or a grad tensor come before the conversion)."""
    pool: list[list[str]] = []
    for path in fixture_positives():
        module = cst.parse_module(path.read_text(encoding="utf-8"))
        stmts = [textwrap.dedent(module.code_for_node(s)).strip("\n") + "\n" for s in module.body]
        pool.append([s for s in stmts if not s.startswith("from __future__")])
    return pool


WRAPPERS = (
    "def wrapped_{n}(x, y):\n{body}",
    "for _i{n} in range(3):\n{body}",
    "while cond_{n}:\n{body}",
    "with torch.no_grad():\n{body}",
    "with open('f') as fh_{n}:\n{body}",
    "try:\n{body}except Exception:\n    pass\n",
    "if flag_{n}:\n{body}else:\n    pass\n",
    "class Holder{n}:\n{body}",
    "async def coro_{n}():\n{body}",
)
FILLERS = (
    "x = 1\n", "del y\n", "pass\n", "a = np.zeros(3)\n", "t = torch.ones(3)\n",
    "a += 1\n", "t.add_(1)\n", "print(a, t)\n", "out = model(t)\n", "a = t.numpy()\n",
    "t = torch.from_numpy(a)\n", "global g\n", "return t\n", "yield a\n", "break\n",
    "t = t.cuda()\n", "t.requires_grad_()\n", "lst = [a, a]\n",
)


def compose(rng: random.Random, pool: list[list[str]], pieces: int) -> str:
    """A program from ``pieces`` fixture positives (each whole or a window of its statements,
    with fillers spliced in), some wrapped in blocks."""
    parts: list[str] = []
    for n in range(pieces):
        stmts = list(rng.choice(pool))
        if rng.random() < 0.3:  # a window of the statements, not the whole fixture
            i = rng.randrange(len(stmts))
            stmts = stmts[i: i + rng.randint(1, len(stmts))]
        for _ in range(rng.randint(0, 2)):
            stmts.insert(rng.randint(0, len(stmts)), rng.choice(FILLERS))
        body = "".join(stmts)
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            wrapper = rng.choice(WRAPPERS)
            body = wrapper.format(n=n, body=textwrap.indent(body, "    ", lambda line: True))
        parts.append(body)
    return HEADER + "".join(parts)


def mutate(rng: random.Random, text: str, edits: int = 3) -> str:
    """Delete, duplicate, swap or truncate lines, or cut the text at a random character."""
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(edits):
        op = rng.choice(("delete", "duplicate", "swap", "truncate_line", "cut", "indent", "dedent"))
        i = rng.randrange(len(lines))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "truncate_line":
            lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
        elif op == "cut":
            joined = "".join(lines)
            return joined[: rng.randrange(len(joined) + 1)]
        elif op == "indent":
            lines[i] = "    " + lines[i]
        elif op == "dedent":
            lines[i] = lines[i].lstrip(" \t")
    return "".join(lines)
