"""Reference backend, second model: renames (§14.2, R1–R6) and schemas (§14.3, N1–N7), one test per rule row,
against a real server; and V20 (a key change keeps the object's past)."""

from __future__ import annotations

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


def hist(conn: psycopg.Connection, kind: str, schema: str, name: str) -> list[tuple]:
    """O2 rows of one key: (change_type, severity, old_version, new_version) in history.id order."""
    return conn.execute(
        "SELECT h.change_type::text, h.change_severity::text, h.old_version, h.new_version"
        " FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id WHERE o.object_type = %s"
        " AND o.schema_name = %s AND o.object_name = %s AND o.branch_name = 'main' ORDER BY h.id",
        (kind, schema, name)).fetchall()


def version(conn: psycopg.Connection, name: str) -> list[tuple]:
    return conn.execute("SELECT object_name, schema_name, version, version_string FROM pggit.get_version(%s)",
                        (name,)).fetchall()


def history(conn: psycopg.Connection, name: str) -> list[tuple]:
    return conn.execute("SELECT version, change_type::text FROM pggit.get_history(%s, 10)", (name,)).fetchall()


def rows_count(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM pggit.history").fetchone()[0]


@pytest.fixture
def app(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    pggit_conn.execute("CREATE SCHEMA app")
    pggit_conn.execute("SET search_path = app")  # unqualified lookups stay out of public (I5)
    return pggit_conn


def test_r1_r2_the_contract_example(app):
    """R1, R2, V20, O10: §14.2's example — table, column and index renames continue the versions under the new key,
    one RENAME row on each key; get_version/get_history of the old and the new key answer per key (O10); CREATE on
    the old key starts a new life."""
    app.execute("CREATE TABLE app.t (id int PRIMARY KEY, c int)")
    app.execute("ALTER TABLE app.t ADD COLUMN d text")
    app.execute("ALTER TABLE app.t RENAME TO u")
    assert row(app, "TABLE", "app", "t") == (2, "1.1.0", False)
    assert hist(app, "TABLE", "app", "t")[-1] == ("RENAME", "MAJOR", 2, None)
    assert row(app, "TABLE", "app", "u") == (3, "2.0.0", True)
    assert hist(app, "TABLE", "app", "u") == [("RENAME", "MAJOR", 2, 3)]
    for c in ("id", "c", "d"):  # R3a: every column row changes key, COLUMN rows keep 1 / 1.0.0 (V11)
        assert row(app, "COLUMN", "app", f"t.{c}")[2] is False
        assert row(app, "COLUMN", "app", f"u.{c}") == (1, "1.0.0", True)
        assert hist(app, "COLUMN", "app", f"u.{c}") == [("RENAME", "MAJOR", 1, 1)]
    assert row(app, "INDEX", "app", "t_pkey") == (1, "1.0.0", True)  # indexes keep their names (R3a)
    app.execute("ALTER TABLE app.u RENAME c TO c2")
    assert row(app, "TABLE", "app", "u") == (4, "3.0.0", True)
    assert row(app, "COLUMN", "app", "u.c")[2] is False and row(app, "COLUMN", "app", "u.c2") == (1, "1.0.0", True)
    app.execute("ALTER INDEX app.t_pkey RENAME TO u_pkey")
    assert hist(app, "INDEX", "app", "t_pkey")[-1] == ("RENAME", "PATCH", 1, None)
    assert row(app, "INDEX", "app", "u_pkey") == (2, "1.0.1", True)
    assert row(app, "TABLE", "app", "u") == (5, "3.0.1", True)
    assert version(app, "app.t") == []
    assert version(app, "app.u") == [("u", "app", 5, "3.0.1")]
    assert history(app, "app.t") == [(None, "RENAME"), (2, "ALTER"), (1, "CREATE")]
    assert history(app, "app.u") == [(5, "ALTER"), (4, "ALTER"), (3, "RENAME")]
    app.execute("CREATE TABLE app.t (x int)")
    assert row(app, "TABLE", "app", "t") == (1, "1.0.0", True)
    assert row(app, "TABLE", "app", "u") == (5, "3.0.1", True)


def test_r3c_alter_table_on_an_index_and_a_constraint_index(app):
    """R3c: ALTER TABLE … RENAME TO on an index is the index's key change; renaming a PK index renames its
    constraint too (B2), and the table records PATCH, not the MAJOR a new constraint name would suggest."""
    app.execute("CREATE TABLE app.t (id int PRIMARY KEY, c int)")
    app.execute("CREATE INDEX t_c ON app.t (c)")
    app.execute("ALTER TABLE app.t_c RENAME TO t_c2")
    assert row(app, "INDEX", "app", "t_c2") == (2, "1.0.1", True)
    assert hist(app, "TABLE", "app", "t")[-1] == ("ALTER", "PATCH", 2, 3)  # (2: CREATE INDEX, V10c)
    app.execute("ALTER INDEX app.t_pkey RENAME TO t_pk")
    assert app.execute("SELECT conname FROM pg_constraint WHERE conrelid = 'app.t'::regclass AND contype = 'p'"
                       ).fetchone() == ("t_pk",)
    assert row(app, "INDEX", "app", "t_pk") == (2, "1.0.1", True)
    assert hist(app, "TABLE", "app", "t")[-1] == ("ALTER", "PATCH", 3, 4)


def test_r3d_rename_constraint(app):
    """R3d: RENAME CONSTRAINT is the table's ALTER PATCH; a UNIQUE constraint's index changes key with it."""
    app.execute("CREATE TABLE app.t (id int, d int CONSTRAINT t_d_key UNIQUE, CONSTRAINT ck CHECK (id > 0))")
    app.execute("ALTER TABLE app.t RENAME CONSTRAINT ck TO ck2")
    assert hist(app, "TABLE", "app", "t")[-1] == ("ALTER", "PATCH", 1, 2)
    app.execute("ALTER TABLE app.t RENAME CONSTRAINT t_d_key TO u_d_key")
    assert hist(app, "TABLE", "app", "t")[-1] == ("ALTER", "PATCH", 2, 3)
    assert hist(app, "INDEX", "app", "t_d_key")[-1] == ("RENAME", "PATCH", 1, None)
    assert row(app, "INDEX", "app", "u_d_key") == (2, "1.0.1", True)


def test_r3e_r3g_views_and_functions(app):
    """R3e, R3g: ALTER VIEW / ALTER TABLE … RENAME of a view and ALTER FUNCTION / ALTER ROUTINE … RENAME are
    MAJOR key changes of the VIEW and FUNCTION rows (argument types kept in the key)."""
    app.execute("CREATE TABLE app.t (id int)")
    app.execute("CREATE VIEW app.v AS SELECT id FROM app.t")
    app.execute("ALTER VIEW app.v RENAME TO w")
    app.execute("ALTER TABLE app.w RENAME TO w2")
    assert hist(app, "VIEW", "app", "w") == [("RENAME", "MAJOR", 1, 2), ("RENAME", "MAJOR", 2, None)]
    assert row(app, "VIEW", "app", "w2") == (3, "3.0.0", True)
    app.execute("CREATE FUNCTION app.f(int, text) RETURNS int LANGUAGE sql AS 'SELECT 1'")
    app.execute("ALTER FUNCTION app.f(int, text) RENAME TO g")
    app.execute("ALTER ROUTINE app.g(int, text) RENAME TO h")
    assert row(app, "FUNCTION", "app", "f(integer, text)") == (1, "1.0.0", False)
    assert row(app, "FUNCTION", "app", "h(integer, text)") == (3, "3.0.0", True)


def test_r4_rename_to_its_own_name_records_nothing(app):
    """R4: PostgreSQL refuses a rename to the object's own name (42P07, 42701); nothing is recorded, and
    ALTER TABLE IF EXISTS … RENAME of a missing table records nothing either."""
    app.execute("CREATE TABLE app.t (id int)")
    before = rows_count(app)
    with pytest.raises(psycopg.errors.DuplicateTable):
        app.execute("ALTER TABLE app.t RENAME TO t")
    with pytest.raises(psycopg.errors.DuplicateColumn):
        app.execute("ALTER TABLE app.t RENAME id TO id")
    app.execute("ALTER TABLE IF EXISTS app.nope RENAME TO x")
    assert rows_count(app) == before


def test_r5_swap(app):
    """R5: a swap is three key changes; the second starts a new life for B on a's row, which then shows B's
    RENAME above A's past (§14.2's numbers)."""
    app.execute("CREATE TABLE app.a (x int)")
    app.execute("ALTER TABLE app.a ADD COLUMN y int")
    app.execute("ALTER TABLE app.a ADD COLUMN z int")  # A: 3 1.2.0
    app.execute("CREATE TABLE app.b (x int)")  # B: 1 1.0.0
    app.execute("ALTER TABLE app.a RENAME TO tmp")
    assert row(app, "TABLE", "app", "tmp") == (4, "2.0.0", True)
    app.execute("ALTER TABLE app.b RENAME TO a")
    assert row(app, "TABLE", "app", "a") == (2, "2.0.0", True)
    app.execute("ALTER TABLE app.tmp RENAME TO b")
    assert row(app, "TABLE", "app", "b") == (5, "3.0.0", True)
    assert history(app, "app.a") == [(2, "RENAME"), (None, "RENAME"), (3, "ALTER"), (2, "ALTER"), (1, "CREATE")]


def test_r6_referrers_record_nothing_and_stay_equal(app):
    """R6: renaming a table and a column records nothing on a view over it or on a table whose foreign key
    references it; replacing the view with the same query, or altering the referencing table, then records
    only what really changed (V12, V9a by identity)."""
    app.execute("CREATE TABLE app.p (id int PRIMARY KEY, n int)")
    app.execute("CREATE TABLE app.c (pid int CONSTRAINT c_fk REFERENCES app.p (id))")
    app.execute("CREATE VIEW app.v AS SELECT id FROM app.p")
    app.execute("ALTER TABLE app.p RENAME id TO pk")
    app.execute("ALTER TABLE app.p RENAME TO q")
    assert hist(app, "VIEW", "app", "v") == [("CREATE", "MINOR", None, 1)]
    assert hist(app, "TABLE", "app", "c") == [("CREATE", "MINOR", None, 1)]
    app.execute("CREATE OR REPLACE VIEW app.v AS SELECT pk AS id FROM app.q")
    assert hist(app, "VIEW", "app", "v") == [("CREATE", "MINOR", None, 1)]
    app.execute("COMMENT ON TABLE app.c IS 'x'")
    assert hist(app, "TABLE", "app", "c")[-1] == ("COMMENT", "PATCH", 1, 2)  # not ALTER MAJOR (V10k)


def test_n1_quoted_schemas_are_stored_in_catalog_spelling(app):
    """N1, N2: objects in "My Schema", "Sales", "select", "a""b" and a non-ASCII schema are created without error
    (N2: pgGit makes no statement fail because a name needs quoting) and keyed unquoted; get_version takes that
    spelling, not the quoted one; an unqualified name resolves through search_path."""
    for s in ("My Schema", "Sales", "select", 'a"b', "schéma"):
        app.execute(psycopg.sql.SQL("CREATE SCHEMA {}").format(psycopg.sql.Identifier(s)))
        app.execute(psycopg.sql.SQL("CREATE TABLE {} (id int)").format(psycopg.sql.Identifier(s, "Order Items")))
        assert row(app, "TABLE", s, "Order Items") == (1, "1.0.0", True)
        assert version(app, f"{s}.Order Items") == [("Order Items", s, 1, "1.0.0")]
    assert version(app, '"My Schema"."Order Items"') == []
    app.execute('SET search_path = "My Schema"')
    assert version(app, "Order Items") == [("Order Items", "My Schema", 1, "1.0.0")]


def test_n3_create_schema_records_nothing(app):
    """N3: CREATE SCHEMA and CREATE SCHEMA IF NOT EXISTS on an existing one record nothing."""
    before = rows_count(app)
    app.execute("CREATE SCHEMA s2")
    app.execute("CREATE SCHEMA IF NOT EXISTS s2")
    assert rows_count(app) == before


def test_n4_drop_schema_cascade(app):
    """N4: DROP SCHEMA … CASCADE drops every tracked member, COLUMN and INDEX rows included, and a view in
    another schema over one of its tables; without CASCADE it is refused and nothing changes."""
    app.execute("CREATE SCHEMA s3")
    app.execute("CREATE TABLE s3.a (id int PRIMARY KEY)")
    app.execute("CREATE FUNCTION s3.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    app.execute("CREATE VIEW app.vx AS SELECT id FROM s3.a")
    before = rows_count(app)
    with pytest.raises(psycopg.errors.DependentObjectsStillExist):
        app.execute("DROP SCHEMA s3")
    assert rows_count(app) == before
    app.execute("DROP SCHEMA s3 CASCADE")
    for kind, schema, name in (("TABLE", "s3", "a"), ("COLUMN", "s3", "a.id"), ("INDEX", "s3", "a_pkey"),
                               ("FUNCTION", "s3", "f()"), ("VIEW", "app", "vx")):
        assert row(app, kind, schema, name)[2] is False, (kind, name)
        assert hist(app, kind, schema, name)[-1][0] == "DROP"


def test_n5a_set_schema_moves_table_columns_and_indexes(app):
    """N5a, N5e: SET SCHEMA is a key change of the table, its columns and its indexes (new schema_name); into
    its own schema it records nothing."""
    app.execute('CREATE SCHEMA "Sales"')
    app.execute("CREATE TABLE app.t (id int PRIMARY KEY)")
    before = rows_count(app)
    app.execute("ALTER TABLE app.t SET SCHEMA app")
    assert rows_count(app) == before
    app.execute('ALTER TABLE app.t SET SCHEMA "Sales"')
    assert row(app, "TABLE", "Sales", "t") == (2, "2.0.0", True)
    assert row(app, "COLUMN", "Sales", "t.id") == (1, "1.0.0", True)
    assert row(app, "INDEX", "Sales", "t_pkey") == (2, "1.0.1", True)
    assert [row(app, k, "app", n)[2] for k, n in (("TABLE", "t"), ("COLUMN", "t.id"), ("INDEX", "t_pkey"))] == [
        False, False, False]


def test_n5d_function_set_schema(app):
    """N5d: ALTER FUNCTION … SET SCHEMA is a MAJOR key change of the FUNCTION row."""
    app.execute("CREATE SCHEMA s2")
    app.execute("CREATE FUNCTION app.f(int) RETURNS int LANGUAGE sql AS 'SELECT 1'")
    app.execute("ALTER FUNCTION app.f(int) SET SCHEMA s2")
    assert hist(app, "FUNCTION", "app", "f(integer)")[-1] == ("RENAME", "MAJOR", 1, None)
    assert row(app, "FUNCTION", "s2", "f(integer)") == (2, "2.0.0", True)


def test_n6_rename_schema_changes_every_members_key(app):
    """N6: ALTER SCHEMA … RENAME (PostgreSQL reports the schema only) changes the key of every member: tables,
    columns, indexes, views, functions."""
    app.execute("CREATE SCHEMA s2")
    app.execute("CREATE TABLE s2.t (id int PRIMARY KEY)")
    app.execute("CREATE VIEW s2.v AS SELECT id FROM s2.t")
    app.execute("CREATE FUNCTION s2.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    app.execute("ALTER SCHEMA s2 RENAME TO s2b")
    for kind, name, now in (("TABLE", "t", (2, "2.0.0", True)), ("COLUMN", "t.id", (1, "1.0.0", True)),
                            ("INDEX", "t_pkey", (2, "1.0.1", True)), ("VIEW", "v", (2, "2.0.0", True)),
                            ("FUNCTION", "f()", (2, "2.0.0", True))):
        assert row(app, kind, "s2", name)[2] is False, (kind, name)
        assert row(app, kind, "s2b", name) == now, (kind, name)


def test_n7_same_names_in_two_schemas_are_independent(app):
    """N7: s1.t and s2.t are two rows; DDL on one records nothing on the other, also when one schema needs
    quoting."""
    app.execute('CREATE SCHEMA "My Schema"')
    app.execute("CREATE TABLE app.t (id int)")
    app.execute('CREATE TABLE "My Schema".t (id int)')
    app.execute('ALTER TABLE "My Schema".t ADD COLUMN x int')
    assert row(app, "TABLE", "app", "t") == (1, "1.0.0", True)
    assert row(app, "TABLE", "My Schema", "t") == (2, "1.1.0", True)


def test_r3h_view_column_rename_is_a_major_alter_of_the_view(app):
    """R3h: ALTER VIEW v RENAME COLUMN a TO b changes no key (view columns are no rows) and records one ALTER
    MAJOR on the view."""
    app.execute("CREATE TABLE app.t (id int)")
    app.execute("CREATE VIEW app.v AS SELECT id FROM app.t")
    before = rows_count(app)
    app.execute("ALTER VIEW app.v RENAME COLUMN id TO ident")
    assert hist(app, "VIEW", "app", "v")[-1] == ("ALTER", "MAJOR", 1, 2)
    assert row(app, "VIEW", "app", "v") == (2, "2.0.0", True)
    assert rows_count(app) == before + 1


def test_n5b_view_set_schema_is_a_key_change(app):
    """N5b: ALTER VIEW v SET SCHEMA s2 is a key change (R1, MAJOR) of the VIEW row to the new schema."""
    app.execute('CREATE SCHEMA "Other S"')
    app.execute("CREATE TABLE app.t (id int)")
    app.execute("CREATE VIEW app.v AS SELECT id FROM app.t")
    app.execute('ALTER VIEW app.v SET SCHEMA "Other S"')
    assert hist(app, "VIEW", "app", "v")[-1] == ("RENAME", "MAJOR", 1, None)
    assert row(app, "VIEW", "Other S", "v") == (2, "2.0.0", True)
    assert hist(app, "VIEW", "Other S", "v") == [("RENAME", "MAJOR", 1, 2)]


def test_r3i_add_constraint_using_index_renames_the_index(app):
    """R3i: ADD CONSTRAINT n PRIMARY KEY / UNIQUE USING INDEX i (n ≠ i) is a key change INDEX i→n (PATCH) and an
    ALTER of the table: MAJOR when a column became NOT NULL (a primary key), else MINOR (UNIQUE)."""
    app.execute("CREATE TABLE app.t (id int, k int)")
    app.execute("CREATE UNIQUE INDEX i1 ON app.t (k)")
    app.execute("ALTER TABLE app.t ADD CONSTRAINT t_k_key UNIQUE USING INDEX i1")
    assert hist(app, "INDEX", "app", "i1")[-1] == ("RENAME", "PATCH", 1, None)
    assert row(app, "INDEX", "app", "t_k_key") == (2, "1.0.1", True)
    assert hist(app, "TABLE", "app", "t")[-1][:2] == ("ALTER", "MINOR")
    app.execute("CREATE UNIQUE INDEX i2 ON app.t (id)")
    app.execute("ALTER TABLE app.t ADD CONSTRAINT t_pk PRIMARY KEY USING INDEX i2")
    assert row(app, "INDEX", "app", "t_pk") == (2, "1.0.1", True)
    assert hist(app, "TABLE", "app", "t")[-1][:2] == ("ALTER", "MAJOR")


def test_n3_create_schema_with_elements_records_each_element(app):
    """N3: CREATE SCHEMA s CREATE TABLE … CREATE VIEW … CREATE INDEX … records each element as its own statement
    would: the same O1 rows as the four separate statements. Left out: the table's own version, which N3's "as the
    four statements" makes 2 (CREATE, then the index's PATCH) and V9's "one change per object per statement" makes
    1 (docs/second-model-renames.md, contract notes)."""
    def objects(schema: str) -> list[tuple]:
        return app.execute("SELECT object_type, object_name, CASE WHEN object_type <> 'TABLE' THEN version END,"
                           " is_active FROM pggit.objects"
                           " WHERE schema_name = %s AND branch_name = 'main' ORDER BY 1, 2", (schema,)).fetchall()
    app.execute("CREATE SCHEMA s1 CREATE TABLE t (id int, k text) CREATE VIEW v AS SELECT id FROM t"
                " CREATE INDEX i ON t (k)")
    app.execute("CREATE SCHEMA s2")
    app.execute("CREATE TABLE s2.t (id int, k text)")
    app.execute("CREATE VIEW s2.v AS SELECT id FROM s2.t")
    app.execute("CREATE INDEX i ON s2.t (k)")
    assert objects("s1") == objects("s2") and len(objects("s1")) == 5


def test_m7_a_rename_merges_per_key(app):
    """M7: §14.5's example — a rename on the source merges as two keys: the old key inactive and the new key taken
    on the target; had the target changed the old key, that key conflicts and the new key still merges."""
    def on_main(kind: str, name: str) -> tuple | None:
        return row(app, kind, "app", name)
    app.execute("CREATE TABLE app.t (id int)")
    app.execute("SELECT pggit.create_branch('r1/s')")
    app.execute("SELECT pggit.checkout_branch('r1/s')")
    app.execute("ALTER TABLE app.t RENAME TO u")
    app.execute("SELECT pggit.checkout_branch('main')")
    status = app.execute("SELECT pggit.merge_branches('r1/s', 'main')").fetchone()[0]
    assert status.startswith("MERGE_SUCCESS")
    assert on_main("TABLE", "t")[2] is False and on_main("COLUMN", "t.id")[2] is False
    assert on_main("TABLE", "u") == (2, "2.0.0", True) and on_main("COLUMN", "u.id") == (1, "1.0.0", True)


def test_m7_a_rename_of_a_key_the_target_changed_conflicts_on_the_old_key(app):
    """M7: when the target changed the old key too, that key is a conflict and the target keeps its row, while the
    new key still merges."""
    app.execute("CREATE TABLE app.t (id int)")
    app.execute("SELECT pggit.create_branch('r1/s')")
    app.execute("COMMENT ON TABLE app.t IS 'x'")  # main: t 2 1.0.1
    app.execute("SELECT pggit.checkout_branch('r1/s')")
    app.execute("ALTER TABLE app.t RENAME TO u")
    app.execute("SELECT pggit.checkout_branch('main')")
    status = app.execute("SELECT pggit.merge_branches('r1/s', 'main')").fetchone()[0]
    assert status.startswith("CONFLICTS_DETECTED")
    conflicts = app.execute("SELECT conflict_object FROM pggit.merge_conflicts").fetchall()
    assert conflicts == [("app.t",)], conflicts
    assert row(app, "TABLE", "app", "t") == (2, "1.0.1", True)
    assert row(app, "TABLE", "app", "u") == (2, "2.0.0", True)


def test_v24b_inline_foreign_key_is_part_of_the_creation(app):
    """V24b: CREATE TABLE with a column REFERENCES p creates the table (one CREATE, v1 1.0.0: PostgreSQL's extra
    ALTER TABLE command belongs to the creation) and leaves p unchanged."""
    app.execute("CREATE TABLE app.p (id int PRIMARY KEY)")
    app.execute("CREATE TABLE app.ch (id int, pid int REFERENCES app.p)")
    assert row(app, "TABLE", "app", "ch") == (1, "1.0.0", True)
    assert hist(app, "TABLE", "app", "ch") == [("CREATE", "MINOR", None, 1)]
    assert row(app, "TABLE", "app", "p") == (1, "1.0.0", True)


# --- materialized views (R3f, R3h, R3c, N5c; Appendix A21, A27) ------------------------------------------------


def _mv(app: psycopg.Connection) -> None:
    app.execute("CREATE TABLE app.t (k int, v text)")
    app.execute("CREATE MATERIALIZED VIEW app.mv AS SELECT k, v FROM app.t")
    app.execute("CREATE INDEX mvi ON app.mv (k)")  # mv 2 1.0.1 (V24aa)


def test_r3f_materialized_view_rename_keeps_its_index_keys(app):
    """R3f, A21: ALTER MATERIALIZED VIEW mv RENAME TO m3 is a key change of the MATERIALIZED_VIEW row (MAJOR); its
    index keeps its key, with m3 as its parent; a later CREATE INDEX on m3 records ALTER PATCH on m3."""
    _mv(app)
    app.execute("ALTER MATERIALIZED VIEW app.mv RENAME TO m3")
    assert hist(app, "MATERIALIZED_VIEW", "app", "mv")[-1] == ("RENAME", "MAJOR", 2, None)
    assert row(app, "MATERIALIZED_VIEW", "app", "m3") == (3, "2.0.0", True)
    assert hist(app, "INDEX", "app", "mvi") == [("CREATE", "MINOR", None, 1)]
    assert app.execute("SELECT parent_name FROM pggit.objects WHERE object_name = 'mvi'").fetchone() == ("m3",)
    app.execute("CREATE INDEX m3i ON app.m3 (v)")
    assert hist(app, "MATERIALIZED_VIEW", "app", "m3")[-1] == ("ALTER", "PATCH", 3, 4)


def test_r3h_materialized_view_column_rename_is_major(app):
    """R3h, A21: ALTER MATERIALIZED VIEW mv RENAME COLUMN k TO w changes no key and records one ALTER MAJOR on mv."""
    _mv(app)
    before = rows_count(app)
    app.execute("ALTER MATERIALIZED VIEW app.mv RENAME COLUMN k TO w")
    assert hist(app, "MATERIALIZED_VIEW", "app", "mv")[-1] == ("ALTER", "MAJOR", 2, 3)
    assert row(app, "MATERIALIZED_VIEW", "app", "mv") == (3, "2.0.0", True)
    assert rows_count(app) == before + 1


def test_r3c_index_of_a_materialized_view_renamed(app):
    """R3c: ALTER INDEX i RENAME TO j on an index of a materialized view is a key change INDEX i→j (PATCH) and
    records ALTER PATCH on the view."""
    _mv(app)
    app.execute("ALTER INDEX app.mvi RENAME TO mvj")
    assert hist(app, "INDEX", "app", "mvi")[-1] == ("RENAME", "PATCH", 1, None)
    assert row(app, "INDEX", "app", "mvj") == (2, "1.0.1", True)
    assert hist(app, "MATERIALIZED_VIEW", "app", "mv")[-1] == ("ALTER", "PATCH", 2, 3)


def test_n5c_materialized_view_set_schema_moves_its_indexes(app):
    """N5c, A27: ALTER MATERIALIZED VIEW mv SET SCHEMA s2 is a key change of the view and of its INDEX rows (its
    indexes move with it); REFRESH there records nothing; moving it into its own schema records nothing (N5e)."""
    _mv(app)
    app.execute('CREATE SCHEMA "Other S"')
    app.execute('ALTER MATERIALIZED VIEW app.mv SET SCHEMA "Other S"')
    assert hist(app, "MATERIALIZED_VIEW", "app", "mv")[-1] == ("RENAME", "MAJOR", 2, None)
    assert row(app, "MATERIALIZED_VIEW", "Other S", "mv") == (3, "2.0.0", True)
    assert hist(app, "INDEX", "app", "mvi")[-1] == ("RENAME", "PATCH", 1, None)
    assert row(app, "INDEX", "Other S", "mvi") == (2, "1.0.1", True)
    before = rows_count(app)
    app.execute('REFRESH MATERIALIZED VIEW "Other S".mv')
    app.execute('ALTER MATERIALIZED VIEW "Other S".mv SET SCHEMA "Other S"')
    assert rows_count(app) == before


def test_r6_renaming_what_a_materialized_view_reads_records_nothing_on_it(app):
    """R6: renaming the table a materialized view reads records nothing on the view; its later REFRESH records
    nothing either (its recorded query follows the table's new name)."""
    _mv(app)
    app.execute("ALTER TABLE app.t RENAME TO t2")
    assert row(app, "MATERIALIZED_VIEW", "app", "mv") == (2, "1.0.1", True)
    app.execute("REFRESH MATERIALIZED VIEW app.mv")
    assert row(app, "MATERIALIZED_VIEW", "app", "mv") == (2, "1.0.1", True)


def test_r3f_r3h_n5c_agree_with_the_model(pggit_conn):
    """R3f, R3h, R3c, N5c, R6, V20: renames and moves of a materialized view, its columns and indexes, a view over
    it, REINDEX CONCURRENTLY, and what PostgreSQL refuses: the reference and the model agree step by step."""
    agrees_with_model(pggit_conn, [
        "CREATE TABLE app.t (k int, v text)", "CREATE MATERIALIZED VIEW app.mv AS SELECT k, v FROM app.t",
        "CREATE INDEX mvi ON app.mv (k)", "CREATE VIEW app.vv AS SELECT k FROM app.mv",
        "ALTER MATERIALIZED VIEW app.mv RENAME TO m3", "ALTER TABLE app.m3 RENAME TO m4",
        "ALTER INDEX app.m4 RENAME TO m5", "ALTER VIEW app.m5 RENAME TO m6",
        "ALTER MATERIALIZED VIEW app.vv RENAME TO x",
        "ALTER MATERIALIZED VIEW app.mvi RENAME TO x", "ALTER MATERIALIZED VIEW app.m5 RENAME TO t",
        "ALTER MATERIALIZED VIEW IF EXISTS app.zz RENAME TO x", "ALTER MATERIALIZED VIEW app.m5 RENAME COLUMN v TO w",
        "ALTER TABLE app.t DROP COLUMN v", "ALTER TABLE app.t ALTER COLUMN v TYPE varchar(9)",
        "ALTER MATERIALIZED VIEW app.m5 RENAME COLUMN w TO k", "ALTER MATERIALIZED VIEW app.m5 RENAME COLUMN zz TO y",
        "ALTER TABLE app.m5 RENAME COLUMN w TO w2", "ALTER TABLE app.t ADD COLUMN z int",
        "ALTER MATERIALIZED VIEW app.t RENAME COLUMN z TO z2",
        "ALTER TABLE app.t RENAME TO t2", "REFRESH MATERIALIZED VIEW app.m5",
        "REINDEX INDEX CONCURRENTLY app.mvi", "ALTER INDEX app.mvi RENAME TO mvj", "DROP VIEW app.vv",
        "CREATE SCHEMA s2", "ALTER VIEW app.m5 SET SCHEMA s2", "CREATE TABLE app.u (a int)",
        "ALTER MATERIALIZED VIEW app.u SET SCHEMA s2",
        "ALTER MATERIALIZED VIEW app.m5 SET SCHEMA zz", "ALTER MATERIALIZED VIEW app.m5 SET SCHEMA app",
        "ALTER MATERIALIZED VIEW app.m5 SET SCHEMA s2", "REFRESH MATERIALIZED VIEW s2.m5",
        "CREATE INDEX m5i ON s2.m5 (w2)", "ALTER MATERIALIZED VIEW s2.m5 RENAME TO m7",
        "ALTER TABLE s2.m7 SET SCHEMA app", "DROP MATERIALIZED VIEW app.m7",
    ], schema="app")


# --- views and materialized views reading across schemas (N5a–c, N6, R6) ------------------------------------------


def test_n6_schema_rename_with_a_materialized_view(app):
    """N6, A32: ALTER SCHEMA … RENAME (reported as the schema only) changes the key of its MATERIALIZED_VIEW row
    (MAJOR) and of the view's INDEX rows (PATCH); a view elsewhere over the view records nothing (R6)."""
    app.execute("CREATE SCHEMA s2")
    app.execute("CREATE TABLE s2.t (k int)")
    app.execute("CREATE MATERIALIZED VIEW s2.mv AS SELECT k FROM s2.t")
    app.execute("CREATE INDEX mvi ON s2.mv (k)")
    app.execute("CREATE VIEW app.v AS SELECT k FROM s2.mv")
    before = rows_count(app)
    app.execute("ALTER SCHEMA s2 RENAME TO s3")
    assert hist(app, "MATERIALIZED_VIEW", "s2", "mv")[-1] == ("RENAME", "MAJOR", 2, None)
    assert row(app, "MATERIALIZED_VIEW", "s3", "mv") == (3, "2.0.0", True)
    assert hist(app, "INDEX", "s3", "mvi") == [("RENAME", "PATCH", 1, 2)]
    assert row(app, "VIEW", "app", "v") == (1, "1.0.0", True)
    assert rows_count(app) == before + 8  # TABLE, COLUMN, MATERIALIZED_VIEW, INDEX: two RENAME rows each


def test_n5_n6_views_reading_across_schemas_agree_with_the_model(pggit_conn):
    """N5a, N5b, N5c, N6, R6, V12, V20: a view and a materialized view whose sources move to other schemas, views
    moved away from their sources, schema renames with materialized views and with views reading across, what
    PostgreSQL refuses (42P06, 3F000, 2BP01): the reference and the model agree step by step."""
    agrees_with_model(pggit_conn, [
        "CREATE TABLE app.t (k int, v text)", "CREATE VIEW app.v AS SELECT k FROM app.t",
        "CREATE MATERIALIZED VIEW app.mv AS SELECT k, v FROM app.t", "CREATE INDEX mvi ON app.mv (k)",
        "CREATE VIEW app.w AS SELECT k FROM app.v",
        "CREATE SCHEMA s2", "ALTER TABLE app.t SET SCHEMA s2", "ALTER TABLE s2.t RENAME TO u",
        "CREATE OR REPLACE VIEW app.w AS SELECT k FROM app.v",
        "ALTER VIEW app.v SET SCHEMA s2", "ALTER SCHEMA s2 RENAME TO s3", "ALTER SCHEMA s3 RENAME TO app",
        "ALTER SCHEMA zz RENAME TO s4", "ALTER MATERIALIZED VIEW app.mv SET SCHEMA s3",
        "ALTER SCHEMA s3 RENAME TO s4", "REFRESH MATERIALIZED VIEW s4.mv", "CREATE INDEX mvj ON s4.mv (v)",
        "ALTER TABLE s4.u SET SCHEMA app", "ALTER VIEW s4.v SET SCHEMA app",
        "ALTER MATERIALIZED VIEW s4.mv SET SCHEMA app", "CREATE OR REPLACE VIEW app.v AS SELECT k FROM app.u",
        "DROP VIEW app.w", "DROP TABLE app.u", "DROP SCHEMA s4",
    ], schema="app")


def test_n4_n5a_dependants_across_schemas_agree_with_the_model(pggit_conn):
    """N4, N5a, R6, V24ab: a table moved away from a view and an indexed materialized view over it takes DDL that
    no view depends on (ADD COLUMN, CREATE INDEX); DROP SCHEMA of its new schema is refused without CASCADE and
    with CASCADE drops the views in the machine's schema too (A31): the reference and the model agree."""
    agrees_with_model(pggit_conn, [
        "CREATE TABLE app.q (k int)", "CREATE VIEW app.qv AS SELECT k FROM app.q",
        "CREATE MATERIALIZED VIEW app.qm AS SELECT k FROM app.q", "CREATE INDEX qmi ON app.qm (k)",
        "CREATE VIEW app.qw AS SELECT k FROM app.qv", "CREATE SCHEMA s5", "ALTER TABLE app.q SET SCHEMA s5",
        "ALTER TABLE s5.q ADD COLUMN z int", "CREATE INDEX qz ON s5.q (z)", "CREATE TABLE app.q (k int)",
        "DROP SCHEMA s5", "DROP SCHEMA s5 CASCADE", "CREATE VIEW app.qv AS SELECT k FROM app.q",
    ], schema="app")


def test_n7_r6_views_created_over_another_schema_agree_with_the_model(pggit_conn):
    """N7, R6, V12, V26a/b, N4, A82: views and an indexed materialized view created in the machine's schema over a
    table of another schema (and the other way round) record nothing when the table is renamed, its schema renamed
    or it moves (also into their schema); a same-query CREATE OR REPLACE records nothing; what PostgreSQL refuses
    across schemas (2BP01, 0A000) records nothing; DROP COLUMN / TABLE / SCHEMA … CASCADE drop the views in the
    other schema: the reference and the model agree step by step."""
    agrees_with_model(pggit_conn, [
        "CREATE SCHEMA s2", "CREATE TABLE s2.t (a int, b text)", "CREATE VIEW app.v AS SELECT a FROM s2.t",
        "CREATE VIEW app.w AS SELECT a FROM app.v", "CREATE MATERIALIZED VIEW app.mv AS SELECT a, b FROM s2.t",
        "CREATE INDEX mvi ON app.mv (a)", "CREATE TABLE app.x (k int)", "CREATE VIEW s2.xv AS SELECT k FROM app.x",
        "CREATE MATERIALIZED VIEW s2.xm AS SELECT k FROM app.x",
        "ALTER TABLE s2.t RENAME TO u", "CREATE INDEX mvj ON app.mv (b)", "ALTER SCHEMA s2 RENAME TO s3",
        "CREATE OR REPLACE VIEW app.v AS SELECT a FROM s3.u", "ALTER TABLE s3.u SET SCHEMA app",
        "CREATE OR REPLACE VIEW app.v AS SELECT a FROM app.u", "ALTER TABLE app.u SET SCHEMA s3",
        "ALTER TABLE app.x RENAME TO x2", "ALTER TABLE app.x2 SET SCHEMA s3",
        "DROP TABLE s3.u", "ALTER TABLE s3.u DROP COLUMN a", "ALTER TABLE s3.u ALTER COLUMN a TYPE bigint",
        "DROP MATERIALIZED VIEW s3.xm", "ALTER TABLE s3.u DROP COLUMN b CASCADE", "DROP TABLE s3.u CASCADE",
        "CREATE TABLE app.y (k int)", "CREATE VIEW s3.yv AS SELECT k FROM app.y", "DROP SCHEMA s3 CASCADE",
        "DROP TABLE app.y",
    ], schema="app")


def test_n7_r6_v26_rows_of_views_in_another_schema(app):
    """N7, R6, V12, V26a/b, V24ab: the rows of views in s2 over app.t (unobserved by the step-by-step check, which
    reads the machine's schema): a rename, a schema rename and a move of t record nothing on them, nor does a
    same-query CREATE OR REPLACE; DROP COLUMN … CASCADE drops the materialized view that read the column, with its
    index; DROP TABLE … CASCADE the views; t records its own change only (as tests/test_model_renames.py's
    `_across` examples predict)."""
    app.execute("CREATE SCHEMA s2")
    app.execute("CREATE TABLE app.t (a int, b text)")
    app.execute("CREATE VIEW s2.v AS SELECT a FROM app.t")
    app.execute("CREATE VIEW s2.w AS SELECT a FROM s2.v")
    app.execute("CREATE MATERIALIZED VIEW s2.mv AS SELECT a, b FROM app.t")
    app.execute("CREATE INDEX mvi ON s2.mv (a)")
    app.execute("CREATE SCHEMA s4")
    app.execute("ALTER TABLE app.t RENAME TO u")
    app.execute("ALTER TABLE app.u SET SCHEMA s4")
    app.execute("ALTER SCHEMA s4 RENAME TO s3")
    app.execute("CREATE OR REPLACE VIEW s2.v AS SELECT a FROM s3.u")
    for kind, name in (("VIEW", "v"), ("VIEW", "w")):
        assert hist(app, kind, "s2", name) == [("CREATE", "MINOR", None, 1)], name
    assert hist(app, "MATERIALIZED_VIEW", "s2", "mv") == [("CREATE", "MINOR", None, 1), ("ALTER", "PATCH", 1, 2)]
    app.execute("ALTER TABLE s3.u DROP COLUMN b CASCADE")
    assert row(app, "MATERIALIZED_VIEW", "s2", "mv") == (2, "1.0.1", False)
    assert hist(app, "INDEX", "s2", "mvi")[-1] == ("DROP", "MAJOR", 1, None)
    assert row(app, "VIEW", "s2", "v") == (1, "1.0.0", True)
    app.execute("DROP TABLE s3.u CASCADE")
    for name in ("v", "w"):
        assert hist(app, "VIEW", "s2", name) == [("CREATE", "MINOR", None, 1), ("DROP", "MAJOR", 1, None)], name


def test_r6_v24d_a_not_valid_foreign_key_into_a_renamed_table_stays_as_recorded(pggit_conn):
    """R6, V24c/d, V23: renaming (or moving) the table a NOT VALID foreign key references re-renders the key in the
    referencing table's recorded structure the way V23 holds it (validity left out), so the referencing table's
    next change records its own severity (CREATE INDEX: PATCH), not a constraint change (MAJOR; a smoke seed,
    found by the kinds machine)."""
    agrees_with_model(pggit_conn, [
        "CREATE TABLE app.kp (id int PRIMARY KEY)", "CREATE TABLE app.k1 (id int NOT NULL)",
        "ALTER TABLE app.k1 ADD CONSTRAINT fk1 FOREIGN KEY (id) REFERENCES app.kp (id) NOT VALID",
        "ALTER TABLE app.kp RENAME TO t1", "CREATE INDEX ki ON app.k1 (id)",
        "CREATE SCHEMA s2", "ALTER TABLE app.t1 SET SCHEMA s2", "CREATE INDEX kj ON app.k1 (id)",
        "ALTER TABLE app.k1 VALIDATE CONSTRAINT fk1", "ALTER TABLE s2.t1 RENAME TO t2",
        "ALTER TABLE app.k1 ADD COLUMN z int",
    ], schema="app")


def test_r6_r7_a_rename_keeps_a_referrer_recorded_differently_on_c_than_in_the_shared_catalog(app):
    """R6, V12 (B9's shared catalog): a view replaced on another branch changes the catalog, not c's recorded
    definition; renaming its source on c re-renders only definitions that were the catalog's, so c's later CREATE OR
    REPLACE to the other branch's definition is a change on c (MINOR), not nothing (found by the transactions
    machine's smoke run)."""
    app.execute("CREATE TABLE app.t1 (id int, a int)")
    app.execute("CREATE VIEW app.v1 AS SELECT id FROM app.t1")
    app.execute("SELECT pggit.create_branch('b1', 'main')")
    app.execute("SELECT pggit.checkout_branch('b1')")
    app.execute("CREATE OR REPLACE VIEW app.v1 AS SELECT id, a FROM app.t1")
    app.execute("SELECT pggit.checkout_branch('main')")
    app.execute("ALTER TABLE app.t1 RENAME TO t1_r")
    assert row(app, "VIEW", "app", "v1") == (1, "1.0.0", True)  # R6: the referrer records nothing
    app.execute("CREATE OR REPLACE VIEW app.v1 AS SELECT id, a FROM app.t1_r")
    assert row(app, "VIEW", "app", "v1") == (2, "1.1.0", True)


@pytest.mark.parametrize("repoint", [True, False], ids=["key-re-pointed-on-b1", "key-as-recorded"])
def test_r6_r7_v9a_a_foreign_key_re_pointed_on_another_branch_is_not_taken_by_a_rename(pggit_conn, repoint):
    """R6, R7, V9a (B9's shared catalog): b1 re-points a foreign key of r (id -> k) and renames the table it
    references; main recorded the old key, so main's next change of r (SET DEFAULT) counts b1's re-pointed key too
    (MAJOR), as for a view. The reference re-rendered the key into every branch's row from the catalog, so main
    took b1's key as its own and recorded PATCH (a ci run of the faults machine on the reference). Without the
    re-pointing the rename re-renders main's key too (R6: no difference by identity), and the default is PATCH."""
    agrees_with_model(pggit_conn, [
        "CREATE TABLE app.p (id int, k int, PRIMARY KEY (id), CONSTRAINT p_k UNIQUE (k))",
        "CREATE TABLE app.r (x int, CONSTRAINT r_fk FOREIGN KEY (x) REFERENCES app.p (id))",
        "SELECT pggit.create_branch('b1', 'main')", "SELECT pggit.checkout_branch('b1')",
        *(["ALTER TABLE app.r DROP CONSTRAINT r_fk, ADD CONSTRAINT r_fk FOREIGN KEY (x) REFERENCES app.p (k)"]
          if repoint else []),
        "ALTER TABLE app.p RENAME TO p2", "SELECT pggit.checkout_branch('main')",
        "ALTER TABLE app.r ALTER COLUMN x SET DEFAULT 0",
    ], schema="app")
    severity = pggit_conn.execute(
        "SELECT h.change_severity FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id "
        "WHERE o.schema_name = 'app' AND o.object_name = 'r' AND o.branch_name = 'main' ORDER BY h.id DESC LIMIT 1"
    ).fetchone()
    assert severity == (("MAJOR",) if repoint else ("PATCH",))


@pytest.mark.parametrize("target", ["renamed", "new-under-old-name"])
def test_r6_v9a_main_points_its_key_again_at_the_table_it_recorded_under_its_new_name(pggit_conn, target):
    """R6, V9a, B9: b1 re-points r's key (id -> k) in the shared catalog; on main p is renamed to p2 and a new p is
    made; main then drops the key and adds it again on p2 (id). main recorded the key into p (id), which is p2 by
    identity, so the statement records nothing. Pointing it at the new p instead is a new key: ALTER MAJOR (V10k).
    The reference kept main's recorded key as text naming p, so the first came out MAJOR (a ci run of the faults
    machine); it records foreign keys by OID and attnums now."""
    agrees_with_model(pggit_conn, [
        "CREATE TABLE app.p (id int, k int, PRIMARY KEY (id), CONSTRAINT p_k UNIQUE (k))",
        "CREATE TABLE app.r (x int, CONSTRAINT r_fk FOREIGN KEY (x) REFERENCES app.p (id))",
        "SELECT pggit.create_branch('b1', 'main')", "SELECT pggit.checkout_branch('b1')",
        "ALTER TABLE app.r DROP CONSTRAINT r_fk, ADD CONSTRAINT r_fk FOREIGN KEY (x) REFERENCES app.p (k)",
        "SELECT pggit.checkout_branch('main')",
        "ALTER TABLE app.p RENAME TO p2", "CREATE TABLE app.p (id int PRIMARY KEY)",
        "ALTER TABLE app.r DROP CONSTRAINT r_fk, ADD CONSTRAINT r_fk FOREIGN KEY (x) REFERENCES "
        + ("app.p2" if target == "renamed" else "app.p") + " (id)",
    ], schema="app")
    assert row(pggit_conn, "TABLE", "app", "r") == ((1, "1.0.0", True) if target == "renamed"
                                                     else (2, "2.0.0", True))


@pytest.mark.parametrize("uses", ["relation", "function"])
def test_r6_v23_main_replaces_its_view_with_the_query_it_recorded_after_a_rename(pggit_conn, uses):
    """R6, V23, V12, B9: b1 replaces v (the shared catalog's v now reads t2 / calls h); on main the table (function)
    main's record names is renamed, and main replaces v with the query it recorded, by identity. V23: the same query,
    nothing to record. The reference kept main's recorded query as text naming the old name (it re-rendered only
    the definitions that were the catalog's last rendering) and recorded ALTER MINOR; views record their query as
    the stored rule's node tree now (OIDs, attnums; no locations or creation-time names). A different query still
    records ALTER MINOR (the last step)."""
    if uses == "relation":
        steps = ["CREATE TABLE app.t (a int)", "CREATE TABLE app.t2 (a int)",
                 "CREATE VIEW app.v AS SELECT a FROM app.t",
                 "SELECT pggit.create_branch('b1', 'main')", "SELECT pggit.checkout_branch('b1')",
                 "CREATE OR REPLACE VIEW app.v AS SELECT a FROM app.t2", "SELECT pggit.checkout_branch('main')",
                 "ALTER TABLE app.t RENAME TO u", "CREATE OR REPLACE VIEW app.v AS SELECT a FROM app.u"]
        other = "CREATE OR REPLACE VIEW app.v AS SELECT a FROM app.t2"
    else:
        steps = ["CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
                 "CREATE FUNCTION app.h() RETURNS int LANGUAGE sql AS 'SELECT 2'",
                 "CREATE VIEW app.v AS SELECT app.f() AS x",
                 "SELECT pggit.create_branch('b1', 'main')", "SELECT pggit.checkout_branch('b1')",
                 "CREATE OR REPLACE VIEW app.v AS SELECT app.h() AS x", "SELECT pggit.checkout_branch('main')",
                 "ALTER FUNCTION app.f() RENAME TO g", "CREATE OR REPLACE VIEW app.v AS SELECT app.g() AS x"]
        other = "CREATE OR REPLACE VIEW app.v AS SELECT app.h() AS x"
    agrees_with_model(pggit_conn, [*steps, other], schema="app")  # step by step: nothing, then the ALTER
    assert row(pggit_conn, "VIEW", "app", "v") == (2, "1.1.0", True)


def test_v9a_v23_a_view_replaced_by_its_own_query_in_other_words_records_nothing(app):
    """V9a, V23: CREATE OR REPLACE VIEW with the same query records nothing, whatever the statement's text around it
    (spacing, a semicolon, a second statement in the string, an alias) and after a column was added to its table
    (one named with a quote and a parenthesis): the stored tree keeps offsets into that text and the names of
    creation time, and the reference's structure leaves them out. A different query is ALTER MINOR."""
    app.execute('CREATE TABLE app.t (a int, b int, "q""uote) x" int)')
    app.execute("CREATE VIEW app.v AS SELECT a FROM app.t;")
    app.execute("ALTER TABLE app.t ADD COLUMN c int")  # the names the tree keeps of t change
    for text in ["CREATE   OR REPLACE VIEW app.v AS   SELECT a FROM app.t  ;",
                 "SELECT 1; CREATE OR REPLACE VIEW app.v AS SELECT a FROM app.t; SELECT 2;",
                 "CREATE OR REPLACE VIEW app.v AS SELECT x.a FROM app.t AS x"]:
        app.execute(text)
        assert row(app, "VIEW", "app", "v") == (1, "1.0.0", True), text
    app.execute("CREATE OR REPLACE VIEW app.v AS SELECT b AS a FROM app.t")
    assert row(app, "VIEW", "app", "v") == (2, "1.1.0", True)


# --- R6 for materialized views on the shared catalog (B9): recorded definitions that differ per branch ----------

#: app.mv over app.t1 recorded on main; b1 drops it and makes it again with another query (a new identity, V20),
#: so the shared catalog holds b1's while main keeps the one it recorded
MV_ELSEWHERE = [
    "CREATE TABLE app.t1 (id int, a int)", "CREATE MATERIALIZED VIEW app.mv AS SELECT id FROM app.t1",
    "SELECT pggit.create_branch('b1', 'main')", "SELECT pggit.checkout_branch('b1')",
    "DROP MATERIALIZED VIEW app.mv", "CREATE MATERIALIZED VIEW app.mv AS SELECT id, a FROM app.t1",
    "SELECT pggit.checkout_branch('main')",
]


@pytest.mark.parametrize("rename", [True, False], ids=["source-renamed", "no-rename"])
@pytest.mark.parametrize("index_elsewhere", [False, True], ids=["", "b1-index"])
def test_r6_r7_v24aa_a_materialized_view_recorded_differently_on_c_than_in_the_shared_catalog(pggit_conn, rename,
                                                                                             index_elsewhere):
    """R6, R7, V24z, V24aa, R3h, B9: main keeps its recorded materialized view while b1 dropped and re-made it in
    the shared catalog with another query (and perhaps an index); renaming its source on main records nothing on it
    (R6), REFRESH there records nothing (V24z), an index created on it records ALTER PATCH (V24aa) and a renamed
    column ALTER MAJOR (R3h): the rows fix the severities by what the statement did, not by how the query main
    recorded differs from the catalog's. The reference and the model agree step by step. (The reference took a
    recorded query unlike the catalog's for an R3h rename: MAJOR for the index, ALTER for REFRESH.)"""
    agrees_with_model(pggit_conn, [
        *MV_ELSEWHERE[:-1], *(["CREATE INDEX mvb ON app.mv (a)"] if index_elsewhere else []), MV_ELSEWHERE[-1],
        *(["ALTER TABLE app.t1 RENAME TO t1_r"] if rename else []), "REFRESH MATERIALIZED VIEW app.mv",
        "CREATE INDEX mvi ON app.mv (id)", "ALTER MATERIALIZED VIEW app.mv RENAME COLUMN a TO a2",
        "CREATE INDEX mvj ON app.mv (a2)", "REFRESH MATERIALIZED VIEW app.mv",
    ], schema="app")


def test_r6_v24aa_a_materialized_view_calling_a_renamed_function_records_only_its_new_index(app):
    """R6, V23, V24aa: a materialized view names what it reads by identity, so renaming a function it calls records
    nothing on it, and an index created on it afterwards is ALTER PATCH. The reference recorded the view's query as
    rendered, re-rendered it only on relation renames, and so took the new function name for a changed query:
    ALTER MAJOR."""
    app.execute("CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    app.execute("CREATE MATERIALIZED VIEW app.mv AS SELECT app.f() AS x")
    app.execute("ALTER FUNCTION app.f() RENAME TO g")
    assert row(app, "MATERIALIZED_VIEW", "app", "mv") == (1, "1.0.0", True)
    app.execute("CREATE INDEX mv_x ON app.mv (x)")
    assert row(app, "MATERIALIZED_VIEW", "app", "mv") == (2, "1.0.1", True)
    app.execute("ALTER MATERIALIZED VIEW app.mv RENAME COLUMN x TO y")  # R3h: still MAJOR
    assert row(app, "MATERIALIZED_VIEW", "app", "mv") == (3, "2.0.0", True)
