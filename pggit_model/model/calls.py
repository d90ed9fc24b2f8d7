"""pgGit API calls: lookups (V17–V19), branches (B), commits (C), Trinity IDs (T), hashes (H), merge (M).

Each handler takes the state and the op and returns (new state, Expected). A rejected call returns the
unchanged state and `Expected.error(None, …)`: the contract leaves SQLSTATE and text open.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.calls_common import Result, btrim, drift_names, reject, sha256hex
from pggit_model.model.calls_hashes import (
    compute_ddl_hash,
    compute_table_component_hashes,
    detect_changes_by_hash,
    export_schema_hashes,
    update_all_hashes,
)
from pggit_model.model.calls_merge import merge_branches
from pggit_model.model.expected import (
    ANY,
    UUID_RE,
    CommitRef,
    Expected,
    IsInt,
    NewCommitId,
    NewTrinityId,
    TrinityRef,
)
from pggit_model.model.fmap import FrozenMap
from pggit_model.model.state import HISTORY_GAP, Branch, CommitRow, Row, RowKey, State
from pggit_model.model.versions import V2_KINDS
from pggit_model.ops import calls

BRANCH_NAME = re.compile(r"[A-Za-z0-9._/#-]+")


# --- V17–V19: lookups --------------------------------------------------------------------------------


class _Foreign(Exception):
    """The lookup would reach a schema whose content the model does not know (I5)."""


class _Ambiguous(Exception):
    """The name has rows of more than one kind on c: active ones (a stale row B9 left active, e.g. a table a
    conflicting merge kept while the catalog renamed it, and an index renamed into its name), or dropped ones for
    V18's second try. V17 speaks of *the* row; which one answers is a name reused for another kind (§12)."""


def current_schemas(state: State) -> list[str]:
    """current_schemas(false): the search_path entries that exist ($user never does for the model)."""
    cat = state.db.catalog
    return [s for s in state.session.search_path if s in cat.schemas or s in cat.foreign]


def candidates(state: State, name: str) -> list[tuple[str, str]]:
    """The (schema, object) pairs V17 tries for `name`, in order: the qualified reading (split at the first '.'),
    then the whole name in each schema of current_schemas(false) (step 2)."""
    out = [(s, name) for s in current_schemas(state)]
    if "." in name:
        schema, obj = name.split(".", 1)
        out.insert(0, (schema, obj))
    return out


def resolve(state: State, name: str, active: bool = True) -> RowKey | None:
    """V17's lookup of `name` on c among V2 kinds (active rows, or inactive ones for V18's second try)."""
    c = state.c
    rows = state.db.rows
    cat = state.db.catalog

    def find(schema: str, obj: str) -> RowKey | None:
        if schema in cat.foreign:
            raise _Foreign(schema)
        hits = [(kind, schema, obj, c) for kind in sorted(V2_KINDS)
                if (r := rows.get((kind, schema, obj, c))) is not None and (r.active or not active)]
        if len(hits) > 1:
            raise _Ambiguous(f"{schema}.{obj}", "active" if active else "dropped")
        return hits[0] if hits and rows[hits[0]].active == active else None

    for schema, obj in candidates(state, name):  # (a qualified name's rows outlive a dropped schema: N4)
        if (hit := find(schema, obj)) is not None:
            return hit
    return None


def _lookup(state: State, name: str | None, active: bool = True) -> RowKey | Expected | None:
    if name is None:
        return None
    try:
        return resolve(state, name, active)
    except _Foreign as e:
        return Expected.unspecified("I5", f"the lookup reaches schema {e.args[0]!r}, whose objects the model "
                                          "does not know; set search_path to the machine's schema")
    except _Ambiguous as e:
        where, which = e.args
        return Expected.unspecified("V17" if which == "active" else "V18",
                                    f"{where} names {which} objects of more than one kind on c (an index renamed "
                                    "into or away from a table's name): which one a lookup of the name returns is "
                                    "outside both models (§12 'a name reused for another kind', §14.8)")


