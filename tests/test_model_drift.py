"""The model's side of drift (contract U3) and re-install (U1), pure: what it predicts after DDL that pgGit's
triggers did not see."""

from __future__ import annotations

import pytest

from pggit_model.errors import InvalidOp
from pggit_model.model import HashOf, initial_state, observe, run, step
from pggit_model.ops import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    AlterTable,
    Check,
    CheckoutBranch,
    Column,
    CommentOnTable,
    CreateBranch,
    CreateChild,
    CreateIndex,
    CreateSchema,
    CreateTable,
    DetectChangesByHash,
    DropColumn,
    DropConstraint,
    DropDefault,
    DropTable,
    GetVersion,
    Reinstall,
    RenameRelation,
    SetDefault,
    SetNotNull,
    SetSchema,
    ShowTableVersions,
    Untracked,
    UpdateAllHashes,
)
from pggit_model.ops.frame import CreatePolicy, CreateTrigger, TableSetting
from pggit_model.ops.kinds import AddIdentityColumn, RestartIdentity, ValidateConstraint
from pggit_model.ops.partitions import SetInherit

S = "app"
T = CreateTable(S, "t", [Column("id", "integer"), Column("a", "text")])


def _after(*ops):  # type: ignore[no-untyped-def]
    state, exps = run(initial_state(schemas=(S,)), list(ops))
    return state, exps


def test_u3_drift_records_nothing():
    """U3: DDL without the triggers changes the catalog and none of pgGit's rows or history."""
    before, _ = _after(T)
    after, (exp,) = run(before, [Untracked(AlterTable(S, "t", (AddColumn(Column("b", "integer")),)))])
    assert exp.kind == "ok" and "U3" in exp.rules
    assert observe.objects(after, S) == observe.objects(before, S)
    assert observe.history(after, S) == observe.history(before, S)
    assert after.db.catalog.table(S, "t").col("b") is not None  # type: ignore[union-attr]


def test_u3_objects_drift_creates_or_drops_become_unknown():
    """U3: a column drift adds or drops is unspecified from then on (its rows, and DDL issued on it)."""
    state, _ = _after(T, Untracked(AlterTable(S, "t", (AddColumn(Column("b", "integer")),)), "disable",
                                   [("trg", "O")]),
                      Untracked(AlterTable(S, "t", (DropColumn("a"),))))
    assert {("COLUMN", S, "t.b"), ("COLUMN", S, "t.a")} <= state.db.unknown
    _, exp = step(state, AlterTable(S, "t", (SetDefault("b", 3),)))
    assert exp.is_unspecified and exp.rules == ("U3",)
    _, exp = step(state, DropTable(S, "t"))  # it drops t.b, whose row pgGit may or may not have
    assert exp.is_unspecified


def test_u3_r3a_a_dropped_columns_row_stays_unspecified_under_the_new_key():
    """U3, R3a: a table renamed or moved after drift dropped one of its columns moves every active COLUMN row, the
    dropped column's too (found by a smoke seed of the drift machine): that row is unspecified under both keys; a
    rename of a table drift created is unspecified as a whole."""
    state, _ = _after(T, Untracked(AlterTable(S, "t", (DropColumn("a"),))))
    after, exp = step(state, RenameRelation("TABLE", S, "t", "u"))
    assert exp.kind == "ok"
    assert {("COLUMN", S, "t.a"), ("COLUMN", S, "u.a")} <= after.db.unknown
    assert ("COLUMN", S, "u.id") not in after.db.unknown
    state2, _ = _after(CreateSchema(S2 := "b"), T, Untracked(AlterTable(S, "t", (DropColumn("a"),))))
    moved, exp = step(state2, SetSchema("TABLE", S, "t", S2))
    assert exp.kind == "ok" and ("COLUMN", S2, "t.a") in moved.db.unknown
    made, _ = _after(Untracked(T))
    _, exp = step(made, RenameRelation("TABLE", S, "t", "u"))
    assert exp.is_unspecified and exp.rules == ("U3",)


