"""Strategies for everything but DDL: branches, commits, transactions, lookups and hash calls, merges,
Trinity IDs and session settings. Each fits the model's state and keeps to what the model predicts."""

from __future__ import annotations

import re

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State
from pggit_model.ops.base import TEMP_SCHEMA
from pggit_model.strategies.common import predicted_only, tables_of, user_schemas
from pggit_model.strategies.defaults import default_or, leave_out_defaults
from pggit_model.strategies.hash_calls import HASH_TYPES, owned_object
from pggit_model.strategies.hostile import draw_hostile, draw_invalid, sized_name
from pggit_model.strategies.limits import near, near_value
from pggit_model.strategies.reuse import NOTHING, Recent, draw_reused
from pggit_model.strategies.values import (
    BRANCH_ALPHABET,
    NONE,
    branch_names,
    either,
    maybe,
    messages,
    names,
    schema_variants,
    sql_texts,
    texts,
)

_STATUSES = st.none() | st.sampled_from(ops.BRANCH_STATUSES)
_CHANGES_MESSAGE = st.none() | texts(30) | st.just(" " * 3 + "x" * 10_000)
_CUSTOM_ID = st.text(BRANCH_ALPHABET + " ", min_size=8, max_size=14)
_VALID_CUSTOM_ID = st.text(BRANCH_ALPHABET, min_size=10, max_size=14)
_B3 = re.compile(r"[A-Za-z0-9._/#-]{1,255}")
_QUARTER = st.integers(0, 3)
_SIXTH = st.integers(0, 5)
_FILL = st.sampled_from(["a", "é", "日"])
#: C7 trims spaces only: padding with spaces (trimmed) or a tab (kept) most of the time
_PADDING = st.sampled_from(["", " ", "  ", "\t"])


def _text(draw: st.DrawFn, related: tuple[str, ...], recent: Recent) -> str:
    """A text argument: a value another op used, in whatever role (cross-id reuse), a quarter of the time; else
    hostile text, often a near miss of `related` (what the argument would legitimately be)."""
    if recent.texts and draw(_QUARTER) == 0:
        reused = draw_reused(draw, recent)
        assert reused is not None
        return reused
    return draw_hostile(draw, related)


def _invalid(draw: st.DrawFn, related: tuple[str, ...], recent: Recent) -> str | None:
    """An argument deliberately invalid: each invalid shape (NULL, '', blank, a bad character, too long) about as
    often as hostile text or a value another op used (`_text`)."""
    return _text(draw, related, recent) if draw(_SIXTH) == 0 else draw_invalid(draw, related)


def _sized(draw: st.DrawFn, limit: str, fill: str = "m") -> str:
    """Text whose length, after btrim (C7), is near `limit`; sometimes padded with spaces (trimmed) or a tab (not)."""
    pad = draw(_PADDING)
    return pad + fill * draw(near(limit)) + pad


