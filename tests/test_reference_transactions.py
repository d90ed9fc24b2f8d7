"""Reference backend, transactions and concurrency: contract rules X1-X5 and X8-X10 (two real sessions)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

pytestmark = pytest.mark.server


def snapshot(conn: psycopg.Connection) -> tuple:
    """Every piece of bookkeeping state the contract observes (O1-O7 minus sequences)."""
    return tuple(conn.execute(q).fetchall() for q in (
        "SELECT object_type, schema_name, object_name, branch_name, version, version_major, version_minor,"
        " version_patch, is_active, ddl_hash FROM pggit.objects ORDER BY id",
        "SELECT id, object_id, change_type, change_severity, old_version, new_version FROM pggit.history"
        " ORDER BY id",
        "SELECT name, status, parent_branch_id, head_commit_hash FROM pggit.branches ORDER BY id",
        "SELECT hash, branch_id, parent_commit_hash, message, tree_hash FROM pggit.commits ORDER BY id",
        "SELECT coalesce(nullif(current_setting('pggit.current_branch', true), ''), 'main')",
    ))


def table_version(conn: psycopg.Connection, name: str = "t") -> int:
    return conn.execute("SELECT version FROM pggit.objects WHERE schema_name = 'app' AND object_name = %s"
                        " AND object_type = 'TABLE' AND branch_name = 'main'", (name,)).fetchone()[0]


def wait_until_blocked(observer: psycopg.Connection, pid: int, timeout: float = 10.0) -> None:
    """Wait until backend `pid` is waiting for a lock."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = observer.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()
        if row and row[0] == "Lock":
            return
        time.sleep(0.01)
    raise AssertionError(f"backend {pid} never waited for a lock")


