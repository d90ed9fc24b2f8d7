"""A parallel failure is recorded like any machine's: run.json that `pggit-model replay` reruns (forcing the same
permutation), a race/logic verdict in the message, and an isolation spec with the expected .out that
pg_isolation_regress passes on the reference and fails on the faulty backend (issue 21, part 4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pggit_model import cluster, ops
from pggit_model.divergences import Divergence
from pggit_model.driver import RunStats
from pggit_model.errors import InvalidOp
from pggit_model.isolation import Template
from pggit_model.machine import Harness
from pggit_model.ops import Column, Parallel
from pggit_model.parallel import ParallelHarness, Program
from pggit_model.parallel.machine import settle
from pggit_model.parallel.mutants import PARALLEL_MUTANTS
from pggit_model.parallel.record import record
from pggit_model.parallel.spec import regress
from pggit_model.replay import replay
from pggit_model.runs import Run, op_from_repr
from pggit_model.store import load_run

Server = cluster.ThrowawayCluster | cluster.ExternalServer
S = "par"
T1 = ops.CreateTable(S, "t1", (Column("a", "integer"),))
#: Two commits on main, the first inside a transaction: with the branch lock they chain, without it they fork.
FORK = Program([T1], [[ops.Begin(), ops.CreateCommit("main", "m", None), ops.Commit()],
                      [ops.CreateCommit("main", "n", None)]], [0, 0, 1, 0])


def test_parallel_op_repr_round_trips_and_rejects_a_bad_schedule() -> None:
    """The Parallel op's repr is its constructor (as run.json stores it), and a schedule that does not start each
    statement once is refused with the field named."""
    op = FORK.op
    assert op_from_repr(repr(op)) == op
    assert Program.from_op(FORK.prefix, op, S) == FORK
    with pytest.raises(InvalidOp, match=r"Parallel\.schedule"):
        Parallel(FORK.sessions, (0, 1, 1, 0))
    assert "s2: SELECT * FROM pggit.create_commit('main'" in op.to_sql()
    assert all(line.startswith("--") for line in op.to_sql().splitlines())  # a comment in replay.sql


def test_settle_says_race_or_logic() -> None:
    """A failure on every rerun is called a logic bug, on some reruns a race."""
    d = Divergence("x")
    settle(d, 3, 3)
    assert "a logic bug" in str(d)
    d = Divergence("x")
    settle(d, 1, 3)
    assert "1 of 3 runs failed, a race" in str(d)


@pytest.fixture
def faulty(pggit_server: Server, tmp_path: Path):  # type: ignore[no-untyped-def]
    mutant = next(m for m in PARALLEL_MUTANTS if m.name == "commit-branch-unlocked")
    source = mutant.apply(tmp_path / "mutant")
    template = Template(pggit_server, source)
    harness = Harness(template, tmp_path / "results", stats=RunStats())
    ph = ParallelHarness(harness)
    yield source, harness, ph
    ph.close()
    harness.close()
    template.close()


@pytest.mark.server
def test_recorded_parallel_failure_replays_and_its_spec_is_a_regression_test(faulty, pggit_server: Server) -> None:  # type: ignore[no-untyped-def]
    """The X8 fork of the unlocked-commit fault: confirmed as a logic bug, recorded as run.json whose replay forces
    the permutation and reproduces it on the faulty backend and not on the reference; the spec and the .out
    written from the reference pass pg_isolation_regress on the reference and fail on the faulty backend."""
    source, harness, ph = faulty
    with pytest.raises(Divergence) as caught:
        ph.check(FORK, repeats=1)
    d = caught.value
    ph.confirm(d)
    assert d.rule == "X8" and "always: 3 of 3 runs failed" in str(d)
    folder = record(harness, d)
    assert folder is not None
    doc = json.loads((folder / "run.json").read_text())
    assert doc["machine"] == "ParallelMachine" and doc["divergence"]["step"] == 2
    assert doc["ops"][-1]["kind"] == "parallel"
    run = load_run(folder / "run.json")
    assert replay(run, pggit_server, source).reproduced
    again = replay(run, pggit_server, reference=True)
    assert again.got is None and again.steps_run == 2, again.summary()

    spec, out = (folder / "replay.spec").read_text(), (folder / "replay.out").read_text()
    assert "forks" in out and "|    0" in out
    for src, passes in ((None, True), (source, False)):
        db = Template(pggit_server, src)
        try:
            ok, diff = regress(spec, out, pggit_server.conninfo(db.dbname))
        finally:
            db.close()
        assert ok == passes, diff
        if not passes:
            assert "+main  |ACTIVE|      2|    1" in diff  # the fork shows in the diff


@pytest.mark.server
def test_a_parallel_program_with_ddl_replays_clean_on_the_reference(pggit_server: Server) -> None:
    """V21, X8: replaying a parallel program whose sessions run DDL compares it with the program's own control
    database, as the machine did, not with the twin, which never sees the sessions' statements (it reported a V21
    difference for every such replay: a parallel smoke's run.json, seed 290)."""
    t2 = ops.CreateTable(S, "t2", (Column("a", "integer"),))
    sessions = ((ops.Begin("repeatable read"), ops.TakeSnapshot(), ops.CreateIndex(S, "i1", "t1", ("a",)),
                 ops.Commit()),
                (ops.CreateIndex(S, "i2", "t2", ("a",)),))
    run = Run(ops=(T1, t2, Parallel(sessions, (0, 0, 1, 0, 0), "repeatable read")), schema=S,
              machine="ParallelMachine", isolation="clone")
    result = replay(run, pggit_server, reference=True)
    assert result.got is None and result.steps_run == 3, result.summary()


