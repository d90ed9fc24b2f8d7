"""The parallel runner, the X9 control run and the isolation spec, on a real server (pggit_model.parallel)."""

from __future__ import annotations

import pytest

from pggit_model import ops
from pggit_model.client import Client
from pggit_model.cluster import connect
from pggit_model.ops import Column
from pggit_model.parallel import History, ParallelHarness, Program
from pggit_model.parallel.runner import prepare_control, run_schedule
from pggit_model.parallel.spec import run_spec, write_spec

pytestmark = pytest.mark.server

S = "par"
PREFIX = (ops.CreateTable(S, "t1", (Column("a", "integer"),)), ops.CreateTable(S, "t2", (Column("a", "integer"),)))


def lock_order_program() -> Program:
    """Session 1 locks main's branch row (create_commit) then does DDL; session 2 does DDL then create_commit on
    main, both in transactions, interleaved so each holds what the other wants next — if pgGit's bookkeeping
    lock and the branch row lock are taken in different orders. PostgreSQL alone runs it without a deadlock."""
    s1 = [ops.Begin(), ops.CreateCommit("main", "m", None),
          ops.AlterTable(S, "t1", (ops.AddColumn(Column("b", "integer")),)), ops.Commit()]
    s2 = [ops.Begin(), ops.AlterTable(S, "t2", (ops.AddColumn(Column("b", "integer")),)),
          ops.CreateCommit("main", "n", None), ops.Commit()]
    return Program(PREFIX, [s1, s2], [0, 0, 1, 1, 1, 0, 0, 1])


def green_program() -> Program:
    """Two sessions racing for one branch name and committing on main: X8 holds on a correct backend."""
    s1 = [ops.CreateBranch("b1", "main"), ops.CreateCommit("main", "m", None)]
    s2 = [ops.CreateBranch("b1", "main"), ops.GenerateTrinityId(), ops.CommitChanges("main", "c")]
    return Program(PREFIX, [s1, s2], [0, 1, 1, 0, 1])


def test_a_correct_program_is_explained(parallel: ParallelHarness) -> None:
    """X8/X10: concurrent create_branch of one name and commits on main check green, in one order the model
    explains, and every unit is placed."""
    verdict = parallel.check(green_program())
    assert verdict.ok and verdict.order is not None and len(verdict.order) == 5


def test_runner_records_a_lock_wait_and_each_statement(parallel: ParallelHarness) -> None:
    """The runner starts the next step when one waits for a lock, and records every statement's outcome."""
    s1 = [ops.Begin(), ops.AlterTable(S, "t1", (ops.AddColumn(Column("b", "integer")),)), ops.Commit()]
    s2 = [ops.AlterTable(S, "t1", (ops.AddColumn(Column("c", "integer")),))]
    program = Program(PREFIX, [s1, s2], [0, 0, 1, 0])
    with parallel.harness.clones.example() as db:
        conninfo = parallel.harness.template.server.conninfo(db)
        prepare_control(conninfo, program)
        history = run_schedule(program, conninfo)
    assert [(e.session, e.index) for e in history.events] == [(0, 0), (0, 1), (1, 0), (0, 2)]
    waited = history.events[2]
    assert waited.blocked and waited.done is not None and waited.done.ok
    assert waited.completed is not None and waited.completed > history.events[3].invoked  # it waited for COMMIT


def test_crossing_lock_orders_are_green_on_the_reference(parallel: ParallelHarness) -> None:
    """X9: the reference takes its bookkeeping lock before any branch row lock, so a commit and a DDL in two
    transactions in crossing order wait for each other instead of deadlocking (the mutants in
    tests/test_parallel_mutants.py show the same check failing when a lock is taken late)."""
    verdict = parallel.check(lock_order_program())
    assert verdict.ok and "X9" not in parallel.stats.divergences


def _run_on_fresh_clone(parallel: ParallelHarness, program: Program) -> History:
    with parallel.harness.clones.example() as db:
        conninfo = parallel.harness.template.server.conninfo(db)
        with connect(conninfo) as c:
            c.execute(f"CREATE SCHEMA {S}")
            client = Client(c, S)
            for op in program.prefix:
                client.apply(op)
        return run_schedule(program, conninfo)


def test_spec_replays_with_isolationtester(parallel: ParallelHarness) -> None:
    """The .spec written from the schedule that ran replays under PostgreSQL's isolationtester with the same
    outcome as the runner (a deadlock there iff one here)."""
    history = _run_on_fresh_clone(parallel, lock_order_program())
    spec = write_spec(history.executed(), title="lock order")
    assert "permutation " + " ".join(f"s{e.session + 1}_{e.index + 1}" for e in history.events) in spec
    with parallel.harness.clones.example() as db:
        out = run_spec(spec, parallel.harness.template.server.conninfo(db))
    assert "starting permutation" in out and "step s2_3" in out
    assert ("deadlock detected" in out) == bool(history.failures()), out
    assert any(e.blocked for e in history.events), "the schedule makes one session wait for the other"
