"""Load mode (issue 21 part 6): N sessions (2–100) run drawn units against one database for a fixed time; then
pgGit's history is checked against what the sessions saw commit (``load_checks``).

Each session draws its units from its own seeded ``random.Random`` (a load run is not shrunk: a failure prints
the seed and the check that failed). The vocabulary is the part of the parallel machine's whose effect on pgGit's
history follows from "it committed" alone, so the checks need no model: ADD COLUMN on a shared table (one ALTER
row on it, V8), CREATE TABLE of a session's own table (one CREATE row), ``create_commit`` / ``commit_changes``
on main (one commit, X8 chain), ``generate_trinity_id`` (X10), ``create_branch`` of a contested name (at most
one wins), ``get_version`` of a shared table — alone or in ``BEGIN … COMMIT|ROLLBACK`` blocks.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import attrs
import psycopg
from attrs import frozen
from psycopg import sql

from pggit_model import ops
from pggit_model.client import Client, Completion
from pggit_model.cluster import connect
from pggit_model.errors import PggitModelError
from pggit_model.model.state import RowKey
from pggit_model.ops import Column, Op
from pggit_model.snapshot import Snapshot

from . import load_checks as lc
from .history import ABORT_STATES
from .program import STRIKES
from .runner import DEADLOCK_TIMEOUT_MS, STATEMENT_TIMEOUT_MS, lose_commit

MIN_SESSIONS, MAX_SESSIONS = 2, 100
#: connections a load run opens besides its N sessions: setup and observation, and the one that strikes COMMITs
EXTRA_CONNECTIONS = 2
#: one COMMIT-ending unit in this many loses its COMMIT's connection (X7), in one of runner.lose_commit's ways
STRIKE_ONE_IN = 40
SCHEMA = "load"
SHARED_TABLES = tuple(f"t{i}" for i in range(8))
CONTESTED = tuple(f"lb{i}" for i in range(20))


class LoadInputError(PggitModelError, ValueError):
    """The load mode was asked for something it cannot run: the message says what and what to do."""


def check_sessions(n: object) -> int:
    """N must be an integer from 2 to 100 (pgGit's chaos plan); else one clear error, before anything runs."""
    if not isinstance(n, int) or isinstance(n, bool) or not MIN_SESSIONS <= n <= MAX_SESSIONS:
        raise LoadInputError(f"--sessions/--pggit-sessions must be a whole number from {MIN_SESSIONS} to "
                             f"{MAX_SESSIONS}, got {n!r}")
    return n


def check_capacity(conninfo: str, n: int) -> None:
    """The server must accept N sessions plus our own connection: else one clear error, before anything runs."""
    with connect(conninfo) as conn:
        row = conn.execute("SELECT current_setting('max_connections')::int, "
                           "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')").fetchone()
    assert row is not None
    limit, used = int(row[0]), int(row[1])
    free = limit - used + 1  # this check's own connection is closed again
    if n + EXTRA_CONNECTIONS > free:
        raise LoadInputError(f"the server allows max_connections = {limit} and {used - 1} are in use by others, so "
                             f"{free} are free; {n} sessions need {n + EXTRA_CONNECTIONS}. Raise max_connections "
                             "(e.g. ALTER SYSTEM SET max_connections = … and a restart; `pggit-model load` starts "
                             "its throwaway cluster with enough) or ask for fewer sessions")


@frozen
class UnitRun:
    """One unit a session ran: its statements, their outcomes, and whether its effects stand (X7: None, in doubt)."""

    session: int
    ops: tuple[Op, ...]
    done: tuple[Completion, ...]
    committed: bool | None


def draw_unit(rng: random.Random, session: int, serial: int) -> list[Op]:
    """A unit: one statement (60 %) or a BEGIN … COMMIT (4 in 5) | ROLLBACK block of 1–3 statements."""
    def statement(k: int) -> Op:
        name = f"s{session}_{serial}_{k}"
        roll = rng.random()
        if roll < 0.25:
            table = rng.choice(SHARED_TABLES)
            return ops.AlterTable(SCHEMA, table, (ops.AddColumn(Column(name, "integer")),))
        if roll < 0.35:
            return ops.CreateTable(SCHEMA, name, (Column("a", "integer"),))
        if roll < 0.5:
            return ops.CreateCommit("main", name, None)
        if roll < 0.65:
            return ops.CommitChanges("main", name)
        if roll < 0.8:
            return ops.GenerateTrinityId()
        if roll < 0.9:
            return ops.CreateBranch(rng.choice(CONTESTED), "main")
        return ops.GetVersion(f"{SCHEMA}.{rng.choice(SHARED_TABLES)}")

    if rng.random() < 0.6:
        return [statement(0)]
    end: Op = ops.Commit() if rng.random() < 0.8 else ops.Rollback()
    return [ops.Begin(), *(statement(k) for k in range(rng.randint(1, 3))), end]


def outcome(unit: Sequence[Op], done: Sequence[Completion]) -> bool | None:
    """Whether the unit's effects stand: an autocommit statement or a block whose every statement (COMMIT
    included) answered ok committed; a lost answer leaves it in doubt (X7); anything else had no effect."""
    if any(d.status == "unknown" for d in done) or len(done) < len(unit):
        return None
    if any(d.status != "ok" for d in done):
        return False
    return unit[-1].kind != "rollback"


@attrs.define
class Striker:
    """The one connection that strikes COMMITs (X7) for every session, one strike at a time."""

    conn: psycopg.Connection
    one_in: int
    lock: threading.Lock = attrs.Factory(threading.Lock)
    struck: int = 0

    def strike(self, conn: psycopg.Connection, how: str) -> Completion:
        with self.lock:
            self.struck += 1
            return lose_commit(conn, conn.info.backend_pid, how, self.conn)


def _session(conninfo: str, session: int, seed: int, deadline: float, striker: Striker | None) -> list[UnitRun]:
    """One session's loop: draw a unit, run it, record it, until the deadline; a lost connection is replaced. With
    ``striker``, now and then a unit's COMMIT loses its connection (X7) and the unit is in doubt."""
    rng = random.Random(f"{seed}:{session}")
    out: list[UnitRun] = []
    conn: psycopg.Connection | None = None
    try:
        while time.monotonic() < deadline:
            if conn is None or conn.closed or conn.broken:
                conn = connect(conninfo, timeouts=False)
                conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}".encode())
                with contextlib.suppress(psycopg.Error):
                    conn.execute(f"SET deadlock_timeout = {DEADLOCK_TIMEOUT_MS}".encode())
                client = Client(conn, SCHEMA)
            unit = draw_unit(rng, session, len(out))
            strike = (striker is not None and unit[-1].kind == "commit" and rng.randrange(striker.one_in) == 0)
            done: list[Completion] = []
            for k, op in enumerate(unit):
                if strike and k == len(unit) - 1 and striker is not None and not client.in_error:
                    done.append(striker.strike(conn, rng.choice(STRIKES)))
                else:
                    done.append(client.apply(op))
                if done[-1].status == "unknown":
                    break
            out.append(UnitRun(session, tuple(unit), tuple(done), outcome(unit, done)))
    finally:
        if conn is not None:
            conn.close()
    return out


