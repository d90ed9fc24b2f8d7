"""SQL text -> Ops, for replay scripts and hand-written SQL: `parse(text)` and `parse_one(text)`.

sqlglot's PostgreSQL tokenizer does the lexing (quoted identifiers, E'' and $$ strings, comments); a small
recursive-descent parser over its tokens covers exactly the vocabulary of `pggit_model.ops`, because
sqlglot's AST loses details the ops need (E-strings, `format_type` spellings, ALTER subcommands).
Unquoted identifiers fold to lower case as in PostgreSQL. Anything else raises UnsupportedStatement.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import attrs
from sqlglot.tokens import Token, TokenType

from pggit_model import ops
from pggit_model.errors import InvalidOp, UnsupportedStatement
from pggit_model.parse import cascades, dependents, frame, kinds, renames, rows
from pggit_model.parse.reader import _STRINGS, _TOKENIZER
from pggit_model.parse.tables import TableStatements


def parse(text: str, default_schema: str | None = None) -> list[ops.Op]:
    """Every statement of `text` as an Op; `default_schema` qualifies bare table names if given."""
    try:
        tokens = _TOKENIZER.tokenize(text)
    except Exception as e:  # sqlglot raises its own TokenError
        raise UnsupportedStatement(f"cannot tokenize SQL: {e}") from None
    out: list[ops.Op] = []
    current: list[Token] = []
    for t in [*_split_keywords(tokens), None]:
        if t is None or t.token_type == TokenType.SEMICOLON:
            if current:
                out.append(_Parser(current, text, default_schema).statement())
            current = []
        else:
            current.append(t)
    return out


def _split_keywords(tokens: list[Token]) -> list[Token]:
    """sqlglot lexes some keyword pairs (`PRIMARY KEY`, `ORDER BY`) as one token; the parser wants words.

    Statements sqlglot only passes through (a COMMAND token: `SAVEPOINT` in sqlglot 30) keep the rest of the
    statement as one raw STRING token: that text is lexed again, so `SAVEPOINT "s1"` reads like any other name."""
    out: list[Token] = []
    for i, t in enumerate(tokens):
        if t.token_type == TokenType.STRING and i > 0 and tokens[i - 1].token_type == TokenType.COMMAND:
            # Positions stay those of the whole text (error messages quote the statement from them); the raw
            # token's own start is unreliable, its (inclusive) end is where its text ends.
            base = t.end + 1 - len(t.text)
            out.extend(Token(x.token_type, x.text, t.line, t.col, base + x.start, base + x.end)
                       for x in _split_keywords(_TOKENIZER.tokenize(t.text)))
            continue
        if t.token_type in (TokenType.IDENTIFIER, *_STRINGS) or " " not in t.text.strip():
            out.append(t)
            continue
        for word in t.text.split():
            out.append(Token(TokenType.VAR, word, t.line, t.col, t.start, t.end))
    return out


def parse_one(text: str, default_schema: str | None = None) -> ops.Op:
    """The single statement of `text` as an Op."""
    found = parse(text, default_schema)
    if len(found) != 1:
        raise UnsupportedStatement(f"expected exactly one statement, found {len(found)} in {text[:80]!r}")
    return found[0]


class _Parser(TableStatements):
    """The statements of the vocabulary, one method each (a table of leading keywords picks one); the table
    statements' phrases are in `TableStatements`."""

    def statement(self) -> ops.Op:
        try:
            op = self._statement()
        except InvalidOp as e:
            raise UnsupportedStatement(f"statement {self._snippet()!r} is outside the vocabulary: {e}") from None
        self.done()
        return op

    def _statement(self) -> ops.Op:
        for leads, read in _LEADS:
            if any(self.accept(*words) for words in leads):
                return read(self)
        raise self.fail("unknown statement")

    def _begin(self) -> ops.Op:
        self.accept("TRANSACTION") or self.accept("WORK")
        if self.accept("ISOLATION", "LEVEL"):
            words = []
            while self.peek() is not None:
                words.append(self.ident())
            return ops.Begin(" ".join(words))
        return ops.Begin()

    def _commit(self) -> ops.Op:
        self.accept("TRANSACTION") or self.accept("WORK")
        return ops.Commit()

    def _rollback(self) -> ops.Op:
        self.accept("TRANSACTION") or self.accept("WORK")
        if self.accept("TO"):
            self.accept("SAVEPOINT")
            return ops.RollbackToSavepoint(self.ident())
        return ops.Rollback()

    def _savepoint(self) -> ops.Op:
        return ops.Savepoint(self.ident())

    def _release(self) -> ops.Op:
        self.accept("SAVEPOINT")
        return ops.ReleaseSavepoint(self.ident())

    def _create(self) -> ops.Op:
        replace = self.accept("OR", "REPLACE")
        # §14 A8: CREATE TEMP TABLE t … / CREATE TEMP VIEW v … are the vocabulary's CREATE TABLE / VIEW pg_temp.t
        if self.accept("TEMP") or self.accept("TEMPORARY"):
            if not (self.is_word("VIEW") or (not replace and self.is_word("TABLE"))):
                raise self.fail("TEMP makes tables and views only, in the vocabulary")
            self.temporary = True
        if not replace and self.accept("SCHEMA"):
            return renames.create_schema(self)
        if not replace and self.accept("TABLE"):
            return self._create_table()
        if not replace and self.accept("MATERIALIZED", "VIEW"):
            return kinds.create_matview(self)  # §14.1
        if not replace and (self.is_word("UNIQUE") or self.is_word("INDEX")):
            return self._create_index()
        if self.accept("VIEW"):
            return self._create_view(replace)
        if self.accept("FUNCTION"):
            return self._create_function(replace)
        if self.is_word("TRIGGER") or self.is_word("CONSTRAINT"):
            return frame.create_trigger(self, replace)  # V15 frame, V27
        if not replace and self.accept("POLICY"):
            return frame.create_policy(self)
        if not replace and self.accept("TYPE"):  # §14.1 V26d-f (parse/dependents.py)
            return dependents.create_type(self)
        if not replace and self.accept("DOMAIN"):
            return dependents.create_domain(self)
        if not replace and self.accept("SEQUENCE"):
            return dependents.create_sequence(self)
        raise self.fail("unknown CREATE statement")

    def _create_index(self) -> ops.CreateIndex:
        unique = self.accept("UNIQUE")
        self.expect("INDEX")
        if self.accept("CONCURRENTLY"):  # §14 V24m
            return cascades.create_index_concurrently(self, unique)  # type: ignore[return-value]
        ine = self.accept("IF", "NOT", "EXISTS")
        name = self.ident()
        self.expect("ON")
        schema, table = self.qname()
        if not unique and not ine and (used := dependents.index_tail(self, schema, name, table)) is not None:
            return used  # type: ignore[return-value]  # §14.1 V26e: an expression index
        return ops.CreateIndex(schema, name, table, self.ident_list(), unique=unique, if_not_exists=ine)

    def _create_view(self, replace: bool) -> ops.CreateView:
        schema, name = self.qname()
        self.expect("AS")
        if (calling := dependents.view_tail(self, schema, name, replace)) is not None:
            return calling  # type: ignore[return-value]  # §14.1 V26e
        src_schema, src, cols = self._select_across(schema)
        return ops.CreateView(schema, name, src, cols, or_replace=replace, source_schema=src_schema)

    def _create_function(self, replace: bool) -> ops.CreateFunction:
        schema, name = self.qname()
        args = self._arg_types()
        self.expect("RETURNS")
        if self.ident() not in ("integer", "int", "int4"):
            raise self.fail("functions of the vocabulary return integer")
        body: int | None = None
        while self.peek() is not None:
            if self.accept("LANGUAGE"):
                if self.ident() != "sql":
                    raise self.fail("functions of the vocabulary are LANGUAGE sql")
            elif self.accept("AS"):
                body = self._function_body()
            elif not self.accept("IMMUTABLE"):
                raise self.fail("unexpected function option")
        if body is None:
            raise self.fail("the function has no body")
        return ops.CreateFunction(schema, name, args, body, or_replace=replace)

    def _function_body(self) -> int:
        """The n of `AS 'SELECT n'`, after AS."""
        t = self.peek()
        if t is None or t.token_type not in _STRINGS:
            raise self.fail("expected the function body as a string")
        m = re.fullmatch(r"\s*SELECT\s+(-?\d+)\s*;?\s*", t.text, re.IGNORECASE)
        if not m:
            raise self.fail("function bodies of the vocabulary are 'SELECT <integer>'")
        self.i += 1
        return int(m.group(1))

    def _arg_types(self) -> tuple[str, ...]:
        self.expect_type(TokenType.L_PAREN, "(")
        args: list[str] = []
        if not self.accept_type(TokenType.R_PAREN):
            args.append(self.type_text())
            while self.accept_type(TokenType.COMMA):
                args.append(self.type_text())
            self.expect_type(TokenType.R_PAREN, ")")
        return tuple(args)

    def _drop(self) -> ops.Op:
        if self.accept("SCHEMA"):
            return renames.drop_schema(self)
        if self.accept("MATERIALIZED", "VIEW"):
            return kinds.drop_matview(self)  # §14.1
        for keyword in ("TYPE", "DOMAIN", "SEQUENCE"):  # §14.1 V26d-f
            if self.accept(keyword):
                return dependents.drop_usable(self, keyword)
        for what in ("TRIGGER", "POLICY"):  # V15 frame, V27
            if self.accept(what):
                return frame.drop_on_table(self, what)
        kind = next((k for k in ("TABLE", "VIEW", "INDEX", "FUNCTION") if self.accept(k)), None)
        if kind is None:
            raise self.fail("unknown DROP statement")
        if kind == "INDEX" and self.accept("CONCURRENTLY"):  # §14 V24m
            return cascades.drop_index_concurrently(self)
        if_exists = self.accept("IF", "EXISTS")
        schema, name = self.qname()
        if kind == "TABLE" and self.accept_type(TokenType.COMMA):  # §14 V26h
            return cascades.drop_tables(self, schema, name, if_exists)
        args = self._arg_types() if kind == "FUNCTION" else None
        cascade = self.accept("CASCADE")
        if not cascade:
            self.accept("RESTRICT")
        if kind == "TABLE":
            return ops.DropTable(schema, name, if_exists, cascade)
        if kind == "VIEW":
            return ops.DropView(schema, name, if_exists, cascade)
        if kind == "INDEX":
            return ops.DropIndex(schema, name, if_exists, cascade)
        return ops.DropFunction(schema, name, args or (), if_exists, cascade)

    def _comment(self) -> ops.Op:
        if self.accept("TABLE"):
            schema, table = self.qname()
            self.expect("IS")
            return ops.CommentOnTable(schema, table, self.literal())
        if self.accept("COLUMN"):
            parts = [self.ident()]
            while self.accept_type(TokenType.DOT):
                parts.append(self.ident())
            if len(parts) == 2 and self.default_schema is not None:
                parts.insert(0, self.default_schema)
            if len(parts) != 3:
                raise self.fail("COMMENT ON COLUMN needs schema.table.column")
            self.expect("IS")
            return ops.CommentOnColumn(parts[0], parts[1], parts[2], self.literal())
        raise self.fail("only COMMENT ON TABLE and COMMENT ON COLUMN are in the vocabulary")

    def _set(self) -> ops.Op:
        self.accept("SESSION")
        if self.accept("TIME", "ZONE"):
            return ops.SetTimeZone(self.literal())
        setting = self.ident()
        if not (self.accept("TO") or self.accept_type(TokenType.EQ)):
            raise self.fail("expected TO or =")
        if setting == "timezone":
            return ops.SetTimeZone(self.literal())
        if setting == "search_path":
            names = [self._path_entry()]
            while self.accept_type(TokenType.COMMA):
                names.append(self._path_entry())
            return ops.SetSearchPath(tuple(names))
        raise self.fail(f"setting {setting!r} is not in the vocabulary")

    def _path_entry(self) -> str:
        t = self.peek()
        if t is not None and t.token_type in _STRINGS:
            self.i += 1
            return t.text
        return self.ident()

    def _select(self) -> ops.Op:
        """After SELECT: `1` (X11's snapshot), setval of the Trinity sequence, a batch of Trinity IDs, or a pggit
        function call."""
        t = self.peek()
        if t is not None and t.token_type == TokenType.NUMBER and t.text == "1":
            self.i += 1
            return ops.TakeSnapshot()
        if self.accept("SETVAL"):
            self.expect_type(TokenType.L_PAREN, "(")
            if self.literal() != "pggit.trinity_id_seq":
                raise self.fail("only setval('pggit.trinity_id_seq', n) is in the vocabulary")
            self.expect_type(TokenType.COMMA, ",")
            value = self.literal()
            self.expect_type(TokenType.R_PAREN, ")")
            return ops.SetTrinitySequence(value)
        star = self.accept_type(TokenType.STAR)
        if star:
            self.expect("FROM")
        schema = self.ident()
        self.expect_type(TokenType.DOT, ".")
        fn = self.ident()
        if schema != "pggit":
            raise self.fail("only pggit functions are in the vocabulary")
        args = self._call_args()
        if fn == "generate_trinity_id" and not star and self.accept("AS"):
            self.ident()
            self.expect("FROM", "GENERATE_SERIES")
            self.expect_type(TokenType.L_PAREN, "(")
            if self.literal() != 1:
                raise self.fail("generate_series must start at 1")
            self.expect_type(TokenType.COMMA, ",")
            count = self.literal()
            self.expect_type(TokenType.R_PAREN, ")")
            if self.accept("AS"):
                self.ident()
                self.ident_list()
            if self.accept("ORDER", "BY"):
                self.ident()
            return ops.GenerateTrinityIds(count)
        maker = _CALLS.get(fn)
        if maker is None:
            raise self.fail(f"pggit.{fn} is not in the vocabulary")
        try:
            return maker(args)
        except TypeError:
            raise self.fail(f"wrong number of arguments for pggit.{fn}") from None

    def _call_args(self) -> list[Any]:
        self.expect_type(TokenType.L_PAREN, "(")
        args: list[Any] = []
        if self.accept_type(TokenType.R_PAREN):
            return args
        args.append(self.literal())
        while self.accept_type(TokenType.COMMA):
            args.append(self.literal())
        self.expect_type(TokenType.R_PAREN, ")")
        return args


