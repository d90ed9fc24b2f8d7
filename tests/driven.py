"""Ops run through the Driver on a real server, every answer and the whole observed state checked against the model
after each step; and a connection to a clone of a reference with a planted fault. One place for the reference tests
that replay a sequence step by step, not a copy per test file."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg import sql

from pggit_model.client import Client
from pggit_model.cluster import ExternalServer, ThrowawayCluster, connect, drop_database
from pggit_model.driver import Driver
from pggit_model.isolation import Template
from pggit_model.mutants import Mutant
from pggit_model.ops import Op
from pggit_model.session import RunStats


def drive(conn: psycopg.Connection, schema: str, ops: Iterable[Op]) -> Driver:
    """Run `ops` through the Driver observing `schema` (created here), checking each answer and the state; every op
    must be one the model predicts. The Driver is returned for checks of its own (e.g. the end of an example)."""
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    driver = Driver(Client(conn, schema), schema, stats=RunStats())
    driver.check_state()
    for op in ops:
        assert driver.run(op) is not None, f"the model leaves {op!r} unspecified"
        driver.check_state()
    return driver


@contextmanager
def mutant_connection(server: ThrowawayCluster | ExternalServer, mutant: Mutant, tmp_path: Path,
                      label: str) -> Iterator[psycopg.Connection]:
    """A connection to a fresh clone of a template holding the reference with `mutant` planted; all dropped after."""
    template = Template(server, mutant.apply(tmp_path / "mutant"))
    try:
        dbname = template.clone(label)
        conn = connect(server.conninfo(dbname))
        try:
            yield conn
        finally:
            conn.close()
            drop_database(server, dbname)
    finally:
        template.close()
