from __future__ import annotations

from tensorferry.facts import TENSOR, UNKNOWN
from tensorferry.rules.base import Rule, RuleDocs


def may_require_grad(recv) -> bool:
    """False when the receiver is provably not a grad-requiring tensor."""
    if recv is None or recv.kind not in (TENSOR, UNKNOWN):
        return False  # an ndarray, a module, a list, an imported name ...
    return recv.grad != "no"


class CpuBeforeDetach(Rule):
    code = "TNP303"
    name = "cpu-before-detach"
    summary = "`.cpu().detach()` records an autograd copy node that `.detach().cpu()` avoids"
    fix_availability = "always"
    fix_applicability = "safe"
    # `.cpu().detach()` / `.to(...).detach()`
    triggers = ((".detach", (".cpu", ".to")),)
    @classmethod
    def gate(cls, syntax) -> bool:
        # `....cpu().detach()` / `....to(...).detach()`
        return ("detach", "cpu") in syntax.method_chains or ("detach", "to") in syntax.method_chains

    docs = RuleDocs(
        what="""
Flags `.cpu().detach()` and `.to(...).detach()`: a device or dtype copy followed by
`.detach()`, where grad mode may be on.
""",
        why="""
On an accelerator (or for any copying `.to(...)`), `.cpu()` of a tensor that requires grad goes
through `aten::_to_copy` and records a `ToCopyBackward0` autograd node that `.detach()` throws
away immediately. `.detach().cpu()` makes the same copy without building graph. The cost per
call is small (about 1-1.6 us of bookkeeping measured on CPU), but the reversed order is the
idiom that avoids touching autograd at all, and it is the habit that prevents the costly
variant: keeping a `.cpu()` result without `.detach()` (TNP304).
On CPU, `.cpu()` is a no-op and both orders are identical.
""",
        example="""
preds.append(logits.cpu().detach().numpy())
""",
        use_instead="""
preds.append(logits.detach().cpu().numpy())
""",
        fix_safety="""
Swapping to `.detach().cpu()` is exactly equivalent: same values, dtype and aliasing (both alias
the source on CPU and both are fresh host copies from an accelerator; runtime-facts section 5).
The fix is safe.
""",
        references=(
            "[torch.Tensor.detach](https://pytorch.org/docs/stable/generated/torch.Tensor.detach.html)",
            "runtime-facts.md section 5",
        ),
        known_limits="""
Not reported inside `torch.no_grad()`, `torch.inference_mode()` or the matching decorators
(nor in functions nested in them), nor when the tensor provably does not require grad (made by a
factory without `requires_grad=True`, already detached, or of an integer dtype).
""",
    )

    def check(self, analysis, ctx) -> None:
        from tensorferry.family import cst

        done: set[int] = set()
        for fact in analysis.calls:
            if fact.method != "detach" or fact.args or id(fact.node) in done:
                continue
            inner = fact.recv_node
            if not isinstance(inner, cst.Call) or not isinstance(inner.func, cst.Attribute):
                continue
            attr = inner.func.attr.value
            if attr not in ("cpu", "to"):
                continue
            if attr == "to" and not inner.args:
                continue
            inner_facts = analysis.facts_for(inner)
            if not inner_facts or any(f.method != attr for f in inner_facts):
                continue  # e.g. a module-level function named `to`
            if all(not may_require_grad(f.recv) for f in inner_facts):
                continue  # no autograd node is recorded for a tensor that does not require grad
            modes = {f.grad for f in analysis.facts_for(fact.node)}
            if modes == {"off"}:
                continue
            done.add(id(fact.node))
            x = inner.func.value
            new_inner = fact.node.with_changes(func=fact.node.func.with_changes(value=x), lpar=[], rpar=[])
            new_outer = inner.with_changes(func=inner.func.with_changes(value=new_inner), lpar=[], rpar=[])
            call = f".{attr}({'...' if inner.args else ''})"
            fix = ctx.fix("safe", f"Swap to `.detach(){call}`", ctx.replace(fact.node, new_outer))
            ctx.report(
                fact.node,
                ("`.cpu().detach()`: on an accelerator tensor that requires grad, `.cpu()` records an "
                 "autograd node that `.detach()` throws away; use `.detach().cpu()`" if attr == "cpu" else
                 "`.to(...).detach()`: when `.to(...)` copies (another device or dtype) a tensor that "
                 "requires grad, it records an autograd node that `.detach()` throws away; "
                 "use `.detach().to(...)`"),
                fix=fix,
            )
