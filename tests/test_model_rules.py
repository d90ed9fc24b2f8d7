"""The model against the contract's rules, one concrete example per rule id (pure, no server)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from pggit_model.model import (
    ANY,
    HISTORY_GAP,
    CheckContext,
    CommitRef,
    Expected,
    HashOf,
    MergeResult,
    NewCommitId,
    NewTrinityId,
    TrinityRef,
    Unspecified,
    bind,
    initial_state,
    observe,
    run,
    step,
)
from pggit_model.ops import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    AlterTable,
    Begin,
    Check,
    CheckoutBranch,
    Column,
    CommentOnColumn,
    CommentOnTable,
    CommitChanges,
    ComputeDdlHash,
    ComputeTableComponentHashes,
    CreateBranch,
    CreateCommit,
    CreateFunction,
    CreateIndex,
    CreateTable,
    CreateView,
    DeleteBranch,
    DetectChangesByHash,
    DropColumn,
    DropConstraint,
    DropDefault,
    DropFunction,
    DropIndex,
    DropNotNull,
    DropTable,
    ExportSchemaHashes,
    GenerateTrinityId,
    GenerateTrinityIds,
    GetHistory,
    GetVersion,
    ListBranches,
    MergeBranches,
    PrimaryKey,
    ReleaseSavepoint,
    Rollback,
    RollbackToSavepoint,
    Savepoint,
    SetDefault,
    SetNotNull,
    SetSearchPath,
    SetTimeZone,
    SetTrinitySequence,
    ShowTableVersions,
    Unique,
    UpdateAllHashes,
)

S = "app"


def fresh():
    """A fresh install whose session searches only the machine's schema (I5: public holds demo objects)."""
    return initial_state((S,), search_path=(S,))


def go(*ops, state=None):
    return run(state or fresh(), list(ops))


def ver(state, kind, name, branch="main"):
    """(version, 'M.m.p', active) of a row."""
    r = state.db.rows[(kind, S, name, branch)]
    return r.version, r.version_string, r.active


def hist(state, kind, name, branch="main"):
    rows = state.db.history[(kind, S, name, branch)]
    return [(h.change_type, h.severity, h.old_version, h.new_version) for h in rows]


def table(name="u", *cols, pk=None):
    columns = cols or (Column("id", "integer"), Column("email", "text"))
    return CreateTable(S, name, columns, (PrimaryKey((pk,)),) if pk else ())


def alter(*actions, name="u"):
    return AlterTable(S, name, actions)


# --- V: tracking and versions --------------------------------------------------------------------


def test_contract_version_example_section_5():
    """The §5 SQL example: V7, V8, V9 (one change at the highest severity), V10 rows a/c/d/e/h/j/o, V13, V14, V18."""
    state, exps = go(
        table("u", Column("id", "integer"), Column("email", "text"), pk="id"),
        alter(AddColumn(Column("name", "text"))),
        alter(SetDefault("name", "x")),
        CreateIndex(S, "u_email", "u", ("email",)),
        alter(SetNotNull("email"), AddColumn(Column("n", "integer"))),
    )
    assert all(e.kind == "ok" for e in exps)
    assert ver(state, "TABLE", "u") == (5, "2.0.0", True)
    for obj, kind in [("u.id", "COLUMN"), ("u.email", "COLUMN"), ("u_pkey", "INDEX"), ("u_email", "INDEX")]:
        assert ver(state, kind, obj) == (1, "1.0.0", True)
    state, _ = step(state, DropTable(S, "u"))
    assert ver(state, "TABLE", "u") == (5, "2.0.0", False)
    assert hist(state, "TABLE", "u")[-1] == ("DROP", "MAJOR", 5, None)
    dropped = [k for k, r in state.db.rows.items() if not r.active]
    assert len([k for k in dropped if k[0] == "COLUMN"]) == 4 and len([k for k in dropped if k[0] == "INDEX"]) == 2
    state, _ = step(state, CreateTable(S, "u", [Column("id", "bigint")]))
    assert ver(state, "TABLE", "u") == (1, "1.0.0", True)
    _, exp = step(state, GetHistory("app.u", 10))
    assert exp.rows == ((1, "CREATE"), (None, "DROP"), (5, "ALTER"), (4, "ALTER"), (3, "ALTER"), (2, "ALTER"),
                        (1, "CREATE"))


def test_v1_v2_only_tracked_kinds_and_schemas():
    """V1/V2: tables, columns, indexes, views and functions in the machine's schema get rows; nothing else does."""
    state, _ = go(table(), CreateView(S, "v", "u", ("id",)), CreateFunction(S, "f", ("integer", "text")))
    assert {k[0] for k in state.db.rows} == {"TABLE", "COLUMN", "VIEW", "FUNCTION"}
    _, exp = step(state, CreateTable("public", "x", []))
    assert exp.is_unspecified and exp.rules == ("I5",)


def test_v3_changes_belong_to_the_transaction():
    """V3/X1: rows written by DDL are visible inside the transaction and gone after ROLLBACK."""
    state, _ = go(Begin(), table())
    assert ver(state, "TABLE", "u") == (1, "1.0.0", True)
    state, _ = step(state, Rollback())
    assert state.db.rows == {}


