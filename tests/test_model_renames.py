"""The pure model of the second model's renames (R) and schemas (N): concrete examples through `step`, the
parser's round trips of every form, and what the model refuses to predict."""

from __future__ import annotations

import pytest

from pggit_model.model import initial_state, step
from pggit_model.model.state import State
from pggit_model.ops import (
    AddColumn,
    AlterTable,
    Column,
    CreateFunction,
    CreateIndex,
    CreateMatView,
    CreateSchema,
    CreateTable,
    CreateView,
    DropColumn,
    DropSchema,
    DropTable,
    ForeignKey,
    GetHistory,
    GetVersion,
    Op,
    PrimaryKey,
    RefreshMatView,
    RenameColumn,
    RenameConstraint,
    RenameFunction,
    RenameRelation,
    RenameSchema,
    SetSchema,
    SetSearchPath,
    Unique,
)
from pggit_model.parse import parse_one
from tests.model_steps import run_in

S = "app"


def run(*ops: Op, state: State | None = None) -> tuple[State, list]:
    return run_in(S, ops, state)


def row(st: State, kind: str, schema: str, name: str) -> tuple | None:
    r = st.db.rows.get((kind, schema, name, "main"))
    return None if r is None else (r.version, f"{r.major}.{r.minor}.{r.patch}", r.active)


def hist(st: State, kind: str, schema: str, name: str) -> list[tuple]:
    return [tuple(h) for h in st.db.history.get((kind, schema, name, "main"), ())]


def test_the_contract_example_r1_r2() -> None:
    """R1, R2: §14.2's example through the model — versions continue under the new key, one RENAME row per key,
    get_version / get_history answer per key."""
    st, exps = run(SetSearchPath((S,)),
                   CreateTable(S, "t", (Column("id", "integer"), Column("c", "integer")), (PrimaryKey(("id",)),)),
                   AlterTable(S, "t", (AddColumn(Column("d", "text")),)),
                   RenameRelation("TABLE", S, "t", "u"), RenameColumn("TABLE", S, "u", "c", "c2"),
                   RenameRelation("INDEX", S, "t_pkey", "u_pkey"),
                   GetVersion("app.t"), GetVersion("app.u"), GetHistory("app.t", 10), GetHistory("app.u", 10))
    assert [e.kind for e in exps[:6]] == ["ok"] * 6
    assert exps[6].rows == () and exps[7].rows == (("u", S, 5, "3.0.1"),)
    assert exps[8].rows == ((None, "RENAME"), (2, "ALTER"), (1, "CREATE"))
    assert exps[9].rows == ((5, "ALTER"), (4, "ALTER"), (3, "RENAME"))
    assert hist(st, "INDEX", S, "u_pkey") == [("RENAME", "PATCH", 1, 2)]
    assert row(st, "COLUMN", S, "u.c2") == (1, "1.0.0", True)


def test_r3d_constraint_rename_is_patch_not_a_new_constraint() -> None:
    """R3d: the table records ALTER PATCH (comparing structures alone would see a constraint added: MAJOR)."""
    st, _ = run(CreateTable(S, "t", (Column("id", "integer"),), (Unique("k", ("id",)),)),
                RenameConstraint(S, "t", "k", "k2"))
    assert hist(st, "TABLE", S, "t")[-1] == ("ALTER", "PATCH", 1, 2)
    assert row(st, "INDEX", S, "k2") == (2, "1.0.1", True)


def test_r4_and_rejections() -> None:
    """R4: a rename to its own name is rejected (42P07, 42701, 42723) citing R4; a taken name is X4."""
    _, exps = run(CreateTable(S, "t", (Column("id", "integer"),)), CreateTable(S, "t2", ()),
                   CreateFunction(S, "f", ("integer",)),
                   RenameRelation("TABLE", S, "t", "t"), RenameColumn("TABLE", S, "t", "id", "id"),
                   RenameFunction(S, "f", ("integer",), "f"), RenameRelation("TABLE", S, "t", "t2"),
                   RenameRelation("VIEW", S, "t", "v"))
    assert [(e.sqlstates, e.rules[0]) for e in exps[3:]] == [
        (("42P07",), "R4"), (("42701",), "R4"), (("42723",), "R4"), (("42P07",), "X4"), (("42809",), "X4")]


def test_r6_foreign_keys_and_views_follow_by_identity() -> None:
    """R6: after a rename, a view's source and another table's foreign key name the new table, in the catalog
    and in what their rows recorded; neither records anything."""
    st, _ = run(CreateTable(S, "p", (Column("id", "integer"),), (PrimaryKey(("id",)),)),
                CreateTable(S, "c", (Column("pid", "integer"),), (ForeignKey("fk", ("pid",), S, "p", ("id",)),)),
                CreateView(S, "v", "p", ("id",)), RenameRelation("TABLE", S, "p", "q"))
    cat = st.db.catalog
    assert cat.rel(S, "v").source == "q"
    assert cat.table(S, "c").con("fk").ref == (S, "q", ("id",))
    assert st.db.rows[("TABLE", S, "c", "main")].recorded[1] == frozenset(cat.table(S, "c").constraints)
    assert hist(st, "VIEW", S, "v") == [("CREATE", "MINOR", None, 1)]
    st, _ = run(CreateView(S, "v", "q", ("id",), or_replace=True), state=st)
    assert hist(st, "VIEW", S, "v") == [("CREATE", "MINOR", None, 1)]  # V12: the same definition by identity


