"""The pure model of §14.1 (kinds and structure): concrete examples through `step`, PostgreSQL's SQLSTATE order
for each statement of ops/kinds.py pinned on a real server (each CASE runs through the model and, marked `server`,
as plain SQL), the parser's round trips, and what the model refuses to predict."""

from __future__ import annotations

import psycopg
import pytest

from pggit_model.model import initial_state, step
from pggit_model.model.catalog_kinds import IDENTITY_SEVERITY
from pggit_model.model.state import State
from pggit_model.ops import (
    AddColumn,
    AddExclude,
    AddForeignKeyNotValid,
    AddIdentity,
    AddIdentityColumn,
    AddStoredColumn,
    AlterTable,
    Column,
    ComputeDdlHash,
    CreateIndex,
    CreateMatView,
    CreateSchema,
    CreateTable,
    CreateTableAs,
    CreateTableLike,
    CreateView,
    DropExpression,
    DropIdentity,
    DropIndex,
    DropMatView,
    DropNotNull,
    DropTable,
    DropView,
    ForeignKey,
    GetVersion,
    Op,
    PrimaryKey,
    Quiet,
    RefreshMatView,
    RenameColumn,
    RenameRelation,
    RestartIdentity,
    SelectInto,
    SetGenerated,
    SetSchema,
    SetSearchPath,
    SetStatistics,
    SetStorage,
    ShowTableVersions,
    ValidateConstraint,
)
from pggit_model.parse import parse_one
from tests.model_steps import postgres_outcome, run_in

S = "mc_kinds"


def run(*ops: Op, state: State | None = None) -> tuple[State, list]:
    return run_in(S, ops, state)


def row(st: State, kind: str, name: str) -> tuple | None:
    r = st.db.rows.get((kind, S, name, "main"))
    return None if r is None else (r.version, f"{r.major}.{r.minor}.{r.patch}", r.active)


def last(st: State, kind: str, name: str) -> tuple:
    h = st.db.history[(kind, S, name, "main")][-1]
    return (h.change_type, h.severity)


T = CreateTable(S, "t", (Column("id", "integer", True), Column("b", "integer", True), Column("note", "text"),
                         Column("d", "integer", True, 1)), (PrimaryKey(("id",)),))


@pytest.mark.parametrize(("before", "after"), sorted(IDENTITY_SEVERITY, key=str))
def test_v24g_every_identity_transition(before: str | None, after: str | None) -> None:
    """V24g: each row of the severity table through the model (none→BY DEFAULT PATCH … ALWAYS→none MINOR)."""
    setup: list[Op] = [T]
    if before is not None:
        setup.append(AddIdentity(S, "t", "b", before == "ALWAYS"))
    op: Op = (AddIdentity(S, "t", "b", after == "ALWAYS") if before is None
              else DropIdentity(S, "t", "b") if after is None else SetGenerated(S, "t", "b", after == "ALWAYS"))
    st, exps = run(*setup, op)
    assert exps[-1].kind == "ok" and last(st, "TABLE", "t") == ("ALTER", IDENTITY_SEVERITY[(before, after)])


def test_v27_no_op_identity_statements_and_options_record_nothing() -> None:
    """V27, V24h: SET GENERATED to the current kind, DROP IDENTITY IF EXISTS without identity, RESTART, VALIDATE,
    GRANT, ANALYZE, SET STATISTICS and storage parameters leave the rows as they are."""
    st, _ = run(T, AddIdentity(S, "t", "b", True), CreateIndex(S, "i", "t", ("note",)))
    before = st.db.rows
    st, exps = run(SetGenerated(S, "t", "b", True), DropIdentity(S, "t", "id", True), RestartIdentity(S, "t", "b", 5),
                   Quiet("GRANT", S, "t"), Quiet("ANALYZE", S, "t"), SetStatistics(S, "t", "note", 10),
                   SetStorage("TABLE", S, "t", 70), SetStorage("INDEX", S, "i", 70), state=st)
    assert all(e.kind == "ok" for e in exps) and st.db.rows == before


