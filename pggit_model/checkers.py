"""Compare what the database did with what the model says, one contract area per function.

* ``check_completion``: the answer of one statement (value, rows or error class) agrees with ``Expected``.
* ``objects_match_model`` … ``trinity_sequence_never_reused``: the observed state (``Snapshot``) agrees with
  the model's state, area by area (O1–O7). Each raises the Divergence of its own rule, with a small diff.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .client import Completion
from .divergences import diverge, first_rule
from .model import CheckContext, CommitRef, Expected, HashOf, Pred, State, Unspecified, observe
from .model.drift import unknown_row
from .model.state import HISTORY_GAP, RowKey
from .model.versions import V2_KINDS
from .snapshot import Snapshot

DIFF_LINES = 8


#: The parts of the state check, as named in Divergence.area.
AREAS = ("current", "commits", "branches", "objects", "ddl_hashes", "trinity", "conflicts")
#: "history" divergences (O2) are part of the "objects" area for what is checked and ignored.
Ignore = Mapping[str, set[Any]]
NO_IGNORE: Ignore = {}


def _differing(expected: Mapping[Any, Any], observed: Mapping[Any, Any]) -> list[Any]:
    return [k for k in {*expected, *observed} if expected.get(k, _ABSENT) != observed.get(k, _ABSENT)]


_ABSENT = object()


def _diff(expected: Mapping[Any, Any], observed: Mapping[Any, Any]) -> tuple[str, str]:
    """Only the keys that differ, a few of each, so the message stays readable."""
    keys = sorted({*expected, *observed} - {k for k in expected if k in observed and expected[k] == observed[k]},
                  key=repr)[:DIFF_LINES]
    exp = "; ".join(f"{k}: {expected.get(k, '(absent)')}" for k in keys)
    obs = "; ".join(f"{k}: {observed.get(k, '(absent)')}" for k in keys)
    return exp or "(nothing)", obs or "(nothing)"


# -- one statement ------------------------------------------------------------------------------------

def check_completion(expected: Expected, done: Completion, ctx: CheckContext, *, op: Any, step: int) -> None:
    """The statement's outcome agrees with the model (value, rows or error class), or a Divergence."""
    if done.status == "unknown":
        raise ConnectionError(f"the connection was lost during step {step} {op!r}: {done.message}")
    if done.status == "error":
        problem = expected.check_error(done.sqlstate)
        observed: Any = f"error {done.sqlstate}: {done.message}"
    else:
        ctx.latest = datetime.fromtimestamp(done.answered_at, UTC)
        if op.result == "rows":
            problem = expected.check_success(rows=done.value, ctx=ctx)
        else:
            problem = expected.check_success(value=done.value, ctx=ctx)
        observed = f"ok {done.value!r}"
    if problem is not None:
        want = (f"error {'|'.join(expected.sqlstates) or '(any)'}" if expected.is_error
                else f"{expected.kind} {_expected_text(expected)}")
        diverge(first_rule(problem, expected.rules[0] if expected.rules else "X0"), problem,
                op=op, step=step, expected=want, observed=observed)


def _expected_text(e: Expected) -> str:
    if e.kind == "value":
        return repr(e.value)
    if e.kind == "rows":
        return f"{len(e.rows)} rows {list(e.rows)!r}"[:300]
    return ""


# -- whole state --------------------------------------------------------------------------------------

def _observed_objects(snap: Snapshot, live: Iterable[str]) -> dict[RowKey, Any]:
    """V2 rows on live branches; each an ObjectRow, a named tuple equal to the model's (version, M, m, p, active)."""
    branches = set(live)
    return {k: r for k, r in snap.objects.items() if k[0] in V2_KINDS and k[3] in branches}


def _live_branches(state: State) -> list[str]:
    return [b.name for b in state.db.branches.values() if b.status != "DELETED"]


def _skipped(key: RowKey, skip: set[Any]) -> bool:
    """A row key the model gave up on: itself, or its object on every branch (``(type, schema, name, "*")``)."""
    return key in skip or (*key[:3], "*") in skip


def _without_unknown(state: State, rows: dict[RowKey, Any]) -> dict[RowKey, Any]:
    """``rows`` without the objects drift created or dropped (U3 leaves their rows unspecified)."""
    if not state.db.unknown:
        return rows
    return {k: v for k, v in rows.items() if not unknown_row(state.db, k)}


def _version(row: tuple | None) -> str:
    return "(none)" if row is None else f"v{row[0]} {row[1]}.{row[2]}.{row[3]}{'' if row[4] else ' inactive'}"