def test_u3_a_no_op_reported_on_a_drifted_table_is_open():
    """U3, V9a, V24d: VALIDATE CONSTRAINT changes no structure and is reported as an ALTER TABLE of t: on a table
    drift changed it is unspecified (classed against the recorded structure it would include the drift), on
    another table it records nothing."""
    t = CreateTable(S, "t", [Column("id", "integer"), Column("a", "integer")], [Check("c1", "a", "positive")])
    state, _ = _after(t, UpdateAllHashes(), Untracked(AlterTable(S, "t", (AddColumn(Column("d", "text")),))),
                      DetectChangesByHash())
    _, exp = step(state, ValidateConstraint(S, "t", "c1"))
    assert exp.is_unspecified and "U3" in exp.rules
    with_identity, _ = _after(t, AddIdentityColumn(S, "t", "n"), UpdateAllHashes(),
                              Untracked(AlterTable(S, "t", (AddColumn(Column("d", "text")),))))
    _, exp = step(with_identity, RestartIdentity(S, "t", "n", 5))  # V24h, A43: also an ALTER TABLE of t
    assert exp.is_unspecified and "U3" in exp.rules
    indexed, _ = _after(t, CreateIndex(S, "i", "t", ("id",)), UpdateAllHashes(),
                        Untracked(AlterTable(S, "t", (AddColumn(Column("d", "text")),))))
    _, exp = step(indexed, RenameRelation("INDEX", S, "i", "j"))  # R3c fixes PATCH, U3 would include the drift
    assert exp.is_unspecified and "U3" in exp.rules
    clean, _ = _after(t)
    after, exp = step(clean, ValidateConstraint(S, "t", "c1"))
    assert exp.kind == "ok" and observe.objects(after, S) == observe.objects(clean, S)
    # V27's frame statements too (the reference records the drift at OWNER TO: a drift smoke in CI)
    for frame_op in (TableSetting("OWNER TO CURRENT_USER", S, "t"), CreateTrigger(S, "t", "tg"),
                     CreatePolicy(S, "t", "p1")):
        _, exp = step(state, frame_op)
        assert exp.is_unspecified and "U3" in exp.rules, frame_op
        after, exp = step(clean, frame_op)
        assert exp.kind == "ok" and observe.objects(after, S) == observe.objects(clean, S), frame_op


def test_u3_v25_a_statement_on_the_parent_of_a_drifted_child_is_open():
    """U3, V25: drift that reached an inheritance child (ADD COLUMN on the parent) leaves a later statement on the
    parent unspecified, even one that does not propagate (COMMENT): a backend keeping descendants in step records
    the child's drift (a fresh-clone smoke of the drift machine); a table without drifted descendants is predicted."""
    state, _ = _after(T, CreateChild(S, "c", "t"), Untracked(AlterTable(S, "t", (AddColumn(Column("d", "text")),))))
    _, exp = step(state, CommentOnTable(S, "t", "x"))
    assert exp.is_unspecified and "U3" in exp.rules
    other, _ = _after(T, CreateChild(S, "c", "t"), CreateTable(S, "u", [Column("id", "integer")]),
                      Untracked(AlterTable(S, "u", (AddColumn(Column("d", "text")),))))
    _, exp = step(other, CommentOnTable(S, "t", "x"))
    assert exp.kind == "ok"


def test_u3_v25_a_statement_on_the_former_parent_of_a_child_drift_detached_is_open():
    """U3, V25: drift that took a child out of the hierarchy (NO INHERIT) leaves a later statement on its former
    parent unspecified: a backend that walks the children its recorded structures name records the child's drift (a
    drift smoke, seed 259); the same NO INHERIT tracked leaves the parent's next statement predicted."""
    retype = AlterTable(S, "t", (AlterColumnType("a", "varchar"),))
    state, _ = _after(T, CreateChild(S, "c", "t"), Untracked(SetInherit(S, "c", "t", False)))
    _, exp = step(state, retype)
    assert exp.is_unspecified and "U3" in exp.rules
    tracked, _ = _after(T, CreateChild(S, "c", "t"), SetInherit(S, "c", "t", False))
    _, exp = step(tracked, retype)
    assert exp.kind == "ok"


def test_u3_h6_reports_exactly_the_drifted_objects():
    """U3/H6: after update_all_hashes and drift, has_changed is true for the table whose structure drift changed
    (and only for it)."""
    state, _ = _after(T, CreateTable(S, "u", [Column("x", "integer")]), UpdateAllHashes(),
                      Untracked(AlterTable(S, "t", (SetNotNull("id"),))))
    _, exp = step(state, DetectChangesByHash())
    changed = {r[0]: r[4] for r in exp.rows}
    assert changed == {"app.t": True, "app.u": False}


def test_u3_v9a_next_change_includes_the_drift():
    """U3/V9a: drift adds a NOT NULL column without default (MAJOR), then a tracked SET DEFAULT (PATCH): the
    tracked change is one ALTER at MAJOR, classified against what c recorded."""
    state, _ = _after(T, Untracked(AlterTable(S, "t", (AddColumn(Column("b", "integer", not_null=True)),))),
                      AlterTable(S, "t", (SetDefault("a", "x"),)))
    assert observe.objects(state, S)[("TABLE", S, "t", "main")] == (2, 2, 0, 0, True)
    assert observe.history(state, S)[("TABLE", S, "t", "main")][-1][:2] == ("ALTER", "MAJOR")