def test_v4_b8_versioning_touches_only_the_current_branch():
    """V4/B8 and the §6 B example: a change on r1/f leaves main's rows and get_version there unchanged."""
    state, _ = go(table(), CreateBranch("r1/f"), CheckoutBranch("r1/f"), alter(AddColumn(Column("age", "integer"))))
    assert ver(state, "TABLE", "u", "r1/f") == (2, "1.1.0", True)
    assert ver(state, "COLUMN", "u.age", "r1/f") == (1, "1.0.0", True)
    assert ver(state, "TABLE", "u", "main") == (1, "1.0.0", True)
    assert ("COLUMN", S, "u.age", "main") not in state.db.rows
    state, _ = step(state, CheckoutBranch("main"))
    _, exp = step(state, GetVersion("app.u"))
    assert exp.rows == (("u", S, 1, "1.0.0"),)


def test_v5_object_names_use_catalog_spelling():
    """V5: COLUMN is table.column, FUNCTION is name(format_type, …) and quoted names are stored unquoted."""
    state, _ = go(CreateTable(S, "Order Items", [Column("Qty", "int4")]),
                  CreateFunction(S, "add_tax", ("decimal", "int")), CreateFunction(S, "f", ()))
    keys = {k[2] for k in state.db.rows}
    assert keys == {"Order Items", "Order Items.Qty", "add_tax(numeric, integer)", "f()"}


def test_v6_v14_a_new_life_continues_the_same_row():
    """V6/V14: drop then re-create gives 1.0.0 on the same row, history of both lives kept (also for columns)."""
    state, _ = go(table(), alter(AddColumn(Column("x", "integer"))), alter(DropColumn("x")),
                  alter(AddColumn(Column("x", "text"))))
    assert ver(state, "COLUMN", "u.x") == (1, "1.0.0", True)
    assert hist(state, "COLUMN", "u.x") == [("CREATE", "MINOR", None, 1), ("DROP", "MAJOR", 1, None),
                                            ("CREATE", "MINOR", None, 1)]


@pytest.mark.parametrize(("actions", "expected"), [
    ((AddColumn(Column("c", "integer")),), "1.1.0"),  # V10d
    ((AddColumn(Column("c", "integer", default=1)),), "1.1.0"),  # V10d
    ((AddColumn(Column("c", "integer", True)),), "2.0.0"),  # V10e
    ((AddColumn(Column("c", "integer", True, None)),), "2.0.0"),  # V10e: DEFAULT NULL is no default
    ((AddColumn(Column("c", "integer", True, 0)),), "1.1.0"),  # V10d
    ((DropColumn("email"),), "2.0.0"),  # V10f
    ((AlterColumnType("id", "bigint"),), "2.0.0"),  # V10g
    ((SetNotNull("email"),), "2.0.0"),  # V10h
    ((SetDefault("email", "x"),), "1.0.1"),  # V10j
    ((AddConstraint(Check("ck", "id", "positive")),), "2.0.0"),  # V10k
    ((AddConstraint(Unique("uq", ("email",))),), "2.0.0"),  # V10k
    ((AddColumn(Column("c", "integer"), constraint=Unique("uc", ("c",))),), "2.0.0"),  # V10k inline wins over d
    ((DropNotNull("id"), SetDefault("email", "y")), "1.1.0"),  # V9: highest severity of i and j
])
def test_v7_v9_v10_severity_per_catalog_difference(actions, expected):
    """V7/V9/V10 d–k: one ALTER per statement, version triple bumped at the highest severity."""
    state, _ = go(CreateTable(S, "u", [Column("id", "integer", True), Column("email", "text")]), alter(*actions))
    assert ver(state, "TABLE", "u")[:2] == (2, expected)
    assert len(hist(state, "TABLE", "u")) == 2  # V8: exactly one history row per change


def test_v9a_no_op_subcommands_record_nothing():
    """V9a/V15: ADD COLUMN IF NOT EXISTS on an existing column, SET NOT NULL twice, DROP DEFAULT without one,
    TYPE to the same type and an identical comment record nothing."""
    state, _ = go(table(), alter(SetNotNull("id")), CommentOnTable(S, "u", "c"))
    before = state.db.rows, state.db.history
    state, exps = go(alter(AddColumn(Column("id", "integer"), if_not_exists=True)), alter(SetNotNull("id")),
                     alter(DropDefault("email")), alter(AlterColumnType("id", "int4")), CommentOnTable(S, "u", "c"),
                     state=state)
    assert all(e.kind == "ok" for e in exps)
    assert (state.db.rows, state.db.history) == before


