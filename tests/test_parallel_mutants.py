"""Planted concurrency faults (pggit_model.parallel.mutants) are caught by the parallel machine (X8, X9)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings

from pggit_model import cluster, ops
from pggit_model.divergences import Divergence
from pggit_model.driver import RunStats
from pggit_model.isolation import Template
from pggit_model.machine import Harness
from pggit_model.mutants import Mutant
from pggit_model.ops import Column
from pggit_model.parallel import ParallelHarness, Program, programs
from pggit_model.parallel.contention import contended_programs
from pggit_model.parallel.mutants import PARALLEL_MUTANTS

pytestmark = pytest.mark.server
Server = cluster.ThrowawayCluster | cluster.ExternalServer
S = "par"
T1 = ops.CreateTable(S, "t1", (Column("a", "integer"),))
T2 = ops.CreateTable(S, "t2", (Column("a", "integer"),))


def add(table: str, column: str) -> ops.Op:
    return ops.AlterTable(S, table, (ops.AddColumn(Column(column, "integer")),))


#: One schedule per mutant that exposes it, as the machine found or the contract describes it.
PROGRAMS = {
    "create-branch-lock-late": Program(
        [T1], [[ops.Begin(), ops.CreateTable(S, "t2", ()), ops.CreateBranch("b1", "main"), ops.Commit()],
               [ops.Begin(), ops.CreateBranch("b1", "main"), ops.CreateTable(S, "t2", ()), ops.Commit()]],
        [0, 0, 1, 1, 0, 1, 0, 1]),
    "ddl-lock-at-end": Program(
        [T1], [[ops.Begin(), ops.CreateIndex(S, "i1", "t1", ("a",)),
                ops.AlterTable(S, "t1", (ops.AddColumn(Column("b", "integer")),)), ops.Commit()],
               [ops.CreateIndex(S, "i2", "t1", ("a",))]],
        [0, 0, 1, 0, 0]),
    "commit-hash-of-content-unlocked": Program(
        [T1], [[ops.Begin(), ops.CreateCommit("main", "m", None), ops.Commit()],
               [ops.Begin(), ops.CreateCommit("main", "m", None), ops.Commit()]],
        [0, 1, 0, 1, 0, 1]),
    "trinity-from-a-count": Program([T1], [[ops.GenerateTrinityId()], [ops.GenerateTrinityId()]], [0, 1]),
    "commit-branch-unlocked": Program(
        [T1], [[ops.Begin(), ops.CreateCommit("main", "m", None), ops.Commit()],
               [ops.CreateCommit("main", "n", None)]],
        [0, 0, 1, 0]),
    # X11's Obs: B's snapshot (SELECT 1) predates A's committed DDL on t1; B's DDL on t1 (a stale version) or t2
    "rr-stale-version": Program(
        [T1, T2], [[ops.Begin(), add("t1", "b"), ops.Commit()],
                   [ops.Begin("repeatable read"), ops.TakeSnapshot(), add("t1", "c"), ops.Commit()]],
        [0, 0, 1, 1, 1, 0, 1], S, "repeatable read"),
    # X11(a): B's snapshot predates A's DDL recorded on b1 (checked out); B merges b1 into main
    "merge-from-snapshot": Program(
        [T1, T2, ops.CreateBranch("b1", "main")],
        [[ops.CheckoutBranch("b1"), add("t1", "b")],
         [ops.Begin("repeatable read"), ops.TakeSnapshot(), ops.MergeBranches("b1", "main"), ops.Commit()]],
        [1, 1, 0, 0, 1, 1], S, "repeatable read"),
    "ddl-touches-branch-row": Program(
        [T1, T2], [[ops.Begin(), add("t1", "b"), ops.Commit()],
                   [ops.Begin("repeatable read"), ops.TakeSnapshot(), add("t2", "c"), ops.Commit()]],
        [0, 0, 1, 1, 1, 0, 1], S, "repeatable read"),
}

#: Rules a mutant breaks besides its own: without its lock a commit also crosses DDL's lock order (X9), and a
#: drawn program may meet that first.
# A missing or late lock breaks serializability (X8) as well as adding deadlocks (X9): which the drawn programs hit
# first depends on the draws (Hypothesis mixes the package's own literals into them), so either rule is a catch.
SEEDS = (0, 1, 2)
ISOLATION = ("repeatable read", "serializable")
# An unlocked commit also deadlocks at REPEATABLE READ / SERIALIZABLE in the contended programs (X11(c), X12), as a
# late create_branch lock does: which level's program meets it first is the draws'.
ALSO = {"commit-branch-unlocked": ("X9", "X11", "X12"), "ddl-lock-at-end": ("X8", "X11", "X12"),
        # contended programs at REPEATABLE READ / SERIALIZABLE show the same deadlock as X11 / X12 (X11(c))
        "create-branch-lock-late": ("X11", "X12",
                                    # and a copy made beside update_all_hashes leaves the branch's rows unhashed,
                                    # which no serial order gives (drawn programs under xdist's draws met it first)
                                    "X8"),
        "trinity-from-a-count": ("X8",),  # the sequence never moves, which the final state shows (T7)
        # two unlocked commits hash the same parent: the commits table then matches no serial order (C2 via X8)
        "commit-hash-of-content-unlocked": ("X8", "X11", "X12"),
        # the isolation-level faults show at REPEATABLE READ (X11) or SERIALIZABLE (X12), in contended programs
        "rr-stale-version": ("X12",), "ddl-touches-branch-row": ("X12",), "merge-from-snapshot": ("X12",)}


@contextlib.contextmanager
def _parallel(server: Server, source: Path | None, tmp: Path) -> Iterator[ParallelHarness]:
    """A parallel harness on ``source`` (None: the reference), its harness and template closed afterwards."""
    template = Template(server, source)
    harness = Harness(template, tmp / "results", stats=RunStats())
    ph = ParallelHarness(harness)
    try:
        yield ph
    finally:
        ph.close()
        harness.close()
        template.close()


@pytest.mark.parametrize("mutant", PARALLEL_MUTANTS, ids=lambda m: f"{m.rule}-{m.name}")
def test_schedule_exposes_planted_fault_and_passes_on_the_reference(mutant: Mutant, pggit_server: Server,
                                                                     tmp_path: Path) -> None:
    """The mutant's schedule diverges with the mutant's rule, and checks green on the (fixed) reference."""
    program = PROGRAMS[mutant.name]
    for source, broken in ((mutant.apply(tmp_path / "mutant"), True), (None, False)):
        with _parallel(pggit_server, source, tmp_path) as ph:
            if broken:
                with pytest.raises(Divergence) as caught:
                    ph.check(program)
                assert caught.value.rule == mutant.rule, str(caught.value)
            else:
                assert ph.check(program).ok


@pytest.mark.parametrize("mutant", PARALLEL_MUTANTS, ids=lambda m: f"{m.rule}-{m.name}")
def test_drawn_programs_find_planted_fault(mutant: Mutant, pggit_server: Server, tmp_path: Path) -> None:
    """The machine's own drawn programs (no shrinking) hit the planted fault within 150 examples under one of the
    fixed seeds 0-5 (tried in order until one does, as tests/test_mutants.py does), with its rule (or one it also
    breaks);
    the isolation-level faults (X11) through the contended programs at REPEATABLE READ and SERIALIZABLE."""
    with _parallel(pggit_server, mutant.apply(tmp_path / "mutant"), tmp_path) as ph:
        found: list[Divergence] = []

        @settings(max_examples=150, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        # the isolation-level faults straight from the contended programs at those levels (the machine draws them
        # one time in two, at one of three levels: same programs, found six times sooner)
        @given(contended_programs(schema=S, levels=ISOLATION) if mutant.rule == "X11" else programs())
        def run(program: Program) -> None:
            try:
                ph.check(program, repeats=1)
            except Divergence as d:
                found.append(d)
                raise

        expected = {mutant.rule, *ALSO.get(mutant.name, ())}
        # seeds past 0-2 when those stopped at a reference gap first, or found nothing: whether a drawn program
        # exposes a race-shaped fault depends on timing as well (merge-from-snapshot: 0-2 missed it once, in a
        # full run of the suite, and caught it alone and again in the full suite's collection)
        for s in (*SEEDS, 3, 4, 5):
            with contextlib.suppress(Divergence, ExceptionGroup):  # several distinct failures come as a group
                seed(s)(run)()
            if any(d.rule in expected for d in found):
                break
    # A seed may stop first at a documented gap of the reference (docs/reference-backend.md): R2, an X9 deadlock
    # of CREATE TABLE AS, or R3, an XX000 of a CREATE INDEX racing a DROP TABLE of its table (seen as X8); the
    # next seed goes on. Anything else unexpected fails the test.
    assert any(d.rule in expected for d in found), "\n\n".join(map(str, found))
    assert all(d.rule in expected or d.rule == "X9" or (d.rule == "X8" and "XX000" in str(d)) for d in found), \
        "\n\n".join(map(str, found))


def test_isolationtester_reproduces_the_x9_deadlock_from_the_written_spec(pggit_server: Server, tmp_path: Path) -> None:
    """Acceptance (X9): the .spec the machine leaves for the deadlock makes isolationtester report the deadlock on
    the faulty backend, in the permutation the runner ran."""
    from pggit_model.parallel.record import record
    from pggit_model.parallel.spec import run_spec
    mutant = next(m for m in PARALLEL_MUTANTS if m.name == "create-branch-lock-late")
    with _parallel(pggit_server, mutant.apply(tmp_path / "mutant"), tmp_path) as ph:
        with pytest.raises(Divergence) as caught:
            ph.check(PROGRAMS[mutant.name])
        folder = record(ph.harness, caught.value)
        assert folder is not None
        with ph.harness.clones.example() as db:
            out = run_spec((folder / "replay.spec").read_text(), ph.harness.template.server.conninfo(db))
    assert "deadlock detected" in out, out


#: lock mutants of the reference (pggit-model mutate --operator lock) that only contention shows (blind spot 6)
LOCK_MUTANTS = ("005_helpers.sql:lock:8c6eff74ab:1",  # commits take the branch row lock without the bookkeeping lock
                "030_branches.sql:lock:f1319cc8b7:1")  # delete_branch likewise


@pytest.mark.parametrize("mutant_id", LOCK_MUTANTS)
def test_contended_programs_find_a_forgotten_bookkeeping_lock(mutant_id: str, pggit_server: Server,
                                                               tmp_path: Path) -> None:
    """Contended programs alone (no shrinking) find a call that takes its row lock without the bookkeeping lock
    within 40 examples under one of the seeds 0, 1, 2: a deadlock the control without pgGit lacks (X9), or its
    REPEATABLE READ / SERIALIZABLE form (X11, X12)."""
    from pggit_model.mutation.operators import OPERATORS, generate

    mutant = next(m for m in generate(operators={"lock": OPERATORS["lock"]}) if m.id == mutant_id)
    with _parallel(pggit_server, mutant.apply(tmp_path / "mutant"), tmp_path) as ph:
        found: list[Divergence] = []

        @settings(max_examples=40, database=None, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(contended_programs(schema=S))
        def run(program: Program) -> None:
            try:
                ph.check(program, repeats=1)
            except Divergence as d:
                found.append(d)
                raise

        for s in SEEDS:
            with contextlib.suppress(Divergence, ExceptionGroup):
                seed(s)(run)()
            if found:
                break
    assert found and all(d.rule in ("X9", "X11", "X12") for d in found), "\n\n".join(map(str, found))


#: the planted faults the covering programs catch on their own, with the rules they may show as
COVERED = {"create-branch-lock-late": ("X8", "X9"), "ddl-lock-at-end": ("X9",), "rr-stale-version": ("X11",),
           "ddl-touches-branch-row": ("X11",), "commit-branch-unlocked": ("X8", "X9"),
           "commit-hash-of-content-unlocked": ("X10", "X8"), "merge-from-snapshot": ("X11", "X12")}


def test_covering_programs_pass_on_the_reference(pggit_server: Server, tmp_path: Path) -> None:
    """Every program a generating run checks first (one per contended kind, X11's Obs at the snapshot levels, on main
    and with the change on b1 read by a merge and a branch copy)
    is green on the reference: whatever the seed, they cannot fail a correct backend."""
    from pggit_model.parallel.contention import HOT, covering

    programs_ = covering(S)
    assert len(programs_) == len(HOT) + 2 * 2 and {p.level for p in programs_} == {"read committed", *ISOLATION}
    with _parallel(pggit_server, None, tmp_path) as ph:
        for program in programs_:
            assert ph.check(program, repeats=1).ok, program


@pytest.mark.parametrize("name", COVERED)
def test_covering_programs_catch_a_late_lock_without_any_drawn_program(name: str, pggit_server: Server,
                                                                       tmp_path: Path) -> None:
    """The covering programs alone catch a bookkeeping lock forgotten or taken late (X9, with its crossing orders
    and CREATE INDEX's trap) and a stale snapshot recorded from or failing on an untouched table (X11): the catches
    that smoke's few drawn contended programs left to the seed (create-branch-lock-late under 1 seed in 3), and
    two commits on one branch at once (X8, X10); each program run once, as ParallelHarness.run runs them."""
    from pggit_model.parallel.contention import covering

    mutant = next(m for m in PARALLEL_MUTANTS if m.name == name)
    with _parallel(pggit_server, mutant.apply(tmp_path / "mutant"), tmp_path) as ph:
        found: list[Divergence] = []
        for program in covering(S):
            try:
                ph.check(program, repeats=1)
            except Divergence as d:
                found.append(d)
                break
    assert found and found[0].rule in COVERED[name], "\n\n".join(map(str, found)) or f"{name}: no program failed"
