"""The flake8 plugin, through a real flake8 subprocess: same findings and columns as the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tensorferry.fixtures import load_all

FIXTURE_FILES = sorted({c.path for cases in load_all().values() for c in cases})
# alias snippets: reached through the syntax gates on flake8's own tree
SNIPPETS = sorted((Path(__file__).parent / "data" / "prefilter").glob("*.py"))


def flake8(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "flake8", *args], capture_output=True, text=True, cwd=cwd)


def test_plugin_is_registered():
    out = subprocess.run([sys.executable, "-m", "flake8", "--version"], capture_output=True, text=True)
    assert "tensorferry" in out.stdout


def test_same_findings_as_cli_on_fixtures():
    files = [str(p) for p in FIXTURE_FILES + SNIPPETS]
    assert files, "no fixtures found"
    res = flake8("--select", "TNP", "--format", "%(path)s:%(row)d:%(col)d:%(code)s", *files)
    assert res.returncode in (0, 1), res.stderr
    got = sorted(set(res.stdout.split()))
    cli = subprocess.run([sys.executable, "-m", "tensorferry", "check", "--output-format", "json", *files],
                         capture_output=True, text=True)
    data = json.loads(cli.stdout)
    want = sorted({f"{d['filename']}:{d['location']['row']}:{d['location']['column']}:{d['code']}"
                   for d in data if d["code"] not in ("TNP001", "TNP002")})
    assert got == want
    assert want, "fixtures produced no findings"


def test_noqa_handled_by_flake8(tmp_path):
    f = tmp_path / "n.py"
    f.write_text(
        "import numpy as np\nimport torch\n"
        "a = torch.Tensor(np.zeros(3))  # noqa: TNP101\n"
        "b = torch.Tensor(\n    np.zeros(3),\n)  # noqa: TNP101\n"
    )
    res = flake8("--select", "TNP", str(f))
    # flake8 matches noqa per physical line: the multi-line call is reported on its first line
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 1 and re.search(r":4:5: TNP101", lines[0]), res.stdout


def test_plugin_survives_unparsable_source(tmp_path):
    f = tmp_path / "weird.py"
    # valid for CPython's ast (so flake8 runs plugins); the plugin must not abort the run
    f.write_text("import torch\nx = torch.Tensor([1])\n")
    res = flake8("--select", "TNP", str(f))
    assert "TNP101" in res.stdout and res.returncode == 1


PRELOAD = r"""
import os, sys
from flake8.main.cli import main
if "PER_WORKER" in os.environ:
    import tensorferry.runner
    tensorferry.runner.FILES_PER_WORKER_FOR_LIBCST = int(os.environ["PER_WORKER"])
try:
    main(["--exit-zero", "--select", "TNP", *sys.argv[1:]])
except SystemExit:
    pass
print("analysis in parent:", "tensorferry.probe" in sys.modules)
print("libcst in parent:", "libcst" in sys.modules)
"""


def _parent_imports(*args, cwd=None, per_worker=None):
    """(findings, the analysis imported in flake8's process, libcst imported there)"""
    env = dict(os.environ)
    if per_worker is not None:
        env["PER_WORKER"] = str(per_worker)
    out = subprocess.run([sys.executable, "-c", PRELOAD, *args], capture_output=True, text=True,
                         cwd=cwd, env=env)
    assert out.returncode == 0, out.stderr
    *findings, analysis, libcst = out.stdout.splitlines()
    return findings, analysis.endswith("True"), libcst.endswith("True")


def _parent_imports_libcst(*args, cwd=None):
    findings, _, libcst = _parent_imports(*args, cwd=cwd)
    return findings, libcst


def test_parallel_flake8_imports_the_analysis_once_before_forking(tmp_path):
    # flake8 forks its workers after the plugins' parse_options: a file past the text triggers
    # makes the parent import the analysis, and libcst too where there are enough files for
    # every worker to likely need it; the forked workers report as usual
    (tmp_path / "a.py").write_text("import torch\nx = torch.Tensor(5)\n")
    (tmp_path / "b.py").write_text("import os\nprint(os.sep)\n")
    findings, analysis, libcst = _parent_imports("-j", "2", str(tmp_path))
    assert analysis and not libcst and len(findings) == 1 and "TNP102" in findings[0]
    findings, analysis, libcst = _parent_imports("-j", "2", str(tmp_path), per_worker=1)
    assert analysis and libcst and len(findings) == 1 and "TNP102" in findings[0]


def test_flake8_parent_imports_nothing_it_does_not_need(tmp_path):
    (tmp_path / "a.py").write_text("import torch\nx = torch.zeros(5)\n")  # no trigger holds
    (tmp_path / "b.py").write_text("import os\nprint(os.sep)\n")
    assert _parent_imports_libcst("-j", "2", str(tmp_path)) == ([], False)
    # serial runs lint in the parent itself: it imports libcst on the first file that needs it
    (tmp_path / "c.py").write_text("import torch\nx = torch.Tensor(5)\n")
    assert _parent_imports_libcst("-j", "1", str(tmp_path / "a.py"))[1] is False
    findings, loaded = _parent_imports_libcst("-j", "1", str(tmp_path))
    assert loaded and len(findings) == 1
