"""The twin database without pgGit (V21) and damage to pgGit's own tables (U4): twin.py, ops/damage.py,
model/damage.py and the Driver's twin and unchecked steps."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from pggit_model import known
from pggit_model.client import Client, Completion
from pggit_model.cluster import connect
from pggit_model.divergences import Divergence
from pggit_model.driver import Driver
from pggit_model.isolation import Template
from pggit_model.machine import Harness
from pggit_model.model import initial_state, step
from pggit_model.model.damage import given_up
from pggit_model.ops import (
    Begin,
    Column,
    CreateSchema,
    CreateTable,
    CreateView,
    DamageCurrentBranch,
    DeleteHistory,
    DeleteObjectRow,
    GetVersion,
    SetVersion,
    Unchecked,
)
from pggit_model.session import RunStats
from pggit_model.twin import Twin, TwinDatabase, catalog_difference, machine_schemas

SCHEMA = "mc_twin"


# -- pure -------------------------------------------------------------------------------------------------

def test_catalog_difference_names_each_sides_lines() -> None:
    """V21: a catalog difference lists what only the pgGit side has and what only the twin has."""
    assert catalog_difference(["a", "b", "c"], ["b", "c", "d"]) == (["a"], ["d"])
    assert catalog_difference(["a"], ["a"]) == ([], [])


def test_damage_ops_render_their_writes_and_validate() -> None:
    """U4: damage ops write pgGit's tables by hand with foreign keys and triggers off for that statement only, and
    refuse values an int column cannot hold."""
    sql = SetVersion("TABLE", SCHEMA, "t", 2**31 - 1, 0, -1, 3).to_sql()
    assert "session_replication_role = replica" in sql and "version = 2147483647" in sql
    assert sql.endswith("SET LOCAL session_replication_role TO DEFAULT")
    with pytest.raises(Exception, match="int"):
        SetVersion("TABLE", SCHEMA, "t", 2**31, 0, 0, 0)
    with pytest.raises(Exception, match="call"):
        Unchecked(CreateTable(SCHEMA, "t", ()))
    assert "statement_timeout" in Unchecked(GetVersion("x")).to_sql()


def test_model_gives_up_on_the_damaged_keys_only() -> None:
    """U4: after damage the model stops predicting the damaged object's rows (a table's columns with it), and the
    current branch's damage gives up on rows, branches and commits, but never on the Trinity sequence."""
    state, _ = step(initial_state(schemas=(SCHEMA,)), CreateTable(SCHEMA, "t", (Column("a", "integer"),)))
    assert given_up(state, DeleteHistory("TABLE", SCHEMA, "t")) == {"objects": {("TABLE", SCHEMA, "t", "*")}}
    row = given_up(state, DeleteObjectRow("TABLE", SCHEMA, "t"))["objects"]
    assert ("COLUMN", SCHEMA, "t.a", "*") in row and ("TABLE", SCHEMA, "t", "*") in row
    branch = given_up(state, DamageCurrentBranch("delete"))
    assert branch["objects"] == {"*"} and "trinity" not in branch
    assert step(state, DeleteHistory("TABLE", SCHEMA, "t"))[1].is_unspecified


# -- against PostgreSQL --------------------------------------------------------------------------------------

@pytest.fixture
def twin_db(pggit_template: Template) -> Iterator[TwinDatabase]:
    db = TwinDatabase(pggit_template.server)
    yield db
    db.close()


@pytest.fixture
def pair(pggit_template: Template, twin_db: TwinDatabase, pggit_dbname: str) -> Iterator[tuple[Driver, Twin]]:
    """A Driver on a fresh reference clone (autocommit, as clone isolation runs) with its twin attached."""
    conn = connect(pggit_template.server.conninfo(pggit_dbname))
    twin = twin_db.example(SCHEMA, nested=False, pggit=conn)
    conn.execute(f"CREATE SCHEMA {SCHEMA}")
    driver = Driver(Client(conn, SCHEMA), SCHEMA, stats=RunStats())
    driver.twin = twin
    yield driver, twin
    twin.close()
    conn.close()


@pytest.mark.server
def test_same_statements_same_catalog_on_the_reference(pair: tuple[Driver, Twin]) -> None:
    """V21: the reference changes no statement's outcome and leaves the same catalog, rejected statements too."""
    driver, twin = pair
    for op in (CreateTable(SCHEMA, "t", (Column("a", "integer"),)), CreateTable(SCHEMA, "t", ()),
               CreateView(SCHEMA, "v", "t", ("a",))):
        driver.run(op)
        driver.check_state()
    assert twin.statements == 3
    driver.check_twin_catalog()
    assert "V21" in driver.stats.rules


