"""L3: up to 100 sessions at once, each doing tracked DDL on its own tables and calling ``generate_trinity_id`` and
``create_commit`` on its own branch, for a fixed time; then pgGit's state is checked with the load mode's
history checks (``pggit_model.parallel.load_checks``).

Unlike ``pggit-model load`` (shared tables, contested names, main) nothing here is shared, so PostgreSQL alone
would raise no error at all: every error is pgGit's (X9), a deadlock or a lock timeout included. What each
session ran and saw answered ok is all the checks need: one history row per DDL statement on its table and
branch (V8, in order: V7), one commit per create_commit on its branch, chained (X8), and no Trinity ID or commit
hash twice (X10). A call whose function the backend lacks (42883) is counted, not judged (I4).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from attrs import evolve, frozen
from psycopg import sql

from pggit_model import ops
from pggit_model.client import Client, Completion
from pggit_model.cluster import connect
from pggit_model.divergences import Divergence
from pggit_model.model.state import RowKey
from pggit_model.ops import Column, Op
from pggit_model.parallel import load_checks as lc
from pggit_model.parallel.load import check_capacity, check_sessions

from .stats import Verdict

SCHEMA = "l3"
#: per statement: long enough for 100 sessions queueing on pgGit's bookkeeping lock, short enough not to hang
STATEMENT_TIMEOUT_MS = 60_000
MISSING = "42883"


@frozen
class Ran:
    """One statement a session ran and its outcome."""

    session: int
    op: Op
    done: Completion


def branch_of(session: int) -> str:
    return f"l3_s{session}"


def _session(conninfo: str, session: int, deadline: float) -> list[Ran]:
    """Own branch (created and checked out), then rounds of: a new own table, two ALTERs of it, a Trinity ID
    and a commit on the branch, until the deadline."""
    out: list[Ran] = []
    branch = branch_of(session)
    with connect(conninfo, timeouts=False) as conn:
        conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}".encode())
        client = Client(conn, SCHEMA)

        def run(op: Op) -> Completion:
            done = client.apply(op)
            out.append(Ran(session, op, done))
            return done

        run(ops.CreateBranch(branch, "main"))
        run(ops.CheckoutBranch(branch))
        k = 0
        while time.monotonic() < deadline:
            table = f"s{session}_t{k}"
            run(ops.CreateTable(SCHEMA, table, (Column("id", "integer"),)))
            for j in range(2):
                run(ops.AlterTable(SCHEMA, table, (ops.AddColumn(Column(f"c{j}", "integer")),)))
            run(ops.GenerateTrinityId())
            run(ops.CreateCommit(branch, f"session {session} round {k}", None))
            k += 1
    return out


@frozen
class SessionsReport:
    """L3: what the sessions ran, the errors they saw, and the verdicts (V8, X9, X10, and V7/X8 alongside)."""

    sessions: int
    seconds: float
    ran: tuple[Ran, ...]
    verdicts: tuple[Verdict, ...]

    def lines(self) -> list[str]:
        states = Counter(r.done.sqlstate or r.done.status for r in self.ran if not r.done.ok)
        return [f"L3 {self.sessions} sessions for {self.seconds:.1f} s, each on its own tables and branch: "
                f"{len(self.ran)} statements ({len(self.ran) / self.seconds:.0f}/s); errors by SQLSTATE: "
                f"{dict(states.most_common(6)) or 'none'}", *(f"  {v.line()}" for v in self.verdicts)]


def _judge(rule: str, check: Callable[[], None], passed: str) -> Verdict:
    try:
        check()
    except Divergence as d:
        return Verdict(rule, False, 1.0, 0.0, f"[{d.rule}] {d.message}")
    return Verdict(rule, True, 0.0, 0.0, passed)


def check_sessions_run(ran: Sequence[Ran], conninfo: str) -> list[Verdict]:
    """The L3 verdicts on what ``ran`` saw and pgGit's state afterwards."""
    missing = sorted({r.op.kind for r in ran if r.done.sqlstate == MISSING})
    errors = [r for r in ran if not r.done.ok and r.done.sqlstate != MISSING]
    out = [Verdict("X9", not errors, len(errors), 0,
                   "no statement failed (PostgreSQL alone raises nothing here)" if not errors else
                   f"{len(errors)} statements failed that PostgreSQL alone would not fail, e.g. session "
                   f"{errors[0].session} {errors[0].op!r}: {errors[0].done}")]
    if missing:
        out.append(Verdict("I4", True, 0, 0, f"not judged, the backend lacks the function of: {', '.join(missing)}"))
    with connect(conninfo) as conn:
        snap = Client(conn, SCHEMA).observe()
    rows: dict[RowKey, lc.Range] = {}
    commits: dict[str, lc.Range] = {}
    checked_out = {r.session for r in ran if r.op.kind == "checkout_branch" and r.done.ok}
    for r in ran:
        branch = branch_of(r.session) if r.session in checked_out else "main"
        if isinstance(r.op, ops.CreateTable | ops.AlterTable):
            key = ("TABLE", SCHEMA, r.op.name, branch)
            rows[key] = rows.get(key, lc.Range()).add(r.done.ok)
        elif isinstance(r.op, ops.CreateCommit) and r.op.branch is not None:
            commits[r.op.branch] = commits.get(r.op.branch, lc.Range()).add(r.done.ok)
    ids = [(str(r.done.value), f"session {r.session}") for r in ran
           if r.op.kind == "generate_trinity_id" and r.done.ok and r.done.value is not None]
    v8 = _judge("V8", lambda: lc.history_rows_counted(rows, snap.history),
                f"each of {len(rows)} tables has one history row per DDL statement on it, on its session's branch")
    if not v8.ok:  # say where the rows went: another branch is B6's (checkout), not concurrency's
        where = Counter(k[3] for k in snap.history if k[0] == "TABLE" and k[1] == SCHEMA)
        v8 = evolve(v8, text=f"{v8.text} (the sessions' tables have history rows on: "
                    f"{', '.join(f'{b} ({n} tables)' for b, n in where.most_common(3)) or 'no branch'})")
    out.append(v8)
    out.append(_judge("X10", lambda: lc.ids_unique(ids, [c.hash for c in snap.commits]),
                      f"{len(ids)} Trinity IDs and {len(snap.commits)} commit hashes, all distinct"))
    out.append(_judge("V7", lambda: lc.versions_increase(snap.history, snap.objects),
                      "per table the history rows continue each other"))
    out.append(_judge("X8", lambda: lc.chains(snap.commits, snap.branches, commits, {}),
                      f"{sum(c.lo for c in commits.values())} commits on {len(commits)} branches, each branch one "
                      "chain"))
    return out


def run_sessions(conninfo: str, sessions: int, seconds: float,
                 say: Callable[[str], None] = lambda _m: None) -> SessionsReport:
    """L3 on ``conninfo``'s database (fresh, pgGit installed): ``sessions`` sessions for ``seconds``."""
    check_sessions(sessions)
    check_capacity(conninfo, sessions)
    with connect(conninfo) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=sessions, thread_name_prefix="pggit-model-l3") as pool:
        futures = [pool.submit(_session, conninfo, s, t0 + seconds) for s in range(sessions)]
        ran = [r for f in futures for r in f.result()]
    elapsed = time.monotonic() - t0
    say(f"L3: {sessions} sessions ran {len(ran)} statements in {elapsed:.1f} s")
    return SessionsReport(sessions, elapsed, tuple(ran), tuple(check_sessions_run(ran, conninfo)))
