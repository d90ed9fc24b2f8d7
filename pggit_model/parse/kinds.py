"""The §14.1 statements of the parser (ops/kinds.py): materialized views, SELECT INTO, LIKE, identity and
generated columns, EXCLUDE, NOT VALID, VALIDATE CONSTRAINT and the statements that record nothing (V27).

Functions over the statement parser (`_Parser` in `parse/__init__`), called where a statement's leading words
pick them; `alter_table_tail` and `select` look ahead and leave the first model's forms to it.
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from pggit_model import ops
from pggit_model.errors import UnsupportedStatement


def _same_schema(p: Any, schema: str, src_schema: str) -> None:
    if src_schema != schema:
        raise p.fail("the vocabulary reads relations of the statement's own schema")


def create_matview(p: Any) -> ops.Op:
    """After CREATE MATERIALIZED VIEW."""
    ine = p.accept("IF", "NOT", "EXISTS")
    schema, name = p.qname()
    p.expect("AS")
    src_schema, src, cols = p._select_across(schema)
    with_data = not p.accept("WITH", "NO", "DATA")
    with_data or p.accept("WITH", "DATA")
    return ops.CreateMatView(schema, name, src, cols, with_data, ine, src_schema)


def refresh_matview(p: Any) -> ops.Op:
    """After REFRESH MATERIALIZED VIEW."""
    concurrently = p.accept("CONCURRENTLY")
    schema, name = p.qname()
    return ops.RefreshMatView(schema, name, concurrently)


def drop_matview(p: Any) -> ops.Op:
    """After DROP MATERIALIZED VIEW."""
    if_exists = p.accept("IF", "EXISTS")
    schema, name = p.qname()
    p.accept("RESTRICT")
    return ops.DropMatView(schema, name, if_exists)


def table_like(p: Any, schema: str, name: str) -> ops.Op:
    """After `CREATE TABLE schema.name (LIKE`."""
    src_schema, src = p.qname()
    _same_schema(p, schema, src_schema)
    p.expect_type(TokenType.R_PAREN, ")")
    return ops.CreateTableLike(schema, name, src)


def select(p: Any) -> ops.Op:
    """After SELECT: `a, b INTO s.t FROM s.src` (V24a), else the first model's SELECT forms."""
    start = p.i
    if any(t.token_type not in (TokenType.IDENTIFIER,) and t.text.upper() == "INTO" for t in p.toks[start:]):
        cols = [p.ident()]
        while p.accept_type(TokenType.COMMA):
            cols.append(p.ident())
        p.expect("INTO")
        schema, name = p.qname()
        p.expect("FROM")
        src_schema, src = p.qname()
        _same_schema(p, schema, src_schema)
        return ops.SelectInto(schema, name, src, tuple(cols))
    return p._select()


def _kind(p: Any) -> bool:
    """ALWAYS (True) or BY DEFAULT (False)."""
    if p.accept("ALWAYS"):
        return True
    p.expect("BY", "DEFAULT")
    return False


def _alter_column(p: Any, schema: str, table: str) -> ops.Op | None:
    column = p.ident()
    if p.accept("ADD", "GENERATED"):
        always = _kind(p)
        p.expect("AS", "IDENTITY")
        return ops.AddIdentity(schema, table, column, always)
    if p.accept("SET", "GENERATED"):
        return ops.SetGenerated(schema, table, column, _kind(p))
    if p.accept("DROP", "IDENTITY"):
        return ops.DropIdentity(schema, table, column, p.accept("IF", "EXISTS"))
    if p.accept("DROP", "EXPRESSION"):
        return ops.DropExpression(schema, table, column, p.accept("IF", "EXISTS"))
    if p.accept("RESTART"):
        p.accept("WITH")
        return ops.RestartIdentity(schema, table, column, p.literal())
    return None


def _add(p: Any, schema: str, table: str) -> ops.Op | None:
    """After ALTER TABLE … ADD: the kinds' forms, or None (the first model's ADD)."""
    if p.accept("COLUMN") or not p.is_word("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
        column = p.ident()
        type_ = p.type_text()
        if not p.accept("GENERATED"):
            return None
        if p.is_word("ALWAYS") and p.is_word("AS", k=1) and not p.is_word("IDENTITY", k=2):
            p.expect("ALWAYS", "AS")
            p.expect_type(TokenType.L_PAREN, "(")
            src = p.ident()
            p.expect("IS", "NOT", "NULL")
            p.expect_type(TokenType.R_PAREN, ")")
            p.expect("STORED")
            if type_ != "boolean":
                raise p.fail("stored generated columns of the vocabulary are boolean")
            return ops.AddStoredColumn(schema, table, column, src)
        always = _kind(p)
        p.expect("AS", "IDENTITY")
        return ops.AddIdentityColumn(schema, table, column, type_, always)
    if not p.accept("CONSTRAINT"):
        return None
    name = p.ident()
    if p.accept("EXCLUDE", "USING", "BTREE"):
        p.expect_type(TokenType.L_PAREN, "(")
        cols = []
        while True:
            cols.append(p.ident())
            p.expect("WITH")
            p.expect_type(TokenType.EQ, "=")
            if not p.accept_type(TokenType.COMMA):
                break
        p.expect_type(TokenType.R_PAREN, ")")
        return ops.AddExclude(schema, table, name, tuple(cols))
    if p.accept("FOREIGN", "KEY"):
        cols = p.ident_list()
        p.expect("REFERENCES")
        rs, rt = p.qname()
        fk = ops.ForeignKey(name, cols, rs, rt, p.ident_list())
        if p.accept("NOT", "VALID"):
            return ops.AddForeignKeyNotValid(schema, table, fk)
    return None


def alter_table_tail(p: Any, schema: str, table: str) -> ops.Op | None:
    """After `ALTER TABLE schema.table`: one of this family's statements, or None with nothing consumed."""
    start = p.i
    try:
        op = _alter_table_op(p, schema, table)
    except UnsupportedStatement:  # the first model's form, which its parser reads (or reports) itself
        op = None
    if op is None or p.peek() is not None:
        p.i = start
        return None
    return op


def _alter_table_op(p: Any, schema: str, table: str) -> ops.Op | None:
    op: ops.Op | None = None
    if p.accept("ALTER"):
        p.accept("COLUMN")
        op = _alter_column(p, schema, table)
    elif p.accept("ADD"):
        op = _add(p, schema, table)
    elif p.accept("VALIDATE", "CONSTRAINT"):
        op = ops.ValidateConstraint(schema, table, p.ident())
    return op



def analyze(p: Any) -> ops.Op:
    return ops.Quiet("ANALYZE", *p.qname())


def grant(p: Any) -> ops.Op:
    """After GRANT: `SELECT ON s.t TO PUBLIC`."""
    p.expect("SELECT", "ON")
    p.accept("TABLE")
    schema, name = p.qname()
    p.expect("TO", "PUBLIC")
    return ops.Quiet("GRANT", schema, name)


def revoke(p: Any) -> ops.Op:
    """After REVOKE: `SELECT ON s.t FROM PUBLIC`."""
    p.expect("SELECT", "ON")
    p.accept("TABLE")
    schema, name = p.qname()
    p.expect("FROM", "PUBLIC")
    return ops.Quiet("REVOKE", schema, name)
