"""Reference backend, second model: partitions and inheritance (§14.1 V22–V25, V28; H8, H12), one test per V24 row
q–x and per propagated statement, against a real server."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.server


def row(conn: psycopg.Connection, kind: str, name: str) -> tuple | None:
    """(version, 'M.m.p', is_active) of one row key in schema app on main, or None."""
    return conn.execute(
        "SELECT version, version_major || '.' || version_minor || '.' || version_patch, is_active"
        " FROM pggit.objects WHERE object_type = %s AND schema_name = 'app' AND object_name = %s"
        " AND branch_name = 'main'", (kind, name)).fetchone()


def last(conn: psycopg.Connection, kind: str, name: str) -> tuple | None:
    """The last O2 row of one key: (change_type, severity, old_version, new_version)."""
    return conn.execute(
        "SELECT h.change_type::text, h.change_severity::text, h.old_version, h.new_version"
        " FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id WHERE o.object_type = %s"
        " AND o.schema_name = 'app' AND o.object_name = %s AND o.branch_name = 'main' ORDER BY h.id DESC LIMIT 1",
        (kind, name)).fetchone()


def count(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM pggit.history").fetchone()[0]


@pytest.fixture
def app(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    """Schema app with m (RANGE on k) and partitions m_p0, m_p1; p (a, b) with child c (x)."""
    for sql in ("CREATE SCHEMA app",
                "CREATE TABLE app.m (k int NOT NULL, v text) PARTITION BY RANGE (k)",
                "CREATE TABLE app.m_p0 PARTITION OF app.m FOR VALUES FROM (0) TO (10)",
                "CREATE TABLE app.m_p1 PARTITION OF app.m FOR VALUES FROM (10) TO (20)",
                "CREATE TABLE app.p (a int, b text)",
                "CREATE TABLE app.c (x int) INHERITS (app.p)"):
        pggit_conn.execute(sql)
    return pggit_conn


def test_v24q_v24r_v22_partitioned_table_and_partitions_are_tables(app):
    """V24q, V24r, V22: the partitioned table and each partition are TABLE rows with their COLUMN rows (1.0.0);
    adding a partition records nothing on m."""
    for t in ("m", "m_p0", "m_p1"):
        assert row(app, "TABLE", t) == (1, "1.0.0", True)
        assert row(app, "COLUMN", f"{t}.k") == (1, "1.0.0", True)
    assert last(app, "TABLE", "m") == ("CREATE", "MINOR", None, 1)


def test_v24r_v22_partition_indexes_are_index_rows(app):
    """V24r, V22, V25: CREATE INDEX on m gives INDEX rows for the partitioned index and each partition index (each
    table PATCH); a new partition's cloned index is created with it, m records nothing."""
    app.execute("CREATE INDEX mi ON app.m (v)")
    assert row(app, "INDEX", "mi") == (1, "1.0.0", True)
    for x in ("m", "m_p0", "m_p1"):
        assert row(app, "TABLE", x) == (2, "1.0.1", True), x
    assert row(app, "INDEX", "m_p0_v_idx") == (1, "1.0.0", True)
    app.execute("CREATE TABLE app.m_def PARTITION OF app.m DEFAULT")
    assert row(app, "INDEX", "m_def_v_idx") == (1, "1.0.0", True)
    assert row(app, "TABLE", "m") == (2, "1.0.1", True)


def test_v24s_attach_is_major_on_the_partition_only(app):
    """V24s: ATTACH PARTITION (reported as an ALTER of m, B5) records MAJOR on the attached table, creates the
    partition index PostgreSQL builds for m's index, and records nothing on m."""
    app.execute("CREATE INDEX mi ON app.m (v)")
    app.execute("CREATE TABLE app.x (k int NOT NULL, v text)")
    app.execute("ALTER TABLE app.m ATTACH PARTITION app.x FOR VALUES FROM (20) TO (30)")
    assert last(app, "TABLE", "x") == ("ALTER", "MAJOR", 1, 2)
    assert row(app, "INDEX", "x_v_idx") == (1, "1.0.0", True)
    assert row(app, "TABLE", "m") == (2, "1.0.1", True)


