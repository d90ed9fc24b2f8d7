"""pgGit's state as one round trip observes it: the Snapshot and its rows, and the Observer that reads them on
one connection (the observation prepared once per connection, the history cached between steps).

Normalised by natural keys (contract O1–O8), never by generated ids. The Client runs the observation alone or
batched after an op; either way the answer comes back here to be absorbed.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import attrs
import psycopg
from psycopg import pq, sql

from . import backend
from .model.state import RowKey


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


class Observer:
    """Observes pgGit's state for a machine's schema (and the extra schemas it names, ``also``) on one
    connection; keeps the history read so far, so that each observation reads only the rows after it."""

    def __init__(self, conn: psycopg.Connection, schema: str, probe: backend.Probe | None = None,
                 also: Sequence[str] = ()) -> None:
        self.conn = conn
        self.schema = schema
        self.schemas = (schema, *(s for s in also if s != schema))
        self._history: list[list[Any]] = []  # [id, t, s, n, b, ct, cs, old, new], ascending id
        self._history_by_key: dict[RowKey, tuple[HistoryRow, ...]] = {}  # the same rows, by row key
        # The last observation's raw areas and what was built from them: unchanged areas are not rebuilt.
        self._last_doc: dict[str, Any] = {}
        self._last_built: dict[str, Any] = {}
        self._probe = probe  # what the backend lacks; None: probed on this connection when first observed
        self._schemas_literal = sql.Literal(list(self.schemas)).as_string(conn)

    def reprobe(self, probe: backend.Probe) -> None:
        """The backend changed under this connection (re-installed or upgraded, U1/U2): observe it as it is now."""
        done = _PREPARED.pop(self.conn, None)
        if done is not None and done.prepared:  # both, or the next PREPARE of the two fails (42P05)
            names = (_OBSERVE_NAME, _CHANGES_NAME) if done.changes is not None else (_OBSERVE_NAME,)
            self.conn.execute("; ".join(f"DEALLOCATE {n}" for n in names).encode())
        self._probe = probe
        self._last_doc, self._last_built = {}, {}

    @property
    def probe(self) -> backend.Probe:
        """What the backend lacks: as given, else probed on this connection (once; not in an aborted transaction,
        where nothing can be read and nothing is assumed missing)."""
        if self._probe is None:
            if self.conn.info.transaction_status == pq.TransactionStatus.INERROR:
                return backend.Probe()
            self._probe = backend.probe(self.conn)
        return self._probe

    def sql_text(self, changes: bool = False) -> str:
        """The observation's text (EXECUTE of the prepared one where it could be prepared)."""
        after = int(self._history[-1][0]) if self._history else 0
        built = self._observation()
        which = built.changes if changes and built.changes is not None else built.observation
        if built.prepared:
            name = _CHANGES_NAME if which is built.changes else _OBSERVE_NAME
            return f"EXECUTE {name}({self._schemas_literal}, {after})"
        return psycopg.ClientCursor(self.conn).mogrify(which.text, {"schemas": list(self.schemas), "after": after})

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
            f"PREPARE {name}(text[], bigint) AS {o.text.replace('%(schemas)s', '$1').replace('%(after)s', '$2')}"
            .encode()
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

    def query(self, changes: bool) -> Snapshot | None:
        """Observe now, in a round trip of its own."""
        with self.conn.cursor() as cur:
            cur.execute(self.sql_text(changes).encode())
            row = cur.fetchone()
            assert row is not None
            return self.absorb(cur, row[0])

    def absorb(self, cur: psycopg.Cursor[Any], doc: Any) -> Snapshot | None:
        """The Snapshot of one observation's answer ``doc``, merged into the cached history (None: see
        ``_absorb_changes``)."""
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
            cur.execute(backend.HISTORY_FULL, {"schemas": list(self.schemas)})
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
