"""Kinds and structure (contract §14.1 V22–V24, V27): what each statement of ops/kinds.py does to the catalog.

Identity kind and generation expression are fields of a column (V23), so V9a's comparison sees them and
`kind_change_severity` gives row g's and row i's severities; materialized views are catalog_matviews.py's.
Statements of V27 check what PostgreSQL checks and change nothing. SQLSTATE orders are pinned on PostgreSQL 15 in
tests/test_model_kinds.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_constraints import add_constraint
from pggit_model.model.catalog_matviews import MATVIEW_STATEMENTS, not_populated, select_list
from pggit_model.model.catalog_values import Col, Con, Index, MatView, Table
from pggit_model.model.catalog_work import Work, reject, set_col, unknown
from pggit_model.ops import kinds
from pggit_model.ops.types import canonical_type

_SEV = {"MAJOR": 3, "MINOR": 2, "PATCH": 1}
#: V24g: a column's identity kind before -> after, and the severity its table records
IDENTITY_SEVERITY: dict[tuple[str | None, str | None], str] = {
    (None, "BY DEFAULT"): "PATCH", (None, "ALWAYS"): "MAJOR", ("BY DEFAULT", "ALWAYS"): "MAJOR",
    ("ALWAYS", "BY DEFAULT"): "MINOR", ("BY DEFAULT", None): "PATCH", ("ALWAYS", None): "MINOR",
}


def kind_change_severity(old: Col, new: Col) -> int:
    """0–3: the severity of a column's identity (V24g) and generation expression (V24i) changes."""
    sev = 0
    if old.identity != new.identity:
        sev = _SEV[IDENTITY_SEVERITY[(old.identity, new.identity)]]
    if old.generated != new.generated:
        sev = max(sev, 2)  # DROP EXPRESSION: the column becomes writable, its values stay (V24i)
    return sev


# --- lookups -------------------------------------------------------------------------------------------


def _table(w: Work, s: str, name: str) -> Table:
    r = w.rel(s, name)
    if r is None:
        raise reject("42P01", f"relation {name!r} does not exist")
    if not isinstance(r, Table):  # (PostgreSQL answers 42809 or 55000 by subcommand: not pinned)
        raise unknown("§12", f"ALTER TABLE of this family on {name!r}, which is not a table, is not modelled")
    return r


def _column(t: Table, table: str, column: str) -> Col:
    c = t.col(column)
    if c is None:
        raise reject("42703", f"column {column!r} of relation {table!r} does not exist")
    return c


def _new_table(w: Work, s: str, name: str, cols: tuple[Col, ...]) -> None:
    w.put(s, name, Table(columns=cols))
    w.created[:0] = [("TABLE", s, name), *[("COLUMN", s, f"{name}.{c.name}") for c in cols]]


# --- tables made by queries and LIKE (V24a, V24j) -------------------------------------------------------


def _select_into(w: Work, op: kinds.SelectInto) -> str:
    cols = select_list(w, op.schema, op.source, op.columns)
    if w.rel(op.schema, op.name) is not None:
        raise reject("42P07", f"relation {op.name!r} already exists")
    not_populated(w, op.schema, op.source)
    _new_table(w, op.schema, op.name, tuple(Col(c, t) for c, t in cols))
    return "V24a"


def _create_table_like(w: Work, op: kinds.CreateTableLike) -> str:
    src = w.rel(op.schema, op.source)
    if src is None:
        raise reject("42P01", f"relation {op.source!r} does not exist")
    if isinstance(src, Index):
        raise unknown("§12", "LIKE of an index is not pinned on PostgreSQL")
    if w.rel(op.schema, op.name) is not None:
        raise reject("42P07", f"relation {op.name!r} already exists")
    cols = (tuple(Col(c.name, c.type, c.not_null) for c in src.columns) if isinstance(src, Table)
            else tuple(Col(c, t) for c, t in src.columns))
    _new_table(w, op.schema, op.name, cols)
    return "V24j"


# --- identity and generated columns (V24f–i) ------------------------------------------------------------


def _identity_target(w: Work, op: Any) -> tuple[Table, Col]:
    t = _table(w, op.schema, op.table)
    c = _column(t, op.table, op.column)
    w.touched.append(("COLUMN", op.schema, f"{op.table}.{op.column}"))
    w.touch(op.schema, op.table)
    return t, c


def _kind(always: bool) -> str:
    return "ALWAYS" if always else "BY DEFAULT"


def _add_identity(w: Work, op: kinds.AddIdentity) -> str:
    t, c = _identity_target(w, op)
    # the identity sequence is created first (22023 for its type), then the column is checked (55000)
    if c.type not in kinds.IDENTITY_TYPES:
        raise reject("22023", "identity column type must be smallint, integer, or bigint")
    if not c.not_null:
        raise reject("55000", f"column {op.column!r} must be declared NOT NULL before identity can be added")
    if c.identity is not None:
        raise reject("55000", f"column {op.column!r} is already an identity column")
    if c.default is not None or c.generated is not None:
        raise reject("55000", f"column {op.column!r} already has a default value")
    w.put(op.schema, op.table, set_col(t, op.column, identity=_kind(op.always)))
    return "V24g"


def _set_generated(w: Work, op: kinds.SetGenerated) -> str:
    t, c = _identity_target(w, op)
    if c.identity is None:
        raise reject("55000", f"column {op.column!r} is not an identity column")
    w.put(op.schema, op.table, set_col(t, op.column, identity=_kind(op.always)))
    return "V24g" if c.identity != _kind(op.always) else "V27"


