"""Reference backend, DDL tracking: contract §5 rules V1-V16 against a real server."""

from __future__ import annotations

import psycopg
import pytest

from pggit_model.ops import Untracked
from pggit_model.parse import parse
from tests.driven import drive

pytestmark = pytest.mark.server

TABLE_SQL = "CREATE TABLE app.t (id int PRIMARY KEY, a text, b int NOT NULL DEFAULT 0)"


def state(conn: psycopg.Connection, name: str, kind: str = "TABLE", branch: str = "main") -> tuple | None:
    """(version, 'M.m.p', is_active) of one row key, or None when there is no row."""
    return conn.execute(
        "SELECT version, version_major || '.' || version_minor || '.' || version_patch, is_active"
        " FROM pggit.objects WHERE object_type = %s AND schema_name = 'app' AND object_name = %s"
        " AND branch_name = %s",
        (kind, name, branch),
    ).fetchone()


def history(conn: psycopg.Connection, name: str, kind: str = "TABLE", branch: str = "main") -> list[tuple]:
    """O2: (change_type, change_severity, old_version, new_version) of one row key, in history.id order."""
    return conn.execute(
        "SELECT h.change_type::text, h.change_severity::text, h.old_version, h.new_version"
        " FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id"
        " WHERE o.object_type = %s AND o.schema_name = 'app' AND o.object_name = %s AND o.branch_name = %s"
        " ORDER BY h.id",
        (kind, name, branch),
    ).fetchall()


