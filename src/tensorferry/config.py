"""``[tool.tensorferry]`` in ``pyproject.toml``: discovery, validation, precedence.

The nearest ``pyproject.toml`` with a ``[tool.tensorferry]`` table, searching upward from the
first path argument (or the current folder), configures the run. Options given on the command
line override the file the way ruff's do: ``--select`` replaces the file's ``select`` (and the
file's ``ignore`` no longer applies to what it selects), while ``--extend-select`` and
``--ignore`` adjust the result.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Sequence

from tensorferry._record import Record
from tensorferry.diagnostics import INTERNAL_ERROR, PARSE_ERROR, Diagnostic

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing
if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

TABLE = "tensorferry"
KEYS = (
    "select", "ignore", "extend-select", "per-file-ignores", "exclude", "extend-exclude",
    "unsafe-fixes", "output-format",
)


class ConfigError(Exception):
    """A configuration problem; the CLI prints it and exits with status 2."""


class Config(Record):
    __slots__ = ("path", "root", "select", "ignore", "extend_select", "per_file_ignores", "exclude",
                 "extend_exclude", "unsafe_fixes", "output_format")

    def __init__(self, path: Path | None = None, root: str | Path | None = None,
                 select: list[str] | None = None, ignore: list[str] | None = None,
                 extend_select: list[str] | None = None,
                 per_file_ignores: dict[str, list[str]] | None = None,
                 exclude: list[str] | None = None, extend_exclude: list[str] | None = None,
                 unsafe_fixes: bool | None = None, output_format: str | None = None) -> None:
        self.path = path  # the pyproject.toml read, or None
        # the folder patterns are relative to: the configuration file's (a Path), else the
        # current folder (a str: `pathlib` is imported only where a path needs it, about 3 ms)
        self.root = os.getcwd() if root is None else root
        self.select = select
        self.ignore = [] if ignore is None else ignore
        self.extend_select = [] if extend_select is None else extend_select
        self.per_file_ignores = {} if per_file_ignores is None else per_file_ignores
        self.exclude = [] if exclude is None else exclude
        self.extend_exclude = [] if extend_exclude is None else extend_exclude
        self.unsafe_fixes = unsafe_fixes
        self.output_format = output_format

    @property
    def all_excludes(self) -> list[str]:
        return list(self.exclude) + list(self.extend_exclude)


# The ways TOML can make a table `tool.tensorferry`: a header or dotted key naming both
# (`[tool.tensorferry]`, `tool.tensorferry.select = ...`, quoted or spaced), or a `tool` table
# or inline table holding a `tensorferry` key (`[tool]`, `tool = {...}`).
_NAMES_TABLE = re.compile(
    rb"""["']?tool["']?[ \t]*\.[ \t]*["']?tensorferry"""
    rb"""|^[ \t]*\[[ \t]*["']?tool["']?[ \t]*\]"""
    rb"""|^[ \t]*["']?tool["']?[ \t]*=""",
    re.MULTILINE)


def can_name_table(raw: bytes) -> bool:
    """Can this TOML text define ``[tool.tensorferry]`` (see ``_NAMES_TABLE``)? A file that
    mentions tensorferry only elsewhere (a dependency, a script named after it) cannot. A
    unicode escape could spell a quoted key, so a file with one counts."""
    if b"\\u" in raw or b"\\U" in raw:
        return True
    return TABLE.encode() in raw and _NAMES_TABLE.search(raw) is not None


def has_table(path: Path) -> bool:
    """Does ``path`` have a ``[tool.tensorferry]`` table? A file that cannot name the table
    (``can_name_table``) is not parsed; one that can but is not valid TOML counts, so that its
    error is reported rather than the file skipped."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError:
        return True  # reported by the load that follows
    if not can_name_table(raw):
        return False
    try:
        data = _parse(path, raw)
    except ConfigError:
        return True  # report the broken file rather than skip it silently
    return isinstance(data.get("tool"), dict) and TABLE in data["tool"]


def _load(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return _parse(path, raw)


def _parse(path: Path, raw: bytes) -> dict:
    import tomllib  # only for a file that can configure tensorferry

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 ({exc.reason})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None


def find_config(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` with ``[tool.tensorferry]``, upward from ``start``."""
    here = os.fspath(start) if start not in (None, "-") else os.getcwd()
    here = os.path.realpath(here) if os.path.exists(here) else os.path.abspath(here)
    if not os.path.isdir(here):
        here = os.path.dirname(here)
    while True:
        candidate = os.path.join(here, "pyproject.toml")
        if os.path.isfile(candidate) and has_table(candidate):
            from pathlib import Path

            return Path(candidate)
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _known_codes() -> tuple[str, ...]:
    from tensorferry.rules import all_codes

    return all_codes()


def check_codes(codes: Sequence[str], where: str, known: Sequence[str] | None = None) -> None:
    known = _known_codes() if known is None else known
    for code in codes:
        if code == "ALL" or code in (PARSE_ERROR, INTERNAL_ERROR):
            continue
        if not any(k.startswith(code) for k in known):
            raise ConfigError(f"{where}: unknown rule code or prefix: {code}")


def _codes(value: object, key: str, path: Path) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: `{key}` in [tool.{TABLE}] must be a list of rule codes")
    codes = [v.strip().upper() for v in value if v.strip()]
    check_codes(codes, f"{path}: `{key}` in [tool.{TABLE}]")
    return codes


def _strings(value: object, key: str, path: Path) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: `{key}` in [tool.{TABLE}] must be a list of strings")
    return list(value)


def parse_table(table: dict, path: Path) -> Config:
    """Validate ``[tool.tensorferry]`` from ``path`` and return it as a :class:`Config`."""
    from tensorferry.output import CHECK_FORMATS

    cfg = Config(path=path, root=path.parent)
    for key, value in table.items():
        if key not in KEYS:
            hint = ""
            close = [k for k in KEYS if k.replace("-", "_") == key or k.replace("-", "") == key.replace("_", "")]
            if close:
                hint = f" (did you mean `{close[0]}`?)"
            raise ConfigError(f"{path}: unknown key `{key}` in [tool.{TABLE}]{hint}; "
                              f"known keys: {', '.join(KEYS)}")
        if key == "select":
            cfg.select = _codes(value, key, path)
        elif key == "ignore":
            cfg.ignore = _codes(value, key, path)
        elif key == "extend-select":
            cfg.extend_select = _codes(value, key, path)
        elif key == "per-file-ignores":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: `{key}` in [tool.{TABLE}] must be a table of glob = [codes]")
            cfg.per_file_ignores = {
                str(glob): _codes(codes, f"{key}.\"{glob}\"", path) for glob, codes in value.items()
            }
        elif key == "exclude":
            cfg.exclude = _strings(value, key, path)
        elif key == "extend-exclude":
            cfg.extend_exclude = _strings(value, key, path)
        elif key == "unsafe-fixes":
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: `{key}` in [tool.{TABLE}] must be true or false")
            cfg.unsafe_fixes = value
        elif key == "output-format":
            if value not in CHECK_FORMATS:
                raise ConfigError(f"{path}: `{key}` in [tool.{TABLE}] must be one of "
                                  f"{', '.join(CHECK_FORMATS)}, not {value!r}")
            cfg.output_format = value
    return cfg


def load_config(path: str | os.PathLike, *, explicit: bool = False) -> Config:
    """Read ``path``. With ``explicit`` (``--config``) a missing table is an error."""
    from pathlib import Path

    path = Path(path)
    if explicit and not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    data = _load(path)
    tool = data.get("tool", {})
    table = tool.get(TABLE) if isinstance(tool, dict) else None
    if table is None:
        if explicit:
            raise ConfigError(f"{path}: no [tool.{TABLE}] table")
        return Config(root=path.parent.resolve())
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.{TABLE}] must be a table")
    cfg = parse_table(table, path.resolve())
    return cfg


