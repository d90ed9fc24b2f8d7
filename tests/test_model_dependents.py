"""The model of objects tables use (§14.1 V26d–f, V27, V15): enum types, domains, sequences and functions without
arguments, their uses by tables and views and their DROP … [CASCADE]. Pure tests of what it records, and the
SQLSTATEs it predicts pinned against PostgreSQL itself (marked `server`)."""

from __future__ import annotations

import psycopg
import pytest

from pggit_model.model import State, step
from pggit_model.ops import (
    Column,
    CreateCallingView,
    CreateFunction,
    CreateIndex,
    CreateSchema,
    CreateTable,
    CreateUsable,
    CreateView,
    DropFunction,
    DropSchema,
    DropTable,
    DropUsable,
    Op,
    RenameFunction,
    UseInTable,
)
from pggit_model.parse import parse_one
from tests.model_steps import postgres_outcome, run_in

S = "mc_dep"


def run(*ops: Op, state: State | None = None) -> tuple[State, list]:
    return run_in(S, ops, state)


def row(st: State, kind: str, name: str) -> tuple | None:
    r = st.db.rows.get((kind, S, name, "main"))
    return None if r is None else (r.version, f"{r.major}.{r.minor}.{r.patch}", r.active)


def last(st: State, kind: str, name: str) -> tuple | None:
    h = st.db.history.get((kind, S, name, "main"), ())
    return tuple(h[-1][:2]) if h else None


T = CreateTable(S, "t", (Column("id", "integer"),))
OBJECTS = (CreateUsable("ENUM", S, "mood"), CreateUsable("DOMAIN", S, "pos"), CreateUsable("SEQUENCE", S, "sq"),
           CreateFunction(S, "f", (), 1))


def _use(how: str, part: str, used: str, table: str = "t") -> UseInTable:
    return UseInTable(how, S, table, part, S, used)


def test_v27_creating_used_objects_records_nothing() -> None:
    """V27: CREATE TYPE / DOMAIN / SEQUENCE add no row and no history (the function is a FUNCTION row, V10b)."""
    st, exps = run(T, *OBJECTS)
    assert all(e.kind == "ok" for e in exps)
    assert {k[2] for k in st.db.rows} == {"t", "t.id", "f()"}


def test_v26d_drop_type_cascade_drops_the_column_and_a_view_over_it() -> None:
    """V26d: DROP TYPE mood CASCADE takes t.m (COLUMN row dropped) and the view over it; t records ALTER MAJOR."""
    st, exps = run(T, *OBJECTS, _use("column", "m", "mood"), CreateView(S, "v", "t", ("m",)),
                   DropUsable("TYPE", S, "mood", cascade=True))
    assert all(e.kind == "ok" for e in exps)
    assert last(st, "TABLE", "t") == ("ALTER", "MAJOR")
    assert row(st, "COLUMN", "t.m")[2] is False and row(st, "VIEW", "v")[2] is False
    assert row(st, "TABLE", "t") == (3, "2.0.0", True)


def test_v26e_drop_function_cascade_highest_severity_per_table() -> None:
    """V26e: DROP FUNCTION f() CASCADE: a default only is PATCH, a CHECK MINOR, a generated column MAJOR, an
    expression index PATCH (its INDEX row dropped); a calling view is dropped; each table one ALTER."""
    tables = [CreateTable(S, n, (Column("id", "integer"),)) for n in ("d", "c", "g", "i")]
    st, exps = run(*tables, *OBJECTS, _use("default", "x", "f", "d"), _use("check", "k", "f", "c"),
                   _use("default", "x", "f", "c"), _use("generated", "x", "f", "g"), _use("check", "k", "f", "g"),
                   _use("index", "fi", "f", "i"), CreateCallingView(S, "fv", S, "f"),
                   DropFunction(S, "f", (), cascade=True))
    assert all(e.kind == "ok" for e in exps)
    assert [last(st, "TABLE", n)[1] for n in ("d", "c", "g", "i")] == ["PATCH", "MINOR", "MAJOR", "PATCH"]
    assert row(st, "INDEX", "fi")[2] is False and row(st, "VIEW", "fv")[2] is False
    assert row(st, "COLUMN", "g.x")[2] is False and row(st, "COLUMN", "d.x")[2] is True


