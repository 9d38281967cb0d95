"""tensorferry's fixes as a libcst codemod, for ``python -m libcst.tool codemod``.

Run it by class path, or by name through a ``.libcst.codemod.yaml`` that lists
``modules: ["tensorferry"]``::

    python -m libcst.tool codemod -x tensorferry.codemod.TensorferryFix --no-format src/
    python -m libcst.tool codemod codemod.TensorferryFix --no-format --jobs 4 src/

``--no-format`` keeps libcst from piping changed files through black (its default formatter);
the fixes need no formatter. ``--unsafe-fixes`` also applies unsafe fixes; ``--select``,
``--extend-select``, ``--ignore``, ``--config`` and ``--isolated`` work as in ``tensorferry fix``,
and so does ``[tool.tensorferry]`` in ``pyproject.toml`` (found upward from the current folder):
its selection, ``per-file-ignores`` and ``unsafe-fixes``.

The codemod runs the same fixer as ``tensorferry fix`` (:func:`tensorferry.fixer.fix_decoded`)
on the file's own bytes, not on libcst's regenerated text, so a file keeps its encoding, BOM,
newlines and everything outside the fixed spans byte for byte. A file that no fix changes is
skipped (``SkipFile``) and never rewritten. A file whose fixes fail (a round that would not
parse) is reported as failed and left alone; an internal error of one rule becomes a warning.
Read from stdin (``-``), an unchanged source is returned as it is.

libcst's runner writes files in place itself; ``tensorferry fix`` additionally writes
atomically and refuses to overwrite files changed on disk meanwhile.
"""

from __future__ import annotations

import argparse
import os

import libcst as cst
from libcst.codemod import CodemodCommand, CodemodContext, SkipFile

from tensorferry.diagnostics import INTERNAL_ERROR, PARSE_ERROR
from tensorferry.files import decode
from tensorferry.fixer import fix_decoded, rules_for


class TensorferryFixError(Exception):
    """The fixes for a file could not be applied; the file is left as it was."""


class _ExactModule(cst.Module):
    """A parsed module whose ``code``/``bytes`` are the exact text it was parsed from.

    libcst's runner writes ``module.bytes``; regenerating it from the tree would reintroduce
    libcst's round-trip losses (a CR-only file's last newline, ``'pass\\n\\n '``).
    """

    @property
    def code(self) -> str:  # type: ignore[override]
        return self.__dict__["_exact_code"]

    @property
    def bytes(self) -> bytes:  # type: ignore[override]
        return self.__dict__["_exact_bytes"]


def _exact(tree: cst.Module, code: str, data: bytes) -> cst.Module:
    import dataclasses

    module = _ExactModule(**{f.name: getattr(tree, f.name) for f in dataclasses.fields(tree)})
    module.__dict__["_exact_code"] = code
    module.__dict__["_exact_bytes"] = data
    return module


class TensorferryFix(CodemodCommand):
    DESCRIPTION = ("Apply tensorferry's fixes for risky NumPy <-> PyTorch conversions "
                   "(safe fixes; unsafe ones too with --unsafe-fixes).")

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        from tensorferry.cli import add_selection_args

        arg_parser.add_argument("--unsafe-fixes", action="store_true", default=False,
                                help="also apply unsafe fixes")
        add_selection_args(arg_parser)

    def __init__(self, context: CodemodContext, unsafe_fixes: bool = False,
                 select: list[str] | None = None, extend_select: list[str] | None = None,
                 ignore: list[str] | None = None, config: str | None = None,
                 isolated: bool = False) -> None:
        from tensorferry.cli import resolve_rules

        super().__init__(context)
        args = argparse.Namespace(select=select, extend_select=list(extend_select or []),
                                  ignore=list(ignore or []), config=config, isolated=isolated,
                                  paths=[])
        self.rules = resolve_rules(args)
        self.settings = args.settings
        self.unsafe = bool(unsafe_fixes or self.settings.unsafe_fixes)

    def transform_module(self, tree: cst.Module) -> cst.Module:
        # No metadata is needed (the engine computes its own), so skip the MetadataWrapper
        # copy of the tree that Codemod.transform_module makes.
        return self.transform_module_impl(tree)

    def _original(self, tree: cst.Module) -> bytes:
        filename = self.context.filename
        if filename and os.path.isfile(filename):
            with open(filename, "rb") as fh:
                return fh.read()
        return tree.bytes

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        src = decode(self._original(tree))
        name = self.context.filename or "<stdin>"
        rules = rules_for(name, self.rules, self.settings) if self.context.filename else self.rules
        result = fix_decoded(src, name, rules, unsafe=self.unsafe)
        problems = [d for d in result.remaining if d.code in (PARSE_ERROR, INTERNAL_ERROR)]
        if problems and not result.changed:
            raise TensorferryFixError("; ".join(f"{d.code} {d.message}" for d in problems))
        for d in problems:
            self.warn(f"{d.code} {d.message}")
        if not result.changed:
            if self.context.filename:
                raise SkipFile("no tensorferry fix applies")
            return tree
        assert result.new_bytes is not None
        return _exact(cst.parse_module(result.new_bytes), result.new_text, result.new_bytes)
