from __future__ import annotations

from tensorferry.rules._mutation import check_mutations
from tensorferry.rules._triggers import NUMPY, numpy_conversion
from tensorferry.rules.base import Rule, RuleDocs


class MutationAfterNumpy(Rule):
    code = "TNP202"
    name = "mutation-after-numpy"
    summary = "an in-place write reaches both sides of memory shared by a torch->numpy conversion"
    fix_availability = "always"
    fix_applicability = "unsafe"
    # memory shared by `.numpy()` or np.asarray(t) (a numpy name)
    triggers = (NUMPY,)
    @classmethod
    def gate(cls, syntax) -> bool:
        # a torch -> numpy conversion call
        return numpy_conversion(syntax)

    docs = RuleDocs(
        what="""
Flags an in-place write to an array or tensor whose memory is shared through a PyTorch -> NumPy
conversion (`t.numpy()`, `t.detach().numpy()`, `t.cpu().numpy()` of a CPU tensor,
`np.asarray(t)`, `t.numpy(force=True)` on CPU) while the other side is still observable: used
later, returned, stored, owned by the caller, or a parameter kept on `self` (an attribute set in
`__init__` that requires grad).
""",
        why="""
`.numpy()` returns a view of the tensor's memory. Writing into the array changes the tensor,
and NumPy writes are invisible to autograd's version counter: after
`w.detach().numpy()[0] = 10`, `backward()` silently computes the gradient with the new value
([20, 4, 6] instead of [2, 4, 6], runtime-facts section 2). Writing into the tensor likewise
changes an array that other code keeps.
""",
        example="""
arr = weights.detach().numpy()
arr[arr < 0] = 0          # clips the model's weights too
""",
        use_instead="""
arr = weights.detach().numpy().copy()
arr[arr < 0] = 0
""",
        fix_safety="""
The fix copies at the conversion (`.copy()` after it). Code that meant to write through the
view (an in-place update of the tensor via NumPy) changes behaviour; the fix is unsafe.
""",
        references=(
            "[torch.Tensor.numpy](https://pytorch.org/docs/stable/generated/torch.Tensor.numpy.html)",
            "runtime-facts.md section 2",
        ),
        known_limits="""
Only conversions proven to alias are tracked: `.cpu().numpy()` of a tensor whose device is
unknown may be a copy, so it is not reported. Aliasing is tracked within one function.
A buffer allocated by `empty`, `zeros`, `ones` or `full` (torch or NumPy) and filled through its
alias before anything reads it (`buf = torch.empty(n); buf.numpy()[:] = data`) is not reported:
the write-through is the purpose there.
""",
    )

    def check(self, analysis, ctx) -> None:
        check_mutations(self, analysis, ctx, self.code)
