"""Temporary objects (V1, §14 A8): DDL on `pg_temp.name`, the session's own temporary schema.

`pg_temp` is a schema the model owns from the start (state.initial_state): every DDL op whose schema is `pg_temp`
works on the session's temporary objects, and V1 keeps all of them untracked (versions.record_ddl keeps only
tracked keys), so get_version('pg_temp.t') and friends find nothing (V17, V18). Temporary objects live as long as
the session: `drop_temporary` is what a lost session leaves of them (engine.session_lost; a killed session X5, a
crash X6).

What PostgreSQL answers at the line between temporary and permanent objects, pinned against a real server in
tests/test_reference_temp.py:
* a view outside `pg_temp` over a temporary relation: 42P16 (the view would be temporary, in a permanent schema);
* a foreign key between a temporary and a permanent table, either way: 42P16;
* CREATE SCHEMA pg_temp and ALTER SCHEMA … RENAME TO pg_temp: 42939 (a reserved name, checked before existence);
  DROP SCHEMA pg_temp and ALTER SCHEMA pg_temp RENAME: 3F000 (the alias names no schema of pg_namespace);
* SET SCHEMA into or out of `pg_temp`: 0A000.
Everything else that touches `pg_temp` — materialized views (0A000 / 42501), hierarchies, the §14.1 kinds, types
and sequences, statements outside a block, a move within `pg_temp` (tables 0A000, functions accepted) — is left
out: Unknown, so no machine draws it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_values import Catalog, Table
from pggit_model.model.catalog_work import Fail, Work, reject, unknown
from pggit_model.ops import ddl, renames
from pggit_model.ops.base import TEMP_SCHEMA

#: the statements the model follows on temporary objects (their catalog effects are those of any schema's)
TEMP_STATEMENTS: tuple[type, ...] = (
    ddl.CreateTable, ddl.CreateTableAs, ddl.AlterTable, ddl.DropTable, ddl.CreateIndex, ddl.DropIndex,
    ddl.CreateView, ddl.DropView, ddl.CreateFunction, ddl.DropFunction, ddl.CommentOnTable, ddl.CommentOnColumn,
    renames.RenameRelation, renames.RenameColumn,
)
_SCHEMA_OPS = (renames.CreateSchema, renames.DropSchema, renames.RenameSchema, renames.SetSchema)
Handler = Callable[[Work, Any], str]


def schemas_named(op: Any) -> set[str]:
    """Every schema `op` names: its own, a view's source, a move's target, a used type's or function's, and each
    foreign key's referenced one."""
    out = {getattr(op, a) for a in ("schema", "source_schema", "new_schema", "used_schema", "function_schema")
           if isinstance(getattr(op, a, None), str)}
    if isinstance(op, renames.RenameSchema):
        out.add(op.new_name)
    return out | {k.ref_schema for k in _foreign_keys(op)}


def _foreign_keys(op: Any) -> list[ddl.ForeignKey]:
    if isinstance(op, ddl.CreateTable):
        return [k for k in op.constraints if isinstance(k, ddl.ForeignKey)]
    if isinstance(op, ddl.AlterTable):
        return [a.constraint for a in op.actions if isinstance(a, ddl.AddConstraint | ddl.AddColumn)
                and isinstance(a.constraint, ddl.ForeignKey)]
    return []


def _schema_op(w: Work, op: Any, base: Handler) -> str:
    if isinstance(op, renames.CreateSchema):
        raise reject("42939", "pg_temp is a reserved schema name (checked before IF NOT EXISTS)")
    if isinstance(op, renames.DropSchema):
        if op.if_exists:
            return "V15"
        raise reject("3F000", "pg_temp is an alias of the session's temporary schema, not a schema name")
    if isinstance(op, renames.RenameSchema):
        if op.schema == TEMP_SCHEMA:
            raise reject("3F000", "pg_temp is an alias of the session's temporary schema, not a schema name")
        raise reject("42939", "pg_temp is a reserved schema name")
    assert isinstance(op, renames.SetSchema)
    if op.schema == op.new_schema:
        raise unknown("V1", "a move within pg_temp: PostgreSQL refuses it for relations (0A000), not for functions")
    exists = (op.schema, op.signature) in w.base.functions if op.keyword == "FUNCTION" else \
        w.rel(op.schema, op.name) is not None
    if not exists:
        return base(w, op)  # 42P01 / 42883 (or IF EXISTS), before the move itself is judged
    raise reject("0A000", "PostgreSQL moves no object into or out of a temporary schema")


def _crossing(w: Work, op: Any, base: Handler) -> str | None:
    """42P16 for a view outside pg_temp over a temporary relation and for a foreign key across the line, when the
    statement is otherwise one PostgreSQL accepts (its other checks come first or were never pinned: Unknown)."""
    temp_view = isinstance(op, ddl.CreateView) and op.schema != TEMP_SCHEMA and \
        op.source_schema == TEMP_SCHEMA and w.rel(TEMP_SCHEMA, op.source) is not None
    fks = [k for k in _foreign_keys(op) if (k.ref_schema == TEMP_SCHEMA) != (op.schema == TEMP_SCHEMA)]
    if not temp_view and not fks:
        return None
    if fks and not isinstance(w.rel(fks[0].ref_schema, fks[0].ref_table), Table):
        return base(w, op)  # 42P01 first, as for any foreign key to a missing table
    try:
        base(Work(w.base), op)
    except Fail as f:
        raise unknown("V1", "a statement PostgreSQL refuses for another reason too: which error comes first "
                            "was not pinned") from f
    if temp_view:
        raise reject("42P16", "a view over a temporary relation is temporary: not in a permanent schema")
    raise reject("42P16", "foreign keys between temporary and permanent tables are refused, either way")


def guard_temp(statements: dict[type, Handler]) -> dict[type, Handler]:
    """Each handler, wrapped: the rules above for statements that name pg_temp, the handler itself otherwise."""
    def wrap(cls: type, base: Handler) -> Handler:
        def handler(w: Work, op: Any) -> str:
            named = schemas_named(op)
            if TEMP_SCHEMA not in named:
                return base(w, op)
            if isinstance(op, _SCHEMA_OPS):
                return _schema_op(w, op, base)
            if not isinstance(op, TEMP_STATEMENTS):
                raise unknown("V1", f"{cls.__name__} on temporary objects is outside the temporary vocabulary")
            crossed = _crossing(w, op, base)
            return base(w, op) if crossed is None else crossed
        return handler
    return {cls: wrap(cls, h) for cls, h in statements.items()}


def drop_temporary(catalog: Catalog) -> Catalog:
    """The catalog once the session that made the temporary objects is gone: they go without a trace (no event
    trigger fires at a session's end, and V1 leaves them untracked anyway). Nothing permanent depends on them:
    the statements that would make it so are refused (42P16) or Unknown above."""
    rels = [k for k in catalog.relations if k[0] == TEMP_SCHEMA]
    funcs = [k for k in catalog.functions if k[0] == TEMP_SCHEMA]
    if not rels and not funcs:
        return catalog
    return evolve(catalog, relations=catalog.relations.drop(*rels), functions=catalog.functions.drop(*funcs),
                  odd_arrays=frozenset(k for k in catalog.odd_arrays if k[0] != TEMP_SCHEMA))


__all__ = ["TEMP_SCHEMA", "TEMP_STATEMENTS", "drop_temporary", "guard_temp", "schemas_named"]
