"""The documentation site: `mkdocs build --strict` succeeds, and every page under docs/ is in the nav."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CONFIG = ROOT / "mkdocs.yml"
INSTALL = "pip install -c constraints.txt -e '.[docs]'"


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed, so the docs site cannot be checked: {INSTALL}", pytrace=False)


@pytest.fixture(scope="module")
def config():
    _require("mkdocs")
    _require("material")
    from mkdocs.config import load_config

    loaded = load_config(config_file=str(CONFIG))
    return loaded.plugins.on_config(loaded)  # the hooks complete the nav (rule pages)


def _hooks():
    spec = importlib.util.spec_from_file_location("mkdocs_hooks", ROOT / "mkdocs_hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    return hooks


def _nav_pages(items) -> list[str]:
    return _hooks()._nav_pages(items)


def test_site_builds_without_warnings(tmp_path, config):
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # the theme's notice about MkDocs 2, not a build warning
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(CONFIG), "--site-dir", str(site)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}{done.stderr}"
    assert "WARNING" not in done.stderr, done.stderr

    from tensorferry.diagnostics import DOCS_URL
    from tensorferry.rules import all_rules

    # every URL tensorferry prints for a rule (JSON url, SARIF helpUri) is a page of the site
    missing = [r.url() for r in all_rules() if not (site / r.url().removeprefix(DOCS_URL) / "index.html").is_file()]
    assert not missing, f"rule URLs without a page in the built site: {missing}"


def test_every_page_is_in_the_nav(config):
    in_nav = _nav_pages(config.nav)
    pages = sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    off_nav = config.not_in_nav
    missing = [p for p in pages if p not in in_nav and not (off_nav and off_nav.match_file(p))]
    assert not missing, (
        "pages under docs/ missing from the nav in mkdocs.yml (add them to `nav`, or to "
        f"`not_in_nav` when they are reached only by links): {missing}"
    )
    absent = [p for p in in_nav if not (DOCS / p).is_file()]
    assert not absent, f"mkdocs.yml nav names pages that do not exist under docs/: {absent}"
    twice = sorted({p for p in in_nav if in_nav.count(p) > 1})
    assert not twice, f"pages listed more than once in the mkdocs.yml nav: {twice}"


def test_site_and_repository_urls_match_the_code(config):
    from tensorferry.diagnostics import DOCS_BASE_URL, DOCS_URL
    from tensorferry.output import INFORMATION_URI

    assert config.site_url == DOCS_URL and DOCS_BASE_URL == f"{DOCS_URL}rules/"
    assert config.repo_url == INFORMATION_URI


def test_links_outside_docs_point_into_the_repository(config):
    hooks = _hooks()
    ext = hooks.RepositoryLinksExtension(DOCS.resolve(), ROOT.resolve(), "https://example.org/r/blob/main/docs/")
    ext.page_src_uri = "rules/TNP101-legacy-constructor.md"
    assert ext.rewrite("../../fixtures/README.md#format") == "https://example.org/r/blob/main/fixtures/README.md#format"
    assert ext.rewrite("../../fixtures/TNP101/") == "https://example.org/r/tree/main/fixtures/TNP101/"
    assert ext.rewrite("../configuration.md#keys") == "../configuration.md#keys"  # a doc file: mkdocs' job
    assert ext.rewrite("../../fixtures/no-such-file.py") == "../../fixtures/no-such-file.py"  # mkdocs reports it
    assert ext.rewrite("../../../outside.md") == "../../../outside.md"
    assert ext.rewrite("https://pytorch.org/") == "https://pytorch.org/"
    ext.page_src_uri = "index.md"
    assert ext.rewrite("../README.md") == "https://example.org/r/blob/main/README.md"


LIST_ITEM = re.compile(r"^( *)(?:[-*+]|\d+[.)]) ")


def _python_markdown_pitfalls(text: str) -> list[str]:
    """Lines that GitHub and the site (Python-Markdown) render differently.

    Python-Markdown needs a blank line before a list that follows a paragraph, and 4 spaces per
    level for nested list items and for later paragraphs of an item; GitHub also accepts less.
    """
    problems, fenced, prev, blank_in_item = [], False, "", False
    for number, line in enumerate(text.split("\n"), 1):
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
        elif not fenced:
            indent = len(line) - len(line.lstrip(" "))
            item = LIST_ITEM.match(line)
            after_text = prev.strip() and not LIST_ITEM.match(prev)
            if item and after_text and not prev.startswith((" ", "#", "|", "<")):
                problems.append(f"line {number}: a list after a paragraph needs a blank line before it")
            elif item and after_text and blank_in_item:
                problems.append(f"line {number}: after an item with several paragraphs, the next item "
                                "needs a blank line before it")
            elif item and indent % 4:
                problems.append(f"line {number}: indent a nested list item by a multiple of 4 spaces")
            elif line.strip() and not prev.strip() and indent % 4 and not item:
                problems.append(f"line {number}: indent a list item's later paragraph by a multiple of 4 spaces")
            if item or not line.startswith(" ") and line.strip():
                blank_in_item = False
            elif not line.strip() and prev.strip():
                blank_in_item = True
        prev = "" if fenced else line
    return problems


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.md")), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_lists_render_the_same_on_github_and_in_the_site(page):
    problems = _python_markdown_pitfalls(page.read_text(encoding="utf-8"))
    assert not problems, f"docs/{page.relative_to(DOCS).as_posix()}: " + "; ".join(problems)
