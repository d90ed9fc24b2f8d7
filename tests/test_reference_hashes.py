"""Reference backend, schema hashes: contract rules H1-H7."""

from __future__ import annotations

import re

import psycopg
import pytest

pytestmark = pytest.mark.server

HEX64 = re.compile(r"^[0-9a-f]{64}$")


def ddl_hash(conn: psycopg.Connection, kind: str, schema: str | None, name: str | None) -> str | None:
    return conn.execute("SELECT pggit.compute_ddl_hash(%s::pggit.object_type, %s, %s)",
                        (kind, schema, name)).fetchone()[0]


def components(conn: psycopg.Connection, table: str = "t") -> tuple:
    return conn.execute("SELECT * FROM pggit.compute_table_component_hashes('app', %s)", (table,)).fetchone()


def changed(conn: psycopg.Connection) -> dict[str, bool]:
    return {r[0]: r[1] for r in conn.execute("SELECT full_name, has_changed FROM pggit.detect_changes_by_hash()")}


@pytest.fixture
def app(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    pggit_conn.execute("CREATE SCHEMA app")
    pggit_conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, a varchar(20) DEFAULT 'ABC')")
    pggit_conn.execute("CREATE INDEX t_a ON app.t (a)")
    pggit_conn.execute("CREATE VIEW app.v AS SELECT id FROM app.t")
    pggit_conn.execute("CREATE FUNCTION app.f(int, text) RETURNS int LANGUAGE sql AS 'SELECT $1'")
    return pggit_conn


def test_h1_hash_is_64_hex_for_each_kind_and_null_otherwise(app):
    """H1: 64 lowercase hex for TABLE/VIEW/INDEX/FUNCTION; NULL for NULL args, missing objects, other types."""
    for kind, name in [("TABLE", "t"), ("VIEW", "v"), ("INDEX", "t_a"), ("FUNCTION", "f(integer, text)")]:
        assert HEX64.match(ddl_hash(app, kind, "app", name) or ""), kind
    assert ddl_hash(app, "TABLE", "app", "nope") is None
    assert ddl_hash(app, "TABLE", None, "t") is None
    assert ddl_hash(app, "TABLE", "app", None) is None
    assert ddl_hash(app, "VIEW", "app", "t") is None
    assert ddl_hash(app, "FUNCTION", "app", "f(integer)") is None
    assert ddl_hash(app, "SEQUENCE", "app", "t") is None
    assert app.execute("SELECT pggit.compute_ddl_hash(NULL::pggit.object_type, 'app', 't')").fetchone()[0] is None


def test_h2_hash_ignores_spelling_and_search_path(pggit_conn):
    """H2: whitespace, case and type spellings don't matter; the session search_path never changes a hash."""
    pggit_conn.execute("CREATE SCHEMA app")
    pggit_conn.execute("create  table app.t(ID INT not null)")
    first = ddl_hash(pggit_conn, "TABLE", "app", "t")
    pggit_conn.execute("DROP TABLE app.t")
    pggit_conn.execute("CREATE TABLE app.t (id integer NOT NULL)")
    assert ddl_hash(pggit_conn, "TABLE", "app", "t") == first
    pggit_conn.execute("CREATE SEQUENCE app.sq")
    pggit_conn.execute("ALTER TABLE app.t ADD COLUMN n int DEFAULT nextval('app.sq')")
    pggit_conn.execute("CREATE VIEW app.v AS SELECT id FROM app.t")
    before = (ddl_hash(pggit_conn, "TABLE", "app", "t"), ddl_hash(pggit_conn, "VIEW", "app", "v"))
    pggit_conn.execute("SELECT pggit.update_all_hashes()")
    pggit_conn.execute("SET search_path = app, public")
    assert (ddl_hash(pggit_conn, "TABLE", "app", "t"), ddl_hash(pggit_conn, "VIEW", "app", "v")) == before
    assert not any(changed(pggit_conn).values())


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("a text DEFAULT 'ABC'", "a text DEFAULT 'abc'"),
        ("a varchar(20)", "a varchar(30)"),
        ("a int[]", "a text[]"),
        ("a timestamp(0)", "a timestamp(6)"),
        ("a int", "a int NOT NULL"),
        ("a int, b int", "b int, a int"),
    ],
)
def test_h3_literals_modifiers_and_order_count(pggit_conn, one, other):
    """H3: defaults' literals, type modifiers, NOT NULL and column order change a table's hash."""
    pggit_conn.execute("CREATE SCHEMA app")
    pggit_conn.execute(f"CREATE TABLE app.x ({one})")
    pggit_conn.execute(f"CREATE TABLE app.y ({other})")
    pggit_conn.execute(f"CREATE TABLE app.z ({one})")
    assert ddl_hash(pggit_conn, "TABLE", "app", "x") != ddl_hash(pggit_conn, "TABLE", "app", "y")
    assert ddl_hash(pggit_conn, "TABLE", "app", "x") == ddl_hash(pggit_conn, "TABLE", "app", "z")


def test_h3_table_hash_excludes_constraints_indexes_comments(app):
    """H3: constraints, indexes, comments, owner and storage do not change a table's hash."""
    before = ddl_hash(app, "TABLE", "app", "t")
    app.execute("ALTER TABLE app.t ADD CONSTRAINT ck CHECK (id > 0)")
    app.execute("CREATE INDEX t_id2 ON app.t (id)")
    app.execute("COMMENT ON TABLE app.t IS 'c'")
    app.execute("ALTER TABLE app.t SET (fillfactor = 50)")
    assert ddl_hash(app, "TABLE", "app", "t") == before


