"""Overlapping client and server (Driver.overlap, issue 19 part 2) with the fake client of test_driver: no server.

With overlap on, ``run(op, wait=False)`` sends a DDL op and returns; its answer and the state after it are checked
before the next op is sent (``settle``). A divergence there must name that op's step, carry the ops up to it, and
the next op must never reach the database.
"""

from __future__ import annotations

import attrs
import pytest

from pggit_model.divergences import Divergence
from pggit_model.ops import Column, CommentOnTable, CreateBranch, CreateTable
from tests.test_driver import T_MAIN, FakeClient, S, T, _driver, _error, honest

T2 = CreateTable(S, "u", [Column("b", "int")])
COMMENT = CommentOnTable(S, "t", "x")


def test_an_op_in_flight_that_diverges_is_reported_as_its_own_step_and_the_next_is_never_sent():
    """The wrong answer to op 2 is raised when op 3 is run: step 2, ops [1, 2], and op 3 is not sent."""
    d, client = _driver(FakeClient({T2: _error("42P07")}))
    d.overlap = True
    assert d.run(T, wait=False) is None and d.run(T2, wait=False) is None
    with pytest.raises(Divergence) as err:
        d.run(COMMENT, wait=False)
    assert err.value.step == 2 and err.value.ops == [T, T2]
    assert [op for op, *_ in client.sent] == [T, T2]


def test_the_state_check_asked_for_while_an_op_is_in_flight_runs_before_the_next_op():
    """check_state during the flight observes nothing; the next run checks the state after the op first, and a
    wrong state is reported at that op, before the next op is sent."""
    d, client = _driver()
    d.overlap = True
    d.run(T, wait=False)
    d.check_state()
    assert client.observed == 0
    wrong = honest(d.state)
    row = wrong.objects[T_MAIN]
    client.last_snapshot = attrs.evolve(wrong, objects={**wrong.objects, T_MAIN: row._replace(version=row.version + 1)})
    with pytest.raises(Divergence) as err:
        d.run(COMMENT, wait=False)
    assert err.value.step == 1 and err.value.ops == [T] and [op for op, *_ in client.sent] == [T]


def test_finish_collects_the_last_op_in_flight():
    """An example that ends with an op in flight still checks it: finish raises its divergence."""
    d, _ = _driver(FakeClient({T: _error("42P07")}))
    d.overlap = True
    d.run(T, wait=False)
    with pytest.raises(Divergence) as err:
        d.finish()
    assert err.value.step == 1


def test_without_overlap_and_for_calls_run_waits():
    """Overlap off, run(wait=False) answers at once; with it on, a pgGit call (its answer invents values the model
    binds) still waits."""
    d, _ = _driver()
    assert d.run(T, wait=False) is not None
    d.overlap = True
    assert d.run(CreateBranch("b"), wait=False) is not None
