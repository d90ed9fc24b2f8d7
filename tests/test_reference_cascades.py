"""Reference backend, second model: cascades (§14.1 V26 rows a–i, V15, N4) and statements outside a transaction
block (§14.6 X13, V24m–p, H11), one test per rule row, against a real server."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest

from tests.test_reference_tracking import agrees_with_model

pytestmark = pytest.mark.server


def row(conn: psycopg.Connection, kind: str, schema: str, name: str) -> tuple | None:
    """(version, 'M.m.p', is_active) of one row key on main, or None."""
    return conn.execute(
        "SELECT version, version_major || '.' || version_minor || '.' || version_patch, is_active"
        " FROM pggit.objects WHERE object_type = %s AND schema_name = %s AND object_name = %s"
        " AND branch_name = 'main'", (kind, schema, name)).fetchone()


def last(conn: psycopg.Connection, kind: str, schema: str, name: str) -> tuple | None:
    """The key's last history row: (change_type, severity, old_version, new_version)."""
    return conn.execute(
        "SELECT h.change_type::text, h.change_severity::text, h.old_version, h.new_version"
        " FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id WHERE o.object_type = %s"
        " AND o.schema_name = %s AND o.object_name = %s AND o.branch_name = 'main' ORDER BY h.id DESC LIMIT 1",
        (kind, schema, name)).fetchone()


