"""Text triggers shared by the rule modules (see ``Rule.triggers`` for the format).

A trigger is a necessary condition for a finding, written on the source text, so the prefilter
never hides one. The facts it rests on, all from ``analysis.py``:

* a resolved name (``fact.qual``) comes only from an ``import`` in the file, so ``torch.*`` needs
  the text ``torch`` and ``numpy.*`` the text ``numpy``; the last part of the name (``tensor`` in
  ``torch.tensor``) is spelled out in the file too, where it is imported, used or aliased
  (``from torch import tensor as tt``, ``T = torch.Tensor``, ``import torch as th; th.tensor``);
* a method call (``fact.method``) is an attribute access, ``.name`` (``".name"`` tokens allow any
  whitespace, line continuation or comment after the dot);
* an ndarray is known only through numpy (an import of it, ``.numpy()`` or ``torch.from_numpy``):
  the text ``numpy`` is present;
* a tensor that provably requires grad comes from torch (factories, ``nn.Parameter``, modules and
  their parameters) or from ``requires_grad`` / ``.requires_grad_()`` on a value.
"""

from __future__ import annotations

TORCH = "torch"
NUMPY = "numpy"
# torch.from_numpy / torch.as_tensor / torch.asarray / torch.tensor
TORCH_CONVERSIONS = ("from_numpy", "as_tensor", "asarray", "tensor")
# torch.Tensor, torch.FloatTensor, torch.cuda.LongTensor ... all end in "Tensor"
LEGACY = "Tensor"
# a tensor that requires grad: from torch, or marked so on a value
GRAD = (TORCH, "requires_grad")


# -- syntax gates (``Rule.gate``, on ``tensorferry.syntax.Summary``) ----------------------------
# The names below are the last parts of the resolved names the rules look for; see
# ``tensorferry/syntax.py`` for why a call that resolves to one of them must show the name.

LEGACY_NAMES = ("Tensor", "FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor",
                "ByteTensor", "CharTensor", "ShortTensor", "IntTensor", "LongTensor", "BoolTensor")
# numpy functions that read a tensor through `__array__` (`np.asarray(t)`, `np.float32(t)`)
NUMPY_READERS = ("asarray", "array", "asanyarray", "ascontiguousarray", "asfortranarray")
# numpy views with a negative stride (`analysis.NUMPY_VIEW_FUNCS`)
NEGATIVE_VIEWS = ("flip", "fliplr", "flipud", "rot90")


def numpy_conversion(syntax) -> bool:
    """A tensor -> ndarray conversion: `....numpy()`, or a numpy reader or dtype called on
    something that is not a literal (a literal is never a tensor)."""
    from tensorferry.facts import NUMPY_DTYPES

    return (syntax.method_called(("numpy",))
            or syntax.calls(NUMPY_READERS + tuple(NUMPY_DTYPES), NUMPY, data=True))


def torch_conversion(syntax, names=TORCH_CONVERSIONS + LEGACY_NAMES, *, data: bool = True) -> bool:
    """A call that may resolve to one of the torch functions ``names``; with ``data`` (for the
    rules about converting an array or a tensor, never a literal) only calls whose first
    argument is not a literal count."""
    return syntax.calls(names, TORCH, data=data)


def negative_stride(syntax) -> bool:
    """Something that can make a negative stride: a slice with a step, a numpy flip."""
    return syntax.stepped_slice or syntax.mentions(NEGATIVE_VIEWS)
