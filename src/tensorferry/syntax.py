"""A syntax summary of one file, read from CPython's ``ast`` in one walk: the second prefilter.

The text triggers (``Rule.triggers``) cannot tell a call from an annotation, a comment or a
string, and most torch files pass them. Before libcst parses a file, each rule whose triggers
hold is asked, through ``Rule.gate(summary)``, whether the file has the syntax any of its
findings needs: a call that can resolve to ``torch.Tensor``, a `.numpy()` call, a slice with a
step ... Only the rules whose gate holds run, and a file where none holds is not parsed by
libcst. CPython's parser is about ten times faster than libcst's, and the engine runs it anyway
(to refuse code nested too deep for libcst); the flake8 plugin gets the tree from flake8.

A gate must be a necessary condition for a finding, as the analysis (``analysis.py``) computes
it. The facts the gates rest on:

* a resolved name (``CallFact.qual``, e.g. ``torch.tensor``) is built only from imports and
  attribute chains on them, and the analysis passes such values through assignments, containers
  and attributes but never out of a function call. So a call that resolves to ``<module>.X`` is
  either a call whose callee is written ``X`` or ``....X``, or a call of a name bound to a value
  whose expression names ``X`` somewhere else in the file (``T = torch.Tensor``,
  ``from torch import Tensor as T``). :meth:`Summary.calls` covers both: every load of ``X`` that
  is not the callee itself, an annotation, an ``isinstance`` type or the base of a longer
  attribute chain (``torch.Tensor.add_``) counts as a possible alias;
* a method call (``CallFact.method``) is a call whose callee is an attribute, ``....m(...)``; a
  bound method is never followed through a name;
* a negative stride comes only from a slice with a step or from a numpy view function
  (``flip``, ``fliplr``, ``flipud``, ``rot90``).

``tests/test_prefilter.py`` checks the gates against running every rule on every file.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

_Call = ast.Call
_Attribute = ast.Attribute
_Name = ast.Name
_Slice = ast.Slice
_AugAssign = ast.AugAssign
_Import = ast.Import
_ImportFrom = ast.ImportFrom
_Load = ast.Load
_FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)
_ANNOTATED = (ast.arg, ast.AnnAssign)
_TYPE_TESTS = ("isinstance", "issubclass")


class Summary:
    """What one walk over a module's ``ast`` found (see the module docstring)."""

    __slots__ = ("called_names", "called_attrs", "data_calls", "loads", "attr_roots", "imports",
                 "defs", "stepped_slice", "augassigns", "method_chains", "parts", "cache",
                 "flow_nodes", "_by_module", "_calls")

    def __init__(self, *parts: ast.AST) -> None:
        # the trees summarised (a module; or, for a function left out of the parse when it cannot
        # matter, the rest of the module and one function: see tensorferry.reduce)
        self.parts = parts
        self.cache: dict = {}  # per-part results of the gates that walk again, by id(part)
        self.called_names: set[str] = set()  # callee `X(...)`: X
        # callee `....X(...)`: X -> the names at the root of the chains (None: no name there)
        self.called_attrs: dict[str, set[str | None]] = {}
        # like called_names / called_attrs, for the calls whose first argument is not a literal
        # (`f(x)`, not `f(0)`, `f([1, 2])`): X -> roots (a name is its own root)
        self.data_calls: dict[str, set[str | None]] = {}
        # names and attributes loaded outside callee, annotation, isinstance-type and
        # attribute-base positions: X -> roots (a name is its own root)
        self.loads: dict[str, set[str | None]] = {}
        self.attr_roots: dict[str, set[str | None]] = {}  # every attribute `....X`, any position
        self.imports: dict[str, set[str]] = {}  # local name -> what absolute imports bind to it
        self.defs: set[str] = set()  # names of the functions and methods defined in the file
        self.stepped_slice = False  # a slice with a step: `a[::-1]`, `a[::s]`
        self.augassigns: set[type] = set()  # operator types of augmented assignments
        # (outer, inner) method names of `....inner(...).outer(...)` calls
        self.method_chains: set[tuple[str, str]] = set()
        # id(part) -> its assignments, loops, comprehensions and method calls, in walk order:
        # the nodes a value can flow through (read by TNP304's gate without a walk of its own)
        self.flow_nodes: dict[int, list[ast.AST]] = {}
        # module -> {local name imported from it: the last parts of all the name's imports}
        self._by_module: dict[str, dict[str, set[str]]] = {}
        self._calls: dict[tuple, bool] = {}  # answers of `calls`, which several gates ask alike

    # -- queries ---------------------------------------------------------------------------------

    def _imported(self, module: str) -> dict[str, set[str]]:
        """The local names bound by an import of ``module`` or of something in it, each with the
        last parts of everything imported under that name. Computed once per module (a summary
        is not changed once made)."""
        found = self._by_module.get(module)
        if found is None:
            prefix = module + "."
            found = self._by_module[module] = {
                local: {q.rsplit(".", 1)[-1] for q in quals}
                for local, quals in self.imports.items()
                if any(q == module or q.startswith(prefix) for q in quals)}
        return found

    def imported_from(self, name: str | None, module: str) -> bool:
        """Is ``name`` bound by an import of ``module`` or of something in it?"""
        return name is not None and name in self._imported(module)

    def module_escapes(self, module: str) -> bool:
        """Is a name imported from ``module`` used as a value (``m = torch``, ``f(np)``) rather
        than only as the base of attribute chains? Then chains on any root may resolve there."""
        loads = self.loads
        return any(name in loads for name in self._imported(module))

    def calls(self, names: Iterable[str], module: str, *, data: bool = False) -> bool:
        """Can some call resolve to ``<module>....X`` for an X in ``names``? With ``data``, only
        calls whose first argument is not a literal count."""
        names = tuple(names)
        key = (names, module, data)
        found = self._calls.get(key)
        if found is None:
            found = self._calls[key] = self._resolves(set(names), module, data)
        return found

    def _resolves(self, names: set[str], module: str, data: bool) -> bool:
        loose = None
        for x in names:
            for table in (self.data_calls if data else self.called_attrs, self.loads):
                roots = table.get(x)
                if not roots:
                    continue
                if any(self.imported_from(r, module) for r in roots):
                    return True
                if loose is None:
                    loose = self.module_escapes(module)
                if loose:
                    return True
        called = self.data_calls if data else self.called_names
        for local, parts in self._imported(module).items():
            if (local in called or local in self.loads) and not parts.isdisjoint(names):
                return True  # `from torch import tensor as tt; tt(x)`, `f = tt`
        return False

    def method_called(self, names: Iterable[str]) -> bool:
        """Is some ``....m(...)`` called, for an m in ``names``?"""
        return any(m in self.called_attrs for m in names)

    def has_attr(self, name: str) -> bool:
        """Is some attribute ``....name`` written in the code (not in a string or comment)?"""
        return name in self.attr_roots

    def mentions(self, names: Iterable[str]) -> bool:
        """Is one of ``names`` used in the code as a name, an attribute or an import?"""
        return any(n in self.called_names or n in self.attr_roots or n in self.loads
                   or n in self.imports for n in names)

    def units(self) -> list[frozenset[str]]:
        """Features of each unit of code a value can flow through: the first entry is the code
        outside functions (module and class bodies; its names reach every function), then one
        entry per outermost function or method, its nested functions and lambdas included.
        Features: ``call:m`` for a call ``....m(...)``, ``aug:Add`` / ``aug:Sub`` & co for
        `+=` / `-=` & co. Computed on first use (a second walk), once per part."""
        outside: set[str] = set()
        functions: list[frozenset[str]] = []
        for part in self.parts:
            key = ("units", id(part))
            found = self.cache.get(key)
            if found is None:
                found = self.cache[key] = _units(part)
            outside |= found[0]
            functions += found[1:]
        return [frozenset(outside), *functions]

    def part_cache(self, name: str, part: ast.AST, compute):
        """``compute(part)``, remembered for this part across the summaries that share it."""
        key = (name, id(part))
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = compute(part)
        return found


