"""Reference backend, merge: contract rules M1-M6."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.server


def rows(conn: psycopg.Connection, branch: str) -> dict[tuple, tuple]:
    """Row key (minus branch) -> (version, M, m, p, is_active) for one branch."""
    got = conn.execute(
        "SELECT object_type::text, object_name, version, version_major, version_minor, version_patch, is_active"
        " FROM pggit.objects WHERE branch_name = %s AND schema_name = 'app'", (branch,)
    ).fetchall()
    return {(r[0], r[1]): r[2:] for r in got}


def status(conn: psycopg.Connection, branch: str) -> str:
    return conn.execute("SELECT status::text FROM pggit.branches WHERE name = %s", (branch,)).fetchone()[0]


def merge(conn: psycopg.Connection, source: str, target: str = "main") -> tuple[str, str]:
    result = conn.execute("SELECT pggit.merge_branches(%s, %s, 'msg')", (source, target)).fetchone()[0]
    kind, _, merge_id = result.partition(":")
    assert merge_id
    return kind, merge_id


def on(conn: psycopg.Connection, branch: str) -> None:
    conn.execute("SELECT pggit.checkout_branch(%s)", (branch,))


@pytest.fixture
def app(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    pggit_conn.execute("CREATE SCHEMA app")
    pggit_conn.execute("CREATE TABLE app.t (id int, a int)")
    pggit_conn.execute("CREATE TABLE app.u (id int)")
    pggit_conn.execute("SELECT pggit.create_branch('s')")
    return pggit_conn


def test_m1_rejects_null_unknown_and_self(app):
    """M1: NULL or unknown S or T, and S = T, are rejected with no effect."""
    for source, target in [(None, "main"), ("s", None), ("nope", "main"), ("s", "nope"), ("s", "s")]:
        with pytest.raises(psycopg.Error):
            app.execute("SELECT pggit.merge_branches(%s, %s)", (source, target))
    assert status(app, "s") == "ACTIVE"
    assert app.execute("SELECT count(*) FROM pggit.merge_conflicts").fetchone()[0] == 0


def test_m3_only_source_changes_flow_into_target(app):
    """M3/M4/M5: keys only S changed take S's state on T (created, altered, dropped); S becomes MERGED."""
    on(app, "s")
    app.execute("ALTER TABLE app.t ADD COLUMN b int")  # t altered, t.b created
    app.execute("DROP TABLE app.u")  # u and u.id dropped
    app.execute("CREATE TABLE app.n (x int)")  # n, n.x created
    source_before = rows(app, "s")
    history_s = app.execute("SELECT count(*) FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id"
                            " WHERE o.branch_name = 's'").fetchone()[0]
    on(app, "main")
    kind, _ = merge(app, "s")
    assert kind == "MERGE_SUCCESS"
    main = rows(app, "main")
    assert main[("TABLE", "t")] == (2, 1, 1, 0, True)
    assert main[("COLUMN", "t.b")] == (1, 1, 0, 0, True)
    assert main[("TABLE", "u")][-1] is False
    assert main[("COLUMN", "u.id")][-1] is False
    assert main[("TABLE", "n")] == (1, 1, 0, 0, True)
    assert rows(app, "s") == source_before
    assert app.execute("SELECT count(*) FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id"
                       " WHERE o.branch_name = 's'").fetchone()[0] == history_s
    assert status(app, "s") == "MERGED"
    assert status(app, "main") == "ACTIVE"
    with pytest.raises(psycopg.Error):
        app.execute("SELECT pggit.checkout_branch('s')")
    with pytest.raises(psycopg.Error):
        app.execute("SELECT pggit.commit_changes('s', 'm')")


def test_m3_same_change_on_both_is_not_a_conflict(app):
    """M3: both branches changed a key to the same state: nothing happens, no conflict (shared catalog, B9)."""
    on(app, "s")
    app.execute("ALTER TABLE app.t ALTER a SET DEFAULT 1")  # t -> 2 1.0.1 on s
    on(app, "main")
    app.execute("ALTER TABLE app.t ALTER id SET DEFAULT 2")  # t -> 2 1.0.1 on main too (V10j)
    before = rows(app, "main")
    assert before[("TABLE", "t")] == (2, 1, 0, 1, True)
    assert merge(app, "s")[0] == "MERGE_SUCCESS"
    assert rows(app, "main") == before
    assert app.execute("SELECT count(*) FROM pggit.merge_conflicts").fetchone()[0] == 0


def test_m3_m5_conflicts_reported_and_other_keys_still_merged(app):
    """M3/M5: different changes on both sides conflict (T unchanged); other keys merge; S stays ACTIVE."""
    on(app, "s")
    app.execute("ALTER TABLE app.t ADD COLUMN b int")  # t -> 2 1.1.0 on s
    app.execute("ALTER TABLE app.t ADD COLUMN c int")  # t -> 3 1.2.0 on s
    app.execute("ALTER TABLE app.u ADD COLUMN z int NOT NULL")  # u -> 2 2.0.0 on s only
    on(app, "main")
    app.execute("ALTER TABLE app.t ALTER a SET NOT NULL")  # t -> 2 2.0.0 on main (catalog diff, V9a)
    kind, merge_id = merge(app, "s")
    assert kind == "CONFLICTS_DETECTED"
    conflicts = app.execute("SELECT merge_id, branch_a, branch_b, conflict_object FROM pggit.merge_conflicts"
                            ).fetchall()
    assert conflicts == [(merge_id, "s", "main", "app.t")]
    main = rows(app, "main")
    assert main[("TABLE", "t")] == (2, 2, 0, 0, True)
    assert main[("TABLE", "u")] == (2, 2, 0, 0, True)
    assert main[("COLUMN", "u.z")] == (1, 1, 0, 0, True)
    assert status(app, "s") == "ACTIVE"


def test_m3_drop_versus_alter_conflicts(app):
    """M3: S dropped a key that T altered: a conflict, T's row stays active and unchanged."""
    app.execute("ALTER TABLE app.u ADD COLUMN q int")  # on main: u -> 2 1.1.0
    on(app, "s")
    app.execute("DROP TABLE app.u")
    on(app, "main")
    kind, _ = merge(app, "s")
    assert kind == "CONFLICTS_DETECTED"
    assert rows(app, "main")[("TABLE", "u")] == (2, 1, 1, 0, True)
    objs = {r[0] for r in app.execute("SELECT conflict_object FROM pggit.merge_conflicts")}
    assert objs == {"app.u"}


def test_m5_merge_ids_unique_per_call(app):
    """M5: every call gets its own id."""
    app.execute("SELECT pggit.create_branch('s2')")
    ids = {merge(app, b)[1] for b in ("s", "s2")}
    assert len(ids) == 2
