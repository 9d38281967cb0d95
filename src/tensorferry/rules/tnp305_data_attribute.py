from __future__ import annotations

from tensorferry.facts import TENSOR
from tensorferry.rules._common import describe
from tensorferry.rules._numpy_calls import numpy_conversions
from tensorferry.rules._triggers import TORCH, NUMPY
from tensorferry.rules.base import Rule, RuleDocs

# methods between `.data` and `.numpy()` that keep reading the same tensor's values
_READ_CHAIN = {"cpu", "to", "float", "double", "half", "long", "int", "squeeze", "unsqueeze", "view",
               "reshape", "flatten", "contiguous", "clone", "permute", "transpose", "t"}


def _data_node(node, analysis):
    """The `x.data` attribute node when `node` is one, proven on a tensor."""
    from tensorferry.family import cst

    if isinstance(node, cst.Attribute) and node.attr.value == "data" and \
            "via_data" in analysis.value_of(node).flags:
        owner = node.value
        if isinstance(owner, cst.Attribute) and owner.attr.value == "grad":
            return None  # `p.grad.data`: gradients are not saved for backward
        return node
    return None


class DataAttribute(Rule):
    code = "TNP305"
    name = "data-attribute"
    summary = "`.data` reads and writes tensors behind autograd's back; use `.detach()` or `torch.no_grad()`"
    fix_availability = "sometimes"
    fix_applicability = "unsafe"
    # `.data` of a proven tensor (from torch, or proven by `.numpy()` on it)
    triggers = ((".data", (TORCH, NUMPY)),)
    @classmethod
    def gate(cls, syntax) -> bool:
        # an attribute `.data`
        return syntax.has_attr("data")

    docs = RuleDocs(
        what="""
Flags `.data` on tensors that are proven to be tensors (parameters, module weights such as
`self.fc.weight`, `nn.Parameter`s, tensors from torch factories, module outputs and tensors
computed from them):

* reads that feed `.numpy()`: `x.data.numpy()`, `x.data.cpu().numpy()`, `np.asarray(x.data)`;
* writes: `p.data[...] = v`, `p.data = v`, `p.data += v`, in-place methods such as
  `p.data.add_(...)`, `p.data.copy_(...)`, `p.data.zero_()`, and `nn.init.*_(p.data)`.

`.data` of anything else is not reported: NumPy arrays (`arr.data` is a `memoryview`),
`memoryview`s, buffers and objects of other libraries (`batch.data`, `dataset.data`) have a
`.data` attribute too, and so do tensors the analysis cannot prove (unannotated parameters).
`p.grad.data` is not reported either: gradients are not saved for backward.
""",
        why="""
`x.data` returns a tensor that shares `x`'s memory but not its version counter. A write through it
is invisible to autograd: a graph that saved `x` for backward silently uses the new values. With
`w = tensor([1., 2., 3.], requires_grad=True)` and `y = (w * w).sum()`, `w.data[0] = 10` before
`y.backward()` gives `w.grad == [20., 4., 6.]` instead of `[2., 4., 6.]`, with no error and
`w._version` still 0. The same write through `w.detach()` or under `torch.no_grad()` bumps the
version counter, and backward raises `RuntimeError: one of the variables needed for gradient
computation has been modified by an inplace operation` instead (runtime-facts sections 2 and 5).
For reads, `.detach()` gives the same values and memory, and keeps the version counter shared.
""",
        example="""
probs = logits.data.cpu().numpy()
for p in model.parameters():
    p.data.add_(p.grad, alpha=-lr)
""",
        use_instead="""
probs = logits.detach().cpu().numpy()
with torch.no_grad():
    for p in model.parameters():
        p.add_(p.grad, alpha=-lr)
""",
        fix_safety="""
Reads feeding `.numpy()` are fixed by replacing `.data` with `.detach()`: the array has the same
values, dtype and memory (both alias the tensor on CPU). The fix is marked unsafe because
`.detach()` is an autograd operation that tensor subclasses and `__torch_function__` overrides
can intercept, while `.data` is not, and because the detached tensor shares the version counter,
so in-place writes made through it later are checked by autograd.

Writes get no automatic fix: the replacement `with torch.no_grad(): p.add_(...)` (or
`p.copy_(v)` for `p.data = v` when the shapes match) needs a new block around the statement, and
it deliberately changes behaviour: where a live graph saved `p`, backward now raises instead of
silently using the new values. The message shows the replacement.
""",
        references=(
            "[torch.Tensor.detach](https://pytorch.org/docs/stable/generated/torch.Tensor.detach.html)",
            "[torch.no_grad](https://pytorch.org/docs/stable/generated/torch.no_grad.html)",
            "[Autograd mechanics: in-place correctness checks](https://pytorch.org/docs/stable/notes/autograd.html#in-place-correctness-checks)",
            "runtime-facts.md sections 2 and 5",
        ),
        known_limits="""
Only receivers proven to be tensors in the same file are reported; `.data` on unannotated function
parameters is not, even when the name suggests a tensor. Writes are reported wherever they are,
including initialisation code (`reset_parameters`) that runs before any graph exists: there the
write is harmless today, and `torch.no_grad()` (or `torch.nn.init`) is the equivalent, checked
idiom. Reads other than those feeding `.numpy()` (`x.data.max(1)`, `x.data.clone()`) are not
reported.
""",
    )

    def check(self, analysis, ctx) -> None:
        done: set[int] = set()
        for fact, _t, tnode, _kind in numpy_conversions(analysis):
            node = tnode
            while True:
                data = _data_node(node, analysis)
                if data is not None:
                    break
                if (node.__class__.__name__ == "Call" and node.func.__class__.__name__ == "Attribute"
                        and node.func.attr.value in _READ_CHAIN):
                    node = node.func.value
                    continue
                break
            if data is None or id(data) in done:
                continue
            done.add(id(data))
            self._report_read(data, fact, analysis, ctx)
        for ev in analysis.writes:
            data, shown = self._written_data(ev.node, analysis, ctx)
            if data is None or id(ev.node) in done:
                continue
            done.add(id(ev.node))
            self._report_write(ev.node, data, shown, analysis, ctx)

    def _owner(self, data, analysis, ctx) -> str:
        v = analysis.value_of(data.value)
        name = describe(ctx, data.value)
        if v.kind == TENSOR and v.grad == "yes" and v.grad_why:
            ev = f", line {ctx.line(v.grad_node)}" if v.grad_node is not None else ""
            return f"{name} ({v.grad_why}{ev})"
        return f"{name} (a tensor)"

    def _report_read(self, data, fact, analysis, ctx) -> None:
        from tensorferry.family import cst

        owner = self._owner(data, analysis, ctx)
        msg = (f"`.data` feeds `.numpy()` (line {ctx.line(fact.node)}): the array aliases {owner} "
               f"outside autograd; use `.detach()`, which gives the same memory and keeps the "
               f"version counter")
        new = cst.Call(func=cst.Attribute(value=data.value, attr=cst.Name("detach")))
        fix = ctx.fix("unsafe", "Replace `.data` with `.detach()`", ctx.replace(data, new))
        ctx.report(data, msg, fix=fix)

    def _written_data(self, node, analysis, ctx):
        """(the `x.data` node, the suggested replacement) for a write event through `.data`."""
        from tensorferry.family import cst

        if isinstance(node, cst.AugAssign):
            tgt = node.target
            inner = tgt.value if isinstance(tgt, cst.Subscript) else tgt
            data = _data_node(inner, analysis)
            if data is None:
                return None, ""
            shown = ctx.code(node.with_changes(target=tgt.with_changes(value=data.value))
                             if isinstance(tgt, cst.Subscript) else node.with_changes(target=data.value))
            return data, shown.strip()
        if isinstance(node, cst.Attribute):
            data = _data_node(node, analysis)
            if data is None:
                return None, ""
            return data, f"{ctx.code(data.value)}.copy_(...)"
        if isinstance(node, cst.Subscript):
            data = _data_node(node.value, analysis)
            if data is None:
                return None, ""
            sl = ctx.code(node.with_changes(value=data.value))
            return data, f"{sl} = ..."
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute):
                data = _data_node(func.value, analysis)
                if data is not None:
                    return data, f"{ctx.code(data.value)}.{func.attr.value}(...)"
            for f in analysis.facts_for(node):
                if f.qual and f.qual.startswith("torch.nn.init.") and node.args:
                    data = _data_node(node.args[0].value, analysis)
                    if data is not None:
                        return data, f"init:{ctx.code(node.func)}({ctx.code(data.value)}, ...)"
        return None, ""

    def _report_write(self, node, data, shown, analysis, ctx) -> None:
        owner = self._owner(data, analysis, ctx)
        if shown.startswith("init:"):
            msg = (f"a write through `.data` changes {owner} without bumping its version counter: a "
                   f"graph that saved it silently uses the new values in backward; pass the tensor "
                   f"itself, `{shown[5:]}`: `torch.nn.init` functions already write under `torch.no_grad()`")
            ctx.report(node, msg)
            return
        if len(shown) > 60 or "\n" in shown:
            shown = shown.split("\n", 1)[0][:57] + "..."
        assign = node.__class__.__name__ == "Attribute"
        what = ("`.data = ...` swaps the storage of" if assign else "a write through `.data` changes")
        msg = (f"{what} {owner} without bumping its version counter: a graph that saved it "
               f"silently uses the new values in backward; use `with torch.no_grad(): {shown}`"
               + (" (when the shapes match)" if assign else ""))
        ctx.report(node, msg)
