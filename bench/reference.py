"""Cost of the reference backend, in one run: install time and the extra time its event triggers add.

    python bench/reference.py [--statements N] [--pg-dsn DSN]

install: wall time of `cd sql && psql -f install.sql` into an empty database (target <= 1 s), as
         pggit_model.install runs it (its check of the contract signatures included).
trigger: median time of a CREATE TABLE and of an ALTER TABLE ... ADD COLUMN in a database with the
         backend, minus the median of the same statements in a bare database on the same server.
         The two databases are used alternately, statement by statement, so drift hits both alike.
         Target <= 2 ms each.
"""

from __future__ import annotations

import argparse
import statistics
import time

import psycopg

from pggit_model import cluster
from pggit_model.benchmarks import emit
from pggit_model.install import install


def timed(conn: psycopg.Connection, stmt: str) -> float:
    t0 = time.perf_counter()
    conn.execute(stmt)
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statements", type=int, default=300, help="CREATE/ALTER pairs per database")
    ap.add_argument("--pg-dsn")
    args = ap.parse_args()
    with cluster.server_session(args.pg_dsn) as server:
        bare, ref = cluster.new_dbname("bare"), cluster.new_dbname("ref")
        cluster.create_database(server, bare)
        cluster.create_database(server, ref)
        try:
            t0 = time.perf_counter()
            report = install(server.conninfo(ref), psql=server.psql, env=getattr(server, "psql_env", dict)())
            install_s = time.perf_counter() - t0
            assert report.error_count == 0 and not report.missing, report.summary()

            conns = {name: cluster.connect(server.conninfo(db)) for name, db in (("bare", bare), ("ref", ref))}
            ms: dict[tuple[str, str], list[float]] = {(n, k): [] for n in conns for k in ("create", "alter")}
            for conn in conns.values():
                conn.execute("CREATE SCHEMA bench")
                for i in range(10):  # warm caches and plans in both databases
                    conn.execute(f"CREATE TABLE bench.w{i} (id int PRIMARY KEY, a text)")
                    conn.execute(f"ALTER TABLE bench.w{i} ADD COLUMN b int")
            for i in range(args.statements):
                for name, conn in conns.items():
                    ms[name, "create"].append(timed(conn, f"CREATE TABLE bench.t{i} (id int PRIMARY KEY, a text, "
                                                          "b int NOT NULL DEFAULT 0)"))
                    ms[name, "alter"].append(timed(conn, f"ALTER TABLE bench.t{i} ADD COLUMN c int"))
            for conn in conns.values():
                conn.close()
        finally:
            cluster.drop_database(server, bare)
            cluster.drop_database(server, ref)

    med = {key: statistics.median(v) for key, v in ms.items()}
    extra = {k: med["ref", k] - med["bare", k] for k in ("create", "alter")}
    print(f"PostgreSQL {getattr(server, 'version', '?')}, {args.statements} statements of each kind per database")
    print(f"install: {install_s:.3f} s wall ({report.seconds:.3f} s per the installer report), "
          f"{len(report.files)} files, {report.error_count} errors")
    for k in ("create", "alter"):
        print(f"{k:>6}: bare {med['bare', k]:.3f} ms, reference {med['ref', k]:.3f} ms, "
              f"extra {extra[k]:.3f} ms ({med['ref', k] / med['bare', k]:.2f}x)")
    ok = install_s <= 1.0 and max(extra.values()) <= 2.0
    print(f"RESULT install {install_s:.3f} s (target <= 1 s) | trigger extra CREATE TABLE {extra['create']:.3f} ms, "
          f"ALTER TABLE {extra['alter']:.3f} ms (target <= 2 ms) | {'OK' if ok else 'OVER TARGET'}")
    emit("reference", {"install_s": (install_s, "s", "lower"),
                       "create_extra_ms": (extra["create"], "ms", "lower"),
                       "alter_extra_ms": (extra["alter"], "ms", "lower")})


if __name__ == "__main__":
    main()