def rows_count(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM pggit.history").fetchone()[0]


@pytest.fixture
def c(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    """An autocommit session with schema c (statements outside a transaction block run as they are, X13)."""
    pggit_conn.execute("CREATE SCHEMA c")
    pggit_conn.execute("SET search_path = c")
    return pggit_conn


def _parent_child(c: psycopg.Connection) -> None:
    c.execute("CREATE TABLE c.p (id int PRIMARY KEY, code int UNIQUE)")
    c.execute("CREATE TABLE c.ch (id int PRIMARY KEY, pid int REFERENCES c.p, pcode int REFERENCES c.p (code))")


def test_v26a_drop_table_cascade_into_a_foreign_key_and_a_view(c):
    """V26a: DROP TABLE p CASCADE drops the referencing table's FKs (ch records one ALTER MINOR) and the view over p
    (VIEW dropped); p, its columns and indexes are dropped."""
    _parent_child(c)
    c.execute("CREATE VIEW c.pv AS SELECT id FROM c.p")
    c.execute("DROP TABLE c.p CASCADE")
    assert row(c, "TABLE", "c", "ch") == (2, "1.1.0", True)
    assert last(c, "TABLE", "c", "ch") == ("ALTER", "MINOR", 1, 2)
    assert last(c, "VIEW", "c", "pv")[0] == "DROP" and row(c, "VIEW", "c", "pv")[2] is False
    assert [row(c, k, "c", n)[2] for k, n in (("TABLE", "p"), ("COLUMN", "p.id"), ("INDEX", "p_pkey"))] == [False] * 3
    assert row(c, "COLUMN", "c", "ch.pid") == (1, "1.0.0", True)  # the column stays; only its FK went


def test_v15_v26_without_cascade_nothing(c):
    """V15, V26: without CASCADE PostgreSQL rejects each dependent drop with 2BP01 and nothing is recorded."""
    _parent_child(c)
    c.execute("CREATE TYPE c.mood AS ENUM ('a', 'b')")
    c.execute("CREATE SEQUENCE c.sq")
    c.execute("CREATE FUNCTION c.f1(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1'")
    c.execute("CREATE TABLE c.t (m c.mood, s int DEFAULT nextval('c.sq'), d int DEFAULT c.f1(1))")
    before = rows_count(c)
    for stmt in ("DROP TABLE c.p", "ALTER TABLE c.p DROP COLUMN code", "ALTER TABLE c.p DROP CONSTRAINT p_pkey",
                 "DROP TYPE c.mood", "DROP SEQUENCE c.sq", "DROP FUNCTION c.f1(int)", "DROP SCHEMA c"):
        with pytest.raises(psycopg.errors.DependentObjectsStillExist):
            c.execute(stmt)
    assert rows_count(c) == before


def test_v26b_drop_column_cascade(c):
    """V26b: DROP COLUMN code CASCADE: p records ALTER MAJOR (V10f), code's UNIQUE index is dropped, the FK of ch into
    it goes (ch ALTER MINOR), a view using code is dropped."""
    _parent_child(c)
    c.execute("CREATE VIEW c.cv AS SELECT code FROM c.p")
    c.execute("ALTER TABLE c.p DROP COLUMN code CASCADE")
    assert last(c, "TABLE", "c", "p") == ("ALTER", "MAJOR", 1, 2)
    assert row(c, "COLUMN", "c", "p.code")[2] is False and row(c, "INDEX", "c", "p_code_key")[2] is False
    assert last(c, "TABLE", "c", "ch") == ("ALTER", "MINOR", 1, 2)
    assert row(c, "VIEW", "c", "cv")[2] is False


def test_v26c_drop_referenced_constraint_cascade(c):
    """V26c: DROP CONSTRAINT p_pkey CASCADE drops the PK's index (INDEX dropped), p records MINOR (V10l) and ch,
    whose FK went with it, MINOR."""
    _parent_child(c)
    c.execute("ALTER TABLE c.p DROP CONSTRAINT p_pkey CASCADE")
    assert last(c, "TABLE", "c", "p") == ("ALTER", "MINOR", 1, 2)
    assert row(c, "INDEX", "c", "p_pkey")[2] is False
    assert last(c, "TABLE", "c", "ch") == ("ALTER", "MINOR", 1, 2)
    assert row(c, "COLUMN", "c", "ch.pid") == (1, "1.0.0", True)


def test_v26d_drop_type_and_domain_cascade(c):
    """V26d: DROP TYPE (enum) / DROP DOMAIN … CASCADE drop the columns of that type (COLUMN rows dropped) and each
    table records one ALTER MAJOR, though PostgreSQL reports those tables only in sql_drop (B6)."""
    c.execute("CREATE TYPE c.mood AS ENUM ('a', 'b')")
    c.execute("CREATE DOMAIN c.posint AS int CHECK (VALUE > 0)")
    c.execute("CREATE TABLE c.t (id int, m c.mood, p c.posint)")
    c.execute("CREATE TABLE c.u (id int, m c.mood)")
    c.execute("DROP TYPE c.mood CASCADE")
    assert last(c, "TABLE", "c", "t") == ("ALTER", "MAJOR", 1, 2)
    assert last(c, "TABLE", "c", "u") == ("ALTER", "MAJOR", 1, 2)
    assert row(c, "COLUMN", "c", "t.m")[2] is False and row(c, "COLUMN", "c", "u.m")[2] is False
    c.execute("DROP DOMAIN c.posint CASCADE")
    assert last(c, "TABLE", "c", "t") == ("ALTER", "MAJOR", 2, 3)
    assert row(c, "COLUMN", "c", "t.p")[2] is False and row(c, "COLUMN", "c", "t.id")[2] is True


def test_v26e_drop_function_cascade_highest_severity(c):
    """V26e: DROP FUNCTION f CASCADE: a default calling f goes (PATCH), a generated column using f goes (COLUMN
    dropped, MAJOR), a CHECK goes (MINOR), an expression index goes (INDEX dropped, PATCH), a view goes; each table
    records one ALTER at the highest of its losses."""
    c.execute("CREATE FUNCTION c.f1(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1'")
    c.execute("CREATE TABLE c.dflt (id int, d int DEFAULT c.f1(1))")
    c.execute("CREATE TABLE c.gen (id int, g int GENERATED ALWAYS AS (c.f1(id)) STORED, d int DEFAULT c.f1(2))")
    c.execute("CREATE TABLE c.chk (id int CONSTRAINT chk_k CHECK (c.f1(id) > 0), d int DEFAULT c.f1(3))")
    c.execute("CREATE TABLE c.idx (id int)")
    c.execute("CREATE INDEX idx_expr ON c.idx (c.f1(id))")
    c.execute("CREATE VIEW c.fv AS SELECT c.f1(1) AS one")
    c.execute("DROP FUNCTION c.f1(int) CASCADE")
    assert last(c, "TABLE", "c", "dflt") == ("ALTER", "PATCH", 1, 2)
    assert last(c, "TABLE", "c", "gen") == ("ALTER", "MAJOR", 1, 2)
    assert row(c, "COLUMN", "c", "gen.g")[2] is False
    assert last(c, "TABLE", "c", "chk") == ("ALTER", "MINOR", 1, 2)
    assert last(c, "TABLE", "c", "idx") == ("ALTER", "PATCH", 2, 3)  # 2: its CREATE INDEX (V10c)
    assert row(c, "INDEX", "c", "idx_expr")[2] is False
    assert row(c, "VIEW", "c", "fv")[2] is False and row(c, "FUNCTION", "c", "f1(integer)")[2] is False


def test_v26f_drop_sequence_cascade(c):
    """V26f: DROP SEQUENCE s CASCADE removes the defaults calling nextval on s: the table records ALTER PATCH."""
    c.execute("CREATE SEQUENCE c.sq")
    c.execute("CREATE TABLE c.t (id int, s int DEFAULT nextval('c.sq'))")
    c.execute("DROP SEQUENCE c.sq CASCADE")
    assert last(c, "TABLE", "c", "t") == ("ALTER", "PATCH", 1, 2)
    assert row(c, "COLUMN", "c", "t.s") == (1, "1.0.0", True)


def test_v26g_drop_view_cascade(c):
    """V26g: DROP VIEW v CASCADE drops the views over v too (each VIEW row dropped); no table records anything."""
    c.execute("CREATE TABLE c.t (id int)")
    c.execute("CREATE VIEW c.v1 AS SELECT id FROM c.t")
    c.execute("CREATE VIEW c.v2 AS SELECT id FROM c.v1")
    c.execute("DROP VIEW c.v1 CASCADE")
    assert row(c, "VIEW", "c", "v1")[2] is False and row(c, "VIEW", "c", "v2")[2] is False
    assert row(c, "TABLE", "c", "t") == (1, "1.0.0", True)


def test_v26h_drop_two_tables_at_once(c):
    """V26h: DROP TABLE p, ch (ch references p): both are dropped; ch records only its drop, no ALTER for its FK."""
    _parent_child(c)
    c.execute("DROP TABLE c.p, c.ch")
    assert last(c, "TABLE", "c", "ch") == ("DROP", "MAJOR", 1, None)
    assert last(c, "TABLE", "c", "p") == ("DROP", "MAJOR", 1, None)


def test_v26i_n4_drop_schema_cascade_into_another_schema(c):
    """V26i, N4: DROP SCHEMA s3 CASCADE drops s3's objects (COLUMN rows too); the table of c with an FK into s3
    records ALTER MINOR and the view of c over s3's table is dropped."""
    c.execute("CREATE SCHEMA s3")
    c.execute("CREATE TABLE s3.a (id int PRIMARY KEY)")
    c.execute("CREATE TABLE c.x (id int, a_id int REFERENCES s3.a)")
    c.execute("CREATE VIEW c.vx AS SELECT id FROM s3.a")
    c.execute("DROP SCHEMA s3 CASCADE")
    assert row(c, "TABLE", "s3", "a")[2] is False and row(c, "COLUMN", "s3", "a.id")[2] is False
    assert last(c, "TABLE", "c", "x") == ("ALTER", "MINOR", 1, 2)
    assert row(c, "VIEW", "c", "vx")[2] is False


def test_h12_cascade_changes_the_hash_of_the_tables_it_changes(c):
    """H12: after DROP TABLE p CASCADE the referencing table's constraints hash changes, another table's does not."""
    _parent_child(c)
    c.execute("CREATE TABLE c.other (id int PRIMARY KEY)")
    q = "SELECT constraints_hash FROM pggit.compute_table_component_hashes('c', %s)"
    before = {n: c.execute(q, (n,)).fetchone()[0] for n in ("ch", "other")}
    c.execute("DROP TABLE c.p CASCADE")
    after = {n: c.execute(q, (n,)).fetchone()[0] for n in ("ch", "other")}
    assert before["ch"] != after["ch"] and before["other"] == after["other"]


# --- X13: statements outside a transaction block ------------------------------------------------------------


def test_v24m_x13_create_and_drop_index_concurrently(c):
    """V24m, X13(a)(b): CREATE INDEX CONCURRENTLY creates the INDEX row and records t PATCH; DROP INDEX CONCURRENTLY
    (which fails with 0A000 if ddl_command_start assigned a transaction id) drops it and records t PATCH."""
    c.execute("CREATE TABLE c.t (id int, note text)")
    c.execute("CREATE INDEX CONCURRENTLY t_note ON c.t (note)")
    assert row(c, "INDEX", "c", "t_note") == (1, "1.0.0", True)
    assert last(c, "TABLE", "c", "t") == ("ALTER", "PATCH", 1, 2)
    c.execute("DROP INDEX CONCURRENTLY c.t_note")
    assert row(c, "INDEX", "c", "t_note")[2] is False
    assert last(c, "TABLE", "c", "t") == ("ALTER", "PATCH", 2, 3)


def test_x13a_ddl_command_start_assigns_no_transaction_id(pggit_connect: Callable[[], psycopg.Connection]):
    """X13(a): the reference's ddl_command_start work leaves the transaction without an id (B11): inside one
    transaction, a DDL statement's start trigger alone does not make txid_current_if_assigned() non-NULL."""
    conn = pggit_connect()
    conn.execute("CREATE SCHEMA c")
    with conn.transaction():
        # DROP of a missing index with IF EXISTS: ddl_command_start fires, nothing is dropped or recorded
        conn.execute("DROP INDEX IF EXISTS c.nothing_here")
        assert conn.execute("SELECT txid_current_if_assigned()").fetchone()[0] is None


def test_v24n_failing_create_index_concurrently_records_nothing(c):
    """V24n, X13(c): a CREATE INDEX CONCURRENTLY that fails (UNIQUE over duplicates, 23505) leaves an INVALID index
    with no row and records nothing; its later DROP INDEX (CONCURRENTLY) and REINDEX record nothing either."""
    c.execute("CREATE TABLE c.t (id int)")
    c.execute("INSERT INTO c.t VALUES (1), (1)")
    before = rows_count(c)
    with pytest.raises(psycopg.errors.UniqueViolation):
        c.execute("CREATE UNIQUE INDEX CONCURRENTLY t_u ON c.t (id)")
    assert c.execute("SELECT indisvalid FROM pg_index WHERE indexrelid = 'c.t_u'::regclass").fetchone() == (False,)
    assert row(c, "INDEX", "c", "t_u") is None and rows_count(c) == before
    c.execute("DROP INDEX CONCURRENTLY c.t_u")
    assert rows_count(c) == before and row(c, "TABLE", "c", "t") == (1, "1.0.0", True)


def test_v24o_reindex_records_nothing(c):
    """V24o: REINDEX INDEX / TABLE / SCHEMA, also CONCURRENTLY (which gives the index a new OID, B20), CLUSTER,
    VACUUM and ANALYZE record nothing; the index keeps its row and later DDL on it is tracked (V20)."""
    c.execute("CREATE TABLE c.t (id int PRIMARY KEY, v int)")
    c.execute("CREATE INDEX t_v ON c.t (v)")
    before = rows_count(c)
    for stmt in ("REINDEX INDEX c.t_v", "REINDEX INDEX CONCURRENTLY c.t_v", "REINDEX TABLE CONCURRENTLY c.t",
                 "REINDEX SCHEMA c", "CLUSTER c.t USING t_pkey", "VACUUM c.t", "ANALYZE c.t"):
        c.execute(stmt)
    assert rows_count(c) == before
    c.execute("DROP INDEX c.t_v")
    assert row(c, "INDEX", "c", "t_v")[2] is False and last(c, "TABLE", "c", "t") == ("ALTER", "PATCH", 2, 3)


def test_v24p_h11_storage_parameters_and_statistics_record_nothing(c):
    """V24p, H11: ALTER INDEX SET/RESET (…), ALTER TABLE SET (…), SET STATISTICS record nothing; the index's hash
    changes with SET (…) (pg_get_indexdef shows WITH (…), B19), the table's does not."""
    c.execute("CREATE TABLE c.t (id int, v int)")
    c.execute("CREATE INDEX t_v ON c.t (v)")
    before = rows_count(c)
    ih = c.execute("SELECT pggit.compute_ddl_hash('INDEX', 'c', 't_v')").fetchone()[0]
    th = c.execute("SELECT pggit.compute_ddl_hash('TABLE', 'c', 't')").fetchone()[0]
    c.execute("ALTER INDEX c.t_v SET (fillfactor = 70)")
    c.execute("ALTER TABLE c.t SET (fillfactor = 50)")
    c.execute("ALTER TABLE c.t ALTER COLUMN v SET STATISTICS 10")
    assert rows_count(c) == before
    assert c.execute("SELECT pggit.compute_ddl_hash('INDEX', 'c', 't_v')").fetchone()[0] != ih
    assert c.execute("SELECT pggit.compute_ddl_hash('TABLE', 'c', 't')").fetchone()[0] == th
    c.execute("ALTER INDEX c.t_v RESET (fillfactor)")
    assert rows_count(c) == before


def test_v20_reindex_concurrently_then_rename_keeps_the_index_identity(c):
    """V20, R3c, A84: REINDEX INDEX CONCURRENTLY gives the index a new OID without any event; the replacement (same
    table, same name) continues the index's identity, so a later rename is a key change (RENAME rows, the table
    PATCH), not a drop and a create."""
    c.execute("CREATE TABLE c.t1 (id int CONSTRAINT pk PRIMARY KEY, v int)")
    c.execute("CREATE INDEX t1_v ON c.t1 (v)")
    c.execute("REINDEX INDEX CONCURRENTLY c.pk")
    c.execute("ALTER INDEX c.pk RENAME TO i3")
    assert last(c, "INDEX", "c", "pk") == ("RENAME", "PATCH", 1, None)
    assert row(c, "INDEX", "c", "i3") == (2, "1.0.1", True)
    assert last(c, "INDEX", "c", "i3") == ("RENAME", "PATCH", 1, 2)
    assert last(c, "TABLE", "c", "t1") == ("ALTER", "PATCH", 2, 3)
    # REINDEX TABLE CONCURRENTLY replaces every index at once; a rename of one of them is still a key change
    c.execute("REINDEX TABLE CONCURRENTLY c.t1")
    c.execute("ALTER INDEX c.t1_v RENAME TO t1_w")
    assert last(c, "INDEX", "c", "t1_v") == ("RENAME", "PATCH", 1, None)
    assert last(c, "INDEX", "c", "t1_w") == ("RENAME", "PATCH", 1, 2)
    assert row(c, "INDEX", "c", "i3") == (2, "1.0.1", True)
    assert last(c, "TABLE", "c", "t1") == ("ALTER", "PATCH", 3, 4)


def test_v20_reindex_concurrently_then_rename_agrees_with_the_model(pggit_conn):
    """V20, A84: the model (which keys indexes by name, so REINDEX changes nothing for it) and the reference agree
    step by step, whole state compared, on REINDEX … CONCURRENTLY followed by renames of the replaced indexes."""
    agrees_with_model(pggit_conn, [
        "CREATE TABLE app.t1 (id int CONSTRAINT pk PRIMARY KEY, v int)", "CREATE INDEX t1_v ON app.t1 (v)",
        "REINDEX INDEX CONCURRENTLY app.pk", "ALTER INDEX app.pk RENAME TO i3",
        "REINDEX TABLE CONCURRENTLY app.t1", "ALTER TABLE app.t1 RENAME CONSTRAINT i3 TO i4",
        "ALTER INDEX app.t1_v RENAME TO t1_w", "DROP INDEX app.t1_w", "CREATE INDEX t1_x ON app.t1 (v)",
        "REINDEX INDEX CONCURRENTLY app.t1_x", "CREATE SCHEMA s2", "ALTER TABLE app.t1 SET SCHEMA s2",
        "ALTER INDEX s2.t1_x RENAME TO t1_y",
    ], schema="s")


def test_v20_a_replaced_index_dropped_leaves_no_identity_behind(pggit_conn):
    """V20, V24o, V10c: REINDEX … CONCURRENTLY then DROP INDEX of the replacement forgets the index's identity, so
    the table's next new index is created (an INDEX row, the table PATCH) rather than taken for a rename of the
    dropped one (a cascades-machine smoke found this)."""
    agrees_with_model(pggit_conn, [
        "CREATE TABLE app.t (id int, a int)", "CREATE INDEX CONCURRENTLY cic ON app.t (id)",
        "REINDEX INDEX CONCURRENTLY app.cic", "DROP INDEX CONCURRENTLY app.cic", "CREATE INDEX ff ON app.t (id)",
        "REINDEX TABLE CONCURRENTLY app.t", "DROP INDEX app.ff", "CREATE INDEX CONCURRENTLY cic ON app.t (a)",
    ], schema="s")


DRIFT_THEN_NEW_INDEX = {
    # CI smoke (drift machine): drift dropped the unique constraint's index, then a plain index was created
    "constraint index gone, plain index created": [
        "CREATE TABLE app.t1 (id int)", "ALTER TABLE app.t1 ADD CONSTRAINT k1 UNIQUE (id)",
        "~ALTER TABLE app.t1 DROP CONSTRAINT k1, ALTER COLUMN id SET NOT NULL", "CREATE INDEX i1 ON app.t1 (id)"],
    # the same definition under another name: still a new index, not the dropped one renamed
    "index gone, its twin created": [
        "CREATE TABLE app.t (id int)", "CREATE INDEX a ON app.t (id)", "~DROP INDEX app.a",
        "CREATE INDEX b ON app.t (id)"],
    "index gone, a constraint added": [
        "CREATE TABLE app.t (id int)", "CREATE INDEX a ON app.t (id)", "~DROP INDEX app.a",
        "ALTER TABLE app.t ADD CONSTRAINT u UNIQUE (id)", "ALTER INDEX app.u RENAME TO u2"],
}


@pytest.mark.parametrize("name", list(DRIFT_THEN_NEW_INDEX))
def test_v20_u3_an_index_drift_dropped_is_not_continued_by_a_new_one(pggit_conn, name):
    """V20, U3, V7: an index dropped while the triggers did not fire leaves its identity behind with no OID; a
    new index on the table is created (V7, 1.0.0), not taken for that one replaced by REINDEX … CONCURRENTLY
    (which builds the same index again, unreported). Statements starting with ~ run as drift."""
    agrees_with_model(pggit_conn, DRIFT_THEN_NEW_INDEX[name])


def test_v24aa_v24m_indexes_on_a_materialized_view_built_and_dropped_concurrently(pggit_conn):
    """V24aa, V24m, X13: CREATE / DROP INDEX CONCURRENTLY on a materialized view create / drop the INDEX row and
    bump the view PATCH, as without CONCURRENTLY; IF [NOT] EXISTS on what is (not) there records nothing (V15). The
    model crashed on the DROP (it took the index's relation for a table; a model-vs-PostgreSQL fuzz found it)."""
    agrees_with_model(pggit_conn, [
        "CREATE TABLE app.t (id int)", "CREATE MATERIALIZED VIEW app.mv AS SELECT id FROM app.t WITH NO DATA",
        "CREATE INDEX CONCURRENTLY mi ON app.mv (id)", "CREATE INDEX CONCURRENTLY IF NOT EXISTS mi ON app.mv (id)",
        "DROP INDEX CONCURRENTLY app.mi", "DROP INDEX CONCURRENTLY IF EXISTS app.mi",
        "CREATE UNIQUE INDEX CONCURRENTLY mu ON app.mv (id)", "REFRESH MATERIALIZED VIEW app.mv",
        "DROP INDEX CONCURRENTLY app.mu",
    ], schema="s")


def test_v24n_invalid_index_never_gets_a_row_step_by_step(pggit_conn):
    """V24n, H4: the INVALID index a failed CREATE UNIQUE INDEX CONCURRENTLY leaves gets no row later either — a
    CREATE INDEX on its table records only the new index — and is no part of the table's indexes_hash; its DROP
    records nothing; step by step against the model (which keeps the rows the build failed on)."""
    agrees_with_model(pggit_conn, [
        "CREATE TABLE app.dups (k integer, v integer)",
        "SELECT * FROM pggit.compute_table_component_hashes('s', 'dups')",
        "INSERT INTO app.dups (k, v) VALUES (1, 1), (1, 2), (NULL, 3)",
        "CREATE UNIQUE INDEX CONCURRENTLY dups_u ON app.dups (k)",
        "SELECT * FROM pggit.compute_table_component_hashes('s', 'dups')",
        "REINDEX TABLE CONCURRENTLY app.dups",
        "CREATE INDEX ff ON app.dups (k)",
        "DROP INDEX CONCURRENTLY app.dups_u",
        "DELETE FROM app.dups",
        "CREATE UNIQUE INDEX CONCURRENTLY dups_u ON app.dups (k)",
    ])