def test_v24f_v24i_generated_columns_count_as_a_default() -> None:
    """V24f: ADD COLUMN … AS IDENTITY (NOT NULL, no DEFAULT) and … STORED are MINOR; V24i: DROP EXPRESSION MINOR."""
    st, exps = run(T, AddIdentityColumn(S, "t", "i", "bigint"), AddStoredColumn(S, "t", "g", "note"),
                   DropExpression(S, "t", "g"), DropExpression(S, "t", "g", True))
    assert [e.kind for e in exps] == ["ok"] * 5
    assert row(st, "TABLE", "t") == (4, "1.3.0", True) and row(st, "COLUMN", "t.g") == (1, "1.0.0", True)


def test_v24y_aa_ab_v28_matview_rows() -> None:
    """V24y, aa, ab, V28: a MATERIALIZED_VIEW row, ALTER PATCH per index created or dropped, dropped with its
    indexes; get_version finds it, show_table_versions does not list it."""
    st, exps = run(T, SetSearchPath((S,)), CreateMatView(S, "mv", "t", ("id", "note"), False),
                   RefreshMatView(S, "mv"), CreateIndex(S, "mi", "mv", ("id",), True), DropIndex(S, "mi"),
                   CreateIndex(S, "mi2", "mv", ("note",)), GetVersion("mv"), ShowTableVersions(S))
    assert all(e.kind in ("ok", "rows") for e in exps)
    assert row(st, "MATERIALIZED_VIEW", "mv") == (4, "1.0.3", True) and row(st, "INDEX", "mi")[2] is False
    assert "'mv'" in repr(exps[-2].rows) and "'1.0.3'" in repr(exps[-2].rows)
    assert "'mv'" not in repr(exps[-1].rows) and "'t'" in repr(exps[-1].rows)
    st, exps = run(DropMatView(S, "mv"), state=st)
    assert row(st, "MATERIALIZED_VIEW", "mv")[2] is False and row(st, "INDEX", "mi2")[2] is False


def test_v24z_a71_refresh_concurrently_records_nothing_also_in_a_transaction_block() -> None:
    """V24z, V27, A71, V1: REFRESH … CONCURRENTLY of a view with a unique index records nothing (its nested DDL is
    on pg_temp tables), inside BEGIN … COMMIT too (not X13's outside-a-block statements), and leaves it populated;
    H11: nothing has changed by hash."""
    from pggit_model.ops import Begin, Commit, DetectChangesByHash, UpdateAllHashes
    st, _ = run(T, CreateMatView(S, "mv", "t", ("id",)), CreateIndex(S, "mu", "mv", ("id",), True),
                UpdateAllHashes())
    st2, exps = run(Begin(), RefreshMatView(S, "mv", True), Commit(), RefreshMatView(S, "mv", True),
                    DetectChangesByHash(), state=st)
    assert [e.kind for e in exps[:4]] == ["ok"] * 4 and "V24z" in exps[1].rules
    assert st2.db.rows == st.db.rows and st2.db.history == st.db.history
    assert exps[-1].rows and all(r[-1] is False for r in exps[-1].rows)  # (full_name, …, has_changed)


def test_b9_v24z_refresh_on_a_branch_without_the_matviews_row_is_open() -> None:
    """B9, V24z: REFRESH records nothing where the materialized view has an active row on c; on a branch made
    before it was created (no row there) it is unspecified, as a no-op ALTER of such a table is (a reinstall
    smoke, seed 305: the reference recorded it as created there)."""
    from pggit_model.ops import CheckoutBranch, CreateBranch
    st, _ = run(T, CreateBranch("early"), CreateMatView(S, "mv", "t", ("id",), False))
    _, (here,) = run(RefreshMatView(S, "mv"), state=st)
    assert here.kind == "ok" and "V24z" in here.rules
    _, (_, there) = run(CheckoutBranch("early"), RefreshMatView(S, "mv"), state=st)
    assert there.is_unspecified and "B9" in there.rules