def test_one_registry_decision_for_a_parallel_failure_live_and_replayed() -> None:
    """X8, X9, X11 with --pggit-known (``parallel.machine.excuse``, which ParallelHarness.check and replay share): an
    entry listing the failure itself excuses it, the sessions-in-sequence run is asked only for X8 (or an X11/X12
    whose final state alone differs) and excuses it when it met a known divergence; a 40001 never."""
    from pggit_model.divergences import divergence_type
    from pggit_model.known import Known, Registry
    from pggit_model.parallel.machine import FINAL_ONLY, Excuse, excuse

    asked: list[int] = []

    def met(ids: set[str]):  # type: ignore[no-untyped-def]
        def in_sequence() -> set[str]:
            asked.append(1)
            return ids
        return in_sequence

    reg = Registry((Known("deadlock", rule="X9", op="parallel", match="40P01"),
                    Known("seq-root", rule="V7", op="alter_table", match="never")))
    x8, x9 = divergence_type("X8")("no order explains it"), divergence_type("X9")("failed with 40P01")
    x9.op = x8.op = FORK.op
    assert excuse(x9, reg, met(set())) == Excuse(("deadlock",), direct=True) and not asked
    assert excuse(x8, reg, met({"seq-root"})) == Excuse(("seq-root",), direct=False) and asked == [1]
    assert excuse(x8, reg, met(set())) is None
    assert excuse(x8, Registry(()), met({"seq-root"})) is None and len(asked) == 2
    x11 = divergence_type("X11")(f"no serial order …\nStopped because: {FINAL_ONLY}: [V7] …")
    assert excuse(x11, reg, met({"seq-root"})) == Excuse(("seq-root",), direct=False)
    assert excuse(divergence_type("X11")("failed with 40001"), reg, met({"seq-root"})) is None and len(asked) == 3


@pytest.mark.server
def test_a_recorded_parallel_failure_the_registry_lists_replays_as_explored_past(faulty,  # type: ignore[no-untyped-def]
                                                                                  pggit_server: Server) -> None:
    """X8 with a registry (`pggit-model replay --known`, or the entries recorded with the run): the fork of the
    unlocked-commit fault, listed by an entry, replays as explored past, the entry counted, as the parallel machine's
    live check counts it (before, replay never asked the registry about the program: REPRODUCED); an entry that
    does not match leaves it reproduced."""
    from pggit_model.known import Known, Registry

    source, harness, ph = faulty
    with pytest.raises(Divergence) as caught:
        ph.check(FORK, repeats=1)
    d = caught.value
    folder = record(harness, d)
    assert folder is not None
    run = load_run(folder / "run.json")
    fork = Known("commit-fork", rule="X8", op="parallel", match=r"create_commit\('main'")
    assert fork.matches(d)  # the live check (ParallelHarness.check) explores past it with this registry
    result = replay(run, pggit_server, source, registry=Registry((fork,)))
    assert result.got is None and result.known == (("commit-fork", 1),), result.summary()
    assert "explored past 1 known divergence(s): commit-fork (1x)" in result.summary()
    other = Known("other", rule="X8", op="parallel", match="nothing of the kind")
    assert replay(run, pggit_server, source, registry=Registry((other,))).reproduced
