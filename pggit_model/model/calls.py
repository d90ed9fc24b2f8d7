"""pgGit API calls: lookups (V17–V19), branches (B), commits (C), Trinity IDs (T), hashes (H), merge (M).

Each handler takes the state and the op and returns (new state, Expected). A rejected call returns the
unchanged state and `Expected.error(None, …)`: the contract leaves SQLSTATE and text open.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog import Index, structure
from pggit_model.model.expected import (
    ANY,
    UUID_RE,
    CommitRef,
    Expected,
    HashOf,
    IsInt,
    MergeRef,
    MergeResult,
    NewCommitId,
    NewTrinityId,
    TrinityRef,
)
from pggit_model.model.fmap import FrozenMap
from pggit_model.model.state import HISTORY_GAP, Branch, CommitRow, Conflict, Row, RowKey, State, Unspecified
from pggit_model.model.versions import V2_KINDS
from pggit_model.ops import calls

Result = tuple[State, Expected]
HASHED_KINDS = ("TABLE", "VIEW", "INDEX", "FUNCTION")
BRANCH_NAME = re.compile(r"[A-Za-z0-9._/#-]+")


def sha256hex(text: str) -> str:
    """§0: lowercase hex SHA-256 of the UTF-8 bytes (C2's tree_hash)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def btrim(text: str) -> str:
    """C7: SQL btrim(x) — leading and trailing spaces only, not tabs or newlines."""
    return text.strip(" ")


def _reject(state: State, rule: str, why: str) -> Result:
    return state, Expected.error(None, rule=rule, why=why)


# --- V17–V19: lookups --------------------------------------------------------------------------------


class _Foreign(Exception):
    """The lookup would reach a schema whose content the model does not know (I5)."""


class _Ambiguous(Exception):
    """V18's second try finds dropped objects of more than one kind under the name."""


def current_schemas(state: State) -> list[str]:
    """current_schemas(false): the search_path entries that exist ($user never does for the model)."""
    cat = state.db.catalog
    return [s for s in state.session.search_path if s in cat.schemas or s in cat.foreign]


def resolve(state: State, name: str, active: bool = True) -> RowKey | None:
    """V17's lookup of `name` on c among V2 kinds (active rows, or inactive ones for V18's second try)."""
    c = state.c
    rows = state.db.rows
    cat = state.db.catalog

    def find(schema: str, obj: str) -> RowKey | None:
        if schema in cat.foreign:
            raise _Foreign(schema)
        if not active and sum((kind, schema, obj, c) in rows for kind in V2_KINDS) > 1:
            raise _Ambiguous(f"{schema}.{obj}")
        for kind in V2_KINDS:
            r = rows.get((kind, schema, obj, c))
            if r is not None and r.active == active:
                return (kind, schema, obj, c)
        return None

    if "." in name:
        schema, obj = name.split(".", 1)
        if (hit := find(schema, obj)) is not None:  # (rows outlive a dropped schema: N4)
            return hit
    for s in current_schemas(state):
        if (hit := find(s, name)) is not None:
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
        return Expected.unspecified("V18", f"{e.args[0]} named dropped objects of more than one kind (an index "
                                           "renamed away, then a table of that name): which one's past a lookup "
                                           "of the name returns is outside both models (§12, §14.8)")


def _drift_unknown(state: State, name: str | None) -> Expected | None:
    """U3: a lookup that may land on an object drift created or dropped has no specified answer."""
    if name is None or not state.db.unknown:
        return None
    if any(name in (k[2], f"{k[1]}.{k[2]}") for k in state.db.unknown):
        return Expected.unspecified("U3", "the name is an object created or dropped while pgGit's triggers did "
                                          "not fire")
    return None


def _drift_names(state: State, op: Expected, column: str, full: bool) -> Expected:
    """Rows about objects drift created or dropped left out on both sides (U3: unspecified); with ``full`` the
    column holds full names, else table names (a table counts if it or one of its columns is unknown)."""
    if not state.db.unknown:
        return op
    if full:
        names = {f"{k[1]}.{k[2]}" for k in state.db.unknown}
    else:
        names = {k[2].split(".", 1)[0] for k in state.db.unknown if k[0] in ("TABLE", "COLUMN")}
    return op.without(column, names)


def get_version(state: State, op: calls.GetVersion) -> Result:
    cols = ("object_name", "schema_name", "version", "version_string")
    if (u := _drift_unknown(state, op.name)) is not None:
        return state, u
    key = _lookup(state, op.name)
    if isinstance(key, Expected):
        return state, key
    if key is None:
        return state, Expected.table(cols, [], rule="V17")
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
    return state, _drift_names(state, Expected.table(cols, rows, rule="V19"), "object_name", full=False)


# --- B: branches -------------------------------------------------------------------------------------


def create_branch(state: State, op: calls.CreateBranch) -> Result:
    if op.copy_data:
        return state, Expected.unspecified("B5", "copy_data => true is outside the first model")
    name, parent = op.name, op.parent
    branches = state.db.branches
    if name is None or name == "":
        return _reject(state, "B3", "the branch name is NULL or empty")
    if len(name) > 255:
        return _reject(state, "B3", "the branch name is longer than 255 characters")
    if not BRANCH_NAME.fullmatch(name):
        return _reject(state, "B3", "the branch name has a character outside [A-Za-z0-9._/#-]")
    if name in branches:
        return _reject(state, "B3" if branches[name].status != "DELETED" else "B10",
                       f"a branch named {name!r} already exists ({branches[name].status})")
    if parent is None or parent not in branches or branches[parent].status != "ACTIVE":
        return _reject(state, "B3", f"the parent {parent!r} is {_status(state, parent)}")
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
        return _reject(state, "B6", f"cannot check out {op.name!r}: it is {_status(state, op.name)}")
    return evolve(state, session=evolve(state.session, current_branch=op.name)), Expected.of(ANY, rule="B6")


def delete_branch(state: State, op: calls.DeleteBranch) -> Result:
    name = op.name
    b = state.db.branches.get(name) if name is not None else None
    if name == "main":
        return _reject(state, "B10", "main can never be deleted")
    if b is None or b.status == "DELETED":
        return _reject(state, "B10", f"{name!r} is unknown or already DELETED")
    if b.status == "ACTIVE" and not op.force:
        return _reject(state, "B10", f"{name!r} is ACTIVE; pass force => true")
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
        return _reject(state, "C1", f"branch {op.branch!r} is NULL, empty, unknown or not ACTIVE")
    if op.message is None or op.message == "":
        return _reject(state, "C1", "the message is NULL or empty")
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
        return _reject(state, "C7", "the branch is NULL or blank")
    b = _commit_target(state, op.branch)
    if b is None:
        return _reject(state, "C7", f"branch {op.branch!r} is unknown or not ACTIVE")
    message = btrim(op.message or "")
    if len(message) > 10_000:
        return _reject(state, "C7", "the trimmed message is over 10 000 characters")
    if op.custom_id is not None:
        custom = btrim(op.custom_id)
        if len(custom) < 10:
            return _reject(state, "C7", "the trimmed custom id is under 10 characters")
        bound = state.counters.bound
        unknown = False
        for cm in state.db.commits:
            value = cm.hash if cm.hash is not None else bound.get(cm.ref)
            if value == custom:
                return _reject(state, "C7", f"{custom!r} is already a commit's hash or commit_id")
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


# --- H: hashes ---------------------------------------------------------------------------------------


def current_hash(state: State, kind: str, schema: str, name: str) -> HashOf | None:
    key = (kind, schema, name)
    s = structure(state.db.catalog, key)
    return None if s is None else HashOf(key, s)


def compute_ddl_hash(state: State, op: calls.ComputeDdlHash) -> Result:
    if op.object_type is None or op.schema is None or op.name is None or op.object_type not in HASHED_KINDS:
        return state, Expected.of(None, rule="H1")
    if op.schema in state.db.catalog.foreign:
        return state, Expected.unspecified("I5", "objects in public are pgGit's demo objects")
    return state, Expected.of(current_hash(state, op.object_type, op.schema, op.name), rule=("H1", "H2", "H3"))


def compute_table_component_hashes(state: State, op: calls.ComputeTableComponentHashes) -> Result:
    cat = state.db.catalog
    t = cat.table(op.schema, op.table) if op.schema is not None and op.table is not None else None
    if t is None:
        return state, Expected.unspecified("H4", "a missing table is unspecified")
    assert op.schema is not None and op.table is not None
    defs = tuple(sorted((k.definition() for k in t.constraints), key=repr))
    cons: Any = ANY if any(k.token == "?" for k in t.constraints) else HashOf(None, defs, "constraints")
    plain = []
    for i in t.indexes:
        idx = cat.rel(op.schema, i)
        if isinstance(idx, Index) and idx.constraint is None:
            plain.append((op.schema, i, idx.table, idx.columns, idx.unique, idx.fillfactor))  # WITH (…): H11
    idx_hash = HashOf(None, tuple(sorted(plain)), "indexes")
    row = (current_hash(state, "TABLE", op.schema, op.table), cons, idx_hash)
    return state, Expected.table(("structure_hash", "constraints_hash", "indexes_hash"), [row], rule="H4")


def update_all_hashes(state: State, op: calls.UpdateAllHashes) -> Result:
    cat = state.db.catalog
    changed: dict[RowKey, Row] = {}
    for key, r in state.db.rows.items():
        kind, schema, name, _branch = key
        if not r.active or kind not in HASHED_KINDS or schema in cat.foreign:
            continue
        h: Any = current_hash(state, kind, schema, name) or Unspecified("H5")
        if r.ddl_hash != h:
            changed[key] = evolve(r, ddl_hash=h)
    db = evolve(state.db, rows=state.db.rows.merge(changed)) if changed else state.db
    return evolve(state, db=db), Expected.table((), [()], rule="H5")


def _hashed_rows_on_c(state: State, schema: str | None = None) -> list[tuple[RowKey, Row]] | None:
    """Active TABLE/VIEW/INDEX/FUNCTION rows on c (owned schemas); None if one has no catalog object."""
    out = []
    cat = state.db.catalog
    for key, r in state.db.rows.items():
        kind, s, name, branch = key
        if branch != state.c or not r.active or kind not in HASHED_KINDS or s in cat.foreign:
            continue
        if schema is not None and s != schema:
            continue
        if state.db.unknown and (kind, s, name) in state.db.unknown:
            continue  # U3: left out of the answer on both sides (_drift_names)
        if structure(cat, (kind, s, name)) is None:
            return None
        out.append((key, r))
    return out


def detect_changes_by_hash(state: State, op: calls.DetectChangesByHash) -> Result:
    rows_on_c = _hashed_rows_on_c(state)
    if rows_on_c is None:
        return state, Expected.unspecified("H7", "an active row on c has no object in the catalog")
    out: list[tuple[Any, ...]] = []
    for (kind, schema, name, _b), r in rows_on_c:
        new = current_hash(state, kind, schema, name)
        old = r.ddl_hash
        if isinstance(old, HashOf) and new is not None:
            out.append((f"{schema}.{name}", kind, old, new, old.structure != new.structure))
        else:
            out.append((f"{schema}.{name}", kind, ANY, new, ANY))
    cols = ("full_name", "object_type", "old_hash", "new_hash", "has_changed")
    exp = Expected.table(cols, out, rule="H6", scope_column="full_name", scope=tuple(sorted(state.db.catalog.schemas)))
    return state, _drift_names(state, exp, "full_name", full=True)


def export_schema_hashes(state: State, op: calls.ExportSchemaHashes) -> Result:
    if op.schema is None or op.schema in state.db.catalog.foreign:
        return state, Expected.unspecified("I5", "only the machine's own schemas are modelled")
    rows_on_c = _hashed_rows_on_c(state, op.schema)
    if rows_on_c is None:
        return state, Expected.unspecified("H7", "an active row on c has no object in the catalog")
    out = [(kind, f"{schema}.{name}", current_hash(state, kind, schema, name))
           for (kind, schema, name, _b), _r in rows_on_c]
    exp = Expected.table(("object_type", "object_name", "ddl_hash"), out, rule="H7")
    return state, _drift_names(state, exp, "object_name", full=True)


# --- M: merge ----------------------------------------------------------------------------------------


def merge_branches(state: State, op: calls.MergeBranches) -> Result:
    branches = state.db.branches
    src, tgt = op.source, op.target
    if src is None or tgt is None or src not in branches or tgt not in branches:
        return _reject(state, "M1", "source or target is NULL or unknown")
    if src == tgt:
        return _reject(state, "M1", "source and target are the same branch")
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