def test_h8_matview_hash_is_null() -> None:
    """H8: compute_ddl_hash of a MATERIALIZED_VIEW is NULL."""
    _, exps = run(T, CreateMatView(S, "mv", "t", ("id",)), ComputeDdlHash("MATERIALIZED_VIEW", S, "mv"))
    assert exps[-1].kind == "value" and exps[-1].value is None


def test_v24k_v24l_exclude() -> None:
    """V24k, V24l: EXCLUDE makes an INDEX row and t MAJOR; DROP CONSTRAINT drops it, t MINOR."""
    from pggit_model.ops import DropConstraint
    st, _ = run(T, AddExclude(S, "t", "ex", ("b",)))
    assert row(st, "INDEX", "ex") == (1, "1.0.0", True) and row(st, "TABLE", "t") == (2, "2.0.0", True)
    st, _ = run(AlterTable(S, "t", (DropConstraint("ex"),)), state=st)
    assert row(st, "INDEX", "ex")[2] is False and row(st, "TABLE", "t") == (3, "2.1.0", True)


def test_first_model_statements_near_kinds_objects_are_unspecified() -> None:
    """§12 (catalog_kinds_guard): ALTER COLUMN on an identity column and DROP COLUMN of a generation expression's
    source are not predicted; renaming or moving what a materialized view reads (R6, N5a), the view itself (R3f)
    and its index (R3c) are (the renames family's)."""
    st, _ = run(T, AddIdentity(S, "t", "b"), AddStoredColumn(S, "t", "g", "note"), CreateMatView(S, "mv", "t", ("id",)),
                CreateIndex(S, "mi", "mv", ("id",)), CreateSchema("s2"))
    for op in (AlterTable(S, "t", (DropNotNull("b"),)), AlterTable(S, "t", (DropNotNull("note"),)),
               RenameColumn("TABLE", S, "t", "note", "n2")):
        assert step(st, op)[1].is_unspecified, op
    for op in (RenameRelation("TABLE", S, "t", "u"), SetSchema("TABLE", S, "t", "s2"),
               RenameRelation("TABLE", S, "mv", "mv2"),
               RenameRelation("INDEX", S, "mi", "mj")):
        assert step(st, op)[1].kind == "ok", op


