"""Fixture-driven rule tests: markers, negatives, goldens, metadata. Picks up every rule by itself."""

from __future__ import annotations

import ast

import pytest

from tensorferry.engine import fix_source, lint_source
from tensorferry.fixtures import load_all, load_cases
from tensorferry.rules import all_rules, rules_by_code

RULES = all_rules()
ALL_CASES = [(rule.code, case) for rule in RULES for case in load_cases(rule.code)]


def _ids(items):
    return [case.id for _, case in items]


@pytest.mark.parametrize("code", [r.code for r in RULES])
def test_rule_has_enough_fixtures(code):
    cases = load_cases(code)
    positives = [c for c in cases if c.positive]
    negatives = [c for c in cases if not c.positive]
    assert len(positives) >= 5, f"{code}: needs at least 5 positive fixtures"
    assert len(negatives) >= 8, f"{code}: needs at least 8 negative fixtures"
    assert all(c.witnesses for c in positives), f"{code}: every positive needs a runtime witness"


@pytest.mark.parametrize("code,case", ALL_CASES, ids=_ids(ALL_CASES))
def test_fixture_findings(code, case):
    rule = rules_by_code()[code]
    result = lint_source(case.source, str(case.path), [rule])
    assert not result.error, [d.message for d in result.diagnostics]
    rows = sorted(d.row for d in result.diagnostics if d.code == code)
    if case.positive:
        expected = case.expected_rows(code)
        assert expected, f"{case.id}: a positive fixture must mark at least one line"
        assert rows == expected
    else:
        assert rows == [], [d.message for d in result.diagnostics]


@pytest.mark.parametrize("code,case", ALL_CASES, ids=_ids(ALL_CASES))
def test_fixture_no_unmarked_findings_of_other_rules(code, case):
    """A snippet shows no finding of any rule that it does not mark (keeps fixtures honest)."""
    result = lint_source(case.source, str(case.path))
    found = {(d.row, d.code) for d in result.diagnostics}
    marked = {(row, c) for row, codes in case.expected.items() for c in codes}
    assert found <= marked, sorted(found - marked)


@pytest.mark.parametrize("code,case", [(c, k) for c, k in ALL_CASES if k.positive],
                         ids=_ids([(c, k) for c, k in ALL_CASES if k.positive]))
def test_fix_applicability_and_golden(code, case):
    rule = rules_by_code()[code]
    result = lint_source(case.source, str(case.path), [rule])
    diags = [d for d in result.diagnostics if d.code == code]
    applic = {d.fix.applicability if d.fix else "none" for d in diags}
    assert applic == {case.fix}, f"{case.id}: header says fix: {case.fix}, rule offers {applic}"
    if case.fix == "none":
        assert case.fixed_source is None, f"{case.id}: golden file for a case without fix"
        return
    assert case.fixed_source is not None, f"{case.id}: missing golden {case.fixed_path.name}"
    fixed = fix_source(case.source, str(case.path), [rule], unsafe=True)
    assert fixed.error is None
    assert fixed.source == case.fixed_source
    ast.parse(fixed.source)
    again = fix_source(fixed.source, str(case.path), [rule], unsafe=True)
    assert again.source == fixed.source, "fix is not idempotent"
    assert not [d for d in again.remaining if d.code == code and d.fix], "fixable finding left after fix"


@pytest.mark.parametrize("rule", RULES, ids=[r.code for r in RULES])
def test_rule_metadata(rule):
    import re

    assert re.fullmatch(r"TNP\d{3}", rule.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.name)
    assert rule.summary and rule.triggers
    d = rule.docs
    for section in (d.what, d.why, d.example, d.use_instead, d.fix_safety):
        assert section.strip()
    assert rule.fix_availability in ("always", "sometimes", "never")
    if rule.fix_availability != "never":
        assert rule.fix_applicability in ("safe", "unsafe")
    md = rule.markdown()
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety"):
        assert heading in md


def test_every_fixture_folder_has_a_rule():
    codes = {r.code for r in RULES}
    assert set(load_all()) <= codes
