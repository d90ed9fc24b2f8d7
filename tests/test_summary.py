"""The run's summary lines (pggit_model.summary): what a run against a backend lacking contract parts claims."""

from __future__ import annotations

from pggit_model.rules import ALL_RULES
from pggit_model.session import RunStats
from pggit_model.summary import coverage_lines


def test_i4_rules_a_missing_part_blocks_are_not_claimed_as_exercised() -> None:
    """I4, O1: the state check counts its rules every step, but on a backend without pggit.objects (pgGit 0.1.0)
    O1 and V7 were not checked: they are named as blocked, not counted among the rules exercised; B6, which a
    present function's answers check, still is."""
    stats = RunStats(rules=["O1", "V7", "B6"], missing_functions={"pggit.objects": ("O1", "V7")})
    line = next(x for x in coverage_lines(stats) if x.startswith("contract rules exercised"))
    assert line.startswith("contract rules exercised: 1/") and line.endswith("blocked by a missing part, I4: O1 V7)")
    whole = RunStats(rules=["O1", "V7", "B6"])
    assert f"contract rules exercised: 3/{len(ALL_RULES)}" in coverage_lines(whole)
