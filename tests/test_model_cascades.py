"""The model of cascades (§14.1 V26, N4) and statements outside a transaction block (§14.6 X13, V24m–p): pure tests
of what it records, and the SQLSTATEs it predicts pinned against PostgreSQL itself (marked `server`)."""

from __future__ import annotations

import psycopg
import pytest
from attrs import evolve

from pggit_model.model import State, initial_state, step
from pggit_model.model.catalog import Index, structure
from pggit_model.ops import (
    AlterTable,
    Begin,
    Column,
    CreateIndex,
    CreateIndexConcurrently,
    CreateSchema,
    CreateTable,
    CreateView,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropIndexConcurrently,
    DropSchema,
    DropTable,
    DropTables,
    DropView,
    ForeignKey,
    InvalidOp,
    Op,
    PrimaryKey,
    Reindex,
    SetStatistics,
    SetStorage,
    Unique,
)
from pggit_model.ops.cascades import outside_block
from pggit_model.parse import parse_one
from tests.model_steps import postgres_outcome, run_in

S = "mc_cas"


def run(*ops: Op, state: State | None = None) -> tuple[State, list]:
    return run_in(S, ops, state)


def row(st: State, kind: str, name: str, schema: str = S) -> tuple | None:
    r = st.db.rows.get((kind, schema, name, "main"))
    return None if r is None else (r.version, f"{r.major}.{r.minor}.{r.patch}", r.active)


def last(st: State, kind: str, name: str, schema: str = S) -> tuple | None:
    h = st.db.history.get((kind, schema, name, "main"), ())
    return tuple(h[-1]) if h else None


FAMILY = (
    CreateTable(S, "p", (Column("id", "integer"), Column("code", "integer")),
                (PrimaryKey(("id",)), Unique("p_code_key", ("code",)))),
    CreateTable(S, "ch", (Column("id", "integer"), Column("pid", "integer"), Column("pcode", "integer")),
                (ForeignKey("ch_pid_fkey", ("pid",), S, "p", ("id",)),
                 ForeignKey("ch_pcode_fkey", ("pcode",), S, "p", ("code",)))),
    CreateView(S, "pv", "p", ("id", "code")),
)


def test_v26a_drop_table_cascade_alters_the_referencing_table() -> None:
    """V26a: DROP TABLE p CASCADE drops p (with columns and indexes) and the view; ch records one ALTER MINOR for
    both foreign keys it lost (V9), its columns stay."""
    st, exps = run(*FAMILY, DropTable(S, "p", cascade=True))
    assert exps[-1].kind == "ok"
    assert row(st, "TABLE", "ch") == (2, "1.1.0", True) and last(st, "TABLE", "ch")[:2] == ("ALTER", "MINOR")
    assert row(st, "VIEW", "pv")[2] is False and row(st, "INDEX", "p_pkey")[2] is False
    assert row(st, "COLUMN", "ch.pid") == (1, "1.0.0", True)
    assert st.db.catalog.table(S, "ch").constraints == ()


def test_v26b_v26c_drop_column_and_constraint_cascade() -> None:
    """V26b: DROP COLUMN code CASCADE: p MAJOR, ch MINOR (the FK into code's key goes). V26c: DROP CONSTRAINT
    p_pkey CASCADE: p MINOR, ch MINOR (the FK into id goes), the other FK stays."""
    st, _ = run(*FAMILY, AlterTable(S, "p", (DropColumn("code", cascade=True),)))
    assert last(st, "TABLE", "p")[:2] == ("ALTER", "MAJOR") and last(st, "TABLE", "ch")[:2] == ("ALTER", "MINOR")
    assert [k.name for k in st.db.catalog.table(S, "ch").constraints] == ["ch_pid_fkey"]
    st, _ = run(*FAMILY, AlterTable(S, "p", (DropConstraint("p_pkey", cascade=True),)))
    assert last(st, "TABLE", "p")[:2] == ("ALTER", "MINOR") and last(st, "TABLE", "ch")[:2] == ("ALTER", "MINOR")
    assert [k.name for k in st.db.catalog.table(S, "ch").constraints] == ["ch_pcode_fkey"]


def test_v15_without_cascade_nothing_changes() -> None:
    """V15, V26: without CASCADE each of these is refused with 2BP01 and the model's rows stay as they were."""
    st, _ = run(*FAMILY)
    for op in (DropTable(S, "p"), AlterTable(S, "p", (DropColumn("code"),)),
               AlterTable(S, "p", (DropConstraint("p_pkey"),)), DropTables(S, ("p", "pv"))):
        after, exp = step(st, op)
        assert exp.kind == "error" and after.db.rows == st.db.rows, op


