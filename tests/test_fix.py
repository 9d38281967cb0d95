"""``tensorferry fix``: golden fixtures, idempotence, byte preservation, safety, CLI behaviour."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import fixrules
from fixrules import CpuDetach, LegacyTensor, NegativeStride, Pack
from tensorferry import fixer
from tensorferry.engine import fix_source, lint_source
from tensorferry.files import decode
from tensorferry.fixtures import load_all
from tensorferry.rules import rules_by_code

ROOT = Path(__file__).resolve().parents[1]
SAFE = (LegacyTensor, NegativeStride, CpuDetach, Pack)


def fix_text(source: str, rules=SAFE, unsafe: bool = False) -> str:
    result = fix_source(source, "t.py", rules, unsafe=unsafe)
    assert result.error is None
    return result.source


def fix_args(*argv: str):
    from tensorferry.cli import build_parser

    return build_parser().parse_args(["fix", *argv])


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``tensorferry fix`` in-process with the test rules; returns (exit code, stdout, stderr)."""
    rc = fixrules.main(["fix", *argv])
    out, err = capsys.readouterr()
    return rc, out, err


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(ROOT / "tests")] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def snapshot(path: Path) -> tuple[bytes, int, int, int]:
    st = path.stat()
    return path.read_bytes(), st.st_mtime_ns, st.st_ino, stat.S_IMODE(st.st_mode)


# -- golden files from the rule fixtures -------------------------------------------------------
# tests/test_fixtures.py checks fix_source against every golden file; here the same pairs go
# through the fix command and the file on disk.

def _golden_cases():
    for code, cases in load_all().items():
        for case in cases:
            if case.positive and case.fixed_path is not None and case.fixed_path.exists():
                yield pytest.param(code, case, id=case.id)


GOLDEN = list(_golden_cases())


@pytest.mark.parametrize("code,case", GOLDEN)
def test_golden_fixture_through_fix_command(tmp_path, capsys, code, case):
    path = tmp_path / case.path.name
    path.write_bytes(case.path.read_bytes())
    rc = fixer.run_fix(fix_args("--unsafe-fixes", str(path)), [rules_by_code()[code]])
    capsys.readouterr()
    assert rc in (0, 1)
    assert path.read_bytes() == case.fixed_path.read_bytes()
    before = snapshot(path)
    fixer.run_fix(fix_args("--unsafe-fixes", str(path)), [rules_by_code()[code]])
    assert snapshot(path) == before


@pytest.mark.parametrize("code,case", GOLDEN)
def test_no_safe_fix_left_after_safe_fix(code, case):
    rule = rules_by_code()[code]
    fixed = fix_source(case.source, str(case.path), [rule]).source
    left = lint_source(fixed, str(case.path), [rule]).diagnostics
    assert [d for d in left if d.fix and d.fix.applicability == "safe"] == []


# -- fixpoint, idempotence ---------------------------------------------------------------------