# (id, setup ops (all succeed), the op, "ok" or its SQLSTATE) — pinned on PostgreSQL 15 below
CASES: list[tuple[str, list[Op], Op, str]] = [
    ("identity-missing-column", [T], AddIdentity(S, "t", "zz"), "42703"),
    ("identity-text-nullable", [T], AddIdentity(S, "t", "note"), "22023"),  # the type before NOT NULL
    ("identity-nullable", [T, AlterTable(S, "t", (AddColumn(Column("n", "integer")),))], AddIdentity(S, "t", "n"),
     "55000"),
    ("identity-with-default", [T], AddIdentity(S, "t", "d"), "55000"),
    ("identity-twice", [T, AddIdentity(S, "t", "b")], AddIdentity(S, "t", "b", False), "55000"),
    ("set-generated-not-identity", [T], SetGenerated(S, "t", "b"), "55000"),
    ("drop-identity-not-identity", [T], DropIdentity(S, "t", "b"), "55000"),
    ("drop-identity-if-exists", [T], DropIdentity(S, "t", "b", True), "ok"),
    ("restart-not-identity", [T], RestartIdentity(S, "t", "b", 3), "55000"),
    ("stored-missing-source", [T], AddStoredColumn(S, "t", "g", "zz"), "42703"),
    ("stored-name-taken-missing-source", [T], AddStoredColumn(S, "t", "b", "zz"), "42701"),
    ("stored-on-stored", [T, AddStoredColumn(S, "t", "g", "note")], AddStoredColumn(S, "t", "g2", "g"), "42P17"),
    ("drop-expression-plain", [T], DropExpression(S, "t", "b"), "55000"),
    ("drop-expression-if-exists", [T], DropExpression(S, "t", "b", True), "ok"),
    ("identity-column-name-taken", [T], AddIdentityColumn(S, "t", "b"), "42701"),
    ("exclude-missing-column", [T], AddExclude(S, "t", "ex", ("zz",)), "42703"),
    ("exclude-name-of-a-relation", [T], AddExclude(S, "t", "t", ("b",)), "42P07"),
    ("exclude-name-of-a-constraint-index", [T], AddExclude(S, "t", "t_pkey", ("b",)), "42P07"),
    ("exclude-name-of-a-check", [T, AddForeignKeyNotValid(S, "t", ForeignKey("f", ("b",), S, "t", ("id",)))],
     AddExclude(S, "t", "f", ("b",)), "42710"),
    ("fk-not-valid-no-unique", [T, CreateTable(S, "c", (Column("x", "integer"),))],
     AddForeignKeyNotValid(S, "c", ForeignKey("f", ("x",), S, "t", ("b",))), "42830"),
    ("validate-missing", [T], ValidateConstraint(S, "t", "zz"), "42704"),
    ("validate-primary-key", [T], ValidateConstraint(S, "t", "t_pkey"), "42809"),
    ("select-into-taken", [T], SelectInto(S, "t", "t", ("id",)), "42P07"),
    ("select-into-missing-column-and-taken", [T], SelectInto(S, "t", "t", ("zz",)), "42703"),
    ("like-copies", [T, CreateTableLike(S, "l", "t")], CreateTableLike(S, "l", "t"), "42P07"),
    ("matview-taken-missing-column", [T], CreateMatView(S, "t", "t", ("zz",), if_not_exists=True), "42703"),
    ("matview-if-not-exists", [T, CreateMatView(S, "mv", "t", ("id",))],
     CreateMatView(S, "mv", "t", ("b",), if_not_exists=True), "ok"),
    ("matview-named-like-a-table", [T], CreateMatView(S, "t", "t", ("id",)), "42P07"),
    ("refresh-missing", [T], RefreshMatView(S, "zz"), "42P01"),
    ("select-into-unpopulated", [T, CreateMatView(S, "mv", "t", ("id",), False), CreateView(S, "v", "mv", ("id",))],
     SelectInto(S, "n", "v", ("id",)), "55000"),
    ("select-into-unpopulated-taken", [T, CreateMatView(S, "mv", "t", ("id",), False)],
     SelectInto(S, "t", "mv", ("id",)), "42P07"),
    ("ctas-unpopulated", [T, CreateMatView(S, "mv", "t", ("id",), False)], CreateTableAs(S, "n", "mv", ("id",)),
     "55000"),
    ("matview-over-unpopulated", [T, CreateMatView(S, "mv", "t", ("id",), False)],
     CreateMatView(S, "mv2", "mv", ("id",)), "55000"),
    ("matview-no-data-over-unpopulated", [T, CreateMatView(S, "mv", "t", ("id",), False)],
     CreateMatView(S, "mv2", "mv", ("id",), False), "ok"),
    ("refresh-over-unpopulated", [T, CreateMatView(S, "mv", "t", ("id",), False),
                                  CreateMatView(S, "mv2", "mv", ("id",), False)], RefreshMatView(S, "mv2"), "55000"),
    ("refresh-populates", [T, CreateMatView(S, "mv", "t", ("id",), False), RefreshMatView(S, "mv")],
     SelectInto(S, "n", "mv", ("id",)), "ok"),
    ("refresh-a-table", [T], RefreshMatView(S, "t"), "0A000"),
    # V24z, A71: CONCURRENTLY needs data (0A000, before the index is looked at), then a unique index (55000)
    ("refresh-concurrently-missing", [T], RefreshMatView(S, "zz", True), "42P01"),
    ("refresh-concurrently-a-table", [T], RefreshMatView(S, "t", True), "0A000"),
    ("refresh-concurrently-unpopulated", [T, CreateMatView(S, "mv", "t", ("id",), False),
                                          CreateIndex(S, "mi", "mv", ("id",), True)],
     RefreshMatView(S, "mv", True), "0A000"),
    ("refresh-concurrently-unpopulated-no-index", [T, CreateMatView(S, "mv", "t", ("id",), False)],
     RefreshMatView(S, "mv", True), "0A000"),
    ("refresh-concurrently-no-index", [T, CreateMatView(S, "mv", "t", ("id",))], RefreshMatView(S, "mv", True),
     "55000"),
    ("refresh-concurrently-plain-index", [T, CreateMatView(S, "mv", "t", ("id",)), CreateIndex(S, "mi", "mv", ("id",))],
     RefreshMatView(S, "mv", True), "55000"),
    ("refresh-concurrently-unique-index-dropped", [T, CreateMatView(S, "mv", "t", ("id",)),
                                                   CreateIndex(S, "mi", "mv", ("id",), True), DropIndex(S, "mi")],
     RefreshMatView(S, "mv", True), "55000"),
    ("refresh-concurrently-keyed", [T, CreateMatView(S, "mv", "t", ("id", "note")),
                                    CreateIndex(S, "mi", "mv", ("note",)), CreateIndex(S, "mu", "mv", ("id",), True)],
     RefreshMatView(S, "mv", True), "ok"),
    ("refresh-concurrently-after-plain", [T, CreateMatView(S, "mv", "t", ("id",), False), RefreshMatView(S, "mv"),
                                          CreateIndex(S, "mu", "mv", ("id",), True)],
     RefreshMatView(S, "mv", True), "ok"),
    ("drop-table-under-a-matview", [T, CreateMatView(S, "mv", "t", ("id",))], DropTable(S, "t"), "2BP01"),
    ("drop-view-on-a-matview", [T, CreateMatView(S, "mv", "t", ("id",))], DropView(S, "mv"), "42809"),
    ("drop-matview-on-a-table", [T], DropMatView(S, "t"), "42809"),
    ("drop-matview-under-a-view", [T, CreateMatView(S, "mv", "t", ("id",)), CreateView(S, "v", "mv", ("id",))],
     DropMatView(S, "mv"), "2BP01"),
    ("index-on-matview-missing-column", [T, CreateMatView(S, "mv", "t", ("id",))],
     CreateIndex(S, "i", "mv", ("b",)), "42703"),
    ("grant-missing", [T], Quiet("GRANT", S, "zz"), "42P01"),
]