def test_b9_u3_a_change_made_on_another_branch_stays_open_on_a_drifted_table():
    """B9/U3: a column dropped and one added on a branch, then on main drift comments the table and a tracked COMMENT
    changes it. U3 classifies against main's record only what drift did; the columns main's record and the catalog
    disagree on came from the branch (B9 leaves that open), so the statement is unspecified, as it is without the
    drift. Before, the drift made the model predict MAJOR from main's old columns (a fresh-clone smoke of the
    drift machine; the reference recorded nothing)."""
    side = (CreateBranch("side", "main"), CheckoutBranch("side"),
            AlterTable(S, "t", (DropColumn("a"), AddColumn(Column("b", "integer", not_null=True)))),
            CheckoutBranch("main"))
    for drift in ((), (Untracked(CommentOnTable(S, "t", "0")),)):
        state, exps = _after(T, *side, *drift)
        assert all(not e.is_unspecified for e in exps), exps
        _, exp = step(state, CommentOnTable(S, "t", "1"))
        assert exp.is_unspecified and exp.rules == ("B9",), (drift, exp)


def test_u3_noop_on_a_drifted_table_is_unspecified():
    """U3 vs V9a: a statement that changes nothing on a table whose catalog drifted is left open."""
    state, _ = _after(T, Untracked(AlterTable(S, "t", (SetNotNull("id"),))))
    _, exp = step(state, AlterTable(S, "t", (SetNotNull("id"),)))
    assert exp.is_unspecified and exp.rules == ("U3",)


def test_u3_version_calls_leave_drift_created_objects_out():
    """U3: get_version of an object drift created is unspecified; show_table_versions leaves such tables out."""
    state, _ = _after(T, Untracked(CreateTable(S, "d", [Column("x", "integer")])))
    assert step(state, GetVersion("app.d"))[1].is_unspecified
    exp = step(state, ShowTableVersions(S))[1]
    assert [r[0] for r in exp.rows] == ["t"] and "d" in exp.exclude


def test_u3_detect_baseline_is_the_hash_before_the_drift():
    """H6 after drift compares with the stored baseline: old_hash is the structure at update_all_hashes."""
    state, _ = _after(T, UpdateAllHashes(), Untracked(AlterTable(S, "t", (SetDefault("a", "x"),))))
    row = next(r for r in step(state, DetectChangesByHash())[1].rows if r[0] == "app.t")
    assert isinstance(row[2], HashOf) and row[2].structure != row[3].structure


def test_u1_reinstall_changes_nothing_in_the_model():
    """U1: a re-install keeps every row; the model's state is the same object afterwards."""
    state, _ = _after(T)
    after, exp = step(state, Reinstall("/somewhere"))
    assert after is state and exp.rules == ("U1",)


def test_untracked_refuses_what_is_not_ddl():
    """An Untracked op wraps DDL only, and its triggers name a mode pg_event_trigger knows."""
    with pytest.raises(InvalidOp):
        Untracked(GetVersion("app.t"))  # type: ignore[arg-type]
    with pytest.raises(InvalidOp):
        Untracked(T, "disable", [("trg", "X")])


def test_u3_a_check_whose_rendering_is_unsure_set_against_a_new_one_is_open():
    """V10k/l, §12: drift changes a column's type under a CHECK (its rendering becomes unsure to the model) and a
    tracked statement takes the drift in; then `ADD CONSTRAINT k1 CHECK …, DROP CONSTRAINT k1` (PostgreSQL drops
    first) re-adds the same CHECK, which PostgreSQL renders as before: the model cannot tell, so it is left open
    rather than recorded MAJOR (a drift smoke, seed 406); a definite rendering still records nothing."""
    t = CreateTable(S, "t", [Column("id", "integer", default=0)], [])
    renew = AlterTable(S, "t", (AddConstraint(Check("k1", "id", "positive")), DropConstraint("k1")))
    state, _ = _after(t, UpdateAllHashes(),
                      Untracked(AlterTable(S, "t", (AddConstraint(Check("k1", "id", "positive")),))),
                      Untracked(AlterTable(S, "t", (AlterColumnType("id", "numeric"),))),
                      AlterTable(S, "t", (DropDefault("id"),)))
    _, exp = step(state, renew)
    assert exp.is_unspecified and "§12" in exp.rules
    clean, _ = _after(t, AlterTable(S, "t", (AddConstraint(Check("k1", "id", "positive")),)))
    after, exp = step(clean, renew)
    assert exp.kind == "ok" and observe.objects(after, S) == observe.objects(clean, S)
