"""The real PostgreSQL catalog of the modelled schemas, and what each DDL op does to it.

All branches share this one catalog (B9). `apply_ddl(catalog, op)` returns `Applied` (the new catalog and
the tracked objects PostgreSQL created, dropped or changed), `Rejected` (the SQLSTATEs PostgreSQL may
raise) or `Unknown` (outside what the model predicts exactly; machines avoid it).

The values live in catalog_values, one handler per statement in catalog_statements (`STATEMENTS`), ALTER
TABLE's subcommands in catalog_alter (`ACTIONS`) and constraints in catalog_constraints (`CONSTRAINT_CHECKS`).
A new DDL op needs a row in `STATEMENTS`; `tests/test_completeness.py` says what else it needs.
"""

from __future__ import annotations

from typing import Any

from attrs import evolve

from pggit_model.model.catalog_cascades import CASCADE_STATEMENTS
from pggit_model.model.catalog_dependents import DEPENDENT_STATEMENTS, guard_uses
from pggit_model.model.catalog_frame import FRAME_STATEMENTS
from pggit_model.model.catalog_kinds_guard import guard_cascades
from pggit_model.model.catalog_rows import ROW_STATEMENTS, guard_rows
from pggit_model.model.catalog_statements import STATEMENTS
from pggit_model.model.catalog_temp import guard_temp
from pggit_model.model.catalog_values import (
    Applied,
    Catalog,
    Col,
    Con,
    DefaultExpr,
    Function,
    Index,
    ObjKey,
    Outcome,
    Rejected,
    Relation,
    Table,
    Unknown,
    View,
    check_token,
    default_expr,
    null_default,
    odd_array_name,
)
from pggit_model.model.catalog_work import Fail, UnhandledOp, Work, handler_for, reject, unknown
from pggit_model.model.memo import by_identity
from pggit_model.ops import ddl, renames

STATEMENTS.update(CASCADE_STATEMENTS)  # §14.1 V26, V24m–p (catalog_cascades imports catalog_statements)
STATEMENTS.update(guard_cascades(STATEMENTS))  # ... and hierarchies: not combined where the model has no rule
STATEMENTS.update(FRAME_STATEMENTS)  # V15 frame, V27: triggers, policies, row security, owner
STATEMENTS.update(DEPENDENT_STATEMENTS)  # §14.1 V26d–f: types, domains, sequences, functions tables use
STATEMENTS.update(guard_uses(STATEMENTS))  # ... and DROP FUNCTION / DROP SCHEMA of what they use


def _guard_array_types(base: Any) -> Any:
    """N5: SET SCHEMA moves a relation's row type and array type too, and PostgreSQL refuses (42710) when the
    target schema has a type of either name. PostgreSQL 15 names an array "_" + name, prepending more underscores
    while that is taken (and cutting to 63 bytes), so a clash needs a name beginning with "_" or 63 bytes long, or
    a relation whose array got its name beside one (`Catalog.odd_arrays`): those moves are unknown."""
    def may_clash(c: Catalog, s: str, x: str, s2: str) -> bool:
        if odd_array_name(x) or (s, x) in c.odd_arrays:
            return True  # x's own array name is not known
        # "_x" is x's array: taken in s2 by a relation of that name, or by the array of a 63-byte name cut to it
        raw = x.encode()
        return c.rel(s2, f"_{x}") is not None or any(
            len(n.encode()) >= 63 and n.encode().startswith(raw) for (t, n) in c.relations if t == s2)

    def handler(w: Work, op: renames.SetSchema) -> str:
        r = w.rel(op.schema, op.name) if op.keyword != "FUNCTION" else None
        if op.new_schema != op.schema and r is not None and not isinstance(r, Index) and may_clash(
                w.base, op.schema, op.name, op.new_schema):
            raise unknown("N5", "an array type name PostgreSQL chose may clash in the target schema (42710)")
        return base(w, op)
    return handler


STATEMENTS[renames.SetSchema] = _guard_array_types(STATEMENTS[renames.SetSchema])
STATEMENTS.update(ROW_STATEMENTS)  # §14.1 V24n: rows a UNIQUE build fails on
STATEMENTS.update(guard_rows(STATEMENTS))  # a table with rows admits only what catalog_rows predicts
STATEMENTS.update(guard_temp(STATEMENTS))  # outermost: V1, A8: what the model follows on temporary objects


