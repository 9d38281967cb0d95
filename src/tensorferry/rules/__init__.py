"""Rule registry: every module ``tnpNNN_*.py`` in this package defines one rule class.

Adding a rule means adding its module here and its fixture folder ``fixtures/<CODE>/``;
nothing else is edited. Modules are imported on first use and never import libcst,
torch or numpy at module level.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
from collections.abc import Sequence

from tensorferry.rules.base import Rule, RuleDocs

__all__ = ["Rule", "RuleDocs", "RuleSet", "all_codes", "all_rules", "rules_by_code", "rules_by_name",
           "select_rules"]

_MODULE_RE = re.compile(r"^(tnp\d{3}_\w+)\.pyc?$")


@functools.cache
def _module_names() -> tuple[str, ...]:
    # the folder is listed directly: pkgutil.iter_modules imports inspect (4-6 ms), which nothing
    # else on a warm run needs
    return tuple(sorted({m.group(1) for folder in __path__
                         for m in map(_MODULE_RE.match, os.listdir(folder)) if m}))


@functools.cache
def all_codes() -> tuple[str, ...]:
    """Every rule's code, read from the module names (``tnp101_...`` holds TNP101) without
    importing the modules: what selecting rules and keying the cache need. ``all_rules`` checks
    that each module's rule has its module's code."""
    return tuple(sorted(name.split("_", 1)[0].upper() for name in _module_names()))


class RuleSet(Sequence):
    """The rules of some codes, imported on first use: a run answered from the cache needs only
    their codes (``codes``, and ``len``); anything else is the sequence of rule classes."""

    def __init__(self, codes) -> None:
        self.codes = tuple(codes)
        self._rules: tuple[type[Rule], ...] | None = None

    def _load(self) -> tuple[type[Rule], ...]:
        if self._rules is None:
            by_code = rules_by_code()
            self._rules = tuple(by_code[c] for c in self.codes)
        return self._rules

    def __len__(self) -> int:
        return len(self.codes)

    def __iter__(self):
        return iter(self._load())

    def __getitem__(self, index):
        return self._load()[index]

    def __eq__(self, other) -> bool:
        if isinstance(other, (RuleSet, tuple, list)):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RuleSet({self.codes!r})"


def rule_codes(rules) -> tuple[str, ...]:
    """The codes of ``rules`` (a ``RuleSet`` answers without importing its rules)."""
    codes = getattr(rules, "codes", None)
    return tuple(codes) if codes is not None else tuple(r.code for r in rules)


@functools.cache
def all_rules() -> tuple[type[Rule], ...]:
    found: list[type[Rule]] = []
    for name in _module_names():
        module = importlib.import_module(f"{__name__}.{name}")
        classes = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule
            and obj.__module__ == module.__name__
        ]
        if len(classes) != 1:
            raise RuntimeError(f"rule module {module.__name__} must define exactly one Rule subclass")
        if classes[0].code != name.split("_", 1)[0].upper():
            raise RuntimeError(f"rule module {module.__name__} must define the rule of its code, "
                               f"not {classes[0].code}")
        found.append(classes[0])
    found.sort(key=lambda r: r.code)
    codes = [r.code for r in found]
    if len(set(codes)) != len(codes):
        raise RuntimeError(f"duplicate rule codes: {codes}")
    return tuple(found)


def rules_by_code() -> dict[str, type[Rule]]:
    return {r.code: r for r in all_rules()}


def rules_by_name() -> dict[str, type[Rule]]:
    return {r.name: r for r in all_rules()}


def select_rules(select: list[str] | None = None, ignore: list[str] | None = None,
                 extend_select: list[str] | None = None) -> tuple[type[Rule], ...]:
    """Codes match by prefix (``TNP3`` selects TNP301...), as in flake8 and ruff.

    The most specific (longest) matching prefix wins between select and ignore.
    """
    select = list(select) if select else ["TNP"]
    select += list(extend_select or [])
    ignore = list(ignore or [])
    chosen = []
    for rule in all_rules():
        best_sel = max((len(p) for p in select if rule.code.startswith(p) or p == "ALL"), default=-1)
        best_ign = max((len(p) for p in ignore if rule.code.startswith(p) or p == "ALL"), default=-1)
        if best_sel >= 0 and best_sel > best_ign:
            chosen.append(rule)
    return tuple(chosen)
