"""Re-install and upgrade (contract U1, U2): the --pggit-upgrade-from check, the reinstall helper and the drift
ops on a real server (the reference's event triggers found in the catalog, silenced and restored)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pggit_model import backend
from pggit_model.client import Client
from pggit_model.driver import Driver
from pggit_model.errors import NotAPggitCheckout
from pggit_model.install import REFERENCE_SOURCE
from pggit_model.isolation import Template
from pggit_model.ops import AddColumn, AlterTable, Column, CreateTable, Untracked
from pggit_model.session import RunStats
from pggit_model.upgrade import check_upgrade, reinstall


def test_upgrade_from_must_be_a_checkout(tmp_path: Path) -> None:
    """--pggit-upgrade-from naming a directory without sql/install.sql is refused, naming the option."""
    with pytest.raises(NotAPggitCheckout, match="--pggit-upgrade-from"):
        check_upgrade(tmp_path, None)


def test_upgrade_from_the_same_checkout_is_u1() -> None:
    """The same checkout as the backend under test is allowed, and said to be a re-install (U1), not U2."""
    note = check_upgrade(REFERENCE_SOURCE, None)
    assert note is not None and "U1" in note
    assert check_upgrade(REFERENCE_SOURCE, "/tmp/pggit-v0.2.1") is None


def test_cli_run_refuses_a_bad_upgrade_dir_with_exit_2(tmp_path: Path) -> None:
    """`pggit-model run --pggit-upgrade-from DIR` with DIR not a checkout: one line on stderr and exit 2."""
    proc = subprocess.run([sys.executable, "-m", "pggit_model", "run", "--pggit-upgrade-from", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "--pggit-upgrade-from" in lines[0] and "Traceback" not in proc.stderr


@pytest.fixture
def example(pggit_template: Template, pggit_dbname: str):  # type: ignore[no-untyped-def]
    """A Driver on a fresh autocommit database of the reference, in schema mc_u."""
    from pggit_model.cluster import connect
    conn = connect(pggit_template.server.conninfo(pggit_dbname))
    conn.execute("CREATE SCHEMA mc_u")
    yield Driver(Client(conn, "mc_u"), "mc_u", stats=RunStats()), pggit_template.server.conninfo(pggit_dbname)
    conn.close()


@pytest.mark.server
@pytest.mark.parametrize("how", ["replica", "disable"])
def test_untracked_ddl_records_nothing_and_restores_the_triggers(example, how: str) -> None:  # type: ignore[no-untyped-def]
    """U3: DDL under either way of silencing pgGit's triggers records nothing (the model's check passes with
    the catalog changed and pgGit's rows not), and the triggers are as they were afterwards."""
    driver, _ = example
    conn = driver.client.conn
    before = backend.event_triggers(conn)
    assert before and backend.replica_silences(before)  # the reference's triggers, found by their functions
    driver.run(CreateTable("mc_u", "t", [Column("a", "integer")]))
    driver.check_state()
    op = Untracked(AlterTable("mc_u", "t", (AddColumn(Column("b", "text")),)), how, backend.firing(before))
    done = driver.run(op)
    assert done is not None and done.ok
    driver.check_state()  # objects/history as before the drift (U3)
    assert backend.event_triggers(conn) == before
    assert conn.execute("SELECT current_setting('session_replication_role')").fetchone() == ("origin",)
    rows = conn.execute("SELECT count(*) FROM pggit.objects WHERE object_name = 't.b'").fetchone()
    assert rows == (0,)


@pytest.mark.server
def test_reinstall_over_itself_keeps_rows(example) -> None:  # type: ignore[no-untyped-def]
    """U1: the reference's install.sql run again keeps every row (the state check after it passes) and counts
    its errors (I3) instead of failing; the next DDL is tracked."""
    driver, conninfo = example
    driver.run(CreateTable("mc_u", "t", [Column("a", "integer")]))
    driver.check_state()
    report = reinstall(driver, conninfo, None)
    assert report.error_count > 0  # CREATE TYPE/TABLE/FUNCTION … already exist: printed, counted, not fatal
    driver.check_state()
    driver.run(AlterTable("mc_u", "t", (AddColumn(Column("b", "text")),)))
    driver.check_state()
    assert driver.ops[1].kind == "reinstall"


def test_upgrade_mode_wraps_every_machine_but_crash() -> None:
    """U2: under --pggit-upgrade-from a machine keeps its name and rules, gains the reinstall rule and runs on
    clone isolation (psql sees only committed work); the crash machine, with its own cluster, is skipped."""
    import unittest

    from pggit_model.machines import CrashMachine, ReinstallMachine, VersioningMachine
    from pggit_model.machines.reinstall import ReinstallRules, upgrading

    wrapped = upgrading(VersioningMachine)
    assert wrapped.__name__ == "VersioningMachine" and wrapped.isolation == "clone"
    assert issubclass(wrapped, ReinstallRules) and wrapped.RULES == VersioningMachine.RULES
    assert callable(getattr(wrapped, "reinstall", None)) and callable(getattr(wrapped, "ddl", None))
    assert upgrading(ReinstallMachine) is ReinstallMachine
    with pytest.raises(unittest.SkipTest, match="crash"):
        upgrading(CrashMachine)
