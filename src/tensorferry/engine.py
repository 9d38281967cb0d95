"""One pass per file: prefilter -> parse once -> shared analysis -> rules -> diagnostics."""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tensorferry.diagnostics import (
    INTERNAL_ERROR,
    PARSE_ERROR,
    Diagnostic,
    file_diagnostic,
)
from tensorferry.rules import Rule, all_rules

# flake8's own noqa syntax: `# noqa`, `# noqa: TNP101,TNP303`, `# NOQA:TNP1` (prefixes match).
NOQA_RE = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)
FILE_NOQA_RE = re.compile(
    r"^#\s*tensorferry:\s*noqa(?::\s?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?\s*$",
    re.I | re.M,
)
_CODE_SPLIT = re.compile(r"[,\s]+")


# Between a `.` and the attribute name Python allows whitespace, backslash continuations and,
# inside brackets, comments: `t . numpy()`, `(t.\n  # c\n numpy())`.
# (A comment ends at its newline, so each gap matches one way: no backtracking blow-up.)
_GAP = r"(?:[ \t\f\r\n\\]|#[^\n]*\n)*"


def _token_test(token: str) -> Callable[[str], bool]:
    """``".name"``: an attribute access ``.name`` (any gap after the dot, a whole name);
    anything else: a plain substring."""
    if len(token) > 1 and token[0] == "." and token[1:].isidentifier():
        search = re.compile(r"\." + _GAP + re.escape(token[1:]) + r"(?![\w])").search
        return lambda text: search(text) is not None
    return lambda text: token in text


def compile_triggers(triggers) -> Callable[[str], bool]:
    """A rule's ``triggers`` as one test on the source text.

    ``triggers`` is a tuple of alternatives (any may hold); an alternative is a token or a tuple of
    clauses (all must hold); a clause is a token or a tuple of tokens (any may hold). An empty
    ``triggers`` never holds.
    """
    tests: dict[str, Callable[[str], bool]] = {}

    def clause(c):
        if isinstance(c, str):
            return (tests.setdefault(c, _token_test(c)),)
        return tuple(tests.setdefault(t, _token_test(t)) for t in c)

    alts = []
    for alt in triggers:
        alts.append((clause(alt),) if isinstance(alt, str) else tuple(clause(c) for c in alt))

    def test(text: str) -> bool:
        return any(all(any(t(text) for t in cl) for cl in alt) for alt in alts)

    return test


_COMPILED: dict[type, Callable[[str], bool]] = {}


def rule_test(rule: type[Rule]) -> Callable[[str], bool]:
    test = _COMPILED.get(rule)
    if test is None:
        test = _COMPILED[rule] = compile_triggers(rule.triggers)
    return test


def triggered(source: str, rules: Sequence[type[Rule]]) -> tuple[type[Rule], ...]:
    """The rules whose triggers hold in ``source``: the only ones that can report there."""
    return tuple(r for r in rules if rule_test(r)(source))


def prefilter(source: str, rules: Sequence[type[Rule]]) -> bool:
    """Cheap text test: can any of these rules fire in this source?"""
    return any(rule_test(r)(source) for r in rules)


def parse_error(filename: str, message: str, row: int = 1, column: int = 1) -> Diagnostic:
    return file_diagnostic(PARSE_ERROR, "parse-error", message, filename, row, column)


def parse(source: str, filename: str):
    """Parse with libcst; returns (module, None) or (None, parse-error diagnostic)."""
    import libcst as cst

    try:
        return cst.parse_module(source), None
    except cst.ParserSyntaxError as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else "syntax error"
        return None, parse_error(filename, f"cannot parse: {msg}", exc.raw_line, exc.raw_column + 1)
    except RecursionError:
        return None, parse_error(filename, "cannot parse: nesting too deep")
    except Exception as exc:  # libcst raises plain exceptions on some inputs
        return None, parse_error(filename, f"cannot parse: {type(exc).__name__}: {exc}")


