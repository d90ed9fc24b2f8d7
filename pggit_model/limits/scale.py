"""L1: pgGit's added cost per tracked DDL statement, at growing numbers of tracked objects and of branches.

Two databases in the same cluster and the same run: one with pgGit (a clone of the template), one *control*
without it. Both get the same tables; then the same cycle of statements (CREATE TABLE, ALTER TABLE ADD COLUMN,
DROP TABLE on a probe table) runs on each, back to back, ``repeats`` times after ``warmup`` unmeasured ones.
pgGit's cost is the median over repetitions of (cycle time with pgGit − cycle time on the control): what
PostgreSQL itself pays for a bigger catalog is paid on both sides and cancels, and so does most of what other
processes on shared cores do to one repetition. The order within a pair alternates, so neither side always
runs on a warmer cache.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
from attrs import frozen
from psycopg import sql

from pggit_model import ops
from pggit_model.client import Client
from pggit_model.cluster import Server, connect, create_database, drop_database, new_dbname
from pggit_model.isolation import Template

from .sizes import Sizes
from .stats import Cost, Verdict, cost_of, growth

SCHEMA = "limits"
PROBE = "probe"
#: tables created per statement while populating (each CREATE is tracked: one DO block, many DDL commands)
CHUNK = 250
#: statements of one measured cycle: what a user does most, a table's whole life
CYCLE = (
    sql.SQL("CREATE TABLE {}.{} (id integer)"),
    sql.SQL("ALTER TABLE {}.{} ADD COLUMN extra text"),
    sql.SQL("DROP TABLE {}.{}"),
)

Progress = Callable[[str], None]


@frozen
class ScaleReport:
    """L1's measurements: the cost per size for objects and for branches, and one verdict each."""

    objects: tuple[Cost, ...]
    branches: tuple[Cost, ...]
    tracked: tuple[int, ...]  # pggit.objects rows active on main after populating each objects size
    verdicts: tuple[Verdict, ...]
    clock: str = "wall clock"

    def lines(self) -> list[str]:
        out = ["L1 pgGit's added cost per DDL cycle (CREATE TABLE + ADD COLUMN + DROP TABLE), median of "
               f"(with pgGit − control) per repetition, on the {self.clock}:"]
        for what, costs, extra in (("objects", self.objects, self.tracked), ("branches", self.branches, ())):
            for i, c in enumerate(costs):
                seen = f" ({extra[i]} rows in pggit.objects)" if i < len(extra) else ""
                out.append(f"  {c.size:>6} {what}{seen}: cost {c.median_ms:7.2f} ms (IQR {c.p25_ms:.2f}–"
                           f"{c.p75_ms:.2f}); cycle {c.with_ms:.2f} ms with pgGit, {c.control_ms:.2f} ms control")
        return out + [f"  {v.line()}" for v in self.verdicts]


@contextlib.contextmanager
def _pair(server: Server, template: Template) -> Iterator[tuple[psycopg.Connection, psycopg.Connection]]:
    """A fresh database with pgGit and a control database without it, each with the schema; dropped after."""
    with_db, control_db = template.clone("l1"), new_dbname("l1ctl")
    try:
        create_database(server, control_db)
        with connect(server.conninfo(with_db), timeouts=False) as w, \
                connect(server.conninfo(control_db), timeouts=False) as c:
            for conn in (w, c):
                conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
            yield w, c
    finally:
        for db in (with_db, control_db):
            with contextlib.suppress(psycopg.Error):
                drop_database(server, db)


def _populate(conns: tuple[psycopg.Connection, ...], start: int, stop: int) -> None:
    """Tables ``o<start>`` … ``o<stop-1>`` with one column each (two tracked objects: the table, its column)."""
    for lo in range(start, stop, CHUNK):
        hi = min(stop, lo + CHUNK)
        block = sql.SQL("DO $$BEGIN FOR i IN {}..{} LOOP EXECUTE format('CREATE TABLE {}.%I (id integer)', "
                        "'o' || i); END LOOP; END $$").format(sql.Literal(lo), sql.Literal(hi - 1),
                                                            sql.Identifier(SCHEMA))
        for conn in conns:
            conn.execute(block)


def tracked_objects(conn: psycopg.Connection) -> int:
    """Active rows of pggit.objects (-1 where the backend has no such table or columns)."""
    try:
        row = conn.execute("SELECT count(*) FROM pggit.objects WHERE is_active").fetchone()
    except psycopg.Error:
        return -1
    return int(row[0]) if row else -1


