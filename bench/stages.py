#!/usr/bin/env python3
"""What each speed measure buys, measured side by side in one process, and where the time goes.

Usage (from the repository root; bench/run.py bundles the corpus and the samples first)::

    python3 bench/stages.py                          # the 10% sample, 3 rounds
    python3 bench/stages.py --src .cache/bench/sample100 --rounds 5

Lints every file of the sample in-process (no cache, one process) under eight configurations,
each adding one measure to the one before, in interleaved rounds so that a noisy machine
affects all of them alike; prints the median CPU of each, and the CPU spent inside the cyclic
garbage collector, and checks that all of them report the same findings. Then times the stages of the last (the default) configuration:

* ``A`` text triggers only; libcst validates every node; positions from libcst's PositionProvider
* ``B`` A + positions from one lean code generation pass (``tensorferry.positions``)
* ``C`` B + libcst's per-node validation skipped for sources CPython accepted
* ``D`` C + syntax gates on CPython's tree (``Rule.gate``)
* ``E`` D + functions where no remaining rule can report left out of the parse
  (``tensorferry.reduce``), their bodies only
* ``F`` E + the parameters of left-out functions left out too (``def name(*_):``)
* ``G`` F + the cyclic garbage collector paused while each file is parsed and analysed
  (``engine.paused_gc``)
* ``H`` G + the analysis and the rules first run on light nodes built from CPython's tree, and
  libcst parses only the files where a rule gets as far as a report (``tensorferry.probe``): the
  default
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

CONFIGS = ("A", "B", "C", "D", "E", "F", "G", "H")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, default=ROOT / ".cache" / "bench" / "sample10")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from tensorferry import analysis, context, engine, positions, probe, reduce
    from tensorferry.files import DecodeError, read_source
    from tensorferry.rules import all_rules

    files = sorted(str(p) for p in args.src.rglob("*.py") if p.is_file())
    if not files:
        print(f"no files under {args.src}: run bench/run.py first", file=sys.stderr)
        return 2
    texts = []
    for f in files:
        try:
            texts.append((f, read_source(f).text))
        except (DecodeError, OSError):
            pass
    lines = sum(t.count("\n") for _, t in texts)
    rules = all_rules()

    lean_pos, unvalidated, select = context.Context._pos, engine._parse_unvalidated, engine.select
    parts, leave_out, paused_gc = reduce.Parts, reduce._leave_out, engine.paused_gc

    def body_only(fn, lines) -> None:  # E: the signature stays, the body becomes one string
        first, last = fn.body[0].lineno, fn.end_lineno
        head = lines[first - 1]
        indent = head[:len(head) - len(head.lstrip(" \t\f"))]
        if first == last:
            lines[first - 1] = indent + "pass" + reduce._ending(head)
            return
        lines[first - 1] = indent + '"""' + reduce._ending(head)
        for i in range(first, last - 1):
            lines[i] = reduce._ending(lines[i])
        lines[last - 1] = '"""' + reduce._ending(lines[last - 1])

    class NoParts:  # no syntax summary at all
        whole = None

        def __init__(self, tree) -> None:
            pass

    def libcst_pos(self):
        if self._positions is None:
            self._positions = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)
        return self._positions

    def configure(name: str) -> tuple[bool, bool]:
        i = CONFIGS.index(name)
        context.Context._pos = lean_pos if i >= 1 else libcst_pos
        engine._parse_unvalidated = unvalidated if i >= 2 else cst.parse_module
        engine.select = select if i >= 3 else (lambda summary, rules: tuple(rules))
        reduce.Parts = parts if i >= 3 else NoParts
        reduce._leave_out = leave_out if i >= 5 else body_only
        engine.paused_gc = paused_gc if i >= 6 else contextlib.nullcontext
        return i >= 4, i >= 7  # reduce, probe

    collector = {"cpu": 0.0, "runs": 0, "start": 0.0}

    def on_collect(phase: str, info: dict) -> None:  # CPU inside the cyclic garbage collector
        if phase == "start":
            collector["start"] = time.process_time()
        else:
            collector["cpu"] += time.process_time() - collector["start"]
            collector["runs"] += 1

    gc.callbacks.append(on_collect)

    def run(name: str):
        reduce_on, probe_on = configure(name)
        found = []
        collector["cpu"], collector["runs"] = 0.0, 0
        start = time.process_time()
        for f, text in texts:
            res = engine.lint_source(text, f, rules, reduce=reduce_on, probe=probe_on)
            found += [(f, d.code, d.row, d.column, d.message) for d in res.diagnostics]
        return time.process_time() - start, found

    times: dict[str, list[float]] = {c: [] for c in CONFIGS}
    in_gc: dict[str, list[tuple[float, int]]] = {c: [] for c in CONFIGS}
    reference = None
    for _ in range(args.rounds):
        for c in CONFIGS:
            cpu, found = run(c)
            times[c].append(cpu)
            in_gc[c].append((collector["cpu"], collector["runs"]))
            if reference is None:
                reference = found
            elif found != reference:
                print(f"configuration {c} reports different findings", file=sys.stderr)
                return 1
    print(f"{len(texts)} files, {lines} lines, {len(reference)} findings (the same in every "
          f"configuration); median CPU of {args.rounds} interleaved rounds:")
    base = statistics.median(times["A"])
    for c in CONFIGS:
        m = statistics.median(times[c])
        print(f"  {c}: {m:6.2f} s  {1e6 * m / max(lines, 1):5.1f} ms per 1000 lines  "
              f"{m / base:5.2f}x A   (runs: {', '.join(f'{t:.2f}' for t in times[c])})")
    print("CPU inside the cyclic garbage collector (gc.callbacks), per run:")
    for c in CONFIGS:
        print(f"  {c}: " + ", ".join(f"{t:.2f} s in {n} collections" for t, n in in_gc[c]))

    # stage by stage, default configuration
    configure(CONFIGS[-1])
    spent: Counter = Counter()

    def timed(name, fn):
        def wrapper(*a, **k):
            t = time.process_time()
            try:
                return fn(*a, **k)
            finally:
                spent[name] += time.process_time() - t
        return wrapper

    patches = [(engine, "_cpython_parse"), (reduce.Parts, "__init__"), (reduce.Parts, "plan"),
               (probe.Builder, "module"), (engine, "_locate"), (engine, "_parse_libcst"),
               (analysis, "analyze"), (positions.Positions, "_one"), (positions.Positions, "_whole"),
               (engine, "_run_rules")]
    labels = {"_cpython_parse": "CPython parse", "__init__": "syntax summaries",
              "plan": "gates per function", "module": "nodes built from CPython's tree",
              "_locate": "probe", "_parse_libcst": "libcst parse",
              "analyze": "analysis", "_one": "positions", "_whole": "positions",
              "_run_rules": "analysis, rules, positions"}
    saved = [(obj, name, getattr(obj, name)) for obj, name in patches]
    for obj, name, fn in saved:
        setattr(obj, name, timed(labels[name], fn))
    start = time.process_time()
    for f, text in texts:
        engine.lint_source(text, f, rules)
    total = time.process_time() - start
    for obj, name, fn in saved:
        setattr(obj, name, fn)
    print(f"stages of {CONFIGS[-1]} (one more run, {total:.2f} s CPU):")
    # the analysis runs in the probe (on every file past the gates) and again after libcst's parse
    rules_only = (spent["analysis, rules, positions"] + spent["probe"] - spent["analysis"]
                  - spent["positions"] - spent["nodes built from CPython's tree"])
    rows = [(k, spent[k]) for k in ("CPython parse", "syntax summaries", "gates per function",
                                     "nodes built from CPython's tree",
                                     "libcst parse", "analysis", "positions")]
    rows.append(("rules (on both trees)", rules_only))
    rows.append(("the rest (reading done before; triggers, noqa, results)", total - sum(v for _, v in rows)))
    for k, v in rows:
        print(f"  {k:58s} {v:6.2f} s  {v / total:5.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