def in_background(conn: psycopg.Connection, *statements: str) -> tuple[threading.Thread, list[BaseException]]:
    """Run the statements on `conn` in a started thread; the list gets the error that stopped them, if any."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for text in statements:
                conn.execute(text)
        except BaseException as e:  # surfaced by the caller
            errors.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    return worker, errors


@pytest.fixture
def app(pggit_conn: psycopg.Connection) -> psycopg.Connection:
    pggit_conn.execute("CREATE SCHEMA app")
    pggit_conn.execute("CREATE TABLE app.t (id int PRIMARY KEY, a text)")
    return pggit_conn


# --- X1-X5 ----------------------------------------------------------------------------------------


def test_x1_rollback_restores_everything_including_checkout(app):
    """X1: ROLLBACK undoes DDL bookkeeping, API effects and the checkout setting."""
    before = snapshot(app)
    with app.transaction(force_rollback=True):
        app.execute("SELECT pggit.create_branch('x1')")
        app.execute("SELECT pggit.checkout_branch('x1')")
        app.execute("ALTER TABLE app.t ADD COLUMN b int")
        app.execute("SELECT pggit.commit_changes('x1', 'c')")
        app.execute("SELECT pggit.create_commit('main', 'c', 's', NULL::uuid[])")
        app.execute("SELECT pggit.update_all_hashes()")
        app.execute("DROP TABLE app.t")
    assert snapshot(app) == before


def test_x2_rollback_to_savepoint_undoes_exactly_what_followed(app):
    """X2: ROLLBACK TO SAVEPOINT keeps the changes before it and drops those after it."""
    with app.transaction():
        app.execute("ALTER TABLE app.t ADD COLUMN b int")
        app.execute("SELECT pggit.create_branch('kept')")
        middle = snapshot(app)
        app.execute("SAVEPOINT s")
        app.execute("ALTER TABLE app.t ALTER b SET NOT NULL")
        app.execute("SELECT pggit.checkout_branch('kept')")
        app.execute("SELECT pggit.commit_changes('kept', 'gone')")
        app.execute("ROLLBACK TO SAVEPOINT s")
        assert snapshot(app) == middle
    assert table_version(app) == 2


def test_x4_rejections_timeouts_and_refused_ddl_leave_no_state(pggit_connect):
    """X4: a rejected call, refused DDL, statement_timeout and lock_timeout leave no partial state."""
    a, b = pggit_connect(), pggit_connect()
    a.execute("CREATE SCHEMA app")
    a.execute("CREATE TABLE app.t (id int PRIMARY KEY, a text)")
    a.execute("INSERT INTO app.t VALUES (1, NULL)")
    before = snapshot(a)
    for sql in ("SELECT pggit.create_branch('bad name')",
                "ALTER TABLE app.t ADD COLUMN z int, ALTER a SET NOT NULL"):  # refused: a has a NULL
        with pytest.raises(psycopg.Error):
            a.execute(sql)
    with pytest.raises(psycopg.errors.QueryCanceled), a.transaction():
        a.execute("SET LOCAL statement_timeout = '200ms'")
        a.execute("ALTER TABLE app.t ADD COLUMN slow int DEFAULT 1")
        a.execute("SELECT pg_sleep(2)")
    with b.transaction():
        b.execute("LOCK TABLE app.t IN ACCESS SHARE MODE")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            a.execute("SET lock_timeout = '200ms'")
            a.execute("ALTER TABLE app.t ADD COLUMN blocked int")
    assert snapshot(a) == before


def test_x5_terminated_backend_leaves_nothing(pggit_connect):
    """X5: a backend terminated mid-transaction leaves none of its bookkeeping behind."""
    a, b = pggit_connect(), pggit_connect()
    a.execute("CREATE SCHEMA app")
    before = snapshot(b)
    a.execute("BEGIN")
    a.execute("CREATE TABLE app.t (id int)")
    a.execute("SELECT pggit.commit_changes('main', 'doomed')")
    pid = a.info.backend_pid
    b.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(psycopg.OperationalError):
        a.execute("SELECT 1")
    assert snapshot(b) == before


# --- X8-X10: two sessions -------------------------------------------------------------------------


def test_x9_index_index_alter_trap_does_not_deadlock(pggit_connect):
    """X9: A `BEGIN; CREATE INDEX`, B `CREATE INDEX`, A `ALTER TABLE`: no deadlock, every increment kept."""
    a, b, watcher = pggit_connect(), pggit_connect(), pggit_connect()
    a.execute("CREATE SCHEMA app")
    a.execute("CREATE TABLE app.t (id int, a text)")
    a.execute("BEGIN")
    a.execute("CREATE INDEX i1 ON app.t (id)")
    worker, errors = in_background(b, "CREATE INDEX i2 ON app.t (a)")
    wait_until_blocked(watcher, b.info.backend_pid)
    a.execute("ALTER TABLE app.t ADD COLUMN c int")
    a.execute("COMMIT")
    worker.join(30)
    assert not errors, errors
    assert table_version(watcher) == 4  # CREATE, i1 PATCH, ADD c MINOR, i2 PATCH
    got = watcher.execute("SELECT version_major || '.' || version_minor || '.' || version_patch"
                          " FROM pggit.objects WHERE object_name = 't'").fetchone()[0]
    assert got == "1.1.1"


@pytest.mark.parametrize("first", ["ANALYZE app.u", "SELECT count(*) FROM app.u", "INSERT INTO app.u VALUES (1)"])
def test_x9_a_relation_lock_taken_before_the_first_ddl_does_not_deadlock(pggit_connect, first):
    """X9: A `BEGIN; ANALYZE u` (or a SELECT, an INSERT: relation locks, no event trigger), B `BEGIN; CREATE TABLE
    x`, A `CREATE TABLE y`, B `CREATE INDEX ON u` / `ALTER TABLE u …`. Without pgGit A's CREATE TABLE runs and B
    waits for A's commit. A waiting for B's bookkeeping lock while B waits for A's lock on u was a deadlock of the
    reference's (a smoke run of the parallel machine); every statement succeeds and records its change now."""
    a, b, watcher = pggit_connect(), pggit_connect(), pggit_connect()
    a.execute("CREATE SCHEMA app")
    a.execute("CREATE TABLE app.u (id int)")
    a.execute("BEGIN")
    a.execute(first)
    b.execute("BEGIN")
    b.execute("CREATE TABLE app.x ()")
    worker, errors = in_background(a, "CREATE TABLE app.y ()", "COMMIT")
    wait_until_blocked(watcher, a.info.backend_pid)
    try:  # SELECT's ACCESS SHARE lock blocks only an ALTER TABLE
        b.execute("CREATE INDEX ui ON app.u (id)" if first != "SELECT count(*) FROM app.u"
                  else "ALTER TABLE app.u ADD COLUMN c int")
        b.execute("COMMIT")
    finally:
        worker.join(30)
    assert not errors, errors
    got = dict(watcher.execute("SELECT object_name, version FROM pggit.objects WHERE object_type = 'TABLE'"
                               " AND branch_name = 'main'").fetchall())
    assert got == {"u": 2, "x": 1, "y": 1}


