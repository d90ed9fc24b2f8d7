"""pgGit API calls on schema hashes (H1–H7): what each hash function returns, from the model's catalog."""

from __future__ import annotations

from typing import Any

from attrs import evolve

from pggit_model.model.calls_common import HASHED_KINDS, Result, drift_names
from pggit_model.model.catalog import Index, structure
from pggit_model.model.expected import ANY, Expected, HashOf
from pggit_model.model.state import Row, RowKey, State, Unspecified
from pggit_model.ops import calls
from pggit_model.ops.base import TEMP_SCHEMA

#: H1 names an object by its schema's name; `pg_temp` is an alias of the session's pg_temp_N, and whether the hash
#: functions resolve the alias was never decided
_TEMP_HASH = "H1 on a temporary object: whether 'pg_temp' names the session's temporary schema there is open"


def current_hash(state: State, kind: str, schema: str, name: str) -> HashOf | None:
    key = (kind, schema, name)
    s = structure(state.db.catalog, key)
    return None if s is None else HashOf(key, s)


def compute_ddl_hash(state: State, op: calls.ComputeDdlHash) -> Result:
    if op.object_type is None or op.schema is None or op.name is None or op.object_type not in HASHED_KINDS:
        return state, Expected.of(None, rule="H1")
    if op.schema in state.db.catalog.foreign:
        return state, Expected.unspecified("I5", "objects in public are pgGit's demo objects")
    if op.schema == TEMP_SCHEMA:
        return state, Expected.unspecified("V1", _TEMP_HASH)
    return state, Expected.of(current_hash(state, op.object_type, op.schema, op.name), rule=("H1", "H2", "H3"))


def compute_table_component_hashes(state: State, op: calls.ComputeTableComponentHashes) -> Result:
    cat = state.db.catalog
    t = cat.table(op.schema, op.table) if op.schema is not None and op.table is not None else None
    if t is None or op.schema == TEMP_SCHEMA:
        return state, Expected.unspecified("H4", "a missing table is unspecified" if t is None else _TEMP_HASH)
    assert op.schema is not None and op.table is not None
    defs = tuple(sorted((k.definition() for k in t.constraints), key=repr))
    cons: Any = ANY if any(k.token == "?" for k in t.constraints) else HashOf(None, defs, "constraints")
    plain = []
    for i in t.indexes:
        idx = cat.rel(op.schema, i)
        if isinstance(idx, Index) and idx.constraint is None:
            plain.append((op.schema, i, idx.table, idx.columns, idx.unique,
                          *(() if idx.fillfactor is None else (idx.fillfactor,))))  # H11, V24p
    # H4 names "indexes not owned by a constraint" and not whether the INVALID index a failed CREATE UNIQUE INDEX
    # CONCURRENTLY leaves (V24n: no row) is one: its pg_get_indexdef is a valid build's, so both readings are open
    invalid = any(isinstance(r, Index) and r.rowless and r.table == op.table
                  for (s, _), r in cat.relations.items() if s == op.schema)
    idx_hash: Any = ANY if invalid else HashOf(None, tuple(sorted(plain)), "indexes")
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
    return state, drift_names(state, exp, "full_name", full=True)


def export_schema_hashes(state: State, op: calls.ExportSchemaHashes) -> Result:
    if op.schema is None or op.schema in state.db.catalog.foreign:
        return state, Expected.unspecified("I5", "only the machine's own schemas are modelled")
    rows_on_c = _hashed_rows_on_c(state, op.schema)
    if rows_on_c is None:
        return state, Expected.unspecified("H7", "an active row on c has no object in the catalog")
    out = [(kind, f"{schema}.{name}", current_hash(state, kind, schema, name))
           for (kind, schema, name, _b), _r in rows_on_c]
    exp = Expected.table(("object_type", "object_name", "ddl_hash"), out, rule="H7")
    return state, drift_names(state, exp, "object_name", full=True)


__all__ = ["compute_ddl_hash", "compute_table_component_hashes", "current_hash", "detect_changes_by_hash",
           "export_schema_hashes", "update_all_hashes"]
