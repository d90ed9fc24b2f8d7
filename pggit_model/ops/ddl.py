"""DDL operations: the statements V10 lists, restricted to what the model predicts exactly.

Constraints and indexes are always named, except a PRIMARY KEY may take PostgreSQL's `<table>_pkey`.
Defaults are plain literals (int, bool, str) that PostgreSQL accepts for the column's type.
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import Attribute, field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.errors import InvalidOp
from pggit_model.ops.actions import (
    ACTION_TYPES,
    Action,
    AddColumn,
    AddConstraint,
    AlterColumnType,
    DropColumn,
    DropConstraint,
    DropDefault,
    DropNotNull,
    SetDefault,
    SetNotNull,
    _constraint_name,
)
from pggit_model.ops.base import (
    Op,
    _fail,
    arg_types_converter,
    as_tuple,
    boolean,
    comma,
    ident,
    idlist,
    lit,
    nonempty_idents,
    opt_text,
    qname,
)
from pggit_model.ops.cascades import (  # §14 cascades and statements outside a transaction block
    CASCADE_OPS,
    CreateIndexConcurrently,
    DropIndexConcurrently,
    DropTables,
    Reindex,
    SetStatistics,
    SetStorage,
)
from pggit_model.ops.columns import (
    CONSTRAINT_TYPES,
    Check,
    Column,
    Constraint,
    Default,
    ForeignKey,
    PrimaryKey,
    Unique,
    _columns,
    _constraints,
    default_problem,
)
from pggit_model.ops.kinds import KINDS_OPS  # §14.1 kinds: DDL ops too (exported by ops/__init__)
from pggit_model.ops.partitions import (  # §14.1 V24q–x: partitions and inheritance
    PARTITION_OPS,
    AttachPartition,
    CreateChild,
    CreatePartition,
    CreatePartitioned,
    DetachPartition,
    SetInherit,
)
from pggit_model.ops.renames import (  # the §14 key changes are DDL ops too
    RENAME_OPS,
    CreateSchema,
    DropSchema,
    RenameColumn,
    RenameConstraint,
    RenameFunction,
    RenameRelation,
    RenameSchema,
    SetSchema,
)


@frozen
class CreateTable(Op):
    """`CREATE TABLE [IF NOT EXISTS] schema.name (columns, constraints)` — V10a."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    columns: tuple[Column, ...] = field(default=(), converter=as_tuple, validator=_columns)
    constraints: tuple[Constraint, ...] = field(default=(), converter=as_tuple, validator=_constraints)
    if_not_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "create_table"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        body = [c.sql() for c in self.columns] + [k.sql() for k in self.constraints]
        return sql.SQL("CREATE TABLE {}{} ({})").format(
            sql.SQL("IF NOT EXISTS ") if self.if_not_exists else sql.SQL(""),
            qname(self.schema, self.name),
            comma(body),
        )


@frozen
class CreateTableAs(Op):
    """`CREATE TABLE [IF NOT EXISTS] schema.name AS SELECT columns FROM schema.source` — V10a: the new table's
    columns take the selected columns' names and types (typmods kept), without NOT NULL, defaults or constraints."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    source: str = field(validator=ident)
    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)
    if_not_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "create_table_as"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("CREATE TABLE {}{} AS SELECT {} FROM {}").format(
            sql.SQL("IF NOT EXISTS ") if self.if_not_exists else sql.SQL(""),
            qname(self.schema, self.name),
            comma(sql.Identifier(c) for c in self.columns),
            qname(self.schema, self.source),
        )


@frozen
class DropTable(Op):
    """`DROP TABLE [IF EXISTS] schema.name [CASCADE]` — V10o."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)
    cascade: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_table"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return _drop("TABLE", qname(self.schema, self.name), self.if_exists, self.cascade)


