from __future__ import annotations

from tensorferry.facts import ACCEL, MAYBE, META
from tensorferry.rules._numpy_calls import insert_before_numpy, numpy_conversions
from tensorferry.rules._triggers import NUMPY, numpy_conversion
from tensorferry.rules.base import Rule, RuleDocs


class NumpyOnAccelerator(Rule):
    code = "TNP302"
    name = "numpy-on-accelerator"
    summary = "`.numpy()` / `np.asarray(t)` on a tensor that is or may be off the CPU raises TypeError"
    fix_availability = "sometimes"
    fix_applicability = "safe"
    # `.numpy()` / a numpy function of a tensor (the text `numpy` in both)
    triggers = (NUMPY,)
    @classmethod
    def gate(cls, syntax) -> bool:
        # a torch -> numpy conversion call
        return numpy_conversion(syntax)

    docs = RuleDocs(
        what="""
Flags `t.numpy()`, `np.asarray(t)` and `np.array(t)` where `t` is on an accelerator (`.cuda()`,
`.to("cuda")`, `device="cuda"`, the output of a module moved there) or may be (a `device` chosen
with `"cuda" if torch.cuda.is_available() else "cpu"`, or moved to an accelerator on some branches
only). Tensors on the `meta` device (`.to("meta")`, `device="meta"`, `torch.device("meta")`) are
reported too: they are not on the CPU and `.numpy()` fails on them through the same device check.
""",
        why="""
It raises `TypeError: can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy
the tensor to host memory first.` (also for `mps:0`, `xpu:0`; `meta` for meta tensors). The device
check runs before the requires-grad check, so a model output on a GPU fails with this TypeError.
Code whose device is chosen at run time passes every test on a CPU-only CI machine and crashes on
the first GPU machine.
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
(runtime-facts sections 4 and 5). No fix is offered for meta tensors: they have no data, and
`.cpu()` on them raises `NotImplementedError: Cannot copy out of meta tensor; no data!`.
""",
        references=(
            "[torch.Tensor.cpu](https://pytorch.org/docs/stable/generated/torch.Tensor.cpu.html)",
            "runtime-facts.md section 4",
        ),
        known_limits="""
Devices are tracked within a function and through `self.` attributes set in `__init__`. A tensor
passed in as a parameter has an unknown device and is not reported. A device that may be an
accelerator (`"cuda" if torch.cuda.is_available() else "cpu"`) is reported: the crash appears only
on machines with a GPU.
""",
    )

    def check(self, analysis, ctx) -> None:
        done: set[int] = set()
        for fact, t, tnode, kind in numpy_conversions(analysis):
            if t.device not in (ACCEL, MAYBE, META) or id(fact.node) in done:
                continue
            done.add(id(fact.node))
            name = ctx.code(tnode).strip()
            if len(name) > 40 or "\n" in name:
                name = name.split("\n", 1)[0][:37] + "..."
            where = f" (line {ctx.line(t.device_node)})" if t.device_node is not None else ""
            if t.device == META:
                why = t.device_why or "it is on the meta device"
                msg = (f"`{name}` is on the meta device ({why}{where}); converting it to numpy raises "
                       "TypeError, and a meta tensor has no data to copy to the host")
                ctx.report(fact.node, msg)
                continue
            if t.device == ACCEL:
                why = t.device_why or "it is on an accelerator"
                msg = f"`{name}` is on an accelerator ({why}{where}); converting it to numpy raises TypeError"
            else:
                why = t.device_why or "its device may be an accelerator"
                msg = (f"`{name}` may be on an accelerator ({why}{where}); converting it to numpy raises "
                       "TypeError on GPU machines")
            chain = ".detach().cpu()" if t.grad == "yes" and fact.grad != "off" else ".cpu()"
            edit = insert_before_numpy(ctx, tnode, chain)
            fix = ctx.fix("safe", f"Insert `{chain}`", edit) if edit else None
            ctx.report(fact.node, msg + f"; use `{chain}` first", fix=fix)
