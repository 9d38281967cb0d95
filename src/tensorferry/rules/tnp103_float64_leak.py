from __future__ import annotations

from tensorferry.facts import NDARRAY, NNMODULE, REF, TENSOR, TUPLE
from tensorferry.rules._triggers import TORCH, NUMPY, TORCH_CONVERSIONS, torch_conversion
from tensorferry.rules.base import Rule, RuleDocs

CONVERSIONS = TORCH_CONVERSIONS  # the torch functions that turn an ndarray into a tensor
# where a float64 tensor meeting a float32 tensor promotes or raises (not casts like `copy_`,
# `type_as`, `to(other)` or shape-only uses like `view_as`, `expand_as`, `zeros_like`)
COMPUTE = {"add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "matmul",
           "mm", "bmm", "mv", "dot", "addmm", "baddbmm", "addmv", "cdist", "where", "maximum",
           "minimum", "pow", "atan2", "lerp", "dist", "cross", "kron", "outer", "inner",
           "tensordot", "linear", "bilinear", "conv1d", "conv2d", "conv3d", "rsub", "fmod",
           "remainder", "hypot", "__add__", "__sub__", "__mul__", "__truediv__", "__matmul__",
           "__radd__", "__rsub__", "__rmul__", "__rtruediv__", "__rmatmul__"}
# references that show a file works in double on purpose
DOUBLE_REFS = {"torch.float64", "torch.double", "torch.DoubleTensor", "torch.cuda.DoubleTensor"}


