"""Materialized views (contract §14.1 V24y, z, aa, ab): relations with a query, data or none, and their own indexes.

The query is analysed as PostgreSQL does (`select_list`), reading through views to a materialized view that holds
no data is 55000 (`not_populated`); CREATE / DROP INDEX of the first model are extended to indexes on them.
SQLSTATE orders are pinned on PostgreSQL 15 in tests/test_model_kinds.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_values import Applied, Catalog, Index, MatView, ObjKey, Table, View
from pggit_model.model.catalog_work import Work, reject, source_schema_of, unknown
from pggit_model.ops import ddl, kinds


def matview_changes(applied: Applied, after: Catalog) -> Iterator[tuple[ObjKey, str, str]]:
    """V24aa: (MATERIALIZED_VIEW key, change, severity) for each materialized view whose indexes changed; R3h:
    (VIEW key, …) for a view whose column was renamed."""
    for s, name, change, severity in applied.forced:
        if isinstance(r := after.rel(s, name), MatView | View):
            yield ("MATERIALIZED_VIEW" if isinstance(r, MatView) else "VIEW", s, name), change, severity


def select_list(w: Work, s: str, source: str, columns: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """`SELECT columns FROM s.source` as PostgreSQL analyses it, before the target is looked up: (name, type) of each
    selected column, a column selected twice refused (42701)."""
    available = source_columns(w, s, source, columns)
    if len(set(columns)) != len(columns):
        raise reject("42701", "a column is selected twice")
    return tuple((c, available[c]) for c in columns)


def source_columns(w: Work, s: str, source: str, columns: tuple[str, ...]) -> dict[str, str]:
    """The column types by name of `s.source`, once every one of `columns` is found there (42P01, 42809, 42703)."""
    src = w.rel(s, source)
    if src is None:
        raise reject("42P01", f"relation {source!r} does not exist")
    if isinstance(src, Index):
        raise reject("42809", f"{source!r} is an index")
    available = {c.name: c.type for c in src.columns} if isinstance(src, Table) else dict(src.columns)
    for c in columns:
        if c not in available:
            if c == source:
                raise unknown("§12", f"{c!r} names the source relation: a whole-row reference")
            raise reject("42703", f"column {c!r} does not exist")
    return available


def unpopulated(w: Work, s: str, source: str) -> bool:
    """Reading `source` (through views) reaches a materialized view created WITH NO DATA and not refreshed."""
    r, seen = w.rel(s, source), set()
    while isinstance(r, View) and (r.source_schema or s, r.source) not in seen:
        s = r.source_schema or s  # (a view whose source moved to another schema: N5, N6)
        seen.add((s, r.source))
        r = w.rel(s, r.source)
    return isinstance(r, MatView) and not r.populated


def not_populated(w: Work, s: str, source: str) -> None:
    """The query runs last, after the target is looked up: 55000 if it reads an unpopulated materialized view."""
    if unpopulated(w, s, source):
        raise reject("55000", f"{source!r} reads a materialized view that has not been populated")


# --- materialized views (V24y, z, aa, ab) ----------------------------------------------------------------


def _create_matview(w: Work, op: kinds.CreateMatView) -> str:
    src = source_schema_of(w, op)
    cols = select_list(w, src, op.source, op.columns)
    if w.rel(op.schema, op.name) is not None:
        if op.if_not_exists:
            return "V15"
        raise reject("42P07", f"relation {op.name!r} already exists")
    if op.with_data:
        not_populated(w, src, op.source)
    w.put(op.schema, op.name, MatView(op.source, cols, populated=op.with_data,
                                      source_schema=None if src == op.schema else src))
    w.created.append(("MATERIALIZED_VIEW", op.schema, op.name))
    return "V24y"


def _matview(w: Work, s: str, name: str, wrong_kind: str) -> MatView:
    r = w.rel(s, name)
    if r is None:
        raise reject("42P01", f"relation {name!r} does not exist")
    if not isinstance(r, MatView):
        raise reject(wrong_kind, f"{name!r} is not a materialized view")
    return r


def _refresh_matview(w: Work, op: kinds.RefreshMatView) -> str:
    mv = _matview(w, op.schema, op.name, "0A000")  # (REFRESH of a table: "not a materialized view", 0A000)
    if op.concurrently:
        # PostgreSQL 15 checks these before its query runs (pinned in tests/test_model_kinds.py): the view must
        # hold data, then have a unique index it can match rows by
        if not mv.populated:
            raise reject("0A000", "CONCURRENTLY cannot be used when the materialized view is not populated")
        if not any(_matchable(w, op.schema, i) for i in mv.indexes):
            raise reject("55000", f"cannot refresh materialized view {op.name!r} concurrently: no unique index "
                                  "on plain columns without a WHERE clause")
    not_populated(w, mv.source_schema or op.schema, mv.source)
    w.put(op.schema, op.name, evolve(mv, populated=True))
    # B9: issued on c only with an active row there (a backend may take one it lacks for created, as for a no-op
    # ALTER of a table made on another branch; a reinstall smoke, seed 305)
    w.touched.append(("MATERIALIZED_VIEW", op.schema, op.name))
    return "V24z"


def _matchable(w: Work, s: str, index: str) -> bool:
    """An index REFRESH … CONCURRENTLY can match rows by: unique, valid, on plain columns, without a WHERE clause
    (the vocabulary's indexes on a materialized view have neither expressions nor predicates)."""
    idx = w.rel(s, index)
    return isinstance(idx, Index) and idx.unique and not idx.rowless


def _drop_matview(w: Work, op: kinds.DropMatView) -> str:
    if w.rel(op.schema, op.name) is None and op.if_exists:
        return "V15"
    _matview(w, op.schema, op.name, "42809")
    # 2BP01 if a view reads it (CASCADE is V26g's, another family); then it goes with its indexes
    w.drop_view_tree(w.views_on(op.schema, op.name), False, f"materialized view {op.name!r}")
    w.drop_view_tree([(op.schema, op.name)], True, "")
    return "V24ab"


def _index_on_matview(w: Work, op: ddl.CreateIndex, mv: MatView) -> str:
    s = op.schema
    names = dict(mv.columns)
    for c in op.columns:
        if c not in names:
            raise reject("42703", f"column {c!r} does not exist")
    if w.rel(s, op.name) is not None:
        if op.if_not_exists:
            return "V15"
        raise reject("42P07", f"relation {op.name!r} already exists")
    w.put(s, op.name, Index(op.table, tuple(op.columns), op.unique))
    w.put(s, op.table, evolve(mv, indexes=(*mv.indexes, op.name)))
    w.created.append(("INDEX", s, op.name))
    w.forced.append((s, op.table, "ALTER", "PATCH"))
    return "V24aa"


def _drop_index_of_matview(w: Work, op: ddl.DropIndex, idx: Index, mv: MatView) -> str:
    w.put(op.schema, op.name, None)
    w.put(op.schema, idx.table, evolve(mv, indexes=tuple(i for i in mv.indexes if i != op.name)))
    w.dropped.append(("INDEX", op.schema, op.name))
    w.forced.append((op.schema, idx.table, "ALTER", "PATCH"))
    return "V24aa"


def wrap_index_statements(create: Callable[[Work, Any], str], drop: Callable[[Work, Any], str]
                          ) -> dict[type, Callable[[Work, Any], str]]:
    """CREATE / DROP INDEX of the first model, extended to indexes on materialized views (V24aa)."""

    def create_index(w: Work, op: ddl.CreateIndex) -> str:
        mv = w.rel(op.schema, op.table)
        return _index_on_matview(w, op, mv) if isinstance(mv, MatView) else create(w, op)

    def drop_index(w: Work, op: ddl.DropIndex) -> str:
        idx = w.rel(op.schema, op.name)
        mv = w.rel(op.schema, idx.table) if isinstance(idx, Index) else None
        return _drop_index_of_matview(w, op, idx, mv) if isinstance(mv, MatView) and isinstance(idx, Index) \
            else drop(w, op)

    return {ddl.CreateIndex: create_index, ddl.DropIndex: drop_index}


#: kinds op class -> what it does to a materialized view (part of catalog_kinds.KINDS_STATEMENTS)
MATVIEW_STATEMENTS: dict[type, Callable[[Work, Any], str]] = {
    kinds.CreateMatView: _create_matview, kinds.RefreshMatView: _refresh_matview, kinds.DropMatView: _drop_matview,
}

__all__ = [
    "MATVIEW_STATEMENTS",
    "matview_changes",
    "not_populated",
    "select_list",
    "source_columns",
    "unpopulated",
    "wrap_index_statements",
]