@attrs.define
class LoadReport:
    """What a load run did and what it checked."""

    sessions: int
    seconds: float
    seed: int
    units: list[UnitRun]
    checks: list[str] = attrs.Factory(list)
    #: the final observation and the checks, after the sessions stopped
    check_seconds: float = 0.0

    @property
    def statements(self) -> int:
        return sum(len(u.done) for u in self.units)

    def summary(self) -> str:
        states = Counter(d.sqlstate or d.status for u in self.units for d in u.done if d.status != "ok")
        fate = Counter({True: "committed", False: "no effect", None: "in doubt"}[u.committed] for u in self.units)
        aborted = sum(states[s] for s in ABORT_STATES)
        return (f"{self.sessions} sessions, {self.seconds:.1f} s, seed {self.seed}: {self.statements} statements "
                f"({self.statements / self.seconds:.0f}/s), {len(self.units)} units ("
                + ", ".join(f"{n} {k}" for k, n in sorted(fate.items())) + f"); {aborted} deadlocks/serialization "
                f"failures; errors by SQLSTATE: {dict(states.most_common(6))}\nchecks passed in "
                f"{self.check_seconds:.2f} s (observation included): {', '.join(self.checks)}")


def expectations(units: Sequence[UnitRun]) -> tuple[dict[RowKey, lc.Range], dict[str, lc.Range],
                                                     dict[str, lc.Range]]:
    """What the units' outcomes demand: history rows per table, commits per branch, wins per contested name."""
    rows: dict[RowKey, lc.Range] = {("TABLE", SCHEMA, t, "main"): lc.Range(1, 1) for t in SHARED_TABLES}
    commits: dict[str, lc.Range] = {"main": lc.Range()}
    names: dict[str, lc.Range] = dict.fromkeys(CONTESTED, lc.Range())
    for u in units:
        for op in u.ops:
            if isinstance(op, ops.AlterTable | ops.CreateTable):
                key = ("TABLE", SCHEMA, op.name, "main")
                rows[key] = rows.get(key, lc.Range()).add(u.committed)
            elif isinstance(op, ops.CreateCommit | ops.CommitChanges):
                commits["main"] = commits["main"].add(u.committed)
            elif isinstance(op, ops.CreateBranch) and op.name is not None:
                names[op.name] = names[op.name].add(u.committed)
    return rows, commits, names


