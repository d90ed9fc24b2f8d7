"""The model's side of the contract's observation queries (§2 O1–O6), for the checker to compare.

Rows, history and commits of DELETED branches are left out: B10 leaves them unspecified.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from pggit_model.model.state import HISTORY_GAP, Change, CommitRow, RowKey, State


def _live(state: State, branch: str) -> bool:
    b = state.db.branches.get(branch)
    return b is not None and b.status != "DELETED"


def _live_names(state: State) -> set[str]:
    return {n for n, b in state.db.branches.items() if b.status != "DELETED"}


#: The schemas an observation reads: one name, or several (a machine's schema and the extra ones its examples
#: create, ``Client.scope``); rows elsewhere are neither observed nor predicted.
Scope = str | Collection[str]


def in_scope(scope: Scope) -> frozenset[str]:
    """The schema names of ``scope``."""
    return frozenset((scope,) if isinstance(scope, str) else scope)


def objects(state: State, schema: Scope) -> dict[RowKey, tuple[int, int, int, int, bool]]:
    """O1: row key -> (version, version_major, version_minor, version_patch, is_active)."""
    live, schemas = _live_names(state), in_scope(schema)
    return {k: (r.version, r.major, r.minor, r.patch, r.active)
            for k, r in state.db.rows.items() if k[1] in schemas and k[3] in live}


def history(state: State, schema: Scope) -> dict[RowKey, tuple[Change, ...]]:
    """O2: row key -> its changes in order; HISTORY_GAP stands for any number of unspecified rows (M6)."""
    live, schemas = _live_names(state), in_scope(schema)
    return {k: h for k, h in state.db.history.items() if k[1] in schemas and k[3] in live}


def history_matches(expected: Sequence[Change], actual: Sequence[tuple[Any, Any, Any, Any]]) -> bool:
    """Whether observed history rows (change_type, severity, old, new) fit the model's, gaps included."""
    exp = [None if c == HISTORY_GAP else (c.change_type, c.severity, c.old_version, c.new_version)
           for c in expected]
    act = [tuple(a) for a in actual]

    def go(i: int, j: int) -> bool:
        if i == len(exp):
            return j == len(act)
        if exp[i] is None:
            return any(go(i + 1, k) for k in range(j, len(act) + 1))
        return j < len(act) and exp[i] == act[j] and go(i + 1, j + 1)

    return go(0, 0)


def branches(state: State) -> dict[str, tuple[str, str | None, Any]]:
    """O3: name -> (status, parent name, head: CommitRef | None | Unspecified)."""
    return {b.name: (b.status, b.parent, b.head) for b in state.db.branches.values()}


def commits(state: State) -> tuple[CommitRow, ...]:
    """O4: commits in creation order, on branches that are not DELETED."""
    return tuple(c for c in state.db.commits if _live(state, c.branch))


def current_branch(state: State) -> str:
    """O5."""
    return state.c


def ddl_hashes(state: State, schema: Scope) -> dict[RowKey, Any]:
    """O6: row key -> stored ddl_hash (HashOf, or Unspecified where the contract leaves it open)."""
    live, schemas = _live_names(state), in_scope(schema)
    return {k: r.ddl_hash for k, r in state.db.rows.items() if k[1] in schemas and k[3] in live}


def trinity_floor(state: State) -> tuple[int, tuple[Any, ...]]:
    """O7: trinity_id_seq's last_value is at least the floor minus one and at least every value bound to
    these refs."""
    return state.counters.trinity_floor, state.counters.last_trinity
