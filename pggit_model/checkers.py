"""Compare what the database did with what the model says, one contract area per function.

* ``check_completion``: the answer of one statement (value, rows or error class) agrees with ``Expected``.
* ``objects_match_model`` … ``trinity_sequence_never_reused``: the observed state (``Snapshot``) agrees with
  the model's state, area by area (O1–O7). Each raises the Divergence of its own rule, with a small diff.
  The branch, commit and merge-conflict areas (O3–O5) are in ``commit_checks``; ``state_matches_model`` runs all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from .client import Completion
from .commit_checks import (
    bind_commit_hashes,
    branches_match_model,
    commits_match_model,
    current_branch_matches_model,
    live_branches,
    merge_conflicts_match_model,
)
from .divergences import NO_IGNORE, Ignore, differing, diverge, first_rule
from .model import CheckContext, Expected, HashOf, Pred, State, Unspecified, observe
from .model.drift import unknown_row
from .model.state import HISTORY_GAP, RowKey
from .model.versions import V2_KINDS
from .snapshot import Snapshot

#: The parts of the state check, as named in Divergence.area.
AREAS = ("current", "commits", "branches", "objects", "ddl_hashes", "trinity", "conflicts")


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


def objects_match_model(state: State, snap: Snapshot, schema: observe.Scope, *, op: Any, step: int, hint: str | None,
                        ignore: Ignore = NO_IGNORE, before: Mapping[RowKey, tuple] | None = None) -> None:
    """O1: every V2 row of the observed schemas (``schema``: the machine's and its extra ones) on a live branch
    has the model's version fields and activity.

    ``before``: the rows as last observed (the model had adopted them), to say what this step did to each."""
    skip = ignore.get("objects", set())
    exp = observe.objects(state, schema)
    obs = _observed_objects(snap, live_branches(state))
    exp, obs = _without_unknown(state, exp), _without_unknown(state, obs)
    if skip:
        exp = {k: v for k, v in exp.items() if not _skipped(k, skip)}
        obs = {k: v for k, v in obs.items() if not _skipped(k, skip)}
    if exp == obs:  # one comparison of the whole area; the rest only runs to explain a difference
        return
    obs = {k: tuple(v) for k, v in obs.items()}  # printed as the model's tuples are
    keys = differing(exp, obs)
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


def history_matches_model(state: State, snap: Snapshot, schema: observe.Scope, *, op: Any, step: int,
                          hint: str | None, ignore: Ignore = NO_IGNORE) -> None:
    """O2/V8: each row key's history rows, in order, are the model's (exactly one row per change)."""
    skip = ignore.get("objects", set())
    exp = observe.history(state, schema)
    live = set(live_branches(state))
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


def ddl_hashes_match_model(state: State, snap: Snapshot, schema: observe.Scope, ctx: CheckContext, *, op: Any,
                           step: int, hint: str | None, ignore: Ignore = NO_IGNORE) -> None:
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


def state_matches_model(state: State, snap: Snapshot, schema: observe.Scope, ctx: CheckContext, *, op: Any, step: int,
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
