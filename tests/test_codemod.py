"""The libcst codemod: in-process, and through the real ``python -m libcst.tool codemod``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest
from libcst.codemod import CodemodContext, SkipFile

from codemod_fixrules import TestRulesFix
from tensorferry.codemod import TensorferryFix, TensorferryFixError

ROOT = Path(__file__).resolve().parents[1]


def transform(src: str, *, filename: str | None = None, **kwargs) -> str:
    ctx = CodemodContext(filename=filename)
    return TestRulesFix(ctx, **kwargs).transform_module(cst.parse_module(src)).code


def codemod(cwd: Path, *argv: str) -> subprocess.CompletedProcess:
    """``python -m libcst.tool codemod ...`` in ``cwd``, with no formatter on PATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")])
    env["PATH"] = str(cwd / "no-tools")  # no black (or anything else) to find
    (cwd / "no-tools").mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-m", "libcst.tool", "codemod", *argv],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


# -- in-process -------------------------------------------------------------------------------

def test_codemod_applies_safe_fixes():
    src = "import torch\nx = torch.Tensor(a)\nt = torch.from_numpy(a)\n"
    assert transform(src) == (
        "import torch\nx = torch.as_tensor(a, dtype=torch.get_default_dtype())\n"
        "t = torch.from_numpy(a)\n")


def test_codemod_unsafe_fixes_arg():
    src = "import torch\nt = torch.from_numpy(a)\n"
    assert transform(src, unsafe_fixes=True) == "import torch\nt = torch.tensor(a)\n"


def test_codemod_adds_needed_import():
    src = "import torch\nx = torch.from_numpy(a[::-1])\n"
    assert transform(src) == (
        "import torch\nimport numpy as np\nx = torch.from_numpy(np.ascontiguousarray(a[::-1]))\n")


def test_codemod_skips_file_when_nothing_applies(tmp_path):
    path = tmp_path / "m.py"
    path.write_text("import torch\nt = torch.from_numpy(a)\n")
    ctx = CodemodContext(filename=str(path))
    with pytest.raises(SkipFile):
        TestRulesFix(ctx).transform_module(cst.parse_module(path.read_text()))


def test_codemod_without_filename_returns_source_unchanged():
    src = "pass\n\n "  # libcst regenerates this without the blank line
    tree = cst.parse_module(src)
    assert TestRulesFix(CodemodContext()).transform_module(tree) is tree


def test_codemod_failing_fix_raises():
    with pytest.raises(TensorferryFixError, match="does not parse"):
        transform("y = broken()\n")


def test_codemod_keeps_exact_text_libcst_would_change(tmp_path):
    path = tmp_path / "m.py"
    raw = b"import torch\rx = torch.Tensor(a)\r\r "
    path.write_bytes(raw)
    ctx = CodemodContext(filename=str(path))
    out = TestRulesFix(ctx).transform_module(cst.parse_module(raw))
    assert out.bytes == b"import torch\rx = torch.as_tensor(a, dtype=torch.get_default_dtype())\r\r "


def test_codemod_select_args_are_validated():
    with pytest.raises(Exception, match="unknown rule code"):
        TensorferryFix(CodemodContext(), select=["TNP9999"])


