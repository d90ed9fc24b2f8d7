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
    one_of,
    opt_ident,
    opt_text,
    qname,
    type_converter,
)
from pggit_model.ops.types import INT_RANGES, base_type, category, numeric_limit, varchar_length

Default = int | bool | str | None


def default_problem(type_: str, value: Any) -> str | None:
    """Why `value` cannot be the DEFAULT of a column of `type_` in the vocabulary, or None.

    Only defaults PostgreSQL accepts (ADD COLUMN evaluates its default once, so it must also fit)."""
    if value is None:
        return None
    cat = category(type_)
    if isinstance(value, bool):
        if cat not in ("bool", "string"):
            return f"a boolean default needs a boolean or string column, not {type_}"
        if (n := varchar_length(type_)) is not None and len(str(value).lower()) > n:
            return f"{str(value).lower()} is longer than {type_}"  # ADD COLUMN evaluates it: 22001
        return None
    if isinstance(value, int):
        if cat not in ("int", "numeric", "float", "string"):
            return f"an integer default needs a numeric or string column, not {type_}"
        if not INT_RANGES["integer"][0] <= value <= INT_RANGES["integer"][1]:
            return "integer defaults must fit in integer"
        lo, hi = INT_RANGES.get(base_type(type_), (None, None))
        if lo is not None and hi is not None and not lo <= value <= hi:
            return f"{value} does not fit in {type_}"
        if (limit := numeric_limit(type_)) is not None and abs(value) >= limit:
            return f"{value} overflows {type_}"
        if (n := varchar_length(type_)) is not None and len(str(value)) > n:
            return f"{value} is longer than {type_}"
        return None
    if isinstance(value, str):
        if "\x00" in value:
            return "must not contain NUL"
        if cat != "string":
            return f"a string default needs a text or character varying column, not {type_}"
        if (n := varchar_length(type_)) is not None and len(value) > n:
            return f"{value!r} is longer than {type_}"
        return None
    return "must be an int, a bool, a str or None"


def _default_value(inst: Any, attr: Attribute, value: Any) -> None:
    if value is not None and not isinstance(value, int | str):
        _fail(inst, attr, value, "must be an int, a bool, a str or None")
    if isinstance(value, str) and "\x00" in value:
        _fail(inst, attr, value, "must not contain NUL")


@frozen
class Column:
    """A column definition: `name type [NOT NULL] [DEFAULT literal]` (DEFAULT None means no default)."""

    name: str = field(validator=ident)
    type: str = field(converter=type_converter)
    not_null: bool = field(default=False, validator=boolean)
    default: Default = field(default=None, validator=_default_value)

    def __attrs_post_init__(self) -> None:
        if (why := default_problem(self.type, self.default)) is not None:
            _fail(self, "default", self.default, why)

    def sql(self) -> Composable:
        parts: list[sql.Composable] = [sql.Identifier(self.name), sql.SQL(self.type)]
        if self.not_null:
            parts.append(sql.SQL("NOT NULL"))
        if self.default is not None:
            parts.append(sql.SQL("DEFAULT {}").format(lit(self.default)))
        return sql.SQL(" ").join(parts)


# --- constraints -------------------------------------------------------------------------------------


@frozen
class Check:
    """`CONSTRAINT name CHECK (column IS NOT NULL)` or `… CHECK (column > 0)` (test='positive')."""

    name: str = field(validator=ident)
    column: str = field(validator=ident)
    test: str = field(default="not_null", validator=one_of("not_null", "positive"))

    kind: ClassVar[str] = "check"

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,)

    def _body(self) -> Composable:
        op = "IS NOT NULL" if self.test == "not_null" else "> 0"
        return sql.SQL("CHECK ({} {})").format(sql.Identifier(self.column), sql.SQL(op))

    def sql(self) -> Composable:
        return sql.SQL("CONSTRAINT {} {}").format(sql.Identifier(self.name), self._body())

    def column_sql(self) -> Composable:
        return self.sql()