def test_v26h_drop_two_tables_records_only_drops() -> None:
    """V26h: DROP TABLE p, ch: both dropped without CASCADE (the FK is between them), no ALTER on ch; with the view
    over p it needs CASCADE."""
    st, exps = run(*FAMILY[:2], DropTables(S, ("ch", "p")))
    assert exps[-1].kind == "ok"
    assert last(st, "TABLE", "ch")[0] == "DROP" and last(st, "TABLE", "p")[0] == "DROP"
    st, exps = run(*FAMILY, DropTables(S, ("ch", "p")))
    assert exps[-1].kind == "error"


def test_v26i_n4_drop_schema_cascade_into_a_foreign_key() -> None:
    """V26i, N4: DROP SCHEMA o CASCADE drops o's table and makes the table of S with an FK into it record MINOR."""
    st, exps = run(CreateSchema("o"), CreateTable("o", "a", (Column("id", "integer"),), (PrimaryKey(("id",)),)),
                   CreateTable(S, "x", (Column("a_id", "integer"),),
                               (ForeignKey("x_fk", ("a_id",), "o", "a", ("id",)),)),
                   DropSchema("o", cascade=True))
    assert exps[-1].kind == "ok"
    assert row(st, "TABLE", "a", "o")[2] is False and last(st, "TABLE", "x")[:2] == ("ALTER", "MINOR")


def test_v24m_x13_concurrently_outside_and_inside_a_block() -> None:
    """V24m, X13: CREATE / DROP INDEX CONCURRENTLY record as CREATE / DROP INDEX do (t PATCH); inside BEGIN they
    are refused (25001); on a session the model cannot see outside every block, they are unspecified."""
    t = CreateTable(S, "t", (Column("a", "integer"),))
    st, exps = run(t, CreateIndexConcurrently(S, "i", "t", ("a",)))
    assert row(st, "INDEX", "i") == (1, "1.0.0", True) and last(st, "TABLE", "t")[:2] == ("ALTER", "PATCH")
    st, exps = run(DropIndexConcurrently(S, "i"), state=st)
    assert row(st, "INDEX", "i")[2] is False and row(st, "TABLE", "t")[1] == "1.0.2"
    _, exps = run(t, Begin(), CreateIndexConcurrently(S, "i", "t", ("a",)))
    assert exps[-1].kind == "error"
    nested = initial_state((S,))
    nested = evolve(nested, session=evolve(nested.session, autocommit=False))
    _, exps = run(t, CreateIndexConcurrently(S, "i", "t", ("a",)), state=nested)
    assert exps[-1].is_unspecified


def test_v24o_v24p_h11_record_nothing_index_hash_changes() -> None:
    """V24o, V24p, H11: REINDEX, SET/RESET (fillfactor), SET STATISTICS record nothing; the index's structure
    (its hash) changes with its fillfactor, its table's does not."""
    st, _ = run(CreateTable(S, "t", (Column("a", "integer"),)), CreateIndex(S, "i", "t", ("a",)))
    before_rows, before_t = st.db.rows, structure(st.db.catalog, ("TABLE", S, "t"))
    before_i = structure(st.db.catalog, ("INDEX", S, "i"))
    st, exps = run(Reindex("INDEX", S, "i", True), Reindex("TABLE", S, "t"), Reindex("SCHEMA", S),
                   SetStorage("INDEX", S, "i", 70), SetStorage("TABLE", S, "t", 50), SetStatistics(S, "t", "a", 10),
                   state=st)
    assert all(e.kind == "ok" for e in exps) and st.db.rows == before_rows
    assert structure(st.db.catalog, ("INDEX", S, "i")) != before_i
    assert structure(st.db.catalog, ("TABLE", S, "t")) == before_t
    idx = st.db.catalog.rel(S, "i")
    assert isinstance(idx, Index) and idx.fillfactor == 70


def test_ops_refuse_what_postgresql_cannot_parse() -> None:
    """The ops validate at construction: DROP TABLE of one name is DropTable, REINDEX SCHEMA takes no relation
    name and INDEX/TABLE need one, fillfactor is 10–100, a statistics target an integer from -1 to 10000."""
    for make in (lambda: DropTables(S, ("x",)), lambda: Reindex("SCHEMA", S, "x"), lambda: Reindex("INDEX", S),
                 lambda: SetStorage("INDEX", S, "i", 5), lambda: SetStatistics(S, "t", "c", True)):
        with pytest.raises(InvalidOp):
            make()


@pytest.mark.parametrize("text", [
    'DROP TABLE "mc_cas"."a", "mc_cas"."b" CASCADE', 'CREATE UNIQUE INDEX CONCURRENTLY "i" ON "mc_cas"."t" ("a")',
    'DROP INDEX CONCURRENTLY IF EXISTS "mc_cas"."i"', 'REINDEX SCHEMA CONCURRENTLY "mc_cas"',
    'ALTER INDEX "mc_cas"."i" RESET (fillfactor)', 'ALTER TABLE "mc_cas"."t" ALTER COLUMN "a" SET STATISTICS 10'])
