"""TNP304's syntax gate, on CPython's tree: can a `.cpu()` / `.to()` result reach a store?

The analysis hands a `.cpu()` / `.to()` result on as the same value only through names and
attributes (assignments, unpacking, walrus, loops and comprehensions over containers holding it,
`next(...)` & co), tuple, list, set and dict literals, conditional expressions and subscripts
holding it, and methods that return their receiver; the rule follows it through the
`KEEPS_GRAPH` methods. `moved_store` over-approximates that flow, with names alone and over the
whole file, and asks whether such a value can reach a store.

Apart from the rule module, which the registry imports on every run (a warm run included), so
that `ast` is imported only where a gate runs.
"""

from __future__ import annotations

import ast

from tensorferry.rules.tnp304_graph_retention import KEEPING_METHODS, KEEPS_GRAPH

ADD_SUB = frozenset({ast.Add, ast.Sub})
_ELEMENT_BUILTINS = {"next", "iter", "list", "tuple", "sorted", "reversed", "max", "min"}
# methods the analysis answers with their receiver (besides in-place `..._()` tensor methods)
_RETURNS_RECEIVER = {"eval", "train", "share_memory", "apply", "zero_grad", "byteswap"}


def _moved(e, names: set[str], attrs: set[str]) -> bool:
    """Can the value of expression ``e`` be a moved tensor, given the names and attributes that
    may hold one?"""
    t = type(e)
    if t is ast.Call:
        f = e.func
        if type(f) is ast.Attribute:
            m = f.attr
            return m in ("cpu", "to") or (
                (m in KEEPS_GRAPH or m in _RETURNS_RECEIVER or m.endswith("_"))
                and _moved(f.value, names, attrs))
        if type(f) is ast.Name and f.id in _ELEMENT_BUILTINS:
            return any(_moved(a, names, attrs) for a in e.args)
        return False
    if t is ast.Name:
        return e.id in names
    if t is ast.Attribute:
        return e.attr in attrs
    if t is ast.Subscript or t is ast.Starred or t is ast.NamedExpr:
        return _moved(e.value, names, attrs)
    if t is ast.IfExp:
        return _moved(e.body, names, attrs) or _moved(e.orelse, names, attrs)
    if t is ast.Tuple or t is ast.List or t is ast.Set:
        return any(_moved(x, names, attrs) for x in e.elts)
    if t is ast.Dict:
        return any(_moved(x, names, attrs) for x in e.values)
    return False


def _grow(bindings: list, names: set[str], attrs: set[str]) -> bool:
    """Add to ``names`` and ``attrs`` what ``bindings`` bind from moved values, to a fixpoint;
    True when anything was added."""
    added = False
    grew = True
    while grew:
        grew = False
        for targets, value in bindings:
            if _moved(value, names, attrs):
                for n in targets:
                    if type(n) is ast.Name and n.id not in names:
                        names.add(n.id)
                        grew = added = True
                    elif type(n) is ast.Attribute and n.attr not in attrs:
                        attrs.add(n.attr)
                        grew = added = True
    return added


def _fixpoint(bindings: list, stores: list):
    """The fixpoint of one part's flows alone: its names, attributes, and whether one of its
    stores holds a moved value."""
    names: set[str] = set()
    attrs: set[str] = set()
    _grow(bindings, names, attrs)
    return frozenset(names), frozenset(attrs), any(_moved(v, names, attrs) for v in stores)


def moved_store(syntax) -> bool:
    """Can a moved value reach a store, with the flow over all the parts of ``syntax``? The first
    part (the code always kept, shared by the summaries of every function) has its fixpoint
    computed once, then grown by the others' bindings (adding bindings only adds names, so a
    store it proved stays proved)."""
    first, rest = syntax.parts[0], syntax.parts[1:]
    flows = syntax.flow_nodes
    first_bindings, first_stores = syntax.part_cache("moved-store", first,
                                                     lambda p: _flows(flows[id(p)]))
    base_names, base_attrs, base_stored = syntax.part_cache(
        "moved-base", first, lambda _: _fixpoint(first_bindings, first_stores))
    if base_stored:
        return True
    names, attrs = set(base_names), set(base_attrs)
    bindings: list = []
    stores: list = []
    for part in rest:
        found = syntax.part_cache("moved-store", part, lambda p: _flows(flows[id(p)]))
        bindings += found[0]
        stores += found[1]
    if _grow(bindings, names, attrs):  # new names: the first part's bindings and stores again
        _grow(first_bindings + bindings, names, attrs)
        stores = first_stores + stores
    return any(_moved(v, names, attrs) for v in stores)


def _flows(nodes):
    """The bindings (bound names and attributes, value) and stored values of ``nodes``, a part's
    ``Summary.flow_nodes``."""
    from tensorferry.syntax import walk

    def bound(targets):
        return [n for tg in targets for n in walk(tg) if type(n) in (ast.Name, ast.Attribute)]

    bindings = []
    stores = []
    for n in nodes:
        t = type(n)
        if t is ast.Assign:
            targets = bound(n.targets)
            bindings.append((targets, n.value))
            if any(type(x) in (ast.Attribute, ast.Subscript) for tg in n.targets for x in walk(tg)):
                stores.append(n.value)
        elif t is ast.AnnAssign and n.value is not None:
            bindings.append((bound([n.target]), n.value))
            if type(n.target) in (ast.Attribute, ast.Subscript):
                stores.append(n.value)
        elif t is ast.AugAssign and type(n.target) in (ast.Attribute, ast.Subscript):
            stores.append(n.value)
        elif t is ast.NamedExpr:
            bindings.append((bound([n.target]), n.value))
        elif t is ast.For or t is ast.AsyncFor or t is ast.comprehension:
            bindings.append((bound([n.target]), n.iter))
        elif t is ast.Call and type(n.func) is ast.Attribute and n.func.attr in KEEPING_METHODS:
            stores.extend(n.args)
            stores.extend(k.value for k in n.keywords)
    return bindings, stores
