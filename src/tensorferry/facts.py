"""Abstract values: what a name or expression holds. Immutable, cheap to join.

A :class:`Value` is a small record of facts that were *proven* from the code: the kind of
object (ndarray, tensor, nn.Module, an imported torch/numpy name, ...), its device, whether it
requires grad, its dtype, and a buffer identity (``buf``): two values with the same ``buf``
share memory. Unknown stays unknown (``None`` fields), and a join of two different facts is
unknown, so rules that need a fact only fire where every path agrees.
"""

from __future__ import annotations

import itertools

from operator import itemgetter

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (loaded on every run)
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

# kinds
UNKNOWN = "unknown"
NDARRAY = "ndarray"
TENSOR = "tensor"
NNMODULE = "nnmodule"
REF = "ref"  # an imported name: torch, numpy.float32, torch.nn.Linear ...
CLASS = "class"  # a class defined in this file
FUNCTION = "function"
DEVICE = "device"
INT = "int"
FLOAT = "float"
STR = "str"
BOOL = "bool"
NONE = "none"
LIST = "list"
TUPLE = "tuple"
DICT = "dict"
SIZE = "size"  # torch.Size / .shape
GRADCTX = "gradctx"  # torch.no_grad() & co; const = "off" | "on" | None
PARAMS = "params"  # model.parameters()

ARRAYLIKE = (NDARRAY, TENSOR)

# devices
CPU = "cpu"
ACCEL = "accel"
MAYBE = "maybe"
META = "meta"  # not CPU and not an accelerator: no data, `.numpy()` fails like on CUDA

_buf_ids = itertools.count(1)


def new_buf() -> int:
    return next(_buf_ids)


_FIELDS = ("kind", "qual", "device", "grad", "dtype", "buf", "const", "elem", "elts", "flags",
           "grad_node", "grad_why", "device_node", "device_why", "dtype_node", "info", "origins")


class Value(tuple):
    """The fields (all optional, by keyword or in this order):

    * ``kind`` (``UNKNOWN`` by default), ``qual`` (the resolved name of a REF), ``device``,
      ``grad`` ("yes" | "no"), ``dtype``, ``buf`` (a buffer identity), ``const``;
    * ``elem``: the homogeneous element of a list/tuple/params; ``elts``: tuple elements, when
      known;
    * ``flags`` (a frozenset): "param", "negstride", "readonly", "via_data";
    * evidence, for messages: ``grad_node`` / ``grad_why`` and ``device_node`` / ``device_why``
      (the node that proved grad / device, and a short phrase); ``dtype_node`` (the call that
      fixed the dtype: a numpy default, a conversion); ``origins``, (flag, node) pairs for
      flags, e.g. ("negstride", the `a[::-1]` subscript);
    * ``info``: CLASS: ClassInfo; NNMODULE: parametric flag etc.

    Built on every step of the analysis (about 130000 times on every 10th file of the benchmark
    corpus), so it is an immutable tuple with named fields, like a ``namedtuple``: made by one
    call into C (less than half the time of setting 17 slots), compared and hashed by the
    tuple's own C code, over every field.
    """

    __slots__ = ()

    def __new__(cls, kind: str = UNKNOWN, qual: str | None = None, device: str | None = None,
                grad: str | None = None, dtype: str | None = None, buf: int | None = None,
                const: Any = None, elem: "Value | None" = None,
                elts: "tuple[Value, ...] | None" = None, flags: frozenset = frozenset(),
                grad_node: Any = None, grad_why: str | None = None, device_node: Any = None,
                device_why: str | None = None, dtype_node: Any = None, info: Any = None,
                origins: tuple = ()) -> "Value":
        return _new(cls, (kind, qual, device, grad, dtype, buf, const, elem, elts, flags,
                          grad_node, grad_why, device_node, device_why, dtype_node, info, origins))

    def __getnewargs__(self) -> tuple:  # pickle and copy pass the fields back in order
        return tuple(self)

    def __repr__(self) -> str:
        fields = ", ".join(f"{f}={v!r}" for f, v in zip(_FIELDS, self))
        return f"Value({fields})"

    def with_(self, **kw: Any) -> "Value":
        """A copy with the fields in ``kw`` replaced."""
        if not _FIELD_SET.issuperset(kw):
            raise TypeError(f"Value has no field {sorted(set(kw) - _FIELD_SET)[0]!r}")
        return _new(Value, [kw[f] if f in kw else v for f, v in zip(_FIELDS, self)])

    @property
    def is_array(self) -> bool:
        return self.kind in ARRAYLIKE

    @property
    def is_param(self) -> bool:
        return "param" in self.flags


