"""Session events: what happens to the machine's session rather than through it — an op run on a second
session, an op struck by a fault, the session killed, the server crashed. They are ops like the others so a
recorded run, its replay script and a replay show them in place; the machinery that makes them happen lives
in ``faults.py`` (in-session faults) and ``machines/crash.py`` (crashes)."""

from __future__ import annotations

from typing import ClassVar

from attrs import field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import Op, one_of

#: fault kind -> the SQLSTATE the interrupted statement must fail with (X4)
FAULT_SQLSTATES = {"statement_timeout": "57014", "cancel": "57014", "lock_timeout": "55P03"}
SLEEP = 0.6  # seconds the faults' helper trigger sleeps; the timeouts below fire well before
TIMEOUT_MS = 150
#: how the crash machine stops its server (cluster.ThrowawayCluster.crash takes the same names)
CRASH_MODES = ("immediate", "kill")


@frozen
class OtherSession(Op):
    """``op`` as it ran on a second, autocommit session of the same database (``Driver.run(op, session=…)``):
    recorded so that the reproducer and a replay run it there too. Its error aborts nothing of ours."""

    op: Op

    kind: ClassVar[str] = "other_session"
    family: ClassVar[str] = "session"

    def to_sql(self) -> str:
        return self.op.to_sql()


@frozen
class Fault(Op):
    """``op`` run while ``kind`` strikes: its outcome is the model's, or the fault's error with no effect (X4)."""

    kind_of_fault: str = field(validator=one_of(*FAULT_SQLSTATES))
    op: Op = field()

    kind: ClassVar[str] = "fault"
    family: ClassVar[str] = "fault"

    def to_sql(self) -> str:
        if self.kind_of_fault == "statement_timeout":
            prefix = f"SET LOCAL statement_timeout = {TIMEOUT_MS}; SET LOCAL pggit_model.sleep = '{SLEEP}'"
        elif self.kind_of_fault == "cancel":
            prefix = f"SET LOCAL pggit_model.sleep = '{SLEEP}'"
        else:
            prefix = f"SET LOCAL lock_timeout = {TIMEOUT_MS}"
        # Reset afterwards: inside an explicit transaction SET LOCAL would outlive the statement.
        return (f"{prefix}; {self.op.to_sql()}; SET LOCAL statement_timeout TO DEFAULT; "
                "SET LOCAL lock_timeout TO DEFAULT; SET LOCAL pggit_model.sleep = ''")


@frozen
class TerminateSession(Op):
    """pg_terminate_backend of the machine's session, then a new session (X5). Recorded so a replay does it too;
    in psql, ``\\connect`` has the same effect on the open transaction."""

    kind: ClassVar[str] = "terminate_session"
    family: ClassVar[str] = "fault"

    def to_sql(self) -> str:
        return "SELECT pg_terminate_backend(pg_backend_pid())"


@frozen
class CrashRestart(Op):
    """The WAL was flushed, then the server crashed here (``pg_ctl stop -m immediate``, or SIGKILL of every server
    process) and was started again; the session is new. A marker in the reproducer: replaying it needs the crash
    machine."""

    mode: str = field(default="immediate", validator=one_of(*CRASH_MODES))

    kind: ClassVar[str] = "crash_restart"
    family: ClassVar[str] = "fault"

    def sql(self) -> Composable:
        return sql.SQL("-- pggit-model: the WAL was flushed, then the server crashed here ({}) and was restarted "
                       "(X6)").format(sql.SQL(self.mode))


EVENT_OPS = (OtherSession, Fault, TerminateSession, CrashRestart)

__all__ = ["CRASH_MODES", "EVENT_OPS", "FAULT_SQLSTATES", "CrashRestart", "Fault", "OtherSession",
           "TerminateSession"]
