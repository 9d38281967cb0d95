"""Render diagnostics for people and machines.

Formats (``tensorferry check --output-format``):

* ``full``: each finding with its source lines and an underline under the span (default);
* ``concise``: one line per finding (``text`` is an alias kept for scripts);
* ``json`` / ``json-lines``: ruff's JSON shape, as an array or one object per line;
* ``sarif``: SARIF 2.1.0, as GitHub code scanning reads it;
* ``github``: GitHub Actions workflow commands (``::error ...``), one per finding.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence

from tensorferry._record import Frozen, _set
from tensorferry.diagnostics import INTERNAL_ERROR, PARSE_ERROR, Diagnostic

# typing.TYPE_CHECKING, without importing typing: a run with nothing to report imports this
# module and little else
TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path
    from typing import TextIO

FORMATS = ("full", "concise", "text", "json", "json-lines", "sarif", "github")
# What `check --output-format` offers; "text" is accepted as an alias of "concise".
CHECK_FORMATS = ("full", "concise", "json", "json-lines", "sarif", "github", "text")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/tensorferry/tensorferry"  # repo_url in mkdocs.yml
FULL_DESCRIPTION_LIMIT = 1024  # GitHub code scanning truncates longer fullDescription texts

# Codes that are not rules in the registry but can appear in every output.
META_RULES = {
    PARSE_ERROR: ("parse-error", "The file could not be read or parsed, so it was not checked.",
                  "A file that cannot be decoded or parsed is reported with TNP001 and the run "
                  "exits with status 2. Fix the syntax or encoding error, or exclude the file."),
    INTERNAL_ERROR: ("internal-error", "tensorferry failed while checking the file.",
                     "An exception inside tensorferry is reported with TNP002 for the file it "
                     "happened in; other files are still checked and the run exits with "
                     "status 2. Run again with `--show-traceback` and report the trace."),
}


# --------------------------------------------------------------------------- colour

class Style(Frozen):
    __slots__ = ("enabled",)

    def __init__(self, enabled: bool = False) -> None:
        _set(self, "enabled", enabled)

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and text else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def code(self, text: str) -> str:
        return self._wrap("1;31", text)

    def caret(self, text: str) -> str:
        return self._wrap("31", text)

    def gutter(self, text: str) -> str:
        return self._wrap("1;34", text)

    def help(self, text: str) -> str:
        return self._wrap("36", text)


def use_color(stream: TextIO, env: Mapping[str, str] | None = None) -> bool:
    """Colour on a terminal only. ``NO_COLOR`` (any value) turns it off, then ``FORCE_COLOR``
    (any value but ``0``) turns it on; both follow no-color.org / force-color.org."""
    env = os.environ if env is None else env
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------- sources

class Sources:
    """Source text of reported files, read lazily; ``known`` supplies text that is not on disk (stdin)."""

    def __init__(self, known: Mapping[str, str] | None = None) -> None:
        self._cache: dict[str, list[str] | None] = {}
        for name, text in (known or {}).items():
            self._cache[name] = text.splitlines()

    def lines(self, filename: str) -> list[str] | None:
        if filename not in self._cache:
            from tensorferry.files import DecodeError, read_source

            try:
                self._cache[filename] = read_source(filename).text.splitlines()
            except (OSError, DecodeError):
                self._cache[filename] = None
        return self._cache[filename]

    def line(self, filename: str, row: int) -> str | None:
        lines = self.lines(filename)
        if lines is None or not 0 < row <= len(lines):
            return None
        return lines[row - 1]


def project_root(start: str | os.PathLike | None = None) -> Path:
    """The repository root (the nearest folder upward with ``.git``), else the current folder."""
    from pathlib import Path  # only for the formats that print paths relative to it

    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def relative_path(filename: str, root: Path) -> str | None:
    """``filename`` relative to ``root`` with forward slashes, or None when it lies outside."""
    from pathlib import Path

    try:
        return Path(os.path.abspath(filename)).relative_to(root).as_posix()
    except ValueError:
        return None


# --------------------------------------------------------------------------- text formats

def fix_marker(d: Diagnostic) -> str:
    return "[*] " if d.fix is not None and d.fix.applicability == "safe" else ""


def summary_lines(diags: Sequence[Diagnostic], unsafe_enabled: bool = False) -> list[str]:
    if not diags:
        return ["All checks passed!"]
    n = len(diags)
    safe = sum(1 for d in diags if d.fix and d.fix.applicability == "safe")
    unsafe = sum(1 for d in diags if d.fix and d.fix.applicability == "unsafe")
    lines = [f"Found {n} error{'s' if n != 1 else ''}."]
    if unsafe_enabled and safe + unsafe:
        lines.append(f"[*] {safe + unsafe} fixable with `tensorferry fix --unsafe-fixes`.")
    elif safe and unsafe:
        lines.append(
            f"[*] {safe} fixable with `tensorferry fix` "
            f"({unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled with the `--unsafe-fixes` option)."
        )
    elif safe:
        lines.append(f"[*] {safe} fixable with `tensorferry fix`.")
    elif unsafe:
        lines.append(
            f"No fixes available ({unsafe} hidden fix{'es' if unsafe != 1 else ''} can be enabled "
            "with the `--unsafe-fixes` option)."
        )
    return lines


def _header(d: Diagnostic, style: Style) -> str:
    return (f"{style.bold(d.filename)}:{d.row}:{d.column}: {style.code(d.code)} "
            f"{fix_marker(d)}{d.message}")


def _width(text: str) -> int:
    """Display width in a terminal: tabs as 4 columns, wide East Asian characters as 2."""
    import unicodedata

    w = 0
    for ch in text:
        if ch == "\t":
            w += 4
        elif unicodedata.combining(ch):
            continue
        else:
            w += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return w


MAX_SPAN_LINES = 6


def snippet(d: Diagnostic, lines: list[str] | None, style: Style) -> list[str]:
    """The span's source lines (plus one line of context each side) with carets under the span."""
    if not lines or not 0 < d.row <= len(lines):
        return []
    end_row = min(max(d.end_location.row, d.row), len(lines))
    shown_end = min(end_row, d.row + MAX_SPAN_LINES - 1)
    first = max(1, d.row - 1)
    last = min(len(lines), shown_end + 1)
    num_w = len(str(last))
    pad = " " * num_w
    out = [f"{pad} {style.gutter('|')}"]
    for row in range(first, last + 1):
        text = lines[row - 1]
        out.append(f"{style.gutter(str(row).rjust(num_w) + ' |')} {text.replace(chr(9), '    ')}".rstrip())
        if not d.row <= row <= shown_end:
            continue
        start = d.column - 1 if row == d.row else len(text) - len(text.lstrip())
        if row == end_row and d.end_location.row >= d.row:
            stop = d.end_location.column - 1
        else:
            stop = len(text)
        start = min(max(start, 0), len(text))
        stop = min(max(stop, start), len(text))
        lead = _width(text[:start])
        marks = max(1, _width(text[start:stop]))
        label = f" {d.code}" if row == shown_end else ""
        out.append(f"{pad} {style.gutter('|')} {' ' * lead}{style.caret('^' * marks + label)}")
    out.append(f"{pad} {style.gutter('|')}")
    if d.fix is not None:
        out.append(f"{pad} {style.gutter('=')} {style.help('help:')} {d.fix.message}")
        if d.fix.applicability == "unsafe":
            out.append(f"{pad} {style.gutter('=')} note: This is an unsafe fix and may change runtime behavior")
    return out


