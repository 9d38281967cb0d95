"""The shared analysis: one abstract interpretation per file that every rule reads.

Like pyflakes' binding model, this is the single place that knows what names hold. It walks
each scope's statements in order (module, functions, methods, lambdas, comprehensions) and
keeps, per name and per ``self.<attr>``, a :class:`~tensorferry.facts.Value`: kind, device,
requires_grad, dtype and memory identity. Imports resolve torch/numpy aliases through the same
bindings, so ``import torch as T`` works and shadowing (``def f(torch): ...``) is respected.

What rules read (:class:`Analysis`):

* ``calls``: every evaluated call with its resolved target, receiver and argument values, its
  result and the grad mode in force (a call inside a loop may appear once per iteration);
* ``writes``, ``loads``, ``escapes``, ``shares``: in-place writes, reads of names, values that
  leave the scope (returned, stored on an attribute or container, owned by a caller), and
  memory-sharing conversions, each with a program order and a branch path;
* ``value_of(node)`` for any evaluated expression.

Control flow: if/else and try/except join their states, loops are iterated to a fixpoint,
``return``/``raise``/``break``/``continue`` end a path. Grad mode follows ``with torch.no_grad()``,
``torch.inference_mode()``, ``torch.set_grad_enabled(...)`` and the matching decorators.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tensorferry import family
from tensorferry.facts import (
    ACCEL,
    BOOL,
    CLASS,
    CPU,
    DEVICE,
    DICT,
    DTYPE_STRINGS,
    FLOAT,
    FUNCTION,
    GRADCTX,
    INT,
    INT_DTYPES,
    LEGACY_CONSTRUCTORS,
    LIST,
    MAYBE,
    META,
    NDARRAY,
    NNMODULE,
    NONE,
    NUMPY_DTYPES,
    PARAMS,
    REF,
    SIZE,
    STR,
    TENSOR,
    TOP,
    TORCH_DTYPES,
    TUPLE,
    UNKNOWN,
    Value,
    device_of_string,
    join,
    new_buf,
)

# The node classes of the tree being analysed: libcst, or tensorferry.nodes for a tree built
# from CPython's (``Analyzer`` binds them; see tensorferry.family).
cst: Any = None

ON, OFF = "on", "off"
BUILTINS = {"len", "int", "float", "list", "tuple", "range", "enumerate", "zip", "next", "iter",
            "sorted", "reversed", "str", "bool", "isinstance", "issubclass", "super", "print",
            "max", "min", "sum", "abs", "round", "map", "filter", "dict", "set", "type", "getattr",
            "hasattr", "setattr", "id", "repr", "bytes", "object", "complex"}
# Python types used as dtypes: `np.array(x, dtype=object)`, `.astype(float)`
BUILTIN_DTYPES = {"builtins.float": "float64", "builtins.int": "int64", "builtins.bool": "bool",
                  "builtins.complex": "complex128", "builtins.object": "object",
                  "builtins.str": "str", "builtins.bytes": "bytes"}

# torch.nn classes whose instances own parameters (their outputs require grad)
PARAMETRIC_MODULES = {
    "Linear", "Bilinear", "LazyLinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d",
    "ConvTranspose2d", "ConvTranspose3d", "LazyConv1d", "LazyConv2d", "LazyConv3d",
    "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LayerNorm", "GroupNorm",
    "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "RMSNorm", "Embedding", "EmbeddingBag",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "Transformer", "TransformerEncoder",
    "TransformerDecoder", "TransformerEncoderLayer", "TransformerDecoderLayer",
    "MultiheadAttention", "PReLU",
}
CONTAINER_MODULES = {"Sequential", "ModuleList", "ModuleDict"}
GRAD_OFF_CONTEXTS = {"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                     "torch.autograd.grad_mode.no_grad", "torch.autograd.grad_mode.inference_mode"}
GRAD_ON_CONTEXTS = {"torch.enable_grad", "torch.autograd.enable_grad"}
SET_GRAD = {"torch.set_grad_enabled", "torch.autograd.set_grad_enabled",
            "torch.autograd.grad_mode.set_grad_enabled"}

TORCH_FLOAT_FACTORIES = {"zeros", "ones", "empty", "rand", "randn", "full", "linspace", "logspace",
                         "eye", "normal", "rand_like", "randn_like", "zeros_like", "ones_like",
                         "empty_like", "full_like", "empty_strided"}
TORCH_INT_FACTORIES = {"randint", "randperm", "randint_like"}
TORCH_NEW_TENSOR = TORCH_FLOAT_FACTORIES | TORCH_INT_FACTORIES | {"arange", "tensor", "as_tensor",
                                                                  "from_numpy", "asarray", "stack",
                                                                  "cat", "concat", "where"}
NUMPY_FLOAT64_FACTORIES = {"zeros", "ones", "empty", "linspace", "logspace", "eye", "identity",
                           "geomspace"}
# where a numpy function takes `dtype` positionally: `np.zeros(n, np.float32)`, `np.full(n, v, dt)`
NUMPY_DTYPE_POSITION = {"zeros": 1, "ones": 1, "empty": 1, "identity": 1, "eye": 3, "linspace": 5,
                        "logspace": 5, "geomspace": 4, "full": 2, "array": 1, "asarray": 1,
                        "asanyarray": 1, "ascontiguousarray": 1, "asfortranarray": 1, "zeros_like": 1,
                        "ones_like": 1, "empty_like": 1, "full_like": 2, "mean": 2, "std": 2, "var": 2,
                        "sum": 2, "cumsum": 2, "prod": 2, "nanmean": 2, "nanstd": 2, "nanvar": 2,
                        "nansum": 2, "frombuffer": 1, "fromfile": 1, "loadtxt": 1, "genfromtxt": 1,
                        "memmap": 1}
NUMPY_RANDOM_FLOAT = {"rand", "randn", "random", "random_sample", "uniform", "normal", "standard_normal",
                      "sample", "ranf", "beta", "gamma", "exponential"}
NUMPY_VIEW_FUNCS = {"flip": True, "fliplr": True, "flipud": True, "rot90": True,
                    "transpose": False, "reshape": False, "squeeze": False, "expand_dims": False,
                    "swapaxes": False, "moveaxis": False, "atleast_1d": False, "atleast_2d": False,
                    "atleast_3d": False}
TENSOR_VIEW_METHODS = {"view", "view_as", "reshape", "reshape_as", "t", "transpose", "permute",
                       "squeeze", "unsqueeze", "flatten", "unflatten", "expand", "expand_as",
                       "narrow", "select", "unfold", "movedim", "swapaxes", "as_strided",
                       "diagonal", "detach", "real", "imag", "view_as_real", "T", "mT", "H"}
NDARRAY_VIEW_METHODS = {"view", "reshape", "transpose", "squeeze", "swapaxes", "T", "real", "imag"}
INTEGER_RESULT_METHODS = {"argmax", "argmin", "argsort", "nonzero", "eq", "ne", "lt", "gt", "le", "ge",
                          "isnan", "isinf", "isfinite", "isneginf", "isposinf", "logical_and",
                          "logical_or", "logical_not", "logical_xor", "bool", "long", "int", "short",
                          "byte", "char", "sign", "signbit", "count_nonzero", "bincount",
                          "equal", "allclose", "isclose", "any", "all", "__eq__", "searchsorted"}
NON_TENSOR_METHODS = {"item", "tolist", "size", "dim", "ndimension", "numel", "nelement",
                      "data_ptr", "element_size", "is_contiguous", "stride", "storage_offset",
                      "get_device", "is_floating_point", "is_complex", "__len__", "untyped_storage",
                      "storage", "type", "backward", "register_hook", "retain_grad"}
DTYPE_CAST_METHODS = {"float": "float32", "double": "float64", "half": "float16",
                      "bfloat16": "bfloat16", "long": "int64", "int": "int32", "short": "int16",
                      "char": "int8", "byte": "uint8", "bool": "bool", "cfloat": "complex64",
                      "cdouble": "complex128"}
# numpy functions and ndarray methods that may return a numpy scalar (no axis, or a 1-d input)
NUMPY_REDUCTIONS = {"sum", "prod", "mean", "std", "var", "max", "min", "amax", "amin", "argmax",
                    "argmin", "median", "average", "dot", "vdot", "inner", "trace", "ptp", "norm",
                    "det", "count_nonzero", "nansum", "nanmean", "nanmax", "nanmin", "nanstd",
                    "nanvar", "nanmedian", "percentile", "quantile", "all", "any", "item"}
NDARRAY_INPLACE_METHODS = {"fill", "sort", "put", "resize", "itemset", "partition", "setfield"}
NUMPY_INPLACE_FUNCS = {"copyto": 0, "put": 0, "place": 0, "putmask": 0, "fill_diagonal": 0,
                       "put_along_axis": 0}
NUMPY_RANDOM_INPLACE = {"shuffle"}
DATASET_BASES = {"torch.utils.data.Dataset", "torch.utils.data.dataset.Dataset"}
# calls whose result is an immutable `bytes` object (a read-only buffer for np.frombuffer)
BYTES_METHODS = {"tobytes", "read", "getvalue", "encode", "digest", "read_bytes"}
# allocations whose contents are meant to be written next (a buffer being filled)
FILL_FACTORIES = {"empty", "zeros", "ones", "full", "empty_like", "zeros_like", "ones_like",
                  "full_like"}
# shape facts that survive `.detach()`, `.cpu()`, `.to()`, `.clone()` and `.numpy()`:
# "zerod" (a full reduction such as `t.sum()`), "flat1d" (`.flatten()`, `.view(-1)`, `.reshape(-1)`)
SHAPE_FLAGS = frozenset({"zerod", "flat1d"})
TENSOR_FULL_REDUCTIONS = {"sum", "mean", "prod", "max", "min", "norm", "std", "var", "median", "nansum",
                          "nanmean", "logsumexp"}
NOT_WRITE_UNDERSCORE = {"requires_grad_", "share_memory_", "retain_grad", "record_stream",
                        "pin_memory_", "__init_subclass__"}


def _is_none_module(v: Value) -> bool:
    return v.kind == NONE


@dataclass
class CallFact:
    node: cst.Call
    qual: str | None  # resolved imported target, e.g. "torch.from_numpy"
    method: str | None  # method name for calls on a non-imported receiver
    recv: Value | None
    recv_node: cst.BaseExpression | None
    args: list[tuple[str | None, Value, cst.Arg]]
    result: Value
    grad: str  # grad mode at the call: "on" | "off" | "maybe"
    order: int
    scope: "ScopeInfo"
    path: tuple = ()  # branch/loop path at the call, as in events

    def arg(self, index: int | None = None, keyword: str | None = None
            ) -> tuple[Value, cst.Arg] | None:
        pos = 0
        for kw, val, node in self.args:
            if kw is None:
                if index is not None and pos == index:
                    return val, node
                pos += 1
            elif keyword is not None and kw == keyword:
                return val, node
        return None

    def positional(self) -> list[tuple[Value, cst.Arg]]:
        return [(v, n) for kw, v, n in self.args if kw is None]

    def keywords(self) -> dict[str, tuple[Value, cst.Arg]]:
        return {kw: (v, n) for kw, v, n in self.args if kw and not kw.startswith("*")}

    @property
    def has_star(self) -> bool:
        return any(kw in ("*", "**") for kw, _, _ in self.args)


@dataclass
class ScopeInfo:
    name: str
    node: cst.CSTNode | None
    kind: str  # module | function | lambda | comprehension | class
    cls: Any = None  # ClassInfo of the class a method belongs to


@dataclass(frozen=True)
class Event:
    order: int
    path: tuple
    buf: int
    kind: str  # the side: ndarray | tensor
    node: cst.CSTNode
    name: str | None = None
    scope: Any = None


@dataclass(frozen=True)
class Share:
    order: int
    path: tuple
    buf: int
    direction: str  # "np->torch" | "torch->np"
    node: cst.CSTNode  # the conversion call
    src_kind: str
    src_name: str | None
    dst_name: str | None = None
    scope: Any = None


@dataclass(frozen=True)
class Store:
    """A value kept beyond its statement: appended to a container, set on an attribute, put in a
    container item, or `+=`-accumulated into a name (``how``: container | attribute | item |
    accumulate). ``carried``: for accumulate, the name holds the value from before the
    innermost loop, so each iteration adds to the previous iterations' result."""
    order: int
    path: tuple
    value: Value
    value_node: Any
    node: cst.CSTNode
    how: str
    grad: str
    scope: Any = None
    target: str | None = None
    carried: bool = False


@dataclass
class Analysis:
    module: cst.Module
    calls: list[CallFact] = field(default_factory=list)
    writes: list[Event] = field(default_factory=list)
    loads: list[Event] = field(default_factory=list)
    escapes: list[Event] = field(default_factory=list)
    shares: list[Share] = field(default_factory=list)
    stores: list[Store] = field(default_factory=list)
    values: dict[int, Value] = field(default_factory=dict)
    origins: dict[int, cst.CSTNode] = field(default_factory=dict)  # id(array Value) -> first expression
    subscripts: list[tuple[cst.Subscript, Value]] = field(default_factory=list)  # `call(...)[...]` of arrays
    param_side: dict[int, str] = field(default_factory=dict)  # buf -> side owned by a caller
    param_bufs: set[int] = field(default_factory=set)  # memory of the functions' parameters
    # buf -> (side, name, requires grad): memory of a `self.<attr>` set in __init__, seen by a method
    attr_side: dict[int, tuple[str, str, bool]] = field(default_factory=dict)
    # buf -> (order, scope) of an allocation by a filler factory (empty, zeros, ones, full)
    fills: dict[int, tuple[int, Any]] = field(default_factory=dict)
    modes: dict[int, str] = field(default_factory=dict)  # id(node) -> grad mode
    call_by_node: dict[int, list[CallFact]] = field(default_factory=dict)
    module_env: dict[str, Value] = field(default_factory=dict)
    returns: list[tuple[ScopeInfo, cst.BaseExpression, Value]] = field(default_factory=list)
    code_of: Any = None  # node -> its source text (``Analyzer.code_of``)

    def code(self, node: cst.CSTNode) -> str:
        """The source text of ``node`` (for messages)."""
        return self.code_of(node)

    def value_of(self, node: cst.CSTNode) -> Value:
        return self.values.get(id(node), TOP)

    def origin_of(self, value: Value) -> cst.CSTNode | None:
        """The first expression that evaluated to this very ndarray/tensor value (for messages)."""
        return self.origins.get(id(value))

    def facts_for(self, node: cst.CSTNode) -> list[CallFact]:
        return self.call_by_node.get(id(node), [])

    def torch_alias(self) -> str | None:
        """A module-level name bound to ``torch`` (for fixes that need one)."""
        for name, v in self.module_env.items():
            if v.kind == REF and v.qual == "torch" and "." not in name:
                return name
        return None

    def numpy_alias(self) -> str | None:
        for name, v in self.module_env.items():
            if v.kind == REF and v.qual == "numpy" and "." not in name:
                return name
        return None


