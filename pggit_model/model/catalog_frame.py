"""Statements the frame rule covers (V15, §14.1 V27; ops/frame.py): they record nothing, so each handler only
keeps what later statements of the same kind are refused by — a table's triggers and policies — and predicts
PostgreSQL 15's errors (pinned in tests/test_frame_ops.py). A constraint trigger's name is also a
`pg_constraint` row's, so a CHECK, UNIQUE, … of that name refuses it.

Each names a relation that needs an active row on c (B9): on a branch that lacks it, a backend may take a row for
it, as for a no-op ALTER of such a table (the reference's ALTER TABLE … OWNER TO does; a crash smoke, seed 1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_values import Index, MatView, Table, View
from pggit_model.model.catalog_work import Work, reject, unknown
from pggit_model.ops import frame


def _table(w: Work, schema: str, name: str, what: str) -> Table:
    """The table a frame statement names: 42P01 when missing, 42809 for a view, materialized view or index."""
    r = w.rel(schema, name)
    if r is None:
        raise reject("42P01", f"relation {name!r} does not exist")
    if isinstance(r, View | MatView | Index):
        raise reject("42809", f"{what} needs a table, and {name!r} is not one")
    if not isinstance(r, Table):
        raise unknown("§12", f"{what} on {name!r}: that kind of relation is not in the vocabulary")
    if r.partition_by is not None:  # row triggers are cloned to partitions on ATTACH: not modelled
        raise unknown("§12", f"{what} on the partitioned table {name!r} is not modelled")
    # B9, see the module's docstring; and U3: as a no-op ALTER of a table drift changed, left open (the reference
    # re-reads the table at ALTER TABLE … OWNER TO and records the drift; a drift smoke in CI)
    w.touch(schema, name)
    return r


def _create_trigger(w: Work, op: frame.CreateTrigger) -> str:
    t = _table(w, op.schema, op.table, "CREATE TRIGGER")
    old = dict(t.triggers).get(op.name)
    if old is not None and not (op.replace and not old):  # OR REPLACE keeps a plain trigger, not a constraint one
        raise reject("42710", f"trigger {op.name!r} for relation {op.table!r} already exists")
    if op.constraint and t.con(op.name) is not None:  # pg_constraint's unique (conrelid, contypid, conname)
        raise reject("23505", f"a constraint of {op.table!r} is named {op.name!r} already")
    if old is None:
        w.put(op.schema, op.table, evolve(t, triggers=(*t.triggers, (op.name, op.constraint))))
    return "V27"


def _drop_trigger(w: Work, op: frame.DropTrigger) -> str:
    if w.rel(op.schema, op.table) is None and op.if_exists:
        return "V15"
    t = _table(w, op.schema, op.table, "DROP TRIGGER")
    if op.name not in dict(t.triggers):
        if op.if_exists:
            return "V15"
        raise reject("42704", f"trigger {op.name!r} for table {op.table!r} does not exist")
    w.put(op.schema, op.table, evolve(t, triggers=tuple(g for g in t.triggers if g[0] != op.name)))
    return "V27"


def _set_trigger(w: Work, op: frame.SetTrigger) -> str:
    t = _table(w, op.schema, op.table, "ENABLE/DISABLE TRIGGER")
    if op.name is not None and op.name not in dict(t.triggers):
        raise reject("42704", f"trigger {op.name!r} for table {op.table!r} does not exist")
    return "V27"


def _table_setting(w: Work, op: frame.TableSetting) -> str:
    r = w.rel(op.schema, op.table)
    if op.what.startswith("OWNER") and isinstance(r, View | MatView):  # ALTER TABLE … OWNER TO takes them too
        w.touched.append(("VIEW" if isinstance(r, View) else "MATERIALIZED_VIEW", op.schema, op.table))
        return "V27"
    _table(w, op.schema, op.table, op.what)
    return "V27"


def _create_policy(w: Work, op: frame.CreatePolicy) -> str:
    t = _table(w, op.schema, op.table, "CREATE POLICY")
    if op.name in t.policies:
        raise reject("42710", f"policy {op.name!r} for table {op.table!r} already exists")
    w.put(op.schema, op.table, evolve(t, policies=(*t.policies, op.name)))
    return "V27"


def _drop_policy(w: Work, op: frame.DropPolicy) -> str:
    if w.rel(op.schema, op.table) is None and op.if_exists:
        return "V15"
    t = _table(w, op.schema, op.table, "DROP POLICY")
    if op.name not in t.policies:
        if op.if_exists:
            return "V15"
        raise reject("42704", f"policy {op.name!r} for table {op.table!r} does not exist")
    w.put(op.schema, op.table, evolve(t, policies=tuple(p for p in t.policies if p != op.name)))
    return "V27"


#: frame op class -> what it does to the catalog (registered in catalog.STATEMENTS)
FRAME_STATEMENTS: dict[type, Callable[[Work, Any], str]] = {
    frame.CreateTrigger: _create_trigger, frame.DropTrigger: _drop_trigger, frame.SetTrigger: _set_trigger,
    frame.TableSetting: _table_setting, frame.CreatePolicy: _create_policy, frame.DropPolicy: _drop_policy,
}

__all__ = ["FRAME_STATEMENTS"]
