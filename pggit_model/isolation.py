"""A clean pgGit state for every Hypothesis example.

* ``Template``: one database per session with the backend installed; everything else is cloned from it.
* ``RollbackIsolation``: one database, one transaction per example, rolled back at the end; the example's
  own BEGIN/COMMIT/ROLLBACK become savepoints (``NestedTransactions``). Cheapest reset (< 1 ms).
* ``ClonePool``: for machines that must really COMMIT (faults, several sessions): databases pre-cloned
  from the template by a background thread; used ones are dropped in the background.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import psycopg.sql

from . import backend
from .cluster import Server, connect, create_database, drop_database, new_dbname
from .errors import PggitModelError
from .install import InstallReport, install


class Template:
    """The session's template database: created once, the backend installed into it."""

    def __init__(self, server: Server, source: str | Path | None = None, psql: str | None = None) -> None:
        self.server = server
        self.dbname = new_dbname("tpl")
        create_database(server, self.dbname)
        try:
            self.report: InstallReport = install(
                server.conninfo(self.dbname), source, psql=psql or server.psql, env=getattr(server, "psql_env", dict)()
            )
        except BaseException:
            self.close()
            raise

    def clone(self, tag: str = "db") -> str:
        name = new_dbname(tag)
        create_database(self.server, name, template=self.dbname)
        return name

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            drop_database(self.server, self.dbname)


class NestedTransactions:
    """Maps an example's transaction statements onto savepoints inside the example's outer transaction.

    BEGIN opens a savepoint, COMMIT releases it, ROLLBACK rolls back to it and releases it; user
    savepoints pass through. So "rollback restores exactly" (X1) holds inside the outer transaction too.
    """

    NAME = "pggit_model_tx"

    def __init__(self) -> None:
        self.depth = 0

    def begin(self) -> str:
        self.depth += 1
        return f"SAVEPOINT {self.NAME}"

    def commit(self) -> str:
        if self.depth == 0:
            return ""  # COMMIT outside a transaction: PostgreSQL only warns
        self.depth -= 1
        return f"RELEASE SAVEPOINT {self.NAME}"

    def rollback(self) -> str:
        if self.depth == 0:
            return ""
        self.depth -= 1
        return f"ROLLBACK TO SAVEPOINT {self.NAME}; RELEASE SAVEPOINT {self.NAME}"


class RollbackIsolation:
    """One database and one connection; every example runs in one transaction that is rolled back."""

    def __init__(self, template: Template) -> None:
        self.template = template
        self.dbname = template.clone("rb")
        self.conn = connect(template.server.conninfo(self.dbname), autocommit=False)
        self.resets = 0
        # ROLLBACK does not reset sequences: put pgGit's back where a fresh install has them, so that every
        # example sees ids a fresh install would give (a bug that only the first call shows stays visible).
        rows = backend.sequence_positions(self.conn)
        self.conn.rollback()
        self._restore_sequences = (
            "SELECT " + ", ".join(f"setval({psycopg.sql.Literal(n).as_string(None)}, {v}, {c})" for n, v, c in rows)
            if rows else ""
        ).encode()

    @contextlib.contextmanager
    def example(self) -> Iterator[psycopg.Connection]:
        """A connection inside a fresh transaction; everything it did is undone afterwards."""
        try:
            yield self.conn
        finally:
            self.reset()

    def reset(self) -> None:
        if self.conn.closed or self.conn.broken:
            # The example killed its session (a fault rule): reconnect, the rollback happened server-side.
            self.conn = connect(self.template.server.conninfo(self.dbname), autocommit=False)
        else:
            self.conn.rollback()
        if self._restore_sequences:
            self.conn.execute(self._restore_sequences)  # setval is not transactional: it survives the rollback
            self.conn.rollback()  # so that the next example's transaction starts with its first statement (T2)
        self.resets += 1

    def close(self) -> None:
        self.conn.close()
        with contextlib.suppress(psycopg.Error):
            drop_database(self.template.server, self.dbname)