def test_n4_n5_n6_schemas() -> None:
    """N5a: SET SCHEMA moves the table, its columns and indexes; N6: a schema rename rekeys every member; N4: DROP
    SCHEMA without CASCADE is refused (2BP01), with CASCADE drops every member."""
    st, exps = run(CreateSchema("My Schema"),
                   CreateTable(S, "t", (Column("id", "integer"),), (PrimaryKey(("id",)),)),
                   CreateIndex(S, "i", "t", ("id",)), SetSchema("TABLE", S, "t", "My Schema"),
                   RenameSchema("My Schema", "Sales"), DropSchema("Sales"), DropSchema("Sales", cascade=True))
    assert exps[5].sqlstates == ("2BP01",)
    for kind, name in (("TABLE", "t"), ("COLUMN", "t.id"), ("INDEX", "t_pkey"), ("INDEX", "i")):
        assert hist(st, kind, "My Schema", name)[0][0] == "RENAME"
        assert [h[0] for h in hist(st, kind, "Sales", name)] == ["RENAME", "DROP"]
    assert "Sales" not in st.db.catalog.schemas


def test_n5e_set_schema_into_its_own_schema_records_nothing() -> None:
    """N5e: a move into the object's own schema is accepted and records nothing."""
    st, exps = run(CreateTable(S, "t", ()), SetSchema("TABLE", S, "t", S))
    assert exps[1].kind == "ok" and hist(st, "TABLE", S, "t") == [("CREATE", "MINOR", None, 1)]


def test_moves_the_model_cannot_follow_are_unspecified() -> None:
    """§14.8 / model limits: a move into public (I5) is not predicted, nor a view reading a schema the model does
    not own (public's demo objects, I5), so machines never draw them."""
    _, exps = run(CreateTable(S, "t", (Column("a", "integer"),)), SetSchema("TABLE", S, "t", "public"),
                   CreateView(S, "v", "t", ("a",), source_schema="public"))
    assert [e.kind for e in exps[1:]] == ["unspecified", "unspecified"]


def test_n4_n7_v26a_drop_walks_views_across_schemas() -> None:
    """N7, V26a, N5a: after a table moved away from a view over it, DROP TABLE there walks the dependency across
    schemas: refused without CASCADE (2BP01, nothing recorded), and with CASCADE the view in the other schema is
    dropped (V13) with the table."""
    st, exps = run(CreateTable(S, "t", (Column("a", "integer"),)), CreateSchema("s2"), CreateView(S, "v", "t", ("a",)),
                   SetSchema("TABLE", S, "t", "s2"), DropTable("s2", "t"), DropTable("s2", "t", cascade=True))
    assert [e.kind for e in exps[:4]] == ["ok"] * 4 and exps[4].sqlstates == ("2BP01",)
    assert exps[5].kind == "ok"
    assert hist(st, "VIEW", S, "v") == [("CREATE", "MINOR", None, 1), ("DROP", "MAJOR", 1, None)]
    assert st.db.catalog.rel(S, "v") is None and row(st, "TABLE", "s2", "t")[2] is False


def _across() -> tuple[Op, ...]:
    """s1.t (a, b), and in s2 a view, a view over that view and a materialized view with an index, all reading s1.t
    directly (N7: created so, not moved)."""
    return (CreateSchema("s1"), CreateSchema("s2"),
            CreateTable("s1", "t", (Column("a", "integer"), Column("b", "text"))),
            CreateView("s2", "v", "t", ("a",), source_schema="s1"), CreateView("s2", "w", "v", ("a",)),
            CreateMatView("s2", "mv", "t", ("a", "b"), source_schema="s1"), CreateIndex("s2", "mvi", "mv", ("a",)))


def test_n7_a_view_created_over_another_schema_reads_it_by_identity() -> None:
    """N7, R6, V12, V23: views created in s2 over s1.t record nothing when t is renamed, moved (into s2 too) or its
    schema renamed; a CREATE OR REPLACE of the same query over the new key records nothing (by identity the
    definition is unchanged), one over another relation is a change (MINOR)."""
    st, exps = run(*_across(), RenameRelation("TABLE", "s1", "t", "u"), RenameSchema("s1", "s3"),
                   SetSchema("TABLE", "s3", "u", "s2"), SetSchema("TABLE", "s2", "u", "s3"),
                   CreateView("s2", "v", "u", ("a",), or_replace=True, source_schema="s3"))
    assert all(e.kind == "ok" for e in exps), exps
    cat = st.db.catalog
    assert (cat.rel("s2", "v").source_schema, cat.rel("s2", "v").source) == ("s3", "u")
    assert (cat.rel("s2", "mv").source_schema, cat.rel("s2", "w").source_schema) == ("s3", None)
    for kind, name in (("VIEW", "v"), ("VIEW", "w")):
        assert hist(st, kind, "s2", name) == [("CREATE", "MINOR", None, 1)], name
    assert hist(st, "MATERIALIZED_VIEW", "s2", "mv") == [("CREATE", "MINOR", None, 1), ("ALTER", "PATCH", 1, 2)]
    assert st.db.rows[("VIEW", "s2", "v", "main")].recorded == ("VIEW", "s3", "u", ("a",))
    st, exps = run(CreateTable("s2", "u", (Column("a", "integer"),)),
                   CreateView("s2", "v", "u", ("a",), or_replace=True), state=st)
    assert exps[1].kind == "ok" and hist(st, "VIEW", "s2", "v")[-1] == ("ALTER", "MINOR", 1, 2)


