"""Find and read Python files: discovery, decoding (PEP 263 cookies, BOM), clear errors."""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
from collections.abc import Iterator

from tensorferry._record import Record

SKIP_DIRS = {
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "__pycache__", "build", "dist",
    "node_modules", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".tensorferry_cache", ".eggs", "site-packages", "__pypackages__",
}
PY_SUFFIXES = (".py", ".pyi")


def discover(paths: list[str], exclude: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Return (files, errors). Explicit file arguments are always checked; folders are walked.
    A file reached twice (two arguments, a linked folder) is listed once."""
    files: list[str] = []
    errors: list[str] = []
    seen: set[str] = set()
    for path, key in walk(paths, exclude, errors):
        key = key or os.path.realpath(path)
        if key not in seen:
            seen.add(key)
            files.append(path)
    files.sort(key=lambda p: (p != "-", p))
    return files, errors


def walk(paths: list[str], exclude: list[str] | None = None, errors: list[str] | None = None):
    """The files ``discover`` lists, lazily, in walk order and before duplicates are dropped:
    (path, its real path or None when not known without resolving it). A missing argument is
    appended to ``errors``."""
    import fnmatch

    exclude = exclude or []
    if exclude:  # `pathlib` only where patterns need the parts of a path (3 ms to import)
        from pathlib import Path

    def excluded(p: str) -> bool:
        if not exclude:
            return False
        norm = p[2:] if p.startswith("./") else p
        parts = Path(norm).parts
        return any(
            fnmatch.fnmatch(norm, pat) or any(fnmatch.fnmatch(part, pat) for part in parts)
            for pat in exclude
        )

    for arg in paths:
        if arg == "-":
            yield "-", "-"
            continue
        if os.path.isdir(arg):
            yield from _walk_folder(arg, excluded)
        elif os.path.exists(arg):
            yield arg, None
        elif errors is not None:
            errors.append(f"{arg}: no such file or directory")


def _walk_folder(top: str, excluded) -> Iterator[tuple[str, str | None]]:
    """``walk`` in one folder: depth first, folders and files in sorted order, a folder's files
    before its subfolders. Each folder is listed once (``os.scandir``: the kind of an entry comes
    with the listing, without a system call), and followed links are walked once (a link loop
    ends where it would repeat a folder)."""
    visited: set[tuple[int, int]] = set()
    # (folder, its real path: known from its parent's unless it is the top or a link)
    pending: list[tuple[str, str | None]] = [(top, None)]
    while pending:
        root, real_root = pending.pop()
        try:
            st = os.stat(root)
            if real_root is None:
                real_root = os.path.realpath(root)
            with os.scandir(root) as listing:
                entries = sorted(listing, key=_entry_name)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in visited:  # a link loop
            continue
        visited.add(key)
        if root is not top and any(e.name == "pyvenv.cfg" and _is_file(e) for e in entries):
            continue  # a virtual environment
        subfolders = []
        for e in entries:
            name = e.name
            try:
                is_dir = e.is_dir()
            except OSError:  # a link loop, a link that cannot be followed: not a folder
                is_dir = False
            if is_dir:
                if name in SKIP_DIRS or name.endswith(".egg-info"):
                    continue
                full = os.path.join(root, name)
                if not excluded(full):
                    subfolders.append((full, None if e.is_symlink() else os.path.join(real_root, name)))
            elif name.endswith(PY_SUFFIXES):
                full = os.path.join(root, name)
                kind = True if e.is_file(follow_symlinks=False) else _walkable(full)
                if kind is None or excluded(full):
                    continue
                if kind:  # a regular file, not a link: its real path is its folder's
                    yield full, os.path.join(real_root, name)
                else:
                    yield full, None
        pending.extend(reversed(subfolders))


def _entry_name(entry: os.DirEntry) -> str:
    return entry.name


def _is_file(entry: os.DirEntry) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _walkable(path: str) -> bool | None:
    """Should a folder walk read this file? True for a regular file; False for a link to one,
    or a link that cannot be followed (a loop, a dangling link), whose read then reports the
    error; None for anything else. Folders named ``*.py`` are walked as folders; FIFOs, sockets
    and devices are skipped (reading a FIFO would block the run)."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISREG(st.st_mode):
        return True
    if not stat.S_ISLNK(st.st_mode):
        return None
    try:
        return False if stat.S_ISREG(os.stat(path).st_mode) else None
    except OSError:
        return False


class SourceFile(Record):
    __slots__ = ("text", "encoding", "bom", "raw")

    def __init__(self, text: str, encoding: str, bom: bool, raw: bytes) -> None:
        self.text = text
        self.encoding = encoding
        self.bom = bom
        self.raw = raw


class DecodeError(Exception):
    pass


_COOKIE_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def decode(raw: bytes) -> SourceFile:
    """Decode like the interpreter does (BOM, PEP 263 cookie, UTF-8 default)."""
    if b"\x00" in raw:
        raise DecodeError("file contains NUL bytes (binary file?)")
    # A cookie can only be on the first two lines: without one (and without a BOM) the file is
    # UTF-8, as tokenize.detect_encoding would say, without importing tokenize
    end = raw.find(b"\n")
    if end >= 0:
        end = raw.find(b"\n", end + 1)
    if b"coding" not in (raw if end < 0 else raw[:end]) and not raw.startswith(codecs.BOM_UTF8):
        try:
            return SourceFile(raw.decode("utf-8"), "utf-8", False, raw)
        except UnicodeDecodeError:
            pass  # reported below, in tokenize's words
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        raise DecodeError(str(exc)) from None
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[len(codecs.BOM_UTF8):] if bom else raw
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    try:
        text = body.decode(codec)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DecodeError(f"cannot decode as {encoding}: {exc}") from None
    return SourceFile(text, encoding, bom, raw)


def read_source(path: str) -> SourceFile:
    with open(path, "rb") as fh:
        raw = fh.read()
    return decode(raw)
