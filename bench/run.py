#!/usr/bin/env python3
"""Real-corpus benchmark: tensorferry against flake8, TorchFix and the ast.parse floor.

Usage (from the repository root)::

    python3 bench/run.py                       # 10% and 1% samples, writes docs/performance.md
    python3 bench/run.py --samples 10 --full   # also the full corpus
    python3 bench/run.py --rounds 3            # each command 3 times in rotated order: medians

What it does:

1. Downloads the pinned corpus (``--pins``, default ``../shared/corpus/dev.txt``, checked against
   ``dev.sha256``) from PyPI into ``.cache/corpus`` and unpacks it.
2. Builds deterministic samples: every Nth ``.py`` file in sorted path order (hard links under
   ``.cache/bench/sampleN``).
3. Creates one virtual environment per tool so no plugin leaks into another: tensorferry (also
   used for flake8 + the TNP plugin), plain flake8 (pyflakes + pycodestyle + mccabe, no plugins),
   TorchFix 0.7.0.
4. Runs every tool on the same files in one run and measures user+sys CPU of the whole process
   tree (``os.wait4`` rusage, which includes reaped workers), wall time and peak RSS, then prints
   the ratios and writes them to ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
CORPUS = CACHE / "corpus"
BENCH = CACHE / "bench"
FLAKE8 = "flake8==7.5.0"
TORCHFIX = "torchfix==0.7.0"


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def fetch_corpus(pins: Path, sums: Path) -> Path:
    wheels = CORPUS / "wheels"
    src = CORPUS / "src"
    wheels.mkdir(parents=True, exist_ok=True)
    expected = {}
    for line in sums.read_text().splitlines():
        if line.strip():
            digest, name = line.split()
            expected[name] = digest
    for pin in pins.read_text().split():
        name, version = pin.split("==")
        have = [w for w in wheels.glob("*.whl") if w.name.lower().startswith(name.lower().replace("-", "_") + "-" + version)]
        if not have:
            sh([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary", ":all:",
                "--python-version", "3.11", "--implementation", "py", "--abi", "none", "--platform", "any",
                "-d", str(wheels), pin])
    for whl in sorted(wheels.glob("*.whl")):
        digest = hashlib.sha256(whl.read_bytes()).hexdigest()
        if expected.get(whl.name) != digest:
            raise SystemExit(f"sha256 mismatch for {whl.name}: {digest}")
        target = src / whl.stem
        if not target.exists():
            with zipfile.ZipFile(whl) as zf:
                zf.extractall(target)
    return src


def corpus_files(src: Path) -> list[Path]:
    return sorted(p for p in src.rglob("*.py") if p.is_file())


def make_sample(files: list[Path], src: Path, every: int) -> Path:
    out = BENCH / f"sample{every}"
    if out.exists():
        shutil.rmtree(out)
    for p in files[::every]:
        dest = out / p.relative_to(src)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(p, dest)
        except OSError:
            shutil.copy2(p, dest)
    return out


def source_digest() -> str:
    """A digest of what the tensorferry venv is built from, so a changed checkout reinstalls."""
    h = hashlib.sha256()
    for p in sorted([ROOT / "pyproject.toml", *(ROOT / "src").rglob("*.py")]):
        h.update(str(p.relative_to(ROOT)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:16]


def baseline_tree(ref: str) -> tuple[str, Path]:
    """The commit ``ref`` (short hash) and its files, unpacked once with ``git archive`` under
    ``.cache/bench``."""
    commit = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.strip()
    tree = BENCH / f"baseline-{commit}"
    if not tree.exists():
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    return commit, tree


def venv(name: str, *packages: str, digest: str = "") -> Path:
    path = BENCH / "venvs" / name
    py = path / "bin" / "python"
    marker = path / ".installed"
    want = " ".join(packages) + (f" @{digest}" if digest else "")
    if not marker.exists() or marker.read_text() != want:
        if path.exists():
            shutil.rmtree(path)
        sh([sys.executable, "-m", "venv", str(path)])
        sh([str(py), "-m", "pip", "install", "-q", *packages])
        marker.write_text(want)
    return path


@dataclass
class Run:
    label: str
    cpu: float  # seconds, user+sys of the process tree (the median, over several runs)
    wall: float
    rss_mb: float
    rc: int
    cpu_min: float = 0.0  # over several runs: the spread of CPU
    cpu_max: float = 0.0
    n: int = 1  # how many runs
    cpus: tuple = ()  # over several runs: the CPU of each, round by round


def measure(label: str, cmd: list[str], cwd: Path | None = None) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    rc = os.waitstatus_to_exitcode(status)
    if rc not in (0, 1):
        print(f"  {label}: exit {rc}\n{err[-2000:]}", file=sys.stderr)
    return Run(label, usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss / 1024, rc)


FLOOR = """
import ast, sys, pathlib
for p in sorted(pathlib.Path(sys.argv[1]).rglob('*.py')):
    try:
        ast.parse(p.read_bytes())
    except (SyntaxError, ValueError):
        pass