@st.composite
def _branch(draw: st.DrawFn, state: State, prefix: str, invalid: float, recent: Recent) -> ops.Op:
    existing = sorted(state.db.branches)
    active = sorted(n for n, b in state.db.branches.items() if b.status == "ACTIVE")
    related = tuple(existing)
    kind = draw(st.sampled_from(["create", "create", "checkout", "delete", "list"]))
    if kind == "create":
        # twice the invalid share for the new name, as checkout's and delete's target: B3's checks are all on it
        # (at the plain share a smoke run of the branches machine could pass a backend accepting any character)
        if maybe(draw, 2 * invalid):
            name = draw(st.sampled_from(existing)) if draw(_QUARTER) == 0 else _invalid(draw, related, recent)
        else:
            # a value another op used, where B3 allows it as a name (cross-id reuse), else a fresh B3 name
            reusable = [t for t in recent.texts if _B3.fullmatch(t) and t not in state.db.branches]
            name = draw(st.sampled_from(reusable)) if reusable and draw(_QUARTER) == 0 else \
                draw(branch_names(prefix).filter(lambda n: n not in state.db.branches))
        parent = draw(st.sampled_from(active)) if not maybe(draw, invalid) else either(
            draw, st.sampled_from(existing), branch_names(prefix)) if draw(_QUARTER) == 0 else \
            _invalid(draw, related, recent)
        return leave_out_defaults(draw, ops.CreateBranch(name, parent))
    if kind == "checkout":
        # twice the invalid share, as delete's: one name argument to get wrong
        target = draw(st.sampled_from(active)) if not maybe(draw, 2 * invalid) else either(
            draw, st.sampled_from(existing), branch_names(prefix)) if draw(_QUARTER) == 0 else \
            _invalid(draw, related, recent)
        return ops.CheckoutBranch(target)
    if kind == "delete":
        # twice the invalid share: its one name argument is all a delete can get wrong (create has two)
        target = draw(special_branches(state)) if not maybe(draw, 2 * invalid) else _invalid(draw, related, recent)
        # One clause at a time: a target B10 rejects for what it is (main, unknown, DELETED) is asked with force
        # seven times in eight, so "ACTIVE without force" (main is ACTIVE) does not reject it first (a smoke run's
        # first two deletes of main, both without force, were rejected for that: a backend deleting main was
        # caught at the third, after 8 s)
        b = state.db.branches.get(target) if target is not None else None
        rejected = target == "main" or b is None or b.status == "DELETED"
        force = draw(st.booleans()) or (rejected and draw(_QUARTER) > 0)
        return leave_out_defaults(draw, ops.DeleteBranch(target, force))
    return ops.ListBranches(draw(_STATUSES))


def special_branches(state: State) -> st.SearchStrategy[str]:
    """An existing branch, the ones the contract treats specially twice as likely as all the others together: main
    (B1, B10), the one checked out (B6, B10), and those no longer ACTIVE (B3, B10: names never reused)."""
    existing = sorted(state.db.branches)
    special = sorted({"main", state.c} | {n for n, b in state.db.branches.items() if b.status != "ACTIVE"}
                     & set(existing))
    return st.one_of(st.sampled_from(special), st.sampled_from(special), st.sampled_from(existing)) if special \
        else st.sampled_from(existing)


def _active_branch(draw: st.DrawFn, state: State, active: list[str], recent: Recent) -> str:
    """An ACTIVE branch; half the time one a recent op named, so calls on one branch follow each other (C2)."""
    used = [t for t in recent.texts if t in active]
    return used[-1] if len(used) > 0 and draw(st.booleans()) else draw(st.sampled_from(active))


def branch_ops(state: State, prefix: str = "", invalid: float = 0.1,
               recent: Recent = NOTHING) -> st.SearchStrategy[ops.Op]:
    """create/checkout/delete/list branches; new names start with `prefix` (I5: the run id); invalid names are
    hostile text (near misses of existing names) or values `recent` ops used."""
    return predicted_only(state, _branch(state, prefix, invalid, recent))