@by_identity()
def apply_ddl(catalog: Catalog, op: ddl.Op) -> Outcome:
    """What PostgreSQL does with `op` on `catalog` (pure; the same objects are worked out once, see memo)."""
    handler = handler_for(STATEMENTS, op, "STATEMENTS", "catalog_statements")
    w = Work(catalog)
    try:
        schemas = {op.schema, getattr(op, "ref_schema", op.schema)}  # type: ignore[attr-defined]
        if isinstance(op, ddl.CreateTable | ddl.AlterTable):
            for k in _constraints_of(op):
                if isinstance(k, ddl.ForeignKey):
                    schemas.add(k.ref_schema)
        if schemas & catalog.foreign:
            raise unknown("I5", f"schema {sorted(schemas & catalog.foreign)[0]!r} holds objects the model "
                                "does not know; machines work in their own schema")
        # (an op with `checks_schema` looks its schema up itself: CREATE VIEW resolves its query first, §14.1)
        if op.schema not in catalog.schemas and not getattr(  # type: ignore[attr-defined]
                op, "creates_schema", False) and not getattr(op, "checks_schema", False):
            if getattr(op, "if_exists", False):
                return Applied(catalog, rule="V15")
            raise reject("3F000", f"schema {op.schema!r} does not exist")  # type: ignore[attr-defined]
        rule = handler(w, op)
    except Fail as f:
        return f.outcome
    return w.freeze(rule)


def _constraints_of(op: ddl.CreateTable | ddl.AlterTable) -> list[ddl.Constraint]:
    if isinstance(op, ddl.CreateTable):
        return list(op.constraints)
    out: list[ddl.Constraint] = []
    for a in op.actions:
        k = a.constraint if isinstance(a, ddl.AddConstraint | ddl.AddColumn) else None
        if k is not None:
            out.append(k)
    return out



# --- structures: what V9a compares and what H3/H4 hash -----------------------------------------------


def table_shape(catalog: Catalog, schema: str, name: str) -> tuple[Any, ...] | None:
    """The structure V9a compares for a TABLE: columns (with comments), constraints, plain indexes, comment."""
    t = catalog.table(schema, name)
    if t is None:
        return None
    plain = []
    for i in t.indexes:
        idx = catalog.rel(schema, i)
        if isinstance(idx, Index) and idx.constraint is None:
            plain.append((i, idx.columns, idx.unique))
    cols = t.columns
    if any(c.default is not None and c.default[0] == "null" for c in cols):  # V10: DEFAULT NULL is no default
        cols = tuple(evolve(c, default=None) if c.default is not None and c.default[0] == "null" else c
                     for c in cols)
    shape = (cols, frozenset(t.constraints), frozenset(plain), t.comment)
    # V23 (5): its place in a hierarchy, only where it has one (so other tables' shapes stay as they were)
    hierarchy = (t.partition_by, t.parent, t.bound)
    return shape if hierarchy == (None, None, None) else (*shape, hierarchy)


def shape_names(shape: Any) -> set[str]:
    """The column and plain index names of a table's V9a structure (`table_shape`), empty for None."""
    if shape is None:
        return set()
    return {c.name for c in shape[0]} | {i[0] for i in shape[2]}


def structure(catalog: Catalog, key: ObjKey) -> Any:
    """S(o) of H3 for a TABLE, VIEW, INDEX or FUNCTION that exists in the catalog, else None."""
    kind, schema, name = key
    if kind == "FUNCTION":
        f = catalog.functions.get((schema, name))
        return None if f is None else ("FUNCTION", name, f.body)
    r = catalog.rel(schema, name)
    if kind == "TABLE" and isinstance(r, Table):
        # H9: identity kind and generation expression are components of S, apart from the default
        return ("TABLE", tuple((c.name, c.type, c.not_null, c.default, c.identity, c.generated) for c in r.columns))
    if kind == "VIEW" and isinstance(r, View):
        # its source by identity (V23, R6): pg_get_viewdef renders the source's current schema and name (pinned)
        # and, once an output column was renamed (R3h), the source columns it reads: `SELECT a AS b` is not `SELECT b`
        return ("VIEW", r.source_schema or schema, r.source, tuple(c for c, _ in r.columns), *((r.reads,) if r.reads
                                                                                               else ()))
    if kind == "INDEX" and isinstance(r, Index):
        # storage parameters are part of the index's definition (H11, B19), not of its table's structure (V24p)
        return ("INDEX", schema, r.table, r.columns, r.unique, *(() if r.fillfactor is None else (r.fillfactor,)))
    return None


__all__ = [
    "STATEMENTS", "Applied", "Catalog", "Col", "Con", "DefaultExpr", "Function", "Index", "ObjKey", "Outcome",
    "Rejected", "Relation", "Table", "UnhandledOp", "Unknown", "View", "apply_ddl", "check_token",
    "default_expr", "null_default", "shape_names", "structure", "table_shape",
]
