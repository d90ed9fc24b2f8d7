"""Shards of a tier over a CI job matrix (pggit_model.shards, --pggit-shard, pggit-model run --shard; issue 19
part 5): every machine runs in exactly one shard, the same on every job, and the shards are balanced."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pggit_model import shards

ROOT = Path(__file__).resolve().parent.parent
NAMES = st.lists(st.from_regex(r"[a-z][a-z_]{0,12}", fullmatch=True), unique=True, max_size=25)


@pytest.mark.parametrize("text,expected", [("1/1", (1, 1)), ("2/3", (2, 3)), (" 3 / 3 ", (3, 3))])
def test_a_shard_is_i_of_n(text: str, expected: tuple[int, int]) -> None:
    assert shards.parse(text) == expected


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "", "1/0", "-1/2"])
def test_a_shard_that_names_none_is_one_clear_error(text: str) -> None:
    with pytest.raises(shards.InvalidShard, match=r"give I/N with 1 <= I <= N \(e\.g\. 2/3"):
        shards.parse(text)


@given(NAMES, st.integers(1, 6), st.randoms(use_true_random=False))
def test_every_machine_is_in_exactly_one_shard_whatever_the_order(names: list[str], n: int, rnd: object) -> None:
    """The split is a function of the names and N: each job of the matrix collects the machines in its own order
    (and each xdist worker collects again), and all must agree."""
    where = shards.assign(names, n)
    assert set(where) == set(names)
    assert set(where.values()) <= set(range(1, n + 1))
    shuffled = list(names)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert shards.assign(shuffled, n) == where


@given(NAMES, st.integers(1, 6))
def test_no_shard_holds_more_than_its_share_and_one_machine(names: list[str], n: int) -> None:
    """LPT's bound: the busiest shard has at most the average load plus one machine's cost (so a shard of the
    18 machines' ci tier stays near a third of the whole)."""
    cost = {m: shards.CI_COST.get(m, shards._DEFAULT) for m in names}
    where = shards.assign(names, n)
    load = [sum(c for m, c in cost.items() if where[m] == i) for i in range(1, n + 1)]
    assert max(load) <= sum(cost.values()) / n + max(cost.values(), default=0)
    if len(names) >= n:
        assert min(load) > 0  # no job of the matrix runs nothing


def _collected(*args: str) -> set[str]:
    res = subprocess.run([sys.executable, "-m", "pytest", "machines", "--collect-only", "-q", "-p",
                          "no:cacheprovider", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={**os.environ, "PYTHONHASHSEED": "0"})
    assert res.returncode == 0, res.stdout + res.stderr
    return {line for line in res.stdout.splitlines() if "::" in line}


def test_the_shards_of_the_machines_are_disjoint_and_cover_them_all() -> None:
    everything = _collected()
    parts = [_collected(f"--pggit-shard={i}/3") for i in (1, 2, 3)]
    assert all(parts)
    assert set().union(*parts) == everything
    assert sum(map(len, parts)) == len(everything)


def test_run_rejects_a_shard_that_names_none() -> None:
    res = subprocess.run([sys.executable, "-m", "pggit_model", "run", "--shard", "4/3"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "--pggit-shard '4/3': give I/N" in res.stderr and "Traceback" not in res.stderr
