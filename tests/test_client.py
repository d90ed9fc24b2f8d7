"""The client: outcomes of statements and one-round-trip observation (pggit_model.client; contract O1–O9)."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from pggit_model import backend
from pggit_model.client import Client
from pggit_model.isolation import RollbackIsolation
from pggit_model.ops import (
    Begin,
    Column,
    Commit,
    CreateBranch,
    CreateTable,
    DropTable,
    GenerateTrinityId,
    Rollback,
    Savepoint,
)

pytestmark = pytest.mark.server
SCHEMA = "mc_client"
TABLE_KEY = ("TABLE", SCHEMA, "Order Items", "main")


def _table() -> CreateTable:
    return CreateTable(schema=SCHEMA, name="Order Items", columns=[Column("id", "int"), Column("note", "text")])


def test_o1_o2_observe_sees_a_created_table_with_its_columns_and_history(pggit_conn: psycopg.Connection) -> None:
    """O1/O2/O8: after CREATE TABLE the snapshot holds the table and column rows and one CREATE row each."""
    pggit_conn.execute(f"CREATE SCHEMA {SCHEMA}")
    client = Client(pggit_conn, SCHEMA)
    assert client.apply(_table()).ok
    snap = client.observe()
    table = snap.objects[TABLE_KEY]
    assert (table.version, table.triple, table.is_active) == (1, "1.0.0", True)
    assert ("COLUMN", SCHEMA, "Order Items.note", "main") in snap.objects
    assert [(h.change_type, h.old_version, h.new_version) for h in snap.history[TABLE_KEY]] == [("CREATE", None, 1)]
    assert snap.current_branch == "main" and set(snap.branches) == {"main"}
    assert snap.branches["main"].parent is None and snap.commits == ()


def test_errors_carry_their_sqlstate_and_leave_the_connection_usable(pggit_conn: psycopg.Connection) -> None:
    """A statement PostgreSQL rejects is an 'error' completion with its SQLSTATE, not an exception."""
    client = Client(pggit_conn, SCHEMA)
    done = client.apply(DropTable(schema=SCHEMA, name="missing"))
    assert (done.status, done.sqlstate) == ("error", "3F000")  # the schema does not exist yet
    assert client.apply(GenerateTrinityId()).ok


def test_a_killed_session_is_an_unknown_outcome(pggit_connect: Callable[[], psycopg.Connection]) -> None:
    """When the backend dies before answering, the outcome is 'unknown', not an error (X5, X7)."""
    victim, killer = pggit_connect(), pggit_connect()
    pid = victim.info.backend_pid
    client = Client(victim, SCHEMA)
    killer.execute("SELECT pg_terminate_backend(%s)", [pid])
    done = client.apply(GenerateTrinityId())
    assert done.status == "unknown", done


def test_nested_mode_emulates_autocommit_and_transactions(pggit_rollback: RollbackIsolation) -> None:
    """X1/X2 under rollback isolation: top-level errors undo one statement; BEGIN…ROLLBACK undoes the block."""
    with pggit_rollback.example() as conn:
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        client = Client(conn, SCHEMA, nested=True)
        assert client.apply(DropTable(schema=SCHEMA, name="missing")).sqlstate == "42P01"
        assert client.apply(_table()).ok  # the failed statement did not poison the outer transaction
        sp = client.apply(Savepoint("s1"))
        assert (sp.status, sp.sqlstate) == ("error", "25P01")  # as autocommit PostgreSQL answers
        assert client.apply(Begin()).ok
        assert client.apply(CreateBranch("f1")).ok
        assert "f1" in client.observe().branches
        assert client.apply(Rollback()).ok
        assert "f1" not in client.observe().branches
        assert client.apply(Begin()).ok
        assert client.apply(DropTable(schema=SCHEMA, name="missing")).status == "error"
        assert client.in_error
        failed = client.apply(CreateBranch("f2"))
        assert failed.sqlstate == "25P02"  # aborted transaction
        assert client.apply(Commit()).ok  # COMMIT of an aborted transaction rolls it back
        assert not client.in_error and TABLE_KEY in client.observe().objects


def test_history_cache_follows_rollbacks(pggit_rollback: RollbackIsolation) -> None:
    """O2: the incremental history equals a full read after rows are rolled back and new ones added."""
    with pggit_rollback.example() as conn:
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        client = Client(conn, SCHEMA, nested=True)
        client.apply(_table())
        first = client.observe().history
        client.apply(Begin())
        client.apply(DropTable(schema=SCHEMA, name="Order Items"))
        assert [h.change_type for h in client.observe().history[TABLE_KEY]] == ["CREATE", "DROP"]
        client.apply(Rollback())
        assert client.observe().history == first
        client.apply(DropTable(schema=SCHEMA, name="Order Items"))
        fresh = Client(conn, SCHEMA, nested=True).observe().history
        assert client.observe().history == fresh


def test_a_rejected_statement_carries_the_observation_of_the_state_it_left(pggit_rollback: RollbackIsolation) -> None:
    """X4 under rollback isolation: the snapshot taken with the undo of a failed statement is a full observation."""
    with pggit_rollback.example() as conn:
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        client = Client(conn, SCHEMA, nested=True)
        assert client.apply(_table(), observe=True).ok and client.last_snapshot is not None
        done = client.apply(_table(), observe=True)
        assert (done.status, done.sqlstate) == ("error", "42P07")
        assert client.last_snapshot is not None and not client.in_error
        assert client.last_snapshot == Client(conn, SCHEMA, nested=True).observe()


def test_the_observation_is_prepared_once_per_connection_and_outlives_rollbacks(
        pggit_rollback: RollbackIsolation) -> None:
    """O1–O7 in one round trip: the prepared observation serves every example on the connection."""
    for _ in range(2):
        with pggit_rollback.example() as conn:
            conn.execute(f"CREATE SCHEMA {SCHEMA}")
            client = Client(conn, SCHEMA, nested=True)
            assert client.apply(_table(), observe=True).ok
            assert client.last_snapshot is not None and TABLE_KEY in client.last_snapshot.objects
            prepared = conn.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'pggit_model_observe'")
            assert prepared.fetchone() == (1,)


def test_a_reprobe_prepares_both_observations_again(pggit_conn: psycopg.Connection) -> None:
    """U1/U2: after the backend changed under the connection, the full and the changes-only observation are both
    prepared again (not one left behind, so that the next PREPARE fails and every step sends the text)."""
    pggit_conn.execute(f"CREATE SCHEMA {SCHEMA}")
    client = Client(pggit_conn, SCHEMA)
    names = "SELECT name FROM pg_prepared_statements WHERE name LIKE 'pggit_model_%' ORDER BY 1"
    client.observe()
    before = pggit_conn.execute(names).fetchall()
    assert before == [("pggit_model_changes",), ("pggit_model_observe",)]
    client.reprobe(backend.probe(pggit_conn))
    assert client.apply(_table()).ok
    assert TABLE_KEY in client.observe().objects
    assert pggit_conn.execute(names).fetchall() == before
    observer = client._observer  # the text each step sends: EXECUTE of the prepared one, not the whole query
    assert observer.sql_text().startswith("EXECUTE pggit_model_observe")
    assert observer.sql_text(changes=True).startswith("EXECUTE pggit_model_changes")


def test_a_drop_does_not_take_the_prepared_observation_with_it(pggit_conn: psycopg.Connection) -> None:
    """O1: psycopg's own prepared statements answer a DROP with DEALLOCATE ALL; the observation must survive it
    (a ci run against pgGit failed every op after a DROP FUNCTION in a transaction with 26000)."""
    pggit_conn.execute(f"CREATE SCHEMA {SCHEMA}")
    client = Client(pggit_conn, SCHEMA)
    assert client.apply(_table()).ok
    client.observe()  # prepares the observation
    for _ in range(6):  # often enough for psycopg's automatic preparing, were it on
        pggit_conn.execute("SELECT %s::int", [1])
    for op in (Begin(), DropTable(SCHEMA, "Order Items"), GenerateTrinityId()):  # observed in the op's round trip
        done = client.apply(op, observe=True)
        assert done.ok, (op, done)
    assert client.last_snapshot is not None and not client.last_snapshot.objects[TABLE_KEY].is_active

def test_a_backend_the_observation_cannot_read_fails_it_as_before(pggit_conn: psycopg.Connection) -> None:
    """I4: when PREPARE fails (a table missing that the client was told exists), the example's transaction
    survives and the text is sent. (Probed, a missing table is left unobserved instead: tests/test_backend.py.)"""
    pggit_conn.execute("BEGIN")
    pggit_conn.execute("DROP TABLE pggit.merge_conflicts CASCADE")
    client = Client(pggit_conn, SCHEMA, probe=backend.Probe())
    with pytest.raises(psycopg.errors.UndefinedTable):  # not InFailedSqlTransaction: the PREPARE left no trace
        client.observe()


def test_a_snapshot_is_not_changed_by_later_observations(pggit_rollback: RollbackIsolation) -> None:
    """O1/O2: areas shared between snapshots (unchanged ones are reused) are never mutated afterwards."""
    with pggit_rollback.example() as conn:
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
        client = Client(conn, SCHEMA, nested=True)
        empty = client.observe()
        assert client.observe().objects is empty.objects  # nothing changed: the rows are not rebuilt
        client.apply(_table())
        created = client.observe()
        client.apply(DropTable(schema=SCHEMA, name="Order Items"))
        dropped = client.observe()
        assert empty.objects == {} and empty.history == {}
        assert created.objects[TABLE_KEY].is_active and not dropped.objects[TABLE_KEY].is_active
        assert [h.change_type for h in created.history[TABLE_KEY]] == ["CREATE"]
        assert [h.change_type for h in dropped.history[TABLE_KEY]] == ["CREATE", "DROP"]
        assert dropped.history[TABLE_KEY][0] == ("CREATE", "MINOR", None, 1)  # rows equal the model's tuples
