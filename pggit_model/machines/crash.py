"""Crash machine: DDL, branches, commits, Trinity IDs and open transactions, interleaved with crashes of the
server (immediate shutdown, or SIGKILL of every server process) and restarts.

Exercises X6: after a crash and a restart every committed change is present and no uncommitted one is — the
model drops the open transaction (as for a rollback, X1) and starts a new session on main (B1), then the whole
observed state must equal it. T5/T7 after the crash: no Trinity ID a committed transaction returned or stored
is handed out again. PostgreSQL may hand out again a sequence value first drawn by a transaction that had not
committed (contract X6 note), so the model lowers its floor to the committed IDs only.

The crash never hits the server other machines share: the machine runs on a throwaway cluster of its own
(``DURABLE_SETTINGS``: synchronous_commit on), started on first use and kept for the process, with the same
backend source installed. A server given by --pg-dsn cannot be crashed: the machine then skips.
"""

from __future__ import annotations

import contextlib
import unittest
from typing import Any, ClassVar

import psycopg
from attrs import evolve
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model.client import Client, Completion
from pggit_model.cluster import CRASH_MODES, DURABLE_SETTINGS, PgBinaries, ThrowawayCluster, find_binaries
from pggit_model.divergences import Divergence, diverge
from pggit_model.isolation import ClonePool, Template
from pggit_model.machine import Harness
from pggit_model.machines.transactions import TransactionRules
from pggit_model.model import session_lost
from pggit_model.model.expected import TrinityRef
from pggit_model.ops import CrashRestart, GenerateTrinityId, GenerateTrinityIds, Op
from pggit_model.ops.cascades import outside_block

#: Crashes are the expensive step (≈0.2 s each with the restart, plus a new session): a few per example.
MAX_CRASHES_PER_EXAMPLE = 2

SKIP_REASON = (
    "the crash machine (contract X6) crashes and restarts its PostgreSQL server, and pggit-model never stops a "
    "server it does not own: with --pg-dsn / PGGIT_MODEL_DSN there is no throwaway cluster to crash. Run it "
    "without --pg-dsn (unset PGGIT_MODEL_DSN), e.g. `pytest machines/test_crash.py`; it then starts a small "
    "throwaway cluster of its own from the local PostgreSQL binaries (--pg-bindir)."
)


# -- the cluster that gets crashed ------------------------------------------------------------------------

class CrashHarness(Harness):
    """A Harness whose template lives on the crash cluster; machines borrow the stats and registry of the
    harness that runs them."""

    @property
    def clones(self) -> ClonePool:
        """Pre-cloned databases, as for every clone machine (a clone costs ≈0.3-0.9 s on this durable cluster:
        off the critical path); the crash rule crashes inside ``clones.paused()``, so no clone is cut off midway."""
        if self._clones is None:
            self._clones = ClonePool(self.template, size=2, survives_restarts=True)
        return self._clones

    @property
    def cluster(self) -> ThrowawayCluster:
        server = self.template.server
        assert isinstance(server, ThrowawayCluster)
        return server


class CrashServers:
    """The process's crash cluster (started on first use) and one CrashHarness per backend source."""

    KEEP = 2  # templates kept (the session's backend, and a mutant's)

    def __init__(self) -> None:
        self._cluster: ThrowawayCluster | None = None
        self._harnesses: dict[str, CrashHarness] = {}

    def cluster(self, binaries: PgBinaries | None = None) -> ThrowawayCluster:
        """The crash cluster, started now if it is not running (also after a crash that was never restarted)."""
        c = self._cluster
        if c is not None and c.running:
            return c
        if c is not None and not c.closed:
            c.restart()
            return c
        self._harnesses.clear()
        self._cluster = ThrowawayCluster(binaries or find_binaries(), settings=DURABLE_SETTINGS).start()
        return self._cluster

    def harness_for(self, outer: Harness) -> CrashHarness:
        """The CrashHarness for the backend ``outer`` runs; SkipTest when the session's server is not ours."""
        server = outer.template.server
        if not isinstance(server, ThrowawayCluster):
            raise unittest.SkipTest(SKIP_REASON)
        crash = self.cluster(server.binaries)
        report = outer.template.report
        h = self._harnesses.get(report.digest)
        if h is None or h.template.server is not crash:
            while len(self._harnesses) >= self.KEEP:
                _digest, old = self._harnesses.popitem()
                self._close(old)
            source = None if report.backend == "reference" else report.source
            h = CrashHarness(Template(crash, source), outer.results, stats=outer.stats, known=outer.known)
            self._harnesses[report.digest] = h
        h.stats, h.known, h.results, h.run_id = outer.stats, outer.known, outer.results, outer.run_id
        h.twin = outer.twin  # the twin (V21) lives on the crash cluster too, and crashes with it
        return h

    @staticmethod
    def _close(h: CrashHarness) -> None:
        with contextlib.suppress(Exception):
            h.close()
        with contextlib.suppress(Exception):
            h.template.close()

    def close(self) -> None:
        """Drop the templates, stop and remove the cluster (the plugin calls this when the session ends)."""
        for h in self._harnesses.values():
            self._close(h)
        self._harnesses.clear()
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


