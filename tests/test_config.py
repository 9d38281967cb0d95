"""`[tool.tensorferry]` in pyproject.toml: discovery, precedence, per-file-ignores, exclude, errors."""

from __future__ import annotations

import json
import textwrap

import pytest

from tensorferry.cli import main
from tensorferry.config import find_config, load_config, select_layered

HAZARD = (
    "import numpy as np\n"
    "import torch\n"
    "labels = np.array([1, 2, 3])\n"
    "y = torch.Tensor(labels)\n"
    "z = y.requires_grad_().cpu().detach()\n"
)


def run(capsys, *args):
    rc = main(list(args))
    out, err = capsys.readouterr()
    return rc, out, err


def codes(capsys, *args):
    rc, out, err = run(capsys, "check", "--output-format", "json", *args)
    assert rc in (0, 1), err
    return sorted({(d["filename"].replace("\\", "/").rsplit("/", 2)[-2:][-1], d["code"]) for d in json.loads(out)})


@pytest.fixture
def proj(tmp_path, monkeypatch):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text(HAZARD)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text(HAZARD)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(proj, body: str, name: str = "pyproject.toml"):
    path = proj / name
    path.write_text(textwrap.dedent(body))
    return path


def test_discovery_nearest_with_table(proj):
    write(proj, "[tool.tensorferry]\nselect = ['TNP1']\n")
    (proj / "src" / "pyproject.toml").write_text("[project]\nname = 'x'\n")  # no table: skipped
    assert find_config(proj / "src" / "a.py") == proj / "pyproject.toml"
    (proj / "src" / "pyproject.toml").write_text("[tool.tensorferry]\nselect = ['TNP3']\n")
    assert find_config(proj / "src" / "a.py") == proj / "src" / "pyproject.toml"
    assert find_config(proj / "tests") == proj / "pyproject.toml"


def test_discovery_reads_only_files_that_can_name_the_table(proj, capsys):
    write(proj, "[tool.tensorferry]\nselect = ['TNP3']\n")
    # a nearer file that cannot configure tensorferry is skipped without being parsed, even
    # when it is not valid TOML (it belongs to other tools)
    (proj / "src" / "pyproject.toml").write_text("[project\nname = 'x'\n")
    assert find_config(proj / "src" / "a.py") == proj / "pyproject.toml"
    assert codes(capsys, "src") == [("a.py", "TNP303")]
    # one that names the table, or could through a unicode escape in a quoted key, is parsed
    (proj / "src" / "pyproject.toml").write_text('[tool."tensorferr\\u0079"]\nselect = ["TNP101"]\n')
    assert find_config(proj / "src" / "a.py") == proj / "src" / "pyproject.toml"
    assert codes(capsys, "src") == [("a.py", "TNP101")]
    (proj / "src" / "pyproject.toml").write_text("[tool.tensorferry\n")
    rc, out, err = run(capsys, "check", "src")
    assert rc == 2 and "invalid TOML" in err and out == ""


@pytest.mark.parametrize("body", [
    "[tool.tensorferry]\nselect = ['TNP3']\n",
    "[ tool . 'tensorferry' ]\nselect = ['TNP3']\n",
    '["tool".tensorferry]\nselect = ["TNP3"]\n',
    "[tool]\ntensorferry = { select = ['TNP3'] }\n",
    "[tool]\ntensorferry.select = ['TNP3']\n",
    "tool.tensorferry.select = ['TNP3']\n",
    "tool = { tensorferry = { select = ['TNP3'] } }\n",
    "[project]\nname = 'x'\n\n[tool.tensorferry]\nselect = ['TNP3']\n",
])
def test_every_toml_form_of_the_table_is_found(proj, body):
    path = write(proj, body)
    assert find_config(proj / "src" / "a.py") == path
    assert load_config(path).select == ["TNP3"]


@pytest.mark.parametrize("body", [
    '[project]\nname = "tensorferry-demo"\ndependencies = ["tensorferry>=0.1"]\n',
    '[project.scripts]\ntensorferry = "tensorferry.cli:main"\n',
    '[tool.ruff]\nextend-exclude = ["tensorferry_cache"]\n',
])
def test_a_file_that_names_tensorferry_elsewhere_is_not_parsed(proj, monkeypatch, body):
    import tensorferry.config as config

    def parse(*a):
        raise AssertionError("parsed a file that cannot name the table")

    monkeypatch.setattr(config, "_parse", parse)
    write(proj, body)
    assert find_config(proj / "src" / "a.py") is None


def test_config_not_utf8_is_a_clear_error(proj, capsys):
    (proj / "pyproject.toml").write_bytes(b"[tool.tensorferry]\nselect = ['TNP3'] # \xff\n")
    rc, out, err = run(capsys, "check", "src")
    assert rc == 2 and "invalid TOML: not UTF-8" in err and "Traceback" not in err


