"""The §14 statements of the parser: renames (R3), SET SCHEMA (N5) and CREATE / DROP / ALTER SCHEMA (N3, N4, N6).

Functions over the statement parser (`_Parser` in `parse/__init__`), called where a statement's leading words
pick them; each reads the rest of its statement.
"""

from __future__ import annotations

from typing import Any

from pggit_model import ops


def alter_relation_tail(p: Any, keyword: str, schema: str, name: str, if_exists: bool) -> ops.Op | None:
    """After `ALTER {TABLE|INDEX|VIEW} [IF EXISTS] schema.name`: RENAME … or SET SCHEMA, else None."""
    if p.accept("SET", "SCHEMA"):
        return ops.SetSchema(keyword, schema, name, p.ident(), (), if_exists)
    if not p.accept("RENAME"):
        return None
    if p.accept("TO"):
        return ops.RenameRelation(keyword, schema, name, p.ident(), if_exists)
    if keyword == "TABLE" and p.accept("CONSTRAINT"):
        old = p.ident()
        p.expect("TO")
        return ops.RenameConstraint(schema, name, old, p.ident(), if_exists)
    p.accept("COLUMN")
    old = p.ident()
    p.expect("TO")
    return ops.RenameColumn(keyword, schema, name, old, p.ident(), if_exists)


def alter_index_or_view(p: Any, keyword: str) -> ops.Op:
    if_exists = p.accept("IF", "EXISTS")
    schema, name = p.qname()
    op = alter_relation_tail(p, keyword, schema, name, if_exists)
    if op is None:
        raise p.fail(f"only RENAME and SET SCHEMA of ALTER {keyword} are in the vocabulary")
    return op


def alter_index(p: Any) -> ops.Op:
    return alter_index_or_view(p, "INDEX")


def alter_view(p: Any) -> ops.Op:
    return alter_index_or_view(p, "VIEW")


def alter_matview(p: Any) -> ops.Op:
    return alter_index_or_view(p, "MATERIALIZED VIEW")


def alter_function(p: Any) -> ops.Op:
    schema, name = p.qname()
    args = p._arg_types()
    if p.accept("RENAME", "TO"):
        return ops.RenameFunction(schema, name, args, p.ident())
    if p.accept("SET", "SCHEMA"):
        return ops.SetSchema("FUNCTION", schema, name, p.ident(), args)
    raise p.fail("only RENAME TO and SET SCHEMA of ALTER FUNCTION are in the vocabulary")


def alter_schema(p: Any) -> ops.Op:
    schema = p.ident()
    p.expect("RENAME", "TO")
    return ops.RenameSchema(schema, p.ident())


def create_schema(p: Any) -> ops.Op:
    ine = p.accept("IF", "NOT", "EXISTS")
    return ops.CreateSchema(p.ident(), ine)


def drop_schema(p: Any) -> ops.Op:
    if_exists = p.accept("IF", "EXISTS")
    schema = p.ident()
    cascade = p.accept("CASCADE")
    cascade or p.accept("RESTRICT")
    return ops.DropSchema(schema, if_exists, cascade)