def _drift_unknown(state: State, name: str | None) -> Expected | None:
    """U3: a lookup that may land on an object drift created or dropped has no specified answer."""
    if name is None or not state.db.unknown:
        return None
    if any(name in (k[2], f"{k[1]}.{k[2]}") for k in state.db.unknown):
        return Expected.unspecified("U3", "the name is an object created or dropped while pgGit's triggers did "
                                          "not fire")
    return None


def _active_elsewhere(state: State, name: str | None) -> str:
    """Where else the name has an active row, so a wrong answer says which row it may be (B8: another branch's
    row, against c's own dropped one); '' where none has."""
    if name is None:
        return ""
    pairs = set(candidates(state, name))
    branches = sorted({k[3] for k, r in state.db.rows.items()
                       if r.active and k[3] != state.c and (k[1], k[2]) in pairs and k[0] in V2_KINDS})
    return f"no active row on c; active on branch {', '.join(map(repr, branches))}" if branches else ""


def get_version(state: State, op: calls.GetVersion) -> Result:
    cols = ("object_name", "schema_name", "version", "version_string")
    if (u := _drift_unknown(state, op.name)) is not None:
        return state, u
    key = _lookup(state, op.name)
    if isinstance(key, Expected):
        return state, key
    if key is None:
        return state, Expected.table(cols, [], rule="V17", why=_active_elsewhere(state, op.name))
    r = state.db.rows[key]
    return state, Expected.table(cols, [(key[2], key[1], r.version, r.version_string)], rule="V17")


def get_history(state: State, op: calls.GetHistory) -> Result:
    cols = ("version", "change_type")
    if op.limit is None or op.limit < 1:
        return state, Expected.unspecified("V18", "machines use limit >= 1")
    if (u := _drift_unknown(state, op.name)) is not None:
        return state, u
    key = _lookup(state, op.name)
    if key is None:
        key = _lookup(state, op.name, active=False)
    if isinstance(key, Expected):
        return state, key
    if key is None:
        return state, Expected.table(cols, [], rule="V18", ordered=True)
    window = state.db.history.get(key, ())[::-1][: op.limit]
    if HISTORY_GAP in state.db.history.get(key, ())[::-1][: op.limit + 1]:
        return state, Expected.unspecified("M6", "the merge target's history is unspecified")
    return state, Expected.table(cols, [(h.new_version, h.change_type) for h in window], rule="V18",
                                 ordered=True)


def show_table_versions(state: State, op: calls.ShowTableVersions) -> Result:
    cols = ("object_name", "schema_name", "version_string", "column_count")
    cat = state.db.catalog
    if op.schema is None or op.schema in cat.foreign:
        return state, Expected.unspecified("I5", "only the machine's own schemas are modelled")
    c = state.c
    counts: dict[str, int] = {}
    tables: list[tuple[str, Row]] = []
    for (kind, schema, obj, branch), r in state.db.rows.items():
        if branch != c or schema != op.schema or not r.active:
            continue
        if kind == "TABLE":
            tables.append((obj, r))
        elif kind == "COLUMN":
            t = obj.split(".", 1)[0]
            counts[t] = counts.get(t, 0) + 1
    rows = [(t, op.schema, r.version_string, counts.get(t, 0)) for t, r in tables]
    return state, drift_names(state, Expected.table(cols, rows, rule="V19"), "object_name", full=False)


# --- B: branches -------------------------------------------------------------------------------------


def create_branch(state: State, op: calls.CreateBranch) -> Result:
    if op.copy_data:
        return state, Expected.unspecified("B5", "copy_data => true is outside the first model")
    name, parent = op.name, op.parent
    branches = state.db.branches
    if name is None or name == "":
        return reject(state, "B3", "the branch name is NULL or empty")
    if len(name) > 255:
        return reject(state, "B3", "the branch name is longer than 255 characters")
    if not BRANCH_NAME.fullmatch(name):
        return reject(state, "B3", "the branch name has a character outside [A-Za-z0-9._/#-]")
    if name in branches:
        return reject(state, "B3" if branches[name].status != "DELETED" else "B10",
                       f"a branch named {name!r} already exists ({branches[name].status})")
    if parent is None or parent not in branches or branches[parent].status != "ACTIVE":
        return reject(state, "B3", f"the parent {parent!r} is {_status(state, parent)}")
    copied: dict[RowKey, Row] = {}
    base: dict[tuple[str, str, str], tuple[int, int, int, int]] = {}
    for (kind, schema, obj, branch), r in state.db.rows.items():
        if branch == parent and r.active:  # B5: active rows only, no history
            copied[(kind, schema, obj, name)] = r
            base[(kind, schema, obj)] = r.state
    db = state.db
    new_branch = Branch(name, "ACTIVE", parent, None, base=FrozenMap(base))
    db = evolve(db, branches=db.branches.set(name, new_branch), rows=db.rows.merge(copied))
    return evolve(state, db=db), Expected.of(IsInt(), rule=("B2", "B4", "B5"))


