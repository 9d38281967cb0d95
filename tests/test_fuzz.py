"""Fuzzing, bounded for CI and deterministic: generated programs never crash `check` or `fix`,
fixes always parse and are idempotent, and no fixable finding is left after `fix`.

``bench/fuzz.py`` runs the same properties at scale."""

from __future__ import annotations

import random

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzzing import (
    HEADER,
    TRIGGERS,
    assert_properties,
    compose,
    corpus_seeds,
    mutate,
    snippet_pool,
)

CI = settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
POOL = snippet_pool()


@CI
@given(hypothesmith.from_grammar())
def test_grammar_programs(program):
    """Arbitrary programs from Python's grammar, made to pass every rule's text prefilter."""
    assert_properties(HEADER + program + TRIGGERS)


@CI
@given(hypothesmith.from_node())
def test_libcst_programs(program):
    assert_properties(HEADER + program + TRIGGERS)


@settings(CI, max_examples=60)
@given(st.randoms(use_true_random=False), st.integers(1, 8))
def test_composed_fixture_snippets(rng, pieces):
    """Snippets of the fixture positives, shuffled, mixed with fillers and wrapped in functions,
    loops, `with` and `try` blocks: fixes fire and meet each other."""
    assert_properties(compose(rng, POOL, pieces))


def test_composed_programs_do_fire_fixes():
    rng = random.Random(7)
    fired = sum(assert_properties(compose(rng, POOL, 4)).fixed > 0 for _ in range(10))
    assert fired >= 5


SEEDS = corpus_seeds()


@pytest.mark.parametrize("seed", range(24))
def test_mutated_real_files(seed):
    """Fixtures and examples with random line deletions, duplications, swaps and truncations."""
    rng = random.Random(seed)
    path = SEEDS[(seed * 7919) % len(SEEDS)]
    text = path.read_text(encoding="utf-8")
    for _ in range(3):
        assert_properties(mutate(rng, text, edits=rng.randint(1, 4)), path.name)


@pytest.mark.parametrize("source", [
    # found by bench/fuzz.py: the unsafe `.copy()` / `.clone()` fix kept applying, because the
    # copied conversion still counted as sharing memory with a later conversion's alias
    "import torch\nt = torch.zeros(3)\na = t.numpy()\nt[0] = 99\nb = t.numpy()\nprint(a, b)\n",
    "import numpy as np\nimport torch\na = np.zeros(3)\nx = torch.from_numpy(a).requires_grad_()\n"
    "a[0] = 1\ny = torch.from_numpy(a)\nprint(x, y)\n",
])
def test_copy_fixes_settle(source):
    assert_properties(source)