def test_v10_c_i_l_m_n_rows():
    """V10c index PATCH, V10i DROP NOT NULL MINOR, V10l DROP CONSTRAINT MINOR (its index dropped), V10m COMMENT
    PATCH, V10n DROP INDEX PATCH."""
    state, _ = go(table(), CreateIndex(S, "i", "u", ("email",)))
    assert ver(state, "TABLE", "u")[:2] == (2, "1.0.1")
    state, _ = go(alter(SetNotNull("email")), alter(DropNotNull("email")), state=state)
    assert hist(state, "TABLE", "u")[-1] == ("ALTER", "MINOR", 3, 4)
    state, _ = go(alter(AddConstraint(Unique("uq", ("id",)))), alter(DropConstraint("uq")), state=state)
    assert hist(state, "TABLE", "u")[-1] == ("ALTER", "MINOR", 5, 6)
    assert ver(state, "INDEX", "uq") == (1, "1.0.0", False)
    state, _ = go(CommentOnColumn(S, "u", "email", "hi"), state=state)
    assert hist(state, "TABLE", "u")[-1] == ("COMMENT", "PATCH", 6, 7)
    state, _ = go(DropIndex(S, "i"), state=state)
    assert hist(state, "TABLE", "u")[-1] == ("ALTER", "PATCH", 7, 8)
    assert ver(state, "INDEX", "i")[2] is False


def test_v10_b_o_p_v13_views_and_functions_cascade():
    """V10b/o/p and V13: views and functions are created and dropped; DROP TABLE CASCADE drops dependent views,
    without CASCADE PostgreSQL refuses with 2BP01."""
    state, _ = go(table(), CreateView(S, "v", "u", ("id",)), CreateFunction(S, "f", ("integer",)))
    _, exp = step(state, DropTable(S, "u"))
    assert exp.is_error and exp.sqlstates == ("2BP01",)
    state, _ = go(DropTable(S, "u", cascade=True), DropFunction(S, "f", ("integer",)), state=state)
    assert ver(state, "VIEW", "v") == (1, "1.0.0", False) and hist(state, "VIEW", "v")[-1][0] == "DROP"
    assert ver(state, "FUNCTION", "f(integer)")[2] is False


def test_v10f_drop_column_takes_views_only_with_cascade():
    """V10f: DROP COLUMN drops indexes on it silently, views using it only with CASCADE (else 2BP01)."""
    state, _ = go(table(), CreateIndex(S, "i", "u", ("email",)), CreateView(S, "v", "u", ("email",)))
    _, exp = step(state, alter(DropColumn("email")))
    assert exp.sqlstates == ("2BP01",)
    state, _ = step(state, alter(DropColumn("email", cascade=True)))
    assert not state.db.rows[("INDEX", S, "i", "main")].active and not state.db.rows[("VIEW", S, "v", "main")].active


def test_v11_columns_stay_at_1_0_0():
    """V11: type, default and NOT NULL changes version the table, never the column."""
    state, _ = go(table(), alter(AlterColumnType("id", "bigint")), alter(SetDefault("email", "q")))
    assert ver(state, "COLUMN", "u.id") == (1, "1.0.0", True)


def test_v12_create_or_replace_counts_only_real_changes():
    """V12: CREATE OR REPLACE VIEW/FUNCTION is ALTER MINOR if the definition changed, else nothing."""
    state, _ = go(table(), CreateView(S, "v", "u", ("id",)), CreateView(S, "v", "u", ("id",), or_replace=True),
                  CreateFunction(S, "f", (), 1), CreateFunction(S, "f", (), 1, or_replace=True))
    assert ver(state, "VIEW", "v")[:2] == (1, "1.0.0") and ver(state, "FUNCTION", "f()")[:2] == (1, "1.0.0")
    state, _ = go(CreateView(S, "v", "u", ("id", "email"), or_replace=True), CreateFunction(S, "f", (), 2, True),
                  state=state)
    assert ver(state, "VIEW", "v")[:2] == (2, "1.1.0") and ver(state, "FUNCTION", "f()")[:2] == (2, "1.1.0")
    _, exp = step(state, CreateView(S, "v", "u", ("email",), or_replace=True))
    assert exp.sqlstates == ("42P16",)


def test_v15_rejected_or_skipped_statements_record_nothing():
    """V15/X4: PostgreSQL's rejections are predicted with their SQLSTATE and change nothing."""
    state, _ = go(table())
    cases = [(table(), "42P07"), (DropTable(S, "nope"), "42P01"), (alter(DropColumn("zz")), "42703"),
             (alter(AddColumn(Column("id", "integer"))), "42701"),
             (alter(AlterColumnType("email", "integer")), "42804"),
             (alter(AddConstraint(PrimaryKey(("id",)))), None), (DropIndex(S, "u_pkey"), "2BP01"),
             (CreateTable("nope", "t", []), "3F000"),
             (alter(AddConstraint(Check("c", "email", "positive"))), "42883")]
    state, _ = step(state, alter(AddConstraint(PrimaryKey(("id",)))))
    for op, code in cases:
        new, exp = step(state, op)
        assert exp.is_error, op
        if code:
            assert code in exp.sqlstates
        assert new == state
    _, exp = step(state, alter(AddConstraint(PrimaryKey(("email",)))))
    assert exp.sqlstates == ("42P16",)


def test_v16_renames_are_outside_the_first_model():
    """V16: renames are outside the first model: a rename is the second model's key change (§14.2 R1, R3a, V20),
    never a V10 change of the old key."""
    from pggit_model.ops import RenameRelation
    from pggit_model.parse import parse_one
    op = parse_one("ALTER TABLE app.u RENAME TO w")
    assert isinstance(op, RenameRelation)
    state, _ = go(table())
    _, exp = step(state, op)
    assert exp.kind == "ok" and {"R1", "R3a", "V20"} <= set(exp.rules)
    assert not any(r.startswith("V10") for r in exp.rules)


