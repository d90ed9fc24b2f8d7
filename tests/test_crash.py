"""Crashing and restarting a throwaway cluster (contract X6), and the crash machine's bookkeeping."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pggit_model import cluster
from pggit_model.errors import ClusterStartFailed

pytestmark = pytest.mark.server


def _server_processes(root: Path) -> list[int]:
    """Live (not zombie) processes whose command line names the cluster's directory."""
    out = subprocess.run(["pgrep", "-f", str(root)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split() if cluster._is_postgres(int(p))]


@pytest.fixture
def durable() -> Iterator[cluster.ThrowawayCluster]:
    """A cluster of this test's own, with the crash machine's settings; stopped and removed afterwards."""
    c = cluster.ThrowawayCluster(cluster.find_binaries(), settings=cluster.DURABLE_SETTINGS).start()
    try:
        yield c
    finally:
        root = c.root
        c.close()
        assert root is not None and not root.exists()
        assert _server_processes(root) == []


@pytest.mark.parametrize("mode", cluster.CRASH_MODES)
def test_x6_committed_row_survives_a_crash_and_uncommitted_one_does_not(
    durable: cluster.ThrowawayCluster, mode: str
) -> None:
    """X6: after an immediate shutdown or SIGKILL and a restart, committed rows are there and uncommitted ones not."""
    info = durable.conninfo("postgres")
    with cluster.connect(info) as setup:
        setup.execute("CREATE TABLE t (x int)")
    committed = cluster.connect(info)
    committed.execute("INSERT INTO t VALUES (1)")  # autocommit: committed when it returns
    open_txn = cluster.connect(info)
    open_txn.execute("BEGIN")
    open_txn.execute("INSERT INTO t VALUES (2)")
    before = durable.server_pids()
    assert len(before) > 1  # the postmaster and its children
    durable.crash(mode)
    assert [p for p in before if cluster._is_postgres(p)] == []
    with pytest.raises(psycopg.OperationalError):
        open_txn.execute("COMMIT")  # its server is gone: the transaction never committed
    durable.restart()
    with cluster.connect(info) as after:
        assert after.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,)]
    committed.close()
    open_txn.close()


def test_x6_restart_uses_the_same_socket_and_runs_unprivileged(durable: cluster.ThrowawayCluster) -> None:
    """X6: the restarted server answers on the same private socket, as the unprivileged user when we are root."""
    sock = durable.socket_dir
    durable.crash_and_restart("kill")
    assert durable.socket_dir == sock
    with cluster.connect(durable.conninfo("postgres")) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (False,)
        if os.geteuid() == 0:  # read while the backend lives: it exits when the connection closes
            uid = int(Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split()[0])
            assert uid != 0


def test_x6_crash_leaves_no_server_process(durable: cluster.ThrowawayCluster) -> None:
    """X6 harness: after crash() no process of the old server is left (a restart needs its shared memory free)."""
    assert durable.root is not None
    durable.crash("immediate")
    assert _server_processes(durable.root) == []
    assert durable.server_pids() == []


def test_x6_crash_of_a_stopped_server_says_what_to_do(durable: cluster.ThrowawayCluster) -> None:
    """X6 harness: crashing a server that is not running, or restarting one that is, is a clear error."""
    with pytest.raises(ClusterStartFailed, match="still running"):
        durable.restart()
    durable.crash("immediate")
    with pytest.raises(ClusterStartFailed, match=r"(?s)not running.*restart"):
        durable.crash("kill")
    with pytest.raises(ValueError, match="immediate"):
        durable.crash("gently")
    durable.restart()


def test_x6_restart_that_fails_reports_the_server_log(durable: cluster.ThrowawayCluster) -> None:
    """X6 harness: a server that cannot come back after a crash raises ClusterStartFailed with its log, and leaves
    no process behind."""
    assert durable.root is not None
    durable.crash("kill")
    durable.settings["shared_buffers"] = "not-a-size"
    with pytest.raises(ClusterStartFailed, match=r"(?s)exited at restart after a crash.*shared_buffers"):
        durable.restart()
    assert _server_processes(durable.root) == []


