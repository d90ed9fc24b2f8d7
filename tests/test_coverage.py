"""Coverage you can read (issue 18 part 4): checks counted per rule, a machine's RULES list enforced under ``ci``,
labelled goals with their shortest example (pggit_model.session, pggit_model.goals, Harness._check_coverage).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from pggit_model import goals
from pggit_model.errors import CoverageGap
from pggit_model.isolation import Template
from pggit_model.machine import Harness
from pggit_model.machines import VersioningMachine
from pggit_model.model import initial_state, step
from pggit_model.ops import Begin, CheckoutBranch, Commit, CreateBranch, CreateTable, Op, Rollback
from pggit_model.pytest_plugin import _stats_in, _stats_out
from pggit_model.rules import ALL_RULES, span
from pggit_model.session import RunStats, coverage_gaps, merge_stats, rule_count_lines

S = "mc_cov1"


def test_rule_checks_add_up_across_machines_and_workers() -> None:
    """merge_stats adds the checks per rule (a Counter, not a set) and survives the xdist round trip."""
    a, b = RunStats(rules=Counter({"V7": 3, "V10k": 1})), RunStats(rules=Counter({"V7": 2}))
    merge_stats(a, _stats_in(_stats_out(b)))
    assert a.rules == Counter({"V7": 5, "V10k": 1})


def test_checks_per_rule_count_sub_rules_for_their_rule() -> None:
    """V10k and V10e are checks of V10; every rule of a family is listed, unchecked ones with 0."""
    lines = rule_count_lines(Counter({"V10k": 2, "V10e": 3, "B2": 1}), ALL_RULES)
    v = next(line for line in lines if line.startswith("V:"))
    assert "V10 5" in v and "V9 0" in v
    assert next(line for line in lines if line.startswith("B:")).startswith("B: B1 0, B2 1")


def test_coverage_gaps_name_the_listed_rules_no_check_cited() -> None:
    """A rule of the list counts as exercised through a sub-rule; one never cited (or cited 0 times) is a gap."""
    assert coverage_gaps(("V10", "M1", "B2"), Counter({"V10k": 1, "B2": 0})) == ["M1", "B2"]
    assert span("X1", "X3") == ("X1", "X2", "X3")


def _walk(*ops: Op) -> list[tuple[Op, object, object, object]]:
    """(op, expected, state before, state after) for each op through the pure model."""
    state, out = initial_state(schemas=(S,)), []
    for op in ops:
        after, expected = step(state, op)
        out.append((op, expected, state, after))
        state = after
    return out


def _reached(*ops: Op, status: str = "ok") -> list[list[str]]:
    return [goals.reached(op, e, status if e.kind != "error" else "error", b, a, False)  # type: ignore[arg-type]
            for op, e, b, a in _walk(*ops)]


def test_goals_are_reached_by_the_steps_that_make_them() -> None:
    """Checkout then COMMIT, DDL then ROLLBACK and a rejected call are labelled at the step that reaches them."""
    across = _reached(CreateBranch("f", "main"), Begin(), CheckoutBranch("f"), Commit())
    assert across[-1] == [goals.CHECKOUT_ACROSS_COMMIT] and not any(across[:-1])
    undone = _reached(Begin(), CreateTable(S, "t", ()), Rollback())
    assert undone[-1] == [goals.ROLLBACK_UNDID_TRACKING]
    assert goals.REJECTED_CALL in _reached(CreateBranch("main", "main"))[0]


def test_goals_are_not_reached_by_their_near_misses() -> None:
    """COMMIT on main, a ROLLBACK that undid nothing tracked and a successful call reach no goal."""
    assert _reached(Begin(), CreateBranch("f", "main"), Commit())[-1] == []
    assert _reached(Begin(), Rollback())[-1] == []
    assert _reached(CreateBranch("f", "main")) == [[]]


def test_the_shortest_example_of_a_goal_is_kept() -> None:
    """note counts every time a goal is reached and keeps the example with the fewest steps."""
    stats = RunStats()
    long = [CreateTable(S, "a", ()), Begin(), Rollback()]
    goals.note(stats.goals, [goals.ROLLBACK_UNDID_TRACKING], long)
    goals.note(stats.goals, [goals.ROLLBACK_UNDID_TRACKING], long[1:])
    goals.note(stats.goals, [goals.ROLLBACK_UNDID_TRACKING], long)
    count, steps, text = stats.goals[goals.ROLLBACK_UNDID_TRACKING]
    assert (count, steps) == (3, 2) and text.startswith("Begin(")
    other = RunStats(goals={goals.ROLLBACK_UNDID_TRACKING: (1, 1, "Rollback()")})
    merge_stats(stats, other)
    assert stats.goals[goals.ROLLBACK_UNDID_TRACKING] == (4, 1, "Rollback()")


# -- the ci profile fails on a machine's unexercised rules ------------------------------------------------------

class ListsMergeRules(VersioningMachine):
    """The versioning machine claiming M1 (merges), which it never draws, besides V7."""

    RULES = ("V7", "M1")


@pytest.fixture
def small_ci() -> Iterator[None]:
    """The ``ci`` profile, shrunk to a few short examples for this test, then put back."""
    original, current = settings.get_profile("ci"), settings.get_current_profile_name()
    settings.register_profile("ci", original, max_examples=3, stateful_step_count=4, database=None,
                              suppress_health_check=list(HealthCheck))
    settings.load_profile("ci")
    try:
        yield
    finally:
        settings.register_profile("ci", original)
        settings.load_profile(current)


@pytest.mark.server
def test_a_ci_run_fails_on_a_listed_rule_it_never_exercised(pggit_template: Template, tmp_path: Path,
                                                             small_ci: None) -> None:
    """Under ci, a machine whose RULES list names a rule none of its checks cited fails with CoverageGap."""
    stats = RunStats()
    harness = Harness(pggit_template, tmp_path, stats=stats, run_id="cov001")
    try:
        with pytest.raises(CoverageGap, match=r"ListsMergeRules never exercised M1 of its RULES list"):
            harness.run(ListsMergeRules)
    finally:
        harness.close()
    assert stats.gaps == {"ListsMergeRules": ["M1"]}
    assert stats.rules["V7"] > 0


@pytest.mark.server
def test_outside_ci_the_list_is_not_enforced(pggit_template: Template, tmp_path: Path) -> None:
    """With settings given in code (or smoke), the same machine passes: only long profiles must cover the list."""
    stats = RunStats()
    harness = Harness(pggit_template, tmp_path, stats=stats, run_id="cov002")
    try:
        harness.run(ListsMergeRules, settings=settings(max_examples=2, stateful_step_count=3, database=None,
                                                       deadline=None, suppress_health_check=list(HealthCheck)))
    finally:
        harness.close()
    assert stats.gaps == {} and stats.examples >= 2


def test_a_terminal_goal_line_keeps_the_step_that_reached_it() -> None:
    """With a width, a long example is cut at its start, so the line keeps the step that reached the goal and stays
    short; without one (the report file) the whole example is kept."""
    text = "; ".join(f"CreateTable(name='t{i}')" for i in range(50)) + "; MergeBranches('b', 'main')"
    table = {goals.MERGE_CONFLICT: (3, 51, text)}
    short = goals.goal_lines(table, width=120)[0]
    assert short.endswith("MergeBranches('b', 'main')") and "… " in short and len(short) < 200
    assert goals.goal_lines(table)[0].endswith(text)