def returned_ids(units: Sequence[UnitRun]) -> list[tuple[str, str]]:
    """Trinity IDs the sessions got back (generate_trinity_id, commit_changes), with where (X10)."""
    return [(str(d.value), f"session {u.session} unit {k}") for k, u in enumerate(units)
            for op, d in zip(u.ops, u.done, strict=False)
            if op.kind in ("generate_trinity_id", "commit_changes") and d.ok and d.value is not None]


def check_load(units: Sequence[UnitRun], snap: Snapshot, before: Snapshot) -> list[str]:
    """Every load check on the final observation; raises the first Divergence, else names what passed."""
    rows, commits, names = expectations(units)
    lc.ids_unique(returned_ids(units), [c.hash for c in snap.commits])
    lc.history_rows_counted(rows, snap.history)
    lc.versions_increase(snap.history, snap.objects)
    counted = Counter(c.branch for c in before.commits)
    lc.chains(snap.commits, snap.branches, commits, {str(b): n for b, n in counted.items()})
    lc.branches_created(names, snap.branches)
    return ["X10 ids unique", "V8 history rows counted", "V7 versions increase", "X8 chains",
            "X8 one create_branch wins"]


def setup(conninfo: str) -> None:
    """The schema and the shared tables every session alters."""
    with connect(conninfo) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
        client = Client(conn, SCHEMA)
        for t in SHARED_TABLES:
            done = client.apply(ops.CreateTable(SCHEMA, t, (Column("id", "integer"),)))
            if not done.ok:
                raise PggitModelError(f"load setup: CREATE TABLE {SCHEMA}.{t} failed: {done}")


def observe(conninfo: str) -> Snapshot:
    with connect(conninfo) as conn:
        return Client(conn, SCHEMA).observe()


def run_load(conninfo: str, sessions: int, seconds: float, *, seed: int | None = None, strike: int = STRIKE_ONE_IN,
             progress: Callable[[str], None] | None = None) -> LoadReport:
    """Run ``sessions`` sessions for ``seconds`` on ``conninfo``'s database (a fresh one with pgGit installed)
    and check pgGit's history afterwards; raises a Divergence on the first failed check. One COMMIT-ending unit
    in ``strike`` loses its COMMIT's connection (X7; 0: none)."""
    check_sessions(sessions)
    check_capacity(conninfo, sessions)
    seed = random.randrange(2**32) if seed is None else seed
    setup(conninfo)
    before = observe(conninfo)
    if progress:
        progress(f"load: {sessions} sessions for {seconds:g} s (seed {seed})")
    t0 = time.monotonic()
    deadline = t0 + seconds
    with connect(conninfo) as killer, \
            ThreadPoolExecutor(max_workers=sessions, thread_name_prefix="pggit-model-load") as pool:
        striker = Striker(killer, strike) if strike else None
        futures = [pool.submit(_session, conninfo, s, seed, deadline, striker) for s in range(sessions)]
        units = [u for f in futures for u in f.result()]
    report = LoadReport(sessions, time.monotonic() - t0, seed, units)
    t1 = time.monotonic()
    report.checks = check_load(units, observe(conninfo), before)
    report.check_seconds = time.monotonic() - t1
    return report
