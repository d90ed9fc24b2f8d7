"""X11 (b)-(c) and B17 on the reference backend: a REPEATABLE READ statement on a table whose catalog row another
transaction changed after the snapshot, by a statement that records nothing (V27), commits and records what it
would record serially.

Why this needs its own test: the trigger's plain SQL reads of pg_catalog use the transaction's snapshot, so a
catalog row that the other transaction updated (a GRANT rewrites the table's pg_class row) and that the statement
updates again is visible twice. Reads by key that meet both versions failed with 21000 (a scalar subquery, `INSERT
… ON CONFLICT`) or counted a column or index twice. Sequential scans are forced in the REPEATABLE READ session: an
index scan shows only the first visible version of a heap-only-tuple chain, so whether both versions show would
otherwise depend on free space in the catalog's pages (the parallel machine met it about once in 40 runs). And each
case runs again with index scans, where both updates are heap-only whenever the page has room (the common case in a
fresh database): an index scan then shows the snapshot's version only, without the statement's own change, and the
reference read a retyped column as unchanged until it scanned the catalog itself at REPEATABLE READ.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

pytestmark = pytest.mark.server

SETUP = ("CREATE TABLE {s}.t (a int, b int, k int)", "CREATE INDEX i ON {s}.t (a)",
         "ALTER TABLE {s}.t ADD CONSTRAINT kc CHECK (k > 0) NOT VALID")

# V27: each records nothing, and each rewrites a catalog row of t, its column a, its index or its constraint
UNTRACKED = {
    "grant": "GRANT SELECT ON {s}.t TO PUBLIC",
    "storage": "ALTER TABLE {s}.t SET (fillfactor = 50)",
    "statistics": "ALTER TABLE {s}.t ALTER COLUMN a SET STATISTICS 100",
    "column-grant": "GRANT SELECT (a) ON {s}.t TO PUBLIC",
    "index-storage": "ALTER INDEX {s}.i SET (fillfactor = 50)",
    "cluster-on": "ALTER TABLE {s}.t CLUSTER ON i",
    "validate": "ALTER TABLE {s}.t VALIDATE CONSTRAINT kc",
}

# tracked statements that rewrite the same rows (V10, R3)
TRACKED = {
    "add-column": "ALTER TABLE {s}.t ADD COLUMN c int",
    "rename-column": "ALTER TABLE {s}.t RENAME COLUMN a TO a2",
    "rename-table": "ALTER TABLE {s}.t RENAME TO t9",
    "retype": "ALTER TABLE {s}.t ALTER COLUMN a TYPE bigint",
    "not-null": "ALTER TABLE {s}.t ALTER COLUMN a SET NOT NULL",
    "drop-column": "ALTER TABLE {s}.t DROP COLUMN b",
    "create-index": "CREATE INDEX j ON {s}.t (b)",
    "rename-index": "ALTER INDEX {s}.i RENAME TO i2",
    "comment": "COMMENT ON TABLE {s}.t IS 'x'",
    "rename-constraint": "ALTER TABLE {s}.t RENAME CONSTRAINT kc TO kc2",
}

RECORDED = """
    SELECT o.object_type::text, o.object_name, o.parent_name, o.version_major, o.version_minor, o.version_patch,
           o.is_active, replace(o.structure::text, %(s)s, 'S'),
           array(SELECT (h.change_type::text, h.change_severity::text, h.old_version, h.new_version)::text
                 FROM pggit.history h WHERE h.object_id = o.id ORDER BY h.id)
    FROM pggit.objects o WHERE o.schema_name = %(s)s ORDER BY o.object_type, o.object_name, o.id
"""


def recorded(conn: psycopg.Connection, schema: str) -> list[tuple[object, ...]]:
    return conn.execute(RECORDED, {"s": schema}).fetchall()


def repeatable_read_session(pggit_connect: Callable[[], psycopg.Connection], scans: str) -> psycopg.Connection:
    conn = pggit_connect()
    if scans == "heap":
        conn.execute("SET enable_indexscan = off")
        conn.execute("SET enable_bitmapscan = off")
    return conn


def prepare(conn: psycopg.Connection, schema: str) -> None:
    conn.execute(f"CREATE SCHEMA {schema}")
    for statement in SETUP:
        conn.execute(statement.format(s=schema))


def race_each_tracked(setup: psycopg.Connection, rr: psycopg.Connection, other: str,
                      allowed: str | None = None) -> list[str]:
    """For each tracked statement T: serially `other` then T in one fresh schema; in another, `BEGIN ISOLATION LEVEL
    REPEATABLE READ; SELECT 1` on ``rr``, ``other`` committed by ``setup``, then T and COMMIT on ``rr``. What went
    wrong: an error other than ``allowed`` (whose failure must leave just ``other``'s records), or records that
    differ from the serial run's."""
    failures = []
    for n, (name, tracked) in enumerate(sorted(TRACKED.items())):
        serial, concurrent = f"ser_{n}", f"con_{n}"
        for schema in (serial, concurrent):
            prepare(setup, schema)
        setup.execute(other.format(s=serial))
        only_other = recorded(setup, serial)
        setup.execute(tracked.format(s=serial))
        rr.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        rr.execute("SELECT 1")
        setup.execute(other.format(s=concurrent))
        try:
            rr.execute(tracked.format(s=concurrent))
            rr.execute("COMMIT")
        except psycopg.Error as e:
            rr.execute("ROLLBACK")
            if e.sqlstate != allowed:
                failures.append(f"{name}: {e.sqlstate} {str(e).splitlines()[0]}")
            elif recorded(setup, concurrent) != only_other:
                failures.append(f"{name}: {allowed} left {recorded(setup, concurrent)}")
            continue
        if recorded(setup, concurrent) != recorded(setup, serial):
            failures.append(f"{name}: recorded {recorded(setup, concurrent)}\n  serially {recorded(setup, serial)}")
    return failures


@pytest.mark.parametrize("scans", ["heap", "index"])
@pytest.mark.parametrize("untracked", sorted(UNTRACKED))
def test_x11_a_statement_after_a_concurrent_untracked_change_commits_as_serially(
        pggit_connect: Callable[[], psycopg.Connection], untracked: str, scans: str) -> None:
    """X11(a)/(c), B17: for every tracked statement T, `BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT 1` ∥ another
    session's committed V27 statement U on the same table ∥ T; COMMIT: T succeeds (no 21000, no 40001: U recorded
    nothing) and the schema's objects and history equal those of U then T run one after the other."""
    setup, rr = pggit_connect(), repeatable_read_session(pggit_connect, scans)
    failures = race_each_tracked(setup, rr, UNTRACKED[untracked])
    assert not failures, f"after a concurrent {untracked!r}:\n" + "\n".join(failures)


@pytest.mark.parametrize("scans", ["heap", "index"])
def test_x11_b_a_statement_after_a_concurrent_tracked_change_fails_with_40001_only(
        pggit_connect: Callable[[], psycopg.Connection], scans: str) -> None:
    """X11(b): after another session committed a tracked change of the same table (ADD COLUMN) past the snapshot,
    each tracked statement either fails with 40001 and leaves the other's change alone, or commits and records what
    the two record one after the other; never 21000 from reading both versions of the table's catalog row."""
    setup, rr = pggit_connect(), repeatable_read_session(pggit_connect, scans)
    failures = race_each_tracked(setup, rr, "ALTER TABLE {s}.t ADD COLUMN c0 int", allowed="40001")
    assert not failures, "\n".join(failures)