def _step_kind(old: tuple | None, new: tuple | None) -> str:
    """What one statement did to a row's version, in the contract's words (V7, V9, V13, V14)."""
    if old is None or new is None:
        return "new" if old is None and new is not None else "gone" if new is None and old is not None else "none"
    if old == new:
        return "unchanged"
    if old[4] != new[4]:
        return "dropped" if old[4] else "revived"
    (v0, a0, b0, c0), (v1, a1, b1, c1) = old[:4], new[:4]
    bump = ("+MAJOR" if a1 > a0 and b1 == c1 == 0 else "+MINOR" if a1 == a0 and b1 > b0 and c1 == 0
            else "+PATCH" if (a1, b1) == (a0, b0) and c1 > c0 else "other")
    return f"{bump} v{'+' if v1 >= v0 else ''}{v1 - v0}"


def describe_change(k: RowKey, before: Mapping[RowKey, tuple], expected: Mapping[RowKey, tuple],
                    observed: Mapping[RowKey, tuple]) -> str:
    """What the statement did to row ``k`` in the model and in the database, so a registry matcher can name a
    bug by its shape ("model +PATCH v+1, pgGit +MAJOR v+1") rather than by version ranges."""
    old, e, o = before.get(k), expected.get(k), observed.get(k)
    return (f"{k[0]} {k[2]} on {k[3]}: was {_version(old)}; model {_step_kind(old, e)} -> {_version(e)}; "
            f"pgGit {_step_kind(old, o)} -> {_version(o)}")


def objects_match_model(state: State, snap: Snapshot, schema: str, *, op: Any, step: int, hint: str | None,
                        ignore: Ignore = NO_IGNORE, before: Mapping[RowKey, tuple] | None = None) -> None:
    """O1: every V2 row of the machine's schema on a live branch has the model's version fields and activity.

    ``before``: the rows as last observed (the model had adopted them), to say what this step did to each."""
    skip = ignore.get("objects", set())
    exp = observe.objects(state, schema)
    obs = _observed_objects(snap, _live_branches(state))
    exp, obs = _without_unknown(state, exp), _without_unknown(state, obs)
    if skip:
        exp = {k: v for k, v in exp.items() if not _skipped(k, skip)}
        obs = {k: v for k, v in obs.items() if not _skipped(k, skip)}
    if exp == obs:  # one comparison of the whole area; the rest only runs to explain a difference
        return
    obs = {k: tuple(v) for k, v in obs.items()}  # printed as the model's tuples are
    keys = _differing(exp, obs)
    # One row per divergence: a registry entry then vouches for that row only, and another row differing in the
    # same step is its own divergence (new or known), not hidden behind the first.
    k, rule = _first_difference(exp, obs, keys)
    more = f" (and {len(keys) - 1} more row(s))" if len(keys) > 1 else ""
    diverge(hint or rule, f"pggit.objects rows differ from the model (row key: version, M, m, p, is_active){more}\n"
            f"{describe_change(k, before or {}, exp, obs)}",
            op=op, step=step, expected=f"{k}: {exp.get(k, '(absent)')}", observed=f"{k}: {obs.get(k, '(absent)')}",
            area="objects", keys=[k])


def _first_difference(exp: Mapping[RowKey, tuple], obs: Mapping[RowKey, tuple],
                      keys: Iterable[RowKey]) -> tuple[RowKey, str]:
    """The differing row to report first, and its rule: a missing row, an extra one, then activity, then versions."""
    def rank(k: RowKey) -> tuple[int, str]:
        if k not in obs:
            return (0, repr(k))
        if k not in exp:
            return (1, repr(k))
        return (2 if exp[k][4] != obs[k][4] else 3, repr(k))

    k = min(keys, key=rank)
    if k not in obs:
        return k, "V10" if exp[k][4] else "V13"
    if k not in exp:
        return k, "V15"
    if exp[k][4] != obs[k][4]:
        return k, "V13" if not exp[k][4] else "V14"
    return k, "V11" if k[0] == "COLUMN" else "V7"


def history_matches_model(state: State, snap: Snapshot, schema: str, *, op: Any, step: int,
                          hint: str | None, ignore: Ignore = NO_IGNORE) -> None:
    """O2/V8: each row key's history rows, in order, are the model's (exactly one row per change)."""
    skip = ignore.get("objects", set())
    exp = observe.history(state, schema)
    live = set(_live_branches(state))
    obs: dict[RowKey, Any] = {k: v for k, v in snap.history.items() if k[0] in V2_KINDS and k[3] in live}
    exp, obs = _without_unknown(state, exp), _without_unknown(state, obs)
    if skip:
        exp = {k: v for k, v in exp.items() if not _skipped(k, skip)}
        obs = {k: v for k, v in obs.items() if not _skipped(k, skip)}
    if exp == obs:
        # Changes and HistoryRows are named tuples, equal field by field (a HISTORY_GAP equals no real row,
        # and any rows it did equal, history_matches would accept too).
        return
    obs = {k: tuple(tuple(h) for h in v) for k, v in obs.items()}
    bad = {}
    for k in {*exp, *obs}:
        if exp.get(k, ()) != obs.get(k, ()) and not observe.history_matches(exp.get(k, ()), obs.get(k, ())):
            bad[k] = True
    if not bad:
        return
    k = sorted(bad, key=repr)[0]
    expected = [(c.change_type, c.severity, c.old_version, c.new_version) for c in exp.get(k, ())]
    diverge(hint or _history_rule(expected, list(obs.get(k, ()))),
            f"history of {k} differs from the model (change_type, severity, old, new)",
            op=op, step=step, expected=expected, observed=list(obs.get(k, ())), area="history", keys=[k])


