#!/usr/bin/env python3
"""How much the text prefilter lets through, and proof on a corpus that it hides no finding.

Usage (from the repository root)::

    python3 bench/prefilter.py                     # the whole corpus under .cache/corpus/src
    python3 bench/prefilter.py --every 10          # every 10th file (sorted path order)
    python3 bench/prefilter.py --compare -j 2      # also lint every file with and without it

Prints, per rule and for all rules together, how many files pass the prefilter. With
``--compare`` every file is linted twice, ``lint_source(..., prefilter=False)`` (every rule on
every parsed file) and with the prefilter, and any difference in the findings is listed; the exit
status is 1 when there is one. bench/run.py bundles the corpus (run it once first).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, default=ROOT / ".cache" / "corpus" / "src")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--compare", action="store_true")
    ap.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    from tensorferry.engine import prefilter
    from tensorferry.files import DecodeError, read_source
    from tensorferry.rules import all_rules

    files = sorted(str(p) for p in args.src.rglob("*.py") if p.is_file())[::args.every]
    rules = all_rules()
    per_rule = dict.fromkeys((r.code for r in rules), 0)
    passing = 0
    lines_all = lines_pass = 0
    start = time.process_time()
    for path in files:
        try:
            text = read_source(path).text
        except (DecodeError, OSError):
            continue
        n = text.count("\n")
        lines_all += n
        if prefilter(text, rules):
            passing += 1
            lines_pass += n
        for r in rules:
            if prefilter(text, [r]):
                per_rule[r.code] += 1
    cpu = time.process_time() - start
    total = len(files)
    print(f"{total} files, {lines_all} lines; prefilter CPU {cpu:.2f} s (reading and decoding included)")
    print(f"pass the prefilter: {passing} files ({passing / total:.1%}), {lines_pass} lines "
          f"({lines_pass / max(lines_all, 1):.1%})")
    for code, n in per_rule.items():
        print(f"  {code}: {n} files ({n / total:.1%})")
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
