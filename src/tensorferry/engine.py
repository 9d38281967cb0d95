"""One pass per file: prefilter -> parse once -> shared analysis -> rules -> diagnostics."""

from __future__ import annotations

import gc
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from contextlib import contextmanager

from tensorferry._record import Record
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
    if _searched(token):
        name = token[1:]
        search = re.compile(r"\." + _GAP + re.escape(name) + r"(?![\w])").search
        # the name must be in the text at all: a substring search is many times faster
        return lambda text: name in text and search(text) is not None
    return lambda text: token in text


_TOKENS: dict[str, Callable[[str], bool]] = {}  # token -> its test, shared by every rule


def _searched(token: str) -> bool:
    """Is the token's test a regular-expression search (an attribute), not a substring test?
    A test's answer does not depend on the order, so the cheap tests go first: an attribute is
    searched for only where the substrings of its alternative hold."""
    return len(token) > 1 and token[0] == "." and token[1:].isidentifier()


def compile_triggers(triggers) -> Callable[..., bool]:
    """A rule's ``triggers`` as one test on the source text: ``test(text, seen=None)``.

    ``triggers`` is a tuple of alternatives (any may hold); an alternative is a token or a tuple of
    clauses (all must hold); a clause is a token or a tuple of tokens (any may hold). An empty
    ``triggers`` never holds. ``seen`` (a dict) remembers each token's answer on ``text`` across
    the rules tested on it, so that a token absent from a file is searched for once.
    """
    def clause(c):
        toks = (c,) if isinstance(c, str) else tuple(c)
        for t in toks:
            if t not in _TOKENS:
                _TOKENS[t] = _token_test(t)
        return tuple(sorted(toks, key=_searched))  # substrings before attribute searches

    alts = []
    for alt in triggers:
        alts.append((clause(alt),) if isinstance(alt, str)
                    else tuple(sorted((clause(c) for c in alt), key=lambda cl: max(map(_searched, cl)))))
    tokens = _TOKENS

    def test(text: str, seen: dict | None = None) -> bool:
        if seen is None:
            seen = {}

        def has(tok: str) -> bool:
            found = seen.get(tok)
            if found is None:
                found = seen[tok] = tokens[tok](text)
            return found

        return any(all(any(has(t) for t in cl) for cl in alt) for alt in alts)

    return test


_COMPILED: dict[type, Callable[..., bool]] = {}


def rule_test(rule: type[Rule]) -> Callable[..., bool]:
    test = _COMPILED.get(rule)
    if test is None:
        test = _COMPILED[rule] = compile_triggers(rule.triggers)
    return test


def triggered(source: str, rules: Sequence[type[Rule]]) -> tuple[type[Rule], ...]:
    """The rules whose triggers hold in ``source``: the only ones that can report there."""
    seen: dict[str, bool] = {}
    return tuple(r for r in rules if rule_test(r)(source, seen))


def prefilter(source: str, rules: Sequence[type[Rule]]) -> bool:
    """Cheap text test: can any of these rules fire in this source?"""
    seen: dict[str, bool] = {}
    return any(rule_test(r)(source, seen) for r in rules)


def parse_error(filename: str, message: str, row: int = 1, column: int = 1) -> Diagnostic:
    return file_diagnostic(PARSE_ERROR, "parse-error", message, filename, row, column)


# Nesting limits. libcst's native parser recurses on the C stack, and a deep enough input
# (a few thousand nested brackets or unary operators) overflows it and kills the process; the
# analysis and the rules recurse in Python; and libcst's time grows faster than linearly with
# nesting (minutes for 30000 brackets). So a source is first given to CPython's own parser (about
# a tenth of libcst's cost), which refuses code nested deeper than the interpreter can run (more
# than 200 brackets, about 3000 nested operators) with an error instead of a crash; and parsing,
# analysis and rules run in a thread with a large stack and a raised recursion limit
# (`call_deep`), deep enough for anything CPython accepts.
# The analysis recurses ~40 frames per level of a nested expression; CPython accepts ~3000 levels.
DEEP_STACK_BYTES = 1024 * 1024 * 1024  # reserved address space; only the pages used are memory
DEEP_RECURSION_LIMIT = 200_000
_DEPTH_ERRORS = ("too many nested parentheses", "too many levels of indentation")