def test_h4_component_hashes_change_only_with_their_component(app):
    """H4: each component hash changes only with its own component (index, constraint, structure)."""
    def diff(sql: str) -> tuple[bool, bool, bool]:
        before = components(app)
        app.execute(sql)
        after = components(app)
        return tuple(b != a for b, a in zip(before, after, strict=True))

    assert diff("CREATE INDEX t_id ON app.t (id)") == (False, False, True)
    assert diff("ALTER TABLE app.t ADD CONSTRAINT ck CHECK (id > 0)") == (False, True, False)
    assert diff("ALTER TABLE app.t ADD CONSTRAINT uq UNIQUE (a)") == (False, True, False)
    assert diff("ALTER TABLE app.t ADD COLUMN n int") == (True, False, False)
    assert diff("ALTER TABLE app.t ALTER n SET DEFAULT 3") == (True, False, False)
    assert diff("COMMENT ON TABLE app.t IS 'x'") == (False, False, False)
    app.execute("CREATE TABLE app.np (id int)")
    before = components(app, "np")
    app.execute("ALTER TABLE app.np ADD PRIMARY KEY (id)")
    after = components(app, "np")
    assert tuple(b != a for b, a in zip(before, after, strict=True)) == (True, True, False)


def test_h4_empty_components_have_a_fixed_value(app):
    """H4: two tables without constraints or indexes share the empty-set hashes."""
    app.execute("CREATE TABLE app.e1 (x int)")
    app.execute("CREATE TABLE app.e2 (y text)")
    e1, e2 = components(app, "e1"), components(app, "e2")
    assert e1[1:] == e2[1:]
    assert e1[0] == ddl_hash(app, "TABLE", "app", "e1")


def test_h5_update_all_hashes_sets_baseline_on_every_branch(app):
    """H5: every active TABLE/VIEW/INDEX/FUNCTION row on every branch gets the current hash; versions unchanged."""
    app.execute("SELECT pggit.create_branch('f')")
    app.execute("UPDATE pggit.objects SET ddl_hash = 'stale'")
    versions = app.execute("SELECT id, version FROM pggit.objects ORDER BY id").fetchall()
    n_history = app.execute("SELECT count(*) FROM pggit.history").fetchone()[0]
    assert app.execute("SELECT count(*) FROM pggit.update_all_hashes()").fetchone()[0] == 1
    bad = app.execute(
        "SELECT full_name, branch_name FROM pggit.objects WHERE is_active"
        " AND object_type IN ('TABLE', 'VIEW', 'INDEX', 'FUNCTION')"
        " AND ddl_hash IS DISTINCT FROM pggit.compute_ddl_hash(object_type, schema_name, object_name)"
    ).fetchall()
    assert bad == []
    assert app.execute("SELECT count(DISTINCT branch_name) FROM pggit.objects WHERE ddl_hash <> 'stale'"
                       ).fetchone()[0] == 2
    assert app.execute("SELECT id, version FROM pggit.objects ORDER BY id").fetchall() == versions
    assert app.execute("SELECT count(*) FROM pggit.history").fetchone()[0] == n_history


def test_h6_ddl_writes_no_hash_and_detect_reports_changes(app):
    """H6: ddl_hash is only written by update_all_hashes; detect_changes flags exactly the changed objects."""
    assert app.execute("SELECT count(*) FROM pggit.objects WHERE ddl_hash IS NOT NULL").fetchone()[0] == 0
    app.execute("SELECT pggit.update_all_hashes()")
    assert changed(app) == {"app.t": False, "app.t_pkey": False, "app.t_a": False, "app.v": False,
                            "app.f(integer, text)": False}
    app.execute("COMMENT ON TABLE app.t IS 'doc'")
    app.execute("ALTER TABLE app.t ADD CONSTRAINT ck CHECK (id > 0)")
    assert not any(changed(app).values())
    app.execute("ALTER TABLE app.t ALTER a SET DEFAULT 'x'")
    app.execute("CREATE OR REPLACE VIEW app.v AS SELECT id, a FROM app.t")
    got = changed(app)
    assert {k for k, v in got.items() if v} == {"app.t", "app.v"}
    stored = app.execute("SELECT ddl_hash FROM pggit.objects WHERE object_name = 't'").fetchone()[0]
    rows = app.execute("SELECT old_hash, new_hash FROM pggit.detect_changes_by_hash() WHERE full_name = 'app.t'")
    old, new = rows.fetchone()
    assert old == stored and new == ddl_hash(app, "TABLE", "app", "t")


def test_h7_export_schema_hashes_current_values_on_c(app):
    """H7: one row per active tracked row on c in the schema, object_type as text, current hash."""
    app.execute("SELECT pggit.update_all_hashes()")
    app.execute("ALTER TABLE app.t ADD COLUMN z int")
    got = {(r[0], r[1]): r[2] for r in app.execute("SELECT * FROM pggit.export_schema_hashes('app')")}
    assert set(got) == {("TABLE", "app.t"), ("INDEX", "app.t_pkey"), ("INDEX", "app.t_a"), ("VIEW", "app.v"),
                        ("FUNCTION", "app.f(integer, text)")}
    assert got[("TABLE", "app.t")] == ddl_hash(app, "TABLE", "app", "t")
    assert app.execute("SELECT count(*) FROM pggit.export_schema_hashes()").fetchone()[0] == 0
