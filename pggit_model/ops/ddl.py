"""DDL operations: the statements V10 lists, restricted to what the model predicts exactly.

Here the table statements (CREATE TABLE, CREATE TABLE AS, ALTER TABLE, DROP TABLE), and `DDL_OPS`: the whole DDL
vocabulary, whose other ops (indexes, views, functions and comments in `ops.objects`; the §14 modules) are
exported from here too. Constraints and indexes are always named, except a PRIMARY KEY may take PostgreSQL's
`<table>_pkey`. Defaults are plain literals (int, bool, str) that PostgreSQL accepts for the column's type.
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
    as_tuple,
    boolean,
    comma,
    drop,
    ident,
    nonempty_idents,
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
from pggit_model.ops.dependents import DEPENDENT_OPS  # §14.1 V26d–f: DDL ops too (exported by ops/__init__)
from pggit_model.ops.frame import FRAME_OPS  # V15 frame, V27: DDL ops too (exported by ops/__init__)
from pggit_model.ops.kinds import KINDS_OPS  # §14.1 kinds: DDL ops too (exported by ops/__init__)
from pggit_model.ops.objects import (  # indexes, views, functions, comments
    CommentOnColumn,
    CommentOnTable,
    CreateFunction,
    CreateIndex,
    CreateView,
    DropFunction,
    DropIndex,
    DropView,
)
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
from pggit_model.ops.rows import ROW_OPS  # §14.1 V24n: rows a UNIQUE build fails on (exported by ops/__init__)


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
        return drop("TABLE", qname(self.schema, self.name), self.if_exists, self.cascade)


@frozen
class AlterTable(Op):
    """`ALTER TABLE [IF EXISTS] schema.name action, …` — one statement, so one change (V9).

    Each column appears in at most one action, and each constraint name too, or in exactly two when one drops
    the constraint and the other adds one under its name (a new life in one statement, V13/V14/V20): PostgreSQL
    runs every DROP in its first pass, so the result does not depend on the order the two are written in; other
    pairs would (§12). A column dropped and added again in one statement stays outside (§12: its table's
    change is unclear under V23, docs/mutation.md blind spot 8)."""

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
        seen_names: dict[str, list[Action]] = {}
        for a in value:
            if not isinstance(a, ACTION_TYPES):
                _fail(self, attr, value, f"{a!r} is not an ALTER TABLE action")
            for c in a.targets:
                if c in seen_cols:
                    _fail(self, attr, value, f"column {c!r} appears in two actions")
                seen_cols.add(c)
            n = _constraint_name(a)
            if n is not None and not _new_life(seen_names.setdefault(n, []), a):
                _fail(self, attr, value, f"constraint {n!r} appears in two actions (other than a drop and an add)")

    def sql(self) -> Composable:
        return sql.SQL("ALTER TABLE {}{} {}").format(
            sql.SQL("IF EXISTS ") if self.if_exists else sql.SQL(""),
            qname(self.schema, self.name),
            comma(a.sql() for a in self.actions),
        )


def _new_life(earlier: list[Action], a: Action) -> bool:
    """Adds `a` to the `earlier` actions naming one constraint; False unless they are one action, or one DROP
    CONSTRAINT and one ADD (of a constraint or of a column with it inline), in either order."""
    earlier.append(a)
    drops = [x for x in earlier if isinstance(x, DropConstraint)]
    return len(earlier) == 1 or (len(earlier) == 2 and len(drops) == 1)


DDL_OPS = (CreateTable, DropTable, AlterTable, CreateIndex, DropIndex, CreateView, DropView, CreateFunction,
           DropFunction, CommentOnTable, CommentOnColumn, CreateTableAs, *RENAME_OPS, *CASCADE_OPS, *KINDS_OPS,
           *PARTITION_OPS, *FRAME_OPS, *DEPENDENT_OPS, *ROW_OPS)

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