@dataclass
class ClassInfo:
    name: str
    is_module: bool = False
    parametric: bool = False
    attrs: dict[str, Value] = field(default_factory=dict)
    is_dataset: bool = False  # a map-style torch.utils.data.Dataset subclass


@dataclass
class FuncInfo:
    node: cst.FunctionDef | cst.Lambda
    grad_off_decorator: bool = False


class State:
    __slots__ = ("env", "grad", "live")

    def __init__(self, env: dict[str, Value], grad: str, live: bool = True) -> None:
        self.env = env
        self.grad = grad
        self.live = live

    def copy(self) -> "State":
        return State(dict(self.env), self.grad, self.live)

    def same(self, other: "State") -> bool:
        return self.live == other.live and self.grad == other.grad and self.env == other.env


def join_states(states: list[State]) -> State:
    live = [s for s in states if s.live]
    if not live:
        s = states[0].copy() if states else State({}, ON)
        s.live = False
        return s
    if len(live) == 1:
        return live[0].copy()
    if len(live) == 2:
        env = _join_two(live[0].env, live[1].env)
        grad = live[0].grad if live[0].grad == live[1].grad else "maybe"
        return State(env, grad, True)
    keys = set().union(*(s.env.keys() for s in live))
    env = {}
    for k in keys:
        vals = [s.env.get(k) for s in live]
        if any(v is None for v in vals):
            # bound on some paths only: keep the facts of those paths (a read on the other
            # paths raises NameError), except for `self.` attributes
            present = [v for v in vals if v is not None]
            v = present[0]
            for other in present[1:]:
                v = join(v, other)
            if k.startswith("self.") and len(present) != len(vals):
                continue
            env[k] = v
        else:
            v = vals[0]
            for other in vals[1:]:
                v = join(v, other)
            env[k] = v
    grads = {s.grad for s in live}
    grad = grads.pop() if len(grads) == 1 else "maybe"
    return State(env, grad, True)


def _join_two(a: dict, b: dict) -> dict:
    """``join_states``' environment for two live states: the branches of an `if` share most of
    their values (the same objects), which is tested first."""
    env = {}
    for k, va in a.items():
        vb = b.get(k)
        if vb is va:
            env[k] = va
        elif vb is None or va is None:
            # bound on one path only: keep its facts, except for `self.` attributes
            if not k.startswith("self."):
                env[k] = va if vb is None else vb
        else:
            env[k] = join(va, vb)
    for k, vb in b.items():
        if k not in a and not k.startswith("self."):
            env[k] = vb
    return env


def _self_attr(t) -> str | None:
    """`x` for a target `self.x`."""
    if isinstance(t, cst.Attribute) and isinstance(t.value, cst.Name) and t.value.value == "self":
        return t.attr.value
    return None


def _self_attrs(t, out: set[str]) -> None:
    """Add the `self.<attr>` names a target assigns to ``out``, through tuple and list
    unpacking. (Iterative: a recursive closure would be a reference cycle per call.)"""
    stack = [t]
    while stack:
        t = stack.pop()
        if isinstance(t, (cst.Tuple, cst.List)):
            stack.extend(e.value for e in reversed(t.elements))
        else:
            name = _self_attr(t)
            if name:
                out.add(name)


def _method_statements(node: cst.ClassDef):
    """Every small statement of the class's methods other than ``__init__``, nested blocks and
    nested functions included (an assignment is always a small statement): a walk over
    statements, not a CSTVisitor, which would rebuild and revalidate every node of every method."""
    for stmt in node.body.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value != "__init__":
            yield from simple_statements(stmt.body)


def _str_const(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.SimpleString):
        return string_value(node.value)
    return None


# the characters after a backslash that `unicode_escape` decodes as Python does (`\N{...}` and
# invalid escapes, which warn, are left to `ast.literal_eval`)
_PLAIN_ESCAPES = frozenset("\\'\"abfnrtv01234567xuU\n")


def _plain_escapes(text: str) -> bool:
    i = text.find("\\")
    while i >= 0:
        if text[i + 1:i + 2] not in _PLAIN_ESCAPES:
            return False
        i = text.find("\\", i + 2)
    return True


def string_value(text: str) -> str | None:
    """The value of the string literal ``text`` (None for bytes or a literal that does not
    evaluate). Without escapes (or raw) it is the text between the quotes; only a literal with
    escapes goes to ``ast.literal_eval``, which parses it and is many times slower."""
    quote = text[-1:]
    if quote not in ("'", '"'):
        return None
    start = text.find(quote)
    prefix = text[:start].lower()
    if "b" in prefix:
        return None
    n = 3 if text[start:start + 3] == quote * 3 and len(text) - start >= 6 else 1
    inner = text[start + n:len(text) - n]
    if "\r" in inner or "f" in prefix:
        pass  # newlines to translate; or an f-string (never a SimpleString)
    elif "r" in prefix or "\\" not in inner:
        return inner
    elif inner.isascii() and _plain_escapes(inner):
        try:
            return inner.encode("ascii").decode("unicode_escape")
        except UnicodeDecodeError:
            return None  # an escape that does not evaluate: `"\\x1"`
    import ast

    try:
        v = ast.literal_eval(text)
    except Exception:
        return None
    return v if isinstance(v, str) else None


def dtype_of_string(text: str) -> str | None:
    """A numpy dtype string: `'f4'`, `'<U10'`, `'datetime64[ns]'`; big-endian multi-byte types
    come back as `'>float32'` (torch rejects them)."""
    order = text[:1] if text[:1] in "<>=|" else ""
    body = text[len(order):]
    name = DTYPE_STRINGS.get(body)
    if name is None:
        base = body.split("[", 1)[0]
        stripped = base.rstrip("0123456789")
        if stripped in ("U", "S", "datetime64", "M8", "m8", "timedelta64") or (
                base in ("M", "m") and "[" in body):
            name = DTYPE_STRINGS.get(stripped) or ("datetime64" if base == "M" else "timedelta64")
        elif base != body:
            name = DTYPE_STRINGS.get(base)
    if name is not None and order == ">" and name not in (
            "int8", "uint8", "bool", "object", "str", "bytes") and body not in ("i1", "u1", "b1"):
        return f">{name}"
    return name


def _qual_name(v: Value) -> str | None:
    return v.qual if v.kind == REF else None


def _created_why(d: str | None) -> str | None:
    return {ACCEL: "it is created with `device=` an accelerator",
            MAYBE: "it is created with a `device=` that may be an accelerator",
            META: "it is created with `device=` the meta device"}.get(d)


def _moved_why(d: str | None) -> str | None:
    return {ACCEL: "it was moved to an accelerator with `.to(...)`",
            MAYBE: "it was moved with `.to(device)` where `device` may be an accelerator",
            META: "it was moved to the meta device with `.to(...)`"}.get(d)


