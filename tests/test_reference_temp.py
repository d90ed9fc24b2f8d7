"""Temporary objects (V1, §14 A8) on a real server: PostgreSQL's answers at the line between temporary and
permanent objects are the model's (model/catalog_temp.py), and the reference backend records nothing of them,
step by step through the Driver (every answer and the observed state after each step)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest

from pggit_model.client import Client
from pggit_model.cluster import ExternalServer, ThrowawayCluster
from pggit_model.divergences import Divergence
from pggit_model.model import session_lost
from pggit_model.mutants import by_name
from pggit_model.ops import (
    AddColumn,
    AddConstraint,
    AlterTable,
    Column,
    CommentOnColumn,
    CommentOnTable,
    CreateFunction,
    CreateIndex,
    CreateMatView,
    CreateSchema,
    CreateTable,
    CreateTableAs,
    CreateView,
    DropFunction,
    DropIndex,
    DropSchema,
    DropTable,
    DropView,
    ForeignKey,
    GetHistory,
    GetVersion,
    Op,
    PrimaryKey,
    RenameColumn,
    RenameRelation,
    RenameSchema,
    SetSchema,
    SetSearchPath,
    ShowTableVersions,
)
from tests.driven import drive, mutant_connection
from tests.model_steps import postgres_outcome, run_in

pytestmark = pytest.mark.server

Server = ThrowawayCluster | ExternalServer
S, T = "app", "pg_temp"
_T = CreateTable(S, "t", (Column("id", "integer"), Column("b", "text")), (PrimaryKey(("id",)),))
_TT = CreateTable(T, "tt", (Column("id", "integer"), Column("x", "integer")), (PrimaryKey(("id",)),))
_FK = ForeignKey("fk", ("id",), S, "t", ("id",))
_FK_TT = ForeignKey("fk", ("id",), T, "tt", ("id",))

#: (id, setup, op, PostgreSQL's answer: "ok" or the SQLSTATE); the model must say the same (or leave it Unknown)
CASES: list[tuple[str, list[Op], Op, str]] = [
    ("temp-view-over-permanent", [_T], CreateView(T, "tv", "t", ("id",), source_schema=S), "ok"),
    ("permanent-view-over-temp", [_TT], CreateView(S, "v", "tt", ("id",), source_schema=T), "42P16"),
    ("replace-permanent-view-over-temp", [_T, _TT, CreateView(S, "v", "t", ("id",))],
     CreateView(S, "v", "tt", ("id",), True, T), "42P16"),
    ("permanent-fk-to-temp", [_TT, CreateTable(S, "p", (Column("id", "integer"),))],
     AlterTable(S, "p", (AddConstraint(_FK_TT),)), "42P16"),
    ("temp-fk-to-permanent", [_T], CreateTable(T, "c", (Column("id", "integer"),), (_FK,)), "42P16"),
    ("create-schema-pg-temp", [], CreateSchema(T, if_not_exists=True), "42939"),
    ("drop-schema-pg-temp", [], DropSchema(T), "3F000"),
    ("rename-schema-pg-temp", [], RenameSchema(T, "zz"), "3F000"),
    ("rename-schema-to-pg-temp", [], RenameSchema(S, T), "42939"),
    ("move-into-pg-temp", [_T], SetSchema("TABLE", S, "t", T), "0A000"),
    ("move-out-of-pg-temp", [_TT], SetSchema("TABLE", T, "tt", S), "0A000"),
    ("move-function-out", [CreateFunction(T, "f", ("integer",))], SetSchema("FUNCTION", T, "f", S, ("integer",)),
     "0A000"),
    ("temp-name-taken", [_TT], CreateTable(T, "tt", (Column("a", "integer"),)), "42P07"),
    ("same-name-both-schemas", [_TT], CreateTable(S, "tt", (Column("a", "integer"),)), "ok"),
    ("drop-missing-temp", [], DropTable(T, "nope"), "42P01"),
    ("drop-permanent-under-temp-view", [_T, CreateView(T, "tv", "t", ("id",), source_schema=S)],
     DropTable(S, "t"), "2BP01"),
    ("temp-table-as", [_TT], CreateTableAs(T, "c", "tt", ("id",)), "ok"),
    ("temp-index", [_TT], CreateIndex(T, "ti", "tt", ("x",)), "ok"),
    ("matview-over-temp", [_TT], CreateMatView(S, "mv", "tt", ("id",), source_schema=T), "0A000"),
]


def _model(setup: list[Op], op: Op) -> str:
    st, _ = run_in(S, setup)
    _, (exp,) = run_in(S, [op], st)
    return "ok" if exp.kind == "ok" else exp.sqlstates[0] if exp.kind == "error" else "unknown"


@pytest.mark.parametrize(("setup", "op", "pg"), [pytest.param(s, o, p, id=i) for i, s, o, p in CASES])
def test_model_answers_at_the_temporary_line(setup: list[Op], op: Op, pg: str) -> None:
    """V1, A8: the model's answer for each case is PostgreSQL's (pinned below), or Unknown (not drawn)."""
    assert _model(setup, op) in (pg, "unknown")


def test_postgresql_answers_at_the_temporary_line(pggit_conn: psycopg.Connection) -> None:
    """Each case as plain SQL on PostgreSQL: the answers CASES (and so the model) rely on are PostgreSQL's; a
    session's temporary objects are discarded between cases."""
    problems = []
    for ident, setup, op, pg in CASES:
        got = postgres_outcome(pggit_conn, [S], setup, op)
        pggit_conn.execute("DISCARD TEMP")
        if got != pg:
            problems.append(f"{ident}: PostgreSQL {got}, expected {pg}")
    assert problems == []


