"""Critical-path cost of resetting pgGit state between examples, per isolation strategy, in one run.

    python bench/reset.py [--examples N] [--pggit-source DIR] [--pg-dsn DSN]

rollback: ROLLBACK of the example's transaction (the next one begins implicitly). Target <= 1 ms.
clone:    take a pre-cloned database from the pool and hand the used one back for a background drop.
          Target <= 30 ms. Examples are spaced by --work-ms of simulated example work, as in a real run;
          the pool keeps up while examples last longer than one CREATE DATABASE ... TEMPLATE (printed).
"""

from __future__ import annotations

import argparse
import statistics
import time

from pggit_model import cluster
from pggit_model.benchmarks import emit
from pggit_model.isolation import ClonePool, RollbackIsolation, Template

EXAMPLE_DDL = "CREATE TABLE public.bench_t (id int PRIMARY KEY, v text); ALTER TABLE public.bench_t ADD COLUMN w int"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--work-ms", type=float, default=300.0,
                    help="simulated work per clone example (a committing machine example: ~25 steps)")
    ap.add_argument("--pggit-source")
    ap.add_argument("--pg-dsn")
    args = ap.parse_args()
    with cluster.server_session(args.pg_dsn) as server:
        template = Template(server, args.pggit_source)
        try:
            iso = RollbackIsolation(template)
            rollback_ms = []
            for _ in range(args.examples):
                with iso.conn.cursor() as cur:
                    cur.execute(EXAMPLE_DDL)
                t0 = time.perf_counter()
                iso.reset()
                rollback_ms.append((time.perf_counter() - t0) * 1000)
            iso.close()

            t0 = time.perf_counter()
            raw = template.clone("raw")
            raw_clone_ms = (time.perf_counter() - t0) * 1000
            cluster.drop_database(server, raw)

            pool = ClonePool(template, size=3)
            time.sleep(1.0)  # let the pool fill, as it does while the session's first tests run
            clone_ms = []
            n_clone = max(10, args.examples // 4)
            for _ in range(n_clone):
                t0 = time.perf_counter()
                name = pool.acquire()
                clone_ms.append((time.perf_counter() - t0) * 1000)
                with cluster.connect(server.conninfo(name)) as conn:
                    conn.execute(EXAMPLE_DDL)
                time.sleep(args.work_ms / 1000)
                t0 = time.perf_counter()
                pool.release(name)
                clone_ms[-1] += (time.perf_counter() - t0) * 1000
            pool.close()
        finally:
            template.close()
    rb, cl = statistics.median(rollback_ms), statistics.median(clone_ms)
    print(f"backend: {template.report.backend} ({template.report.source})")
    print(f"rollback: median {rb:.3f} ms over {len(rollback_ms)} examples (p95 "
          f"{statistics.quantiles(rollback_ms, n=20)[-1]:.3f} ms); target <= 1 ms")
    print(f"clone:    median {cl:.3f} ms over {len(clone_ms)} examples (p95 "
          f"{statistics.quantiles(clone_ms, n=20)[-1]:.3f} ms); target <= 30 ms; "
          f"one CREATE DATABASE ... TEMPLATE alone: {raw_clone_ms:.1f} ms")
    print(f"ratios to target: rollback {rb / 1.0:.3f}, clone {cl / 30.0:.3f}")
    emit("reset", {"rollback_ms": (rb, "ms", "lower"), "clone_ms": (cl, "ms", "lower")})


if __name__ == "__main__":
    main()