class Analyzer:
    MAX_LOOP = 3

    def __init__(self, module: cst.Module, class_facts: dict[int, tuple] | None = None,
                 code_of=None) -> None:
        global cst
        cst = family.bind(module)  # libcst's classes, or the light ones (tensorferry.nodes)
        self.module = module
        # the source text of a node (``tensorferry.probe`` reads it from the file instead)
        self.code_of = module.code_for_node if code_of is None else code_of
        # id(ClassDef) -> (attributes assigned outside __init__, those only augmented there),
        # given when some method bodies were left out of the parse (tensorferry.reduce)
        self.class_facts = class_facts
        self.a = Analysis(module, code_of=self.code_of)
        self.order = 0
        self.path: list[tuple] = []
        self.scope = ScopeInfo("<module>", module, "module")
        self.pending: list[tuple[Any, dict[str, Value], str, ClassInfo | None]] = []
        self.globals: dict[str, Value] | None = None
        self.class_stack: list[ClassInfo] = []
        self._if_ids = 0
        self._stmt_call = 0
        self.loop_entries: list[tuple[Any, dict[str, Value]]] = []  # (scope, env at loop entry)

    # -- entry ---------------------------------------------------------------------------------
    def run(self) -> Analysis:
        st = State({}, ON)
        self.exec_block(self.module.body, st)
        self.a.module_env = st.env
        self.globals = st.env
        # function bodies run later, with the module's final bindings as globals
        while self.pending:
            node, closure, grad, cls = self.pending.pop(0)
            self.run_function(node, closure, grad, cls)
        return self.a

    def tick(self) -> int:
        self.order += 1
        return self.order

    # -- name lookup ---------------------------------------------------------------------------
    def lookup(self, name: str, st: State) -> Value:
        v = st.env.get(name)
        if v is not None:
            return v
        if self.globals is not None and st.env is not self.globals:
            v = self.globals.get(name)
            if v is not None:
                return v
        if name in BUILTINS:
            return Value(kind=REF, qual=f"builtins.{name}")
        return TOP

    # -- statements ----------------------------------------------------------------------------
    def exec_block(self, body, st: State) -> State:
        for stmt in body:
            if not st.live:
                break
            st = self.exec_stmt(stmt, st)
        return st

    # exec_stmt and exec_small test `type(node) is`: libcst's node classes are abstract base
    # classes, so an `isinstance` that fails goes through ABCMeta (and none of these classes
    # has subclasses)
    def exec_stmt(self, stmt: cst.CSTNode, st: State) -> State:
        typ = type(stmt)
        if typ is cst.SimpleStatementLine:
            for small in stmt.body:
                if not st.live:
                    break
                st = self.exec_small(small, st)
            return st
        if typ is cst.If:
            return self.exec_if(stmt, st)
        if typ is cst.For or typ is cst.While:
            return self.exec_loop(stmt, st)
        if typ is cst.Try or typ is cst.TryStar:
            return self.exec_try(stmt, st)
        if typ is cst.With:
            return self.exec_with(stmt, st)
        if typ is cst.FunctionDef:
            self.def_function(stmt, st)
            return st
        if typ is cst.ClassDef:
            self.def_class(stmt, st)
            return st
        if typ is cst.Match:
            self.eval(stmt.subject, st)
            outs = []
            for case in stmt.cases:
                s2 = st.copy()
                outs.append(self.exec_block(case.body.body, s2))
            outs.append(st)
            return join_states(outs)
        if typ is cst.SimpleStatementSuite:
            for small in stmt.body:
                st = self.exec_small(small, st)
            return st
        if typ is cst.IndentedBlock:
            return self.exec_block(stmt.body, st)
        return st

    def exec_small(self, s: cst.BaseSmallStatement, st: State) -> State:
        typ = type(s)
        if typ is cst.Expr:
            if type(s.value) is cst.Call:
                self._stmt_call = id(s.value)
            self.eval(s.value, st)
        elif typ is cst.Assign:
            v = self.eval(s.value, st)
            for t in s.targets:
                self.bind(t.target, v, st, s.value)
        elif typ is cst.AnnAssign:
            ann = self.annotation_value(s.annotation.annotation, st)
            if s.value is not None:
                v = self.eval(s.value, st)
                if v.kind == UNKNOWN and ann.kind != UNKNOWN:
                    v = ann
                self.bind(s.target, v, st, s.value)
            elif isinstance(s.target, cst.Name) and ann.kind != UNKNOWN:
                st.env[s.target.value] = ann
        elif typ is cst.AugAssign:
            self.exec_augassign(s, st)
        elif typ is cst.Return:
            if s.value is not None:
                v = self.eval(s.value, st)
                self.escape(v, s.value, "returned")
                self.a.returns.append((self.scope, s.value, v))
            st.live = False
        elif typ is cst.Raise:
            if s.exc is not None:
                self.eval(s.exc, st)
            st.live = False
        elif typ is cst.Break or typ is cst.Continue:
            st.live = False
        elif typ is cst.Import:
            for alias in s.names:
                full = self.dotted(alias.name)
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    st.env[alias.asname.name.value] = Value(kind=REF, qual=full)
                else:
                    top = full.split(".")[0]
                    st.env[top] = Value(kind=REF, qual=top)
        elif typ is cst.ImportFrom:
            if s.relative or s.module is None:
                if not isinstance(s.names, cst.ImportStar):
                    for alias in s.names:
                        name = alias.asname.name.value if alias.asname else self.dotted(alias.name)
                        st.env[name.split(".")[0]] = TOP
                return st
            base = self.dotted(s.module)
            if isinstance(s.names, cst.ImportStar):
                return st
            for alias in s.names:
                local = (alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name)
                         else self.dotted(alias.name))
                st.env[local] = Value(kind=REF, qual=f"{base}.{self.dotted(alias.name)}")
        elif typ is cst.Assert:
            self.eval(s.test, st)
        elif typ is cst.Del:
            self.unbind(s.target, st)
        elif typ is cst.Global or typ is cst.Nonlocal:
            for n in s.names:
                st.env.pop(n.name.value, None)
        return st

    def unbind(self, target: cst.BaseExpression, st: State) -> None:
        if isinstance(target, cst.Name):
            st.env[target.value] = TOP
        elif isinstance(target, (cst.Tuple, cst.List)):
            for el in target.elements:
                self.unbind(el.value, st)

    def dotted(self, node: cst.BaseExpression) -> str:
        if isinstance(node, cst.Name):
            return node.value
        if isinstance(node, cst.Attribute):
            return f"{self.dotted(node.value)}.{node.attr.value}"
        return "?"

    def isinstance_test(self, test, st: State) -> tuple[str, frozenset, bool] | None:
        """`isinstance(x, T)` / `not isinstance(x, T)`: (x, the qualified names of T, positive)."""
        positive = True
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            test, positive = test.expression, False
        if not (isinstance(test, cst.Call) and isinstance(test.func, cst.Name) and len(test.args) == 2
                and _qual_name(self.lookup(test.func.value, st)) == "builtins.isinstance"
                and isinstance(test.args[0].value, cst.Name)):
            return None
        types = test.args[1].value
        elts = [e.value for e in types.elements] if isinstance(types, cst.Tuple) else [types]
        quals = frozenset((_qual_name(self.eval_quiet(e, st)) or
                           (f"builtins.{e.value}" if isinstance(e, cst.Name) else "?")) for e in elts)
        return test.args[0].value.value, quals, positive

    def narrow(self, name: str, quals: frozenset, is_instance: bool, st: State) -> None:
        """In a branch where `name` is (not) an instance of the types: forget a kind that contradicts it."""
        v = st.env.get(name)
        if v is None or v.kind not in (NDARRAY, TENSOR):
            return
        kind_types = {TENSOR: {"torch.Tensor", "torch.nn.Parameter", "torch.FloatTensor", "torch.LongTensor"},
                      NDARRAY: {"numpy.ndarray"}}[v.kind]
        matches = bool(quals & kind_types)
        if "?" in quals and not matches:
            return  # a type we cannot name: it may be a tensor subclass
        if matches != is_instance:
            st.env[name] = TOP

    def exec_if(self, node: cst.If, st: State) -> State:
        self.eval(node.test, st)
        self._if_ids += 1
        ident = self._if_ids
        body_st = st.copy()
        test = self.isinstance_test(node.test, st)
        if test is not None:
            self.narrow(test[0], test[1], test[2], body_st)
        self.path.append(("if", ident, 0))
        body_st = self.exec_block(node.body.body, body_st)
        self.path.pop()
        else_st = st.copy()
        if test is not None:
            self.narrow(test[0], test[1], not test[2], else_st)
        if node.orelse is not None:
            self.path.append(("if", ident, 1))
            if isinstance(node.orelse, cst.If):
                else_st = self.exec_if(node.orelse, else_st)
            else:
                else_st = self.exec_block(node.orelse.body.body, else_st)
            self.path.pop()
        return join_states([body_st, else_st])

    def exec_loop(self, node: cst.For | cst.While, st: State) -> State:
        self._if_ids += 1
        ident = self._if_ids
        if isinstance(node, cst.For):
            it = self.eval(node.iter, st)
            elem = self.iter_elem(it, node.iter)
        else:
            self.eval(node.test, st)
            elem = None
        entry = st.copy()
        head = entry
        exits = [entry.copy()]
        self.loop_entries.append((self.scope, entry.env))
        for i in range(self.MAX_LOOP):
            body_st = head.copy()
            body_st.live = True
            self.path.append(("loop", ident, i))
            if isinstance(node, cst.For):
                self.bind(node.target, elem if elem is not None else TOP, body_st, node.iter)
            out = self.exec_block(node.body.body, body_st)
            self.path.pop()
            out.live = True  # break/continue/return end the iteration, the loop goes on
            exits.append(out.copy())
            new_head = join_states([entry, out])
            if new_head.same(head):
                break
            head = new_head
        self.loop_entries.pop()
        result = join_states(exits)
        if node.orelse is not None:
            result = self.exec_block(node.orelse.body.body, result)
        return result

    def exec_try(self, node: cst.Try | cst.TryStar, st: State) -> State:
        entry = st.copy()
        body = self.exec_block(node.body.body, st.copy())
        outs = []
        if node.orelse is not None:
            body = self.exec_block(node.orelse.body.body, body)
        outs.append(body)
        handler_entry = join_states([entry, body if body.live else entry])
        handler_entry.live = True
        for h in node.handlers:
            hs = handler_entry.copy()
            if h.name is not None:
                self.bind(h.name.name, TOP, hs, None)
            outs.append(self.exec_block(h.body.body, hs))
        result = join_states(outs)
        if node.finalbody is not None:
            fin = result.copy()
            fin.live = True
            fin = self.exec_block(node.finalbody.body.body, fin)
            if not result.live:
                fin.live = False
            result = fin
        return result

    def exec_with(self, node: cst.With, st: State) -> State:
        saved = st.grad
        for item in node.items:
            v = self.eval(item.item, st)
            if v.kind == GRADCTX and v.const in (ON, OFF, "maybe"):
                st.grad = v.const
            if item.asname is not None:
                self.bind(item.asname.name, TOP if v.kind == GRADCTX else v, st, item.item)
        st = self.exec_block(node.body.body, st)
        st.grad = saved
        return st

    def exec_augassign(self, s: cst.AugAssign, st: State) -> None:
        rhs = self.eval(s.value, st)
        target = s.target
        if isinstance(target, (cst.Name, cst.Attribute, cst.Subscript)):
            before = st.env.get(self.target_name(target) or "")
            cur = self.eval(target, st)
            if rhs.kind == TENSOR and not isinstance(target, cst.Subscript) \
                    and isinstance(s.operator, (cst.AddAssign, cst.SubtractAssign)):
                self.accumulate(s, target, before, rhs, st)
            if cur.kind in (NDARRAY, TENSOR) and cur.buf is not None:
                self.write(cur, s, self.target_name(target))
                if cur.kind == TENSOR and rhs.kind == TENSOR and rhs.grad == "yes" and st.grad == ON:
                    cur = cur.with_(grad="yes", grad_node=rhs.grad_node, grad_why=rhs.grad_why)
                    self.assign_target(target, cur, st)
                return
            result = self.binop(cur, rhs, st, cst.Divide() if isinstance(s.operator, cst.DivideAssign) else None)
            if not isinstance(target, cst.Subscript):
                self.assign_target(target, result, st)

    def accumulate(self, s: cst.AugAssign, target, before: Value | None, rhs: Value, st: State) -> None:
        """Record `name += tensor`; carried when `name` still holds its value from before the loop."""
        name = self.target_name(target)
        carried = False
        if self.loop_entries and self.loop_entries[-1][0] is self.scope and before is not None:
            carried = self.loop_entries[-1][1].get(name) is before
        self.a.stores.append(Store(self.tick(), tuple(self.path), rhs, s.value, s, "accumulate",
                                   st.grad, self.scope, name, carried))

    def store(self, v: Value, value_node, node, how: str, st: State, target: str | None = None) -> None:
        if v.kind in (TENSOR, TUPLE, LIST, DICT):
            self.a.stores.append(Store(self.tick(), tuple(self.path), v, value_node, node, how,
                                       st.grad, self.scope, target))

    def target_name(self, target: cst.BaseExpression) -> str | None:
        if isinstance(target, cst.Name):
            return target.value
        if isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            return f"{target.value.value}.{target.attr.value}"
        if isinstance(target, cst.Subscript):
            return self.target_name(target.value)
        return None

    # -- binding -------------------------------------------------------------------------------
    def assign_target(self, target: cst.BaseExpression, v: Value, st: State) -> None:
        if isinstance(target, cst.Name):
            st.env[target.value] = v
        elif isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name):
            st.env[f"{target.value.value}.{target.attr.value}"] = v

    def bind(self, target: cst.BaseExpression, v: Value, st: State, value_node) -> None:
        if isinstance(target, cst.Name):
            st.env[target.value] = v
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            starred = any(isinstance(e, cst.StarredElement) for e in elements)
            if v.elts is not None and len(v.elts) == len(elements) and not starred:
                for e, ev in zip(elements, v.elts):
                    self.bind(e.value, ev, st, None)
            else:
                for e in elements:
                    inner = v.elem if (v.elem is not None and not isinstance(e, cst.StarredElement)) else TOP
                    self.bind(e.value, inner, st, None)
            if v.kind in (NDARRAY, TENSOR):
                for e in elements:
                    if isinstance(e.value, cst.Name):
                        st.env[e.value.value] = TOP
        elif isinstance(target, cst.Attribute):
            obj = target.value
            if isinstance(obj, cst.Name):
                key = f"{obj.value}.{target.attr.value}"
                base = self.lookup(obj.value, st)
                if target.attr.value == "requires_grad" and base.kind == TENSOR:
                    flag = self.truthy(v)
                    if flag is not None:
                        st.env[obj.value] = base.with_(
                            grad="yes" if flag else "no", grad_node=value_node,
                            grad_why="`requires_grad` is set to True" if flag else None)
                    return
                if target.attr.value == "data" and base.kind == TENSOR:
                    self.a.values[id(target)] = base.with_(grad="no", flags=frozenset({"via_data"}))
                    self.write(base, target, obj.value)
                    return
                st.env[key] = v
                if obj.value != "self" or True:
                    self.escape(v, target, "stored on an attribute")
                self.store(v, value_node, target, "attribute", st, key)
            else:
                base = self.eval(obj, st)
                if target.attr.value == "data" and base.kind == TENSOR:  # `self.w.data = ...`
                    self.a.values[id(target)] = base.with_(grad="no", flags=frozenset({"via_data"}))
                    self.write(base, target, self.target_name(obj))
                    return
                self.escape(v, target, "stored on an attribute")
                self.store(v, value_node, target, "attribute", st)
        elif isinstance(target, cst.Subscript):
            container = self.eval(target.value, st)
            for el in target.slice:
                if isinstance(el.slice, cst.Index):
                    self.eval(el.slice.value, st)
            if container.kind in (NDARRAY, TENSOR):
                self.write(container, target, self.target_name(target.value))
            else:
                self.escape(v, target, "stored in a container")
                self.store(v, value_node, target, "item", st, self.target_name(target.value))
                if container.kind == LIST:  # `xs[i] = v`: v joins the list's elements
                    self.update_receiver(target.value, container.with_(
                        elem=join(container.elem, v) if container.elem is not None else None), st)
        elif isinstance(target, cst.StarredElement):
            self.bind(target.value, TOP, st, None)

    # -- events ---------------------------------------------------------------------------------
    def event(self, v: Value, node, name: str | None) -> Event:
        return Event(self.tick(), tuple(self.path), v.buf, v.kind, node, name, self.scope)

    def write(self, v: Value, node, name: str | None) -> None:
        if v.buf is not None and v.kind in (NDARRAY, TENSOR):
            self.a.writes.append(self.event(v, node, name))

    def escape(self, v: Value, node, how: str) -> None:
        if v.buf is not None and v.kind in (NDARRAY, TENSOR):
            self.a.escapes.append(Event(self.tick(), tuple(self.path), v.buf, v.kind, node, how, self.scope))
        if v.elts:
            for e in v.elts:
                self.escape(e, node, how)

    def share(self, src: Value, result: Value, node: cst.Call, direction: str, src_node) -> None:
        if src.buf is None:
            return
        name = src_node.value if isinstance(src_node, cst.Name) else None
        self.a.shares.append(Share(self.tick(), tuple(self.path), src.buf, direction, node,
                                   src.kind, name, None, self.scope))
        if src.is_param or src.buf in self.a.param_bufs:
            # a view of a parameter (`x.detach()`, `x[0]`) is still the caller's memory
            self.a.param_side[src.buf] = NDARRAY if direction == "np->torch" else TENSOR

    def drop_copied_share(self, recv_node) -> None:
        """`conversion(x).copy()` / `.clone()`: the conversion's result is copied at once and
        never reachable, so the conversion shares no memory that anything can observe."""
        if not isinstance(recv_node, cst.Call):
            return
        for i in range(len(self.a.shares) - 1, -1, -1):
            if self.a.shares[i].node is recv_node:
                del self.a.shares[i]
                return

    def fresh_fill(self, v: Value) -> Value:
        """Record `v` as a buffer just allocated by `empty/zeros/ones/full` (to be filled)."""
        if v.buf is not None:
            self.a.fills[v.buf] = (self.tick(), self.scope)
        return v

    # -- functions and classes ----------------------------------------------------------------
    def decorator_grad(self, fn: cst.FunctionDef, st: State) -> str | None:
        for dec in fn.decorators:
            d = dec.decorator
            target = d.func if isinstance(d, cst.Call) else d
            v = self.eval(target, st)
            q = _qual_name(v)
            if q in GRAD_OFF_CONTEXTS:
                if isinstance(d, cst.Call) and q.endswith("inference_mode") and d.args:
                    flag = self.truthy(self.eval(d.args[0].value, st))
                    if flag is False:
                        continue
                return OFF
            if q in GRAD_ON_CONTEXTS:
                return ON
        return None

    def def_function(self, fn: cst.FunctionDef, st: State) -> None:
        mode = self.decorator_grad(fn, st) or (st.grad if self.scope.kind != "module" else ON)
        if st.grad == OFF and self.scope.kind != "module":
            mode = OFF if self.decorator_grad(fn, st) != ON else ON
        st.env[fn.name.value] = Value(kind=FUNCTION, info=fn)
        closure = dict(st.env) if self.scope.kind != "module" else None
        cls = self.class_stack[-1] if self.class_stack and self.scope.kind == "class" else None
        if self.scope.kind == "module" or self.scope.kind == "class":
            self.pending.append((fn, closure, mode, cls))
        else:
            self.pending.append((fn, closure, mode, cls))

    def run_function(self, fn, closure: dict | None, grad: str, cls: ClassInfo | None) -> None:
        saved_scope, saved_path = self.scope, self.path
        self.scope = ScopeInfo(fn.name.value if isinstance(fn, cst.FunctionDef) else "<lambda>",
                               fn, "function", cls)
        self.path = []
        env: dict[str, Value] = dict(closure) if closure else {}
        st = State(env, grad)
        params = fn.params
        all_params = list(params.posonly_params) + list(params.params) + list(params.kwonly_params)
        first = True
        for p in all_params:
            name = p.name.value
            if first and cls is not None and not self.is_static(fn):
                v = Value(kind=NNMODULE if cls.is_module else UNKNOWN, info=cls, flags=frozenset({"self"}))
                st.env[name] = v
                if name == "self" or True:
                    for attr, av in cls.attrs.items():
                        st.env[f"{name}.{attr}"] = av
                        if av.kind in (NDARRAY, TENSOR) and av.buf is not None:
                            self.a.attr_side.setdefault(av.buf, (av.kind, f"{name}.{attr}", av.grad == "yes"))
                first = False
                continue
            first = False
            v = Value(buf=new_buf(), flags=frozenset({"param"}))
            self.a.param_bufs.add(v.buf)
            if p.annotation is not None:
                ann = self.annotation_value(p.annotation.annotation, st)
                if ann.kind in (NDARRAY, TENSOR):
                    v = ann.with_(buf=v.buf, flags=frozenset({"param"}))
                elif ann.kind == NNMODULE:
                    v = ann
            if self.int_param(p, st):
                v = Value(kind=INT, flags=frozenset({"param"}))
            st.env[name] = v
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                st.env[star.name.value] = TOP
        if isinstance(fn, cst.FunctionDef):
            self.exec_block(fn.body.body if isinstance(fn.body, cst.IndentedBlock) else fn.body.body, st)
        self.scope, self.path = saved_scope, saved_path

    def int_param(self, p: cst.Param, st: State) -> bool:
        """A parameter annotated `int`, or unannotated with an integer literal default."""
        if p.annotation is not None:
            ann = p.annotation.annotation
            return isinstance(ann, cst.Name) and _qual_name(self.lookup(ann.value, st)) == "builtins.int"
        d = p.default
        if isinstance(d, cst.UnaryOperation) and isinstance(d.operator, cst.Minus):
            d = d.expression
        return isinstance(d, cst.Integer)

    def is_static(self, fn: cst.FunctionDef) -> bool:
        for d in fn.decorators:
            if isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod":
                return True
        return False

    def def_class(self, node: cst.ClassDef, st: State) -> None:
        info = ClassInfo(node.name.value)
        for base in node.bases:
            bv = self.eval(base.value, st)
            q = _qual_name(bv)
            if q in ("torch.nn.Module", "torch.nn.modules.module.Module") or (
                q is not None and q.startswith("torch.nn.") and q.rsplit(".", 1)[-1] in
                PARAMETRIC_MODULES | CONTAINER_MODULES
            ):
                info.is_module = True
                if q.rsplit(".", 1)[-1] in PARAMETRIC_MODULES:
                    info.parametric = True
            if bv.kind == CLASS and isinstance(bv.info, ClassInfo) and bv.info.is_module:
                info.is_module = True
                info.parametric |= bv.info.parametric
            if q in DATASET_BASES or (bv.kind == CLASS and isinstance(bv.info, ClassInfo) and bv.info.is_dataset):
                info.is_dataset = True
        st.env[node.name.value] = Value(kind=CLASS, info=info)
        # `self.x = ...` in methods other than __init__ makes x unknown outside __init__
        given = self.class_facts.get(id(node)) if self.class_facts is not None else None
        if given is not None:
            reassigned, augmented = given
        else:
            reassigned = self.attrs_assigned_outside_init(node)
            augmented = self.attrs_only_augassigned_outside_init(node)
        saved_scope = self.scope
        self.scope = ScopeInfo(node.name.value, node, "class")
        self.class_stack.append(info)
        body = node.body.body
        init = None
        cls_st = State(dict(st.env), st.grad)
        for stmt in body:
            if isinstance(stmt, cst.FunctionDef):
                if stmt.name.value == "__init__":
                    init = stmt
                continue
            cls_st = self.exec_stmt(stmt, cls_st)
        self.class_stack.pop()
        self.scope = saved_scope
        methods = [s for s in body if isinstance(s, cst.FunctionDef)]
        if init is not None:
            # run __init__ now to learn the attributes, then queue the other methods
            attrs = self.run_init(init, info, st)
            for k, v in attrs.items():
                # `self.x += y` on an array or tensor writes in place: the object stays the same
                if k not in reassigned or (k in augmented and v.kind in (NDARRAY, TENSOR)):
                    info.attrs[k] = v
                if v.kind == NNMODULE and v.info == "parametric":
                    info.parametric = True
                if v.kind == TENSOR and v.grad == "yes":
                    info.parametric = True
        for m in methods:
            if m is init:
                continue
            mode = self.decorator_grad(m, st) or ON
            self.pending.append((m, None, mode, info))

    def run_init(self, init: cst.FunctionDef, info: ClassInfo, st: State) -> dict[str, Value]:
        saved_scope, saved_path = self.scope, self.path
        self.scope = ScopeInfo("__init__", init, "function")
        self.path = []
        env: dict[str, Value] = {}
        ist = State(env, self.decorator_grad(init, st) or ON)
        params = list(init.params.posonly_params) + list(init.params.params) + list(init.params.kwonly_params)
        selfname = params[0].name.value if params else "self"
        ist.env[selfname] = Value(kind=NNMODULE if info.is_module else UNKNOWN, info=info,
                                  flags=frozenset({"self"}))
        for p in params[1:]:
            if self.int_param(p, st):
                ist.env[p.name.value] = Value(kind=INT, flags=frozenset({"param"}))
            else:
                ist.env[p.name.value] = Value(buf=new_buf(), flags=frozenset({"param"}))
                self.a.param_bufs.add(ist.env[p.name.value].buf)
        for star in (init.params.star_arg, init.params.star_kwarg):
            if isinstance(star, cst.Param):
                ist.env[star.name.value] = TOP
        saved_globals = self.globals
        self.globals = self.globals if self.globals is not None else st.env
        out = self.exec_block(init.body.body, ist)
        final = out if out.live else ist
        self.globals = saved_globals
        self.scope, self.path = saved_scope, saved_path
        prefix = selfname + "."
        return {k[len(prefix):]: v for k, v in final.env.items()
                if k.startswith(prefix) and "." not in k[len(prefix):]}

    def attrs_assigned_outside_init(self, node: cst.ClassDef) -> set[str]:
        names: set[str] = set()
        for small in _method_statements(node):
            if isinstance(small, cst.Assign):
                for t in small.targets:
                    _self_attrs(t.target, names)
            elif isinstance(small, (cst.AugAssign, cst.AnnAssign)):
                _self_attrs(small.target, names)
        return names

    def attrs_only_augassigned_outside_init(self, node: cst.ClassDef) -> set[str]:
        """`self.<attr>` names that methods other than __init__ change only with `+=` & co."""
        aug: set[str] = set()
        plain: set[str] = set()
        for small in _method_statements(node):
            if isinstance(small, cst.Assign):
                for t in small.targets:
                    _self_attrs(t.target, plain)
            elif isinstance(small, cst.AnnAssign):
                _self_attrs(small.target, plain)
            elif isinstance(small, cst.AugAssign):
                name = _self_attr(small.target)
                if name:
                    aug.add(name)
        return aug - plain

    def annotation_value(self, ann: cst.BaseExpression, st: State) -> Value:
        if isinstance(ann, cst.SimpleString):
            return TOP
        v = self.eval_quiet(ann, st)
        q = _qual_name(v)
        if q in ("torch.Tensor", "torch.FloatTensor", "torch.nn.Parameter"):
            return Value(kind=TENSOR, buf=new_buf())
        if q in ("numpy.ndarray", "numpy.typing.NDArray"):
            return Value(kind=NDARRAY, buf=new_buf())
        if v.kind == CLASS and isinstance(v.info, ClassInfo) and v.info.is_module:
            return Value(kind=NNMODULE, info=v.info)  # `model: Net` with Net an nn.Module here
        return TOP

    # -- expressions ---------------------------------------------------------------------------
    def eval_quiet(self, node: cst.BaseExpression, st: State) -> Value:
        if isinstance(node, cst.Name):
            return self.lookup(node.value, st)
        if isinstance(node, cst.Attribute):
            base = self.eval_quiet(node.value, st)
            if base.kind == REF:
                return Value(kind=REF, qual=f"{base.qual}.{node.attr.value}")
            return TOP
        if isinstance(node, cst.Subscript):
            return self.eval_quiet(node.value, st)
        return TOP

    def eval(self, node: cst.BaseExpression, st: State) -> Value:
        v = self._eval(node, st)
        self.a.values[id(node)] = v
        if v.kind in (NDARRAY, TENSOR):
            self.a.origins.setdefault(id(v), node)
        return v

    def _eval(self, node: cst.BaseExpression, st: State) -> Value:
        t = type(node)
        if t is cst.Name:
            name = node.value
            if name in ("True", "False"):
                return Value(kind=BOOL, const=name == "True")
            if name == "None":
                return Value(kind=NONE)
            v = self.lookup(name, st)
            if v.kind in (NDARRAY, TENSOR) and v.buf is not None:
                self.a.loads.append(self.event(v, node, name))
            return v
        if t is cst.Attribute:
            return self.eval_attribute(node, st)
        if t is cst.Call:
            return self.eval_call(node, st)
        if t is cst.Integer:
            try:
                return Value(kind=INT, const=int(node.value.replace("_", ""), 0))
            except ValueError:
                return Value(kind=INT)
        if t is cst.Float:
            return Value(kind=FLOAT)
        if t is cst.SimpleString or t is cst.ConcatenatedString or t is cst.FormattedString:
            s = _str_const(node) if t is cst.SimpleString else None
            if t is cst.FormattedString:
                for part in node.parts:
                    if isinstance(part, cst.FormattedStringExpression):
                        self.eval(part.expression, st)
            elif t is cst.ConcatenatedString:
                self.eval(node.left, st)  # `f"..." f"{x.numpy()}"`: the parts hold expressions
                self.eval(node.right, st)
            return Value(kind=STR, const=s, device=device_of_string(s) if s else None)
        if t is cst.Subscript:
            return self.eval_subscript(node, st)
        if t is cst.BinaryOperation:
            left = self.eval(node.left, st)
            right = self.eval(node.right, st)
            return self.binop(left, right, st, node.operator)
        if t is cst.UnaryOperation:
            v = self.eval(node.expression, st)
            if isinstance(node.operator, cst.Not):
                return Value(kind=BOOL)
            if v.kind == INT and isinstance(node.operator, cst.Minus) and v.const is not None:
                return Value(kind=INT, const=-v.const)
            if v.kind in (NDARRAY, TENSOR):
                return v.with_(buf=new_buf(), flags=frozenset())
            return v if v.kind in (INT, FLOAT) else TOP
        if t is cst.BooleanOperation:
            left = self.eval(node.left, st)
            right = self.eval(node.right, st)
            if left.kind == BOOL and right.kind == BOOL:
                return Value(kind=BOOL)
            return TOP
        if t is cst.Comparison:
            left = self.eval(node.left, st)
            arr = left.kind in (NDARRAY, TENSOR)
            for c in node.comparisons:
                r = self.eval(c.comparator, st)
                arr |= r.kind in (NDARRAY, TENSOR)
            if arr and not any(isinstance(c.operator, (cst.Is, cst.IsNot, cst.In, cst.NotIn))
                               for c in node.comparisons):
                kind = TENSOR if (left.kind == TENSOR) else NDARRAY
                return Value(kind=kind, grad="no" if kind == TENSOR else None, dtype="bool",
                             buf=new_buf(), device=left.device if kind == TENSOR else None)
            return Value(kind=BOOL)
        if t is cst.IfExp:
            self.eval(node.test, st)
            return join(self.eval(node.body, st), self.eval(node.orelse, st))
        if t is cst.Tuple or t is cst.List or t is cst.Set:
            vals = []
            for el in node.elements:
                ev = self.eval(el.value, st)
                vals.append(TOP if isinstance(el, cst.StarredElement) else ev)
            elem = None
            if vals and not any(isinstance(el, cst.StarredElement) for el in node.elements):
                elem = vals[0]
                for ev in vals[1:]:
                    elem = join(elem, ev)
            kind = TUPLE if t is cst.Tuple else LIST if t is cst.List else UNKNOWN
            return Value(kind=kind, elem=elem, elts=tuple(vals) if t is cst.Tuple else None,
                         const=len(vals))
        if t is cst.Dict:
            for el in node.elements:
                if isinstance(el, cst.DictElement):
                    self.eval(el.key, st)
                    v = self.eval(el.value, st)
                else:
                    self.eval(el.value, st)
            return Value(kind=DICT)
        if t in (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp):
            return self.eval_comp(node, st)
        if t is cst.Lambda:
            self.pending_lambda(node, st)
            return Value(kind=FUNCTION)
        if t is cst.NamedExpr:
            v = self.eval(node.value, st)
            self.bind(node.target, v, st, node.value)
            return v
        if t is cst.Await:
            self.eval(node.expression, st)
            return TOP
        if t is cst.Yield:
            if node.value is not None and not isinstance(node.value, cst.From):
                v = self.eval(node.value, st)
                self.escape(v, node, "yielded")
            elif isinstance(node.value, cst.From):
                self.eval(node.value.item, st)
            return TOP
        if t is cst.StarredElement:
            self.eval(node.value, st)
            return TOP
        if t is cst.Ellipsis:
            return TOP
        return TOP

    def pending_lambda(self, node: cst.Lambda, st: State) -> None:
        # a lambda body is one expression evaluated with unknown parameters
        s2 = st.copy()
        for p in list(node.params.params) + list(node.params.kwonly_params) + list(node.params.posonly_params):
            s2.env[p.name.value] = TOP
        self.eval(node.body, s2)

    def eval_comp(self, node, st: State) -> Value:
        s2 = st.copy()
        fors = node.for_in
        while fors is not None:
            it = self.eval(fors.iter, s2)
            elem = self.iter_elem(it, fors.iter)
            self.bind(fors.target, elem if elem is not None else TOP, s2, fors.iter)
            for cond in fors.ifs:
                self.eval(cond.test, s2)
            fors = fors.inner_for_in
        if isinstance(node, cst.DictComp):
            self.eval(node.key, s2)
            self.eval(node.value, s2)
            return Value(kind=DICT)
        elt = self.eval(node.elt, s2)
        kind = LIST if isinstance(node, cst.ListComp) else UNKNOWN
        return Value(kind=kind, elem=elt)

    def iter_elem(self, it: Value, node) -> Value | None:
        if it.kind == PARAMS:
            return it.elem
        if it.kind in (LIST, TUPLE) or (it.kind == UNKNOWN and it.elem is not None):
            return it.elem
        if it.kind == TENSOR:
            return it.with_(buf=new_buf(), flags=frozenset())
        if it.kind == "enumerate" and it.elem is not None:
            return Value(kind=TUPLE, elts=(Value(kind=INT), it.elem))
        if it.kind == "zip" and it.elts is not None:
            return Value(kind=TUPLE, elts=tuple((e.elem if e.elem is not None else TOP) for e in it.elts))
        return None

    def eval_attribute(self, node: cst.Attribute, st: State) -> Value:
        attr = node.attr.value
        if isinstance(node.value, cst.Name):
            key = f"{node.value.value}.{attr}"
            if key in st.env:
                base = self.lookup(node.value.value, st)
                v = st.env[key]
                self.a.values[id(node.value)] = base
                if v.kind in (NDARRAY, TENSOR) and v.buf is not None:
                    self.a.loads.append(self.event(v, node, key))
                return v
        base = self.eval(node.value, st)
        if base.kind == REF:
            return Value(kind=REF, qual=f"{base.qual}.{attr}")
        if base.kind == TENSOR:
            if attr in ("T", "mT", "H", "mH", "real", "imag"):
                return base.with_(flags=base.flags - {"param"})
            if attr == "data":
                return base.with_(grad="no", flags=frozenset({"via_data"}) | (base.flags & SHAPE_FLAGS))
            if attr == "grad":
                return Value(kind=TENSOR, device=base.device, grad="no", buf=new_buf())
            if attr == "device":
                return Value(kind=DEVICE, device=base.device, device_node=base.device_node,
                             device_why=base.device_why)
            if attr == "dtype":
                return Value(kind="dtype", dtype=base.dtype)
            if attr == "shape":
                return Value(kind=SIZE)
            return TOP
        if base.kind == UNKNOWN and base.flags & {"negstride", "maynegstride"} and attr == "T":
            return base
        if base.kind == NDARRAY:
            if attr == "T":
                return base.with_(flags=base.flags - {"param"})
            if attr == "shape":
                return Value(kind=TUPLE, elem=Value(kind=INT))
            if attr == "dtype":
                return Value(kind="dtype", dtype=base.dtype)
            return TOP
        if base.kind == NNMODULE:
            if attr in ("weight", "bias") and base.info in ("parametric",):
                return Value(kind=TENSOR, grad="yes", device=base.device, buf=new_buf(),
                             grad_node=node, grad_why="it is a module parameter")
            cls = base.info if isinstance(base.info, ClassInfo) else None
            if cls is not None and attr in cls.attrs:
                return cls.attrs[attr]
            return TOP
        return TOP

    def eval_subscript(self, node: cst.Subscript, st: State) -> Value:
        base = self.eval(node.value, st)
        basic = True
        negstride = False
        idx_vals = []
        for el in node.slice:
            s = el.slice
            if isinstance(s, cst.Index):
                v = self.eval(s.value, st)
                idx_vals.append(v)
                if isinstance(s.value, cst.Ellipsis) or v.kind in (INT, NONE):
                    continue
                basic = False
            else:  # a slice
                for part in (s.lower, s.upper, s.step):
                    if part is not None:
                        self.eval(part, st)
                if s.step is not None:
                    sv = self.a.values.get(id(s.step))
                    if sv is not None and sv.kind == INT and isinstance(sv.const, int) and sv.const < 0:
                        negstride = True
        if base.kind == NDARRAY and isinstance(node.value, cst.Call):
            self.a.subscripts.append((node, base))
        if base.kind in (NDARRAY, TENSOR):
            flags = base.flags - {"param", "via_data"} - SHAPE_FLAGS
            origins = base.origins
            if flags & {"negstride", "maynegstride"} and (negstride or any(v.kind == INT for v in idx_vals)):
                # a second reversal or an integer index may undo the negative stride: unknown
                flags, negstride = flags - {"negstride", "maynegstride"}, False
            if negstride and base.kind == NDARRAY:
                flags = flags | {"negstride"}
                origins = origins + (("negstride", node),)
            maybe0d = frozenset()
            if base.kind == NDARRAY and all(
                    isinstance(el.slice, cst.Index) and not isinstance(el.slice.value, cst.Ellipsis)
                    and self.a.values.get(id(el.slice.value), TOP).kind in (INT, UNKNOWN) for el in node.slice):
                maybe0d = frozenset({"maybe0d"})  # `a[i]` of a 1-d array is a numpy scalar
            if basic:
                return base.with_(flags=flags | maybe0d, origins=origins)
            return base.with_(buf=new_buf(), flags=maybe0d, dtype=base.dtype)
        if negstride and basic and base.kind == UNKNOWN and not (
                isinstance(node.value, cst.Attribute) and node.value.attr.value in ("iloc", "loc", "iat", "at")):
            # `x[:, ::-1]`: a multi-axis index proves an array (lists take one index), and a numpy
            # array's view has a negative stride; `x[::-1]` may also be a reversed list
            multi = len(node.slice) > 1 or any(isinstance(el.slice, cst.Index) and isinstance(
                el.slice.value, cst.Ellipsis) for el in node.slice)
            flag = "negstride" if multi else "revslice"
            return Value(flags=frozenset({flag}), origins=((flag, node),))
        if base.kind == REF:
            return base  # typing subscripts: np.ndarray[...]
        if base.kind in (LIST, TUPLE) and base.elem is not None:
            if base.elts is not None and len(idx_vals) == 1 and idx_vals[0].kind == INT \
                    and isinstance(idx_vals[0].const, int) and -len(base.elts) <= idx_vals[0].const < len(base.elts):
                return base.elts[idx_vals[0].const]
            return base.elem if basic else TOP
        if base.kind == SIZE:
            return Value(kind=INT) if basic and len(idx_vals) == 1 else TOP
        if (base.kind == UNKNOWN and isinstance(node.value, cst.Attribute) and node.value.attr.value == "shape"
                and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)
                and idx_vals and idx_vals[0].kind == INT):
            return Value(kind=INT)  # `x.shape[0]`: array shapes hold ints
        return TOP

    def binop(self, left: Value, right: Value, st: State, op=None) -> Value:
        if TENSOR in (left.kind, right.kind):
            tensors = [v for v in (left, right) if v.kind == TENSOR]
            grad = None
            gsrc = None
            if any(v.grad == "yes" for v in tensors) and st.grad == ON:
                grad = "yes"
                gsrc = next(v for v in tensors if v.grad == "yes")
            elif st.grad == OFF or all(v.grad == "no" for v in tensors) and all(
                    v.kind in (TENSOR, INT, FLOAT, BOOL) for v in (left, right)):
                grad = "no"
            dev = None
            for v in tensors:
                if v.device is not None:
                    dev = v.device if dev is None else (dev if dev == v.device else MAYBE)
            dsrc = next((v for v in tensors if v.device is not None), None)
            return Value(kind=TENSOR, grad=grad, device=dev, buf=new_buf(),
                         grad_node=gsrc.grad_node if gsrc else None,
                         grad_why=gsrc.grad_why if gsrc else None,
                         device_node=dsrc.device_node if dsrc else None,
                         device_why=dsrc.device_why if dsrc else None)
        if NDARRAY in (left.kind, right.kind):
            dtype = None
            arrs = [v for v in (left, right) if v.kind == NDARRAY]
            if all(v.dtype == "float64" for v in arrs):
                dtype = "float64"
            if isinstance(op, cst.Divide) and all(
                    (v.kind == NDARRAY and v.dtype in INT_DTYPES | {"float64"}) or v.kind in (INT, FLOAT)
                    for v in (left, right)):
                dtype = "float64"
            zerod = all("maybe0d" in v.flags for v in arrs)  # the other operand may be a scalar
            return Value(kind=NDARRAY, dtype=dtype, buf=new_buf(),
                         flags=frozenset({"maybe0d"}) if zerod else frozenset())
        for seq in (LIST, TUPLE):
            if (isinstance(op, cst.Add) and left.kind == seq and right.kind == seq) or (
                    isinstance(op, cst.Multiply) and {left.kind, right.kind} == {seq, INT}):
                return Value(kind=seq)
        if left.kind == INT and right.kind == INT:
            # true division of two ints is a float (`n / 2`), every other operator keeps int
            return Value(kind=FLOAT if isinstance(op, cst.Divide) else INT)
        if {left.kind, right.kind} <= {INT, FLOAT} and left.kind != UNKNOWN:
            return Value(kind=FLOAT)
        if left.kind == STR and right.kind == STR:
            return Value(kind=STR)
        return TOP

    def truthy(self, v: Value) -> bool | None:
        if v.kind == BOOL and v.const is not None:
            return bool(v.const)
        if v.kind == INT and v.const is not None:
            return bool(v.const)
        return None

    # -- calls ---------------------------------------------------------------------------------
    def eval_call(self, node: cst.Call, st: State) -> Value:
        func = node.func
        recv: Value | None = None
        recv_node = None
        method = None
        qual = None
        fv: Value | None = None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                f"{func.value.value}.{func.attr.value}" in st.env:
            fv = self.eval(func, st)  # `self.fc(x)`: call the attribute's value
            qual = _qual_name(fv)
        elif isinstance(func, cst.Attribute):
            recv_node = func.value
            recv = self.eval_attribute_base(func, st)
            if recv.kind == REF:
                qual = f"{recv.qual}.{func.attr.value}"
                fv = Value(kind=REF, qual=qual)
                recv = None
                recv_node = None
            else:
                method = func.attr.value
        else:
            fv = self.eval(func, st)
            qual = _qual_name(fv)
        args: list[tuple[str | None, Value, cst.Arg]] = []
        for arg in node.args:
            v = self.eval(arg.value, st)
            kw = arg.keyword.value if arg.keyword is not None else None
            if arg.star:
                kw = arg.star
            args.append((kw, v, arg))
        fact = CallFact(node, qual, method, recv, recv_node, args, TOP, st.grad, self.order, self.scope,
                        tuple(self.path))
        if qual is not None:
            result = self.call_qual(qual, fact, st)
        elif method is not None:
            result = self.call_method(method, recv, fact, st)
        elif fv is not None:
            result = self.call_value(fv, fact, st)
        else:
            result = TOP
        fact.result = result
        fact.order = self.tick()
        self.a.calls.append(fact)
        self.a.call_by_node.setdefault(id(node), []).append(fact)
        return result

    def eval_attribute_base(self, func: cst.Attribute, st: State) -> Value:
        # for `self.x.method()` use the `self.x` binding; keep evaluation records for rules
        return self.eval(func.value, st)

    def call_value(self, fv: Value, f: CallFact, st: State) -> Value:
        if fv.kind == CLASS and isinstance(fv.info, ClassInfo):
            if fv.info.is_module:
                return Value(kind=NNMODULE, device=CPU, info=fv.info,
                             dtype="float32" if fv.info.parametric else None)
            return TOP
        if fv.kind == NNMODULE:
            return self.module_output(fv, f, st)
        if fv.kind == FUNCTION:
            return TOP
        return TOP

    def module_output(self, mod: Value, f: CallFact, st: State) -> Value:
        parametric = mod.info == "parametric" or (isinstance(mod.info, ClassInfo) and mod.info.parametric)
        frozen = mod.grad == "no"
        tensors = [v for _, v, _ in f.args if v.kind == TENSOR]
        grad = None
        why = None
        if st.grad == OFF:
            grad = "no"
        elif st.grad == ON and parametric and not frozen:
            grad = "yes"
            why = "it is the output of calling an `nn.Module` with parameters"
        elif st.grad == ON and any(v.grad == "yes" for v in tensors):
            grad = "yes"
            why = "it is computed from a tensor that requires grad"
        return Value(kind=TENSOR, grad=grad, device=mod.device, buf=new_buf(),
                     dtype=mod.dtype if parametric else None,
                     dtype_node=mod.dtype_node if parametric else None,
                     grad_node=f.node if grad == "yes" else None, grad_why=why,
                     device_node=mod.device_node, device_why=mod.device_why)

    # device / dtype argument interpretation
    def device_arg(self, v: Value) -> tuple[str | None, bool]:
        """(device, is_device_like)."""
        if v.kind == STR:
            if v.const is not None:
                d = device_of_string(v.const)
                return d, d is not None
            return v.device, v.device is not None
        if v.kind == DEVICE:
            return v.device, True
        if v.kind == INT and "param" not in v.flags:
            return ACCEL, True  # .to(0) / .cuda(0): a CUDA ordinal
        return None, False

    def dtype_arg(self, v: Value) -> str | None:
        if v.kind == REF and v.qual:
            if v.qual.startswith("torch."):
                return TORCH_DTYPES.get(v.qual[6:])
            if v.qual.startswith("numpy."):
                return NUMPY_DTYPES.get(v.qual[6:])
            if v.qual in BUILTIN_DTYPES:
                return BUILTIN_DTYPES[v.qual]
        if v.kind == "dtype":
            return v.dtype
        if v.kind == STR and v.const:
            return dtype_of_string(v.const)
        return None

    def data_dtype(self, v: Value) -> str | None:
        if v.kind in (NDARRAY, TENSOR):
            return v.dtype
        return None

    def call_qual(self, qual: str, f: CallFact, st: State) -> Value:
        head, _, rest = qual.partition(".")
        if head == "torch":
            return self.conversion_dtype_origin(rest, f, self.call_torch(rest, qual, f, st))
        if head == "numpy":
            return self.numpy_dtype_origin(rest, f, self.call_numpy(rest, f, st))
        if head == "builtins":
            return self.call_builtin(rest, f, st)
        return TOP

    def numpy_dtype_origin(self, rest: str, f: CallFact, v: Value) -> Value:
        """Remember the call whose numpy default (no `dtype`) made an array float64."""
        if v.kind == NDARRAY and v.dtype == "float64" and v.dtype_node is None \
                and not self.numpy_dtype_given(rest, f)[0]:
            return v.with_(dtype_node=f.node)
        return v

    def numpy_dtype_given(self, rest: str, f: CallFact) -> tuple[bool, str | None]:
        """(given, dtype): whether a numpy call names its dtype, by keyword or by position
        (`np.zeros(n, np.float32)`), and that dtype when it is recognised. A given dtype that is
        not recognised (`dtype=dtype`, a parameter) makes the result's dtype unknown; `dtype=None`
        keeps numpy's default."""
        kws = f.keywords()
        arg = kws["dtype"][0] if "dtype" in kws else None
        if arg is None:
            index = 3 if rest == "arange" else NUMPY_DTYPE_POSITION.get(rest)
            pos = f.positional()
            if index is not None and len(pos) > index and not (rest == "arange" and len(pos) != 4):
                arg = pos[index][0]
        if arg is None or arg.kind == NONE:
            return False, None
        return True, self.dtype_arg(arg)

    def conversion_dtype_origin(self, rest: str, f: CallFact, v: Value) -> Value:
        """`torch.from_numpy(a)` & co without `dtype=`: the tensor's dtype comes from the array."""
        if rest in ("from_numpy", "as_tensor", "asarray", "tensor") and v.kind == TENSOR \
                and "dtype" not in f.keywords():
            pos = f.positional()
            if pos and pos[0][0].kind == NDARRAY and v.dtype is not None:
                return v.with_(dtype_node=f.node)
        return v

    def call_builtin(self, name: str, f: CallFact, st: State) -> Value:
        pos = f.positional()
        src = pos[0][0] if pos else TOP
        if name in ("len", "int"):
            return Value(kind=INT)
        if name == "float":
            return Value(kind=FLOAT)
        if name == "bytes":
            return Value(flags=frozenset({"bytes"}))
        if name == "str" or name == "repr":
            return Value(kind=STR)
        if name in ("bool", "isinstance", "issubclass", "hasattr"):
            return Value(kind=BOOL)
        if name == "range":
            return Value(kind=LIST, elem=Value(kind=INT))
        if name in ("list", "sorted", "tuple", "reversed"):
            elem = self.iter_elem(src, None) if pos else None
            return Value(kind=TUPLE if name == "tuple" else LIST, elem=elem)
        if name == "enumerate":
            return Value(kind="enumerate", elem=self.iter_elem(src, None) if pos else None)
        if name == "zip":
            return Value(kind="zip", elts=tuple(v for v, _ in pos))
        if name == "next" and pos:
            return self.iter_elem(src, None) or TOP
        if name == "iter" and pos:
            return src if src.kind in (PARAMS, LIST, TUPLE) else TOP
        if name in ("max", "min", "sum", "abs", "round") and pos and src.kind == TENSOR:
            return src.with_(buf=new_buf(), flags=frozenset())
        return TOP

    def factory_facts(self, f: CallFact, st: State, dtype: str | None, like: Value | None = None) -> Value:
        kws = f.keywords()
        device = like.device if like is not None and like.kind == TENSOR else CPU
        device_node = like.device_node if like is not None else None
        device_why = like.device_why if like is not None else None
        if "device" in kws:
            d, ok = self.device_arg(kws["device"][0])
            device = d if ok else None
            device_node = kws["device"][1] if ok else None
            device_why = _created_why(d)
        dtype_node = None
        if "dtype" in kws:
            dtype = self.dtype_arg(kws["dtype"][0])
            dtype_node = f.node
        grad = "no"
        grad_node = grad_why = None
        if "requires_grad" in kws:
            flag = self.truthy(kws["requires_grad"][0])
            grad = "yes" if flag else ("no" if flag is False else None)
            if flag:
                grad_node, grad_why = f.node, "it is created with `requires_grad=True`"
        if f.has_star:
            device = device if "device" in kws else None
            grad = grad if "requires_grad" in kws else None
        return Value(kind=TENSOR, device=device, grad=grad, dtype=dtype, buf=new_buf(),
                     grad_node=grad_node, grad_why=grad_why, device_node=device_node,
                     device_why=device_why, dtype_node=dtype_node)

    def call_torch(self, rest: str, qual: str, f: CallFact, st: State) -> Value:
        name = rest.rsplit(".", 1)[-1]
        pos = f.positional()
        kws = f.keywords()
        if qual in GRAD_OFF_CONTEXTS:
            if name == "inference_mode" and pos:
                flag = self.truthy(pos[0][0])
                if flag is False:
                    return Value(kind=GRADCTX, const=None)
            return Value(kind=GRADCTX, const=OFF)
        if qual in GRAD_ON_CONTEXTS:
            return Value(kind=GRADCTX, const=ON)
        if qual in SET_GRAD:
            flag = self.truthy(pos[0][0]) if pos else None
            mode = ON if flag else (OFF if flag is False else "maybe")
            # as a statement it switches the mode for what follows
            st.grad = mode if self.is_statement_call(f.node) else st.grad
            return Value(kind=GRADCTX, const=mode)
        if rest == "device" or rest == "cuda.device":
            if pos:
                d, ok = self.device_arg(pos[0][0])
                return Value(kind=DEVICE, device=d if ok else None, device_node=f.node)
            return Value(kind=DEVICE)
        if rest in ("cuda.is_available", "backends.mps.is_available"):
            return Value(kind=BOOL)
        if rest in ("nn.Parameter", "nn.parameter.Parameter"):
            src = pos[0][0] if pos else TOP
            flag = self.truthy(kws["requires_grad"][0]) if "requires_grad" in kws else True
            return Value(kind=TENSOR, grad="yes" if flag else ("no" if flag is False else None),
                         device=src.device if src.kind == TENSOR else (CPU if not pos else None),
                         dtype=src.dtype, buf=src.buf if src.kind == TENSOR else new_buf(),
                         grad_node=f.node, grad_why="it is an `nn.Parameter`")
        if rest.startswith("nn.") and name[:1].isupper() and rest.count(".") == 1 or (
            rest.startswith("nn.modules.") and name[:1].isupper()
        ):
            if name in PARAMETRIC_MODULES:
                return Value(kind=NNMODULE, device=CPU, info="parametric", dtype="float32")
            if name in CONTAINER_MODULES:
                param = any(
                    (v.kind == NNMODULE and (v.info == "parametric" or (isinstance(v.info, ClassInfo) and v.info.parametric)))
                    for _, v, _ in f.args
                )
                return Value(kind=NNMODULE, device=CPU, info="parametric" if param else None,
                             dtype="float32" if param else None)
            return Value(kind=NNMODULE, device=CPU, info=None)
        if rest.startswith("nn.init.") and name.endswith("_") and pos:
            tgt = pos[0][0]
            self.write(tgt, f.node, None)
            return tgt
        if name in LEGACY_CONSTRUCTORS and rest in (name, f"cuda.{name}"):
            fixed = LEGACY_CONSTRUCTORS[name]
            dtype = fixed or "float32"
            device = ACCEL if rest.startswith("cuda.") else CPU
            if pos and len(pos) == 1:
                src = pos[0][0]
                if src.kind == NDARRAY and src.dtype == dtype and device == CPU and src.buf is not None:
                    res = Value(kind=TENSOR, dtype=dtype, device=CPU, grad="no", buf=src.buf,
                                flags=src.flags & {"negstride", "readonly"})
                    self.share(src, res, f.node, "np->torch", pos[0][1].value)
                    return res
                if src.kind == TENSOR:
                    return src.with_(flags=frozenset())
            return Value(kind=TENSOR, dtype=dtype, device=device, grad="no", buf=new_buf())
        if name == "from_numpy" and rest == "from_numpy":
            src = pos[0][0] if pos else TOP
            res = Value(kind=TENSOR, device=CPU, grad="no", dtype=src.dtype,
                        buf=src.buf if src.buf is not None else new_buf(),
                        flags=src.flags & {"negstride", "readonly"})
            if pos:
                self.refine_ndarray(pos[0][1].value, src, st)
                self.share(src.with_(kind=NDARRAY), res, f.node, "np->torch", pos[0][1].value)
            return res
        if rest in ("as_tensor", "asarray"):
            src = pos[0][0] if pos else TOP
            target_dtype = self.dtype_arg(kws["dtype"][0]) if "dtype" in kws else None
            named = "dtype" in kws and kws["dtype"][0].kind != NONE  # an unknown named dtype: unknown
            dev = CPU
            dev_node = None
            if "device" in kws:
                dev, ok = self.device_arg(kws["device"][0])
                dev = dev if ok else None
                dev_node = kws["device"][1]
            copy_flag = self.truthy(kws["copy"][0]) if "copy" in kws else None
            same_dtype = "dtype" not in kws or (target_dtype is not None and target_dtype == src.dtype)
            shares = (src.kind == NDARRAY and dev == CPU and same_dtype and copy_flag is not True
                      and src.buf is not None)
            if src.kind == TENSOR:
                if "dtype" not in kws and "device" not in kws:
                    return src
                return src.with_(buf=new_buf(), dtype=target_dtype if named else src.dtype,
                                 device=dev if "device" in kws else src.device)
            res = Value(kind=TENSOR, device=dev, grad="no",
                        dtype=target_dtype if named else (src.dtype if src.kind == NDARRAY else None),
                        buf=src.buf if shares else new_buf(),
                        flags=src.flags & {"negstride", "readonly"},
                        device_node=dev_node if dev in (ACCEL, MAYBE, META) else None,
                        device_why=_created_why(dev))
            if shares:
                self.share(src, res, f.node, "np->torch", pos[0][1].value)
            return res
        if rest == "tensor":
            src = pos[0][0] if pos else TOP
            dtype = None
            if src.kind in (NDARRAY, TENSOR):
                dtype = src.dtype
            elif src.kind == FLOAT:
                dtype = "float32"
            res = self.factory_facts(f, st, dtype)
            return res.with_(flags=src.flags & {"negstride"} if src.kind == NDARRAY else frozenset())
        if name in TORCH_FLOAT_FACTORIES and rest == name:
            like = pos[0][0] if name.endswith("_like") and pos else None
            dtype = like.dtype if like is not None and like.kind == TENSOR else "float32"
            res = self.factory_facts(f, st, dtype, like)
            return self.fresh_fill(res) if name in FILL_FACTORIES else res
        if name in TORCH_INT_FACTORIES and rest == name:
            return self.factory_facts(f, st, "int64")
        if rest == "arange":
            floaty = any(v.kind == FLOAT for v, _ in pos)
            return self.factory_facts(f, st, "float32" if floaty else "int64")
        if rest in ("quantize_per_tensor", "quantize_per_channel") and pos:
            dt = kws["dtype"][0] if "dtype" in kws else pos[-1][0]
            src = pos[0][0]
            return Value(kind=TENSOR, grad="no", dtype=self.dtype_arg(dt), dtype_node=f.node,
                         device=src.device if src.kind == TENSOR else None, buf=new_buf())
        if rest in ("load", "jit.load", "hub.load", "load_state_dict"):
            return TOP
        if rest.startswith(("cuda.", "backends.", "distributed.", "utils.", "jit.", "onnx.", "hub.",
                            "testing.", "_C.", "compile", "manual_seed", "set_", "get_")):
            return TOP
        if rest in ("numel",):
            return Value(kind=INT)
        if rest in ("is_tensor", "is_floating_point", "is_complex", "is_nonzero", "equal", "allclose"):
            return Value(kind=BOOL)
        # generic torch function: a tensor result when a tensor goes in
        tensors = [v for _, v, _ in f.args if v.kind == TENSOR]
        for _, v, _ in f.args:
            if v.kind in (LIST, TUPLE) and v.elem is not None and v.elem.kind == TENSOR:
                tensors.append(v.elem)
        if not tensors:
            return TOP
        if name in INTEGER_RESULT_METHODS:
            return Value(kind=TENSOR, grad="no", device=tensors[0].device, buf=new_buf())
        grad = None
        gsrc = None
        if st.grad == OFF:
            grad = "no"
        elif st.grad == ON and any(v.grad == "yes" for v in tensors):
            grad = "yes"
            gsrc = next(v for v in tensors if v.grad == "yes")
        elif all(v.grad == "no" for v in tensors):
            grad = "no" if not any(v.kind == NNMODULE for _, v, _ in f.args) else None
        devs = {v.device for v in tensors}
        dev = devs.pop() if len(devs) == 1 else None
        dsrc = next((v for v in tensors if v.device == dev and dev is not None), None)
        return Value(kind=TENSOR, grad=grad, device=dev, buf=new_buf(),
                     grad_node=gsrc.grad_node if gsrc else None, grad_why=gsrc.grad_why if gsrc else None,
                     device_node=dsrc.device_node if dsrc else None,
                     device_why=dsrc.device_why if dsrc else None)

    def is_statement_call(self, node: cst.Call) -> bool:
        return self._stmt_call == id(node)

    def refine_ndarray(self, node, src: Value, st: State) -> None:
        """`torch.from_numpy(x)` proves x is an ndarray."""
        if isinstance(node, cst.Name) and src.kind == UNKNOWN and src.buf is not None:
            st.env[node.value] = src.with_(kind=NDARRAY)

    def call_numpy(self, rest: str, f: CallFact, st: State) -> Value:
        name = rest.rsplit(".", 1)[-1]
        pos = f.positional()
        kws = f.keywords()
        given, dtype_kw = self.numpy_dtype_given(rest, f)

        def default(dtype):
            """numpy's dtype when the call names none, else the named one (None: unknown)"""
            return dtype_kw if given else dtype

        src = pos[0][0] if pos else TOP
        if rest in NUMPY_DTYPES and src.kind != TENSOR:
            return Value(kind="npscalar", dtype=NUMPY_DTYPES[rest])
        if rest in ("asarray", "array", "asanyarray", "ascontiguousarray", "asfortranarray") or \
                (rest in NUMPY_DTYPES and src.kind == TENSOR):
            if src.kind == TENSOR:
                # Tensor.__array__ calls .numpy(): a torch->numpy conversion
                copy = rest == "array" or (rest in NUMPY_DTYPES)
                copy_kw = kws.get("copy")
                if copy_kw is not None and copy_kw[0].kind == NONE and rest == "array":
                    copy = False
                if dtype_kw is not None and dtype_kw != src.dtype:
                    copy = True
                res = Value(kind=NDARRAY, dtype=default(src.dtype),
                            buf=new_buf() if copy else src.buf)
                if not copy:
                    self.share(src, res, f.node, "torch->np", pos[0][1].value)
                return res
            if rest in NUMPY_DTYPES:
                return Value(kind="npscalar", dtype=NUMPY_DTYPES[rest])
            if src.kind == NDARRAY:
                if rest == "array" and not ("copy" in kws and kws["copy"][0].kind in (NONE,)):
                    return src.with_(buf=new_buf(), dtype=default(src.dtype), flags=frozenset())
                if not given or dtype_kw == src.dtype:
                    if rest == "ascontiguousarray":
                        return src.with_(buf=new_buf(), flags=frozenset())
                    return src.with_(flags=src.flags - {"param"})
                if dtype_kw is None:
                    # an unknown dtype may or may not copy: the dtype becomes unknown
                    return src.with_(dtype=None, dtype_node=None, flags=src.flags - {"param"})
                return src.with_(buf=new_buf(), dtype=dtype_kw, flags=frozenset())
            dtype = dtype_kw
            if src.kind in (INT, FLOAT, BOOL):
                dtype = default({INT: "int64", FLOAT: "float64", BOOL: "bool"}[src.kind])
                return Value(kind=NDARRAY, dtype=dtype, buf=new_buf(), flags=frozenset({"zerod"}))
            if not given and src.kind in (LIST, TUPLE) and src.elem is not None:
                if src.elem.kind == FLOAT:
                    dtype = "float64"
                elif src.elem.kind == INT:
                    dtype = "int64"
                elif src.elem.kind == NDARRAY:
                    dtype = src.elem.dtype
                elif src.elem.kind in (LIST, TUPLE):
                    leaf = src.elem  # nested literals: [[0.5, 1.5], [2.0, 0.0]]
                    while leaf.kind in (LIST, TUPLE) and leaf.elem is not None:
                        leaf = leaf.elem
                    dtype = {FLOAT: "float64", INT: "int64"}.get(leaf.kind)
            maybe0d = src.kind not in (LIST, TUPLE)  # np.array(3) is 0-d
            return Value(kind=NDARRAY, dtype=dtype, buf=new_buf(),
                         flags=frozenset({"maybe0d"}) if maybe0d else frozenset())
        if rest in NUMPY_FLOAT64_FACTORIES:
            res = Value(kind=NDARRAY, dtype=default("float64"), buf=new_buf())
            return self.fresh_fill(res) if rest in FILL_FACTORIES else res
        if rest in ("zeros_like", "ones_like", "empty_like", "full_like", "copy"):
            res = Value(kind=NDARRAY, dtype=default(src.dtype if src.kind == NDARRAY else None),
                        buf=new_buf())
            return self.fresh_fill(res) if rest in FILL_FACTORIES else res
        if rest == "full":
            fill = pos[1][0] if len(pos) > 1 else None
            dtype = default("float64" if fill is not None and fill.kind == FLOAT else
                            "int64" if fill is not None and fill.kind == INT else None)
            return self.fresh_fill(Value(kind=NDARRAY, dtype=dtype, buf=new_buf()))
        if rest == "arange":
            floaty = any(v.kind == FLOAT for v, _ in pos)
            ints = all(v.kind == INT for v, _ in pos) and pos
            return Value(kind=NDARRAY, dtype=default("float64" if floaty else "int64" if ints else None),
                         buf=new_buf())
        if rest.startswith("random.") and name in NUMPY_RANDOM_FLOAT:
            return Value(kind=NDARRAY, dtype="float64", buf=new_buf())
        if rest.startswith("random.") and name in ("randint", "integers", "permutation", "choice",
                                                    "binomial", "poisson"):
            dtype = default("int64" if name in ("randint", "integers", "binomial", "poisson")
                            or (name == "permutation" and src.kind == INT) else None)
            return Value(kind=NDARRAY, dtype=dtype, buf=new_buf())
        if rest.startswith("random.") and name in NUMPY_RANDOM_INPLACE and pos:
            self.write(pos[0][0], f.node, None)
            return Value(kind=NONE)
        if rest in ("frombuffer",):
            # read-only when the buffer is immutable: a bytes literal, `bytes(...)`, `x.tobytes()`, ...
            immutable = src.kind == STR or "bytes" in src.flags
            dtype = default("float64")
            return Value(kind=NDARRAY, dtype=dtype, buf=new_buf(),
                         flags=frozenset({"readonly"}) if immutable else frozenset(),
                         origins=(("readonly", f.node),) if immutable else ())
        if rest == "broadcast_to":
            return Value(kind=NDARRAY, dtype=src.dtype, buf=src.buf if src.kind == NDARRAY else new_buf(),
                         flags=frozenset({"readonly", "broadcast"}), origins=(("readonly", f.node),))
        if rest in NUMPY_INPLACE_FUNCS and pos:
            self.write(pos[0][0], f.node, None)
            return Value(kind=NONE)
        if rest in NUMPY_VIEW_FUNCS:
            neg = NUMPY_VIEW_FUNCS[rest]
            if rest == "rot90":
                k = pos[1][0] if len(pos) > 1 else (kws["k"][0] if "k" in kws else Value(kind=INT, const=1))
                if k.kind != INT or not isinstance(k.const, int) or k.const % 4 == 0:
                    neg = False  # k = 0 (mod 4) is `m[:]`; an unknown k may be
            if src.kind == NDARRAY:
                flags = src.flags - {"param"}
                origins = src.origins
                if rest == "reshape":
                    flags = _reshaped(flags)
                if neg and flags & {"negstride", "maynegstride"}:
                    flags = flags - {"negstride", "maynegstride"}  # flipped twice: unknown
                elif neg:
                    flags = flags | {"negstride"}
                    origins = origins + (("negstride", f.node),)
                return src.with_(flags=flags, origins=origins)
            return Value(kind=NDARRAY, buf=new_buf(), flags=frozenset({"negstride"}) if neg else frozenset(),
                         origins=(("negstride", f.node),) if neg else ())
        if "out" in kws:
            out = kws["out"][0]
            self.write(out, f.node, None)
            return out
        if any(v.kind == NDARRAY for v, _ in pos):
            dtype = None
            if name in ("mean", "std", "var", "average") and src.kind == NDARRAY and src.dtype in INT_DTYPES | {"float64"}:
                dtype = "float64"
            elif src.kind == NDARRAY and src.dtype == "float64" and name in (
                    "stack", "concatenate", "vstack", "hstack", "sqrt", "exp", "log", "abs", "clip",
                    "sum", "cumsum", "dot", "matmul", "tanh", "sin", "cos", "maximum", "minimum",
                    "where", "dstack", "tile", "repeat", "pad"):
                dtype = "float64"
            return Value(kind=NDARRAY, dtype=default(dtype), buf=new_buf(),
                         flags=frozenset({"maybe0d"}) if name in NUMPY_REDUCTIONS else frozenset())
        if rest in ("stack", "concatenate", "vstack", "hstack") and pos:
            elem = pos[0][0].elem
            if elem is not None and elem.kind == NDARRAY:
                return Value(kind=NDARRAY, dtype=default(elem.dtype), buf=new_buf())
            return Value(kind=NDARRAY, dtype=dtype_kw, buf=new_buf())
        if rest in ("memmap", "load", "loadtxt", "genfromtxt", "fromfile"):
            flags = frozenset()
            if rest in ("memmap", "load"):
                # np.memmap(filename, dtype, mode) / np.load(file, mmap_mode)
                key, index = ("mode", 2) if rest == "memmap" else ("mmap_mode", 1)
                mode = kws.get(key) or (pos[index] if len(pos) > index else None)
                if mode is not None and mode[0].kind == STR and mode[0].const in ("r", "readonly"):
                    flags = frozenset({"readonly"})
            return Value(kind=NDARRAY, dtype=dtype_kw, buf=new_buf(), flags=flags,
                         origins=(("readonly", f.node),) if flags else ())
        return TOP

    def call_method(self, m: str, recv: Value, f: CallFact, st: State) -> Value:
        pos = f.positional()
        kws = f.keywords()
        if recv.kind == TENSOR:
            return self.tensor_method(m, recv, f, st, pos, kws)
        if recv.kind == NDARRAY:
            return self.ndarray_method(m, recv, f, st, pos, kws)
        if recv.kind == NNMODULE:
            return self.module_method(m, recv, f, st, pos, kws)
        if recv.kind == UNKNOWN and m in ("numpy",) and recv.buf is not None:
            # `.numpy()` proves a tensor; the result shares its memory
            res = Value(kind=NDARRAY, buf=recv.buf)
            self.share(recv.with_(kind=TENSOR), res, f.node, "torch->np", f.recv_node)
            return res
        if recv.kind in (LIST, UNKNOWN) and m in ("append", "extend", "insert", "add", "put",
                                                   "setdefault", "update", "appendleft"):
            for _, v, a in f.args:
                self.escape(v, f.node, "stored in a container")
                self.store(v, a.value, f.node, "container", st, self.target_name(f.recv_node))
            if recv.kind == LIST and m in ("append", "insert", "extend"):
                self.update_receiver(f.recv_node, self.list_grown(recv, m, pos, kws), st)
            return Value(kind=NONE)
        if recv.kind == UNKNOWN and recv.flags & {"negstride", "maynegstride"} and m in NDARRAY_VIEW_METHODS - {"reshape"}:
            return recv  # `img[:, :, ::-1].transpose(2, 0, 1)` is still a reversed view
        if recv.kind == UNKNOWN and m in BYTES_METHODS and recv.info is None:
            return Value(flags=frozenset({"bytes"}))  # `f.read()`, `buf.getvalue()`: bytes by convention
        if m == "size" and recv.kind == UNKNOWN and len(pos) == 1 and not kws:
            return Value(kind=INT)  # `x.size(0)`: a dimension, an int by convention
        if m in ("to", "cuda") and recv.kind == UNKNOWN and recv.info is None:
            # a tensor or a module: only the device is known
            if m == "cuda":
                return Value(device=ACCEL, buf=new_buf(), device_node=f.node,
                             device_why="it was moved with `.cuda()`")
            for v, _n in pos[:1]:
                d, ok = self.device_arg(v)
                if ok and d in (ACCEL, MAYBE, META):
                    return Value(device=d, buf=new_buf(), device_node=f.node, device_why=_moved_why(d))
            return TOP
        if m in ("parameters",) and recv.kind == UNKNOWN:
            return TOP
        return TOP

    def list_grown(self, recv: Value, m: str, pos, kws) -> Value:
        """The list after `append(v)` / `insert(i, v)` / `extend(seq)`: its element joins v."""
        if m == "extend":
            seq = pos[0][0] if len(pos) == 1 and not kws else TOP
            v = seq.elem if seq.kind in (LIST, TUPLE) and seq.elem is not None else TOP
        else:
            want = 1 if m == "append" else 2
            v = pos[-1][0] if len(pos) == want and not kws else TOP
        if recv.elem is None and recv.const != 0:
            return recv.with_(const=None)  # contents unknown before: still unknown
        elem = v if recv.elem is None else join(recv.elem, v)
        return recv.with_(elem=elem, const=None)

    def module_method(self, m, recv: Value, f: CallFact, st: State, pos, kws) -> Value:
        if m in ("to", "cuda", "cpu"):
            dev = recv.device
            node = recv.device_node
            why = recv.device_why
            if m == "cuda":
                dev, node, why = ACCEL, f.node, "its module was moved with `.cuda()`"
            elif m == "cpu":
                dev, node, why = CPU, None, None
            else:
                for v, n in pos[:1]:
                    d, ok = self.device_arg(v)
                    if ok:
                        dev, node = d, f.node
                        why = ("its module was moved to an accelerator with `.to(...)`" if d == ACCEL else
                               "its module was moved with `.to(device)` where `device` may be an accelerator"
                               if d == MAYBE else None)
                    elif v.kind == UNKNOWN:
                        dev, node, why = None, None, None
                if "device" in kws:
                    d, ok = self.device_arg(kws["device"][0])
                    dev, node = (d, f.node) if ok else (None, None)
                    why = ("its module was moved to an accelerator with `.to(...)`" if d == ACCEL else
                           "its module was moved with `.to(device)` where `device` may be an accelerator"
                           if d == MAYBE else None)
            dtype = recv.dtype
            if m == "to":
                for v, n in pos[:2]:
                    if self.dtype_arg(v) is not None:
                        dtype = self.dtype_arg(v)
                    elif v.kind == UNKNOWN and "dev" not in self.code_of(n.value).lower():
                        dtype = None  # `.to(x)`: x may be a dtype (a name with "device" is taken as a device)
                if "dtype" in kws:
                    dtype = self.dtype_arg(kws["dtype"][0])
            new = recv.with_(device=dev, device_node=node, device_why=why, dtype=dtype,
                             dtype_node=f.node if dtype != recv.dtype else recv.dtype_node)
            self.update_receiver(f.recv_node, new, st)
            return new
        if m in ("float", "double", "half", "bfloat16"):
            # in place, like `.to(dtype)`: the parameters change dtype and the module is returned
            new = recv.with_(dtype=DTYPE_CAST_METHODS[m], dtype_node=f.node)
            self.update_receiver(f.recv_node, new, st)
            return new
        if m in ("eval", "train", "share_memory", "apply", "zero_grad"):
            return recv
        if m == "requires_grad_":
            flag = self.truthy(pos[0][0]) if pos else True
            new = recv.with_(grad="no" if flag is False else None)
            self.update_receiver(f.recv_node, new, st)
            return new
        if m in ("parameters",):
            param = Value(kind=TENSOR, grad="yes" if recv.grad != "no" else None, device=recv.device,
                          buf=new_buf(), grad_node=f.node, grad_why="it is a parameter of a module",
                          device_node=recv.device_node, device_why=recv.device_why)
            return Value(kind=PARAMS, elem=param)
        if m == "named_parameters":
            param = Value(kind=TENSOR, grad="yes" if recv.grad != "no" else None, device=recv.device,
                          buf=new_buf(), grad_node=f.node, grad_why="it is a parameter of a module",
                          device_node=recv.device_node, device_why=recv.device_why)
            return Value(kind=PARAMS, elem=Value(kind=TUPLE, elts=(Value(kind=STR), param)))
        if m == "forward":
            return self.module_output(recv, f, st)
        return TOP

    def update_receiver(self, node, new: Value, st: State) -> None:
        if isinstance(node, cst.Name):
            st.env[node.value] = new
        elif isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            st.env[f"{node.value.value}.{node.attr.value}"] = new

    def tensor_method(self, m, recv: Value, f: CallFact, st: State, pos, kws) -> Value:
        def derived(grad_keep: bool = True, buf=None, **kw) -> Value:
            grad = recv.grad if grad_keep else "no"
            if st.grad == OFF and grad == "yes" and buf is None:
                grad = "no"
            return recv.with_(grad=grad, buf=buf if buf is not None else new_buf(),
                              flags=frozenset(), **kw)

        if m == "numpy":
            force = self.truthy(kws["force"][0]) if "force" in kws else False
            res = Value(kind=NDARRAY, dtype=recv.dtype, buf=recv.buf, flags=recv.flags & SHAPE_FLAGS)
            if force and recv.device != CPU:
                return res.with_(buf=new_buf())
            self.share(recv, res, f.node, "torch->np", f.recv_node)
            return res
        if m == "detach":
            return recv.with_(grad="no", grad_node=None, grad_why=None, flags=recv.flags & SHAPE_FLAGS)
        if m == "cpu":
            if recv.device == CPU:
                return recv.with_(flags=recv.flags & SHAPE_FLAGS)
            return recv.with_(device=CPU, buf=new_buf(), device_node=None, device_why=None,
                              flags=recv.flags & SHAPE_FLAGS, grad="no" if st.grad == OFF else recv.grad)
        if m == "cuda":
            return derived(device=ACCEL, device_node=f.node, device_why="it was moved with `.cuda()`")
        if m == "to":
            return self.tensor_to(recv, f, st, pos, kws)
        if m in DTYPE_CAST_METHODS:
            target = DTYPE_CAST_METHODS[m]
            int_target = target in INT_DTYPES
            if recv.dtype == target:
                return recv.with_(flags=frozenset())
            return derived(grad_keep=not int_target, dtype=target, dtype_node=f.node)
        if m == "type" and pos:
            return derived(dtype=self.dtype_arg(pos[0][0]), dtype_node=f.node)
        if m == "requires_grad_":
            flag = self.truthy(pos[0][0]) if pos else (self.truthy(kws["requires_grad"][0]) if "requires_grad" in kws else True)
            new = recv.with_(grad="yes" if flag else ("no" if flag is False else None),
                             grad_node=f.node if flag else None,
                             grad_why="`.requires_grad_()` was called on it" if flag else None)
            self.update_receiver(f.recv_node, new, st)
            return new
        if m in ("view", "reshape", "flatten") and (not pos if m == "flatten" else (
                len(pos) == 1 and pos[0][0].kind == INT and pos[0][0].const == -1)) and not kws:
            return recv.with_(flags=(recv.flags - {"param", "via_data", "zerod"}) | {"flat1d"})
        if m in TENSOR_VIEW_METHODS:
            return recv.with_(flags=recv.flags - {"param", "via_data"} - SHAPE_FLAGS,
                              grad="no" if st.grad == OFF and recv.grad == "yes" and False else recv.grad)
        if m in ("clone", "contiguous"):
            if m == "clone":
                self.drop_copied_share(f.recv_node)
            return derived().with_(flags=recv.flags & SHAPE_FLAGS)
        if m.endswith("_") and not m.endswith("__") and m not in NOT_WRITE_UNDERSCORE:
            self.write(recv, f.node, self.target_name(f.recv_node) if f.recv_node is not None else None)
            return recv
        if m in NON_TENSOR_METHODS:
            if m == "size" and not pos:
                return Value(kind=SIZE)
            if m in ("size", "dim", "numel", "nelement", "element_size", "ndimension"):
                return Value(kind=INT)
            return TOP
        if m in INTEGER_RESULT_METHODS:
            return Value(kind=TENSOR, grad="no", device=recv.device, buf=new_buf(),
                         device_node=recv.device_node, device_why=recv.device_why)
        if m in ("chunk", "split", "unbind", "tensor_split"):
            return Value(kind=TUPLE, elem=recv.with_(flags=frozenset()))
        if "out" in kws:
            self.write(kws["out"][0], f.node, None)
        # other ops: grad flows from the receiver and tensor arguments
        others = [v for _, v, _ in f.args if v.kind == TENSOR]
        grad = recv.grad
        grad_node, grad_why = recv.grad_node, recv.grad_why
        if st.grad == OFF:
            grad = "no"
        elif grad != "yes":
            g = next((v for v in others if v.grad == "yes"), None)
            if g is not None and st.grad == ON:
                grad, grad_node, grad_why = "yes", g.grad_node, g.grad_why
            elif grad == "no" and not all(v.grad == "no" for v in others):
                grad = None
        elif st.grad != ON:
            grad = None
        zerod = m in TENSOR_FULL_REDUCTIONS and not pos and not kws
        return recv.with_(grad=grad, grad_node=grad_node, grad_why=grad_why, buf=new_buf(),
                          flags=frozenset({"zerod"}) if zerod else frozenset(), dtype=recv.dtype if m in ("abs", "neg", "sum", "mean", "clamp", "exp", "log", "sqrt", "sigmoid", "tanh", "relu", "softmax", "flip", "roll", "mul", "add", "sub", "div") else None)

    def tensor_to(self, recv: Value, f: CallFact, st: State, pos, kws) -> Value:
        device = recv.device
        dev_node, dev_why = recv.device_node, recv.device_why
        dtype = recv.dtype
        changed_dev = False
        changed_dtype = False
        unknown_arg = False
        for v, _n in pos:
            d, ok = self.device_arg(v)
            if ok:
                if d != recv.device or d is None:
                    changed_dev = True
                device = d
                dev_node = f.node if d in (ACCEL, MAYBE, META) else None
                dev_why = _moved_why(d)
                if d in (ACCEL, MAYBE) and v.device_node is not None and v.kind == DEVICE and v.device_why:
                    dev_why = f"it was moved with `.to(...)` to a device that {v.device_why.removeprefix('it ')}" if False else dev_why
                continue
            dt = self.dtype_arg(v)
            if dt is not None:
                changed_dtype = dt != recv.dtype
                dtype = dt
                continue
            if v.kind == TENSOR:
                device, dtype = v.device, v.dtype
                dev_node, dev_why = v.device_node, v.device_why
                changed_dev = changed_dtype = True
                continue
            unknown_arg = True
        if "device" in kws:
            d, ok = self.device_arg(kws["device"][0])
            device = d if ok else None
            changed_dev = True
            dev_node = f.node if d in (ACCEL, MAYBE, META) else None
            dev_why = _moved_why(d)
        if "dtype" in kws:
            dtype = self.dtype_arg(kws["dtype"][0])
            changed_dtype = True
        copy = self.truthy(kws["copy"][0]) if "copy" in kws else False
        if unknown_arg:
            return recv.with_(device=None, dtype=None, buf=new_buf(), flags=frozenset(),
                              device_node=None, device_why=None,
                              grad=("no" if st.grad == OFF and recv.grad == "yes" else recv.grad))
        noop = (not copy and (not changed_dev or (device == recv.device and device == CPU))
                and (not changed_dtype or dtype == recv.dtype) and dtype is not None or
                (not copy and not changed_dtype and device == CPU and recv.device == CPU))
        grad = recv.grad
        if st.grad == OFF and grad == "yes" and not noop:
            grad = "no"
        int_target = dtype in INT_DTYPES if changed_dtype else False
        if int_target:
            grad = "no"
        return recv.with_(device=device, dtype=dtype, buf=recv.buf if noop else new_buf(),
                          flags=recv.flags & SHAPE_FLAGS if not noop else recv.flags - {"param"},
                          device_node=dev_node, device_why=dev_why, grad=grad,
                          dtype_node=f.node if changed_dtype and dtype is not None else recv.dtype_node)

    def ndarray_method(self, m, recv: Value, f: CallFact, st: State, pos, kws) -> Value:
        if m == "copy":
            self.drop_copied_share(f.recv_node)
            return recv.with_(buf=new_buf(), flags=recv.flags & {"maybe0d"})
        if m == "astype":
            dt = self.dtype_arg(pos[0][0]) if pos else (self.dtype_arg(kws["dtype"][0]) if "dtype" in kws else None)
            copy = self.truthy(kws["copy"][0]) if "copy" in kws else True
            if copy is False and dt is not None and dt == recv.dtype:
                return recv.with_(flags=recv.flags - {"param"})
            return recv.with_(buf=new_buf(), dtype=dt, flags=recv.flags & {"maybe0d"},
                              dtype_node=recv.dtype_node if dt == recv.dtype else None)
        if m in NDARRAY_VIEW_METHODS:
            flags = recv.flags - {"param"}
            return recv.with_(flags=_reshaped(flags) if m == "reshape" else flags)
        if m == "tobytes":
            return Value(flags=frozenset({"bytes"}))
        if m in NDARRAY_INPLACE_METHODS:
            self.write(recv, f.node, self.target_name(f.recv_node) if f.recv_node is not None else None)
            return Value(kind=NONE)
        if m == "byteswap" and "inplace" in kws and self.truthy(kws["inplace"][0]):
            self.write(recv, f.node, None)
            return recv
        if m == "setflags":
            if "write" in kws and self.truthy(kws["write"][0]) is False:
                self.update_receiver(f.recv_node, recv.with_(flags=recv.flags | {"readonly"},
                                                             origins=recv.origins + (("readonly", f.node),)), st)
            return Value(kind=NONE)
        if m == "tolist":
            return Value(kind=LIST)
        dt = kws["dtype"][0] if "dtype" in kws else (pos[1][0] if len(pos) > 1 else None)
        if m in ("mean", "std", "var") and dt is not None and dt.kind != NONE:
            # `a.mean(dtype=np.float32)`, `a.std(axis, dtype)`: the named dtype (unknown if not recognised)
            return Value(kind=NDARRAY, dtype=self.dtype_arg(dt), buf=new_buf(), flags=frozenset({"maybe0d"}))
        if m in ("mean", "std", "var") and recv.dtype in INT_DTYPES | {"float64"}:
            return Value(kind=NDARRAY, dtype="float64", buf=new_buf(), flags=frozenset({"maybe0d"}))
        if m in ("flatten", "ravel", "squeeze", "clip", "round", "cumsum", "repeat", "dot", "sum",
                 "max", "min", "mean", "std", "var", "prod", "swapaxes", "take", "compress"):
            if "out" in kws:
                self.write(kws["out"][0], f.node, None)
            return Value(kind=NDARRAY, buf=new_buf(),
                         dtype=recv.dtype if m in ("flatten", "ravel", "squeeze", "clip", "repeat", "swapaxes", "take") else None,
                         flags=frozenset({"maybe0d"}) if m in NUMPY_REDUCTIONS or m in ("squeeze", "take") else frozenset())
        return TOP


