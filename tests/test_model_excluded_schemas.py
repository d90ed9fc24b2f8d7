"""V1's excluded schemas that a user may create (`pggitx`, "pggit Archive"): the model owns them, their catalog follows
DDL, and no object in them ever gets a row (model/catalog_schemas.py, model/versions.py)."""

from __future__ import annotations

import pytest

from pggit_model.model.state import State
from pggit_model.ops import (
    AddColumn,
    AlterTable,
    CheckoutBranch,
    Column,
    CreateBranch,
    CreateFunction,
    CreateIndex,
    CreateMatView,
    CreateSchema,
    CreateTable,
    CreateView,
    DetectChangesByHash,
    DropSchema,
    DropTable,
    ExportSchemaHashes,
    GetHistory,
    GetVersion,
    MergeBranches,
    Op,
    RenameRelation,
    RenameSchema,
    SetSchema,
    SetSearchPath,
    UpdateAllHashes,
)
from tests.model_steps import run_in

S, X, Y = "app", "pggitx", "pggit Archive"


def run(*ops: Op, state: State | None = None) -> tuple[State, list]:
    return run_in(S, ops, state)


def _keys_in(st: State, schema: str) -> list[tuple]:
    return sorted(k for k in (*st.db.rows, *st.db.history) if k[1] == schema)


def _populated() -> tuple[Op, ...]:
    """pggitx with a table, an index, a view, a materialized view with an index and a function."""
    return (CreateSchema(X), CreateTable(X, "t", (Column("a", "integer"), Column("b", "text"))),
            CreateIndex(X, "ti", "t", ("a",)), CreateView(X, "v", "t", ("a",)),
            CreateMatView(X, "mv", "t", ("a",)), CreateIndex(X, "mvi", "mv", ("a",)),
            CreateFunction(X, "f", ("integer",)))


def test_v1_a_user_schema_named_pggit_star_follows_ddl_but_records_nothing() -> None:
    """V1, N3: CREATE SCHEMA pggitx and DDL in it (table, index, view, materialized view with an index, function,
    ALTER, rename) are predicted like in any schema, yet no object there gets a row or history; get_version and
    get_history of its objects find nothing (V17)."""
    st, exps = run(*_populated(), AlterTable(X, "t", (AddColumn(Column("c", "integer")),)),
                   RenameRelation("TABLE", X, "t", "t2"), CreateIndex(X, "t2c", "t2", ("c",)), SetSearchPath((S,)),
                   GetVersion(f"{X}.t2"), GetHistory(f"{X}.t2", 5), GetVersion(f"{X}.v"))
    assert [e.kind for e in exps[:-3]] == ["ok"] * (len(exps) - 3)
    assert [(e.kind, e.rows) for e in exps[-3:]] == [("rows", ())] * 3
    assert st.db.catalog.table(X, "t2") is not None and st.db.catalog.rel(X, "t") is None
    assert _keys_in(st, X) == []


def test_v1_n7_a_tracked_view_over_an_excluded_table_and_back() -> None:
    """V1, N7, V26a: a view in the tracked schema over pggitx.t gets its rows (CREATE, then DROP when DROP TABLE
    pggitx.t CASCADE takes it along); a view in pggitx over a tracked table gets none, and DROP TABLE … CASCADE of
    the tracked table records that table's drop only."""
    st, exps = run(*_populated(), CreateView(S, "over", "t", ("a",), source_schema=X),
                   CreateTable(S, "u", (Column("a", "integer"),)), CreateView(X, "back", "u", ("a",), source_schema=S),
                   DropTable(X, "t", cascade=True), DropTable(S, "u", cascade=True))
    assert [e.kind for e in exps] == ["ok"] * len(exps)
    assert [h.change_type for h in st.db.history[("VIEW", S, "over", "main")]] == ["CREATE", "DROP"]
    assert [h.change_type for h in st.db.history[("TABLE", S, "u", "main")]] == ["CREATE", "DROP"]
    assert st.db.catalog.rel(X, "back") is None and st.db.catalog.rel(S, "over") is None
    assert _keys_in(st, X) == []


