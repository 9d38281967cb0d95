"""MkDocs hook (``hooks:`` in mkdocs.yml): links from docs/ to files elsewhere in the repository.

The Markdown under docs/ links to repository files with relative paths (``../../fixtures/...``)
so the links work when the pages are read on GitHub and ``tests/test_docs_links.py`` can check
them. The built site holds only docs/, so in the site such a link points at the file in the
repository browser instead: ``repo_url`` + ``edit_uri`` is the address of docs/ there, and the
link is resolved against it. A relative link to a file that exists nowhere is left alone, so
``mkdocs build --strict`` still fails on it.
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

from markdown import Extension, Markdown
from markdown.treeprocessors import Treeprocessor


class _RepositoryLinks(Treeprocessor):
    """Rewrite ``<a href>`` / ``<img src>`` that leave docs/ but stay inside the repository."""

    def __init__(self, md: Markdown, ext: RepositoryLinksExtension) -> None:
        super().__init__(md)
        self.ext = ext

    def run(self, root):
        for element in root.iter():
            key = {"a": "href", "img": "src"}.get(element.tag)
            if key and element.get(key):
                element.set(key, self.ext.rewrite(element.get(key)))
        return root


class RepositoryLinksExtension(Extension):
    def __init__(self, docs_dir: Path, repo_root: Path, source_base: str) -> None:
        super().__init__()
        self.docs_dir = docs_dir
        self.repo_root = repo_root
        self.source_base = source_base  # the URL of docs/ in the repository browser, ending in "/"
        self.page_src_uri = ""  # the page being rendered, relative to docs/ (set per page)

    def extendMarkdown(self, md: Markdown) -> None:
        # Before mkdocs' own "relpath" processor (priority 0), which validates links to doc files.
        md.treeprocessors.register(_RepositoryLinks(md, self), "tensorferry_repository_links", 1)

    def rewrite(self, url: str) -> str:
        scheme, netloc, path, query, fragment = urlsplit(url)
        if scheme or netloc or not path or path.startswith("/"):
            return url
        from_docs = posixpath.normpath(posixpath.join(posixpath.dirname(self.page_src_uri), path))
        if not from_docs.startswith("../"):
            return url  # a doc file: mkdocs resolves and validates it
        target = (self.docs_dir / from_docs).resolve()
        if not target.exists() or not target.is_relative_to(self.repo_root):
            return url  # left for mkdocs to report
        address = urljoin(self.source_base, from_docs + ("/" if target.is_dir() else ""))
        if target.is_dir():
            address = address.replace("/blob/", "/tree/", 1)
        return urlunsplit(urlsplit(address)._replace(query=query, fragment=fragment))


_extension: RepositoryLinksExtension | None = None


def _nav_pages(items) -> list[str]:
    pages = []
    for item in items:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            pages += _nav_pages(value)
        elif isinstance(value, str) and "://" not in value:  # a page, not an external link
            pages.append(value)
    return pages


def _add_rule_pages(config) -> None:
    """Put every generated rule page (``docs/rules/TNP*.md``) in the nav's ``Rules`` section.

    The pages come from the rule registry (``python -m tensorferry.docs``), so a new rule shows
    up in the site without an edit to mkdocs.yml.
    """
    docs_dir = Path(config.docs_dir)
    pages = sorted(p.relative_to(docs_dir).as_posix() for p in (docs_dir / "rules").glob("TNP*.md"))
    for item in config.nav or []:
        if isinstance(item, dict) and isinstance(item.get("Rules"), list):
            listed = set(_nav_pages(item["Rules"]))
            item["Rules"].extend(page for page in pages if page not in listed)
            return
    raise ValueError("mkdocs.yml: the nav needs a `Rules:` section (a list); the rule pages go there")


def on_config(config):
    global _extension
    _add_rule_pages(config)
    if not (config.repo_url and config.edit_uri):
        raise ValueError("mkdocs.yml: repo_url and edit_uri locate the files outside docs/")
    docs_dir = Path(config.docs_dir).resolve()
    repo_root = Path(config.config_file_path).resolve().parent
    source_base = urljoin(config.repo_url.rstrip("/") + "/", config.edit_uri)
    if not source_base.endswith("/"):
        source_base += "/"
    _extension = RepositoryLinksExtension(docs_dir, repo_root, source_base)
    config.markdown_extensions.append(_extension)
    return config


def on_page_markdown(markdown, page, config, files):
    if _extension is not None:
        _extension.page_src_uri = page.file.src_uri
    return markdown