def history_count(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM pggit.history").fetchone()[0]


@pytest.fixture
def app(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    pggit_conn.execute("CREATE SCHEMA app")
    return pggit_conn


@pytest.fixture
def t(app: psycopg.Connection) -> psycopg.Connection:
    """app.t at 1 / 1.0.0 with columns id (PK), a, b (NOT NULL DEFAULT 0)."""
    app.execute(TABLE_SQL)
    return app


def change(conn: psycopg.Connection, sql: str) -> tuple | None:
    """Run one statement and return the single history row it added to app.t, or None if none."""
    before = len(history(conn, "t"))
    conn.execute(sql)
    after = history(conn, "t")
    assert len(after) - before <= 1, f"{sql!r} added {len(after) - before} history rows to app.t (V8)"
    return after[-1] if len(after) > before else None


# --- V1-V3, V5 ---------------------------------------------------------------------------------------


def test_v1_excluded_schemas_get_no_rows(app):
    """V1: DDL in pg_temp, pggit* schemas and the install itself never produces a row."""
    assert app.execute("SELECT count(*) FROM pggit.objects").fetchone()[0] == 0
    app.execute("CREATE TEMP TABLE tmp1 (id int)")
    app.execute("CREATE SCHEMA pggit_side")
    app.execute("CREATE TABLE pggit_side.x (id int)")
    app.execute("CREATE TABLE pggit.y (id int)")
    assert app.execute("SELECT count(*) FROM pggit.objects").fetchone()[0] == 0


def test_v2_tracked_kinds_table_column_index_view_function(t):
    """V2/V10a-b: a table, its columns, its PK index, a view and a function all get rows."""
    t.execute("CREATE VIEW app.v AS SELECT id FROM app.t")
    t.execute("CREATE FUNCTION app.f(int) RETURNS int LANGUAGE sql AS 'SELECT $1'")
    got = set(t.execute("SELECT object_type::text, object_name FROM pggit.objects").fetchall())
    assert got == {
        ("TABLE", "t"), ("COLUMN", "t.id"), ("COLUMN", "t.a"), ("COLUMN", "t.b"), ("INDEX", "t_pkey"),
        ("VIEW", "v"), ("FUNCTION", "f(integer)"),
    }


def test_v2_create_table_as_and_select_into_are_tables(app):
    """V2/V10a: CREATE TABLE AS and SELECT INTO create TABLE rows with their columns."""
    app.execute("CREATE TABLE app.c AS SELECT 1 AS x")
    app.execute("SELECT 2 AS y INTO app.s")
    app.execute("CREATE UNLOGGED TABLE app.ul (z int)")
    assert state(app, "c") == (1, "1.0.0", True)
    assert state(app, "s") == (1, "1.0.0", True)
    assert state(app, "ul") == (1, "1.0.0", True)
    assert state(app, "s.y", "COLUMN") == (1, "1.0.0", True)


def test_v3_changes_visible_in_transaction_and_undone_by_rollback(app):
    """V3/X1: the row exists inside the DDL's transaction and disappears with its rollback."""

    class Abort(Exception):
        pass

    with pytest.raises(Abort), app.transaction():
        app.execute(TABLE_SQL)
        assert state(app, "t") == (1, "1.0.0", True)
        raise Abort
    assert state(app, "t") is None
    assert history_count(app) == 0


def test_v5_names_columns_functions_and_quoted_identifiers(app):
    """V5: columns are table.column, functions name(t1, t2) by format_type, identifiers unquoted."""
    app.execute('CREATE TABLE app."Order Items" ("Qty" int)')
    app.execute("CREATE FUNCTION app.add_tax(numeric, int) RETURNS numeric LANGUAGE sql AS 'SELECT $1'")
    app.execute("CREATE FUNCTION app.noargs() RETURNS int LANGUAGE sql AS 'SELECT 1'")
    app.execute("CREATE FUNCTION app.vc(varchar, double precision, text[]) RETURNS int LANGUAGE sql AS 'SELECT 1'")
    names = {r[0] for r in app.execute("SELECT full_name FROM pggit.objects").fetchall()}
    assert names == {
        "app.Order Items", "app.Order Items.Qty", "app.add_tax(numeric, integer)", "app.noargs()",
        "app.vc(character varying, double precision, text[])",
    }


# --- V7, V8, V10 rows -----------------------------------------------------------------------------


def test_v7_v8_create_is_one_minor_create_row_at_1_0_0(t):
    """V7/V8/V10a: a new table is 1 / 1.0.0 with one CREATE MINOR NULL->1 row; so are its columns and PK."""
    assert state(t, "t") == (1, "1.0.0", True)
    assert history(t, "t") == [("CREATE", "MINOR", None, 1)]
    for col in ("t.id", "t.a", "t.b"):
        assert history(t, col, "COLUMN") == [("CREATE", "MINOR", None, 1)]
    assert history(t, "t_pkey", "INDEX") == [("CREATE", "MINOR", None, 1)]


def test_v9_create_table_with_inline_constraints_is_just_create(app):
    """V9: inline constraints, FKs, serials and indexes are only the table's CREATE."""
    app.execute("CREATE TABLE app.p (id int PRIMARY KEY)")
    app.execute(
        "CREATE TABLE app.c (id serial PRIMARY KEY, p int REFERENCES app.p, u text UNIQUE CHECK (u <> ''))"
    )
    assert history(app, "c") == [("CREATE", "MINOR", None, 1)]
    assert history(app, "p") == [("CREATE", "MINOR", None, 1)]
    assert state(app, "c_u_key", "INDEX") == (1, "1.0.0", True)


def test_v10c_create_index_is_patch_and_creates_index(t):
    """V10c: CREATE INDEX creates the INDEX at 1.0.0 and is an ALTER PATCH of its table."""
    assert change(t, "CREATE INDEX t_a ON app.t (a)") == ("ALTER", "PATCH", 1, 2)
    assert change(t, "CREATE UNIQUE INDEX t_b ON app.t (b)") == ("ALTER", "PATCH", 2, 3)
    assert state(t, "t") == (3, "1.0.2", True)
    assert state(t, "t_a", "INDEX") == (1, "1.0.0", True)


def test_v10d_add_nullable_or_default_column_is_minor(t):
    """V10d: ADD COLUMN nullable or with a DEFAULT is ALTER MINOR and creates the column."""
    assert change(t, "ALTER TABLE app.t ADD COLUMN c text") == ("ALTER", "MINOR", 1, 2)
    assert change(t, "ALTER TABLE app.t ADD COLUMN d int NOT NULL DEFAULT 5") == ("ALTER", "MINOR", 2, 3)
    assert state(t, "t") == (3, "1.2.0", True)
    assert history(t, "t.d", "COLUMN") == [("CREATE", "MINOR", None, 1)]


def test_v10e_add_not_null_column_without_default_is_major(t):
    """V10e: ADD COLUMN NOT NULL without a DEFAULT (DEFAULT NULL counts as none) is ALTER MAJOR."""
    assert change(t, "ALTER TABLE app.t ADD COLUMN c int NOT NULL") == ("ALTER", "MAJOR", 1, 2)
    assert change(t, "ALTER TABLE app.t ADD COLUMN d int NOT NULL DEFAULT NULL") == ("ALTER", "MAJOR", 2, 3)
    assert state(t, "t") == (3, "3.0.0", True)


def test_v10f_drop_column_is_major_and_drops_its_indexes_and_views(t):
    """V10f/V13: DROP COLUMN is ALTER MAJOR; the column, its index and views on it are dropped."""
    t.execute("CREATE INDEX t_a ON app.t (a)")
    t.execute("CREATE VIEW app.v AS SELECT a FROM app.t")
    assert change(t, "ALTER TABLE app.t DROP COLUMN a CASCADE") == ("ALTER", "MAJOR", 2, 3)
    assert state(t, "t") == (3, "2.0.0", True)
    assert state(t, "t.a", "COLUMN") == (1, "1.0.0", False)
    assert history(t, "t.a", "COLUMN")[-1] == ("DROP", "MAJOR", 1, None)
    assert state(t, "t_a", "INDEX") == (1, "1.0.0", False)
    assert history(t, "v", "VIEW") == [("CREATE", "MINOR", None, 1), ("DROP", "MAJOR", 1, None)]


@pytest.mark.parametrize(
    ("rule", "sql", "expected"),
    [
        ("V10g", "ALTER TABLE app.t ALTER COLUMN b TYPE bigint", ("ALTER", "MAJOR", 1, 2)),
        ("V10h", "ALTER TABLE app.t ALTER COLUMN a SET NOT NULL", ("ALTER", "MAJOR", 1, 2)),
        ("V10i", "ALTER TABLE app.t ALTER COLUMN b DROP NOT NULL", ("ALTER", "MINOR", 1, 2)),
        ("V10j", "ALTER TABLE app.t ALTER COLUMN a SET DEFAULT 'x'", ("ALTER", "PATCH", 1, 2)),
        ("V10j", "ALTER TABLE app.t ALTER COLUMN b DROP DEFAULT", ("ALTER", "PATCH", 1, 2)),
        ("V10k", "ALTER TABLE app.t ADD CONSTRAINT ck CHECK (b >= 0)", ("ALTER", "MAJOR", 1, 2)),
        ("V10k", "ALTER TABLE app.t ADD CONSTRAINT uq UNIQUE (a)", ("ALTER", "MAJOR", 1, 2)),
        ("V10k", "ALTER TABLE app.t ADD COLUMN c int UNIQUE", ("ALTER", "MAJOR", 1, 2)),
        ("V10m", "COMMENT ON TABLE app.t IS 'hello'", ("COMMENT", "PATCH", 1, 2)),
        ("V10m", "COMMENT ON COLUMN app.t.a IS 'hello'", ("COMMENT", "PATCH", 1, 2)),
    ],
)
def test_v10_column_and_constraint_severities(t, rule, sql, expected):
    """V10g-k, V10m: each listed statement is exactly one change of the table at its severity."""
    assert change(t, sql) == expected, rule


def test_v10k_foreign_key_is_major_and_referenced_table_unchanged(t):
    """V10k: ADD FOREIGN KEY is ALTER MAJOR on the referencing table; the referenced one is unchanged."""
    t.execute("CREATE TABLE app.r (id int, tid int)")
    before = history(t, "t")
    t.execute("ALTER TABLE app.r ADD CONSTRAINT r_fk FOREIGN KEY (tid) REFERENCES app.t (id)")
    assert history(t, "r")[-1] == ("ALTER", "MAJOR", 1, 2)
    assert history(t, "t") == before


def test_v10k_add_primary_key_creates_index(app):
    """V10k: ADD PRIMARY KEY is ALTER MAJOR and creates the PK index at 1.0.0."""
    app.execute("CREATE TABLE app.t (id int)")
    assert change(app, "ALTER TABLE app.t ADD PRIMARY KEY (id)") == ("ALTER", "MAJOR", 1, 2)
    assert state(app, "t_pkey", "INDEX") == (1, "1.0.0", True)


def test_v10l_drop_constraint_is_minor_and_drops_its_index(t):
    """V10l: DROP CONSTRAINT is ALTER MINOR; a UNIQUE/PK constraint's index is dropped with it."""
    t.execute("ALTER TABLE app.t ADD CONSTRAINT uq UNIQUE (a)")
    assert change(t, "ALTER TABLE app.t DROP CONSTRAINT uq") == ("ALTER", "MINOR", 2, 3)
    assert state(t, "uq", "INDEX") == (1, "1.0.0", False)
    assert change(t, "ALTER TABLE app.t DROP CONSTRAINT t_pkey") == ("ALTER", "MINOR", 3, 4)
    assert history(t, "t_pkey", "INDEX")[-1] == ("DROP", "MAJOR", 1, None)


def test_v10n_drop_index_is_patch(t):
    """V10n: DROP INDEX drops the index and is an ALTER PATCH of its table."""
    t.execute("CREATE INDEX t_a ON app.t (a)")
    assert change(t, "DROP INDEX app.t_a") == ("ALTER", "PATCH", 2, 3)
    assert state(t, "t_a", "INDEX") == (1, "1.0.0", False)


def test_v10o_drop_table_drops_columns_indexes_and_cascaded_views(t):
    """V10o/V13: DROP TABLE CASCADE: table, columns, indexes and views dropped, versions unchanged."""
    t.execute("ALTER TABLE app.t ADD COLUMN c int")
    t.execute("CREATE VIEW app.v AS SELECT id FROM app.t")
    t.execute("DROP TABLE app.t CASCADE")
    assert state(t, "t") == (2, "1.1.0", False)
    assert history(t, "t")[-1] == ("DROP", "MAJOR", 2, None)
    active = t.execute("SELECT count(*) FROM pggit.objects WHERE is_active").fetchone()[0]
    assert active == 0
    drops = t.execute("SELECT count(*) FROM pggit.history WHERE change_type = 'DROP'").fetchone()[0]
    assert drops == 1 + 4 + 1 + 1  # table, 4 columns, pkey, view: one DROP row each


def test_v10p_drop_view_and_function_cascade(app):
    """V10p: DROP VIEW/FUNCTION drop them and the views dropped by CASCADE."""
    app.execute("CREATE FUNCTION app.f(int, text) RETURNS int LANGUAGE sql AS 'SELECT $1'")
    app.execute("CREATE VIEW app.v1 AS SELECT app.f(1, 'x') AS x")
    app.execute("CREATE VIEW app.v2 AS SELECT x FROM app.v1")
    app.execute("DROP FUNCTION app.f(integer, text) CASCADE")
    assert state(app, "f(integer, text)", "FUNCTION") == (1, "1.0.0", False)
    assert state(app, "v1", "VIEW") == (1, "1.0.0", False)
    assert state(app, "v2", "VIEW") == (1, "1.0.0", False)
    assert history(app, "v2", "VIEW")[-1] == ("DROP", "MAJOR", 1, None)


def test_v10_index_rebuilt_by_type_change_is_not_a_change(t):
    """V10: the index PostgreSQL rebuilds after ALTER COLUMN TYPE keeps its row and history."""
    t.execute("CREATE INDEX t_b ON app.t (b)")
    assert change(t, "ALTER TABLE app.t ALTER COLUMN b TYPE bigint") == ("ALTER", "MAJOR", 2, 3)
    assert history(t, "t_b", "INDEX") == [("CREATE", "MINOR", None, 1)]
    assert history(t, "t_pkey", "INDEX") == [("CREATE", "MINOR", None, 1)]


# --- V9, V9a, V11, V12 --------------------------------------------------------------------------


def test_v9_several_subcommands_are_one_change_at_highest_severity(t):
    """V9: one ALTER TABLE with PATCH, MINOR and MAJOR subcommands is a single MAJOR change."""
    sql = "ALTER TABLE app.t ALTER a SET DEFAULT 'x', ADD COLUMN c int, ALTER a SET NOT NULL"
    assert change(t, sql) == ("ALTER", "MAJOR", 1, 2)
    sql = "ALTER TABLE app.t ALTER a DROP DEFAULT, ALTER b DROP NOT NULL"
    assert change(t, sql) == ("ALTER", "MINOR", 2, 3)
    assert state(t, "t") == (3, "2.1.0", True)


def test_v9_contract_example_sequence(app):
    """V7-V14: the §5 example: versions 1.0.0, 1.1.0, 1.1.1, 1.1.2, 2.0.0, drop, new life."""
    app.execute("CREATE TABLE app.u (id int PRIMARY KEY, email text)")
    app.execute("ALTER TABLE app.u ADD COLUMN name text")
    assert state(app, "u") == (2, "1.1.0", True)
    app.execute("ALTER TABLE app.u ALTER name SET DEFAULT 'x'")
    assert state(app, "u") == (3, "1.1.1", True)
    app.execute("CREATE INDEX u_email ON app.u (email)")
    assert state(app, "u") == (4, "1.1.2", True)
    app.execute("ALTER TABLE app.u ALTER email SET NOT NULL, ADD n int")
    assert state(app, "u") == (5, "2.0.0", True)
    app.execute("DROP TABLE app.u")
    assert state(app, "u") == (5, "2.0.0", False)
    app.execute("CREATE TABLE app.u (id bigint)")
    assert state(app, "u") == (1, "1.0.0", True)
    got = app.execute("SELECT version, change_type::text FROM pggit.get_history('app.u', 100)").fetchall()
    assert got == [(1, "CREATE"), (None, "DROP"), (5, "ALTER"), (4, "ALTER"), (3, "ALTER"), (2, "ALTER"),
                   (1, "CREATE")]


@pytest.mark.parametrize(
    "sql",
    [
        "ALTER TABLE app.t ADD COLUMN IF NOT EXISTS a text",
        "ALTER TABLE app.t ALTER COLUMN b SET NOT NULL",
        "ALTER TABLE app.t ALTER COLUMN a DROP DEFAULT",
        "ALTER TABLE app.t ALTER COLUMN b TYPE integer",
        "ALTER TABLE app.t ALTER COLUMN b SET DEFAULT 0",
        "ALTER TABLE app.t ALTER COLUMN a DROP NOT NULL",
        "COMMENT ON TABLE app.t IS NULL",
    ],
)
def test_v9a_noop_subcommands_record_nothing(t, sql):
    """V9a: a subcommand that leaves the catalog as it was records nothing."""
    before = history_count(t)
    t.execute(sql)
    assert history_count(t) == before
    assert state(t, "t") == (1, "1.0.0", True)


def test_v9a_same_comment_twice_records_once(t):
    """V9a/V10m: repeating a COMMENT with the same text records nothing the second time."""
    assert change(t, "COMMENT ON COLUMN app.t.a IS 'x'") == ("COMMENT", "PATCH", 1, 2)
    assert change(t, "COMMENT ON COLUMN app.t.a IS 'x'") is None


def test_v9a_session_search_path_does_not_fake_a_default_change(t):
    """V9a/H2: a default that renders differently under another search_path is not a change."""
    t.execute("CREATE SEQUENCE app.s")
    t.execute("ALTER TABLE app.t ALTER COLUMN b SET DEFAULT nextval('app.s')")
    t.execute("SET search_path = app, public")
    assert change(t, "ALTER TABLE app.t ALTER COLUMN b SET DEFAULT nextval('app.s')") is None


def test_v11_columns_stay_at_1_0_0(t):
    """V11: column changes version the table; the COLUMN row stays 1 / 1.0.0 with only its CREATE row."""
    t.execute("ALTER TABLE app.t ALTER COLUMN b TYPE bigint, ALTER COLUMN a SET DEFAULT 'z'")
    t.execute("COMMENT ON COLUMN app.t.a IS 'c'")
    assert state(t, "t.a", "COLUMN") == (1, "1.0.0", True)
    assert history(t, "t.b", "COLUMN") == [("CREATE", "MINOR", None, 1)]


def test_v12_create_or_replace_same_definition_records_nothing(app):
    """V12: CREATE OR REPLACE with an identical definition records nothing; a different one is ALTER MINOR."""
    app.execute("CREATE TABLE app.t (id int, a text)")
    app.execute("CREATE VIEW app.v AS SELECT id FROM app.t")
    app.execute("CREATE OR REPLACE VIEW app.v AS SELECT id FROM app.t")
    assert history(app, "v", "VIEW") == [("CREATE", "MINOR", None, 1)]
    app.execute("CREATE OR REPLACE VIEW app.v AS SELECT id, a FROM app.t")
    assert history(app, "v", "VIEW")[-1] == ("ALTER", "MINOR", 1, 2)
    assert state(app, "v", "VIEW") == (2, "1.1.0", True)
    fn = "CREATE OR REPLACE FUNCTION app.f(x int) RETURNS int LANGUAGE sql AS 'SELECT x + {}'"
    app.execute(fn.format(1))
    app.execute(fn.format(1))
    assert history(app, "f(integer)", "FUNCTION") == [("CREATE", "MINOR", None, 1)]
    app.execute(fn.format(2))
    assert history(app, "f(integer)", "FUNCTION")[-1] == ("ALTER", "MINOR", 1, 2)


# --- V13-V15 ------------------------------------------------------------------------------------


def test_v14_new_life_on_same_row_keeps_history(t):
    """V14/V6: re-creating a dropped table or column continues the same row at 1 / 1.0.0."""
    row_id = t.execute("SELECT id FROM pggit.objects WHERE object_name = 't'").fetchone()[0]
    t.execute("ALTER TABLE app.t DROP COLUMN a")
    t.execute("ALTER TABLE app.t ADD COLUMN a int")
    assert history(t, "t.a", "COLUMN") == [
        ("CREATE", "MINOR", None, 1), ("DROP", "MAJOR", 1, None), ("CREATE", "MINOR", None, 1)]
    t.execute("DROP TABLE app.t")
    t.execute("CREATE TABLE app.t (z int)")
    assert t.execute("SELECT id FROM pggit.objects WHERE object_name = 't'").fetchone()[0] == row_id
    assert state(t, "t") == (1, "1.0.0", True)
    assert len(history(t, "t")) == 5  # CREATE, ALTER (drop a), ALTER (add a), DROP, CREATE


def test_v15_rejected_and_skipped_statements_record_nothing(t):
    """V15/X4: DDL that PostgreSQL rejects or skips with IF [NOT] EXISTS records nothing."""
    before = history_count(t)
    with pytest.raises(psycopg.errors.DuplicateColumn):
        t.execute("ALTER TABLE app.t ADD COLUMN c int, ADD COLUMN a int")
    t.execute("CREATE TABLE IF NOT EXISTS app.t (x int)")
    t.execute("DROP TABLE IF EXISTS app.nope")
    t.execute("DROP INDEX IF EXISTS app.nope")
    t.execute("CREATE INDEX IF NOT EXISTS t_pkey ON app.t (a)")
    assert history_count(t) == before


def test_v15_frame_rule_statements_record_nothing(t):
    """V15: GRANT, OWNER TO, triggers, policies, rules and storage parameters record nothing."""
    t.execute("CREATE TABLE app.r (id int, tid int REFERENCES app.t)")
    before = history_count(t)
    t.execute("CREATE ROLE ref_someone")
    t.execute("GRANT SELECT ON app.t TO ref_someone")
    t.execute("REVOKE SELECT ON app.t FROM ref_someone")
    t.execute("ALTER TABLE app.t OWNER TO ref_someone")
    t.execute("ALTER TABLE app.t SET (fillfactor = 70)")
    t.execute("CREATE FUNCTION app.trg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'")
    after_fn = history_count(t)
    t.execute("CREATE TRIGGER tr BEFORE INSERT ON app.t FOR EACH ROW EXECUTE FUNCTION app.trg()")
    t.execute("CREATE POLICY p ON app.t USING (true)")
    t.execute("CREATE RULE rl AS ON UPDATE TO app.t DO ALSO NOTHING")
    t.execute("DROP TABLE app.r")  # drops FK triggers on app.t
    assert after_fn == before + 1  # the function itself
    assert history(t, "t") == [("CREATE", "MINOR", None, 1)]
    t.execute("ALTER TABLE app.t OWNER TO postgres")
    t.execute("DROP OWNED BY ref_someone")
    t.execute("DROP ROLE ref_someone")


def test_v4_versioning_touches_only_current_branch(t):
    """V4/B8: DDL on a checked-out branch changes only that branch's rows."""
    t.execute("SELECT pggit.create_branch('f1')")
    t.execute("SELECT pggit.checkout_branch('f1')")
    t.execute("ALTER TABLE app.t ADD COLUMN age int")
    assert state(t, "t", branch="f1") == (2, "1.1.0", True)
    assert state(t, "t.age", "COLUMN", branch="f1") == (1, "1.0.0", True)
    assert state(t, "t") == (1, "1.0.0", True)
    assert state(t, "t.age", "COLUMN") is None
    assert history(t, "t") == [("CREATE", "MINOR", None, 1)]


def test_v9a_statement_that_changes_no_catalog_state_records_nothing_on_any_branch(t):
    """V9a/B9: repeating on main a SET DEFAULT already applied on another branch changes nothing, so records nothing."""
    t.execute("SELECT pggit.create_branch('s')")
    t.execute("SELECT pggit.checkout_branch('s')")
    t.execute("ALTER TABLE app.t ALTER COLUMN a SET DEFAULT 'x'")
    assert state(t, "t", branch="s") == (2, "1.0.1", True)
    t.execute("SELECT pggit.checkout_branch('main')")
    assert change(t, "ALTER TABLE app.t ALTER COLUMN a SET DEFAULT 'x'") is None
    assert state(t, "t") == (1, "1.0.0", True)
    # a real change on main is measured against what main recorded: default (PATCH) + NOT NULL (MAJOR)
    assert change(t, "ALTER TABLE app.t ALTER COLUMN a SET NOT NULL") == ("ALTER", "MAJOR", 1, 2)


# --- stale rows on c: only what the statement did is recorded (docs/model.md R1, fixed) ---------------
# All branches share one catalog (B9), so after DDL on another branch the COLUMN/INDEX rows on c can
# disagree with the catalog. A statement on c records what it changed in the catalog (V9a), drops what
# PostgreSQL dropped in it (V13) and nothing else (V15): stale rows on c stay as they are.

STALE_PK = [
    "CREATE TABLE app.t1 (id int PRIMARY KEY)",
    "SELECT pggit.create_branch('b1')",
    "SELECT pggit.checkout_branch('b1')",
    "ALTER TABLE app.t1 DROP CONSTRAINT t1_pkey",
    "SELECT pggit.checkout_branch('main')",
]


def test_v9a_v15_noop_on_table_with_stale_index_row_records_nothing(app):
    """V9a/V15/V13: on main, a SET NOT NULL that changes nothing records nothing, though t1_pkey was dropped on b1."""
    for stmt in STALE_PK:
        app.execute(stmt)
    before = history_count(app)
    app.execute("ALTER TABLE app.t1 ALTER id SET NOT NULL")
    assert history_count(app) == before
    assert state(app, "t1") == (1, "1.0.0", True)
    assert history(app, "t1_pkey", "INDEX") == [("CREATE", "MINOR", None, 1)]
    assert state(app, "t1_pkey", "INDEX") == (1, "1.0.0", True)


def test_v13_drop_table_drops_only_what_postgres_dropped(app):
    """V13/V10o: DROP TABLE CASCADE on main drops t1 and t1.id, not the t1_pkey row that PostgreSQL no longer had."""
    for stmt in STALE_PK:
        app.execute(stmt)
    app.execute("DROP TABLE app.t1 CASCADE")
    assert history(app, "t1")[-1] == ("DROP", "MAJOR", 1, None)
    assert history(app, "t1.id", "COLUMN")[-1] == ("DROP", "MAJOR", 1, None)
    assert history(app, "t1_pkey", "INDEX") == [("CREATE", "MINOR", None, 1)]
    assert state(app, "t1_pkey", "INDEX") == (1, "1.0.0", True)
    assert state(app, "t1_pkey", "INDEX", branch="b1") == (1, "1.0.0", False)  # B8: b1's rows untouched


def test_v9a_change_on_stale_table_creates_only_the_new_column(app):
    """V9a/V10d/V10l: ADD COLUMN on main after b1 dropped the PK: one ALTER MINOR against main's record, x created,
    t1_pkey left alone (V13)."""
    for stmt in STALE_PK:
        app.execute(stmt)
    app.execute("ALTER TABLE app.t1 ADD COLUMN x int")
    assert history(app, "t1") == [("CREATE", "MINOR", None, 1), ("ALTER", "MINOR", 1, 2)]
    assert history(app, "t1.x", "COLUMN") == [("CREATE", "MINOR", None, 1)]
    assert history(app, "t1_pkey", "INDEX") == [("CREATE", "MINOR", None, 1)]
    assert state(app, "t1_pkey", "INDEX") == (1, "1.0.0", True)


# Each sequence runs through the Driver: every answer and the whole observed pgGit state after every step
# must match the model, which encodes the contract. SQL as the machines would issue it (parse → ops).
STALE_SEQUENCES = {
    "pk-dropped-elsewhere-noop-then-drop-table": [
        *STALE_PK, "ALTER TABLE s.t1 ALTER id SET NOT NULL", "COMMENT ON TABLE s.t1 IS NULL",
        "DROP TABLE s.t1 CASCADE"],
    "pk-dropped-elsewhere-add-column": [*STALE_PK, "ALTER TABLE s.t1 ADD COLUMN x int"],
    "pk-dropped-elsewhere-unique-added-and-dropped": [
        *STALE_PK, "ALTER TABLE s.t1 ADD CONSTRAINT u1 UNIQUE (id)", "ALTER TABLE s.t1 DROP CONSTRAINT u1"],
    "column-dropped-elsewhere-noop-then-drop-table": [
        "CREATE TABLE s.t1 (id int NOT NULL, a int)", "SELECT pggit.create_branch('b1')",
        "SELECT pggit.checkout_branch('b1')", "ALTER TABLE s.t1 DROP COLUMN a",
        "SELECT pggit.checkout_branch('main')", "ALTER TABLE s.t1 ALTER id SET NOT NULL", "DROP TABLE s.t1"],
    "index-dropped-and-created-elsewhere-noop": [
        "CREATE TABLE s.t1 (id int NOT NULL, a int)", "CREATE INDEX i1 ON s.t1 (a)",
        "SELECT pggit.create_branch('b1')", "SELECT pggit.checkout_branch('b1')", "DROP INDEX s.i1",
        "CREATE INDEX i2 ON s.t1 (id)", "SELECT pggit.checkout_branch('main')",
        "ALTER TABLE s.t1 ALTER id SET NOT NULL", "COMMENT ON TABLE s.t1 IS NULL",
        "ALTER TABLE s.t1 ALTER a DROP DEFAULT"],
    # R3a: every active COLUMN row moves with its table, also one whose column b1 dropped (a mixed-machine smoke)
    "column-dropped-elsewhere-table-renamed": [
        "CREATE TABLE s.t1 (id int NOT NULL, a int)", "SELECT pggit.create_branch('b1')",
        "SELECT pggit.checkout_branch('b1')", "ALTER TABLE s.t1 DROP COLUMN a",
        "SELECT pggit.checkout_branch('main')", "ALTER TABLE s.t1 RENAME TO t2", "ALTER TABLE s.t2 ADD COLUMN b int"],
    # N5a: a move takes every COLUMN and INDEX row of the table along, also those of objects b1 dropped
    "columns-and-indexes-dropped-elsewhere-table-moved": [
        "CREATE SCHEMA s2", "CREATE TABLE s.t1 (id int PRIMARY KEY, a int, b int)", "CREATE INDEX i1 ON s.t1 (a)",
        "ALTER TABLE s.t1 ADD CONSTRAINT u1 UNIQUE (b)", "SELECT pggit.create_branch('b1')",
        "SELECT pggit.checkout_branch('b1')", "ALTER TABLE s.t1 DROP CONSTRAINT t1_pkey, DROP COLUMN b",
        "DROP INDEX s.i1", "SELECT pggit.checkout_branch('main')", "ALTER TABLE s.t1 SET SCHEMA s2",
        "ALTER TABLE s2.t1 RENAME TO t3"],
}


def agrees_with_model(conn: psycopg.Connection, statements: list[str], schema: str = "s") -> None:
    """Run the statements (app. becomes schema.) through the Driver, checking every answer and the whole state. A
    statement starting with ~ runs as drift, with pgGit's triggers off (U3)."""
    drive(conn, schema, [Untracked(op) if text.startswith("~") else op
                         for text in statements for op in parse(text.lstrip("~").replace("app.", f"{schema}."))])


@pytest.mark.parametrize("name", list(STALE_SEQUENCES))
def test_v9a_v13_v15_stale_rows_on_c_agree_with_the_model(pggit_conn, name):
    """V9a/V13/V15: after DDL on another branch, DDL on main records what the model predicts, step by step."""
    agrees_with_model(pggit_conn, STALE_SEQUENCES[name])


def test_v13_v14_primary_key_dropped_and_added_in_one_statement_is_a_new_index(app):
    """V13/V14: DROP CONSTRAINT t_pkey, ADD PRIMARY KEY rebuilds t_pkey: its row gets a DROP and a new life."""
    app.execute("CREATE TABLE app.t (id int PRIMARY KEY, a int)")
    app.execute("ALTER TABLE app.t DROP CONSTRAINT t_pkey, ADD PRIMARY KEY (id)")
    assert history(app, "t_pkey", "INDEX") == [
        ("CREATE", "MINOR", None, 1), ("DROP", "MAJOR", 1, None), ("CREATE", "MINOR", None, 1)]
    assert state(app, "t_pkey", "INDEX") == (1, "1.0.0", True)
    assert history(app, "t") == [("CREATE", "MINOR", None, 1)]  # same constraint definition: no change (V9a)
    app.execute("ALTER TABLE app.t DROP CONSTRAINT t_pkey, ADD PRIMARY KEY (a)")
    assert history(app, "t")[-1] == ("ALTER", "MAJOR", 1, 2)
    assert state(app, "t_pkey", "INDEX") == (1, "1.0.0", True)


def test_v13_v14_primary_key_rebuilt_in_one_statement_agrees_with_the_model(pggit_conn):
    """V13/V14/V10k-l: the same rebuild, checked step by step against the model, next to a stale branch."""
    agrees_with_model(pggit_conn, [
        *STALE_PK, "SELECT pggit.checkout_branch('b1')", "ALTER TABLE app.t1 ADD PRIMARY KEY (id)",
        "ALTER TABLE app.t1 DROP CONSTRAINT t1_pkey, ADD PRIMARY KEY (id)"])
