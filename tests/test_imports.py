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
