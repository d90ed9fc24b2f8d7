"""The load mode (pggit_model.parallel.load, load_checks): each history check on hand-built observations (pure),
then real runs of N=4 sessions on the reference, a planted fault, and the bad inputs (issue 21 part 6)."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pggit_model import cluster, ops
from pggit_model.client import Completion
from pggit_model.divergences import Divergence
from pggit_model.isolation import Template
from pggit_model.parallel import load_checks as lc
from pggit_model.parallel.load import (
    SCHEMA,
    LoadInputError,
    UnitRun,
    check_capacity,
    check_sessions,
    draw_unit,
    expectations,
    outcome,
    returned_ids,
    run_load,
)
from pggit_model.snapshot import BranchRow, CommitRow, HistoryRow, ObjectRow

ROOT = Path(__file__).resolve().parent.parent
KEY = ("TABLE", "load", "t0", "main")
CREATE, ALTER = HistoryRow("CREATE", "MINOR", None, 1), HistoryRow("ALTER", "MINOR", 1, 2)
Server = cluster.ThrowawayCluster | cluster.ExternalServer


def commit(h: str, parent: str | None, branch: str = "main") -> CommitRow:
    return CommitRow(h, branch, parent, "m", None, None)


# -- the checks, pure ------------------------------------------------------------------------------------------

def test_ids_unique_catches_a_trinity_id_returned_twice_and_a_stored_hash_twice() -> None:
    """X10: distinct IDs and hashes pass; one returned twice, or one hash stored twice, is a DivergenceX10."""
    lc.ids_unique([("a", "s0"), ("b", "s1")], ["h1", "h2"])
    with pytest.raises(Divergence, match="returned twice") as caught:
        lc.ids_unique([("a", "s0"), ("a", "s3")], ["h1"])
    assert caught.value.rule == "X10"
    with pytest.raises(Divergence, match="stored more than once") as caught:
        lc.ids_unique([], ["h1", "h2", "h1"])
    assert caught.value.rule == "X10"


@pytest.mark.parametrize(("rows", "word"), [((CREATE,), "lost"), ((CREATE, ALTER, ALTER), "duplicated")])
def test_history_rows_counted_catches_a_lost_and_a_duplicated_row(rows: tuple[HistoryRow, ...], word: str) -> None:
    """V8: two committed changes to t0 (its CREATE and one ADD COLUMN) need exactly two history rows."""
    lc.history_rows_counted({KEY: lc.Range(2, 2)}, {KEY: (CREATE, ALTER)})
    with pytest.raises(Divergence, match=word) as caught:
        lc.history_rows_counted({KEY: lc.Range(2, 2)}, {KEY: rows})
    assert caught.value.rule == "V8"


def test_history_rows_counted_allows_a_change_in_doubt_either_way() -> None:
    """X7 in the load checks: a change whose COMMIT answer was lost may or may not have its row."""
    doubt = lc.Range(1, 1).add(None)
    lc.history_rows_counted({KEY: doubt}, {KEY: (CREATE,)})
    lc.history_rows_counted({KEY: doubt}, {KEY: (CREATE, ALTER)})
    assert doubt == lc.Range(1, 2) and lc.Range(1, 1).add(False) == lc.Range(1, 1)


@pytest.mark.parametrize("rows", [
    (CREATE, HistoryRow("ALTER", "MINOR", 2, 3)),  # a gap: version 2 skipped
    (CREATE, ALTER, ALTER),                         # 1 → 2 twice: not increasing
    (HistoryRow("ALTER", "MINOR", None, 1),),       # an ALTER before any CREATE
    (CREATE, ALTER, HistoryRow("ALTER", "MINOR", 2, 2)),  # not up
    (CREATE, HistoryRow("CREATE", "MINOR", 2, 1)),  # a new life going down
])
def test_versions_increase_catches_rows_out_of_step(rows: tuple[HistoryRow, ...]) -> None:
    """V7: per object, in id order, each row continues the last and goes up; a row lost (a gap), doubled (a
    repeat), before any CREATE or going down is a DivergenceV7."""
    lc.versions_increase({KEY: (CREATE, ALTER, HistoryRow("ALTER", "MAJOR", 2, 3))}, {KEY: ObjectRow(3, 2, 0, 0, True)})
    with pytest.raises(Divergence, match="do not increase") as caught:
        lc.versions_increase({KEY: rows}, {})
    assert caught.value.rule == "V7"


def test_versions_increase_catches_an_object_behind_its_history() -> None:
    """V7: the object row's version must be where its history ends."""
    with pytest.raises(Divergence, match="history ends at 2") as caught:
        lc.versions_increase({KEY: (CREATE, ALTER)}, {KEY: ObjectRow(1, 1, 0, 0, True)})
    assert caught.value.rule == "V7"


