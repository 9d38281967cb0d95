from __future__ import annotations

from tensorferry.facts import ACCEL, MAYBE, META
from tensorferry.rules._numpy_calls import insert_before_numpy, numpy_conversions
from tensorferry.rules._triggers import NUMPY, GRAD, numpy_conversion
from tensorferry.rules.base import Rule, RuleDocs


class NumpyOnGrad(Rule):
    code = "TNP301"
    name = "numpy-on-grad"
    summary = "`.numpy()` / `np.asarray(t)` on a tensor that requires grad raises RuntimeError"
    fix_availability = "always"
    fix_applicability = "safe"
    # `.numpy()` / a numpy function of a tensor that requires grad
    triggers = ((NUMPY, GRAD),)
    @classmethod
    def gate(cls, syntax) -> bool:
        # a torch -> numpy conversion call
        return numpy_conversion(syntax)

    docs = RuleDocs(
        what="""
Flags `t.numpy()`, `np.asarray(t)`, `np.array(t)` and `np.float32(t)` where `t` provably requires
grad (created with `requires_grad=True`, `.requires_grad_()`, an `nn.Parameter`, a module's
parameter, the output of a module with parameters, or computed from such a tensor) and grad mode
is on (outside `torch.no_grad()`, `torch.inference_mode()`, `set_grad_enabled(False)` and the
matching decorators).
""",
        why="""
It raises `RuntimeError: Can't call numpy() on Tensor that requires grad. Use
tensor.detach().numpy() instead.` The check is `GradMode::is_enabled() && requires_grad`, so code
that works under `torch.no_grad()` in evaluation crashes when the same helper runs in training.
""",
        example="""
logits = model(x)
probs = logits.softmax(-1).numpy()
""",
        use_instead="""
logits = model(x)
probs = logits.softmax(-1).detach().numpy()
""",
        fix_safety="""
Inserting `.detach()` is exactly equivalent where the original works (same dtype, the same
memory is shared) and removes the error, so the fix is safe (runtime-facts section 3). When the
tensor may also be on an accelerator the fix inserts `.detach().cpu()` (see TNP302). Note that
the result still shares memory with the tensor; writes into it are TNP202's concern.
""",
        references=(
            "[torch.Tensor.numpy](https://pytorch.org/docs/stable/generated/torch.Tensor.numpy.html)",
            "runtime-facts.md section 3",
        ),
        known_limits="""
Grad mode is judged from the function itself: a function without a grad context is assumed to
run with grad enabled, as the default is. Tensors passed in as parameters are unknown unless
annotated, so helpers called from evaluation loops are not reported.
""",
    )

    def check(self, analysis, ctx) -> None:
        done: set[int] = set()
        for fact, t, tnode, kind in numpy_conversions(analysis):
            if t.grad != "yes" or fact.grad != "on" or id(fact.node) in done:
                continue
            done.add(id(fact.node))
            name = ctx.code(tnode).strip()
            if len(name) > 40 or "\n" in name:
                name = name.split("\n", 1)[0][:37] + "..."
            why = t.grad_why or "it requires grad"
            where = f" (line {ctx.line(t.grad_node)})" if t.grad_node is not None else ""
            call = ".numpy()" if kind == "method" else f"`{fact.qual.replace('numpy.', 'np.')}(...)`"
            call = f"`{call}`" if kind == "method" else call
            msg = (f"{call} raises RuntimeError: `{name}` requires grad ({why}{where}) "
                   f"and grad mode is on here; use `.detach()` first")
            if t.device in (ACCEL, META):
                msg += " (off the CPU the device TypeError of TNP302 comes first)"
            accel = t.device in (ACCEL, MAYBE)
            edit = insert_before_numpy(ctx, tnode, ".detach().cpu()" if accel else ".detach()")
            fix = ctx.fix("safe", "Insert `.detach()`" + (" and `.cpu()`" if accel else ""), edit) if edit else None
            ctx.report(fact.node, msg, fix=fix)
