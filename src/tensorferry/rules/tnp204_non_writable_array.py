from __future__ import annotations

from tensorferry.facts import NDARRAY
from tensorferry.rules._common import describe
from tensorferry.rules._triggers import TORCH
from tensorferry.rules._conversions import accelerator_target, append_call, call_text, numpy_to_torch, origin
from tensorferry.rules.base import Rule, RuleDocs


class NonWritableArray(Rule):
    code = "TNP204"
    name = "non-writable-array"
    summary = "A read-only numpy array converted with `from_numpy` / `as_tensor` gives a writable tensor over read-only memory"
    fix_availability = "sometimes"
    fix_applicability = "unsafe"
    # a read-only array's maker, and a conversion, which resolves to `torch....`
    triggers = ((TORCH, ("frombuffer", "broadcast_to", "memmap", "mmap_mode", "setflags")),)
    docs = RuleDocs(
        what="""
Flags read-only numpy arrays passed to `torch.from_numpy`, `torch.as_tensor`, `torch.asarray`
(without `copy=True` or a dtype change) and the legacy constructors `torch.Tensor(a)`, ...
An array is read-only when it is `np.frombuffer` over an immutable buffer (a bytes literal,
`bytes(...)`, `x.tobytes()`, `f.read()`, `buf.getvalue()`), `np.broadcast_to(...)`,
`np.memmap(..., mode="r")`, `np.load(..., mmap_mode="r")` or an array after
`a.setflags(write=False)`, and views of it (slices, transposes, `np.asarray`).
""",
        why="""
PyTorch has no read-only tensors. `from_numpy`, `as_tensor`, `asarray` and the legacy
constructors hand out a writable tensor over the array's memory and warn once per process:
`UserWarning: The given NumPy array is not writable, and PyTorch does not support non-writable
tensors. This means writing to this tensor will result in undefined behavior.` Any in-place write
through the tensor then mutates memory that was promised to stay unchanged: `t[0] = 99` after
`np.frombuffer(b)` changes the immutable `bytes` object `b`, `t[0, 0] = 42` after
`np.broadcast_to(row, (4, 3))` changes every row (they all alias one row), and `t += 1` after
`setflags(write=False)` changes the "read-only" array; a write into a `mode="r"` memory map
crashes the process. `torch.as_tensor(a, dtype=...)` warns too even when it copies.
""",
        example="""
payload = sock.recv(16)
samples = np.frombuffer(payload, dtype=np.int16)
wav = torch.from_numpy(samples)          # UserWarning; wav aliases the bytes object
wav[0] = 0                               # mutates `payload`
""",
        use_instead="""
payload = sock.recv(16)
samples = np.frombuffer(payload, dtype=np.int16)
wav = torch.from_numpy(samples.copy())   # a writable copy, no warning
""",
        fix_safety="""
The fix appends `.copy()` to the array argument. The tensor then owns fresh, writable memory
with the same values and dtype, and the warning goes away (runtime-facts section 6). It is
unsafe: the tensor no longer shares memory with the array, which matters to code that relied on
the aliasing (a memory map that was not meant to be read into RAM, later writes to the
array expected to show in the tensor). `torch.tensor(a)` is an equivalent alternative.
""",
        references=(
            "[torch.from_numpy](https://pytorch.org/docs/stable/generated/torch.from_numpy.html)",
            "[numpy.frombuffer](https://numpy.org/doc/stable/reference/generated/numpy.frombuffer.html)",
            "runtime-facts.md section 6 (non-writable arrays) and section 10 (`np.memmap`)",
        ),
        known_limits="""
`np.frombuffer` is read-only only over an immutable buffer: a buffer of unknown type (a
parameter, an attribute) is not reported, and neither is a `bytearray`, which gives a writable
array. Arrays that a `reshape` or `np.ascontiguousarray` may have copied are unknown. Conversions
with `device=` on an accelerator are not reported (not verified on a GPU), nor is
`torch.tensor(a)`, which copies silently. `DataLoader`'s default collate also warns for
read-only samples but copies them into the batch; it is not reported.
""",
    )

    def check(self, analysis, ctx) -> None:
        done: set[int] = set()
        for fact, kind, value, arg in numpy_to_torch(analysis):
            if id(fact.node) in done or kind == "tensor":
                continue
            if value.kind != NDARRAY or "readonly" not in value.flags or accelerator_target(fact):
                continue
            if kind == "asarray" and not self.asarray_warns(fact, value):
                continue
            done.add(id(fact.node))
            what = describe(ctx, arg.value)
            src = origin(value, "readonly")
            evidence = self.evidence(analysis, ctx, src, arg.value)
            shares = value.buf is not None and fact.result.buf == value.buf
            if shares and "memory map" in evidence:
                effect = ("the tensor shares the read-only mapping, so an in-place write through it "
                          "crashes the process (segmentation fault)")
            elif shares:
                effect = ("the tensor shares that memory, so an in-place write through it changes "
                          "memory that was meant to stay unchanged")
            else:
                effect = "the tensor is a copy here, but the warning is still printed"
            msg = (f"`{call_text(fact, kind)}(...)` converts a read-only array: {what} is {evidence}; "
                   f"torch warns `The given NumPy array is not writable` and {effect}; "
                   f"pass `.copy()` (or use `torch.tensor(...)`)")
            new = append_call(ctx, arg.value, ".copy()")
            fix = ctx.fix("unsafe", "Append `.copy()` to the array", ctx.replace(arg.value, new))
            ctx.report(fact.node, msg, fix=fix)

    @staticmethod
    def asarray_warns(fact, value) -> bool:
        """`torch.asarray` warns when it shares: no `copy=True`, no dtype change."""
        kws = fact.keywords()
        if "copy" in kws and kws["copy"][0].const is not False:
            return False
        if "dtype" in kws:
            return value.dtype is not None and fact.result.dtype == value.dtype
        return True

    @staticmethod
    def evidence(analysis, ctx, src, node) -> str:
        if src is None:
            return "read-only"
        kind = "read-only"
        facts = analysis.facts_for(src) if src is not None else []
        q = facts[0].qual if facts else None
        m = facts[0].method if facts else None
        if q == "numpy.frombuffer":
            kind = "a read-only view of an immutable buffer"
        elif q == "numpy.broadcast_to":
            kind = "a read-only broadcast view"
        elif q in ("numpy.memmap", "numpy.load"):
            kind = "a read-only memory map"
        elif m == "setflags":
            kind = "marked read-only"
        if src is node:
            return kind
        return f"{kind} ({describe(ctx, src)}, line {ctx.line(src)})"