@pytest.mark.parametrize("call", ["SELECT pggit.create_branch('b1', 'main')", "SELECT pggit.checkout_branch('main')",
                                  "SELECT pggit.commit_changes('main', 'm')", "CREATE TABLE app.y ()"])
def test_x9_a_call_never_waits_for_a_holder_that_waits_for_it(pggit_connect, call):
    """X9: A `BEGIN; ANALYZE u`; B `BEGIN; CREATE INDEX ON u` takes the bookkeeping lock and waits for A's lock on
    u; A then calls pgGit (or runs DDL). A waiting for B's bookkeeping lock would be a deadlock, and B's CREATE
    INDEX (accepted without pgGit) its victim half the time (smoke seed 101: `create_branch` after ANALYZE). A goes
    on, commits, and B's index is recorded after it."""
    a, b, watcher = pggit_connect(), pggit_connect(), pggit_connect()
    a.execute("CREATE SCHEMA app")
    a.execute("CREATE TABLE app.u (id int)")
    a.execute("BEGIN")
    a.execute("ANALYZE app.u")
    worker, errors = in_background(b, "BEGIN", "CREATE INDEX ui ON app.u (id)", "COMMIT")
    try:
        wait_until_blocked(watcher, b.info.backend_pid)
        a.execute(call)
        a.execute("COMMIT")
    finally:
        worker.join(30)
    assert not errors, errors
    assert watcher.execute("SELECT version FROM pggit.objects WHERE object_name = 'u' AND branch_name = 'main'"
                           " AND object_type = 'TABLE'").fetchone() == (2,)


def test_x8_a_checkout_in_a_block_keeps_its_branch_until_the_block_ends(pggit_connect):
    """X8 (a block's statements take one place in the serial order), B6, B10: A `BEGIN; checkout_branch('b1')`, B
    `delete_branch('b1', true)`, A `CREATE TABLE x`, `COMMIT`. B waits for A's block, so the order A, B explains
    every answer: x recorded on b1, then b1 DELETED. The reference's checkout took no lock, B deleted b1 at once,
    and A's later statements ran on a deleted branch (a ci run of the parallel machine: no serial order explained
    a branch A then made from main, which held B's later DDL)."""
    a, b, watcher = pggit_connect(), pggit_connect(), pggit_connect()
    a.execute("CREATE SCHEMA app")
    a.execute("SELECT pggit.create_branch('b1', 'main')")
    a.execute("BEGIN")
    a.execute("SELECT pggit.checkout_branch('b1')")
    worker, errors = in_background(b, "SELECT pggit.delete_branch('b1', true)")
    try:
        wait_until_blocked(watcher, b.info.backend_pid, timeout=3.0)
        a.execute("CREATE TABLE app.x ()")
        a.execute("COMMIT")
    finally:
        worker.join(30)
    assert not errors, errors
    assert watcher.execute("SELECT branch_name, version FROM pggit.objects WHERE object_name = 'x'").fetchall() \
        == [("b1", 1)]
    assert watcher.execute("SELECT status::text FROM pggit.branches WHERE name = 'b1'").fetchone() == ("DELETED",)


