"""Small syntactic rules for testing the fixer independently of the real rule set.

Each matches one call shape with plain libcst (no analysis facts). Codes are TNP9xx so they
never collide with real rules. Run a fix through them in a subprocess with
``python -m fixrules fix ...`` (``tests/`` on ``PYTHONPATH``): it is ``tensorferry fix`` with
these rules instead of the registry's.
"""

from __future__ import annotations

import sys

import libcst as cst

from tensorferry.edits import ensure_import
from tensorferry.rules.base import Rule


def _calls(ctx, attr: str | None = None, func: str | None = None):
    found = []

    class Visitor(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            f = node.func
            if attr is not None and isinstance(f, cst.Attribute) and f.attr.value == attr:
                found.append(node)
            if func is not None and isinstance(f, cst.Name) and f.value == func:
                found.append(node)

    ctx.module.visit(Visitor())
    return found


class LegacyTensor(Rule):
    """``<mod>.Tensor(x)`` -> ``<mod>.as_tensor(x, dtype=<mod>.get_default_dtype())`` (safe)."""

    code = "TNP991"
    name = "test-legacy-tensor"
    triggers = (".Tensor(",)

    def check(self, analysis, ctx) -> None:
        for node in _calls(ctx, attr="Tensor"):
            if len(node.args) != 1 or node.args[0].keyword is not None:
                continue
            mod = ctx.code(node.func.value)
            new = f"{mod}.as_tensor({ctx.code(node.args[0].value)}, dtype={mod}.get_default_dtype())"
            ctx.report(node, "legacy constructor",
                       fix=ctx.fix("safe", "Use `as_tensor`", ctx.replace(node, new)))


class NegativeStride(Rule):
    """``<mod>.from_numpy(a[::-1])`` -> ``<mod>.from_numpy(np.ascontiguousarray(a[::-1]))`` (safe)."""

    code = "TNP992"
    name = "test-negative-stride"
    triggers = ("from_numpy(",)

    def check(self, analysis, ctx) -> None:
        for node in _calls(ctx, attr="from_numpy"):
            if len(node.args) != 1 or not isinstance(node.args[0].value, cst.Subscript):
                continue
            arg = node.args[0].value
            if "::-1" not in ctx.code(arg):
                continue
            np, imports = ensure_import(ctx, "numpy", alias="np", at=node)
            fix = None
            if np is not None:
                fix = ctx.fix("safe", "Wrap in `np.ascontiguousarray`",
                              ctx.replace(arg, f"{np}.ascontiguousarray({ctx.code(arg)})"),
                              *imports)
            ctx.report(node, "negative stride", fix=fix)


class CpuDetach(Rule):
    """``x.cpu().detach()`` -> ``x.detach().cpu()`` (safe); chains need several rounds."""

    code = "TNP993"
    name = "test-cpu-detach"
    triggers = (".detach(",)

    def check(self, analysis, ctx) -> None:
        for node in _calls(ctx, attr="detach"):
            inner = node.func.value
            if (node.args or not isinstance(inner, cst.Call) or inner.args
                    or not isinstance(inner.func, cst.Attribute) or inner.func.attr.value != "cpu"):
                continue
            x = ctx.code(inner.func.value)
            ctx.report(node, "cpu before detach",
                       fix=ctx.fix("safe", "Swap", ctx.replace(node, f"{x}.detach().cpu()")))


class CopyFromNumpy(Rule):
    """``<mod>.from_numpy(name)`` -> ``<mod>.tensor(name)`` (unsafe)."""

    code = "TNP994"
    name = "test-copy-from-numpy"
    triggers = ("from_numpy(",)

    def check(self, analysis, ctx) -> None:
        for node in _calls(ctx, attr="from_numpy"):
            if len(node.args) == 1 and isinstance(node.args[0].value, cst.Name):
                mod = ctx.code(node.func.value)
                new = f"{mod}.tensor({node.args[0].value.value})"
                ctx.report(node, "shares memory",
                           fix=ctx.fix("unsafe", "Copy", ctx.replace(node, new)))


class Pack(Rule):
    """``pack(a, b)`` -> one argument per line; the edit's content uses ``\\n``."""

    code = "TNP995"
    name = "test-pack"
    triggers = ("pack(",)

    def check(self, analysis, ctx) -> None:
        for node in _calls(ctx, func="pack"):
            if len(node.args) < 2 or len(ctx.code(node).splitlines()) > 1:
                continue
            args = "".join(f"    {ctx.code(a.value)},\n" for a in node.args)
            ctx.report(node, "pack on one line",
                       fix=ctx.fix("safe", "Split", ctx.replace(node, f"pack(\n{args})")))


class Broken(Rule):
    """``broken()`` -> ``broken(`` : a fix whose result does not parse."""

    code = "TNP996"
    name = "test-broken-fix"
    triggers = ("broken(",)

    def check(self, analysis, ctx) -> None:
        for node in _calls(ctx, func="broken"):
            ctx.report(node, "broken", fix=ctx.fix("safe", "Break", ctx.replace(node, "broken(")))


class Endless(Rule):
    """``endless()`` -> ``(endless())``: a fix that never stops applying."""

    code = "TNP997"
    name = "test-endless-fix"
    triggers = ("endless(",)

    def check(self, analysis, ctx) -> None:
        for node in _calls(ctx, func="endless"):
            ctx.report(node, "endless",
                       fix=ctx.fix("safe", "Wrap", ctx.replace(node, "(endless())")))


class Crash(Rule):
    code = "TNP998"
    name = "test-crash"
    triggers = ("crash(",)

    def check(self, analysis, ctx) -> None:
        if _calls(ctx, func="crash"):
            raise RuntimeError("boom")


class NonAscii(Rule):
    """``accent()`` -> ``"é"``: fixed text a latin-1 file can hold and an ASCII file cannot."""

    code = "TNP999"
    name = "test-non-ascii"
    triggers = ("accent(",)

    def check(self, analysis, ctx) -> None:
        for node in _calls(ctx, func="accent"):
            ctx.report(node, "accent", fix=ctx.fix("safe", "Accent", ctx.replace(node, '"é"')))


RULES = (LegacyTensor, NegativeStride, CpuDetach, CopyFromNumpy, Pack, Broken, Endless, Crash,
         NonAscii)


def main(argv: list[str]) -> int:
    """``tensorferry fix`` with :data:`RULES` (``--select`` picks among them by prefix)."""
    from tensorferry.cli import build_parser
    from tensorferry.fixer import run_fix

    args = build_parser().parse_args(argv)
    rules = [r for r in RULES if not args.select or any(r.code.startswith(p) for p in args.select)]
    return run_fix(args, rules)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