def _shared_memory_of(c: cluster.ThrowawayCluster) -> tuple[set[str], int]:
    """The shared memory files the running postmaster has mapped, and its System V segment's id."""
    assert c.root is not None and c.process is not None
    maps = Path(f"/proc/{c.process.pid}/maps").read_text().splitlines()
    # Mapped files: the sixth field of a maps line; dynamic shared memory is /dev/shm/PostgreSQL.* (posix) or
    # <data>/pg_dynshmem/mmap.* (mmap).
    paths = {fields[5] for fields in (line.split(None, 5) for line in maps) if len(fields) == 6}
    files = {p for p in paths if "/dev/shm/PostgreSQL." in p or "/pg_dynshmem/" in p}
    shmid = int((c.root / "data" / "postmaster.pid").read_text().split("\n")[6].split()[1])
    return files, shmid


def _sysv_ids() -> set[int]:
    return {int(row.split()[1]) for row in Path("/proc/sysvipc/shm").read_text().splitlines()[1:]}


def test_x6_closing_a_crashed_cluster_removes_it() -> None:
    """X6 harness: close() right after a crash (no restart) still removes the directory, leaves no process and
    no shared memory: a SIGKILLed postmaster removes neither its dynamic segments nor its System V segment."""
    c = cluster.ThrowawayCluster(cluster.find_binaries(), settings=cluster.DURABLE_SETTINGS).start()
    root = c.root
    assert root is not None
    files, shmid = _shared_memory_of(c)
    assert files and shmid in _sysv_ids()  # what the checks below look for exists while the server runs
    c.crash("kill")
    c.close()
    assert not root.exists()
    assert _server_processes(root) == []
    assert [f for f in files if Path(f).exists()] == []
    assert shmid not in _sysv_ids()


def test_x6_closed_cluster_cannot_be_crashed() -> None:
    """X6 harness: a closed cluster refuses crash() and restart() with ClusterStartFailed."""
    c = cluster.ThrowawayCluster(cluster.find_binaries(), settings=cluster.DURABLE_SETTINGS).start()
    c.close()
    with pytest.raises(ClusterStartFailed, match="closed"):
        c.crash()
    with pytest.raises(ClusterStartFailed, match="closed"):
        c.restart()


def test_durable_settings_make_commits_synchronous(durable: cluster.ThrowawayCluster) -> None:
    """X6 harness: the crash cluster runs with synchronous_commit and full_page_writes on."""
    with cluster.connect(durable.conninfo("postgres")) as conn:
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)
        assert conn.execute("SHOW full_page_writes").fetchone() == ("on",)



# -- the crash machine's parts ----------------------------------------------------------------------------

def _states(*, txn: bool = False, aborted: bool = False, drawn: int = 0, wrote: bool = False, start: int = 0,
            ends_txn: bool = False) -> tuple[Any, Any]:
    """(before, after) model states around one op: ``drawn`` Trinity IDs taken, ``wrote`` changed the rows,
    ``ends_txn`` the transaction is over afterwards (a COMMIT)."""
    from attrs import evolve

    from pggit_model.model import initial_state
    from pggit_model.model.state import Branch, Frame, Txn

    s = initial_state(schemas=("mc_t",))
    s = evolve(s, counters=evolve(s.counters, trinity=start))
    if txn:
        s = evolve(s, txn=Txn((Frame(None, s.db, s.session),), aborted=aborted))
    db = evolve(s.db, branches=s.db.branches.set("b", Branch("b"))) if wrote else s.db
    return s, evolve(s, db=db, counters=evolve(s.counters, trinity=start + drawn), txn=None if ends_txn else s.txn)


def _ok() -> Any:
    from pggit_model.client import Completion

    return Completion("ok")


