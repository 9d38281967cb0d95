"""Every relative link in the README and docs points at a file that exists (the docs' link check)."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_relative_links_resolve(page):
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code blocks hold examples, not links
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        path = target.split("#", 1)[0]
        if path and not (page.parent / path).exists():
            broken.append(target)
    assert not broken, f"{page.relative_to(ROOT)}: broken links {broken}"


def test_docs_index_exists():
    assert (ROOT / "docs" / "index.md").is_file()


def test_readme_lists_every_rule():
    from tensorferry.rules import all_rules

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [r.code for r in all_rules() if f"[{r.code}](docs/rules/{r.code}-{r.name}.md)" not in readme]
    assert not missing, f"README rule table lacks {missing}"
