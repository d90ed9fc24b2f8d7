"""What each DDL statement but ALTER TABLE (see catalog_alter) does to the catalog: one handler per op class.

A handler edits a `Work` and returns the V10 row it followed (V15 for a no-op IF [NOT] EXISTS), or raises
`Fail`. `STATEMENTS` maps each op class to its handler; `tests/test_completeness.py` fails until every
class of `ddl.DDL_OPS` has one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_alter import alter_table
from pggit_model.model.catalog_constraints import add_constraint, create_table_order
from pggit_model.model.catalog_kinds import KINDS_STATEMENTS
from pggit_model.model.catalog_kinds_guard import guard_first_model, guard_hierarchies
from pggit_model.model.catalog_matviews import source_columns, wrap_index_statements
from pggit_model.model.catalog_partitions import PARTITION_STATEMENTS
from pggit_model.model.catalog_propagation import wrap
from pggit_model.model.catalog_renames import RENAME_STATEMENTS
from pggit_model.model.catalog_schemas import SCHEMA_STATEMENTS
from pggit_model.model.catalog_values import Col, Function, Index, MatView, Table, View, default_expr
from pggit_model.model.catalog_work import Work, drop_index, reject, set_col, source_schema_of, unknown
from pggit_model.ops import ddl


def _create_table(w: Work, op: ddl.CreateTable) -> str:
    s, name = op.schema, op.name
    if w.rel(s, name) is not None:
        if op.if_not_exists:
            return "V15"
        raise reject("42P07", f"relation {name!r} already exists")
    names = [c.name for c in op.columns]
    if len(set(names)) != len(names):
        raise reject("42701", "column specified more than once")
    cols = tuple(Col(c.name, c.type, c.not_null, default_expr(c.default, c.type)) for c in op.columns)
    t = Table(columns=cols)
    w.put(s, name, t)  # visible to self-referencing foreign keys and to index-name clashes
    pks = 0
    for k in op.constraints:  # checked while the statement is transformed, before anything is built
        if isinstance(k, ddl.Unique | ddl.PrimaryKey):
            pks += isinstance(k, ddl.PrimaryKey)
            if pks > 1:
                raise reject("42P16", f"multiple primary keys for table {name!r} are not allowed")
            for c in k.columns:
                if t.col(c) is None:
                    raise reject("42703", f"column {c!r} named in key does not exist")
    taken: set[str] = set()
    for k in create_table_order(op.constraints):
        t = add_constraint(w, s, name, t, k, taken)
        w.put(s, name, t)
    w.created[:0] = [("TABLE", s, name), *[("COLUMN", s, f"{name}.{c}") for c in names]]
    return "V10a"


def _create_table_as(w: Work, op: ddl.CreateTableAs) -> str:
    s, name = op.schema, op.name
    # The SELECT is analysed first (42P01, 42809, 42703), then the target is looked up (42P07, or V15).
    available = source_columns(w, s, op.source, op.columns)
    if w.rel(s, name) is not None:
        if op.if_not_exists:
            return "V15"
        raise reject("42P07", f"relation {name!r} already exists")
    w.put(s, name, Table(columns=tuple(Col(c, available[c]) for c in op.columns)))
    w.created[:0] = [("TABLE", s, name), *[("COLUMN", s, f"{name}.{c}") for c in op.columns]]
    return "V10a"


def _drop_table(w: Work, op: ddl.DropTable) -> str:
    s, name = op.schema, op.name
    t = w.rel(s, name)
    if t is None:
        if op.if_exists:
            return "V15"
        raise reject("42P01", f"table {name!r} does not exist")
    if not isinstance(t, Table):
        raise reject("42809", f"{name!r} is not a table")
    if (fks := w.referencing_fks(s, name)) and not op.cascade:
        raise reject("2BP01", f"constraint {'.'.join(fks[0])} depends on table {name!r}")
    w.drop_view_tree(w.views_on(s, name), op.cascade, f"table {name!r}")
    w.cascade_fks(fks)  # V26a: other tables lose their foreign keys into it (each records ALTER MINOR)
    _drop_table_objects(w, s, name, t)
    return "V10o,V26a" if fks else "V10o"


def _drop_table_objects(w: Work, s: str, name: str, t: Table) -> None:
    for i in t.indexes:
        w.put(s, i, None)
        w.dropped.append(("INDEX", s, i))
    w.dropped.extend(("COLUMN", s, f"{name}.{c.name}") for c in t.columns)
    w.dropped.append(("TABLE", s, name))
    w.put(s, name, None)


#: ALTER TABLE runs its subcommands in passes (PostgreSQL 15 AlterTablePass), each pass in statement order:
def _create_index(w: Work, op: ddl.CreateIndex) -> str:
    s = op.schema
    t = w.rel(s, op.table)
    if t is None:
        raise reject("42P01", f"relation {op.table!r} does not exist")
    if not isinstance(t, Table):
        raise reject("42809", f"cannot create index on {op.table!r}: it is not a table")
    for c in op.columns:  # DefineIndex resolves the columns before index_create looks at the name
        if t.col(c) is None:
            raise reject("42703", f"column {c!r} does not exist")
    if w.rel(s, op.name) is not None:
        if op.if_not_exists:
            return "V15"
        raise reject("42P07", f"relation {op.name!r} already exists")
    w.put(s, op.name, Index(op.table, tuple(op.columns), op.unique))
    w.put(s, op.table, evolve(t, indexes=(*t.indexes, op.name)))
    w.created.append(("INDEX", s, op.name))
    w.touch(s, op.table)
    return "V10c"


def _drop_index_op(w: Work, op: ddl.DropIndex) -> str:
    s = op.schema
    idx = w.rel(s, op.name)
    if idx is None:
        if op.if_exists:
            return "V15"
        raise reject("42704", f"index {op.name!r} does not exist")
    if not isinstance(idx, Index):
        raise reject("42809", f"{op.name!r} is not an index")
    if idx.constraint is not None:
        raise reject("2BP01", f"cannot drop index {op.name!r} because constraint {idx.constraint!r} requires it")
    t = w.rel(s, idx.table)
    assert isinstance(t, Table)
    w.put(s, idx.table, drop_index(w, s, idx.table, t, op.name, op.cascade))
    w.touch(s, idx.table)
    return "V10n"


def _create_view(w: Work, op: ddl.CreateView) -> str:
    s, src = op.schema, source_schema_of(w, op)
    available = source_columns(w, src, op.source, op.columns)
    new = View(op.source, tuple((c, available[c]) for c in op.columns), None if src == s else src)
    old = w.rel(s, op.name)
    if old is not None:
        if not op.or_replace:
            raise reject("42P07", f"relation {op.name!r} already exists")
        if not isinstance(old, View):
            raise reject("42809", f"{op.name!r} is not a view")
        if new.columns[: len(old.columns)] != old.columns:
            raise reject("42P16", "CREATE OR REPLACE VIEW cannot drop, rename or retype view columns")
        if (s, op.name) == (src, op.source) or (s, op.name) in _view_sources(w, src, op.source):
            raise unknown("§12", "a view depending on itself")
        w.put(s, op.name, new)
        w.replaced.append(("VIEW", s, op.name))
        return "V12"
    w.put(s, op.name, new)
    w.created.append(("VIEW", s, op.name))
    return "V10b"


def _view_sources(w: Work, s: str, name: str) -> set[tuple[str, str]]:
    """(schema, name) of what view `s.name` reads, through views, in any schema (N7)."""
    out: set[tuple[str, str]] = set()
    r = w.rel(s, name)
    while isinstance(r, View) and (key := (r.source_schema or s, r.source)) not in out:
        out.add(key)
        s = key[0]
        r = w.rel(*key)
    return out


def _drop_view(w: Work, op: ddl.DropView) -> str:
    s = op.schema
    v = w.rel(s, op.name)
    if v is None:
        if op.if_exists:
            return "V15"
        raise reject("42P01", f"view {op.name!r} does not exist")
    if not isinstance(v, View):
        raise reject("42809", f"{op.name!r} is not a view")
    w.drop_view_tree(w.views_on(s, op.name), op.cascade, f"view {op.name!r}")
    w.put(s, op.name, None)
    w.dropped.append(("VIEW", s, op.name))
    return "V10p"


def _create_function(w: Work, op: ddl.CreateFunction) -> str:
    key = (op.schema, op.signature)
    old = w.base.functions.get(key)
    if old is not None:
        if not op.or_replace:
            raise reject("42723", f"function {op.signature} already exists")
        w.funcs[key] = Function(op.body)
        w.replaced.append(("FUNCTION", op.schema, op.signature))
        return "V12"
    w.funcs[key] = Function(op.body)
    w.created.append(("FUNCTION", op.schema, op.signature))
    return "V10b"


def _drop_function(w: Work, op: ddl.DropFunction) -> str:
    key = (op.schema, op.signature)
    if key not in w.base.functions:
        if op.if_exists:
            return "V15"
        raise reject("42883", f"function {op.signature} does not exist")
    w.funcs[key] = None
    w.dropped.append(("FUNCTION", op.schema, op.signature))
    return "V10p"


def _comment_target(w: Work, schema: str, table: str, column: str | None) -> Table:
    r = w.rel(schema, table)
    if r is None:
        raise reject("42P01", f"relation {table!r} does not exist")
    if isinstance(r, View) and column is not None:
        raise unknown("§12", "comments on view columns are outside the first model")
    if not isinstance(r, Table):
        # PostgreSQL looks the column up before it checks the kind of relation (pinned on PostgreSQL 15):
        # COMMENT ON COLUMN of an index column it lacks is 42703, of one it has 42809
        if column is not None and isinstance(r, Index) and column not in (r.labels or r.columns):
            raise reject("42703", f"column {column!r} of relation {table!r} does not exist")
        if column is not None and isinstance(r, MatView):
            if column not in (c for c, _ in r.columns):
                raise reject("42703", f"column {column!r} of relation {table!r} does not exist")
            raise unknown("§12", "comments on a materialized view's columns are outside the model")
        raise reject("42809", f"{table!r} is not a table")
    if column is not None and r.col(column) is None:
        raise reject("42703", f"column {column!r} of relation {table!r} does not exist")
    return r


def _comment_table(w: Work, op: ddl.CommentOnTable) -> str:
    t = _comment_target(w, op.schema, op.table, None)
    w.put(op.schema, op.table, evolve(t, comment=op.text or None))  # '' removes a comment, like NULL
    w.touch(op.schema, op.table)
    return "V10m"


def _comment_column(w: Work, op: ddl.CommentOnColumn) -> str:
    t = _comment_target(w, op.schema, op.table, op.column)
    w.touched.append(("COLUMN", op.schema, f"{op.table}.{op.column}"))
    w.put(op.schema, op.table, set_col(t, op.column, comment=op.text or None))
    w.touch(op.schema, op.table)
    return "V10m"


#: DDL op class -> what it does to the catalog (`apply_ddl` dispatches on it)
STATEMENTS: dict[type, Callable[[Work, Any], str]] = {
    ddl.CreateTable: _create_table, ddl.DropTable: _drop_table, ddl.AlterTable: alter_table,
    ddl.CreateIndex: _create_index, ddl.DropIndex: _drop_index_op, ddl.CreateView: _create_view,
    ddl.DropView: _drop_view, ddl.CreateFunction: _create_function, ddl.DropFunction: _drop_function,
    ddl.CommentOnTable: _comment_table, ddl.CommentOnColumn: _comment_column, ddl.CreateTableAs: _create_table_as,
}
STATEMENTS.update(RENAME_STATEMENTS)  # §14.2 (R)
STATEMENTS.update(SCHEMA_STATEMENTS)  # §14.3 (N)
STATEMENTS.update(KINDS_STATEMENTS)  # §14.1 (V22-V24, V27)
STATEMENTS.update(wrap_index_statements(_create_index, _drop_index_op))  # indexes on materialized views (V24aa)
STATEMENTS.update(PARTITION_STATEMENTS)  # §14.1 V24q–x (partitions, inheritance)
STATEMENTS.update(wrap(STATEMENTS))  # V25: statements on a hierarchy reach its descendants
# outermost: first-model statements near §14.1 objects are refused before any handler (propagation's too) runs
STATEMENTS.update(guard_first_model(STATEMENTS))
STATEMENTS.update(guard_hierarchies(STATEMENTS))  # §14.1 kinds statements and hierarchies: not combined