SAMPLES = {
    "legacy": "import torch\nx = torch.Tensor(a)\n",
    "alias": "import torch as T\nimport numpy as N\nx = T.from_numpy(a[::-1])\ny = T.Tensor([1])\n",
    "chain": "y = x.cpu().detach().cpu().detach().cpu().detach()\n",
    "imports": '"""Doc."""\n\nimport torch\n\n\ndef f(a):\n    return torch.from_numpy(a[::-1])\n',
    "pack": "if x:\n    pack(a, b)\n",
    "crlf": "import torch\r\nx = torch.Tensor(a)\r\npack(a, b)\r\n",
    "cr": "import torch\rx = torch.Tensor(a)\rpack(a, b)\r",
    "tabs": "import torch\nif x:\n\ty = torch.Tensor(a)\t# keep\n",
    "nofinal": "import torch\nx = torch.Tensor(a)",
    "trailing": "import torch\nx = torch.Tensor(a)\n\n ",
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_fix_is_idempotent(name):
    once = fix_text(SAMPLES[name])
    assert once != SAMPLES[name]
    assert fix_text(once) == once
    assert fix_source(once, "t.py", SAFE).fixed == []


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_no_safe_fixable_finding_after_fix(name):
    once = fix_text(SAMPLES[name])
    left = lint_source(once, "t.py", SAFE).diagnostics
    assert [d for d in left if d.fix and d.fix.applicability == "safe"] == []


def test_overlapping_fixes_reach_a_fixpoint():
    result = fix_source(SAMPLES["chain"], "t.py", [CpuDetach])
    assert result.source == "y = x.detach().detach().detach().cpu().cpu().cpu()\n"
    assert len(result.fixed) >= 3
    assert result.remaining == []


def test_fix_changes_only_the_edited_spans():
    src = "import torch  # c1\n\n# comment\nx = torch.Tensor( a )   # keep   spacing\ny =  1\n"
    assert fix_text(src) == (
        "import torch  # c1\n\n# comment\nx = torch.as_tensor(a, dtype=torch.get_default_dtype())"
        "   # keep   spacing\ny =  1\n"
    )


# -- imports a fix needs -----------------------------------------------------------------------

@pytest.mark.parametrize("src,expected", [
    pytest.param(
        "import torch as T\nimport numpy as N\nx = T.from_numpy(a[::-1])\n",
        "import torch as T\nimport numpy as N\nx = T.from_numpy(N.ascontiguousarray(a[::-1]))\n",
        id="existing-alias"),
    pytest.param(
        "import numpy\nimport torch\nx = torch.from_numpy(a[::-1])\n",
        "import numpy\nimport torch\nx = torch.from_numpy(numpy.ascontiguousarray(a[::-1]))\n",
        id="plain-import"),
    pytest.param(
        "import torch\n\nx = torch.from_numpy(a[::-1])\ny = torch.from_numpy(b[::-1])\n",
        "import torch\nimport numpy as np\n\nx = torch.from_numpy(np.ascontiguousarray(a[::-1]))\n"
        "y = torch.from_numpy(np.ascontiguousarray(b[::-1]))\n",
        id="added-once-after-last-import"),
    pytest.param(
        '"""Doc."""\n\n# about x\nx = T.from_numpy(a[::-1])\n',
        '"""Doc."""\nimport numpy as np\n\n# about x\nx = T.from_numpy(np.ascontiguousarray(a[::-1]))\n',
        id="after-docstring"),
    pytest.param(
        "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n@dec\ndef f(a):\n    return T.from_numpy(a[::-1])\n",
        "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\nimport numpy as np\n@dec\ndef f(a):\n"
        "    return T.from_numpy(np.ascontiguousarray(a[::-1]))\n",
        id="before-first-statement"),
    pytest.param(
        "import torch\nx = torch.from_numpy(a[::-1])\nimport numpy as np\n",
        "import torch\nimport numpy as np\nx = torch.from_numpy(np.ascontiguousarray(a[::-1]))\n"
        "import numpy as np\n",
        id="later-import-not-visible-yet"),
    pytest.param(
        "import torch\r\nx = torch.from_numpy(a[::-1])\r\n",
        "import torch\r\nimport numpy as np\r\nx = torch.from_numpy(np.ascontiguousarray(a[::-1]))\r\n",
        id="crlf"),
    pytest.param(
        "try:\n    import numpy as onp\nexcept ImportError:\n    onp = None\nx = T.from_numpy(a[::-1])\n",
        "try:\n    import numpy as onp\nexcept ImportError:\n    onp = None\n"
        "x = T.from_numpy(onp.ascontiguousarray(a[::-1]))\n",
        id="import-in-try"),
    pytest.param(
        "if TYPE_CHECKING:\n    import numpy as np\nx = T.from_numpy(a[::-1])\n",
        "import numpy as np\nif TYPE_CHECKING:\n    import numpy as np\n"
        "x = T.from_numpy(np.ascontiguousarray(a[::-1]))\n",
        id="type-checking-import-is-not-a-runtime-import"),
])
def test_fix_adds_the_import_it_needs(src, expected):
    assert fix_text(src) == expected


@pytest.mark.parametrize("src", [
    "import jax.numpy as np\nx = T.from_numpy(a[::-1])\n",
    "np = load()\nx = T.from_numpy(a[::-1])\n",
])
def test_no_fix_when_the_name_is_taken(src):
    result = fix_source(src, "t.py", [NegativeStride])
    assert result.source == src
    assert [d.code for d in result.remaining] == ["TNP992"]
    assert result.remaining[0].fix is None


def test_no_import_added_when_the_fix_is_not_applied():
    src = "import torch\nx = torch.from_numpy(a[::-1])  # noqa: TNP992\ny = torch.Tensor(a)\n"
    assert fix_text(src) == (
        "import torch\nx = torch.from_numpy(a[::-1])  # noqa: TNP992\n"
        "y = torch.as_tensor(a, dtype=torch.get_default_dtype())\n"
    )


def test_import_edit_is_part_of_the_reported_fix():
    src = "import torch\nx = torch.from_numpy(a[::-1])\n"
    (diag,) = lint_source(src, "t.py", [NegativeStride]).diagnostics
    contents = [e.content for e in diag.fix.edits]
    assert contents == ["np.ascontiguousarray(a[::-1])", "import numpy as np\n"]
    assert diag.fix.to_json()["edits"][1]["location"] == {"row": 2, "column": 1}


# -- bytes on disk -------------------------------------------------------------------------------

@pytest.mark.parametrize("raw,expected", [
    pytest.param(b"import torch\r\nx = torch.Tensor(a)\r\npack(a, b)\r\n",
                 b"import torch\r\nx = torch.as_tensor(a, dtype=torch.get_default_dtype())\r\n"
                 b"pack(\r\n    a,\r\n    b,\r\n)\r\n", id="crlf"),
    pytest.param(b"import torch\rx = torch.Tensor(a)\rpack(a, b)\r",
                 b"import torch\rx = torch.as_tensor(a, dtype=torch.get_default_dtype())\r"
                 b"pack(\r    a,\r    b,\r)\r", id="cr"),
    pytest.param(b"\xef\xbb\xbfimport torch\nx = torch.Tensor(a)  # \xc3\xa9\n",
                 b"\xef\xbb\xbfimport torch\nx = torch.as_tensor(a, dtype=torch.get_default_dtype())"
                 b"  # \xc3\xa9\n", id="utf8-bom"),
    pytest.param(b"# -*- coding: latin-1 -*-\nimport torch\nname = '\xe9t\xe9'\nx = torch.Tensor(a)\n",
                 b"# -*- coding: latin-1 -*-\nimport torch\nname = '\xe9t\xe9'\n"
                 b"x = torch.as_tensor(a, dtype=torch.get_default_dtype())\n", id="latin-1"),
    pytest.param(b"# coding: latin-1\ns = accent()  # \xe0\n",
                 b"# coding: latin-1\ns = \"\xe9\"  # \xe0\n", id="latin-1-fixed-text"),
    pytest.param(b"import torch\nif x:\n\ty = torch.Tensor(a)\t# keep\n\tz = 1\n",
                 b"import torch\nif x:\n\ty = torch.as_tensor(a, dtype=torch.get_default_dtype())"
                 b"\t# keep\n\tz = 1\n", id="tabs"),
    pytest.param(b"import torch\nx = torch.Tensor(a)",
                 b"import torch\nx = torch.as_tensor(a, dtype=torch.get_default_dtype())",
                 id="no-final-newline"),
    pytest.param(b"import torch\nx = torch.Tensor(a)\n\n ",
                 b"import torch\nx = torch.as_tensor(a, dtype=torch.get_default_dtype())\n\n ",
                 id="libcst-round-trip-trailing-whitespace"),
    pytest.param(b"import torch\r\nx = 1\ny = torch.Tensor(a)\r\n",
                 b"import torch\r\nx = 1\ny = torch.as_tensor(a, dtype=torch.get_default_dtype())\r\n",
                 id="mixed-newlines"),
])
def test_fix_preserves_bytes(tmp_path, capsys, raw, expected):
    path = tmp_path / "m.py"
    path.write_bytes(raw)
    rc, out, err = run(capsys, str(path))
    assert path.read_bytes() == expected
    assert rc == 0, (out, err)
    assert f"Rewriting {path}" in err


def test_fix_keeps_the_exec_bit(tmp_path, capsys):
    path = tmp_path / "tool.py"
    path.write_text("#!/usr/bin/env python\nimport torch\nx = torch.Tensor(a)\n")
    path.chmod(0o751)
    rc, _, _ = run(capsys, str(path))
    assert rc == 0
    assert "as_tensor" in path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o751


def test_fix_gives_the_file_back_to_its_owner(tmp_path, capsys, monkeypatch):
    """Run by another user (e.g. root), the rewritten file keeps the original owner and group."""
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.Tensor(a)\n")
    st = path.stat()
    calls = []
    monkeypatch.setattr(os, "getuid", lambda: st.st_uid + 1)
    monkeypatch.setattr(os, "chown", lambda p, uid, gid: calls.append((Path(p).parent, uid, gid)))
    rc, _, _ = run(capsys, str(path))
    assert rc == 0
    assert calls == [(tmp_path, st.st_uid, st.st_gid)]


def test_unchanged_file_is_not_touched(tmp_path, capsys):
    path = tmp_path / "clean.py"
    path.write_bytes(b"import torch\nx = torch.as_tensor(a)\n\n ")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    before = snapshot(path)
    rc, out, err = run(capsys, str(path))
    assert rc == 0
    assert snapshot(path) == before
    assert "Rewriting" not in err
    assert out == "All checks passed!\n"


def test_round_trip_quirk_with_unapplied_fix_leaves_file_alone(tmp_path, capsys):
    """libcst regenerates ``'...\\n\\n '`` without a line; a file no fix changes stays as it is."""
    path = tmp_path / "m.py"
    path.write_bytes(b"import torch\nt = torch.from_numpy(a)\n\n ")
    before = snapshot(path)
    rc, out, _ = run(capsys, str(path))
    assert rc == 1
    assert "TNP994" in out
    assert snapshot(path) == before


def test_fix_through_symlink_keeps_the_link(tmp_path, capsys):
    target = tmp_path / "real.py"
    target.write_text("import torch\nx = torch.Tensor(a)\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    rc, _, _ = run(capsys, str(link))
    assert rc == 0
    assert link.is_symlink()
    assert "as_tensor" in target.read_text()


def test_read_only_file_is_reported_not_written(tmp_path, capsys):
    path = tmp_path / "ro.py"
    path.write_text("import torch\nx = torch.Tensor(a)\n")
    path.chmod(0o444)
    before = snapshot(path)
    rc, out, err = run(capsys, str(path))
    assert rc == 2
    assert f"error: {path}: file is read-only; not rewritten" in err
    assert snapshot(path) == before
    assert "TNP991" in out  # the finding is still there
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ro.py"]


def test_read_only_folder_is_reported_not_written(tmp_path, capsys):
    folder = tmp_path / "pkg"
    folder.mkdir()
    path = folder / "m.py"
    path.write_text("import torch\nx = torch.Tensor(a)\n")
    other = tmp_path / "ok.py"
    other.write_text("import torch\nx = torch.Tensor(a)\n")
    before = snapshot(path)
    folder.chmod(0o555)
    try:
        rc, _, err = run(capsys, str(folder), str(other))
        assert rc == 2
        assert "read-only; not rewritten" in err
        assert snapshot(path) == before
        assert sorted(p.name for p in folder.iterdir()) == ["m.py"]
        assert "as_tensor" in other.read_text()  # the other file is still fixed
    finally:
        folder.chmod(0o755)


def test_file_changed_on_disk_is_not_overwritten(tmp_path, capsys, monkeypatch):
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.Tensor(a)\n")
    edited = "import torch\nx = torch.Tensor(b)  # edited meanwhile\n"
    real_fix_source = fixer.fix_source

    def fix_then_edit(*args, **kwargs):
        result = real_fix_source(*args, **kwargs)
        path.write_text(edited)  # someone saves the file while the fixer works
        return result

    monkeypatch.setattr(fixer, "fix_source", fix_then_edit)
    rc, _, err = run(capsys, str(path))
    assert rc == 2
    assert "changed on disk since it was read; not overwritten" in err
    assert path.read_text() == edited
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]


def test_failed_write_leaves_original_and_no_temp_file(tmp_path, capsys, monkeypatch):
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.Tensor(a)\n")
    before = snapshot(path)

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    rc, out, err = run(capsys, str(path))
    assert rc == 2
    assert f"error: {path}: cannot write: Permission denied" in err
    assert snapshot(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]
    assert "Found 1 error (0 fixed, 1 remaining)." in out


def test_fixed_text_the_encoding_cannot_hold_is_not_written(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_bytes(b"# coding: ascii\ns = accent()\n")
    before = snapshot(path)
    rc, out, _ = run(capsys, str(path))
    assert rc == 2
    assert "cannot be encoded as ascii" in out
    assert snapshot(path) == before


# -- failing fixes ---------------------------------------------------------------------------------

def test_fix_that_does_not_parse_leaves_file_untouched(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.Tensor(a)\ny = broken()\n")
    before = snapshot(path)
    rc, out, _ = run(capsys, str(path))
    assert rc == 2
    assert snapshot(path) == before
    assert "TNP002" in out and "does not parse" in out
    assert f"{path}:2:5: TNP991" in out  # findings are those of the original text


def test_fix_that_never_settles_leaves_file_untouched(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text("x = endless()\n")
    before = snapshot(path)
    rc, out, _ = run(capsys, str(path))
    assert rc == 2
    assert snapshot(path) == before
    assert "TNP997 did not settle" in out


def test_rule_crash_is_reported_and_other_fixes_apply(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.Tensor(a)\ncrash()\n")
    rc, out, _ = run(capsys, str(path))
    assert rc == 2
    assert "internal error in TNP998: RuntimeError: boom" in out
    assert "as_tensor" in path.read_text()


def test_unparsable_file_is_reported_and_untouched(tmp_path, capsys):
    path = tmp_path / "bad.py"
    path.write_text("import torch\nx = torch.Tensor(a\n")
    before = snapshot(path)
    rc, out, _ = run(capsys, str(path))
    assert rc == 2
    assert "TNP001" in out
    assert snapshot(path) == before


def test_missing_path_is_an_error(tmp_path, capsys):
    rc, _, err = run(capsys, str(tmp_path / "nope.py"))
    assert rc == 2
    assert "no such file or directory" in err


# -- exit codes, summary, safety ----------------------------------------------------------------

def test_exit_0_when_everything_was_fixed(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.Tensor(a)\ny = x.cpu().detach()\n")
    rc, out, err = run(capsys, str(path))
    assert rc == 0
    assert out == "Found 2 errors (2 fixed, 0 remaining).\n"
    assert err == f"Rewriting {path}\n"


def test_unsafe_fixes_need_the_flag(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text("import torch\nt = torch.from_numpy(a)\nx = torch.Tensor(a)\n")
    rc, out, _ = run(capsys, "--output-format", "concise", str(path))
    assert rc == 1
    assert path.read_text() == (
        "import torch\nt = torch.from_numpy(a)\nx = torch.as_tensor(a, dtype=torch.get_default_dtype())\n")
    assert out.splitlines() == [
        f"{path}:2:5: TNP994 shares memory",
        "Found 2 errors (1 fixed, 1 remaining).",
        "1 more fixable with `--unsafe-fixes`.",
    ]
    rc, out, _ = run(capsys, "--unsafe-fixes", str(path))
    assert rc == 0
    assert "t = torch.tensor(a)" in path.read_text()
    assert out == "Found 1 error (1 fixed, 0 remaining).\n"


def test_exit_non_zero_on_fix(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.Tensor(a)\n")
    rc, _, _ = run(capsys, "--exit-non-zero-on-fix", str(path))
    assert rc == 1
    rc, _, _ = run(capsys, "--exit-non-zero-on-fix", str(path))
    assert rc == 0  # nothing left to change


def test_quiet_prints_findings_only(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text("import torch\nt = torch.from_numpy(a)\nx = torch.Tensor(a)\n")
    rc, out, err = run(capsys, "-q", "--output-format", "concise", str(path))
    assert rc == 1
    assert out == f"{path}:2:5: TNP994 shares memory\n"
    assert err == ""


def test_full_output_shows_remaining_findings_in_the_fixed_text(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.Tensor(a)\nt = torch.from_numpy(a)\n")
    rc, out, _ = run(capsys, str(path))
    assert rc == 1
    assert out.startswith(f"{path}:3:5: TNP994 shares memory\n")
    assert "2 | x = torch.as_tensor(a, dtype=torch.get_default_dtype())\n" in out
    assert "3 | t = torch.from_numpy(a)\n  |     ^^^^^^^^^^^^^^^^^^^ TNP994\n" in out


def test_configured_unsafe_fixes_and_excludes(tmp_path, capsys):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tensorferry]\nunsafe-fixes = true\nextend-exclude = ["generated"]\n')
    text = "import torch\nt = torch.from_numpy(a)\n"
    for rel in ("src/m.py", "generated/g.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    rc, _, err = run(capsys, "--jobs", "2", str(tmp_path))
    assert rc == 0, err
    assert (tmp_path / "src/m.py").read_text() == "import torch\nt = torch.tensor(a)\n"
    assert (tmp_path / "generated/g.py").read_text() == text
    (tmp_path / "src/m.py").write_text(text)
    rc, _, _ = run(capsys, "--no-unsafe-fixes", str(tmp_path / "src/m.py"))
    assert rc == 1
    assert (tmp_path / "src/m.py").read_text() == text
    rc, _, _ = run(capsys, str(tmp_path / "generated/g.py"))  # named on the command line
    assert rc == 0
    assert (tmp_path / "generated/g.py").read_text() == "import torch\nt = torch.tensor(a)\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_per_file_ignores_keep_their_fixes_out(tmp_path, capsys, jobs):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.tensorferry.per-file-ignores]\n"tests/*" = ["TNP303"]\n')
    text = "def f(x):\n    return x.cpu().detach()\n"
    for rel in ("src/m.py", "tests/t.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    rc = fixer.run_fix(fix_args("--jobs", jobs, str(tmp_path)), [rules_by_code()["TNP303"]])
    _, err = capsys.readouterr()
    assert rc == 0
    assert (tmp_path / "src/m.py").read_text() == "def f(x):\n    return x.detach().cpu()\n"
    assert (tmp_path / "tests/t.py").read_text() == text
    assert err == f"Rewriting {tmp_path / 'src/m.py'}\n"


def test_select_limits_the_fixes(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text("import torch\nx = torch.Tensor(a)\ny = x.cpu().detach()\n")
    rc, _, _ = run(capsys, "--select", "TNP993", str(path))
    assert rc == 0
    assert path.read_text() == "import torch\nx = torch.Tensor(a)\ny = x.detach().cpu()\n"


def test_parallel_and_serial_runs_agree(tmp_path, capsys):
    files = {
        "a.py": "import torch\nx = torch.Tensor(a)\n",
        "b.py": "import torch\nt = torch.from_numpy(a)\n",
        "c.py": "x = 1\n",
        "d.py": "import torch\nx = torch.Tensor(a\n",
        "e/f.py": "y = x.cpu().detach()\nt = torch.from_numpy(b[::-1])\n",
        "e/g.py": "y = broken()\n",
    }
    outputs = {}
    for jobs in ("1", "3"):
        root = tmp_path / f"j{jobs}"
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        rc, out, err = run(capsys, "--jobs", jobs, str(root))
        contents = {name: (root / name).read_text() for name in files}
        outputs[jobs] = (rc, out.replace(str(root), "ROOT"), err.replace(str(root), "ROOT"), contents)
    assert outputs["1"] == outputs["3"]
    rc, out, err, contents = outputs["3"]
    assert rc == 2
    assert err.splitlines() == ["Rewriting ROOT/a.py", "Rewriting ROOT/e/f.py"]
    assert contents["e/f.py"] == (
        "import numpy as np\ny = x.detach().cpu()\nt = torch.from_numpy(np.ascontiguousarray(b[::-1]))\n")


# -- --diff ----------------------------------------------------------------------------------------

def test_diff_prints_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = Path("m.py")
    path.write_text("import torch\nx = torch.Tensor(a)\nt = torch.from_numpy(a)")
    before = snapshot(path)
    rc, out, err = run(capsys, "--diff", "m.py")
    assert rc == 1
    assert snapshot(path) == before
    assert out == (
        "--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n import torch\n-x = torch.Tensor(a)\n"
        "+x = torch.as_tensor(a, dtype=torch.get_default_dtype())\n t = torch.from_numpy(a)\n"
        "\\ No newline at end of file\n"
    )
    assert err == "Would fix 1 error (1 more fixable with `--unsafe-fixes`).\n"


def test_diff_without_changes_exits_0(tmp_path, capsys):
    path = tmp_path / "m.py"
    path.write_text("import torch\nt = torch.from_numpy(a)\n")
    rc, out, err = run(capsys, "--diff", str(path))
    assert rc == 0
    assert out == ""
    assert err == "No errors would be fixed (1 more fixable with `--unsafe-fixes`).\n"


# -- stdin -------------------------------------------------------------------------------------------

def fix_subprocess(*argv: str, stdin: bytes | None = None, cwd: Path | None = None):
    return subprocess.run([sys.executable, "-m", "fixrules", "fix", *argv], input=stdin,
                          capture_output=True, cwd=cwd, env=subprocess_env(), timeout=120)


def test_stdin_writes_fixed_source_to_stdout():
    raw = b"\xef\xbb\xbfimport torch\r\nx = torch.Tensor(a)\r\nt = torch.from_numpy(a)"
    proc = fix_subprocess("--stdin-filename", "pkg/m.py", "-", stdin=raw)
    assert proc.stdout == (b"\xef\xbb\xbfimport torch\r\nx = torch.as_tensor(a, "
                           b"dtype=torch.get_default_dtype())\r\nt = torch.from_numpy(a)")
    assert proc.returncode == 1
    err = proc.stderr.decode()
    assert "pkg/m.py:3:5: TNP994 shares memory" in err
    assert "Found 2 errors (1 fixed, 1 remaining)." in err


def test_stdin_unchanged_is_echoed_exactly():
    raw = b"import torch\rx = torch.as_tensor(a)\r\n\n "
    proc = fix_subprocess("-", stdin=raw)
    assert proc.returncode == 0
    assert proc.stdout == raw


def test_stdin_with_failing_fix_echoes_the_original():
    raw = b"y = broken()\n"
    proc = fix_subprocess("-", stdin=raw)
    assert proc.returncode == 2
    assert proc.stdout == raw
    assert b"TNP002" in proc.stderr


def test_stdin_diff():
    proc = fix_subprocess("--diff", "--stdin-filename", "m.py", "-",
                          stdin=b"import torch\nx = torch.Tensor(a)\n")
    assert proc.returncode == 1
    assert proc.stdout.decode().startswith("--- a/m.py\n+++ b/m.py\n")


# -- the real command ------------------------------------------------------------------------------

def test_tensorferry_fix_command_end_to_end(tmp_path):
    """``python -m tensorferry fix`` with the registry's rules: rewrites, then nothing to do."""
    path = tmp_path / "m.py"
    original = "import torch\n\n\ndef f(x):\n    return x.cpu().detach()\n"
    path.write_text(original)
    cmd = [sys.executable, "-m", "tensorferry", "fix", "--select", "TNP303", str(path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=subprocess_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert path.read_text() == original.replace(".cpu().detach()", ".detach().cpu()")
    assert f"Rewriting {path}" in proc.stderr
    proc = subprocess.run(cmd, capture_output=True, text=True, env=subprocess_env(), timeout=120)
    assert proc.returncode == 0
    assert "Rewriting" not in proc.stderr


def test_unified_diff_labels():
    assert fixer.unified_diff("a\n", "b\n", "./pkg/m.py").startswith("--- a/pkg/m.py\n+++ b/pkg/m.py\n")
    assert fixer.unified_diff("a\n", "b\n", "/abs/m.py").startswith("--- a/abs/m.py\n")


def test_encode_round_trips_decode():
    for raw in (b"\xef\xbb\xbfx = 1\n", b"# coding: latin-1\nx = '\xe9'\r\n", b"x = 1"):
        src = decode(raw)
        assert fixer.encode(src, src.text) == raw

