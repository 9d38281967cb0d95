"""Prove each rule against its fixtures: lint, run the snippets, check the witnesses and the fixes.

For every rule and every case in ``fixtures/<CODE>/`` on every device the case lists:

1. lint the snippet with that rule alone: a positive is reported on exactly its marked rows, a
   negative not at all; the fix offered has the applicability the header declares;
2. run the snippet in a fresh process (forked from a zygote) and evaluate its witnesses: a
   positive shows every one, a negative none and raises nothing;
3. for a fixable positive, fix it with that rule alone (unsafe fixes included), compare the
   result with the golden ``.fixed.py`` file and run it: ``removes-hazard`` means no witness
   holds any more and it raises nothing, ``equivalent`` means it runs and every ``observe``
   expression has the value the original run had.

Nothing here imports torch or numpy: the snippets run in child processes.
"""

from __future__ import annotations

import difflib
import re
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tensorferry.fixtures import Case, FixtureError, Witness, fixtures_root, parse_case
from tensorferry.verify.executor import (
    MissingDependency,
    RunnerError,
    Zygote,
    default_jobs,
    run_requests,
)

KNOWN_DEVICES = ("cpu", "cuda")
CONFIRMED, FAILED, SKIPPED = "confirmed", "failed", "skipped"
STATUSES = (CONFIRMED, FAILED, SKIPPED)
NO_EVIDENCE = "no runtime evidence"
_CODE_RE = re.compile(r"TNP\d{3}")

__all__ = [
    "CONFIRMED", "FAILED", "SKIPPED", "KNOWN_DEVICES", "CaseResult", "Report",
    "MissingDependency", "RunnerError", "preload_for", "verify", "values_equal", "witness_text",
]

# A snippet that contains the text on the left imports the modules on the right on its first call
# (`torch.use_deterministic_algorithms` imports `torch._inductor.config`: dynamo, sympy, seconds of
# CPU). Such snippets run in a zygote that imported them once, instead of paying it on every run.
PRELOADS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("use_deterministic_algorithms", ("torch._inductor.config",)),
)


def preload_for(source: str) -> tuple[str, ...]:
    modules: list[str] = []
    for trigger, names in PRELOADS:
        if trigger in source:
            modules += [n for n in names if n not in modules]
    return tuple(modules)


@dataclass
class CaseResult:
    rule: str
    case: str  # the fixture file, relative to the fixtures root ("TNP101/positive_x.py")
    device: str
    status: str
    detail: str = ""

    def to_json(self) -> dict:
        return {"rule": self.rule, "case": self.case, "device": self.device,
                "status": self.status, "detail": self.detail}


@dataclass
class Report:
    versions: dict[str, str | None]
    devices: list[str]  # requested devices that exist: where snippets ran
    unavailable: dict[str, str] = field(default_factory=dict)  # requested device -> why absent
    cases: list[CaseResult] = field(default_factory=list)
    rules: dict[str, str] = field(default_factory=dict)  # code -> name
    cuda_device: str | None = None
    elapsed: float = 0.0
    requested: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(c.status == FAILED for c in self.cases)

    def totals(self) -> Counter:
        return Counter(c.status for c in self.cases)

    def columns(self) -> list[str]:
        """Devices shown in the table: those verified or requested, then any other a case names."""
        seen = list(self.devices)
        for d in self.requested:
            if d not in seen:
                seen.append(d)
        for c in self.cases:
            if c.device not in seen:
                seen.append(c.device)
        return sorted(seen, key=lambda d: (KNOWN_DEVICES.index(d) if d in KNOWN_DEVICES else 99, d))

    def table(self) -> dict[str, dict[str, Counter]]:
        """rule -> device -> Counter(status)."""
        out: dict[str, dict[str, Counter]] = {}
        for code in sorted(set(self.rules) | {c.rule for c in self.cases}):
            out[code] = {d: Counter() for d in self.columns()}
        for c in self.cases:
            out[c.rule][c.device][c.status] += 1
        return out

    def to_json(self) -> dict:
        return {
            **self.versions,
            "devices": list(self.devices),
            "unavailable": dict(self.unavailable),
            "cuda_device": self.cuda_device,
            "summary": {s: self.totals().get(s, 0) for s in STATUSES},
            "cases": [c.to_json() for c in self.cases],
        }


