"""Running ops through the pure model, and the same ops as plain SQL on a real PostgreSQL, for the model tests that
pin PostgreSQL's outcomes: one place, not a copy per test file."""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

import psycopg

from pggit_model.model import initial_state, step
from pggit_model.model.state import State
from pggit_model.ops import Op


def run_in(schema: str, ops: Iterable[Op], state: State | None = None) -> tuple[State, list]:
    """The state after `ops` (from a fresh model owning `schema`, or `state`) and each op's Expected."""
    st = state or initial_state((schema,))
    out = []
    for op in ops:
        st, exp = step(st, op)
        out.append(exp)
    return st, out


class OnTheModel:
    """A machine's stand-in for running one rule on the model alone: each op stepped, an unspecified one skipped (as
    the driver does), the ops run kept with what the model expected. Test files add the machine helpers a rule calls."""

    def __init__(self, start: State, schema: str) -> None:
        self.model, self.schema = start, schema
        self.ran: list[tuple[Op, Any]] = []
        self.harness = SimpleNamespace(stats=SimpleNamespace(rules=set()))

    def run(self, op: Op) -> Any:
        after, expected = step(self.model, op)
        if expected.is_unspecified:
            return None
        self.model = after
        self.ran.append((op, expected))
        return SimpleNamespace(status=expected.kind)


def postgres_outcome(conn: psycopg.Connection, schemas: Iterable[str], setup: Iterable[Op], op: Op) -> str:
    """`op` run as plain SQL on `conn` after `setup`, in fresh `schemas` (the first is created, the rest dropped):
    "ok" or PostgreSQL's SQLSTATE."""
    names = list(schemas)
    for s in names:
        conn.execute(f"DROP SCHEMA IF EXISTS {s} CASCADE")
    conn.execute(f"CREATE SCHEMA {names[0]}")
    for o in setup:
        conn.execute(o.to_sql())
    try:
        conn.execute(op.to_sql())
    except psycopg.Error as e:
        return e.sqlstate or "?"
    return "ok"