@st.composite
def _commit(draw: st.DrawFn, state: State, prefix: str, invalid: float, recent: Recent) -> ops.Op:
    active = sorted(n for n, b in state.db.branches.items() if b.status == "ACTIVE")
    related = tuple(sorted(state.db.branches))
    # generate_trinity_id is trinity_ops' (T1–T9); here, the two functions that write commits, half each
    kind = draw(st.sampled_from(["create", "changes"]))
    # One argument at its edge at a time (C7 checks branch, message, custom id in some order; a call wrong in two
    # shows only one): half the commit_changes calls put the custom id at its edge with the branch and message
    # valid, the other half take no custom id or a fresh valid one, so the branch's and message's edges show
    # (a smoke run drew 66 commit_changes and no custom id under 10 characters that nothing else rejected). That
    # other half has the branch invalid at twice the share, so commit_changes' branch is as often invalid as before.
    id_edge = kind == "changes" and draw(st.booleans())
    edge = 2 * invalid if kind == "changes" else invalid
    branch = _active_branch(draw, state, active, recent) if id_edge or not maybe(draw, edge) else either(
        draw, NONE, st.just(""), st.just("  "), st.sampled_from(sorted(state.db.branches)),
        branch_names(prefix)) if draw(st.booleans()) else _invalid(draw, related, recent)
    if kind == "create":
        how = draw(_QUARTER)
        if maybe(draw, invalid):
            msg = draw(st.sampled_from([None, ""]))
        elif how == 0:
            msg = draw(messages())
        elif how == 1:
            msg = _sized(draw, "commit_message_chars")
        else:
            msg = _text(draw, related, recent)
        sql_text = draw(sql_texts()) if draw(st.booleans()) else _text(draw, (), recent)
        return ops.CreateCommit(branch, msg, sql_text)
    # every id a commit is known by, the ids the server returned too (C3: create_commit's commit_id; C7 rejects
    # a custom id equal to any commit's hash or commit_id): values of one function reused in another
    bound = state.counters.bound
    known = [v for c in state.db.commits if (v := c.hash if c.hash is not None else bound.get(c.ref)) is not None]
    if id_edge:
        msg = draw(_CHANGES_MESSAGE)  # NULL, short text, or 10 000 characters after trimming: all valid
        how = draw(_QUARTER)
        custom: str | None = _sized(draw, "custom_id_chars", "c") if how == 0 else draw(_CUSTOM_ID) if how == 1 else \
            draw(st.sampled_from(known)) if how == 2 and known else _text(draw, tuple(known), recent)
        return leave_out_defaults(draw, ops.CommitChanges(branch, msg, custom))
    how = draw(st.integers(0, 4))
    msg = "" if how == 4 else draw(_CHANGES_MESSAGE) if how == 0 else \
        _sized(draw, "changes_message_chars") if how == 1 else _text(draw, related, recent)
    if how in (2, 3) and msg is not None and draw(st.booleans()):
        pad = draw(_PADDING)  # C7 trims the message: hostile text padded too, not only the sized one
        msg = pad + msg + pad
    how = draw(st.integers(0, 4))
    custom = None if how <= 1 else draw(_VALID_CUSTOM_ID.filter(lambda c: c not in known))
    return leave_out_defaults(draw, ops.CommitChanges(branch, msg, custom))


def commit_ops(state: State, prefix: str = "", invalid: float = 0.1,
               recent: Recent = NOTHING) -> st.SearchStrategy[ops.Op]:
    """create_commit / commit_changes, with hostile text (C4), lengths at the C1/C7 limits,
    values `recent` ops used, and bad branches."""
    return predicted_only(state, _commit(state, prefix, invalid, recent))


#: setval's value for a next ID near the 6-digit padding (T3) or the int4 edge (T8): the next ID uses value + 1.
_SEQUENCE_EDGES = st.one_of(near("trinity_six_digits"), near("trinity_int4")).map(lambda nxt: nxt - 1)


def trinity_ops() -> st.SearchStrategy[ops.Op]:
    """Trinity ID draws, batches in one statement (T9) and jumps of the sequence to its edges (T3, T8)."""
    return st.one_of(st.just(ops.GenerateTrinityId()), st.builds(ops.GenerateTrinityIds, st.integers(1, 5)),
                     st.one_of(_SEQUENCE_EDGES, st.just(10**12)).map(ops.SetTrinitySequence))


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


#: Schemas the contract treats specially (V1: never tracked; I5: public holds pgGit's demo objects).
SPECIAL_SCHEMAS = ("pggit", "pg_catalog", "information_schema", "public", "pg_toast", "pg_temp", "pggit_audit")


def _schema(draw: st.DrawFn, state: State, schema: str, recent: Recent, system: bool) -> str:
    """The machine's schema mostly, or another schema the model owns (an answer for one schema must leave the
    others' rows out); else a special one (`system`: also pgGit's and PostgreSQL's own), a near miss of it, or
    hostile text."""
    how = draw(st.integers(0, 5))
    if how <= 2:
        others = sorted(user_schemas(state) - {schema})
        return draw(st.sampled_from(others)) if others and how == 2 else schema
    if how == 3 and system:
        return draw(st.sampled_from(SPECIAL_SCHEMAS))
    if how == 4:
        return draw(st.sampled_from(schema_variants(schema)))
    text = _text(draw, (schema,), recent)
    # hashes of objects in PostgreSQL's or pgGit's schemas are not modelled (compute_ddl_hash finds real ones)
    return text if system or not (text.startswith("pg") or text == "information_schema") else schema