_deep_lock = threading.Lock()
_deep_state = threading.local()


class _DeepWorker:
    """One long-lived thread with a DEEP_STACK_BYTES stack that runs the calls handed to it.

    Starting a thread with a 1 GiB stack for every call cost 8-23% of the lint time; one worker
    per process costs a queue hand-off per call. A forked child has no threads, so each process
    starts its own worker (``pid`` tells).
    """

    def __init__(self) -> None:
        import queue

        self.pid = os.getpid()
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()
        old_size = threading.stack_size(DEEP_STACK_BYTES)  # ValueError/RuntimeError: unsupported
        try:
            self.thread = threading.Thread(target=self._serve, name="tensorferry-deep", daemon=True)
            self.thread.start()  # RuntimeError: no thread with such a stack (address-space limit)
        finally:
            threading.stack_size(old_size)

    def _serve(self) -> None:
        _deep_state.active = True
        while True:
            fn, args, kwargs, box, done = self.inbox.get()
            try:
                box["value"] = fn(*args, **kwargs)
            except BaseException as exc:  # re-raised in the caller's thread
                box["error"] = exc
            finally:
                # Held until the next call, the last call's arguments and result (a file's
                # trees) would outlive the file, and the garbage collector would walk them.
                fn = args = kwargs = None
                done.set()
                box = done = None

    def call(self, fn, args, kwargs):
        box: dict = {}
        done = threading.Event()
        self.inbox.put((fn, args, kwargs, box, done))
        done.wait()
        if "error" in box:
            raise box.pop("error")
        return box["value"]


_deep_worker: _DeepWorker | None = None
_deep_unavailable = False


def _worker() -> _DeepWorker | None:
    global _deep_worker, _deep_unavailable
    if _deep_worker is not None and _deep_worker.pid == os.getpid():
        return _deep_worker
    if _deep_unavailable:
        return None
    try:
        _deep_worker = _DeepWorker()
    except (ValueError, RuntimeError):  # platform without settable stacks, or no address space
        _deep_unavailable = True
        _deep_worker = None
    return _deep_worker


def call_deep(fn, *args, **kwargs):
    """Call ``fn`` in a thread with a DEEP_STACK_BYTES stack and DEEP_RECURSION_LIMIT.

    Re-entrant (a call from inside runs directly) and serialised (the recursion limit is
    interpreter-wide). Exceptions propagate to the caller. Where no such thread can be made,
    ``fn`` runs directly at the ordinary limit.
    """
    if getattr(_deep_state, "active", False):
        return fn(*args, **kwargs)
    with _deep_lock:
        worker = _worker()
        if worker is None:
            return fn(*args, **kwargs)
        old_limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(old_limit, DEEP_RECURSION_LIMIT))
        try:
            return worker.call(fn, args, kwargs)
        finally:
            sys.setrecursionlimit(old_limit)


def _cpython_parse(source: str):
    """CPython's parse of ``source``: (tree, None), or (None, (message, row, column)).

    Runs at the caller's recursion limit, so its depth limits are the interpreter's own.
    """
    import ast
    import warnings

    try:
        with warnings.catch_warnings():  # SyntaxWarnings are the interpreter's to show, not ours
            warnings.simplefilter("ignore")
            return compile(source, "<tensorferry>", "exec", ast.PyCF_ONLY_AST, dont_inherit=True), None
    except SyntaxError as exc:  # IndentationError, TabError included
        col = exc.offset or 1
        return None, (exc.msg or "syntax error", exc.lineno or 1, max(col, 1))
    except (RecursionError, MemoryError):
        return None, ("nesting too deep (more than the Python parser accepts)", 1, 1)
    except (ValueError, OverflowError) as exc:  # e.g. NUL bytes in the source
        return None, (str(exc) or "invalid source", 1, 1)


