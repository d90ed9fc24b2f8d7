"""Run a parallel program on real connections: one thread and one connection per session.

Statements start in the order the program's schedule says, as PostgreSQL's isolationtester runs a permutation:
each statement is sent, then the runner waits until it answered or is seen waiting for a lock held by another
session (``pg_isolation_test_session_is_blocked``), and only then starts the next one. A step whose session is
still waiting is deferred behind the first later step of a free session; the events keep the order that ran.
So a schedule forces the interleaving where it matters (who holds which lock first) and a failing schedule
replays the same way. Each statement's monotonic start and end, outcome and SQLSTATE are recorded.

A program may strike one session's closing COMMIT (X7, ``program.strike``): the COMMIT is sent and its
connection lost before the answer is read (``lose_commit``), so the client cannot know whether it committed; the
event is recorded with outcome ``unknown`` and the checker keeps both outcomes until the final observation
settles which.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from typing import Any

import attrs
import psycopg
from psycopg import sql

from pggit_model.client import Client, Completion
from pggit_model.cluster import connect
from pggit_model.ops import Op

from .history import Event, History
from .program import Program

#: How long one statement may run (a lock wait included) before the server cancels it: far above any step.
STATEMENT_TIMEOUT_MS = 5000
#: PostgreSQL looks for a deadlock after waiting this long: short, so that deadlocks end steps quickly.
DEADLOCK_TIMEOUT_MS = 50
#: A statement neither finished nor blocked after this long is left running and the next one starts.
SETTLE_S = 1.0


@attrs.define
class Sessions:
    """The program's connections, their backend pids and one worker thread each."""

    conns: list[psycopg.Connection]
    clients: list[Client]
    pids: list[int]
    pools: list[ThreadPoolExecutor]
    monitor: psycopg.Connection

    def close(self) -> None:
        for p in self.pools:
            p.shutdown(wait=False, cancel_futures=True)
        for c in [*self.conns, self.monitor]:
            with contextlib.suppress(Exception):
                c.close()


@contextlib.contextmanager
def open_sessions(conninfo: str, n: int, schema: str) -> Iterator[Sessions]:
    conns, pools = [], []
    monitor = connect(conninfo)
    try:
        for _ in range(n):
            conn = connect(conninfo, timeouts=False)
            conns.append(conn)
            conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}".encode())
            with contextlib.suppress(psycopg.Error):  # needs a superuser; the default (1 s) only slows steps
                conn.execute(f"SET deadlock_timeout = {DEADLOCK_TIMEOUT_MS}".encode())
            pools.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="pggit-model-session"))
        s = Sessions(conns, [Client(c, schema) for c in conns], [c.info.backend_pid for c in conns], pools, monitor)
    except BaseException:
        for c in [*conns, monitor]:
            c.close()
        for p in pools:
            p.shutdown(wait=False)
        raise
    try:
        yield s
    finally:
        s.close()


def _blocked(monitor: psycopg.Connection, pid: int, others: list[int]) -> bool:
    row = monitor.execute("SELECT pg_isolation_test_session_is_blocked(%s, %s)", (pid, others)).fetchone()
    return bool(row and row[0])


def _idle(fut: Future[tuple[float, float, Completion]] | None) -> bool:
    return fut is None or fut.done()


Rendering = Callable[[Op], str | None]