def test_v17_get_version_resolution():
    """V17: full name first, then the search_path; names are not folded; unknown or dropped names give no row."""
    state, _ = go(table(), CreateTable(S, "U", []), SetSearchPath((S,)))
    assert step(state, GetVersion("u"))[1].rows == (("u", S, 1, "1.0.0"),)
    assert step(state, GetVersion("app.U"))[1].rows == (("U", S, 1, "1.0.0"),)
    assert step(state, GetVersion("app.u.email"))[1].rows == (("u.email", S, 1, "1.0.0"),)
    assert step(state, GetVersion('"u"'))[1].rows == ()
    state, _ = step(state, DropTable(S, "u"))
    assert step(state, GetVersion("app.u"))[1].rows == ()


def test_v17_b8_a_name_dropped_on_c_but_active_on_another_branch_is_said_so():
    """V17, B8: after DROP TABLE on c, get_version answers no row; the expectation names the branches where the
    name is still active, so a backend answering another branch's row (pgGit #33) reads differently from one
    answering c's own dropped row."""
    state, _ = go(table(), CreateBranch("r1", "main"), DropTable(S, "u"))
    exp = step(state, GetVersion("app.u"))[1]
    assert exp.rows == () and exp.why == "no active row on c; active on branch 'r1'"
    answer = [{"object_name": "u", "schema_name": S, "version": 1, "version_string": "1.0.0"}]
    assert exp.check_success(rows=answer).endswith("(no active row on c; active on branch 'r1')")
    state, _ = go(table(), DropTable(S, "u"))
    assert step(state, GetVersion("app.u"))[1].why == ""


def test_v18_get_history_limit_and_inactive_fallback():
    """V18: newest first, limited, also for a dropped object; version is new_version (NULL for DROP)."""
    state, _ = go(table(), alter(SetDefault("email", "a")), DropTable(S, "u"))
    assert step(state, GetHistory("app.u", 2))[1].rows == ((None, "DROP"), (2, "ALTER"))
    assert step(state, GetHistory("app.zz", 2))[1].rows == ()


def test_v19_show_table_versions_counts_active_columns():
    """V19: one row per active table on c with its active column count."""
    state, _ = go(table(), CreateTable(S, "w", []), alter(DropColumn("email")))
    exp = step(state, ShowTableVersions(S))[1]
    assert set(exp.rows) == {("u", S, "2.0.0", 1), ("w", S, "1.0.0", 0)} and not exp.ordered


# --- B: branches ------------------------------------------------------------------------------------


def test_b1_fresh_install_has_only_main():
    """B1/B7: one ACTIVE branch main without parent or head; the session is on main."""
    state = fresh()
    assert observe.branches(state) == {"main": ("ACTIVE", None, None)} and observe.current_branch(state) == "main"


@pytest.mark.parametrize("name", [None, "", "x" * 256, "has space", "é", "a!b"])
def test_b3_invalid_branch_names_are_rejected(name):
    """B3: NULL, empty, over 255 characters or a character outside [A-Za-z0-9._/#-] is rejected."""
    state, exp = step(fresh(), CreateBranch(name))
    assert exp.is_error and exp.rules == ("B3",) and state == fresh()


def test_b2_b4_b5_create_branch_copies_active_rows():
    """B2/B4/B5: ACTIVE, parent main, no head; active rows copied with versions, inactive rows and history not."""
    state, _ = go(table(), CreateTable(S, "gone", []), DropTable(S, "gone"), alter(SetDefault("email", "z")))
    state, exp = step(state, CreateBranch("r/b#1.x"))
    assert exp.kind == "value" and exp.rules == ("B2", "B4", "B5")
    assert observe.branches(state)["r/b#1.x"] == ("ACTIVE", "main", None)
    assert ver(state, "TABLE", "u", "r/b#1.x") == (2, "1.0.1", True)
    assert ("TABLE", S, "gone", "r/b#1.x") not in state.db.rows
    assert ("TABLE", S, "u", "r/b#1.x") not in state.db.history
    for bad in (CreateBranch("r/b#1.x"), CreateBranch("c", None), CreateBranch("c", "nope")):
        assert step(state, bad)[1].is_error


def test_b6_checkout_is_transactional_and_rejects_bad_names():
    """B6/X1: checkout sets c; a rollback covering it undoes it; unknown, NULL or DELETED names are rejected."""
    state, _ = go(CreateBranch("b"), Begin(), CheckoutBranch("b"))
    assert state.c == "b"
    state, _ = step(state, Rollback())
    assert state.c == "main"
    for bad in (None, "nope"):
        assert step(state, CheckoutBranch(bad))[1].is_error


def test_b9_ddl_outside_the_shared_catalog_scope_is_unspecified():
    """B9: creating an object that already has an active row on c, or altering one without, is unspecified."""
    state, _ = go(CreateBranch("b"), CheckoutBranch("b"), table(), CheckoutBranch("main"))
    _, exp = step(state, alter(AddColumn(Column("z", "integer"))))
    assert exp.is_unspecified and exp.rules == ("B9",)


