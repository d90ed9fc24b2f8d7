"""The check of a step from what changed only (issue 19 part 3): a fast filter in front of the full comparison.

``changes_agree(state, snap, …)`` looks at the rows a changes-only Snapshot names (those with a history row newer
than the last observation) and at the small areas (current branch, commits, branches, trinity, conflicts), and
answers True when they all agree with the model. It never reports a divergence itself: on False the Driver observes
the whole state and runs the full comparison, so what is reported, and how, is the same in both modes.

What a changes-only observation cannot see — a row changed without a history row, a history row below the
watermark, a row or history row removed, a row the model changed that pgGit did not touch — the full comparison
that the Driver runs every few steps, after every non-DDL op and at each example's end, sees.
"""

from __future__ import annotations

from typing import Any

from . import checkers, commit_checks
from .divergences import Divergence
from .model import CheckContext, HashOf, Pred, State, Unspecified, observe
from .model.versions import V2_KINDS
from .snapshot import Snapshot

#: A full comparison at least every this many checks (the rest see changes only), once the schema is large.
FULL_EVERY = 10
#: Observe changes only once the last full observation saw this many object rows: below it the full observation
#: costs about as much as the changes one, and every step is compared whole as before.
CHANGES_ABOVE = 200


def changes_agree(state: State, snap: Snapshot, schema: observe.Scope, ctx: CheckContext, *, op: Any,
                  step: int) -> bool:
    """Whether every changed row (version fields, history, stored ddl_hash) and every small area agrees with the
    model. False also where the model has no row for one: only the full comparison can say what that is."""
    assert snap.changed is not None, "changes_agree needs a changes-only Snapshot (Client.observe_changes)"
    live = {n for n, b in state.db.branches.items() if b.status != "DELETED"}
    rows, history, schemas = state.db.rows, state.db.history, observe.in_scope(schema)
    for k in snap.changed:
        if k[1] not in schemas or k[3] not in live:
            continue
        r, o = rows.get(k), snap.objects.get(k)
        if k[0] not in V2_KINDS:  # no version row to compare (O1); its stored hash is, where the model has one
            if r is not None and o is not None and not _hash_agrees(r.ddl_hash, snap.ddl_hashes.get(k), ctx):
                return False
            continue
        if r is None or o is None or (r.version, r.major, r.minor, r.patch, r.active) != o:
            return False
        exp, obs = history.get(k, ()), snap.history.get(k, ())
        if exp != obs and not observe.history_matches(exp, obs):
            return False
        if not _hash_agrees(r.ddl_hash, snap.ddl_hashes.get(k), ctx):
            return False
    try:
        _small_areas(state, snap, ctx, op=op, step=step)
    except Divergence:
        return False
    return True


def _hash_agrees(want: Any, got: str | None, ctx: CheckContext) -> bool:
    """O6 for one row, as checkers.ddl_hashes_match_model judges it."""
    if isinstance(want, Unspecified):
        return True
    if want is None:
        return got is None
    assert isinstance(want, HashOf | Pred)
    return want.check(got, ctx) is None


def _small_areas(state: State, snap: Snapshot, ctx: CheckContext, *, op: Any, step: int) -> None:
    """The areas whose size does not grow with the schema, whole, as state_matches_model compares them."""
    def on(area: str) -> bool:
        return area not in snap.unobserved

    if on("current"):
        commit_checks.current_branch_matches_model(state, snap, op=op, step=step, hint=None)
    if on("commits"):
        commit_checks.commits_match_model(state, snap, ctx, op=op, step=step, hint=None)
    else:
        commit_checks.bind_commit_hashes(state, snap, ctx)
    if on("branches"):
        commit_checks.branches_match_model(state, snap, ctx, op=op, step=step, hint=None)
    if on("trinity"):
        checkers.trinity_sequence_never_reused(state, snap, ctx, op=op, step=step)
    if on("conflicts"):
        commit_checks.merge_conflicts_match_model(state, snap, ctx, op=op, step=step)


__all__ = ["CHANGES_ABOVE", "FULL_EVERY", "changes_agree"]