def test_config_selects(proj, capsys):
    assert codes(capsys, ".") == [("a.py", "TNP101"), ("a.py", "TNP303"),
                                  ("test_a.py", "TNP101"), ("test_a.py", "TNP303")]
    write(proj, "[tool.tensorferry]\nselect = ['TNP3']\n")
    assert codes(capsys, ".") == [("a.py", "TNP303"), ("test_a.py", "TNP303")]
    # found upward from the first path, not the cwd
    (proj / "src" / "pyproject.toml").write_text("[tool.tensorferry]\nignore = ['TNP3']\n")
    assert codes(capsys, "src") == [("a.py", "TNP101")]


def test_cli_overrides_file(proj, capsys):
    write(proj, "[tool.tensorferry]\nselect = ['TNP1', 'TNP3']\nignore = ['TNP101']\n")
    assert codes(capsys, "src") == [("a.py", "TNP303")]
    # --select starts over: the file's ignore no longer applies (ruff's example)
    assert codes(capsys, "--select", "TNP101", "src") == [("a.py", "TNP101")]
    # --extend-select adds to the file's selection, more specific than the file's ignore
    assert codes(capsys, "--extend-select", "TNP101", "src") == [("a.py", "TNP101"), ("a.py", "TNP303")]
    # --ignore adjusts the file's selection
    assert codes(capsys, "--ignore", "TNP3", "src") == []


def test_rule_codes_come_from_module_names_without_imports():
    import subprocess
    import sys

    from tensorferry.rules import all_codes, all_rules

    assert all_codes() == tuple(r.code for r in all_rules())
    code = ("import sys; from tensorferry.config import select_layered; "
            "s = select_layered([(['TNP3'], [], ['TNP303'])]); "
            "print(s.codes, len(s), any(m.startswith('tensorferry.rules.tnp') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split(") ")[-1].split() == ["4", "False"]
    assert "TNP303" not in out.stdout and "TNP301" in out.stdout


def test_layering_unit():
    from tensorferry.rules import all_rules

    every = [r.code for r in all_rules()]
    assert [r.code for r in select_layered([])] == every
    got = [r.code for r in select_layered([(["TNP1"], [], ["TNP102"]), (None, ["TNP303"], [])])]
    assert got == sorted([c for c in every if c.startswith("TNP1") and c != "TNP102"] + ["TNP303"])
    got = [r.code for r in select_layered([(None, [], ["TNP"]), (None, ["TNP3"], ["TNP303"])])]
    assert got == [c for c in every if c.startswith("TNP3") and c != "TNP303"]


def test_extend_select_in_file(proj, capsys):
    write(proj, "[tool.tensorferry]\nselect = ['TNP3']\nextend-select = ['TNP101']\n")
    assert codes(capsys, "src") == [("a.py", "TNP101"), ("a.py", "TNP303")]


def test_per_file_ignores(proj, capsys):
    write(proj, """
        [tool.tensorferry.per-file-ignores]
        "tests/*" = ["TNP1"]
        "a.py" = ["TNP303"]
    """)
    assert codes(capsys, ".") == [("a.py", "TNP101"), ("test_a.py", "TNP303")]
    # relative to the configuration file, whatever the cwd
    rc, out, _ = run(capsys, "check", "--output-format", "json", str(proj / "tests"))
    assert [d["code"] for d in json.loads(out)] == ["TNP303"]


def test_per_file_ignores_keep_parse_errors(proj, capsys):
    write(proj, '[tool.tensorferry.per-file-ignores]\n"*.py" = ["TNP"]\n')
    (proj / "src" / "broken.py").write_text("import torch\nx = torch.Tensor(\n")
    rc, out, _ = run(capsys, "check", "--output-format", "json", "src")
    assert rc == 2 and [d["code"] for d in json.loads(out)] == ["TNP001"]


def test_exclude(proj, capsys):
    (proj / "src" / "generated").mkdir()
    (proj / "src" / "generated" / "g.py").write_text(HAZARD)
    write(proj, "[tool.tensorferry]\nexclude = ['tests']\nextend-exclude = ['src/generated']\n")
    assert codes(capsys, ".") == [("a.py", "TNP101"), ("a.py", "TNP303")]
    # an explicit file argument is checked even when excluded
    assert codes(capsys, "tests/test_a.py") == [("test_a.py", "TNP101"), ("test_a.py", "TNP303")]
    # --exclude replaces the file's exclude; extend-exclude still applies
    got = codes(capsys, "--exclude", "a.py", ".")
    assert got == [("test_a.py", "TNP101"), ("test_a.py", "TNP303")]
    got = codes(capsys, "--extend-exclude", "test_*.py", "--exclude", "nothing", ".")
    assert got == [("a.py", "TNP101"), ("a.py", "TNP303")]


