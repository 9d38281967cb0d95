from __future__ import annotations

from tensorferry.facts import LIST, NDARRAY, TENSOR, TUPLE, UNKNOWN
from tensorferry.rules._common import (
    describe,
    forced_dtype,
    is_cuda_legacy,
    legacy_name,
    provably_data,
    size_reading,
)
from tensorferry.rules._triggers import TORCH, LEGACY, torch_conversion, LEGACY_NAMES
from tensorferry.rules.base import Rule, RuleDocs


class LegacyConstructor(Rule):
    code = "TNP101"
    name = "legacy-constructor"
    summary = "`torch.Tensor(data)` and typed legacy constructors force the dtype and alias only some arrays"
    fix_availability = "sometimes"
    fix_applicability = "safe"
    # a call that resolves to torch.Tensor / torch.*Tensor / torch.cuda.*Tensor
    triggers = ((TORCH, LEGACY),)
    @classmethod
    def gate(cls, syntax) -> bool:
        # a call that may resolve to a legacy constructor (of data or of sizes, literals too)
        return torch_conversion(syntax, LEGACY_NAMES, data=False)

    docs = RuleDocs(
        what="""
Flags data conversions through the legacy constructors `torch.Tensor(x)`,
`torch.FloatTensor(x)`, `torch.LongTensor(x)`, ... and `torch.cuda.*Tensor(x)`.
""",
        why="""
The legacy constructors force their own dtype: `torch.Tensor(labels)` turns int64 class labels
into float32 (the default dtype), so `F.cross_entropy` later fails or, worse, integer ids above
2**24 silently lose precision. Whether the result shares memory with the array depends on the
array's dtype: a float32 array is aliased (a later write to the array changes the tensor), any
other dtype is copied. With a single integer argument the same call means something else
entirely: `torch.Tensor(5)` allocates uninitialised memory of shape `(5,)` (see TNP102).
PyTorch's documentation recommends `torch.tensor` / `torch.as_tensor` instead.
""",
        example="""
labels = np.array([3, 1, 2])          # int64
y = torch.Tensor(labels)              # float32 copy: tensor([3., 1., 2.])
""",
        use_instead="""
labels = np.array([3, 1, 2])
y = torch.as_tensor(labels, dtype=torch.get_default_dtype())  # the same, said out loud
# or keep the source dtype:
y = torch.as_tensor(labels)           # int64
""",
        fix_safety="""
When the argument is provably an ndarray, a list or a tuple, the fix rewrites
`torch.Tensor(x)` to `torch.as_tensor(x, dtype=torch.get_default_dtype())` and the typed
constructors to `torch.as_tensor(x, dtype=torch.<their dtype>)` (plus `device="cuda"` for
`torch.cuda.*Tensor`). This is exactly equivalent: same dtype, same aliasing of float32
arrays and their views, same errors and warnings, and it follows `torch.set_default_dtype`
(verified field by field on 29 inputs, runtime-facts section 1). The fix is marked safe.
No fix is offered when the call has keyword arguments (`device=` pointing at a GPU makes the
legacy constructor raise, `as_tensor` would not), or when the argument may be an integer, a
numpy scalar (`labels[i]`, `a.sum()`), a 0-d array, a `torch.Size` or a tensor: there the original allocates by size or aliases the tensor and
keeps its dtype, and `as_tensor` would not. Keeping the source dtype with `torch.as_tensor(x)`
changes the dtype and is left to you.
""",
        references=(
            "[torch.tensor documentation](https://pytorch.org/docs/stable/generated/torch.tensor.html)",
            "runtime-facts.md section 1 (legacy constructors)",
        ),
        known_limits="""
An argument whose kind is unknown (a function parameter without annotation, a config
attribute) is reported with both readings and no fix. Parameters annotated `int` or with an
integer default, `len(...)`, `int(...)`, `x.shape[i]` and `x.size(d)` are integers and go to
TNP102 instead.
""",
    )

    def check(self, analysis, ctx) -> None:
        seen: set[int] = set()
        for fact in analysis.calls:
            name = legacy_name(fact)
            if name is None or id(fact.node) in seen:
                continue
            pos = fact.positional()
            if len(pos) != 1 or fact.has_star:
                continue  # no args: an empty tensor; several: sizes (TNP102)
            value, arg = pos[0]
            if size_reading(value, arg.value) is not None:
                continue  # TNP102
            if value.kind in ("float", "str", "bool", "none", "npscalar", "dict"):
                continue  # raises TypeError at once (or is a numpy scalar: TNP102 / TypeError)
            if value.kind == NDARRAY and "zerod" in value.flags:
                continue  # np.array(3): TNP102 reads it as a size
            if _builtin_call(fact, arg.value, analysis) in ("reversed", "iter", "map", "filter", "zip"):
                continue  # an iterator: `new(): data must be a sequence`, TypeError at once
            seen.add(id(fact.node))
            msg, fix = self.describe_call(analysis, ctx, fact, name, value, arg)
            if msg is not None:
                ctx.report(fact.node, msg, fix=fix)

    def describe_call(self, analysis, ctx, fact, name: str, value, arg):
        fixed = forced_dtype(name)
        target = fixed or "float32"
        dtype_text = f"`{fixed}`" if fixed else "the default dtype (`float32` unless changed)"
        ctor = f"torch.{'cuda.' if is_cuda_legacy(fact) else ''}{name}"
        what = describe(ctx, arg.value)
        keywords = [kw for kw, _, _ in fact.args if kw is not None]
        kw_note = ""
        if "device" in keywords and not is_cuda_legacy(fact):
            kw_note = "; with `device=` a legacy constructor raises unless the device is the CPU"
        if value.kind == TENSOR:
            src = f" of dtype `{value.dtype}`" if value.dtype else ""
            return (f"`{ctor}({what.strip('`')})` on a tensor{src} does not convert it: it aliases the tensor "
                    f"and keeps its dtype; use `.to(dtype)`, `.detach().clone()` or `torch.as_tensor(x, dtype=...)`"
                    f"{kw_note}"), None
        builtin = _builtin_call(fact, arg.value, analysis)
        data = "a range" if builtin == "range" else provably_data(value, arg.value)
        maybe_scalar = value.kind == NDARRAY and "maybe0d" in value.flags
        if data is not None and not maybe_scalar:
            if value.kind == NDARRAY:
                src = f"an ndarray of dtype `{value.dtype}`" if value.dtype else "an ndarray"
                if value.dtype == target and not is_cuda_legacy(fact):
                    alias = ("; it shares memory with the array (a later write to either side shows in "
                             "the other)" if fixed else
                             "; it shares memory with the array while the default dtype is float32")
                elif value.dtype:
                    alias = f"; it is a copy, the `{value.dtype}` values are cast"
                elif is_cuda_legacy(fact):
                    alias = "; it is a copy on the GPU"
                else:
                    alias = f"; it shares memory with the array only if the array is already `{target}`, otherwise it copies"
            else:
                src = data
                alias = "; it is a copy"
            msg = (f"`{ctor}({what.strip('`')})` forces {src} to {dtype_text}{alias}; say so with "
                   f"`torch.as_tensor(..., dtype=...)`, or keep the source dtype with `torch.as_tensor(...)`"
                   f"{kw_note}")
            fix = None
            if not keywords:
                fix = self.make_fix(analysis, ctx, fact, name, arg)
            return msg, fix
        if maybe_scalar:
            return (f"`{ctor}({what.strip('`')})` converts {what} to {dtype_text} if it is an array with "
                    f"dimensions, but it may be a numpy scalar or a 0-d array: a numpy integer or 0-d "
                    f"integer array is read as a size (uninitialised memory) and a numpy float raises "
                    f"`TypeError`; use `torch.as_tensor(x, dtype=...)` or `torch.empty(n)`{kw_note}"), None
        if value.kind in (UNKNOWN, LIST, TUPLE) or data is not None:
            if _is_sequence_expr(arg.value, analysis):
                return (f"`{ctor}({what.strip('`')})` converts {what} to {dtype_text}; "
                        f"use `torch.as_tensor(x, dtype=...)`{kw_note}"), None
            return (f"`{ctor}({what.strip('`')})` converts {what} to {dtype_text} if it is data, but "
                    f"allocates uninitialised memory of that size if it is an integer; use "
                    f"`torch.as_tensor(x, dtype=...)` or `torch.empty(n)`{kw_note}"), None
        return None, None

    def make_fix(self, analysis, ctx, fact, name: str, arg):
        from tensorferry.family import cst

        func = fact.node.func
        if isinstance(func, cst.Attribute):
            base = func.value
            if is_cuda_legacy(fact) and isinstance(base, cst.Attribute):
                base = base.value  # torch.cuda -> torch
            torch_expr = ctx.code(base).strip()
        else:
            torch_expr = analysis.torch_alias()
            if torch_expr is None:
                return None
        fixed = forced_dtype(name)
        dtype = f"{torch_expr}.get_default_dtype()" if fixed is None else f"{torch_expr}.{fixed}"
        device = ', device="cuda"' if is_cuda_legacy(fact) else ""
        other = [a for a in fact.node.args if a.keyword is not None]
        extra = "".join(f", {ctx.code(a).strip().rstrip(',')}" for a in other)
        new = f"{torch_expr}.as_tensor({ctx.code(arg.value).strip()}, dtype={dtype}{device}{extra})"
        if "\n" in ctx.code(arg.value):
            return None
        return ctx.fix("safe", f"Replace with `{torch_expr}.as_tensor(..., dtype={dtype})`",
                       ctx.replace(fact.node, new))


def _builtin_call(fact, node, analysis) -> str | None:
    """`range` / `reversed` / ... when ``node`` is a call of that builtin (not shadowed)."""
    from tensorferry.family import cst

    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name):
        for f in analysis.facts_for(node):
            if f.qual and f.qual.startswith("builtins."):
                return f.qual[len("builtins."):]
    return None


def _is_sequence_expr(node, analysis) -> bool:
    """`[a] * n`, `[a] + rest`: a list (or an array), never an integer."""
    from tensorferry.family import cst

    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Multiply)):
        return any(isinstance(side, (cst.List, cst.ListComp, cst.Tuple))
                   or analysis.value_of(side).kind in (LIST, TUPLE)
                   for side in (node.left, node.right))
    return False
