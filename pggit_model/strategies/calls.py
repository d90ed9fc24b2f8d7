"""Strategies for everything but DDL: branches, commits, transactions, lookups and hash calls, merges,
Trinity IDs and session settings. Each fits the model's state and keeps to what the model predicts."""

from __future__ import annotations

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State
from pggit_model.strategies.common import predicted_only, tables_of
from pggit_model.strategies.values import (
    BRANCH_ALPHABET,
    NONE,
    branch_names,
    either,
    maybe,
    messages,
    names,
    sql_texts,
    texts,
)

_STATUSES = st.none() | st.sampled_from(ops.BRANCH_STATUSES)
_CHANGES_MESSAGE = st.none() | texts(30) | st.just(" " * 3 + "x" * 10_000)
_CUSTOM_ID = st.text(BRANCH_ALPHABET + " ", min_size=8, max_size=14)


@st.composite
def _branch(draw: st.DrawFn, state: State, prefix: str, invalid: float) -> ops.Op:
    existing = sorted(state.db.branches)
    active = sorted(n for n, b in state.db.branches.items() if b.status == "ACTIVE")
    kind = draw(st.sampled_from(["create", "create", "checkout", "delete", "list"]))
    if kind == "create":
        if maybe(draw, invalid):
            name = either(draw, branch_names(prefix, valid=False), st.sampled_from(existing))
        else:
            name = draw(branch_names(prefix).filter(lambda n: n not in state.db.branches))
        parent = draw(st.sampled_from(active)) if not maybe(draw, invalid) else either(
            draw, NONE, st.sampled_from(existing), branch_names(prefix))
        return ops.CreateBranch(name, parent)
    if kind == "checkout":
        target = draw(st.sampled_from(active)) if not maybe(draw, invalid) else either(
            draw, NONE, st.sampled_from(existing), branch_names(prefix))
        return ops.CheckoutBranch(target)
    if kind == "delete":
        target = draw(st.sampled_from(existing)) if existing else "main"
        return ops.DeleteBranch(target, draw(st.booleans()))
    return ops.ListBranches(draw(_STATUSES))


def branch_ops(state: State, prefix: str = "", invalid: float = 0.1) -> st.SearchStrategy[ops.Op]:
    """create/checkout/delete/list branches; new names start with `prefix` (I5: the run id)."""
    return predicted_only(state, _branch(state, prefix, invalid))


@st.composite
def _commit(draw: st.DrawFn, state: State, prefix: str, invalid: float) -> ops.Op:
    active = sorted(n for n, b in state.db.branches.items() if b.status == "ACTIVE")
    branch = draw(st.sampled_from(active)) if not maybe(draw, invalid) else either(
        draw, NONE, st.just(""), st.just("  "), st.sampled_from(sorted(state.db.branches)), branch_names(prefix))
    kind = draw(st.sampled_from(["create", "changes", "trinity"]))
    if kind == "create":
        msg = draw(messages()) if not maybe(draw, invalid) else draw(st.sampled_from([None, ""]))
        return ops.CreateCommit(branch, msg, draw(sql_texts()))
    if kind == "changes":
        msg = draw(_CHANGES_MESSAGE)
        known = [c.hash for c in state.db.commits if c.hash is not None]
        custom = either(draw, NONE, NONE, _CUSTOM_ID, st.sampled_from(known) if known else NONE)
        return ops.CommitChanges(branch, msg, custom)
    return ops.GenerateTrinityId()


def commit_ops(state: State, prefix: str = "", invalid: float = 0.1) -> st.SearchStrategy[ops.Op]:
    """create_commit / commit_changes / generate_trinity_id, with awkward text (C4) and bad branches."""
    return predicted_only(state, _commit(state, prefix, invalid))


def trinity_ops() -> st.SearchStrategy[ops.Op]:
    """Trinity ID draws, batches in one statement (T9) and jumps of the sequence (T8)."""
    return st.one_of(st.just(ops.GenerateTrinityId()), st.builds(ops.GenerateTrinityIds, st.integers(1, 5)),
                     st.sampled_from([999_998, 999_999, 2_147_483_647, 10**12]).map(ops.SetTrinitySequence))