def test_output_format_and_unsafe_fixes_from_file(proj, capsys):
    write(proj, "[tool.tensorferry]\noutput-format = 'concise'\nunsafe-fixes = true\n")
    (proj / "u.py").write_text("import torch\nimport numpy as np\ndef f():\n    a = np.zeros(3)\n"
                               "    t = torch.from_numpy(a)\n    a[0] = 1\n    return t\n")
    rc, out, _ = run(capsys, "check", "u.py")
    assert out.splitlines()[0].startswith("u.py:6:5: TNP201 ")
    assert "1 fixable with `tensorferry fix --unsafe-fixes`" in out
    rc, out, _ = run(capsys, "check", "--no-unsafe-fixes", "--output-format", "full", "u.py")
    assert "6 |     a[0] = 1" in out and "1 hidden fix can be enabled" in out


@pytest.mark.parametrize("body,fragment", [
    ("[tool.tensorferry]\nselct = ['TNP1']\n", "unknown key `selct` in [tool.tensorferry]"),
    ("[tool.tensorferry]\nextend_select = ['TNP1']\n", "(did you mean `extend-select`?)"),
    ("[tool.tensorferry]\nselect = ['TNP999']\n", "`select` in [tool.tensorferry]: unknown rule code or prefix: TNP999"),
    ("[tool.tensorferry]\nignore = ['XYZ']\n", "`ignore` in [tool.tensorferry]: unknown rule code or prefix: XYZ"),
    ('[tool.tensorferry.per-file-ignores]\n"a.py" = ["TNP9"]\n', "unknown rule code or prefix: TNP9"),
    ("[tool.tensorferry]\nselect = 'TNP1'\n", "`select` in [tool.tensorferry] must be a list"),
    ("[tool.tensorferry]\nunsafe-fixes = 'yes'\n", "`unsafe-fixes` in [tool.tensorferry] must be true or false"),
    ("[tool.tensorferry]\noutput-format = 'xml'\n", "`output-format` in [tool.tensorferry] must be one of"),
    ("[tool.tensorferry\n", "invalid TOML"),
])
def test_config_errors_exit_2_naming_key_and_file(proj, capsys, body, fragment):
    path = write(proj, body)
    rc, out, err = run(capsys, "check", "src")
    assert rc == 2
    assert fragment in err
    assert str(path) in err
    assert out == ""


def test_config_flag_and_isolated(proj, capsys):
    write(proj, "[tool.tensorferry]\nselect = ['TNP3']\n")
    other = write(proj, "[tool.tensorferry]\nselect = ['TNP101']\n", name="other.toml")
    assert codes(capsys, "src") == [("a.py", "TNP303")]
    assert codes(capsys, "--config", str(other), "src") == [("a.py", "TNP101")]
    assert codes(capsys, "--isolated", "src") == [("a.py", "TNP101"), ("a.py", "TNP303")]
    # --isolated also skips a broken file
    write(proj, "[tool.tensorferry]\nbogus = 1\n")
    assert run(capsys, "check", "src")[0] == 2
    assert codes(capsys, "--isolated", "src") == [("a.py", "TNP101"), ("a.py", "TNP303")]
    rc, _, err = run(capsys, "check", "--config", str(proj / "missing.toml"), "src")
    assert rc == 2 and "missing.toml" in err
    (proj / "plain.toml").write_text("[project]\nname = 'x'\n")
    rc, _, err = run(capsys, "check", "--config", str(proj / "plain.toml"), "src")
    assert rc == 2 and "no [tool.tensorferry] table" in err


def test_unknown_cli_code_is_usage_error(proj, capsys):
    rc, _, err = run(capsys, "check", "--ignore", "TNP9", "src")
    assert rc == 2 and "unknown rule code or prefix: TNP9" in err


def test_load_config_fields(proj):
    path = write(proj, """
        [tool.tensorferry]
        select = ["tnp1"]
        extend-exclude = ["build2"]
        [tool.tensorferry.per-file-ignores]
        "tests/*" = ["TNP303"]
    """)
    cfg = load_config(path)
    assert cfg.select == ["TNP1"] and cfg.root == proj.resolve()
    assert cfg.per_file_ignores == {"tests/*": ["TNP303"]} and cfg.all_excludes == ["build2"]


def test_a_root_given_as_a_string_matches_as_a_path(tmp_path, monkeypatch):
    import os

    from tensorferry.config import Config, is_excluded, resolve_config

    f = str(tmp_path / "gen" / "sub" / "a.py")
    for pattern, expected in [("gen", True), ("gen/sub/*.py", True), ("a.py", True), ("other", False)]:
        assert is_excluded(f, [pattern], str(tmp_path)) is expected
        assert is_excluded(f, [pattern], tmp_path) is expected
    monkeypatch.chdir(tmp_path)
    assert os.path.samefile(Config().root, tmp_path)
    assert os.path.samefile(resolve_config([str(tmp_path)], isolated=True).root, tmp_path)
