"""Kinds and structure of the second model (contract §14.1 V22–V24, V27): tables made by queries, LIKE copies,
identity and generated columns, EXCLUDE constraints, NOT VALID foreign keys, materialized views, and statements
that record nothing.

ALTER TABLE subcommands of this family are whole statements here (one subcommand each): each row of V24 is one
statement, and the first model's `AlterTable` keeps its own vocabulary.
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
    nonempty_idents,
    one_of,
    opt_ident,
    qname,
    repr_leaving_out,
)
from pggit_model.ops.columns import ForeignKey

#: identity kinds of a column (V23): how `GENERATED … AS IDENTITY` was written (None: no identity)
IDENTITY_KINDS = ("ALWAYS", "BY DEFAULT")
#: integer types an identity column may have (PostgreSQL: 22023 otherwise)
IDENTITY_TYPES = ("smallint", "integer", "bigint")
#: statements that change no V23 component (V27, V24o); storage parameters and SET STATISTICS (V24p) are the
#: cascades family's SetStorage / SetStatistics (ops/cascades.py)
QUIET_KINDS = ("ANALYZE", "GRANT", "REVOKE")


def _alter(schema: str, table: str) -> Composable:
    return sql.SQL("ALTER TABLE {}").format(qname(schema, table))


def _if_exists(flag: bool) -> Composable:
    return sql.SQL(" IF EXISTS") if flag else sql.SQL("")


def _identity(always: bool) -> Composable:
    return sql.SQL("ALWAYS" if always else "BY DEFAULT")


@frozen
class CreateMatView(Op):
    """`CREATE MATERIALIZED VIEW [IF NOT EXISTS] schema.name AS SELECT columns FROM source_schema.source [WITH NO
    DATA]` — V24y: a MATERIALIZED_VIEW row (V22); the source in its own schema unless `source_schema` names another
    (N7)."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    source: str = field(validator=ident)
    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)
    with_data: bool = field(default=True, validator=boolean)
    if_not_exists: bool = field(default=False, validator=boolean)
    source_schema: str | None = field(default=None, validator=opt_ident)

    __repr__ = repr_leaving_out("source_schema")
    kind: ClassVar[str] = "create_matview"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("CREATE MATERIALIZED VIEW {}{} AS SELECT {} FROM {}{}").format(
            sql.SQL("IF NOT EXISTS ") if self.if_not_exists else sql.SQL(""), qname(self.schema, self.name),
            comma(sql.Identifier(c) for c in self.columns), qname(self.source_schema or self.schema, self.source),
            sql.SQL("") if self.with_data else sql.SQL(" WITH NO DATA"))


@frozen
class RefreshMatView(Op):
    """`REFRESH MATERIALIZED VIEW [CONCURRENTLY] schema.name` — V24z: records nothing (V27). CONCURRENTLY runs nested
    CREATE/ALTER/DROP TABLE of two `pg_temp` tables and reports their drops (A71), which V1 leaves untracked."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    concurrently: bool = field(default=False, validator=boolean)

    __repr__ = repr_leaving_out("concurrently")  # (False: the repr recorded before the field)
    kind: ClassVar[str] = "refresh_matview"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("REFRESH MATERIALIZED VIEW {}{}").format(
            sql.SQL("CONCURRENTLY ") if self.concurrently else sql.SQL(""), qname(self.schema, self.name))


@frozen
class DropMatView(Op):
    """`DROP MATERIALIZED VIEW [IF EXISTS] schema.name` — V24ab: the view and its indexes dropped."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_matview"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("DROP MATERIALIZED VIEW{} {}").format(_if_exists(self.if_exists), qname(self.schema, self.name))