@frozen
class Unique:
    """`CONSTRAINT name UNIQUE (columns)`; PostgreSQL also creates an index of the same name."""

    name: str = field(validator=ident)
    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)

    kind: ClassVar[str] = "unique"

    def sql(self) -> Composable:
        return sql.SQL("CONSTRAINT {} UNIQUE {}").format(sql.Identifier(self.name), idlist(self.columns))

    def column_sql(self) -> Composable:
        return sql.SQL("CONSTRAINT {} UNIQUE").format(sql.Identifier(self.name))


@frozen
class PrimaryKey:
    """`[CONSTRAINT name] PRIMARY KEY (columns)`; without a name PostgreSQL picks `<table>_pkey`."""

    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)
    name: str | None = field(default=None, validator=opt_ident)

    kind: ClassVar[str] = "primary_key"

    def _prefix(self) -> Composable:
        return sql.SQL("CONSTRAINT {} ").format(sql.Identifier(self.name)) if self.name else sql.SQL("")

    def sql(self) -> Composable:
        return sql.SQL("{}PRIMARY KEY {}").format(self._prefix(), idlist(self.columns))

    def column_sql(self) -> Composable:
        return sql.SQL("{}PRIMARY KEY").format(self._prefix())


@frozen
class ForeignKey:
    """`CONSTRAINT name FOREIGN KEY (columns) REFERENCES ref_schema.ref_table (ref_columns)`."""

    name: str = field(validator=ident)
    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)
    ref_schema: str = field(validator=ident)
    ref_table: str = field(validator=ident)
    ref_columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)

    kind: ClassVar[str] = "foreign_key"

    def _refs(self) -> Composable:
        return sql.SQL("REFERENCES {} {}").format(qname(self.ref_schema, self.ref_table), idlist(self.ref_columns))

    def sql(self) -> Composable:
        return sql.SQL("CONSTRAINT {} FOREIGN KEY {} {}").format(
            sql.Identifier(self.name), idlist(self.columns), self._refs()
        )

    def column_sql(self) -> Composable:
        return sql.SQL("CONSTRAINT {} {}").format(sql.Identifier(self.name), self._refs())


Constraint = Check | Unique | PrimaryKey | ForeignKey
CONSTRAINT_TYPES = (Check, Unique, PrimaryKey, ForeignKey)


def _constraint(inst: Any, attr: Attribute, value: Any) -> None:
    if not isinstance(value, CONSTRAINT_TYPES):
        _fail(inst, attr, value, "must be a Check, Unique, PrimaryKey or ForeignKey")


def _opt_constraint(inst: Any, attr: Attribute, value: Any) -> None:
    if value is not None:
        _constraint(inst, attr, value)


def _constraints(inst: Any, attr: Attribute, value: Any) -> None:
    if not isinstance(value, tuple):
        _fail(inst, attr, value, "must be a tuple of constraints")
    for v in value:
        _constraint(inst, attr, v)


def _columns(inst: Any, attr: Attribute, value: Any) -> None:
    if not isinstance(value, tuple) or not all(isinstance(c, Column) for c in value):
        _fail(inst, attr, value, "must be a tuple of Column")


# --- tables ------------------------------------------------------------------------------------------


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


# --- ALTER TABLE subcommands -------------------------------------------------------------------------


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
           DropFunction, CommentOnTable, CommentOnColumn)

__all__ = [
    "ACTION_TYPES", "CONSTRAINT_TYPES", "DDL_OPS", "Action", "AddColumn", "AddConstraint", "AlterColumnType",
    "AlterTable", "Check", "Column", "CommentOnColumn", "CommentOnTable", "Constraint", "CreateFunction",
    "CreateIndex", "CreateTable", "CreateView", "Default", "DropColumn", "DropConstraint", "DropDefault",
    "DropFunction", "DropIndex", "DropNotNull", "DropTable", "DropView", "ForeignKey", "InvalidOp",
    "PrimaryKey", "SetDefault", "SetNotNull", "Unique", "default_problem",
]