def _reshaped(flags: frozenset) -> frozenset:
    """Flags after a reshape, which copies when no view fits: negative strides and broadcast
    read-only memory become unknown."""
    if "broadcast" in flags:
        flags = flags - {"readonly", "broadcast"}
    return flags - {"negstride", "maynegstride"}


def _suite(body) -> list | None:
    """The statements of a suite: an indented block's lines, or a one-line suite itself."""
    if isinstance(body, cst.IndentedBlock):
        return list(body.body)
    if isinstance(body, cst.SimpleStatementSuite):
        return [body]
    return None


def _bodies(stmt) -> list:
    """Statement lists nested directly in a compound statement (no expressions visited)."""
    out = []
    suites = [getattr(stmt, "body", None)]
    suites += [h.body for h in getattr(stmt, "handlers", ()) or ()]
    orelse = getattr(stmt, "orelse", None)
    if isinstance(orelse, cst.If):
        out.append([orelse])
    elif orelse is not None:
        suites.append(getattr(orelse, "body", None))
    final = getattr(stmt, "finalbody", None)
    if final is not None:
        suites.append(final.body)
    suites += [case.body for case in getattr(stmt, "cases", ()) or ()]
    out += [stmts for stmts in map(_suite, suites) if stmts is not None]
    return out


def simple_statements(block):
    """Every small statement under a block, through nested compound statements."""
    stack = [_suite(block) or []]
    while stack:
        for stmt in stack.pop():
            if isinstance(stmt, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                yield from stmt.body
            elif not isinstance(stmt, cst.BaseSmallStatement):
                stack.extend(_bodies(stmt))


def analyze(module: cst.Module, class_facts: dict[int, tuple] | None = None, code_of=None
            ) -> Analysis:
    return Analyzer(module, class_facts, code_of).run()
