"""Statements the frame rule covers (contract V15, §14.1 V27): triggers, constraint triggers, policies, row
security and ownership of a table. They change no V23 component, so pgGit records nothing for them — yet a
constraint trigger is a `pg_constraint` row and a trigger or policy lives on the table, so a backend that reads
too much of the catalog would record them (docs/mutation.md, blind spot 9).

Every trigger runs `pg_catalog.suppress_redundant_updates_trigger()`: a built-in trigger function, so no
FUNCTION row comes with it; the machines write no rows into their tables, so it never fires.
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import Attribute, field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import Op, _fail, boolean, ident, one_of, opt_ident, qname

#: `ALTER TABLE t …` forms that take no name (V27: owner and row security are no V23 component)
TABLE_SETTINGS = ("OWNER TO CURRENT_USER", "OWNER TO SESSION_USER", "ENABLE ROW LEVEL SECURITY",
                  "DISABLE ROW LEVEL SECURITY", "FORCE ROW LEVEL SECURITY", "NO FORCE ROW LEVEL SECURITY")
_FUNCTION = sql.SQL("EXECUTE FUNCTION pg_catalog.suppress_redundant_updates_trigger()")


@frozen
class CreateTrigger(Op):
    """`CREATE [OR REPLACE] TRIGGER name BEFORE UPDATE ON schema.table FOR EACH ROW …`, or with `constraint`
    `CREATE CONSTRAINT TRIGGER name AFTER INSERT OR UPDATE ON schema.table DEFERRABLE INITIALLY DEFERRED FOR EACH
    ROW …` (which also makes a `pg_constraint` row, contype 't') — V15 frame, V27: records nothing."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    name: str = field(validator=ident)
    constraint: bool = field(default=False, validator=boolean)
    replace: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "create_trigger"
    family: ClassVar[str] = "ddl"

    @replace.validator
    def _check_replace(self, attr: Attribute, value: Any) -> None:
        if value and self.constraint:  # PostgreSQL: 0A000, not a statement to draw
            _fail(self, attr, value, "CREATE OR REPLACE CONSTRAINT TRIGGER is not supported")

    def sql(self) -> Composable:
        if self.constraint:
            return sql.SQL("CREATE CONSTRAINT TRIGGER {} AFTER INSERT OR UPDATE ON {} DEFERRABLE INITIALLY DEFERRED "
                           "FOR EACH ROW {}").format(sql.Identifier(self.name), qname(self.schema, self.table),
                                                     _FUNCTION)
        return sql.SQL("CREATE {}TRIGGER {} BEFORE UPDATE ON {} FOR EACH ROW {}").format(
            sql.SQL("OR REPLACE ") if self.replace else sql.SQL(""), sql.Identifier(self.name),
            qname(self.schema, self.table), _FUNCTION)


@frozen
class DropTrigger(Op):
    """`DROP TRIGGER [IF EXISTS] name ON schema.table` — V15 frame, V27: records nothing."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_trigger"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("DROP TRIGGER {}{} ON {}").format(
            sql.SQL("IF EXISTS ") if self.if_exists else sql.SQL(""), sql.Identifier(self.name),
            qname(self.schema, self.table))


@frozen
class SetTrigger(Op):
    """`ALTER TABLE schema.table {ENABLE|DISABLE} TRIGGER {name|USER}` (`name` None: USER) — V27: nothing."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    enable: bool = field(validator=boolean)
    name: str | None = field(default=None, validator=opt_ident)

    kind: ClassVar[str] = "set_trigger"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("ALTER TABLE {} {} TRIGGER {}").format(
            qname(self.schema, self.table), sql.SQL("ENABLE" if self.enable else "DISABLE"),
            sql.SQL("USER") if self.name is None else sql.Identifier(self.name))


@frozen
class TableSetting(Op):
    """`ALTER TABLE schema.table OWNER TO CURRENT_USER` (or SESSION_USER: the owner it has) or `… {ENABLE|DISABLE|
    FORCE|NO FORCE} ROW LEVEL SECURITY` — V15 frame, V27: records nothing."""

    what: str = field(validator=one_of(*TABLE_SETTINGS))
    schema: str = field(validator=ident)
    table: str = field(validator=ident)

    kind: ClassVar[str] = "table_setting"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("ALTER TABLE {} {}").format(qname(self.schema, self.table), sql.SQL(self.what))


@frozen
class CreatePolicy(Op):
    """`CREATE POLICY name ON schema.table USING (true)` — V15 frame, V27: records nothing."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    name: str = field(validator=ident)

    kind: ClassVar[str] = "create_policy"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("CREATE POLICY {} ON {} USING (true)").format(sql.Identifier(self.name),
                                                                     qname(self.schema, self.table))


@frozen
class DropPolicy(Op):
    """`DROP POLICY [IF EXISTS] name ON schema.table` — V15 frame, V27: records nothing."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    name: str = field(validator=ident)
    if_exists: bool = field(default=False, validator=boolean)

    kind: ClassVar[str] = "drop_policy"
    family: ClassVar[str] = "ddl"

    def sql(self) -> Composable:
        return sql.SQL("DROP POLICY {}{} ON {}").format(
            sql.SQL("IF EXISTS ") if self.if_exists else sql.SQL(""), sql.Identifier(self.name),
            qname(self.schema, self.table))


FRAME_OPS = (CreateTrigger, DropTrigger, SetTrigger, TableSetting, CreatePolicy, DropPolicy)

__all__ = ["FRAME_OPS", "TABLE_SETTINGS", "CreatePolicy", "CreateTrigger", "DropPolicy", "DropTrigger", "SetTrigger",
           "TableSetting"]
