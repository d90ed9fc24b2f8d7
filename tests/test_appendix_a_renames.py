"""Appendix A of the second model, rows A13–A32: what PostgreSQL 15 reports to event triggers for renames, moves
and schema statements — pinned on the real server, without pgGit, so the contract's facts (and the reference
backend built on them, V20) fail here first if a server behaves otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from pggit_model import cluster
from pggit_model.cluster import connect

pytestmark = pytest.mark.server

LOGGERS = """
CREATE TABLE ev (id serial, event text, tag text, otype text, ident text, objid oid, objsubid int, flags text);
CREATE FUNCTION ev_end() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ev (event, tag, otype, ident, objid, objsubid)
  SELECT 'end', command_tag, object_type, object_identity, objid, objsubid FROM pg_event_trigger_ddl_commands();
END $$;
CREATE FUNCTION ev_drop() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ev (event, tag, otype, ident, objid, objsubid, flags)
  SELECT 'drop', NULL, object_type, object_identity, objid, objsubid,
         concat_ws(',', CASE WHEN original THEN 'orig' END, CASE WHEN normal THEN 'normal' END)
  FROM pg_event_trigger_dropped_objects()
  WHERE object_type IN ('schema', 'table', 'view', 'index', 'function', 'table column', 'table constraint');
END $$;
CREATE EVENT TRIGGER ev_end ON ddl_command_end EXECUTE FUNCTION ev_end();
CREATE EVENT TRIGGER ev_drop ON sql_drop EXECUTE FUNCTION ev_drop();
"""


@pytest.fixture
def db(pggit_server: cluster.ThrowawayCluster | cluster.ExternalServer) -> Iterator[psycopg.Connection]:
    """A database without pgGit, with triggers that log every ddl_command_end and sql_drop row into `ev`."""
    name = cluster.new_dbname("appa")
    cluster.create_database(pggit_server, name)
    try:
        with connect(pggit_server.conninfo(name)) as conn:
            conn.execute(LOGGERS)
            conn.execute("CREATE SCHEMA app")
            yield conn
    finally:
        cluster.drop_database(pggit_server, name)


def reported(conn: psycopg.Connection, statement: str) -> list[tuple]:
    """The (event, tag, object type, identity) rows `statement` logged."""
    start = conn.execute("SELECT coalesce(max(id), 0) FROM ev").fetchone()[0]
    conn.execute(statement)
    return conn.execute("SELECT event, tag, otype, ident FROM ev WHERE id > %s ORDER BY id", (start,)).fetchall()


def oid(conn: psycopg.Connection, regclass: str) -> int:
    return conn.execute("SELECT %s::regclass::oid", (regclass,)).fetchone()[0]


def test_a13_a14_table_and_column_renames_report_the_new_name_only(db):
    """A13, A14 (B1, V20): RENAME TO reports the table under its new name with the same objid; RENAME COLUMN
    reports a `table column` with objsubid = attnum; no row carries the old name."""
    db.execute("CREATE TABLE app.t (id int PRIMARY KEY, c int)")
    before = oid(db, "app.t")
    assert reported(db, "ALTER TABLE app.t RENAME TO u") == [("end", "ALTER TABLE", "table", "app.u")]
    assert db.execute("SELECT objid FROM ev ORDER BY id DESC LIMIT 1").fetchone()[0] == before
    assert reported(db, "ALTER TABLE app.u RENAME c TO c2") == [("end", "ALTER TABLE", "table column", "app.u.c2")]
    assert db.execute("SELECT objsubid FROM ev ORDER BY id DESC LIMIT 1").fetchone()[0] == 2


def test_a15_to_a18_index_and_constraint_renames_rename_each_other(db):
    """A15–A18 (B2): ALTER INDEX and ALTER TABLE rename an index (tag follows the statement, type the object);
    renaming a PK index renames its constraint, and RENAME CONSTRAINT renames its index — unreported."""
    db.execute("CREATE TABLE app.u (id int PRIMARY KEY, c int, d int CONSTRAINT t_d_key UNIQUE)")
    db.execute("CREATE INDEX t_c_idx ON app.u (c)")
    assert reported(db, "ALTER INDEX app.t_c_idx RENAME TO u_c_idx") == [("end", "ALTER INDEX", "index", "app.u_c_idx")]
    assert reported(db, "ALTER TABLE app.u_c_idx RENAME TO u_c_idx2") == [
        ("end", "ALTER TABLE", "index", "app.u_c_idx2")]
    assert reported(db, "ALTER INDEX app.u_pkey RENAME TO u_pk") == [("end", "ALTER INDEX", "index", "app.u_pk")]
    assert db.execute("SELECT conname FROM pg_constraint WHERE contype = 'p' AND conrelid = 'app.u'::regclass"
                      ).fetchone() == ("u_pk",)
    assert reported(db, "ALTER TABLE app.u RENAME CONSTRAINT t_d_key TO u_d_key") == [
        ("end", "ALTER TABLE", "table constraint", "u_d_key on app.u")]
    assert db.execute("SELECT to_regclass('app.u_d_key') IS NOT NULL, to_regclass('app.t_d_key')").fetchone() == (
        True, None)


def test_a19_a22_views_and_functions(db):
    """A19, A22: ALTER VIEW / ALTER TABLE rename a view; ALTER FUNCTION / ALTER ROUTINE report the function
    with its argument types; ALTER VIEW on a table is refused (42809)."""
    db.execute("CREATE TABLE app.t (id int)")
    db.execute("CREATE VIEW app.v AS SELECT id FROM app.t")
    assert reported(db, "ALTER VIEW app.v RENAME TO w") == [("end", "ALTER VIEW", "view", "app.w")]
    assert reported(db, "ALTER TABLE app.w RENAME TO w2") == [("end", "ALTER TABLE", "view", "app.w2")]
    with pytest.raises(psycopg.errors.WrongObjectType):
        db.execute("ALTER VIEW app.t RENAME TO t2")
    db.execute("CREATE FUNCTION app.f(int, text) RETURNS int LANGUAGE sql AS 'SELECT 1'")
    assert reported(db, "ALTER FUNCTION app.f(int, text) RENAME TO g") == [
        ("end", "ALTER FUNCTION", "function", "app.g(integer,pg_catalog.text)")]
    assert reported(db, "ALTER ROUTINE app.g(int, text) RENAME TO h") == [
        ("end", "ALTER ROUTINE", "function", "app.h(integer,pg_catalog.text)")]


def test_a24_rename_to_its_own_name_is_an_error(db):
    """A24 (R4): a rename to the object's own name fails: 42P07 for a relation, 42701 for a column."""
    db.execute("CREATE TABLE app.t (id int)")
    with pytest.raises(psycopg.errors.DuplicateTable):
        db.execute("ALTER TABLE app.t RENAME TO t")
    with pytest.raises(psycopg.errors.DuplicateColumn):
        db.execute("ALTER TABLE app.t RENAME id TO id")


