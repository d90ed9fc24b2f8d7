"""The parts of a table definition: columns (type, default, NOT NULL) and named constraints (CHECK, UNIQUE,
PRIMARY KEY, FOREIGN KEY), shared by CREATE TABLE and ALTER TABLE.

Constraints are always named, except a PRIMARY KEY may take PostgreSQL's `<table>_pkey`. Defaults are plain
literals (int, bool, str) that PostgreSQL accepts for the column's type.
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import Attribute, field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import (
    _fail,
    as_tuple,
    boolean,
    ident,
    idlist,
    lit,
    nonempty_idents,
    one_of,
    opt_ident,
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
    for kind, check in _DEFAULT_CHECKS:  # bool before int: a bool is an int in Python
        if isinstance(value, kind):
            return check(type_, value)
    return "must be an int, a bool, a str or None"


def _too_long(type_: str, text: str, shown: str) -> str | None:
    """ADD COLUMN evaluates the default, so text longer than varchar(n) fails there (22001)."""
    n = varchar_length(type_)
    return f"{shown} is longer than {type_}" if n is not None and len(text) > n else None


def _bool_default(type_: str, value: bool) -> str | None:
    if category(type_) not in ("bool", "string"):
        return f"a boolean default needs a boolean or string column, not {type_}"
    return _too_long(type_, str(value).lower(), str(value).lower())


def _int_default(type_: str, value: int) -> str | None:
    if category(type_) not in ("int", "numeric", "float", "string"):
        return f"an integer default needs a numeric or string column, not {type_}"
    if not INT_RANGES["integer"][0] <= value <= INT_RANGES["integer"][1]:
        return "integer defaults must fit in integer"
    lo, hi = INT_RANGES.get(base_type(type_), (None, None))
    if lo is not None and hi is not None and not lo <= value <= hi:
        return f"{value} does not fit in {type_}"
    if (limit := numeric_limit(type_)) is not None and abs(value) >= limit:
        return f"{value} overflows {type_}"
    return _too_long(type_, str(value), str(value))


def _str_default(type_: str, value: str) -> str | None:
    if "\x00" in value:
        return "must not contain NUL"
    if category(type_) != "string":
        return f"a string default needs a text or character varying column, not {type_}"
    return _too_long(type_, value, repr(value))


_DEFAULT_CHECKS: tuple[tuple[type, Any], ...] = ((bool, _bool_default), (int, _int_default), (str, _str_default))


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
