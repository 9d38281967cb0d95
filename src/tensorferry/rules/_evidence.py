"""Where a proven value came from, for messages that name their evidence (no libcst at import)."""

from __future__ import annotations

from tensorferry.facts import NDARRAY, TENSOR


def origin_call(analysis, value, before: int | None = None):
    """The call whose result is exactly this value (the same object), latest before `before`."""
    best = None
    for fact in analysis.calls:
        if fact.result is value and (before is None or fact.order < before):
            if best is None or fact.order > best.order:
                best = fact
    return best


def short(ctx, node, limit: int = 40) -> str:
    text = ctx.code(node).strip()
    if len(text) > limit or "\n" in text:
        text = text.split("\n", 1)[0][: limit - 3] + "..."
    return text


def kind_word(value) -> str:
    return {NDARRAY: "an ndarray", TENSOR: "a tensor"}.get(value.kind, "a value")


def why_kind(analysis, ctx, value, before: int | None = None, node=None) -> str:
    """`line 7: np.load(...)` or `a parameter annotated as a tensor`; '' when nothing is known."""
    from tensorferry.family import cst

    origin = analysis.origin_of(value)
    if origin is not None and origin is not node and not isinstance(origin, cst.Name):
        return f"line {ctx.line(origin)}: `{short(ctx, origin)}`"
    if "param" in value.flags and value.kind in (NDARRAY, TENSOR):
        return "a parameter annotated as " + ("an ndarray" if value.kind == NDARRAY else "a tensor")
    if origin is node and node is not None:
        return ""
    fact = origin_call(analysis, value, before)
    if fact is not None:
        return f"line {ctx.line(fact.node)}: `{short(ctx, fact.node)}`"
    return ""


def evidence(analysis, ctx, node, value, before: int | None = None) -> str:
    """"`x` is a tensor (line 7: `torch.zeros(3)`)" for a name; "`torch.zeros(3)` is a tensor" for a call."""
    from tensorferry.family import cst

    what = kind_word(value)
    text = short(ctx, node)
    if not isinstance(node, (cst.Name, cst.Attribute)):
        return f"`{text}` is {what}"
    why = why_kind(analysis, ctx, value, before, node)
    return f"`{text}` is {what}" + (f" ({why})" if why else "")