def render_full(diags: Sequence[Diagnostic], out: TextIO, sources: Sources, style: Style) -> None:
    for d in diags:
        out.write(_header(d, style) + "\n")
        for line in snippet(d, sources.lines(d.filename), style):
            out.write(line + "\n")
        out.write("\n")


def render_concise(diags: Sequence[Diagnostic], out: TextIO, style: Style) -> None:
    for d in diags:
        out.write(_header(d, style) + "\n")


# --------------------------------------------------------------------------- statistics

def statistics(diags: Sequence[Diagnostic], unsafe_enabled: bool = False) -> list[dict]:
    """Counts per code, most frequent first (ties by code), with how many of them are fixable."""
    rows: dict[str, dict] = {}
    for d in diags:
        row = rows.setdefault(d.code, {"code": d.code, "name": d.name, "count": 0,
                                       "fixable_count": 0, "unsafe_fixable_count": 0})
        row["count"] += 1
        if d.fix is not None:
            if d.fix.applicability == "safe":
                row["fixable_count"] += 1
            else:
                row["unsafe_fixable_count"] += 1
    result = sorted(rows.values(), key=lambda r: (-r["count"], r["code"]))
    for r in result:
        if unsafe_enabled:
            r["fixable_count"] += r["unsafe_fixable_count"]
        r["fixable"] = r["fixable_count"] > 0
    return result


def render_statistics(diags: Sequence[Diagnostic], fmt: str, out: TextIO, *,
                      unsafe_enabled: bool = False) -> None:
    rows = statistics(diags, unsafe_enabled)
    if fmt in ("json", "json-lines", "sarif", "github"):
        import json  # only for these formats: 1.4 ms of every run otherwise

        if fmt == "json-lines":
            for r in rows:
                out.write(json.dumps(r) + "\n")
        else:
            json.dump(rows, out, indent=2)
            out.write("\n")
        return
    if not rows:
        return
    count_w = max(len(str(r["count"])) for r in rows)
    code_w = max(len(r["code"]) for r in rows)
    name_w = max(len(r["name"]) for r in rows)
    for r in rows:
        marker = "[*]" if r["fixable"] else "[ ]"
        fixable = f"{r['fixable_count']} fixable"
        hidden = "" if unsafe_enabled or not r["unsafe_fixable_count"] else \
            f", {r['unsafe_fixable_count']} with --unsafe-fixes"
        out.write(f"{str(r['count']).rjust(count_w)}\t{r['code'].ljust(code_w)}\t{marker} "
                  f"{r['name'].ljust(name_w)}\t({fixable}{hidden})\n")