"""


def bench_sample(sample: Path, tf: Path, plain: Path, torchfix: Path | None, jobs: int,
                 base: tuple[str, Path] | None = None, rounds: int = 1) -> list[Run]:
    """Every tool on ``sample``. With ``rounds`` above 1 each command runs that many times,
    the order rotated by one place per round so that a slow spell of the machine falls on
    different tools, and a tool's CPU and wall time are the medians of its runs (its peak RSS
    the largest); TorchFix runs once."""
    lines = sum(p.read_bytes().count(b"\n") for p in sample.rglob("*.py"))
    nfiles = sum(1 for _ in sample.rglob("*.py"))
    print(f"{sample.name}: {nfiles} files, {lines} lines")
    cache_dir = BENCH / "tf-cache"
    shutil.rmtree(cache_dir, ignore_errors=True)
    tfc = str(tf / "bin" / "tensorferry")
    commands = [
        ("ast.parse floor", [str(tf / "bin" / "python"), "-c", FLOOR, str(sample)]),
        ("tensorferry check (cold)", [tfc, "check", "--no-cache", "--exit-zero", "-q", "-j", str(jobs), str(sample)]),
    ]
    help_text = subprocess.run([tfc, "check", "--help"], capture_output=True, text=True).stdout
    if "--cache-dir" in help_text:
        warm = [tfc, "check", "--cache-dir", str(cache_dir), "--exit-zero", "-q", "-j", str(jobs), str(sample)]
        measure("warm-up", warm)  # fills the cache; the cold runs do not touch it
        commands.append(("tensorferry check (warm)", warm))
    commands += [
        ("flake8 + TNP plugin", [str(tf / "bin" / "flake8"), "--exit-zero", "-j", str(jobs), str(sample)]),
        ("flake8 (plain)", [str(plain / "bin" / "flake8"), "--exit-zero", "-j", str(jobs), str(sample)]),
    ]
    if base is not None:
        ref, bv = base
        commands += [
            (f"tensorferry check (cold, {ref})", [str(bv / "bin" / "tensorferry"), "check", "--no-cache",
                                                  "--exit-zero", "-q", "-j", str(jobs), str(sample)]),
            (f"flake8 + TNP plugin ({ref})", [str(bv / "bin" / "flake8"), "--exit-zero", "-j", str(jobs),
                                              str(sample)]),
        ]
    measured: dict[str, list[Run]] = {label: [] for label, _ in commands}
    for k in range(rounds):
        for label, cmd in commands[k % len(commands):] + commands[:k % len(commands)]:
            measured[label].append(measure(label, cmd))
    runs = [_median(label, found) for label, found in measured.items()]
    if torchfix is not None:
        runs.append(measure("torchfix --select ALL", [str(torchfix / "bin" / "torchfix"), "--select", "ALL",
                                                      str(sample)]))
    for r in runs:
        spread = f"  (cpu {r.cpu_min:.2f}-{r.cpu_max:.2f} s in {r.n} runs)" if r.n > 1 else ""
        print(f"  {r.label:<28} cpu {r.cpu:8.2f} s  wall {r.wall:8.2f} s  peak rss {r.rss_mb:7.1f} MB  "
              f"rc {r.rc}{spread}")
    runs.insert(0, Run(f"{nfiles} files, {lines} lines", 0, 0, 0, 0))
    SIZES[sample.name] = (nfiles, lines)
    return runs


def _median(label: str, found: list[Run]) -> Run:
    cpus = [r.cpu for r in found]
    return Run(label, statistics.median(cpus), statistics.median(r.wall for r in found),
               max(r.rss_mb for r in found), max(found, key=lambda r: abs(r.rc)).rc,
               min(cpus), max(cpus), len(found), tuple(cpus))


SIZES: dict[str, tuple[int, int]] = {}
SIZES_BY_NAME: dict[str, tuple[int, int]] = {}
NOTES_MARK = "<!-- end of the generated part: the text below is kept by bench/run.py -->"


IMPORT = """
import time
t = time.perf_counter(); c = time.process_time()
import tensorferry.flake8_plugin
from tensorferry.rules import all_rules
all_rules()
print(time.process_time() - c, time.perf_counter() - t)
"""


def import_cost(tf: Path, repeat: int = 7) -> tuple[float, float]:
    """Best-of CPU and wall seconds to import the flake8 plugin module and the rule registry."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        out = subprocess.run([str(tf / "bin" / "python"), "-c", IMPORT], capture_output=True, text=True, check=True)
        cpu, wall = map(float, out.stdout.split())
        best = (min(best[0], cpu), min(best[1], wall))
    return best