@pytest.mark.server
def test_pggit_rejecting_what_postgres_accepts_is_v21(pair: tuple[Driver, Twin]) -> None:
    """V21: an event trigger on the pgGit side that rejects CREATE VIEW is reported as V21 at that statement."""
    driver, _ = pair
    driver.client.conn.execute("""
        CREATE FUNCTION pggit_model_faults_reject() RETURNS event_trigger LANGUAGE plpgsql AS $$
        BEGIN IF tg_tag = 'CREATE VIEW' THEN RAISE EXCEPTION 'no views' USING ERRCODE = '0A000'; END IF; END $$;
        CREATE EVENT TRIGGER zz_reject ON ddl_command_end EXECUTE FUNCTION pggit_model_faults_reject();""")
    driver.run(CreateTable(SCHEMA, "t", (Column("a", "integer"),)))
    with pytest.raises(Divergence) as caught:
        driver.run(CreateView(SCHEMA, "v", "t", ("a",)))
    assert caught.value.rule == "V21" and "0A000" in str(caught.value) and caught.value.ops


@pytest.mark.server
def test_a_backend_that_fails_on_names_needing_quotes_is_n2(pair: tuple[Driver, Twin]) -> None:
    """N2 (V21 in every schema): the reference accepts statements in a schema only quotes can name, and the run
    counts N2 for them; a pgGit side whose trigger pastes the schema name into SQL unquoted fails there (42601),
    which the twin reports as V21 at that statement, while the same trigger passes a plain schema."""
    driver, _ = pair
    other = "Other S"
    for op in (CreateSchema(other), CreateTable(other, "t", (Column("a", "integer"),))):
        driver.run(op)
        driver.check_state()
    assert "N2" in driver.stats.rules
    driver.client.conn.execute("""
        CREATE FUNCTION pggit_model_faults_unquoted() RETURNS event_trigger LANGUAGE plpgsql AS $$
        DECLARE r record;
        BEGIN FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE schema_name IS NOT NULL LOOP
            EXECUTE 'SET LOCAL search_path TO ' || r.schema_name;
        END LOOP; END $$;
        CREATE EVENT TRIGGER zz_unquoted ON ddl_command_end EXECUTE FUNCTION pggit_model_faults_unquoted();""")
    driver.run(CreateTable(SCHEMA, "plain", (Column("a", "integer"),)))  # a plain name passes
    with pytest.raises(Divergence) as caught:
        driver.run(CreateTable(other, "u", (Column("a", "integer"),)))
    assert caught.value.rule == "V21" and "42601" in str(caught.value)


@pytest.mark.server
def test_an_example_whose_twin_session_died_leaves_the_next_one_a_clean_twin(
        twin_db: TwinDatabase, pggit_template: Template, pggit_dbname: str) -> None:
    """V21: the twin's session can die with the example (the crash machine crashes the cluster both share, at its
    last step too); what the example committed there must still go, or the next example's CREATE SCHEMA fails
    (42P06 in a ci run of the crash machine against pgGit v0.2.1, reported by Hypothesis as a flaky strategy)."""
    pggit = connect(pggit_template.server.conninfo(pggit_dbname))
    try:
        twin = twin_db.example(SCHEMA, nested=False, pggit=pggit)
        twin.client.conn.execute(f"CREATE TABLE {SCHEMA}.t (a int)")
        with connect(twin_db.conninfo) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [twin.client.conn.info.backend_pid])
        with contextlib.suppress(psycopg.Error):
            twin.client.conn.execute("SELECT 1")  # (the client learns that its session is gone)
        twin.close()
        with connect(twin_db.conninfo) as other:
            assert SCHEMA not in machine_schemas(other), "the dead example's schema outlived it"
        nxt = twin_db.example(SCHEMA, nested=False, pggit=pggit)
        assert nxt.client.conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = %s", [SCHEMA]).fetchone() == (0,)
        nxt.close()
    finally:
        pggit.close()


@pytest.mark.server
def test_a_user_schema_named_pggit_something_is_the_machines(twin_db: TwinDatabase) -> None:
    """V1, V21: a user schema whose name starts with pggit (excluded from tracking, not from the catalog) is one the
    twin drops between examples and compares, while pgGit's own (pggit, pggit_*) are left alone; a smoke run
    failed when the next example created "pggitx" again on a twin that had kept it (42P06)."""
    conn = twin_db.connection(nested=False)
    for s in ("pggitx", "pggit Archive", "pggit_audit"):
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(s)))
    try:
        found = machine_schemas(conn)
        assert {"pggitx", "pggit Archive"} <= found and not found & {"pggit", "pggit_audit"}
    finally:
        for s in ("pggitx", "pggit Archive", "pggit_audit"):
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(s)))


@pytest.mark.server
def test_a_catalog_change_only_pggit_made_is_v21(pair: tuple[Driver, Twin]) -> None:
    """V21: a change to the machine's schema that only the pgGit side has (a comment its bookkeeping left) is found
    when the example ends, by name, although the objects have different OIDs in the two databases."""
    driver, _ = pair
    driver.run(CreateTable(SCHEMA, "t", (Column("a", "integer"),)))
    driver.check_twin_catalog()  # equal so far
    driver.client.conn.execute(f"COMMENT ON COLUMN {SCHEMA}.t.a IS 'tracked'")
    with pytest.raises(Divergence, match=r"comment column a of table mc_twin\.t"):
        driver.check_twin_catalog()