def test_v26f_drop_sequence_cascade_is_patch() -> None:
    """V26f: DROP SEQUENCE sq CASCADE removes the default calling nextval: t records ALTER PATCH, t.n stays."""
    st, _ = run(T, *OBJECTS, _use("nextval", "n", "sq"), DropUsable("SEQUENCE", S, "sq", cascade=True))
    assert last(st, "TABLE", "t") == ("ALTER", "PATCH") and row(st, "COLUMN", "t.n")[2] is True


def test_v15_restrict_refuses_while_used_and_records_nothing() -> None:
    """V15: without CASCADE each used object is refused (2BP01) and nothing changes; unused, it goes silently."""
    st, _ = run(T, *OBJECTS, _use("column", "m", "mood"), _use("nextval", "n", "sq"), _use("check", "k", "f"))
    for op in (DropUsable("TYPE", S, "mood"), DropUsable("SEQUENCE", S, "sq"), DropFunction(S, "f", ())):
        after, exp = step(st, op)
        assert exp.sqlstates == ("2BP01",) and after.db == st.db
    after, exp = step(st, DropUsable("DOMAIN", S, "pos"))
    assert exp.kind == "ok" and after.db.rows == st.db.rows and (S, "pos") not in after.db.catalog.usables


def test_what_the_model_cannot_hold_is_left_open() -> None:
    """R6 (by identity) is not modelled for used objects, nor a type beside a sequence of its name (PostgreSQL
    allows it: a sequence has no row type): each is unknown, not predicted wrong."""
    st, _ = run(T, *OBJECTS, _use("default", "x", "f"))
    assert step(st, RenameFunction(S, "f", (), "g"))[1].is_unspecified
    assert step(st, CreateUsable("DOMAIN", S, "sq"))[1].is_unspecified


@pytest.mark.parametrize("op", [*OBJECTS[:3], DropUsable("TYPE", S, "a b", True, True),
                                DropUsable("DOMAIN", S, "d"), DropUsable("SEQUENCE", S, "s", cascade=True),
                                *(_use(h, "p q", 'o"k') for h in ("column", "default", "nextval", "generated",
                                                                   "check", "index")),
                                CreateCallingView(S, "fv", S, "f")], ids=repr)
def test_parse_round_trip(op: Op) -> None:
    """The parser reads each statement's rendering back into the op."""
    assert parse_one(op.to_sql()) == op


