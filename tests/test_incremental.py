"""Observing changes only (issue 19 part 3: pggit_model.incremental, Client.observe_changes, Driver.finish): a step
sees the rows with a newer history row; what that cannot see, the full comparison (every few steps, after non-DDL
ops, at each example's end) still catches, with the same divergence a full check of every step reports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from hypothesis import Phase, settings

from pggit_model import cluster, machines
from pggit_model.client import Client
from pggit_model.divergences import Divergence, one_failure
from pggit_model.driver import Driver
from pggit_model.isolation import RollbackIsolation, Template
from pggit_model.machine import Harness, _divergences
from pggit_model.mutants import by_name
from pggit_model.ops import AddColumn, AlterTable, Begin, Column, CreateTable, Rollback
from pggit_model.session import RunStats

pytestmark = pytest.mark.server
S = "mc_incr"


def _table(name: str) -> CreateTable:
    return CreateTable(schema=S, name=name, columns=[Column("id", "int")])


def _add(name: str, column: str) -> AlterTable:
    return AlterTable(schema=S, name=name, actions=[AddColumn(Column(column, "int"))])


@pytest.fixture
def conn(pggit_rollback: RollbackIsolation) -> Iterator[psycopg.Connection]:
    """A connection inside the isolation's outer transaction, with the machines' schema, as a machine has it."""
    with pggit_rollback.example() as c:
        c.execute(f"CREATE SCHEMA {S}")
        yield c


def _driver(conn: psycopg.Connection, full_every: int) -> Driver:
    """A Driver that observes changes only from the first step (no size threshold), or (1) the whole state."""
    return Driver(Client(conn, S, nested=True), S, stats=RunStats(), full_every=full_every, changes_above=0)


def _step(d: Driver, op: object) -> None:
    d.run(op)  # type: ignore[arg-type]
    d.check_state()


def test_a_changes_snapshot_holds_only_the_rows_the_step_changed(conn: psycopg.Connection) -> None:
    """O1/O2 from changes: after ADD COLUMN on t2 of three tables, the snapshot names t2 and its new column (with
    their whole history), not t1 or t3; after a ROLLBACK the client refuses to answer from its now stale watermark
    (None), and the full observation shows the rows as they were."""
    client = Client(conn, S, nested=True)
    for t in ("t1", "t2", "t3"):
        assert client.apply(_table(t)).ok
    assert len(client.observe().objects) == 6
    assert client.apply(Begin()).ok
    assert client.apply(_add("t2", "c"), observe=True, changes=True).ok
    snap = client.last_snapshot
    assert snap is not None and snap.changed == {("TABLE", S, "t2", "main"), ("COLUMN", S, "t2.c", "main")}
    assert set(snap.objects) == snap.changed and snap.objects[("TABLE", S, "t2", "main")].version == 2
    assert [h.change_type for h in snap.history[("TABLE", S, "t2", "main")]] == ["CREATE", "ALTER"]
    assert client.apply(Rollback()).ok
    assert client.observe_changes() is None  # the newest cached history row is gone: only a full look can tell
    full = client.observe()
    assert full.changed is None and full.objects[("TABLE", S, "t2", "main")].version == 1
    assert ("COLUMN", S, "t2.c", "main") not in full.objects


def _silent_bump(conn: psycopg.Connection, name: str) -> None:
    """The planted fault: pgGit bumps a row's version without a history row (a change the watermark cannot see)."""
    conn.execute("UPDATE pggit.objects SET version = version + 1, version_patch = version_patch + 1 "
                 "WHERE schema_name = %s AND object_name = %s AND object_type = 'TABLE'", (S, name))


def _lost_history(conn: psycopg.Connection, name: str) -> None:
    """The planted fault: a history row of an old change disappears (below the watermark, V8)."""
    conn.execute("DELETE FROM pggit.history WHERE object_id = (SELECT id FROM pggit.objects WHERE schema_name = %s "
                 "AND object_name = %s AND object_type = 'TABLE')", (S, name))


