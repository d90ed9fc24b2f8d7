"""Cascades and statements outside a transaction block (contract §14.1 V26, V24m–p; §14.6 X13): what each op of
`ops/cascades.py` does to the catalog.

CASCADE into other tables' foreign keys (V26a–c, i) is `Work.cascade_fks`, called by the first model's drop
handlers; the referencing tables are altered and `versions` records one ALTER each at the highest severity of
their losses (V9). Whether an op may run at all outside a transaction block is decided before the catalog is
looked at (`engine`, X13).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

# STATEMENTS, looked up when a statement runs: CREATE / DROP INDEX as dispatched, with indexes on materialized
# views (V24aa) and the hierarchy guards, so CONCURRENTLY changes nothing else
from pggit_model.model.catalog_statements import STATEMENTS, _drop_table_objects
from pggit_model.model.catalog_values import Index, Table, View
from pggit_model.model.catalog_work import Work, reject, unknown
from pggit_model.ops import cascades, ddl


def _drop_tables(w: Work, op: cascades.DropTables) -> str:
    """V26h: every name is looked up first (42P01 / 42809 in the order named), then the dependencies of the whole
    set are checked: foreign keys between the tables named need no CASCADE."""
    s = op.schema
    found: list[tuple[str, Table]] = []
    for name in op.names:
        t = w.rel(s, name)
        if t is None:
            if op.if_exists:
                continue
            raise reject("42P01", f"table {name!r} does not exist")
        if not isinstance(t, Table):
            raise reject("42809", f"{name!r} is not a table")
        found.append((name, t))
    if not found:
        return "V15"
    named = {(s, n) for n, _ in found}
    fks = [f for n, _ in found for f in w.referencing_fks(s, n) if (f[0], f[1]) not in named]
    if fks and not op.cascade:
        raise reject("2BP01", f"constraint {'.'.join(fks[0])} depends on a table dropped")
    views = [v for n, _ in found for v in w.views_on(s, n)]
    w.drop_view_tree(list(dict.fromkeys(views)), op.cascade, "a table dropped")
    w.cascade_fks(fks)
    for name, t in found:
        _drop_table_objects(w, s, name, t)
    return "V26h,V10o" if len(found) > 1 else "V10o"


def _create_index_concurrently(w: Work, op: cascades.CreateIndexConcurrently) -> str:
    """V24m: as CREATE INDEX (V10c); the model's tables hold no rows, so a UNIQUE build never fails (V24n).
    PostgreSQL refuses it on a partitioned table (0A000) before it looks at the index's name or columns; on a
    partition or an inheritance parent the index is that table's own, as for CREATE INDEX."""
    t = w.rel(op.schema, op.table)
    if isinstance(t, Table) and t.partition_by is not None:
        raise reject("0A000", f"cannot create index on partitioned table {op.table!r} concurrently")
    rule = STATEMENTS[ddl.CreateIndex](w, ddl.CreateIndex(op.schema, op.name, op.table, op.columns, op.unique,
                                                          op.if_not_exists))
    return "V15" if rule == "V15" else f"V24m,{rule}"


def _drop_index_concurrently(w: Work, op: cascades.DropIndexConcurrently) -> str:
    """V24m: as DROP INDEX without CASCADE (V10n). A partitioned index cannot go concurrently (0A000) and a
    partition's index attached to one is required by it (2BP01), both pinned on PostgreSQL 15."""
    idx = w.rel(op.schema, op.name)
    if isinstance(idx, Index):
        t = w.rel(op.schema, idx.table)
        if isinstance(t, Table) and t.partition_by is not None:
            raise reject("0A000", f"cannot drop partitioned index {op.name!r} concurrently")
        if idx.of is not None:
            raise reject("2BP01", f"cannot drop index {op.name!r} because index {idx.of!r} requires it")
    rule = STATEMENTS[ddl.DropIndex](w, ddl.DropIndex(op.schema, op.name, op.if_exists))
    return "V15" if rule == "V15" else f"V24m,{rule}"


def _reindex(w: Work, op: cascades.Reindex) -> str:
    """V24o: records nothing; PostgreSQL fires no event trigger for it (B9, A64)."""
    if op.name is not None:
        r = w.rel(op.schema, op.name)
        if r is None:
            raise reject("42P01", f"relation {op.name!r} does not exist")
        if isinstance(r, View) or isinstance(r, Index) != (op.target == "INDEX"):
            raise reject("42809", f"{op.name!r} is not {'an index' if op.target == 'INDEX' else 'a table'}")
    return "V24o,V27"


def _set_storage(w: Work, op: cascades.SetStorage) -> str:
    """V24p: ALTER INDEX/TABLE … SET/RESET (fillfactor) records nothing; the index's own definition (and hash,
    H11) changes. Reported on the index or table, so its table needs an active row on c (B9)."""
    s = op.schema
    r = w.rel(s, op.name)
    if r is None:
        raise reject("42P01", f"relation {op.name!r} does not exist")
    if op.keyword == "INDEX":
        if not isinstance(r, Index):
            raise unknown("§12", "ALTER INDEX … SET on a relation that is not an index")
        w.put(s, op.name, evolve(r, fillfactor=op.fillfactor))
        w.touched.append(("INDEX", s, op.name))
        w.touch(s, r.table)
        return "V24p,V27"
    if not isinstance(r, Table):
        raise unknown("§12", "ALTER TABLE … SET (fillfactor) on a relation that is not a table")
    w.touch(s, op.name)
    return "V24p,V27"


def _set_statistics(w: Work, op: cascades.SetStatistics) -> str:
    """V24p, V27: a column's statistics target is no part of V23: nothing recorded."""
    r = w.rel(op.schema, op.table)
    if r is None:
        raise reject("42P01", f"relation {op.table!r} does not exist")
    if not isinstance(r, Table):
        raise unknown("§12", "SET STATISTICS on a relation that is not a table")
    if r.col(op.column) is None:
        raise reject("42703", f"column {op.column!r} of relation {op.table!r} does not exist")
    w.touched.append(("COLUMN", op.schema, f"{op.table}.{op.column}"))
    w.touch(op.schema, op.table)
    return "V24p,V27"


#: cascade op class -> what it does to the catalog (registered in catalog.STATEMENTS)
CASCADE_STATEMENTS: dict[type, Callable[[Work, Any], str]] = {
    cascades.DropTables: _drop_tables, cascades.CreateIndexConcurrently: _create_index_concurrently,
    cascades.DropIndexConcurrently: _drop_index_concurrently, cascades.Reindex: _reindex,
    cascades.SetStorage: _set_storage, cascades.SetStatistics: _set_statistics,
}
