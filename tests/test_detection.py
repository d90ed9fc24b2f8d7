"""The fault x seed table's reporting (pggit_model.detection), without a server: seeds, table, summary, JSON."""

from __future__ import annotations

import json

import pytest

from pggit_model.detection import (
    NO_SHRINK_ENV,
    SEEDS_ENV,
    Detection,
    from_dict,
    seeds,
    shrinking,
    summary_lines,
    table_lines,
    to_json,
)

CAUGHT = Detection("f", "V8", "VersioningMachine", 7, True, 2.0, 20.0, 3, ("V8",), 20.0)
SLOW = Detection("f", "V8", "VersioningMachine", 8, True, 4.0, 90.0, 5, ("V8",), 90.0)
MISSED = Detection("g", "B3", "BranchesCommitsMachine", 7, False, None, None, None, (), 30.0)


def test_seeds_are_random_unless_fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without PGGIT_MUTANT_SEEDS two draws of three seeds differ; with it, they are exactly the named ones."""
    monkeypatch.delenv(SEEDS_ENV, raising=False)
    assert len(seeds(3)) == 3 and seeds(3) != seeds(3)
    monkeypatch.setenv(SEEDS_ENV, "1,2,3")
    assert seeds(3) == (1, 2, 3)
    monkeypatch.setenv(SEEDS_ENV, "1,x")
    with pytest.raises(ValueError, match="expected integers"):
        seeds(3)


def test_shrinking_is_on_unless_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Detection shrinks a catch by default and with PGGIT_MUTANT_NO_SHRINK=0; any other value makes it catch-only."""
    monkeypatch.delenv(NO_SHRINK_ENV, raising=False)
    assert shrinking()
    monkeypatch.setenv(NO_SHRINK_ENV, "0")
    assert shrinking()
    monkeypatch.setenv(NO_SHRINK_ENV, "1")
    assert not shrinking()


def test_table_has_one_line_per_run_and_says_a_miss() -> None:
    """One line per fault and seed, a miss shown as NO with how long the passing run took."""
    lines = table_lines([MISSED, SLOW, CAUGHT])
    assert len(lines) == 4
    assert lines[1].startswith("f ") and " 7 " in lines[1] and lines[2].startswith("f ") and " 8 " in lines[2]
    assert " NO " in lines[3] and "(passed, 30.0 s)" in lines[3]


def test_summary_counts_misses_at_their_whole_time() -> None:
    """Median and worst per fault; a miss counts as the run's whole time, and its seed is named for a rerun."""
    lines = summary_lines([CAUGHT, SLOW, MISSED])
    f_line = next(line for line in lines if line.startswith("f "))
    assert "2/2" in f_line and "3.0 / 4.0" in f_line and "55.0 / 90.0" in f_line
    assert "caught 2/3" in lines[-2] and "first failure median 4.0 s" in lines[-2]
    assert lines[-1].strip() == f"missed: g under seed 7 (rerun: {SEEDS_ENV}=7)"


def test_json_round_trips_every_run() -> None:
    """The JSON holds every run (back to the same Detection) and the medians against the targets."""
    data = json.loads(json.dumps(to_json([CAUGHT, SLOW, MISSED])))
    assert [from_dict(r) for r in data["runs"]] == [CAUGHT, SLOW, MISSED]
    assert (data["caught"], data["total"], data["first_s_median"], data["shrunk_s_worst"]) == (2, 3, 4.0, 90.0)