def test_v24t_detach_is_minor_and_keeps_indexes(app):
    """V24t: DETACH PARTITION records MINOR on the partition, nothing on m; its index stays (no DROP row)."""
    app.execute("CREATE INDEX mi ON app.m (v)")
    app.execute("ALTER TABLE app.m DETACH PARTITION app.m_p0")
    assert last(app, "TABLE", "m_p0") == ("ALTER", "MINOR", 2, 3)
    assert row(app, "INDEX", "m_p0_v_idx") == (1, "1.0.0", True)
    assert row(app, "TABLE", "m") == (2, "1.0.1", True)
    app.execute("ALTER TABLE app.m ATTACH PARTITION app.m_p0 FOR VALUES FROM (0) TO (10)")
    assert last(app, "TABLE", "m_p0") == ("ALTER", "MAJOR", 3, 4)
    assert row(app, "INDEX", "m_p0_v_idx") == (1, "1.0.0", True)


def test_v24t_x13_detach_concurrently_is_minor_with_its_check(app):
    """V24t, X13, A52: DETACH PARTITION … CONCURRENTLY (autocommit) records MINOR on the partition although
    PostgreSQL adds a CHECK equal to the old bound (the same change, not V10k's MAJOR), nothing on m; its index
    stays; a later DROP of that CHECK is V10l's MINOR; with a default partition it is refused and records nothing."""
    app.execute("CREATE INDEX mi ON app.m (v)")
    app.execute("ALTER TABLE app.m DETACH PARTITION app.m_p0 CONCURRENTLY")
    assert app.execute("SELECT count(*) FROM pg_constraint WHERE conname = 'm_p0_k_check'").fetchone() == (1,)
    assert last(app, "TABLE", "m_p0") == ("ALTER", "MINOR", 2, 3)
    assert row(app, "INDEX", "m_p0_v_idx") == (1, "1.0.0", True)
    assert row(app, "TABLE", "m") == (2, "1.0.1", True)
    app.execute("ALTER TABLE app.m_p0 DROP CONSTRAINT m_p0_k_check")
    assert last(app, "TABLE", "m_p0") == ("ALTER", "MINOR", 3, 4)
    app.execute("CREATE TABLE app.m_d PARTITION OF app.m DEFAULT")
    before = count(app)
    with pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState):
        app.execute("ALTER TABLE app.m DETACH PARTITION app.m_p1 CONCURRENTLY")
    assert count(app) == before


def test_v24u_dropping_a_partition_records_nothing_on_m(app):
    """V24u: DROP TABLE of a partition drops it and its columns; m records nothing."""
    app.execute("DROP TABLE app.m_p0")
    assert row(app, "TABLE", "m_p0")[2] is False
    assert last(app, "COLUMN", "m_p0.v") == ("DROP", "MAJOR", 1, None)
    assert row(app, "TABLE", "m") == (1, "1.0.0", True)


def test_v24v_dropping_the_partitioned_table_drops_every_partition(app):
    """V24v: DROP TABLE m drops m and every partition, with their columns and indexes."""
    app.execute("CREATE INDEX mi ON app.m (v)")
    app.execute("DROP TABLE app.m")
    for kind, name in (("TABLE", "m"), ("TABLE", "m_p0"), ("TABLE", "m_p1"), ("COLUMN", "m_p1.k"),
                       ("INDEX", "mi"), ("INDEX", "m_p1_v_idx")):
        assert row(app, kind, name)[2] is False, name
        assert last(app, kind, name)[0] == "DROP"


def test_v24w_child_has_own_and_inherited_columns(app):
    """V24w: CREATE TABLE … INHERITS creates the child with every column, own and inherited; p records nothing."""
    assert [row(app, "COLUMN", f"c.{n}") for n in ("a", "b", "x")] == [(1, "1.0.0", True)] * 3
    assert row(app, "TABLE", "p") == (1, "1.0.0", True)