@pytest.mark.parametrize("last, sqlstate", [
    (DropTable("s1", "t"), "2BP01"),
    (AlterTable("s1", "t", (DropColumn("a"),)), "2BP01"),
    (RenameColumn("TABLE", "s1", "t", "b", "b2"), "unspecified"),  # A20: the materialized view reads b
])
def test_n7_v15_refusals_across_schemas(last: Op, sqlstate: str) -> None:
    """V15, V26: without CASCADE, dropping s1.t or a column views in s2 read is refused (2BP01) and records
    nothing; a rename of a column a view elsewhere reads stays unspecified, as in its own schema (A20)."""
    _, exps = run(*_across(), last)
    assert all(e.kind == "ok" for e in exps[:-1]), exps
    assert (exps[-1].kind if sqlstate == "unspecified" else exps[-1].sqlstates) == (
        sqlstate if sqlstate == "unspecified" else (sqlstate,))


def test_n7_v26a_v26b_cascades_drop_views_in_another_schema() -> None:
    """V26a, V26b, V24ab, N7: DROP COLUMN … CASCADE of s1.t.b drops only the materialized view in s2 that reads b
    (with its index); DROP TABLE … CASCADE then drops the view in s2 and the view over it: each its own DROP row."""
    st, exps = run(*_across(), AlterTable("s1", "t", (DropColumn("b", cascade=True),)))
    assert all(e.kind == "ok" for e in exps), exps
    assert [k for k in ("mv", "mvi", "v", "w") if st.db.catalog.rel("s2", k) is None] == ["mv", "mvi"]
    assert hist(st, "INDEX", "s2", "mvi")[-1] == ("DROP", "MAJOR", 1, None)
    assert hist(st, "TABLE", "s1", "t")[-1] == ("ALTER", "MAJOR", 1, 2)
    st, exps = run(DropTable("s1", "t", cascade=True), state=st)
    assert exps[0].kind == "ok"
    for name in ("v", "w"):
        assert hist(st, "VIEW", "s2", name) == [("CREATE", "MINOR", None, 1), ("DROP", "MAJOR", 1, None)]


def test_n4_dropping_the_source_schema_drops_views_reading_it_from_elsewhere() -> None:
    """N4: DROP SCHEMA s1 CASCADE drops the views and the materialized view in s2 that read s1.t (created there
    directly), with the materialized view's index."""
    st, exps = run(*_across(), DropSchema("s1", cascade=True))
    assert all(e.kind == "ok" for e in exps), exps
    assert not [k for k in st.db.catalog.relations if k[0] == "s2"]
    assert hist(st, "MATERIALIZED_VIEW", "s2", "mv")[-1] == ("DROP", "MAJOR", 2, None)


def test_n5a_r6_a_view_follows_its_source_into_another_schema() -> None:
    """N5a, R6, V23: a table moved away from a view over it records nothing on the view (its structure names the
    source by identity: pg_get_viewdef renders `FROM s2.t`, pinned), a same-definition CREATE OR REPLACE reading
    s2.t from there is impossible, so the view's recorded structure is what follows: renaming the table there and
    moving it back keep the view unchanged; moved back, DROP TABLE is predicted again (2BP01)."""
    st, exps = run(CreateTable(S, "t", (Column("a", "integer"),)), CreateSchema("s2"), CreateView(S, "v", "t", ("a",)),
                   SetSchema("TABLE", S, "t", "s2"), RenameRelation("TABLE", "s2", "t", "u"))
    assert all(e.kind == "ok" for e in exps), exps
    v = st.db.catalog.rel(S, "v")
    assert (v.source_schema, v.source) == ("s2", "u")
    assert hist(st, "VIEW", S, "v") == [("CREATE", "MINOR", None, 1)]
    assert st.db.rows[("VIEW", S, "v", "main")].recorded == ("VIEW", "s2", "u", ("a",))
    st, exps = run(SetSchema("TABLE", "s2", "u", S), DropTable(S, "u"), state=st)
    assert exps[0].kind == "ok" and st.db.catalog.rel(S, "v").source_schema is None
    assert exps[1].sqlstates == ("2BP01",)
    st, exps = run(CreateView(S, "v", "u", ("a",), or_replace=True), state=st)
    assert hist(st, "VIEW", S, "v") == [("CREATE", "MINOR", None, 1)]  # V12: the same definition by identity


def test_n5b_a_moved_view_keeps_reading_its_source() -> None:
    """N5b: ALTER VIEW v SET SCHEMA s2 is a key change VIEW (MAJOR); the view still reads app.t (R6), and a view
    over it follows it to s2."""
    st, exps = run(CreateTable(S, "t", (Column("a", "integer"),)), CreateSchema("s2"), CreateView(S, "v", "t", ("a",)),
                   CreateView(S, "w", "v", ("a",)), SetSchema("VIEW", S, "v", "s2"))
    assert all(e.kind == "ok" for e in exps), exps
    assert hist(st, "VIEW", S, "v")[-1] == ("RENAME", "MAJOR", 1, None)
    assert row(st, "VIEW", "s2", "v") == (2, "2.0.0", True)
    cat = st.db.catalog
    assert (cat.rel("s2", "v").source_schema, cat.rel(S, "w").source_schema) == (S, "s2")
    assert row(st, "VIEW", S, "w") == (1, "1.0.0", True)