@pytest.mark.server
def test_a_statement_that_failed_on_the_pggit_side_alone_aborts_the_twins_transaction(
        pair: tuple[Driver, Twin]) -> None:
    """V21 with faults: a statement a fault struck (or a pgGit call that failed) inside a transaction block aborts
    the twin's transaction too, so the next statements answer 25P02 on both sides."""
    driver, twin = pair
    driver.run(Begin())
    twin.mirror(CreateTable(SCHEMA, "t", ()), Completion("error", sqlstate="57014"), struck=True)
    assert twin.client.in_error


@pytest.mark.server
def test_harness_without_twin_makes_none(pggit_template: Template, tmp_path: Path) -> None:
    """--pggit-no-twin: the harness makes no twin database at all (and by default it makes one)."""
    assert Harness(pggit_template, tmp_path, stats=RunStats()).twin
    h = Harness(pggit_template, tmp_path, stats=RunStats(), twin=False)
    assert h.twin_db is None
    h.close()


@pytest.mark.server
def test_damage_is_done_whatever_pggits_keys_say(pair: tuple[Driver, Twin]) -> None:
    """U4: an objects row with history is deleted (foreign keys off for that statement), and DDL on the table then
    still answers as on the twin; the reference's bookkeeping goes on."""
    driver, _ = pair
    driver.run(CreateTable(SCHEMA, "t", (Column("a", "integer"),)))
    op = DeleteObjectRow("TABLE", SCHEMA, "t")
    done = driver.run_unchecked(op, given_up(driver.state, op))
    assert done.ok, done
    left = driver.client.conn.execute("SELECT count(*) FROM pggit.objects WHERE object_type = 'TABLE' "
                                      "AND schema_name = %s", [SCHEMA]).fetchone()
    assert left == (0,)
    driver.check_state()  # the damaged rows are not compared any more
    assert driver.twin is not None and driver.twin.rule == "U4/V21"


@pytest.mark.server
def test_a_call_that_hangs_after_damage_is_u4(pair: tuple[Driver, Twin]) -> None:
    """U4: a pgGit call that does not answer within the timeout is a hang, reported as U4 (here get_version made to
    sleep stands in for a loop on damaged rows)."""
    driver, _ = pair
    driver.client.conn.execute("DROP FUNCTION pggit.get_version(text); CREATE FUNCTION pggit.get_version(text) "
                               "RETURNS SETOF int LANGUAGE sql AS 'SELECT 1 FROM pg_sleep(30)'")
    with pytest.raises(Divergence, match="a hang") as caught:
        driver.run_unchecked(Unchecked(GetVersion(f"{SCHEMA}.t")))
    assert caught.value.rule == "U4"


@pytest.mark.server
def test_a_known_twin_divergence_explains_the_models_check_of_the_same_answer(
        pair: tuple[Driver, Twin], tmp_path: Path) -> None:
    """V21 with the registry: once a known entry explains pgGit's answer against the twin, the model's own check of
    that answer (expected success) is the same root — counted under that entry, not a new divergence — and the twin
    is off for the rest of the example."""
    driver, _ = pair
    registry = tmp_path / "known.toml"
    registry.write_text('[[divergence]]\nid = "no-views"\nrule = "V21"\nop = "create_view"\nmatch = "0A000"\n'
                        'note = "views rejected"\n')
    driver.known = known.load(str(registry))
    driver.client.conn.execute("""
        CREATE FUNCTION pggit_model_faults_reject() RETURNS event_trigger LANGUAGE plpgsql AS $$
        BEGIN IF tg_tag = 'CREATE VIEW' THEN RAISE EXCEPTION 'no views' USING ERRCODE = '0A000'; END IF; END $$;
        CREATE EVENT TRIGGER zz_reject ON ddl_command_end EXECUTE FUNCTION pggit_model_faults_reject();""")
    driver.run(CreateTable(SCHEMA, "t", (Column("a", "integer"),)))
    driver.run(CreateView(SCHEMA, "v", "t", ("a",)))
    assert driver.stats.known == {"no-views": 2} and driver.twin is None


def test_drift_is_mirrored_as_its_ddl_alone() -> None:
    """U3 with V21: DDL run with pgGit's triggers silenced changes the catalog on the twin too, so the twin runs
    the DDL itself (without pgGit's trigger switches, which name objects only pgGit's database has); without it
    the end-of-example catalogs differ (seen as a false V21 before drift and the twin were merged)."""
    from pggit_model.ops import Column, CreateTable, Untracked
    ddl = CreateTable("s", "t", (Column("a", "integer"),))
    drift = Untracked(ddl, "disable", (("pggit_ddl", "O"),))
    assert Twin.mirrors(drift) and Twin.mirrors(ddl)
    assert Twin._own(drift, "ALTER EVENT TRIGGER pggit_ddl DISABLE; …") == (ddl, None)
    assert Twin._own(ddl, "CREATE TABLE …") == (ddl, "CREATE TABLE …")
