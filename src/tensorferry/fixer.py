"""``tensorferry fix``: apply fixes to files (or stdin), or show them as a unified diff.

The work per file:

1. read the bytes, decode them the way the interpreter does (BOM, PEP 263 cookie);
2. :func:`tensorferry.engine.fix_source` applies the fixes as text edits, re-parsing after each
   round, to a fixpoint (safe fixes; unsafe ones too with ``--unsafe-fixes``). A round whose
   result does not parse leaves the file as it was and is reported as an internal error;
3. the file is written only when a rule applied an edit and the bytes differ. The new text is
   encoded with the file's own encoding and BOM; everything outside the edited spans is the
   original text (newlines, tabs, comments, a missing final newline). Edit contents are written
   in the file's newline style (see :mod:`tensorferry.edits`);
4. the write is atomic: a temporary file in the same folder, ``fsync``, the original mode (and,
   where permitted, owner) applied, then ``os.replace``. A symlink is followed, so the link stays
   a link. Before replacing, the file is read again: if its bytes changed since step 1, it is not
   overwritten and the run reports an error. A file or folder without write permission (no
   write bit, or no access) is reported, not written.

Steps 1-2 run in parallel processes (``--jobs``); the writes happen in one process, in file
order, so the output is the same for any number of jobs.

Imports a fix needs are part of the fix itself (``tensorferry.edits.ensure_import``), so they
appear only in files that a fix changes.

Exit status, as ruff's: 0 when no findings remain, 1 when some remain (or, with
``--exit-non-zero-on-fix``, when a file changed; with ``--diff``, when there is a diff), 2 when a
file could not be read, parsed, fixed or written.
"""

from __future__ import annotations

import argparse
import codecs
import difflib
import itertools
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tensorferry.diagnostics import INTERNAL_ERROR, PARSE_ERROR, Diagnostic, file_diagnostic
from tensorferry.edits import fix_allowed
from tensorferry.engine import _internal, fix_source, lint_source, parse_error
from tensorferry.files import DecodeError, SourceFile, decode, discover
from tensorferry.rules import Rule

if TYPE_CHECKING:  # pragma: no cover
    from tensorferry.config import Config

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
MAX_ROUNDS = 10
_ERROR_CODES = (PARSE_ERROR, INTERNAL_ERROR)


class WriteRefused(Exception):
    """The fixed text was not written (read-only, changed on disk, ...)."""


@dataclass
class FileFix:
    """The outcome of fixing one source: what was fixed, what remains, and the new bytes."""

    display: str
    fixed: list[Diagnostic] = field(default_factory=list)
    remaining: list[Diagnostic] = field(default_factory=list)
    old_text: str = ""
    new_text: str = ""
    new_bytes: bytes | None = None  # None: nothing to write
    error: bool = False

    @property
    def changed(self) -> bool:
        return self.new_bytes is not None


def encode(src: SourceFile, text: str) -> bytes:
    """Encode ``text`` the way ``src`` was stored: same codec, same BOM."""
    codec = "utf-8" if src.encoding == "utf-8-sig" else src.encoding
    return (codecs.BOM_UTF8 if src.bom else b"") + text.encode(codec)


def fix_decoded(src: SourceFile, display: str, rules: Sequence[type[Rule]], *,
                unsafe: bool) -> FileFix:
    """Fix one decoded source. Never raises for a problem in the code or in a rule."""
    out = FileFix(display, old_text=src.text, new_text=src.text)
    try:
        res = fix_source(src.text, display, rules, unsafe=unsafe, max_rounds=MAX_ROUNDS)
    except Exception as exc:  # a bad edit (e.g. out of range) must not cost the run
        return unchanged(out, rules, _internal(display, "the fixer", exc))
    if res.error is not None:
        return unchanged(out, rules, res.error)
    stuck = sorted({d.code for d in res.remaining if fix_allowed(d.fix, unsafe)})
    if stuck:
        return unchanged(out, rules, file_diagnostic(
            INTERNAL_ERROR, "internal-error",
            f"internal error: the fixes of {', '.join(stuck)} did not settle after {MAX_ROUNDS} "
            "rounds (a fix keeps applying or cannot be applied); the file is left unchanged "
            "(please report this)", display))
    out.remaining = list(res.remaining)
    out.error = any(d.code in _ERROR_CODES for d in res.remaining)
    if not res.fixed or res.source == src.text:
        return out
    try:
        new_bytes = encode(src, res.source)
    except UnicodeEncodeError as exc:
        return unchanged(out, rules, file_diagnostic(
            INTERNAL_ERROR, "internal-error",
            f"the fixed text cannot be encoded as {src.encoding} ({exc.reason}); "
            "the file is left unchanged", display))
    out.fixed = list(res.fixed)
    out.new_text = res.source
    out.new_bytes = new_bytes
    return out