def _drop_identity(w: Work, op: kinds.DropIdentity) -> str:
    t, c = _identity_target(w, op)
    if c.identity is None:
        if op.missing_ok:
            return "V27"
        raise reject("55000", f"column {op.column!r} is not an identity column")
    w.put(op.schema, op.table, set_col(t, op.column, identity=None))
    return "V24g"


def _restart_identity(w: Work, op: kinds.RestartIdentity) -> str:
    _, c = _identity_target(w, op)
    if c.identity is None:
        raise reject("55000", f"column {op.column!r} is not an identity column")
    w.touch(op.schema, op.table)  # reported as an ALTER TABLE of t too (A43): classified like VALIDATE (V9a, U3)
    return "V24h"


def _add_column(w: Work, s: str, table: str, col: Col) -> str:
    t = _table(w, s, table)
    if t.col(col.name) is not None:
        raise reject("42701", f"column {col.name!r} of relation {table!r} already exists")
    w.put(s, table, evolve(t, columns=(*t.columns, col)))
    w.created.append(("COLUMN", s, f"{table}.{col.name}"))
    w.touch(s, table)
    return "V24f"


def _add_identity_column(w: Work, op: kinds.AddIdentityColumn) -> str:
    return _add_column(w, op.schema, op.table, Col(op.column, op.type, True, identity=_kind(op.always)))


def _add_stored_column(w: Work, op: kinds.AddStoredColumn) -> str:
    t = _table(w, op.schema, op.table)
    if t.col(op.column) is not None:
        raise reject("42701", f"column {op.column!r} of relation {op.table!r} already exists")
    src = _column(t, op.table, op.source)
    if src.generated is not None:
        raise reject("42P17", "a generation expression cannot reference another generated column")
    return _add_column(w, op.schema, op.table, Col(op.column, canonical_type("boolean"), generated=op.source))


def _drop_expression(w: Work, op: kinds.DropExpression) -> str:
    t, c = _identity_target(w, op)
    if c.generated is None:
        if op.missing_ok:
            return "V27"
        raise reject("55000", f"column {op.column!r} is not a stored generated column")
    w.put(op.schema, op.table, set_col(t, op.column, generated=None))
    return "V24i"


# --- constraints (V24c, V24d, V24k) ------------------------------------------------------------------


def _add_exclude(w: Work, op: kinds.AddExclude) -> str:
    s = op.schema
    t = _table(w, s, op.table)
    for c in op.columns:
        _column(t, op.table, c)
    if w.rel(s, op.name) is not None:  # the index is named first (42P07), then the constraint (42710)
        raise reject("42P07", f"relation {op.name!r} already exists")
    if op.name in {k.name for k in t.constraints}:
        raise reject("42710", f"constraint {op.name!r} for relation {op.table!r} already exists")
    w.put(s, op.name, Index(op.table, op.columns, False, op.name))
    w.put(s, op.table, evolve(t, constraints=(*t.constraints, Con(op.name, "exclude", op.columns)),
                              indexes=(*t.indexes, op.name)))
    w.created.append(("INDEX", s, op.name))
    w.touch(s, op.table)
    return "V24k"


def _add_fk_not_valid(w: Work, op: kinds.AddForeignKeyNotValid) -> str:
    t = _table(w, op.schema, op.table)
    w.put(op.schema, op.table, add_constraint(w, op.schema, op.table, t, op.fk, set()))
    w.touch(op.schema, op.table)
    return "V24c"


def _validate_constraint(w: Work, op: kinds.ValidateConstraint) -> str:
    t = _table(w, op.schema, op.table)
    k = t.con(op.name)
    if k is None:
        raise reject("42704", f"constraint {op.name!r} of relation {op.table!r} does not exist")
    if k.kind not in ("foreign_key", "check"):
        raise reject("42809", f"constraint {op.name!r} is not a foreign key or check constraint")
    # reported as an ALTER TABLE of t: V9a classifies it (nothing changes), and on a table drift changed U3
    # leaves it open (found by smoke seed 205 of the drift machine: the reference classed the drift MINOR)
    w.touch(op.schema, op.table)
    return "V24d"


# --- statements that record nothing (V27, V24o/p) -------------------------------------------------------


def _quiet(w: Work, op: kinds.Quiet) -> str:
    r = w.rel(op.schema, op.table)
    if r is None:
        raise reject("42P01", f"relation {op.table!r} does not exist")
    if op.what in ("GRANT", "REVOKE"):
        if isinstance(r, Index):
            raise reject("42809", f"{op.table!r} is an index")
        return "V27"
    if not isinstance(r, Table | MatView):
        raise unknown("§12", f"{op.what} of a view or an index is not in the vocabulary")
    return "V24o"


#: kinds op class -> what it does to the catalog (registered in catalog_statements.STATEMENTS)
KINDS_STATEMENTS: dict[type, Callable[[Work, Any], str]] = {
    **MATVIEW_STATEMENTS,
    kinds.SelectInto: _select_into, kinds.CreateTableLike: _create_table_like, kinds.AddIdentity: _add_identity,
    kinds.SetGenerated: _set_generated, kinds.DropIdentity: _drop_identity, kinds.RestartIdentity: _restart_identity,
    kinds.AddIdentityColumn: _add_identity_column, kinds.AddStoredColumn: _add_stored_column,
    kinds.DropExpression: _drop_expression, kinds.AddExclude: _add_exclude,
    kinds.AddForeignKeyNotValid: _add_fk_not_valid, kinds.ValidateConstraint: _validate_constraint,
    kinds.Quiet: _quiet,
}

__all__ = [
    "IDENTITY_SEVERITY",
    "KINDS_STATEMENTS",
    "kind_change_severity",
]
