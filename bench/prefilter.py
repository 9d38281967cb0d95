#!/usr/bin/env python3
"""How much the prefilters let through, and proof on a corpus that they hide no finding.

Usage (from the repository root)::

    python3 bench/prefilter.py                     # the whole corpus under .cache/corpus/src
    python3 bench/prefilter.py --every 10          # every 10th file (sorted path order)
    python3 bench/prefilter.py --compare -j 2      # also lint every file with and without it
    python3 bench/prefilter.py --functions --every 3  # which rules keep which function lines

Prints, per rule and for all rules together, how many files pass the text triggers
(``Rule.triggers``) and then also the syntax gates (``Rule.gate`` on CPython's tree); for those
that pass both, how many lines of their functions may be left out (``tensorferry.reduce``), and
how many files and lines libcst still parses: the files where the analysis and the rules, run on
nodes built from CPython's tree (``tensorferry.probe``), get as far as a report, less their
functions without one. With ``--compare`` every
file is linted twice, ``lint_source(..., prefilter=False)`` (every rule on every file, parsed by
libcst) and with the prefilters and the probe, and any difference in the findings is listed; the
exit status is 1 when there is one. With ``--functions``, for the files that pass the gates: the
lines outside the functions that may be left out, the lines of the functions kept, and per rule
the kept function lines its gate holds on (together with the module around them).
bench/run.py bundles the corpus (run it once first).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def _compare(path: str) -> tuple[str, int, int, list[str], float]:
    from tensorferry.engine import lint_source
    from tensorferry.files import DecodeError, read_source

    try:
        text = read_source(path).text
    except (DecodeError, OSError):
        return path, 0, 0, [], 0.0
    start = time.process_time()
    without = lint_source(text, path, prefilter=False).diagnostics
    with_ = lint_source(text, path).diagnostics
    key = lambda d: (d.code, d.row, d.column, d.message)  # noqa: E731
    a, b = sorted(map(key, without)), sorted(map(key, with_))
    diff = [f"{path}: without prefilter only: {x}" for x in a if x not in b]
    diff += [f"{path}: with prefilter only: {x}" for x in b if x not in a]
    return path, len(a), len(b), diff, time.process_time() - start


def _functions(parts, text: str, rules, kept_by: Counter, n: int) -> None:
    """Count the lines of the functions that ``parts.plan`` keeps for ``rules``, and per rule
    those its gate holds on (the same test as ``Parts.plan``, less TNP103's file-wide evidence)."""
    from tensorferry.reduce import _LINE, _own_lines
    from tensorferry.syntax import merge

    lines = _LINE.findall(text)
    spans = 0
    for unit, own in zip(parts.units, parts.summaries):
        span = unit.end_lineno - unit.lineno + 1
        spans += span
        kept_by["all"] += span
        if not _own_lines(unit, lines):
            kept_by["kept"] += span
            continue
        both = merge(parts.base, own)
        holds = [r.code for r in rules if r.gate(both)]
        if holds:
            kept_by["kept"] += span
        for code in holds:
            kept_by[code] += span
    kept_by["outside"] += n - spans


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, default=ROOT / ".cache" / "corpus" / "src")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("--functions", action="store_true")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    from tensorferry.engine import _cpython_parse, select, triggered
    from tensorferry.engine import ANYWHERE
    from tensorferry.probe import locate
    from tensorferry.reduce import Parts
    from tensorferry.files import DecodeError, read_source
    from tensorferry.rules import all_rules

    files = sorted(str(p) for p in args.src.rglob("*.py") if p.is_file())[::args.every]
    rules = all_rules()
    per_rule = {r.code: [0, 0] for r in rules}  # files passing: text triggers, and the gate too
    passing = [0, 0]
    lines_all = 0
    lines_pass = [0, 0]
    lines_out = 0
    kept_by: Counter = Counter()
    cpu_text = cpu_gate = cpu_probe = 0.0
    reach = [0, 0]  # files and lines libcst parses: those the probe cannot settle
    for path in files:
        try:
            text = read_source(path).text
        except (DecodeError, OSError):
            continue
        n = text.count("\n")
        lines_all += n
        t0 = time.process_time()
        kept = triggered(text, rules)
        t1 = time.process_time()
        cpu_text += t1 - t0
        if not kept:
            continue
        passing[0] += 1
        lines_pass[0] += n
        tree, _ = _cpython_parse(text)
        parts = Parts(tree) if tree is not None else None
        left = select(parts.whole, kept) if parts is not None else kept
        planned = parts.plan(text, left) if parts is not None and left else None
        cpu_gate += time.process_time() - t1
        if left:
            passing[1] += 1
            lines_pass[1] += n
            lines_out += planned.lines_left_out if planned is not None else 0
            t2 = time.process_time()
            rows = locate(tree, text, left, None if planned is None else planned.dropped)
            if rows is not None:  # libcst parses the functions with a report, and what is kept
                reach[0] += 1
                narrowed = planned if rows is ANYWHERE else parts.narrow(text, planned, rows)
                reach[1] += n - (narrowed.lines_left_out if narrowed is not None else 0)
            cpu_probe += time.process_time() - t2
            if args.functions:
                _functions(parts, text, left, kept_by, n)
        for r in kept:
            per_rule[r.code][0] += 1
        for r in left:
            per_rule[r.code][1] += 1
    total = len(files)
    print(f"{total} files, {lines_all} lines; CPU: text triggers {cpu_text:.2f} s, "
          f"CPython parse, syntax gates and plans {cpu_gate:.2f} s, probe {cpu_probe:.2f} s")
    for stage, label in ((0, "text triggers"), (1, "text triggers and syntax gates")):
        print(f"pass the {label}: {passing[stage]} files ({passing[stage] / total:.1%}), "
              f"{lines_pass[stage]} lines ({lines_pass[stage] / max(lines_all, 1):.1%})")
    print(f"lines of left-out functions in those files: {lines_out}; lines left for the analysis: "
          f"{lines_pass[1] - lines_out} ({(lines_pass[1] - lines_out) / max(lines_all, 1):.1%})")
    print(f"files where a rule may report (libcst parses them): {reach[0]} "
          f"({reach[0] / total:.1%}), {reach[1]} lines ({reach[1] / max(lines_all, 1):.1%})")
    print("per rule, files passing (text triggers -> and syntax gate):")
    for code, (a, b) in per_rule.items():
        print(f"  {code}: {a} ({a / total:.1%}) -> {b} ({b / total:.1%})")
    if args.functions:
        print(f"in the files that pass the gates: {kept_by['outside']} lines outside the functions "
              f"that may be left out, {kept_by['kept']} lines of kept functions "
              f"({kept_by['all']} lines of such functions in all)")
        print("kept function lines each rule's gate holds on:")
        for code in sorted(k for k in kept_by if k.startswith("TNP")):
            print(f"  {code}: {kept_by[code]}")
    if not args.compare:
        return 0
    import concurrent.futures

    found_without = found_with = 0
    diffs: list[str] = []
    cpu = 0.0
    with concurrent.futures.ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for _, a, b, diff, t in pool.map(_compare, files, chunksize=8):
            found_without += a
            found_with += b
            diffs += diff
            cpu += t
    print(f"findings without the prefilter: {found_without}, with it: {found_with}, "
          f"files that differ: {len({d.split(': ', 1)[0] for d in diffs})} (lint CPU {cpu:.1f} s)")
    for d in diffs:
        print("  " + d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