class Float64Leak(Rule):
    code = "TNP103"
    name = "float64-leak"
    summary = "a float64 array converted without a dtype meets float32 weights or tensors"
    fix_availability = "sometimes"
    fix_applicability = "unsafe"
    # torch.from_numpy / as_tensor / asarray / tensor of a float64 ndarray
    triggers = ((TORCH, NUMPY, TORCH_CONVERSIONS),)
    @classmethod
    def gate(cls, syntax) -> bool:
        # a numpy -> torch conversion call
        return torch_conversion(syntax, TORCH_CONVERSIONS)

    docs = RuleDocs(
        what="""
Flags `torch.from_numpy(a)`, `torch.as_tensor(a)`, `torch.tensor(a)` and `torch.asarray(a)`
without `dtype=` where `a` is a float64 array (numpy's default: `np.random.rand`, `np.zeros`,
`np.linspace`, `np.array([0.5, ...])`, float `np.arange`/`np.full`, `mean`/`std` of integers,
division) **and** the code in front of us shows that the tensor belongs to float32 code:

* it is passed to a module with parameters (`nn.Linear`, `nn.Conv2d`, a local `nn.Module`
  subclass with parameters, `model.forward(...)`), which are float32;
* it meets a float32 tensor in a torch function, a module without parameters (a loss) or a
  tensor method: `F.mse_loss(model(x), y)`, `criterion(out, y)`, `torch.matmul(x, w)`;
* it is returned from `__getitem__` of a `torch.utils.data.Dataset` subclass or from a
  `collate` function (a function passed as `collate_fn=` or with `collate` in its name): by
  convention those feed float32 models, and the DataLoader keeps float64.

Files that work in double on purpose are not reported: a file that calls
`torch.set_default_dtype(...)` with float64, calls `.double()`, or names `torch.float64` /
`torch.double` anywhere (as a model's dtype, a tensor's dtype, a comparison).
""",
        why="""
`torch.from_numpy`, `as_tensor`, `tensor` and `asarray` keep numpy's dtype, and numpy's default
is float64 while torch's is float32. A float64 batch fed to float32 weights raises
`RuntimeError: mat1 and mat2 must have the same dtype, but got Double and Float` (Linear),
`Input type (double) and bias type (float) should be the same` (convolutions) or
`mixed dtype (CPU): all inputs must share same datatype` (norms). Worse, where torch promotes
instead of failing, it is silent: `F.mse_loss(float32_pred, float64_target)`, `F.l1_loss`,
`binary_cross_entropy_with_logits` and `x64 + f32` return float64, so the loss and its
backward run in double (slower, twice the memory) and results differ between the numpy and
the torch data paths.
""",
        example="""
model = nn.Linear(4, 1)
x = torch.from_numpy(np.random.rand(8, 4))   # float64
y = torch.as_tensor(np.random.rand(8, 1))    # float64
loss = F.mse_loss(model(x.float()), y)       # float64 loss, no error
""",
        use_instead="""
model = nn.Linear(4, 1)
x = torch.from_numpy(np.random.rand(8, 4)).float()
y = torch.as_tensor(np.random.rand(8, 1), dtype=torch.float32)
loss = F.mse_loss(model(x), y)               # float32
""",
        fix_safety="""
The fix appends `.float()` to `torch.from_numpy(a)` and adds `dtype=torch.float32` to
`as_tensor`, `tensor` and `asarray`. Every form gives identical float32 values (runtime-facts
section 8), but the values are rounded from float64 (max |delta| 2.2e-8 for U(0,1) data), the
result no longer shares memory with a float64 array, and code after it that expected float64
changes, so the fix is **unsafe**. No fix is offered when the call already has `device=`,
`copy=` or `*args`, or spans several lines.
""",
        references=(
            "[torch.from_numpy](https://pytorch.org/docs/stable/generated/torch.from_numpy.html)",
            "[Type promotion](https://pytorch.org/docs/stable/tensor_attributes.html#type-promotion-doc)",
            "runtime-facts.md section 8 (float64 leaking into float32 models)",
        ),
        known_limits="""
The flow is followed inside one function (and through `self.` attributes set in `__init__`):
a float64 tensor returned by a helper and used elsewhere is not seen. Arithmetic (`x64 + f32`)
and concatenation (`torch.cat([f32, x64])`, which promotes to float64) are not meeting points;
the tensor must reach a module, a computing torch function or a tensor method next to a float32
tensor. An array's dtype must be numpy's default or a dtype the analysis recognises: a `dtype`
argument it cannot resolve (`np.empty(shape, dtype=dtype)` with `dtype` a parameter) makes the
dtype unknown, and the conversion is not reported. `.to(x)` with an unknown `x` may change the dtype and ends the
tracking (a name containing `device` is read as a device for modules). A module's parameters
are assumed float32 unless `.double()` / `.to(torch.float64)` is seen, which also silences the
whole file. Datasets that do not subclass `torch.utils.data.Dataset` are not recognised.
""",
    )

    def check(self, analysis, ctx) -> None:
        if _works_in_double(analysis):
            return
        conversions = {}
        for fact in analysis.calls:
            if _is_leaky_conversion(fact):
                conversions[id(fact.node)] = fact
        if not conversions:
            return
        found: dict[int, tuple] = {}  # conversion node id -> (meeting node, description)

        def note(value, node, what):
            if value.kind == TENSOR and value.dtype == "float64" and value.dtype_node is not None:
                key = id(value.dtype_node)
                if key in conversions and key not in found:
                    found[key] = (node, what)

        for fact in analysis.calls:
            self.meetings(analysis, fact, note)
        collates = _collate_functions(analysis)
        for scope, expr, value in analysis.returns:
            where = _sample_function(scope, collates)
            if where is None:
                continue
            for v, n in _returned_parts(analysis, expr, value):
                note(v, n, f"is returned from {where}; samples feed float32 models by convention "
                           f"and the DataLoader keeps float64")
        for key, (node, what) in sorted(found.items(), key=lambda kv: conversions[kv[0]].order):
            fact = conversions[key]
            self.report(analysis, ctx, fact, node, what)

    def meetings(self, analysis, fact, note) -> None:
        func_value = analysis.value_of(fact.node.func)
        module = None
        if func_value.kind == NNMODULE:
            module = func_value
        elif fact.method == "forward" and fact.recv is not None and fact.recv.kind == NNMODULE:
            module = fact.recv
        tensors = [(v, a.value) for kw, v, a in fact.args if kw not in ("*", "**") and v.kind == TENSOR]
        if module is not None:
            parametric = module.info == "parametric" or getattr(module.info, "parametric", False)
            if parametric and module.dtype == "float32":
                for v, n in tensors:
                    note(v, fact.node, "is passed to a module with float32 parameters (a dtype "
                                       "mismatch error)")
                return
        if module is None:
            qual = fact.qual or ""
            if qual.startswith("torch."):
                fname = qual.rsplit(".", 1)[-1]
                if not (qual.startswith("torch.nn.functional.") or fname in COMPUTE):
                    return
            elif fact.recv is not None and fact.recv.kind == TENSOR and fact.recv_node is not None:
                if fact.method not in COMPUTE:
                    return
                tensors.append((fact.recv, fact.recv_node))
            else:
                return
        f32 = [v for v, _ in tensors if v.dtype == "float32"]
        if not f32:
            return
        call = f"`{_short(analysis, fact.node.func).strip('`')}(...)`" if module is not None else (
            f"`{fact.qual.replace('torch.nn.functional.', 'F.')}`" if fact.qual else f"`.{fact.method}()`")
        for v, n in tensors:
            note(v, fact.node, f"meets a float32 tensor in {call} (float64 promotion or a dtype error)")

    def report(self, analysis, ctx, fact, meet_node, what) -> None:
        from tensorferry.family import cst

        src_value, src_arg = fact.positional()[0]
        src = _short(ctx, src_arg.value)
        inner = src.strip("`") if src.startswith("`") else "..."
        conv = f"{ctx.code(fact.node.func).strip()}({inner})"
        name = fact.qual.rsplit(".", 1)[-1]
        if src_value.dtype_node is not None:
            made = _short(ctx, src_value.dtype_node).replace("numpy.", "np.")
            origin = (f"numpy's default for {made}" if src_value.dtype_node is src_arg.value else
                      f"{src} is float64, numpy's default for {made}") + f" on line {ctx.line(src_value.dtype_node)}"
        else:
            origin = f"{src} is a float64 array"
        msg = (f"`{conv}` makes a float64 tensor ({origin}) and the tensor {what} "
               f"on line {ctx.line(meet_node)}; convert with "
               + ("`.float()`" if name == "from_numpy" else "`dtype=torch.float32`"))
        fix = None
        keywords = [kw for kw, _, _ in fact.args if kw is not None]
        code = ctx.code(fact.node)
        if not keywords and "\n" not in code and isinstance(fact.node.func, (cst.Attribute, cst.Name)):
            torch_expr = (ctx.code(fact.node.func.value).strip() if isinstance(fact.node.func, cst.Attribute)
                          else analysis.torch_alias())
            if name == "from_numpy":
                fix = ctx.fix("unsafe", "Append `.float()` (rounds to float32)", ctx.replace(fact.node, f"{code}.float()"))
            elif torch_expr is not None:
                args = [a.with_changes(comma=cst.MaybeSentinel.DEFAULT) for a in fact.node.args]
                args.append(cst.Arg(keyword=cst.Name("dtype"), value=cst.parse_expression(f"{torch_expr}.float32"),
                                    equal=cst.AssignEqual(whitespace_before=cst.SimpleWhitespace(""),
                                                          whitespace_after=cst.SimpleWhitespace(""))))
                new = fact.node.with_changes(args=args, lpar=[], rpar=[])
                fix = ctx.fix("unsafe", f"Add `dtype={torch_expr}.float32` (rounds to float32)",
                              ctx.replace(fact.node, new))
        ctx.report(fact.node, msg, fix=fix)


