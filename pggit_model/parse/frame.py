"""The frame rule's statements of the parser (ops/frame.py, V15, V27): triggers, constraint triggers, policies,
row security and ownership, in the forms the vocabulary renders.

Functions over the statement parser (`_Parser` in `parse/__init__`), called where a statement's leading words
pick them; `alter_table_tail` looks ahead and leaves the other ALTER TABLE forms to the rest of the parser.
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from pggit_model import ops


def _function(p: Any) -> None:
    """`EXECUTE FUNCTION pg_catalog.suppress_redundant_updates_trigger()`: the one trigger function drawn."""
    p.expect("EXECUTE")
    p.accept("FUNCTION") or p.expect("PROCEDURE")
    if p.qname() != ("pg_catalog", "suppress_redundant_updates_trigger"):
        raise p.fail("the vocabulary's triggers run pg_catalog.suppress_redundant_updates_trigger()")
    p.expect_type(TokenType.L_PAREN, "(")
    p.expect_type(TokenType.R_PAREN, ")")


def create_trigger(p: Any, replace: bool) -> ops.Op:
    """After `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER` (CONSTRAINT not yet consumed)."""
    constraint = p.accept("CONSTRAINT")
    p.expect("TRIGGER")
    name = p.ident()
    if constraint:
        p.expect("AFTER", "INSERT", "OR", "UPDATE", "ON")
    else:
        p.expect("BEFORE", "UPDATE", "ON")
    schema, table = p.qname()
    if constraint:
        p.expect("DEFERRABLE", "INITIALLY", "DEFERRED")
    p.expect("FOR", "EACH", "ROW")
    _function(p)
    return ops.CreateTrigger(schema, table, name, constraint, replace)


def create_policy(p: Any) -> ops.Op:
    """After CREATE POLICY: `name ON s.t USING (true)`."""
    name = p.ident()
    p.expect("ON")
    schema, table = p.qname()
    p.expect("USING")
    p.expect_type(TokenType.L_PAREN, "(")
    p.expect("TRUE")
    p.expect_type(TokenType.R_PAREN, ")")
    return ops.CreatePolicy(schema, table, name)


def drop_on_table(p: Any, what: str) -> ops.Op:
    """After DROP TRIGGER or DROP POLICY (`what`): `[IF EXISTS] name ON s.t`."""
    if_exists = p.accept("IF", "EXISTS")
    name = p.ident()
    p.expect("ON")
    schema, table = p.qname()
    p.accept("RESTRICT")
    return (ops.DropTrigger if what == "TRIGGER" else ops.DropPolicy)(schema, table, name, if_exists)


def alter_table_tail(p: Any, schema: str, table: str) -> ops.Op | None:
    """After `ALTER TABLE schema.table`: `{ENABLE|DISABLE} TRIGGER {USER|name}` or a `TABLE_SETTINGS` form, or
    None with nothing consumed."""
    for enable in (True, False):
        if p.is_word("ENABLE" if enable else "DISABLE") and p.is_word("TRIGGER", k=1):
            p.i += 2
            return ops.SetTrigger(schema, table, enable, None if p.accept("USER") else p.ident())
    for setting in ops.TABLE_SETTINGS:
        if p.accept(*setting.split()):
            return ops.TableSetting(setting, schema, table)
    return None


__all__ = ["alter_table_tail", "create_policy", "create_trigger", "drop_on_table"]