def _cpython_error(source: str) -> tuple[str, int, int] | None:
    """CPython's verdict on ``source``: None when it parses, else (message, row, column)."""
    return _cpython_parse(source)[1]


def _too_deep(filename: str, verdict) -> Diagnostic | None:
    """The TNP001 for a source nested deeper than CPython accepts (never given to libcst)."""
    if verdict is None or verdict is _UNKNOWN or not (
            verdict[0].startswith("nesting too deep") or verdict[0] in _DEPTH_ERRORS):
        return None
    msg, row, col = verdict
    return parse_error(filename, f"cannot parse: {msg}", row, col)


def parse(source: str, filename: str, *, gate: bool = True):
    """Parse with libcst; returns (module, None) or (None, parse-error diagnostic).

    ``gate=False`` skips CPython's depth check, for a caller that has already parsed the source
    with CPython (the flake8 plugin gets flake8's tree).
    """
    verdict = _UNKNOWN
    if gate:
        verdict = _cpython_error(source)
        deep = _too_deep(filename, verdict)
        if deep is not None:
            return None, deep
    return call_deep(_parse_libcst, source, filename, verdict)


def gated(tree, rules: Sequence[type[Rule]]) -> tuple[type[Rule], ...]:
    """The rules whose syntax gate (``Rule.gate``) holds on CPython's ``tree`` of the file."""
    from tensorferry.syntax import summarize

    return select(summarize(tree), rules)


def select(summary, rules: Sequence[type[Rule]]) -> tuple[type[Rule], ...]:
    """The rules whose syntax gate holds on ``summary`` (a ``tensorferry.syntax.Summary``)."""
    cheap = {r for r in rules if not r.gate_walks and r.gate(summary)}
    if cheap:  # the file is parsed anyway: keep the rules whose gate walks again unasked
        return tuple(r for r in rules if r in cheap or r.gate_walks)
    return tuple(r for r in rules if r.gate_walks and r.gate(summary))


_UNKNOWN = object()  # CPython's verdict has not been asked for yet
ANYWHERE = frozenset({0})  # where a rule may report when the probe cannot tell (no row 0)


def _parse_libcst(source: str, filename: str, verdict=_UNKNOWN, *, validate: bool = True):
    import libcst as cst

    try:
        if validate:
            return cst.parse_module(source), None
        return _parse_unvalidated(source), None
    except cst.ParserSyntaxError as exc:
        fallback = (exc.message.strip() or "syntax error", exc.raw_line, exc.raw_column + 1)
    except RecursionError:
        fallback = ("nesting too deep", 1, 1)
    except Exception as exc:  # libcst raises plain exceptions on some inputs
        fallback = (f"{type(exc).__name__}: {exc}", 1, 1)
    # CPython's parser names the problem and its position better than libcst's ("Syntax
    # Error @ 1:1" for a tokenizer error). If CPython accepts the code (newer syntax than
    # this interpreter's is parsed by libcst), libcst's own message is the one to report.
    if verdict is _UNKNOWN:
        verdict = _cpython_error(source)
    msg, row, col = verdict or fallback
    return None, parse_error(filename, f"cannot parse: {msg}", row, col)


def _no_validation(self) -> None:
    pass


def _parse_unvalidated(source: str):
    """``libcst.parse_module`` without the per-node validation.

    libcst's parser builds every node through its dataclass constructor, whose ``__post_init__``
    re-checks what the grammar already guarantees (about 30% of the parse time, a cost libcst's
    own source notes). For a source CPython has accepted that check adds nothing, so it is
    switched off for the parse; nodes built afterwards (fixes) are validated as usual. Parsing
    runs on the one deep-stack worker (``call_deep``), so no other node is built meanwhile.
    """
    import libcst as cst
    from libcst._nodes.base import CSTNode

    validating = CSTNode.__dict__.get("__post_init__")
    if validating is None:  # a libcst without the hook: parse as usual
        return cst.parse_module(source)
    CSTNode.__post_init__ = _no_validation
    try:
        return cst.parse_module(source)
    finally:
        CSTNode.__post_init__ = validating


