"""``TensorferryFix`` with the test rules of :mod:`fixrules`, for ``libcst.tool codemod -x``."""

from __future__ import annotations

from fixrules import RULES

from tensorferry.codemod import TensorferryFix


class TestRulesFix(TensorferryFix):
    __test__ = False  # not a pytest test class

    def __init__(self, context, select=None, **kwargs):
        super().__init__(context, **kwargs)
        self.rules = [r for r in RULES if not select or any(r.code.startswith(p) for p in select)]