_TABLES = ("imports", "called_attrs", "data_calls", "loads", "attr_roots")
_SETS = ("called_names", "defs", "augassigns", "method_chains")


def merge(first: Summary, *others: Summary) -> Summary:
    """The summary of all the parts together (``first``'s cache is shared, not copied).

    The merged tables share the sets of the summaries merged where a key comes from one of
    them only: summaries are never changed once made."""
    s = Summary(*first.parts, *(p for o in others for p in o.parts))
    s.cache = first.cache
    for field in _SETS:
        theirs = [t for t in (getattr(o, field) for o in others) if t]
        setattr(s, field, getattr(first, field).union(*theirs) if theirs else getattr(first, field))
    for table in _TABLES:
        theirs = [t for t in (getattr(o, table) for o in others) if t]
        if not theirs:  # nothing to add: shared as it is
            setattr(s, table, getattr(first, table))
            continue
        mine = dict(getattr(first, table))
        for t in theirs:
            for k, v in t.items():
                have = mine.get(k)
                mine[k] = v if have is None else have | v
        setattr(s, table, mine)
    s.stepped_slice = first.stepped_slice or any(o.stepped_slice for o in others)
    if not any(o.imports for o in others):
        s._by_module = first._by_module  # the same imports: the same answers
    s.flow_nodes = {k: v for o in (first, *others) for k, v in o.flow_nodes.items()}
    return s


