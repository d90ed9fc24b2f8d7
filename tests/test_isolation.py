"""Per-example isolation: rollback and pre-cloned databases (pggit_model.isolation; contract I6, X1, X2)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pggit_model import cluster
from pggit_model.isolation import ClonePool, NestedTransactions, RollbackIsolation, Template

Server = cluster.ThrowawayCluster | cluster.ExternalServer


@pytest.fixture
def small_template(pggit_server: Server, make_checkout: Callable[..., Path]) -> Iterator[Template]:
    root = make_checkout({"000.sql": "CREATE SCHEMA pggit; CREATE TABLE pggit.marker (v text); "
                                     "INSERT INTO pggit.marker VALUES ('installed'); "
                                     "CREATE SEQUENCE pggit.ids; SELECT nextval('pggit.ids');"})
    t = Template(pggit_server, root)
    yield t
    t.close()


@pytest.mark.server
def test_x1_rollback_isolation_undoes_everything_an_example_did(small_template: Template) -> None:
    """X1/I6: DDL, rows and settings of one example are gone when the next example starts."""
    iso = RollbackIsolation(small_template)
    try:
        with iso.example() as conn:
            conn.execute("CREATE TABLE public.t (i int)")
            conn.execute("INSERT INTO pggit.marker VALUES ('example')")
            conn.execute("SELECT set_config('pggit.current_branch', 'feature', false)")
        with iso.example() as conn:
            assert conn.execute("SELECT to_regclass('public.t')").fetchone() == (None,)
            assert conn.execute("SELECT array_agg(v) FROM pggit.marker").fetchone() == (["installed"],)
            assert conn.execute("SELECT current_setting('pggit.current_branch', true)").fetchone() in [(None,), ("",)]
        assert iso.resets == 2
    finally:
        iso.close()
    assert iso.dbname not in cluster.our_databases(small_template.server)


@pytest.mark.server
def test_i6_rollback_isolation_restores_sequences_like_a_fresh_install(small_template: Template) -> None:
    """I6: ids drawn by one example (not undone by ROLLBACK) are given again in the next, as on a fresh install."""
    iso = RollbackIsolation(small_template)
    try:
        with iso.example() as conn:
            assert conn.execute("SELECT nextval('pggit.ids')").fetchone() == (2,)
            conn.execute("SELECT nextval('pggit.ids')")
        with iso.example() as conn:
            assert conn.execute("SELECT nextval('pggit.ids')").fetchone() == (2,)
    finally:
        iso.close()
    assert iso.dbname not in cluster.our_databases(small_template.server)


@pytest.mark.server
def test_x2_nested_transactions_become_savepoints(small_template: Template) -> None:
    """X2: an example's BEGIN…ROLLBACK undoes only its own part; BEGIN…COMMIT keeps it until the example ends."""
    iso = RollbackIsolation(small_template)
    nest = NestedTransactions()
    try:
        with iso.example() as conn:
            conn.execute("INSERT INTO pggit.marker VALUES ('before')")
            conn.execute(nest.begin())
            conn.execute("INSERT INTO pggit.marker VALUES ('rolled back')")
            conn.execute(nest.rollback())
            conn.execute(nest.begin())
            conn.execute("INSERT INTO pggit.marker VALUES ('committed')")
            conn.execute(nest.commit())
            rows = conn.execute("SELECT v FROM pggit.marker ORDER BY v").fetchall()
            assert [r[0] for r in rows] == ["before", "committed", "installed"]
            assert nest.depth == 0
            assert nest.commit() == "" and nest.rollback() == ""
    finally:
        iso.close()


@pytest.mark.server
def test_i6_clone_pool_gives_fresh_copies_and_drops_used_ones(small_template: Template) -> None:
    """I6: each acquired database is a fresh copy of the template; released ones are dropped in the background."""
    pool = ClonePool(small_template, size=2)
    server = small_template.server
    try:
        a = pool.acquire()
        b = pool.acquire()
        assert a != b
        with cluster.connect(server.conninfo(a)) as conn:
            conn.execute("INSERT INTO pggit.marker VALUES ('dirty')")
        # A session left open must not stop the drop: sessions are terminated first.
        lingering = cluster.connect(server.conninfo(a))
        pool.release(a)
        pool.release(b)
        c = pool.acquire()
        with cluster.connect(server.conninfo(c)) as conn:
            assert conn.execute("SELECT array_agg(v) FROM pggit.marker").fetchone() == (["installed"],)
        deadline = time.monotonic() + 30
        while a in cluster.our_databases(server) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert a not in cluster.our_databases(server)
        lingering.close()
    finally:
        pool.close()
    leftovers = [d for d in cluster.our_databases(server) if d.startswith(cluster.DB_PREFIX + "cl_")]
    assert leftovers == []