CRASH_SERVERS = CrashServers()


# -- what the model keeps of Trinity IDs across a crash --------------------------------------------------

class TrinityLedger:
    """Which Trinity IDs committed, and which of those PostgreSQL has made durable.

    T5/T7 survive a crash for IDs a committed transaction returned or stored (X6). PostgreSQL covers a value
    by a sequence WAL record written before it hands the value out, and a commit that wrote WAL itself flushes
    the WAL up to itself. A transaction that only read (``SELECT generate_trinity_id()`` in autocommit) flushes
    nothing at COMMIT, so its values are durable only once a later writing commit flushed the WAL — until then
    PostgreSQL itself may hand them out again after a crash. ``strict`` checks every committed ID as the
    contract's text says; by default only the durable ones are checked (see docs/crash.md)."""

    def __init__(self) -> None:
        self.committed: list[TrinityRef] = []  # returned or stored by a committed transaction
        self.pending: list[TrinityRef] = []  # drawn inside the open transaction
        self.durable_below = 0  # refs numbered below this were drawn before the last writing commit
        self.lost: set[int] = set()  # committed refs not yet durable at a crash: they may be handed out again

    def after_op(self, op: Op, done: Completion | None, before: Any, after: Any) -> None:
        """Account for one op run by the driver (``before``/``after`` are the model states around it)."""
        if done is None:
            return
        drawn = [TrinityRef(n) for n in range(before.counters.trinity, after.counters.trinity)]
        if before.txn is None:
            if op.kind == "begin":
                self.pending = []
            elif done.ok:  # autocommit: committed when it returned
                self.committed += drawn
                if after.db != before.db:
                    self.durable_below = after.counters.trinity
            return
        if op.kind == "commit":
            if done.ok and not before.txn.aborted:
                self.committed += self.pending
                if after.db != before.txn.frames[0].db:
                    self.durable_below = after.counters.trinity
            self.pending = []
        elif op.kind == "rollback":
            self.pending = []
        elif done.ok:
            self.pending += drawn

    def flushed(self) -> None:
        """The WAL was flushed (``ThrowawayCluster.flush_wal``): every ID handed out so far is covered on disk."""
        self.durable_below = max([self.durable_below, *(r.n + 1 for r in self.committed + self.pending)])

    def crashed(self) -> None:
        self.pending = []
        # A writing commit after the restart cannot make these durable: the crash may already have lost them.
        self.lost.update(r.n for r in self.committed if r.n >= self.durable_below)

    def checked(self, strict: bool) -> list[TrinityRef]:
        return [r for r in self.committed if strict or (r.n < self.durable_below and r.n not in self.lost)]


def _no_auto_prepare(conn: psycopg.Connection) -> psycopg.Connection:
    """psycopg answers a DROP or ROLLBACK on a connection where it prepared statements of its own with DEALLOCATE
    ALL, which also removes the Client's prepared observation (then: 26000 at the next step). Without automatic
    preparation psycopg never does that."""
    conn.prepare_threshold = None
    return conn


# -- the machine ----------------------------------------------------------------------------------------------

