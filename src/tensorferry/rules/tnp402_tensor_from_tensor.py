from __future__ import annotations

from tensorferry.facts import LIST, TENSOR, TUPLE
from tensorferry.rules._evidence import evidence, short
from tensorferry.rules._triggers import TORCH
from tensorferry.rules.base import Rule, RuleDocs

COPY_KEYWORDS = {"dtype", "device", "requires_grad"}


class TensorFromTensor(Rule):
    code = "TNP402"
    name = "tensor-from-tensor"
    summary = "`torch.tensor(t)` of a tensor warns and copies; of a list of grad tensors it cuts the graph"
    fix_availability = "sometimes"
    fix_applicability = "safe"
    # torch.tensor / as_tensor of tensors
    triggers = ((TORCH, ("tensor", "as_tensor")),)
    @classmethod
    def gate(cls, syntax) -> bool:
        # a call of torch.tensor / as_tensor whose data is not a literal
        return syntax.calls(("tensor", "as_tensor"), TORCH, data=True)

    docs = RuleDocs(
        what="""
Flags `torch.tensor(t)` where `t` is a proven tensor, and `torch.tensor([a, b, ...])` /
`torch.as_tensor([a, b, ...])` of tensors that require grad while grad mode is on (a literal list or
tuple, a list comprehension, or a list built with `.append(...)`).
""",
        why="""
`torch.tensor` always builds a new leaf from data. Given a tensor it copies it, drops its autograd
history and warns on every call: `UserWarning: To copy construct from a tensor, it is recommended
to use sourceTensor.detach().clone() or sourceTensor.detach().clone().requires_grad_(True), rather
than torch.tensor(sourceTensor).` (older releases say `clone().detach()`).

Given a list of tensors, it reads each one as a Python number. For tensors that require grad,
such as several losses, the result has `requires_grad=False` and no `grad_fn`: a `backward()`
through `torch.tensor([loss_a, loss_b]).sum()` raises, and a sum with another term silently trains
only that term. PyTorch only says `Converting a tensor with requires_grad=True to a scalar may lead
to unexpected behavior.`
""",
        example="""
target = torch.tensor(logits)            # copy + warning
total = torch.tensor([loss_a, loss_b]).sum()   # no gradient reaches loss_a / loss_b
""",
        use_instead="""
target = logits.detach().clone()
total = torch.stack([loss_a, loss_b]).sum()
""",
        fix_safety="""
`torch.tensor(t)` becomes `t.detach().clone()`, which is equivalent in values, dtype, strides,
`requires_grad=False`, leaf status and non-aliasing (runtime-facts section 7). Keywords map as
follows: `dtype=d` adds `.to(d)` after the clone (`t.detach().to(d)` alone would alias when `t`
already has dtype `d`); `device=` (with or without `dtype=`) gives `t.detach().to(device=..., copy=True)`,
one copy that never aliases, instead of a clone followed by a second copy to the device;
`requires_grad=True` adds `.requires_grad_(True)`, which makes the same new leaf. These fixes are
safe. No fix is offered with `pin_memory=` or unknown keywords.

For a list of tensors that require grad the fix is `torch.stack([...])`, which keeps the graph.
It is unsafe: the result now requires grad (that is the point, but it changes what `backward()`
does), and a list of one-element 1-D tensors gives shape `(n, 1)` instead of `(n,)`. No fix is
offered when the call has keywords.
""",
        references=(
            "[torch.tensor documentation](https://pytorch.org/docs/stable/generated/torch.tensor.html)",
            "[torch.stack](https://pytorch.org/docs/stable/generated/torch.stack.html)",
            "runtime-facts.md section 7",
        ),
        known_limits="""
The argument must be proven a tensor by the analysis: a factory call, a conversion, a module
output, iteration over or arithmetic on a tensor. A parameter annotated `torch.Tensor` and passed
straight to `torch.tensor(...)` is not reported: converting it says the author expects data, and in
the dev corpus such annotations were wrong every time (diffusers passes `config.latents_mean`, a
list, to a parameter annotated `torch.Tensor`); the safe fix would break those callers. Tensors that reach the
function from unannotated parameters or containers are not reported. Lists of tensors that do not
require grad are not reported: a list of 0-d tensors converts without a warning.
""",
    )

    def check(self, analysis, ctx) -> None:
        done: set[int] = set()
        for fact in analysis.calls:
            if fact.qual not in ("torch.tensor", "torch.as_tensor") or fact.has_star:
                continue
            pos = fact.positional()
            if not pos or id(fact.node) in done:
                continue
            value, arg = pos[0]
            if value.kind == TENSOR and fact.qual == "torch.tensor":
                if "param" in value.flags:
                    continue  # only the annotation says so, and the call itself expects data
                done.add(id(fact.node))
                self.report_tensor(analysis, ctx, fact, value, arg)
                continue
            grad = self.grad_elements(analysis, ctx, fact, arg.value, value)
            if grad is not None:
                done.add(id(fact.node))
                func = short(ctx, fact.node.func)
                text = ctx.module.code_for_node(arg.value).strip()
                if len(text) > 30 or "\n" in text:
                    text = text.split("\n", 1)[0][:27] + "..."
                msg = (f"`{func}({text})` of tensors that require grad reads each one as a Python number: "
                       f"the result has no `grad_fn`, so backward never reaches them: {grad}; "
                       f"use `torch.stack(...)`")
                ctx.report(fact.node, msg, fix=self.stack_fix(analysis, ctx, fact))

    # -- torch.tensor(t) -------------------------------------------------------------------------
    def report_tensor(self, analysis, ctx, fact, value, arg) -> None:
        func = short(ctx, fact.node.func)
        what = evidence(analysis, ctx, arg.value, value, fact.order)
        grad = ""
        if value.grad == "yes" and fact.grad == "on":
            where = f"line {ctx.line(value.grad_node)}: " if value.grad_node is not None else ""
            grad = (f"; it requires grad ({where}{value.grad_why or 'proven'}) and the copy is cut "
                    f"from the graph")
        fix = self.copy_fix(ctx, fact, arg)
        use = fix.message.removeprefix("Replace with ") if fix is not None else "`.detach().clone()`"
        msg = (f"`{func}({short(ctx, arg.value, 30)})` copies a tensor and warns on every call: "
               f"{what}{grad}; use {use}")
        ctx.report(fact.node, msg, fix=fix)

    def copy_fix(self, ctx, fact, arg):
        from tensorferry.family import cst

        kws = {}
        for a in fact.node.args:
            if a is arg:
                continue
            if a.keyword is None or a.keyword.value not in COPY_KEYWORDS:
                return None
            kws[a.keyword.value] = ctx.code(a.value).strip()
        if any("\n" in v for v in kws.values()):
            return None
        node = arg.value
        src = ctx.code(node).strip()
        simple = isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) or bool(node.lpar)
        if not simple:
            src = f"({src})"
        if "device" in kws:
            to_args = f"device={kws['device']}" + (f", dtype={kws['dtype']}" if "dtype" in kws else "")
            new = f"{src}.detach().to({to_args}, copy=True)"
            how = "`.detach().to(device=..., copy=True)`"
        else:
            new = f"{src}.detach().clone()"
            how = "`.detach().clone()`"
            if "dtype" in kws:
                new += f".to({kws['dtype']})"
                how = "`.detach().clone().to(dtype)`"
        rg = kws.get("requires_grad")
        if rg is not None and rg != "False":
            new += f".requires_grad_({rg})"
            how = how[:-1] + ".requires_grad_(...)`"
        return ctx.fix("safe", f"Replace with {how}", ctx.replace(fact.node, new))

    # -- torch.tensor([loss_a, loss_b]) ----------------------------------------------------------
    def grad_elements(self, analysis, ctx, fact, node, value) -> str | None:
        from tensorferry.family import cst

        if fact.grad != "on":
            return None
        if isinstance(node, (cst.List, cst.Tuple)):
            els = node.elements
            if not els or any(isinstance(e, cst.StarredElement) for e in els):
                return None
            vals = [analysis.value_of(e.value) for e in els]
            if not all(v.kind == TENSOR for v in vals):
                return None
            g = next((v for v in vals if v.grad == "yes"), None)
            if g is None:
                return None
            gnode = next(e.value for e, v in zip(els, vals) if v is g)
            return self.grad_reason(ctx, gnode, g)
        if value.kind not in (LIST, TUPLE) or value.elem is None:
            return None
        elem = value.elem
        if elem.kind != TENSOR or elem.grad != "yes":
            return None
        label = short(ctx, node.elt) if isinstance(node, cst.ListComp) else short(ctx, node)
        return self.grad_reason(ctx, None, elem, f"the elements of `{label}`")

    def grad_reason(self, ctx, node, value, label: str | None = None) -> str:
        who = label or f"`{short(ctx, node)}`"
        why = value.grad_why or "proven"
        where = f"line {ctx.line(value.grad_node)}: " if value.grad_node is not None else ""
        return f"{who} require{'' if label else 's'} grad ({where}{why})"

    def stack_fix(self, analysis, ctx, fact):
        from tensorferry.family import cst

        if any(a.keyword is not None for a in fact.node.args) or len(fact.node.args) != 1:
            return None
        func = fact.node.func
        if isinstance(func, cst.Attribute):
            func = func.with_changes(attr=cst.Name("stack"))
        else:
            torch_name = analysis.torch_alias()
            if torch_name is None:
                return None
            func = cst.Attribute(value=cst.Name(torch_name), attr=cst.Name("stack"))
        new = fact.node.with_changes(func=func)
        return ctx.fix("unsafe", "Replace with `torch.stack(...)`, which keeps the graph",
                       ctx.replace(fact.node, new))
