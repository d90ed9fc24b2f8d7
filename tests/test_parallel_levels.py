"""Parallel programs at REPEATABLE READ and SERIALIZABLE (X11, X12) and X14's schedules at READ COMMITTED, on the
reference backend and on planted faults (pggit_model.parallel.mutants) that break them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from pggit_model import cluster, ops
from pggit_model.divergences import Divergence
from pggit_model.driver import RunStats
from pggit_model.isolation import Template
from pggit_model.machine import Harness
from pggit_model.ops import Column, Op
from pggit_model.parallel import ParallelHarness, Program
from pggit_model.parallel.mutants import PARALLEL_MUTANTS

pytestmark = pytest.mark.server
Server = cluster.ThrowawayCluster | cluster.ExternalServer
S = "par"
PREFIX = [ops.CreateTable(S, "t1", (Column("a", "integer"),)), ops.CreateTable(S, "t2", (Column("a", "integer"),))]


def add(table: str, column: str) -> Op:
    return ops.AlterTable(S, table, (ops.AddColumn(Column(column, "integer")),))


def x11(level: str, b_table: str, a_level: str = "read committed") -> Program:
    """X11's Obs: A `BEGIN; DDL on t1; …; COMMIT` ∥ B `BEGIN ISOLATION LEVEL …; SELECT 1; DDL on …; COMMIT`, B's
    snapshot taken before A commits and its DDL waiting for A's lock."""
    a = [ops.Begin(None if a_level == "read committed" else a_level), add("t1", "b"), ops.Commit()]
    b = [ops.Begin(level), ops.TakeSnapshot(), add(b_table, "c"), ops.Commit()]
    return Program(PREFIX, [a, b], [0, 0, 1, 1, 1, 0, 1], S, level)


def x14(statement: Op) -> Program:
    """X9's three-session schedule with a §14 statement as A's last: A `BEGIN; CREATE INDEX i1 ON t1`, B `CREATE
    INDEX i2 ON t1` (waits), A's statement, A COMMIT."""
    return Program(PREFIX, [[ops.Begin(), ops.CreateIndex(S, "i1", "t1", ("a",)), statement, ops.Commit()],
                            [ops.CreateIndex(S, "i2", "t1", ("a",))]], [0, 0, 1, 0, 0], S)


@pytest.fixture
def reference(pggit_server: Server, tmp_path: Path) -> Iterator[ParallelHarness]:
    yield from _harness(pggit_server, None, tmp_path)


def _harness(server: Server, source: Path | None, tmp: Path) -> Iterator[ParallelHarness]:
    template = Template(server, source)
    harness = Harness(template, tmp / "results", stats=RunStats())
    ph = ParallelHarness(harness)
    try:
        yield ph
    finally:
        ph.close()
        harness.close()
        template.close()


def _states(ph: ParallelHarness, program: Program) -> list[str | None]:
    """Run ``program`` once, checked; the SQLSTATEs of its statements as they ran (retries included)."""
    from pggit_model.parallel import machine
    seen: list[Sequence[str | None]] = []
    original = machine.run_parallel

    def spy(*args: object, **kw: object) -> object:
        history, verdict = original(*args, **kw)  # type: ignore[arg-type]
        seen.append([e.sqlstate for e in history.events])
        return history, verdict

    machine.run_parallel = spy  # type: ignore[assignment]
    try:
        ph.check_once(program)
    finally:
        machine.run_parallel = original
    return list(seen[0])


@pytest.mark.parametrize("level", ["repeatable read", "serializable"])
def test_ddl_on_another_table_commits_at_every_level(reference: ParallelHarness, level: str) -> None:
    """X11(c), X12: B's DDL on t2, its snapshot older than A's committed DDL on t1, commits: no 40001 on u."""
    assert _states(reference, x11(level, "t2")) == [None] * 7


