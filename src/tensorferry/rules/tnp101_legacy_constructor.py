from __future__ import annotations

from tensorferry.facts import NDARRAY, TENSOR, UNKNOWN
from tensorferry.rules._common import (
    describe,
    forced_dtype,
    is_cuda_legacy,
    legacy_name,
    provably_data,
    size_reading,
)
from tensorferry.rules.base import Rule, RuleDocs


class LegacyConstructor(Rule):
    code = "TNP101"
    name = "legacy-constructor"
    summary = "`torch.Tensor(data)` and typed legacy constructors force the dtype and alias only some arrays"
    fix_availability = "sometimes"
    fix_applicability = "safe"
    triggers = ("Tensor(", "Tensor as ")
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
No fix is offered when the argument may be an integer, a numpy scalar, a 0-d array, a
`torch.Size` or a tensor: there the original allocates by size or aliases the tensor and
keeps its dtype, and `as_tensor` would not. Keeping the source dtype with `torch.as_tensor(x)`
changes the dtype and is left to you.
""",
        references=(
            "[torch.tensor documentation](https://pytorch.org/docs/stable/generated/torch.tensor.html)",
            "runtime-facts.md section 1 (legacy constructors)",
        ),
        known_limits="""
An argument whose kind is unknown (a function parameter without annotation) is reported with
both readings and no fix.
""",
    )

    def check(self, analysis, ctx) -> None:
        import libcst as cst

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
            if value.kind in ("float", "str", "bool", "none"):
                continue  # raises TypeError at once
            seen.add(id(fact.node))
            dtype = forced_dtype(name) or "the default dtype (float32)"
            ctor = f"torch.{'cuda.' if is_cuda_legacy(fact) else ''}{name}"
            what = describe(ctx, arg.value)
            data = provably_data(value, arg.value)
            fix = None
            if value.kind == TENSOR:
                msg = (f"`{ctor}({ctx.code(arg.value).strip()[:30]})` on a tensor aliases it and keeps its dtype; "
                       "use `.detach().clone()`, `.to(dtype)` or `torch.as_tensor`")
            elif data is not None:
                src = f" ({value.dtype})" if value.kind == NDARRAY and value.dtype else ""
                alias = ""
                if value.kind == NDARRAY:
                    forced = forced_dtype(name) or "float32"
                    if value.dtype == forced:
                        alias = "; it shares memory with the array"
                    elif value.dtype:
                        alias = "; it copies"
                msg = f"`{ctor}` forces {what}, {data}{src}, to {dtype}{alias}"
                fix = self.make_fix(analysis, ctx, fact, name, arg)
            elif value.kind == UNKNOWN:
                msg = (f"`{ctor}({ctx.code(arg.value).strip()[:30]})` converts {what} to {dtype} if it is data, "
                       f"but allocates uninitialised memory of that size if it is an integer; "
                       "use `torch.as_tensor(x, dtype=...)` or `torch.empty(n)`")
            else:
                continue
            ctx.report(fact.node, msg, fix=fix)

    def make_fix(self, analysis, ctx, fact, name: str, arg):
        import libcst as cst

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
