"""Cascades and statements outside a transaction block (contract §14.1 V26, V24m–p; §14.6 X13).

CASCADE itself is a flag of the first model's drop ops (`DropTable`, `DropColumn`, `DropConstraint`, `DropIndex`,
`DropView`, `DropFunction`, `DropSchema`); here are the statements the first vocabulary lacks: one DROP of several
tables (V26h), concurrent index builds and drops (V24m), REINDEX (V24o) and the storage and statistics settings
that record nothing (V24p). `outside_block()` says whether PostgreSQL refuses an op inside a transaction block
(25001): such an op needs an autocommit session (B12).
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import Attribute, field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import (
    Op,
    _fail,
    as_tuple,
    boolean,
    comma,
    ident,
    idlist,
    nonempty_idents,
    one_of,
    opt_ident,
    qname,
)
from pggit_model.ops.partitions import DetachPartition


def _flag(on: bool, text: str) -> Composable:
    return sql.SQL(text) if on else sql.SQL("")


def _int_in(low: int, high: int) -> Any:
    def check(inst: Any, attr: Attribute, value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            _fail(inst, attr, value, f"must be an integer from {low} to {high}")

    return check


def _opt_fillfactor(inst: Any, attr: Attribute, value: Any) -> None:
    if value is not None:
        _int_in(10, 100)(inst, attr, value)


@frozen
class DropTables(Op):
    """`DROP TABLE [IF EXISTS] schema.a, schema.b … [CASCADE]` — V26h: foreign keys between the tables named need
    no CASCADE; each table records only its drop."""

    schema: str = field(validator=ident)
    names: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)
    if_exists: bool = field(default=False, validator=boolean)
    cascade: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_tables"
    family: ClassVar[str] = "ddl"

    def __attrs_post_init__(self) -> None:
        if len(self.names) < 2:
            _fail(self, "names", self.names, "must name at least two tables (one is DropTable)")

    def sql(self) -> Composable:
        return sql.SQL("DROP TABLE {}{}{}").format(
            _flag(self.if_exists, "IF EXISTS "), comma(qname(self.schema, n) for n in self.names),
            _flag(self.cascade, " CASCADE"))


@frozen
class CreateIndexConcurrently(Op):
    """`CREATE [UNIQUE] INDEX CONCURRENTLY [IF NOT EXISTS] name ON schema.table (columns)` — V24m, X13."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    table: str = field(validator=ident)
    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)
    unique: bool = field(default=False, validator=boolean)
    if_not_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "create_index_concurrently"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("CREATE {}INDEX CONCURRENTLY {}{} ON {} {}").format(
            _flag(self.unique, "UNIQUE "), _flag(self.if_not_exists, "IF NOT EXISTS "), sql.Identifier(self.name),
            qname(self.schema, self.table), idlist(self.columns))


@frozen
class DropIndexConcurrently(Op):
    """`DROP INDEX CONCURRENTLY [IF EXISTS] schema.name` — V24m, X13(a) (CASCADE is not allowed with it)."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_index_concurrently"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("DROP INDEX CONCURRENTLY {}{}").format(
            _flag(self.if_exists, "IF EXISTS "), qname(self.schema, self.name))


@frozen
class Reindex(Op):
    """`REINDEX {INDEX schema.name | TABLE schema.name | SCHEMA schema} [CONCURRENTLY]` — V24o: records nothing
    (and fires no event trigger, B9); CONCURRENTLY gives the index a new OID (B20)."""

    target: str = field(validator=one_of("INDEX", "TABLE", "SCHEMA"))
    schema: str = field(validator=ident)
    name: str | None = field(default=None, validator=opt_ident)
    concurrently: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "reindex"
    family: ClassVar[str] = "ddl"

    @property
    def fires_event_trigger(self) -> bool:
        return False  # (from PostgreSQL 17 on it does)

    def __attrs_post_init__(self) -> None:
        if (self.target == "SCHEMA") != (self.name is None):
            _fail(self, "name", self.name, "a name for INDEX/TABLE, none for SCHEMA")

    def sql(self) -> Composable:
        what = sql.Identifier(self.schema) if self.name is None else qname(self.schema, self.name)
        return sql.SQL("REINDEX {} {}{}").format(sql.SQL(self.target), _flag(self.concurrently, "CONCURRENTLY "),
                                                 what)


@frozen
class SetStorage(Op):
    """`ALTER {INDEX|TABLE} schema.name SET (fillfactor = n)` or, with `fillfactor` None, `RESET (fillfactor)` —
    V24p: records nothing; an index's hash changes with it (H11)."""

    keyword: str = field(validator=one_of("INDEX", "TABLE"))
    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    fillfactor: int | None = field(default=None, validator=_opt_fillfactor)

    kind: ClassVar[str] = "set_storage"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        if self.fillfactor is None:
            return sql.SQL("ALTER {} {} RESET (fillfactor)").format(sql.SQL(self.keyword),
                                                                     qname(self.schema, self.name))
        return sql.SQL("ALTER {} {} SET (fillfactor = {})").format(
            sql.SQL(self.keyword), qname(self.schema, self.name), sql.SQL(str(self.fillfactor)))


@frozen
class SetStatistics(Op):
    """`ALTER TABLE schema.table ALTER COLUMN column SET STATISTICS n` — V24p, V27: records nothing."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    column: str = field(validator=ident)
    target: int = field(validator=_int_in(-1, 10000))

    kind: ClassVar[str] = "set_statistics"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("ALTER TABLE {} ALTER COLUMN {} SET STATISTICS {}").format(
            qname(self.schema, self.table), sql.Identifier(self.column), sql.SQL(str(self.target)))


def outside_block(op: Op) -> bool:
    """PostgreSQL runs `op` only outside a transaction block (25001 inside one, X13, B12)."""
    if isinstance(op, CreateIndexConcurrently | DropIndexConcurrently):
        return True
    if isinstance(op, DetachPartition) and op.concurrently:  # §14.1 V24t (ops/partitions.py)
        return True
    return isinstance(op, Reindex) and (op.concurrently or op.target == "SCHEMA")


CASCADE_OPS = (DropTables, CreateIndexConcurrently, DropIndexConcurrently, Reindex, SetStorage, SetStatistics)

__all__ = ["CASCADE_OPS", "CreateIndexConcurrently", "DropIndexConcurrently", "DropTables", "Reindex", "SetStatistics",
           "SetStorage", "outside_block"]