@contextmanager
def paused_gc():
    """The cyclic garbage collector paused while one file is parsed and analysed.

    libcst builds hundreds of thousands of long-lived nodes per file, and every few thousand
    allocations the collector walks them (and, in a flake8 worker, everything flake8 holds)
    looking for cycles; a syntax tree has none. Paused for the file, the collector runs again
    with the next allocations after it, so cycles made meanwhile are still collected.
    """
    if not gc.isenabled():  # paused by the caller (or by another thread's lint)
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# The light path: what linting a file past the prefilters needs when no rule reports there.
_LIGHT_MODULES = ("queue", "tensorferry.syntax", "tensorferry.reduce", "tensorferry.nodes",
                  "tensorferry.family", "tensorferry.analysis", "tensorferry.sharing",
                  "tensorferry.probe")
# Where a rule reports: libcst, its native parser, the context, positions and edits.
_LIBCST_MODULES = ("libcst", "libcst.native", "tensorferry.context", "tensorferry.positions",
                   "tensorferry.edits")


def preload(libcst: bool = True) -> None:
    """Import what linting a file past the prefilters needs (the analysis and the tree builder
    of ``tensorferry.probe``), and with ``libcst`` what a file where a rule reports needs too
    (libcst, about 0.17 s of CPU). The runner calls it before it forks its workers, when a file
    may need them, so that the workers share one import instead of each paying for it."""
    import importlib

    for name in _LIGHT_MODULES + (_LIBCST_MODULES if libcst else ()):
        try:
            importlib.import_module(name)
        except ImportError:  # a libcst without the native module parses without it
            pass


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


class LintResult(Record):
    __slots__ = ("diagnostics", "parsed", "error")

    def __init__(self, diagnostics: list[Diagnostic] | None = None, parsed: bool = False,
                 error: bool = False) -> None:
        self.diagnostics = [] if diagnostics is None else diagnostics
        self.parsed = parsed
        self.error = error  # the file could not be checked (parse error or internal error)


class _TooDeep(Exception):
    """The analysis or a rule ran out of recursion on this file."""


def lint_source(source: str, filename: str = "<stdin>",
                rules: Sequence[type[Rule]] | None = None, *, noqa: bool = True,
                show_traceback: bool = False, prefilter: bool = True,
                gate: bool = True, tree=None, reduce: bool = True, probe: bool = True) -> LintResult:
    """Lint one source text.

    With ``prefilter`` (the default) only the rules whose text triggers hold are kept, then only
    those whose syntax gate holds on CPython's tree of the file; a file where none is left is not
    parsed by libcst. ``prefilter=False`` runs every rule on every file (the reference the
    prefilters are tested against: both give the same findings). ``gate`` parses with CPython
    first, which also refuses code nested too deep for libcst (see ``parse``); ``tree`` is a
    CPython tree of ``source`` the caller already has (flake8's), used instead of parsing.
    With ``reduce`` (and the prefilters) the functions where none of the remaining rules can
    report are left out of libcst's parse (see ``tensorferry.reduce``).
    """
    rules = all_rules() if rules is None else tuple(rules)
    result = LintResult()
    if prefilter:
        rules = triggered(source, rules)
    if not rules:
        return result
    with paused_gc():
        diags = _lint(source, filename, rules, result, gate, tree, prefilter, reduce, probe)
    if diags is None:  # nothing left to check, or result holds the error
        return result
    if noqa:
        diags = noqa_filter(source, diags)
    result.diagnostics.extend(diags)
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


