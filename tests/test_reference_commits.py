"""Reference backend, commits and Trinity IDs: contract rules C1-C8 and T1-T9."""

from __future__ import annotations

import datetime as dt
import re

import psycopg
import pytest

pytestmark = pytest.mark.server

TRINITY = re.compile(r"^[0-9]{20}-[0-9]{6,}-[0-9a-f]{8}$")


def commits(conn: psycopg.Connection) -> list[tuple]:
    """O4: (hash, branch, parent, message, tree_hash, commit_id) in insertion order."""
    return conn.execute(
        "SELECT c.hash, b.name, c.parent_commit_hash, c.message, c.tree_hash, c.metadata ->> 'commit_id'"
        " FROM pggit.commits c JOIN pggit.branches b ON b.id = c.branch_id ORDER BY c.id"
    ).fetchall()


def head(conn: psycopg.Connection, branch: str = "main") -> str | None:
    return conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = %s", (branch,)).fetchone()[0]


def rejected(conn: psycopg.Connection, sql: str, params: tuple = ()) -> None:
    """The call raises and changes neither commits nor branch heads."""
    before = (commits(conn), conn.execute("SELECT array_agg(head_commit_hash ORDER BY id) FROM pggit.branches")
              .fetchone())
    with pytest.raises(psycopg.Error):
        conn.execute(sql, params)
    after = (commits(conn), conn.execute("SELECT array_agg(head_commit_hash ORDER BY id) FROM pggit.branches")
             .fetchone())
    assert after == before


def check_c8(conn: psycopg.Connection) -> None:
    """C8a-e over the whole commits table."""
    rows = commits(conn)
    hashes = [r[0] for r in rows]
    assert len(hashes) == len(set(hashes))  # a
    by_hash = {r[0]: r for r in rows}
    assert all(r[2] is None or r[2] in by_hash for r in rows)  # b
    for name, head_hash in conn.execute("SELECT name, head_commit_hash FROM pggit.branches").fetchall():
        if head_hash is None:
            assert not [r for r in rows if r[1] == name]
            continue
        assert by_hash[head_hash][1] == name  # d
        seen, h = [], head_hash
        while h is not None:
            assert h not in seen  # c
            seen.append(h)
            h = by_hash[h][2]
        assert set(seen) >= {r[0] for r in rows if r[1] == name}  # e


# --- C1-C6 ----------------------------------------------------------------------------------------


def test_c1_create_commit_rejections(pggit_conn):
    """C1: NULL/''/unknown/non-ACTIVE branch or NULL/'' message are rejected; no branch is created."""
    pggit_conn.execute("SELECT pggit.create_branch('gone')")
    pggit_conn.execute("SELECT * FROM pggit.delete_branch('gone', true)")
    for branch, message in [(None, "m"), ("", "m"), ("nope", "m"), ("gone", "m"), ("main", None), ("main", "")]:
        rejected(pggit_conn, "SELECT pggit.create_commit(%s, %s, 'x', NULL::uuid[])", (branch, message))
    assert pggit_conn.execute("SELECT count(*) FROM pggit.branches").fetchone()[0] == 2


def test_c2_c3_c4_create_commit_row_head_tree_hash_and_id(pggit_conn):
    """C2-C4: one row, message verbatim, tree_hash = sha256hex(sql), parent = old head, head moves, uuid in metadata."""
    sql = "CREATE TABLE a(id int)"
    r1 = pggit_conn.execute("SELECT pggit.create_commit('main', 'first', %s, NULL::uuid[])", (sql,)).fetchone()[0]
    rows = commits(pggit_conn)
    assert len(rows) == 1
    h1, branch, parent, message, tree, cid = rows[0]
    assert (branch, parent, message, cid) == ("main", None, "first", str(r1))
    assert tree == "65a57412511c7443f56ac5b42c220ecd6cd2500dbbfbc9bbf4ffaa811c0a6c9f"
    assert head(pggit_conn) == h1
    weird = "it's \\ \"quoted\"\nline2 ünïcødé ✓ " + "x" * 20000
    r2 = pggit_conn.execute("SELECT pggit.create_commit('main', %s, NULL, NULL::uuid[])", (weird,)).fetchone()[0]
    rows = commits(pggit_conn)
    assert rows[1][2:5] == (h1, weird, None)
    assert r1 != r2
    for r in (r1, r2):
        n = pggit_conn.execute("SELECT count(*) FROM pggit.commits WHERE hash = %s OR metadata->>'commit_id' = %s",
                               (str(r), str(r))).fetchone()[0]
        assert n == 1