def test_b10_delete_branch_rules():
    """B10: main is never deleted, ACTIVE needs force, DELETED names are rejected everywhere and never reused."""
    state, _ = go(CreateBranch("b"))
    assert step(state, DeleteBranch("main", True))[1].is_error
    assert step(state, DeleteBranch("b"))[1].is_error
    state, exp = step(state, DeleteBranch("b", True))
    assert exp.rows == ((),) and observe.branches(state)["b"][0] == "DELETED"
    for op in (DeleteBranch("b", True), CheckoutBranch("b"), CreateBranch("b"), CreateBranch("c", "b"),
               CreateCommit("b", "m", None), CommitChanges("b")):
        assert step(state, op)[1].is_error, op


def test_b11_list_branches_filters_by_status():
    """B11: every branch once with its status, order unspecified; p_status filters by equality."""
    state, _ = go(CreateBranch("b"), CreateBranch("d"), DeleteBranch("d", True))
    assert set(step(state, ListBranches())[1].rows) == {("main", "ACTIVE"), ("b", "ACTIVE"), ("d", "DELETED")}
    assert step(state, ListBranches("DELETED"))[1].rows == (("d", "DELETED"),)


# --- C: commits -------------------------------------------------------------------------------------


def test_c1_c2_c3_c4_create_commit():
    """C1–C4: one commit, message verbatim, tree_hash = sha256hex(sql), parent = previous head, uuid result."""
    msg = "quote ' backslash \\ newline \n unicode é"
    state, e1 = step(fresh(), CreateCommit("main", msg, "CREATE TABLE a(id int)"))
    state, e2 = step(state, CreateCommit("main", "second", None))
    c1, c2 = observe.commits(state)
    assert c1.tree_hash == "65a57412511c7443f56ac5b42c220ecd6cd2500dbbfbc9bbf4ffaa811c0a6c9f"
    assert c1.message == msg and c1.parent is None and c2.parent == c1.ref and c2.tree_hash is None
    assert observe.branches(state)["main"][2] == c2.ref
    assert e1.value == NewCommitId(CommitRef(0))
    ctx = CheckContext()
    assert e1.check_success(value="5f0c6a2e-1111-4222-8333-944455556666", ctx=ctx) is None
    assert e2.check_success(value="5f0c6a2e-1111-4222-8333-944455556666", ctx=ctx) is not None  # C3: differs
    for bad in (CreateCommit(None, "m", None), CreateCommit("", "m", None), CreateCommit("main", "", None),
                CreateCommit("main", None, None), CreateCommit("nope", "m", None)):
        assert step(state, bad)[1].is_error


def test_c5_c6_identical_calls_make_two_commits():
    """C5/C6: parent_ids stays NULL; two identical calls create two commits chained on the branch."""
    state, _ = go(Begin(), CreateCommit("main", "m", "x"), CreateCommit("main", "m", "x"))
    assert len(observe.commits(state)) == 2
    assert step(state, CreateCommit("main", "m", "x", ("00000000-0000-0000-0000-000000000000",)))[1].is_unspecified


def test_c7_commit_changes_trims_and_rejects():
    """C7: message and custom id are btrim'd (spaces only), limits apply after trimming, reused ids rejected."""
    state, exp = step(fresh(), CommitChanges("main", "  hi\n ", "  custom-id-1 "))
    assert exp.value == "custom-id-1" and observe.commits(state)[0].message == "hi\n"
    assert observe.commits(state)[0].hash == "custom-id-1"
    for bad in (CommitChanges("main", "m", "custom-id-1"), CommitChanges("main", "m", "   short   "),
                CommitChanges("main", "x" * 10_001), CommitChanges("  "), CommitChanges(None)):
        assert step(state, bad)[1].is_error, bad
    assert step(state, CommitChanges("main", " " + "x" * 10_000 + " "))[1].kind == "value"


def test_c7_bound_ids_make_custom_id_reuse_exact():
    """C7: once the checker binds a create_commit uuid, reusing it as custom id is predicted as a rejection."""
    uid = "5f0c6a2e-1111-4222-8333-944455556666"
    state, _ = step(fresh(), CreateCommit("main", "m", None))
    assert step(state, CommitChanges("main", "m", uid))[1].is_unspecified
    state = bind(state, CommitRef(0), uid)
    assert step(state, CommitChanges("main", "m", uid))[1].is_error


def test_c8_commit_graph_is_a_chain_per_branch():
    """C8: hashes unique, parents exist, no cycle, head is a commit of its own branch reaching all its commits."""
    state, _ = go(CreateBranch("b"), CreateCommit("main", "1", None), CommitChanges("b", "2"),
                  CommitChanges("b", "3", "custom-000-x"), CreateCommit("main", "4", None))
    commits = {c.ref: c for c in observe.commits(state)}
    for name, (_, _, head) in observe.branches(state).items():
        seen, ref = set(), head
        while ref is not None:
            assert ref not in seen and commits[ref].branch == name
            seen.add(ref)
            ref = commits[ref].parent
        assert seen == {r for r, c in commits.items() if c.branch == name}


# --- T: Trinity IDs ---------------------------------------------------------------------------------