def _drop(what: str, target: Composable, if_exists: bool, cascade: bool) -> Composable:
    return sql.SQL("DROP {} {}{}{}").format(
        sql.SQL(what),
        sql.SQL("IF EXISTS ") if if_exists else sql.SQL(""),
        target,
        sql.SQL(" CASCADE") if cascade else sql.SQL(""),
    )


@frozen
class AlterTable(Op):
    """`ALTER TABLE [IF EXISTS] schema.name action, …` — one statement, so one change (V9).

    Each column and each constraint name appears in at most one action: PostgreSQL runs subcommands in
    passes, and keeping them independent makes the result not depend on that order (contract §12)."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    actions: tuple[Action, ...] = field(converter=as_tuple)
    if_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "alter_table"
    family: ClassVar[str] = "ddl"

    @actions.validator
    def _check_actions(self, attr: Attribute, value: Any) -> None:
        if not isinstance(value, tuple) or not value:
            _fail(self, attr, value, "must be a non-empty tuple of ALTER TABLE actions")
        seen_cols: set[str] = set()
        seen_names: set[str] = set()
        for a in value:
            if not isinstance(a, ACTION_TYPES):
                _fail(self, attr, value, f"{a!r} is not an ALTER TABLE action")
            for c in a.targets:
                if c in seen_cols:
                    _fail(self, attr, value, f"column {c!r} appears in two actions")
                seen_cols.add(c)
            if (n := _constraint_name(a)) is not None:
                if n in seen_names:
                    _fail(self, attr, value, f"constraint {n!r} appears in two actions")
                seen_names.add(n)

    def sql(self) -> Composable:
        return sql.SQL("ALTER TABLE {}{} {}").format(
            sql.SQL("IF EXISTS ") if self.if_exists else sql.SQL(""),
            qname(self.schema, self.name),
            comma(a.sql() for a in self.actions),
        )


# --- indexes, views, functions, comments -------------------------------------------------------------


@frozen
class CreateIndex(Op):
    """`CREATE [UNIQUE] INDEX [IF NOT EXISTS] name ON schema.table (columns)` — V10c."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    table: str = field(validator=ident)
    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)
    unique: bool = field(default=False, validator=boolean)
    if_not_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "create_index"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("CREATE {}INDEX {}{} ON {} {}").format(
            sql.SQL("UNIQUE ") if self.unique else sql.SQL(""),
            sql.SQL("IF NOT EXISTS ") if self.if_not_exists else sql.SQL(""),
            sql.Identifier(self.name),
            qname(self.schema, self.table),
            idlist(self.columns),
        )


@frozen
class DropIndex(Op):
    """`DROP INDEX [IF EXISTS] schema.name [CASCADE]` — V10n."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)
    cascade: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_index"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return _drop("INDEX", qname(self.schema, self.name), self.if_exists, self.cascade)


@frozen
class CreateView(Op):
    """`CREATE [OR REPLACE] VIEW schema.name AS SELECT columns FROM schema.source` — V10b, V12."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    source: str = field(validator=ident)
    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)
    or_replace: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "create_view"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("CREATE {}VIEW {} AS SELECT {} FROM {}").format(
            sql.SQL("OR REPLACE ") if self.or_replace else sql.SQL(""),
            qname(self.schema, self.name),
            comma(sql.Identifier(c) for c in self.columns),
            qname(self.schema, self.source),
        )


@frozen
class DropView(Op):
    """`DROP VIEW [IF EXISTS] schema.name [CASCADE]` — V10p."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)
    cascade: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_view"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return _drop("VIEW", qname(self.schema, self.name), self.if_exists, self.cascade)


def _int4(inst: Any, attr: Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not -(2**31) <= value < 2**31:
        _fail(inst, attr, value, "must be an integer in the range of integer")


@frozen
class CreateFunction(Op):
    """`CREATE [OR REPLACE] FUNCTION schema.name(arg types) RETURNS integer LANGUAGE sql IMMUTABLE
    AS 'SELECT <body>'` — V10b, V12; `body` varies the definition (H3)."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    arg_types: tuple[str, ...] = field(default=(), converter=arg_types_converter)
    body: int = field(default=1, validator=_int4)
    or_replace: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "create_function"
    family: ClassVar[str] = "ddl"

    @property
    def signature(self) -> str:
        """The V5 object name, e.g. `add_tax(numeric, integer)`."""
        return f"{self.name}({', '.join(self.arg_types)})"

    def sql(self) -> Composable:
        return sql.SQL("CREATE {}FUNCTION {}({}) RETURNS integer LANGUAGE sql IMMUTABLE AS {}").format(
            sql.SQL("OR REPLACE ") if self.or_replace else sql.SQL(""),
            qname(self.schema, self.name),
            sql.SQL(", ").join([sql.SQL(t) for t in self.arg_types]),
            lit(f"SELECT {self.body}"),
        )


