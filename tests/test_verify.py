"""The verification harness: witnesses, fixes, devices, the zygote, the CLI and the real fixtures.

The harness is tested against toy rules (defined here) and deliberately right and wrong fixtures
under ``tests/verify_cases/``; the last tests run it over the real ``fixtures/`` folder.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tensorferry.rules import Rule, RuleDocs, all_rules
from tensorferry.verify import (
    CONFIRMED,
    FAILED,
    INSTALL_HINT,
    SKIPPED,
    CaseResult,
    MissingDependency,
    Report,
    verify,
)
from tensorferry.verify._child import exception_matches, warning_matches  # noqa: E402
from tensorferry.verify.executor import Zygote, run_requests  # noqa: E402
from tensorferry.verify.harness import values_equal  # noqa: E402
from tensorferry.verify.report import render  # noqa: E402

TESTS = Path(__file__).resolve().parent
CASES = TESTS / "verify_cases"
REPO = TESTS.parent
SRC = REPO / "src"


class ToyFrombuffer(Rule):
    """Flags ``torch.from_numpy(<expression using np.frombuffer>)``; unsafe fix: ``<expression>.copy()``.

    It walks the syntax tree itself and ignores the shared analysis.
    """

    code = "TNP990"
    name = "toy-frombuffer"
    summary = "from_numpy of a frombuffer array (test rule)"
    docs = RuleDocs(what="test rule", why="test rule", example="", use_instead="", fix_safety="unsafe")
    fix_availability = "always"
    fix_applicability = "unsafe"
    triggers = ("frombuffer",)
    offers_fix = True

    def check(self, analysis, ctx) -> None:
        import libcst as cst
        import libcst.matchers as m

        pattern = m.Call(func=m.Attribute(value=m.Name("torch"), attr=m.Name("from_numpy")))
        for call in m.findall(ctx.module, pattern):
            if not call.args:
                continue
            arg = call.args[0].value
            text = ctx.code(arg)
            if "frombuffer" not in text:
                continue
            if isinstance(arg, cst.Call) and m.matches(arg.func, m.Attribute(attr=m.Name("copy"))):
                continue
            fix = None
            if self.offers_fix:
                fix = ctx.fix("unsafe", "copy the array", ctx.replace(arg, text + ".copy()"))
            ctx.report(call, "from_numpy of a read-only frombuffer array", fix=fix)


class ToyFrombufferNoFix(ToyFrombuffer):
    """The same finding without a fix."""

    code = "TNP991"
    name = "toy-frombuffer-no-fix"
    fix_availability = "never"
    fix_applicability = None
    offers_fix = False


class ToyFrombufferNoEvidence(ToyFrombufferNoFix):
    """The same finding; its fixtures have no positive witness."""

    code = "TNP992"
    name = "toy-frombuffer-no-evidence"


TOY_RULES = [ToyFrombuffer, ToyFrombufferNoFix, ToyFrombufferNoEvidence]


def _env(extra_path: Path | None = None) -> dict:
    env = dict(os.environ)
    parts = ([str(extra_path)] if extra_path else []) + [str(SRC)]
    if env.get("PYTHONPATH"):
        parts.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(parts)
    return env


def _by_case(report: Report) -> dict[tuple[str, str], CaseResult]:
    return {(c.case, c.device): c for c in report.cases}


@pytest.fixture(scope="module")
def good_report() -> Report:
    return verify(rules=[ToyFrombuffer], fixtures=CASES / "good", timeout=60)


@pytest.fixture(scope="module")
def wrong_report() -> Report:
    return verify(rules=TOY_RULES, fixtures=CASES / "wrong", timeout=4, jobs=2)


# -- witness matching and value comparison (no torch needed) -------------------------------------

def test_exception_matching_uses_the_class_its_bases_and_the_fragment():
    exc = ValueError("At least one stride in the given numpy array is negative")
    assert exception_matches("ValueError", "negative", exc)
    assert exception_matches("Exception", "", exc)
    assert exception_matches("builtins.ValueError", "At least one stride", exc)
    assert not exception_matches("TypeError", "negative", exc)
    assert not exception_matches("ValueError", "positive", exc)
    assert not exception_matches("ValueError", "", None)


def test_warning_matching_uses_the_category_its_bases_and_the_fragment():
    assert warning_matches("UserWarning", "not writable", UserWarning, "array is not writable")
    assert warning_matches("Warning", "", UserWarning, "x")
    assert not warning_matches("DeprecationWarning", "not writable", UserWarning, "not writable")
    assert not warning_matches("UserWarning", "writable!", UserWarning, "not writable")


def test_observed_values_compare_like_the_runtime_values():
    t32 = {"tensor": "torch.float32", "shape": [2], "values": [1.0, math.nan]}
    assert values_equal(t32, {"tensor": "torch.float32", "shape": [2], "values": [1.0, math.nan]})
    assert not values_equal(t32, {"tensor": "torch.float64", "shape": [2], "values": [1.0, math.nan]})
    assert not values_equal(t32, {"tensor": "torch.float32", "shape": [1, 2], "values": [[1.0, math.nan]]})
    assert values_equal(1, 1.0) and values_equal(True, 1)
    assert not values_equal({"tuple": [1, 2]}, [1, 2])
    assert not values_equal([1, 2], [1, 2, 3])
    assert values_equal({"dtype": "torch.float32"}, {"dtype": "torch.float32"})


# -- the good fixtures: everything proven, CUDA rows skipped -------------------------------------

def test_good_cases_are_confirmed(good_report: Report):
    cpu = [c for c in good_report.cases if c.device == "cpu"]
    assert {c.case for c in cpu} == {
        "TNP990/negative_copy.py", "TNP990/negative_device.py", "TNP990/positive_base_class.py",
        "TNP990/positive_negative_stride.py", "TNP990/positive_readonly.py",
    }
    for c in cpu:
        assert c.status == CONFIRMED, (c.case, c.detail)
    readonly = _by_case(good_report)["TNP990/positive_readonly.py", "cpu"].detail
    assert "reported on row 11" in readonly
    assert "witnesses hold" in readonly
    assert "gives positive_readonly.fixed.py" in readonly
    assert "the fix removes the hazard" in readonly
    assert "equivalent on 3 observations" in readonly
    assert not good_report.failed


def test_cuda_only_case_is_skipped_without_cuda(good_report: Report):
    rows = _by_case(good_report)
    cuda_only = rows["TNP990/positive_cuda.py", "cuda"]
    both = rows["TNP990/negative_device.py", "cuda"]
    assert ("TNP990/positive_cuda.py", "cpu") not in rows  # it never runs on the CPU
    if "cuda" in good_report.devices:
        assert cuda_only.status == both.status == CONFIRMED
        return
    for row in (cuda_only, both):
        assert row.status == SKIPPED, row.detail
        assert "cuda is not available" in row.detail
    assert "cuda" in good_report.unavailable
    assert good_report.versions["cuda"] is None
    assert "static checks pass" in cuda_only.detail and "gives positive_cuda.fixed.py" in cuda_only.detail


def test_unknown_device_is_a_usage_error():
    with pytest.raises(ValueError, match="unknown device"):
        verify(rules=[ToyFrombuffer], fixtures=CASES / "good", devices=["tpu"])


# -- the wrong fixtures: each fails for its own reason --------------------------------------------

WRONG = {
    "TNP990/": "no runtime evidence: no negative case",
    "TNP990/orphan.fixed.py": "golden file without a positive case",
    "TNP990/positive_bad_golden.py": "the fixed source differs from positive_bad_golden.fixed.py",
    "TNP990/positive_fix_keeps_hazard.py": "witness `hazard t.dtype == torch.uint8` still holds after the fix",
    "TNP990/positive_fix_safety_mismatch.py": "the header says `fix: safe` but the rule offers an unsafe fix",
    "TNP990/positive_fixed_raises.py": "the fixed snippet raised RuntimeError: the write did not reach buf",
    "TNP990/positive_missing_golden.py": "golden file positive_missing_golden.fixed.py is missing",
    "TNP990/positive_not_equivalent.py": "observe `int(buf[0])` differs: original 42, fixed 0",
    "TNP991/negative_flagged.py": "lint: TNP991 reported on row 7 of a negative case",
    "TNP991/negative_raises.py": "the negative case raised RuntimeError: boom",
    "TNP991/negative_witness_holds.py": "witness `hazard buf[0] == 42` holds on a negative case",
    "TNP991/positive_crash.py": "the run process was killed by signal SIGKILL",
    "TNP991/positive_hazard_error.py":
        "witness `hazard undefined_name > 0` does not hold: cannot evaluate: NameError",
    "TNP991/positive_no_warning.py":
        "witness `warns UserWarning: not writable` does not hold: no warning was emitted",
    "TNP991/positive_no_witness.py": "positive case has no witness",
    "TNP991/positive_one_of_two.py": "witness `raises RuntimeError: boom` does not hold",
    "TNP991/positive_raises_nothing.py":
        "witness `raises ValueError: negative` does not hold: no exception was raised",
    "TNP991/positive_timeout.py": "original run: timeout: timed out after 4 s",
    "TNP991/positive_unmarked.py": "not reported on marked row 4; reported on unmarked row 8",
    "TNP991/positive_wrong_exception_type.py":
        "witness `raises TypeError: At least one stride` does not hold: raised ValueError: At least",
    "TNP991/positive_wrong_hazard.py": "witness `hazard buf[0] == 99` does not hold: evaluated to False",
    "TNP991/positive_wrong_raises_fragment.py":
        "witness `raises ValueError: some other message` does not hold: raised ValueError",
    "TNP991/positive_wrong_warns_category.py":
        "witness `warns DeprecationWarning: not writable` does not hold: warnings emitted: UserWarning",
    "TNP991/positive_wrong_warns_fragment.py":
        "witness `warns UserWarning: something else entirely` does not hold: warnings emitted:",
    "TNP992/": "no runtime evidence: no positive case with a witness",
    "TNP992/positive_no_witness.py": "positive case has no witness",
}


@pytest.mark.parametrize("case", sorted(WRONG))
def test_wrong_case_fails_with_a_precise_detail(wrong_report: Report, case: str):
    row = _by_case(wrong_report)[case, "cpu"]
    assert row.status == FAILED
    assert WRONG[case] in row.detail


def test_wrong_report_has_nothing_else(wrong_report: Report):
    rows = _by_case(wrong_report)
    assert {case for case, _ in rows} == set(WRONG) | {"TNP992/negative_copy.py"}
    assert rows["TNP992/negative_copy.py", "cpu"].status == CONFIRMED
    # The witness that holds is not blamed; only the one that does not.
    assert "buf[0] == 42" not in rows["TNP991/positive_one_of_two.py", "cpu"].detail
    # A case fails for its own defect only: no spurious complaints about fixes or lint.
    for (case, _), row in rows.items():
        if case.startswith("TNP991/positive_") and case != "TNP991/positive_unmarked.py":
            assert "lint" not in row.detail and "fix" not in row.detail, row.detail
    assert wrong_report.failed


# -- the runner: fresh state per run, parallel runs ------------------------------------------------

WARN_ONCE = """
import numpy as np
import torch