def resolve_config(paths: Sequence[str], config: str | None = None, isolated: bool = False) -> Config:
    """The configuration for a run on ``paths``: ``--isolated`` ignores every file,
    ``--config`` names one, otherwise the nearest one upward from the first path is used."""
    if isolated:
        return Config(root=os.getcwd())
    if config:
        return load_config(config, explicit=True)
    found = find_config(paths[0] if paths else None)
    return load_config(found) if found else Config(root=os.getcwd())


# --------------------------------------------------------------------------- selection

def _best(prefixes: Sequence[str], code: str) -> int:
    return max((len(p) for p in prefixes if p == "ALL" or code.startswith(p)), default=-1)


def select_layered(layers: Sequence[tuple[list[str] | None, list[str], list[str]]]):
    """Apply (select, extend_select, ignore) layers in order, ruff's way: the rules enabled, as
    a ``RuleSet`` (imported when first used).

    A layer with ``select`` starts over from it; a layer without one adjusts the rules enabled
    so far. Inside a layer the most specific (longest) matching prefix wins.
    """
    from tensorferry.rules import RuleSet, all_codes

    enabled: list[str] = []
    for code in all_codes():
        on = False
        for select, extend, ignore in [(["TNP"], [], []), *layers]:
            ign = _best(ignore, code)
            if select is not None:
                sel = _best(list(select) + list(extend), code)
                on = sel >= 0 and sel > ign
            else:
                sel = _best(extend, code)
                if sel >= 0 or ign >= 0:
                    on = sel > ign
        if on:
            enabled.append(code)
    return RuleSet(enabled)


# --------------------------------------------------------------------------- files

def _candidates(filename: str, root: str | Path) -> list[str]:
    from pathlib import Path  # only where there are patterns to match

    absolute = Path(os.path.abspath(filename))
    out = [absolute.as_posix(), absolute.name]
    try:
        out.append(absolute.relative_to(root).as_posix())
    except ValueError:
        pass
    return out


def _matches(filename: str, pattern: str, root: Path) -> bool:
    pattern = pattern.replace(os.sep, "/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    names = _candidates(filename, root)
    if any(fnmatch.fnmatchcase(n, pattern) for n in names):
        return True
    # A pattern also covers everything below a matching folder (`build`, `src/generated`).
    for name in names[2:] + names[:1]:
        parts = name.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if fnmatch.fnmatchcase(prefix, pattern) or ("/" not in pattern and fnmatch.fnmatchcase(parts[i - 1], pattern)):
                return True
    return False


def is_excluded(filename: str, patterns: Sequence[str], root: Path) -> bool:
    return filename != "-" and any(_matches(filename, p, root) for p in patterns)


def filter_per_file_ignores(diags: Sequence[Diagnostic], per_file: dict[str, list[str]],
                            root: Path) -> list[Diagnostic]:
    """Drop findings whose file matches a glob of ``per-file-ignores`` listing their code
    (prefixes match). Parse and internal errors are never dropped."""
    if not per_file:
        return list(diags)
    cache: dict[str, list[str]] = {}
    kept = []
    for d in diags:
        if d.code in (PARSE_ERROR, INTERNAL_ERROR):
            kept.append(d)
            continue
        if d.filename not in cache:
            cache[d.filename] = [
                c for glob, codes in per_file.items() if _matches(d.filename, glob, root) for c in codes
            ]
        if any(c == "ALL" or d.code.startswith(c) for c in cache[d.filename]):
            continue
        kept.append(d)
    return kept