@pytest.mark.parametrize("level", ["repeatable read", "serializable"])
def test_ddl_on_the_same_table_fails_with_40001_and_its_retry_commits(reference: ParallelHarness, level: str) -> None:
    """X11(b): B's DDL on t1, whose row A changed after B's snapshot, fails with 40001 (the reference updates one row
    per object), has no effect, and its retry commits; the checker explains it (A, then B's retry)."""
    states = _states(reference, x11(level, "t1"))
    assert "40001" in states[:7], states
    assert len(states) == 7 + 4 and states[7:] == [None] * 4, states  # the retry: BEGIN, SELECT 1, DDL, COMMIT


@pytest.mark.parametrize("level", ["repeatable read", "serializable"])
def test_x11c_a_branch_from_a_parent_committed_on_after_the_snapshot_commits(reference: ParallelHarness,
                                                                             level: str) -> None:
    """X11(c), X12: B creates a branch from main, its snapshot older than A's committed commit on main: B records no
    change on a key A changed, so it commits (a foreign key from the new branch row to its parent made PostgreSQL's
    check lock main's updated row: 40001; found by a parallel smoke, seed 290)."""
    a = [ops.CreateCommit("main", "m", None)]
    b = [ops.Begin(level), ops.TakeSnapshot(), ops.CreateBranch("b2", "main"), ops.Commit()]
    assert _states(reference, Program(PREFIX, [a, b], [1, 1, 0, 1, 1], S, level)) == [None] * 5


@pytest.mark.parametrize("level", ["repeatable read", "serializable"])
@pytest.mark.parametrize(("change", "own"), [(add("t1", "c00"), False),
                                             (ops.CreateTable(S, "t3", (Column("a", "integer"),)), False),
                                             (add("t1", "c00"), True)],
                         ids=["changed-rows", "new-rows", "after-its-own-ddl"])
def test_a_branch_whose_parent_changed_after_the_snapshot_fails_with_40001_and_its_retry_commits(
        reference: ParallelHarness, level: str, change: Op, own: bool) -> None:
    """X11(a)/(b), known gap R4 (ci run bb72b4474c): B creates a branch from main, its snapshot older than A's DDL
    on main, its copy (or, with ``own``, its own COMMENT on t2 just before it) waiting for A's lock. Copying main's
    rows as the snapshot shows them (t1 without c00, no t3) is what no serial order gives; the reference fails with
    40001 instead, for changed rows and for new ones, also after B recorded a change on main itself after A's (the
    replay of bb72b4474c met that), and the retry commits with A's change copied; the checker places the committed
    retry after A."""
    mine = [ops.CommentOnTable(S, "t2", "b")] if own else []
    a = [ops.Begin(), change, ops.Commit()]
    b = [ops.Begin(level), ops.TakeSnapshot(), *mine, ops.CreateBranch("b2", "main"), ops.Commit()]
    schedule = [0, 0, 1, 1, 1, 0, *([1] if own else []), 1]
    states = _states(reference, Program(PREFIX, [a, b], schedule, S, level))
    n = len(schedule)
    failed = n - 2 if own else 4  # states in the order the statements started: B's waiting copy, or its last
    assert states[:n] == [None] * failed + ["40001"] + [None] * (n - failed - 1), states
    assert states[n:] == [None] * len(b), states  # the retry: BEGIN, SELECT 1, (COMMENT,) create_branch, COMMIT


@pytest.mark.parametrize("statement", [ops.RenameRelation("TABLE", S, "t1", "t3"),
                                       ops.DropTable(S, "t1", cascade=True)], ids=["rename", "drop-cascade"])
def test_x14_schedule_with_a_key_change_or_cascade_has_no_serialization_failure(reference: ParallelHarness,
                                                                              statement: Op) -> None:
    """X14: X9's three-session schedule with RENAME or DROP TABLE … CASCADE as A's statement runs without 40001 or
    40P01 at READ COMMITTED, and an order explains it."""
    states = _states(reference, x14(statement))
    assert not {"40001", "40P01"} & set(states), states