def _ctx(now):
    ctx = CheckContext()
    ctx.earliest, ctx.latest = now - timedelta(seconds=1), now + timedelta(seconds=1)
    return ctx


def test_t1_t2_t3_t4_trinity_id_shape():
    """T1–T4: 20-digit UTC time within the call's window, zero-padded sequence (never truncated), 8 hex."""
    now = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    _, exp = step(fresh(), GenerateTrinityId())
    assert exp.check_success(value="20250301120000123456-000042-9f3c01ab", ctx=_ctx(now)) is None
    for bad in ["20250301120000123456-00042-9f3c01ab", "20250301120000123456-000042-9F3C01AB",
                "20250301130000123456-000042-9f3c01ab", "2025030112000012345-000042-9f3c01ab"]:
        assert exp.check_success(value=bad, ctx=_ctx(now)) is not None, bad
    state, _ = step(fresh(), SetTrinitySequence(999_999))
    _, exp = step(state, GenerateTrinityId())
    assert exp.check_success(value="20250301120000123456-999999-9f3c01ab", ctx=_ctx(now)) is not None
    assert exp.check_success(value="20250301120000123456-1000000-9f3c01ab", ctx=_ctx(now)) is None  # T3: 37 chars


def test_t5_t6_t7_strictly_increasing_across_rollbacks():
    """T5/T6/T7/X3: each ID's sequence field is above every earlier one, even after a rollback."""
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    ctx = _ctx(now)
    state, e1 = go(Begin(), GenerateTrinityId())
    assert e1[1].check_success(value="20250301120000000000-000005-00000000", ctx=ctx) is None
    state, e2 = go(Rollback(), GenerateTrinityId(), state=state)
    assert e2[1].value.after == (TrinityRef(0),)
    assert e2[1].check_success(value="20250301120000000000-000005-00000001", ctx=ctx) is not None
    assert e2[1].check_success(value="20250301120000000000-000007-00000001", ctx=ctx) is None


def test_t8_t9_large_values_and_one_statement():
    """T8: 2147483648 appears as is; T9: calls within one statement are distinct."""
    state, _ = step(fresh(), SetTrinitySequence(2_147_483_647))
    _, exp = step(state, GenerateTrinityIds(2))
    ctx = _ctx(datetime(2025, 3, 1, 12, tzinfo=UTC))
    rows = [{"id": "20250301120000000000-2147483648-0000000a"}, {"id": "20250301120000000000-2147483648-0000000a"}]
    assert exp.check_success(rows=rows, ctx=ctx) is not None
    rows[1] = {"id": "20250301120000000000-2147483649-0000000b"}
    assert exp.check_success(rows=rows, ctx=_ctx(datetime(2025, 3, 1, 12, tzinfo=UTC))) is None


def test_t2_time_zone_does_not_matter():
    """T2: SET TIME ZONE changes nothing the model predicts."""
    state, _ = step(fresh(), SetTimeZone("Pacific/Chatham"))
    assert step(state, GenerateTrinityId())[1] == step(fresh(), GenerateTrinityId())[1]


# --- H: hashes --------------------------------------------------------------------------------------


def test_h1_null_for_missing_or_other_kinds():
    """H1: NULL for a NULL argument, a missing object or a kind without a hash; a HashOf otherwise."""
    state, _ = go(table())
    assert step(state, ComputeDdlHash("COLUMN", S, "u.id"))[1].value is None
    assert step(state, ComputeDdlHash("TABLE", S, "nope"))[1].value is None
    assert step(state, ComputeDdlHash(None, S, "u"))[1].value is None
    assert isinstance(step(state, ComputeDdlHash("TABLE", S, "u"))[1].value, HashOf)


def test_h2_h3_hash_classes_follow_structure_not_text():
    """H2/H3: spelling and comments keep the class; literals and type modifiers change it."""
    a = step(go(CreateTable(S, "t", [Column("id", "int4", True)]))[0], ComputeDdlHash("TABLE", S, "t"))[1].value
    b_state, _ = go(CreateTable(S, "t", [Column("id", "integer", True)]), CommentOnTable(S, "t", "x"))
    assert step(b_state, ComputeDdlHash("TABLE", S, "t"))[1].value == a
    for other in ([Column("id", "integer")], [Column("id", "bigint", True)], [Column("id", "integer", True, 1)]):
        assert step(go(CreateTable(S, "t", other))[0], ComputeDdlHash("TABLE", S, "t"))[1].value != a
    c = step(go(CreateTable(S, "t", [Column("s", "varchar(20)", default="ABC")]))[0], ComputeDdlHash("TABLE", S, "t"))
    d = step(go(CreateTable(S, "t", [Column("s", "varchar(20)", default="abc")]))[0], ComputeDdlHash("TABLE", S, "t"))
    assert c[1].value != d[1].value
    ctx = CheckContext()
    assert a.check(("a" * 64), ctx) is None and a.check("a" * 64, ctx) is None
    assert c[1].value.check("a" * 64, ctx) is not None  # H2: a different structure with the same hash


