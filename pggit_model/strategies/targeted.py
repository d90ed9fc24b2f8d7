"""Targeted draws: one contract rule each, for the machines' composite rules.

Random DDL reaches these situations too rarely for the smoke profile; each helper below builds the one
statement a rule needs from the model's state, already filtered to what the model predicts exactly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State, step
from pggit_model.model.catalog import Col, Index, Table, View
from pggit_model.model.catalog_rows import frozen_tables
from pggit_model.strategies.common import predicted, predicted_only, relations_of, split_signature, tables_of
from pggit_model.strategies.ddl import ARG_LISTS
from pggit_model.strategies.values import columns, defaults_for, names, texts


def tracked_tables(state: State, schema: str, *, empty: bool = False) -> list[str]:
    """Tables of `schema` in the catalog that have an active TABLE row on c (B9: DDL may touch them); with `empty`,
    not one with rows or an INVALID index, for a rule whose chain of statements needs each one predicted: the model
    predicts changes of empty tables only (V24n), so the rest of the chain on such a table was skipped as
    unspecified (the cascades machine's rename of an index REINDEX … CONCURRENTLY rebuilt went to its table of
    duplicate rows, and a seed renamed no rebuilt index: V20, issue 18 part 3). Without it, such a table stays
    drawable: the statements the model does predict on it sync it (an INVALID index must stay without a row, V24n)."""
    frozen = frozen_tables(state.db.catalog) if empty else frozenset()
    return [n for n, _ in tables_of(state, schema)
            if state.active_row("TABLE", schema, n) is not None and (schema, n) not in frozen]


def same_definition_replacements(state: State, schema: str) -> list[ops.Op]:
    """`CREATE OR REPLACE` of every view and function of `schema` with an active row on c, written with the
    definition it already has: V12 says that records nothing."""
    out: list[ops.Op] = []
    for (s, n), r in sorted(state.db.catalog.relations.items(), key=lambda kv: kv[0]):
        if s == schema and isinstance(r, View) and state.active_row("VIEW", s, n) is not None:
            if (calls := _called(state, r)) is not None:  # a view calling a function (under its key now, R6)
                out.append(ops.CreateCallingView(s, n, *calls, or_replace=True))
            elif not r.reads:  # (a renamed output column, R3h: `SELECT a AS c` is not in the vocabulary)
                # (a source in another schema, N7, read there by identity: R6)
                out.append(ops.CreateView(s, n, r.source, tuple(c for c, _ in r.columns), True, r.source_schema))
    for (s, sig), f in sorted(state.db.catalog.functions.items(), key=lambda kv: kv[0]):
        if s == schema and state.active_row("FUNCTION", s, sig) is not None:
            name, args = split_signature(sig)
            out.append(ops.CreateFunction(s, name, args, f.body, True))
    return [op for op in out if predicted(state, op)]


def _called(state: State, view: View) -> tuple[str, str] | None:
    """(schema, name) of the function a calling view's query calls (`ops.CreateCallingView`), else None."""
    for fs, sig in state.db.catalog.functions:
        if sig.endswith("()") and ops.dependents.quoted(fs, sig[:-2]) + "()" == view.source:
            return fs, sig[:-2]
    return None


@st.composite
def _new_function(draw: st.DrawFn, state: State, schema: str) -> ops.Op:
    return ops.CreateFunction(schema, draw(names(("f", "add tax", "select"))), tuple(draw(ARG_LISTS)),
                              draw(st.integers(0, 3)))


def new_functions(state: State, schema: str) -> st.SearchStrategy[ops.Op]:
    """`CREATE FUNCTION` of a function `schema` does not have yet (V10b)."""
    def fresh(op: ops.Op) -> bool:
        return isinstance(op, ops.CreateFunction) and (schema, op.signature) not in state.db.catalog.functions
    return predicted_only(state, _new_function(state, schema)).filter(fresh)


def droppable(state: State, schema: str) -> list[tuple[str, str]]:
    """(kind, V5 object name) of every table, view, index and function of `schema` in the catalog with an
    active row on c: what a DROP may name (B9)."""
    cat = state.db.catalog
    out = [(kind, n) for kind, cls in (("TABLE", Table), ("VIEW", View), ("INDEX", Index))
           for n in relations_of(state, schema, cls)]
    out += [("FUNCTION", sig) for (s, sig) in sorted(cat.functions) if s == schema]
    return [(kind, n) for kind, n in out if state.active_row(kind, schema, n) is not None]


_DROPS: dict[str, Callable[..., ops.Op]] = {"TABLE": ops.DropTable, "VIEW": ops.DropView, "INDEX": ops.DropIndex}


@st.composite
def _drop(draw: st.DrawFn, state: State, schema: str) -> ops.Op:
    kind, name = draw(st.sampled_from(droppable(state, schema)))
    if_exists, cascade = draw(st.booleans()), draw(st.booleans())
    if kind == "FUNCTION":
        fname, args = split_signature(name)
        return ops.DropFunction(schema, fname, args, if_exists, cascade)
    return _DROPS[kind](schema, name, if_exists, cascade)


