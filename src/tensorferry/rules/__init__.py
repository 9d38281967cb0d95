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

from tensorferry.rules.base import Rule, RuleDocs

__all__ = ["Rule", "RuleDocs", "all_rules", "rules_by_code", "rules_by_name", "select_rules"]

_MODULE_RE = re.compile(r"^(tnp\d{3}_\w+)\.pyc?$")


@functools.cache
def all_rules() -> tuple[type[Rule], ...]:
    found: list[type[Rule]] = []
    # the folder is listed directly: pkgutil.iter_modules imports inspect (4-6 ms), which nothing
    # else on a warm run needs
    names = {m.group(1) for folder in __path__ for m in map(_MODULE_RE.match, os.listdir(folder)) if m}
    for name in sorted(names):
        module = importlib.import_module(f"{__name__}.{name}")
        classes = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, Rule) and obj is not Rule
            and obj.__module__ == module.__name__
        ]
        if len(classes) != 1:
            raise RuntimeError(f"rule module {module.__name__} must define exactly one Rule subclass")
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
