"""Observation time per step against the number of tracked objects: the whole state vs changes only, in one run.

    python bench/observe.py [--objects 10,1000,10000] [--steps 40] [--pggit-source DIR] [--pg-dsn DSN]

For each size N, a fresh database with the backend gets N/2 tables of one column (N rows of pggit.objects: a
TABLE and a COLUMN row each, created in one DO block). Then each step runs one ALTER TABLE … ADD COLUMN on a table
(not timed) and times the observation that follows, through the machines' Client:

* full:    ``Client.observe()``, the whole state (every object row; the history as a tail after the cached rows),
* changes: ``Client.observe_changes()``, the rows with a history row after the watermark (issue 19 part 3).

Each is the round trip plus turning the answer into a Snapshot: the median wall time over the steps, and the CPU
time per step of this process plus the server backend (from /proc, throwaway cluster only), which other runs on
shared cores do not swing. Target: changes <= 0.5 ms at 10 000 objects, and flat (the same at 10 as at 10 000).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import time

from psycopg import sql

from pggit_model import cluster
from pggit_model.benchmarks import emit
from pggit_model.client import Client
from pggit_model.isolation import Template
from pggit_model.ops import AddColumn, AlterTable, Column

SCHEMA = "bench_obs"


def backend_cpu(server: object, pid: int) -> float:
    """CPU seconds the backend ``pid`` of our throwaway cluster has used (0 for a --pg-dsn server)."""
    if not isinstance(server, cluster.ThrowawayCluster):
        return 0.0
    with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def measure(template: Template, objects: int, steps: int) -> tuple[dict[str, float], dict[str, float], int]:
    """Per mode: median wall ms and CPU ms per observation; and the object rows seen, for one size."""
    server = template.server
    db = template.clone("obs")
    try:
        with cluster.connect(server.conninfo(db), timeouts=False) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
            conn.execute(sql.SQL("DO $$ BEGIN FOR i IN 1..{} LOOP EXECUTE format('CREATE TABLE {}.%I (c0 int)', "
                                 "'t' || i); END LOOP; END $$").format(sql.Literal(max(1, objects // 2)),
                                                                      sql.Identifier(SCHEMA)))
            client = Client(conn, SCHEMA)
            seen = len(client.observe().objects)
            timings: dict[str, list[float]] = {"full": [], "changes": []}
            cpu: dict[str, float] = {"full": 0.0, "changes": 0.0}
            pid = conn.info.backend_pid
            for mode in ("changes", "full"):
                for i in range(steps):
                    table = f"t{1 + (i * 7919) % max(1, objects // 2)}"
                    op = AlterTable(SCHEMA, table, [AddColumn(Column(f"x{mode[0]}{i}", "int"))])
                    assert client.apply(op).ok
                    c0, s0, t0 = time.process_time(), backend_cpu(server, pid), time.perf_counter()
                    snap = client.observe_changes() if mode == "changes" else client.observe()
                    timings[mode].append((time.perf_counter() - t0) * 1000)
                    cpu[mode] += time.process_time() - c0 + backend_cpu(server, pid) - s0
                    assert snap is not None and (mode == "full" or len(snap.changed or ()) == 2), snap
    finally:
        cluster.drop_database(server, db)
    return ({m: statistics.median(t) for m, t in timings.items()}, {m: c / steps * 1000 for m, c in cpu.items()},
            seen)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--objects", default="10,1000,10000", help="sizes, comma-separated (default 10,1000,10000)")
    ap.add_argument("--steps", type=int, default=40, help="timed steps per size and mode (default 40)")
    ap.add_argument("--pggit-source")
    ap.add_argument("--pg-dsn")
    args = ap.parse_args()
    sizes = [int(n) for n in args.objects.split(",")]
    rows = []
    with cluster.server_session(args.pg_dsn) as server:
        template = Template(server, args.pggit_source)
        try:
            for n in sizes:
                rows.append((n, *measure(template, n, args.steps)))
        finally:
            template.close()
    print(f"backend: {template.report.backend}; ms per observation: median wall time of {args.steps} steps, and CPU "
          "(this process + server backend) per step")
    head = ("objects", "rows seen", "full wall", "full CPU", "changes wall", "changes CPU")
    print(f"{head[0]:>8} {head[1]:>10} {head[2]:>10} {head[3]:>9} {head[4]:>13} {head[5]:>12}")
    for n, wall, cpu, seen in rows:
        print(f"{n:>8} {seen:>10} {wall['full']:>10.3f} {cpu['full']:>9.3f} {wall['changes']:>13.3f} "
              f"{cpu['changes']:>12.3f}")
    (n0, _, c0, _), (n1, w1, c1, _) = rows[0], rows[-1]
    print(f"changes at {n1} objects: wall {w1['changes']:.3f} ms, CPU {c1['changes']:.3f} ms (target <= 0.5 ms); "
          f"{c1['changes'] / max(c0['changes'], 1e-9):.2f}x the CPU at {n0} (flat: ~1); full: "
          f"{c1['full'] / max(c0['full'], 1e-9):.1f}x")
    emit("observe", {**{f"full_cpu_ms_{n}": (c["full"], "ms", "lower") for n, _, c, _ in rows},
                     **{f"changes_cpu_ms_{n}": (c["changes"], "ms", "lower") for n, _, c, _ in rows},
                     **{f"changes_wall_ms_{n}": (w["changes"], "ms", "lower") for n, w, _, _ in rows}})


if __name__ == "__main__":
    main()