def test_n6_a_schema_with_a_materialized_view_and_views_reading_across() -> None:
    """N6: renaming a schema changes the keys of its MATERIALIZED_VIEW (MAJOR) and its INDEX rows (PATCH) too;
    views elsewhere reading from it, and its own views reading elsewhere, keep their sources by identity (R6)."""
    st, exps = run(*MV, CreateSchema("s2"), CreateTable("s2", "x", (Column("k", "integer"),)),
                   CreateView("s2", "xv", "x", ("k",)), SetSchema("VIEW", "s2", "xv", S),
                   SetSchema("MATERIALIZED VIEW", S, "mv", "s2"), SetSchema("TABLE", "s2", "mv", S),
                   SetSchema("MATERIALIZED VIEW", S, "mv", "s2"), RenameSchema("s2", "s3"))
    assert all(e.kind == "ok" for e in exps), exps
    assert hist(st, "MATERIALIZED_VIEW", "s2", "mv")[-1] == ("RENAME", "MAJOR", 5, None)
    assert row(st, "MATERIALIZED_VIEW", "s3", "mv") == (6, "5.0.0", True)
    assert hist(st, "INDEX", "s3", "mvi") == [("RENAME", "PATCH", 4, 5)]
    assert row(st, "TABLE", "s3", "x") is not None and row(st, "TABLE", "s2", "x")[2] is False
    cat = st.db.catalog
    assert (cat.rel("s3", "mv").source_schema, cat.rel(S, "xv").source_schema) == (S, "s3")
    assert row(st, "VIEW", S, "xv") == (2, "2.0.0", True)


@pytest.mark.parametrize("text, op", [
    ('ALTER TABLE "My Schema"."t" RENAME TO "u"', RenameRelation("TABLE", "My Schema", "t", "u")),
    ("ALTER TABLE IF EXISTS app.t RENAME c TO d", RenameColumn("TABLE", S, "t", "c", "d", True)),
    ("ALTER TABLE app.t RENAME COLUMN c TO d", RenameColumn("TABLE", S, "t", "c", "d")),
    ("ALTER TABLE app.t RENAME CONSTRAINT k TO k2", RenameConstraint(S, "t", "k", "k2")),
    ("ALTER INDEX app.i RENAME TO j", RenameRelation("INDEX", S, "i", "j")),
    ("ALTER VIEW app.v RENAME TO w", RenameRelation("VIEW", S, "v", "w")),
    ("ALTER ROUTINE app.f(int, text) RENAME TO g", RenameFunction(S, "f", ("integer", "text"), "g")),
    ('ALTER FUNCTION app.f() SET SCHEMA "a""b"', SetSchema("FUNCTION", S, "f", 'a"b')),
    ("ALTER TABLE app.t SET SCHEMA s2", SetSchema("TABLE", S, "t", "s2")),
    ('CREATE SCHEMA IF NOT EXISTS "select"', CreateSchema("select", True)),
    ("DROP SCHEMA IF EXISTS s2 CASCADE", DropSchema("s2", True, True)),
    ("ALTER SCHEMA s2 RENAME TO s3", RenameSchema("s2", "s3")),
    ("ALTER MATERIALIZED VIEW IF EXISTS app.mv RENAME TO m3", RenameRelation("MATERIALIZED VIEW", S, "mv", "m3", True)),
    ("ALTER MATERIALIZED VIEW app.mv RENAME COLUMN v TO w", RenameColumn("MATERIALIZED VIEW", S, "mv", "v", "w")),
    ('ALTER MATERIALIZED VIEW app.mv SET SCHEMA "Other S"', SetSchema("MATERIALIZED VIEW", S, "mv", "Other S")),
    ('CREATE OR REPLACE VIEW "Other S".v AS SELECT a FROM app.t',
     CreateView("Other S", "v", "t", ("a",), True, source_schema=S)),
    ("CREATE VIEW app.v AS SELECT a FROM app.t", CreateView(S, "v", "t", ("a",))),  # (its own schema: None)
    ('CREATE MATERIALIZED VIEW s2.mv AS SELECT a, "b c" FROM app.t WITH NO DATA',
     CreateMatView("s2", "mv", "t", ("a", "b c"), False, source_schema=S)),
])
def test_parse_every_form(text: str, op: Op) -> None:
    """Every §14.2/§14.3 form of the vocabulary parses to its op (R3, N3–N7: views read other schemas too), and the
    op renders back to SQL that parses to itself."""
    assert parse_one(text) == op
    assert parse_one(op.to_sql()) == op


def test_v18_history_of_a_name_two_kinds_held_is_unspecified() -> None:
    """V18 after R1: a name an index was renamed away from and a table then held and dropped names the past of
    two objects of different kinds; which one a lookup returns is outside both models (§12, §14.8), so the model
    leaves it unspecified instead of choosing (a ci smoke run in a fresh clone reported the choice as V18)."""
    from pggit_model.ops import Column, CreateTable, DropTable, GetHistory, PrimaryKey, RenameRelation
    s = "app"
    state = initial_state(schemas=(s,), search_path=(s,))  # as the machine sets it
    for op in (CreateTable(s, "Keyed", (Column("id", "integer"),), (PrimaryKey(("id",)),)),
               RenameRelation("INDEX", s, "Keyed_pkey", "Keyed_pkey_renamed"),
               CreateTable(s, "Keyed_pkey", ()), DropTable(s, "Keyed_pkey")):
        state, exp = step(state, op)
        assert exp.kind == "ok", (op, exp)
    _, exp = step(state, GetHistory(f"{s}.Keyed_pkey", 5))
    assert exp.kind == "unspecified" and "V18" in exp.rules
    _, exp = step(state, GetHistory(f"{s}.Keyed_pkey_renamed", 5))
    assert exp.kind == "rows"