_new = tuple.__new__
_FIELD_SET = frozenset(_FIELDS)
try:  # each field read by index, in C, as `namedtuple` reads its fields
    from _collections import _tuplegetter
except ImportError:  # pragma: no cover  (an interpreter without it)
    def _tuplegetter(index: int, doc: str):
        return property(itemgetter(index), doc=doc)
for _i, _f in enumerate(_FIELDS):
    setattr(Value, _f, _tuplegetter(_i, f"field {_i}: {_f}"))
del _i, _f


TOP = Value()


def _join_field(a: Any, b: Any) -> Any:
    return a if a == b else None


def join_device(a: str | None, b: str | None) -> str | None:
    if a == b:
        return a
    if a is None or b is None:
        return None
    return MAYBE  # cpu with accel, or anything with maybe


def _may_flags(a: Value, b: Value) -> tuple[frozenset, tuple]:
    """A negative stride proven on some paths only: "maynegstride", with the evidence of those paths."""
    either = (a.flags | b.flags) & {"negstride", "maynegstride"}
    if not either or ("negstride" in a.flags and "negstride" in b.flags):
        return frozenset(), ()
    origins = tuple(o for o in a.origins if o[0] in either) + tuple(
        o for o in b.origins if o[0] in either and o not in a.origins)
    return frozenset({"maynegstride"}), origins


def join(a: Value | None, b: Value | None) -> Value:
    if a is None:
        return b if b is not None else TOP
    if b is None or a is b:
        return a
    if a == b:
        return a
    if a.kind != b.kind:
        # `try: import torch / except ImportError: torch = None` keeps torch usable
        if a.kind == NONE and b.kind in (REF, CLASS):
            return b
        if b.kind == NONE and a.kind in (REF, CLASS):
            return a
        if {a.kind, b.kind} <= {STR, DEVICE}:
            return Value(kind=DEVICE, device=join_device(a.device, b.device))
        may, may_origins = _may_flags(a, b)
        if may:
            return Value(flags=may, origins=may_origins)
        return TOP
    grad = _join_field(a.grad, b.grad)
    device = join_device(a.device, b.device)
    dsrc = _device_evidence(a, b, device)
    elem = join(a.elem, b.elem) if (a.elem is not None and b.elem is not None) else None
    if a.kind == LIST and elem is None:
        # an empty list literal on one path: every element comes from the other path
        if a.const == 0 and a.elem is None:
            elem = b.elem
        elif b.const == 0 and b.elem is None:
            elem = a.elem
    return Value(
        kind=a.kind,
        qual=_join_field(a.qual, b.qual),
        device=device,
        grad=grad,
        dtype=_join_field(a.dtype, b.dtype),
        buf=_join_field(a.buf, b.buf),
        const=_join_field(a.const, b.const),
        elem=elem,
        elts=a.elts if a.elts == b.elts else None,
        flags=(a.flags & b.flags) | _may_flags(a, b)[0],
        grad_node=a.grad_node if grad else None,
        grad_why=a.grad_why if grad else None,
        device_node=dsrc.device_node if dsrc is not None else None,
        device_why=_joined_device_why(dsrc, device),
        info=a.info if a.info is b.info else None,
        origins=(tuple(o for o in a.origins if o in b.origins) if a.origins and b.origins else ())
        + _may_flags(a, b)[1],
        dtype_node=a.dtype_node if a.dtype_node is b.dtype_node else None,
    )


def _device_evidence(a: Value, b: Value, device: str | None) -> Value | None:
    """The side whose device evidence explains a joined device (for a cpu/accel join: the accel side)."""
    if not device:
        return None
    if a.device == device:
        return a
    if b.device == device:
        return b
    return a if a.device not in (CPU, None) else b


def _joined_device_why(src: Value | None, device: str | None) -> str | None:
    if src is None or src.device_why is None:
        return None
    if src.device != device and device == MAYBE and not src.device_why.startswith("on some paths"):
        return "on some paths " + src.device_why
    return src.device_why


