"""Hostile input: each bad file costs one clear diagnostic (TNP001), never a traceback, and every
other file is still checked (and fixed). Internal errors of a rule cost that rule on that file."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tensorferry import engine, fixer, runner
from tensorferry.cli import main
from tensorferry.engine import lint_source
from tensorferry.flake8_plugin import TensorferryChecker
from tensorferry.rules import all_rules, rules_by_code

HEAD = b"import numpy as np\nimport torch\n"
HAZARD = HEAD + b"labels = np.array([1, 2, 3])\ny = torch.Tensor(labels)\n"

# name -> (bytes, expected): "error" = exactly one TNP001 whose message holds the fragment;
# "findings" = checked normally, the TNP101 on its last line is reported; "clean" = nothing.
CASES: dict[str, tuple[bytes, tuple[str, str]]] = {
    "syntax_error.py": (HEAD + b"x = torch.Tensor(\ndef f(:\n", ("error", "cannot parse")),
    "python2.py": (HEAD + b"print 'hello', torch.Tensor(x)\nexec 'x = 1'\n",
                   ("error", "Missing parentheses")),
    "invalid_utf8.py": (HEAD + b"s = '\xff\xfe'\ny = torch.Tensor(s)\n", ("error", "cannot decode")),
    "wrong_cookie.py": (b"# -*- coding: ascii -*-\n" + HEAD + "s = 'é'\n".encode() +
                        b"y = torch.Tensor(s)\n", ("error", "cannot decode as ascii")),
    "unknown_cookie.py": (b"# -*- coding: klingon -*-\n" + HAZARD, ("error", "unknown encoding")),
    "nul_bytes.py": (HAZARD + b"x = 1\x00\n", ("error", "NUL bytes")),
    "binary.py": (bytes(range(256)) * 64, ("error", "cannot read")),
    "binary_no_nul.py": (bytes(range(1, 256)) * 64 + b"torch.Tensor(", ("error", "cannot decode")),
    "empty.py": (b"", ("clean", "")),
    "tab_mix.py": (HEAD + b"if x:\n    a = 1\n\tb = torch.Tensor(a)\n",
                   ("error", "inconsistent use of tabs and spaces")),
    "dedent.py": (HEAD + b"if x:\n        a = 1\n    b = torch.Tensor(a)\n", ("error", "unindent")),
    "brackets_150.py": (HEAD + b"labels = np.array([1])\nz = " + b"[" * 150
                        + b"torch.Tensor(labels)" + b"]" * 150 + b"\n", ("findings", "")),
    "brackets_250.py": (HEAD + b"z = " + b"(" * 250 + b"torch.Tensor(a)" + b")" * 250 + b"\n",
                        ("error", "too many nested parentheses")),
    "brackets_30000.py": (HEAD + b"z = torch.Tensor(" + b"[" * 30000 + b"]" * 30000 + b")\n",
                          ("error", "too many nested parentheses")),
    "unary_50000.py": (HEAD + b"z = torch.Tensor(" + b"-" * 50000 + b"1)\n",
                       ("error", "nesting too deep")),
    "lambda_8000.py": (HEAD + b"z = torch.Tensor(" + b"lambda: " * 8000 + b"1)\n",
                       ("error", "nesting too deep")),
    "calls_190.py": (HEAD + b"labels = np.array([1])\nz = " + b"torch.Tensor(" * 190 + b"labels"
                     + b")" * 190 + b"\n", ("findings", "")),
    "calls_300.py": (HEAD + b"z = " + b"torch.Tensor(" * 300 + b"a" + b")" * 300 + b"\n",
                     ("error", "too many nested parentheses")),
    "operators_1500.py": (HEAD + b"labels = np.array([1])\ny = torch.Tensor(a" + b"[0]" * 1500
                          + b")\nz = torch.Tensor(labels" + b" + labels" * 1500 + b")\n",
                          ("findings", "")),
    "blocks_99.py": (HEAD + b"".join(b" " * i + b"if x:\n" for i in range(99)) + b" " * 99
                     + b"y = torch.Tensor(labels)\n", ("findings", "")),
    "blocks_101.py": (HEAD + b"".join(b" " * i + b"if x:\n" for i in range(101)) + b" " * 101
                      + b"y = torch.Tensor(labels)\n", ("error", "too many levels of indentation")),
    "form_feeds.py": (b"\x0c" + HEAD + b"\x0c\n" + b"labels = np.array([1, 2])\n\x0cdef f():\n"
                      b"    \x0c\n    return 1\ny = torch.Tensor(labels)\n", ("findings", "")),
    "tabs_consistent.py": (HEAD + b"labels = np.array([1])\nif x:\n\tif y:\n\t\tz = 1\n"
                           b"y = torch.Tensor(labels)\n", ("findings", "")),
    "multi_mb.py": (HEAD + b"labels = np.array([1, 2, 3])\n" + b"# padding line of a big file\n" * 100_000
                    + b"x = 1\n" * 20_000 + b"y = torch.Tensor(labels)\n", ("findings", "")),
    "one_mb_line.py": (HEAD + b"labels = np.array([1, 2, 3])\ns = '" + b"a" * 1_000_000 + b"'\n"
                       b"y = torch.Tensor(labels)\n", ("findings", "")),
    "crlf.py": (HAZARD.replace(b"\n", b"\r\n"), ("findings", "")),
    "cr_only.py": (HAZARD.replace(b"\n", b"\r"), ("findings", "")),
    "bom.py": (b"\xef\xbb\xbf" + HAZARD, ("findings", "")),
    "no_final_newline.py": (HAZARD.rstrip(b"\n"), ("findings", "")),
}
ERROR_CASES = sorted(n for n, (_, (kind, _f)) in CASES.items() if kind == "error")


def run(capsys, *args):
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def by_file(out: str, root: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in out.splitlines():
        if line.startswith(str(root)):
            path, rest = line[len(str(root)) + 1:].split(":", 1)
            found.setdefault(path, []).append(rest)
    return found


def write_case(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_bytes(CASES[name][0])
    return path


@pytest.fixture(scope="module")
def hostile_tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    for name in CASES:
        write_case(root, name)
    (root / "good.py").write_bytes(HAZARD)
    (root / "dir.py").mkdir()  # a folder named like a module is walked, not read
    (root / "dir.py" / "inner.py").write_bytes(HAZARD)
    (root / "loop").mkdir()
    (root / "loop" / "up").symlink_to("..")  # a folder loop
    (root / "self_loop.py").symlink_to("self_loop.py")  # a link to itself: cannot be read
    os.mkfifo(root / "fifo.py")  # reading it would block: a walk skips it
    return root


def test_check_hostile_tree(hostile_tree, capsys):
    rc, out, err = run(capsys, "check", "--no-cache", "-j", "1", "--output-format", "concise",
                       str(hostile_tree))
    assert rc == 2
    assert "Traceback" not in out + err
    found = by_file(out, hostile_tree)
    for name, (_, (kind, fragment)) in CASES.items():
        got = found.get(name, [])
        if kind == "error":
            assert len(got) == 1 and " TNP001 " in got[0] and fragment in got[0], (name, got)
        elif kind == "findings":
            assert got and all("TNP001" not in g and "TNP002" not in g for g in got), (name, got)
            last_row = CASES[name][0].replace(b"\r\n", b"\n").replace(b"\r", b"\n").rstrip(
                b"\n").count(b"\n") + 1
            assert any(g.startswith(f"{last_row}:") and "TNP101" in g for g in got), (name, got)
        else:
            assert not got, (name, got)
    assert found["good.py"] and found[os.path.join("dir.py", "inner.py")]
    assert len(found["self_loop.py"]) == 1 and "cannot read" in found["self_loop.py"][0]
    assert "fifo.py" not in found
    assert not any(k.startswith("loop" + os.sep) for k in found)  # the loop is walked once


def test_walk_lists_each_file_once(tmp_path):
    from tensorferry.files import discover

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "b.py").symlink_to("a.py")  # a link to a file listed already
    (tmp_path / "pkg" / "c.py").symlink_to("missing.py")  # dangling: listed, its read reports it
    (tmp_path / "pkg" / "venv").mkdir()
    (tmp_path / "pkg" / "venv" / "pyvenv.cfg").write_text("")
    (tmp_path / "pkg" / "venv" / "v.py").write_text("")  # inside a virtual environment
    (tmp_path / "alias").symlink_to("pkg")  # the same folder again, through a link
    files, errors = discover([str(tmp_path), str(tmp_path / "pkg" / "a.py")])
    rel = sorted(os.path.relpath(f, tmp_path) for f in files)
    assert errors == []
    # a.py and c.py once each, whichever way the walk reached them first
    assert sorted(os.path.basename(f) for f in rel) == ["a.py", "c.py"], rel
    assert {os.path.dirname(f) for f in rel} <= {"alias", "pkg"}, rel
    files, _ = discover([str(tmp_path)], exclude=["alias"])
    assert sorted(os.path.relpath(f, tmp_path) for f in files) == [
        os.path.join("pkg", "a.py"), os.path.join("pkg", "c.py")]


def test_check_hostile_tree_in_parallel_matches_serial(hostile_tree, tmp_path, capsys):
    import shutil

    root = tmp_path / "tree"  # the slow big files are left out; the rest runs twice
    shutil.copytree(hostile_tree, root, symlinks=True, ignore=lambda d, names: [
        n for n in names if n in ("fifo.py", "multi_mb.py", "one_mb_line.py")])
    serial = run(capsys, "check", "--no-cache", "-j", "1", "--output-format", "json", str(root))
    parallel = run(capsys, "check", "--no-cache", "-j", "3", "--output-format", "json", str(root))
    assert serial == parallel and serial[0] == 2


def test_positions_of_parse_errors(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_bytes(HEAD + b"x = 1\ny = torch.Tensor(\ndef f(:\n    pass\n")
    rc, out, _ = run(capsys, "check", "--no-cache", "--output-format", "concise", str(path))
    assert rc == 2
    assert out.startswith(f"{path}:5:1: TNP001 cannot parse: invalid syntax\n")
    path.write_bytes(HEAD + b"if x:\n  a = torch.Tensor(b)\n\tb = 1\n")
    _, out, _ = run(capsys, "check", "--no-cache", "--output-format", "concise", str(path))
    assert f"{path}:5:" in out and "TNP001" in out


@pytest.mark.parametrize("name", ERROR_CASES)
def test_fix_reports_and_does_not_write(tmp_path, capsys, name):
    bad = write_case(tmp_path, name)
    good = tmp_path / "good.py"
    good.write_bytes(HAZARD)
    rc, out, err = run(capsys, "fix", "-j", "1", "--output-format", "concise", str(tmp_path))
    assert rc == 2
    assert "Traceback" not in out + err
    assert bad.read_bytes() == CASES[name][0]
    assert b"torch.as_tensor(labels" in good.read_bytes()
    lines = [line for line in out.splitlines() if line.startswith(str(bad))]
    assert len(lines) == 1 and "TNP001" in lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "good.py"])


def test_fix_hostile_tree(hostile_tree, tmp_path, capsys):
    import shutil

    root = tmp_path / "tree"
    shutil.copytree(hostile_tree, root, symlinks=True,
                    ignore=lambda d, names: [n for n in names if n == "fifo.py"])
    rc, out, err = run(capsys, "fix", "-j", "1", "--output-format", "concise", str(root))
    assert rc == 2
    assert "Traceback" not in out + err
    for name, (data, (kind, _)) in CASES.items():
        if kind != "findings":
            assert (root / name).read_bytes() == data, name
    assert b"as_tensor" in (root / "good.py").read_bytes()
    leftovers = [p for p in root.rglob("*tensorferry-tmp*")]
    assert not leftovers


def test_fix_keeps_big_files_byte_exact(tmp_path, capsys):
    for name in ("multi_mb.py", "one_mb_line.py", "cr_only.py", "bom.py", "form_feeds.py"):
        write_case(tmp_path, name)
    rc, _, err = run(capsys, "fix", "-j", "1", "-q", str(tmp_path))
    assert "Traceback" not in err
    for name in ("multi_mb.py", "one_mb_line.py", "cr_only.py", "bom.py", "form_feeds.py"):
        data = CASES[name][0]
        new = (tmp_path / name).read_bytes()
        assert new != data
        assert new.replace(b"torch.as_tensor(labels, dtype=torch.get_default_dtype())",
                           b"torch.Tensor(labels)") == data, name


# -- files that cannot be read, or vanish --------------------------------------------------------

def _deny(monkeypatch, path: Path):
    """Make ``path`` unreadable: chmod 000 where that binds, else (root) a failing open()."""
    if os.geteuid() != 0:
        path.chmod(0)
        return
    real_open = builtins.open
    target = os.path.realpath(path)

    def guarded(file, *args, **kwargs):
        if isinstance(file, (str, os.PathLike)) and os.path.realpath(file) == target:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)


@pytest.mark.parametrize("command", ["check", "fix"])
def test_unreadable_file(tmp_path, capsys, monkeypatch, command):
    locked = tmp_path / "locked.py"
    locked.write_bytes(HAZARD)
    (tmp_path / "ok.py").write_bytes(HAZARD)
    _deny(monkeypatch, locked)
    try:
        args = [command, "-j", "1", "--output-format", "concise", str(tmp_path)]
        rc, out, err = run(capsys, *(args + (["--no-cache"] if command == "check" else [])))
    finally:
        locked.chmod(0o644)
    assert rc == 2
    assert "Traceback" not in out + err
    assert f"{locked}:1:1: TNP001 cannot read: Permission denied" in out
    assert f"{tmp_path / 'ok.py'}:4:5: TNP101" in out or command == "fix"
    if command == "fix":
        assert b"as_tensor" in (tmp_path / "ok.py").read_bytes()
        assert locked.read_bytes() == HAZARD


@pytest.mark.parametrize("command", ["check", "fix"])
def test_file_deleted_after_discovery(tmp_path, capsys, monkeypatch, command):
    from tensorferry import files

    gone = tmp_path / "gone.py"
    gone.write_bytes(HAZARD)
    (tmp_path / "ok.py").write_bytes(HAZARD)
    real_discover = files.discover

    def discover_then_delete(*args, **kwargs):
        result = real_discover(*args, **kwargs)
        gone.unlink()
        return result

    monkeypatch.setattr(runner, "discover", discover_then_delete)
    monkeypatch.setattr(fixer, "discover", discover_then_delete)
    args = [command, "-j", "1", "--output-format", "concise", str(tmp_path)]
    rc, out, err = run(capsys, *(args + (["--no-cache"] if command == "check" else [])))
    assert rc == 2
    assert f"{gone}:1:1: TNP001 cannot read: No such file or directory" in out
    assert "ok.py" in out or b"as_tensor" in (tmp_path / "ok.py").read_bytes()
    assert not gone.exists()


def test_missing_argument_is_reported_after_the_rest(tmp_path, capsys):
    (tmp_path / "ok.py").write_bytes(HAZARD)
    rc, out, err = run(capsys, "check", "--no-cache", str(tmp_path / "nope.py"), str(tmp_path))
    assert rc == 2
    assert "nope.py: no such file or directory" in err
    assert "TNP101" in out


# -- the engine and the flake8 plugin on the same inputs -----------------------------------------

@pytest.mark.parametrize("name", sorted(CASES))
def test_flake8_plugin_does_not_crash(name):
    import ast

    from tensorferry.files import DecodeError, decode

    try:
        text = decode(CASES[name][0]).text
    except DecodeError:
        text = CASES[name][0].decode("latin-1")  # flake8 falls back to latin-1
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        # flake8 reports E999 and runs no AST plugin on a file that CPython cannot parse.
        assert CASES[name][1][0] == "error", name
        return
    lines = text.splitlines(keepends=True)
    results = list(TensorferryChecker(tree, lines, name).run())
    assert all(msg.startswith("TNP") and "TNP002" not in msg for _, _, msg, _ in results)
    if CASES[name][1][0] == "findings":
        assert any("TNP101" in msg for _, _, msg, _ in results), name


# flake8 itself stops on these: a MemoryError from its `ast.parse` (before any plugin runs), and
# a RecursionError in pyflakes, which flake8 always runs.
FLAKE8_OWN_CRASHES = "unary_50000.py,lambda_8000.py,operators_1500.py"


def test_flake8_on_the_hostile_tree(hostile_tree):
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "TNP,E9", "-j", "1",
         "--exclude", "fifo.py," + FLAKE8_OWN_CRASHES, str(hostile_tree)],
        capture_output=True, text=True, timeout=600,
    )
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    assert "TNP002" not in proc.stdout
    assert f"{hostile_tree / 'good.py'}:4:5: TNP101" in proc.stdout


def test_deep_call_runs_in_a_big_thread_and_restores_limits():
    import threading

    limit = sys.getrecursionlimit()
    seen = {}

    def probe(n):
        seen["thread"] = threading.current_thread().name
        seen["limit"] = sys.getrecursionlimit()
        return engine.call_deep(lambda: n + 1)  # re-entrant

    assert engine.call_deep(probe, 1) == 2
    assert seen["thread"] == "tensorferry-deep" and seen["limit"] >= engine.DEEP_RECURSION_LIMIT
    assert sys.getrecursionlimit() == limit

    def boom():
        raise KeyError("x")

    with pytest.raises(KeyError):
        engine.call_deep(boom)
    assert sys.getrecursionlimit() == limit


def test_deep_calls_share_one_thread_per_process_and_survive_fork():
    import threading

    names = {engine.call_deep(lambda: threading.get_ident()) for _ in range(5)}
    assert len(names) == 1  # one long-lived worker, not a thread per call
    pid = os.fork()
    if pid == 0:  # the child has no worker thread until it asks for one
        try:
            ok = engine.call_deep(lambda: threading.current_thread().name) == "tensorferry-deep"
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_recursion_in_the_analysis_is_one_parse_error(monkeypatch):
    import tensorferry.analysis as analysis

    def recurse(module, *args):
        return recurse(module, *args)

    monkeypatch.setattr(analysis, "analyze", recurse)
    result = lint_source(HAZARD.decode(), "deep.py")
    assert [d.code for d in result.diagnostics] == ["TNP001"] and result.error
    assert "nesting too deep" in result.diagnostics[0].message


# -- internal errors -----------------------------------------------------------------------------

def test_a_raising_rule_costs_only_itself(tmp_path, capsys, monkeypatch):
    rule = rules_by_code()["TNP303"]

    def explode(self, analysis, ctx):
        if ctx.filename.endswith("victim.py"):
            raise ValueError("kaboom")
        return original(self, analysis, ctx)

    original = rule.check
    monkeypatch.setattr(rule, "check", explode)
    source = HAZARD + b"z = y.requires_grad_().cpu().detach()\n"
    (tmp_path / "victim.py").write_bytes(source)
    (tmp_path / "other.py").write_bytes(source)
    rc, out, err = run(capsys, "check", "--no-cache", "-j", "1", "--output-format", "concise",
                       str(tmp_path))
    assert rc == 2
    victim = [line for line in out.splitlines() if "victim.py" in line]
    other = [line for line in out.splitlines() if "other.py" in line]
    internal = [line for line in victim if "TNP002" in line]
    assert len(internal) == 1
    assert "internal error in TNP303: ValueError: kaboom" in internal[0]
    assert "please report this" in internal[0] and "--show-traceback" in internal[0]
    assert any("TNP101" in line for line in victim)  # other rules still ran on the file
    assert any("TNP303" in line for line in other) and not any("TNP002" in line for line in other)
    assert "Traceback" not in err

    rc, _, err = run(capsys, "check", "--no-cache", "-j", "1", "--show-traceback", str(tmp_path))
    assert rc == 2 and "Traceback (most recent call last)" in err and "kaboom" in err


def test_a_raising_rule_in_fix_costs_only_its_own_fixes(tmp_path, capsys, monkeypatch):
    rule = rules_by_code()["TNP303"]

    def explode(self, analysis, ctx):
        raise ValueError("kaboom")

    monkeypatch.setattr(rule, "check", explode)
    source = HAZARD + b"z = y.requires_grad_().cpu().detach()\n"  # TNP303's triggers hold
    (tmp_path / "m.py").write_bytes(source)
    rc, out, err = run(capsys, "fix", "-j", "1", "--output-format", "concise", str(tmp_path))
    assert rc == 2 and "internal error in TNP303" in out and "Traceback" not in err
    fixed = (tmp_path / "m.py").read_bytes()
    assert b"torch.as_tensor(labels" in fixed  # TNP101's safe fix still applies
    assert b".cpu().detach()" in fixed  # nothing of the raising rule


def test_raising_analysis_is_one_internal_error(monkeypatch):
    import tensorferry.analysis as analysis

    def broken(module, *args):
        raise AttributeError("nope")

    monkeypatch.setattr(analysis, "analyze", broken)
    result = lint_source(HAZARD.decode(), "m.py", all_rules())
    assert [d.code for d in result.diagnostics] == ["TNP002"]
    assert "internal error in analysis: AttributeError: nope" in result.diagnostics[0].message


# -- the cyclic garbage collector is paused for one file, and only for it -----------------------

@pytest.mark.parametrize("failure", [None, "analysis", "recursion", "parse"])
def test_collector_paused_during_the_lint_and_restored(monkeypatch, failure):
    import gc

    import tensorferry.analysis as analysis

    seen = []
    real = analysis.analyze

    def spy(module, *args):
        seen.append(gc.isenabled())
        if failure == "analysis":
            raise ValueError("nope")
        if failure == "recursion":
            raise RecursionError()
        return real(module, *args)

    monkeypatch.setattr(analysis, "analyze", spy)
    source = "import torch\nx = torch.Tensor(\n" if failure == "parse" else HAZARD.decode()
    assert gc.isenabled()
    result = lint_source(source, "m.py", all_rules(), gate=failure != "parse")
    assert gc.isenabled()
    assert seen == ([] if failure == "parse" else [False])
    assert bool(result.diagnostics)


def test_collector_left_off_when_the_caller_paused_it():
    import gc

    gc.disable()
    try:
        lint_source(HAZARD.decode(), "m.py", all_rules())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_files_trees_are_freed_without_the_collector():
    """Linting makes no reference cycles: the trees, values and findings of a file are freed by
    reference counting when the file is done, so the collector (paused during each file) has
    nothing to walk after it. Every positive fixture goes through the probe and libcst's parse."""
    import gc

    root = Path(__file__).resolve().parent.parent / "fixtures"
    sources = [(p.name, p.read_text()) for p in sorted(root.glob("*/positive_*.py"))
               if not p.name.endswith(".fixed.py")]
    rules = all_rules()
    for name, text in sources:  # imports, compiled triggers and other one-time tables
        lint_source(text, name, rules)
    gc.collect()
    gc.disable()
    try:
        found = sum(len(lint_source(text, name, rules).diagnostics) for name, text in sources)
        garbage = gc.collect()
    finally:
        gc.enable()
    assert len(sources) > 50 and found > len(sources) // 2
    assert garbage < 50, f"{garbage} objects were held in reference cycles"


@pytest.mark.parametrize("raw", [
    b"x = 1\n",
    b"\xef\xbb\xbfx = 1\n",
    b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
    b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '\x80'\n",
    b"x = 1\n# coding: latin-1\n",  # a cookie on line 3 counts for nothing
    b"x = '\xe9'\n",  # not UTF-8, no cookie
    b"# coding: nope\n",
    b"\xef\xbb\xbf# coding: latin-1\n",
    b"x = 1\ry = 2\r",
    "s = 'caf\u00e9 \u2603'\n".encode(),
    b"",
])
def test_decode_agrees_with_tokenize(raw):
    import io
    import tokenize

    from tensorferry.files import DecodeError, decode

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
        body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
        expected = (body.decode("utf-8" if encoding == "utf-8-sig" else encoding), encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        expected = None
    try:
        got = decode(raw)
    except DecodeError:
        assert expected is None
    else:
        assert (got.text, got.encoding) == expected