def test_v17_a_name_two_active_rows_of_different_kinds_hold_is_unspecified() -> None:
    """V17 after M7 and R3c: a conflicting merge keeps main's row of table t while the shared catalog (B9) holds the
    source's rename of t to u, so t's TABLE row stays active; an index renamed to t then makes two active rows of
    different kinds named t. V17 speaks of *the* row: the model leaves the answer unspecified (§12, a name reused
    for another kind) instead of picking by set order, which named the index in one process and the table in
    another (a ci smoke run of the renames machine reported the pick as V17)."""
    from pggit_model.ops import CheckoutBranch, CommentOnTable, CreateBranch, MergeBranches
    ops: list[Op] = [CreateTable(S, "t", (Column("id", "integer"),)), CreateIndex(S, "i", "t", ("id",)),
                     CreateBranch("r1/s"), CommentOnTable(S, "t", "x"), CheckoutBranch("r1/s"),
                     RenameRelation("TABLE", S, "t", "u"), CheckoutBranch("main"), MergeBranches("r1/s", "main"),
                     RenameRelation("INDEX", S, "i", "t")]
    st, exps = run(*ops)
    assert all(e.kind != "error" for e in exps), exps
    assert row(st, "TABLE", S, "t")[2] and row(st, "INDEX", S, "t")[2]  # both active on main
    _, exp = step(st, GetVersion(f"{S}.t"))
    assert exp.kind == "unspecified" and "V17" in exp.rules, exp
    _, exp = step(st, GetVersion(f"{S}.u"))  # one active row: specified
    assert exp.kind == "rows", exp


def test_m7_the_contract_example_merges_per_key() -> None:
    """M7: §14.5's example — MERGE_SUCCESS with t and t.id inactive and u, u.id active on main; with COMMENT ON t
    on main first, t is the one conflict, main keeps its t, and u still merges."""
    from pggit_model.ops import CheckoutBranch, CommentOnTable, CreateBranch, MergeBranches
    for comment_first in (False, True):
        ops: list[Op] = [CreateTable(S, "t", (Column("id", "integer"),)), CreateBranch("r1/s")]
        if comment_first:
            ops.append(CommentOnTable(S, "t", "x"))
        ops += [CheckoutBranch("r1/s"), RenameRelation("TABLE", S, "t", "u"), CheckoutBranch("main"),
                MergeBranches("r1/s", "main")]
        st, exps = run(*ops)
        assert all(e.kind != "error" for e in exps), exps
        assert row(st, "TABLE", S, "u") == (2, "2.0.0", True) and row(st, "COLUMN", S, "u.id") == (1, "1.0.0", True)
        assert row(st, "TABLE", S, "t") == ((2, "1.0.1", True) if comment_first else (1, "1.0.0", False))
        assert len(st.db.conflicts) == (1 if comment_first else 0)


def test_r7_a_key_change_touches_only_rows_on_the_current_branch() -> None:
    """R7 (B8): a table renamed on branch b leaves main's rows of the old key active and unchanged."""
    from pggit_model.ops import CheckoutBranch, CreateBranch
    st, _ = run(CreateTable(S, "t", (Column("id", "integer"),)), CreateBranch("b"), CheckoutBranch("b"),
                RenameRelation("TABLE", S, "t", "u"))
    assert row(st, "TABLE", S, "t") == (1, "1.0.0", True) and st.db.rows.get(("TABLE", S, "u", "main")) is None
    assert st.db.rows[("TABLE", S, "t", "b")].active is False and st.db.rows[("TABLE", S, "u", "b")].active


def test_m8_a_name_another_branch_changed_can_be_neither_renamed_nor_dropped_here() -> None:
    """M8 (B9, B12): once branch b renamed t to u, the shared catalog knows only u: main's RENAME or DROP of t is
    PostgreSQL's "does not exist", and of u (no active row on main) what B9 forbids, so two branches never give one
    object two new names and per-key merging never chooses between renames."""
    from pggit_model.ops import CheckoutBranch, CreateBranch
    st, _ = run(CreateTable(S, "t", (Column("id", "integer"),)), CreateBranch("b"), CheckoutBranch("b"),
                RenameRelation("TABLE", S, "t", "u"), CheckoutBranch("main"))
    for op in (RenameRelation("TABLE", S, "t", "w"), DropTable(S, "t")):
        _, exp = step(st, op)
        assert exp.kind == "error" and "does not exist" in exp.why, (op, exp)
    for op in (RenameRelation("TABLE", S, "u", "w"), DropTable(S, "u")):
        _, exp = step(st, op)
        assert exp.kind == "unspecified" and "B9" in exp.rules, (op, exp)


def test_h10_hashes_find_objects_by_their_new_key() -> None:
    """H10a, H10d: after a rename compute_ddl_hash of the old key is NULL and the new key has a hash; a view over
    the renamed table is reported changed by detect_changes_by_hash though it records nothing (R6)."""
    from pggit_model.ops import ComputeDdlHash, DetectChangesByHash, UpdateAllHashes
    _, exps = run(CreateTable(S, "t", (Column("id", "integer"),)), CreateView(S, "v", "t", ("id",)),
                   UpdateAllHashes(), RenameRelation("TABLE", S, "t", "u"), ComputeDdlHash("TABLE", S, "t"),
                   ComputeDdlHash("TABLE", S, "u"), DetectChangesByHash())
    assert exps[4].value is None and exps[5].value is not None
    changed = {r[0]: r[4] for r in exps[6].rows}
    assert changed.get(f"{S}.v") is True