def ratios(runs: list[Run]) -> list[tuple[str, float | None, str]]:
    by = {r.label: r for r in runs}
    cold = by.get("tensorferry check (cold)")
    out = []

    def ratio(a, b):
        return (a.cpu / b.cpu) if a and b and b.cpu > 0 else None

    def paired(a, b):
        """The ratio in each round (the two commands ran one after the other there, so a slow
        spell of the shared machine falls on both): (median, lowest, highest), or None."""
        if not a or not b or len(a.cpus) < 2 or len(a.cpus) != len(b.cpus):
            return None
        each = [x / y for x, y in zip(a.cpus, b.cpus) if y > 0]
        return (statistics.median(each), min(each), max(each)) if each else None

    out.append(("tensorferry cold / plain flake8 (target <= 0.5)", ratio(cold, by.get("flake8 (plain)")), "cpu"))
    out.append(("flake8+TNP / plain flake8 (target <= 1.25)", ratio(by.get("flake8 + TNP plugin"), by.get("flake8 (plain)")), "cpu"))
    out.append(("tensorferry cold / ast.parse floor (target <= 3)", ratio(cold, by.get("ast.parse floor")), "cpu"))
    floor_pairs = paired(cold, by.get("ast.parse floor"))
    if floor_pairs is not None:
        out.append(("tensorferry cold / ast.parse floor, round by round: median (lowest-highest)",
                    floor_pairs, "paired"))
    out.append(("torchfix / tensorferry cold (target >= 20)", ratio(by.get("torchfix --select ALL"), cold), "cpu"))
    out.append(("tensorferry warm / cold (target <= 0.1)", ratio(by.get("tensorferry check (warm)"), cold), "cpu"))
    for r in runs:
        if r.label.startswith("tensorferry check (cold, "):
            ref = r.label[len("tensorferry check (cold, "):-1]
            out.append((f"baseline {ref}: tensorferry cold / plain flake8", ratio(r, by.get("flake8 (plain)")), "cpu"))
            out.append((f"baseline {ref}: flake8+TNP / plain flake8",
                        ratio(by.get(f"flake8 + TNP plugin ({ref})"), by.get("flake8 (plain)")), "cpu"))
            out.append((f"baseline {ref}: tensorferry cold / ast.parse floor", ratio(r, by.get("ast.parse floor")), "cpu"))
            base_pairs = paired(r, by.get("ast.parse floor"))
            if base_pairs is not None:
                out.append((f"baseline {ref}: tensorferry cold / ast.parse floor, round by round",
                            base_pairs, "paired"))
            out.append((f"baseline {ref}: torchfix / tensorferry cold", ratio(by.get("torchfix --select ALL"), r), "cpu"))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pins", type=Path, default=ROOT.parent / "shared" / "corpus" / "dev.txt")
    ap.add_argument("--samples", type=int, nargs="*", default=[10, 100])
    ap.add_argument("--full", action="store_true", help="also run on the whole corpus (slow)")
    ap.add_argument("--no-torchfix", action="store_true")
    ap.add_argument("--baseline", metavar="GIT_REF",
                    help="also measure tensorferry as of this commit, side by side in the same run")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rounds", type=int, default=1,
                    help="run every command on the samples this many times, in rotated order, "
                         "and report the medians")
    ap.add_argument("--full-rounds", type=int, default=1, help="the same for --full")
    ap.add_argument("--write", type=Path, default=ROOT / "docs" / "performance.md")
    args = ap.parse_args()
    src = fetch_corpus(args.pins, args.pins.with_name("dev.sha256"))
    files = corpus_files(src)
    print(f"corpus: {len(files)} files")
    tf = venv("tensorferry", "-c", str(ROOT / "constraints.txt"), str(ROOT), digest=source_digest())
    plain = venv("flake8-plain", FLAKE8)
    torchfix = None if args.no_torchfix else venv("torchfix", TORCHFIX)
    base = None
    if args.baseline:
        commit, tree = baseline_tree(args.baseline)
        base = (commit, venv(f"tensorferry-{commit}", "-c", str(ROOT / "constraints.txt"), str(tree)))
    cost = import_cost(tf)
    print(f"plugin import: {cost[0] * 1000:.1f} ms CPU, {cost[1] * 1000:.1f} ms wall (best of 7)")
    results: dict[str, list[Run]] = {}
    for every in args.samples:
        # TorchFix is slow: run it on the 1% sample only
        results[f"every {every}th file"] = bench_sample(make_sample(files, src, every), tf, plain,
                                                        torchfix if every >= 100 else None, args.jobs, base,
                                                        args.rounds)
    if args.full:
        results["full corpus"] = bench_sample(src, tf, plain, None, args.jobs, base, args.full_rounds)
    SIZES_BY_NAME.update({name: SIZES[runs_sample] for name, runs_sample in zip(
        results, [f"sample{e}" for e in args.samples] + (["src"] if args.full else []))})
    write_report(args, results, cost)
    return 0


