"""Diagnostics, fixes and edits: the one data shape every face of tensorferry speaks.

Rows are 1-based; columns are 1-based in everything a user sees (text, JSON, SARIF), the
way ruff reports them. The flake8 plugin converts to flake8's 0-based plugin column.
The JSON shape matches ruff's ``--output-format json`` so tools that read ruff's JSON
read ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Applicability = Literal["safe", "unsafe"]

# Codes that are not rules: problems with the file or with tensorferry itself.
PARSE_ERROR = "TNP001"
INTERNAL_ERROR = "TNP002"
# The documentation site (site_url in mkdocs.yml); rule pages live under rules/.
DOCS_URL = "https://tensorferry.readthedocs.io/en/latest/"
DOCS_BASE_URL = f"{DOCS_URL}rules/"


@dataclass(frozen=True, order=True)
class Location:
    row: int
    column: int

    def to_json(self) -> dict:
        return {"row": self.row, "column": self.column}


@dataclass(frozen=True)
class Edit:
    """Replace the text between ``location`` and ``end_location`` (end exclusive) with ``content``."""

    content: str
    location: Location
    end_location: Location

    def to_json(self) -> dict:
        return {
            "content": self.content,
            "location": self.location.to_json(),
            "end_location": self.end_location.to_json(),
        }


@dataclass(frozen=True)
class Fix:
    applicability: Applicability
    message: str
    edits: tuple[Edit, ...]

    def to_json(self) -> dict:
        return {
            "applicability": self.applicability,
            "message": self.message,
            "edits": [e.to_json() for e in self.edits],
        }


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    message: str
    filename: str
    location: Location
    end_location: Location
    fix: Fix | None = None
    url: str | None = None
    # Extra lines (e.g. a traceback for internal errors); not part of the JSON shape.
    detail: str | None = field(default=None, compare=False)

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