def test_c6_identical_calls_make_two_commits(pggit_conn):
    """C6: two identical calls, in one transaction or not, create two commits in a chain."""
    call = "SELECT pggit.create_commit('main', 'same', 'same', NULL::uuid[])"
    pggit_conn.execute(call)
    pggit_conn.execute(call)
    with pggit_conn.transaction():
        pggit_conn.execute(call)
        pggit_conn.execute(call)
    assert len(commits(pggit_conn)) == 4
    check_c8(pggit_conn)


# --- C7 -------------------------------------------------------------------------------------------


def test_c7_commit_changes_generates_trinity_and_trims_message(pggit_conn):
    """C7: returns a new Trinity ID used as hash; message trimmed of spaces only, NULL becomes ''."""
    t1 = pggit_conn.execute("SELECT pggit.commit_changes('main', '  hi \t\n  ')").fetchone()[0]
    assert TRINITY.match(t1)
    t2 = pggit_conn.execute("SELECT pggit.commit_changes('main', NULL, NULL)").fetchone()[0]
    t3 = pggit_conn.execute("SELECT pggit.commit_changes('main')").fetchone()[0]
    rows = commits(pggit_conn)
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        (t1, None, "hi \t\n", None), (t2, t1, "", None), (t3, t2, "", None)]
    assert head(pggit_conn) == t3


def test_c7_custom_ids_trimmed_checked_and_unique(pggit_conn):
    """C7: custom ids are trimmed, need >= 10 characters and may not repeat a hash or commit_id."""
    assert pggit_conn.execute("SELECT pggit.commit_changes('main', 'm', '  custom-0001  ')").fetchone()[0] \
        == "custom-0001"
    rejected(pggit_conn, "SELECT pggit.commit_changes('main', 'm', 'custom-0001')")
    rejected(pggit_conn, "SELECT pggit.commit_changes('main', 'm', ' custom-0001')")
    rejected(pggit_conn, "SELECT pggit.commit_changes('main', 'm', '   123456789   ')")
    assert pggit_conn.execute("SELECT pggit.commit_changes('main', 'm', '1234567890')").fetchone()[0] \
        == "1234567890"
    r = pggit_conn.execute("SELECT pggit.create_commit('main', 'm', 's', NULL::uuid[])").fetchone()[0]
    rejected(pggit_conn, "SELECT pggit.commit_changes('main', 'm', %s)", (str(r),))
    check_c8(pggit_conn)


def test_c7_commit_changes_rejections(pggit_conn):
    """C7: NULL, blank, unknown or non-ACTIVE branch and messages over 10000 characters are rejected."""
    pggit_conn.execute("SELECT pggit.create_branch('gone')")
    pggit_conn.execute("SELECT * FROM pggit.delete_branch('gone', true)")
    for branch in (None, "", "   ", "nope", "gone", " main"):
        rejected(pggit_conn, "SELECT pggit.commit_changes(%s, 'm')", (branch,))
    rejected(pggit_conn, "SELECT pggit.commit_changes('main', %s)", ("x" * 10001,))
    long_ok = "  " + "x" * 10000 + "  "
    pggit_conn.execute("SELECT pggit.commit_changes('main', %s)", (long_ok,))
    assert commits(pggit_conn)[0][3] == "x" * 10000


