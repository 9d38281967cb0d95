#!/usr/bin/env python3
"""What each speed measure buys, measured side by side in one process, and where the time goes.

Usage (from the repository root; bench/run.py bundles the corpus and the samples first)::

    python3 bench/stages.py                          # the 10% sample, 3 rounds
    python3 bench/stages.py --src .cache/bench/sample100 --rounds 5

Lints every file of the sample in-process (no cache, one process) under five configurations,
each adding one measure to the one before, in interleaved rounds so that a noisy machine
affects all of them alike; prints the median CPU of each and checks that all five report the
same findings. Then times the stages of the last (the default) configuration:

* ``A`` text triggers only; libcst validates every node; positions from libcst's PositionProvider
* ``B`` A + positions from one lean code generation pass (``tensorferry.positions``)
* ``C`` B + libcst's per-node validation skipped for sources CPython accepted
* ``D`` C + syntax gates on CPython's tree (``Rule.gate``)
* ``E`` D + functions where no remaining rule can report left out of the parse
  (``tensorferry.reduce``): the default
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

CONFIGS = ("A", "B", "C", "D", "E")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, default=ROOT / ".cache" / "bench" / "sample10")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from tensorferry import analysis, context, engine, reduce
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
    parts = reduce.Parts

    class NoParts:  # no syntax summary at all
        whole = None

        def __init__(self, tree) -> None:
            pass

    def libcst_pos(self):
        if self._positions is None:
            self._positions = MetadataWrapper(self.module, unsafe_skip_copy=True).resolve(PositionProvider)
        return self._positions

    def configure(name: str) -> bool:
        i = CONFIGS.index(name)
        context.Context._pos = lean_pos if i >= 1 else libcst_pos
        engine._parse_unvalidated = unvalidated if i >= 2 else cst.parse_module
        engine.select = select if i >= 3 else (lambda summary, rules: tuple(rules))
        reduce.Parts = parts if i >= 3 else NoParts
        return i >= 4  # reduce

    def run(name: str):
        reduce_on = configure(name)
        found = []
        start = time.process_time()
        for f, text in texts:
            res = engine.lint_source(text, f, rules, reduce=reduce_on)
            found += [(f, d.code, d.row, d.column, d.message) for d in res.diagnostics]
        return time.process_time() - start, found

    times: dict[str, list[float]] = {c: [] for c in CONFIGS}
    reference = None
    for _ in range(args.rounds):
        for c in CONFIGS:
            cpu, found = run(c)
            times[c].append(cpu)
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

    # stage by stage, default configuration
    configure("E")
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
               (engine, "_parse_libcst"), (analysis, "analyze"), (context.Context, "_pos"),
               (engine, "_run_rules")]
    labels = {"_cpython_parse": "CPython parse", "__init__": "syntax summaries",
              "plan": "gates per function and reduced source", "_parse_libcst": "libcst parse",
              "analyze": "analysis", "_pos": "positions", "_run_rules": "analysis, rules, positions"}
    saved = [(obj, name, getattr(obj, name)) for obj, name in patches]
    for obj, name, fn in saved:
        setattr(obj, name, timed(labels[name], fn))
    start = time.process_time()
    for f, text in texts:
        engine.lint_source(text, f, rules)
    total = time.process_time() - start
    for obj, name, fn in saved:
        setattr(obj, name, fn)
    print(f"stages of E (one more run, {total:.2f} s CPU):")
    rules_only = spent["analysis, rules, positions"] - spent["analysis"] - spent["positions"]
    rows = [(k, spent[k]) for k in ("CPython parse", "syntax summaries",
                                     "gates per function and reduced source", "libcst parse",
                                     "analysis", "positions")]
    rows.append(("rules", rules_only))
    rows.append(("the rest (reading done before; triggers, noqa, results)", total - sum(v for _, v in rows)))
    for k, v in rows:
        print(f"  {k:58s} {v:6.2f} s  {v / total:5.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
