from __future__ import annotations

from tensorferry.facts import LIST, NDARRAY, TUPLE
from tensorferry.rules._evidence import evidence, short
from tensorferry.rules._triggers import TORCH, NUMPY, torch_conversion
from tensorferry.rules.base import Rule, RuleDocs

CONVERTERS = {"torch.tensor": "tensor", "torch.as_tensor": "as_tensor", "torch.asarray": "asarray"}
# keywords `torch.as_tensor` accepts with the same meaning as `torch.tensor`
AS_TENSOR_KEYWORDS = {"dtype", "device"}


def _scalar_like(v) -> bool:
    """A value that may be a numpy scalar or a 0-d array (no warning; a 0-d list raises)."""
    return "maybe0d" in v.flags or "zerod" in v.flags


class ListOfNdarrays(Rule):
    code = "TNP401"
    name = "list-of-ndarrays"
    summary = "`torch.tensor([a, b, ...])` of ndarrays converts element by element: slow, with a warning"
    fix_availability = "sometimes"
    fix_applicability = "safe"
    # torch.tensor / as_tensor / asarray of a list of ndarrays
    triggers = ((TORCH, NUMPY, ("tensor", "as_tensor", "asarray")),)
    @classmethod
    def gate(cls, syntax) -> bool:
        # a call of torch.tensor / as_tensor / asarray
        return torch_conversion(syntax, ("tensor", "as_tensor", "asarray"))

    docs = RuleDocs(
        what="""
Flags `torch.tensor(L)`, `torch.as_tensor(L)` and `torch.asarray(L)` where `L` is a list or tuple
whose elements are proven ndarrays: a literal `[a, b]`, a list comprehension, or a list built
with `.append(...)` / `.extend(...)` / `.insert(...)` in a loop.
""",
        why="""
PyTorch does not see the list as one block of memory: it walks it as a nested Python sequence and
reads every element of every array through the Python number protocol. For 1000 float64 arrays
of 100 elements this took 19-45 ms, against 0.3-0.8 ms for `torch.as_tensor(np.array(L))`
(12-44x slower than `torch.from_numpy(np.stack(L))`, measured on torch 2.13 CPU). PyTorch says so
itself, once per process: `UserWarning: Creating a tensor from a list of numpy.ndarrays is
extremely slow. Please consider converting the list to a single numpy.ndarray with numpy.array()
before converting to a tensor.` In a dataset's `__getitem__` or a collate function the cost is
paid for every batch.
""",
        example="""
frames = []
for path in paths:
    frames.append(np.load(path))
clip = torch.tensor(frames)
""",
        use_instead="""
frames = []
for path in paths:
    frames.append(np.load(path))
clip = torch.as_tensor(np.array(frames))
""",
        fix_safety="""
The fix converts the list to one array first, using the module's numpy alias:
`torch.tensor(L, dtype=..., device=...)` becomes `torch.as_tensor(np.array(L), dtype=..., device=...)`,
and `torch.as_tensor(L)` / `torch.asarray(L)` get their argument wrapped in `np.array(...)`.
When `torch.tensor` has keywords that `as_tensor` does not take (`requires_grad=`, `pin_memory=`),
the call stays `torch.tensor` and only the argument is wrapped. The values and the dtype are the
same (numpy's promotion is the one PyTorch applies to a list of arrays: all float32 stays float32,
a float32/float64 mix becomes float64, int64 stays int64; with `dtype=` given both cast to it), and
the result does not share memory with anything the program holds, because `np.array(L)` is a fresh
copy. The fix is marked safe (runtime-facts section 7). Differences that remain: ragged lists raise
`ValueError` on both paths with different messages, and a tensor made by `as_tensor` from a numpy
array cannot grow in place with `resize_()` (its storage belongs to numpy).

No fix is offered when numpy is not imported under a name in the module.
""",
        references=(
            "[torch.tensor documentation](https://pytorch.org/docs/stable/generated/torch.tensor.html)",
            "[pytorch/pytorch#13918: creating a tensor from a list of numpy.ndarrays is slow](https://github.com/pytorch/pytorch/issues/13918)",
            "runtime-facts.md section 7",
        ),
        known_limits="""
Only elements the analysis proves to be ndarrays count: arrays returned by numpy functions,
`.numpy()` of a known tensor, parameters annotated `np.ndarray`. Elements that may be numpy
scalars or 0-d arrays (`a[i]`, `a.sum()`) are not reported: a list of numpy scalars converts
quickly, and a list of 0-d arrays raises `TypeError`. A list passed to another function that fills
it is not followed.
""",
    )

    def check(self, analysis, ctx) -> None:
        from tensorferry.family import cst

        done: set[int] = set()
        for fact in analysis.calls:
            kind = CONVERTERS.get(fact.qual or "")
            if kind is None or id(fact.node) in done or fact.has_star:
                continue
            pos = fact.positional()
            if not pos:
                continue
            value, arg = pos[0]
            node = arg.value
            why = self.elements_evidence(analysis, ctx, fact, node, value)
            if why is None:
                continue
            done.add(id(fact.node))
            seq = "tuple" if value.kind == TUPLE or isinstance(node, cst.Tuple) else "list"
            call = short(ctx, fact.node.func)
            text = ctx.module.code_for_node(node).strip()
            if len(text) > 30 or "\n" in text:
                text = text.split("\n", 1)[0][:27] + "..."
            np_name = analysis.numpy_alias() or "np"
            torch_name = analysis.torch_alias() or "torch"
            msg = (f"`{call}({text})` converts a {seq} of ndarrays element by element "
                   f"(UserWarning, 12-44x slower than one array): {why}; convert it once with "
                   f"`{torch_name}.as_tensor({np_name}.array(...))`")
            ctx.report(fact.node, msg, fix=self.make_fix(analysis, ctx, fact, kind, arg))

    def elements_evidence(self, analysis, ctx, fact, node, value) -> str | None:
        from tensorferry.family import cst

        if isinstance(node, (cst.List, cst.Tuple)):
            els = node.elements
            if not els or any(isinstance(e, cst.StarredElement) for e in els):
                return None
            vals = [analysis.value_of(e.value) for e in els]
            if not all(v.kind == NDARRAY for v in vals) or _scalar_like(vals[0]):
                return None
            shown = [evidence(analysis, ctx, e.value, v, fact.order) for e, v in zip(els[:2], vals[:2])]
            more = f" and {len(els) - 2} more" if len(els) > 2 else ""
            return ", ".join(shown) + more
        if value.kind not in (LIST, TUPLE) or value.elem is None:
            return None
        elem = value.elem
        if elem.kind != NDARRAY or _scalar_like(elem):
            return None
        if isinstance(node, (cst.ListComp,)):
            return f"each element `{short(ctx, node.elt)}` is an ndarray"
        if isinstance(node, cst.Name):
            grows = [f for f in analysis.calls
                     if f.method in ("append", "extend", "insert") and f.scope is fact.scope
                     and isinstance(f.recv_node, cst.Name) and f.recv_node.value == node.value
                     and f.order < fact.order]
            if grows:
                g = grows[0]
                return f"`{node.value}` is filled with ndarrays (line {ctx.line(g.node)}: `{short(ctx, g.node)}`)"
            return f"`{node.value}` is a {value.kind} of ndarrays"
        return f"`{short(ctx, node)}` is a {value.kind} of ndarrays"

    def make_fix(self, analysis, ctx, fact, kind: str, arg):
        from tensorferry.family import cst

        np_name = analysis.numpy_alias()
        if np_name is None:
            return None
        wrapped = cst.Call(func=cst.Attribute(value=cst.Name(np_name), attr=cst.Name("array")),
                           args=[cst.Arg(value=arg.value)])
        args = list(fact.node.args)
        i = args.index(arg)
        args[i] = arg.with_changes(value=wrapped)
        func = fact.node.func
        keywords = {a.keyword.value for a in fact.node.args if a.keyword is not None}
        switch = kind == "tensor" and keywords <= AS_TENSOR_KEYWORDS
        if switch:
            if isinstance(func, cst.Attribute):
                func = func.with_changes(attr=cst.Name("as_tensor"))
            else:
                torch_name = analysis.torch_alias()
                if torch_name is None:
                    switch = False
                else:
                    func = cst.Attribute(value=cst.Name(torch_name), attr=cst.Name("as_tensor"))
        new = fact.node.with_changes(func=func, args=args)
        what = (f"`torch.as_tensor({np_name}.array(...))`" if switch
                else f"`{np_name}.array(...)` around the argument")
        return ctx.fix("safe", f"Convert the list to one array first: {what}", ctx.replace(fact.node, new))
