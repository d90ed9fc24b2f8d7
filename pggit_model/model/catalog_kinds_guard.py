"""The first model's statements next to §14.1 objects (identity and generated columns, materialized views): what
they do there is not modelled, so they are marked unknown and no machine draws them (catalog_statements wraps
the first model's handlers with `guard_first_model`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pggit_model.model.catalog_matviews import unpopulated
from pggit_model.model.catalog_partitions import descendants
from pggit_model.model.catalog_values import Index, Table
from pggit_model.model.catalog_work import Work, reject, unknown
from pggit_model.ops import cascades, ddl, kinds, partitions, renames


def _kinds_columns(t: Table) -> set[str]:
    """Identity and generated columns of `t`, and the columns generation expressions read."""
    return {c.name for c in t.columns if c.identity or c.generated} | {c.generated for c in t.columns if c.generated}


def guard_first_model(statements: dict[type, Callable[[Work, Any], str]]) -> dict[type, Callable[[Work, Any], str]]:
    """CREATE TABLE AS of an unpopulated materialized view fails (55000). The first model's ALTER TABLE
    subcommands and the renames are kept away from what they do not model: a column
    subcommand on an identity or generated column or on a column a generation expression reads (PostgreSQL: 42601,
    22023, 2BP01, 0A000), and a rename of such a source column (moves of what a materialized view reads, R3f, R3h
    and N5c are the renames family's). Unknown (§12), so no machine draws them."""
    alter, ren_col, ctas = statements[ddl.AlterTable], statements[renames.RenameColumn], statements[ddl.CreateTableAs]

    def alter_table(w: Work, op: ddl.AlterTable) -> str:
        t = w.rel(op.schema, op.name)
        if isinstance(t, Table) and (cols := _kinds_columns(t)):
            named = {getattr(a, "column", None) for a in op.actions}
            named |= {a.name for a in op.actions if isinstance(a, ddl.DropColumn)}
            if named & cols:
                raise unknown("§12", "a first-model ALTER COLUMN / DROP COLUMN on an identity or generated column, "
                                     "or on a column a generation expression reads, is not modelled")
        if _takes_a_name_again(op) and _in_hierarchy(w, op.schema, op.name):  # (a partitions smoke, seed 3)
            raise unknown("§12", "a constraint dropped and its name taken again in one statement on a table of a "
                                 "hierarchy: the recursion into its partitions or children is not modelled")
        return alter(w, op)

    def create_table_as(w: Work, op: ddl.CreateTableAs) -> str:
        rule = ctas(w, op)
        if rule != "V15" and unpopulated(w, op.schema, op.source):  # the query runs last (55000)
            raise reject("55000", f"{op.source!r} reads a materialized view that has not been populated")
        return rule

    def rename_column(w: Work, op: renames.RenameColumn) -> str:
        t = w.rel(op.schema, op.table)
        if isinstance(t, Table) and any(c.generated == op.column for c in t.columns):
            raise unknown("§12", "renaming a column a generation expression reads is not modelled")
        return ren_col(w, op)

    return {ddl.AlterTable: alter_table, ddl.CreateTableAs: create_table_as, renames.RenameColumn: rename_column}


__all__ = ["guard_first_model"]


def _takes_a_name_again(op: ddl.AlterTable) -> bool:
    """A DROP CONSTRAINT and an ADD under the same name (or <table>_pkey and an unnamed PRIMARY KEY)."""
    dropped = {a.name for a in op.actions if isinstance(a, ddl.DropConstraint)}
    added = {a.constraint.name or f"{op.name}_pkey" for a in op.actions if isinstance(a, ddl.AddConstraint)}
    added |= {a.constraint.name for a in op.actions
              if isinstance(a, ddl.AddColumn) and a.constraint is not None and a.constraint.name is not None}
    return bool(dropped & added)


def _in_hierarchy(w: Work, s: str, name: str) -> bool:
    t = w.rel(s, name)
    return isinstance(t, Table) and (t.parent is not None or t.partition_by is not None
                                     or bool(descendants(w, s, name)))


#: §14.1 statements that change a table's columns or constraints (the kinds family)
_KINDS_ON_A_TABLE = (kinds.AddIdentity, kinds.SetGenerated, kinds.DropIdentity, kinds.RestartIdentity,
                     kinds.AddIdentityColumn, kinds.AddStoredColumn, kinds.DropExpression, kinds.AddExclude,
                     kinds.AddForeignKeyNotValid, kinds.ValidateConstraint)


def guard_hierarchies(statements: dict[type, Callable[[Work, Any], str]]) -> dict[type, Callable[[Work, Any], str]]:
    """Identity, generated columns, EXCLUDE and NOT VALID foreign keys inside a partition or inheritance hierarchy
    (PostgreSQL refuses some — 42P16 for an identity column added to a parent with children — and propagates others
    in ways V25 does not list), and a table with such columns joining one: not modelled, so unknown (§12)."""
    def on_a_table(base: Callable[[Work, Any], str]) -> Callable[[Work, Any], str]:
        def handler(w: Work, op: Any) -> str:
            fk = getattr(op, "fk", None)
            if _in_hierarchy(w, op.schema, op.table) or (
                    fk is not None and _in_hierarchy(w, fk.ref_schema, fk.ref_table)):
                raise unknown("§12", "a §14.1 column or constraint statement inside a partition or inheritance "
                                     "hierarchy is not modelled")
            return base(w, op)
        return handler

    def joining(base: Callable[[Work, Any], str]) -> Callable[[Work, Any], str]:
        def handler(w: Work, op: Any) -> str:
            for name in (op.name, op.parent):
                t = w.rel(op.schema, name)
                if isinstance(t, Table) and _kinds_columns(t):
                    raise unknown("§12", "a table with identity or generated columns in a partition or inheritance "
                                         "hierarchy is not modelled")
            return base(w, op)
        return handler

    out: dict[type, Callable[[Work, Any], str]] = {cls: on_a_table(statements[cls]) for cls in _KINDS_ON_A_TABLE}
    out.update({cls: joining(statements[cls]) for cls in (partitions.AttachPartition, partitions.SetInherit,
                                                          partitions.CreateChild)})
    return out


def guard_cascades(statements: dict[type, Callable[[Work, Any], str]]) -> dict[type, Callable[[Work, Any], str]]:
    """The cascades family's statements on a partition or inheritance hierarchy that the model does not follow:
    `DROP TABLE a, b` naming a member (the partitions model follows single drops, V24u/v) and REINDEX of a
    partitioned table or index (PostgreSQL reindexes each partition in its own transaction: 25001 inside a block,
    which rollback isolation hides from the model). Unknown, so no machine draws them."""
    def drop_tables(base: Callable[[Work, Any], str]) -> Callable[[Work, Any], str]:
        def handler(w: Work, op: cascades.DropTables) -> str:
            if any(_in_hierarchy(w, op.schema, n) for n in op.names):
                raise unknown("§12", "DROP TABLE a, b with a table of a partition or inheritance hierarchy: the "
                                     "partitions model follows single drops only (V24u, V24v)")
            return base(w, op)
        return handler

    def reindex(base: Callable[[Work, Any], str]) -> Callable[[Work, Any], str]:
        def handler(w: Work, op: cascades.Reindex) -> str:
            r = w.rel(op.schema, op.name) if op.name is not None else None
            table = w.rel(op.schema, r.table) if isinstance(r, Index) else r
            if isinstance(table, Table) and table.partition_by is not None:
                # PostgreSQL reindexes each partition in its own transaction: 25001 inside a block, which the
                # model cannot see under rollback isolation
                raise unknown("X13", "REINDEX of a partitioned table or index runs outside a transaction block only")
            return base(w, op)
        return handler

    def storage(base: Callable[[Work, Any], str]) -> Callable[[Work, Any], str]:
        def handler(w: Work, op: cascades.SetStorage | cascades.SetStatistics) -> str:
            name = op.name if isinstance(op, cascades.SetStorage) else op.table
            r = w.rel(op.schema, name)
            if _in_hierarchy(w, op.schema, r.table if isinstance(r, Index) else name):
                # a partitioned table takes no fillfactor (22023), and what a member's setting does to the
                # others is not modelled
                raise unknown("§12", "storage parameters or statistics targets in a partition or inheritance "
                                     "hierarchy are not modelled")
            return base(w, op)
        return handler

    return {cascades.DropTables: drop_tables(statements[cascades.DropTables]),
            cascades.Reindex: reindex(statements[cascades.Reindex]),
            cascades.SetStorage: storage(statements[cascades.SetStorage]),
            cascades.SetStatistics: storage(statements[cascades.SetStatistics])}