def test_h4_components_change_only_with_their_own_part():
    """H4: CREATE INDEX → indexes; ADD CHECK → constraints; SET DEFAULT → structure; COMMENT → none; PK on a
    nullable column → structure and constraints."""
    def comps(state):
        return step(state, ComputeTableComponentHashes(S, "u"))[1].rows[0]

    state, _ = go(table())
    base = comps(state)
    for op, changed in [(CreateIndex(S, "i", "u", ("id",)), {2}), (alter(AddConstraint(Check("c", "id"))), {1}),
                        (alter(SetDefault("email", "d")), {0}), (CommentOnTable(S, "u", "x"), set()),
                        (alter(AddConstraint(PrimaryKey(("id",)))), {0, 1})]:
        now = comps(step(state, op)[0])
        assert {i for i in range(3) if now[i] != base[i]} == changed, op
    assert step(fresh(), ComputeTableComponentHashes(S, "u"))[1].is_unspecified


def test_h5_h6_baseline_and_detect_changes():
    """H5/H6: update_all_hashes writes baselines on every branch; detect shows has_changed only after DDL."""
    state, _ = go(table(), CreateBranch("b"), UpdateAllHashes())
    assert isinstance(state.db.rows[("TABLE", S, "u", "b")].ddl_hash, HashOf)
    exp = step(state, DetectChangesByHash())[1]
    assert {r[0]: r[4] for r in exp.rows} == {"app.u": False}
    state, _ = step(state, alter(SetDefault("email", "q")))
    assert step(state, DetectChangesByHash())[1].rows[0][4] is True
    state, _ = step(state, CreateTable(S, "w", []))
    assert (("app.w", "TABLE", ANY, HashOf(("TABLE", S, "w"), ("TABLE", ())), ANY)
            in step(state, DetectChangesByHash())[1].rows)


def test_h7_export_schema_hashes_uses_current_hashes():
    """H7: one row per active TABLE/VIEW/INDEX/FUNCTION on c with the current hash."""
    state, _ = go(table(pk="id"), CreateFunction(S, "f", ()))
    rows = step(state, ExportSchemaHashes(S))[1].rows
    assert {(r[0], r[1]) for r in rows} == {("TABLE", "app.u"), ("INDEX", "app.u_pkey"), ("FUNCTION", "app.f()")}


# --- M: merge ---------------------------------------------------------------------------------------


def test_m1_rejected_merges():
    """M1: NULL or unknown branches, or S = T, are rejected."""
    state, _ = go(CreateBranch("b"))
    for bad in (MergeBranches(None, "main"), MergeBranches("b", "zz"), MergeBranches("b", "b")):
        assert step(state, bad)[1].is_error


def test_m2_m3_m4_m5_merge_without_and_with_conflicts():
    """M2–M5: only-S changes flow to T; equal changes are fine; different changes conflict and keep T's row;
    S becomes MERGED only without conflicts; the result names the outcome with a unique id."""
    state, _ = go(table(), CreateTable(S, "w", []), CreateBranch("b"), CheckoutBranch("b"),
                  alter(AddColumn(Column("x", "integer"))), CreateFunction(S, "g", ()))
    state, exp = go(CheckoutBranch("main"), MergeBranches("b", "main"), state=state)
    assert exp[1].value == MergeResult(True, exp[1].value.ref)
    assert ver(state, "TABLE", "u", "main")[:2] == (2, "1.1.0") and ver(state, "FUNCTION", "g()", "main")[2]
    assert observe.branches(state)["b"][0] == "MERGED" and observe.branches(state)["main"][2] == Unspecified("M6")
    assert HISTORY_GAP in state.db.history[("TABLE", S, "u", "main")]
    state, _ = go(CreateBranch("c"), CheckoutBranch("c"), CommentOnTable(S, "w", "c"), CheckoutBranch("main"),
                  CommentOnTable(S, "w", "m"), CommentOnTable(S, "w", "n"), state=state)
    state, exp = step(state, MergeBranches("c", "main"))
    assert exp.value.success is False and observe.branches(state)["c"][0] == "ACTIVE"
    assert [c.conflict_object for c in state.db.conflicts] == ["app.w"]
    assert step(state, MergeBranches("c", "main"))[1].is_unspecified  # M4: never merged twice
    assert step(state, GetHistory("app.u"))[1].is_unspecified  # M6


def test_m6_merge_target_history_and_head_unspecified():
    """M6: T's head, ddl_hash and history after a merge are unspecified, so the model claims nothing."""
    state, _ = go(table(), CreateBranch("b"), MergeBranches("b", "main"))
    assert observe.branches(state)["main"][2] == Unspecified("M6")


# --- X: transactions --------------------------------------------------------------------------------


def test_x1_x2_savepoints_restore_exactly():
    """X1/X2: ROLLBACK TO restores the savepoint's state (it stays), RELEASE keeps the work, ROLLBACK undoes all."""
    s0, _ = go(table())
    s1, _ = go(Begin(), Savepoint("a"), state=s0)
    s2, _ = go(alter(AddColumn(Column("z", "integer"))), CheckoutBranch("main"), state=s1)
    s3, _ = step(s2, RollbackToSavepoint("a"))
    assert s3.db == s1.db and s3.session == s1.session and s3.txn.frames[-1].name == "a"
    s4, _ = go(CreateBranch("b"), ReleaseSavepoint("a"), state=s3)
    assert "b" in s4.db.branches and len(s4.txn.frames) == 1
    s5, _ = step(s4, Rollback())
    assert s5.db == s0.db and s5.txn is None


