"""The result cache: findings are reused for unchanged files and only for them."""

from __future__ import annotations

import json

import pytest

import tensorferry.engine as engine
import tensorferry.runner as runner
from tensorferry.cli import main
from tensorferry.rules import all_rules

HAZARD = "import numpy as np\nimport torch\ny = torch.Tensor(np.array([1, 2]))\n"


def run(capsys, *args):
    rc = main(list(args))
    return rc, capsys.readouterr().out


def hazard_run(tmp_path, capsys):
    """A cold run on one file with a finding: (its arguments, the cache folder, exit status,
    output)."""
    f = tmp_path / "a.py"
    f.write_text(HAZARD)
    cache = tmp_path / "cache"
    args = ["check", "-j", "1", "--cache-dir", str(cache), "--output-format", "json", str(f)]
    return (args, cache, *run(capsys, *args))


def test_warm_run_reuses_findings_without_linting(tmp_path, capsys, monkeypatch):
    args, cache, rc1, cold = hazard_run(tmp_path, capsys)
    assert rc1 == 1 and json.loads(cold)
    assert (cache / ".gitignore").read_text().strip().endswith("*")

    def boom(*a, **k):
        raise AssertionError("linted although cached")

    monkeypatch.setattr(engine, "lint_source", boom)
    rc2, warm = run(capsys, *args)
    assert (rc2, warm) == (rc1, cold)


def test_changed_file_is_linted_again(tmp_path, capsys):
    f = tmp_path / "a.py"
    f.write_text(HAZARD)
    cache = tmp_path / "cache"
    args = ["check", "-j", "1", "--cache-dir", str(cache), "--output-format", "concise", str(f)]
    assert run(capsys, *args)[0] == 1
    f.write_text("import torch\ny = torch.tensor([1, 2])\n")
    assert run(capsys, *args)[0] == 0


def test_selection_is_part_of_the_key(tmp_path, capsys):
    f = tmp_path / "a.py"
    f.write_text(HAZARD)
    cache = tmp_path / "cache"
    assert run(capsys, "check", "--cache-dir", str(cache), "--select", "TNP303", str(f))[0] == 0
    assert run(capsys, "check", "--cache-dir", str(cache), "--select", "TNP101", str(f))[0] == 1


def test_no_cache_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(HAZARD)
    run(capsys, "check", "--no-cache", "a.py")
    assert not (tmp_path / ".tensorferry_cache").exists()
    run(capsys, "check", "a.py")
    assert (tmp_path / ".tensorferry_cache").is_dir()


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_parallel_runs_with_cache_match_serial(tmp_path, capsys, jobs):
    for i in range(5):
        (tmp_path / f"m{i}.py").write_text(HAZARD)
    cache = tmp_path / ".c"
    base = run(capsys, "check", "--no-cache", "-j", "1", "--output-format", "json", str(tmp_path))
    for _ in range(2):
        got = run(capsys, "check", "--cache-dir", str(cache), "-j", jobs, "--output-format", "json", str(tmp_path))
        assert got == base


def test_unwritable_cache_is_not_an_error(tmp_path, capsys):
    f = tmp_path / "a.py"
    f.write_text(HAZARD)
    blocker = tmp_path / "file"
    blocker.write_text("")
    rc, out = run(capsys, "check", "--cache-dir", str(blocker / "sub"), "--output-format", "concise", str(f))
    assert rc == 1 and "TNP101" in out


def test_warm_parallel_run_starts_no_worker(tmp_path, capsys, monkeypatch):
    # hits are answered before any worker is forked; a changed file alone is linted in-process
    src = tmp_path / "src"
    src.mkdir()
    for i in range(4):
        (src / f"m{i}.py").write_text(HAZARD)
    cache = tmp_path / ".c"
    args = ["check", "--cache-dir", str(cache), "-j", "2", "--output-format", "json", str(src)]
    cold = run(capsys, *args)
    assert cold[0] == 1

    def no_pool(*a, **k):
        raise AssertionError("a worker pool was started")

    monkeypatch.setattr(runner, "pool_map", no_pool)
    assert run(capsys, *args) == cold
    (src / "m0.py").write_text("import torch\ny = torch.tensor([1, 2])\n")
    rc, out = run(capsys, *args)
    assert rc == 1 and len(json.loads(out)) == len(json.loads(cold[1])) - 1


@pytest.mark.parametrize("method", ["fork", None])
@pytest.mark.parametrize("per_worker", [100, 1])
def test_the_analysis_is_imported_before_the_workers_only_when_they_are_forked(
        tmp_path, capsys, monkeypatch, method, per_worker):
    # spawned workers import everything again: importing first would be wasted; libcst is
    # imported first only when every worker is likely to need it (enough files per worker)
    for i in range(3):
        (tmp_path / f"m{i}.py").write_text(HAZARD)
    preloaded = []
    monkeypatch.setattr(runner, "start_method", lambda: method)
    monkeypatch.setattr(runner, "FILES_PER_WORKER_FOR_LIBCST", per_worker)
    monkeypatch.setattr(engine, "preload", lambda libcst=True: preloaded.append(libcst))
    monkeypatch.setattr(runner, "pool_map", lambda work, items, *a: [
        runner.check_one(p, all_rules()) for p in items])
    rc, out = run(capsys, "check", "--no-cache", "-j", "2", "--output-format", "json", str(tmp_path))
    assert rc == 1 and len(json.loads(out)) == 3
    assert preloaded == ([per_worker == 1] if method == "fork" else [])


def test_preloading_without_libcst_leaves_it_unimported():
    import subprocess
    import sys

    code = ("import sys\nfrom tensorferry.engine import preload\npreload(libcst=False)\n"
            "assert 'tensorferry.probe' in sys.modules and 'tensorferry.analysis' in sys.modules\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'libcst'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_code_fingerprint_follows_the_modules_not_the_bundled_examples(tmp_path):
    import os

    from tensorferry.cache import code_fingerprint

    (tmp_path / "rules").mkdir()
    (tmp_path / "_fixtures" / "tnp101").mkdir(parents=True)
    (tmp_path / "engine.py").write_text("x = 1\n")
    (tmp_path / "rules" / "tnp101.py").write_text("y = 1\n")
    (tmp_path / "_fixtures" / "tnp101" / "bad.py").write_text("z = 1\n")
    first = code_fingerprint(str(tmp_path))
    assert code_fingerprint(str(tmp_path)) == first
    (tmp_path / "_fixtures" / "tnp101" / "bad.py").write_text("z = 22\n")
    (tmp_path / "notes.txt").write_text("not code\n")
    assert code_fingerprint(str(tmp_path)) == first
    rule = tmp_path / "rules" / "tnp101.py"
    st = rule.stat()
    os.utime(rule, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    second = code_fingerprint(str(tmp_path))
    assert second != first
    (tmp_path / "engine.py").write_text("x = 12\n")
    assert code_fingerprint(str(tmp_path)) not in (first, second)


@pytest.mark.parametrize("damage", [b"", b"not marshal data", b"\xfa\x00\x01", "marshal-list"])
def test_a_damaged_entry_is_linted_again(tmp_path, capsys, damage):
    import marshal

    args, cache, rc1, cold = hazard_run(tmp_path, capsys)
    entries = [p for p in cache.rglob("*.marshal")]
    assert len(entries) == 1
    entries[0].write_bytes(marshal.dumps([1, 2]) if damage == "marshal-list" else damage)
    assert run(capsys, *args) == (rc1, cold)  # a miss: linted, and stored again
    assert marshal.loads(entries[0].read_bytes())["diagnostics"]