torch.from_numpy(np.frombuffer(b"abcd", dtype=np.uint8))
torch.from_numpy(np.frombuffer(b"efgh", dtype=np.uint8))
"""


def _request(rid: str, source: str, **extra) -> dict:
    req = {"op": "run", "id": rid, "source": source, "filename": f"<{rid}>", "device": "cpu",
           "witnesses": [], "observe": [], "timeout": 60}
    req.update(extra)
    return req


@pytest.fixture(scope="module")
def zygote():
    # colorsys: a stdlib module nothing else imports, to see the preload reach the runs
    with Zygote("cpu", preload=["colorsys"]) as zyg:
        zyg.handshake()
        yield zyg


def test_zygote_runs_start_in_a_fresh_state(zygote: Zygote):
    """torch warns about non-writable arrays once per process: every forked run must see it."""
    witness = [["warns", "UserWarning", "The given NumPy array is not writable"]]
    replies = [run_requests([(zygote, _request(rid, WARN_ONCE, witnesses=witness))], 1)[rid]
               for rid in ("first", "second")]
    for reply in replies:
        assert reply["status"] == "ok", reply
        result = reply["result"]
        assert result["witnesses"][0]["holds"] is True
        # two conversions, one warning: the once-per-process state is real, and new in each run
        assert result["warning_count"] == 1
        assert result["pid"] != zygote.info["pid"]
        assert reply["elapsed"] < 2.0  # a fork, not a new interpreter importing torch
    assert replies[0]["result"]["pid"] != replies[1]["result"]["pid"]


def test_zygote_runs_jobs_in_parallel(zygote: Zygote):
    sleeper = "import time\ntime.sleep(0.6)\n"
    start = time.monotonic()
    replies = run_requests([(zygote, _request(f"s{i}", sleeper)) for i in range(3)], 3)
    wall = time.monotonic() - start
    assert all(r["status"] == "ok" for r in replies.values())
    assert wall < 1.6  # three 0.6 s runs side by side, not one after the other


def test_observed_values_travel_from_the_run(zygote: Zygote):
    source = "import numpy as np\nimport torch\nt = torch.ones(2, dtype=torch.float16)\na = np.zeros((1, 2))\n"
    observe = ["t", "a", "t.dtype", "a.dtype", "t.shape", "np.float32(1.5)", "(1, 'x')", "undefined"]
    reply = run_requests([(zygote, _request("obs", source, observe=observe))], 1)["obs"]
    got = [o.get("value", o.get("error")) for o in reply["result"]["observe"]]
    assert got[0] == {"tensor": "torch.float16", "shape": [2], "values": [1.0, 1.0]}
    assert got[1] == {"ndarray": "float64", "shape": [1, 2], "values": [[0.0, 0.0]]}
    assert got[2] == {"dtype": "torch.float16"} and got[3] == {"npdtype": "float64"}
    assert got[4] == {"tuple": [2]}
    assert got[5] == {"scalar": "float32", "value": 1.5}
    assert got[6] == {"tuple": [1, "x"]}
    assert got[7].startswith("NameError")


def test_snippet_runs_as_main_module(zygote: Zygote):
    source = textwrap.dedent("""
        import pickle
        import sys

        class Box:
            pass

        restored = pickle.loads(pickle.dumps(Box()))
        ok = __name__ == "__main__" and sys.modules["__main__"].Box is Box and type(restored) is Box
    """)
    reply = run_requests([(zygote, _request("main", source, witnesses=[["hazard", "ok", ""]]))], 1)["main"]
    assert reply["status"] == "ok", reply
    assert reply["result"]["exception"] is None, reply["result"]["exception"]
    assert reply["result"]["witnesses"][0]["holds"] is True


def test_snippets_that_import_inductor_config_get_a_preloaded_runner(zygote: Zygote):
    from tensorferry.verify.harness import preload_for

    assert preload_for("torch.use_deterministic_algorithms(True)\n") == ("torch._inductor.config",)
    assert preload_for("import torch\nt = torch.ones(3)\n") == ()
    assert zygote.info["preloaded"] == ["colorsys"]
    source = "import sys\nseen = 'colorsys' in sys.modules\n"
    reply = run_requests([(zygote, _request("pre", source, witnesses=[["hazard", "seen", ""]]))], 1)["pre"]
    assert reply["result"]["witnesses"][0]["holds"] is True


# -- missing torch --------------------------------------------------------------------------------

NO_TORCH = textwrap.dedent("""
    import sys

    class _NoTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _NoTorch())
