"""Reference backend, branches: contract rules B1-B11."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.server


def branches(conn: psycopg.Connection) -> dict[str, tuple]:
    """O3: name -> (status, parent name, head)."""
    rows = conn.execute(
        "SELECT b.name, b.status::text, p.name, b.head_commit_hash FROM pggit.branches b"
        " LEFT JOIN pggit.branches p ON p.id = b.parent_branch_id"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def objects(conn: psycopg.Connection, branch: str) -> set[tuple]:
    return set(conn.execute(
        "SELECT object_type::text, object_name, version, version_major, version_minor, version_patch,"
        " is_active, ddl_hash FROM pggit.objects WHERE branch_name = %s", (branch,)
    ).fetchall())


def current(conn: psycopg.Connection) -> str:
    """O5: the expression c."""
    return conn.execute(
        "SELECT coalesce(nullif(current_setting('pggit.current_branch', true), ''), 'main')"
    ).fetchone()[0]


def rejected(conn: psycopg.Connection, sql: str, params: tuple = ()) -> None:
    """The call raises an error and leaves branches and objects as they were."""
    before = (branches(conn), conn.execute("SELECT count(*) FROM pggit.objects").fetchone())
    with pytest.raises(psycopg.Error):
        conn.execute(sql, params)
    assert (branches(conn), conn.execute("SELECT count(*) FROM pggit.objects").fetchone()) == before


@pytest.fixture
def app(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    pggit_conn.execute("CREATE SCHEMA app")
    pggit_conn.execute("CREATE TABLE app.u (id int PRIMARY KEY, email text)")
    return pggit_conn


def test_b1_fresh_install_has_only_main(pggit_conn):
    """B1: exactly one branch, main, id 1, ACTIVE, no parent, no head; sessions start on main."""
    assert pggit_conn.execute("SELECT id, name, status::text, parent_branch_id, head_commit_hash"
                              " FROM pggit.branches").fetchall() == [(1, "main", "ACTIVE", None, None)]
    assert current(pggit_conn) == "main"


def test_b2_b4_create_branch_returns_id_active_with_parent_and_no_head(pggit_conn):
    """B2/B4: create_branch works on a fresh install and returns the new ACTIVE row's id."""
    new_id = pggit_conn.execute("SELECT pggit.create_branch('r1/feature-x')").fetchone()[0]
    assert pggit_conn.execute("SELECT id FROM pggit.branches WHERE name = 'r1/feature-x'").fetchone()[0] == new_id
    assert branches(pggit_conn)["r1/feature-x"] == ("ACTIVE", "main", None)
    pggit_conn.execute("SELECT pggit.create_branch('r1/child', 'r1/feature-x', false)")
    assert branches(pggit_conn)["r1/child"] == ("ACTIVE", "r1/feature-x", None)


@pytest.mark.parametrize("name", [None, "", "a" * 256, "has space", "bad$", "ümlaut", "tab\t", "semi;colon"])
def test_b3_bad_names_rejected(pggit_conn, name):
    """B3: NULL, empty, over 255 characters or characters outside [A-Za-z0-9._/#-] are rejected."""
    rejected(pggit_conn, "SELECT pggit.create_branch(%s)", (name,))


def test_b3_valid_edge_names_accepted(pggit_conn):
    """B3: 255 characters and every allowed punctuation character are fine."""
    pggit_conn.execute("SELECT pggit.create_branch(%s)", ("a" * 255,))
    pggit_conn.execute("SELECT pggit.create_branch('A-z_0.9/#x')")
    assert len(branches(pggit_conn)) == 3


def test_b3_duplicate_names_and_bad_parents_rejected(pggit_conn):
    """B3: a used name (any status) and a NULL, unknown or non-ACTIVE parent are rejected."""
    pggit_conn.execute("SELECT pggit.create_branch('dup')")
    rejected(pggit_conn, "SELECT pggit.create_branch('dup')")
    rejected(pggit_conn, "SELECT pggit.create_branch('main')")
    rejected(pggit_conn, "SELECT pggit.create_branch('x1', NULL)")
    rejected(pggit_conn, "SELECT pggit.create_branch('x1', 'nope')")
    pggit_conn.execute("SELECT * FROM pggit.delete_branch('dup', true)")
    rejected(pggit_conn, "SELECT pggit.create_branch('x1', 'dup')")
    rejected(pggit_conn, "SELECT pggit.create_branch('dup')")


def test_b5_copy_on_create_copies_active_rows_verbatim(app):
    """B5: active parent rows are copied with versions and ddl_hash; inactive rows and history are not."""
    app.execute("ALTER TABLE app.u ADD COLUMN n int")
    app.execute("CREATE TABLE app.gone (x int)")
    app.execute("DROP TABLE app.gone")
    app.execute("SELECT pggit.update_all_hashes()")
    app.execute("UPDATE pggit.objects SET ddl_hash = 'stale' WHERE object_name = 'u_pkey'")
    history_before = app.execute("SELECT count(*) FROM pggit.history").fetchone()[0]
    app.execute("SELECT pggit.create_branch('copy')")
    main_active = {r for r in objects(app, "main") if r[6]}
    assert objects(app, "copy") == main_active
    assert ("INDEX", "u_pkey", 1, 1, 0, 0, True, "stale") in objects(app, "copy")
    assert app.execute("SELECT count(*) FROM pggit.history").fetchone()[0] == history_before