@pytest.mark.parametrize(("program", "rules"), [
    (x11("repeatable read", "t2"), {"X11"}), (x11("serializable", "t2"), {"X11", "X12"}),
    (x14(ops.RenameRelation("TABLE", S, "t1", "t3")), {"X14"}), (x14(ops.CreateIndex(S, "i3", "t2", ("a",))), set()),
], ids=["repeatable-read", "serializable", "read-committed-rename", "read-committed-first-model"])
def test_a_checked_program_counts_its_isolation_rules_in_the_coverage(reference: ParallelHarness, program: Program,
                                                                     rules: set[str]) -> None:
    """X11, X12, X14 are what the checker judged a program by: a ci run's coverage listed them as never exercised
    while the parallel machine checked hundreds of REPEATABLE READ and SERIALIZABLE programs."""
    reference.check_once(program)
    counted = set(reference.stats.rules) & {"X11", "X12", "X14"}
    assert counted == rules


@pytest.mark.parametrize(("name", "program"), [("rr-stale-version", x11("repeatable read", "t1")),
                                               ("ddl-touches-branch-row", x11("repeatable read", "t2")),
                                               ("ddl-touches-branch-row", x11("serializable", "t2"))],
                         ids=["stale-version-rr", "40001-on-u-rr", "40001-on-u-serializable"])
def test_isolation_level_faults_are_caught(name: str, program: Program, pggit_server: Server,
                                           tmp_path: Path) -> None:
    """A backend that records from the snapshot after swallowing a 40001 (a version repeated: X11(a)) or that
    fails DDL on another table with 40001 (X11(c); X12 at SERIALIZABLE) is caught by X11's schedule."""
    fault = next(m for m in PARALLEL_MUTANTS if m.name == name)
    for ph in _harness(pggit_server, fault.apply(tmp_path / "mutant"), tmp_path):
        with pytest.raises(Divergence) as caught:
            ph.check_once(program)
        assert caught.value.rule == ("X12" if program.level == "serializable" else "X11"), str(caught.value)


@pytest.mark.parametrize("level", ["repeatable read", "serializable"])
def test_a_merge_whose_source_changed_after_the_snapshot_fails_with_40001_and_its_retry_commits(
        reference: ParallelHarness, level: str) -> None:
    """X11(a)/(b), as R4 for create_branch: B merges b1 into main, its snapshot older than A's DDL recorded on b1
    (A has b1 checked out). Merging b1's rows as the snapshot shows them would lose A's change for good (b1 is
    MERGED after it), which no serial order gives; the reference fails with 40001 and the retry commits with A's
    change merged into main; the checker places the retry after A."""
    prefix = [*PREFIX, ops.CreateBranch("b1", "main")]
    a = [ops.CheckoutBranch("b1"), add("t1", "c00")]
    b = [ops.Begin(level), ops.TakeSnapshot(), ops.MergeBranches("b1", "main"), ops.Commit()]
    states = _states(reference, Program(prefix, [a, b], [1, 1, 0, 0, 1, 1], S, level))
    assert states[:6] == [None] * 4 + ["40001", None], states  # the merge fails; its COMMIT ends the aborted block
    assert states[6:] == [None] * len(b), states  # the retry: BEGIN, SELECT 1, merge_branches, COMMIT


@pytest.mark.parametrize("level", ["repeatable read", "serializable"])
@pytest.mark.parametrize("change", [ops.CreateBranch("b2", "main"), add("t1", "c00")], ids=["new-branch", "ddl"])
def test_update_all_hashes_after_a_change_its_snapshot_misses_fails_with_40001_and_its_retry_commits(
        reference: ParallelHarness, level: str, change: Op) -> None:
    """X11(a)/(b), H5: B's update_all_hashes, its snapshot older than A's committed create_branch (or DDL on main),
    writes every branch's rows: from the snapshot it would leave the new branch's rows unhashed (or hash t1 as the
    snapshot's catalog has it), which no serial order gives (a drawn SERIALIZABLE program found the unhashed b2
    rows as X12). The reference fails with 40001, the retry commits, and the checker allows the failure (X11(b):
    A changed rows update_all_hashes records on)."""
    a = [change]
    b = [ops.Begin(level), ops.TakeSnapshot(), ops.UpdateAllHashes(), ops.Commit()]
    states = _states(reference, Program(PREFIX, [a, b], [1, 1, 0, 1, 1], S, level))
    assert states[:5] == [None, None, None, "40001", None], states
    assert states[5:] == [None] * len(b), states  # the retry
