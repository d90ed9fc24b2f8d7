"""Rows, and the UNIQUE index builds that fail on them (contract §14.1 V24n, §14.6 X13(c)): `InsertRows` /
`DeleteRows`, and a guard around every statement while some table holds rows.

The first model's tables are empty, and its statements are predicted for empty tables only. So a table with rows —
or with the INVALID index a failed `CREATE UNIQUE INDEX CONCURRENTLY` left (`Index.rowless`) — admits only the
statements predicted here: index builds (23505 over duplicates; the concurrent one leaves its INVALID index, which
has no row: V24n), DROP INDEX and REINDEX (which records nothing; REINDEX fails on the duplicates again), storage
settings, comments, views, DROP TABLE / SCHEMA. Any other statement on such a table, or that would change it, is
unknown (also one the model sees as no change: PostgreSQL may still rebuild the table's indexes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_values import Catalog, Index, Rejected, Table
from pggit_model.model.catalog_work import Fail, Work, reject, unknown
from pggit_model.ops import cascades, ddl, renames
from pggit_model.ops.rows import DeleteRows, InsertRows
from pggit_model.ops.types import category

Rows = tuple[tuple[tuple[str, int | None], ...], ...]

_SMALLINT = 2**15


def duplicates(rows: Rows, columns: tuple[str, ...]) -> bool:
    """Two rows equal on `columns`, none of them NULL there: a UNIQUE index over them cannot be built (23505)."""
    seen = set()
    for r in rows:
        values = dict(r)
        key = tuple(values.get(c) for c in columns)
        if None in key:
            continue  # NULLs are distinct (no NULLS NOT DISTINCT in the vocabulary)
        if key in seen:
            return True
        seen.add(key)
    return False


_FROZEN: dict[int, tuple[Catalog, frozenset[tuple[str, str]]]] = {}


def frozen_tables(cat: Catalog) -> frozenset[tuple[str, str]]:
    """Tables with rows or with an INVALID index (remembered per catalog object: every statement asks)."""
    hit = _FROZEN.get(id(cat))
    if hit is not None and hit[0] is cat:
        return hit[1]
    out = {k for k, r in cat.relations.items() if isinstance(r, Table) and r.rows}
    out |= {(k[0], r.table) for k, r in cat.relations.items() if isinstance(r, Index) and r.rowless}
    if len(_FROZEN) > 16:
        _FROZEN.clear()
    _FROZEN[id(cat)] = (cat, frozenset(out))
    return _FROZEN[id(cat)][1]


def _rowless_of(w: Work, s: str, table: str | None = None) -> list[tuple[str, Index]]:
    return [(n, r) for n, r in w.relations_in(s) if isinstance(r, Index) and r.rowless
            and (table is None or r.table == table)]


# --- the statements ---------------------------------------------------------------------------------------------


def _plain(w: Work, s: str, name: str, t: Table, columns: tuple[str, ...]) -> str | None:
    """Why the model does not predict an INSERT into t (None: it does): any rule a row could break."""
    if t.constraints or t.triggers or t.partition_by is not None or t.parent is not None:
        return "constraints, triggers or a hierarchy"
    if any(isinstance(r, Table) and r.parent == name for _, r in w.relations_in(s)):
        return "a hierarchy"
    if any(isinstance(r := w.rel(s, i), Index) and r.unique for i in t.indexes) or _rowless_of(w, s, name):
        return "a unique index"
    for c in t.columns:
        if c.not_null or c.identity or c.generated or (c.name not in columns and c.default is not None):
            return "NOT NULL, identity, generated or default columns"
        if c.name in columns and category(c.type) != "int":
            return "a column that is not an integer"
    return None


def _table_of(w: Work, op: InsertRows | DeleteRows) -> Any:
    """The relation a row statement names; a missing schema is 42P01 like a missing table (pinned on PostgreSQL)."""
    if op.schema not in w.base.schemas:
        raise reject("42P01", f"relation {op.schema}.{op.table} does not exist")
    return w.rel(op.schema, op.table)


def _insert_rows(w: Work, op: InsertRows) -> str:
    """V24n (no DDL: records nothing): the rows a later UNIQUE build meets."""
    s, t = op.schema, _table_of(w, op)
    if t is None:
        raise reject("42P01", f"relation {op.table!r} does not exist")
    if not isinstance(t, Table):
        raise unknown("§12", "INSERT into a relation that is not a table")
    if missing := [c for c in op.columns if t.col(c) is None]:  # (the op never repeats a column: no 42701)
        raise reject("42703", f"column {missing[0]!r} of relation {op.table!r} does not exist")
    if (why := _plain(w, s, op.table, t, op.columns)) is not None:
        raise unknown("§12", f"INSERT into a table with {why}: the model predicts rows only for plain tables")
    if any(v is not None and not -_SMALLINT <= v < _SMALLINT and (c := t.col(col)) is not None
           and c.type == "smallint" for r in op.rows for col, v in zip(op.columns, r, strict=True)):
        raise unknown("§12", "a value out of smallint's range (22003)")
    new = tuple(tuple((c.name, dict(zip(op.columns, r, strict=True)).get(c.name)) for c in t.columns)
                for r in op.rows)
    w.put(s, op.table, evolve(t, rows=t.rows + new))
    return "V24n"


def _delete_rows(w: Work, op: DeleteRows) -> str:
    """No DDL: records nothing; the table is empty again."""
    t = _table_of(w, op)
    if t is None:
        raise reject("42P01", f"relation {op.table!r} does not exist")
    if not isinstance(t, Table) or t.triggers or t.partition_by is not None or t.parent is not None or any(
            isinstance(r, Table) and r.parent == op.table for _, r in w.relations_in(op.schema)):
        raise unknown("§12", "DELETE from a view, a table with triggers or a hierarchy")
    if t.rows:
        w.put(op.schema, op.table, evolve(t, rows=()))
    return "V24n"


# --- the guard --------------------------------------------------------------------------------------------------

Handler = Callable[[Work, Any], str]

#: statements predicted on a table with rows or an INVALID index as on any other (some with a word more, below)
_KEEP = (ddl.CreateIndex, cascades.CreateIndexConcurrently, ddl.DropIndex, cascades.DropIndexConcurrently,
         cascades.Reindex, cascades.SetStorage, cascades.SetStatistics, ddl.CommentOnTable, ddl.CommentOnColumn,
         ddl.DropTable, cascades.DropTables, ddl.CreateView, renames.DropSchema, InsertRows, DeleteRows)


#: the Work of a CREATE INDEX CONCURRENTLY being judged (its handler runs CREATE INDEX's inside)
_BUILDING: set[int] = set()


def _create_index(base: Handler, w: Work, op: Any) -> str:
    """CREATE UNIQUE INDEX over duplicates: 23505, nothing left. CONCURRENTLY: 23505 too, but PostgreSQL leaves
    the INVALID index behind (X13(c)), which gets no row (V24n): the model keeps it as `rowless`."""
    concurrently = isinstance(op, cascades.CreateIndexConcurrently)
    if not concurrently and id(w) in _BUILDING:
        return base(w, op)  # (CREATE INDEX CONCURRENTLY's handler runs CREATE INDEX's: judged once, outside)
    if concurrently:
        _BUILDING.add(id(w))
    try:
        rule = base(w, op)
    finally:
        _BUILDING.discard(id(w))
    t = w.base.rel(op.schema, op.table)
    if not op.unique or not isinstance(t, Table) or not duplicates(t.rows, op.columns):
        return rule
    if not concurrently:
        raise reject("23505", f"could not create unique index {op.name!r}: duplicate rows")
    idx = w.rel(op.schema, op.name)
    now = w.rel(op.schema, op.table)
    assert isinstance(idx, Index) and isinstance(now, Table)
    w.put(op.schema, op.name, evolve(idx, rowless=True))
    w.put(op.schema, op.table, evolve(now, indexes=tuple(i for i in now.indexes if i != op.name)))
    w.created.remove(("INDEX", op.schema, op.name))
    w.altered.remove((op.schema, op.table))
    raise Fail(Rejected(("23505",), "V24n", f"could not create unique index {op.name!r}: duplicate rows; "
                                            "PostgreSQL leaves it INVALID", w.freeze("V24n").catalog))


def _drop_index(base: Handler, w: Work, op: Any) -> str:
    """DROP INDEX [CONCURRENTLY] of an INVALID index: gone, nothing recorded, its table neither (V24n)."""
    r = w.rel(op.schema, op.name)
    if isinstance(r, Index) and r.rowless:
        w.put(op.schema, op.name, None)
        return "V24n"
    return base(w, op)


def _reindex(base: Handler, w: Work, op: cascades.Reindex) -> str:
    """REINDEX rebuilds INVALID indexes too — REINDEX TABLE / SCHEMA CONCURRENTLY skip them (a warning) — and fails
    on the duplicates again (23505, pinned on PostgreSQL 15); over no duplicates it would make the index valid
    without a row, which is left open."""
    s = op.schema
    hit = [(n, r) for n, r in _rowless_of(w, s) if op.target == "SCHEMA"
           or (op.target == "TABLE" and r.table == op.name) or (op.target == "INDEX" and n == op.name)]
    if not hit or (op.concurrently and op.target != "INDEX"):
        return base(w, op)
    for _, r in hit:
        t = w.rel(s, r.table)
        if isinstance(t, Table) and duplicates(t.rows, r.columns):
            if op.concurrently:  # (it fails building a copy, `<name>_ccnew`, which it leaves INVALID too)
                raise unknown("X13", "REINDEX INDEX CONCURRENTLY over duplicates leaves one more INVALID index")
            raise reject("23505", f"could not create unique index over {r.table!r}: duplicate rows")
    raise unknown("V24n", "REINDEX of an INVALID index over no duplicates makes it valid without a row")


_SPECIAL: dict[type, Callable[[Handler, Work, Any], str]] = {
    ddl.CreateIndex: _create_index, cascades.CreateIndexConcurrently: _create_index, ddl.DropIndex: _drop_index,
    cascades.DropIndexConcurrently: _drop_index, cascades.Reindex: _reindex,
}


def _guarded(cls: type, base: Handler) -> Handler:
    keep = cls in _KEEP
    special = _SPECIAL.get(cls)

    def handler(w: Work, op: Any) -> str:
        frozen = frozen_tables(w.base)
        if not frozen:
            return base(w, op)  # the usual case: no rows anywhere
        source = getattr(op, "source", None)
        if not keep and source is not None and (getattr(op, "source_schema", None) or op.schema, source) in frozen:
            raise unknown("V24n", "a statement that reads the rows of a table with rows (CREATE TABLE AS, …)")
        schema = getattr(op, "schema", None)
        named = next((n for a in ("name", "table") if (schema, n := getattr(op, a, None)) in frozen), None)
        if not keep and named is not None:
            # even one the model sees as no change: ALTER COLUMN … TYPE to the column's own type rebuilds the
            # column's indexes, the INVALID one too, and fails on the duplicates (23505, PostgreSQL 15)
            raise unknown("V24n", f"a statement on {schema}.{named}, which has rows or an INVALID index: "
                                  "PostgreSQL may rebuild its indexes or read its rows")
        rule = special(base, w, op) if special is not None else base(w, op)
        for s, n in frozen:
            old, new = w.base.rel(s, n), w.rel(s, n)
            if new == old:
                continue
            if not keep:
                raise unknown("V24n", f"a statement that changes {s}.{n}, which has rows or an INVALID index: the "
                                      "model predicts statements on empty tables")
            if new is None:  # gone (DROP TABLE / SCHEMA): its INVALID indexes with it
                for i, _ in _rowless_of(w, s, n):
                    w.put(s, i, None)
        return rule

    return handler


def guard_rows(statements: dict[type, Handler]) -> dict[type, Handler]:
    """Every statement wrapped: unknown where it would change a table with rows (see the module)."""
    return {cls: _guarded(cls, h) for cls, h in statements.items()}


#: row op class -> what it does (registered in catalog.STATEMENTS)
ROW_STATEMENTS: dict[type, Handler] = {InsertRows: _insert_rows, DeleteRows: _delete_rows}