def witness_text(w: Witness) -> str:
    if w.kind == "hazard":
        return f"hazard {w.target}"
    return f"{w.kind} {w.target}" + (f": {w.fragment}" if w.fragment else "")


# -- observed values -------------------------------------------------------------------------

def values_equal(a, b) -> bool:
    """Compare two observed values (the JSON forms made by the runner); NaN equals NaN."""
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(values_equal(a[k], b[k]) for k in a))
    if isinstance(a, list) or isinstance(b, list):
        return (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
                and all(values_equal(x, y) for x, y in zip(a, b)))
    return a == b


def render_value(v, limit: int = 160) -> str:
    def r(x) -> str:
        if isinstance(x, dict):
            if "tensor" in x:
                return f"tensor({x['tensor']}, shape={x['shape']}, {r(x['values'])})"
            if "ndarray" in x:
                return f"ndarray({x['ndarray']}, shape={x['shape']}, {r(x['values'])})"
            if "scalar" in x:
                return f"numpy.{x['scalar']}({r(x['value'])})"
            for key in ("dtype", "npdtype", "device"):
                if key in x:
                    return str(x[key])
            if "tuple" in x:
                return "(" + ", ".join(r(i) for i in x["tuple"]) + ("," if len(x["tuple"]) == 1 else "") + ")"
            if "repr" in x:
                return x["repr"]
            if "error" in x:
                return f"<{x['error']}>"
            return repr(x)
        if isinstance(x, list):
            return "[" + ", ".join(r(i) for i in x) + "]"
        return repr(x)

    text = r(v)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- static checks (no torch) ---------------------------------------------------------------

@dataclass
class _Prepared:
    rule: type
    case: Case
    rel: str
    problems: list[str] = field(default_factory=list)
    proven: list[str] = field(default_factory=list)
    fix_proven: list[str] = field(default_factory=list)
    fixed: str | None = None  # the fixed source to run
    fix_checks: tuple[str, ...] = ()


def _rows(rows: Sequence[int]) -> str:
    if not rows:
        return "no row"
    return ("row " if len(rows) == 1 else "rows ") + ", ".join(str(r) for r in rows)


