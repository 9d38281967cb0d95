"""Result cache for `tensorferry check`: findings per file, keyed by content.

The key covers the file's bytes, its reported name, the selected rules and a fingerprint of
tensorferry itself (version plus the size and mtime of its modules), so a cached entry is
reused only when the same code would produce it. Files with findings are cached too.
Entries are written atomically (temporary file + rename), so parallel runs can share a cache
folder: the worst case is that two processes compute the same entry. An entry is the result's
plain data (dicts, lists, strings, numbers) in ``marshal``'s format, which is built into the
interpreter: ``json`` cost a warm run 1.4 ms to import. The key covers the interpreter's
version, and ``marshal`` reads only what it wrote there; an entry that does not load is a miss.
"""

from __future__ import annotations

import functools
import marshal
import os
import sys
from collections.abc import Sequence

from tensorferry import __version__
from tensorferry.diagnostics import Diagnostic

try:  # BLAKE2 is built into CPython; `hashlib` would load OpenSSL first (2 ms of a warm run)
    from _blake2 import blake2b as _hash
except ImportError:  # pragma: no cover
    from hashlib import blake2b as _hash

DEFAULT_DIR = ".tensorferry_cache"
SUFFIX = ".marshal"


# Folders of the package that hold no code a result depends on: the rule examples bundled for
# `tensorferry verify` and the docs (hundreds of files, statted on every run otherwise).
_NOT_CODE = frozenset({"_fixtures", "__pycache__"})


def code_fingerprint(pkg: str) -> str:
    """A digest of the version, the interpreter and the size and mtime of every module under
    the folder ``pkg`` (``_NOT_CODE`` left out)."""
    found: list[tuple[str, int, int]] = []
    pending = [""]
    while pending:
        rel = pending.pop()
        with os.scandir(os.path.join(pkg, rel) if rel else pkg) as entries:
            for e in entries:
                if e.is_dir():
                    if e.name not in _NOT_CODE:
                        pending.append(f"{rel}/{e.name}" if rel else e.name)
                elif e.name.endswith(".py"):
                    st = e.stat()
                    found.append((f"{rel}/{e.name}" if rel else e.name, st.st_size, st.st_mtime_ns))
    h = _hash(f"{__version__}|{sys.version_info[:2]}".encode(), digest_size=32)
    for name, size, mtime in sorted(found):
        h.update(f"{name}|{size}|{mtime}".encode())
    return h.hexdigest()[:16]


@functools.cache
def tool_fingerprint() -> str:
    return code_fingerprint(os.path.dirname(os.path.abspath(__file__)))


class Cache:
    # plain strings and `os` functions: `pathlib` (with the `urllib.parse` it imports) cost a
    # warm run about 3 ms to import
    def __init__(self, root: str | os.PathLike, rule_codes: Sequence[str]) -> None:
        self.root = os.fspath(root)
        self.salt = f"{tool_fingerprint()}|{','.join(sorted(rule_codes))}".encode()
        self._dir = os.path.join(self.root, __version__)
        self._ready = False

    def _prepare(self) -> None:
        if self._ready:
            return
        os.makedirs(self._dir, exist_ok=True)
        ignore = os.path.join(self.root, ".gitignore")
        if not os.path.exists(ignore):
            try:
                with open(ignore, "w", encoding="utf-8") as fh:
                    fh.write("# Created by tensorferry: the result cache.\n*\n")
            except OSError:
                pass
        self._ready = True

    def key(self, name: str, raw: bytes) -> str:
        h = _hash(self.salt, digest_size=32)
        h.update(name.encode("utf-8", "surrogateescape"))
        h.update(b"\0")
        h.update(raw)
        return h.hexdigest()

    def _path(self, key: str) -> str:
        return os.path.join(self._dir, key[:2], key + SUFFIX)

    def get(self, key: str) -> tuple[list[Diagnostic], bool] | None:
        # plain strings and one open: a warm run does this for every file
        path = self._path(key)
        try:
            with open(path, "rb") as fh:
                data = marshal.loads(fh.read())
            return [Diagnostic.from_json(d) for d in data["diagnostics"]], bool(data["error"])
        except (OSError, ValueError, EOFError, KeyError, TypeError, AttributeError):
            return None

    def put(self, key: str, diagnostics: list[Diagnostic], error: bool) -> None:
        try:
            self._prepare()
            path = self._path(key)
            folder = os.path.dirname(path)
            os.makedirs(folder, exist_ok=True)
            import tempfile

            payload = marshal.dumps({"error": error, "diagnostics": [d.to_json() for d in diagnostics]})
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=SUFFIX)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(payload)
                os.replace(tmp, path)
            except BaseException:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
                raise
        except OSError:
            pass  # a read-only or full disk makes the cache a no-op, never an error