class CrashMachine(TransactionRules):
    """Crash machine: X6 (and T5/T7 across crashes) amid DDL, branches, commits, Trinity IDs and open
    transactions, on a throwaway cluster of its own."""

    upgradable = False  # its backend is installed on a cluster of its own (--pggit-upgrade-from skips it)

    RULES = ("X6", "T5", "T7", "X1")

    isolation = "clone"
    #: check T5/T7 after a crash for every committed ID, also those only read-only transactions returned
    strict_trinity: ClassVar[bool] = False

    def __init__(self) -> None:
        outer = type(self).harness
        crash = CRASH_SERVERS.harness_for(outer)
        vars(self)["harness"] = crash  # this instance works on the crash cluster; the class keeps the runner's
        super().__init__()
        _no_auto_prepare(self.driver.client.conn)
        outer.last_machine = self  # where the runner looks for the failing example's schema and ops
        self.cluster = crash.cluster
        self._other: psycopg.Connection | None = None  # a second session holding an uncommitted transaction
        self.ledger = TrinityLedger()
        self.crashes = 0
        self._ops_at_crash = 0

    def run(self, op: Op) -> Completion | None:
        if outside_block(op) and self._other is not None and not self._other.closed \
                and self._other.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            # CONCURRENTLY waits for every open transaction of the database (PostgreSQL's rule, not pgGit's): the
            # second session's would stall it into lock_timeout, and the twin without pgGit has none (V21). Its
            # Trinity IDs already count as uncommitted, so ending it changes no prediction.
            self._other.rollback()
        before = self.driver.state
        done = self.driver.run(op)
        self.ledger.after_op(op, done, before, self.driver.state)
        self.driver.check_state()
        return done

    @rule(count=st.integers(1, 3))
    def trinity_ids(self, count: int) -> None:
        """generate_trinity_id in this session: committed at once in autocommit, or inside the open transaction."""
        self.run(GenerateTrinityId() if count == 1 else GenerateTrinityIds(count))

    # It calls the function itself, past the Driver: so it is not drawn where the backend lacks it (I4).
    @precondition(lambda self: self.driver.supports("generate_trinity_id"))
    @rule(count=st.integers(1, 3))
    def uncommitted_trinity_ids_on_another_session(self, count: int) -> None:
        """A second session draws Trinity IDs in a transaction it never commits: after a crash PostgreSQL may
        hand those values out again (X6 note), and nothing else of that transaction may appear."""
        if self._other is None or self._other.closed or self._other.broken:
            self._other = self.connect_other()
        if self._other.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            self._other.execute("BEGIN")
        self._other.execute("SELECT pggit.generate_trinity_id() FROM generate_series(1, %s)", [count])
        self.driver.client.last_snapshot = None  # the sequence moved: observe afresh

    @precondition(lambda self: self.crashes < MAX_CRASHES_PER_EXAMPLE and len(self.driver.ops) > self._ops_at_crash)
    @rule(mode=st.sampled_from(CRASH_MODES))
    def crash_and_restart(self, mode: str) -> None:
        """X6: crash the server with whatever is open, restart it; the committed state is all that remains."""
        self.crashes += 1
        self.harness.stats.faults_fired += 1
        # What a crash keeps of aborted and open transactions' WAL (sequence advances: pgGit's first
        # create_branch collides with main's id 1 until branches_id_seq moved, #1) would otherwise depend on
        # the WAL writer's timing, and the same example would see different answers after the restart, which
        # Hypothesis cannot replay or shrink (FlakyStrategyDefinition). Committed work is durable either way.
        with self.harness.clones.paused():  # the clone pool's thread neither clones nor drops across the crash
            self.cluster.flush_wal()
            self.ledger.flushed()
            self.cluster.crash(mode)
            self.cluster.restart()
        op = CrashRestart(mode)
        self.driver.record(op)
        self._ops_at_crash = len(self.driver.ops)
        self.harness.stats.rules.update(("X6", "T5", "T7"))
        with contextlib.suppress(Exception):
            self.driver.client.conn.close()
        if self._other is not None:
            with contextlib.suppress(Exception):
                self._other.close()
            self._other = None
        s = session_lost(self.driver.state, self.schema)  # the open transaction never committed (X6, X1)
        self.ledger.crashed()
        ctx = self.driver.ctx
        seqs = [v for v in (ctx.trinity_seq(r) for r in self.ledger.checked(self.strict_trinity)) if v is not None]
        # Values drawn by transactions that did not commit may come back (X6): only committed ones bound the next.
        counters = evolve(s.counters, trinity_floor=max([1, *(v + 1 for v in seqs)]), last_trinity=())
        s = evolve(s, counters=counters)
        conn = _no_auto_prepare(self.connect_other())
        self.driver.session_lost(Client(conn, self.schema, also=self.driver.scope), s)
        try:
            self.driver.check_state()
        except Divergence as d:
            self._as_x6(d, op)

    def _as_x6(self, d: Divergence, op: Op) -> None:
        """A state that differs right after a restart breaks X6 first (the rule the checker named comes second)."""
        try:
            diverge(f"X6/{d.rule}", f"after a crash and restart the state differs from the committed one: {d.message}",
                    op=op, step=d.step, expected=d.expected, observed=d.observed, area=d.area, keys=d.keys)
        except Divergence as x6:
            x6.ops = d.ops
            for note in getattr(d, "__notes__", ()):
                x6.add_note(note)
            raise x6 from d


__all__ = ["CRASH_SERVERS", "SKIP_REASON", "CrashMachine", "CrashServers", "TrinityLedger"]