MV = [CreateTable(S, "t", (Column("k", "integer"), Column("v", "text"))), CreateMatView(S, "mv", "t", ("k", "v")),
      CreateIndex(S, "mvi", "mv", ("k",))]


def test_r3f_materialized_view_rename() -> None:
    """R3f: RENAME TO (under ALTER MATERIALIZED VIEW, TABLE or INDEX) changes the MATERIALIZED_VIEW key, MAJOR;
    its index keeps its key and names the view by its new name; a view over it follows (R6)."""
    st, exps = run(*MV, CreateView(S, "vv", "mv", ("k",)), RenameRelation("MATERIALIZED VIEW", S, "mv", "m3"),
                   RenameRelation("TABLE", S, "m3", "m4"), RenameRelation("INDEX", S, "m4", "m5"))
    assert all(e.kind == "ok" for e in exps), exps
    assert hist(st, "MATERIALIZED_VIEW", S, "mv")[-1] == ("RENAME", "MAJOR", 2, None)
    assert row(st, "MATERIALIZED_VIEW", S, "m5") == (5, "4.0.0", True)
    assert row(st, "INDEX", S, "mvi") == (1, "1.0.0", True)
    assert st.db.catalog.rel(S, "mvi").table == "m5" and st.db.catalog.rel(S, "vv").source == "m5"
    assert row(st, "VIEW", S, "vv") == (1, "1.0.0", True)


def test_r3h_r3c_materialized_view_column_and_index_renames() -> None:
    """R3h: RENAME COLUMN of a materialized view changes no key and records ALTER MAJOR on it (its index follows
    the column); R3c: renaming its index is a key change INDEX i→j and an ALTER PATCH of the view."""
    st, exps = run(*MV, RenameColumn("MATERIALIZED VIEW", S, "mv", "k", "w"), RenameRelation("INDEX", S, "mvi", "mvj"))
    assert all(e.kind == "ok" for e in exps), exps
    assert hist(st, "MATERIALIZED_VIEW", S, "mv")[-2:] == [("ALTER", "MAJOR", 2, 3), ("ALTER", "PATCH", 3, 4)]
    assert st.db.catalog.rel(S, "mvj").columns == ("w",)
    assert hist(st, "INDEX", S, "mvj") == [("RENAME", "PATCH", 1, 2)]
    _, e = step(st, AlterTable(S, "t", (DropColumn("k"),)))  # it still reads t.k (2BP01, pinned in the reference)
    assert e.kind == "error" and e.sqlstates == ("2BP01",)


def test_n5c_materialized_view_move_and_what_it_reads_from_afar() -> None:
    """N5c, N7: SET SCHEMA moves the MATERIALIZED_VIEW row and its INDEX rows (key changes); REFRESH there works; DROP
    of the table it still reads is refused from afar (2BP01, the dependency crosses schemas), and so moved back."""
    st, exps = run(*MV, CreateSchema("s2"), SetSchema("MATERIALIZED VIEW", S, "mv", "s2"), RefreshMatView("s2", "mv"))
    assert all(e.kind == "ok" for e in exps), exps
    assert hist(st, "MATERIALIZED_VIEW", S, "mv")[-1] == ("RENAME", "MAJOR", 2, None)
    assert row(st, "MATERIALIZED_VIEW", "s2", "mv") == (3, "2.0.0", True)
    assert row(st, "INDEX", "s2", "mvi") == (2, "1.0.1", True)
    _, e = step(st, DropTable(S, "t"))
    assert e.kind == "error" and e.sqlstates == ("2BP01",)
    st, exps = run(SetSchema("TABLE", "s2", "mv", S), DropTable(S, "t"), state=st)
    assert [x.kind for x in exps] == ["ok", "error"] and exps[1].sqlstates == ("2BP01",)


def test_materialized_view_rename_rejections() -> None:
    """R4, X4: PostgreSQL 15's SQLSTATEs (pinned in tests/test_reference_renames.py's agreement test): the wrong
    keyword 42809, a taken name 42P07, a missing column 42703, a taken column 42701."""
    st, _ = run(*MV)
    for op, code in [(RenameRelation("VIEW", S, "mv", "x"), "42809"),
                     (RenameRelation("MATERIALIZED VIEW", S, "t", "x"), "42809"),
                     (RenameRelation("MATERIALIZED VIEW", S, "mvi", "x"), "42809"),
                     (RenameRelation("MATERIALIZED VIEW", S, "mv", "t"), "42P07"),
                     (RenameColumn("MATERIALIZED VIEW", S, "mv", "zz", "y"), "42703"),
                     (RenameColumn("MATERIALIZED VIEW", S, "mv", "k", "v"), "42701"),
                     (SetSchema("VIEW", S, "mv", S), "42809")]:
        _, e = step(st, op)
        assert e.kind == "error" and e.sqlstates == (code,), (op, e)


