"""Parsing SQL into ops: exact round trip for everything we render, clear refusal for the rest."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pggit_model.errors import UnsupportedStatement
from pggit_model.model import initial_state, step
from pggit_model.ops import (
    AddColumn,
    AlterTable,
    Begin,
    Column,
    Commit,
    CreateTable,
    CreateView,
    GetVersion,
    ReleaseSavepoint,
    RollbackToSavepoint,
    Savepoint,
    SetNotNull,
    SetSearchPath,
)
from pggit_model.parse import parse, parse_one
from pggit_model.strategies import ops_for


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_parse_render_round_trip(data):
    """parse(render(op)) == op for every op drawn along a model run."""
    state = initial_state(("app",))
    for _ in range(8):
        op = data.draw(ops_for(state, "app", prefix="r/"))
        assert parse_one(op.to_sql()) == op
        state, _ = step(state, op)


def test_hand_written_variants_fold_case_and_whitespace():
    """Unquoted names fold to lower case, keywords are case-insensitive, aliases give format_type spellings."""
    assert parse_one("create  table App.T (ID INT not null, x VARCHAR(3) default 'a')") == CreateTable(
        "app", "t", [Column("id", "integer", True), Column("x", "character varying(3)", default="a")])
    assert parse_one("alter table app.t add n int, alter email set not null") == AlterTable(
        "app", "t", [AddColumn(Column("n", "integer")), SetNotNull("email")])
    assert parse_one("select pggit.get_version('x')") == GetVersion("x")
    assert parse("begin; commit;") == [Begin(), Commit()]
    assert parse_one("rollback to s") == RollbackToSavepoint("s")
    assert parse_one("SET search_path = app, public") == SetSearchPath(("app", "public"))
    assert parse_one("CREATE TABLE t (a int)", default_schema="app") == CreateTable("app", "t", [Column("a", "int")])


@pytest.mark.parametrize("sql", [
    "GRANT SELECT ON app.t TO x", "CREATE TABLE t (a int)", "ALTER TABLE app.t OWNER TO u",
    "CREATE TABLE app.t (a money)", "SELECT 2", "ALTER TABLE app.t ALTER a TYPE int USING 1",
])
def test_statements_outside_the_vocabulary_are_refused_by_name(sql):
    """A statement outside the vocabulary raises UnsupportedStatement quoting the statement."""
    with pytest.raises(UnsupportedStatement, match="outside the vocabulary"):
        parse(sql)


def test_savepoint_names_quoted_or_not() -> None:
    """SAVEPOINT, ROLLBACK TO and RELEASE take a name quoted or not (sqlglot 30 lexes SAVEPOINT as a raw command)."""
    assert parse('SAVEPOINT s1; SAVEPOINT "S 1"; ROLLBACK TO SAVEPOINT "s1"; RELEASE s1') == [
        Savepoint("s1"), Savepoint("S 1"), RollbackToSavepoint("s1"), ReleaseSavepoint("s1")]


def test_a8_temporary_tables_and_views_are_pg_temp_ops() -> None:
    """§14 A8: CREATE TEMP[ORARY] TABLE / [OR REPLACE] TEMP VIEW name … is the vocabulary's statement on
    pg_temp.name (the way ops render it, which parses back to the same op); TEMP with another schema (PostgreSQL:
    42P16) or another kind of object is refused."""
    tt = CreateTable("pg_temp", "tt", [Column("a", "int")])
    assert parse_one("CREATE TEMP TABLE tt (a int)") == tt == parse_one(tt.to_sql())
    assert parse_one("create temporary table pg_temp.tt (a int)") == tt
    assert parse_one("CREATE OR REPLACE TEMP VIEW v AS SELECT a FROM app.t") == CreateView(
        "pg_temp", "v", "t", ("a",), True, "app")
    for sql in ("CREATE TEMP TABLE app.tt (a int)", "CREATE TEMP SEQUENCE s"):
        with pytest.raises(UnsupportedStatement, match="outside the vocabulary"):
            parse(sql)
