"""Renames and schemas (contract §14.2 R, §14.3 N): statements that change an object's key, and the schemas
themselves.

Each op's `schema` is the schema the statement names first (the object's, or the schema itself), so the
model's schema checks (3F000, I5) apply to it as to every DDL op.
"""

from __future__ import annotations

from typing import ClassVar

from attrs import field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import Op, _fail, arg_types_converter, boolean, ident, one_of, qname

#: ALTER <keyword> … RENAME TO: PostgreSQL accepts ALTER TABLE for an index or a view too (A16, A19), and ALTER
#: TABLE / ALTER INDEX for a materialized view (R3f, pinned on PostgreSQL 15)
RELATION_KEYWORDS = ("TABLE", "INDEX", "VIEW", "MATERIALIZED VIEW")
#: ALTER <keyword> … SET SCHEMA (an index has none, A28)
MOVABLE_KEYWORDS = ("TABLE", "VIEW", "FUNCTION", "MATERIALIZED VIEW")
#: ALTER <keyword> … RENAME COLUMN (R3b, R3h): PostgreSQL takes any of them for a table or a materialized view
COLUMN_KEYWORDS = ("TABLE", "VIEW", "MATERIALIZED VIEW")


def _if_exists(flag: bool) -> Composable:
    return sql.SQL("IF EXISTS ") if flag else sql.SQL("")


def _signature(schema: str, name: str, arg_types: tuple[str, ...]) -> Composable:
    return sql.SQL("{}({})").format(qname(schema, name), sql.SQL(", ").join([sql.SQL(t) for t in arg_types]))


@frozen
class RenameRelation(Op):
    """`ALTER {TABLE|INDEX|VIEW|MATERIALIZED VIEW} [IF EXISTS] schema.name RENAME TO new_name` — R3a, R3c, R3e,
    R3f."""

    keyword: str = field(validator=one_of(*RELATION_KEYWORDS))
    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    new_name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "rename_relation"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("ALTER {} {}{} RENAME TO {}").format(
            sql.SQL(self.keyword), _if_exists(self.if_exists), qname(self.schema, self.name),
            sql.Identifier(self.new_name))


@frozen
class RenameColumn(Op):
    """`ALTER {TABLE|VIEW|MATERIALIZED VIEW} [IF EXISTS] schema.table RENAME COLUMN column TO new_name` — R3b,
    R3h."""

    keyword: str = field(validator=one_of(*COLUMN_KEYWORDS))
    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    column: str = field(validator=ident)
    new_name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "rename_column"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("ALTER {} {}{} RENAME COLUMN {} TO {}").format(
            sql.SQL(self.keyword), _if_exists(self.if_exists), qname(self.schema, self.table),
            sql.Identifier(self.column), sql.Identifier(self.new_name))


@frozen
class RenameConstraint(Op):
    """`ALTER TABLE [IF EXISTS] schema.table RENAME CONSTRAINT name TO new_name` — R3d."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    name: str = field(validator=ident)
    new_name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "rename_constraint"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("ALTER TABLE {}{} RENAME CONSTRAINT {} TO {}").format(
            _if_exists(self.if_exists), qname(self.schema, self.table), sql.Identifier(self.name),
            sql.Identifier(self.new_name))


@frozen
class RenameFunction(Op):
    """`ALTER FUNCTION schema.name(arg types) RENAME TO new_name` — R3g."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    arg_types: tuple[str, ...] = field(converter=arg_types_converter)
    new_name: str = field(validator=ident)

    kind: ClassVar[str] = "rename_function"
    family: ClassVar[str] = "ddl"

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.arg_types)})"

    def sql(self) -> Composable:
        return sql.SQL("ALTER FUNCTION {} RENAME TO {}").format(
            _signature(self.schema, self.name, self.arg_types), sql.Identifier(self.new_name))


@frozen
class SetSchema(Op):
    """`ALTER {TABLE|VIEW|FUNCTION|MATERIALIZED VIEW} [IF EXISTS] schema.name[(arg types)] SET SCHEMA new_schema`
    — N5a–e (`arg_types` only for FUNCTION, which has no IF EXISTS)."""

    keyword: str = field(validator=one_of(*MOVABLE_KEYWORDS))
    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    new_schema: str = field(validator=ident)
    arg_types: tuple[str, ...] = field(default=(), converter=arg_types_converter)
    if_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "set_schema"
    family: ClassVar[str] = "ddl"

    def __attrs_post_init__(self) -> None:
        if self.keyword != "FUNCTION" and self.arg_types:
            _fail(self, "arg_types", self.arg_types, "only a FUNCTION has argument types")
        if self.keyword == "FUNCTION" and self.if_exists:
            _fail(self, "if_exists", True, "ALTER FUNCTION … SET SCHEMA has no IF EXISTS here")

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.arg_types)})"

    def sql(self) -> Composable:
        target = (_signature(self.schema, self.name, self.arg_types) if self.keyword == "FUNCTION"
                  else qname(self.schema, self.name))
        return sql.SQL("ALTER {} {}{} SET SCHEMA {}").format(
            sql.SQL(self.keyword), _if_exists(self.if_exists), target, sql.Identifier(self.new_schema))


@frozen
class CreateSchema(Op):
    """`CREATE SCHEMA [IF NOT EXISTS] schema` — N3: records nothing."""

    schema: str = field(validator=ident)
    if_not_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "create_schema"
    family: ClassVar[str] = "ddl"
    #: the model's "schema must exist" check does not apply to the statement that creates it
    creates_schema: ClassVar[bool] = True

    def sql(self) -> Composable:
        return sql.SQL("CREATE SCHEMA {}{}").format(
            sql.SQL("IF NOT EXISTS ") if self.if_not_exists else sql.SQL(""), sql.Identifier(self.schema))


@frozen
class DropSchema(Op):
    """`DROP SCHEMA [IF EXISTS] schema [CASCADE]` — N4."""

    schema: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)
    cascade: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_schema"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("DROP SCHEMA {}{}{}").format(
            _if_exists(self.if_exists), sql.Identifier(self.schema),
            sql.SQL(" CASCADE") if self.cascade else sql.SQL(""))


@frozen
class RenameSchema(Op):
    """`ALTER SCHEMA schema RENAME TO new_name` — N6: every member's key changes."""

    schema: str = field(validator=ident)
    new_name: str = field(validator=ident)

    kind: ClassVar[str] = "rename_schema"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
            sql.Identifier(self.schema), sql.Identifier(self.new_name))


RENAME_OPS = (RenameRelation, RenameColumn, RenameConstraint, RenameFunction, SetSchema, CreateSchema, DropSchema,
              RenameSchema)

#: The ops that change an existing object's key (§14.2, §14.3): its past goes on under the new key (R1, V20).
KEY_CHANGES = (RenameRelation, RenameColumn, RenameConstraint, RenameFunction, RenameSchema, SetSchema)

__all__ = ["COLUMN_KEYWORDS", "KEY_CHANGES", "MOVABLE_KEYWORDS", "RELATION_KEYWORDS", "RENAME_OPS", "CreateSchema",
           "DropSchema", "RenameColumn", "RenameConstraint", "RenameFunction", "RenameRelation", "RenameSchema",
           "SetSchema"]