def noqa_filter(source: str, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Drop findings suppressed by `# noqa` on their row or by a file-level `# tensorferry: noqa`."""
    if not diagnostics:
        return diagnostics
    file_codes: list[str] | None = None
    for m in FILE_NOQA_RE.finditer(source):
        codes = m.group("codes")
        if codes is None:
            return [d for d in diagnostics if d.code in (PARSE_ERROR, INTERNAL_ERROR)]
        file_codes = (file_codes or []) + [c.upper() for c in _CODE_SPLIT.split(codes) if c]
    lines = source.splitlines()
    kept = []
    for d in diagnostics:
        if file_codes and any(d.code.startswith(c) for c in file_codes):
            continue
        line = lines[d.row - 1] if 0 < d.row <= len(lines) else ""
        m = NOQA_RE.search(line) if "noqa" in line.lower() else None
        if m:
            codes = m.group("codes")
            if codes is None:
                continue
            if any(d.code.startswith(c.upper()) for c in _CODE_SPLIT.split(codes) if c):
                continue
        kept.append(d)
    return kept


@dataclass
class LintResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    parsed: bool = False
    error: bool = False  # the file could not be checked (parse error or internal error)


def lint_source(source: str, filename: str = "<stdin>",
                rules: Sequence[type[Rule]] | None = None, *, noqa: bool = True,
                show_traceback: bool = False, prefilter: bool = True) -> LintResult:
    """Lint one source text. With ``prefilter`` (the default) only the rules whose text triggers
    hold run, and a file where none holds is not parsed; ``prefilter=False`` runs every rule on
    every file (the reference the prefilter is tested against: both give the same findings)."""
    rules = all_rules() if rules is None else tuple(rules)
    result = LintResult()
    if prefilter:
        rules = triggered(source, rules)
    if not rules:
        return result
    module, err = parse(source, filename)
    if err is not None:
        result.diagnostics.append(err)
        result.error = True
        return result
    result.parsed = True
    from tensorferry.analysis import analyze
    from tensorferry.context import Context

    ctx = Context(module, filename)
    try:
        analysis = analyze(module)
    except RecursionError:
        result.diagnostics.append(parse_error(filename, "cannot analyse: nesting too deep"))
        result.error = True
        return result
    except Exception as exc:  # an analysis bug must not cost the run
        result.diagnostics.append(_internal(filename, "analysis", exc))
        result.error = True
        return result
    for rule in rules:
        ctx._rule = rule
        before = len(ctx.diagnostics)
        try:
            rule().check(analysis, ctx)
        except Exception as exc:
            del ctx.diagnostics[before:]
            result.diagnostics.append(_internal(filename, rule.code, exc))
            result.error = True
    diags = ctx.diagnostics
    if noqa:
        diags = noqa_filter(source, diags)
    result.diagnostics.extend(diags)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


def _internal(filename: str, where: str, exc: BaseException) -> Diagnostic:
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return file_diagnostic(
        INTERNAL_ERROR,
        "internal-error",
        f"internal error in {where}: {type(exc).__name__}: {exc} "
        "(please report this; --show-traceback prints the trace)",
        filename,
        detail=tb,
    )


@dataclass
class FixResult:
    source: str
    fixed: list[Diagnostic]
    remaining: list[Diagnostic]
    error: Diagnostic | None = None


def fix_source(source: str, filename: str = "<stdin>", rules: Sequence[type[Rule]] | None = None,
               *, unsafe: bool = False, max_rounds: int = 10) -> FixResult:
    """Apply fixes to a fixpoint, re-parsing after each round. Never returns code that does not parse."""
    from tensorferry.edits import apply_fixes

    fixed: list[Diagnostic] = []
    current = source
    for _ in range(max_rounds):
        result = lint_source(current, filename, rules)
        new, applied = apply_fixes(current, result.diagnostics, unsafe=unsafe)
        if not applied:
            return FixResult(current, fixed, result.diagnostics)
        module, err = parse(new, filename)
        if err is not None:
            diag = file_diagnostic(
                INTERNAL_ERROR, "internal-error",
                "internal error: a fix produced code that does not parse; the file is left "
                "as it was before that round (please report this)", filename)
            return FixResult(source, [], result.diagnostics, diag)
        fixed.extend(applied)
        current = new
    result = lint_source(current, filename, rules)
    return FixResult(current, fixed, result.diagnostics)
