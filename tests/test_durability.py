"""The fixer never loses data (SIGKILL at random moments), and output is deterministic across
``-j``."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tensorferry.cli import main

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = (
    "import numpy as np\n"
    "import torch\n"
    "labels_{i} = np.array([{i}, 2, 3])\n"
    "y = torch.Tensor(labels_{i})\n"
    "z = y.requires_grad_().cpu().detach()\n"
    "w = torch.Tensor(np.zeros({i}))  # {pad}\n"
)
# What `write_atomic` names its temporary file: `.<name>.<random>.tensorferry-tmp`, next to the
# file. Only a process killed between creating it and renaming it leaves one behind.
TEMP_RE = re.compile(r"^\.(?P<name>.+\.py)\.[^.]+\.tensorferry-tmp$")


def make_tree(root: Path, n: int) -> dict[Path, bytes]:
    files = {}
    for i in range(n):
        folder = root / f"pkg{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"mod_{i:03d}.py"
        data = TEMPLATE.format(i=i, pad="x" * (i * 37 % 4000)).encode()
        path.write_bytes(data)
        files[path] = data
    return files


def test_sigkill_never_leaves_a_torn_file(tmp_path):
    base = tmp_path / "base"
    originals = make_tree(base, 150)
    fixed_tree = tmp_path / "fixed"
    shutil.copytree(base, fixed_tree)
    cmd = [sys.executable, "-m", "tensorferry", "fix", "-q", "-j", "1", "--isolated"]
    subprocess.run(cmd + [str(fixed_tree)], capture_output=True, check=False, timeout=600)
    expected = {p: (fixed_tree / p.relative_to(base)).read_bytes() for p in originals}
    assert all(expected[p] != originals[p] for p in originals)

    rng = random.Random(20)
    work = tmp_path / "work"
    states = {"old": 0, "new": 0}
    temps = 0
    for _ in range(20):
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(base, work)
        proc = subprocess.Popen(cmd + [str(work)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        for dirpath, _, names in os.walk(work):
            for name in names:
                path = Path(dirpath) / name
                m = TEMP_RE.match(name)
                if m:
                    temps += 1
                    assert (path.parent / m.group("name")).exists()
                    continue
                orig_path = base / path.relative_to(work)
                assert orig_path in originals, f"unexpected file {path}"
                data = path.read_bytes()
                if data == originals[orig_path]:
                    states["old"] += 1
                else:
                    assert data == expected[orig_path], f"torn file {path}"
                    states["new"] += 1
        assert {p.relative_to(work) for p in work.rglob("*.py")} == {
            p.relative_to(base) for p in originals}
    assert states["old"] and states["new"], states  # kills landed before and during the writes
    assert temps <= 20  # at most one temporary file per killed run


# -- determinism ---------------------------------------------------------------------------------

FORMATS = ["full", "concise", "json", "json-lines", "sarif", "github"]


@pytest.fixture(scope="module")
def many_files(tmp_path_factory):
    root = tmp_path_factory.mktemp("many")
    make_tree(root, 60)
    (root / "pkg0" / "broken.py").write_bytes(b"import torch\nx = torch.Tensor(\n")
    (root / "pkg3" / "binary.py").write_bytes(b"torch.Tensor(\x00\x01")
    (root / "a.py").write_bytes(b"import torch\nt = torch.ones(2, requires_grad=True)\n"
                                b"a = t.numpy()\nb = t.cpu().detach()\n")
    return root


@pytest.mark.parametrize("fmt", FORMATS)
def test_parallel_output_is_byte_identical(many_files, capsys, fmt, monkeypatch):
    monkeypatch.chdir(many_files)
    outputs = []
    for jobs in ("1", "2", "4"):
        rc = main(["check", "--no-cache", "--isolated", "-j", jobs, "--output-format", fmt, "."])
        out, _ = capsys.readouterr()
        outputs.append((rc, out))
    assert outputs[0][0] == 2
    assert outputs[0] == outputs[1] == outputs[2]


def test_order_is_by_path_then_position(many_files, capsys, monkeypatch):
    monkeypatch.chdir(many_files)
    main(["check", "--no-cache", "--isolated", "-j", "3", "--output-format", "json", "."])
    data = json.loads(capsys.readouterr()[0])
    keys = [(d["filename"], d["location"]["row"], d["location"]["column"], d["code"]) for d in data]
    assert keys == sorted(keys) and len({k[0] for k in keys}) > 50


def test_fix_output_is_identical_across_jobs(many_files, tmp_path, capsys):
    results = []
    for jobs in ("1", "3"):
        work = tmp_path / f"j{jobs}"
        shutil.copytree(many_files, work)
        os.chdir(work)
        try:
            rc = main(["fix", "--isolated", "-j", jobs, "--unsafe-fixes", "."])
        finally:
            os.chdir(ROOT)
        out, err = capsys.readouterr()
        tree = {str(p.relative_to(work)): p.read_bytes() for p in sorted(work.rglob("*.py"))}
        results.append((rc, out, err, tree))
    assert results[0] == results[1]


def test_folder_refusing_the_temporary_file_is_reported(tmp_path, capsys, monkeypatch):
    import tempfile

    path = tmp_path / "m.py"
    data = TEMPLATE.format(i=1, pad="").encode()
    path.write_bytes(data)
    other = tmp_path / "n.py"
    other.write_bytes(data)

    real_mkstemp = tempfile.mkstemp

    def refuse(*args, **kwargs):
        if kwargs.get("prefix", "").startswith(".m.py."):
            raise PermissionError(13, "Permission denied")
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    rc = main(["fix", "--isolated", "-j", "1", str(tmp_path)])
    out, err = capsys.readouterr()
    assert rc == 2
    assert f"error: {path}: cannot write: Permission denied" in err
    assert path.read_bytes() == data and other.read_bytes() != data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py", "n.py"]