def _cell(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, tuple):  # a round-by-round ratio: median (lowest-highest)
        return f"{value[0]:.2f} ({value[1]:.2f}-{value[2]:.2f})"
    return f"{value:.2f}"


def write_report(args, results: dict[str, list[Run]], cost: tuple[float, float]) -> None:
    tfv = subprocess.run([str(BENCH / "venvs" / "tensorferry" / "bin" / "tensorferry"), "--version"],
                         capture_output=True, text=True).stdout.strip()
    lines = [
        "# Performance",
        "",
        f"Measured {dt.date.today().isoformat()} on {platform.machine()} {platform.system()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; {tfv}, {FLAKE8}, {TORCHFIX}.",
        "",
        "Command: `python3 bench/run.py " + " ".join(sys.argv[1:]) + "` (from the repository root).",
        "CPU is user+sys of the whole process tree; all tools ran in one benchmark run on the same "
        f"files with `-j {args.jobs}` where they support it. The machine is shared: compare ratios, "
        "not absolute times." + (
            f" On the samples every command but TorchFix ran {args.rounds} times"
            + (f" ({args.full_rounds} on the full corpus)" if args.full else "")
            + ", the order rotated by one place per round; the tables show the median run."
            if args.rounds > 1 else ""),
        "",
        f"Importing the flake8 plugin module and the rule registry: {cost[0] * 1000:.1f} ms CPU, "
        f"{cost[1] * 1000:.1f} ms wall (best of 7; neither the analysis nor libcst is imported until a file passes the prefilter, and libcst only where a rule reports or before forking 100 files or more per worker).",
        "",
    ]
    for name, runs in results.items():
        lines += [f"## {name}: {runs[0].label}", "",
                  "| tool | CPU s | wall s | peak RSS MB | CPU of each run, s |", "|---|---:|---:|---:|---|"]
        for r in runs[1:]:
            spread = f"{r.cpu_min:.2f}-{r.cpu_max:.2f} ({r.n} runs, median shown)" if r.n > 1 else "one run"
            lines.append(f"| {r.label} | {r.cpu:.2f} | {r.wall:.2f} | {r.rss_mb:.0f} | {spread} |")
        lines += ["", "| ratio (CPU) | value |", "|---|---:|"]
        for label, value, _ in ratios(runs[1:]):
            lines.append(f"| {label} | {_cell(value)} |")
        lines.append("")
    if len(results) > 1:
        # linearity: CPU per 1000 lines and per file for every tool measured on every sample
        lines += ["## CPU per 1000 lines (linearity)", "",
                  "| tool | " + " | ".join(results) + " |", "|---|" + "---:|" * len(results)]
        labels = [r.label for r in next(iter(results.values()))[1:]]
        for label in labels:
            cells = []
            for name, runs in results.items():
                run = next((r for r in runs[1:] if r.label == label), None)
                nlines = SIZES_BY_NAME[name][1]
                cells.append("n/a" if run is None else f"{run.cpu / nlines * 1000 * 1000:.1f} ms")
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append("")
    old = args.write.read_text() if args.write.exists() else ""
    notes = old.split(NOTES_MARK, 1)[1].lstrip("\n") if NOTES_MARK in old else ""
    lines += [NOTES_MARK, "", notes.rstrip("\n")]
    args.write.write_text("\n".join(lines).rstrip("\n") + "\n")
    print(f"wrote {args.write}")


if __name__ == "__main__":
    sys.exit(main())
