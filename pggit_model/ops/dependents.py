"""Objects tables use without being tracked themselves, and the statements that make a table use them (contract
§14.1 V26d–f, V27): enum types, domains and sequences (`CreateUsable`, `DropUsable`), and a column of such a type,
a default calling a function or `nextval` of a sequence, a generated column, a CHECK or an expression index calling
a function (`UseInTable`), a view calling a function (`CreateCallingView`).

The functions are the first vocabulary's (`CreateFunction`, `RETURNS integer … IMMUTABLE`) without arguments, so a
call is `schema.f()`. Their DDL records nothing (V27) until a DROP … CASCADE takes parts of tables with it (V26).
"""

from __future__ import annotations

from typing import ClassVar

from attrs import field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import Op, boolean, drop, ident, lit, one_of, qname

#: `CreateUsable.what` -> its statement; the domain's CHECK makes it a type with a rule of its own (V26d)
_CREATE = {
    "ENUM": "CREATE TYPE {} AS ENUM ('a', 'b')",
    "DOMAIN": "CREATE DOMAIN {} AS integer CHECK (VALUE > 0)",
    "SEQUENCE": "CREATE SEQUENCE {}",
}


def quoted(schema: str, name: str) -> str:
    """`"schema"."name"`: how a used object is named inside the catalog's values and in `nextval('…')`."""
    return ".".join('"' + p.replace('"', '""') + '"' for p in (schema, name))


@frozen
class CreateUsable(Op):
    """`CREATE TYPE s.n AS ENUM ('a', 'b')`, `CREATE DOMAIN s.n AS integer CHECK (VALUE > 0)` or `CREATE SEQUENCE
    s.n` — V27: records nothing."""

    what: str = field(validator=one_of("ENUM", "DOMAIN", "SEQUENCE"))
    schema: str = field(validator=ident)
    name: str = field(validator=ident)

    kind: ClassVar[str] = "create_usable"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL(_CREATE[self.what]).format(qname(self.schema, self.name))


@frozen
class DropUsable(Op):
    """`DROP {TYPE|DOMAIN|SEQUENCE} [IF EXISTS] s.n [CASCADE]` — V26d, V26f: with CASCADE the columns of that type
    (or the defaults calling `nextval` on it) go, each table records one ALTER; without it PostgreSQL refuses while
    anything uses it (2BP01, V15)."""

    keyword: str = field(validator=one_of("TYPE", "DOMAIN", "SEQUENCE"))
    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)
    cascade: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_usable"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return drop(self.keyword, qname(self.schema, self.name), self.if_exists, self.cascade)


#: `UseInTable.how` -> what kind of object it uses
USES = {"column": "type", "default": "function", "nextval": "sequence", "generated": "function",
        "check": "function", "index": "function"}


@frozen
class UseInTable(Op):
    """One statement that makes table `schema.table` use object `used_schema.used` through part `part`:

    - column: `ALTER TABLE t ADD COLUMN part used` (an enum type or domain)
    - default: `ALTER TABLE t ADD COLUMN part integer DEFAULT used()`
    - nextval: `ALTER TABLE t ADD COLUMN part bigint DEFAULT nextval('used')`
    - generated: `ALTER TABLE t ADD COLUMN part integer GENERATED ALWAYS AS (used()) STORED`
    - check: `ALTER TABLE t ADD CONSTRAINT part CHECK (used() IS NOT NULL)`
    - index: `CREATE INDEX part ON t ((used()))`
    """

    how: str = field(validator=one_of(*USES))
    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    part: str = field(validator=ident)
    used_schema: str = field(validator=ident)
    used: str = field(validator=ident)

    kind: ClassVar[str] = "use_in_table"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        t, part, obj = qname(self.schema, self.table), sql.Identifier(self.part), qname(self.used_schema, self.used)
        if self.how == "index":
            return sql.SQL("CREATE INDEX {} ON {} (({}()))").format(part, t, obj)
        if self.how == "check":
            return sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} CHECK ({}() IS NOT NULL)").format(t, part, obj)
        tail = {
            "column": sql.SQL("{}").format(obj),
            "default": sql.SQL("integer DEFAULT {}()").format(obj),
            "nextval": sql.SQL("bigint DEFAULT nextval({})").format(lit(quoted(self.used_schema, self.used))),
            "generated": sql.SQL("integer GENERATED ALWAYS AS ({}()) STORED").format(obj),
        }[self.how]
        return sql.SQL("ALTER TABLE {} ADD COLUMN {} {}").format(t, part, tail)


@frozen
class CreateCallingView(Op):
    """`CREATE [OR REPLACE] VIEW s.name AS SELECT fs.f() AS x` — a view over no table, calling a function (V26e: it
    goes with DROP FUNCTION … CASCADE; OR REPLACE after a rename of the function: V12 by identity, R6)."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    function_schema: str = field(validator=ident)
    function: str = field(validator=ident)
    or_replace: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "create_calling_view"
    family: ClassVar[str] = "ddl"
    #: PostgreSQL resolves the query (the function: 42883) before the view's schema (3F000): the model's handler
    #: checks the schema itself (model.catalog.apply_ddl)
    checks_schema: ClassVar[bool] = True

    def sql(self) -> Composable:
        return sql.SQL("CREATE {}VIEW {} AS SELECT {}() AS x").format(
            sql.SQL("OR REPLACE ") if self.or_replace else sql.SQL(""),
            qname(self.schema, self.name), qname(self.function_schema, self.function))


DEPENDENT_OPS = (CreateUsable, DropUsable, UseInTable, CreateCallingView)

__all__ = ["DEPENDENT_OPS", "USES", "CreateCallingView", "CreateUsable", "DropUsable", "UseInTable", "quoted"]