def device_of_string(s: str) -> str | None:
    s = s.strip().lower()
    base = s.split(":", 1)[0]
    if base == "cpu":
        return CPU
    if base in ("cuda", "mps", "xpu", "hpu", "npu", "xla", "mtia", "privateuseone"):
        return ACCEL
    if base == "meta":
        return META
    return None


# --- dtype vocabulary -------------------------------------------------------------------------

TORCH_DTYPES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "bfloat16": "bfloat16",
    "int64": "int64", "long": "int64", "int32": "int32", "int": "int32", "int16": "int16",
    "short": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool",
    "complex64": "complex64", "cfloat": "complex64", "complex128": "complex128",
    "cdouble": "complex128", "complex32": "complex32", "chalf": "complex32",
    "float8_e4m3fn": "float8_e4m3fn", "float8_e5m2": "float8_e5m2",
    "float8_e4m3fnuz": "float8_e4m3fnuz", "float8_e5m2fnuz": "float8_e5m2fnuz",
    "uint16": "uint16", "uint32": "uint32", "uint64": "uint64",
    "quint8": "quint8", "qint8": "qint8", "qint32": "qint32", "quint4x2": "quint4x2",
}
NUMPY_DTYPES = {
    "float32": "float32", "single": "float32", "float64": "float64", "double": "float64",
    "float_": "float64", "float16": "float16", "half": "float16", "int64": "int64",
    "int32": "int32", "int16": "int16", "int8": "int8", "uint8": "uint8", "uint16": "uint16",
    "uint32": "uint32", "uint64": "uint64", "bool_": "bool", "bool": "bool",
    "complex64": "complex64", "complex128": "complex128", "longdouble": "longdouble",
    "object_": "object", "str_": "str", "bytes_": "bytes", "datetime64": "datetime64",
    "timedelta64": "timedelta64", "intp": "int64", "int_": "int64",
    "float128": "longdouble", "clongdouble": "clongdouble", "complex256": "clongdouble",
    "ulonglong": "ulonglong", "void": "void", "bytes0": "bytes", "str0": "str",
}
DTYPE_STRINGS = {
    "float32": "float32", "f4": "float32", "float64": "float64", "f8": "float64", "float": "float64",
    "float16": "float16", "f2": "float16", "int64": "int64", "i8": "int64", "int32": "int32",
    "i4": "int32", "int16": "int16", "int8": "int8", "uint8": "uint8", "u1": "uint8",
    "bool": "bool", "int": "int64", "object": "object", "O": "object",
    "complex64": "complex64", "c8": "complex64", "complex128": "complex128", "c16": "complex128",
    "u2": "uint16", "u4": "uint32", "u8": "uint64", "i2": "int16", "i1": "int8",
    "longdouble": "longdouble", "float128": "longdouble", "f16": "longdouble", "g": "longdouble",
    "str": "str", "U": "str", "bytes": "bytes", "S": "bytes", "datetime64": "datetime64",
    "M8": "datetime64", "timedelta64": "timedelta64", "m8": "timedelta64",
}
# numpy dtypes that torch.from_numpy / torch.tensor reject (runtime-facts section 6)
NUMPY_UNSUPPORTED = {"object", "str", "bytes", "longdouble", "clongdouble", "datetime64",
                     "timedelta64", "ulonglong", "void"}
# torch dtypes that Tensor.numpy() rejects (runtime-facts section 6)
TORCH_NO_NUMPY = {"bfloat16", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz", "float8_e5m2fnuz",
                  "complex32", "quint8", "qint8", "qint32", "quint4x2"}
# the dtype a legacy constructor forces, None = the default dtype
LEGACY_CONSTRUCTORS = {
    "Tensor": None, "FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
    "BFloat16Tensor": "bfloat16", "ByteTensor": "uint8", "CharTensor": "int8",
    "ShortTensor": "int16", "IntTensor": "int32", "LongTensor": "int64", "BoolTensor": "bool",
}
DTYPE_NAMES_TORCH = {
    "float32": "float32", "float64": "float64", "float16": "float16", "bfloat16": "bfloat16",
    "uint8": "uint8", "int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64",
    "bool": "bool",
}
FLOAT_DTYPES = {"float16", "bfloat16", "float32", "float64"}
INT_DTYPES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"}
