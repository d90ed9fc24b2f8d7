"""The token reader under the parser: sqlglot's PostgreSQL tokens, read as identifiers (folded as PostgreSQL
folds them), qualified names, literals, type names and the `SELECT a, b FROM s.src` of views and CREATE TABLE AS,
with errors that point at the statement's text."""

from __future__ import annotations

import re
from typing import Any

from sqlglot.dialects.postgres import Postgres
from sqlglot.tokens import Token, TokenType

from pggit_model.errors import UnsupportedStatement
from pggit_model.ops.base import TEMP_SCHEMA

_TOKENIZER = Postgres().tokenizer_class()
_WORD = re.compile(r"^[^\W\d]\w*$")
_STRINGS = {TokenType.STRING, TokenType.BYTE_STRING, TokenType.HEREDOC_STRING, TokenType.NATIONAL_STRING}
_MISSING = object()
#: keywords that are constants
_WORD_CONSTANTS = {"NULL": None, "TRUE": True, "FALSE": False}


class Reader:
    """Reads tokens; the parser's statement methods are built on it."""

    def __init__(self, tokens: list[Token], text: str, default_schema: str | None) -> None:
        self.toks = tokens
        self.i = 0
        self.text = text
        self.default_schema = default_schema
        #: CREATE TEMP[ORARY] TABLE / VIEW (§14 A8): the next name read is the relation it creates, in pg_temp
        self.temporary = False

    # -- token helpers --

    def _snippet(self) -> str:
        start, end = self.toks[0].start, self.toks[-1].end
        return " ".join(self.text[start:end + 1].split())[:120]

    def fail(self, why: str) -> UnsupportedStatement:
        near = self.toks[self.i].text if self.i < len(self.toks) else "end of statement"
        return UnsupportedStatement(f"statement {self._snippet()!r} is outside the vocabulary: {why} (near {near!r})")

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def is_word(self, *words: str, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.token_type not in (TokenType.IDENTIFIER, *_STRINGS) \
            and t.text.upper() in words

    def accept(self, *words: str) -> bool:
        """Consume a sequence of keywords if they all come next."""
        for k, w in enumerate(words):
            if not self.is_word(w, k=k):
                return False
        self.i += len(words)
        return True

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise self.fail(f"expected {' '.join(words)}")

    def accept_type(self, tt: TokenType) -> bool:
        t = self.peek()
        if t is not None and t.token_type == tt:
            self.i += 1
            return True
        return False

    def expect_type(self, tt: TokenType, what: str) -> None:
        if not self.accept_type(tt):
            raise self.fail(f"expected {what}")

    def done(self) -> None:
        if self.i != len(self.toks):
            raise self.fail("unexpected text at the end")

    def ident(self) -> str:
        t = self.peek()
        if t is None:
            raise self.fail("expected a name")
        if t.token_type == TokenType.IDENTIFIER:
            self.i += 1
            return t.text
        if t.token_type not in _STRINGS and _WORD.match(t.text):
            self.i += 1
            return t.text.lower()
        raise self.fail("expected a name")

    def qname(self) -> tuple[str, str]:
        first = self.ident()
        temporary, self.temporary = self.temporary, False
        if self.accept_type(TokenType.DOT):
            if temporary and first != TEMP_SCHEMA:
                raise self.fail("a temporary relation is created in pg_temp only (PostgreSQL: 42P16)")
            return first, self.ident()
        if temporary:
            return TEMP_SCHEMA, first  # the vocabulary writes it pg_temp.name (A8)
        if self.default_schema is None:
            raise self.fail(f"{first!r} needs a schema (or pass default_schema)")
        return self.default_schema, first

    def ident_list(self) -> tuple[str, ...]:
        self.expect_type(TokenType.L_PAREN, "(")
        names = [self.ident()]
        while self.accept_type(TokenType.COMMA):
            names.append(self.ident())
        self.expect_type(TokenType.R_PAREN, ")")
        return tuple(names)

    def literal(self) -> Any:
        """A constant, with an optional ::cast (ignored); NULL gives None."""
        t = self.peek()
        if t is None:
            raise self.fail("expected a constant")
        neg = False
        if t.token_type == TokenType.DASH:
            neg = True
            self.i += 1
            t = self.peek()
            if t is None or t.token_type != TokenType.NUMBER:
                raise self.fail("expected a number after '-'")
        value: Any
        if t.token_type in _STRINGS:
            value = t.text
        elif t.token_type == TokenType.NUMBER:
            if not re.fullmatch(r"\d+", t.text):
                raise self.fail("only integer constants are in the vocabulary")
            value = -int(t.text) if neg else int(t.text)
        elif self.accept("ARRAY"):
            return self._array()
        else:
            value = next((v for w, v in _WORD_CONSTANTS.items() if self.is_word(w)), _MISSING)
            if value is _MISSING:
                raise self.fail("expected a constant")
        self.i += 1
        self._cast()
        return value

    def _array(self) -> tuple[Any, ...]:
        """`ARRAY[c, …]` after the ARRAY keyword (with an optional ::cast)."""
        self.expect_type(TokenType.L_BRACKET, "[")
        items = [] if self.peek() and self.peek().token_type == TokenType.R_BRACKET else [self.literal()]  # type: ignore[union-attr]
        while self.accept_type(TokenType.COMMA):
            items.append(self.literal())
        self.expect_type(TokenType.R_BRACKET, "]")
        self._cast()
        return tuple(items)

    def _cast(self) -> None:
        while self.accept_type(TokenType.DCOLON):
            self.type_text()

    def type_text(self) -> str:
        """The tokens of a type name up to a delimiter, normalised for canonical_type."""
        parts: list[str] = []
        depth = 0
        stops = {"NOT", "NULL", "DEFAULT", "CONSTRAINT", "PRIMARY", "UNIQUE", "REFERENCES", "CHECK", "COLLATE",
                 "USING", "RETURNS", "GENERATED"}  # GENERATED: §14.1 identity and generated columns
        while (t := self.peek()) is not None:
            tt = t.token_type
            if depth == 0 and (tt in (TokenType.COMMA, TokenType.R_PAREN, TokenType.DCOLON)
                               or (t.text.upper() in stops and tt not in (TokenType.IDENTIFIER, *_STRINGS))):
                break
            if tt == TokenType.L_PAREN:
                depth += 1
            elif tt == TokenType.R_PAREN:
                depth -= 1
            parts.append(t.text)
            self.i += 1
        if not parts:
            raise self.fail("expected a type")
        text = " ".join(parts)
        return re.sub(r"\s*\[\s*\]", "[]", text).replace(" (", "(")

    # -- a phrase several statements share --

    def _select_list(self, schema: str, what: str) -> tuple[str, tuple[str, ...]]:
        """`SELECT a, b FROM schema.src`: the source and the columns (of ``schema``: the vocabulary stays in one)."""
        src_schema, src, cols = self._select_across(schema)
        if src_schema is not None:
            raise self.fail(f"{what} reads a relation of its own schema")
        return src, cols

    def _select_across(self, schema: str) -> tuple[str | None, str, tuple[str, ...]]:
        """`SELECT a, b FROM s.src`: the source's schema (None: ``schema`` itself), the source and the columns —
        views and materialized views may read another schema (§14.3 N7)."""
        self.expect("SELECT")
        cols = [self.ident()]
        while self.accept_type(TokenType.COMMA):
            cols.append(self.ident())
        self.expect("FROM")
        src_schema, src = self.qname()
        return (None if src_schema == schema else src_schema), src, tuple(cols)
