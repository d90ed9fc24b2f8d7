"""DDL operations on the first model's objects beside tables: indexes, views, functions and comments (V10b, c, m,
n, p); `ops.ddl` exports them with the rest of the DDL vocabulary."""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import Attribute, field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import (
    Op,
    _fail,
    arg_types_converter,
    as_tuple,
    boolean,
    comma,
    drop,
    ident,
    idlist,
    lit,
    nonempty_idents,
    opt_ident,
    opt_text,
    qname,
    repr_leaving_out,
)


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
        return drop("INDEX", qname(self.schema, self.name), self.if_exists, self.cascade)


@frozen
class CreateView(Op):
    """`CREATE [OR REPLACE] VIEW schema.name AS SELECT columns FROM source_schema.source` — V10b, V12; the source
    in the view's own schema unless `source_schema` names another (§14.3 N7: a view in s2 over s1.t)."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    source: str = field(validator=ident)
    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)
    or_replace: bool = field(default=False, validator=boolean)
    source_schema: str | None = field(default=None, validator=opt_ident)

    __repr__ = repr_leaving_out("source_schema")
    kind: ClassVar[str] = "create_view"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("CREATE {}VIEW {} AS SELECT {} FROM {}").format(
            sql.SQL("OR REPLACE ") if self.or_replace else sql.SQL(""),
            qname(self.schema, self.name),
            comma(sql.Identifier(c) for c in self.columns),
            qname(self.source_schema or self.schema, self.source),
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
        return drop("VIEW", qname(self.schema, self.name), self.if_exists, self.cascade)


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
        return drop("FUNCTION", target, self.if_exists, self.cascade)


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