@pytest.mark.parametrize("plant", [_silent_bump, _lost_history], ids=["silent-bump", "lost-history"])
def test_a_fault_the_changes_cannot_see_is_caught_by_the_full_comparison(conn: psycopg.Connection,
                                                                         plant: object) -> None:
    """A fault on t1 while later steps touch other tables: comparing the whole state every step catches it at
    the next step; observing changes only does not see it there, but the full comparison at the example's end
    (Driver.finish) does, with the same rule."""
    rules = {}
    for mode, full_every in (("full", 1), ("changes", 10)):
        with conn.transaction(force_rollback=True):  # each mode from the same clean start
            d = _driver(conn, full_every)
            _step(d, _table("t1"))
            _step(d, _table("t2"))
            plant(conn, "t1")  # type: ignore[operator]
            try:
                _step(d, _table("t3"))
                _step(d, _add("t2", "c"))
                assert mode == "changes", "a full check of every step missed the planted fault"
                assert d._since_full == 4  # every check saw changes only, and agreed
                d.finish()
            except Divergence as e:
                rules[mode] = (e.rule, e.step)
    assert rules["full"][0] == rules["changes"][0], rules
    assert rules["full"][1] == 3 and rules["changes"][1] == 4, rules  # found one step later, at the end


def test_the_full_comparison_comes_every_k_checks(conn: psycopg.Connection) -> None:
    """With full_every=3, the third check after a full one is full again: the planted fault is reported there,
    not only at the end."""
    d = _driver(conn, 3)
    _step(d, _table("t1"))  # full: the first check (since_full 0 -> changes), then …
    _step(d, _table("t2"))
    _silent_bump(conn, "t1")
    with pytest.raises(Divergence):
        for i in range(3, 8):
            _step(d, _table(f"t{i}"))
    assert d._since_full < 3 and len(d.ops) <= 5


def test_rollback_and_other_ops_are_checked_in_full(conn: psycopg.Connection) -> None:
    """After a ROLLBACK (which removes history rows: a stale watermark would keep the undone change) the check is
    full and agrees with the model; DDL inside the transaction was checked from changes."""
    d = _driver(conn, 10)
    _step(d, _table("t1"))
    _step(d, Begin())
    assert d._since_full == 0  # a transaction op: compared whole
    _step(d, _add("t1", "c"))
    assert d._since_full == 1
    _step(d, Rollback())
    assert d._since_full == 0 and d.client.observe().objects[("TABLE", S, "t1", "main")].version == 1


def _catch(machine: type, server: cluster.ThrowawayCluster | cluster.ExternalServer, tmp_path: Path,
           mutant: str) -> BaseException | None:
    source = by_name(mutant).apply(tmp_path / "mutant")
    template = Template(server, source)
    smoke = settings(settings.get_profile("smoke"), database=None, print_blob=False,
                     phases=(Phase.explicit, Phase.generate))  # the catch is the claim, not the shrunk example
    try:
        for seed in (0, 1, 2):
            seeded = type(machine.__name__, (machine,), {"_hypothesis_internal_use_seed": seed})
            harness = Harness(template, tmp_path / f"results-{seed}", stats=RunStats())
            try:
                with one_failure():
                    harness.run(seeded, settings=smoke)
            except (Divergence, ExceptionGroup) as e:
                return e
            finally:
                harness.close()
    finally:
        template.close()
    return None


@pytest.mark.parametrize("mutant", ["alter-history-missing", "not-null-column-minor"])
def test_planted_faults_are_caught_when_the_machine_observes_changes_only(
        mutant: str, pggit_server: cluster.ThrowawayCluster | cluster.ExternalServer, tmp_path: Path) -> None:
    """V8/V10e: the machine observing changes only from its first step (a full comparison every 5 checks and at
    the end) still catches a wrong version bump (visible in the changes) and an ALTER without a history row (not
    visible there: caught by the full comparison)."""
    machine = getattr(machines, by_name(mutant).machine)
    changes_only = type(f"{machine.__name__}", (machine,), {"CHANGES_ABOVE": 0, "FULL_EVERY": 5})
    caught = _catch(changes_only, pggit_server, tmp_path, mutant)
    assert caught is not None, f"{mutant}: not caught while observing changes only"
    found = _divergences(caught)
    assert found and {d.rule for d in found} & {by_name(mutant).rule, "V7", "V8", "V10"}, found