def test_v24x_no_inherit_and_inherit_are_minor_on_the_child(app):
    """V24x: NO INHERIT and INHERIT record MINOR on the child, nothing on the parent."""
    app.execute("ALTER TABLE app.c NO INHERIT app.p")
    assert last(app, "TABLE", "c") == ("ALTER", "MINOR", 1, 2)
    app.execute("ALTER TABLE app.c INHERIT app.p")
    assert last(app, "TABLE", "c") == ("ALTER", "MINOR", 2, 3)
    assert row(app, "TABLE", "p") == (1, "1.0.0", True)


@pytest.mark.parametrize(("sql", "severity"), [
    ("ALTER TABLE app.{t} ADD COLUMN n int", "MINOR"),
    ("ALTER TABLE app.{t} ADD COLUMN n int NOT NULL", "MAJOR"),
    ("ALTER TABLE app.{t} DROP COLUMN {c}", "MAJOR"),
    ("ALTER TABLE app.{t} ALTER COLUMN {c} TYPE varchar(20)", "MAJOR"),
    ("ALTER TABLE app.{t} ALTER COLUMN {c} SET NOT NULL", "MAJOR"),
    ("ALTER TABLE app.{t} ALTER COLUMN {c} SET DEFAULT 'd'", "PATCH"),
    ("ALTER TABLE app.{t} ADD CONSTRAINT ck CHECK (length({c}) > 0)", "MAJOR"),
])
@pytest.mark.parametrize(("parent", "col", "below"), [("m", "v", ("m_p0", "m_p1")), ("p", "b", ("c",))])
def test_v25_parent_level_alter_is_recorded_on_every_descendant(app, sql, severity, parent, col, below):
    """V25, V9: a parent-level ALTER (events name only the parent, B5) records one change on the parent and on
    every descendant, at the parent's V10 severity."""
    before = count(app)
    app.execute(sql.format(t=parent, c=col))
    for t in (parent, *below):
        assert last(app, "TABLE", t) == ("ALTER", severity, 1, 2), t
    assert count(app) - before >= 1 + len(below)


def test_v25_drop_not_null_drop_default_drop_check_reach_descendants(app):
    """V25: DROP NOT NULL (MINOR), DROP DEFAULT (PATCH) and DROP CONSTRAINT of a CHECK (MINOR) on a parent are
    recorded on each descendant too."""
    app.execute("ALTER TABLE app.p ALTER COLUMN a SET NOT NULL, ALTER COLUMN b SET DEFAULT 'q', "
                "ADD CONSTRAINT ck CHECK (a > 0)")
    for sql, sev in (("ALTER TABLE app.p ALTER COLUMN a DROP NOT NULL", "MINOR"),
                     ("ALTER TABLE app.p ALTER COLUMN b DROP DEFAULT", "PATCH"),
                     ("ALTER TABLE app.p DROP CONSTRAINT ck", "MINOR")):
        app.execute(sql)
        assert last(app, "TABLE", "c")[:2] == ("ALTER", sev), sql
        assert last(app, "TABLE", "p")[:2] == ("ALTER", sev), sql


def test_v25_rename_column_on_a_parent_is_a_key_change_on_each_partition(app):
    """V25, R3b: RENAME COLUMN on m renames the COLUMN rows of m and of every partition (RENAME rows), each table
    MAJOR once."""
    app.execute("ALTER TABLE app.m RENAME COLUMN v TO w")
    for t in ("m", "m_p0", "m_p1"):
        assert last(app, "COLUMN", f"{t}.v") == ("RENAME", "MAJOR", 1, None)
        assert row(app, "COLUMN", f"{t}.w") == (1, "1.0.0", True)
        assert row(app, "TABLE", t) == (2, "2.0.0", True), t


