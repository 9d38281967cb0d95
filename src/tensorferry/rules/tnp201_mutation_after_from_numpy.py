from __future__ import annotations

from tensorferry.rules._mutation import check_mutations
from tensorferry.rules._triggers import TORCH, LEGACY, torch_conversion, LEGACY_NAMES
from tensorferry.rules.base import Rule, RuleDocs


class MutationAfterFromNumpy(Rule):
    code = "TNP201"
    name = "mutation-after-from-numpy"
    summary = "an in-place write reaches both sides of memory shared by a numpy->torch conversion"
    fix_availability = "always"
    fix_applicability = "unsafe"
    # memory shared by torch.from_numpy / as_tensor / asarray or a legacy constructor
    triggers = ((TORCH, ("from_numpy", "as_tensor", "asarray", LEGACY)),)
    @classmethod
    def gate(cls, syntax) -> bool:
        # a sharing numpy -> torch conversion call
        return torch_conversion(syntax, ("from_numpy", "as_tensor", "asarray") + LEGACY_NAMES)

    docs = RuleDocs(
        what="""
Flags an in-place write to an array or tensor whose memory is shared through a NumPy -> PyTorch
conversion (`torch.from_numpy(a)`, `torch.as_tensor(a)` / `torch.asarray(a)` without a dtype or
device change, `torch.Tensor(a)` of a float32 array, and no-op casts after them) while the other
side is still observable: used later, returned, stored on an attribute or in a container, or
owned by the caller (a parameter).
""",
        why="""
`torch.from_numpy(a)` does not copy. Every in-place write on either side reaches the other:
`a += 1`, `a[i] = v`, `np.add(..., out=a)`, `a.fill(0)`, `t.sub_(m)`, `t[i] = v`,
`nn.init.normal_(t)`. NumPy writes never bump the tensor's version counter, so autograd cannot
detect them: a tensor saved for backward that is changed through its array gives silently
wrong gradients ([20, 4, 6] instead of [2, 4, 6] in runtime-facts section 2). A preprocessing
step that normalises a batch in place also rewrites the dataset's own arrays.
""",
        example="""
a = np.random.rand(3).astype(np.float32)
t = torch.from_numpy(a)
a *= 2            # t changes too
loss = model(t)
""",
        use_instead="""
a = np.random.rand(3).astype(np.float32)
t = torch.from_numpy(a).clone()   # or torch.tensor(a): an independent copy
a *= 2
loss = model(t)
""",
        fix_safety="""
The fix copies at the conversion (`.clone()` after it). That removes the write-through, which is
the point, but code that relied on it (filling a shared buffer in place) changes behaviour, and
the copy costs memory. The fix is unsafe.
""",
        references=(
            "[torch.from_numpy](https://pytorch.org/docs/stable/generated/torch.from_numpy.html)",
            "runtime-facts.md section 2 (which conversions alias; silent autograd corruption)",
        ),
        known_limits="""
Aliasing is tracked within one function (and `self.` attributes set in `__init__`); writes in
other functions or modules are not seen. A conversion whose aliasing depends on an unknown dtype
or device (`.to(device)`, `.float()` of an array of unknown dtype) is treated as a copy, so it is
never reported.
A buffer allocated by `empty`, `zeros`, `ones` or `full` (torch or NumPy) and filled through its
alias before anything reads it (`buf = torch.empty(n); buf.numpy()[:] = data`) is not reported:
the write-through is the purpose there.
""",
    )

    def check(self, analysis, ctx) -> None:
        check_mutations(self, analysis, ctx, self.code)
