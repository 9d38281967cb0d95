from __future__ import annotations

from tensorferry.facts import NDARRAY, NUMPY_UNSUPPORTED, TENSOR, TORCH_NO_NUMPY
from tensorferry.rules._numpy_calls import insert_before_numpy, numpy_conversions
from tensorferry.rules._triggers import TORCH, NUMPY, TORCH_CONVERSIONS, torch_conversion, numpy_conversion
from tensorferry.rules.base import Rule, RuleDocs

CONVERSIONS = TORCH_CONVERSIONS  # the torch functions that turn an ndarray into a tensor
QUANTIZED = {"quint8", "qint8", "qint32", "quint4x2"}
# numpy type names in torch's message ("can't convert np.ndarray of type numpy.object_")
NUMPY_TYPE_NAMES = {"object": "numpy.object_", "str": "numpy.str_", "bytes": "numpy.bytes_",
                    "longdouble": "numpy.longdouble", "clongdouble": "numpy.clongdouble",
                    "datetime64": "numpy.datetime64", "timedelta64": "numpy.timedelta64",
                    "ulonglong": "numpy.ulonglong", "void": "numpy.void"}
# native-order dtype strings for `astype` (big-endian arrays)
NATIVE_CODES = {"float16": "f2", "float32": "f4", "float64": "f8", "int16": "i2", "int32": "i4",
                "int64": "i8", "uint16": "u2", "uint32": "u4", "uint64": "u8", "complex64": "c8",
                "complex128": "c16"}
SCALAR_TYPE_NAMES = {"bfloat16": "BFloat16", "float8_e4m3fn": "Float8_e4m3fn",
                     "float8_e5m2": "Float8_e5m2", "float8_e4m3fnuz": "Float8_e4m3fnuz",
                     "float8_e5m2fnuz": "Float8_e5m2fnuz", "complex32": "ComplexHalf",
                     "quint8": "QUInt8", "qint8": "QInt8", "qint32": "QInt32", "quint4x2": "QUInt4x2"}


