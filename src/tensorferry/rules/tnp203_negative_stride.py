from __future__ import annotations

from tensorferry.facts import NDARRAY, UNKNOWN
from tensorferry.rules._common import describe
from tensorferry.rules._conversions import call_text, numpy_to_torch, origin
from tensorferry.rules._triggers import TORCH, TORCH_CONVERSIONS, LEGACY, torch_conversion, negative_stride
from tensorferry.rules.base import Rule, RuleDocs


class NegativeStride(Rule):
    code = "TNP203"
    name = "negative-stride"
    summary = "Converting a flipped numpy view (`a[::-1]`, `np.flip`) to a tensor raises ValueError"
    fix_availability = "sometimes"
    fix_applicability = "safe"
    # a torch conversion or legacy constructor of an array, or a torch Dataset's __getitem__
    triggers = ((TORCH, TORCH_CONVERSIONS + (LEGACY, "Dataset")),)
    @classmethod
    def gate(cls, syntax) -> bool:
        # a negative stride, and a conversion or a `__getitem__`
        return negative_stride(syntax) and (torch_conversion(syntax) or "__getitem__" in syntax.defs)

    docs = RuleDocs(
        what="""
Flags numpy arrays with a negative stride that reach a numpy -> torch conversion:
`torch.from_numpy`, `torch.as_tensor`, `torch.asarray`, `torch.tensor` and the legacy
constructors (`torch.Tensor`, `torch.FloatTensor`, ...). Negative strides come from reversing
slices (`a[::-1]`, `x[..., ::-1]`, the BGR -> RGB idiom `img[:, :, ::-1]`) and from
`np.flip`, `np.fliplr`, `np.flipud` and `np.rot90`, directly or through a name bound earlier,
and survive views such as `.transpose(...)`, `.T` and `np.asarray`.

It also flags a `torch.utils.data.Dataset` subclass whose `__getitem__` returns such an array
(alone, or as an element of a returned tuple, list or dict literal): `DataLoader`'s default
collate function converts every ndarray in a sample with `torch.as_tensor`.
""",
        why="""
PyTorch tensors cannot have negative strides, and the conversion does not copy to fix it up:
every one of these calls raises `ValueError: At least one stride in the given numpy array is
negative, and tensors with negative strides are not currently supported. (You can probably work
around this by making a copy of your array  with array.copy().)`. `torch.tensor` raises it
too, even though it copies. In a Dataset the error only appears when the DataLoader collates the
first batch, often far from the flip augmentation that caused it.
""",
        example="""
img = cv2.imread(path)                  # BGR
rgb = img[:, :, ::-1]                   # a view with a negative stride
x = torch.from_numpy(rgb)               # ValueError
""",
        use_instead="""
img = cv2.imread(path)
rgb = img[:, :, ::-1]
x = torch.from_numpy(np.ascontiguousarray(rgb))
""",
        fix_safety="""
The fix wraps the array argument (or the element returned by `__getitem__`) in
`np.ascontiguousarray(...)`, using the module's own numpy binding (`import numpy as N` gives
`N.ascontiguousarray`) and adding `import numpy as np` when the module has none. The original
always raises, and the fixed code gives the values of `np.flip(...).copy()` in a fresh
C-contiguous array (runtime-facts section 6), so the fix is safe. No fix is offered when the
name `np` is bound to something else at module level.
""",
        references=(
            "[torch.from_numpy](https://pytorch.org/docs/stable/generated/torch.from_numpy.html)",
            "[numpy.ascontiguousarray](https://numpy.org/doc/stable/reference/generated/numpy.ascontiguousarray.html)",
            "runtime-facts.md section 6 (numpy -> tensor: strides) and section 10 (default collate)",
        ),
        known_limits="""
A reversing slice of a value of unknown type counts when it indexes several axes
(`x[:, ::-1]`: lists take one index and tensors reject negative steps, so only an array gets
through) and, for `torch.from_numpy` only, also with one axis (`from_numpy` accepts nothing but
ndarrays; `torch.tensor(names[::-1])` may be a reversed list and is not reported). A second
reversal, an integer index into a reversed array and `reshape` (which may copy) make the stride
unknown, and unknown is not reported; so is `np.rot90` with a `k` that is not a literal.
The Dataset convention needs the class to subclass `torch.utils.data.Dataset` (directly or
through a class in the same file) and the array to be returned directly or inside a tuple,
list or dict literal; a custom `collate_fn` that copies is not taken into account.
""",
    )

    def check(self, analysis, ctx) -> None:
        done: set[int] = set()
        for fact, kind, value, arg in numpy_to_torch(analysis):
            if id(fact.node) in done:
                continue
            why = self.negative_stride(ctx, value, arg.value, from_numpy=kind == "from_numpy")
            if why is None:
                continue
            done.add(id(fact.node))
            call = call_text(fact, kind)
            msg = (f"`{call}(...)` raises ValueError (at least one stride is negative): {why}; "
                   f"wrap it in `np.ascontiguousarray(...)`")
            ctx.report(fact.node, msg, fix=self.make_fix(ctx, arg.value))
        for scope, node, _value in analysis.returns:
            cls = scope.cls
            if scope.name != "__getitem__" or cls is None or not getattr(cls, "is_dataset", False):
                continue
            for element in _returned_elements(node):
                if id(element) in done:
                    continue
                why = self.negative_stride(ctx, analysis.value_of(element), element, from_numpy=False)
                if why is None:
                    continue
                done.add(id(element))
                msg = (f"`{cls.name}.__getitem__` returns an array with a negative stride: {why}; "
                       f"DataLoader's default collate converts it with `torch.as_tensor`, which raises "
                       f"ValueError; return `np.ascontiguousarray(...)`")
                ctx.report(element, msg, fix=self.make_fix(ctx, element))

    def negative_stride(self, ctx, value, node, *, from_numpy: bool) -> str | None:
        """Why ``value`` has a negative stride, or None when that is not proven."""
        what = describe(ctx, node)
        if "negstride" in value.flags and value.kind in (NDARRAY, UNKNOWN):
            src = origin(value, "negstride")
            made = f", made by {describe(ctx, src)} (line {ctx.line(src)})" if src is not None and src is not node else ""
            why = f"{what} is a view with a negative stride{made}"
            if value.kind == UNKNOWN:
                why += (" (a negative step over several axes can only index an array: lists take one "
                        "index and tensors reject negative steps)")
            return why
        if "maynegstride" in value.flags and value.kind in (NDARRAY, UNKNOWN):
            src = origin(value, "negstride") or origin(value, "maynegstride")
            through = f" when it comes from {describe(ctx, src)} (line {ctx.line(src)})" if src is not None else " on some paths"
            return f"{what} is a view with a negative stride{through}"
        if from_numpy and "revslice" in value.flags:
            src = origin(value, "revslice")
            made = f", made by {describe(ctx, src)} (line {ctx.line(src)})" if src is not None and src is not node else ""
            return (f"{what} is a reversing slice{made}, and `torch.from_numpy` accepts only ndarrays, "
                    f"whose reversing slices are views with a negative stride")
        return None

    def make_fix(self, ctx, node):
        from tensorferry.edits import ensure_import

        np_name, imports = ensure_import(ctx, "numpy", alias="np", at=node)
        if np_name is None:
            return None  # `np` is bound to something else in this module
        new = f"{np_name}.ascontiguousarray({ctx.code(node).strip()})"
        return ctx.fix("safe", f"Wrap in `{np_name}.ascontiguousarray(...)`", ctx.replace(node, new), *imports)


def _returned_elements(node):
    """The returned expression, or the elements of a returned tuple/list/dict literal."""
    from tensorferry.family import cst

    if isinstance(node, (cst.Tuple, cst.List)):
        return [el.value for el in node.elements if not isinstance(el, cst.StarredElement)]
    if isinstance(node, cst.Dict):
        return [el.value for el in node.elements if isinstance(el, cst.DictElement)]
    return [node]
