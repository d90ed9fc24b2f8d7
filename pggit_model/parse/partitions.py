"""The partition and inheritance statements of the parser (V24q–x): CREATE TABLE … PARTITION BY / PARTITION OF /
INHERITS, and ALTER TABLE … ATTACH / DETACH PARTITION and [NO] INHERIT.

Functions over the statement parser (`_Parser` in `parse/__init__`), called where CREATE TABLE or ALTER TABLE
reach the words that pick them.
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from pggit_model import ops


def _int(p: Any) -> int:
    v = p.literal()
    if not isinstance(v, int) or isinstance(v, bool):
        raise p.fail("partition bounds of the vocabulary are integers")
    return v


def _bound(p: Any) -> tuple[str, tuple[int, ...]]:
    """`DEFAULT`, `FOR VALUES FROM (lo) TO (hi)` or `FOR VALUES IN (v, …)`."""
    if p.accept("DEFAULT"):
        return "DEFAULT", ()
    p.expect("FOR", "VALUES")
    if p.accept("IN"):
        p.expect_type(TokenType.L_PAREN, "(")
        vals = [_int(p)]
        while p.accept_type(TokenType.COMMA):
            vals.append(_int(p))
        p.expect_type(TokenType.R_PAREN, ")")
        return "LIST", tuple(vals)
    p.expect("FROM")
    p.expect_type(TokenType.L_PAREN, "(")
    lo = _int(p)
    p.expect_type(TokenType.R_PAREN, ")")
    p.expect("TO")
    p.expect_type(TokenType.L_PAREN, "(")
    hi = _int(p)
    p.expect_type(TokenType.R_PAREN, ")")
    return "RANGE", (lo, hi)


def partition_of(p: Any, schema: str, name: str) -> ops.Op:
    """After `CREATE TABLE schema.name`: `PARTITION OF schema.parent <bound>`."""
    p.expect("PARTITION", "OF")
    parent_schema, parent = p.qname()
    if parent_schema != schema:
        raise p.fail("a partition of the vocabulary is in its parent's schema")
    how, values = _bound(p)
    return ops.CreatePartition(schema, name, parent, how, values)


def create_table_tail(p: Any, schema: str, name: str, cols: list[ops.Column], cons: list[Any]) -> ops.Op | None:
    """After `CREATE TABLE schema.name (…)`: `PARTITION BY {RANGE|LIST} (key)` or `INHERITS (schema.parent)`."""
    if p.accept("PARTITION", "BY"):
        strategy = "RANGE" if p.accept("RANGE") else "LIST" if p.accept("LIST") else None
        if strategy is None or cons:
            raise p.fail("partitioned tables of the vocabulary are RANGE or LIST, without constraints")
        p.expect_type(TokenType.L_PAREN, "(")
        key = p.ident()
        p.expect_type(TokenType.R_PAREN, ")")
        return ops.CreatePartitioned(schema, name, tuple(cols), strategy, key)
    if p.accept("INHERITS"):
        if cons:
            raise p.fail("inheritance children of the vocabulary have no constraints of their own")
        p.expect_type(TokenType.L_PAREN, "(")
        parent_schema, parent = p.qname()
        p.expect_type(TokenType.R_PAREN, ")")
        if parent_schema != schema:
            raise p.fail("a child of the vocabulary is in its parent's schema")
        return ops.CreateChild(schema, name, parent, tuple(cols))
    return None


def alter_table_tail(p: Any, schema: str, name: str) -> ops.Op | None:
    """After `ALTER TABLE schema.name`: ATTACH / DETACH PARTITION, [NO] INHERIT; else None."""
    if p.accept("ATTACH", "PARTITION"):
        s2, x = p.qname()
        how, values = _bound(p)
        if s2 != schema:
            raise p.fail("a partition of the vocabulary is in its parent's schema")
        return ops.AttachPartition(schema, name, x, how, values)
    if p.accept("DETACH", "PARTITION"):
        s2, x = p.qname()
        concurrently = p.accept("CONCURRENTLY")
        if p.is_word("FINALIZE"):
            raise p.fail("DETACH PARTITION … FINALIZE is not in this vocabulary")
        if s2 != schema:
            raise p.fail("a partition of the vocabulary is in its parent's schema")
        return ops.DetachPartition(schema, name, x, concurrently)
    inherit = p.accept("INHERIT")
    if inherit or p.accept("NO", "INHERIT"):
        s2, parent = p.qname()
        if s2 != schema:
            raise p.fail("a parent of the vocabulary is in its child's schema")
        return ops.SetInherit(schema, name, parent, inherit)
    return None