def test_x6_ledger_counts_only_committed_ids_and_durability_needs_a_writing_commit() -> None:
    """X6/T7: IDs of rolled-back transactions are not committed; read-only commits become durable with a later
    writing commit; strict mode checks every committed ID."""
    from pggit_model.client import Completion
    from pggit_model.machines.crash import TrinityLedger
    from pggit_model.model.expected import TrinityRef
    from pggit_model.ops import Begin, Commit, CreateBranch, GenerateTrinityId, Rollback

    led = TrinityLedger()
    led.after_op(GenerateTrinityId(), _ok(), *_states(drawn=1))  # autocommit, read-only: ref 0
    assert led.checked(strict=True) == [TrinityRef(0)] and led.checked(strict=False) == []
    led.after_op(Begin(), _ok(), *_states())
    led.after_op(GenerateTrinityId(), _ok(), *_states(txn=True, drawn=1, start=1))  # ref 1, then rolled back
    led.after_op(Rollback(), _ok(), *_states(txn=True, start=2))
    led.after_op(GenerateTrinityId(), Completion("error", sqlstate="XX000"), *_states(drawn=1, start=2))  # failed
    assert led.checked(strict=True) == [TrinityRef(0)]
    led.after_op(CreateBranch("b"), _ok(), *_states(wrote=True, start=3))  # a writing commit flushes the WAL
    assert led.checked(strict=False) == [TrinityRef(0)]
    led.after_op(Begin(), _ok(), *_states(start=3))
    led.after_op(GenerateTrinityId(), _ok(), *_states(txn=True, drawn=1, start=3))  # ref 3
    led.after_op(Commit(), _ok(), *_states(txn=True, wrote=True, start=4, ends_txn=True))
    assert led.checked(strict=False) == [TrinityRef(0), TrinityRef(3)]
    led.after_op(Begin(), _ok(), *_states(start=4))
    led.after_op(GenerateTrinityId(), _ok(), *_states(txn=True, drawn=1, start=4))  # ref 4: open at the crash
    led.crashed()
    assert led.checked(strict=True) == [TrinityRef(0), TrinityRef(3)]
    led.after_op(Begin(), _ok(), *_states(start=5))
    led.after_op(GenerateTrinityId(), _ok(), *_states(txn=True, drawn=1, start=5))
    led.after_op(Commit(), _ok(), *_states(txn=True, aborted=True, wrote=True, start=6))  # COMMIT of an aborted txn
    assert led.checked(strict=True) == [TrinityRef(0), TrinityRef(3)]
    # A read-only autocommit draw (ref 6) is not durable when the server crashes; a writing commit after the
    # restart comes too late: the crash may have lost the WAL record covering it, so it may come back.
    led.after_op(GenerateTrinityId(), _ok(), *_states(drawn=1, start=6))
    led.crashed()
    led.after_op(CreateBranch("c"), _ok(), *_states(wrote=True, start=7))
    assert led.checked(strict=False) == [TrinityRef(0), TrinityRef(3)]
    assert led.checked(strict=True) == [TrinityRef(0), TrinityRef(3), TrinityRef(6)]


def test_x6_ledger_checks_every_committed_id_after_a_flush() -> None:
    """T5/T7 after a crash: once the WAL was flushed before it, a read-only commit's ID is durable too."""
    from pggit_model.machines.crash import TrinityLedger
    from pggit_model.model.expected import TrinityRef
    from pggit_model.ops import GenerateTrinityId

    led = TrinityLedger()
    led.after_op(GenerateTrinityId(), _ok(), *_states(drawn=2))  # autocommit, read-only: refs 0, 1
    led.flushed()
    led.crashed()
    assert led.checked(strict=False) == [TrinityRef(0), TrinityRef(1)]
    led.after_op(GenerateTrinityId(), _ok(), *_states(drawn=1, start=2))  # after the flush: not covered
    led.crashed()
    assert led.checked(strict=False) == [TrinityRef(0), TrinityRef(1)]


def test_x6_flush_wal_keeps_an_aborted_sequence_advance_across_a_crash(durable: cluster.ThrowawayCluster) -> None:
    """What the crash machine relies on to replay an example: after flush_wal a crash keeps the WAL record of a
    rolled-back nextval, so the sequence does not hand out 1 again (without the flush that depends on the WAL
    writer's timing; right after the ROLLBACK it is lost)."""
    with cluster.connect(durable.conninfo("postgres")) as c:
        c.execute("DROP SEQUENCE IF EXISTS flush_probe")
        c.execute("CREATE SEQUENCE flush_probe")
        c.execute("CHECKPOINT")  # the next nextval writes a WAL record
        c.execute("BEGIN")
        c.execute("SELECT nextval('flush_probe')")
        c.execute("ROLLBACK")
    durable.flush_wal()
    durable.crash("immediate")
    durable.restart()
    with cluster.connect(durable.conninfo("postgres")) as c:
        after = c.execute("SELECT nextval('flush_probe')").fetchone()[0]  # type: ignore[index]
    assert after > 1


