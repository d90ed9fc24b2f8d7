"""Labelled goals: situations worth reaching (a merge with conflicts, DDL struck after pgGit's trigger ran, …), as
quickcheck-state-machine labels its examples. ``reached`` (pure) names the goals one step reached; ``note`` counts
them in the run's stats with the shortest example that got there, and tells Hypothesis (``event``: its
statistics and observability output show them too). A goal no run reaches is a hole in the generators.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .model import Expected, State
    from .ops import Op

MERGE_CONFLICT = "a merge with conflicts"
STRUCK_AFTER_TRIGGER = "DDL struck after the trigger ran"
CHECKOUT_ACROSS_COMMIT = "a branch checked out across a COMMIT"
ROLLBACK_UNDID_TRACKING = "a ROLLBACK that undid tracked DDL"
REJECTED_CALL = "a call the contract rejects"
FAILED_IN_TRANSACTION = "a statement failing inside a transaction"

#: Every goal, in the order the summary lists them.
GOALS = (MERGE_CONFLICT, STRUCK_AFTER_TRIGGER, CHECKOUT_ACROSS_COMMIT, ROLLBACK_UNDID_TRACKING, REJECTED_CALL,
         FAILED_IN_TRANSACTION)

#: The longest example text kept per goal (the shortest example is what a reader wants anyway).
_MAX_TEXT = 2000


def reached(op: Op, expected: Expected, status: str, before: State, after: State, struck: bool) -> list[str]:
    """The goals the step ``op`` reached, from the model's states around it and the database's outcome."""
    ok = status == "ok"
    out = []
    if op.kind == "merge_branches" and ok and len(after.db.conflicts) > len(before.db.conflicts):
        out.append(MERGE_CONFLICT)
    if struck:
        out.append(STRUCK_AFTER_TRIGGER)
    if op.kind == "commit" and ok and before.txn is not None and (after.session.current_branch or "main") != "main":
        out.append(CHECKOUT_ACROSS_COMMIT)
    if op.kind == "rollback" and before.txn is not None and before.db.history != after.db.history:
        out.append(ROLLBACK_UNDID_TRACKING)
    if expected.kind == "error" and op.family == "call":
        out.append(REJECTED_CALL)
    if status == "error" and before.txn is not None and op.family != "txn":
        out.append(FAILED_IN_TRANSACTION)
    return out


def note(table: dict[str, tuple[int, int, str]], goals: list[str], ops: list[Op]) -> None:
    """Count each goal in ``table`` (RunStats.goals), keep the shortest example (the ops up to this step) and tell
    Hypothesis."""
    for goal in goals:
        count, steps, text = table.get(goal, (0, 0, ""))
        if not count or len(ops) < steps:
            steps, text = len(ops), "; ".join(repr(o) for o in ops)[:_MAX_TEXT]
        table[goal] = (count + 1, steps, text)
        _event(goal)


def _event(goal: str) -> None:
    """hypothesis.event, which only works inside a Hypothesis test (a replay runs outside one)."""
    from hypothesis import event
    from hypothesis.errors import InvalidArgument

    with contextlib.suppress(InvalidArgument):
        event(goal)


def goal_lines(goals: dict[str, Any], width: int | None = None) -> list[str]:
    """One line per goal: how often it was reached and its shortest example; unreached goals say so. With
    ``width``, an example longer than that keeps its end (the step that reached the goal) after an ellipsis, so a
    terminal summary stays one readable line per goal; the report file keeps the whole example."""
    lines = []
    for goal in GOALS:
        count, steps, text = goals.get(goal, (0, 0, ""))
        if width is not None and len(text) > width:
            text = "… " + text[len(text) - width + 2:]
        lines.append(f"{goal}: reached {count} times, shortest in {steps} steps: {text}" if count
                     else f"{goal}: never reached")
    return lines


__all__ = ["GOALS", "goal_lines", "note", "reached"]