def test_n5_a_move_whose_array_type_may_clash_is_unspecified() -> None:
    """N5a and PostgreSQL's array types: moving a table whose name fills 62+ bytes (its array type `_name` is cut to
    63 bytes and may equal another's, 42710 in the target, found by a ci run), or whose array or row type name a
    relation of the target holds, is not predicted (each is 42710 on PostgreSQL 15, checked by hand: the model
    does not track array types); a plain move is."""
    long62, long63 = "abcdefgh" * 7 + "abcdef", "abcdefgh" * 7 + "abcdefg"
    st, exps = run(CreateSchema("s2"), CreateTable("s2", long63, ()), CreateTable(S, long62, ()),
                   CreateTable(S, "t", ()), CreateTable("s2", "_t", ()), CreateTable(S, "u", ()))
    assert [e.kind for e in exps] == ["ok"] * 6
    for op in (SetSchema("TABLE", S, long62, "s2"), SetSchema("TABLE", S, "t", "s2"),
               SetSchema("TABLE", "s2", "_t", S)):
        assert step(st, op)[1].kind == "unspecified", op
    assert step(st, SetSchema("TABLE", S, "u", "s2"))[1].kind == "ok"



def test_n4_r6_what_depends_across_schemas() -> None:
    """N4, R6: after a table moved away from a view and a materialized view over it, DDL no view depends on is
    predicted, DROP TABLE of it is refused (2BP01: the views depend on it across schemas, N7), and DROP SCHEMA …
    CASCADE of its new schema drops the view, the materialized view with its index, and a view over the view (A31)."""
    st, exps = run(*MV, CreateView(S, "v", "t", ("k",)), CreateView(S, "w", "v", ("k",)), CreateSchema("s2"),
                   SetSchema("TABLE", S, "t", "s2"), AlterTable("s2", "t", (AddColumn(Column("z", "integer")),)),
                   DropTable("s2", "t"), DropSchema("s2"), DropSchema("s2", cascade=True))
    assert [e.kind for e in exps[6:]] == ["ok", "ok", "error", "error", "ok"], exps
    assert exps[8].sqlstates == ("2BP01",)
    for kind, name in (("VIEW", "v"), ("VIEW", "w"), ("MATERIALIZED_VIEW", "mv"), ("INDEX", "mvi")):
        assert hist(st, kind, S, name)[-1][0] == "DROP", (kind, name)
        assert st.db.catalog.rel(S, name) is None


def test_r1_b9_a_table_keeps_its_recorded_shape_across_renames_so_a_column_only_c_records_moves_each_time() -> None:
    """R1, R3a, B9: a column dropped on another branch (the shared catalog) still has its active row on c; renaming
    the table on c moves it (through the shape c recorded), and renaming it back moves it again, though the shape
    recorded under the new key is the catalog's (which no longer names the column): every active COLUMN row of the
    table on c moves. Found by the branches/commits machine's smoke run (the model left t1.id behind on the second
    rename; the reference moved it)."""
    from pggit_model.ops import CheckoutBranch, CreateBranch
    st, _ = run(CreateTable(S, "t1", [Column("id", "integer")]), CreateBranch("b1", "main"), CheckoutBranch("b1"),
                AlterTable(S, "t1", (DropColumn("id"),)), CheckoutBranch("main"),
                RenameRelation("TABLE", S, "t1", "t1_r"))
    assert row(st, "COLUMN", S, "t1_r.id") == (1, "1.0.0", True) and row(st, "COLUMN", S, "t1.id")[2] is False
    st, _ = run(RenameRelation("TABLE", S, "t1_r", "t1"), state=st)
    assert row(st, "COLUMN", S, "t1.id") == (1, "1.0.0", True) and row(st, "COLUMN", S, "t1_r.id")[2] is False



def test_r3g_r6_v12_a_view_calling_a_renamed_function_keeps_its_structure_by_identity() -> None:
    """R3g, N5d, R6, V23, V12: a view calling a function follows the function's rename and move by identity — it
    records nothing, and CREATE OR REPLACE with the same query (naming the function's new key) records nothing
    either, on every branch that recorded the view; the old name is refused (42883), another function's call is a
    change (ALTER MINOR). A rename there and back around an unrelated rename leaves the view as it was."""
    from pggit_model.ops import CheckoutBranch, CreateBranch, CreateCallingView
    fn, view = CreateFunction(S, "f", (), 1), CreateCallingView(S, "v", S, "f")
    st, exps = run(fn, CreateFunction(S, "h", (), 2), view, CreateBranch("b", "main"),
                   RenameFunction(S, "f", (), "g"), CreateCallingView(S, "v", S, "g", or_replace=True))
    assert [e.kind for e in exps] == ["ok", "ok", "ok", "value", "ok", "ok"], exps
    assert hist(st, "VIEW", S, "v") == [("CREATE", "MINOR", None, 1)]
    assert row(st, "FUNCTION", S, "g()") == (2, "2.0.0", True)
    after, exp = step(st, CreateCallingView(S, "v", S, "f", or_replace=True))
    assert exp.sqlstates == ("42883",)
    after, _ = step(st, CreateCallingView(S, "v", S, "h", or_replace=True))
    assert hist(after, "VIEW", S, "v")[-1][:2] == ("ALTER", "MINOR")
    # the branch recorded the view before the rename: it follows too (R6 on the shared catalog, B9)
    on_b, exps = run(CheckoutBranch("b"), CreateCallingView(S, "v", S, "g", or_replace=True), state=st)
    assert exps[1].kind == "ok" and on_b.db.rows[("VIEW", S, "v", "b")].version == 1
    assert ("VIEW", S, "v", "b") not in on_b.db.history
    # N5d, and the round trip: g moved to s2 and back, an unrelated rename between, the query replaced as it was
    st, exps = run(CreateSchema("s2"), SetSchema("FUNCTION", S, "g", "s2"),
                   CreateCallingView(S, "v", "s2", "g", or_replace=True), CreateTable(S, "t", [Column("a", "integer")]),
                   RenameRelation("TABLE", S, "t", "u"), SetSchema("FUNCTION", "s2", "g", S),
                   RenameFunction(S, "g", (), "f"), CreateCallingView(S, "v", S, "f", or_replace=True), state=st)
    assert all(e.kind == "ok" for e in exps), exps
    assert hist(st, "VIEW", S, "v") == [("CREATE", "MINOR", None, 1)]