@st.composite
def _txn(draw: st.DrawFn, state: State) -> ops.Op:
    t = state.txn
    if t is not None and t.aborted and draw(st.integers(0, 3)) > 0:
        return ops.Rollback()  # an aborted transaction only answers 25P02 (X4) until rolled back
    if t is None:
        return draw(st.sampled_from([ops.Begin(), ops.Begin(), ops.Savepoint("s1"), ops.Commit()]))
    names_ = [f.name for f in t.frames[1:] if f.name is not None]
    pool = [ops.Commit(), ops.Rollback(), ops.Savepoint(draw(st.sampled_from(["s1", "s2", "Sp 3"])))]
    if names_:
        pool += [ops.RollbackToSavepoint(draw(st.sampled_from(names_))),
                 ops.ReleaseSavepoint(draw(st.sampled_from(names_)))]
    pool.append(ops.RollbackToSavepoint("nope"))
    return draw(st.sampled_from(pool))


def txn_ops(state: State) -> st.SearchStrategy[ops.Op]:
    """BEGIN / COMMIT / ROLLBACK / SAVEPOINT / ROLLBACK TO / RELEASE fitting the current transaction."""
    return _txn(state)


@st.composite
def _call(draw: st.DrawFn, state: State, schema: str) -> ops.Op:
    keys = sorted({k[:3] for k in state.db.rows if k[1] == schema})
    name = draw(st.sampled_from([f"{s}.{n}" for _, s, n in keys])) if len(keys) > 0 and draw(st.booleans()) else \
        either(draw, names(), st.just(f"{schema}.t1"))
    kind = draw(st.sampled_from(["version", "history", "tables", "hash", "components", "update", "detect",
                                 "export"]))
    if kind == "version":
        return ops.GetVersion(name)
    if kind == "history":
        return ops.GetHistory(name, draw(st.integers(1, 12)))
    if kind == "tables":
        return ops.ShowTableVersions(schema)
    if kind == "hash":
        typ = draw(st.sampled_from(["TABLE", "VIEW", "INDEX", "FUNCTION", "COLUMN"]))
        obj = draw(st.sampled_from([n for _, _, n in keys])) if keys else "t1"
        return ops.ComputeDdlHash(typ, schema, obj)
    if kind == "components":
        tables = [n for n, _ in tables_of(state, schema)] or ["t1"]
        return ops.ComputeTableComponentHashes(schema, draw(st.sampled_from(tables)))
    if kind == "update":
        return ops.UpdateAllHashes()
    if kind == "detect":
        return ops.DetectChangesByHash()
    return ops.ExportSchemaHashes(schema)


def call_ops(state: State, schema: str) -> st.SearchStrategy[ops.Op]:
    """Lookups (V17–V19) and hash calls (H1–H7) on `schema`."""
    return predicted_only(state, _call(state, schema))


@st.composite
def _merge(draw: st.DrawFn, state: State) -> ops.Op:
    mergeable = sorted(n for n, b in state.db.branches.items()
                       if b.status == "ACTIVE" and not b.merged and b.parent is not None
                       and state.db.branches[b.parent].status == "ACTIVE")
    if mergeable and draw(st.integers(0, 4)) > 0:
        src = draw(st.sampled_from(mergeable))
        return ops.MergeBranches(src, state.db.branches[src].parent, draw(st.sampled_from(["Merge branch", "m"])))
    existing = sorted(state.db.branches)
    a = either(draw, NONE, st.sampled_from(existing), st.just("no-such-branch"))
    return ops.MergeBranches(a, either(draw, NONE, st.just(a), st.just("no-such-branch")))


def merge_ops(state: State) -> st.SearchStrategy[ops.Op]:
    """merge_branches of a branch into its parent (M2's scope) or rejected calls (M1)."""
    return predicted_only(state, _merge(state))



def session_ops(schema: str) -> st.SearchStrategy[ops.Op]:
    return st.one_of(st.sampled_from(ops.TIME_ZONES).map(ops.SetTimeZone),
                     st.sampled_from([(schema,), (schema, "public"), ("pg_catalog", schema)]).map(ops.SetSearchPath))
