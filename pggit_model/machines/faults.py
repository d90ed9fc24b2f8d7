"""Faults machine: everything the transactions machine does, plus faults injected into the session —
statement_timeout and pg_cancel_backend striking a DDL after pgGit's triggers ran, lock_timeout while pgGit
waits for its own table, pg_terminate_backend mid-transaction followed by a reconnect.

Exercises X4 (a cancelled or timed-out statement leaves no partial pgGit state), X5 (nothing of a terminated
session's open transaction remains, and the new session starts on main, B1/B6), X1–X3 along the way.
Runs on databases from the clone pool: it really commits and kills sessions.
"""

from __future__ import annotations

import contextlib

from hypothesis import strategies as st
from hypothesis.stateful import rule

from pggit_model import faults, strategies
from pggit_model.machines.transactions import TransactionRules
from pggit_model.ops import Fault
from pggit_model.rules import span


class FaultRules(TransactionRules):
    """Fault rules; any machine on clone isolation can mix them in."""

    isolation = "clone"

    def __init__(self) -> None:
        super().__init__()
        faults.install(self.driver.client.conn)
        self._other = self.connect_other()  # the second session: holds locks, cancels, terminates

    @rule(data=st.data(), kind=st.sampled_from(sorted(faults.SQLSTATES)))
    def ddl_under_fault(self, data: st.DataObject, kind: str) -> None:
        """A DDL struck by a timeout, a cancel or a lock wait: all of it or none of it (X4)."""
        op = data.draw(strategies.struck_ddl(self.model, self.schema), label="ddl")
        faults.strike(self.driver, Fault(kind, op), self._other)

    @rule()
    def terminate_session(self) -> None:
        """pg_terminate_backend, then reconnect: the open transaction is gone, the session is new (X5)."""
        faults.terminate_and_reconnect(self.driver, self._other, self.conninfo)

    def teardown(self) -> None:
        try:
            super().teardown()  # first: it compares the catalog on this session (V21)
        finally:
            with contextlib.suppress(Exception):  # the session a terminate put in place of the machine's own
                self.driver.client.conn.close()


class FaultsMachine(FaultRules):
    """Faults machine: X4, X5 with in-session faults amid DDL, branches, commits and transactions."""

    RULES = span("X1", "X5")