def _status(state: State, name: str | None) -> str:
    """Why a branch cannot be used, in words a known-divergence matcher can pick out: NULL, unknown, MERGED…"""
    if name is None:
        return "NULL"
    b = state.db.branches.get(name)
    return "unknown" if b is None else b.status


def checkout_branch(state: State, op: calls.CheckoutBranch) -> Result:
    b = state.db.branches.get(op.name) if op.name is not None else None
    if b is None or b.status != "ACTIVE":
        return reject(state, "B6", f"cannot check out {op.name!r}: it is {_status(state, op.name)}")
    return evolve(state, session=evolve(state.session, current_branch=op.name)), Expected.of(ANY, rule="B6")


def delete_branch(state: State, op: calls.DeleteBranch) -> Result:
    name = op.name
    b = state.db.branches.get(name) if name is not None else None
    if name == "main":
        return reject(state, "B10", "main can never be deleted")
    if b is None or b.status == "DELETED":
        return reject(state, "B10", f"{name!r} is unknown or already DELETED")
    if b.status == "ACTIVE" and not op.force:
        return reject(state, "B10", f"{name!r} is ACTIVE; pass force => true")
    if name == state.c:
        return state, Expected.unspecified("B10", "machines never delete a branch some session has checked out")
    assert name is not None
    db = evolve(state.db, branches=state.db.branches.set(name, evolve(b, status="DELETED")))
    return evolve(state, db=db), Expected.table((), [()], rule="B10")


def list_branches(state: State, op: calls.ListBranches) -> Result:
    if op.inactive_days is not None:
        return state, Expected.unspecified("B11", "p_inactive_days is out of scope")
    rows = [(b.name, b.status) for b in state.db.branches.values() if op.status is None or b.status == op.status]
    return state, Expected.table(("branch_name", "status"), rows, rule="B11")


# --- C: commits --------------------------------------------------------------------------------------


def _commit_target(state: State, branch: str | None) -> Branch | None:
    b = state.db.branches.get(branch) if branch is not None else None
    return b if b is not None and b.status == "ACTIVE" else None


def _add_commit(state: State, b: Branch, message: str, tree_hash: str | None, known_hash: str | None
                ) -> tuple[State, CommitRef]:
    ref = CommitRef(state.counters.commits)
    row = CommitRow(ref, b.name, b.head, message, tree_hash, known_hash)
    db = evolve(state.db, commits=(*state.db.commits, row),
                branches=state.db.branches.set(b.name, evolve(b, head=ref)))
    return evolve(state, db=db, counters=evolve(state.counters, commits=ref.n + 1)), ref


def create_commit(state: State, op: calls.CreateCommit) -> Result:
    if op.parent_ids is not None:
        return state, Expected.unspecified("C5", "machines always pass NULL for parent_ids")
    b = _commit_target(state, op.branch)
    if b is None or op.branch == "":
        return reject(state, "C1", f"branch {op.branch!r} is NULL, empty, unknown or not ACTIVE")
    if op.message is None or op.message == "":
        return reject(state, "C1", "the message is NULL or empty")
    tree = None if op.sql_text is None else sha256hex(op.sql_text)
    state, ref = _add_commit(state, b, op.message, tree, None)
    return state, Expected.of(NewCommitId(ref), rule=("C2", "C3", "C4", "C6"))


_ID_LIKE = re.compile(rf"^(?:{UUID_RE}|[0-9]{{20}}-[0-9]{{6,}}-[0-9a-f]{{8}})$")


