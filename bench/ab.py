#!/usr/bin/env python3
"""This checkout against an earlier commit, alternated: the in-process lint or the warm command.

Usage (from the repository root, with tensorferry's dependencies installed; bench/run.py
bundles the corpus and the samples first)::

    python3 bench/ab.py e1700e7                                  # lint, 10% sample, 3 runs each
    python3 bench/ab.py e1700e7 --mode warm --sample sample100 --runs 30
    python3 bench/ab.py 605684d --mode cold --sample sample100 --runs 15

``lint``: every file of the sample linted with ``engine.lint_source`` in one process per run
(the files read first, libcst imported and 50 files linted before the clock starts), with the
CPU spent inside the cyclic garbage collector and what it freed, from ``gc.callbacks``.
``warm``: ``python -m tensorferry check --cache-dir D -j 2 SAMPLE`` with a cache each tree has
filled once before, user+sys CPU of the process tree (``os.wait4``). ``cold``: the same with
``--no-cache``, and in every round the ``ast.parse`` floor of bench/run.py as well, each tree's
CPU given as a ratio to the floor's median. Each tree runs from its
``src`` on ``PYTHONPATH`` with the same interpreter; the earlier commit is unpacked with
``git archive`` under ``.cache/bench``. The two trees alternate run by run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BENCH, FLOOR, ROOT, baseline_tree  # noqa: E402

LINT = r"""
import gc, json, sys, time
from pathlib import Path
from tensorferry import engine
from tensorferry.files import read_source
from tensorferry.rules import all_rules
texts = []
for p in sorted(Path(sys.argv[1]).rglob("*.py")):
    try:
        texts.append((str(p), read_source(str(p)).text))
    except Exception:
        pass
rules = all_rules()
import libcst
for f, t in texts[:50]:
    engine.lint_source(t, f, rules)
st = {"gc_cpu": 0.0, "gc_runs": 0, "gc_freed": 0, "t": 0.0}
def on_collect(phase, info):
    if phase == "start":
        st["t"] = time.process_time()
    else:
        st["gc_cpu"] += time.process_time() - st["t"]
        st["gc_runs"] += 1
        st["gc_freed"] += info["collected"]
gc.collect()
gc.callbacks.append(on_collect)
start = time.process_time()
found = sum(len(engine.lint_source(t, f, rules).diagnostics) for f, t in texts)
cpu = time.process_time() - start
del st["t"]
print(json.dumps(dict(st, cpu=cpu, findings=found)))
"""


def child_cpu(cmd: list[str], env: dict) -> float:
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ref", help="the earlier commit")
    ap.add_argument("--mode", choices=("lint", "warm", "cold"), default="lint")
    ap.add_argument("--sample", default="sample10", help="a folder under .cache/bench")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sample = BENCH / args.sample
    if not any(sample.rglob("*.py")):
        print(f"no files under {sample}: run bench/run.py first", file=sys.stderr)
        return 2
    trees = {"this checkout": ROOT, args.ref: baseline_tree(args.ref)[1]}
    envs = {name: dict(os.environ, PYTHONPATH=str(tree / "src")) for name, tree in trees.items()}
    results: dict[str, list[dict]] = {name: [] for name in trees}
    floor: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        caches = {name: os.path.join(tmp, str(i)) for i, name in enumerate(trees)}
        if args.mode == "warm":
            for name in trees:  # fill each tree's cache once
                child_cpu([sys.executable, "-m", "tensorferry", "check", "--cache-dir", caches[name],
                           "-j", "2", str(sample)], envs[name])
        for _ in range(args.runs):
            if args.mode == "cold":
                floor.append(child_cpu([sys.executable, "-c", FLOOR, str(sample)], dict(os.environ)))
            for name in trees:
                if args.mode == "lint":
                    out = subprocess.run([sys.executable, "-c", LINT, str(sample)], env=envs[name],
                                         capture_output=True, text=True, check=True).stdout
                    results[name].append(json.loads(out))
                else:
                    cache = ["--cache-dir", caches[name]] if args.mode == "warm" else ["--no-cache"]
                    cpu = child_cpu([sys.executable, "-m", "tensorferry", "check", *cache,
                                     "-j", "2", str(sample)], envs[name])
                    results[name].append({"cpu": cpu})
    unit, scale = ("s", 1) if args.mode == "lint" else ("ms", 1000)
    print(f"{args.mode}, {sample.name}, {args.runs} runs each, alternated (CPU, median and range):")
    if floor:
        print(f"  {'ast.parse floor':>14}: {statistics.median(floor) * scale:7.2f} {unit} "
              f"({min(floor) * scale:.2f}-{max(floor) * scale:.2f})")
    for name, runs in results.items():
        cpus = [r["cpu"] * scale for r in runs]
        line = (f"  {name:>14}: {statistics.median(cpus):7.2f} {unit} "
                f"({min(cpus):.2f}-{max(cpus):.2f})")
        if args.mode == "lint":
            gcs = [r["gc_cpu"] for r in runs]
            line += (f"; {runs[0]['findings']} findings; inside the collector "
                     f"{min(gcs):.3f}-{max(gcs):.3f} s in {runs[0]['gc_runs']} collections, "
                     f"{runs[0]['gc_freed']} objects freed")
        if floor:
            line += f"; {statistics.median(cpus) / (statistics.median(floor) * scale):.2f} x the floor"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
