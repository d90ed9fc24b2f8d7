"""Swarm testing (pggit_model.swarm) and the mixed machine's areas (pggit_model.machines.mixed), without a server."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from pggit_model.machines import ALL_MACHINES
from pggit_model.machines.mixed import ALWAYS, AREA_OF, AREAS, MixedMachine, shape
from pggit_model.model import initial_state, step
from pggit_model.ops import Begin, CreateBranch, CreateTable
from pggit_model.swarm import gate, rule_names, swarm


@settings(max_examples=200)
@given(st.data())
def test_swarm_keeps_a_nonempty_subset_in_order(data: st.DataObject) -> None:
    """A swarm draw is a non-empty subsequence of the kinds, weights (repeats) kept for the kinds it keeps."""
    kinds = ("a", "a", "b", "c")
    kept = data.draw(swarm(kinds))
    assert kept and set(kept) <= set(kinds)
    assert list(kept) == [k for k in kinds if k in kept]


def test_swarm_reaches_every_size() -> None:
    """Over many examples a swarm draw keeps one area only, and every area: it really leaves kinds out."""
    sizes: set[int] = set()

    @settings(max_examples=300, database=None)
    @given(swarm(AREAS))
    def draw(kept: tuple[str, ...]) -> None:
        sizes.add(len(kept))

    draw()
    assert 1 in sizes and len(AREAS) in sizes and len(sizes) >= 5


def test_every_mixed_rule_is_in_exactly_one_area() -> None:
    """Each rule of the mixed machine is gated on one of AREAS, or always on; none escapes the swarm."""
    names = rule_names(MixedMachine)
    assert names == set(AREA_OF) | set(ALWAYS)
    assert set(AREA_OF.values()) == set(AREAS)
    gated = {r.function.__name__: r for r in MixedMachine.setup_state().rules}
    for name, area in AREA_OF.items():
        assert gated[name].preconditions[-1].__qualname__ == f"area {area!r} on", name
    assert all(not any("area" in p.__qualname__ for p in gated[n].preconditions) for n in ALWAYS)


def test_gating_leaves_the_composed_machines_alone() -> None:
    """Gating the mixed machine adds no precondition to the machines it composes (their draws stay as they were)."""
    for machine in ALL_MACHINES:
        if machine is MixedMachine:
            continue
        for r in machine.setup_state().rules:
            assert all("area" not in getattr(p, "__qualname__", "") for p in r.preconditions), (machine, r)


def test_mixed_machine_composes_every_area_rule() -> None:
    """The mixed machine holds every rule of the single-area machines it mixes (not copies: the same functions)."""
    from pggit_model.machines import (
        BranchesCommitsMachine,
        FaultsMachine,
        HashesMachine,
        TrinityMachine,
        VersioningMachine,
    )

    for machine in (VersioningMachine, BranchesCommitsMachine, HashesMachine, TrinityMachine, FaultsMachine):
        assert rule_names(machine) <= rule_names(MixedMachine), machine


class _Two(RuleBasedStateMachine):
    areas = ("x",)

    @rule()
    def in_x(self) -> None:
        pass

    @rule()
    def in_y(self) -> None:
        raise AssertionError("a rule of an area left out ran")


def test_gate_disables_the_rules_of_areas_left_out() -> None:
    """With area y left out, y's rule is never enabled: a machine whose y rule fails passes."""
    gate(_Two, {"in_x": "x", "in_y": "y"})
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(_Two, settings=settings(max_examples=20, stateful_step_count=5, database=None))
    _Two.areas = ("x", "y")
    with pytest.raises(AssertionError, match="left out ran"):
        run_state_machine_as_test(_Two, settings=settings(max_examples=50, stateful_step_count=5, database=None))


def test_gate_refuses_a_rule_without_an_area() -> None:
    """A rule added to a composed machine but placed in no area is a definition error, not silently ungated."""

    class Three(RuleBasedStateMachine):
        @rule()
        def placed(self) -> None:
            pass

        @rule()
        def forgotten(self) -> None:
            pass

    with pytest.raises(TypeError, match="rules without an area: forgotten"):
        gate(Three, {"placed": "x"})


def test_shape_tells_states_apart() -> None:
    """The novelty shape differs after a table is created, a branch is added, and a transaction opens."""
    s0 = initial_state(schemas=("s",))
    s1, _ = step(s0, CreateTable("s", "t", ()))
    s2, _ = step(s1, CreateBranch("b", "main"))
    s3, _ = step(s2, Begin())
    assert len({shape(s0), shape(s1), shape(s2), shape(s3)}) == 4