def _units(tree) -> list[frozenset[str]]:
    outside: set[str] = set()
    units: list[frozenset[str]] = []
    pending = [tree] if type(tree) in _FUNCS else list(getattr(tree, "body", ()))
    while pending:
        stmt = pending.pop()
        t = type(stmt)
        if t in _FUNCS:
            units.append(frozenset(_features(walk(stmt), set())))
        elif t is ast.ClassDef:
            for part in (stmt.bases, stmt.keywords, stmt.decorator_list):
                for node in part:
                    _features(walk(node), outside)
            pending.extend(stmt.body)
        else:
            _features(walk(stmt), outside)
    return [frozenset(outside), *units]


def _features(nodes, out: set[str]) -> set[str]:
    for node in nodes:
        t = type(node)
        if t is _Call:
            func = node.func
            if type(func) is _Attribute:
                out.add("call:" + func.attr)
        elif t is _AugAssign:
            out.add("aug:" + type(node.op).__name__)
    return out


def _literal(node) -> bool:
    """A constant, or a list / tuple of constants: never a tensor, nor a list of tensors."""
    t = type(node)
    if t is ast.Constant:
        return True
    if t is ast.UnaryOp:
        return type(node.operand) is ast.Constant
    if t is ast.List or t is ast.Tuple:
        return all(map(_literal, node.elts))
    return False


def _root(node) -> str | None:
    while type(node) is _Attribute:
        node = node.value
    return node.id if type(node) is _Name else None