#: how a statement starts (any of these keyword sequences, consumed) -> what reads the rest of it
_LEADS: tuple[tuple[tuple[tuple[str, ...], ...], Callable[[_Parser], ops.Op]], ...] = (
    ((("CREATE",),), _Parser._create),
    ((("DROP",),), _Parser._drop),
    ((("ALTER", "TABLE"),), _Parser._alter_table),
    ((("ALTER", "INDEX"),), cascades.alter_index),  # storage parameters, else renames.alter_index
    ((("REINDEX",),), cascades.reindex),
    ((("INSERT", "INTO"),), rows.insert),  # §14.1 V24n
    ((("DELETE", "FROM"),), rows.delete),
    ((("ALTER", "VIEW"),), renames.alter_view),
    ((("ALTER", "MATERIALIZED", "VIEW"),), renames.alter_matview),  # §14.2 R3f, R3h; §14.3 N5c
    ((("ALTER", "FUNCTION"), ("ALTER", "ROUTINE")), renames.alter_function),
    ((("ALTER", "SCHEMA"),), renames.alter_schema),
    ((("COMMENT", "ON"),), _Parser._comment),
    ((("SELECT",),), kinds.select),
    ((("REFRESH", "MATERIALIZED", "VIEW"),), kinds.refresh_matview),
    ((("ANALYZE",),), kinds.analyze),
    ((("GRANT",),), kinds.grant),
    ((("REVOKE",),), kinds.revoke),
    ((("BEGIN",), ("START", "TRANSACTION")), _Parser._begin),
    ((("COMMIT",), ("END",)), _Parser._commit),
    ((("ROLLBACK",), ("ABORT",)), _Parser._rollback),
    ((("SAVEPOINT",),), _Parser._savepoint),
    ((("RELEASE",),), _Parser._release),
    ((("SET",),), _Parser._set),
)

def _positional(cls: type) -> Callable[[list[Any]], ops.Op]:
    """The call from its arguments; trailing ones left out are `omitted` (their contract defaults)."""
    params = [f.name for f in attrs.fields(cls) if f.name != "omitted"]

    def make(args: list[Any]) -> ops.Op:
        if "omitted" in attrs.fields_dict(cls) and len(args) < len(params):
            return cls(*args, omitted=len(params) - len(args))
        return cls(*args)

    return make


_CALLS: dict[str, Callable[[list[Any]], ops.Op]] = {
    cls.kind: _positional(cls) for cls in ops.CALL_OPS
    if cls not in (ops.GenerateTrinityIds, ops.SetTrinitySequence)
}