def run_both(connect: Callable[[], psycopg.Connection], work: Callable[[psycopg.Connection, int], None]) -> None:
    """Run work(conn, worker_no) in two sessions at once; re-raise the first error."""
    conns = [connect(), connect()]
    start = threading.Barrier(2)

    def go(i: int) -> None:
        start.wait()
        work(conns[i], i)

    with ThreadPoolExecutor(2) as pool:
        for f in [pool.submit(go, i) for i in range(2)]:
            f.result(timeout=120)


def test_x8_x9_concurrent_ddl_on_one_table_loses_no_increment(pggit_connect, pggit_conn):
    """X8/X9: two sessions altering one table at READ COMMITTED: no 40001/40P01, no lost increment."""
    pggit_conn.execute("CREATE SCHEMA app")
    pggit_conn.execute("CREATE TABLE app.t (id int)")
    rounds = 15

    def work(conn: psycopg.Connection, i: int) -> None:
        for n in range(rounds):
            conn.execute(f"ALTER TABLE app.t ADD COLUMN c{i}_{n} int")
            conn.execute(f"CREATE INDEX ix{i}_{n} ON app.t (c{i}_{n})")

    run_both(pggit_connect, work)
    assert table_version(pggit_conn) == 1 + 2 * 2 * rounds
    n_hist = pggit_conn.execute("SELECT count(*) FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id"
                                " WHERE o.object_name = 't'").fetchone()[0]
    assert n_hist == 1 + 2 * 2 * rounds
    columns = pggit_conn.execute("SELECT column_count FROM pggit.show_table_versions('app')").fetchone()[0]
    assert columns == 1 + 2 * rounds


def test_x8_x10_concurrent_commits_form_one_chain(pggit_connect, pggit_conn):
    """X8/X10: concurrent create_commit/commit_changes on one branch form a chain with unique hashes."""
    rounds = 25

    def work(conn: psycopg.Connection, i: int) -> None:
        for n in range(rounds):
            if n % 2:
                conn.execute("SELECT pggit.create_commit('main', %s, 'x', NULL::uuid[])", (f"{i}-{n}",))
            else:
                conn.execute("SELECT pggit.commit_changes('main', %s)", (f"{i}-{n}",))

    run_both(pggit_connect, work)
    rows = pggit_conn.execute("SELECT hash, parent_commit_hash FROM pggit.commits").fetchall()
    assert len(rows) == 2 * rounds == len({r[0] for r in rows})
    parent = dict(rows)
    chain, h = [], pggit_conn.execute("SELECT head_commit_hash FROM pggit.branches WHERE name = 'main'").fetchone()[0]
    while h is not None:
        chain.append(h)
        h = parent[h]
    assert len(chain) == 2 * rounds  # one linear chain through every commit


def test_x8_same_branch_name_created_concurrently_once(pggit_connect, pggit_conn):
    """X8: of two concurrent create_branch calls with one name exactly one succeeds."""
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(conn: psycopg.Connection, i: int) -> None:
        for n in range(20):
            try:
                conn.execute("SELECT pggit.create_branch(%s)", (f"race-{n}",))
                result = "ok"
            except psycopg.errors.UniqueViolation:
                result = "dup"
            with lock:
                outcomes.append(result)

    run_both(pggit_connect, work)
    assert outcomes.count("ok") == 20 and outcomes.count("dup") == 20
    assert pggit_conn.execute("SELECT count(*) FROM pggit.branches").fetchone()[0] == 21