def _history_rule(exp: list[tuple], obs: list[tuple]) -> str:
    exp = [e for e in exp if e != HISTORY_GAP]  # a gap stands for rows the contract leaves open (M6)
    if len(exp) != len(obs):
        return "V8"
    for e, o in zip(exp, obs, strict=True):
        if e[1] != o[1] and e[0] == o[0] == "ALTER":
            return "V10"  # same change, another severity
    return "V8"


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
            op=op, step=step, expected=e, observed=o, area="branches", keys=_differing(exp, obs))


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
    live = set(_live_branches(state))
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


def current_branch_matches_model(state: State, snap: Snapshot, *, op: Any, step: int, hint: str | None) -> None:
    """O5/B6/B7: the session's current branch is the model's."""
    if observe.current_branch(state) != snap.current_branch:
        diverge(hint or "B6", "the current branch differs from the model", op=op, step=step, area="current",
                expected=observe.current_branch(state), observed=snap.current_branch)


def ddl_hashes_match_model(state: State, snap: Snapshot, schema: str, ctx: CheckContext, *, op: Any, step: int,
                           hint: str | None, ignore: Ignore = NO_IGNORE) -> None:
    """O6/H5/H6: stored ddl_hash is NULL where never written and the baseline's hash class where written."""
    skip = ignore.get("ddl_hashes", set())
    for key, want in observe.ddl_hashes(state, schema).items():
        if key not in snap.ddl_hashes or isinstance(want, Unspecified) or key in skip or unknown_row(state.db, key):
            continue
        got = snap.ddl_hashes[key]
        if want is None:
            if got is not None:
                diverge(hint or "H6", f"ddl_hash of {key} is {got!r}, but only update_all_hashes writes it",
                        op=op, step=step, area="ddl_hashes", keys=[key], expected=None, observed=got)
            continue
        assert isinstance(want, HashOf | Pred)
        problem = want.check(got, ctx)
        if problem is not None:
            diverge(hint or first_rule(problem, "H5"), f"stored ddl_hash of {key}: {problem}", op=op, step=step,
                    area="ddl_hashes", keys=[key], expected=want, observed=got)


def trinity_sequence_never_reused(state: State, snap: Snapshot, ctx: CheckContext, *, op: Any, step: int) -> None:
    """O7/X3/T7: trinity_id_seq never goes back below a value already handed out."""
    floor, refs = observe.trinity_floor(state)
    last = snap.trinity_last_value if snap.trinity_is_called else snap.trinity_last_value - 1
    seen = [s for s in (ctx.trinity_seq(r) for r in refs) if s is not None]
    need = max([floor - 1, *seen])
    if last < need:
        diverge("T7", f"trinity_id_seq is at {last}, below {need} already handed out (X3: never reused)",
                op=op, step=step, area="trinity", expected=f">= {need}", observed=last)


def state_matches_model(state: State, snap: Snapshot, schema: str, ctx: CheckContext, *, op: Any, step: int,
                        hint: str | None = None, ignore: Ignore = NO_IGNORE,
                        before: Mapping[RowKey, tuple] | None = None) -> None:
    """Every area, in the order that names the most specific rule first; areas in ``ignore`` with "*" are off."""
    def on(area: str) -> bool:
        # An area the backend cannot show (a contract table, column or sequence missing) is not compared: the
        # rules it blocks are reported once for the run (I4), like a missing function's.
        return "*" not in ignore.get(area, ()) and area not in snap.unobserved

    if on("current"):
        current_branch_matches_model(state, snap, op=op, step=step, hint=hint)
    if on("commits"):
        commits_match_model(state, snap, ctx, op=op, step=step, hint=hint)  # binds commit refs to hashes first
    else:
        bind_commit_hashes(state, snap, ctx)  # branch heads are compared through the bindings
    if on("branches"):
        branches_match_model(state, snap, ctx, op=op, step=step, hint=hint, ignore=ignore)
    if on("objects"):
        objects_match_model(state, snap, schema, op=op, step=step, hint=hint, ignore=ignore, before=before)
    if on("history") and "*" not in ignore.get("objects", ()):  # history is ignored with its rows ("objects")
        history_matches_model(state, snap, schema, op=op, step=step, hint=hint, ignore=ignore)
    if on("ddl_hashes"):
        ddl_hashes_match_model(state, snap, schema, ctx, op=op, step=step, hint=hint, ignore=ignore)
    if on("trinity"):
        trinity_sequence_never_reused(state, snap, ctx, op=op, step=step)
    if on("conflicts"):
        merge_conflicts_match_model(state, snap, ctx, op=op, step=step)
