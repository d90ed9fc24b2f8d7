"""Rows in a table: what a UNIQUE index build can fail on (contract §14.1 V24n, §14.6 X13(c)).

`InsertRows` puts integer values (or NULL) into some columns, `DeleteRows` empties the table. Neither is DDL: no
event trigger fires and pgGit records nothing; the model keeps the rows only so that it can predict a UNIQUE build
over duplicates (23505, and the INVALID index `CREATE UNIQUE INDEX CONCURRENTLY` leaves behind).
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import Attribute, field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import Op, _fail, as_tuple, comma, ident, idlist, nonempty_idents, qname

Value = int | None


def _rows(inst: Any, attr: Attribute, value: Any) -> None:
    if not isinstance(value, tuple) or not value:
        _fail(inst, attr, value, "must be a non-empty tuple of rows")
    for r in value:
        if not isinstance(r, tuple) or len(r) != len(inst.columns):
            _fail(inst, attr, value, f"each row must be a tuple of {len(inst.columns)} values (one per column)")
        for v in r:
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not -(2**31) <= v < 2**31):
                _fail(inst, attr, value, "values must be integers in the range of integer, or None (NULL)")


def _as_rows(value: Any) -> Any:
    return tuple(tuple(r) for r in value) if isinstance(value, list | tuple) else value


@frozen
class InsertRows(Op):
    """`INSERT INTO schema.table (columns) VALUES (…), (…)` — integers or NULL; records nothing (no DDL)."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)
    columns: tuple[str, ...] = field(converter=as_tuple, validator=nonempty_idents)
    rows: tuple[tuple[Value, ...], ...] = field(converter=_as_rows, validator=_rows)

    kind: ClassVar[str] = "insert_rows"
    family: ClassVar[str] = "ddl"
    checks_schema: ClassVar[bool] = True  # DML: a missing schema is 42P01, as a missing table (model.catalog)

    @property
    def fires_event_trigger(self) -> bool:
        return False

    def sql(self) -> Composable:
        values = comma(sql.SQL("({})").format(comma(sql.SQL("NULL") if v is None else sql.SQL(str(v)) for v in r))
                       for r in self.rows)
        return sql.SQL("INSERT INTO {} {} VALUES {}").format(qname(self.schema, self.table), idlist(self.columns),
                                                            values)


@frozen
class DeleteRows(Op):
    """`DELETE FROM schema.table` — every row; records nothing (no DDL)."""

    schema: str = field(validator=ident)
    table: str = field(validator=ident)

    kind: ClassVar[str] = "delete_rows"
    family: ClassVar[str] = "ddl"
    checks_schema: ClassVar[bool] = True  # DML: a missing schema is 42P01, as a missing table (model.catalog)

    @property
    def fires_event_trigger(self) -> bool:
        return False

    def sql(self) -> Composable:
        return sql.SQL("DELETE FROM {}").format(qname(self.schema, self.table))


ROW_OPS = (InsertRows, DeleteRows)

__all__ = ["ROW_OPS", "DeleteRows", "InsertRows"]