def test_c8_commits_on_several_branches_keep_graph_invariants(pggit_conn):
    """C8: heads are own commits, parents exist, no cycles, each branch's chain reaches all its commits."""
    pggit_conn.execute("SELECT pggit.create_branch('f')")
    for i in range(3):
        pggit_conn.execute("SELECT pggit.commit_changes('main', %s)", (f"m{i}",))
        pggit_conn.execute("SELECT pggit.create_commit('f', %s, 'x', NULL::uuid[])", (f"f{i}",))
    assert head(pggit_conn, "f") != head(pggit_conn, "main")
    check_c8(pggit_conn)


# --- T1-T9 ----------------------------------------------------------------------------------------


def test_t1_t3_format_and_first_value(pggit_conn):
    """T1/T3: 36 characters, the first call's sequence field is 000001."""
    tid = pggit_conn.execute("SELECT pggit.generate_trinity_id()").fetchone()[0]
    assert TRINITY.match(tid) and len(tid) == 36
    assert tid.split("-")[1] == "000001"


def test_t2_utc_time_independent_of_timezone_and_datestyle(pggit_conn):
    """T2: field 1 is UTC between transaction start and return, whatever TimeZone/DateStyle say."""
    pggit_conn.execute("SET TimeZone = 'Pacific/Kiritimati'")
    pggit_conn.execute("SET DateStyle = 'SQL, DMY'")
    with pggit_conn.transaction():
        start = pggit_conn.execute("SELECT now() AT TIME ZONE 'UTC'").fetchone()[0]
        tid = pggit_conn.execute("SELECT pggit.generate_trinity_id()").fetchone()[0]
        end = pggit_conn.execute("SELECT clock_timestamp() AT TIME ZONE 'UTC'").fetchone()[0]
    stamp = dt.datetime.strptime(tid[:20], "%Y%m%d%H%M%S%f")
    assert start <= stamp <= end


def test_t3_t8_sequence_field_never_truncated(pggit_conn):
    """T3/T8: after setval 999999 the field is 1000000; values past 2^31 appear as-is (37+ chars)."""
    pggit_conn.execute("SELECT setval('pggit.trinity_id_seq', 999999)")
    tid = pggit_conn.execute("SELECT pggit.generate_trinity_id()").fetchone()[0]
    assert tid.split("-")[1] == "1000000" and len(tid) == 37
    pggit_conn.execute("SELECT setval('pggit.trinity_id_seq', 2147483647)")
    tid = pggit_conn.execute("SELECT pggit.generate_trinity_id()").fetchone()[0]
    assert tid.split("-")[1] == "2147483648"
    pggit_conn.execute("SELECT setval('pggit.trinity_id_seq', 9223372036854775806)")
    tid = pggit_conn.execute("SELECT pggit.generate_trinity_id()").fetchone()[0]
    assert tid.split("-")[1] == "9223372036854775807" and TRINITY.match(tid)


def test_t4_t9_random_field_and_distinct_within_statement(pggit_conn):
    """T4/T9: field 3 is 8 lowercase hex; calls within one statement give distinct IDs."""
    ids = [r[0] for r in pggit_conn.execute("SELECT pggit.generate_trinity_id() FROM generate_series(1, 200)")]
    assert len(set(ids)) == 200
    assert len({i.split("-")[2] for i in ids}) > 190
    assert all(TRINITY.match(i) for i in ids)


def test_t5_t6_t7_increasing_across_sessions_and_rollbacks(pggit_connect):
    """T5-T7: field 2 grows with real time across sessions; rolled-back values are never reused."""
    a, b = pggit_connect(), pggit_connect()
    seen = []
    with a.transaction(force_rollback=True):
        seen.append(a.execute("SELECT pggit.generate_trinity_id()").fetchone()[0])
    for conn in (b, a, b, a):
        seen.append(conn.execute("SELECT pggit.generate_trinity_id()").fetchone()[0])
    numbers = [int(s.split("-")[1]) for s in seen]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