class ClonePool:
    """Databases cloned from the template ahead of time, so taking one costs a queue pop.

    ``survives_restarts``: the server may be crashed and restarted under the pool (the crash machine, X6). The
    crash is made inside ``paused()``, which waits for a clone or drop in flight and holds the thread off until the
    server is back; a connection lost meanwhile is retried instead of ending the pool. Databases cloned before the
    crash were committed, so they are still there after it."""

    def __init__(self, template: Template, size: int = 3, *, survives_restarts: bool = False) -> None:
        self.template = template
        self.size = size
        self.survives_restarts = survives_restarts
        self._ready: queue.Queue[str] = queue.Queue()
        self._dirty: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._outstanding: set[str] = set()
        self._lock = threading.Lock()
        self._busy = threading.Lock()  # held while the thread creates or drops a database (paused() takes it)
        self._thread = threading.Thread(target=self._work, name="pggit-model-clone-pool", daemon=True)
        self._thread.start()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """No clone or drop runs inside this block (one in flight is waited for): crash the server here."""
        with self._busy:
            yield

    def _work(self) -> None:
        server = self.template.server
        admin: psycopg.Connection | None = None
        try:
            while not self._stop.is_set():
                try:
                    if admin is None or admin.closed or admin.broken:
                        with self._busy:
                            admin = connect(server.conninfo("postgres"))
                    self._step(admin)
                except psycopg.OperationalError:
                    if not self.survives_restarts or self._stop.is_set() or getattr(server, "closed", False):
                        raise
                    if admin is not None:
                        with contextlib.suppress(Exception):
                            admin.close()
                    admin = None
                    time.sleep(0.05)  # the server is down (crashed, restarting): try again
        except BaseException as e:  # surfaced to the caller of acquire()
            self._error = e
        finally:
            if admin is not None:
                with contextlib.suppress(Exception):
                    admin.close()

    def _step(self, admin: psycopg.Connection) -> None:
        """Drop what was released (frees space and sessions), then top the pool up, or wait for a release."""
        server = self.template.server
        with self._busy:
            with contextlib.suppress(queue.Empty):
                while True:
                    name = self._dirty.get_nowait()
                    if name is not None:
                        self._drop(admin, name)
            if self._ready.qsize() < self.size:
                name = new_dbname("cl")
                try:
                    create_database(server, name, template=self.template.dbname)
                except psycopg.OperationalError:
                    self._dirty.put(name)  # it may exist half-made: dropped once the server answers again
                    raise
                self._ready.put(name)
                return
        with contextlib.suppress(queue.Empty):
            name = self._dirty.get(timeout=0.2)
            if name is not None:
                with self._busy:
                    self._drop(admin, name)

    def _drop(self, admin: psycopg.Connection, name: str) -> None:
        try:
            drop_database(self.template.server, name, conn=admin)
        except psycopg.OperationalError:
            self._dirty.put(name)  # dropped once the server answers again
            raise

    def acquire(self, timeout: float = 60) -> str:
        """A fresh database cloned from the template (blocks only if the pool is empty)."""
        deadline = time.monotonic() + timeout
        while True:
            if self._error is not None:
                raise PggitModelError(f"the clone pool's background thread failed: {self._error}") from self._error
            try:
                name = self._ready.get(timeout=0.1)
            except queue.Empty:
                if time.monotonic() > deadline:
                    raise PggitModelError(f"no cloned database became ready within {timeout:.0f} s") from None
                continue
            with self._lock:
                self._outstanding.add(name)
            return name

    def release(self, name: str) -> None:
        """Hand a used database back: its sessions are terminated and it is dropped in the background."""
        with self._lock:
            self._outstanding.discard(name)
        self._dirty.put(name)

    @contextlib.contextmanager
    def example(self) -> Iterator[str]:
        name = self.acquire()
        try:
            yield name
        finally:
            self.release(name)

    def close(self) -> None:
        self._stop.set()
        self._dirty.put(None)
        self._thread.join(timeout=60)
        leftovers: list[str] = []
        with contextlib.suppress(queue.Empty):
            while True:
                leftovers.append(self._ready.get_nowait())
        with contextlib.suppress(queue.Empty):
            while True:
                n = self._dirty.get_nowait()
                if n is not None:
                    leftovers.append(n)
        with self._lock:
            leftovers += list(self._outstanding)
            self._outstanding.clear()
        for name in leftovers:
            with contextlib.suppress(psycopg.Error):
                drop_database(self.template.server, name)