def _short(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _diff(expected: str, got: str, expected_name: str, limit: int = 30) -> str:
    lines = list(difflib.unified_diff(expected.splitlines(), got.splitlines(),
                                      expected_name, "fix output", lineterm="", n=1))
    if len(lines) > limit:
        lines = lines[:limit] + [f"... ({len(lines) - limit} more diff lines)"]
    return "\n".join(lines)


def static_checks(rule: type, case: Case, rel: str) -> _Prepared:
    from tensorferry.diagnostics import INTERNAL_ERROR, PARSE_ERROR
    from tensorferry.engine import fix_source, lint_source

    prep = _Prepared(rule, case, rel)
    code = rule.code
    problems, proven = prep.problems, prep.proven
    fix_checks = case.fix_checks
    if case.positive:
        if not case.witnesses:
            problems.append("positive case has no witness (a `# witness:` header line)")
        if case.fix != "none" and not fix_checks:
            fix_checks = ("removes-hazard",)
        if "equivalent" in fix_checks and not case.observe:
            problems.append("`fix-check: equivalent` needs `# observe:` expressions to compare")
    prep.fix_checks = fix_checks if case.positive and case.fix != "none" else ()

    lint = lint_source(case.source, str(case.path), rules=[rule])
    broken = [d for d in lint.diagnostics if d.code in (PARSE_ERROR, INTERNAL_ERROR)]
    for d in broken:
        problems.append(f"lint failed: {d.code} {_short(d.message)}")
    mine = [d for d in lint.diagnostics if d.code == code]
    got = sorted({d.row for d in mine})
    expected = case.expected_rows(code)
    if case.positive:
        if not expected:
            problems.append(f"positive case has no `# error: {code}` marker")
        elif got != expected:
            missing = [r for r in expected if r not in got]
            extra = [r for r in got if r not in expected]
            parts = [f"{code} reported on {_rows(got)}, marked on {_rows(expected)}"]
            if missing:
                parts.append(f"not reported on marked {_rows(missing)}")
            if extra:
                parts.append(f"reported on unmarked {_rows(extra)}")
            problems.append("lint: " + "; ".join(parts))
        elif not broken:
            proven.append(f"reported on {_rows(got)}")
        offered = {d.fix.applicability if d.fix is not None else "none" for d in mine}
        if mine and offered != {case.fix}:
            problems.append(f"the header says `fix: {case.fix}` but the rule offers "
                            + ", ".join("no fix" if a == "none" else f"{'an' if a == 'unsafe' else 'a'} {a} fix"
                                        for a in sorted(offered)))
    else:
        if expected:
            problems.append(f"negative case carries `# error: {code}` markers on {_rows(expected)}")
        if got:
            msgs = "; ".join(f"row {d.row}: {_short(d.message, 160)}" for d in mine[:3])
            problems.append(f"lint: {code} reported on {_rows(got)} of a negative case ({msgs})")
        elif not broken:
            proven.append("no finding")

    if case.positive:
        golden = case.fixed_source
        golden_name = case.fixed_path.name if case.fixed_path else "golden file"
        if case.fix == "none":
            if golden is not None:
                problems.append(f"{golden_name} exists but the header says `fix: none`")
        else:
            result = fix_source(case.source, str(case.path), rules=[rule], unsafe=True)
            if result.error is not None:
                problems.append(f"fix failed: {_short(result.error.message)}")
            elif result.source == case.source:
                problems.append("the fix changed nothing")
            else:
                prep.fixed = result.source
                if golden is None:
                    problems.append(f"golden file {golden_name} is missing")
                elif result.source != golden:
                    problems.append(f"the fixed source differs from {golden_name}:\n"
                                    + _diff(golden, result.source, golden_name))
                else:
                    prep.fix_proven.append(f"the fix ({case.fix}) gives {golden_name}")
    return prep


# -- loading ---------------------------------------------------------------------------------

def _load(code: str, root: Path) -> tuple[list[Case], list[tuple[str, str]]]:
    """The cases of one rule, and (file, problem) for files that cannot be read as fixtures."""
    folder = root / code
    cases: list[Case] = []
    errors: list[tuple[str, str]] = []
    if not folder.is_dir():
        return cases, errors
    for path in sorted(folder.glob("*.py")):
        rel = path.relative_to(root).as_posix()
        if path.name.endswith(".fixed.py"):
            base = path.name[: -len(".fixed.py")] + ".py"
            if not (folder / base).exists() or not base.startswith("positive_"):
                errors.append((rel, "golden file without a positive case of that name"))
            continue
        if not path.name.startswith(("positive_", "negative_")):
            errors.append((rel, "fixture names start with positive_ or negative_"))
            continue
        try:
            cases.append(parse_case(code, path))
        except (FixtureError, SyntaxError, ValueError, OSError) as exc:
            errors.append((rel, f"fixture error: {exc}"))
    return cases, errors


def _requested(devices: Sequence[str] | None) -> list[str]:
    if devices is None:
        return list(KNOWN_DEVICES)
    out: list[str] = []
    for d in devices:
        d = d.strip().lower()
        if not d:
            continue
        if d not in KNOWN_DEVICES:
            raise ValueError(f"unknown device {d!r} (known: {', '.join(KNOWN_DEVICES)})")
        if d not in out:
            out.append(d)
    if not out:
        raise ValueError("no device given")
    return out


# -- judging runs ----------------------------------------------------------------------------

def _run_problem(what: str, reply: dict | None) -> str | None:
    if reply is None:
        return f"{what}: no result"
    if reply.get("status") == "ok":
        return None
    detail = reply.get("detail", reply.get("status", "failed"))
    if reply.get("status") == "timeout":
        detail = f"timeout: {detail}"
    out = reply.get("output", "").strip()
    if out:
        detail += f"; output tail: {_short(out[-400:], 400)}"
    return f"{what}: {detail}"


def _exc_text(exc: dict) -> str:
    return f"{exc['type']}: {_short(exc['message'], 240)}"


def _judge(prep: _Prepared, orig: dict | None, fixed: dict | None) -> tuple[list[str], list[str]]:
    case = prep.case
    problems = list(prep.problems)
    proven = list(prep.proven)
    texts = [witness_text(w) for w in case.witnesses]
    bad = _run_problem("original run", orig)
    result = orig.get("result") if orig and not bad else None
    if bad:
        problems.append(bad)
    elif case.positive:
        failing = [(t, w) for t, w in zip(texts, result["witnesses"]) if w["holds"] is not True]
        for t, w in failing:
            problems.append(f"witness `{t}` does not hold: {w['seen']}")
        if not failing and texts:
            proven.append("witnesses hold: " + "; ".join(f"`{t}`" for t in texts))
    else:
        ok = True
        if result["exception"]:
            ok = False
            problems.append(f"the negative case raised {_exc_text(result['exception'])}")
        for t, w in zip(texts, result["witnesses"]):
            if w["holds"] is True:
                ok = False
                problems.append(f"witness `{t}` holds on a negative case: {w['seen']}")
            elif w["holds"] is None:
                ok = False
                problems.append(f"witness `{t}` {w['seen']}")
        if ok:
            proven.append("runs cleanly" + (", no witness holds" if texts else ""))
    proven += prep.fix_proven
    if prep.fixed is None or not prep.fix_checks:
        return problems, proven
    bad_fixed = _run_problem("fixed run", fixed)
    if bad_fixed:
        problems.append(bad_fixed)
        return problems, proven
    fres = fixed["result"]
    if fres["exception"]:
        problems.append(f"the fixed snippet raised {_exc_text(fres['exception'])}")
    if "removes-hazard" in prep.fix_checks:
        still = []
        for t, w in zip(texts, fres["witnesses"]):
            if w["holds"] is True:
                still.append(t)
                problems.append(f"witness `{t}` still holds after the fix: {w['seen']}")
            elif w["holds"] is None:
                still.append(t)
                problems.append(f"witness `{t}` after the fix: {w['seen']}")
        if not still and not fres["exception"]:
            proven.append("the fix removes the hazard")
    if "equivalent" in prep.fix_checks and case.observe:
        mismatched = False
        if result is not None and result["exception"]:
            mismatched = True
            problems.append("`fix-check: equivalent` but the original run raised "
                            f"{_exc_text(result['exception'])}")
        originals = result["observe"] if result is not None else [None] * len(case.observe)
        for expr, before, after in zip(case.observe, originals, fres["observe"]):
            if before is None:
                mismatched = True
                continue
            if "error" in before or "error" in after:
                mismatched = True
                which = "original" if "error" in before else "fixed"
                problems.append(f"observe `{expr}` fails in the {which} run: "
                                f"{(before if which == 'original' else after)['error']}")
            elif not values_equal(before["value"], after["value"]):
                mismatched = True
                problems.append(f"observe `{expr}` differs: original {render_value(before['value'])}, "
                                f"fixed {render_value(after['value'])}")
        if not mismatched and not fres["exception"]:
            n = len(case.observe)
            proven.append(f"the fix is equivalent on {n} observation{'s' if n != 1 else ''}")
    return problems, proven


# -- the run ---------------------------------------------------------------------------------

def _run_request(rid: str, case: Case, source: str, filename: str, device: str,
                 timeout: float, observe: bool) -> dict:
    return {
        "op": "run",
        "id": rid,
        "source": source,
        "filename": filename,
        "device": device,
        "witnesses": [[w.kind, w.target, w.fragment] for w in case.witnesses],
        "observe": list(case.observe) if observe else [],
        "timeout": timeout,
    }


def verify(rules: Sequence[type] | None = None, fixtures: Path | str | None = None,
           devices: Sequence[str] | None = None, jobs: int | None = None, timeout: float = 120.0,
           python: str | None = None,
           progress: Callable[[int, int], None] | None = None) -> Report:
    """Verify ``rules`` (default: the registry) against the fixtures under ``fixtures``.

    ``devices``: the devices to verify on (default: every one that exists). Raises
    :class:`MissingDependency` when torch or numpy cannot be imported, :class:`RunnerError`
    when the runner process cannot start, ``ValueError`` for an unknown device.
    """
    import platform

    import tensorferry
    from tensorferry.rules import all_rules

    started = time.monotonic()
    root = Path(fixtures) if fixtures is not None else fixtures_root()
    if not root.is_dir():
        raise ValueError(f"fixtures folder not found: {root}")
    whole_registry = rules is None
    rules = list(all_rules()) if rules is None else list(rules)
    requested = _requested(devices)
    jobs = jobs or default_jobs()

    loaded: list[tuple[type, list[Case], list[tuple[str, str]]]] = []
    for rule in rules:
        cases, errors = _load(rule.code, root)
        loaded.append((rule, cases, errors))

    zygotes: dict[tuple[str, tuple[str, ...]], Zygote] = {}

    def zygote(device: str, preload: tuple[str, ...] = ()) -> Zygote:
        key = (device, preload)
        if key not in zygotes:
            name = device + "".join(f"+{m}" for m in preload)
            zygotes[key] = Zygote(name, python, preload=preload)
        return zygotes[key]

    try:
        # The runners import torch while the parent lints and fixes.
        base = zygote("cpu")
        if "cpu" in requested:
            for _, cases, _ in loaded:
                for case in cases:
                    if "cpu" in case.devices:
                        zygote("cpu", preload_for(case.source))
        prepared: list[_Prepared] = []
        for rule, cases, _ in loaded:
            for case in cases:
                rel = case.path.relative_to(root).as_posix()
                try:
                    prepared.append(static_checks(rule, case, rel))
                except Exception as exc:  # a crash in lint or fix is that case's failure, not the run's
                    prep = _Prepared(rule, case, rel)
                    prep.problems.append(f"internal error while linting or fixing: {type(exc).__name__}: {exc}")
                    prepared.append(prep)

        info = base.handshake()
        available = {"cpu"}
        unavailable: dict[str, str] = {}
        cuda_name = cuda_version = None
        if "cuda" in requested:
            if info.get("cuda_build") is None:
                unavailable["cuda"] = f"torch {info['torch']} is a build without CUDA"
            else:
                probe = run_requests([(base, {"op": "probe", "id": "probe", "timeout": 120})], 1)
                reply = probe["probe"]
                if reply.get("status") == "ok" and reply["result"]["available"]:
                    available.add("cuda")
                    cuda_name = reply["result"]["name"]
                    cuda_version = reply["result"]["version"]
                elif reply.get("status") == "ok":
                    unavailable["cuda"] = "torch.cuda.is_available() is False"
                else:
                    unavailable["cuda"] = f"the CUDA probe failed: {reply.get('detail')}"
        if "cpu" not in requested:
            available.discard("cpu")
        verified = [d for d in requested if d in available]

        # One original run per case and device, one fixed run where a fix is checked.
        requests: list[tuple[Zygote, dict]] = []
        plan: list[tuple[_Prepared, str, str | None, str | None, str | None]] = []
        counter = 0
        for prep in prepared:
            case = prep.case
            for device in case.devices:
                if device not in requested:
                    plan.append((prep, device, None, None, f"device {device} not requested"))
                    continue
                if device not in available:
                    why = unavailable.get(device, "not available")
                    plan.append((prep, device, None, None, f"{device} is not available on this machine: {why}"))
                    continue
                observe = "equivalent" in prep.fix_checks
                counter += 1
                orig_id = f"r{counter}"
                requests.append((zygote(device, preload_for(case.source)),
                                 _run_request(orig_id, case, case.source, str(case.path), device, timeout, observe)))
                fixed_id = None
                if prep.fixed is not None and prep.fix_checks:
                    counter += 1
                    fixed_id = f"r{counter}"
                    fixed_name = str(case.fixed_path or case.path)
                    requests.append((zygote(device, preload_for(prep.fixed)),
                                     _run_request(fixed_id, case, prep.fixed, fixed_name, device, timeout, observe)))
                plan.append((prep, device, orig_id, fixed_id, None))
        for zyg in list(zygotes.values()):
            zyg.handshake()

        done = [0]

        def on_reply(_reply: dict) -> None:
            done[0] += 1
            if progress is not None:
                progress(done[0], len(requests))

        replies = run_requests(requests, jobs, on_reply, watchdog=timeout + 60.0)
    finally:
        for zyg in zygotes.values():
            zyg.close()

    results: list[CaseResult] = []
    for prep, device, orig_id, fixed_id, skip in plan:
        code = prep.rule.code
        if skip is not None:
            if prep.problems:
                results.append(CaseResult(code, prep.rel, device, FAILED,
                                          "; ".join(prep.problems) + f" (not run: {skip})"))
            else:
                checked = "; ".join(prep.proven + prep.fix_proven)
                results.append(CaseResult(code, prep.rel, device, SKIPPED,
                                          skip + (f"; static checks pass: {checked}" if checked else "")))
            continue
        problems, proven = _judge(prep, replies.get(orig_id), replies.get(fixed_id) if fixed_id else None)
        if problems:
            results.append(CaseResult(code, prep.rel, device, FAILED, "; ".join(problems)))
        else:
            results.append(CaseResult(code, prep.rel, device, CONFIRMED, "; ".join(proven)))

    rule_devices = verified or requested
    for rule, cases, errors in loaded:
        for rel, problem in errors:
            for device in rule_devices:
                results.append(CaseResult(rule.code, rel, device, FAILED, problem))
        missing = []
        if not any(c.positive and c.witnesses for c in cases):
            missing.append("no positive case with a witness")
        if not any(not c.positive for c in cases):
            missing.append("no negative case")
        if missing:
            where = root / rule.code
            why = ", ".join(missing) + (f" in {rule.code}/" if where.is_dir() else f"; {rule.code}/ does not exist")
            for device in rule_devices:
                results.append(CaseResult(rule.code, f"{rule.code}/", device, FAILED, f"{NO_EVIDENCE}: {why}"))
    if whole_registry:
        codes = {r.code for r in rules}
        for folder in sorted(root.iterdir()):
            if folder.is_dir() and _CODE_RE.fullmatch(folder.name) and folder.name not in codes:
                for device in rule_devices:
                    results.append(CaseResult(folder.name, f"{folder.name}/", device, FAILED,
                                              "fixtures for a rule that is not in the registry"))
    results.sort(key=lambda r: (r.rule, r.case, KNOWN_DEVICES.index(r.device)
                                if r.device in KNOWN_DEVICES else 99, r.device))

    versions = {
        "tensorferry": tensorferry.__version__,
        "torch": info.get("torch"),
        "numpy": info.get("numpy"),
        "python": info.get("python") or platform.python_version(),
        "cuda": cuda_version if "cuda" in verified else None,
    }
    report = Report(versions=versions, devices=verified, unavailable=unavailable, cases=results,
                    rules={r.code: r.name for r in rules}, cuda_device=cuda_name if "cuda" in verified else None,
                    elapsed=time.monotonic() - started, requested=requested)
    for folder_rule in {c.rule for c in results} - set(report.rules):
        report.rules[folder_rule] = ""
    return report
