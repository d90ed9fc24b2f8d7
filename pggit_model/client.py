"""The database side of the loop: run an Op, classify its outcome, and observe pgGit's whole state.

``Client.apply(op) -> Completion`` (ok with a value | error with a SQLSTATE | unknown when the connection
died before an answer) and ``Client.observe() -> Snapshot`` in one round trip, normalised by natural keys
(contract O1–O8), never by generated ids.

Two modes. ``nested=False``: an autocommit connection; BEGIN/COMMIT/ROLLBACK are real. ``nested=True``:
the connection sits inside the isolation's outer transaction (``RollbackIsolation``); the example's own
transactions become savepoints, and each top-level statement runs in a savepoint of its own so that an
error undoes only that statement, as autocommit would.
"""

from __future__ import annotations

import json
import time
import weakref
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

import attrs
import psycopg
from psycopg import pq, sql

from . import backend
from .isolation import NestedTransactions
from .model.state import RowKey
from .ops.base import Op


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


# Rows are named tuples: equal to the model's tuples field by field, so a whole area compares in one C-level
# dict comparison (the checkers' fast path).
class ObjectRow(NamedTuple):
    version: int
    major: int
    minor: int
    patch: int
    is_active: bool

    @property
    def triple(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


class HistoryRow(NamedTuple):
    change_type: str
    severity: str
    old_version: int | None
    new_version: int | None


@attrs.frozen
class BranchRow:
    status: str
    parent: str | None
    head: str | None


@attrs.frozen
class CommitRow:
    hash: str
    branch: str | None
    parent: str | None
    message: str | None
    tree_hash: str | None
    commit_id: str | None


@attrs.frozen
class Snapshot:
    """pgGit's state as the contract's observation queries see it (O1–O7), keyed naturally (O8)."""

    objects: Mapping[RowKey, ObjectRow]
    history: Mapping[RowKey, tuple[HistoryRow, ...]]
    branches: Mapping[str, BranchRow]
    commits: tuple[CommitRow, ...]  # a tuple, not a map: duplicate hashes must stay visible (C8a)
    current_branch: str
    ddl_hashes: Mapping[RowKey, str | None]
    conflicts: tuple[tuple[str, str, str, str], ...]  # (merge_id, branch_a, branch_b, conflict_object), M5
    trinity_last_value: int
    trinity_is_called: bool
    #: areas the backend cannot show (a contract table, column or sequence is missing): not compared (I4)
    unobserved: frozenset[str] = frozenset()
    #: None: the whole state. Otherwise only what changed since the last observation (issue 19 part 3): the row
    #: keys with a newer history row; ``objects``, ``ddl_hashes`` and ``history`` then hold those keys only.
    changed: frozenset[RowKey] | None = None


#: The observation is prepared once per connection (PREPARE outlives rollbacks: it is session state, not
#: transactional). Parsing and planning the query text took about 0.3 ms of server time per step, more than
#: executing it; EXECUTE skips both.
_OBSERVE_NAME = "pggit_model_observe"
_CHANGES_NAME = "pggit_model_changes"


@attrs.frozen
class _Prepared:
    """The observation built for one connection's backend, and whether it is prepared there (False: PREPARE
    failed, the text is sent each time)."""

    observation: backend.Observation
    prepared: bool
    #: the observation of changes only (None: the backend lacks a part it reads; the full one is used)
    changes: backend.Observation | None = None


#: connection -> its observation (built from a probe of its database on first use)
_PREPARED: weakref.WeakKeyDictionary[psycopg.Connection, _Prepared] = weakref.WeakKeyDictionary()

_TXN_KINDS = {"begin", "commit", "rollback"}
_SAVEPOINT_KINDS = {"savepoint", "rollback_to_savepoint", "release_savepoint"}


class Client:
    """Runs Ops on one connection and observes pgGit's state for one schema."""

    def __init__(self, conn: psycopg.Connection, schema: str, *, nested: bool = False,
                 probe: backend.Probe | None = None) -> None:
        # psycopg's automatic prepared statements answer any DROP, ALTER or ROLLBACK with DEALLOCATE ALL,
        # which also removes the observation we PREPARE ourselves: 26000 on the next step.
        conn.prepare_threshold = None
        self.conn = conn
        self.schema = schema
        self.nested = nested
        self.txns = NestedTransactions()
        self._history: list[list[Any]] = []  # [id, t, s, n, b, ct, cs, old, new], ascending id
        self._history_by_key: dict[RowKey, tuple[HistoryRow, ...]] = {}  # the same rows, by row key
        # The last observation's raw areas and what was built from them: unchanged areas are not rebuilt.
        self._last_doc: dict[str, Any] = {}
        self._last_built: dict[str, Any] = {}
        self.last_snapshot: Snapshot | None = None  # observed in the same round trip as the last op
        self.statements = 0
        self._probe = probe  # what the backend lacks; None: probed on this connection when first observed
        self._schema_literal = sql.Literal(schema).as_string(conn)

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
            parts.append(self._observe_sql(changes))
        return parts, main, wrap, batched

    def _undo(self, cur: psycopg.Cursor[Any], observation: str | None) -> None:
        """Undo just the failed statement; the observation (of the state before it) rides along."""
        undo = "ROLLBACK TO SAVEPOINT pggit_model_stmt; RELEASE SAVEPOINT pggit_model_stmt"
        cur.execute((f"{undo};\n{observation}" if observation else undo).encode())
        if observation:
            while cur.nextset():
                pass
            self.last_snapshot = self._absorb(cur, cur.fetchall()[0][0])

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
            self.last_snapshot = self._absorb(cur, rows[0][0])
        return value

    @staticmethod
    def _value(op: Op, names: list[str], rows: list[tuple[Any, ...]] | None) -> Any:
        if op.result == "scalar":
            return rows[0][0] if rows else None
        if op.result == "rows":
            # Dicts by column name: Expected.check_success projects rows on the columns it names.
            return tuple(dict(zip(names, r, strict=True)) for r in rows or ())
        return None

    def reprobe(self, probe: backend.Probe) -> None:
        """The backend changed under this connection (re-installed or upgraded, U1/U2): observe it as it is now."""
        done = _PREPARED.pop(self.conn, None)
        if done is not None and done.prepared:
            self.conn.execute(f"DEALLOCATE {_OBSERVE_NAME}".encode())
        self._probe = probe
        self._last_doc, self._last_built = {}, {}
        self.last_snapshot = None

    # -- observe -----------------------------------------------------------------------------
    def _observe_sql(self, changes: bool = False) -> str:
        after = int(self._history[-1][0]) if self._history else 0
        built = self._observation()
        which = built.changes if changes and built.changes is not None else built.observation
        if built.prepared:
            name = _CHANGES_NAME if which is built.changes else _OBSERVE_NAME
            return f"EXECUTE {name}({self._schema_literal}, {after})"
        return psycopg.ClientCursor(self.conn).mogrify(which.text, {"schema": self.schema, "after": after})

    def _observation(self) -> _Prepared:
        """The observation for this connection's backend; built (probe, then PREPARE) on first use.

        Inside a transaction block the PREPARE runs in a savepoint of its own, so that a failure cannot abort the
        example's transaction; then every observation sends the text instead. Never attempted in an aborted
        transaction: there the contract's full observation is sent (and the backend is probed next time)."""
        done = _PREPARED.get(self.conn)
        if done is not None:
            return done
        status = self.conn.info.transaction_status
        if status == pq.TransactionStatus.INERROR:
            return _Prepared(backend.observation(self._probe or backend.Probe()), False)
        probe = self._probe if self._probe is not None else backend.probe(self.conn)
        built, changes = backend.observation(probe), backend.changes_observation(probe)
        prepare = b"; ".join(
            f"PREPARE {name}(text, bigint) AS {o.text.replace('%(schema)s', '$1').replace('%(after)s', '$2')}".encode()
            for name, o in ((_OBSERVE_NAME, built), (_CHANGES_NAME, changes)) if o is not None)
        guard = status != pq.TransactionStatus.IDLE
        with self.conn.cursor() as cur:
            try:
                cur.execute(b"SAVEPOINT pggit_model_prepare; " + prepare + b"; RELEASE SAVEPOINT "
                            b"pggit_model_prepare" if guard else prepare)
                ok = True
            except psycopg.Error:
                if guard and not self.conn.broken:
                    cur.execute(b"ROLLBACK TO SAVEPOINT pggit_model_prepare; RELEASE SAVEPOINT pggit_model_prepare")
                ok = False
        done = _PREPARED[self.conn] = _Prepared(built, ok, changes)
        return done

    def observe(self) -> Snapshot:
        """pgGit's whole state for this schema, in one round trip (history tail merged into the cache)."""
        snap = self._query(changes=False)
        assert snap is not None  # only an observation of changes can come back empty-handed
        return snap

    def observe_changes(self) -> Snapshot | None:
        """Only what changed since the last observation (``Snapshot.changed``); None when the cache no longer adds
        up (then observe the whole state)."""
        return self._query(changes=True)

    def _query(self, changes: bool) -> Snapshot | None:
        with self.conn.cursor() as cur:
            cur.execute(self._observe_sql(changes).encode())
            row = cur.fetchone()
            assert row is not None
            return self._absorb(cur, row[0])

    def _absorb(self, cur: psycopg.Cursor[Any], doc: Any) -> Snapshot | None:
        doc = json.loads(doc) if isinstance(doc, str) else doc
        if doc["history_count"] is None:
            return self._absorb_changes(doc)
        after = self._history[-1][0] if self._history else 0
        hist_max, hist_count = doc["history_max"], doc["history_count"]
        new = doc["history"]
        if hist_max < after:
            # A rollback removed the newest rows: ids only grow, so drop the cached suffix.
            self._history = [h for h in self._history if h[0] <= hist_max]
            self._history_by_key = {}
        self._history.extend(new)
        if len(self._history) != hist_count:
            cur.execute(backend.HISTORY_FULL, {"schema": self.schema})
            full = cur.fetchone()
            self._history = list((full and full[0]) or [])
            self._history_by_key = {}
        if self._history and not self._history_by_key:
            new = self._history  # rebuilt from every row
        by_key = self._history_by_key
        for _id, t, s, n, b, ct, cs, old, new_version in new:
            key = (t, s, n, b)
            by_key[key] = (*by_key.get(key, ()), HistoryRow(ct, cs, old, new_version))
        return self._snapshot(doc)

    def _absorb_changes(self, doc: Mapping[str, Any]) -> Snapshot | None:
        """A Snapshot of the rows changed since the last observation: those with a history row after the watermark.
        None if the newest cached history row is gone (a rollback): only the full observation can tell what is."""
        after = self._history[-1][0] if self._history else 0
        if doc["history_max"] < after:
            return None
        new = doc["history"]
        self._history.extend(new)
        by_key = self._history_by_key
        if self._history and not by_key:
            new = self._history  # the cache was dropped: rebuilt from every row
        changed = set()
        for _id, t, s, n, b, ct, cs, old, new_version in new:
            key = (t, s, n, b)
            by_key[key] = (*by_key.get(key, ()), HistoryRow(ct, cs, old, new_version))
            changed.add(key)
        objects, hashes = {}, {}
        for t, s, n, b, v, ma, mi, pa, active, h in doc["objects"]:
            objects[(t, s, n, b)] = ObjectRow(v, ma, mi, pa, bool(active))
            hashes[(t, s, n, b)] = h
        last_value, is_called = doc["trinity"] or (0, False)
        return Snapshot(objects=objects, history={k: by_key[k] for k in changed}, branches=self._built(doc, "branches"),
                        commits=self._built(doc, "commits"), current_branch=doc["current"],
                        conflicts=self._built(doc, "conflicts"), ddl_hashes=hashes, trinity_last_value=int(last_value),
                        trinity_is_called=bool(is_called), unobserved=self._observation().observation.unobserved,
                        changed=frozenset(changed))

    def _built(self, doc: Mapping[str, Any], area: str) -> Any:
        """The rows built for ``area`` from the last observation, if its raw answer is the same again."""
        raw = doc[area]
        if area in self._last_doc and self._last_doc[area] == raw:
            return self._last_built[area]
        self._last_doc[area] = raw
        if area == "objects":
            objects: dict[RowKey, ObjectRow] = {}
            hashes: dict[RowKey, str | None] = {}
            for t, s, n, b, v, ma, mi, pa, active, h in raw:
                key = (t, s, n, b)
                objects[key] = ObjectRow(v, ma, mi, pa, bool(active))
                hashes[key] = h
            built: Any = (objects, hashes)
        elif area == "branches":
            built = {name: BranchRow(status, parent, head) for name, status, parent, head in raw}
        elif area == "commits":
            built = tuple(CommitRow(h, b, p, m, th, cid) for h, b, p, m, th, cid in raw)
        else:
            built = tuple(tuple(c) for c in raw)
        self._last_built[area] = built
        return built

    def _snapshot(self, doc: Mapping[str, Any]) -> Snapshot:
        # Areas that did not change are shared with the previous Snapshot: its mappings are never mutated.
        objects, hashes = self._built(doc, "objects")
        last_value, is_called = doc["trinity"] or (0, False)
        return Snapshot(
            objects=objects,
            history=dict(self._history_by_key),
            branches=self._built(doc, "branches"),
            commits=self._built(doc, "commits"),
            current_branch=doc["current"],
            conflicts=self._built(doc, "conflicts"),
            ddl_hashes=hashes,
            trinity_last_value=int(last_value),
            trinity_is_called=bool(is_called),
            unobserved=self._observation().observation.unobserved,
        )
