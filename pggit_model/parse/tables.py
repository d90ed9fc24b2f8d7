"""The table statements of the parser: CREATE TABLE with its columns and constraints, and ALTER TABLE's actions.

A base class of the statement parser (`_Parser` in `parse/__init__`); where a table statement takes a §14 form, the
§14 modules' functions read it.
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from pggit_model import ops
from pggit_model.parse import cascades, dependents, frame, kinds, partitions, renames
from pggit_model.parse.reader import Reader


class TableStatements(Reader):
    """CREATE TABLE (columns, inline and table constraints) and ALTER TABLE, one method per phrase."""

    def _create_table(self) -> ops.Op:
        ine = self.accept("IF", "NOT", "EXISTS")
        schema, name = self.qname()
        if self.accept("AS"):
            return self._create_table_as(schema, name, ine)
        if not ine and self.is_word("PARTITION"):
            return partitions.partition_of(self, schema, name)  # §14.1 V24r
        self.expect_type(TokenType.L_PAREN, "(")
        if self.accept("LIKE"):
            return kinds.table_like(self, schema, name)  # §14.1 V24j
        cols: list[ops.Column] = []
        cons: list[Any] = []
        if not self.accept_type(TokenType.R_PAREN):
            while True:
                if self.is_word("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
                    cons.append(self._table_constraint())
                else:
                    col, inline = self._column()
                    cols.append(col)
                    if inline is not None:
                        cons.append(inline)
                if self.accept_type(TokenType.COMMA):
                    continue
                self.expect_type(TokenType.R_PAREN, ")")
                break
        if not ine and (tail := partitions.create_table_tail(self, schema, name, cols, cons)) is not None:
            return tail  # §14.1 V24q, V24w
        return ops.CreateTable(schema, name, tuple(cols), tuple(cons), if_not_exists=ine)

    def _create_table_as(self, schema: str, name: str, ine: bool) -> ops.CreateTableAs:
        src, cols = self._select_list(schema, "CREATE TABLE AS")
        return ops.CreateTableAs(schema, name, src, cols, if_not_exists=ine)

    def _column(self) -> tuple[ops.Column, Any]:
        name = self.ident()
        type_ = self.type_text()
        not_null = False
        default: Any = None
        inline: Any = None
        while True:
            if self.accept("NOT", "NULL"):
                not_null = True
            elif self.accept("NULL"):
                not_null = False
            elif self.accept("DEFAULT"):
                default = self.literal()
            elif self.is_word("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "REFERENCES"):
                if inline is not None:
                    raise self.fail("one inline constraint per column")
                inline = self._column_constraint(name)
            else:
                break
        return ops.Column(name, type_, not_null, default), inline

    def _column_constraint(self, column: str) -> Any:
        cname = self.ident() if self.accept("CONSTRAINT") else None
        if self.accept("PRIMARY", "KEY"):
            return ops.PrimaryKey((column,), cname)
        if cname is None:
            raise self.fail("constraints other than PRIMARY KEY must be named")
        if self.accept("UNIQUE"):
            return ops.Unique(cname, (column,))
        if self.accept("CHECK"):
            return self._check_body(cname)
        if self.accept("REFERENCES"):
            rs, rt = self.qname()
            return ops.ForeignKey(cname, (column,), rs, rt, self.ident_list())
        raise self.fail("unknown column constraint")

    def _check_body(self, cname: str) -> ops.Check:
        self.expect_type(TokenType.L_PAREN, "(")
        col = self.ident()
        if self.accept("IS", "NOT", "NULL"):
            test = "not_null"
        elif self.accept_type(TokenType.GT) and self.peek() is not None and self.peek().text == "0":  # type: ignore[union-attr]
            self.i += 1
            test = "positive"
        else:
            raise self.fail("CHECK constraints of the vocabulary are (col IS NOT NULL) or (col > 0)")
        self.expect_type(TokenType.R_PAREN, ")")
        return ops.Check(cname, col, test)

    def _table_constraint(self) -> Any:
        cname = self.ident() if self.accept("CONSTRAINT") else None
        if self.accept("PRIMARY", "KEY"):
            return ops.PrimaryKey(self.ident_list(), cname)
        if cname is None:
            raise self.fail("constraints other than PRIMARY KEY must be named")
        if self.accept("UNIQUE"):
            return ops.Unique(cname, self.ident_list())
        if self.accept("CHECK"):
            return self._check_body(cname)
        if self.accept("FOREIGN", "KEY"):
            cols = self.ident_list()
            self.expect("REFERENCES")
            rs, rt = self.qname()
            return ops.ForeignKey(cname, cols, rs, rt, self.ident_list())
        raise self.fail("unknown table constraint")

    def _alter_table(self) -> ops.Op:
        if_exists = self.accept("IF", "EXISTS")
        schema, name = self.qname()
        if (renamed := renames.alter_relation_tail(self, "TABLE", schema, name, if_exists)) is not None:
            return renamed
        if not if_exists and (other := cascades.storage_tail(self, "TABLE", schema, name)
                              or cascades.statistics_tail(self, schema, name)) is not None:  # §14 V24p
            return other
        if not if_exists and (kind := kinds.alter_table_tail(self, schema, name)) is not None:
            return kind  # §14.1
        if not if_exists and (tail := partitions.alter_table_tail(self, schema, name)) is not None:
            return tail  # §14.1 V24s, V24t, V24x
        if not if_exists and (setting := frame.alter_table_tail(self, schema, name)) is not None:
            return setting  # V15 frame, V27
        if not if_exists and (use := dependents.alter_table_tail(self, schema, name)) is not None:
            return use  # §14.1 V26d-f
        actions = [self._action()]
        while self.accept_type(TokenType.COMMA):
            actions.append(self._action())
        return ops.AlterTable(schema, name, tuple(actions), if_exists)

    def _action(self) -> Any:
        if self.accept("ADD"):
            if self.is_word("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"):
                return ops.AddConstraint(self._table_constraint())
            self.accept("COLUMN")
            ine = self.accept("IF", "NOT", "EXISTS")
            col, inline = self._column()
            return ops.AddColumn(col, ine, inline)
        if self.accept("DROP"):
            if self.accept("CONSTRAINT"):
                ie = self.accept("IF", "EXISTS")
                n = self.ident()
                cascade = self.accept("CASCADE")
                cascade or self.accept("RESTRICT")
                return ops.DropConstraint(n, ie, cascade)
            self.accept("COLUMN")
            ie = self.accept("IF", "EXISTS")
            n = self.ident()
            cascade = self.accept("CASCADE")
            cascade or self.accept("RESTRICT")
            return ops.DropColumn(n, ie, cascade)
        if self.accept("ALTER"):
            self.accept("COLUMN")
            target = self.ident()
            if self.accept("TYPE") or self.accept("SET", "DATA", "TYPE"):
                return ops.AlterColumnType(target, self.type_text())
            if self.accept("SET", "NOT", "NULL"):
                return ops.SetNotNull(target)
            if self.accept("DROP", "NOT", "NULL"):
                return ops.DropNotNull(target)
            if self.accept("SET", "DEFAULT"):
                return ops.SetDefault(target, self.literal())
            if self.accept("DROP", "DEFAULT"):
                return ops.DropDefault(target)
        raise self.fail("unknown ALTER TABLE action")
