"""Crashing and restarting a throwaway cluster (contract X6), and the crash machine's bookkeeping."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

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
def durable() -> cluster.ThrowawayCluster:
    """A cluster of this test's own, with the crash machine's settings; stopped and removed afterwards."""
    c = cluster.ThrowawayCluster(cluster.find_binaries(), settings=cluster.DURABLE_SETTINGS).start()
    try:
        yield c  # type: ignore[misc]
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
    if os.geteuid() == 0:
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


def test_x6_closing_a_crashed_cluster_removes_it() -> None:
    """X6 harness: close() right after a crash (no restart) still removes the directory and leaves no process."""
    c = cluster.ThrowawayCluster(cluster.find_binaries(), settings=cluster.DURABLE_SETTINGS).start()
    root = c.root
    assert root is not None
    c.crash("kill")
    c.close()
    assert not root.exists()
    assert _server_processes(root) == []


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

