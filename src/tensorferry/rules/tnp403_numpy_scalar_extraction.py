from __future__ import annotations

from tensorferry.facts import INT, TENSOR
from tensorferry.rules._evidence import evidence, short
from tensorferry.rules._numpy_calls import numpy_conversions
from tensorferry.rules._triggers import NUMPY, numpy_conversion
from tensorferry.rules.base import Rule, RuleDocs

# calls between the tensor and `.numpy()` that `.item()` makes unnecessary
HOST_STEPS = ("cpu", "detach")


class NumpyScalarExtraction(Rule):
    code = "TNP403"
    name = "numpy-scalar-extraction"
    summary = "Reading one number through `.numpy()` gives numpy scalars, or raises; use `.item()`"
    fix_availability = "always"
    fix_applicability = "unsafe"
    # `.numpy()` / np.asarray(t) of a tensor
    triggers = (NUMPY,)
    @classmethod
    def gate(cls, syntax) -> bool:
        # a torch -> numpy conversion call
        return numpy_conversion(syntax)

    docs = RuleDocs(
        what="""
Flags reading a single number out of a tensor through numpy:

* `float(t.cpu().numpy())`, `int(t.numpy())`, `float(np.asarray(t))`, unless `t` is proven 0-d;
* `t.detach().cpu().numpy().item()`, `np.asarray(t).item()`;
* `t.numpy()[0]` where `t` is proven 0-d (a full reduction such as `loss.sum()` or `x.mean()`),
  or proven 1-D (`.flatten()`, `.view(-1)`, `.reshape(-1)`) and indexed with one integer.

`t` must be a proven tensor, or the chain before `.numpy()` must contain `.detach()` (a PyTorch
idiom; other libraries' `.numpy()`, such as TensorFlow's, have no `.item()`).
""",
        why="""
* `float(a)` of an array with one element but one dimension raises on NumPy 2.4:
  `TypeError: only 0-dimensional arrays can be converted to Python scalars` (a deprecation since
  NumPy 1.25). Code that worked on `tensor([0.5])` breaks on upgrade. `float(t)` and `t.item()`
  accept any one-element tensor.
* `t.numpy()[0]` returns a numpy scalar (`np.float32`, `np.int64`), not a Python number:
  `json.dumps` raises `TypeError: Object of type float32 is not JSON serializable`, and a running
  total kept as `np.float32` accumulates in float32 (1e5 additions of 0.0031: 310.08 instead of
  310.00).
* On a 0-d tensor (any loss, `x.sum()`, `x.mean()`) `t.numpy()[0]` raises
  `IndexError: too many indices for array: array is 0-dimensional, but 1 were indexed`: the idiom
  `loss.data.cpu().numpy()[0]` is from PyTorch 0.3, when losses had one dimension.
* `.numpy().item()` copies to the host and converts the whole tensor to read one number;
  `.item()` is 2-5x faster and also works for bfloat16, where `.numpy()` raises
  `TypeError: Got unsupported ScalarType BFloat16`.
""",
        example="""
running += loss.detach().cpu().numpy().item()
score = float(logit.cpu().numpy())           # logit has shape (1,)
first = probs.view(-1).numpy()[0]            # np.float32
""",
        use_instead="""
running += loss.item()
score = float(logit.item())
first = probs.view(-1)[0].item()
""",
        fix_safety="""
The fix reads the number with `.item()` on the tensor itself and drops the `.detach()` / `.cpu()`
steps that only served `.numpy()` (`.item()` works on tensors that require grad and on
accelerators):

* `float(t.cpu().numpy())` becomes `float(t.item())`, which keeps `float(...)` / `int(...)`
  semantics for every dtype;
* `t.detach().cpu().numpy().item()` and `np.asarray(t).item()` become `t.item()`;
* `t.view(-1).numpy()[k]` becomes `t.view(-1)[k].item()`, which also reads element `k` of a
  longer tensor, as the original did;
* `t.numpy()[0]` of a 0-d tensor becomes `t.item()`.

The values are the same, but the type becomes a Python `float` / `int` instead of a numpy scalar
(that changes `repr`, JSON serialisation and accumulation precision, which is usually the point),
and errors change: a multi-element tensor raises `RuntimeError` / `ValueError` from torch instead
of numpy's `TypeError` / `ValueError`; bfloat16, float8 and 1-element 1-D tensors now work where
the original raised. The fix is marked unsafe, except for the 0-d `[0]` case, where the original
always raises `IndexError` and the fix is safe (runtime-facts section 9).
""",
        references=(
            "[torch.Tensor.item](https://pytorch.org/docs/stable/generated/torch.Tensor.item.html)",
            "[NumPy 1.25 release notes: conversion of an array with ndim > 0 to a scalar is deprecated](https://numpy.org/doc/stable/release/1.25.0-notes.html)",
            "runtime-facts.md section 9",
        ),
        known_limits="""
The shape of a tensor is rarely known, so `t.numpy()[0]` is not reported in general: on a batch it
takes the first row, which is not scalar extraction. It is reported only when the tensor is
proven 0-d or 1-D as described above. `float(t.numpy())` is not reported when `t` is proven 0-d:
it works and equals `t.item()`.
""",
    )

    def check(self, analysis, ctx) -> None:
        conv = self.conversions(analysis)
        if not conv:
            return
        done: set[int] = set()
        for sub, base in analysis.subscripts:
            src = conv.get(id(sub.value))
            if src is not None and id(sub) not in done:
                done.add(id(sub))
                self.check_subscript(analysis, ctx, sub, base, src)
        for fact in analysis.calls:
            if id(fact.node) in done:
                continue
            if fact.method == "item" and not fact.args and id(fact.recv_node) in conv:
                done.add(id(fact.node))
                src = conv[id(fact.recv_node)]
                tnode = src[2]
                base = self.tensor_text(ctx, tnode)
                msg = (f"`{short(ctx, fact.node, 50)}` converts the tensor to numpy to read one number: "
                       f"{self.what(analysis, ctx, src)}; `.item()` does it directly, 2-5x faster, "
                       f"and also for bfloat16, where `.numpy()` raises")
                fix = ctx.fix("unsafe", "Replace with `.item()` on the tensor",
                              ctx.replace(fact.node, f"{base}.item()"))
                ctx.report(fact.node, msg, fix=fix)
            elif fact.qual in ("builtins.float", "builtins.int") and len(fact.args) == 1 \
                    and fact.args[0][0] is None:
                arg = fact.args[0][2].value
                src = conv.get(id(arg))
                if src is None or "zerod" in src[1].flags:
                    continue
                done.add(id(fact.node))
                name = fact.qual.split(".")[1]
                base = self.tensor_text(ctx, src[2])
                msg = (f"`{name}({short(ctx, arg, 40)})` raises TypeError on NumPy >= 2.4 unless the "
                       f"tensor is 0-d (`only 0-dimensional arrays can be converted to Python scalars`), "
                       f"also for a one-element 1-D tensor: {self.what(analysis, ctx, src)}; "
                       f"use `{name}({base}.item())`")
                fix = ctx.fix("unsafe", f"Replace with `{name}(... .item())`",
                              ctx.replace(arg, f"{base}.item()"))
                ctx.report(fact.node, msg, fix=fix)

    def check_subscript(self, analysis, ctx, sub, base, src) -> None:
        from tensorferry.family import cst

        idx = []
        for el in sub.slice:
            if not isinstance(el.slice, cst.Index) or analysis.value_of(el.slice.value).kind != INT:
                return
            idx.append(ctx.code(el.slice.value).strip())
        t = src[1]
        text = self.tensor_text(ctx, src[2])
        if "zerod" in t.flags:
            msg = (f"`{short(ctx, sub, 50)}` raises IndexError: the tensor is 0-d "
                   f"({self.what(analysis, ctx, src)}; a full reduction has no dimension to index); "
                   f"use `.item()`")
            fix = ctx.fix("safe", "Replace with `.item()`", ctx.replace(sub, f"{text}.item()"))
            ctx.report(sub, msg, fix=fix)
        elif "flat1d" in t.flags and len(idx) == 1:
            msg = (f"`{short(ctx, sub, 50)}` is a numpy scalar (`np.float32`, `np.int64`, ...), not a "
                   f"Python number: not JSON-serialisable and float32 when accumulated "
                   f"({self.what(analysis, ctx, src)}, flattened to 1-D); use `[{idx[0]}].item()` on the tensor")
            fix = ctx.fix("unsafe", "Index the tensor and use `.item()`",
                          ctx.replace(sub, f"{text}[{idx[0]}].item()"))
            ctx.report(sub, msg, fix=fix)

    # -- helpers -----------------------------------------------------------------------------------
    def conversions(self, analysis) -> dict:
        """id(conversion call) -> (fact, tensor value, tensor node, kind)."""
        from tensorferry.family import cst

        out = {}
        for fact, t, tnode, kind in numpy_conversions(analysis):
            if t.kind == TENSOR or self.has_detach(analysis, tnode):
                out[id(fact.node)] = (fact, t, tnode, kind)
        for fact in analysis.calls:
            if fact.method == "numpy" and id(fact.node) not in out and not fact.args \
                    and isinstance(fact.recv_node, cst.Call) and self.has_detach(analysis, fact.recv_node):
                out[id(fact.node)] = (fact, fact.recv, fact.recv_node, "method")
        return out

    def has_detach(self, analysis, node) -> bool:
        from tensorferry.family import cst

        while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            facts = analysis.facts_for(node)
            if not facts or facts[0].method is None:
                return False
            if facts[0].method == "detach":
                return True
            node = node.func.value
        return False

    def strip(self, node):
        from tensorferry.family import cst

        while (isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute)
               and node.func.attr.value in HOST_STEPS and not node.lpar):
            node = node.func.value
        return node

    def tensor_text(self, ctx, node) -> str:
        """The tensor expression without the trailing `.detach()` / `.cpu()` steps."""
        from tensorferry.family import cst

        node = self.strip(node)
        code = ctx.code(node).strip()
        simple = isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) or bool(node.lpar)
        return code if simple and "\n" not in code else f"({code})"

    def what(self, analysis, ctx, src) -> str:
        fact, t, tnode, kind = src
        base = self.strip(tnode)
        bv = analysis.value_of(base)
        if bv.kind == TENSOR:
            return evidence(analysis, ctx, base, bv, fact.order)
        if t.kind == TENSOR:
            return evidence(analysis, ctx, tnode, t, fact.order)
        return f"`{short(ctx, tnode)}` is a tensor (`.detach()` is PyTorch's)"
