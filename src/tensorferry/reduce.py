"""Leave out of the analysis and of libcst's parse the functions that cannot hold or change a
finding.

Most of a large file is functions and methods where no rule that runs on the file can report:
no conversion, no `.numpy()`, no moved value reaching a store. The analysis never carries a value
out of a function (a call's result is unknown to it), so a function matters only for the
findings inside it, with three exceptions handled here:

* ``__init__`` methods give a class its attributes, and module and class bodies give every
  function its globals: they are always kept, and each function's relevance is decided on its
  own syntax together with theirs (``syntax.merge``), so a value that comes from them counts;
* the class analysis reads every method for ``self.x = ...`` and ``self.x += ...`` (which
  attributes stay what ``__init__`` made them): those two name sets are computed here from
  CPython's tree of the whole file and handed to the analysis (``class_facts``);
* TNP103 looks across the file for float64 work (``torch.float64``, ``.double()``) and for
  ``DataLoader(collate_fn=...)``: a function that mentions either is kept while TNP103 runs.

A function that is left out keeps its decorators and name; its parameters and body become
``def name(*_):`` and one triple-quoted string over the same lines, so every kept node keeps its
line, column and code.
Where the rules, run on CPython's tree (``tensorferry.probe``), report in only some of the
functions kept, the others are left out of libcst's parse as well (``Parts.narrow``), by the same
reasoning.
``tests/test_prefilter.py`` and ``bench/prefilter.py --compare`` check that the findings are the
same as with every rule on the whole file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from tensorferry.syntax import merge, summarize

_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SIMPLE = frozenset((ast.Expr, ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Raise,
                     ast.Assert, ast.Delete, ast.Pass, ast.Break, ast.Continue, ast.Global,
                     ast.Nonlocal, ast.Import, ast.ImportFrom))
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")  # CPython's line breaks
_DOUBLE = ("float64", "double", "DoubleTensor")


class Plan:
    """The functions left out (``dropped``: their ids in CPython's tree), the reduced source and
    the class facts of the whole file, in statement order. The source is built when asked for:
    ``tensorferry.probe`` often settles the file without it."""

    def __init__(self, source: str, tree: ast.Module, drop: list) -> None:
        self._original = source
        self._tree = tree
        self._drop = drop
        self._source: str | None = None
        self.dropped = frozenset(id(u) for u in drop)
        self.left_out = len(drop)  # functions left out
        self.lines_left_out = sum(u.end_lineno - u.lineno + 1 for u in drop)  # lines of their bodies

    @property
    def source(self) -> str:
        if self._source is None:
            lines = _LINE.findall(self._original)
            for unit in self._drop:
                _leave_out(unit, lines)
            self._source = "".join(lines)
        return self._source

    @property
    def class_facts(self) -> list[tuple[str, set[str], set[str]]]:
        return list(_class_facts(self._tree.body, self.dropped))


class Parts:
    """A module's syntax summarised in parts: what is always kept (module and class bodies,
    ``__init__`` methods) and each function that may be left out. ``whole`` is the summary of
    the file, the union of the parts."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        context: list[ast.stmt] = []
        self.units: list[ast.AST] = []
        _split(tree.body, context, self.units)
        self.base = summarize(ast.Module(body=context, type_ignores=[]))
        self.summaries = [summarize(u) for u in self.units]
        self.whole = merge(self.base, *self.summaries)
        self.evidence: set[int] = set()
        self.fixed: set[int] = set()

    def plan(self, source: str, rules: Sequence[type]) -> Plan | None:
        """A reduced source for ``rules``, or None when every function may matter."""
        if not self.units:
            return None
        # only the text before each body's first statement is read: without a `\r`, splitting on
        # `\n` gives CPython's lines, faster than the regular expression
        lines = source.split("\n") if "\r" not in source else _LINE.findall(source)
        base = self.base
        cheap = [r for r in rules if not r.gate_walks]
        walking = [r for r in rules if r.gate_walks]
        double = any(r.code == "TNP103" for r in rules)
        if double:
            double_names = set(_DOUBLE) | {local for local, quals in base.imports.items()
                                           if any(q.rsplit(".", 1)[-1] in _DOUBLE for q in quals)}
        drop = []
        self.evidence = set()  # ids of units kept for TNP103's file-wide evidence
        self.fixed = set()  # ids of units that cannot be left out (one-line bodies)
        for unit, own in zip(self.units, self.summaries):
            if not _own_lines(unit, lines):
                self.fixed.add(id(unit))
                continue
            both = merge(base, own)
            if double and (own.mentions(double_names) or both.calls(("DataLoader",), "torch")):
                self.evidence.add(id(unit))
                continue
            if any(r.gate(both) for r in cheap) or any(r.gate(both) for r in walking):
                continue
            drop.append(unit)
        if not drop:
            return None
        return Plan(source, self.tree, drop)

    def narrow(self, source: str, planned: Plan | None, rows: frozenset[int]) -> Plan | None:
        """``planned`` (from :meth:`plan`, which must have run) less every further function with
        none of ``rows``: the rows where a rule reports (``tensorferry.probe.locate``). A
        function's findings depend on its own body and on what is always kept, so the findings in
        the functions kept are the same. Functions kept for TNP103's file-wide evidence stay."""
        dropped = planned.dropped if planned is not None else frozenset()
        keep = self.evidence | self.fixed
        drop = [u for u in self.units if id(u) in dropped or (
            id(u) not in keep and not any(u.lineno <= r <= u.end_lineno for r in rows))]
        if len(drop) == len(dropped):
            return planned
        return Plan(source, self.tree, drop)