def _model(setup: list[Op], op: Op) -> str:
    st = initial_state((S,))
    for o in setup:
        st, exp = step(st, o)
        assert exp.kind == "ok", (o, exp)
    exp = step(st, op)[1]
    return "ok" if exp.kind == "ok" else exp.sqlstates[0] if len(exp.sqlstates) == 1 else "|".join(exp.sqlstates)


@pytest.mark.parametrize(("setup", "op", "outcome"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_model_predicts_postgresql(setup: list[Op], op: Op, outcome: str) -> None:
    """X4, V15, V24, V27: the model's answer (success or the exact SQLSTATE) for each case."""
    assert _model(setup, op) == outcome


@pytest.mark.server
def test_postgresql_agrees_with_every_case(pggit_conn: psycopg.Connection) -> None:
    """The same statements on a real PostgreSQL (with the reference installed): same success or SQLSTATE."""
    problems = []
    for case_id, setup, op, outcome in CASES:
        got = postgres_outcome(pggit_conn, [S], setup, op)
        if got != outcome:
            problems.append(f"{case_id}: PostgreSQL says {got}, the case says {outcome}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("text", [
    'CREATE MATERIALIZED VIEW IF NOT EXISTS "My S".mv AS SELECT a, "B" FROM "My S".t WITH NO DATA',
    "REFRESH MATERIALIZED VIEW s.mv", "REFRESH MATERIALIZED VIEW CONCURRENTLY s.mv",
    "DROP MATERIALIZED VIEW IF EXISTS s.mv", "SELECT a INTO s.n FROM s.t",
    "CREATE TABLE s.n (LIKE s.t)", "ALTER TABLE s.t ALTER COLUMN b ADD GENERATED BY DEFAULT AS IDENTITY",
    "ALTER TABLE s.t ALTER COLUMN b SET GENERATED ALWAYS", "ALTER TABLE s.t ALTER COLUMN b DROP IDENTITY IF EXISTS",
    "ALTER TABLE s.t ALTER COLUMN b RESTART WITH 10",
    "ALTER TABLE s.t ADD COLUMN i bigint GENERATED ALWAYS AS IDENTITY",
    "ALTER TABLE s.t ADD COLUMN g boolean GENERATED ALWAYS AS (a IS NOT NULL) STORED",
    "ALTER TABLE s.t ALTER COLUMN g DROP EXPRESSION",
    "ALTER TABLE s.t ADD CONSTRAINT ex EXCLUDE USING btree (a WITH =)",
    "ALTER TABLE s.t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES s.p (id) NOT VALID",
    "ALTER TABLE s.t VALIDATE CONSTRAINT f", "ANALYZE s.t", "GRANT SELECT ON s.t TO PUBLIC",
    "REVOKE SELECT ON TABLE s.t FROM PUBLIC"])
def test_parse_every_form(text: str) -> None:
    """Every §14.1 form parses into an op whose rendering parses back into the same op (storage parameters and
    SET STATISTICS are the cascades family's, tests/test_model_cascades.py)."""
    op = parse_one(text)
    assert parse_one(op.to_sql()) == op and type(op).__module__ == "pggit_model.ops.kinds"


def test_m9_a_matview_made_on_a_branch_merges_like_any_row() -> None:
    """M9: a MATERIALIZED_VIEW row created on a branch is merged into main like any row (M3)."""
    from pggit_model.ops import CheckoutBranch, CreateBranch, MergeBranches
    st, exps = run(T, CreateBranch("kinds/mv"), CheckoutBranch("kinds/mv"), CreateMatView(S, "mv", "t", ("id",)),
                   CheckoutBranch("main"))
    assert row(st, "MATERIALIZED_VIEW", "mv") is None
    st, exps = run(MergeBranches("kinds/mv", "main"), state=st)
    assert exps[-1].kind != "error" and row(st, "MATERIALIZED_VIEW", "mv") == (1, "1.0.0", True)


def test_kinds_statements_inside_a_hierarchy_are_unspecified() -> None:
    """§12, X13 (catalog_kinds_guard.guard_hierarchies): an identity column added to a partitioned table with partitions
    (PostgreSQL: 42P16), an identity on a partition, and a table with an identity column attached as a partition
    are not predicted; the same statements on a plain table are."""
    from pggit_model.ops import AttachPartition, Column, CreatePartition, CreatePartitioned
    m = CreatePartitioned(S, "m", (Column("k", "integer", not_null=True),), "RANGE", "k")
    st, _ = run(m, CreatePartition(S, "m_p0", "m", "RANGE", (0, 10)), T)
    assert step(st, AddIdentityColumn(S, "m", "ident", "smallint", False))[1].is_unspecified
    assert step(st, AddIdentity(S, "m_p0", "k"))[1].is_unspecified
    assert not step(st, AddIdentity(S, "t", "b"))[1].is_unspecified
    loose = CreateTable(S, "x", (Column("k", "integer", not_null=True),))
    st, _ = run(loose, AddIdentity(S, "x", "k"), state=st)
    assert step(st, AttachPartition(S, "m", "x", "RANGE", (10, 20)))[1].is_unspecified
    # cascades' statements too: DROP TABLE a, b naming a partition, REINDEX of a partitioned table (25001 in a block)
    from pggit_model.ops import DropTables, Reindex
    assert step(st, DropTables(S, ("m", "m_p0")))[1].is_unspecified
    assert step(st, Reindex("TABLE", S, "m"))[1].is_unspecified
    assert not step(st, Reindex("TABLE", S, "t"))[1].is_unspecified
    from pggit_model.ops import SetStorage
    assert step(st, SetStorage("TABLE", S, "m", 70))[1].is_unspecified  # (PostgreSQL: 22023 on a partitioned table)
    assert not step(st, SetStorage("TABLE", S, "t", 70))[1].is_unspecified
