"""Partitions and inheritance (contract §14.1, V24 rows q–x): partitioned tables, partitions, ATTACH / DETACH,
inheritance children and ALTER TABLE … [NO] INHERIT.

DROP of a partition or a partitioned table, and every parent-level statement that propagates (V25), are the
first model's ops (`DropTable`, `AlterTable`, `CreateIndex`, `DropIndex`, `RenameColumn`); the model knows the
hierarchy. Partition keys are one integer column and bounds integer literals: enough for every V24 row, and
nothing PostgreSQL renders in more than one way.
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import Op, _fail, as_tuple, boolean, ident, one_of, qname
from pggit_model.ops.columns import Column, _columns

#: how a partition's bound is written: FOR VALUES FROM (lo) TO (hi), FOR VALUES IN (v, …), DEFAULT
BOUND_KINDS = ("RANGE", "LIST", "DEFAULT")


def _bound_values(inst: Any, attr: Any, value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        _fail(inst, attr, value, "must be a tuple of integers")


def _check_bound(inst: Any) -> None:
    n = len(inst.values)
    if inst.how == "DEFAULT" and n:
        _fail(inst, "values", inst.values, "a DEFAULT partition has no values")
    if inst.how == "RANGE" and n != 2:
        _fail(inst, "values", inst.values, "a RANGE bound is (lower, upper)")
    if inst.how == "LIST" and not n:
        _fail(inst, "values", inst.values, "a LIST bound needs at least one value")


def bound_sql(how: str, values: tuple[int, ...]) -> Composable:
    if how == "DEFAULT":
        return sql.SQL("DEFAULT")
    lits = [sql.Literal(v) for v in values]
    if how == "RANGE":
        return sql.SQL("FOR VALUES FROM ({}) TO ({})").format(lits[0], lits[1])
    return sql.SQL("FOR VALUES IN ({})").format(sql.SQL(", ").join(lits))


@frozen
class CreatePartitioned(Op):
    """`CREATE TABLE schema.name (columns) PARTITION BY {RANGE|LIST} (key)` — V24q."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    columns: tuple[Column, ...] = field(converter=as_tuple, validator=_columns)
    strategy: str = field(validator=one_of("RANGE", "LIST"))
    key: str = field(validator=ident)

    kind: ClassVar[str] = "create_partitioned"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("CREATE TABLE {} ({}) PARTITION BY {} ({})").format(
            qname(self.schema, self.name), sql.SQL(", ").join(c.sql() for c in self.columns),
            sql.SQL(self.strategy), sql.Identifier(self.key))


@frozen
class CreatePartition(Op):
    """`CREATE TABLE schema.name PARTITION OF schema.parent {FOR VALUES … | DEFAULT}` — V24r."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    parent: str = field(validator=ident)
    how: str = field(validator=one_of(*BOUND_KINDS))
    values: tuple[int, ...] = field(default=(), converter=as_tuple, validator=_bound_values)

    kind: ClassVar[str] = "create_partition"
    family: ClassVar[str] = "ddl"

    def __attrs_post_init__(self) -> None:
        _check_bound(self)

    def sql(self) -> Composable:
        return sql.SQL("CREATE TABLE {} PARTITION OF {} {}").format(
            qname(self.schema, self.name), qname(self.schema, self.parent), bound_sql(self.how, self.values))


@frozen
class AttachPartition(Op):
    """`ALTER TABLE schema.parent ATTACH PARTITION schema.name {FOR VALUES … | DEFAULT}` — V24s."""

    schema: str = field(validator=ident)
    parent: str = field(validator=ident)
    name: str = field(validator=ident)
    how: str = field(validator=one_of(*BOUND_KINDS))
    values: tuple[int, ...] = field(default=(), converter=as_tuple, validator=_bound_values)

    kind: ClassVar[str] = "attach_partition"
    family: ClassVar[str] = "ddl"

    def __attrs_post_init__(self) -> None:
        _check_bound(self)

    def sql(self) -> Composable:
        return sql.SQL("ALTER TABLE {} ATTACH PARTITION {} {}").format(
            qname(self.schema, self.parent), qname(self.schema, self.name), bound_sql(self.how, self.values))


@frozen
class DetachPartition(Op):
    """`ALTER TABLE schema.parent DETACH PARTITION schema.name [CONCURRENTLY]` — V24t; CONCURRENTLY runs outside a
    transaction block only (X13, `ops.cascades.outside_block`) and adds a CHECK equal to the old bound (A52)."""

    schema: str = field(validator=ident)
    parent: str = field(validator=ident)
    name: str = field(validator=ident)
    concurrently: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "detach_partition"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("ALTER TABLE {} DETACH PARTITION {}{}").format(
            qname(self.schema, self.parent), qname(self.schema, self.name),
            sql.SQL(" CONCURRENTLY") if self.concurrently else sql.SQL(""))


@frozen
class CreateChild(Op):
    """`CREATE TABLE schema.name (columns) INHERITS (schema.parent)` — V24w (one parent: B12)."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    parent: str = field(validator=ident)
    columns: tuple[Column, ...] = field(default=(), converter=as_tuple, validator=_columns)

    kind: ClassVar[str] = "create_child"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("CREATE TABLE {} ({}) INHERITS ({})").format(
            qname(self.schema, self.name), sql.SQL(", ").join(c.sql() for c in self.columns),
            qname(self.schema, self.parent))


@frozen
class SetInherit(Op):
    """`ALTER TABLE schema.name [NO] INHERIT schema.parent` — V24x."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    parent: str = field(validator=ident)
    inherit: bool = field(default=True)

    kind: ClassVar[str] = "set_inherit"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("ALTER TABLE {} {}INHERIT {}").format(
            qname(self.schema, self.name), sql.SQL("" if self.inherit else "NO "), qname(self.schema, self.parent))


PARTITION_OPS = (CreatePartitioned, CreatePartition, AttachPartition, DetachPartition, CreateChild, SetInherit)

__all__ = ["BOUND_KINDS", "PARTITION_OPS", "AttachPartition", "CreateChild", "CreatePartition", "CreatePartitioned",
           "DetachPartition", "SetInherit", "bound_sql"]
