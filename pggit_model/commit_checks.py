"""The state checks of the session's branch, the branches, the commits and the merge conflicts (O3–O5, B, C, M5).

Called by ``checkers.state_matches_model`` (and, between full comparisons, by ``incremental``); each raises the
Divergence of its own rule, with a small diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .divergences import NO_IGNORE, Ignore, differing, diverge
from .model import CheckContext, CommitRef, State, Unspecified, observe
from .snapshot import Snapshot

DIFF_LINES = 8


def live_branches(state: State) -> list[str]:
    """The names of the branches not deleted."""
    return [b.name for b in state.db.branches.values() if b.status != "DELETED"]


def _diff(expected: Mapping[Any, Any], observed: Mapping[Any, Any]) -> tuple[str, str]:
    """Only the keys that differ, a few of each, so the message stays readable."""
    keys = sorted({*expected, *observed} - {k for k in expected if k in observed and expected[k] == observed[k]},
                  key=repr)[:DIFF_LINES]
    exp = "; ".join(f"{k}: {expected.get(k, '(absent)')}" for k in keys)
    obs = "; ".join(f"{k}: {observed.get(k, '(absent)')}" for k in keys)
    return exp or "(nothing)", obs or "(nothing)"


def current_branch_matches_model(state: State, snap: Snapshot, *, op: Any, step: int, hint: str | None) -> None:
    """O5/B6/B7: the session's current branch is the model's."""
    if observe.current_branch(state) != snap.current_branch:
        diverge(hint or "B6", "the current branch differs from the model", op=op, step=step, area="current",
                expected=observe.current_branch(state), observed=snap.current_branch)


def branches_match_model(state: State, snap: Snapshot, ctx: CheckContext, *, op: Any, step: int,
                         hint: str | None, ignore: Ignore = NO_IGNORE) -> None:
    """O3: every branch with its status, parent and head commit (heads resolved through bound commit refs)."""
    exp_raw = dict(observe.branches(state))  # a copy: heads may be marked unknown below
    exp: dict[str, tuple[Any, ...]] = {}
    obs: dict[str, tuple[Any, ...]] = {}
    heads_off = "*" in ignore.get("commits", ())
    for name, (status, parent, head) in exp_raw.items():
        if heads_off and isinstance(head, CommitRef) and ("hash", head) not in ctx.bindings:
            # The commits area is off after a known divergence and no row is this commit's: its hash is unknown.
            head = Unspecified("C2")
            exp_raw[name] = (status, parent, head)
        exp[name] = (status, parent, _ref_text(head, ctx))
    for name, b in snap.branches.items():
        row = exp_raw.get(name)
        head_unspecified = row is not None and isinstance(row[2], Unspecified)
        obs[name] = (b.status, b.parent, "(unspecified)" if head_unspecified else b.head)
    skip = ignore.get("branches", set())
    exp = {k: v for k, v in exp.items() if k not in skip}
    obs = {k: v for k, v in obs.items() if k not in skip}
    if exp == obs:
        return
    e, o = _diff(exp, obs)
    diverge(hint or _branch_rule(exp, obs), "pggit.branches differ from the model (name: status, parent, head)",
            op=op, step=step, expected=e, observed=o, area="branches", keys=differing(exp, obs))


def _ref_text(head: Any, ctx: CheckContext) -> Any:
    if isinstance(head, Unspecified):
        return "(unspecified)"
    if isinstance(head, CommitRef):
        return ctx.bindings.get(("hash", head), ctx.bindings.get(head, f"<unbound {head!r}>"))
    return head


def _branch_rule(exp: Mapping[str, tuple], obs: Mapping[str, tuple]) -> str:
    for name in exp:
        if name not in obs:
            return "B2"
    for name in obs:
        if name not in exp:
            return "B3"
    name = next(n for n in exp if exp[n] != obs[n])
    e, o = exp[name], obs[name]
    if e[0] != o[0]:
        return {"DELETED": "B10", "MERGED": "M4"}.get(e[0], "B10" if o[0] == "DELETED" else "M4")
    if e[1] != o[1]:
        return "B4"
    return "C2" if e[2] is not None else "B4"


def commits_match_model(state: State, snap: Snapshot, ctx: CheckContext, *, op: Any, step: int,
                        hint: str | None) -> None:
    """O4/C2/C3/C8: one row per model commit (found by its bound id), with parent, message and tree hash.

    Its divergences are of area "commits": a known one switches the area off for the rest of the example."""
    rows = list(snap.commits)
    hashes = [r.hash for r in rows]
    if len(set(hashes)) != len(hashes):
        dup = next(h for h in hashes if hashes.count(h) > 1)
        diverge("C8", f"commit hash {dup!r} appears {hashes.count(dup)} times (C8a)", op=op, step=step, area="commits")
    live = set(live_branches(state))
    model = observe.commits(state)
    candidates = bind_commit_hashes(state, snap, ctx)
    found: dict[CommitRef, Any] = {}
    for c in model:
        if c.ref not in candidates:
            continue  # its call's answer has not been seen (cannot happen in a sequential run)
        ident, matches = candidates[c.ref]
        if len(matches) != 1:
            diverge(hint or "C3", f"{len(matches)} commits rows are identified by {ident!r} ({c.ref!r}); "
                    "exactly one must be", op=op, step=step, area="commits", expected=f"one row for {c!r}",
                    observed=[str(r) for r in matches][:3] or "(none)")
        found[c.ref] = matches[0]
    exp: dict[Any, tuple[Any, ...]] = {}
    obs: dict[Any, tuple[Any, ...]] = {}
    for c in model:
        if c.ref not in found:
            continue
        r = found[c.ref]
        parent = r.parent if isinstance(c.parent, Unspecified) else None if c.parent is None else ctx.bindings.get(
            ("hash", c.parent), f"<{c.parent!r}>")  # M6: the first commit on a merge target has any parent (C8 holds)
        exp[c.ref] = (c.branch, parent, c.message, c.tree_hash)
        obs[c.ref] = (r.branch, r.parent, r.message, r.tree_hash)
    if exp != obs:
        e, o = _diff(exp, obs)
        k = next(k for k in exp if exp[k] != obs[k])
        rule = hint or ("C4" if exp[k][2] != obs[k][2] or exp[k][3] != obs[k][3] else "C2")
        diverge(rule, "commits differ from the model (commit: branch, parent hash, message, tree_hash)",
                op=op, step=step, area="commits", expected=e, observed=o)
    matched = {id(r) for r in found.values()}
    extra = [r for r in rows if id(r) not in matched and (r.branch in live or r.branch is None)]
    if extra:
        diverge(hint or "C2", f"{len(extra)} commits rows the model did not create (C2: exactly one per call, "
                "C6)", op=op, step=step, area="commits", expected=f"{len(model)} commits",
                observed=[str(r) for r in extra][:3])
    _commit_graph_is_sound(snap, op=op, step=step)


def bind_commit_hashes(state: State, snap: Snapshot, ctx: CheckContext) -> dict[CommitRef, tuple[Any, list[Any]]]:
    """Bind every model commit to its row — by hash (commit_changes) or by the uuid create_commit returned (C3) —
    where exactly one row is identified; returns each commit's identifier and the rows it finds. Branch heads are
    compared through these bindings, so they are made even when the commits area itself is not checked."""
    out: dict[CommitRef, tuple[Any, list[Any]]] = {}
    for c in observe.commits(state):
        ident = c.hash or ctx.bindings.get(c.ref)
        if ident is None:
            continue
        matches = [r for r in snap.commits if r.hash == ident or r.commit_id == ident]
        out[c.ref] = (ident, matches)
        if len(matches) == 1:
            ctx.bindings[("hash", c.ref)] = matches[0].hash
    return out


def _commit_graph_is_sound(snap: Snapshot, *, op: Any, step: int) -> None:
    """C8b–e on the observed rows alone: parents exist, no cycle, heads are commits of their own branch."""
    by_hash = {r.hash: r for r in snap.commits}
    for r in snap.commits:
        if r.parent is not None and r.parent not in by_hash:
            diverge("C8", f"commit {r.hash!r} has parent {r.parent!r}, which is not a commit (C8b)",
                    op=op, step=step, area="commits")
    for r in snap.commits:
        seen = set()
        cur: Any = r
        while cur is not None and cur.parent is not None:
            if cur.hash in seen:
                diverge("C8", f"the parent links from {r.hash!r} form a cycle (C8c)", op=op, step=step, area="commits")
            seen.add(cur.hash)
            cur = by_hash.get(cur.parent)
    for name, b in snap.branches.items():
        if b.head is not None:
            head = by_hash.get(b.head)
            if head is None or head.branch != name:
                diverge("C8", f"branch {name!r} has head {b.head!r}, which is not a commit of that branch (C8d)",
                        op=op, step=step, area="commits")
            reach = set()
            cur = head
            while cur is not None and cur.hash not in reach:
                reach.add(cur.hash)
                cur = by_hash.get(cur.parent) if cur.parent else None
            own = {r.hash for r in snap.commits if r.branch == name}
            if not own <= reach:
                diverge("C8", f"commits {sorted(own - reach)[:3]} of {name!r} are not reachable from its head (C8e)",
                        op=op, step=step, area="commits")


def merge_conflicts_match_model(state: State, snap: Snapshot, ctx: CheckContext, *, op: Any, step: int) -> None:
    """M5: one merge_conflicts row per conflict, with its merge's id, S, T and the key's full name."""
    exp = sorted((ctx.bindings.get(c.merge, f"<{c.merge!r}>"), c.branch_a, c.branch_b, c.conflict_object)
                 for c in state.db.conflicts)
    obs = sorted(snap.conflicts)
    if exp != obs:
        diverge("M5", "merge_conflicts rows differ from the model (merge_id, branch_a, branch_b, conflict_object)",
                op=op, step=step, area="conflicts", expected=exp[:DIFF_LINES], observed=obs[:DIFF_LINES])
