"""Find and read Python files: discovery, decoding (PEP 263 cookies, BOM), clear errors."""

from __future__ import annotations

import codecs
import io
import os
import re
import stat
import tokenize
from dataclasses import dataclass
from pathlib import Path

SKIP_DIRS = {
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "__pycache__", "build", "dist",
    "node_modules", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".tensorferry_cache", ".eggs", "site-packages", "__pypackages__",
}
PY_SUFFIXES = (".py", ".pyi")


def is_venv(path: Path) -> bool:
    return (path / "pyvenv.cfg").is_file()


def discover(paths: list[str], exclude: list[str] | None = None) -> tuple[list[str], list[str]]:
    """Return (files, errors). Explicit file arguments are always checked; folders are walked."""
    import fnmatch

    exclude = exclude or []
    files: list[str] = []
    errors: list[str] = []
    seen: set[str] = set()

    def excluded(p: str) -> bool:
        norm = p[2:] if p.startswith("./") else p
        parts = Path(norm).parts
        return any(
            fnmatch.fnmatch(norm, pat) or any(fnmatch.fnmatch(part, pat) for part in parts)
            for pat in exclude
        )

    def add(p: str) -> None:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            files.append(p)

    for arg in paths:
        if arg == "-":
            add("-")
            continue
        if os.path.isdir(arg):
            visited: set[tuple[int, int]] = set()
            for root, dirs, names in os.walk(arg, followlinks=True):
                try:
                    st = os.stat(root)
                    key = (st.st_dev, st.st_ino)
                except OSError:
                    dirs[:] = []
                    continue
                if key in visited:  # symlink loop
                    dirs[:] = []
                    continue
                visited.add(key)
                dirs[:] = sorted(
                    d for d in dirs
                    if d not in SKIP_DIRS and not d.endswith(".egg-info")
                    and not is_venv(Path(root) / d) and not excluded(os.path.join(root, d))
                )
                for name in sorted(names):
                    full = os.path.join(root, name)
                    if name.endswith(PY_SUFFIXES) and _walkable(full) and not excluded(full):
                        add(full)
        elif os.path.exists(arg):
            add(arg)
        else:
            errors.append(f"{arg}: no such file or directory")
    files.sort(key=lambda p: (p != "-", p))
    return files, errors


def _walkable(path: str) -> bool:
    """A file a folder walk should read: a regular file, or a link that cannot be followed (a
    loop, a dangling link), whose read then reports the error. Folders named ``*.py`` are walked
    as folders; FIFOs, sockets and devices are skipped (reading a FIFO would block the run)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True


@dataclass
class SourceFile:
    text: str
    encoding: str
    bom: bool
    raw: bytes


class DecodeError(Exception):
    pass


_COOKIE_RE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def decode(raw: bytes) -> SourceFile:
    """Decode like the interpreter does (BOM, PEP 263 cookie, UTF-8 default)."""
    if b"\x00" in raw:
        raise DecodeError("file contains NUL bytes (binary file?)")
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
