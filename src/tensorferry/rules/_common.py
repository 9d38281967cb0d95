"""Helpers shared by rule modules (no libcst import at module level)."""

from __future__ import annotations

from tensorferry.facts import (
    INT,
    INT_DTYPES,
    LEGACY_CONSTRUCTORS,
    LIST,
    NDARRAY,
    SIZE,
    TENSOR,
    TUPLE,
    Value,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (loaded on every run)
if TYPE_CHECKING:  # pragma: no cover
    import libcst as cst

    from tensorferry.analysis import CallFact
    from tensorferry.context import Context


def legacy_name(fact: "CallFact") -> str | None:
    """`Tensor`, `LongTensor`, ... when the call targets a legacy constructor."""
    q = fact.qual
    if not q or not q.startswith("torch."):
        return None
    rest = q[6:]
    name = rest.removeprefix("cuda.")
    if name in LEGACY_CONSTRUCTORS and rest in (name, f"cuda.{name}"):
        return name
    return None


def is_cuda_legacy(fact: "CallFact") -> bool:
    return bool(fact.qual and fact.qual.startswith("torch.cuda."))


def forced_dtype(name: str) -> str | None:
    return LEGACY_CONSTRUCTORS[name]


def size_reading(v: Value, node: "cst.BaseExpression") -> str | None:
    """Why this argument is taken as a size, or None when it is not provably one."""
    from tensorferry.family import cst

    if v.kind == INT:
        if isinstance(node, cst.Integer):
            return "an integer"
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "len":
            return "`len(...)`, an integer"
        return "an integer"
    if v.kind == SIZE:
        return "a `torch.Size`"
    if is_numpy_int(v):
        return "a numpy integer scalar" if v.kind == "npscalar" else "a 0-d integer array"
    return None


def is_numpy_int(v: Value) -> bool:
    """A numpy integer scalar or 0-d integer array: both implement `__index__`, so the legacy
    constructors read them as a size (a bool one is data)."""
    if v.dtype not in INT_DTYPES or v.dtype == "bool":
        return False
    return v.kind == "npscalar" or (v.kind == NDARRAY and "zerod" in v.flags)


def provably_data(v: Value, node: "cst.BaseExpression") -> str | None:
    """'an ndarray' / 'a list' / 'a tuple' when the argument is proven to be data."""
    from tensorferry.family import cst

    if isinstance(node, cst.List) or v.kind == LIST:
        return "a list"
    if isinstance(node, cst.Tuple) or v.kind == TUPLE:
        return "a tuple"
    if v.kind == NDARRAY:
        return "an ndarray"
    return None


def describe(ctx: "Context", node: "cst.BaseExpression") -> str:
    text = ctx.code(node).strip()
    if len(text) > 40 or "\n" in text:
        text = text.split("\n", 1)[0][:37] + "..."
    return f"`{text}`"


def is_tensor(v: Value) -> bool:
    return v.kind == TENSOR


def evidence_line(ctx: "Context", node) -> str:
    try:
        return f" (line {ctx.line(node)})"
    except Exception:
        return ""
