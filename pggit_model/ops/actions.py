"""ALTER TABLE subcommands (V10d–k): each a frozen value rendering one action; AlterTable joins them."""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import Attribute, field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import (
    _fail,
    boolean,
    ident,
    lit,
    type_converter,
)
from pggit_model.ops.columns import Column, Constraint, Default, _constraint, _default_value, _opt_constraint


@frozen
class AddColumn:
    """`ADD COLUMN [IF NOT EXISTS] column [inline constraint]` — V10d/e (and k when a constraint is inline)."""

    column: Column = field()
    if_not_exists: bool = field(default=False, validator=boolean)
    constraint: Constraint | None = field(default=None, validator=_opt_constraint)

    kind: ClassVar[str] = "add_column"

    @column.validator
    def _check_column(self, attr: Attribute, value: Any) -> None:
        if not isinstance(value, Column):
            _fail(self, attr, value, "must be a Column")

    def __attrs_post_init__(self) -> None:
        if self.constraint is not None and tuple(self.constraint.columns) != (self.column.name,):
            _fail(self, "constraint", self.constraint, "an inline constraint must cover exactly the new column")

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.column.name,)

    def sql(self) -> Composable:
        out = sql.SQL("ADD COLUMN {}{}").format(
            sql.SQL("IF NOT EXISTS ") if self.if_not_exists else sql.SQL(""), self.column.sql()
        )
        if self.constraint is not None:
            out = sql.SQL("{} {}").format(out, self.constraint.column_sql())
        return out


@frozen
class DropColumn:
    """`DROP COLUMN [IF EXISTS] name [CASCADE]` — V10f."""

    name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)
    cascade: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_column"

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.name,)

    def sql(self) -> Composable:
        return sql.SQL("DROP COLUMN {}{}{}").format(
            sql.SQL("IF EXISTS ") if self.if_exists else sql.SQL(""),
            sql.Identifier(self.name),
            sql.SQL(" CASCADE") if self.cascade else sql.SQL(""),
        )


@frozen
class AlterColumnType:
    """`ALTER COLUMN column TYPE type` without USING — V10g."""

    column: str = field(validator=ident)
    type: str = field(converter=type_converter)

    kind: ClassVar[str] = "alter_column_type"

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.column,)

    def sql(self) -> Composable:
        return sql.SQL("ALTER COLUMN {} TYPE {}").format(sql.Identifier(self.column), sql.SQL(self.type))


@frozen
class SetNotNull:
    """`ALTER COLUMN column SET NOT NULL` — V10h."""

    column: str = field(validator=ident)

    kind: ClassVar[str] = "set_not_null"

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.column,)

    def sql(self) -> Composable:
        return sql.SQL("ALTER COLUMN {} SET NOT NULL").format(sql.Identifier(self.column))


@frozen
class DropNotNull:
    """`ALTER COLUMN column DROP NOT NULL` — V10i."""

    column: str = field(validator=ident)

    kind: ClassVar[str] = "drop_not_null"

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.column,)

    def sql(self) -> Composable:
        return sql.SQL("ALTER COLUMN {} DROP NOT NULL").format(sql.Identifier(self.column))


@frozen
class SetDefault:
    """`ALTER COLUMN column SET DEFAULT literal` — V10j (DEFAULT NULL counts as no default)."""

    column: str = field(validator=ident)
    value: Default = field(validator=_default_value)

    kind: ClassVar[str] = "set_default"

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.column,)

    def sql(self) -> Composable:
        return sql.SQL("ALTER COLUMN {} SET DEFAULT {}").format(sql.Identifier(self.column), lit(self.value))


@frozen
class DropDefault:
    """`ALTER COLUMN column DROP DEFAULT` — V10j."""

    column: str = field(validator=ident)

    kind: ClassVar[str] = "drop_default"

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.column,)

    def sql(self) -> Composable:
        return sql.SQL("ALTER COLUMN {} DROP DEFAULT").format(sql.Identifier(self.column))


@frozen
class AddConstraint:
    """`ADD constraint` — V10k."""

    constraint: Constraint = field(validator=_constraint)

    kind: ClassVar[str] = "add_constraint"

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(self.constraint.columns)

    def sql(self) -> Composable:
        return sql.SQL("ADD {}").format(self.constraint.sql())


@frozen
class DropConstraint:
    """`DROP CONSTRAINT [IF EXISTS] name [CASCADE]` — V10l."""

    name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)
    cascade: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_constraint"

    @property
    def targets(self) -> tuple[str, ...]:
        return ()

    def sql(self) -> Composable:
        return sql.SQL("DROP CONSTRAINT {}{}{}").format(
            sql.SQL("IF EXISTS ") if self.if_exists else sql.SQL(""),
            sql.Identifier(self.name),
            sql.SQL(" CASCADE") if self.cascade else sql.SQL(""),
        )


Action = AddColumn | DropColumn | AlterColumnType | SetNotNull | DropNotNull | SetDefault | DropDefault \
    | AddConstraint | DropConstraint
ACTION_TYPES = (AddColumn, DropColumn, AlterColumnType, SetNotNull, DropNotNull, SetDefault, DropDefault,
                AddConstraint, DropConstraint)


def _constraint_name(a: Action) -> str | None:
    if isinstance(a, AddConstraint):
        return a.constraint.name
    if isinstance(a, AddColumn) and a.constraint is not None:
        return a.constraint.name
    if isinstance(a, DropConstraint):
        return a.name
    return None