def test_a25_a26_a28_set_schema(db):
    """A25, A26, A28 (B4): SET SCHEMA reports only the table (its index moves silently); into its own schema it
    is accepted and still reported; ALTER INDEX … SET SCHEMA is a syntax error, and ALTER TABLE … SET SCHEMA on
    an index is refused (42809)."""
    db.execute('CREATE SCHEMA "My Schema"; CREATE SCHEMA "Sales"')
    db.execute('CREATE TABLE "My Schema"."Order Items" (id serial PRIMARY KEY, "Qty" int)')
    assert reported(db, 'ALTER TABLE "My Schema"."Order Items" SET SCHEMA "Sales"') == [
        ("end", "ALTER TABLE", "table", '"Sales"."Order Items"')]
    assert db.execute("""SELECT to_regclass('"Sales"."Order Items_pkey"') IS NOT NULL""").fetchone() == (True,)
    assert reported(db, 'ALTER TABLE "Sales"."Order Items" SET SCHEMA "Sales"') == [
        ("end", "ALTER TABLE", "table", '"Sales"."Order Items"')]
    with pytest.raises(psycopg.errors.SyntaxError):
        db.execute('ALTER INDEX "Sales"."Order Items_pkey" SET SCHEMA app')
    with pytest.raises(psycopg.errors.WrongObjectType):
        db.execute('ALTER TABLE "Sales"."Order Items_pkey" SET SCHEMA app')


def test_a29_a32_schema_statements(db):
    """A29, A32 (B4): CREATE SCHEMA reports the schema (quoted identity); ALTER SCHEMA … RENAME reports only the
    schema, none of its members."""
    assert reported(db, 'CREATE SCHEMA "My Schema"') == [("end", "CREATE SCHEMA", "schema", '"My Schema"')]
    db.execute("CREATE SCHEMA s2")
    db.execute("CREATE TABLE s2.t (id int)")
    assert reported(db, "ALTER SCHEMA s2 RENAME TO s2b") == [("end", "ALTER SCHEMA", "schema", "s2b")]


