"""The §14.1 V24n row statements of the parser: `INSERT INTO s.t (columns) VALUES (…), …` of integers or NULL, and
`DELETE FROM s.t`. Functions over the statement parser (`_Parser` in `parse/__init__`)."""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from pggit_model import ops


def _row(p: Any) -> tuple[Any, ...]:
    p.expect_type(TokenType.L_PAREN, "(")
    values = [p.literal()]
    while p.accept_type(TokenType.COMMA):
        values.append(p.literal())
    p.expect_type(TokenType.R_PAREN, ")")
    if any(v is not None and (isinstance(v, bool) or not isinstance(v, int)) for v in values):
        raise p.fail("rows of the vocabulary hold integers or NULL")
    return tuple(values)


def insert(p: Any) -> ops.Op:
    """After `INSERT INTO`."""
    schema, table = p.qname()
    columns = p.ident_list()
    p.expect("VALUES")
    rows = [_row(p)]
    while p.accept_type(TokenType.COMMA):
        rows.append(_row(p))
    return ops.InsertRows(schema, table, columns, tuple(rows))


def delete(p: Any) -> ops.Op:
    """After `DELETE FROM`: every row (no WHERE in the vocabulary)."""
    schema, table = p.qname()
    return ops.DeleteRows(schema, table)