""")


@pytest.fixture
def no_torch_path(tmp_path: Path) -> Path:
    (tmp_path / "sitecustomize.py").write_text(NO_TORCH)
    return tmp_path


def test_missing_torch_exits_2_with_the_install_hint(no_torch_path: Path):
    proc = subprocess.run([sys.executable, "-m", "tensorferry", "verify"], env=_env(no_torch_path),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "pip install 'tensorferry[verify]'" in proc.stderr
    assert "constraints.txt" in proc.stderr
    assert "torch" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_missing_torch_in_the_runner_is_reported(no_torch_path: Path):
    with pytest.raises(MissingDependency) as info:
        with Zygote("cpu", env=_env(no_torch_path)) as zyg:
            zyg.handshake()
    assert info.value.name == "torch"


def test_missing_torch_from_the_runner_exits_2(monkeypatch, capsys):
    import tensorferry.verify as verify_pkg
    from tensorferry.cli import main

    def fake(**kwargs):
        raise MissingDependency("torch", "ModuleNotFoundError: No module named 'torch'")

    monkeypatch.setattr(verify_pkg, "verify", fake)
    assert main(["verify"]) == 2
    err = capsys.readouterr().err
    assert INSTALL_HINT in err and "Traceback" not in err


def test_importing_the_harness_does_not_import_torch_or_numpy():
    code = ("import sys, tensorferry.cli, tensorferry.verify, tensorferry.verify.report; "
            "print(sorted({'torch', 'numpy'} & set(sys.modules)))")
    proc = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# -- command line and reports -----------------------------------------------------------------------

def test_cli_usage_errors_exit_2(capsys):
    from tensorferry.cli import main

    assert main(["verify", "--device", "tpu"]) == 2
    assert "unknown device" in capsys.readouterr().err
    assert main(["verify", "--rule", "TNP999"]) == 2
    assert "unknown rule" in capsys.readouterr().err
    assert main(["verify", "--jobs", "0"]) == 2


def test_rule_selection_takes_codes_prefixes_and_lists():
    from tensorferry.verify import _select

    codes = [r.code for r in all_rules()]
    if not codes:
        pytest.skip("no rule in the registry yet")
    assert _select([]) is None
    assert [r.code for r in _select([codes[0].lower()])] == [codes[0]]
    group = codes[0][:4]
    assert [r.code for r in _select([group])] == [c for c in codes if c.startswith(group)]
    assert [r.code for r in _select([f"{codes[-1]},{codes[0]}", codes[0]])] == sorted({codes[0], codes[-1]})
    with pytest.raises(ValueError, match="unknown rule"):
        _select(["TNP999"])


def test_cli_exit_code_follows_the_report(monkeypatch, capsys, tmp_path: Path):
    import tensorferry.verify as verify_pkg
    from tensorferry.cli import main

    versions = {"tensorferry": "0", "torch": "2", "numpy": "2", "python": "3", "cuda": None}
    ok = Report(versions, ["cpu"], cases=[CaseResult("TNP990", "TNP990/negative_a.py", "cpu", CONFIRMED)],
                rules={"TNP990": "toy"})
    bad = Report(versions, ["cpu"], cases=ok.cases + [
        CaseResult("TNP990", "TNP990/positive_b.py", "cpu", FAILED, "witness `x` does not hold")],
        rules={"TNP990": "toy"})
    for report, code in ((ok, 0), (bad, 1)):
        monkeypatch.setattr(verify_pkg, "verify", lambda report=report, **kw: report)
        out = tmp_path / "report.json"
        assert main(["verify", "--format", "json", "--output", str(out)]) == code
        printed = capsys.readouterr().out
        assert json.loads(printed) == json.loads(out.read_text())


def test_a_requested_device_that_is_missing_exits_2(monkeypatch, capsys):
    """`--device cuda` on a machine without CUDA must not pass as if everything were confirmed."""
    import tensorferry.verify as verify_pkg
    from tensorferry.cli import main

    versions = {"tensorferry": "0", "torch": "2", "numpy": "2", "python": "3", "cuda": None}
    report = Report(versions, ["cpu"], unavailable={"cuda": "torch.cuda.is_available() is False"},
                    cases=[CaseResult("TNP990", "TNP990/negative_a.py", "cpu", CONFIRMED),
                           CaseResult("TNP990", "TNP990/negative_a.py", "cuda", SKIPPED, "cuda is not available")],
                    rules={"TNP990": "toy"})
    monkeypatch.setattr(verify_pkg, "verify", lambda **kw: report)
    assert main(["verify", "--device", "cpu,cuda"]) == 2
    err = capsys.readouterr().err
    assert "cuda was requested with --device but is not available" in err
    assert "is_available() is False" in err
    # Without --device every available device is verified and a missing one is not an error.
    assert main(["verify"]) == 0


def test_reports_render_in_every_format(good_report: Report):
    data = json.loads(render(good_report, "json"))
    assert {"tensorferry", "torch", "numpy", "python", "cuda", "devices", "cases"} <= set(data)
    assert data["devices"] == good_report.devices
    for case in data["cases"]:
        assert set(case) == {"rule", "case", "device", "status", "detail"}
        assert case["status"] in (CONFIRMED, FAILED, SKIPPED)
    text = render(good_report, "text")
    assert "TNP990  toy-frombuffer" in text and "c / f / s" in text
    md = render(good_report, "markdown")
    assert "| TNP990 | toy-frombuffer |" in md
    assert "| `TNP990/positive_readonly.py` | cpu | confirmed |" in md


def test_text_report_lists_failures(wrong_report: Report):
    text = render(wrong_report, "text")
    assert "Failures (" in text
    assert "TNP991/positive_wrong_hazard.py [cpu]" in text
    assert "--- positive_bad_golden.fixed.py" in text  # the golden diff is shown


# -- the real fixtures ----------------------------------------------------------------------------------

def test_every_rule_is_confirmed_on_cpu(tmp_path: Path):
    rules = all_rules()
    if not rules:
        pytest.skip("no rule in the registry yet")
    out = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "tensorferry", "verify", "--format", "json", "--output", str(out)],
        env=_env(), capture_output=True, text=True, timeout=900)
    assert out.exists(), proc.stderr
    data = json.loads(out.read_text())
    failed = [c for c in data["cases"] if c["status"] == FAILED]
    assert not failed, "\n".join(f"{c['case']} [{c['device']}]: {c['detail']}" for c in failed)
    assert proc.returncode == 0, proc.stderr
    for rule in rules:
        rows = [c for c in data["cases"] if c["rule"] == rule.code]
        assert rows, f"{rule.code}: no case reported"
        cpu = [c for c in rows if c["device"] == "cpu"]
        others = [c for c in rows if c["device"] != "cpu"]
        if cpu:
            assert all(c["status"] == CONFIRMED for c in cpu), rule.code
        else:  # every case of the rule is explicitly device-only
            assert others and all(c["status"] == SKIPPED or c["device"] in data["devices"]
                                  for c in others), rule.code
        for c in others:
            assert c["status"] == (CONFIRMED if c["device"] in data["devices"] else SKIPPED), c