def test_v25_primary_key_on_a_partitioned_table_creates_partition_indexes(app):
    """V25: ADD PRIMARY KEY on m creates m_pkey and `<partition>_pkey` INDEX rows, each table MAJOR; dropping the
    constraint drops them all (each table MINOR)."""
    app.execute("ALTER TABLE app.m ADD PRIMARY KEY (k)")
    for t in ("m", "m_p0", "m_p1"):
        assert row(app, "INDEX", f"{t}_pkey") == (1, "1.0.0", True)
        assert last(app, "TABLE", t) == ("ALTER", "MAJOR", 1, 2)
    app.execute("ALTER TABLE app.m DROP CONSTRAINT m_pkey")
    for t in ("m", "m_p0", "m_p1"):
        assert row(app, "INDEX", f"{t}_pkey")[2] is False
        assert last(app, "TABLE", t) == ("ALTER", "MINOR", 2, 3)


def test_v25_drop_index_on_a_partitioned_table(app):
    """V25: DROP INDEX of a partitioned index drops every partition index (DROP rows), each partition PATCH."""
    app.execute("CREATE INDEX mi ON app.m (v)")
    app.execute("DROP INDEX app.mi")
    for x in ("m_p0", "m_p1"):
        assert last(app, "INDEX", f"{x}_v_idx") == ("DROP", "MAJOR", 1, None)
        assert last(app, "TABLE", x) == ("ALTER", "PATCH", 2, 3)


def test_v28_show_table_versions_lists_partitions_and_children(app):
    """V28: show_table_versions lists m, its partitions, p and c, each with its column count."""
    got = sorted(app.execute("SELECT object_name, column_count FROM pggit.show_table_versions('app')").fetchall())
    assert got == [("c", 3), ("m", 2), ("m_p0", 2), ("m_p1", 2), ("p", 2)]


def test_h8_h12_partitions_hash_and_propagation_changes_their_hashes(app):
    """H8: partitions, children and partitioned indexes are hashed; H12: after update_all_hashes a parent-level
    change makes detect_changes_by_hash report exactly the tables it changed."""
    app.execute("CREATE INDEX mi ON app.m (v)")
    for kind, name in (("TABLE", "m_p0"), ("TABLE", "c"), ("INDEX", "mi"), ("INDEX", "m_p0_v_idx")):
        h = app.execute("SELECT pggit.compute_ddl_hash(%s::pggit.object_type, 'app', %s)", (kind, name)).fetchone()[0]
        assert h is not None and len(h) == 64, name
    app.execute("SELECT pggit.update_all_hashes()")
    app.execute("ALTER TABLE app.m ADD COLUMN n int")
    changed = {r[0] for r in app.execute(
        "SELECT full_name FROM pggit.detect_changes_by_hash() WHERE has_changed AND full_name LIKE 'app.%'")}
    assert changed == {"app.m", "app.m_p0", "app.m_p1"}


def test_v20_a_partition_index_built_silently_keeps_its_identity_when_renamed(app):
    """V20, R3c: a partition index PostgreSQL built for CREATE INDEX on m (unreported, B5) renamed by ALTER INDEX is
    a key change (RENAME rows), not a new index."""
    app.execute("CREATE INDEX mi ON app.m (v)")
    app.execute("ALTER INDEX app.m_p0_v_idx RENAME TO i3")
    assert last(app, "INDEX", "m_p0_v_idx") == ("RENAME", "PATCH", 1, None)
    assert row(app, "INDEX", "i3") == (2, "1.0.1", True)


def test_b12_a_child_made_on_another_branch_is_left_alone(pggit_conn):
    """B12, V15: an inheritance child created on another branch has no row on main; a statement on main that does
    not change it (CREATE INDEX on the parent: not propagated to inheritance children) records nothing for it."""
    c = pggit_conn
    c.execute("CREATE SCHEMA app")
    c.execute("CREATE TABLE app.t1 (id int)")
    c.execute("SELECT pggit.create_branch('b0')")
    c.execute("SELECT pggit.checkout_branch('b0')")
    c.execute("CREATE TABLE app.ch () INHERITS (app.t1)")
    c.execute("SELECT pggit.checkout_branch('main')")
    c.execute("CREATE INDEX i1 ON app.t1 (id)")
    rows = c.execute("SELECT object_type, object_name FROM pggit.objects WHERE schema_name = 'app'"
                     " AND branch_name = 'main' AND object_name LIKE 'ch%'").fetchall()
    assert rows == []
