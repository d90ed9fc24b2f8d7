"""pgGit's own schema in one place (pggit_model.backend): the probe of contract tables, columns and sequences, the
observation built from what exists, the rules a missing part blocks (I4, O1–O7), and the backend's version."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pggit_model import __version__, backend, checkers, cluster, pytest_plugin
from pggit_model.client import Client
from pggit_model.divergences import Divergence
from pggit_model.driver import Driver, RunStats
from pggit_model.install import install
from pggit_model.isolation import Template
from pggit_model.model import CheckContext, initial_state
from pggit_model.ops import Column, CreateTable
from pggit_model.snapshot import BranchRow, Snapshot

SCHEMA = "mc_backend"
TABLE_KEY = ("TABLE", SCHEMA, "t", "main")


# -- pure: parts, rules, the observation text ----------------------------------------------------------------

def test_i4_each_missing_part_names_the_rules_it_blocks() -> None:
    """A missing sequence, table or column blocks the rules of the areas it feeds (and the calls naming it)."""
    assert backend.blocks("pggit.trinity_id_seq") == ("O7", "T3", "T7", "T8", "X3")
    assert backend.blocks("pggit.objects.ddl_hash") == ("H5", "H6", "O6")
    assert {"O1", "O2", "O6", "V8"} <= set(backend.blocks("pggit.objects"))
    assert backend.blocks("pggit.merge_conflicts") == ("M5",)
    assert backend.blocks("pggit.commit_changes(text, text, text)") == ("C7",)
    assert [backend.kind_of(p) for p in ("pggit.trinity_id_seq", "pggit.objects", "pggit.objects.ddl_hash",
                                         "pggit.update_all_hashes()")] == ["sequence", "table", "column", "function"]


def test_o7_an_observation_without_the_sequence_does_not_read_it_and_says_so() -> None:
    """With trinity_id_seq missing the query never names it, and the trinity area is listed as unobserved."""
    full = backend.observation()
    assert "pggit.trinity_id_seq" in full.text and not full.unobserved
    seen = backend.observation(backend.Probe(("pggit.trinity_id_seq",)))
    assert "trinity_id_seq" not in seen.text and seen.unobserved == {"trinity"}
    assert seen.text.replace("'trinity', NULL::json", "") == full.text.replace(
        "'trinity', (SELECT json_build_array(last_value, is_called) FROM pggit.trinity_id_seq)", "")


def test_o1_o6_a_missing_column_blanks_only_what_it_feeds() -> None:
    """Without objects.ddl_hash, objects are still read (ddl_hash NULL) and only ddl_hashes is unobserved; without
    a key column, every object area is."""
    no_hash = backend.observation(backend.Probe(("pggit.objects.ddl_hash",)))
    assert "is_active, NULL)" in no_hash.text and no_hash.unobserved == {"ddl_hashes"}
    no_key = backend.observation(backend.Probe(("pggit.objects.branch_name",)))
    assert "pggit.objects" not in no_key.text and no_key.unobserved == {"objects", "history", "ddl_hashes"}
    no_history = backend.observation(backend.Probe(("pggit.history",)))
    assert "pggit.history" not in no_history.text and no_history.unobserved == {"history"}


def _snapshot(**kw: Any) -> Snapshot:
    fields: dict[str, Any] = dict(objects={}, history={}, branches={"main": BranchRow("ACTIVE", None, None)},
                                  commits=(), current_branch="main", ddl_hashes={}, conflicts=(),
                                  trinity_last_value=0, trinity_is_called=False)
    return Snapshot(**(fields | kw))


def test_t7_an_unobserved_area_is_not_compared() -> None:
    """A sequence that went back diverges (T7) when observed, and is not compared when the area is unobserved."""
    state = initial_state(schemas=(SCHEMA,))
    ctx = CheckContext()
    with pytest.raises(Divergence, match="trinity_id_seq is at -1"):  # a wrong sequence: the check bites
        checkers.state_matches_model(state, _snapshot(), SCHEMA, ctx, op=None, step=0)
    checkers.state_matches_model(state, _snapshot(unobserved=frozenset({"trinity"})), SCHEMA, ctx, op=None, step=0)


# -- on a real server: the probe and the observation where a part is gone -----------------------------------

@pytest.mark.server
def test_i4_the_reference_lacks_nothing(pggit_template: Template, pggit_conn: psycopg.Connection) -> None:
    """The reference install has every contract table, column and sequence, and says which version it is."""
    assert backend.probe(pggit_conn) == backend.Probe()
    report = pggit_template.report
    assert report.missing_parts == () and report.missing == ()
    assert report.version == backend.Version(__version__, "pggit-model")
    assert f"version: {__version__} (from pggit-model)" in report.summary()


@pytest.mark.server
def test_i4_a_dropped_sequence_is_reported_and_the_rest_still_checked(pggit_conn: psycopg.Connection) -> None:
    """DROP SEQUENCE trinity_id_seq: the probe reports it with its rules, and observing and checking objects go
    on (before, every observation failed with 42P01)."""
    pggit_conn.execute("DROP SEQUENCE pggit.trinity_id_seq")
    found = backend.probe(pggit_conn)
    assert found.missing == ("pggit.trinity_id_seq",)
    assert found.blocked == {"pggit.trinity_id_seq": ("O7", "T3", "T7", "T8", "X3")}
    pggit_conn.execute(f"CREATE SCHEMA {SCHEMA}")
    driver = Driver(Client(pggit_conn, SCHEMA), SCHEMA, stats=RunStats())
    done = driver.run(CreateTable(schema=SCHEMA, name="t", columns=[Column("id", "int")]))
    assert done is not None and done.ok, done
    driver.check_state()  # objects, history, branches… compared; the sequence is not
    snap = driver.client.last_snapshot or driver.client.observe()
    assert snap.unobserved == {"trinity"} and snap.objects[TABLE_KEY].version == 1


@pytest.mark.server
def test_i4_dropped_columns_and_tables_are_reported_and_blanked(pggit_conn: psycopg.Connection) -> None:
    """A dropped column (objects.ddl_hash) and table (merge_conflicts) are each reported; the observation reads
    the rest."""
    pggit_conn.execute("ALTER TABLE pggit.objects DROP COLUMN ddl_hash CASCADE")
    pggit_conn.execute("DROP TABLE pggit.merge_conflicts CASCADE")
    found = backend.probe(pggit_conn)
    assert found.missing == ("pggit.objects.ddl_hash", "pggit.merge_conflicts")
    snap = Client(pggit_conn, SCHEMA).observe()
    assert snap.unobserved == {"ddl_hashes", "conflicts"} and set(snap.branches) == {"main"}


@pytest.mark.server
def test_i4_v1_without_pggit_objects_the_end_of_an_example_is_skipped_not_an_error(
        pggit_conn: psycopg.Connection) -> None:
    """I4, V1: on a backend without pggit.objects (pgGit 0.1.0's tables are others), the end-of-example check of
    V1's excluded schemas is unobservable like the objects area, not an UndefinedTable that ends the run; with
    the table there, the same check still reads it."""
    driver = Driver(Client(pggit_conn, SCHEMA), SCHEMA, stats=RunStats())
    assert backend.excluded_rows(driver.client.probe) is not None
    driver.check_excluded_schemas()
    pggit_conn.execute("DROP TABLE pggit.objects CASCADE")
    driver = Driver(Client(pggit_conn, SCHEMA), SCHEMA, stats=RunStats())
    driver.check_excluded_schemas()
    assert backend.excluded_rows(driver.client.probe) is None
    assert {"objects", "history", "ddl_hashes"} <= driver.client.observe().unobserved


@pytest.mark.server
def test_x3_sequences_and_their_positions(pggit_conn: psycopg.Connection) -> None:
    """sequences() lists pgGit's used sequences with their value; sequence_positions() every one, as setval
    takes it back."""
    assert ("pggit.trinity_id_seq", 1, False) in backend.sequence_positions(pggit_conn)
    assert "pggit.trinity_id_seq" not in backend.sequences(pggit_conn)  # never drawn: no last_value yet
    pggit_conn.execute("SELECT setval('pggit.trinity_id_seq', 41)")
    assert backend.sequences(pggit_conn)["pggit.trinity_id_seq"] == 41
    assert ("pggit.trinity_id_seq", 41, True) in backend.sequence_positions(pggit_conn)


@pytest.mark.server
def test_x4_the_lock_target_blocks_pggits_bookkeeping(pggit_connect: Any) -> None:
    """Holding the lock statement's lock makes a tracked DDL wait (lock_timeout: 55P03), as the faults need."""
    holder, victim = pggit_connect(), pggit_connect()
    victim.execute(f"CREATE SCHEMA {SCHEMA}")
    holder.execute("BEGIN")
    holder.execute(backend.lock_statement())
    victim.execute("SET lock_timeout = 100")
    with pytest.raises(psycopg.errors.LockNotAvailable):
        victim.execute(f"CREATE TABLE {SCHEMA}.t (id int)")
    holder.execute("ROLLBACK")


# -- the version ------------------------------------------------------------------------------------------------

def test_version_from_the_changelog_skips_unreleased(tmp_path: Path) -> None:
    """The newest released CHANGELOG heading wins over pggit.control (which pgGit left at 0.1.3)."""
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n## [0.5.1] - 2026-02-05\n## [0.5.0]\n")
    (tmp_path / "pggit.control").write_text("default_version = '0.1.3'\n")
    assert backend.source_version(tmp_path) == backend.Version("0.5.1", "CHANGELOG.md")
    (tmp_path / "CHANGELOG.md").unlink()
    assert backend.source_version(tmp_path) == backend.Version("0.1.3", "pggit.control")
    (tmp_path / "pggit.control").unlink()
    assert backend.source_version(tmp_path) is None


def test_version_from_git_describe_only_of_the_checkouts_own_repository(tmp_path: Path) -> None:
    """A git checkout reports its tag; a directory inside someone else's repository does not borrow theirs."""
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "CHANGELOG.md").write_text("## [1.0.0]\n")
    git("add", ".")
    git("commit", "-qm", "x")
    git("tag", "v9.9.9")
    assert backend.source_version(tmp_path) == backend.Version("v9.9.9", "git describe")
    assert backend.source_version(tmp_path / "sub") == backend.Version("1.0.0", "CHANGELOG.md")


