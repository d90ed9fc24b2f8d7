"""The model against PostgreSQL alone: random DDL streams from the machines' own drawers, each statement's outcome
(accepted, or refused with which SQLSTATE: X4, V15) as the model predicts it, on a database without pgGit.

The machines check the same thing through pgGit, one statement at a time between observations; without pgGit's
triggers and the state comparison a statement costs a fraction, so this explores the model's error order and
catalog far faster (a DROP INDEX CONCURRENTLY of a materialized view's index crashed the model, found here in
minutes). By default a short run under a fixed seed (the suite stays deterministic); explore with
``PGGIT_OUTCOMES_EXAMPLES=3000 PGGIT_OUTCOMES_RANDOM=1 pytest tests/test_model_outcomes.py`` (tests/README.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import psycopg
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from psycopg import sql

from pggit_model import strategies
from pggit_model.isolation import Template
from pggit_model.model import step
from pggit_model.model.expected import Expected
from pggit_model.model.state import State, initial_state
from pggit_model.ops import CreateIndex, Op
from pggit_model.strategies.cascades import row_ops
from pggit_model.strategies.dependents import dependent_ops
from pggit_model.twin import TwinDatabase, machine_schemas

pytestmark = pytest.mark.server

SCHEMA = "mc_outcomes"
EXAMPLES = int(os.environ.get("PGGIT_OUTCOMES_EXAMPLES", "25"))
STEPS = int(os.environ.get("PGGIT_OUTCOMES_STEPS", "30"))
#: A fixed seed unless asked otherwise: a gap this finds is a model fix to make, not a flaky suite.
RANDOM = os.environ.get("PGGIT_OUTCOMES_RANDOM", "") not in ("", "0")


@pytest.fixture(scope="module")
def bare(pggit_template: Template) -> Iterator[TwinDatabase]:
    """A database without pgGit (the twin's, V21), used through its autocommit session: X13's CONCURRENTLY
    statements run there as they are."""
    db = TwinDatabase(pggit_template.server)
    try:
        yield db
    finally:
        db.close()


def _reset(db: TwinDatabase) -> psycopg.Connection:
    """The session, with every schema an earlier example made dropped, its temporary objects gone (A8: they live
    as long as the session, which outlives an example here) and the machine's schema empty (as B1's)."""
    conn = db.connection(nested=False)
    conn.execute("DISCARD TEMP")
    for name in sorted(machine_schemas(conn) - db.baseline):
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
    return conn


def _problem(conn: psycopg.Connection, op: Op, expected: Expected) -> str | None:
    """Run ``op``; None if its outcome is one ``expected`` allows (the machines' own checks), else what differs."""
    try:
        conn.execute(op.sql())
    except psycopg.Error as e:
        return expected.check_error(e.sqlstate)
    return expected.check_success()


Predict = Callable[[State, Op], tuple[State, Expected]]


def check_streams(db: TwinDatabase, examples: int, predict: Predict = step, shrink: bool = True,
                  drawer: Callable[[State, str], st.SearchStrategy[Op]] = strategies.ddl_ops) -> None:
    """Draw ``examples`` DDL streams of STEPS statements (from ``drawer``); fail at the first outcome ``predict``
    did not expect."""

    @settings(max_examples=examples, deadline=None, database=None, derandomize=not RANDOM,
              suppress_health_check=list(HealthCheck),
              phases=(Phase.explicit, Phase.generate) + ((Phase.shrink,) if shrink else ()))
    @given(st.data())
    def streams(data: st.DataObject) -> None:
        conn = _reset(db)
        state = initial_state(schemas=(SCHEMA,))
        sent: list[Op] = []
        for _ in range(STEPS):
            op = data.draw(drawer(state, SCHEMA), label="ddl")
            new, expected = predict(state, op)
            sent.append(op)
            problem = _problem(conn, op, expected)
            script = "\n".join(f"{o.sql().as_string(conn)};" for o in sent)
            assert problem is None, f"{problem}, to the last of:\n{script}"
            state = new

    streams()


def test_each_drawn_statement_has_the_outcome_the_model_predicts(bare: TwinDatabase) -> None:
    """X4, V15 (and the §14 rows' pinned SQLSTATEs): for random DDL streams the drawers make, PostgreSQL without
    pgGit accepts exactly the statements the model accepts and refuses the others with a SQLSTATE it allows."""
    check_streams(bare, EXAMPLES)


def test_uses_of_types_sequences_and_functions_have_the_predicted_outcomes(bare: TwinDatabase) -> None:
    """V26d–f, V15, V27: streams of the dependents machine's statements (enum types, domains, sequences, functions
    and their uses by tables and views, dropped with and without CASCADE) have the outcomes the model predicts."""
    check_streams(bare, EXAMPLES, drawer=dependent_ops)


def test_rows_and_unique_builds_over_them_have_the_predicted_outcomes(bare: TwinDatabase) -> None:
    """V24n, X13(c): streams of rows with duplicates, UNIQUE builds (also CONCURRENTLY, which leave an INVALID
    index) over them, REINDEX, DROP INDEX and DELETE have the outcomes the model predicts."""
    check_streams(bare, EXAMPLES, drawer=row_ops)


def test_a_model_that_refuses_what_postgresql_accepts_is_caught(bare: TwinDatabase) -> None:
    """The check bites: a model that predicts 42P07 for every CREATE INDEX (a deliberately wrong model) fails it."""

    def wrong(state: State, op: Op) -> tuple[State, Expected]:
        new, expected = step(state, op)
        if isinstance(op, CreateIndex) and not expected.is_error:
            return state, Expected.error(("42P07",), rule="X4", why="a deliberately wrong model")
        return new, expected

    caught = r"expected an error \(42P07: a deliberately wrong model\), but it succeeded"
    with pytest.raises(AssertionError, match=caught):
        check_streams(bare, 50, wrong, shrink=False)
