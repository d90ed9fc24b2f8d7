"""The §14 cascade statements of the parser: DROP TABLE of several tables (V26h), CREATE / DROP INDEX
CONCURRENTLY (V24m), REINDEX (V24o), storage parameters and statistics targets (V24p).

Functions over the statement parser (`_Parser` in `parse/__init__`), called where a statement's leading words
pick them; each reads the rest of its statement.
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from pggit_model import ops


def _cascade(p: Any) -> bool:
    cascade = bool(p.accept("CASCADE"))
    cascade or p.accept("RESTRICT")
    return cascade


def drop_tables(p: Any, schema: str, name: str, if_exists: bool) -> ops.Op:
    """After `DROP TABLE [IF EXISTS] schema.name` and a comma: the other tables (one schema, as the vocabulary)."""
    names = [name]
    while True:
        s2, n2 = p.qname()
        if s2 != schema:
            raise p.fail("the tables of one DROP TABLE must be in one schema")
        names.append(n2)
        if not p.accept_type(TokenType.COMMA):
            break
    return ops.DropTables(schema, tuple(names), if_exists, _cascade(p))


def create_index_concurrently(p: Any, unique: bool) -> ops.Op:
    """After `CREATE [UNIQUE] INDEX CONCURRENTLY`."""
    ine = p.accept("IF", "NOT", "EXISTS")
    name = p.ident()
    p.expect("ON")
    schema, table = p.qname()
    return ops.CreateIndexConcurrently(schema, name, table, p.ident_list(), unique, ine)


def drop_index_concurrently(p: Any) -> ops.Op:
    """After `DROP INDEX CONCURRENTLY`."""
    if_exists = p.accept("IF", "EXISTS")
    schema, name = p.qname()
    if p.accept("CASCADE"):
        raise p.fail("DROP INDEX CONCURRENTLY does not support CASCADE")
    p.accept("RESTRICT")
    return ops.DropIndexConcurrently(schema, name, if_exists)


def reindex(p: Any) -> ops.Op:
    """After `REINDEX`: `{INDEX|TABLE} [CONCURRENTLY] schema.name` or `SCHEMA [CONCURRENTLY] schema`."""
    target = next((t for t in ("INDEX", "TABLE", "SCHEMA") if p.accept(t)), None)
    if target is None:
        raise p.fail("only REINDEX INDEX, TABLE and SCHEMA are in the vocabulary")
    concurrently = p.accept("CONCURRENTLY")
    if target == "SCHEMA":
        return ops.Reindex(target, p.ident(), None, concurrently)
    schema, name = p.qname()
    return ops.Reindex(target, schema, name, concurrently)


def _fillfactor(p: Any, reset: bool) -> int | None:
    p.expect_type(TokenType.L_PAREN, "(")
    if p.ident() != "fillfactor":
        raise p.fail("only the fillfactor storage parameter is in the vocabulary")
    value = None
    if not reset:
        p.expect_type(TokenType.EQ, "=")
        value = p.literal()
    p.expect_type(TokenType.R_PAREN, ")")
    return value


def storage_tail(p: Any, keyword: str, schema: str, name: str) -> ops.Op | None:
    """After `ALTER {INDEX|TABLE} schema.name`: `SET (fillfactor = n)` or `RESET (fillfactor)`, else None (nothing
    consumed)."""
    for word, reset in (("SET", False), ("RESET", True)):
        t = p.peek(1)
        if p.is_word(word) and t is not None and t.token_type == TokenType.L_PAREN:
            p.accept(word)
            return ops.SetStorage(keyword, schema, name, _fillfactor(p, reset))
    return None


def statistics_tail(p: Any, schema: str, table: str) -> ops.Op | None:
    """After `ALTER TABLE schema.table`: `ALTER [COLUMN] c SET STATISTICS n`, else None (nothing consumed)."""
    start = p.i
    if p.accept("ALTER"):
        p.accept("COLUMN")
        column = p.ident()
        if p.accept("SET", "STATISTICS"):
            return ops.SetStatistics(schema, table, column, p.literal())
    p.i = start
    return None


def alter_index(p: Any) -> ops.Op:
    """After `ALTER INDEX`: storage parameters here, anything else (renames) in parse/renames."""
    from pggit_model.parse import renames

    start = p.i
    if not p.is_word("IF"):
        schema, name = p.qname()
        if (op := storage_tail(p, "INDEX", schema, name)) is not None:
            return op
    p.i = start
    return renames.alter_index(p)