@pytest.mark.server
def test_version_from_the_installed_function(pggit_conn: psycopg.Connection) -> None:
    """Where the checkout states none, pggit.version() answers; without it there is no installed version."""
    assert backend.installed_version(pggit_conn) is None
    pggit_conn.execute("CREATE FUNCTION pggit.version() RETURNS text LANGUAGE sql AS $$ SELECT '7.7.7' $$")
    assert backend.installed_version(pggit_conn) == backend.Version("7.7.7", "pggit.version()")


@pytest.mark.server
def test_the_install_report_carries_the_checkouts_version(pggit_server: Any, make_checkout: Any) -> None:
    """A checkout with a CHANGELOG is reported at that version, and its missing parts with their rules."""
    root = make_checkout({"000.sql": "CREATE SCHEMA pggit;\n"})
    (root / "CHANGELOG.md").write_text("## [0.3.0] - 2026-04-15\n")
    dbname = cluster.new_dbname("ver")
    cluster.create_database(pggit_server, dbname)
    try:
        report = install(pggit_server.conninfo(dbname), root, psql=pggit_server.psql, env=pggit_server.psql_env())
    finally:
        cluster.drop_database(pggit_server, dbname)
    assert report.version == backend.Version("0.3.0", "CHANGELOG.md")
    assert "pggit.trinity_id_seq" in report.missing_parts and "pggit.objects" in report.missing_parts
    assert "missing table pggit.objects (blocks" in report.summary()


def test_the_pytest_header_names_server_backend_and_version() -> None:
    """The report header says which PostgreSQL and which backend at which version (as psycopg prints its server)."""
    class Config:
        def getoption(self, name: str, default: Any = None) -> Any:
            return None

    (line,) = pytest_plugin.pytest_report_header(Config())  # type: ignore[arg-type]
    assert "server PostgreSQL 1" in line and f"backend reference (bundled), version {__version__}" in line