def unchanged(out: FileFix, rules: Sequence[type[Rule]], problem: Diagnostic | None) -> FileFix:
    """Mark ``out`` as not fixed: its findings are those of the original text (plus ``problem``)."""
    diags = list(lint_source(out.old_text, out.display, rules).diagnostics)
    if problem is not None:
        diags.append(problem)
        diags.sort(key=Diagnostic.sort_key)
    out.fixed, out.remaining = [], diags
    out.new_text, out.new_bytes = out.old_text, None
    out.error = problem is not None or any(d.code in _ERROR_CODES for d in diags)
    return out


def _writable(path: str, st: os.stat_result) -> bool:
    return bool(st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) and os.access(
        path, os.W_OK)


def write_atomic(path: str, data: bytes, expected: bytes) -> None:
    """Replace ``path``'s content with ``data`` if it still holds ``expected``.

    Raises :class:`WriteRefused` (nothing written) or ``OSError`` (nothing written; the
    temporary file is removed).
    """
    real = os.path.realpath(path)
    folder = os.path.dirname(real)
    st = os.stat(real)
    if not _writable(real, st):
        raise WriteRefused("file is read-only; not rewritten")
    if not _writable(folder, os.stat(folder)) or not os.access(folder, os.X_OK):
        raise WriteRefused(f"folder {folder} is read-only; not rewritten")
    with open(real, "rb") as fh:
        if fh.read() != expected:
            raise WriteRefused("file changed on disk since it was read; not overwritten")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(real)}.",
                               suffix=".tensorferry-tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode))  # mkstemp created it 0600
        if hasattr(os, "chown") and (st.st_uid, st.st_gid) != (os.getuid(), os.getgid()):
            try:
                os.chown(tmp, st.st_uid, st.st_gid)
            except OSError:  # only the owner's group, or nothing, may be given away
                pass
        os.replace(tmp, real)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def unified_diff(old: str, new: str, name: str) -> str:
    """A ``--- a/name`` / ``+++ b/name`` unified diff; marks a missing final newline like git."""
    label = name.replace(os.sep, "/").lstrip("/")
    if label.startswith("./"):
        label = label[2:]
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True),
        fromfile=f"a/{label}", tofile=f"b/{label}",
    )
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith(("\n", "\r")):
            out.append("\n\\ No newline at end of file\n")
    return "".join(out)


def fix_summary(fixed: int, remaining: Sequence[Diagnostic], *, unsafe: bool,
                diff: bool) -> list[str]:
    hidden = 0 if unsafe else sum(
        1 for d in remaining if d.fix is not None and d.fix.applicability == "unsafe")
    if diff:
        head = (f"Would fix {fixed} error{'s' if fixed != 1 else ''}" if fixed
                else "No errors would be fixed")
        tail = f" ({hidden} more fixable with `--unsafe-fixes`)" if hidden else ""
        return [head + tail + "."]
    total = fixed + len(remaining)
    if not total:
        return ["All checks passed!"]
    lines = [f"Found {total} error{'s' if total != 1 else ''} "
             f"({fixed} fixed, {len(remaining)} remaining)."]
    if hidden:
        lines.append(f"{hidden} more fixable with `--unsafe-fixes`.")
    return lines


def _read_stdin(display: str, rules, unsafe: bool) -> tuple[FileFix, bytes]:
    raw = sys.stdin.buffer.read()
    try:
        src = decode(raw)
    except DecodeError as exc:
        return FileFix(display, remaining=[parse_error(display, f"cannot read: {exc}")],
                       error=True), raw
    return fix_decoded(src, display, rules, unsafe=unsafe), raw


def _read_path(path: str, rules, unsafe: bool) -> tuple[FileFix, bytes | None]:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        src = decode(raw)
    except DecodeError as exc:
        return FileFix(path, remaining=[parse_error(path, f"cannot read: {exc}")], error=True), None
    except OSError as exc:
        return FileFix(path, remaining=[parse_error(path, f"cannot read: {exc.strerror or exc}")],
                       error=True), None
    result = fix_decoded(src, path, rules, unsafe=unsafe)
    if not result.changed:  # the texts and bytes are needed only to diff or write
        result.old_text = result.new_text = ""
        return result, None
    return result, raw


def rules_for(path: str, rules: Sequence[type[Rule]], cfg: "Config | None") -> Sequence[type[Rule]]:
    """``rules`` without those that ``per-file-ignores`` turns off for ``path``: their fixes must
    not be applied there either."""
    if cfg is None or not cfg.per_file_ignores or path == "-":
        return rules
    from tensorferry.config import filter_per_file_ignores

    probes = [file_diagnostic(r.code, r.name, "", path) for r in rules]
    kept = {d.code for d in filter_per_file_ignores(probes, cfg.per_file_ignores, cfg.root)}
    return [r for r in rules if r.code in kept]


_WORKER: tuple = ((), False, None)


def _init_worker(rules: Sequence[type[Rule]], unsafe: bool, cfg: "Config | None") -> None:
    global _WORKER
    _WORKER = (tuple(rules), unsafe, cfg)


def _work(path: str) -> tuple[FileFix, bytes | None]:
    rules, unsafe, cfg = _WORKER
    return _read_path(path, rules_for(path, rules, cfg), unsafe)