def _gone(killer: psycopg.Connection, pid: int, timeout: float = 5.0) -> None:
    """Wait until backend ``pid`` has exited: its COMMIT (if it ran) is done before anyone observes (X7)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if not killer.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
            return
        time.sleep(0.002)
    raise TimeoutError(f"backend {pid} still runs {timeout} s after its connection was lost during COMMIT")


def lose_commit(conn: psycopg.Connection, pid: int, how: str, killer: psycopg.Connection) -> Completion:
    """X7: send COMMIT on ``conn`` and lose the connection before its answer is read, the way ``how`` says
    (program.STRIKES); the outcome is ``unknown`` to the client whatever the server did. Returns once the
    backend has exited, so that a later observation sees the transaction's fate."""
    pg = conn.pgconn
    sent = time.time()
    if how == "early":  # terminated and gone before the COMMIT is sent: it never reaches the backend
        killer.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))
    with contextlib.suppress(psycopg.Error):  # the socket may already be closed (early)
        pg.send_query(b"COMMIT")
        while pg.flush():
            time.sleep(0.0005)
    if how == "terminate":  # the termination races the COMMIT the backend is reading
        killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
    elif how == "close":  # shut the socket under libpq: the server reads COMMIT, its answer goes nowhere
        with contextlib.suppress(OSError), socket.socket(fileno=os.dup(pg.socket)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(Exception):
        conn.close()
    _gone(killer, pid)
    return Completion("unknown", message=f"connection lost during COMMIT ({how}, X7)", sent_at=sent,
                      answered_at=time.time())


def _settle(fut: Future[Any], ss: Any, s: int, invoked: float) -> bool:
    """Wait until the step answers or is seen waiting for another session's lock (SETTLE_S at most): blocked?"""
    others = [p for i, p in enumerate(ss.pids) if i != s]
    while not fut.done() and time.monotonic() - invoked < SETTLE_S:
        if _blocked(ss.monitor, ss.pids[s], others):
            return True
        time.sleep(0.001)
    return False


def _event(s: int, k: int, op: Op, invoked: float, fut: Future[tuple[float, float, Completion]],
           blocked: bool) -> Event:
    """One step as it ran: its own send and answer times, or still running (no end, no outcome)."""
    if fut.done() and fut.exception() is None:
        t0, t1, done = fut.result()  # t0: when the session's thread sent it
        return Event(s, k, op, t0, t1, done, blocked)
    return Event(s, k, op, invoked, None, None, blocked)


def run_schedule(program: Program, conninfo: str, *, render: Rendering | None = None) -> History:
    """Run the program's sessions (not its prefix) on fresh connections; ``render`` may replace a statement's SQL
    (the control run replaces pgGit calls)."""
    n = len(program.sessions)
    started = time.monotonic()
    strike = program.strike is not None and render is None  # the control run (X9) loses no connection
    with open_sessions(conninfo, n, program.schema) as ss, \
            (connect(conninfo) if strike else contextlib.nullcontext()) as killer:
        def one(s: int, k: int, op: Op) -> tuple[float, float, Completion]:
            t0 = time.monotonic()
            how = program.struck(s, k) if killer is not None else None
            if how is not None and killer is not None:
                done = lose_commit(ss.conns[s], ss.pids[s], how, killer)
            else:
                done = ss.clients[s].apply(op, text=render(op) if render is not None else None)
            return t0, time.monotonic(), done

        last: list[Future[tuple[float, float, Completion]] | None] = [None] * n
        pending: list[tuple[int, int, Op, float, Future[tuple[float, float, Completion]], bool]] = []
        todo = program.steps()
        deadline = time.monotonic() + STATEMENT_TIMEOUT_MS / 1000 + 2
        while todo:
            # The next step of the schedule whose session is free: a session still waiting for a lock cannot
            # start its next statement, so later sessions' steps go first (isolationtester waits the same way).
            free = next((j for j, (s, _) in enumerate(todo) if _idle(last[s])), None)
            if free is None:
                if time.monotonic() > deadline:
                    break  # every remaining session is stuck: the statement timeout will end them
                time.sleep(0.001)
                continue
            s, k = todo.pop(free)
            op = program.sessions[s][k]
            invoked = time.monotonic()
            fut = ss.pools[s].submit(one, s, k, op)
            last[s] = fut
            blocked = _settle(fut, ss, s, invoked)
            pending.append((s, k, op, invoked, fut, blocked))
            deadline = time.monotonic() + STATEMENT_TIMEOUT_MS / 1000 + 2
        wait_all([p[4] for p in pending], timeout=STATEMENT_TIMEOUT_MS / 1000 + 2)
        events = [_event(*p) for p in pending]
        if not all(p[4].done() for p in pending):
            for pid in ss.pids:  # never leave a statement running behind us
                ss.monitor.execute("SELECT pg_cancel_backend(%s)", (pid,))
            wait_all([p[4] for p in pending], timeout=5)
    return History(program, tuple(events), time.monotonic() - started)


def control_rendering(op: Op) -> str | None:
    """In the control database (no pgGit) a pgGit call takes no lock: a plain SELECT stands in for it."""
    return "SELECT NULL" if op.family == "call" else None


def prepare_control(conninfo: str, program: Program) -> None:
    """The control database gets the program's schema and the prefix's DDL (pgGit calls have nothing to do)."""
    with connect(conninfo) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(program.schema)))
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(program.schema)))
        for op in program.prefix:
            if op.family == "ddl":
                with contextlib.suppress(psycopg.Error):  # the prefix may hold DDL PostgreSQL rejects, by design
                    conn.execute(op.to_sql().encode())


def retry_aborted(history: History, conninfo: str) -> History:
    """X11(b): a REPEATABLE READ or SERIALIZABLE block that failed with 40001 is run again, after every session
    has finished, on a session of its own (one after another), and the history holds both: the retry must
    succeed where PostgreSQL accepts it, and the checker judges it like any unit (it comes last in real time)."""
    from .levels import level_of

    program = history.program
    retried = [list(program.sessions[u.session][u.events[0].index:u.events[-1].index + 1])
               for u in history.units()
               if u.aborted and level_of(u) != "read committed" and "40001" in {e.sqlstate for e in u.events}
               and u.events[-1].op.kind == "commit"]
    if not retried:
        return history
    n = len(program.sessions)
    again = attrs.evolve(program, sessions=retried, schedule=[i for i, s in enumerate(retried) for _ in s],
                         strike=None)
    second = run_schedule(again, conninfo)
    shifted = tuple(attrs.evolve(e, session=e.session + n) for e in second.events)
    extended = attrs.evolve(program, sessions=[*program.sessions, *retried],
                            schedule=[*program.schedule, *(s + n for s in again.schedule)])
    return History(extended, (*history.events, *shifted), history.wall_time + second.wall_time)