# fields that never hold a node worth visiting (names, flags, contexts, operators), so the walk
# skips them; `Constant.value` is a Python value
_SCALAR_FIELDS = {"ctx", "op", "ops", "type_comment", "id", "attr", "name", "asname", "arg",
                  "module", "level", "conversion", "kind", "is_async", "rest", "tag"}
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(t: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(t)
    if fields is None:
        fields = _CHILD_FIELDS[t] = tuple(
            f for f in t._fields
            if f not in _SCALAR_FIELDS and not (f == "value" and t in (ast.Constant, ast.MatchSingleton)))
    return fields


def walk(node: ast.AST):
    """Every node under ``node``, parents before children (ast.walk's nodes, less expression
    contexts and operators, in about a third of its time)."""
    stack = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    fields_of = _CHILD_FIELDS
    while stack:
        node = pop()
        fields = fields_of.get(type(node))
        if fields is None:
            if not isinstance(node, ast.AST):
                continue  # a name in a list field (`global a, b`)
            fields = _child_fields(type(node))
        yield node
        for f in fields:
            v = getattr(node, f)
            if v is None:
                continue
            if type(v) is list:
                extend(v)
            else:
                push(v)


# the node types `summarize` reads (the rest are only walked through)
# assignments (besides augmented and annotated ones), loops and comprehensions: `flow_nodes`
_FLOWS = (ast.Assign, ast.NamedExpr, ast.For, ast.AsyncFor, ast.comprehension)
_SUMMARIZED = frozenset({_Name, _Attribute, _Call, _Slice, _AugAssign, _Import, _ImportFrom,
                         *_FUNCS, *_ANNOTATED, *_FLOWS})


def summarize(tree: ast.AST) -> Summary:
    s = Summary(tree)
    data_calls = s.data_calls
    called_names = s.called_names
    called_attrs = s.called_attrs
    loads = s.loads
    attr_roots = s.attr_roots
    quiet: set[int] = set()  # callee, attribute-base, annotation and isinstance-type nodes
    flow = s.flow_nodes[id(tree)] = []
    # `walk`, inlined: a generator's resumption per node costs more than the rest of the loop
    stack = [tree]
    pop, push, extend = stack.pop, stack.append, stack.extend
    fields_of = _CHILD_FIELDS
    while stack:
        node = pop()
        t = type(node)
        fields = fields_of.get(t)
        if fields is None:
            if not isinstance(node, ast.AST):
                continue  # a name in a list field (`global a, b`)
            fields = _child_fields(t)
        for f in fields:
            v = getattr(node, f)
            if v is None:
                continue
            if type(v) is list:
                extend(v)
            else:
                push(v)
        if t not in _SUMMARIZED:
            continue
        if t is _Name:
            if type(node.ctx) is _Load and id(node) not in quiet:
                loads.setdefault(node.id, set()).add(node.id)
        elif t is _Attribute:
            quiet.add(id(node.value))
            root = _root(node.value)
            attr_roots.setdefault(node.attr, set()).add(root)
            if id(node) not in quiet and type(node.ctx) is _Load:
                loads.setdefault(node.attr, set()).add(root)
        elif t is _Call:
            func = node.func
            quiet.add(id(func))
            tf = type(func)
            data = not node.args or not _literal(node.args[0])
            if tf is _Name:
                called_names.add(func.id)
                if data:
                    data_calls.setdefault(func.id, set()).add(func.id)
                if func.id in _TYPE_TESTS and len(node.args) == 2:
                    quiet.update(map(id, walk(node.args[1])))
            elif tf is _Attribute:
                flow.append(node)
                root = _root(func.value)
                called_attrs.setdefault(func.attr, set()).add(root)
                if data:
                    data_calls.setdefault(func.attr, set()).add(root)
                inner = func.value
                if type(inner) is _Call and type(inner.func) is _Attribute:
                    s.method_chains.add((func.attr, inner.func.attr))
        elif t is _Slice:
            if node.step is not None:
                s.stepped_slice = True
        elif t is _AugAssign:
            s.augassigns.add(type(node.op))
            flow.append(node)
        elif t in _FLOWS:
            flow.append(node)
        elif t in _FUNCS:
            s.defs.add(node.name)
            if node.returns is not None:
                quiet.update(map(id, walk(node.returns)))
        elif t in _ANNOTATED:
            if t is ast.AnnAssign:
                flow.append(node)
            if node.annotation is not None:
                quiet.update(map(id, walk(node.annotation)))
        elif t is _Import:
            for a in node.names:
                if a.asname:
                    s.imports.setdefault(a.asname, set()).add(a.name)
                else:
                    top = a.name.split(".", 1)[0]
                    s.imports.setdefault(top, set()).add(top)
        elif t is _ImportFrom:
            if node.module and not node.level:  # a relative import binds nothing the analysis knows
                for a in node.names:
                    s.imports.setdefault(a.asname or a.name, set()).add(f"{node.module}.{a.name}")
    return s