@st.composite
def _call(draw: st.DrawFn, state: State, schema: str, recent: Recent) -> ops.Op:
    keys = sorted({k[:3] for k in state.db.rows if k[1] == schema})
    qualified = tuple(f"{s}.{n}" for _, s, n in keys)
    how = draw(st.integers(0, 4))
    if qualified and how <= 1:
        name = draw(looked_up_names(state, schema))
    elif how == 2:
        temps = temporary_lookups(state)  # (no draw without temporary objects: other machines draw as before)
        name = draw(temps) if temps is not None and draw(st.booleans()) else \
            either(draw, names(), st.just(f"{schema}.t1"))
    elif how == 3:  # near misses of real names (case, spaces, one character off), hostile text
        name = _text(draw, qualified, recent) if draw(st.booleans()) else \
            f"{schema}.{_text(draw, tuple(n for _, _, n in keys), recent)}"
    else:  # names at the identifier limit (as text, 64 bytes can be asked for), names in special schemas
        name = f"{schema}.{sized_name(draw(near('identifier_bytes')), draw(_FILL))}" if draw(st.booleans()) \
            else f"{draw(st.sampled_from(SPECIAL_SCHEMAS))}.{draw(names())}"
    kind = draw(st.sampled_from(["version", "history", "tables", "hash", "components", "update", "detect",
                                 "export"]))
    if kind == "version":
        return ops.GetVersion(name)
    if kind == "history":
        return leave_out_defaults(draw, ops.GetHistory(name, default_or(draw, history_limits(state, name), 10)))
    if kind == "tables":
        return ops.ShowTableVersions(_schema(draw, state, schema, recent, system=True))
    if kind == "hash":
        pick = owned_object(draw, state)
        if pick is not None:
            return ops.ComputeDdlHash(*pick)
        typ = draw(st.sampled_from(HASH_TYPES))
        objects = tuple(n for _, _, n in keys)
        obj = draw(st.sampled_from(objects)) if len(objects) > 0 and draw(st.booleans()) else \
            _text(draw, objects, recent)
        return ops.ComputeDdlHash(typ, _schema(draw, state, schema, recent, system=False), obj)
    if kind == "components":
        tables = [n for n, _ in tables_of(state, schema)] or ["t1"]
        return ops.ComputeTableComponentHashes(schema, draw(st.sampled_from(tables)))
    if kind == "update":
        return ops.UpdateAllHashes()
    if kind == "detect":
        return ops.DetectChangesByHash()
    return ops.ExportSchemaHashes(_schema(draw, state, schema, recent, system=True))


def temporary_lookups(state: State) -> st.SearchStrategy[str] | None:
    """V1, V17: names of the session's temporary objects (relations, and functions named as in V5), qualified as
    `pg_temp.name` or bare (found through a search_path naming pg_temp, V17 step 2, were they tracked); None when
    there are none. Neither form finds a row: V1 leaves them untracked."""
    cat = state.db.catalog
    found = sorted({n for (s, n) in cat.relations if s == TEMP_SCHEMA} | {f for (s, f) in cat.functions
                                                                          if s == TEMP_SCHEMA})
    if not found:
        return None
    return st.tuples(st.sampled_from(found), st.booleans()).map(lambda t: f"{TEMP_SCHEMA}.{t[0]}" if t[1] else t[0])


def looked_up_names(state: State, schema: str) -> st.SearchStrategy[str]:
    """Qualified names of `schema`'s objects, those with several changes on c half the time: they are the ones
    whose history has an order and a window to get wrong (V18), and whose version moved (V17)."""
    keys = sorted({f"{s}.{n}" for (_k, s, n, _b) in state.db.rows if s == schema})
    changed = sorted({f"{s}.{n}" for (_k, s, n, b), h in state.db.history.items()
                      if s == schema and b == state.c and len(h) > 1})
    return st.one_of(st.sampled_from(changed), st.sampled_from(keys)) if changed else st.sampled_from(keys)


def history_limits(state: State, name: str) -> st.SearchStrategy[int]:
    """get_history's limit: near 1 (V18's smallest), or near the number of history rows `name` has on c."""
    schema, _, obj = name.partition(".")
    lengths = [len(h) for (_k, s, n, b), h in state.db.history.items() if (s, n) == (schema, obj) and b == state.c]
    return near_value(lengths[0]) if lengths else near("history_limit")