def test_versions_increase_follows_a_drop_and_a_new_life() -> None:
    """V7/V14: a DROP keeps the version, a later CREATE starts a new life: in step; so is pgGit's start at 2
    (a sequential V7 finding, left to the sequential machines)."""
    rows = (CREATE, ALTER, HistoryRow("DROP", "MAJOR", 2, None), CREATE)
    lc.versions_increase({KEY: rows}, {KEY: ObjectRow(1, 1, 0, 0, True)})
    lc.versions_increase({KEY: (HistoryRow("CREATE", "MINOR", 1, 2), HistoryRow("ALTER", "MINOR", 2, 3))}, {})


MAIN = {"main": BranchRow("ACTIVE", None, "c3")}
CHAIN = (commit("c1", None), commit("c2", "c1"), commit("c3", "c2"))


def test_chains_pass_a_chain_and_catch_a_fork() -> None:
    """X8: concurrent commits on one branch form a chain; two commits on the same parent are a fork: DivergenceX8."""
    lc.chains(CHAIN, MAIN, {"main": lc.Range(2, 2)}, {"main": 1})
    forked = (commit("c1", None), commit("c2", "c1"), commit("c3", "c1"))
    with pytest.raises(Divergence, match="forked") as caught:
        lc.chains(forked, MAIN, {}, {})
    assert caught.value.rule == "X8"


def test_chains_catch_a_commit_off_the_chain_and_a_lost_commit() -> None:
    """C8e/X8: a commit of main not reachable from its head, or fewer new commits than the sessions committed."""
    stray = (*CHAIN, commit("c9", "c0"))  # a commit whose parent is none of the chain
    with pytest.raises(Divergence, match="not on the chain") as caught:
        lc.chains(stray, MAIN, {}, {})
    assert caught.value.rule == "C8"
    with pytest.raises(Divergence, match="commits lost") as caught:
        lc.chains(CHAIN, MAIN, {"main": lc.Range(3, 3)}, {"main": 1})
    assert caught.value.rule == "X8"
    with pytest.raises(Divergence, match="commits duplicated"):
        lc.chains(CHAIN, MAIN, {"main": lc.Range(1, 1)}, {"main": 1})


def test_branches_created_catches_two_winners_and_a_branch_nobody_created() -> None:
    """X8: of create_branch calls of one name at most one commits, and the name exists iff one did."""
    lc.branches_created({"lb1": lc.Range(1, 1), "lb2": lc.Range()}, {"main": 0, "lb1": 0})
    with pytest.raises(Divergence, match="committed 2 times"):
        lc.branches_created({"lb1": lc.Range(2, 2)}, {"lb1": 0})
    with pytest.raises(Divergence, match="exists") as caught:
        lc.branches_created({"lb2": lc.Range()}, {"lb2": 0})
    assert caught.value.rule == "X8"
    with pytest.raises(Divergence, match="does not exist"):
        lc.branches_created({"lb1": lc.Range(1, 1)}, {})


# -- classifying what the sessions saw --------------------------------------------------------------------------

OK, ERR, LOST = Completion("ok", 1), Completion("error", sqlstate="23505"), Completion("unknown")


def test_outcome_classifies_units() -> None:
    """A unit stands only if every statement answered ok and it ends not in ROLLBACK; a lost answer leaves it in
    doubt (X7); a failed statement (the COMMIT then rolls back) leaves nothing."""
    block = [ops.Begin(), ops.GenerateTrinityId(), ops.Commit()]
    assert outcome(block, [OK, OK, OK]) is True
    assert outcome([*block[:2], ops.Rollback()], [OK, OK, OK]) is False
    assert outcome(block, [OK, ERR, OK]) is False
    assert outcome(block, [OK, OK, LOST]) is None
    assert outcome(block, [OK, LOST]) is None


def test_expectations_count_what_committed() -> None:
    """What pgGit must hold follows from the outcomes: committed changes count, rolled back ones do not."""
    add = ops.AlterTable(SCHEMA, "t0", (ops.AddColumn(ops.Column("c", "integer")),))
    units = [UnitRun(0, (add,), (OK,), True), UnitRun(1, (add,), (ERR,), False),
             UnitRun(1, (ops.CreateCommit("main", "m", None),), (LOST,), None),
             UnitRun(0, (ops.CreateBranch("lb3", "main"),), (OK,), True),
             UnitRun(0, (ops.CommitChanges("main", "x"),), (Completion("ok", "tid-1"),), True)]
    rows, commits, names = expectations(units)
    assert rows[KEY] == lc.Range(2, 2) and commits["main"] == lc.Range(1, 2) and names["lb3"] == lc.Range(1, 1)
    assert returned_ids(units) == [("tid-1", "session 0 unit 4")]


def test_drawn_units_are_well_formed() -> None:
    """Every drawn unit is one statement or a BEGIN … COMMIT|ROLLBACK block of 1–3, with names unique per draw."""
    rng = random.Random(7)
    for serial in range(300):
        u = draw_unit(rng, 3, serial)
        assert len(u) == 1 or (u[0].kind == "begin" and u[-1].kind in ("commit", "rollback") and 3 <= len(u) <= 5)


