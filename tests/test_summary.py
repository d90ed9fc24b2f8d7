"""The run's summary lines (pggit_model.summary): what a run against a backend lacking contract parts claims."""

from __future__ import annotations

from pathlib import Path

from pggit_model.rules import ALL_RULES
from pggit_model.session import RunStats, SessionRecord, markdown_report
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


def test_i4_the_markdown_report_does_not_claim_blocked_rules_either(tmp_path: Path) -> None:
    """I4: the --pggit-report summary counts rules as the terminal summary does: O1 and V7, blocked by a missing
    pggit.objects, are not exercised in the run's line nor in the machine's table."""
    stats = RunStats(steps=4, examples=1, rules={"O1", "V7", "B6"}, missing_functions={"pggit.objects": ("O1", "V7")})
    session = SessionRecord(machines={"VersioningMachine": stats})
    text = markdown_report(session, stats, tmp_path / "report.md", ("O1", "V7", "B6", "T1"))
    assert "1/4 contract rules exercised" in text and "| 4 | 1 | 0 | 1/4 |" in text
    assert "Rules (checks): B6 1" in text
