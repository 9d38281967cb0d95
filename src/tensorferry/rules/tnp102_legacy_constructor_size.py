from __future__ import annotations

from tensorferry.facts import CPU, DEVICE, INT, SIZE, STR
from tensorferry.rules._common import forced_dtype, is_cuda_legacy, is_numpy_int, legacy_name
from tensorferry.rules._triggers import TORCH, LEGACY, torch_conversion, LEGACY_NAMES
from tensorferry.rules.base import Rule, RuleDocs


class LegacyConstructorSize(Rule):
    code = "TNP102"
    name = "legacy-constructor-size"
    summary = "`torch.Tensor(n)` allocates uninitialised memory of size n instead of holding the value n"
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
Flags legacy constructors called with sizes: `torch.Tensor(n)`, `torch.Tensor(2, 3)`,
`torch.LongTensor(len(xs))`, and arguments that the constructor reads as a size although they
look like data: numpy integer scalars, 0-d integer arrays and `torch.Size`.
""",
        why="""
`torch.Tensor(5)` is not `tensor([5.])`: it is an **uninitialised** float32 tensor of shape
`(5,)` whose values are whatever the allocator left there (one run gave
`[0.0, 0.0, 1.54e-44, 4.58e-41, 0.0]`). The same happens silently with `np.int64(3)` and
`np.array(3)`, which implement `__index__`, and with a `torch.Size`. Code that meant a value
trains on garbage; code that meant a size is better written with `torch.empty`.
""",
        example="""
count = len(samples)
buf = torch.Tensor(count)            # garbage values, shape (count,)
""",
        use_instead="""
count = len(samples)
buf = torch.empty(count)             # if a buffer of that size was meant
val = torch.tensor([count], dtype=torch.float32)  # if the value was meant
""",
        fix_safety="""
When every argument is provably a Python `int` (a literal, `len(...)`, `x.size(0)`,
`x.shape[0]`), the fix rewrites `torch.Tensor(n, m)` to `torch.empty(n, m)` and typed
constructors to `torch.empty(n, dtype=torch.<dtype>)`: equivalent (uninitialised, same dtype
and shape; runtime-facts section 1), so it is safe. For numpy scalars, 0-d arrays and
`torch.Size` no fix is offered: the message shows both readings and you choose. Nor is one
offered when a `device=` other than a literal CPU device is passed: the legacy constructors raise
`legacy constructor expects device type: cpu` there, while `torch.empty` would succeed.
""",
        known_limits="""
Not reported when a size is the literal `0` (`torch.Tensor(0)`, a common placeholder that frees
memory): a tensor without elements holds no uninitialised values.
""",
        references=("runtime-facts.md section 1 (sizes versus data)",),
    )

    def check(self, analysis, ctx) -> None:
        seen: set[int] = set()
        for fact in analysis.calls:
            name = legacy_name(fact)
            if name is None or id(fact.node) in seen or fact.has_star:
                continue
            pos = fact.positional()
            if not pos:
                continue
            kinds = []
            for value, arg in pos:
                if value.kind == INT:
                    kinds.append("int")
                elif value.kind == SIZE:
                    kinds.append("size")
                elif is_numpy_int(value):
                    kinds.append("npint")
                elif len(pos) > 1:
                    kinds.append("unknown")
                else:
                    kinds.append(None)
            if None in kinds:
                continue
            if any(value.kind == INT and value.const == 0 for value, _ in pos):
                continue  # a zero-size tensor has no elements, so nothing is left uninitialised
            seen.add(id(fact.node))
            ctor = f"torch.{'cuda.' if is_cuda_legacy(fact) else ''}{name}"
            args_text = ", ".join(ctx.code(a.value).strip() for _, a in pos)
            dtype = forced_dtype(name) or "float32"
            dtype_kw = f", dtype=torch.{dtype}"
            fix = None
            if all(k == "int" for k in kinds):
                empty_kw = dtype_kw if forced_dtype(name) else ""
                msg = (f"`{ctor}({args_text})` allocates an uninitialised {dtype} tensor of shape "
                       f"({args_text}{',' if len(pos) == 1 else ''}); use `torch.empty({args_text}{empty_kw})` "
                       f"for a buffer or `torch.tensor([{args_text}]{dtype_kw})` for the value")
                fix = self.make_fix(analysis, ctx, fact, name, args_text)
            else:
                msg = (f"`{ctor}({args_text})` reads its argument as a size and allocates uninitialised "
                       f"memory; if a value was meant use `torch.tensor(...)`, if a size `torch.empty(...)`")
            ctx.report(fact.node, msg, fix=fix)

    def make_fix(self, analysis, ctx, fact, name: str, args_text: str):
        from tensorferry.family import cst

        if "\n" in args_text:
            return None
        func = fact.node.func
        if isinstance(func, cst.Attribute):
            base = func.value
            if is_cuda_legacy(fact) and isinstance(base, cst.Attribute):
                base = base.value
            torch_expr = ctx.code(base).strip()
        else:
            torch_expr = analysis.torch_alias()
            if torch_expr is None:
                return None
        fixed = forced_dtype(name)
        extra = f", dtype={torch_expr}.{fixed}" if fixed else ""
        if is_cuda_legacy(fact):
            extra += ', device="cuda"'
        for kw, value, a in fact.args:
            if kw is None:
                continue
            # the legacy constructors raise for any device but their own; `torch.empty` would not
            if kw != "device" or is_cuda_legacy(fact) or value.kind not in (STR, DEVICE) or value.device != CPU:
                return None
            extra += f", {ctx.code(a).strip().rstrip(',')}"
        new = f"{torch_expr}.empty({args_text}{extra})"
        return ctx.fix("safe", f"Replace with `{torch_expr}.empty(...)`", ctx.replace(fact.node, new))