#: (id, setup, op, "ok" or the SQLSTATE) — PostgreSQL's answers, pinned on a server below
CASES: list[tuple[str, tuple[Op, ...], Op, str]] = [
    ("type-over-table-row-type", (T,), CreateUsable("ENUM", S, "t"), "42710"),
    ("sequence-over-table", (T,), CreateUsable("SEQUENCE", S, "t"), "42P07"),
    ("sequence-over-type", OBJECTS, CreateUsable("SEQUENCE", S, "mood"), "42710"),
    ("type-beside-an-index", (T, CreateIndex(S, "ix", "t", ("id",))), CreateUsable("ENUM", S, "ix"), "ok"),
    ("index-beside-a-type", (T, *OBJECTS), _use("index", "mood", "f"), "ok"),
    ("index-over-sequence", (T, *OBJECTS), _use("index", "sq", "f"), "42P07"),
    ("view-over-type-name", OBJECTS, CreateCallingView(S, "pos", S, "f"), "42710"),
    ("view-missing-function-first", (T,), CreateCallingView(S, "t", S, "f"), "42883"),
    # V12: OR REPLACE of a calling view — another function (same output column), over a table's view (its column
    # renamed: 42P16), over a table (42809), over nothing (a new view)
    ("replace-calling-view", (*OBJECTS, CreateFunction(S, "g", (), 2), CreateCallingView(S, "fv", S, "f")),
     CreateCallingView(S, "fv", S, "g", or_replace=True), "ok"),
    ("replace-table-view-by-calling-view", (T, *OBJECTS, CreateView(S, "tv", "t", ("id",))),
     CreateCallingView(S, "tv", S, "f", or_replace=True), "42P16"),
    ("replace-table-by-calling-view", (T, *OBJECTS), CreateCallingView(S, "t", S, "f", or_replace=True), "42809"),
    ("replace-missing-calling-view", OBJECTS, CreateCallingView(S, "fv", S, "f", or_replace=True), "ok"),
    ("replace-calling-view-missing-function", (T,), CreateCallingView(S, "t", S, "f", or_replace=True), "42883"),
    ("drop-domain-of-enum", OBJECTS, DropUsable("DOMAIN", S, "mood"), "42809"),
    ("drop-type-of-domain", OBJECTS, DropUsable("TYPE", S, "pos"), "ok"),
    ("drop-type-of-table", (T,), DropUsable("TYPE", S, "t", True), "2BP01"),
    ("drop-type-of-sequence", OBJECTS, DropUsable("TYPE", S, "sq"), "42704"),  # (a sequence has no row type)
    ("drop-domain-if-exists-of-sequence", OBJECTS, DropUsable("DOMAIN", S, "sq", True), "ok"),
    ("column-of-a-sequence", (T, *OBJECTS), _use("column", "c", "sq"), "42704"),
    ("drop-sequence-of-table", (T,), DropUsable("SEQUENCE", S, "t", True), "42809"),
    ("drop-sequence-of-type", OBJECTS, DropUsable("SEQUENCE", S, "mood"), "42P01"),
    ("drop-sequence-if-exists-of-type", OBJECTS, DropUsable("SEQUENCE", S, "mood", True), "ok"),
    ("drop-missing-type", (), DropUsable("TYPE", S, "nope"), "42704"),
    ("drop-missing-sequence", (), DropUsable("SEQUENCE", S, "nope"), "42P01"),
    ("column-of-missing-type", (T,), _use("column", "m", "nope"), "42704"),
    ("nextval-of-missing-sequence", (T,), _use("nextval", "n", "nope"), "42P01"),
    ("nextval-of-a-type", (T, *OBJECTS), _use("nextval", "n", "mood"), "42P01"),
    ("default-missing-function", (T,), _use("default", "d", "nope"), "42883"),
    ("column-name-taken", (T, *OBJECTS), _use("column", "id", "mood"), "42701"),
    ("check-name-taken", (T, *OBJECTS, _use("check", "k", "f")), _use("check", "k", "f"), "42710"),
    ("use-on-missing-table", OBJECTS, _use("index", "fi", "f", "zz"), "42P01"),
    ("drop-used-domain-restrict", (T, *OBJECTS, _use("column", "p", "pos")), DropUsable("DOMAIN", S, "pos"),
     "2BP01"),
    ("drop-function-restrict", (T, *OBJECTS, CreateCallingView(S, "fv", S, "f")), DropFunction(S, "f", ()),
     "2BP01"),
    ("drop-function-cascade", (T, *OBJECTS, _use("index", "fi", "f"), _use("generated", "g", "f")),
     DropFunction(S, "f", (), cascade=True), "ok"),
    ("drop-table-keeps-type", (T, *OBJECTS, _use("column", "m", "mood")), DropTable(S, "t"), "ok"),
    ("schema-holding-only-a-type", (CreateSchema("mc_dep2"), CreateUsable("ENUM", "mc_dep2", "e")),
     DropSchema("mc_dep2"), "2BP01"),
]


SCHEMA_CASES: list[tuple[str, tuple[Op, ...], Op, str]] = [
    ("view-missing-function-before-missing-schema", (), CreateCallingView("mc_nope", "v", S, "f"), "42883"),
    ("view-in-missing-schema", OBJECTS, CreateCallingView("mc_nope", "v", S, "f"), "3F000"),
    ("function-in-missing-schema", (), CreateCallingView(S, "v", "mc_nope", "f"), "3F000"),
    ("type-in-missing-schema", (T,), UseInTable("column", S, "t", "c", "mc_nope", "mood"), "3F000"),
]
CASES += SCHEMA_CASES  # (a schema that does not exist: the order PostgreSQL looks things up in)


@pytest.mark.parametrize(("setup", "op", "outcome"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_model_predicts_postgresql(setup: tuple[Op, ...], op: Op, outcome: str) -> None:
    """X4, V15, V26d–f: the model's answer to each case (success or the SQLSTATE PostgreSQL gives)."""
    st, exps = run(*setup)
    assert all(e.kind == "ok" for e in exps), exps
    _, exp = step(st, op)
    got = "ok" if exp.kind == "ok" else exp.sqlstates[0] if exp.kind == "error" else exp.kind
    assert got == outcome


@pytest.mark.server
def test_postgresql_agrees_with_every_case(pggit_conn: psycopg.Connection) -> None:
    """The same statements on a real PostgreSQL 15: same success or SQLSTATE."""
    problems = []
    for case_id, setup, op, outcome in CASES:
        got = postgres_outcome(pggit_conn, [S, "mc_dep2"], setup, op)
        if got != outcome:
            problems.append(f"{case_id}: PostgreSQL says {got}, the case says {outcome}")
    assert problems == [], "\n".join(problems)