def call_ops(state: State, schema: str, recent: Recent = NOTHING) -> st.SearchStrategy[ops.Op]:
    """Lookups (V17–V19) and hash calls (H1–H7) on `schema`, also on names and schemas that are near misses of
    real ones, special schemas (V1, I5) and hostile text."""
    return predicted_only(state, _call(state, schema, recent))


#: Calls M1 rejects, by the clause broken: S = T as often as NULL / unknown names (its other clause, of S, of T,
#: or of both as hostile text).
_M1_SHAPES = ("self", "source", "target", "self", "self", "both")


@st.composite
def _merge(draw: st.DrawFn, state: State, recent: Recent) -> ops.Op:
    branches = state.db.branches
    mergeable = sorted(n for n, b in branches.items()
                       if b.status == "ACTIVE" and not b.merged and b.parent is not None
                       and branches[b.parent].status == "ACTIVE")
    existing = sorted(branches)
    # half valid merges (M2–M5), half calls M1 rejects: the composite merge rules of the machines merge too
    if len(mergeable) > 0 and draw(st.booleans()):
        src = draw(st.sampled_from(mergeable))
        msg = draw(st.sampled_from(["Merge branch", "m"])) if draw(st.booleans()) else _text(draw, (src,), recent)
        return leave_out_defaults(draw, ops.MergeBranches(src, branches[src].parent, msg))
    # One clause broken at a time, the other arguments valid: a clause broken alongside another is hidden by it
    # (an implementation checks them in some order, and the model does not say which error wins). S = T is
    # rejected for being S = T only where S could be merged otherwise: an ACTIVE branch (main always is), a
    # mergeable one half the time; a self-merge of a MERGED, DELETED or unknown branch fails its status or
    # lookup check first (a smoke run drew ten self-merges, none of an ACTIVE branch, and missed M1's).
    active = sorted(n for n, b in branches.items() if b.status == "ACTIVE")
    valid = draw(st.sampled_from(mergeable)) if len(mergeable) > 0 and draw(st.booleans()) else \
        draw(st.sampled_from(active))
    parent = branches[valid].parent
    target = parent if parent is not None and branches[parent].status == "ACTIVE" else "main"
    shape = draw(st.sampled_from(_M1_SHAPES))
    if shape == "self":
        return ops.MergeBranches(valid, valid)
    if shape == "source":
        return ops.MergeBranches(_unknown(draw, target, existing, recent), target)
    if shape == "target":
        return ops.MergeBranches(valid, _unknown(draw, valid, existing, recent))
    # both anything: an existing branch, NULL, an unknown name or hostile text, the same value half the time
    a = draw(st.sampled_from(existing)) if draw(st.booleans()) else _unknown(draw, valid, existing, recent)
    return ops.MergeBranches(a, a if a is None or draw(st.booleans()) else _unknown(draw, a, existing, recent))


def _unknown(draw: st.DrawFn, near: str, existing: list[str], recent: Recent) -> str | None:
    """A branch argument M1 rejects as NULL or unknown: half the time any invalid shape (NULL, '', blank, a bad
    character in `near`, too long, hostile text: strategies.hostile), else a near miss of `near` (case, a space,
    an accent: a lookup that folds or trims finds it) or a name never made."""
    how = draw(_QUARTER)
    return _invalid(draw, (near, *existing), recent) if how <= 1 else draw_hostile(draw, (near,)) if how == 2 \
        else "no-such-branch"


def merge_ops(state: State, recent: Recent = NOTHING) -> st.SearchStrategy[ops.Op]:
    """merge_branches of a branch into its parent (M2's scope) or rejected calls (M1), with hostile names."""
    return predicted_only(state, _merge(state, recent))


def session_ops(schema: str) -> st.SearchStrategy[ops.Op]:
    """TimeZone and search_path changes (T2, H2, V17), also with pgGit's and PostgreSQL's schemas first."""
    return st.one_of(st.sampled_from(ops.TIME_ZONES).map(ops.SetTimeZone),
                     st.sampled_from([(schema,), (schema, "public"), ("pg_catalog", schema), ("pggit", schema),
                                      ("information_schema", schema), (TEMP_SCHEMA, schema)]).map(ops.SetSearchPath))
