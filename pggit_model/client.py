"""The database side of the loop: run an Op, classify its outcome, and observe pgGit's whole state.

``Client.apply(op) -> Completion`` (ok with a value | error with a SQLSTATE | unknown when the connection
died before an answer) and ``Client.observe() -> Snapshot`` in one round trip (the Snapshot, and how an
observation becomes one, are in ``snapshot.py``).

Two modes. ``nested=False``: an autocommit connection; BEGIN/COMMIT/ROLLBACK are real. ``nested=True``:
the connection sits inside the isolation's outer transaction (``RollbackIsolation``); the example's own
transactions become savepoints, and each top-level statement runs in a savepoint of its own so that an
error undoes only that statement, as autocommit would.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal

import attrs
import psycopg
from psycopg import pq

from . import backend
from .isolation import NestedTransactions
from .ops.base import Op
from .snapshot import Observer, Snapshot


@attrs.frozen
class Completion:
    """What one statement did: ok (with its value), error (with its SQLSTATE) or unknown (connection lost)."""

    status: Literal["ok", "error", "unknown"]
    value: Any = None
    sqlstate: str | None = None
    message: str | None = None
    #: wall-clock (UTC epoch seconds) just before sending and just after the answer (T2 bounds)
    sent_at: float = 0.0
    answered_at: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def __str__(self) -> str:
        if self.status == "ok":
            return f"ok {self.value!r}"
        if self.status == "error":
            return f"error {self.sqlstate} ({self.message})"
        return f"unknown ({self.message})"


_TXN_KINDS = {"begin", "commit", "rollback"}
_SAVEPOINT_KINDS = {"savepoint", "rollback_to_savepoint", "release_savepoint"}


class Client:
    """Runs Ops on one connection and observes pgGit's state for one schema (and the extra schemas ``also``: its
    ``scope``, what the Driver compares with the model)."""

    def __init__(self, conn: psycopg.Connection, schema: str, *, nested: bool = False,
                 probe: backend.Probe | None = None, also: Sequence[str] = ()) -> None:
        # psycopg's automatic prepared statements answer any DROP, ALTER or ROLLBACK with DEALLOCATE ALL,
        # which also removes the observation we PREPARE ourselves: 26000 on the next step.
        conn.prepare_threshold = None
        self.conn = conn
        self.schema = schema
        self.nested = nested
        self.txns = NestedTransactions()
        self._observer = Observer(conn, schema, probe, also)
        self.scope: tuple[str, ...] = self._observer.schemas
        self.last_snapshot: Snapshot | None = None  # observed in the same round trip as the last op
        self.statements = 0

    # -- apply -------------------------------------------------------------------------------
    @property
    def in_error(self) -> bool:
        """The open transaction is aborted: only ROLLBACK (TO SAVEPOINT) works until then (O9)."""
        return self.conn.info.transaction_status == pq.TransactionStatus.INERROR

    @property
    def in_transaction(self) -> bool:
        """The example has an explicit transaction open (real, or a savepoint when nested)."""
        if self.nested:
            return self.txns.depth > 0
        return self.conn.info.transaction_status != pq.TransactionStatus.IDLE

    def _statements(self, op: Op) -> list[str]:
        """The SQL to send for ``op``: itself, or under rollback isolation its savepoint stand-ins."""
        if not self.nested or op.kind not in _TXN_KINDS:
            return [op.to_sql()]
        if op.kind == "begin":
            text = self.txns.begin() if self.txns.depth == 0 else op.to_sql()
        elif op.kind == "commit" and self.in_error and self.txns.depth:
            # COMMIT of an aborted transaction is a ROLLBACK in PostgreSQL: mirror that.
            text = self.txns.rollback()
        else:
            text = getattr(self.txns, op.kind)()
        return [t for t in text.split("; ") if t]

    def apply(self, op: Op, *, observe: bool = False, text: str | None = None, changes: bool = False) -> Completion:
        """Run one op; never raises for a database error (that is an outcome), only for bugs.

        With ``observe=True`` the state query rides in the same round trip (when the op succeeds), and
        ``last_snapshot`` holds the result: one round trip per checked step. ``text`` replaces the op's
        rendering (the same statement spelled differently). ``changes``: observe only what changed since the last
        observation (``Snapshot.changed``), where the backend allows it.
        """
        self.last_snapshot = None
        if self.nested and not self.in_transaction and op.kind in _SAVEPOINT_KINDS:
            # Autocommit PostgreSQL refuses savepoints outside a transaction block; the isolation's outer
            # transaction would accept them, so answer as autocommit would (no statement is sent).
            now = time.time()
            return Completion("error", sqlstate="25P01", message=f"{op.kind} can only be used in transaction blocks",
                              sent_at=now, answered_at=now)
        parts, main, wrap, batched = self._plan(op, observe, text, changes)
        if not parts:
            now = time.time()
            return Completion("ok", None, sent_at=now, answered_at=now)  # e.g. COMMIT with no transaction
        value = None
        sent = time.time()
        try:
            with self.conn.cursor() as cur:
                try:
                    # bytes: a literal % in the SQL is not a placeholder. Several statements in one string
                    # go by the simple query protocol: one round trip; the first error stops the rest.
                    cur.execute(";\n".join(parts).encode())
                except psycopg.Error:
                    if wrap and not self.conn.broken:
                        self._undo(cur, parts[-1] if batched else None)
                    raise
                value = self._results(cur, op, main, len(parts) if batched else None)
        except psycopg.Error as e:
            answered = time.time()
            if self.conn.broken or e.sqlstate is None:
                return Completion("unknown", message=str(e).strip(), sent_at=sent, answered_at=answered)
            return Completion("error", sqlstate=e.sqlstate, message=str(e).strip().split("\n")[0],
                              sent_at=sent, answered_at=answered)
        finally:
            self.statements += 1
        return Completion("ok", value, sent_at=sent, answered_at=time.time())

    def _plan(self, op: Op, observe: bool, text: str | None,
              changes: bool = False) -> tuple[list[str], int, bool, bool]:
        """The statements to send for ``op``: (texts, index of the op's own result, wrapped in a savepoint,
        observation batched at the end)."""
        wrap = self.nested and not self.in_transaction and op.kind not in _TXN_KINDS
        parts = [t for t in self._statements(op) if t] if text is None else [text]
        main = len(parts) - 1  # the op's own result (its last statement)
        if wrap:
            parts = ["SAVEPOINT pggit_model_stmt", *parts, "RELEASE SAVEPOINT pggit_model_stmt"]
            main += 1
        # In autocommit, statements sent together share one implicit transaction: then the observation would
        # still see what the op set for its own transaction only (SET LOCAL, is_local set_config). Batch it
        # only where each statement's transaction is the same one anyway.
        batched = observe and (self.nested or self.in_transaction or op.kind == "begin")
        if batched:
            parts.append(self._observer.sql_text(changes))
        return parts, main, wrap, batched

    def _undo(self, cur: psycopg.Cursor[Any], observation: str | None) -> None:
        """Undo just the failed statement; the observation (of the state before it) rides along."""
        undo = "ROLLBACK TO SAVEPOINT pggit_model_stmt; RELEASE SAVEPOINT pggit_model_stmt"
        cur.execute((f"{undo};\n{observation}" if observation else undo).encode())
        if observation:
            while cur.nextset():
                pass
            self.last_snapshot = self._observer.absorb(cur, cur.fetchall()[0][0])

    def _results(self, cur: psycopg.Cursor[Any], op: Op, main: int, observed_at: int | None) -> Any:
        """Read every result of the batch: the op's own value, and the observation when it was batched (it is
        the ``observed_at``-th and last)."""
        value, count, rows = None, 0, None
        while True:
            desc = cur.description  # built afresh on each access: read it once per result
            rows = cur.fetchall() if desc else None
            if count == main:
                names = [d.name for d in desc] if desc and op.result == "rows" else []
                value = self._value(op, names, rows)
            count += 1
            if not cur.nextset():
                break
        if observed_at is not None and count == observed_at and rows:
            self.last_snapshot = self._observer.absorb(cur, rows[0][0])
        return value

    @staticmethod
    def _value(op: Op, names: list[str], rows: list[tuple[Any, ...]] | None) -> Any:
        if op.result == "scalar":
            return rows[0][0] if rows else None
        if op.result == "rows":
            # Dicts by column name: Expected.check_success projects rows on the columns it names.
            return tuple(dict(zip(names, r, strict=True)) for r in rows or ())
        return None

    @property
    def probe(self) -> backend.Probe:
        """Which contract tables, columns and sequences the backend lacks (I4), as the observation reads it."""
        return self._observer.probe

    def reprobe(self, probe: backend.Probe) -> None:
        """The backend changed under this connection (re-installed or upgraded, U1/U2): observe it as it is now."""
        self._observer.reprobe(probe)
        self.last_snapshot = None

    # -- observe -----------------------------------------------------------------------------
    def observe(self) -> Snapshot:
        """pgGit's whole state for the observed schemas, in one round trip (history tail merged into the cache)."""
        snap = self._observer.query(changes=False)
        assert snap is not None  # only an observation of changes can come back empty-handed
        return snap

    def observe_changes(self) -> Snapshot | None:
        """Only what changed since the last observation (``Snapshot.changed``); None when the cache no longer adds
        up (then observe the whole state)."""
        return self._observer.query(changes=True)