@pytest.mark.parametrize("n", [1, 101, 0, -3, "4", True, 2.5])
def test_sessions_outside_2_to_100_are_refused(n: object) -> None:
    """Bad input: N outside 2–100 (or not a whole number) is one clear error naming the range."""
    with pytest.raises(LoadInputError, match="from 2 to 100"):
        check_sessions(n)
    assert check_sessions(2) == 2 and check_sessions(100) == 100


@pytest.mark.parametrize("n", ["1", "101"])
def test_cli_refuses_bad_n_before_anything_runs(n: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`pggit-model load --sessions N` with N outside 2–100: exit 2 and one line, no server started."""
    from pggit_model.cli import main

    assert main(["load", "--sessions", n, "--seconds", "1", "--pg-bindir", "/nonexistent"]) == 2
    err = capsys.readouterr().err
    assert "from 2 to 100" in err and len(err.strip().splitlines()) == 1


# -- on a real server -------------------------------------------------------------------------------------------

@pytest.fixture
def load_db(pggit_template: Template) -> Iterator[str]:
    name = pggit_template.clone("load")
    try:
        yield pggit_template.server.conninfo(name)
    finally:
        cluster.drop_database(pggit_template.server, name)


@pytest.mark.server
def test_four_sessions_for_two_seconds_are_green_on_the_reference(load_db: str) -> None:
    """Four sessions for two seconds on the reference, some COMMITs losing their connection (X7): every check
    passes with those units in doubt, many units commit, some conflict."""
    report = run_load(load_db, 4, 2.0, seed=1, strike=10)
    assert len(report.checks) == 5
    assert any(u.committed is None for u in report.units), "one COMMIT in ten lost its connection (X7): in doubt"
    assert report.statements > 100 and sum(u.committed is True for u in report.units) > 50
    assert any(u.committed is False for u in report.units), "contested branch names make some units fail"
    assert "statements" in report.summary()


@pytest.mark.server
def test_too_small_max_connections_is_one_error_before_anything_runs(load_db: str) -> None:
    """Bad input: N sessions the server has no room for (here 100 on max_connections = 100) is refused before the
    load's schema is made."""
    with pytest.raises(LoadInputError, match="max_connections = 100"):
        check_capacity(load_db, 100)
    with pytest.raises(LoadInputError, match="Raise max_connections"):
        run_load(load_db, 100, 1.0)
    with cluster.connect(load_db) as conn:
        assert conn.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", (SCHEMA,)).fetchone() == (0,)


@pytest.mark.server
def test_a_planted_fork_is_caught_under_load(pggit_server: Server, tmp_path: Path) -> None:
    """Planted fault: commits that read the branch head without locking it fork under four sessions, and the load
    checks catch it (X8 chains), where the same run on the reference is green."""
    from pggit_model.parallel.mutants import PARALLEL_MUTANTS

    mutant = next(m for m in PARALLEL_MUTANTS if m.name == "commit-branch-unlocked")
    template = Template(pggit_server, mutant.apply(tmp_path / "mutant"))
    name = template.clone("load")
    try:
        with pytest.raises(Divergence) as caught:
            run_load(pggit_server.conninfo(name), 4, 3.0, seed=1)
    finally:
        cluster.drop_database(pggit_server, name)
        template.close()
    assert caught.value.rule == "X8" and "forked" in caught.value.message, str(caught.value)


@pytest.mark.server
def test_the_pytest_option_runs_the_load_machine() -> None:
    """`--pggit-sessions 4` runs machines/test_load.py green for two seconds; without the option it is skipped."""
    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pytest", "machines/test_load.py", "-q", "-rs", "-p",
                               "no:cacheprovider", *extra], cwd=ROOT, capture_output=True, text=True, timeout=300)

    ran = run("--pggit-sessions", "4", "--pggit-load-seconds", "2")
    assert ran.returncode == 0 and "1 passed" in ran.stdout, ran.stdout + ran.stderr
    skipped = run()
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout and "--pggit-sessions" in skipped.stdout
    bad = run("--pggit-sessions", "101")
    assert bad.returncode == 4 and "from 2 to 100" in bad.stderr, bad.stdout + bad.stderr


def test_chains_leave_a_commitless_branch_head_to_the_sequential_machines() -> None:
    """A branch with no commits of its own is not walked (its head is B4/C8d's, e.g. pgGit's finding #5), but a
    branch that lost every commit the sessions made on it is still caught (X8)."""
    lc.chains(CHAIN, {**MAIN, "lb0": BranchRow("ACTIVE", "main", "elsewhere")}, {}, {})
    with pytest.raises(Divergence, match="commits lost"):
        lc.chains((), {"main": BranchRow("ACTIVE", None, None)}, {"main": lc.Range(1, 1)}, {})


def test_chains_name_a_head_that_never_moves_as_c2_not_a_fork() -> None:
    """Commits whose branch head stays NULL all have a NULL parent: that is C2 (sequential), said as such rather
    than as a concurrent fork."""
    roots = (commit("c1", None), commit("c2", None))
    with pytest.raises(Divergence, match="no head") as caught:
        lc.chains(roots, {"main": BranchRow("ACTIVE", None, None)}, {}, {})
    assert caught.value.rule == "C2"