def test_parse_round_trip(text: str) -> None:
    """The parser reads each cascade statement back into the op that renders it."""
    assert parse_one(text).to_sql() == text


#: (id, setup, op, "ok" or the SQLSTATE) — PostgreSQL's answers, pinned on a server below
CASES: list[tuple[str, tuple[Op, ...], Op, str]] = [
    ("drop-two-tables-fk-between", FAMILY[:2], DropTables(S, ("p", "ch")), "ok"),
    ("drop-two-tables-view-needs-cascade", FAMILY, DropTables(S, ("p", "ch")), "2BP01"),
    ("drop-two-tables-first-missing", FAMILY[:2], DropTables(S, ("zz", "p")), "42P01"),
    ("drop-two-tables-a-view", FAMILY, DropTables(S, ("pv", "ch")), "42809"),
    ("drop-column-cascade", FAMILY, AlterTable(S, "p", (DropColumn("code", cascade=True),)), "ok"),
    ("drop-constraint-restrict", FAMILY, AlterTable(S, "p", (DropConstraint("p_pkey"),)), "2BP01"),
    ("drop-view-cascade", FAMILY, DropView(S, "pv", cascade=True), "ok"),
    ("drop-unique-index-cascade", (*FAMILY[:1], CreateTable(S, "u", (Column("a", "integer"),)),
                                   CreateIndex(S, "u_a", "u", ("a",), unique=True),
                                   CreateTable(S, "r", (Column("a", "integer"),),
                                               (ForeignKey("r_fk", ("a",), S, "u", ("a",)),))),
     DropIndex(S, "u_a", cascade=True), "ok"),
    ("dic-constraint-index", FAMILY[:1], DropIndexConcurrently(S, "p_pkey"), "2BP01"),
    ("reindex-index-on-a-table", FAMILY[:1], Reindex("INDEX", S, "p"), "42809"),
    ("reindex-table-on-a-view", FAMILY, Reindex("TABLE", S, "pv"), "42809"),
    ("statistics-missing-column", FAMILY[:1], SetStatistics(S, "p", "zz", 5), "42703"),
]


@pytest.mark.parametrize(("setup", "op", "outcome"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_model_predicts_postgresql(setup: tuple[Op, ...], op: Op, outcome: str) -> None:
    """X4, V15, V26: the model's answer to each case (success or the SQLSTATE PostgreSQL gives)."""
    st, exps = run(*setup)
    assert all(e.kind == "ok" for e in exps)
    _, exp = step(st, op)
    got = "ok" if exp.kind == "ok" else exp.sqlstates[0] if exp.kind == "error" else exp.kind
    assert got == outcome


@pytest.mark.server
def test_postgresql_agrees_with_every_case(pggit_conn: psycopg.Connection) -> None:
    """The same statements on a real PostgreSQL 15 (autocommit, so CONCURRENTLY runs): same success or SQLSTATE."""
    problems = []
    for case_id, setup, op, outcome in CASES:
        got = postgres_outcome(pggit_conn, [S], setup, op)
        if got != outcome:
            problems.append(f"{case_id}: PostgreSQL says {got}, the case says {outcome}")
    assert problems == []


@pytest.mark.server
def test_x13_b12_which_statements_postgresql_refuses_in_a_block(pggit_conn: psycopg.Connection) -> None:
    """X13, B12: inside BEGIN PostgreSQL refuses exactly the ops `outside_block` names (25001) — REINDEX SCHEMA
    without CONCURRENTLY among them — and the model predicts 25001 for each of them."""
    pggit_conn.execute(f"CREATE SCHEMA {S}")
    setup = (CreateTable(S, "t", (Column("a", "integer"),)), CreateIndex(S, "i", "t", ("a",)))
    for o in setup:
        pggit_conn.execute(o.to_sql())
    probes = (CreateIndexConcurrently(S, "j", "t", ("a",)), DropIndexConcurrently(S, "i"), Reindex("SCHEMA", S),
              Reindex("INDEX", S, "i", True), Reindex("INDEX", S, "i"), Reindex("TABLE", S, "t"))
    for op in probes:
        try:
            with pggit_conn.transaction():
                pggit_conn.execute(op.to_sql())
                raise RuntimeError("roll back")
        except psycopg.Error as e:
            got = e.sqlstate
        except RuntimeError:
            got = "ok"
        _, exps = run(*setup, Begin(), op)
        model = "ok" if exps[-1].kind == "ok" else exps[-1].sqlstates[0]
        assert (got, model) == (("25001", "25001") if outside_block(op) else ("ok", "ok")), op
