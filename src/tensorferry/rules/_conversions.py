"""numpy -> torch conversion calls and the evidence behind an array's flags (no libcst at import)."""

from __future__ import annotations

from tensorferry.facts import ACCEL, MAYBE, NDARRAY
from tensorferry.rules._common import legacy_name

# the keyword that names the data argument, per conversion
_DATA_KEYWORD = {"from_numpy": None, "as_tensor": "data", "tensor": "data", "asarray": "obj"}


def numpy_to_torch(analysis):
    """Yield (fact, kind, value, arg) for `torch.from_numpy(a)`, `torch.as_tensor(a)`,
    `torch.asarray(a)`, `torch.tensor(a)` and the legacy constructors `torch.Tensor(a)`, ...;
    kind is the function name, or "legacy" with ``legacy_name(fact)`` giving the constructor."""
    for fact in analysis.calls:
        q = fact.qual
        if not q or not q.startswith("torch.") or fact.has_star:
            continue
        rest = q[6:]
        if rest in _DATA_KEYWORD:
            found = fact.arg(0, _DATA_KEYWORD[rest])
            kind = rest
        elif legacy_name(fact) is not None:
            pos = fact.positional()
            if len(pos) != 1:
                continue  # several positional arguments are sizes
            found = pos[0]
            kind = "legacy"
        else:
            continue
        if found is None:
            continue
        value, arg = found
        yield fact, kind, value, arg


def accelerator_target(fact) -> bool:
    """`device=` names an accelerator or a device that may be one."""
    return fact.result.device in (ACCEL, MAYBE)


def origin(value, flag: str):
    """The node that proved ``flag`` on ``value`` (the latest one), or None."""
    for f, node in reversed(value.origins):
        if f == flag:
            return node
    return None


def call_text(fact, kind: str) -> str:
    if kind == "legacy":
        return f"torch.{'cuda.' if fact.qual.startswith('torch.cuda.') else ''}{legacy_name(fact)}"
    return f"torch.{kind}"


def is_ndarray(value) -> bool:
    return value.kind == NDARRAY


def wrap_text(ctx, node, prefix: str, suffix: str = ")") -> str:
    return f"{prefix}{ctx.code(node).strip()}{suffix}"


def append_call(ctx, node, chain: str) -> str:
    """``node`` + ``chain`` (e.g. ".copy()"), parenthesised unless it is a primary expression."""
    from tensorferry.family import cst

    code = ctx.code(node).strip()
    # the edit span excludes the node's own parentheses: `(a + b)` becomes `((a + b).copy())`
    simple = isinstance(node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript))
    return f"{code}{chain}" if simple else f"({code}){chain}"