def plan(source: str, tree: ast.Module, rules: Sequence[type]) -> Plan | None:
    """A reduced source for ``rules`` on ``source`` (CPython's ``tree`` of it), or None."""
    return Parts(tree).plan(source, rules)


def _split(body, context: list, units: list) -> None:
    """Module and class bodies into kept statements and the functions that may be left out
    (functions and methods other than ``__init__``; a class header is kept, and its body is
    split the same way)."""
    for stmt in body:
        t = type(stmt)
        if t in _FUNCS and stmt.name != "__init__":
            units.append(stmt)
        elif t is ast.ClassDef:
            context.append(ast.ClassDef(name=stmt.name, bases=stmt.bases, keywords=stmt.keywords,
                                        decorator_list=stmt.decorator_list, body=[]))
            _split(stmt.body, context, units)
        else:
            context.append(stmt)


def _leave_out(fn, lines: list[str]) -> None:
    """Replace, in ``lines``, the signature and body of ``fn`` by ``def name(*_):`` and one string
    over the same lines: a single node for libcst, whatever the function held. Its decorators
    stay: the analysis reads them where the function is defined (grad mode, ``staticmethod``).
    Parameters, their defaults and annotations are read only when the body is analysed."""
    first, last = fn.lineno, fn.end_lineno
    head = lines[first - 1]
    indent = head[:len(head) - len(head.lstrip(" \t\f"))]
    keyword = "async def " if type(fn) is ast.AsyncFunctionDef else "def "
    lines[first - 1] = f'{indent}{keyword}{fn.name}(*_): """' + _ending(head)
    for i in range(first, last - 1):
        lines[i] = _ending(lines[i])
    lines[last - 1] = '"""' + _ending(lines[last - 1])


def _own_lines(fn, lines: list[str]) -> bool:
    """Does the body start on a line of its own (not `def f(): return x`)?"""
    first = fn.body[0]
    if first.lineno <= fn.lineno or first.lineno > len(lines):
        return False
    return not lines[first.lineno - 1][:first.col_offset].strip()


def _ending(line: str) -> str:
    if line.endswith("\r\n"):
        return "\r\n"
    if line.endswith(("\n", "\r")):
        return line[-1]
    return ""


# -- class facts (the same sets as Analyzer.attrs_assigned_outside_init and
#    attrs_only_augassigned_outside_init, read from CPython's tree) --------------------------------

def _self_attr(t) -> str | None:
    if type(t) is ast.Attribute and type(t.value) is ast.Name and t.value.id == "self":
        return t.attr
    return None


