"""``pggit-model load --sessions N --seconds S``: N sessions (2–100) against one database, then pgGit's history
checked (X10, V7, V8, X8 chains; pggit_model.parallel.load)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import TextIO

import psycopg

from ..cluster import drop_database, start_server
from ..divergences import Divergence
from ..isolation import Template
from ..parallel.load import check_capacity, check_sessions, run_load

#: connections the throwaway cluster keeps beyond the sessions (template, clone, observation, margin)
SPARE_CONNECTIONS = 20


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               common: object) -> argparse.ArgumentParser:
    p = sub.add_parser("load", help="N sessions (2–100) run drawn units for a fixed time; pgGit's history is "
                       "checked afterwards (X10, V7, V8, X8)")
    common(p)  # type: ignore[operator]
    p.add_argument("--sessions", type=int, required=True, metavar="N", help="sessions at once, 2–100")
    p.add_argument("--seconds", type=float, default=10.0, metavar="S", help="how long they run (default 10)")
    p.add_argument("--seed", type=int, default=None, help="seed of the sessions' draws (default: random, printed)")
    return p


def load_cmd(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """0 when every check passed, 1 with the divergence, 2 on bad input (checked before anything starts)."""
    def say(msg: str) -> None:
        print(msg, file=out or sys.stdout, flush=True)

    n = check_sessions(args.sessions)
    if args.seconds <= 0:
        print(f"pggit-model: --seconds must be positive, got {args.seconds}", file=sys.stderr)
        return 2
    # our own cluster gets room for N sessions whatever N is (its default max_connections is 100)
    limit = max(100, n + SPARE_CONNECTIONS)
    server = start_server(args.pg_dsn, args.pg_bindir, settings={"max_connections": str(limit)})
    template = None
    try:
        check_capacity(server.conninfo("postgres"), n)  # an existing server: before the template is built
        template = Template(server, args.pggit_source)
        dbname = template.clone("load")
        try:
            report = run_load(server.conninfo(dbname), n, args.seconds, seed=args.seed, progress=say)
        except Divergence as d:
            say(f"DIVERGENCE [{d.rule}] {d.message}")
            return 1
        finally:
            with contextlib.suppress(psycopg.Error):
                drop_database(server, dbname)
        say(report.summary())
        return 0
    finally:
        if template is not None:
            template.close()
        server.close()