def test_b6_b7_checkout_is_transactional_and_session_local(pggit_connect):
    """B6/B7/X1: checkout sets c, survives COMMIT, is undone by ROLLBACK, invisible to other sessions."""
    a, b = pggit_connect(), pggit_connect()
    a.execute("SELECT pggit.create_branch('f')")
    a.execute("SELECT pggit.checkout_branch('f')")
    assert current(a) == "f"
    assert current(b) == "main"
    with a.transaction(force_rollback=True):
        a.execute("SELECT pggit.checkout_branch('main')")
        assert current(a) == "main"
    assert current(a) == "f"
    with a.transaction():
        a.execute("SELECT pggit.checkout_branch('main')")
    assert current(a) == "main"


def test_b6_checkout_rejects_null_unknown_and_inactive(pggit_conn):
    """B6/B10: NULL, unknown, DELETED and MERGED branches cannot be checked out."""
    pggit_conn.execute("SELECT pggit.create_branch('d')")
    pggit_conn.execute("SELECT * FROM pggit.delete_branch('d', true)")
    for name in (None, "nope", "d"):
        rejected(pggit_conn, "SELECT pggit.checkout_branch(%s)", (name,))
        assert current(pggit_conn) == "main"


def test_b8_example_branch_ddl_leaves_main_alone(app):
    """B8: the §6 example: on r1/f u is 2 1.1.0 with u.age; main still answers 1 1.0.0."""
    app.execute("SELECT pggit.create_branch('r1/f')")
    app.execute("SELECT pggit.checkout_branch('r1/f')")
    app.execute("ALTER TABLE app.u ADD COLUMN age int")
    got = app.execute("SELECT version, version_string FROM pggit.get_version('app.u')").fetchall()
    assert got == [(2, "1.1.0")]
    assert app.execute("SELECT count(*) FROM pggit.get_version('app.u.age')").fetchone()[0] == 1
    app.execute("SELECT pggit.checkout_branch('main')")
    got = app.execute("SELECT version, version_string FROM pggit.get_version('app.u')").fetchall()
    assert got == [(1, "1.0.0")]
    assert app.execute("SELECT count(*) FROM pggit.get_version('app.u.age')").fetchone()[0] == 0


def test_b10_delete_branch_rules(pggit_conn):
    """B10: main is protected, ACTIVE needs force, DELETED and unknown are rejected; the row stays."""
    rejected(pggit_conn, "SELECT * FROM pggit.delete_branch('main')")
    rejected(pggit_conn, "SELECT * FROM pggit.delete_branch('main', true)")
    rejected(pggit_conn, "SELECT * FROM pggit.delete_branch('nope', true)")
    rejected(pggit_conn, "SELECT * FROM pggit.delete_branch(NULL, true)")
    pggit_conn.execute("SELECT pggit.create_branch('x')")
    rejected(pggit_conn, "SELECT * FROM pggit.delete_branch('x')")
    got = pggit_conn.execute("SELECT count(*) FROM pggit.delete_branch('x', true)").fetchone()[0]
    assert got == 1
    assert branches(pggit_conn)["x"] == ("DELETED", "main", None)
    rejected(pggit_conn, "SELECT * FROM pggit.delete_branch('x', true)")
    rejected(pggit_conn, "SELECT pggit.commit_changes('x', 'm')")
    rejected(pggit_conn, "SELECT pggit.create_commit('x', 'm', 'sql')")


def test_b10_merged_branch_deletable_without_force(app):
    """B10: a MERGED branch is not ACTIVE, so it can be deleted without force."""
    app.execute("SELECT pggit.create_branch('m1')")
    assert app.execute("SELECT pggit.merge_branches('m1', 'main')").fetchone()[0].startswith("MERGE_SUCCESS:")
    app.execute("SELECT * FROM pggit.delete_branch('m1')")
    assert branches(app)["m1"][0] == "DELETED"


def test_b11_list_branches_every_row_once_with_status_filter(pggit_conn):
    """B11: list_branches() lists every branch once with its status; p_status filters by equality."""
    pggit_conn.execute("SELECT pggit.create_branch('a')")
    pggit_conn.execute("SELECT pggit.create_branch('b')")
    pggit_conn.execute("SELECT * FROM pggit.delete_branch('b', true)")
    got = sorted(pggit_conn.execute("SELECT branch_name, status::text FROM pggit.list_branches()").fetchall())
    assert got == [("a", "ACTIVE"), ("b", "DELETED"), ("main", "ACTIVE")]
    got = pggit_conn.execute(
        "SELECT branch_name FROM pggit.list_branches('DELETED'::pggit.branch_status, NULL::int)").fetchall()
    assert got == [("b",)]