def test_codemod_reads_the_configuration(tmp_path, monkeypatch):
    """``[tool.tensorferry]`` found from the current folder: per-file-ignores hold a rule's fixes
    back in matching files."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tensorferry.per-file-ignores]\n"tests/*" = ["TNP303"]\n')
    src = "def f(x):\n    return x.cpu().detach()\n"
    for rel in ("src/m.py", "tests/t.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(src)
    monkeypatch.chdir(tmp_path)
    fix = TensorferryFix(CodemodContext(filename="src/m.py"), select=["TNP303"])
    assert fix.transform_module(cst.parse_module(src)).code == src.replace(
        ".cpu().detach()", ".detach().cpu()")
    with pytest.raises(SkipFile):
        TensorferryFix(CodemodContext(filename="tests/t.py"), select=["TNP303"]).transform_module(
            cst.parse_module(src))


# -- the real libcst.tool ---------------------------------------------------------------------

FILES = {
    "cr.py": b"import torch\rx = torch.Tensor(a)\r",
    "bom.py": b"\xef\xbb\xbfimport torch\r\nx = torch.Tensor(a)  # \xc3\xa9\r\n\r\n ",
    "latin.py": b"# -*- coding: latin-1 -*-\nimport torch\ns = '\xe9'\nx = torch.Tensor(a)",
    "sub/imports.py": b"import torch\n\nx = torch.from_numpy(a[::-1])\n",
    "clean.py": b"import torch\nx = torch.as_tensor(a)\n\n ",
    "unsafe_only.py": b"import torch\nt = torch.from_numpy(a)\n\n ",
    "broken.py": b"import torch\ny = broken()\n",
}
FIXED = {
    "cr.py": b"import torch\rx = torch.as_tensor(a, dtype=torch.get_default_dtype())\r",
    "bom.py": b"\xef\xbb\xbfimport torch\r\nx = torch.as_tensor(a, dtype=torch.get_default_dtype())"
              b"  # \xc3\xa9\r\n\r\n ",
    "latin.py": b"# -*- coding: latin-1 -*-\nimport torch\ns = '\xe9'\n"
                b"x = torch.as_tensor(a, dtype=torch.get_default_dtype())",
    "sub/imports.py": b"import torch\nimport numpy as np\n\n"
                      b"x = torch.from_numpy(np.ascontiguousarray(a[::-1]))\n",
}


def make_project(root: Path) -> dict[str, tuple[bytes, int]]:
    for name, raw in FILES.items():
        path = root / "proj" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(raw)
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    return {name: ((root / "proj" / name).read_bytes(), (root / "proj" / name).stat().st_mtime_ns)
            for name in FILES}


def test_libcst_tool_with_jobs_preserves_bytes_and_skips_unchanged(tmp_path):
    before = make_project(tmp_path)
    proc = codemod(tmp_path, "-x", "codemod_fixrules.TestRulesFix", "--no-format", "--jobs", "2",
                   "--hide-progress", "proj")
    assert proc.returncode == 1, proc.stderr  # broken.py failed
    assert "Failed to codemod 1 files." in proc.stderr
    assert "Skipped 2 files." in proc.stderr
    for name, raw in FIXED.items():
        assert (tmp_path / "proj" / name).read_bytes() == raw, name
    for name in ("clean.py", "unsafe_only.py", "broken.py"):
        path = tmp_path / "proj" / name
        assert (path.read_bytes(), path.stat().st_mtime_ns) == before[name], name


def test_libcst_tool_unsafe_fixes_arg(tmp_path):
    make_project(tmp_path)
    proc = codemod(tmp_path, "-x", "codemod_fixrules.TestRulesFix", "--no-format", "--jobs", "1",
                   "--hide-progress", "--unsafe-fixes", "proj/unsafe_only.py")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "proj" / "unsafe_only.py").read_bytes() == b"import torch\nt = torch.tensor(a)\n\n "


def test_libcst_tool_unified_diff_writes_nothing(tmp_path):
    before = make_project(tmp_path)
    proc = codemod(tmp_path, "-x", "codemod_fixrules.TestRulesFix", "--no-format", "-u", "1",
                   "--hide-progress", "proj/sub/imports.py")
    assert proc.returncode == 0, proc.stderr
    assert "+import numpy as np" in proc.stdout
    path = tmp_path / "proj" / "sub" / "imports.py"
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before["sub/imports.py"]


REAL_SRC = "import torch\n\n\ndef f(x):\n    return x.cpu().detach()  # keep\r\n"
REAL_FIXED = "import torch\n\n\ndef f(x):\n    return x.detach().cpu()  # keep\r\n"


def test_libcst_tool_external_class_path(tmp_path):
    """``python -m libcst.tool codemod -x tensorferry.codemod.TensorferryFix --no-format``."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_bytes(REAL_SRC.encode())
    (tmp_path / "pkg" / "b.py").write_bytes(b"x = 1\n")
    proc = codemod(tmp_path, "-x", "tensorferry.codemod.TensorferryFix", "--no-format",
                   "--jobs", "2", "--select", "TNP303", "pkg")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "pkg" / "a.py").read_bytes() == REAL_FIXED.encode()
    assert (tmp_path / "pkg" / "b.py").read_bytes() == b"x = 1\n"
    assert "Skipped 1 files." in proc.stderr


def test_libcst_tool_configured_module(tmp_path):
    """``modules: ["tensorferry"]`` in ``.libcst.codemod.yaml``, then ``codemod.TensorferryFix``."""
    (tmp_path / ".libcst.codemod.yaml").write_text(
        'generated_code_marker: "@generated"\nformatter: ["black", "-"]\n'
        'blacklist_patterns: []\nmodules: ["libcst.codemod.commands", "tensorferry"]\nrepo_root: "."\n')
    (tmp_path / "a.py").write_bytes(REAL_SRC.encode())
    proc = codemod(tmp_path, "codemod.TensorferryFix", "--no-format", "--jobs", "1", "a.py")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "a.py").read_bytes() == REAL_FIXED.encode()
