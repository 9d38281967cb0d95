"""The pre-commit hooks, through the real ``pre-commit try-repo`` and ``pre-commit run``.

The hook repository is a temporary git repository holding this checkout's files (committed, as
try-repo installs from a commit); the target is a scratch repository. git and pre-commit run
with a temporary HOME and PRE_COMMIT_HOME, so no user state is read or written. Building a hook
environment installs the package from that repository (hatchling and the dependencies come from
the package index): once for the try-repo run, once for the configured runs, which share a store.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

HAZARD = "import torch\n\n\ndef to_host(x):\n    return x.cpu().detach()\n"
FIXED = "import torch\n\n\ndef to_host(x):\n    return x.detach().cpu()\n"


def pre_commit_command() -> list[str]:
    """pre-commit from the test environment (the `test` extra installs it)."""
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    for candidate in (shutil.which("pre-commit"), ROOT / ".venv" / "bin" / "pre-commit"):
        if candidate and os.access(candidate, os.X_OK):
            return [str(candidate)]
    pytest.fail("pre-commit is not installed: install the `test` extra (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    base = tmp_path_factory.mktemp("precommit")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GIT_", "PRE_COMMIT", "VIRTUAL_ENV"))}
    env.update(
        HOME=str(base / "home"),
        XDG_CACHE_HOME=str(base / "cache"),
        PRE_COMMIT_HOME=str(base / "pre-commit-home"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com",
    )
    env.pop("PYTHONPATH", None)  # the hooks must run the installed package
    (base / "home").mkdir()
    return base, env


def git(env, cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "init.defaultBranch=main", *args], cwd=cwd, env=env,
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def hook_repo(sandbox) -> Path:
    """This checkout's files (tracked and not ignored), committed in a repository of their own."""
    base, env = sandbox
    repo = base / "hook-repo"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            dst = repo / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    git(env, repo, "init", "-q")
    git(env, repo, "add", "-A")
    git(env, repo, "commit", "-q", "-m", "hooks")
    return repo


def target(sandbox, name: str, files: dict[str, str]) -> Path:
    base, env = sandbox
    repo = base / name
    repo.mkdir()
    git(env, repo, "init", "-q")
    for rel, text in files.items():
        (repo / rel).write_text(text)
    git(env, repo, "add", "-A")
    return repo


STATUS_RE = re.compile(r"^(?P<name>.+?)\.{3,}(?P<status>Passed|Failed|\(no files to check\)Skipped)$",
                       re.M)


def try_repo(sandbox, hook_repo: Path, cwd: Path, *extra: str):
    """``pre-commit try-repo HOOK_REPO`` (every hook in it, in manifest order) in ``cwd``."""
    _, env = sandbox
    proc = subprocess.run([*pre_commit_command(), "try-repo", str(hook_repo), *extra],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    # try-repo installs into a store of its own each time, so each call builds the hook
    # environment; each scenario runs once and its tests share the result.
    return proc, {m["name"]: m["status"] for m in STATUS_RE.finditer(proc.stdout)}


def section(stdout: str, name: str) -> str:
    """The output pre-commit printed for one hook (its status line up to the next hook's)."""
    starts = [m for m in STATUS_RE.finditer(stdout)]
    for i, m in enumerate(starts):
        if m["name"] == name:
            end = starts[i + 1].start() if i + 1 < len(starts) else len(stdout)
            return stdout[m.start():end]
    raise AssertionError(f"no output for hook {name!r}:\n{stdout}")


@pytest.fixture(scope="module")
def hazard(sandbox, hook_repo):
    repo = target(sandbox, "hazard", {"m.py": HAZARD, "README.md": "x\n"})
    return repo, *try_repo(sandbox, hook_repo, repo, "--all-files")


def run_configured(sandbox, hook_repo: Path, name: str, files: dict[str, str], *extra: str):
    """``pre-commit run`` with a ``.pre-commit-config.yaml`` like the one users paste.

    Unlike try-repo these runs share PRE_COMMIT_HOME, so the hook environment is built once.
    """
    _, env = sandbox
    rev = git(env, hook_repo, "rev-parse", "HEAD").strip()
    config = (f"repos:\n  - repo: {hook_repo}\n    rev: {rev}\n    hooks:\n"
              "      - id: tensorferry\n      - id: tensorferry-fix\n")
    repo = target(sandbox, name, {**files, ".pre-commit-config.yaml": config})
    proc = subprocess.run([*pre_commit_command(), "run", *extra], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=900)
    return repo, proc, {m["name"]: m["status"] for m in STATUS_RE.finditer(proc.stdout)}


@pytest.fixture(scope="module")
def clean(sandbox, hook_repo):
    return run_configured(sandbox, hook_repo, "clean", {"m.py": FIXED, "stub.pyi": "x: int\n"},
                          "--all-files")


@pytest.fixture(scope="module")
def no_python(sandbox, hook_repo):
    # No --all-files: the staged files, as on a commit.
    return run_configured(sandbox, hook_repo, "no-python", {"README.md": "x.cpu().detach()\n"})


def test_manifest_is_valid():
    proc = subprocess.run([*pre_commit_command(), "validate-manifest", ".pre-commit-hooks.yaml"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_manifest_hooks():
    import yaml

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["tensorferry"]["entry"] == "tensorferry check"
    assert hooks["tensorferry-fix"]["entry"] == "tensorferry fix"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi"]
        assert hook["require_serial"] is True
        assert hook["minimum_pre_commit_version"] == "2.9.2"


def test_check_hook_fails_on_a_hazard(hazard):
    repo, proc, status = hazard
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert status["tensorferry"] == "Failed"
    out = section(proc.stdout, "tensorferry")
    assert "- exit code: 1" in out
    assert "m.py:5:12: TNP303" in out


def test_fix_hook_rewrites_and_fails(hazard):
    repo, proc, status = hazard
    assert status["tensorferry (fix)"] == "Failed"
    out = section(proc.stdout, "tensorferry (fix)")
    assert "files were modified by this hook" in out
    assert "Rewriting m.py" in out
    assert (repo / "m.py").read_text() == FIXED


def test_hooks_pass_on_clean_files(clean):
    repo, proc, status = clean
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert status == {"tensorferry": "Passed", "tensorferry (fix)": "Passed"}
    assert (repo / "m.py").read_text() == FIXED


def test_hooks_pass_on_a_commit_without_python_files(no_python):
    repo, proc, status = no_python
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert status == {"tensorferry": "(no files to check)Skipped",
                      "tensorferry (fix)": "(no files to check)Skipped"}


def test_hook_environment_has_no_torch(sandbox, clean):
    """The hooks install tensorferry and its dependencies, never torch."""
    base, _ = sandbox
    site = list((base / "pre-commit-home").glob("repo*/py_env-*/lib/python*/site-packages"))
    assert site, "no hook environment found"
    for folder in site:
        installed = {p.name.lower() for p in folder.iterdir()}
        assert "tensorferry" in installed
        assert "libcst" in installed
        assert not {"torch", "numpy"} & installed
