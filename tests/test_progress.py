"""The progress counter shows only on a terminal, never in machine-readable output."""

import io
import subprocess
import sys

from tensorferry.runner import Progress, check_paths
from tensorferry.rules import all_rules


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_on_tty_only(tmp_path):
    for i in range(5):
        (tmp_path / f"m{i}.py").write_text("import torch\n")
    tty = FakeTTY()
    p = Progress(stream=tty, min_files=1, every=0)
    check_paths([str(tmp_path)], all_rules(), jobs=1, progress=p)
    p.close()
    assert "checked 5/5 files" in tty.getvalue()
    pipe = io.StringIO()
    q = Progress(stream=pipe, min_files=1, every=0)
    check_paths([str(tmp_path)], all_rules(), jobs=1, progress=q)
    q.close()
    assert pipe.getvalue() == ""


def test_small_runs_show_nothing(tmp_path):
    (tmp_path / "a.py").write_text("import torch\n")
    tty = FakeTTY()
    p = Progress(stream=tty)
    check_paths([str(tmp_path)], all_rules(), jobs=1, progress=p)
    p.close()
    assert tty.getvalue() == ""


def test_json_output_has_no_progress(tmp_path):
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text("import torch\n")
    out = subprocess.run([sys.executable, "-m", "tensorferry", "check", "--output-format", "json", str(tmp_path)],
                         capture_output=True, text=True)
    assert out.stdout.strip() == "[]" and "checked" not in out.stderr