def test_v1_n4_dropping_an_excluded_schema_drops_tracked_views_over_it() -> None:
    """V1, N4: DROP SCHEMA pggitx CASCADE records nothing for its members, and drops the tracked view reading its
    table (V13)."""
    st, exps = run(*_populated(), CreateView(S, "over", "t", ("b",), source_schema=X), DropSchema(X, cascade=True))
    assert exps[-1].kind == "ok" and X not in st.db.catalog.schemas
    assert [h.change_type for h in st.db.history[("VIEW", S, "over", "main")]] == ["CREATE", "DROP"]
    assert _keys_in(st, X) == []


def test_v1_branches_merges_and_hashes_see_nothing_of_an_excluded_schema() -> None:
    """V1, B2, M1, H5–H7: a branch copies no row of pggitx, DDL there on the branch records nothing, merging it back
    adds nothing; export_schema_hashes(pggitx) is empty and detect_changes_by_hash lists tracked objects only."""
    st, exps = run(CreateTable(S, "k", (Column("a", "integer"),)), *_populated(), CreateBranch("b"),
                   CheckoutBranch("b"), CreateTable(X, "n", (Column("a", "integer"),)), CheckoutBranch("main"),
                   MergeBranches("b", "main"), UpdateAllHashes(), ExportSchemaHashes(X), DetectChangesByHash())
    assert not [e for e in exps if e.kind in ("unspecified", "error")]
    assert exps[-4].value.success
    assert exps[-2].rows == ()
    assert [r[0] for r in exps[-1].rows] == [f"{S}.k"]
    assert _keys_in(st, X) == []


def test_v17_search_path_through_an_excluded_schema_finds_the_tracked_object() -> None:
    """V1, V17 step 2: with search_path (pggitx, app) and `t` in both, an unqualified get_version skips pggitx (no
    row there) and answers app.t's row."""
    _, exps = run(CreateTable(S, "t", (Column("a", "integer"),)), *_populated(), SetSearchPath((X, S)),
                  GetVersion("t"))
    assert [e.kind for e in exps[:-2]] == ["ok"] * (len(exps) - 2)
    assert exps[-1].rows == (("t", S, 1, "1.0.0"),)


@pytest.mark.parametrize("op", [
    SetSchema("TABLE", S, "k", X),  # into an excluded schema
    SetSchema("TABLE", X, "t", S),  # out of one
    SetSchema("FUNCTION", X, "f", S, ("integer",)),
    RenameSchema(X, "Sales2"),  # an excluded schema renamed into tracking
    RenameSchema("Sales", "pggity"),  # and a tracked one out of it
])
def test_v1_moves_across_the_line_are_outside(op: Op) -> None:
    """§14.8, B12: moves and schema renames between a tracked and an excluded schema were never decided: not
    predicted, so machines never draw them."""
    _, exps = run(CreateTable(S, "k", (Column("a", "integer"),)), CreateSchema("Sales"), *_populated(), op)
    assert exps[-1].kind == "unspecified"


def test_v1_moves_between_excluded_schemas_record_nothing() -> None:
    """V1, N5, N6: a move from pggitx into "pggit Archive", and that schema's rename to another excluded name, are
    predicted and record nothing."""
    st, exps = run(*_populated(), CreateSchema(Y), SetSchema("TABLE", X, "t", Y), SetSchema("VIEW", X, "v", Y),
                   RenameSchema(Y, "pggitz"))
    assert [e.kind for e in exps] == ["ok"] * len(exps)
    assert st.db.catalog.table("pggitz", "t") is not None and st.db.catalog.rel("pggitz", "v") is not None
    assert not any(k[1].startswith("pggit") for k in (*st.db.rows, *st.db.history))


@pytest.mark.parametrize("name", ["pggit_audit", "pggit_branches"])
def test_v1_pggit_own_schemas_stay_unowned(name: str) -> None:
    """V1, I5: `pggit_*` may be pgGit's own schemas (v0.2.1 creates pggit_audit, pggit_branches, …): creating one
    is not predicted."""
    _, exps = run(CreateSchema(name))
    assert exps[0].kind == "unspecified"


def test_i5_pggit_exists_and_holds_what_the_model_does_not_know() -> None:
    """I5, V1: `pggit` exists and holds pgGit's objects, as public does: DDL naming it is not predicted, never a
    3F000 (a near name of `pggitx`, one character less, is `pggit`)."""
    _, exps = run(CreateSchema("pggit"), CreateTable("pggit", "x t", (Column("a", "integer"),)),
                  DropTable("pggit", "x t", if_exists=True))
    assert [e.kind for e in exps] == ["unspecified"] * 3
