"""Calls that turn a tensor into an ndarray through `Tensor.numpy()` / `__array__`."""

from __future__ import annotations

from tensorferry.facts import NUMPY_DTYPES, TENSOR


def numpy_conversions(analysis):
    """Yield (fact, tensor_value, tensor_node, kind) for `.numpy()`, `np.asarray(t)`, `np.array(t)`,
    `np.float32(t)`; kind is "method" or "function"."""
    for fact in analysis.calls:
        if fact.method == "numpy" and fact.recv is not None and (
                fact.recv.kind == TENSOR or (fact.recv.kind == "unknown" and fact.recv.device is not None)):
            kws = fact.keywords()
            if "force" in kws:
                continue  # force=True detaches and copies to the host itself
            yield fact, fact.recv, fact.recv_node, "method"
        elif fact.qual and fact.qual.startswith("numpy."):
            rest = fact.qual[6:]
            if rest in ("asarray", "array", "asanyarray") or rest in NUMPY_DTYPES:
                pos = fact.positional()
                if pos and pos[0][0].kind == TENSOR:
                    yield fact, pos[0][0], pos[0][1].value, "function"


def insert_before_numpy(ctx, tensor_node, chain: str):
    """An edit that appends `chain` (e.g. ".detach()") to the tensor operand."""
    from tensorferry.family import cst

    code = ctx.code(tensor_node).strip()
    if "\n" in code:
        return None
    simple = isinstance(tensor_node, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)) or tensor_node.lpar
    new = f"{code}{chain}" if simple else f"({code}){chain}"
    return ctx.replace(tensor_node, new)

