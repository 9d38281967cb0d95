from __future__ import annotations

from tensorferry.facts import ACCEL, MAYBE
from tensorferry.rules._numpy_calls import grad_possible, insert_before_numpy, numpy_conversions
from tensorferry.rules.base import Rule, RuleDocs


class NumpyOnAccelerator(Rule):
    code = "TNP302"
    name = "numpy-on-accelerator"
    summary = "`.numpy()` / `np.asarray(t)` on a tensor that is or may be on an accelerator raises TypeError"
    fix_availability = "always"
    fix_applicability = "safe"
    triggers = (".numpy(", "asarray(", "np.array(", "numpy.array(")
    docs = RuleDocs(
        what="""
Flags `t.numpy()`, `np.asarray(t)` and `np.array(t)` where `t` is on an accelerator (`.cuda()`,
`.to("cuda")`, `device="cuda"`, the output of a module moved there) or may be (a `device` chosen
with `"cuda" if torch.cuda.is_available() else "cpu"`).
""",
        why="""
It raises `TypeError: can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy
the tensor to host memory first.` (also for `mps:0`, `xpu:0`). Code whose device is chosen at
run time passes every test on a CPU-only CI machine and crashes on the first GPU machine.
""",
        example="""
device = "cuda" if torch.cuda.is_available() else "cpu"
emb = encoder.to(device)(batch.to(device))
np.save("emb.npy", emb.detach().numpy())
""",
        use_instead="""
device = "cuda" if torch.cuda.is_available() else "cpu"
emb = encoder.to(device)(batch.to(device))
np.save("emb.npy", emb.detach().cpu().numpy())
""",
        fix_safety="""
Inserting `.cpu()` (and `.detach()` when the tensor may require grad) is equivalent where the
original works: on CPU `.cpu()` returns the tensor itself, so values, dtype and memory sharing are
unchanged; on an accelerator it makes the host copy the original could not. The fix is safe
(runtime-facts sections 4 and 5).
""",
        references=(
            "[torch.Tensor.cpu](https://pytorch.org/docs/stable/generated/torch.Tensor.cpu.html)",
            "runtime-facts.md section 4",
        ),
        known_limits="Devices are tracked within a function and through `self.` attributes set in `__init__`.",
    )

    def check(self, analysis, ctx) -> None:
        done: set[int] = set()
        for fact, t, tnode, kind in numpy_conversions(analysis):
            if t.device not in (ACCEL, MAYBE) or id(fact.node) in done:
                continue
            done.add(id(fact.node))
            name = ctx.code(tnode).strip()
            if len(name) > 40 or "\n" in name:
                name = name.split("\n", 1)[0][:37] + "..."
            where = f" (line {ctx.line(t.device_node)})" if t.device_node is not None else ""
            if t.device == ACCEL:
                why = t.device_why or "it is on an accelerator"
                msg = f"`{name}` is on an accelerator ({why}{where}); converting it to numpy raises TypeError"
            else:
                why = t.device_why or "its device may be an accelerator"
                msg = (f"`{name}` may be on an accelerator ({why}{where}); converting it to numpy raises "
                       "TypeError on GPU machines")
            chain = ".detach().cpu()" if grad_possible(t, fact) and t.grad == "yes" else ".cpu()"
            if t.grad == "yes" and fact.grad == "on":
                chain = ".detach().cpu()"
            edit = insert_before_numpy(ctx, tnode, chain)
            fix = ctx.fix("safe", f"Insert `{chain}`", edit) if edit else None
            ctx.report(fact.node, msg + f"; use `{chain}` first", fix=fix)