def test_a31_drop_schema_cascade_reports_only_drops(db):
    """A31 (N4): DROP SCHEMA … CASCADE reports no ddl_command_end row; sql_drop lists the schema (original), its
    tables, indexes and constraints, and a view of another schema over one of its tables (normal)."""
    db.execute("CREATE SCHEMA s3; CREATE SCHEMA s2")
    db.execute("CREATE TABLE s3.a (id int PRIMARY KEY)")
    db.execute("CREATE TABLE s2.x (a_id int REFERENCES s3.a)")
    db.execute("CREATE VIEW s2.vx AS SELECT id FROM s3.a")
    rows = reported(db, "DROP SCHEMA s3 CASCADE")
    assert not [r for r in rows if r[0] == "end"]
    flags = {r[3]: f for r, f in zip(rows, db.execute(
        "SELECT flags FROM ev WHERE event = 'drop' ORDER BY id DESC LIMIT %s", (len(rows),)).fetchall()[::-1],
        strict=True)}
    assert flags["s3"] == ("orig",)
    assert flags["s3.a"] == ("normal",)
    assert flags["s2.vx"] == ("normal",)
    assert "x_a_id_fkey on s2.x" in flags and "s3.a_pkey" in flags


def viewdef(conn: psycopg.Connection, regclass: str) -> str:
    return conn.execute("SELECT pg_get_viewdef(%s::regclass)", (regclass,)).fetchone()[0]


def test_a27_a31_a32_views_across_schemas_and_their_rendering(db):
    """A27, A31, A32, R6 (V23): ALTER SCHEMA … RENAME of a schema holding a materialized view and its index reports
    the schema only (both move, same OID); pg_get_viewdef renders a view's source by its current schema and name
    after the source moves or its schema is renamed (unqualified when on the search_path); a view moves under
    ALTER VIEW and ALTER TABLE; a schema renamed to an existing name, its own included, is 42P06; DROP TABLE of a
    source read from another schema is 2BP01, and DROP SCHEMA … CASCADE drops the views there."""
    db.execute("CREATE SCHEMA a; CREATE SCHEMA b; CREATE TABLE a.t (k int, v text)")
    db.execute("CREATE VIEW a.v AS SELECT k FROM a.t; CREATE MATERIALIZED VIEW a.m AS SELECT k, v FROM a.t")
    db.execute("CREATE INDEX mi ON a.m (k)")
    assert viewdef(db, "a.v") == " SELECT t.k\n   FROM a.t;"
    assert reported(db, "ALTER TABLE a.t SET SCHEMA b") == [("end", "ALTER TABLE", "table", "b.t")]
    assert viewdef(db, "a.v") == " SELECT t.k\n   FROM b.t;"
    m = oid(db, "a.m")
    assert reported(db, "ALTER SCHEMA a RENAME TO a2") == [("end", "ALTER SCHEMA", "schema", "a2")]
    assert oid(db, "a2.m") == m and db.execute("SELECT to_regclass('a2.mi') IS NOT NULL").fetchone() == (True,)
    assert reported(db, "ALTER SCHEMA b RENAME TO b2") == [("end", "ALTER SCHEMA", "schema", "b2")]
    assert viewdef(db, "a2.v") == " SELECT t.k\n   FROM b2.t;"
    assert viewdef(db, "a2.m") == " SELECT t.k,\n    t.v\n   FROM b2.t;"
    db.execute("SET search_path = b2")
    assert viewdef(db, "a2.v") == " SELECT t.k\n   FROM t;"
    db.execute("RESET search_path")
    assert reported(db, "ALTER VIEW a2.v SET SCHEMA b2") == [("end", "ALTER VIEW", "view", "b2.v")]
    assert reported(db, "ALTER TABLE b2.v SET SCHEMA a2") == [("end", "ALTER TABLE", "view", "a2.v")]
    for new in ("b2", "a2"):
        with pytest.raises(psycopg.errors.DuplicateSchema):
            db.execute(f"ALTER SCHEMA a2 RENAME TO {new}")
    with pytest.raises(psycopg.errors.DependentObjectsStillExist):
        db.execute("DROP TABLE b2.t")
    assert ("drop", None, "view", "a2.v") in reported(db, "DROP SCHEMA b2 CASCADE")
    assert db.execute("SELECT to_regclass('a2.v'), to_regclass('a2.m'), to_regclass('a2.mi')").fetchone() == (
        None, None, None)