class UnsupportedDtype(Rule):
    code = "TNP104"
    name = "unsupported-dtype"
    summary = "`.numpy()` of bfloat16/float8/complex32/quantized tensors and `from_numpy` of object, string, datetime, longdouble or big-endian arrays raise"
    fix_availability = "sometimes"
    fix_applicability = "safe"
    # `.numpy()` / np.asarray(t) of a tensor whose dtype numpy lacks (named in the file) or a torch
    # conversion of an ndarray whose dtype torch lacks (named in the file)
    triggers = (
        (NUMPY, ("bfloat16", "BFloat16", "float8", "complex32", "chalf", "qint", "quint")),
        (TORCH, NUMPY, TORCH_CONVERSIONS, (
            "object", "str", "bytes", "datetime64", "timedelta64", "longdouble", "float128",
            "clongdouble", "complex256", "ulonglong", "void", "M8", "m8", "f16",
            "'>", '">', "'O", '"O', "|O", "'U", '"U', "<U", "|U", ">U", "=U", "'S", '"S', "<S", "|S",
            ">S", "=S", "'M[", '"M[', "'m[", '"m[', "g'", 'g"')),
    )
    @classmethod
    def gate(cls, syntax) -> bool:
        # a conversion call, either way
        return numpy_conversion(syntax) or torch_conversion(syntax, TORCH_CONVERSIONS)

    docs = RuleDocs(
        what="""
Flags conversions that always fail because the other library has no such dtype:

* `t.numpy()`, `t.numpy(force=True)`, `np.asarray(t)`, `np.array(t)` where `t` is provably
  bfloat16, a float8 type, complex32 (`chalf`) or quantized (`quint8`, `qint8`, `qint32`,
  `quint4x2`): made with `dtype=torch.bfloat16`, `.bfloat16()`, `.to(torch.bfloat16)`,
  `.type(...)`, `torch.quantize_per_tensor(...)`, or the output of a module converted with
  `.bfloat16()` / `.to(torch.bfloat16)`;
* `torch.from_numpy(a)`, `torch.as_tensor(a)`, `torch.tensor(a)`, `torch.asarray(a)` where `a` is
  provably an object, string (`str_`, `bytes_`), datetime64/timedelta64, longdouble/float128,
  clongdouble, `ulonglong` or void array, or a big-endian array (`'>f4'`, `'>i8'`): made with
  `dtype=object`, `dtype=str`, `dtype='datetime64[ns]'`, `.astype('>f4')` and the like.
""",
        why="""
NumPy has no bfloat16, float8, complex32 or quantized dtypes, so `Tensor.numpy()` raises
`TypeError: Got unsupported ScalarType BFloat16` (`Float8_e4m3fn`, `ComplexHalf`, `QUInt8`), also
with `force=True`. Mixed-precision code that works with float32 crashes at the first metric or
plot once the model runs in bfloat16. In the other direction torch has no object, string,
datetime or extended-precision dtypes: `TypeError: can't convert np.ndarray of type
numpy.object_. The only supported types are: float64, float32, ...`, and it does not convert
byte order: `ValueError: given numpy array has byte order different from the native byte order`.
`torch.tensor` and `torch.as_tensor` raise the same errors, with or without `dtype=`.
""",
        example="""
model = model.to(torch.bfloat16)
logits = model(x.bfloat16())
probs = logits.softmax(-1).detach().numpy()          # TypeError: ... BFloat16

raw = np.fromfile(path, dtype=">f4")
signal = torch.from_numpy(raw)                       # ValueError: byte order
""",
        use_instead="""
probs = logits.softmax(-1).detach().float().numpy()

signal = torch.from_numpy(raw.astype("=f4"))
""",
        fix_safety="""
The original always raises, so any working rewrite is safe. For bfloat16 and float8 the fix
inserts `.float()` before the conversion (float32 holds every bfloat16/float8 value exactly),
for complex32 it inserts `.to(torch.complex64)`, and for a big-endian array it converts the
argument with `.astype("=f4")` (the same type in native byte order; values are unchanged). No
fix is offered for quantized tensors (`.dequantize()` gives the real values,
`.int_repr()` the stored integers: the intent decides) or for object, string, datetime and
longdouble arrays, which need a decision about what the values mean.
""",
        references=(
            "[torch.Tensor.numpy](https://pytorch.org/docs/stable/generated/torch.Tensor.numpy.html)",
            "[torch.from_numpy](https://pytorch.org/docs/stable/generated/torch.from_numpy.html)",
            "runtime-facts.md section 6 (unsupported dtypes)",
        ),
        known_limits="""
The dtype must be proven in the function: a tensor from a helper, a checkpoint or a
`from_pretrained(..., torch_dtype=torch.bfloat16)` model (whose outputs are `ModelOutput`
objects) is unknown. Arrays whose dtype comes from data (`np.array(list_of_strings)`,
`np.load`, `pandas`) are unknown. `torch.autocast` regions are not modelled.
""",
    )

    def check(self, analysis, ctx) -> None:
        done: set[int] = set()
        for fact, t, tnode, kind in numpy_conversions(analysis):
            self.to_numpy(analysis, ctx, fact, t, tnode, kind, done)
        for fact in analysis.calls:
            if fact.method == "numpy" and fact.recv is not None and fact.recv.kind == TENSOR \
                    and "force" in fact.keywords():
                self.to_numpy(analysis, ctx, fact, fact.recv, fact.recv_node, "method", done)
            elif fact.qual and fact.qual.startswith("torch.") and fact.qual[6:] in CONVERSIONS:
                self.from_numpy(analysis, ctx, fact, done)

    def to_numpy(self, analysis, ctx, fact, t, tnode, kind, done) -> None:
        if t.dtype not in TORCH_NO_NUMPY or id(fact.node) in done or tnode is None:
            return
        if kind == "function" and fact.qual[6:] not in ("asarray", "array", "asanyarray"):
            return  # np.float32(t) & co go through float(t), not always through __array__
        done.add(id(fact.node))
        name = _short(ctx, tnode)
        evidence = f" (set on line {ctx.line(t.dtype_node)})" if t.dtype_node is not None else ""
        call = "`.numpy()`" if kind == "method" else f"`{fact.qual.replace('numpy.', 'np.')}(...)`"
        scalar = SCALAR_TYPE_NAMES.get(t.dtype, t.dtype)
        fix = None
        if t.dtype in QUANTIZED:
            advice = "use `.dequantize()` for the values or `.int_repr()` for the stored integers"
        elif t.dtype == "complex32":
            torch_expr = analysis.torch_alias()
            advice = "convert with `.to(torch.complex64)` first"
            if torch_expr is not None:
                edit = insert_before_numpy(ctx, tnode, f".to({torch_expr}.complex64)")
                if edit is not None:
                    fix = ctx.fix("safe", f"Insert `.to({torch_expr}.complex64)`", edit)
        else:
            advice = "convert with `.float()` first"
            edit = insert_before_numpy(ctx, tnode, ".float()")
            if edit is not None:
                fix = ctx.fix("safe", "Insert `.float()`", edit)
        msg = (f"{call} raises TypeError: {name} is {t.dtype}{evidence} and NumPy has no such dtype "
               f"(`Got unsupported ScalarType {scalar}`); {advice}")
        ctx.report(fact.node, msg, fix=fix)

    def from_numpy(self, analysis, ctx, fact, done) -> None:
        pos = fact.positional()
        if not pos or id(fact.node) in done or fact.has_star:
            return
        value, arg = pos[0]
        if value.kind != NDARRAY or value.dtype is None:
            return
        dtype = value.dtype
        big_endian = dtype.startswith(">")
        if dtype not in NUMPY_UNSUPPORTED and not big_endian:
            return
        done.add(id(fact.node))
        name = _short(ctx, arg.value)
        conv = f"`{ctx.code(fact.node.func).strip()}(...)`"
        fix = None
        if big_endian:
            native = dtype[1:]
            msg = (f"{conv} raises ValueError: {name} is big-endian `{native}` and torch does not convert "
                   f"byte order; convert with `.astype(\"={NATIVE_CODES.get(native, '...')}\")` first")
            code = NATIVE_CODES.get(native)
            text = ctx.code(arg.value).strip()
            if code is not None and "\n" not in text:
                from tensorferry.family import cst

                simple = isinstance(arg.value, (cst.Name, cst.Attribute, cst.Call, cst.Subscript))
                new = f"{text if simple else f'({text})'}.astype(\"={code}\")"
                fix = ctx.fix("safe", f"Convert to native byte order with `.astype(\"={code}\")`",
                              ctx.replace(arg.value, new))
        else:
            msg = (f"{conv} raises TypeError: {name} is an array of dtype `{dtype}` (`can't convert np.ndarray of type "
                   f"{NUMPY_TYPE_NAMES.get(dtype, dtype)}`); convert the values to a numeric dtype first")
        ctx.report(fact.node, msg, fix=fix)


def _short(ctx, node) -> str:
    from tensorferry.family import cst

    if isinstance(node, cst.Call):
        return f"`{ctx.code(node.func).strip()}(...)`"
    text = ctx.code(node).strip()
    if len(text) > 40 or "\n" in text:
        return "the value"
    return f"`{text}`"
