"""pgGit API call merge_branches (M1–M6): a three-way merge of one branch's rows into another's."""

from __future__ import annotations

from typing import Any

from attrs import evolve

from pggit_model.model.calls_common import Result, reject
from pggit_model.model.expected import (
    Expected,
    MergeRef,
    MergeResult,
)
from pggit_model.model.state import HISTORY_GAP, Conflict, Row, RowKey, State, Unspecified
from pggit_model.ops import calls


def merge_branches(state: State, op: calls.MergeBranches) -> Result:
    branches = state.db.branches
    src, tgt = op.source, op.target
    if src is None or tgt is None or src not in branches or tgt not in branches:
        return reject(state, "M1", "source or target is NULL or unknown")
    if src == tgt:
        return reject(state, "M1", "source and target are the same branch")
    S, T = branches[src], branches[tgt]
    if S.parent != tgt or S.status != "ACTIVE" or T.status != "ACTIVE" or S.merged:
        return state, Expected.unspecified("M2", "only merging an ACTIVE branch, never merged, into its ACTIVE "
                                                 "parent is specified")
    rows = state.db.rows
    ref = MergeRef(state.counters.merges)
    changed, conflicts = _three_way(rows, S.base, src, tgt, ref)
    success = not conflicts
    history = state.db.history
    gaps = _history_gaps(rows, history, tgt, changed)
    new_s = evolve(S, status="MERGED" if success else "ACTIVE", merged=True)
    db = evolve(state.db, rows=rows.merge(changed), history=history.merge(gaps),
                branches=branches.set(src, new_s).set(tgt, evolve(T, head=Unspecified("M6"))),
                conflicts=(*state.db.conflicts, *conflicts))
    counters = evolve(state.counters, merges=ref.n + 1)
    return evolve(state, db=db, counters=counters), Expected.of(MergeResult(success, ref), rule=("M3", "M4", "M5"))


def _three_way(rows: Any, base: Any, src: str, tgt: str, ref: MergeRef) -> tuple[dict[RowKey, Row], list[Conflict]]:
    """M3: T's rows after taking what only S changed since `base`, and a conflict for each object both changed
    differently."""
    s_rows = {k[:3]: r for k, r in rows.items() if k[3] == src and r.active}
    t_rows = {k[:3]: r for k, r in rows.items() if k[3] == tgt and r.active}
    changed: dict[RowKey, Row] = {}
    conflicts = []
    for k in sorted(set(base) | set(s_rows) | set(t_rows)):
        b = base.get(k)
        st_s = s_rows[k].state if k in s_rows else None
        st_t = t_rows[k].state if k in t_rows else None
        if st_s == b:
            continue
        if st_t == b:  # only S changed k: T takes S's state (M3)
            tk = (*k, tgt)
            if st_s is None:
                old = rows.get(tk)
                if old is not None and old.active:
                    changed[tk] = evolve(old, active=False)
            else:
                changed[tk] = evolve(s_rows[k], ddl_hash=Unspecified("M6"))
        elif st_s != st_t:
            conflicts.append(Conflict(ref, src, tgt, f"{k[1]}.{k[2]}"))
    return changed, conflicts


def _history_gaps(rows: Any, history: Any, tgt: str, changed: dict[RowKey, Row]) -> dict[RowKey, Any]:
    """M6: T's history is unspecified from here: a gap marker on each of T's rows (once)."""
    gaps = {}
    for key in {*(k for k in rows if k[3] == tgt), *changed}:
        h = history.get(key, ())
        if not h or h[-1] != HISTORY_GAP:
            gaps[key] = (*h, HISTORY_GAP)
    return gaps


__all__ = ["merge_branches"]
