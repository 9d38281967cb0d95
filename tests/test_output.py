"""Output formats of `tensorferry check`: full, concise, JSON lines, SARIF, GitHub, statistics."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path

import jsonschema
import pytest

from tensorferry.cli import main
from tensorferry.diagnostics import Diagnostic, Location
from tensorferry.output import (
    FULL_DESCRIPTION_LIMIT,
    Style,
    _trim_markdown,
    escape_data,
    escape_property,
    github_annotation,
    rule_descriptors,
    snippet,
    use_color,
)

# The OASIS schema (oasis-tcs/sarif-spec, sarif-2.1/schema/sarif-schema-2.1.0.json).
SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "sarif-schema-2.1.0.json"
HAZARD = (
    "import numpy as np\n"
    "import torch\n"
    "labels = np.array([1, 2, 3])\n"
    "y = torch.Tensor(labels)\n"
    "z = y.requires_grad_().cpu().detach()\n"
)
BROKEN = "import torch\nx = torch.Tensor(\n"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "bad.py").write_text(HAZARD)
    (tmp_path / "pkg" / "broken.py").write_text(BROKEN)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def run(capsys, *args):
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_sarif_validates_and_carries_everything(repo, capsys, validator):
    rc, out, _ = run(capsys, "check", "--output-format", "sarif", "pkg")
    assert rc == 2  # the parse error
    doc = json.loads(out)
    errors = [e.message for e in validator.iter_errors(doc)]
    assert errors == []
    run_ = doc["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "tensorferry" and driver["version"] and driver["informationUri"]
    ids = [r["id"] for r in driver["rules"]]
    assert ids[:2] == ["TNP001", "TNP002"] and "TNP101" in ids and ids == sorted(ids)
    for rule in driver["rules"]:
        assert len(rule["fullDescription"]["text"]) <= FULL_DESCRIPTION_LIMIT
        assert rule["help"]["markdown"] and rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("warning", "error")
        assert rule["properties"]["tags"]
    tnp101 = driver["rules"][ids.index("TNP101")]
    assert tnp101["name"] == "legacy-constructor"
    assert tnp101["helpUri"].endswith("/TNP101-legacy-constructor/")
    assert "## Fix safety" in tnp101["help"]["markdown"]
    by_rule = {r["ruleId"]: r for r in run_["results"]}
    assert set(by_rule) == {"TNP001", "TNP101", "TNP303"}
    for r in run_["results"]:
        assert driver["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["partialFingerprints"]["primaryLocationLineHash"].endswith(":1")
    loc = by_rule["TNP101"]["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "pkg/bad.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": 4, "startColumn": 5, "endLine": 4, "endColumn": 25}
    fix = by_rule["TNP101"]["fixes"][0]["artifactChanges"][0]
    assert fix["artifactLocation"]["uri"] == "pkg/bad.py"
    assert fix["replacements"][0]["insertedContent"]["text"].startswith("torch.as_tensor(labels")
    assert fix["replacements"][0]["deletedRegion"]["startColumn"] == 5
    assert by_rule["TNP001"]["level"] == "error" and "fixes" not in by_rule["TNP001"]
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    assert run_["invocations"][0]["executionSuccessful"] is False


def test_broken_sarif_is_rejected(repo, capsys, validator):
    """The validator really runs: a document without tool.driver.name fails."""
    _, out, _ = run(capsys, "check", "--output-format", "sarif", "pkg/bad.py")
    doc = json.loads(out)
    assert list(validator.iter_errors(doc)) == []
    broken = copy.deepcopy(doc)
    del broken["runs"][0]["tool"]["driver"]["name"]
    assert any("'name' is a required property" in e.message for e in validator.iter_errors(broken))
    broken = copy.deepcopy(doc)
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert list(validator.iter_errors(broken))


def test_sarif_fingerprints_stable_and_distinct(repo, capsys):
    (repo / "pkg" / "twice.py").write_text(HAZARD + "y = torch.Tensor(labels)\n")
    _, out, _ = run(capsys, "check", "--output-format", "sarif", "--select", "TNP101", "pkg/twice.py")
    prints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in json.loads(out)["runs"][0]["results"]]
    assert len(prints) == 2 and prints[0].split(":")[0] == prints[1].split(":")[0]
    assert prints[0] != prints[1]
    # moving the code down does not change the fingerprint
    (repo / "pkg" / "twice.py").write_text("\n\n" + HAZARD + "y = torch.Tensor(labels)\n")
    _, out, _ = run(capsys, "check", "--output-format", "sarif", "--select", "TNP101", "pkg/twice.py")
    moved = [r["partialFingerprints"]["primaryLocationLineHash"] for r in json.loads(out)["runs"][0]["results"]]
    assert moved == prints


def test_sarif_unsafe_fixes_only_when_enabled(repo, capsys):
    (repo / "u.py").write_text("import torch\nimport numpy as np\ndef f():\n    a = np.zeros(3)\n"
                               "    t = torch.from_numpy(a)\n    a[0] = 1\n    return t\n")
    _, out, _ = run(capsys, "check", "--output-format", "json", "u.py")
    assert [d["fix"]["applicability"] for d in json.loads(out)] == ["unsafe"]
    _, out, _ = run(capsys, "check", "--output-format", "sarif", "u.py")
    assert not any("fixes" in r for r in json.loads(out)["runs"][0]["results"])
    _, out, _ = run(capsys, "check", "--output-format", "sarif", "--unsafe-fixes", "u.py")
    assert any("fixes" in r for r in json.loads(out)["runs"][0]["results"])


def test_trim_markdown_keeps_fences_closed():
    md = "# T\n\nintro\n\n```python\n" + "x = 1\n" * 100 + "```\n\n" + "word " * 400
    out = _trim_markdown(md, 1024, "Full documentation: u")
    assert len(out) <= 1024
    assert out.count("```") % 2 == 0
    assert out.endswith("Full documentation: u") and out.startswith("# T\n\nintro")
    huge = "word " * 1000
    out = _trim_markdown(huge, 200, "more")
    assert len(out) <= 200 and out.endswith("…\n\nmore")
    assert _trim_markdown("short", 1024, "more") == "short"


def test_every_rule_description_fits():
    for desc in rule_descriptors():
        assert len(desc["fullDescription"]["text"]) <= FULL_DESCRIPTION_LIMIT, desc["id"]


def test_github_escaping():
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    loc = Location(3, 7)
    d = Diagnostic("TNP101", "legacy-constructor", "first, line: 100%\nsecond", "dir,x/a:b.py",
                   loc, Location(4, 2))
    line = github_annotation(d, Path("/nonexistent-root"))
    assert line == ("::error title=TNP101,file=dir%2Cx/a%3Ab.py,line=3,col=7,endLine=4,endColumn=2"
                    "::TNP101 first, line: 100%25%0Asecond")


def test_github_format_cli(repo, capsys):
    rc, out, _ = run(capsys, "check", "--output-format", "github", "pkg")
    lines = out.splitlines()
    assert rc == 2 and len(lines) == 3
    assert lines[0].startswith("::error title=TNP101,file=pkg/bad.py,line=4,col=5,endLine=4,endColumn=25::TNP101 ")
    assert "%0Ahelp: " in lines[0]
    assert any(line.startswith("::error title=TNP001,file=pkg/broken.py,line=2,") for line in lines)


def test_full_shows_source_and_carets(repo, capsys):
    rc, out, _ = run(capsys, "check", "pkg/bad.py")
    assert rc == 1
    lines = out.splitlines()
    i = lines.index("4 | y = torch.Tensor(labels)")
    assert lines[i + 1] == "  |     ^^^^^^^^^^^^^^^^^^^^ TNP101"
    assert lines[i - 1] == "3 | labels = np.array([1, 2, 3])"
    assert "  = help: Replace with" in out
    assert "pkg/bad.py:4:5: TNP101 [*] " in out and "Found 2 errors." in out
    assert "\x1b[" not in out


def test_full_snippet_tabs_wide_chars_and_multiline():
    src = ["\tx = 'é中'; y = torch.Tensor(a,", "        b)", "z = 1"]
    d = Diagnostic("TNP101", "n", "m", "f.py", Location(1, 16), Location(2, 11))
    out = snippet(d, src, Style(False))
    assert out[1] == "1 |     x = 'é中'; y = torch.Tensor(a,"
    # tab -> 4 columns, 中 is two columns wide: the carets start under `torch`
    lead = len("    x = 'é中'; y = ") + 1
    assert out[2] == "  | " + " " * lead + "^" * len("torch.Tensor(a,")
    assert out[3] == "2 |         b)"
    assert out[4] == "  | " + " " * 8 + "^^ TNP101"  # from the first non-blank character


def test_concise_is_one_line_each(repo, capsys):
    _, out, _ = run(capsys, "check", "--output-format", "concise", "-q", "pkg")
    assert out.splitlines() == [
        "pkg/bad.py:4:5: TNP101 [*] " + out.splitlines()[0].split("[*] ", 1)[1],
        "pkg/bad.py:5:5: TNP303 [*] " + out.splitlines()[1].split("[*] ", 1)[1],
        "pkg/broken.py:2:17: TNP001 cannot parse: '(' was never closed",
    ]


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_color_decision():
    assert use_color(_Tty(), {}) is True
    assert use_color(io.StringIO(), {}) is False
    assert use_color(_Tty(), {"NO_COLOR": "1"}) is False
    assert use_color(io.StringIO(), {"FORCE_COLOR": "1"}) is True
    assert use_color(io.StringIO(), {"FORCE_COLOR": "0"}) is False
    assert use_color(_Tty(), {"NO_COLOR": "1", "FORCE_COLOR": "1"}) is False
    assert use_color(_Tty(), {"NO_COLOR": ""}) is True


def test_force_and_no_color_in_cli(repo, capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    _, out, _ = run(capsys, "check", "pkg/bad.py")
    assert "\x1b[1;31mTNP101\x1b[0m" in out and "\x1b[31m^^^" in out
    _, out, _ = run(capsys, "check", "--output-format", "json", "pkg/bad.py")
    assert "\x1b[" not in out
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = run(capsys, "check", "pkg/bad.py")
    assert "\x1b[" not in out and "TNP101" in out


def test_statistics(repo, capsys):
    (repo / "pkg" / "more.py").write_text(HAZARD + "w = torch.Tensor(labels)\n")
    rc, out, _ = run(capsys, "check", "--statistics", "pkg")
    assert rc == 2
    lines = [line.split("\t") for line in out.splitlines()]
    assert [cols[:2] for cols in lines] == [["3", "TNP101"], ["2", "TNP303"], ["1", "TNP001"]]
    assert lines[0][2].startswith("[*] legacy-constructor") and lines[0][3] == "(3 fixable)"
    assert lines[2][2].startswith("[ ] parse-error") and lines[2][3] == "(0 fixable)"
    _, out, _ = run(capsys, "check", "--statistics", "--output-format", "json", "pkg")
    rows = {r["code"]: r for r in json.loads(out)}
    assert rows["TNP101"]["count"] == 3 and rows["TNP101"]["fixable_count"] == 3
    assert rows["TNP001"]["fixable"] is False and rows["TNP303"]["name"] == "cpu-before-detach"


def test_output_file(repo, capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")
    rc, out, _ = run(capsys, "check", "--output-file", "report.txt", "pkg/bad.py")
    assert rc == 1 and out == ""
    text = (repo / "report.txt").read_text()
    assert "pkg/bad.py:4:5: TNP101" in text and "\x1b[" not in text
    assert run(capsys, "check", "-o", str(repo / "no" / "dir" / "r.txt"), "pkg/bad.py")[0] == 2


@pytest.mark.parametrize("fmt", ["full", "concise", "json", "json-lines", "sarif", "github"])
def test_parse_and_internal_errors_in_every_format(repo, capsys, monkeypatch, fmt):
    import tensorferry.rules.tnp303_cpu_before_detach as mod

    def boom(self, analysis, ctx):
        raise ValueError("kaboom")

    rule = next(v for v in vars(mod).values() if isinstance(v, type) and getattr(v, "code", "") == "TNP303")
    monkeypatch.setattr(rule, "check", boom)
    rc, out, _ = run(capsys, "check", "-j", "1", "--output-format", fmt, "pkg")
    assert rc == 2
    assert "TNP001" in out and "TNP002" in out and "kaboom" in out
    assert "TNP101" in out


def test_stdin_full_snippet(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "tensorferry", "check", "-", "--stdin-filename", "s.py"],
                         input=HAZARD, capture_output=True, text=True,
                         env={"PYTHONPATH": str(Path(__file__).resolve().parent.parent / "src"),
                              "PATH": "/usr/bin:/bin"})
    assert out.returncode == 1
    assert "4 | y = torch.Tensor(labels)" in out.stdout


def test_rules_command_shows_fix_availability_and_applicability(capsys):
    rc, out, _ = run(capsys, "rules", "--output-format", "json")
    rows = {r["code"]: r for r in json.loads(out)}
    assert rows["TNP201"]["fix"] == "always" and rows["TNP201"]["applicability"] == "unsafe"
    assert rows["TNP101"]["fix"] == "sometimes" and rows["TNP101"]["applicability"] == "safe"
    _, out, _ = run(capsys, "rules")
    line = next(line for line in out.splitlines() if line.startswith("TNP201"))
    assert "fix: always (unsafe)" in line