def _short(ctx, node) -> str:
    """`name`, `self.data[idx]`, `np.random.rand(...)`: short source text for messages."""
    from tensorferry.family import cst

    code_of = ctx.code  # a Context, or the Analysis
    if isinstance(node, cst.Call):
        return f"`{code_of(node.func).strip()}(...)`"
    text = code_of(node).strip()
    if len(text) > 40 or "\n" in text:
        return "the array"
    return f"`{text}`"


def _is_leaky_conversion(fact) -> bool:
    if not fact.qual or not fact.qual.startswith("torch."):
        return False
    if fact.qual[6:] not in CONVERSIONS or fact.has_star:
        return False
    if "dtype" in fact.keywords():
        return False
    pos = fact.positional()
    return (len(pos) >= 1 and pos[0][0].kind == NDARRAY and pos[0][0].dtype == "float64"
            and fact.result.kind == TENSOR and fact.result.dtype == "float64")


def _works_in_double(analysis) -> bool:
    for v in analysis.values.values():
        if v.kind == REF and v.qual in DOUBLE_REFS:
            return True
    for fact in analysis.calls:
        if fact.method == "double" and not fact.args:
            return True
    return False


def _collate_functions(analysis) -> set[int]:
    out = set()
    for fact in analysis.calls:
        if fact.qual and fact.qual.startswith("torch.utils.data") and fact.qual.endswith("DataLoader"):
            kw = fact.keywords().get("collate_fn")
            if kw is not None and kw[0].info is not None:
                out.add(id(kw[0].info))
    return out


def _sample_function(scope, collates: set[int]) -> str | None:
    if scope is None or scope.kind != "function" or scope.node is None:
        return None
    cls = scope.cls
    if scope.name == "__getitem__" and cls is not None and getattr(cls, "is_dataset", False):
        return f"`{cls.name}.__getitem__` (a Dataset)"
    if id(scope.node) in collates or "collate" in scope.name.lower():
        return f"the collate function `{scope.name}`"
    return None


def _returned_parts(analysis, expr, value):
    """The tensors a `return` hands out: the value itself, tuple/list items, dict values."""
    from tensorferry.family import cst

    yield value, expr
    if isinstance(expr, (cst.Tuple, cst.List)):
        for el in expr.elements:
            yield analysis.value_of(el.value), el.value
    elif isinstance(expr, cst.Dict):
        for el in expr.elements:
            if isinstance(el, cst.DictElement):
                yield analysis.value_of(el.value), el.value
    elif value.kind == TUPLE and value.elts:
        for v in value.elts:
            yield v, expr