# --------------------------------------------------------------------------- GitHub annotations

def escape_data(text: str) -> str:
    """Escape a workflow command's message (actions/toolkit ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value (actions/toolkit ``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(d: Diagnostic, root: Path) -> str:
    path = relative_path(d.filename, root) or d.filename
    props = {
        "title": d.code,
        "file": path,
        "line": str(d.row),
        "col": str(d.column),
        "endLine": str(max(d.end_location.row, d.row)),
        "endColumn": str(d.end_location.column),
    }
    message = f"{d.code} {d.message}"
    if d.fix is not None:
        message += f"\nhelp: {d.fix.message}" + (" (unsafe fix)" if d.fix.applicability == "unsafe" else "")
    prop_text = ",".join(f"{k}={escape_property(v)}" for k, v in props.items())
    return f"::error {prop_text}::{escape_data(message)}"


# --------------------------------------------------------------------------- SARIF

def _trim_markdown(markdown: str, limit: int, more: str) -> str:
    """Cut ``markdown`` at a block boundary outside code fences so that it fits in ``limit``
    characters together with the ``more`` line; never leaves a fence open."""
    if len(markdown) <= limit:
        return markdown
    budget = limit - len(more) - 2
    blocks: list[str] = []
    current: list[str] = []
    in_fence = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if not line.strip() and not in_fence:
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    kept: list[str] = []
    size = 0
    for block in blocks:
        extra = len(block) + (2 if kept else 0)
        if size + extra > budget:
            break
        kept.append(block)
        size += extra
    if not kept:  # a single huge first block: cut at a word boundary
        head = blocks[0][: max(0, budget - 1)].rsplit(" ", 1)[0]
        kept = [head + "…"]
    # A trailing heading without its body reads badly.
    while len(kept) > 1 and kept[-1].lstrip().startswith("#") and "\n" not in kept[-1]:
        kept.pop()
    return "\n\n".join(kept) + "\n\n" + more


def _descriptor(code: str, name: str, short: str, markdown: str, url: str | None,
                level: str, tags: list[str], extra: dict | None = None) -> dict:
    more = f"Full documentation: {url}" if url else ""
    desc = {
        "id": code,
        "name": name,
        "shortDescription": {"text": short},
        "fullDescription": {"text": _trim_markdown(markdown, FULL_DESCRIPTION_LIMIT, more)},
        "help": {"text": markdown, "markdown": markdown},
        "defaultConfiguration": {"level": level},
        "properties": {"tags": tags, "precision": "high", "problem.severity":
                       "error" if level == "error" else "warning", **(extra or {})},
    }
    if url:
        desc["helpUri"] = url
    return desc


def rule_descriptors(rules: Iterable[type] | None = None) -> list[dict]:
    """SARIF ``reportingDescriptor`` objects: TNP001, TNP002, then ``rules`` (default: all)."""
    from tensorferry.rules import all_rules

    out = []
    for code, (name, short, text) in META_RULES.items():
        md = f"# {code} {name}\n\n{text}\n"
        out.append(_descriptor(code, name, short, md, None, "error", ["tensorferry"]))
    for rule in sorted(all_rules() if rules is None else rules, key=lambda r: r.code):
        tags = ["correctness", "numpy", "pytorch"]
        if rule.fix_availability != "never":
            tags.append("fixable")
        out.append(_descriptor(
            rule.code, rule.name, _plain(rule.summary), rule.markdown(), rule.url(), "warning", tags,
            {"fix": rule.fix_availability, "applicability": rule.fix_applicability},
        ))
    return out


def _plain(text: str) -> str:
    return text.replace("`", "")


def _line_hash(code: str, line: str | None) -> str:
    import hashlib

    normalized = "".join((line or "").split())
    return hashlib.sha256(f"{code}\0{normalized}".encode()).hexdigest()[:16]


def _artifact(filename: str, root: Path) -> dict:
    from urllib.parse import quote

    rel = relative_path(filename, root)
    if rel is not None:
        return {"uri": quote(rel), "uriBaseId": "%SRCROOT%"}
    if filename in ("-", "<stdin>") or not os.path.isabs(filename) and not os.path.exists(filename):
        return {"uri": quote(filename.replace(os.sep, "/"))}
    from pathlib import Path

    return {"uri": Path(os.path.abspath(filename)).as_uri()}


def _region(start_row: int, start_col: int, end_row: int, end_col: int) -> dict:
    end_row = max(end_row, start_row)
    if end_row == start_row:
        end_col = max(end_col, start_col)
    return {"startLine": start_row, "startColumn": start_col, "endLine": end_row, "endColumn": end_col}


def sarif_document(diags: Sequence[Diagnostic], *, rules: Iterable[type] | None = None,
                   root: Path | None = None, sources: Sources | None = None,
                   errors: Sequence[str] = (), had_error: bool = False,
                   unsafe_enabled: bool = False) -> dict:
    from tensorferry import __version__

    root = root or project_root()
    sources = sources or Sources()
    descriptors = rule_descriptors(rules)
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    # A finding of a rule outside `rules` (cannot happen from the CLI) still gets a descriptor.
    for d in diags:
        if d.code not in index:
            from tensorferry.rules import rules_by_code

            rule = rules_by_code().get(d.code)
            if rule is not None:
                descriptors.extend(rule_descriptors([rule])[len(META_RULES):])
                index[d.code] = len(descriptors) - 1
    seen: dict[tuple[str, str], int] = {}
    results = []
    for d in diags:
        artifact = _artifact(d.filename, root)
        line_hash = _line_hash(d.code, sources.line(d.filename, d.row))
        key = (d.filename, line_hash)
        seen[key] = seen.get(key, 0) + 1
        result: dict = {
            "ruleId": d.code,
            "level": "error" if d.code in META_RULES else "warning",
            "message": {"text": d.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": artifact,
                "region": _region(d.row, d.column, d.end_location.row, d.end_location.column),
            }}],
            "partialFingerprints": {"primaryLocationLineHash": f"{line_hash}:{seen[key]}"},
        }
        if d.code in index:
            result["ruleIndex"] = index[d.code]
        if d.fix is not None and (d.fix.applicability == "safe" or unsafe_enabled):
            result["fixes"] = [{
                "description": {"text": d.fix.message},
                "artifactChanges": [{
                    "artifactLocation": artifact,
                    "replacements": [
                        {
                            "deletedRegion": _region(e.location.row, e.location.column,
                                                     e.end_location.row, e.end_location.column),
                            "insertedContent": {"text": e.content},
                        }
                        for e in d.fix.edits
                    ],
                }],
                "properties": {"applicability": d.fix.applicability},
            }]
        results.append(result)
    run: dict = {
        "tool": {"driver": {
            "name": "tensorferry",
            "version": __version__,
            "semanticVersion": __version__,
            "informationUri": INFORMATION_URI,
            "rules": descriptors,
        }},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri().rstrip("/") + "/"}},
        "invocations": [{
            "executionSuccessful": not had_error,
            "toolExecutionNotifications": [
                {"level": "error", "message": {"text": msg}} for msg in errors
            ],
        }],
        "results": results,
        "columnKind": "unicodeCodePoints",
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


# --------------------------------------------------------------------------- entry point

def render(diags: Sequence[Diagnostic], fmt: str, out: TextIO, *, quiet: bool = False,
           unsafe_enabled: bool = False, rules: Iterable[type] | None = None,
           sources: Sources | None = None, root: Path | None = None,
           errors: Sequence[str] = (), had_error: bool = False,
           color: bool | None = None, show_statistics: bool = False) -> None:
    """Write ``diags`` to ``out`` in format ``fmt``. ``color=None`` decides from ``out`` and the env."""
    sources = sources or Sources()
    style = Style(use_color(out) if color is None else color)
    if show_statistics:
        render_statistics(diags, fmt, out, unsafe_enabled=unsafe_enabled)
        return
    if fmt in ("json", "json-lines", "sarif"):
        import json  # only for these formats: 1.4 ms of every run otherwise
    if fmt == "json":
        json.dump([d.to_json() for d in diags], out, indent=2)
        out.write("\n")
        return
    if fmt == "json-lines":
        for d in diags:
            out.write(json.dumps(d.to_json()) + "\n")
        return
    if fmt == "sarif":
        doc = sarif_document(diags, rules=rules, root=root, sources=sources, errors=errors,
                             had_error=had_error, unsafe_enabled=unsafe_enabled)
        json.dump(doc, out, indent=2, ensure_ascii=False)
        out.write("\n")
        return
    if fmt == "github":
        root = root or project_root()
        for d in diags:
            out.write(github_annotation(d, root) + "\n")
        return
    if fmt == "full":
        render_full(diags, out, sources, style)
    elif fmt in ("concise", "text"):
        render_concise(diags, out, style)
    else:
        raise ValueError(f"unknown output format: {fmt}")
    if not quiet:
        for line in summary_lines(diags, unsafe_enabled):
            out.write(line + "\n")
