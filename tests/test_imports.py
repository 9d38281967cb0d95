"""The checker never imports torch or numpy, directly or indirectly."""

import subprocess
import sys
from pathlib import Path

SRC = str(Path(__file__).resolve().parent.parent / "src")

CODE = r"""
import sys
sys.path.insert(0, %r)
import tensorferry, tensorferry.flake8_plugin, tensorferry.cli, tensorferry.engine
from tensorferry.rules import all_rules
from tensorferry.engine import lint_source
rules = all_rules()
src = open(%r).read()
res = lint_source(src, "x.py")
assert res.parsed
bad = sorted(m for m in ("torch", "numpy", "libcst.matchers", "libcst.codemod") if m in sys.modules)
print(",".join(bad))
"""


def test_no_torch_or_numpy_import(tmp_path):
    f = tmp_path / "x.py"
    f.write_text("import torch\nimport numpy as np\nx = torch.Tensor(np.zeros(3))\ny = x.cpu().detach()\n")
    out = subprocess.run([sys.executable, "-c", CODE % (SRC, str(f))], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_plugin_import_does_not_load_libcst():
    code = f"import sys; sys.path.insert(0, {SRC!r}); import tensorferry.flake8_plugin; from tensorferry.rules import all_rules; all_rules(); print('libcst' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


PARENT = r"""
import sys
sys.path.insert(0, %r)
import tensorferry.runner
from tensorferry.rules import all_rules
from tensorferry.runner import check_paths
tensorferry.runner.FILES_PER_WORKER_FOR_LIBCST = %d
report = check_paths([%r], all_rules(), jobs=2, cache_dir=%r or None)
print(len(report.diagnostics), "libcst" in sys.modules, "tensorferry.probe" in sys.modules)
"""


def _parent_run(folder, cache_dir="", per_worker=100, analysis=False):
    out = subprocess.run([sys.executable, "-c", PARENT % (SRC, per_worker, str(folder), str(cache_dir))],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    count, loaded, probe = out.stdout.split()
    return (int(count), loaded == "True") + ((probe == "True",) if analysis else ())


def test_parallel_run_imports_the_analysis_once_before_forking(tmp_path):
    # workers forked after the import share it; the findings are the workers' as usual. libcst
    # is imported first too only where every worker is likely to need it
    (tmp_path / "a.py").write_text("import torch\nx = torch.Tensor(5)\n")
    (tmp_path / "b.py").write_text("import os\nprint(os.sep)\n")
    assert _parent_run(tmp_path, analysis=True) == (1, False, True)
    assert _parent_run(tmp_path, per_worker=1, analysis=True) == (1, True, True)


def test_parallel_run_without_candidates_does_not_import_libcst(tmp_path):
    (tmp_path / "a.py").write_text("import torch\nx = torch.zeros(5)\n")
    (tmp_path / "b.py").write_text("import os\nprint(os.sep)\n")
    assert _parent_run(tmp_path) == (0, False)


def test_warm_parallel_run_does_not_import_libcst(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text("import torch\nx = torch.Tensor(5)\n")
    (src / "b.py").write_text("import numpy as np\nimport torch\ny = torch.from_numpy(np.ones(2))\n")
    cache = tmp_path / "cache"
    assert _parent_run(src, cache)[0] == 1  # fills the cache
    assert _parent_run(src, cache) == (1, False)  # every file is a cache hit


WARM = r"""
import sys
sys.path.insert(0, %r)
from tensorferry.cli import main
try:
    main(["check", "-q", "--exit-zero", "--cache-dir", %r, %r])
except SystemExit:
    pass
print("loaded:" + ",".join(sorted(m for m in (
    "libcst", "dataclasses", "inspect", "tomllib", "tensorferry.engine", "typing", "shutil",
    "tempfile", "tokenize", "_hashlib", "ast", "multiprocessing", "tensorferry.facts", "json",
    "pathlib",
    "tensorferry.rules.tnp101_legacy_constructor") if m in sys.modules)))
"""


def test_warm_run_imports_only_what_it_needs(tmp_path):
    # a run whose files are all cached, under a pyproject.toml that names tensorferry but
    # cannot configure it, loads neither libcst nor the engine, nor anything only linting or
    # writing the cache needs
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.py").write_text("import torch\nx = torch.Tensor(5)\n")
    (tmp_path / "pyproject.toml").write_text(
        "[project]\nname = 'x'\ndependencies = ['tensorferry']\n"
        "[project.scripts]\ntensorferry = 'tensorferry.cli:main'\n")
    cache = tmp_path / "cache"

    def run():
        out = subprocess.run([sys.executable, "-c", WARM % (SRC, str(cache), str(src))],
                             capture_output=True, text=True, cwd=tmp_path)
        assert out.returncode == 0, out.stderr
        return out.stdout.splitlines()[-1]

    assert "libcst" in run()  # the cold run parses a.py
    assert run() == "loaded:"