@frozen
class SelectInto(Op):
    """`SELECT columns INTO schema.name FROM schema.source` — V24a: a table made by a query, like V10a."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    source: str = field(validator=ident)
    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)

    kind: ClassVar[str] = "select_into"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("SELECT {} INTO {} FROM {}").format(
            comma(sql.Identifier(c) for c in self.columns), qname(self.schema, self.name),
            qname(self.schema, self.source))


@frozen
class CreateTableLike(Op):
    """`CREATE TABLE schema.name (LIKE schema.source)` — V24j: names, types and NOT NULL are copied; defaults,
    identity, generation expressions, constraints and indexes are not (no INCLUDING options)."""

    schema: str = field(validator=ident)
    name: str = field(validator=ident)
    source: str = field(validator=ident)

    kind: ClassVar[str] = "create_table_like"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("CREATE TABLE {} (LIKE {})").format(qname(self.schema, self.name),
                                                          qname(self.schema, self.source))


@frozen
class AddIdentity(Op):
    """`ALTER TABLE t ALTER COLUMN c ADD GENERATED {ALWAYS|BY DEFAULT} AS IDENTITY` — V24g."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    column: str = field(validator=ident)
    always: bool = field(default=True, validator=boolean)

    kind: ClassVar[str] = "add_identity"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("{} ALTER COLUMN {} ADD GENERATED {} AS IDENTITY").format(
            _alter(self.schema, self.table), sql.Identifier(self.column), _identity(self.always))


@frozen
class SetGenerated(Op):
    """`ALTER TABLE t ALTER COLUMN c SET GENERATED {ALWAYS|BY DEFAULT}` — V24g (to its own kind: V27)."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    column: str = field(validator=ident)
    always: bool = field(default=True, validator=boolean)

    kind: ClassVar[str] = "set_generated"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("{} ALTER COLUMN {} SET GENERATED {}").format(
            _alter(self.schema, self.table), sql.Identifier(self.column), _identity(self.always))


@frozen
class DropIdentity(Op):
    """`ALTER TABLE t ALTER COLUMN c DROP IDENTITY [IF EXISTS]` — V24g (no identity, IF EXISTS: V27)."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    column: str = field(validator=ident)
    #: the subcommand's IF EXISTS (of the identity / the expression; the table must exist)
    missing_ok: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_identity"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("{} ALTER COLUMN {} DROP IDENTITY{}").format(
            _alter(self.schema, self.table), sql.Identifier(self.column), _if_exists(self.missing_ok))


@frozen
class RestartIdentity(Op):
    """`ALTER TABLE t ALTER COLUMN c RESTART WITH n` — V24h: an identity-sequence option, records nothing."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    column: str = field(validator=ident)
    value: int = field(default=1)

    kind: ClassVar[str] = "restart_identity"
    family: ClassVar[str] = "ddl"

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.value, int) or isinstance(self.value, bool) or not 1 <= self.value < 2**31:
            _fail(self, "value", self.value, "must be an int from 1 to 2147483647")

    def sql(self) -> Composable:
        return sql.SQL("{} ALTER COLUMN {} RESTART WITH {}").format(
            _alter(self.schema, self.table), sql.Identifier(self.column), sql.Literal(self.value))


def _identity_type(inst: Any, attr: Attribute, value: Any) -> None:
    if value not in IDENTITY_TYPES:
        _fail(inst, attr, value, f"an identity column is one of {', '.join(IDENTITY_TYPES)}")


@frozen
class AddIdentityColumn(Op):
    """`ALTER TABLE t ADD COLUMN c type GENERATED {ALWAYS|BY DEFAULT} AS IDENTITY` — V24f: t MINOR."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    column: str = field(validator=ident)
    type: str = field(default="integer", validator=_identity_type)
    always: bool = field(default=True, validator=boolean)

    kind: ClassVar[str] = "add_identity_column"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("{} ADD COLUMN {} {} GENERATED {} AS IDENTITY").format(
            _alter(self.schema, self.table), sql.Identifier(self.column), sql.SQL(self.type), _identity(self.always))


@frozen
class AddStoredColumn(Op):
    """`ALTER TABLE t ADD COLUMN c boolean GENERATED ALWAYS AS (source IS NOT NULL) STORED` — V24f: t MINOR."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    column: str = field(validator=ident)
    source: str = field(validator=ident)

    kind: ClassVar[str] = "add_stored_column"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("{} ADD COLUMN {} boolean GENERATED ALWAYS AS ({} IS NOT NULL) STORED").format(
            _alter(self.schema, self.table), sql.Identifier(self.column), sql.Identifier(self.source))


@frozen
class DropExpression(Op):
    """`ALTER TABLE t ALTER COLUMN g DROP EXPRESSION [IF EXISTS]` — V24i: t MINOR (no expression: nothing)."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    column: str = field(validator=ident)
    #: the subcommand's IF EXISTS (of the identity / the expression; the table must exist)
    missing_ok: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_expression"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("{} ALTER COLUMN {} DROP EXPRESSION{}").format(
            _alter(self.schema, self.table), sql.Identifier(self.column), _if_exists(self.missing_ok))


