"""The `tensorferry check` command: exit codes, selection, noqa, output shapes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tensorferry.cli import main
from tensorferry.diagnostics import Diagnostic

HAZARD = (
    "import numpy as np\n"
    "import torch\n"
    "labels = np.array([1, 2, 3])\n"
    "y = torch.Tensor(labels)\n"
    "z = y.requires_grad_().cpu().detach()\n"
)


@pytest.fixture
def proj(tmp_path):
    (tmp_path / "bad.py").write_text(HAZARD)
    (tmp_path / "good.py").write_text("import torch\nx = torch.tensor([1, 2])\n")
    return tmp_path


def run(capsys, *args):
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def test_exit_codes(proj, capsys):
    assert run(capsys, "check", str(proj / "good.py"))[0] == 0
    rc, out, _ = run(capsys, "check", str(proj))
    assert rc == 1
    assert f"{proj / 'bad.py'}:4:5: TNP101 [*]" in out
    assert "Found 2 errors." in out
    assert run(capsys, "check", str(proj / "missing.py"))[0] == 2
    assert run(capsys, "check", "--select", "TNP999", str(proj))[0] == 2
    assert run(capsys, "check", "--exit-zero", str(proj))[0] == 0


def test_select_and_ignore_prefixes(proj, capsys):
    _, out, _ = run(capsys, "check", "--output-format", "concise", "--select", "TNP3", str(proj))
    assert "TNP303" in out and "TNP101" not in out
    _, out, _ = run(capsys, "check", "--output-format", "concise", "--ignore", "TNP1", str(proj))
    assert "TNP303" in out and "TNP101" not in out
    # the more specific code wins over a broader ignore
    _, out, _ = run(capsys, "check", "--output-format", "concise", "--ignore", "TNP", "--select", "TNP101", str(proj))
    assert "TNP101" in out and "TNP303" not in out


def test_noqa(tmp_path, capsys):
    src = HAZARD.replace("torch.Tensor(labels)", "torch.Tensor(labels)  # noqa: TNP101")
    src = src.replace("y.requires_grad_().cpu().detach()", "y.requires_grad_().cpu().detach()  # noqa:TNP1")
    f = tmp_path / "n.py"
    f.write_text(src)
    _, out, _ = run(capsys, "check", "--output-format", "concise", str(f))
    assert "TNP101" not in out and ":5:5: TNP303" in out
    f.write_text(HAZARD.replace("y.requires_grad_().cpu().detach()", "y.requires_grad_().cpu().detach()  # NOQA"))
    _, out, _ = run(capsys, "check", "--output-format", "concise", str(f))
    assert "TNP303" not in out and "TNP101" in out


def test_file_level_noqa(tmp_path, capsys):
    f = tmp_path / "n.py"
    f.write_text("# tensorferry: noqa: TNP303\n" + HAZARD)
    _, out, _ = run(capsys, "check", "--output-format", "concise", str(f))
    assert "TNP303" not in out and "TNP101" in out
    f.write_text("# tensorferry: noqa\n" + HAZARD)
    rc, out, _ = run(capsys, "check", "--output-format", "concise", str(f))
    assert rc == 0


def test_json_shape(proj, capsys):
    rc, out, _ = run(capsys, "check", "--output-format", "json", str(proj / "bad.py"))
    assert rc == 1
    data = json.loads(out)
    assert [d["code"] for d in data] == ["TNP101", "TNP303"]
    d = data[0]
    assert set(d) >= {"code", "name", "message", "filename", "location", "end_location", "fix", "url", "noqa_row"}
    assert d["location"] == {"row": 4, "column": 5}
    assert d["end_location"] == {"row": 4, "column": 25}
    assert d["fix"]["applicability"] == "safe"
    edit = d["fix"]["edits"][0]
    assert edit["content"] == "torch.as_tensor(labels, dtype=torch.get_default_dtype())"
    assert Diagnostic.from_json(d).to_json() == d


def test_parse_error_is_reported_not_raised(tmp_path, capsys):
    (tmp_path / "broken.py").write_text("import torch\nx = torch.Tensor(\n")
    (tmp_path / "ok.py").write_text(HAZARD)
    rc, out, _ = run(capsys, "check", str(tmp_path))
    assert rc == 2
    assert "TNP001" in out and "TNP101" in out


def test_undecodable_file(tmp_path, capsys):
    (tmp_path / "bin.py").write_bytes(b"x = 'Tensor(\xff\xfe'\n")
    rc, out, _ = run(capsys, "check", str(tmp_path))
    assert rc == 2 and "cannot read" in out


def test_discovery_skips_venvs_and_build(tmp_path, capsys):
    for d in (".venv", "build", "node_modules", "__pycache__"):
        (tmp_path / d).mkdir()
        (tmp_path / d / "x.py").write_text(HAZARD)
    venv = tmp_path / "myenv"
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("")
    (venv / "x.py").write_text(HAZARD)
    rc, out, _ = run(capsys, "check", str(tmp_path))
    assert rc == 0, out


def test_parallel_output_identical(tmp_path, capsys):
    for i in range(6):
        (tmp_path / f"m{i}.py").write_text(HAZARD)
    _, serial, _ = run(capsys, "check", "-j", "1", "--output-format", "json", str(tmp_path))
    _, par, _ = run(capsys, "check", "-j", "2", "--output-format", "json", str(tmp_path))
    assert serial == par and len(json.loads(serial)) == 12


def test_stdin(tmp_path):
    out = subprocess.run([sys.executable, "-m", "tensorferry", "check", "-", "--stdin-filename", "s.py"],
                         input=HAZARD, capture_output=True, text=True)
    assert out.returncode == 1
    assert "s.py:4:5: TNP101" in out.stdout


def test_version_and_rules(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert "tensorferry" in capsys.readouterr().out
    rc, out, _ = run(capsys, "rules", "--output-format", "json")
    codes = [r["code"] for r in json.loads(out)]
    assert "TNP101" in codes and codes == sorted(codes)
    rc, out, _ = run(capsys, "explain", "TNP303")
    assert rc == 0 and "## Fix safety" in out
    rc, out, _ = run(capsys, "explain", "cpu-before-detach")
    assert rc == 0 and "TNP303" in out
    assert run(capsys, "explain", "TNP999")[0] == 2


def test_shadowing_produces_no_findings(tmp_path, capsys):
    f = tmp_path / "s.py"
    f.write_text(
        "import torch\nimport numpy as np\n"
        "def f(torch):\n    return torch.Tensor([1, 2])\n"
        "np = object()\n"
        "def g(x):\n    torch = x\n    return torch.Tensor([1.0])\n"
    )
    rc, out, _ = run(capsys, "check", str(f))
    assert rc == 0, out


@pytest.mark.parametrize("imports,call", [
    ("import torch as T", "T.Tensor(np.zeros(3))"),
    ("from torch import Tensor as TT", "TT(np.zeros(3))"),
    ("from torch import FloatTensor", "FloatTensor(np.zeros(3))"),
    ("import torch.cuda", "torch.cuda.FloatTensor(np.zeros(3))"),
])
def test_import_forms(tmp_path, capsys, imports, call):
    f = tmp_path / "i.py"
    f.write_text(f"import numpy as np\n{imports}\nimport torch\ny = {call}\n")
    rc, out, _ = run(capsys, "check", "--select", "TNP101", str(f))
    assert rc == 1 and ":4:5: TNP101" in out, out


@pytest.mark.parametrize("src", [
    "import torch\nx: torch.Tensor = None\n",
    "import torch\ndef f(x: torch.Tensor) -> torch.Tensor:\n    return x\n",
    "import torch\nok = isinstance(1, torch.Tensor)\n",
    "import torch\nclass T(torch.Tensor):\n    pass\n",
    "import torch\nm = torch.Tensor.add\n",
    "import torch\nkinds = [torch.Tensor, int]\n",
    "import torch\ne = torch.Tensor()\n",
    "import torch\nx = torch.Tensor.__new__(torch.Tensor)\n",
])
def test_tensor_as_type_is_not_reported(tmp_path, capsys, src):
    f = tmp_path / "t.py"
    f.write_text(src)
    rc, out, _ = run(capsys, "check", str(f))
    assert rc == 0, out


def test_main_builds_only_the_subcommand_it_runs(capsys):
    from tensorferry.cli import _command, build_parser, main

    assert _command(["check", "-q", "src"]) == "check" and _command(["--version"]) is None
    assert _command(["chek"]) is None and _command(["--help", "fix", "-"]) is None
    assert _command([]) is None
    only, full = build_parser("check"), build_parser()
    for argv in (["check", "-q", "a.py"], ["check", "--select", "TNP1", "-j", "2", "src", "b.py"]):
        assert only.parse_args(argv) == full.parse_args(argv)
    with pytest.raises(SystemExit):  # explain was not built
        only.parse_args(["explain", "TNP101"])
    assert full.parse_args(["explain", "TNP101"]).rule == "TNP101"
    # the help of a subcommand, and its errors, are the same either way
    assert only._subparsers._group_actions[0].choices["check"].format_help() == \
        full._subparsers._group_actions[0].choices["check"].format_help()
    capsys.readouterr()
    errors = []
    for parser in (only, full):
        for argv in (["check", "--no-such-option"], ["check", "-j", "x"]):
            with pytest.raises(SystemExit):
                parser.parse_args(argv)
            errors.append(capsys.readouterr().err)
    assert errors[:2] == errors[2:] and "unrecognized arguments: --no-such-option" in errors[0]
    with pytest.raises(SystemExit):  # `--help` first: the list of every subcommand
        main(["--help", "check"])
    out = capsys.readouterr().out
    assert all(name in out for name in ("check", "fix", "rules", "explain", "verify"))
