"""Shared reporting for TNP201 / TNP202 (the two sides of one hazard model)."""

from __future__ import annotations

from tensorferry.facts import NDARRAY


def check_mutations(rule, analysis, ctx, code: str) -> None:
    from tensorferry.sharing import mutation_hazards

    for hz in mutation_hazards(analysis):
        if hz.code != code:
            continue
        conv = ctx.code(hz.share.node).strip().split("\n", 1)[0]
        if len(conv) > 50:
            conv = conv[:47] + "..."
        conv_line = ctx.line(hz.share.node)
        side = "array" if hz.write.kind == NDARRAY else "tensor"
        other = "tensor" if hz.write.kind == NDARRAY else "array"
        who = f"`{hz.write.name}`" if hz.write.name else f"the {side}"
        obs = hz.observer
        if obs.how == "load":
            seen = f"`{obs.name}` is used later (line {ctx.line(obs.node)}) and sees the write"
        elif obs.how == "escape":
            seen = f"the {other} is {obs.detail} (line {ctx.line(obs.node)}) and sees the write"
        elif obs.how == "attribute":
            seen = (f"`{obs.name}` is a parameter kept on the object, and NumPy writes bypass "
                    f"autograd's version counter")
        else:
            seen = (f"the {other} `{obs.name}` belongs to the caller, who sees the write" if obs.name
                    else f"the {other} belongs to the caller, who sees the write")
        msg = (f"{who} is written in place while its memory is shared with the {other} through "
               f"`{conv}` (line {conv_line}); {seen}")
        if code == "TNP201":
            new = ctx.code(hz.share.node) + ".clone()"
            fixmsg = "Copy at the conversion with `.clone()` (drops the write-through)"
        else:
            new = ctx.code(hz.share.node) + ".copy()"
            fixmsg = "Copy at the conversion with `.copy()` (drops the write-through)"
        fix = ctx.fix("unsafe", fixmsg, ctx.replace(hz.share.node, new))
        ctx.report(hz.write.node, msg, fix=fix)