@frozen
class AddExclude(Op):
    """`ALTER TABLE t ADD CONSTRAINT n EXCLUDE USING btree (c WITH =, …)` — V24k: n's index created, t MAJOR.
    (btree needs no extension.)"""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    name: str = field(validator=ident)
    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)

    kind: ClassVar[str] = "add_exclude"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("{} ADD CONSTRAINT {} EXCLUDE USING btree ({})").format(
            _alter(self.schema, self.table), sql.Identifier(self.name),
            comma(sql.SQL("{} WITH =").format(sql.Identifier(c)) for c in self.columns))


def _fk(inst: Any, attr: Attribute, value: Any) -> None:
    if not isinstance(value, ForeignKey):
        _fail(inst, attr, value, "must be a ForeignKey")


@frozen
class AddForeignKeyNotValid(Op):
    """`ALTER TABLE t ADD CONSTRAINT n FOREIGN KEY (…) REFERENCES p (…) NOT VALID` — V24c: t MAJOR, p unchanged."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    fk: ForeignKey = field(validator=_fk)

    kind: ClassVar[str] = "add_foreign_key_not_valid"
    family: ClassVar[str] = "ddl"

    @property
    def ref_schema(self) -> str:
        return self.fk.ref_schema

    def sql(self) -> Composable:
        return sql.SQL("{} ADD {} NOT VALID").format(_alter(self.schema, self.table), self.fk.sql())


@frozen
class ValidateConstraint(Op):
    """`ALTER TABLE t VALIDATE CONSTRAINT n` — V24d: records nothing (validity is not in V23)."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    name: str = field(validator=ident)

    kind: ClassVar[str] = "validate_constraint"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("{} VALIDATE CONSTRAINT {}").format(_alter(self.schema, self.table), sql.Identifier(self.name))


@frozen
class Quiet(Op):
    """A statement that changes no V23 component (V27, V24o): `ANALYZE t`, `GRANT SELECT ON t TO PUBLIC`,
    `REVOKE SELECT ON t FROM PUBLIC`."""

    what: str = field(validator=one_of(*QUIET_KINDS))
    schema: str = field(validator=ident)
    table: str = field(validator=ident)

    kind: ClassVar[str] = "quiet"
    family: ClassVar[str] = "ddl"

    @property
    def fires_event_trigger(self) -> bool:
        return self.what != "ANALYZE"  # GRANT and REVOKE fire it

    def sql(self) -> Composable:
        q = qname(self.schema, self.table)
        return {
            "ANALYZE": sql.SQL("ANALYZE {}").format(q),
            "GRANT": sql.SQL("GRANT SELECT ON {} TO PUBLIC").format(q),
            "REVOKE": sql.SQL("REVOKE SELECT ON {} FROM PUBLIC").format(q),
        }[self.what]


KINDS_OPS = (CreateMatView, RefreshMatView, DropMatView, SelectInto, CreateTableLike, AddIdentity, SetGenerated,
             DropIdentity, RestartIdentity, AddIdentityColumn, AddStoredColumn, DropExpression, AddExclude,
             AddForeignKeyNotValid, ValidateConstraint, Quiet)

__all__ = [
    "IDENTITY_KINDS", "IDENTITY_TYPES", "KINDS_OPS", "QUIET_KINDS", "AddExclude",
    "AddForeignKeyNotValid", "AddIdentity", "AddIdentityColumn", "AddStoredColumn", "CreateMatView", "CreateTableLike",
    "DropExpression", "DropIdentity", "DropMatView", "Quiet", "RefreshMatView", "RestartIdentity", "SelectInto",
    "SetGenerated", "ValidateConstraint",
]