def test_x6_crash_machine_skips_on_a_server_it_does_not_own() -> None:
    """X6: with --pg-dsn there is nothing to crash; the machine skips and says how to run it."""
    import types
    import unittest

    from pggit_model.machines.crash import CrashServers

    ext = object.__new__(cluster.ExternalServer)  # no connection needed: only its type matters
    outer = types.SimpleNamespace(template=types.SimpleNamespace(server=ext))
    servers = CrashServers()
    with pytest.raises(unittest.SkipTest) as skipped:
        servers.harness_for(outer)  # type: ignore[arg-type]
    reason = str(skipped.value)
    assert "--pg-dsn" in reason and "throwaway cluster" in reason and "machines/test_crash.py" in reason
    assert servers._cluster is None  # nothing was started


def test_x6_id_returned_before_a_writing_commit_is_never_handed_out_again(durable: cluster.ThrowawayCluster) -> None:
    """X6/T5: a Trinity ID drawn before a writing commit returned is not handed out again after a crash, even when
    the transaction that drew it never committed (what the crash machine's ledger relies on)."""
    from pggit_model.isolation import Template

    template = Template(durable)
    try:
        info = durable.conninfo(template.dbname)
        with cluster.connect(info) as c:
            c.execute("CHECKPOINT")  # the next nextval writes a WAL record
        open_txn = cluster.connect(info)
        open_txn.execute("BEGIN")
        first = open_txn.execute("SELECT pggit.generate_trinity_id()").fetchone()[0]  # type: ignore[index]
        with cluster.connect(info) as c:
            returned = c.execute("SELECT pggit.generate_trinity_id()").fetchone()[0]  # type: ignore[index]
            c.execute("SELECT pggit.create_branch('x6')")  # a writing commit
        durable.crash("kill")
        open_txn.close()
        durable.restart()
        with cluster.connect(info) as c:
            after = c.execute("SELECT pggit.generate_trinity_id()").fetchone()[0]  # type: ignore[index]
        seq = [int(x.split("-")[1]) for x in (first, returned, after)]
        assert seq[2] > seq[1] > seq[0]
    finally:
        template.close()


def test_x6_crash_machine_runs_crashes_and_leaves_no_cluster(pggit_harness: Any) -> None:
    """X6: a short run of the crash machine passes on the reference, really crashes, and CRASH_SERVERS.close()
    stops and removes its cluster."""
    from hypothesis import settings

    from pggit_model.machines import CrashMachine
    from pggit_model.machines.crash import CRASH_SERVERS
    from pggit_model.session import RunStats

    stats = RunStats()
    session, pggit_harness.stats = pggit_harness.stats, stats
    try:
        # Derandomized: the draws depend on the package's source, so give the crash rule room to come up.
        pggit_harness.run(CrashMachine, settings=settings(settings.get_profile("smoke"), max_examples=12,
                                                          database=None, derandomize=True))
    finally:
        pggit_harness.stats = session
    assert stats.faults_fired > 0 and "X6" in stats.rules
    root = CRASH_SERVERS.cluster().root
    assert root is not None and root.exists()
    CRASH_SERVERS.close()
    assert not root.exists() and _server_processes(root) == []


@pytest.mark.parametrize("mode", cluster.CRASH_MODES)
def test_x6_clone_pool_keeps_cloning_across_a_crash_and_restart(durable: cluster.ThrowawayCluster, mode: str) -> None:
    """X6/I6: the crash machine's clone pool, crashed under inside ``paused()``, still gives fresh template copies
    afterwards (a copy cloned before the crash included), drops released ones, and leaves no database behind."""
    from pggit_model.isolation import ClonePool, Template

    template = Template(durable)
    pool = ClonePool(template, size=2, survives_restarts=True)
    try:
        used = pool.acquire()
        with cluster.connect(durable.conninfo(used)) as conn:
            conn.execute("CREATE TABLE public.dirty (i int)")
        with pool.paused():
            durable.crash(mode)
            durable.restart()
        pool.release(used)
        fresh = [pool.acquire(timeout=30) for _ in range(3)]  # more than the pool held before the crash
        for name in fresh:
            with cluster.connect(durable.conninfo(name)) as conn:
                assert conn.execute("SELECT to_regclass('public.dirty')").fetchone() == (None,)
                assert conn.execute("SELECT to_regclass('pggit.objects')").fetchone() == ("pggit.objects",)
            pool.release(name)
        deadline = time.monotonic() + 30
        while used in cluster.our_databases(durable) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert used not in cluster.our_databases(durable)
    finally:
        pool.close()
        template.close()
    assert cluster.our_databases(durable) == []