def _lint(source: str, filename: str, rules: Sequence[type[Rule]], result: LintResult,
          gate: bool, tree, prefilter: bool, reduce: bool, probe: bool
          ) -> list[Diagnostic] | None:
    """``lint_source`` past the text triggers: the findings, or None when there are none to
    add (nothing to check, or ``result`` holds the error)."""
    verdict = _UNKNOWN
    if tree is None and gate:
        tree, verdict = _cpython_parse(source)
        deep = _too_deep(filename, verdict)
        if deep is not None:
            result.diagnostics.append(deep)
            result.error = True
            return None
    planned = None
    rows = None  # where the probe saw rules report
    if prefilter and tree is not None:
        from tensorferry.reduce import Parts

        parts = Parts(tree)
        rules = select(parts.whole, rules)
        if not rules:
            return None
        if reduce:
            planned = parts.plan(source, rules)
        if probe:
            rows = call_deep(_locate, tree, source, rules, planned)
            if rows is None:
                return None
            if reduce and rows is not ANYWHERE:
                planned = parts.narrow(source, planned, rows)
    # a tree means CPython accepted the source: libcst's node checks can be skipped
    module, err, class_facts, parsed = call_deep(_parse_planned, source, filename, verdict,
                                                 tree is None, planned)
    if err is not None:
        result.diagnostics.append(err)
        result.error = True
        return None
    result.parsed = True
    # positions from the statements where the probe saw reports first (the plan keeps lines)
    hint = (parsed, tree, rows) if rows is not None and rows is not ANYWHERE else None
    try:
        return call_deep(_run_rules, module, filename, rules, result, class_facts, hint)
    except _TooDeep:
        result.diagnostics = [parse_error(
            filename, "cannot analyse: nesting too deep (recursion limit reached)")]
        result.error = True
        return None


def _locate(tree, source: str, rules: Sequence[type[Rule]], planned):
    """Where can a rule report? Decided on light nodes built from CPython's ``tree``
    (``tensorferry.probe.locate``): None (nowhere: libcst need not parse the file), the rows of
    the reports, or ``ANYWHERE``."""
    from tensorferry.probe import locate

    try:
        return locate(tree, source, rules, None if planned is None else planned.dropped)
    except RecursionError:
        return ANYWHERE


def _parse_planned(source: str, filename: str, verdict, validate: bool, planned):
    """libcst's parse of ``planned.source`` (the functions that cannot matter left out) with the
    class facts of the whole file; of ``source`` itself when there is no plan or the plan's
    source does not parse as expected. Returns (module, error, class facts, the text parsed)."""
    if planned is not None:
        from tensorferry.reduce import facts_for

        module, err = _parse_libcst(planned.source, filename, verdict, validate=validate)
        if err is None:
            facts = facts_for(module, planned.class_facts)
            if facts is not None:
                return module, None, facts, planned.source
    module, err = _parse_libcst(source, filename, verdict, validate=validate)
    return module, err, None, source


def _run_rules(module, filename: str, rules: Sequence[type[Rule]], result: LintResult,
               class_facts: dict | None = None, hint: tuple | None = None
               ) -> list[Diagnostic] | None:
    """Analysis, then each rule; a rule that raises costs only its own findings (TNP002)."""
    from tensorferry.analysis import analyze
    from tensorferry.context import Context

    ctx = Context(module, filename, hint)
    try:
        analysis = analyze(module, class_facts)
    except RecursionError:
        raise _TooDeep() from None
    except Exception as exc:  # an analysis bug must not cost the run
        result.diagnostics.append(_internal(filename, "analysis", exc))
        result.error = True
        return None
    for rule in rules:
        ctx._rule = rule
        before = len(ctx.diagnostics)
        try:
            rule().check(analysis, ctx)
        except RecursionError:
            raise _TooDeep() from None
        except Exception as exc:
            del ctx.diagnostics[before:]
            result.diagnostics.append(_internal(filename, rule.code, exc))
            result.error = True
    return ctx.diagnostics


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


class FixResult(Record):
    __slots__ = ("source", "fixed", "remaining", "error")

    def __init__(self, source: str, fixed: list[Diagnostic], remaining: list[Diagnostic],
                 error: Diagnostic | None = None) -> None:
        self.source = source
        self.fixed = fixed
        self.remaining = remaining
        self.error = error


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
