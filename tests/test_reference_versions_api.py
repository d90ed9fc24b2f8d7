"""Reference backend, version API: contract rules V17-V19, plus the install and catalogue (I1, I4, §3, §4)."""

from __future__ import annotations

import psycopg
import pytest

from pggit_model.install import REFERENCE_SOURCE

pytestmark = pytest.mark.server


@pytest.fixture
def app(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    pggit_conn.execute("CREATE SCHEMA app")
    pggit_conn.execute("CREATE TABLE app.users (id int PRIMARY KEY, email text)")
    return pggit_conn


def version(conn: psycopg.Connection, name: str) -> list[tuple]:
    return conn.execute(
        "SELECT object_name, schema_name, version, version_string FROM pggit.get_version(%s)", (name,)
    ).fetchall()


# --- install and catalogue ------------------------------------------------------------------------


def test_i1_checkout_layout_install_sql_includes_parts():
    """I1: the reference is laid out like a pgGit checkout: sql/install.sql pulling in its parts with \\i."""
    install = (REFERENCE_SOURCE / "sql" / "install.sql").read_text()
    parts = [line.split()[1] for line in install.splitlines() if line.startswith("\\i ")]
    assert parts and parts[0] == "000_schema.sql"
    assert all((REFERENCE_SOURCE / "sql" / p).is_file() for p in parts)


def test_catalogue_enums_have_contract_labels_in_order(pggit_conn):
    """§3: the four enums have exactly the contract's labels, in order."""
    want = {
        "object_type": "SCHEMA TABLE COLUMN INDEX CONSTRAINT VIEW MATERIALIZED_VIEW FUNCTION PROCEDURE TRIGGER "
        "TYPE SEQUENCE PARTITION BRANCH COMMIT TAG",
        "change_type": "CREATE ALTER DROP RENAME COMMENT BRANCH MERGE CONFLICT_RESOLVED",
        "change_severity": "MAJOR MINOR PATCH",
        "branch_status": "ACTIVE MERGED DELETED CONFLICTED",
    }
    for name, labels in want.items():
        got = pggit_conn.execute(
            "SELECT string_agg(e.enumlabel, ' ' ORDER BY e.enumsortorder) FROM pg_enum e"
            " WHERE e.enumtypid = %s::regtype", (f"pggit.{name}",)
        ).fetchone()[0]
        assert got == labels, name


def test_catalogue_trinity_sequence_and_full_name(pggit_conn):
    """§3/T3: trinity_id_seq is bigint, starts at 1, increment 1, cache 1; full_name is generated."""
    seq = pggit_conn.execute(
        "SELECT data_type::regtype::text, start_value, increment_by, cache_size, last_value"
        " FROM pg_sequences WHERE schemaname = 'pggit' AND sequencename = 'trinity_id_seq'"
    ).fetchone()
    assert seq == ("bigint", 1, 1, 1, None)
    generated = pggit_conn.execute(
        "SELECT attgenerated FROM pg_attribute WHERE attrelid = 'pggit.objects'::regclass"
        " AND attname = 'full_name'"
    ).fetchone()[0]
    assert generated == "s"


def test_i2_core_postgresql_only_no_extensions(pggit_conn):
    """I2 (reference): the install needs no extension, so no pgcrypto; only plpgsql is present."""
    got = {r[0] for r in pggit_conn.execute("SELECT extname FROM pg_extension")}
    assert got == {"plpgsql"}
    triggers = pggit_conn.execute("SELECT evtevent FROM pg_event_trigger WHERE evtenabled <> 'D' ORDER BY 1")
    assert [r[0] for r in triggers] == ["ddl_command_end", "ddl_command_start", "sql_drop"]


SIGNATURES = [
    "pggit.get_version(text)", "pggit.get_history(text,integer)", "pggit.show_table_versions(text)",
    "pggit.create_branch(text,text,boolean)", "pggit.checkout_branch(text)", "pggit.delete_branch(text,boolean)",
    "pggit.list_branches(pggit.branch_status,integer)", "pggit.create_commit(text,text,text,uuid[])",
    "pggit.commit_changes(text,text,text)", "pggit.generate_trinity_id()",
    "pggit.compute_ddl_hash(pggit.object_type,text,text)", "pggit.compute_table_component_hashes(text,text)",
    "pggit.update_all_hashes()", "pggit.detect_changes_by_hash()", "pggit.export_schema_hashes(text)",
    "pggit.merge_branches(text,text,text)",
]


def test_i4_every_contract_signature_exists_with_contract_result(pggit_conn):
    """I4/§4: every §4 function exists with its argument types, names and result columns."""
    for sig in SIGNATURES:
        assert pggit_conn.execute("SELECT to_regprocedure(%s)", (sig,)).fetchone()[0] is not None, sig
    got = dict(pggit_conn.execute(
        "SELECT p.proname, pg_get_function_arguments(p.oid) || ' -> ' || pg_get_function_result(p.oid)"
        " FROM pg_proc p WHERE p.pronamespace = 'pggit'::regnamespace AND p.proname !~ '^_'"
    ).fetchall())
    assert got["get_history"] == (
        "p_object_name text, p_limit integer DEFAULT 10 -> TABLE(version integer, change_type pggit.change_type,"
        " change_description text, created_at timestamp without time zone, created_by text)")
    assert got["create_commit"] == (
        "p_branch_name text, p_message text, p_sql_content text, p_parent_ids uuid[] DEFAULT NULL::uuid[] -> uuid")
    assert got["commit_changes"] == (
        "p_branch_name text, p_message text DEFAULT ''::text, p_custom_trinity_id text DEFAULT NULL::text -> text")
    assert got["merge_branches"] == (
        "p_source_branch text, p_target_branch text, p_merge_message text DEFAULT 'Merge branch'::text -> text")
    assert got["generate_trinity_id"] == " -> text"
    volatile = pggit_conn.execute("SELECT provolatile FROM pg_proc WHERE oid = 'pggit.generate_trinity_id'::regproc")
    assert volatile.fetchone()[0] == "v"


# --- V17 ------------------------------------------------------------------------------------------


def test_v17_get_version_by_full_name_and_search_path(app):
    """V17: names resolve as full_name, or through current_schemas(false) in order."""
    assert version(app, "app.users") == [("users", "app", 1, "1.0.0")]
    assert version(app, "app.users.email") == [("users.email", "app", 1, "1.0.0")]
    assert version(app, "users") == []
    app.execute("SET search_path = app, public")
    assert version(app, "users") == [("users", "app", 1, "1.0.0")]
    app.execute("CREATE SCHEMA app2")
    app.execute("CREATE TABLE app2.users (x int)")
    app.execute("ALTER TABLE app2.users ADD y int")
    app.execute("SET search_path = app2, app")
    assert version(app, "users") == [("users", "app2", 2, "1.1.0")]


def test_v17_get_version_zero_rows_for_dropped_unknown_or_other_branch(app):
    """V17: dropped, unknown and other-branch names give zero rows, never an error; no case folding."""
    app.execute("SELECT pggit.create_branch('b1')")
    app.execute("SELECT pggit.checkout_branch('b1')")
    app.execute("CREATE TABLE app.only_b1 (x int)")
    app.execute("SELECT pggit.checkout_branch('main')")
    assert version(app, "app.only_b1") == []
    app.execute("DROP TABLE app.users")
    assert version(app, "app.users") == []
    assert version(app, "nope") == []
    assert version(app, "APP.USERS") == []
    assert version(app, "") == []


def test_v17_quoted_names_resolve_as_catalog_spelling(app):
    """V17/V5: a quoted identifier is looked up by its catalog spelling, unquoted."""
    app.execute('CREATE TABLE app."Order Items" (id int)')
    assert version(app, "app.Order Items") == [("Order Items", "app", 1, "1.0.0")]
    assert version(app, 'app."Order Items"') == []


# --- V18 ------------------------------------------------------------------------------------------


def test_v18_get_history_newest_first_with_limit(app):
    """V18: at most limit rows, newest first in history.id order, version = new_version."""
    app.execute("ALTER TABLE app.users ADD a int")
    app.execute("ALTER TABLE app.users ALTER a SET DEFAULT 1")
    got = app.execute("SELECT version, change_type::text FROM pggit.get_history('app.users')").fetchall()
    assert got == [(3, "ALTER"), (2, "ALTER"), (1, "CREATE")]
    got = app.execute("SELECT version FROM pggit.get_history('app.users', 1)").fetchall()
    assert got == [(3,)]


def test_v18_get_history_falls_back_to_inactive_rows(app):
    """V18: a dropped object's history is still readable, with version NULL for the DROP."""
    app.execute("DROP TABLE app.users")
    got = app.execute("SELECT version, change_type::text FROM pggit.get_history('app.users', 5)").fetchall()
    assert got == [(None, "DROP"), (1, "CREATE")]
    assert app.execute("SELECT count(*) FROM pggit.get_history('app.nope', 5)").fetchone()[0] == 0


# --- V19 ------------------------------------------------------------------------------------------


def test_v19_show_table_versions_counts_active_columns(app):
    """V19: one row per active table on c in the schema, column_count = its active columns."""
    app.execute("CREATE TABLE app.other (a int, b int, c int)")
    app.execute("ALTER TABLE app.other DROP COLUMN b")
    app.execute("CREATE TABLE app.gone (a int)")
    app.execute("DROP TABLE app.gone")
    got = set(app.execute(
        "SELECT object_name, schema_name, version_string, column_count FROM pggit.show_table_versions('app')"
    ).fetchall())
    assert got == {("users", "app", "1.0.0", 2), ("other", "app", "2.0.0", 2)}
    assert app.execute("SELECT count(*) FROM pggit.show_table_versions()").fetchone()[0] == 0