def _temporary_life() -> list[Op]:
    """Temporary tables, an index, columns, comments, views over temporary and permanent relations, a function,
    renames and drops, looked up qualified and bare through a search_path naming pg_temp (V17, V18)."""
    return [
        _T, _TT, CreateIndex(T, "ti", "tt", ("x",)), AlterTable(T, "tt", (AddColumn(Column("y", "text")),)),
        CommentOnTable(T, "tt", "temporary"), CommentOnColumn(T, "tt", "x", "x"),
        CreateView(T, "tv", "t", ("id",), source_schema=S), CreateView(T, "tv2", "tt", ("id", "x")),
        CreateFunction(T, "f", ("integer",)), CreateTableAs(T, "c", "tt", ("id",)),
        RenameRelation("TABLE", T, "c", "c2"), RenameColumn("TABLE", T, "c2", "id", "id2"),
        SetSearchPath((T, S)), GetVersion("tv"), GetVersion("pg_temp.tv"), GetVersion("f(integer)"),
        GetHistory("tv2", 5), GetHistory("pg_temp.tt", 5), GetVersion("t"), ShowTableVersions(T),
        CreateView(S, "v", "tt", ("id",), source_schema=T), DropView(T, "tv2"), DropIndex(T, "ti"),
        DropFunction(T, "f", ("integer",)), GetVersion("f(integer)"), DropTable(S, "t", cascade=True),
        GetVersion("tv"), DropTable(T, "tt"),
    ]


def _temp_rows(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM pggit.objects WHERE schema_name LIKE 'pg\\_temp%'").fetchone()[0]


def test_v1_a8_temporary_objects_get_no_row(pggit_conn: psycopg.Connection) -> None:
    """V1, A8, V17, V18: DDL on `pg_temp.name` is answered as the model says and leaves pggit.objects without a
    row in any pg_temp schema; get_version / get_history of those objects find nothing, qualified or bare through
    a search_path naming pg_temp. Fails on a reference whose V1 filter lets pg_temp_N through
    (`temp-objects-tracked` in pggit_model/mutants.py: `test_..._fails_when_pg_temp_is_tracked` below)."""
    drive(pggit_conn, S, _temporary_life())
    assert _temp_rows(pggit_conn) == 0


def test_v1_a8_a_filter_that_tracks_pg_temp_is_caught(pggit_server: Server, tmp_path: Path) -> None:
    """V1: on the reference with the planted fault `temp-objects-tracked` (V1's filter without its pg_temp test),
    the same steps diverge: a temporary view or function gets a row under pg_temp_N, which the bare lookup
    through a search_path naming pg_temp finds where the model finds none."""
    with mutant_connection(pggit_server, by_name("temp-objects-tracked"), tmp_path, "temp") as conn:
        with pytest.raises(Divergence):
            drive(conn, S, _temporary_life())
        assert _temp_rows(conn) > 0


def test_v1_the_end_of_an_example_finds_rows_of_temporary_objects(pggit_conn: psycopg.Connection,
                                                                   pggit_server: Server, tmp_path: Path) -> None:
    """V1 without any lookup: a temporary view and function, never asked about, are found at the end of the
    example (`Driver.check_excluded_schemas`, which the machines call in teardown) on the reference with
    `temp-objects-tracked`, where the per-step observation (the machine's schemas only) sees nothing; the clean
    reference passes the same check."""
    ops: list[Op] = [_TT, CreateView(T, "tv2", "tt", ("id", "x")), CreateFunction(T, "f", ("integer",))]
    drive(pggit_conn, S, ops).check_excluded_schemas()
    with mutant_connection(pggit_server, by_name("temp-objects-tracked"), tmp_path, "temp_end") as conn:
        driver = drive(conn, S, ops)
        with pytest.raises(Divergence, match="V1 excludes"):
            driver.check_excluded_schemas()


def test_x5_temporary_objects_go_with_the_session(pggit_connect: Callable[[], psycopg.Connection]) -> None:
    """A8, X5: a new session has none of the old one's temporary objects (the model's session_lost forgets them),
    so the same CREATE TABLE pg_temp.tt succeeds again; the permanent table stays."""
    driver = drive(pggit_connect(), S, [_T, _TT, CreateFunction(T, "f", ("integer",))])
    driver.client.conn.close()
    driver.session_lost(Client(pggit_connect(), S), session_lost(driver.state, S))
    for op in (SetSearchPath((S,)), _TT, CreateFunction(T, "f", ("integer",)), CreateTable(S, "t", ())):
        assert driver.run(op) is not None
        driver.check_state()
    assert driver.state.db.catalog.table(S, "t") is not None and driver.state.db.catalog.table(T, "tt") is not None