def fix_paths(paths: Sequence[str], rules: Sequence[type[Rule]], *, unsafe: bool,
              jobs: int | None = None, cfg: "Config | None" = None):
    """Yield ``(path, FileFix, original bytes or None)`` in the order of ``paths``.

    The fixes are computed in parallel processes (``jobs``, default: all cores); writing is
    left to the caller, which does it in order, in one process.
    """
    from tensorferry.runner import default_jobs, pool_map

    jobs = default_jobs() if not jobs or jobs < 1 else jobs
    if jobs > 1 and len(paths) > 1:
        results = pool_map(_work, paths, jobs, _init_worker, (tuple(rules), unsafe, cfg))
        for path, (result, raw) in zip(paths, results):
            yield path, result, raw
    else:
        for path in paths:
            yield (path, *_read_path(path, rules_for(path, rules, cfg), unsafe))


def select_files(args: argparse.Namespace, cfg: "Config") -> tuple[list[str], list[str]]:
    """The files to fix, with the configuration's and the command line's excludes applied the way
    ``tensorferry check`` applies them (a file named on the command line is always taken)."""
    from tensorferry.config import is_excluded

    excludes = ((cfg.exclude if args.exclude is None else args.exclude) + cfg.extend_exclude
                + args.extend_exclude)
    prune = [g for g in excludes if "/" not in g and os.sep not in g]
    files, errors = discover(list(args.paths), prune)
    if excludes:
        explicit = {p for p in args.paths if p == "-" or not os.path.isdir(p)}
        files = [f for f in files if f in explicit or not is_excluded(f, excludes, cfg.root)]
    return files, errors


def run_fix(args: argparse.Namespace, rules: Sequence[type[Rule]]) -> int:
    from tensorferry.cli import resolve_settings
    from tensorferry.output import Sources, render

    cfg = resolve_settings(args)
    unsafe = bool(cfg.unsafe_fixes if args.unsafe_fixes is None else args.unsafe_fixes)
    fmt = args.output_format or (cfg.output_format if cfg.output_format == "concise" else "full")
    files, errors = select_files(args, cfg)
    had_error = bool(errors)
    for msg in errors:
        print(f"error: {msg}", file=sys.stderr)
    # With `-` the fixed source owns stdout; findings and the summary go to stderr.
    report = sys.stderr if "-" in files else sys.stdout
    stdin_text: dict[str, str] = {}
    fixed = 0
    changed = 0
    remaining: list[Diagnostic] = []
    results = fix_paths([f for f in files if f != "-"], rules, unsafe=unsafe, jobs=args.jobs,
                        cfg=cfg)
    if "-" in files:
        name = args.stdin_filename or "-"
        stdin = _read_stdin(name, rules_for(name, rules, cfg), unsafe)
        stdin_text[stdin[0].display] = stdin[0].new_text
        results = itertools.chain([("-", *stdin)], results)
    for path, result, raw in results:
        had_error |= result.error
        if args.diff:
            remaining.extend(result.remaining)
            if result.changed:
                sys.stdout.write(unified_diff(result.old_text, result.new_text, result.display))
                sys.stdout.flush()
                fixed += len(result.fixed)
                changed += 1
            continue
        if path == "-":
            sys.stdout.flush()
            sys.stdout.buffer.write(result.new_bytes if result.changed else raw)
            sys.stdout.buffer.flush()
            remaining.extend(result.remaining)
            fixed += len(result.fixed)
            changed += result.changed
            continue
        if not result.changed:
            remaining.extend(result.remaining)
            continue
        assert raw is not None and result.new_bytes is not None
        try:
            write_atomic(path, result.new_bytes, raw)
        except (WriteRefused, OSError) as exc:
            msg = str(exc) if isinstance(exc, WriteRefused) else f"cannot write: {exc.strerror or exc}"
            print(f"error: {path}: {msg}", file=sys.stderr)
            had_error = True
            # Nothing was written: the file still has the findings of its original text.
            remaining.extend(unchanged(result, rules, None).remaining)
            continue
        remaining.extend(result.remaining)
        fixed += len(result.fixed)
        changed += 1
        if not args.quiet:
            print(f"Rewriting {path}", file=sys.stderr)
    remaining.sort(key=Diagnostic.sort_key)
    if not args.diff:
        render(remaining, fmt, report, quiet=True, sources=Sources(stdin_text))
    if args.show_traceback:
        for d in remaining:
            if d.detail:
                print(d.detail, file=sys.stderr)
    if not args.quiet:
        target = sys.stderr if args.diff else report
        for line in fix_summary(fixed, remaining, unsafe=unsafe, diff=args.diff):
            print(line, file=target)
    if had_error:
        return EXIT_ERROR
    if args.diff:
        return EXIT_FINDINGS if changed else EXIT_OK
    if remaining:
        return EXIT_FINDINGS
    if args.exit_non_zero_on_fix and changed:
        return EXIT_FINDINGS
    return EXIT_OK