def test_x3_sequences_survive_rollback():
    """X3: symbolic counters (commit refs, Trinity IDs) are not rolled back, so values are never reused."""
    state, _ = go(Begin(), CreateCommit("main", "m", None), GenerateTrinityId(), Rollback(),
                  CreateCommit("main", "m", None))
    assert observe.commits(state)[0].ref == CommitRef(1) and state.counters.trinity == 1


def test_x4_errors_abort_the_transaction_until_rollback():
    """X4: after an error in a transaction everything fails with 25P02 until ROLLBACK or ROLLBACK TO."""
    state, exps = go(Begin(), Savepoint("s"), DropTable(S, "nope"), table(), GetVersion("x"), ReleaseSavepoint("s"))
    assert exps[2].is_error and all(e.sqlstates == ("25P02",) for e in exps[3:])
    state, exps = go(RollbackToSavepoint("s"), table(), state=state)
    assert exps[1].kind == "ok" and not state.aborted
    state, exps = go(DropTable(S, "nope"), Begin(), state=state)
    state, exp = step(state, Rollback())
    assert state.txn is None and state.db.rows == {}
    _, exp = step(fresh(), Savepoint("x"))
    assert exp.sqlstates == ("25P01",)


def test_expected_carries_rule_ids_and_is_cheap_to_compare():
    """Every Expected names contract rules; equal predictions compare equal."""
    _, e = step(fresh(), table())
    assert e == Expected.ok(("V10a", "V3", "V9", "V9a", "B8")) and all(e.rules)
    assert hashlib.sha256(b"").hexdigest()  # sanity: hashlib available for C2


def test_v10_a_check_on_a_column_named_like_its_table_is_a_whole_row_reference():
    """`CHECK ("t" IS NOT NULL)` on s."t" without a column "t": PostgreSQL reads a whole-row reference and accepts
    it; the model leaves it unspecified (§12, as for views: model decision 21) instead of predicting 42703 (V10)."""
    from pggit_model.model import initial_state as fresh
    from pggit_model.model import step as model_step
    from pggit_model.ops import AddConstraint, AlterTable, Check, Column, CreateTable

    s = fresh(schemas=("s",))
    s, _ = model_step(s, CreateTable("s", "select", (Column("id", "int"),)))
    _, e = model_step(s, AlterTable("s", "select", (AddConstraint(Check("k1", "select", "not_null")),)))
    assert e.is_unspecified
    _, e = model_step(s, AlterTable("s", "select", (AddConstraint(Check("k1", "nope", "not_null")),)))
    assert e.kind == "error" and e.sqlstates == ("42703",)


def test_an_ordered_answer_with_only_its_order_wrong_says_so() -> None:
    """V18 answers newest first: the right rows in another order are reported as that (a registry can name it),
    and a wrong row in an ordered answer is still a wrong row."""
    exp = Expected.table(("version", "change_type"), [(3, "ALTER"), (2, "ALTER"), (1, "CREATE")], "V18",
                         ordered=True)
    rows = [{"version": v, "change_type": t} for v, t in [(1, "CREATE"), (2, "ALTER"), (3, "ALTER")]]
    assert exp.check_success(rows=rows) == ("V18: the expected rows in another order: expected "
                                            "[(3, 'ALTER'), (2, 'ALTER'), (1, 'CREATE')], "
                                            "got [(1, 'CREATE'), (2, 'ALTER'), (3, 'ALTER')]")
    assert exp.check_success(rows=rows[::-1]) is None
    wrong = [{"version": v, "change_type": t} for v, t in [(3, "ALTER"), (2, "ALTER"), (9, "CREATE")]]
    assert "another order" not in (exp.check_success(rows=wrong) or "another order")


def test_a_row_wrong_in_itself_is_not_called_misplaced() -> None:
    """T2 (and any rule that needs the checker's memory): a single Trinity ID stamped in local time, one hour after
    the call returned, is a T2 failure, not "the expected rows in another order" — the order check must use the
    same time bounds and bindings as the row check (round 14, TrinityMachine under TimeZone Europe/Paris)."""
    exp = Expected.table(("id",), [(NewTrinityId(TrinityRef(0)),)], ("T9", "T5"), ordered=True)
    ctx = CheckContext()
    ctx.earliest = datetime(2026, 12, 5, 10, 30, 19, tzinfo=UTC)
    ctx.latest = ctx.earliest + timedelta(seconds=1)
    problem = exp.check_success(rows=[{"id": "20261205113019011003-000001-3554ee15"}], ctx=ctx)
    assert problem is not None and "T2: field 1" in problem and "another order" not in problem
    # The same ID inside the bounds is fine, and a fresh context would have let the wrong one through.
    assert exp.check_success(rows=[{"id": "20261205103019011003-000001-3554ee15"}], ctx=ctx.copy()) is None
    assert exp.check_success(rows=[{"id": "20261205113019011003-000001-3554ee15"}]) is None
