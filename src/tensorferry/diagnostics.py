"""Diagnostics, fixes and edits: the one data shape every face of tensorferry speaks.

Rows are 1-based; columns are 1-based in everything a user sees (text, JSON, SARIF), the
way ruff reports them. The flake8 plugin converts to flake8's 0-based plugin column.
The JSON shape matches ruff's ``--output-format json`` so tools that read ruff's JSON
read ours.
"""

from __future__ import annotations

from functools import total_ordering

from tensorferry._record import Frozen, _set

Applicability = str  # "safe" or "unsafe"

# Codes that are not rules: problems with the file or with tensorferry itself.
PARSE_ERROR = "TNP001"
INTERNAL_ERROR = "TNP002"
# The documentation site (site_url in mkdocs.yml); rule pages live under rules/.
DOCS_URL = "https://tensorferry.readthedocs.io/en/latest/"
DOCS_BASE_URL = f"{DOCS_URL}rules/"


@total_ordering
class Location(Frozen):
    __slots__ = ("row", "column")

    def __init__(self, row: int, column: int) -> None:
        _set(self, "row", row)
        _set(self, "column", column)

    def __lt__(self, other: object) -> bool:  # by row, then column; total_ordering adds the rest
        if other.__class__ is not Location:
            return NotImplemented
        return (self.row, self.column) < (other.row, other.column)  # type: ignore[attr-defined]

    def to_json(self) -> dict:
        return {"row": self.row, "column": self.column}


class Edit(Frozen):
    """Replace the text between ``location`` and ``end_location`` (end exclusive) with ``content``."""

    __slots__ = ("content", "location", "end_location")

    def __init__(self, content: str, location: Location, end_location: Location) -> None:
        _set(self, "content", content)
        _set(self, "location", location)
        _set(self, "end_location", end_location)

    def to_json(self) -> dict:
        return {
            "content": self.content,
            "location": self.location.to_json(),
            "end_location": self.end_location.to_json(),
        }


class Fix(Frozen):
    __slots__ = ("applicability", "message", "edits")

    def __init__(self, applicability: Applicability, message: str, edits: tuple[Edit, ...]) -> None:
        _set(self, "applicability", applicability)
        _set(self, "message", message)
        _set(self, "edits", edits)

    def to_json(self) -> dict:
        return {
            "applicability": self.applicability,
            "message": self.message,
            "edits": [e.to_json() for e in self.edits],
        }


class Diagnostic(Frozen):
    # ``detail``: extra lines (e.g. a traceback for internal errors); not part of the JSON shape,
    # nor of equality
    __slots__ = ("code", "name", "message", "filename", "location", "end_location", "fix", "url",
                 "detail")
    _compare = __slots__[:-1]

    def __init__(self, code: str, name: str, message: str, filename: str, location: Location,
                 end_location: Location, fix: Fix | None = None, url: str | None = None,
                 detail: str | None = None) -> None:
        _set(self, "code", code)
        _set(self, "name", name)
        _set(self, "message", message)
        _set(self, "filename", filename)
        _set(self, "location", location)
        _set(self, "end_location", end_location)
        _set(self, "fix", fix)
        _set(self, "url", url)
        _set(self, "detail", detail)

    @property
    def row(self) -> int:
        return self.location.row

    @property
    def column(self) -> int:
        return self.location.column

    def sort_key(self) -> tuple:
        return (self.filename, self.location.row, self.location.column, self.code, self.message)

    def to_json(self) -> dict:
        return {
            "cell": None,
            "code": self.code,
            "name": self.name,
            "message": self.message,
            "severity": "error",
            "url": self.url,
            "filename": self.filename,
            "location": self.location.to_json(),
            "end_location": self.end_location.to_json(),
            "noqa_row": self.location.row,
            "fix": self.fix.to_json() if self.fix else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> "Diagnostic":
        fix = None
        if data.get("fix"):
            f = data["fix"]
            fix = Fix(
                applicability=f["applicability"],
                message=f["message"],
                edits=tuple(
                    Edit(
                        content=e["content"],
                        location=Location(**e["location"]),
                        end_location=Location(**e["end_location"]),
                    )
                    for e in f["edits"]
                ),
            )
        return cls(
            code=data["code"],
            name=data["name"],
            message=data["message"],
            filename=data["filename"],
            location=Location(**data["location"]),
            end_location=Location(**data["end_location"]),
            fix=fix,
            url=data.get("url"),
        )


def file_diagnostic(code: str, name: str, message: str, filename: str, row: int = 1, column: int = 1,
                    detail: str | None = None) -> Diagnostic:
    """A diagnostic about a whole file (parse errors, internal errors)."""
    loc = Location(max(row, 1), max(column, 1))
    return Diagnostic(code, name, message, filename, loc, loc, None, None, detail)