@frozen
class DropFunction(Op):
    """`DROP FUNCTION [IF EXISTS] schema.name(arg types) [CASCADE]` — V10p."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    arg_types: tuple[str, ...] = field(default=(), converter=arg_types_converter)
    if_exists: bool = field(default=False, validator=boolean)
    cascade: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_function"
    family: ClassVar[str] = "ddl"

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.arg_types)})"

    def sql(self) -> Composable:
        target = sql.SQL("{}({})").format(
            qname(self.schema, self.name), sql.SQL(", ").join([sql.SQL(t) for t in self.arg_types])
        )
        return _drop("FUNCTION", target, self.if_exists, self.cascade)


@frozen
class CommentOnTable(Op):
    """`COMMENT ON TABLE schema.table IS text|NULL` — V10m ('' removes the comment, like NULL)."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    text: str | None = field(validator=opt_text)

    kind: ClassVar[str] = "comment_table"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("COMMENT ON TABLE {} IS {}").format(qname(self.schema, self.table), lit(self.text))


@frozen
class CommentOnColumn(Op):
    """`COMMENT ON COLUMN schema.table.column IS text|NULL` — V10m."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    column: str = field(validator=ident)
    text: str | None = field(validator=opt_text)

    kind: ClassVar[str] = "comment_column"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("COMMENT ON COLUMN {} IS {}").format(
            sql.Identifier(self.schema, self.table, self.column), lit(self.text)
        )


DDL_OPS = (CreateTable, DropTable, AlterTable, CreateIndex, DropIndex, CreateView, DropView, CreateFunction,
           DropFunction, CommentOnTable, CommentOnColumn, CreateTableAs, *RENAME_OPS, *CASCADE_OPS, *KINDS_OPS,
           *PARTITION_OPS)

__all__ = [
    "ACTION_TYPES",
    "CASCADE_OPS",
    "CONSTRAINT_TYPES",
    "DDL_OPS",
    "PARTITION_OPS",
    "RENAME_OPS",
    "Action",
    "AddColumn",
    "AddConstraint",
    "AlterColumnType",
    "AlterTable",
    "AttachPartition",
    "Check",
    "Column",
    "CommentOnColumn",
    "CommentOnTable",
    "Constraint",
    "CreateChild",
    "CreateFunction",
    "CreateIndex",
    "CreateIndexConcurrently",
    "CreatePartition",
    "CreatePartitioned",
    "CreateSchema",
    "CreateTable",
    "CreateTableAs",
    "CreateView",
    "Default",
    "DetachPartition",
    "DropColumn",
    "DropConstraint",
    "DropDefault",
    "DropFunction",
    "DropIndex",
    "DropIndexConcurrently",
    "DropNotNull",
    "DropSchema",
    "DropTable",
    "DropTables",
    "DropView",
    "ForeignKey",
    "InvalidOp",
    "PrimaryKey",
    "Reindex",
    "RenameColumn",
    "RenameConstraint",
    "RenameFunction",
    "RenameRelation",
    "RenameSchema",
    "SetDefault",
    "SetInherit",
    "SetNotNull",
    "SetSchema",
    "SetStatistics",
    "SetStorage",
    "Unique",
    "default_problem",
]