def _targets(t, out: set[str]) -> None:
    if type(t) in (ast.Tuple, ast.List):
        for e in t.elts:
            _targets(e.value if type(e) is ast.Starred else e, out)
    else:
        name = _self_attr(t)
        if name:
            out.add(name)


def class_facts(cls: ast.ClassDef) -> tuple[set[str], set[str]]:
    """(attributes assigned in methods other than __init__, those only changed with `+=` & co)."""
    reassigned: set[str] = set()
    plain: set[str] = set()
    aug: set[str] = set()
    for stmt in cls.body:
        if type(stmt) not in _FUNCS or stmt.name == "__init__":
            continue
        for n in _statements(stmt):
            t = type(n)
            if t is ast.Assign:
                for tg in n.targets:
                    _targets(tg, reassigned)
                    _targets(tg, plain)
            elif t is ast.AnnAssign:
                _targets(n.target, reassigned)
                _targets(n.target, plain)
            elif t is ast.AugAssign:
                _targets(n.target, reassigned)
                name = _self_attr(n.target)
                if name:
                    aug.add(name)
    return reassigned, aug - plain


def _statements(stmt):
    """``stmt`` and every statement nested in it, nested functions and classes included (an
    assignment is always a statement, so expressions need no visit)."""
    stack = [stmt]
    while stack:
        stmt = stack.pop()
        yield stmt
        if type(stmt) not in _SIMPLE:
            for inner in _nested(stmt):
                stack.extend(inner)


def _nested(stmt) -> list[list]:
    """The statement lists of a compound statement, in the order ``libcst_classes`` reads them."""
    out = [getattr(stmt, "body", None)]
    for h in getattr(stmt, "handlers", ()) or ():
        out.append(h.body)
    out.append(getattr(stmt, "orelse", None))  # an `elif` is an `If` alone in the list
    out.append(getattr(stmt, "finalbody", None))
    for case in getattr(stmt, "cases", ()) or ():
        out.append(case.body)
    return [b for b in out if isinstance(b, list)]


def _class_facts(body, dropped: set[int]):
    """(name, reassigned, augmented) of every class, in statement order, outside dropped bodies."""
    for stmt in body:
        if id(stmt) in dropped:
            continue
        if type(stmt) is ast.ClassDef:
            yield (stmt.name, *class_facts(stmt))
        for inner in _nested(stmt):
            yield from _class_facts(inner, dropped)


def libcst_classes(module) -> list:
    """Every ClassDef of a libcst module, in the same statement order as ``_class_facts``.
    (Iterative: recursive closures would hold the classes in a reference cycle, for the
    garbage collector to find.)"""
    import libcst as cst

    out = []
    stack = [iter(module.body)]
    while stack:
        stmt = next(stack[-1], None)
        if stmt is None:
            stack.pop()
            continue
        if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            continue
        if isinstance(stmt, cst.ClassDef):
            out.append(stmt)
        stack.extend(reversed([iter(inner) for inner in _nested_blocks(stmt)]))
    return out


def _nested_blocks(stmt) -> list[list]:
    """The statement lists nested in a libcst compound statement, in source order."""
    import libcst as cst

    def suite(block) -> list:
        return list(block.body) if isinstance(block, cst.IndentedBlock) else []

    out = [suite(getattr(stmt, "body", None))]
    for h in getattr(stmt, "handlers", ()) or ():
        out.append(suite(h.body))
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, cst.If):
        out.append([orelse])
    elif orelse is not None:
        out.append(suite(orelse.body))
    final = getattr(stmt, "finalbody", None)
    if final is not None:
        out.append(suite(final.body))
    for case in getattr(stmt, "cases", ()) or ():
        out.append(suite(case.body))
    return out


def facts_for(module, facts: list[tuple[str, set[str], set[str]]]) -> dict[int, tuple] | None:
    """``{id(libcst ClassDef): (reassigned, augmented)}``, or None when the two trees disagree."""
    classes = libcst_classes(module)
    if len(classes) != len(facts) or any(c.name.value != f[0] for c, f in zip(classes, facts)):
        return None
    return {id(c): (f[1], f[2]) for c, f in zip(classes, facts)}