def test_r6_a_function_tables_use_stays_open_when_a_view_calls_it_too() -> None:
    """R6: a function a table uses (a default) is still outside the model when renamed, whether or not a view
    also calls it; the parser reads OR REPLACE of a calling view back (V12)."""
    from pggit_model.ops import CreateCallingView, UseInTable
    st, _ = run(CreateFunction(S, "f", (), 1), CreateTable(S, "t", [Column("id", "integer")]),
                UseInTable("default", S, "t", "x", S, "f"), CreateCallingView(S, "v", S, "f"))
    assert step(st, RenameFunction(S, "f", (), "g"))[1].is_unspecified
    op = CreateCallingView(S, "v", S, "f", or_replace=True)
    assert parse_one(op.to_sql()) == op


def test_r3h_a_view_column_renamed_records_major_on_the_view_only() -> None:
    """R3h, V23, V12: `ALTER VIEW v RENAME COLUMN a TO c` changes no key and records ALTER MAJOR on v alone; v still
    reads t.a (DROP COLUMN a is refused, 2BP01), replacing it with `SELECT a` would rename its column back (42P16);
    a missing or taken name is refused (42703, 42701); a view over v reading the renamed column is left open (A20)."""
    st, exps = run(CreateTable(S, "t", [Column("a", "integer"), Column("b", "text")]),
                   CreateView(S, "v", "t", ("a", "b")), RenameColumn("VIEW", S, "v", "a", "c"))
    assert [e.kind for e in exps] == ["ok", "ok", "ok"], exps
    assert hist(st, "VIEW", S, "v") == [("CREATE", "MINOR", None, 1), ("ALTER", "MAJOR", 1, 2)]
    assert hist(st, "TABLE", S, "t") == [("CREATE", "MINOR", None, 1)]
    assert step(st, AlterTable(S, "t", (DropColumn("a"),)))[1].sqlstates == ("2BP01",)
    assert step(st, CreateView(S, "v", "t", ("a", "b"), or_replace=True))[1].sqlstates == ("42P16",)
    assert step(st, RenameColumn("VIEW", S, "v", "a", "d"))[1].sqlstates == ("42703",)
    assert step(st, RenameColumn("VIEW", S, "v", "c", "b"))[1].sqlstates == ("42701",)
    over, _ = run(CreateView(S, "w", "v", ("b",)), state=st)
    assert step(over, RenameColumn("VIEW", S, "v", "c", "e"))[1].kind == "ok"
    assert step(over, RenameColumn("VIEW", S, "v", "b", "e"))[1].is_unspecified


_TV = (CreateTable(S, "t", [Column("a", "integer"), Column("b", "text")]), CreateView(S, "v", "t", ("a", "b")),
       RenameColumn("VIEW", S, "v", "a", "c"))
#: (id, setup, op, "ok" or the SQLSTATE): R3h on a view and R3g under a calling view, pinned below
VIEW_CASES: list[tuple[str, tuple[Op, ...], Op, str]] = [
    ("view-column-renamed-source-column-dropped", _TV, AlterTable(S, "t", (DropColumn("a"),)), "2BP01"),
    ("view-column-renamed-then-replaced-by-name", _TV, CreateView(S, "v", "t", ("a", "b"), or_replace=True), "42P16"),
    ("view-column-missing", _TV, RenameColumn("VIEW", S, "v", "a", "d"), "42703"),
    ("view-column-taken", _TV, RenameColumn("VIEW", S, "v", "c", "b"), "42701"),
    ("view-column-renamed-source-column-free", _TV, AlterTable(S, "t", (DropColumn("b", cascade=True),)), "ok"),
]


@pytest.mark.parametrize(("setup", "op", "outcome"), [c[1:] for c in VIEW_CASES], ids=[c[0] for c in VIEW_CASES])
def test_view_cases_model(setup: tuple[Op, ...], op: Op, outcome: str) -> None:
    """R3h, X4: the model's answer to each case."""
    st, exps = run(*setup)
    assert all(e.kind == "ok" for e in exps), exps
    exp = step(st, op)[1]
    assert ("ok" if exp.kind == "ok" else exp.sqlstates[0]) == outcome


@pytest.mark.server
def test_view_cases_postgresql(pggit_conn) -> None:  # type: ignore[no-untyped-def]
    """The same statements on PostgreSQL (reference installed): same success or SQLSTATE."""
    from tests.model_steps import postgres_outcome
    got = {c[0]: postgres_outcome(pggit_conn, [S], c[1], c[2]) for c in VIEW_CASES}
    assert got == {c[0]: c[3] for c in VIEW_CASES}
