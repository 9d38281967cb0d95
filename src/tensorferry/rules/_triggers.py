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
