"""Read rule fixtures (see ``fixtures/README.md``). Pure text handling: no libcst, torch, numpy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

MARKER_RE = re.compile(r"#\s*error:\s*(?P<codes>TNP\d{3}(?:\s*,\s*TNP\d{3})*)")
HEADER_RE = re.compile(r"^#\s*(?P<key>[a-z][a-z-]*):\s?(?P<value>.*)$")
KNOWN_KEYS = {"devices", "witness", "fix", "fix-check", "observe", "note"}


class FixtureError(ValueError):
    pass


@dataclass(frozen=True)
class Witness:
    kind: str  # "raises" | "hazard" | "warns"
    target: str  # exception/warning type name, or a python expression
    fragment: str = ""

    @classmethod
    def parse(cls, text: str, where: str) -> "Witness":
        kind, _, rest = text.strip().partition(" ")
        rest = rest.strip()
        if kind in ("raises", "warns"):
            target, sep, fragment = rest.partition(":")
            if not target.strip():
                raise FixtureError(f"{where}: witness '{text}' needs an exception or warning type")
            return cls(kind, target.strip(), fragment.strip() if sep else "")
        if kind == "hazard":
            if not rest:
                raise FixtureError(f"{where}: witness 'hazard' needs an expression")
            compile(rest, where, "eval")
            return cls(kind, rest)
        raise FixtureError(f"{where}: unknown witness kind '{kind}' (raises, warns, hazard)")


@dataclass
class Case:
    rule: str
    path: Path
    positive: bool
    source: str
    devices: tuple[str, ...] = ("cpu",)
    witnesses: tuple[Witness, ...] = ()
    fix: str = "none"
    fix_checks: tuple[str, ...] = ()
    observe: tuple[str, ...] = ()
    note: str = ""
    expected: dict[int, tuple[str, ...]] = field(default_factory=dict)  # row -> codes
    fixed_path: Path | None = None

    @property
    def id(self) -> str:
        return f"{self.rule}/{self.path.name}"

    @property
    def fixed_source(self) -> str | None:
        if self.fixed_path is None or not self.fixed_path.exists():
            return None
        return self.fixed_path.read_text(encoding="utf-8")

    def expected_rows(self, code: str) -> list[int]:
        return sorted(row for row, codes in self.expected.items() if code in codes)


def parse_case(rule: str, path: Path) -> Case:
    source = path.read_text(encoding="utf-8")
    positive = path.name.startswith("positive_")
    case = Case(rule=rule, path=path, positive=positive, source=source)
    witnesses: list[Witness] = []
    observe: list[str] = []
    for line in source.splitlines():
        if not line.startswith("#"):
            break
        m = HEADER_RE.match(line)
        if not m:
            continue
        key, value = m.group("key"), m.group("value").strip()
        where = f"{path}"
        if key not in KNOWN_KEYS:
            raise FixtureError(f"{where}: unknown header key '{key}'")
        if key == "devices":
            case.devices = tuple(d.strip() for d in value.split(",") if d.strip())
            bad = set(case.devices) - {"cpu", "cuda"}
            if bad:
                raise FixtureError(f"{where}: unknown devices {sorted(bad)}")
        elif key == "witness":
            witnesses.append(Witness.parse(value, where))
        elif key == "fix":
            if value not in ("safe", "unsafe", "none"):
                raise FixtureError(f"{where}: fix must be safe, unsafe or none")
            case.fix = value
        elif key == "fix-check":
            case.fix_checks = tuple(v.strip() for v in value.split(",") if v.strip())
            bad = set(case.fix_checks) - {"removes-hazard", "equivalent"}
            if bad:
                raise FixtureError(f"{where}: unknown fix-check {sorted(bad)}")
        elif key == "observe":
            for expr in value.split(";"):
                if expr.strip():
                    compile(expr.strip(), where, "eval")
                    observe.append(expr.strip())
        elif key == "note":
            case.note = (case.note + " " + value).strip()
    case.witnesses = tuple(witnesses)
    case.observe = tuple(observe)
    for row, line in enumerate(source.splitlines(), start=1):
        m = MARKER_RE.search(line)
        if m:
            case.expected[row] = tuple(c.strip() for c in m.group("codes").split(","))
    fixed = path.with_name(path.stem + ".fixed.py")
    case.fixed_path = fixed if positive else None
    return case


def fixtures_root() -> Path:
    """The fixtures folder: next to ``src/`` in a checkout, or packaged as ``tensorferry/_fixtures``."""
    here = Path(__file__).resolve().parent
    packaged = here / "_fixtures"
    if packaged.is_dir():
        return packaged
    return here.parent.parent / "fixtures"


def load_cases(rule: str, root: Path | None = None) -> list[Case]:
    folder = (root or fixtures_root()) / rule
    if not folder.is_dir():
        return []
    cases = []
    for path in sorted(folder.glob("*.py")):
        if path.name.endswith(".fixed.py"):
            continue
        if not (path.name.startswith("positive_") or path.name.startswith("negative_")):
            raise FixtureError(f"{path}: fixture names start with positive_ or negative_")
        cases.append(parse_case(rule, path))
    return cases


def load_all(root: Path | None = None) -> dict[str, list[Case]]:
    root = root or fixtures_root()
    return {
        folder.name: load_cases(folder.name, root)
        for folder in sorted(root.iterdir())
        if folder.is_dir() and re.fullmatch(r"TNP\d{3}", folder.name)
    }
