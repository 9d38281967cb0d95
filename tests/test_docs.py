"""Generated rule pages: in sync with the registry and fixtures; fixture listing; --check."""

from __future__ import annotations

from pathlib import Path

from tensorferry import docs
from tensorferry.rules import all_rules

ROOT = Path(__file__).resolve().parent.parent
REGENERATE = "docs/rules is out of date: run `python -m tensorferry.docs` and commit the result"


def test_committed_rule_pages_are_in_sync(tmp_path):
    docs.write(tmp_path, docs.generate())
    fresh = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "rules").glob("*.md")}
    committed = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "docs" / "rules").glob("*.md")}
    assert sorted(committed) == sorted(fresh), REGENERATE
    for name, text in fresh.items():
        assert committed[name] == text, f"{name}: {REGENERATE}"


def test_every_rule_has_a_page_and_an_index_row():
    pages = docs.generate()
    index = pages["rules/index.md"]
    for rule in all_rules():
        page = pages[f"rules/{rule.code}-{rule.name}.md"]
        assert page.startswith(docs.GENERATED_NOTE)
        assert f"# {rule.code} {rule.name}" in page and "## Fix safety" in page and "## Fixtures" in page
        assert f"| [{rule.code}]({rule.code}-{rule.name}.md) | {rule.name} |" in index
        # the page sits where the rule's URL (SARIF helpUri, JSON url) points
        assert rule.url().endswith(f"/rules/{rule.code}-{rule.name}/")


def test_fixtures_are_listed_with_witnesses(tmp_path):
    folder = tmp_path / "TNP303"
    folder.mkdir()
    (folder / "positive_basic.py").write_text(
        "# devices: cpu, cuda\n"
        "# witness: hazard y.grad_fn is not None\n"
        "# witness: raises RuntimeError: can't `x`\n"
        "# fix: safe\n"
        "# fix-check: equivalent\n"
        "# note: the simplest case\n"
        "import torch\nz = y.cpu().detach()  # error: TNP303\n")
    (folder / "positive_basic.fixed.py").write_text("import torch\nz = y.detach().cpu()\n")
    (folder / "negative_other.py").write_text("# witness: hazard False\nimport torch\n")
    rule = next(r for r in all_rules() if r.code == "TNP303")
    page = docs.generate(fixtures=tmp_path, rules=[rule])["rules/TNP303-cpu-before-detach.md"]
    assert ("- [`positive_basic.py`](../../fixtures/TNP303/positive_basic.py): devices: cpu, cuda; "
            "fix: safe ([after the fix](../../fixtures/TNP303/positive_basic.fixed.py)); "
            "fix-check: equivalent") in page
    assert "    - witness: `hazard y.grad_fn is not None`" in page
    assert "    - witness: `` raises RuntimeError: can't `x` ``" in page
    assert "    - note: the simplest case" in page
    assert "- [`negative_other.py`](../../fixtures/TNP303/negative_other.py): devices: cpu\n" in page
    assert "    - witness (must not hold): `hazard False`" in page
    assert page.index("positive_basic.py") < page.index("### Negative") < page.index("negative_other.py")


def test_check_mode_reports_differences(tmp_path, capsys):
    out = tmp_path / "docs"
    assert docs.main(["--output-dir", str(out), "--check"]) == 1
    assert "run `python -m tensorferry.docs`" in capsys.readouterr().err
    assert docs.main(["--output-dir", str(out)]) == 0
    assert docs.main(["--output-dir", str(out), "--check"]) == 0
    page = next((out / "rules").glob("TNP1*.md"))
    page.write_text(page.read_text() + "edited\n")
    assert docs.main(["--output-dir", str(out), "--check"]) == 1
    assert f"{page}: out of date" in capsys.readouterr().err
    stale = out / "rules" / "TNP999-gone.md"
    stale.write_text(docs.GENERATED_NOTE + "\n")
    assert docs.differences(out, docs.generate())[-1].endswith("TNP999-gone.md: no such rule (stale page)")
    docs.main(["--output-dir", str(out)])
    assert not stale.exists() and docs.differences(out, docs.generate()) == []
