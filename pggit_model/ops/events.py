"""Session events: what happens to the machine's session rather than through it — an op run on a second
session, an op struck by a fault, the session killed, the server crashed. They are ops like the others so a
recorded run, its replay script and a replay show them in place; the machinery that makes them happen lives
in ``faults.py`` (in-session faults) and ``machines/crash.py`` (crashes)."""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.errors import InvalidOp
from pggit_model.ops.base import Op, one_of

#: fault kind -> the SQLSTATE the interrupted statement must fail with (X4)
FAULT_SQLSTATES = {"statement_timeout": "57014", "cancel": "57014", "lock_timeout": "55P03"}
SLEEP = 0.6  # seconds the faults' helper trigger sleeps; the timeouts below fire well before
TIMEOUT_MS = 150
#: isolation levels a parallel program's transaction blocks may run at (X11, X12)
PARALLEL_LEVELS = ("read committed", "repeatable read", "serializable")
#: how the crash machine stops its server (cluster.ThrowawayCluster.crash takes the same names)
CRASH_MODES = ("immediate", "kill")


@frozen
class OtherSession(Op):
    """``op`` as it ran on a second, autocommit session of the same database (``Driver.run(op, session=…)``):
    recorded so that the reproducer and a replay run it there too. Its error aborts nothing of ours."""

    op: Op

    kind: ClassVar[str] = "other_session"
    family: ClassVar[str] = "session"
    #: a wrapper around the statement it runs (known.struck sees through it; Untracked is not one: drift is
    #: another step of the model and another SQL)
    runs_statement: ClassVar[bool] = True

    def to_sql(self) -> str:
        return self.op.to_sql()


@frozen
class Fault(Op):
    """``op`` run while ``kind`` strikes: its outcome is the model's, or the fault's error with no effect (X4)."""

    kind_of_fault: str = field(validator=one_of(*FAULT_SQLSTATES))
    op: Op = field()

    kind: ClassVar[str] = "fault"
    family: ClassVar[str] = "fault"
    runs_statement: ClassVar[bool] = True  # as OtherSession's

    def to_sql(self) -> str:
        if self.kind_of_fault == "statement_timeout":
            prefix = f"SET LOCAL statement_timeout = {TIMEOUT_MS}; SET LOCAL pggit_model.sleep = '{SLEEP}'"
        elif self.kind_of_fault == "cancel":
            prefix = "SET LOCAL pggit_model.cancel = 'on'"
        else:
            prefix = f"SET LOCAL lock_timeout = {TIMEOUT_MS}"
        # Reset afterwards: inside an explicit transaction SET LOCAL would outlive the statement.
        return (f"{prefix}; {self.op.to_sql()}; SET LOCAL statement_timeout TO DEFAULT; "
                "SET LOCAL lock_timeout TO DEFAULT; SET LOCAL pggit_model.sleep = ''; "
                "SET LOCAL pggit_model.cancel = ''")


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


def _sessions(value: Any) -> Any:
    return tuple(tuple(s) if isinstance(s, list | tuple) else s for s in value) \
        if isinstance(value, list | tuple) else value


def _check_parallel(inst: Parallel, attr: Any, value: Any) -> None:
    if not isinstance(inst.sessions, tuple) or not inst.sessions or not all(
            isinstance(s, tuple) and all(isinstance(o, Op) for o in s) for s in inst.sessions):
        raise InvalidOp(f"Parallel.sessions: must be a non-empty tuple of tuples of ops; got {inst.sessions!r}")
    counts = [inst.schedule.count(i) for i in range(len(inst.sessions))] if isinstance(inst.schedule, tuple) else []
    if counts != [len(s) for s in inst.sessions] or len(inst.schedule) != sum(counts):
        raise InvalidOp(f"Parallel.schedule: must start each session's statements once (sessions have "
                        f"{[len(s) for s in inst.sessions]} statements); got {inst.schedule!r}")


@frozen
class Parallel(Op):
    """The sessions' statements run concurrently, one connection each, started in ``schedule`` order (session
    numbers) as isolationtester runs a permutation; checked for X8–X10 (``pggit_model.parallel``). Recorded so
    ``pggit-model replay`` forces the same permutation; in replay.sql it is a comment (psql runs one session:
    by hand, use the isolation spec next to it)."""

    sessions: tuple[tuple[Op, ...], ...] = field(converter=_sessions)
    schedule: tuple[int, ...] = field(converter=lambda v: tuple(v) if isinstance(v, list | tuple) else v,
                                      validator=_check_parallel)
    level: str = field(default="read committed", validator=one_of(*PARALLEL_LEVELS))

    kind: ClassVar[str] = "parallel"
    family: ClassVar[str] = "fault"

    def steps(self) -> list[tuple[int, int]]:
        """(session, statement index) in the order they start."""
        return schedule_steps(self.schedule, len(self.sessions))

    def to_sql(self) -> str:
        lines = [f"-- pggit-model: {len(self.sessions)} sessions ran these concurrently ({self.level.upper()}), "
                 "started in this order; psql runs one session, so replay with `pggit-model replay run.json` or "
                 "isolationtester < replay.spec"]
        lines += [f"--   s{s + 1}: {' '.join(self.sessions[s][k].to_sql().split())}" for s, k in self.steps()]
        return "\n".join(lines)

    def sql(self) -> Composable:
        return sql.SQL(self.to_sql())


def schedule_steps(schedule: tuple[int, ...] | list[int], sessions: int) -> list[tuple[int, int]]:
    """A schedule (the session of each step, in order) as (session, statement index) pairs."""
    seen = [0] * sessions
    out = []
    for s in schedule:
        out.append((s, seen[s]))
        seen[s] += 1
    return out


EVENT_OPS = (OtherSession, Fault, TerminateSession, CrashRestart, Parallel)

__all__ = ["CRASH_MODES", "EVENT_OPS", "FAULT_SQLSTATES", "PARALLEL_LEVELS", "CrashRestart", "Fault",
           "OtherSession", "Parallel", "TerminateSession"]