def _draw_trinity(state: State, commit: CommitRef | None = None) -> tuple[State, NewTrinityId]:
    c = state.counters
    ref = TrinityRef(c.trinity)
    pred = NewTrinityId(ref, after=c.last_trinity, floor=c.trinity_floor, commit=commit)
    return evolve(state, counters=evolve(c, trinity=ref.n + 1, last_trinity=(ref,))), pred


def commit_changes(state: State, op: calls.CommitChanges) -> Result:
    if op.branch is None or btrim(op.branch) == "":
        return reject(state, "C7", "the branch is NULL or blank")
    b = _commit_target(state, op.branch)
    if b is None:
        return reject(state, "C7", f"branch {op.branch!r} is unknown or not ACTIVE")
    message = btrim(op.message or "")
    if len(message) > 10_000:
        return reject(state, "C7", "the trimmed message is over 10 000 characters")
    if op.custom_id is not None:
        custom = btrim(op.custom_id)
        if len(custom) < 10:
            return reject(state, "C7", "the trimmed custom id is under 10 characters")
        bound = state.counters.bound
        unknown = False
        for cm in state.db.commits:
            value = cm.hash if cm.hash is not None else bound.get(cm.ref)
            if value == custom:
                return reject(state, "C7", f"{custom!r} is already a commit's hash or commit_id")
            unknown = unknown or value is None
        if unknown and _ID_LIKE.match(custom):
            return state, Expected.unspecified("C7", "the custom id looks like a commit id the model has not "
                                                     "been told (use model.bind)")
        state, _ref = _add_commit(state, b, message, None, custom)
        return state, Expected.of(custom, rule=("C7", "C8"))
    nxt = CommitRef(state.counters.commits)
    state, pred = _draw_trinity(state, commit=nxt)
    state, ref = _add_commit(state, b, message, None, None)
    assert ref == nxt
    return state, Expected.of(pred, rule=("C7", "T1", "T3", "T6"))


# --- T: Trinity IDs ----------------------------------------------------------------------------------


def generate_trinity_id(state: State, op: calls.GenerateTrinityId) -> Result:
    state, pred = _draw_trinity(state)
    return state, Expected.of(pred, rule=("T1", "T2", "T3", "T4", "T5", "T6", "T7"))


def generate_trinity_ids(state: State, op: calls.GenerateTrinityIds) -> Result:
    c = state.counters
    refs = tuple(TrinityRef(c.trinity + i) for i in range(op.count))
    rows = [(NewTrinityId(r, after=c.last_trinity, floor=c.trinity_floor),) for r in refs]
    state = evolve(state, counters=evolve(c, trinity=c.trinity + op.count, last_trinity=refs))
    return state, Expected.table(("id",), rows, rule=("T9", "T5"), ordered=True)


def set_trinity_sequence(state: State, op: calls.SetTrinitySequence) -> Result:
    # setval may move the sequence down, so earlier IDs no longer bound the next one; it is not transactional
    c = evolve(state.counters, trinity_floor=op.value + 1, last_trinity=())
    return evolve(state, counters=c), Expected.of(op.value, rule=("T3", "T8"))


HANDLERS: dict[type, Callable[[State, Any], Result]] = {
    calls.GetVersion: get_version, calls.GetHistory: get_history, calls.ShowTableVersions: show_table_versions,
    calls.CreateBranch: create_branch, calls.CheckoutBranch: checkout_branch, calls.DeleteBranch: delete_branch,
    calls.ListBranches: list_branches, calls.CreateCommit: create_commit, calls.CommitChanges: commit_changes,
    calls.GenerateTrinityId: generate_trinity_id, calls.GenerateTrinityIds: generate_trinity_ids,
    calls.SetTrinitySequence: set_trinity_sequence, calls.ComputeDdlHash: compute_ddl_hash,
    calls.ComputeTableComponentHashes: compute_table_component_hashes, calls.UpdateAllHashes: update_all_hashes,
    calls.DetectChangesByHash: detect_changes_by_hash, calls.ExportSchemaHashes: export_schema_hashes,
    calls.MergeBranches: merge_branches,
}

__all__ = ["HANDLERS", "btrim", "current_schemas", "resolve", "sha256hex"]
