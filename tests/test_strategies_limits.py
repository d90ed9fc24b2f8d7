"""Every limit the contract states is drawn at limit−1, limit and limit+1 by the op strategies the machines use."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import btrim, initial_state, step
from pggit_model.strategies import LIMITS, branch_ops, call_ops, commit_ops, names, trinity_ops
from pggit_model.strategies.limits import NOT_DRAWN

#: Seeded draws, generation only (no shrinking: a hit is not a failure to minimise).
_COLLECT = settings(max_examples=2000, database=None, derandomize=True, phases=[Phase.generate], deadline=None,
                    suppress_health_check=list(HealthCheck))
SCHEMA = "app"


def _state() -> Any:
    state = initial_state((SCHEMA,))
    # the search_path the machines set before lookups of unknown names (V17 step 2 would reach public, I5)
    for op in (ops.CreateTable(SCHEMA, "t1", (ops.Column("a", "integer"),)), ops.CreateBranch("feature"),
               ops.SetSearchPath((SCHEMA,))):
        state = step(state, op)[0]
    return state


def _len_after_trim(value: str | None) -> int | None:
    return None if value is None else len(btrim(value))


def _ident_bytes(op: ops.Op) -> int | None:
    if isinstance(op, ops.CreateTable):
        return len(op.name.encode())
    if isinstance(op, ops.GetVersion | ops.GetHistory) and op.name is not None and "." in op.name:
        return len(op.name.split(".", 1)[1].encode())
    return None


STATE = _state()
#: limit -> (the strategy a machine draws it from, what of a drawn op the limit applies to)
SOURCES: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any], int | None]]] = {
    "branch_name_chars": (branch_ops(STATE),
                          lambda op: len(op.name) if isinstance(op, ops.CreateBranch) and op.name else None),
    "changes_message_chars": (commit_ops(STATE), lambda op: _len_after_trim(op.message)
                              if isinstance(op, ops.CommitChanges) else None),
    "custom_id_chars": (commit_ops(STATE), lambda op: _len_after_trim(op.custom_id)
                        if isinstance(op, ops.CommitChanges) else None),
    "commit_message_chars": (commit_ops(STATE), lambda op: len(op.message)
                             if isinstance(op, ops.CreateCommit) and op.message is not None else None),
    # DDL names come from names() (62 and 63 bytes; 64 would be truncated), lookups as text (all three)
    "identifier_bytes": (st.one_of(names().map(lambda n: ops.CreateTable(SCHEMA, n, ())), call_ops(STATE, SCHEMA)),
                         _ident_bytes),
    "history_limit": (call_ops(STATE, SCHEMA), lambda op: op.limit if isinstance(op, ops.GetHistory) else None),
    "trinity_six_digits": (trinity_ops(), lambda op: op.value + 1 if isinstance(op, ops.SetTrinitySequence)
                           else None),
    "trinity_int4": (trinity_ops(), lambda op: op.value + 1 if isinstance(op, ops.SetTrinitySequence) else None),
}


class _AllSeen(Exception):
    pass


def edges_missed(strategy: st.SearchStrategy[Any], measure: Callable[[Any], int | None],
                 edges: tuple[int, ...]) -> list[int]:
    """The edges none of _DRAWS seeded draws reaches (it stops as soon as all are seen)."""
    seen: set[int | None] = set()

    @_COLLECT
    @given(strategy)
    def collect(op: Any) -> None:
        seen.add(measure(op))
        if seen.issuperset(edges):
            raise _AllSeen

    with contextlib.suppress(_AllSeen):
        collect()
    return [e for e in edges if e not in seen]


def test_every_limit_has_a_source() -> None:
    """Each row of LIMITS is held to the strategy that draws it here, and NOT_DRAWN says why for the rest."""
    assert set(SOURCES) == set(LIMITS)
    assert all(why for why in NOT_DRAWN.values())


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_each_limit_is_drawn_at_its_edges(name: str) -> None:
    """B3 (255), C1 (1), C7 (10, 10 000), V5 (63 bytes), V18 (1), T3 (10^6), T8 (2^31): the machines' strategies
    draw each limit at limit−1, limit and limit+1 (where the contract can express that point)."""
    strategy, measure = SOURCES[name]
    assert edges_missed(strategy, measure, LIMITS[name].edges()) == []


def test_a_uniform_draw_misses_the_edges() -> None:
    """The check bites: commit_changes messages drawn as ordinary text (up to 40 characters) never reach C7's
    10 000-character edge, and the check reports all three points missed."""
    uniform = st.builds(ops.CommitChanges, st.just("main"), st.text("x", max_size=40), st.none())
    missed = edges_missed(uniform, SOURCES["changes_message_chars"][1], LIMITS["changes_message_chars"].edges())
    assert missed == list(LIMITS["changes_message_chars"].edges())
