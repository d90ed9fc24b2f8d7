"""The §14.1 V26d–f statements of the parser (`ops/dependents.py`): CREATE/DROP of enum types, domains and
sequences, and the uses of them and of functions without arguments by tables and views.

Functions over the statement parser (`_Parser` in `parse/__init__`); a `…_tail` reads its form or returns None with
nothing consumed, so the first model's parser reads the rest.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot.tokens import TokenType

from pggit_model import ops
from pggit_model.errors import UnsupportedStatement
from pggit_model.parse.reader import _STRINGS

_QUOTED = re.compile(r'"((?:[^"]|"")*)"\."((?:[^"]|"")*)"')


def create_type(p: Any) -> ops.Op:
    """After `CREATE TYPE`: `s.n AS ENUM ('a', 'b')`."""
    schema, name = p.qname()
    p.expect("AS", "ENUM")
    if _labels(p) != ("a", "b"):
        raise p.fail("enum types of the vocabulary have the labels ('a', 'b')")
    return ops.CreateUsable("ENUM", schema, name)


def _labels(p: Any) -> tuple[Any, ...]:
    p.expect_type(TokenType.L_PAREN, "(")
    out = [p.literal()]
    while p.accept_type(TokenType.COMMA):
        out.append(p.literal())
    p.expect_type(TokenType.R_PAREN, ")")
    return tuple(out)


def create_domain(p: Any) -> ops.Op:
    """After `CREATE DOMAIN`: `s.n AS integer CHECK (VALUE > 0)`."""
    schema, name = p.qname()
    p.expect("AS")
    if p.type_text() != "integer":
        raise p.fail("domains of the vocabulary are over integer")
    p.expect("CHECK")
    p.expect_type(TokenType.L_PAREN, "(")
    p.expect("VALUE")
    p.expect_type(TokenType.GT, ">")
    if p.literal() != 0:
        raise p.fail("domains of the vocabulary check VALUE > 0")
    p.expect_type(TokenType.R_PAREN, ")")
    return ops.CreateUsable("DOMAIN", schema, name)


def create_sequence(p: Any) -> ops.Op:
    """After `CREATE SEQUENCE`: `s.n` (no options)."""
    schema, name = p.qname()
    return ops.CreateUsable("SEQUENCE", schema, name)


def drop_usable(p: Any, keyword: str) -> ops.Op:
    """After `DROP {TYPE|DOMAIN|SEQUENCE}`."""
    if_exists = p.accept("IF", "EXISTS")
    schema, name = p.qname()
    cascade = bool(p.accept("CASCADE"))
    cascade or p.accept("RESTRICT")
    return ops.DropUsable(keyword, schema, name, if_exists, cascade)


def _call(p: Any) -> tuple[str, str]:
    """`s.f()`."""
    schema, name = p.qname()
    p.expect_type(TokenType.L_PAREN, "(")
    p.expect_type(TokenType.R_PAREN, ")")
    return schema, name


def _is_call(p: Any) -> bool:
    """The next tokens are `s.f(` (a qualified call, which no first-model expression has)."""
    t1, t3 = p.peek(1), p.peek(3)
    return t1 is not None and t1.token_type == TokenType.DOT and t3 is not None and \
        t3.token_type == TokenType.L_PAREN


def alter_table_tail(p: Any, schema: str, table: str) -> ops.Op | None:
    """After `ALTER TABLE schema.table`: a use of a type, sequence or function, or None with nothing consumed."""
    start = p.i
    try:
        op = _use(p, schema, table)
    except UnsupportedStatement:
        op = None
    if op is None or p.peek() is not None:
        p.i = start
        return None
    return op


def _use(p: Any, schema: str, table: str) -> ops.Op | None:
    if not p.accept("ADD"):
        return None
    if p.accept("CONSTRAINT"):
        part = p.ident()
        p.expect("CHECK")
        p.expect_type(TokenType.L_PAREN, "(")
        if not _is_call(p):
            return None
        us, used = _call(p)
        p.expect("IS", "NOT", "NULL")
        p.expect_type(TokenType.R_PAREN, ")")
        return ops.UseInTable("check", schema, table, part, us, used)
    p.accept("COLUMN")
    part = p.ident()
    t1 = p.peek(1)
    if t1 is not None and t1.token_type == TokenType.DOT:  # a qualified type: an enum or domain
        us, used = p.qname()
        return ops.UseInTable("column", schema, table, part, us, used)
    type_ = p.type_text()
    if type_ == "bigint" and p.accept("DEFAULT", "NEXTVAL"):
        p.expect_type(TokenType.L_PAREN, "(")
        t = p.peek()
        m = _QUOTED.fullmatch(t.text) if t is not None and t.token_type in _STRINGS else None
        if m is None:
            raise p.fail("nextval of the vocabulary names its sequence as '\"schema\".\"name\"'")
        p.i += 1
        p.expect_type(TokenType.R_PAREN, ")")
        return ops.UseInTable("nextval", schema, table, part, *(g.replace('""', '"') for g in m.groups()))
    if type_ != "integer":
        return None
    if p.accept("DEFAULT"):
        return ops.UseInTable("default", schema, table, part, *_call(p)) if _is_call(p) else None
    if p.accept("GENERATED", "ALWAYS", "AS"):
        p.expect_type(TokenType.L_PAREN, "(")
        if not _is_call(p):
            return None
        us, used = _call(p)
        p.expect_type(TokenType.R_PAREN, ")")
        p.expect("STORED")
        return ops.UseInTable("generated", schema, table, part, us, used)
    return None


def index_tail(p: Any, schema: str, name: str, table: str) -> ops.Op | None:
    """After `CREATE INDEX name ON schema.table`: `((s.f()))`, or None with nothing consumed."""
    t0, t1 = p.peek(), p.peek(1)
    if t0 is None or t1 is None or t0.token_type != TokenType.L_PAREN or t1.token_type != TokenType.L_PAREN:
        return None
    p.i += 2
    us, used = _call(p)
    p.expect_type(TokenType.R_PAREN, ")")
    p.expect_type(TokenType.R_PAREN, ")")
    return ops.UseInTable("index", schema, table, name, us, used)


def view_tail(p: Any, schema: str, name: str, replace: bool) -> ops.Op | None:
    """After `CREATE [OR REPLACE] VIEW schema.name AS`: `SELECT s.f() AS x`, or None with nothing consumed."""
    start = p.i
    if not p.accept("SELECT") or not _is_call(p):
        p.i = start
        return None
    fs, f = _call(p)
    p.expect("AS")
    if p.ident() != "x":
        raise p.fail("a view calling a function names its column x")
    return ops.CreateCallingView(schema, name, fs, f, or_replace=replace)
