"""Fuzzing campaign: the properties of ``tests/test_fuzz.py`` at scale.

    python bench/fuzz.py --programs 10000 [--seed 0] [--corpus .cache/corpus/src] [--out DIR]

Three sources of programs, in equal parts:

- ``grammar``: hypothesmith programs from Python's grammar (``from_grammar``) and from libcst's
  node types (``from_node``), with the rules' trigger words appended so they are analysed;
- ``composed``: fixture positives, whole or in windows, with filler statements, wrapped in
  functions, loops, ``with``, ``try``, classes;
- ``mutated``: files of the corpus (``--corpus``, default the dev corpus in ``.cache/corpus/src``)
  and of the fixtures and examples, with random line deletions, duplications, swaps, indents,
  truncations and cuts.

For each program: ``check`` has no internal error (TNP002) and at most one TNP001; ``fix``
(safe, then with unsafe fixes) has no internal error, its output parses (with CPython too when
the input did), fixing again changes nothing, and no finding the mode may fix is left. Any
exception that escapes is a failure too. Failing programs are written to ``--out``; the counts
are printed at the end (and every ``--every`` programs).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from fuzzing import HEADER, TRIGGERS, check_properties, compose, corpus_seeds, mutate, snippet_pool  # noqa: E402


class Campaign:
    def __init__(self, out: Path, every: int) -> None:
        self.out = out
        self.every = every
        self.counts: Counter[str] = Counter()
        self.failures: list[tuple[str, str]] = []
        self.start = time.monotonic()

    def run(self, kind: str, source: str, name: str = "fuzz.py") -> None:
        self.counts[f"{kind}:programs"] += 1
        try:
            outcome = check_properties(source, name)
            problems = outcome.failures
            self.counts[f"{kind}:parsed"] += outcome.parsed
            self.counts[f"{kind}:tnp001"] += outcome.parse_errors
            self.counts[f"{kind}:findings"] += outcome.findings
            self.counts[f"{kind}:fixes_applied"] += outcome.fixed
            self.counts[f"{kind}:with_fixes"] += outcome.fixed > 0
        except BaseException as exc:  # a crash: the very thing this looks for
            if isinstance(exc, KeyboardInterrupt):
                raise
            problems = ["exception: " + "".join(traceback.format_exception(exc))[-2000:]]
        if problems:
            self.counts[f"{kind}:failures"] += 1
            self.failures.append((kind, problems[0].splitlines()[0]))
            self.out.mkdir(parents=True, exist_ok=True)
            stem = f"{kind}-{self.counts[f'{kind}:programs']:06d}"
            (self.out / f"{stem}.py").write_text(source, encoding="utf-8", errors="surrogatepass")
            (self.out / f"{stem}.txt").write_text("\n".join(problems), encoding="utf-8")
        total = sum(v for k, v in self.counts.items() if k.endswith(":programs"))
        if self.every and total % self.every == 0:
            self.report(stream=sys.stderr)

    def report(self, stream=sys.stdout) -> None:
        elapsed = time.monotonic() - self.start
        kinds = sorted({k.split(":")[0] for k in self.counts})
        print(f"after {elapsed:.0f}s:", file=stream)
        cols = ("programs", "parsed", "tnp001", "findings", "with_fixes", "fixes_applied", "failures")
        print("| source | " + " | ".join(cols) + " |", file=stream)
        print("|---|" + "---:|" * len(cols), file=stream)
        for kind in kinds:
            row = " | ".join(str(self.counts[f"{kind}:{c}"]) for c in cols)
            print(f"| {kind} | {row} |", file=stream)
        stream.flush()


def grammar_programs(campaign: Campaign, n: int, seed: int) -> None:
    import hypothesmith
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    strategy = st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              phases=("generate",))
    @given(strategy)
    def one(program):
        campaign.run("grammar", HEADER + program + TRIGGERS)

    # hypothesis has no seed argument for @given; seed it like `pytest --hypothesis-seed`.
    from hypothesis import seed as hseed

    hseed(seed)(one)()


def composed_programs(campaign: Campaign, n: int, seed: int) -> None:
    rng = random.Random(seed)
    pool = snippet_pool()
    for _ in range(n):
        campaign.run("composed", compose(rng, pool, rng.randint(1, 8)))


def mutated_files(campaign: Campaign, n: int, seed: int, corpus: Path | None) -> None:
    rng = random.Random(seed + 1)
    files = list(corpus_seeds())
    if corpus is not None and corpus.is_dir():
        files += sorted(p for p in corpus.rglob("*.py") if p.is_file())
    for _ in range(n):
        path = rng.choice(files)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        campaign.run("mutated", mutate(rng, text, edits=rng.randint(1, 5)), path.name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--programs", type=int, default=1000, help="programs in all (default 1000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--corpus", type=Path, default=ROOT / ".cache" / "corpus" / "src")
    ap.add_argument("--out", type=Path, default=ROOT / ".cache" / "fuzz-failures")
    ap.add_argument("--every", type=int, default=500, help="print counts every N programs")
    ap.add_argument("--only", choices=("grammar", "composed", "mutated"), action="append")
    args = ap.parse_args(argv)
    kinds = args.only or ["grammar", "composed", "mutated"]
    share = args.programs // len(kinds)
    campaign = Campaign(args.out, args.every)
    print(f"tensorferry fuzz: {args.programs} programs, seed {args.seed}, corpus "
          f"{args.corpus if args.corpus.is_dir() else 'none'}", flush=True)
    try:
        if "grammar" in kinds:
            grammar_programs(campaign, share, args.seed)
        if "composed" in kinds:
            composed_programs(campaign, share, args.seed)
        if "mutated" in kinds:
            mutated_files(campaign, share, args.seed, args.corpus)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
    campaign.report()
    for kind, first in campaign.failures[:50]:
        print(f"FAIL {kind}: {first}")
    if campaign.failures:
        print(f"{len(campaign.failures)} failing programs written to {args.out}")
    return 1 if campaign.failures else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