def drop_ops(state: State, schema: str) -> st.SearchStrategy[ops.Op]:
    """DROP TABLE / VIEW / INDEX / FUNCTION of an object `droppable` lists (V13); some PostgreSQL refuses
    (dependent views without CASCADE, a constraint's index)."""
    return predicted_only(state, _drop(state, schema))


@cache
def _set_defaults(type_: str) -> st.SearchStrategy[Any]:
    return defaults_for(type_).filter(lambda v: v is not None)


@st.composite
def _default_change(draw: st.DrawFn, state: State, schema: str) -> ops.Op:
    tracked = set(tracked_tables(state, schema))
    tables = [(n, t) for n, t in tables_of(state, schema) if t.columns and n in tracked]
    name, t = draw(st.sampled_from(tables))
    col = draw(st.sampled_from(t.columns))
    if col.default is not None and draw(st.booleans()):
        return ops.AlterTable(schema, name, (ops.DropDefault(col.name),))
    return ops.AlterTable(schema, name, (ops.SetDefault(col.name, draw(_set_defaults(col.type))),))


def has_default_target(state: State, schema: str) -> bool:
    """A tracked table with a column exists, so `default_changes` can draw."""
    tracked = set(tracked_tables(state, schema))
    return any(t.columns for n, t in tables_of(state, schema) if n in tracked)


@st.composite
def _new_table(draw: st.DrawFn, state: State, schema: str) -> ops.Op:
    used = {n for (s, n) in state.db.catalog.relations if s == schema}
    name = draw(names().filter(lambda n: n not in used))
    return ops.CreateTable(schema, name, (draw(columns()),))


def new_tables_with_a_column(state: State, schema: str) -> st.SearchStrategy[ops.Op]:
    """`CREATE TABLE` of a new table with one column (V10a), for rules that need a table to work on."""
    return predicted_only(state, _new_table(state, schema))


def default_changes(state: State, schema: str) -> st.SearchStrategy[ops.Op]:
    """`ALTER TABLE … ALTER c SET DEFAULT v | DROP DEFAULT` that really changes the column's default, so the
    table's H3 structure (and hash) changes; a V10j PATCH."""
    def changes(op: ops.Op) -> bool:
        assert isinstance(op, ops.AlterTable)
        return predicted(state, op) and \
            step(state, op)[0].db.catalog.table(schema, op.name) != state.db.catalog.table(schema, op.name)
    return _default_change(state, schema).filter(changes)


def _st(state: State, schema: str, table: str) -> tuple[int, int, int, int] | None:
    """M2's st_c(k) for the table: None (⊥) or (version, M, m, p)."""
    row = state.active_row("TABLE", schema, table)
    return None if row is None else (row.version, row.major, row.minor, row.patch)


_TABLE_CHANGES = ("comment", "default", "not_null", "check", "drop")


@st.composite
def _table_change(draw: st.DrawFn, state: State, schema: str, table: str, drop: bool,
                  unlike: tuple[int, int, int, int] | None) -> ops.Op:
    t = state.db.catalog.table(schema, table)
    assert t is not None
    before = _st(state, schema, table)

    def build(kind: str) -> ops.Op | None:
        col: Col | None = draw(st.sampled_from(t.columns)) if t.columns else None
        if kind == "comment":
            return ops.CommentOnTable(schema, table, draw(texts(10)))
        if kind == "drop":
            return ops.DropTable(schema, table, False, True) if drop else None
        if col is None:
            return None
        if kind == "default":
            act: Any = ops.DropDefault(col.name) if col.default is not None else \
                ops.SetDefault(col.name, draw(_set_defaults(col.type)))
        elif kind == "not_null":
            act = ops.DropNotNull(col.name) if col.not_null else ops.SetNotNull(col.name)
        else:
            act = ops.AddConstraint(ops.Check(draw(names(("k1", "k2"))), col.name,
                                              draw(st.sampled_from(["not_null", "positive"]))))
        return ops.AlterTable(schema, table, (act,))

    start = draw(st.integers(0, len(_TABLE_CHANGES) - 1))
    for kind in _TABLE_CHANGES[start:] + _TABLE_CHANGES[:start]:
        op = build(kind)
        if op is not None and predicted(state, op):
            after = _st(step(state, op)[0], schema, table)
            if after != before and (unlike is None or after != unlike):
                return op
    draw(st.nothing())  # no change of this table fits: Hypothesis drops the example
    raise AssertionError("unreachable")


def table_changes(state: State, schema: str, table: str, *, drop: bool = False,
                  unlike: tuple[int, int, int, int] | None = None) -> st.SearchStrategy[ops.Op]:
    """One statement that records a change of `table` on c without touching its COLUMN or INDEX rows (so
    the catalog the branches share stays within B9 for the other side of a merge): COMMENT ON TABLE, SET /
    DROP DEFAULT, SET / DROP NOT NULL, ADD CHECK, or (with `drop`) DROP TABLE … CASCADE. With `unlike`, the
    table's state afterwards (M2's st) differs from it: the other side of an M3 conflict."""
    return _table_change(state, schema, table, drop, unlike)