def backend_clock(conn: psycopg.Connection) -> Callable[[], float] | None:
    """The CPU time (ms) the connection's backend has run, from /proc/<pid>/schedstat (its first field, ns), when
    the server runs on this machine and we may read it; else None. Time spent waiting for a core that another
    process holds is not in it, so on shared cores it is far steadier than the wall clock."""
    path = Path(f"/proc/{conn.info.backend_pid}/schedstat")
    try:
        path.read_text()
    except OSError:
        return None
    return lambda: int(path.read_text().split()[0]) / 1e6


def _cycle(conn: psycopg.Connection, clock: Callable[[], float]) -> float:
    """One measured cycle's time in ms, on ``clock``."""
    t0 = clock()
    for stmt in CYCLE:
        conn.execute(stmt.format(sql.Identifier(SCHEMA), sql.Identifier(PROBE)))
    return clock() - t0


def _wall() -> float:
    return time.perf_counter() * 1000


def measure(size: int, w: psycopg.Connection, c: psycopg.Connection, sizes: Sizes) -> Cost:
    """pgGit's cost at one size: warm-up, then ``repeats`` pairs of cycles in alternating order."""
    with_ms: list[float] = []
    control_ms: list[float] = []
    clocks = {id(conn): backend_clock(conn) for conn in (w, c)}
    if None in clocks.values():  # a server elsewhere: the wall clock, round trips and all, on both sides
        clocks = dict.fromkeys(clocks, _wall)
    for i in range(sizes.warmup + sizes.repeats):
        first, second = (w, c) if i % 2 == 0 else (c, w)
        a, b = _cycle(first, clocks[id(first)]), _cycle(second, clocks[id(second)])  # type: ignore[arg-type]
        if i >= sizes.warmup:
            with_ms.append(a if first is w else b)
            control_ms.append(b if first is w else a)
    return cost_of(size, with_ms, control_ms)


def _objects_costs(server: Server, template: Template, sizes: Sizes,
                   say: Progress) -> tuple[list[Cost], list[int]]:
    costs: list[Cost] = []
    tracked: list[int] = []
    with _pair(server, template) as (w, c):
        made = 0
        for n in sizes.objects:
            t0 = time.monotonic()
            _populate((w, c), made, n // 2)  # two tracked objects per table
            made = max(made, n // 2)
            tracked.append(tracked_objects(w))
            costs.append(measure(n, w, c, sizes))
            say(f"L1 objects {n}: populated and measured in {time.monotonic() - t0:.1f} s, "
                f"cost {costs[-1].median_ms:.2f} ms")
    return costs, tracked


def _branch_costs(server: Server, template: Template, sizes: Sizes, say: Progress) -> list[Cost] | str:
    """The costs at each branch count, objects fixed at the smallest size; or why they cannot be measured."""
    costs: list[Cost] = []
    with _pair(server, template) as (w, c):
        _populate((w, c), 0, sizes.objects[0] // 2)
        client = Client(w, SCHEMA)
        made = 1  # main
        for b in sizes.branches:
            t0 = time.monotonic()
            while made < b:
                op = ops.CreateBranch(f"lim_b{made}", "main")
                done = client.apply(op)
                if not done.ok and made == 1:  # pgGit v0.2.1 fails the first one on a fresh install (findings #1)
                    done = client.apply(op)
                if not done.ok:
                    return f"create_branch failed, so branches cannot grow: {done} (I4 or a finding)"
                made += 1
            costs.append(measure(b, w, c, sizes))
            say(f"L1 branches {b}: created and measured in {time.monotonic() - t0:.1f} s, "
                f"cost {costs[-1].median_ms:.2f} ms")
    return costs


def run_scale(server: Server, template: Template, sizes: Sizes, say: Progress = lambda _m: None) -> ScaleReport:
    """L1 at ``sizes.objects`` and ``sizes.branches``; a verdict per rule part (objects, branches)."""
    objects, tracked = _objects_costs(server, template, sizes, say)
    verdicts = [growth("L1 objects", "tracked objects", objects)]
    branches = _branch_costs(server, template, sizes, say)
    if isinstance(branches, str):
        verdicts.append(Verdict("L1 branches", None, float("nan"), 2.0, branches))
        branches = []
    else:
        verdicts.append(growth("L1 branches", "branches", branches))
    with connect(server.conninfo("postgres")) as conn:
        clock = "backends' CPU time (/proc/<pid>/schedstat)" if backend_clock(conn) else "wall clock"
    return ScaleReport(tuple(objects), tuple(branches), tuple(tracked), tuple(verdicts), clock)
