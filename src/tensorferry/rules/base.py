"""The rule API: one class per rule, documentation as structured fields.

A rule module lives in ``tensorferry/rules/`` and its fixtures in ``fixtures/<CODE>/``; the
registry (``tensorferry.rules.all_rules``) finds both by itself. Rule modules must not import
libcst, torch or numpy at module level: the registry is loaded by the flake8 plugin in every
worker, before any file is known to need parsing. A rule runs on two kinds of tree, the light
nodes ``tensorferry.probe`` builds (``tensorferry.nodes``) and libcst's parse, so its functions
test node types against the classes of the tree at hand: ``from tensorferry.family import cst``
(``tests/test_probe.py`` checks that every class a rule names exists among the light ones).
"""

from __future__ import annotations

from tensorferry._record import Frozen, _set

# typing.TYPE_CHECKING, without importing typing (a few milliseconds of every warm run)
TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import ClassVar

    from tensorferry.analysis import Analysis
    from tensorferry.context import Context
    from tensorferry.syntax import Summary

FixAvailability = str  # "always", "sometimes" or "never"


class RuleDocs(Frozen):
    """ruff-style rule documentation. Markdown in every field."""

    __slots__ = ("what", "why", "example", "use_instead", "fix_safety", "references", "known_limits")

    def __init__(self, what: str, why: str, example: str, use_instead: str, fix_safety: str,
                 references: tuple[str, ...] = (), known_limits: str = "") -> None:
        _set(self, "what", what)
        _set(self, "why", why)
        _set(self, "example", example)
        _set(self, "use_instead", use_instead)
        _set(self, "fix_safety", fix_safety)
        _set(self, "references", references)
        _set(self, "known_limits", known_limits)


class Rule:
    """Base class. Subclasses set the class attributes and implement :meth:`check`."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    docs: ClassVar[RuleDocs]
    fix_availability: ClassVar[FixAvailability] = "never"
    # Default applicability of the fix when one is offered ("safe" or "unsafe").
    fix_applicability: ClassVar[str | None] = None
    # A necessary condition on the source text for any finding of the rule (the prefilter skips
    # the rule, and the parse when no rule is left, where it does not hold). A tuple of
    # alternatives, any of which may hold; an alternative is a token or a tuple of clauses that
    # must all hold; a clause is a token or a tuple of tokens, any of which may appear. A token
    # is a substring, except ".name": an attribute access `.name` with any whitespace, line
    # continuation or comment after the dot. It must cover every alias the analysis resolves
    # (see rules/_triggers.py); tests/test_prefilter.py checks it against prefilter=False.
    triggers: ClassVar[tuple] = ()

    # True when the gate walks the tree again (``Summary.units``): it is then asked only when no
    # rule with a cheap gate is left, since the file is parsed for those anyway.
    gate_walks: ClassVar[bool] = False

    @classmethod
    def gate(cls, syntax: "Summary") -> bool:
        """A necessary condition on the file's syntax (``tensorferry.syntax.Summary``, read from
        CPython's ``ast``) for any finding of the rule, asked when the triggers hold; where it
        does not hold the rule is skipped, and the libcst parse when no rule is left. It must
        cover everything the analysis resolves (see ``tensorferry/syntax.py``);
        tests/test_prefilter.py checks it against ``prefilter=False``."""
        return True

    def check(self, analysis: "Analysis", ctx: "Context") -> None:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def url(cls) -> str:
        from tensorferry.diagnostics import DOCS_BASE_URL

        return f"{DOCS_BASE_URL}{cls.code}-{cls.name}/"

    @classmethod
    def markdown(cls) -> str:
        """The rule page body (used by docs, ``explain`` and SARIF)."""
        d = cls.docs
        parts = [
            f"# {cls.code} {cls.name}",
            "",
            f"*Fix is {cls.fix_availability} available"
            + (f" ({cls.fix_applicability})" if cls.fix_applicability else "")
            + ".*",
            "",
            "## What it does",
            d.what.strip(),
            "",
            "## Why is this bad?",
            d.why.strip(),
            "",
            "## Example",
            "```python",
            d.example.strip("\n"),
            "```",
            "",
            "## Use instead",
            "```python",
            d.use_instead.strip("\n"),
            "```",
            "",
            "## Fix safety",
            d.fix_safety.strip(),
        ]
        if d.known_limits:
            parts += ["", "## Known limits", d.known_limits.strip()]
        if d.references:
            parts += ["", "## References"]
            parts += [f"- {r}" for r in d.references]
        return "\n".join(parts) + "\n"
