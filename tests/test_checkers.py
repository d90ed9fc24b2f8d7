"""The checkers (pggit_model.checkers) on hand-written snapshots: no server.

The model state comes from the pure model; each Snapshot is what an honest pgGit would show for it, written out
by hand, so a checker that compared the model with itself could not pass these tests. Each test then breaks one
field and asserts the Divergence names the contract rule that field belongs to.
"""

from __future__ import annotations

import hashlib
from typing import Any

import attrs
import pytest

from pggit_model import checkers, commit_checks
from pggit_model.client import Completion
from pggit_model.divergences import Divergence
from pggit_model.model import (
    ANY,
    CheckContext,
    CommitRef,
    Expected,
    HashOf,
    IsInt,
    Matches,
    MergeRef,
    NewCommitId,
    NewTrinityId,
    TrinityRef,
    initial_state,
    run,
)
from pggit_model.ops import (
    AddColumn,
    AlterTable,
    CheckoutBranch,
    Column,
    CommentOnTable,
    CreateBranch,
    CreateCommit,
    CreateTable,
    GenerateTrinityId,
    GetVersion,
    MergeBranches,
    Rollback,
    UpdateAllHashes,
)
from pggit_model.snapshot import BranchRow, CommitRow, HistoryRow, ObjectRow, Snapshot

S = "app"
OPS = [CreateTable(S, "t", [Column("a", "int")]), AlterTable(S, "t", [AddColumn(Column("x", "integer"))]),
       CreateBranch("b"), CreateCommit("main", "first", "CREATE TABLE t"), GenerateTrinityId()]
STATE, _ = run(initial_state((S,)), OPS)
UUID = "11111111-2222-4333-8444-555555555555"
HASH = "c0" * 32
TID = "20250301120000123456-000001-9f3c01ab"

T_MAIN, A_MAIN, X_MAIN = ("TABLE", S, "t", "main"), ("COLUMN", S, "t.a", "main"), ("COLUMN", S, "t.x", "main")
T_B = ("TABLE", S, "t", "b")
CREATED = (HistoryRow("CREATE", "MINOR", None, 1),)


def _ctx(*, checked: bool = False) -> CheckContext:
    """What checking the answers of OPS left behind: create_commit's uuid and the Trinity ID, bound; ``checked``:
    and the commit's hash, as a state check binds it."""
    ctx = CheckContext()
    ctx.bindings[CommitRef(0)] = UUID
    ctx.bindings[TrinityRef(0)] = TID
    if checked:
        ctx.bindings[("hash", CommitRef(0))] = HASH
    return ctx


def _snap(**changes: Any) -> Snapshot:
    """pgGit's state after OPS as an honest backend shows it (contract O1–O7), with ``changes`` applied."""
    v1, v2 = ObjectRow(1, 1, 0, 0, True), ObjectRow(2, 1, 1, 0, True)
    objects = {T_MAIN: v2, A_MAIN: v1, X_MAIN: v1,
               T_B: v2, ("COLUMN", S, "t.a", "b"): v1, ("COLUMN", S, "t.x", "b"): v1}
    snap = Snapshot(
        objects=objects,
        # B5: the branch copies the rows, not their history.
        history={T_MAIN: (*CREATED, HistoryRow("ALTER", "MINOR", 1, 2)), A_MAIN: CREATED, X_MAIN: CREATED},
        branches={"main": BranchRow("ACTIVE", None, HASH), "b": BranchRow("ACTIVE", "main", None)},
        commits=(CommitRow(HASH, "main", None, "first", hashlib.sha256(b"CREATE TABLE t").hexdigest(), UUID),),
        current_branch="main",
        ddl_hashes=dict.fromkeys(objects),
        conflicts=(),
        trinity_last_value=1,
        trinity_is_called=True,
    )
    return attrs.evolve(snap, **changes)


def _check(snap: Snapshot, *, state: Any = STATE, ctx: CheckContext | None = None, **kw: Any) -> None:
    checkers.state_matches_model(state, snap, S, ctx or _ctx(), op=OPS[-1], step=len(OPS), **kw)


def _rule(snap: Snapshot, **kw: Any) -> Divergence:
    with pytest.raises(Divergence) as err:
        _check(snap, **kw)
    return err.value


def _with(mapping: Any, key: Any, value: Any = None, *, drop: bool = False) -> dict:
    d = dict(mapping)
    if drop:
        del d[key]
    else:
        d[key] = value
    return d


# -- the whole state ----------------------------------------------------------------------------------

def test_an_honest_snapshot_passes_every_area_and_binds_the_commit_hash():
    """O1–O7: the snapshot an honest backend shows is accepted, and the commit's hash is learnt from its uuid (C3)."""
    ctx = _ctx()
    _check(_snap(), ctx=ctx)
    assert ctx.bindings[("hash", CommitRef(0))] == HASH


# -- objects (O1) and history (O2) --------------------------------------------------------------------

@pytest.mark.parametrize(("objects", "rule", "key"), [
    (_with(_snap().objects, T_MAIN, ObjectRow(3, 1, 1, 0, True)), "V7", T_MAIN),       # a version off by one
    (_with(_snap().objects, T_MAIN, ObjectRow(2, 1, 2, 0, True)), "V7", T_MAIN),       # M.m.p off by one
    (_with(_snap().objects, A_MAIN, ObjectRow(2, 1, 0, 0, True)), "V11", A_MAIN),      # a column's version
    (_with(_snap().objects, X_MAIN, drop=True), "V10", X_MAIN),                        # a created column missing
    (_with(_snap().objects, ("TABLE", S, "u", "main"), ObjectRow(1, 1, 0, 0, True)), "V15", ("TABLE", S, "u", "main")),
    (_with(_snap().objects, T_B, ObjectRow(2, 1, 1, 0, False)), "V14", T_B),            # inactive, model: active
])
def test_a_wrong_object_row_names_its_rule_and_row(objects, rule, key):
    """O1: one wrong pggit.objects row raises the rule of what is wrong with it, naming that row only."""
    d = _rule(_snap(objects=objects))
    assert (d.rule, d.area, d.keys) == (rule, "objects", (key,))


def test_a_wrong_object_row_says_what_the_step_did_on_both_sides():
    """O1: the divergence describes the change of the row on each side (what registry entries match)."""
    before = {T_MAIN: (1, 1, 0, 0, True)}
    with pytest.raises(Divergence, match=r"model \+MINOR v\+1 -> v2 1.1.0; pgGit \+MAJOR v\+1 -> v2 2.0.0"):
        _check(_snap(objects=_with(_snap().objects, T_MAIN, ObjectRow(2, 2, 0, 0, True))), before=before)


def test_rows_of_kinds_outside_v2_and_of_branches_not_live_are_not_compared():
    """V2/B10: rows of kinds the contract does not version, and rows of a branch the model does not hold live
    (DELETED, or unknown), are not compared (the client already keeps the observation to the machine's schema)."""
    extra = {("SEQUENCE", S, "s", "main"): ObjectRow(1, 1, 0, 0, True),
             ("TABLE", S, "t", "gone"): ObjectRow(7, 1, 0, 0, True)}
    _check(_snap(objects={**_snap().objects, **extra}))


@pytest.mark.parametrize(("history", "rule"), [
    (_with(_snap().history, T_MAIN, CREATED), "V8"),                                      # the ALTER row missing
    (_with(_snap().history, X_MAIN, (*CREATED, *CREATED)), "V8"),                         # one row too many
    (_with(_snap().history, T_MAIN, (*CREATED, HistoryRow("ALTER", "PATCH", 1, 2))), "V10"),  # wrong severity
    (_with(_snap().history, T_B, CREATED), "V8"),                                         # B5: not copied
])
def test_a_wrong_history_names_its_rule(history, rule):
    """O2/V8: a missing or extra history row is V8; the same ALTER with another severity is V10."""
    d = _rule(_snap(history=history))
    assert (d.rule, d.area) == (rule, "history")


# -- branches (O3) ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("branches", "rule"), [
    (_with(_snap().branches, "b", BranchRow("DELETED", "main", None)), "B10"),
    (_with(_snap().branches, "b", BranchRow("MERGED", "main", None)), "M4"),
    (_with(_snap().branches, "b", BranchRow("ACTIVE", None, None)), "B4"),
    (_with(_snap().branches, "b", drop=True), "B2"),
    (_with(_snap().branches, "c", BranchRow("ACTIVE", "main", None)), "B3"),
])
def test_a_wrong_branch_row_names_its_rule(branches, rule):
    """O3: a wrong status (B10 deleted, M4 merged), parent (B4), a missing (B2) or extra (B3) branch."""
    d = _rule(_snap(branches=branches))
    assert (d.rule, d.area) == (rule, "branches")


def test_a_branch_head_is_compared_through_the_bound_commit_hash():
    """O3/C2: main's head must be the hash of the commit the model made there, as bound through its uuid."""
    other = CommitRow("d0" * 32, "main", HASH, "x", None, None)
    snap = _snap(branches=_with(_snap().branches, "main", BranchRow("ACTIVE", None, other.hash)),
                 commits=(*_snap().commits, other))
    d = _rule(snap, ignore={"commits": {"*"}}, ctx=_ctx(checked=True))  # the extra commit alone is C2 too
    assert (d.rule, d.area) == ("C2", "branches")


# -- commits (O4, C2, C3, C8) -------------------------------------------------------------------------

def _commit(**changes: Any) -> tuple[CommitRow, ...]:
    return (attrs.evolve(_snap().commits[0], **changes),)


@pytest.mark.parametrize(("commits", "rule", "needle"), [
    ((*_snap().commits, *_snap().commits), "C8", "appears 2 times"),                 # a duplicate hash (C8a)
    (_commit(commit_id=None), "C3", "0 commits rows are identified"),                # the uuid finds no row
    (_commit(message="First"), "C4", "commits differ"),                              # message not verbatim
    (_commit(tree_hash="0" * 64), "C4", "commits differ"),
    (_commit(branch="b"), "C2", "commits differ"),                                   # on another branch
    ((*_snap().commits, CommitRow("d0" * 32, "main", HASH, "x", None, None)), "C2", "did not create"),
    (_commit(parent="e0" * 32), "C2", "commits differ"),
])
def test_a_wrong_commit_row_names_its_rule(commits, rule, needle):
    """O4: a duplicate hash (C8), a row the returned uuid does not find (C3), a changed field (C4/C2), an extra row."""
    d = _rule(_snap(commits=commits))
    assert (d.rule, d.area) == (rule, "commits") and needle in d.message


def test_the_commit_graph_is_sound_on_the_observed_rows():
    """C8b/C8d: a parent that is not a commit, or a head that is not a commit of its branch, is C8."""
    orphan = CommitRow("d0" * 32, None, "e0" * 32, "x", None, None)
    with pytest.raises(Divergence, match="C8b"):
        commit_checks._commit_graph_is_sound(_snap(commits=(*_snap().commits, orphan)), op=None, step=1)
    snap = _snap(branches=_with(_snap().branches, "b", BranchRow("ACTIVE", "main", HASH)))
    with pytest.raises(Divergence, match="C8d") as err:
        commit_checks._commit_graph_is_sound(snap, op=None, step=1)
    assert err.value.rule == "C8"


# -- the current branch (O5), hashes (O6), the sequence (O7), conflicts (M5) ---------------------------

def test_a_wrong_current_branch_is_b6_or_the_rollback_hint():
    """O5: a session on another branch than the model's is B6, and X1 when the step was a ROLLBACK (hint)."""
    d = _rule(_snap(current_branch="b"))
    assert (d.rule, d.area, d.expected, d.observed) == ("B6", "current", "main", "b")
    with pytest.raises(Divergence) as err:
        checkers.state_matches_model(STATE, _snap(current_branch="b"), S, _ctx(), op=Rollback(), step=6, hint="X1")
    assert err.value.rule == "X1"


@pytest.mark.parametrize(("last_value", "is_called"), [(1, False), (0, True)])
def test_a_reused_trinity_sequence_value_is_t7(last_value, is_called):
    """O7/T7: trinity_id_seq must not be below the value field 2 of an ID already returned (1 here)."""
    d = _rule(_snap(trinity_last_value=last_value, trinity_is_called=is_called))
    assert (d.rule, d.area) == ("T7", "trinity")


def test_the_trinity_sequence_may_run_ahead():
    """T7: gaps are allowed; only going back is a divergence."""
    _check(_snap(trinity_last_value=40, trinity_is_called=False))


def test_stored_ddl_hashes_are_checked_against_their_structure_class():
    """O6/H1/H5: after update_all_hashes a stored hash is 64 hex characters, the same for the same structure."""
    state, _ = run(STATE, [UpdateAllHashes()])
    assert isinstance(state.db.rows[T_MAIN].ddl_hash, HashOf)
    hashes = {k: hashlib.sha256(repr(k[:3]).encode()).hexdigest() for k in _snap().objects}  # same on b
    ctx = _ctx()
    _check(_snap(ddl_hashes=hashes), state=state, ctx=ctx)
    bad = _rule(_snap(ddl_hashes=_with(hashes, T_MAIN, "not a hash")), state=state, ctx=_ctx())
    assert (bad.rule, bad.area, bad.keys) == ("H1", "ddl_hashes", (T_MAIN,))
    again = _rule(_snap(ddl_hashes=_with(hashes, T_MAIN, "f" * 64)), state=state, ctx=ctx)  # same structure
    assert again.rule == "H2"


CONFLICT_OPS = [CreateTable(S, "w", []), CreateBranch("c"), CheckoutBranch("c"), CommentOnTable(S, "w", "c"),
                CheckoutBranch("main"), CommentOnTable(S, "w", "m"), CommentOnTable(S, "w", "n"),
                MergeBranches("c", "main")]


def test_merge_conflicts_are_one_row_per_conflict():
    """M5: the conflict row of the merge (by its bound id) is accepted; one row too many is M5."""
    state, _ = run(initial_state((S,)), CONFLICT_OPS)
    ctx = CheckContext()
    ctx.bindings[MergeRef(0)] = "m1"
    row = ("m1", "c", "main", f"{S}.w")
    commit_checks.merge_conflicts_match_model(state, _snap(conflicts=(row,)), ctx, op=CONFLICT_OPS[-1], step=8)
    with pytest.raises(Divergence) as err:
        commit_checks.merge_conflicts_match_model(state, _snap(conflicts=(row, row)), ctx, op=CONFLICT_OPS[-1], step=8)
    assert (err.value.rule, err.value.area) == ("M5", "conflicts")


# -- ignore (known divergences narrow the check) and the fast path ------------------------------------

def test_ignored_rows_and_branches_are_not_compared_but_the_rest_is():
    """A known divergence's keys leave the check; ``(type, schema, name, "*")`` covers the object on every branch."""
    wrong = _snap(objects=_with(_with(_snap().objects, T_MAIN, ObjectRow(9, 9, 0, 0, True)),
                                T_B, ObjectRow(9, 9, 0, 0, True)))
    _check(wrong, ignore={"objects": {("TABLE", S, "t", "*")}})
    assert _rule(wrong, ignore={"objects": {T_MAIN}}).keys == (T_B,)
    gone = _snap(branches=_with(_snap().branches, "b", BranchRow("DELETED", "main", None)))
    _check(gone, ignore={"branches": {"b"}})
    assert _rule(gone, ignore={"branches": {"main"}}).rule == "B10"


def test_an_area_switched_off_is_not_checked():
    """``ignore[area] = {"*"}`` turns a whole area off (a known wrong success), and only that area."""
    dup = _snap(commits=(*_snap().commits, *_snap().commits))
    _check(dup, ignore={"commits": {"*"}}, ctx=_ctx(checked=True))
    assert _rule(dup, ignore={"branches": {"*"}}).rule == "C8"


def test_with_the_commits_area_off_a_head_is_not_compared_with_the_commits_uuid():
    """A known commits divergence switches that area off for the rest of the example; a branch head moved by a
    later create_commit must not then be reported wrong because its hash was never learnt."""
    _check(_snap(), ignore={"commits": {"*"}}, ctx=_ctx())


def test_an_area_that_agrees_is_accepted_by_one_comparison(monkeypatch):
    """The fast path: rows read from pgGit equal the model's tuples, so no diff is computed when nothing differs."""
    assert ObjectRow(1, 1, 0, 0, True) == (1, 1, 0, 0, True) and CREATED[0] == STATE.db.history[A_MAIN][0]

    def explained(*_: Any) -> Any:
        raise AssertionError("a diff was computed for an area that agrees")

    monkeypatch.setattr(checkers, "_first_difference", explained)
    monkeypatch.setattr(checkers.observe, "history_matches", explained)
    monkeypatch.setattr(commit_checks, "_diff", explained)
    _check(_snap())
    with pytest.raises(AssertionError, match="a diff was computed"):
        _check(_snap(objects=_with(_snap().objects, T_MAIN, ObjectRow(3, 1, 1, 0, True))))  # the patch is live


# -- one statement's answer ---------------------------------------------------------------------------

def _done(value: Any = None, *, sqlstate: str | None = None, at: float = 4_000_000_000.0) -> Completion:
    if sqlstate is not None:
        return Completion("error", sqlstate=sqlstate, message="boom", answered_at=at)
    return Completion("ok", value, answered_at=at)


def _answer(expected: Expected, done: Completion, ctx: CheckContext | None = None, op: Any = None) -> None:
    checkers.check_completion(expected, done, ctx or CheckContext(), op=op or GenerateTrinityId(), step=1)


@pytest.mark.parametrize(("expected", "done"), [
    (Expected.ok("V3"), _done()),
    (Expected.error("42P07", "V3"), _done(sqlstate="42P07")),
    (Expected.error("42", "V3"), _done(sqlstate="42P01")),          # an error class
    (Expected.error(None, "B2"), _done(sqlstate="P0001")),          # any error
    (Expected.error(("22023", "P0001"), "B2"), _done(sqlstate="P0001")),
    (Expected.of(ANY, "B11"), _done(None)),
    (Expected.of(IsInt(), "B2"), _done(7)),
    (Expected.of(Matches("MERGE_.*", "M5"), "M5"), _done("MERGE_SUCCESS:1")),
    (Expected.unspecified("M6", "open"), _done(sqlstate="XX000")),
])
def test_an_answer_the_model_allows_is_accepted(expected, done):
    """The answer agrees: the same outcome, a SQLSTATE of the allowed class, a value the predicate accepts."""
    _answer(expected, done)


@pytest.mark.parametrize(("expected", "done", "rule", "needle"), [
    (Expected.ok(("V10a", "V3")), _done(sqlstate="42P07"), "V10", "expected success, got error 42P07"),
    (Expected.error("42P07", "V3"), _done(), "V3", "but it succeeded"),
    (Expected.error("42P07", "V3"), _done(sqlstate="42P01"), "V3", "expected SQLSTATE 42P07, got 42P01"),
    (Expected.of(IsInt(), "B2"), _done("7"), "B2", "expected an int"),
    (Expected.of(Matches("MERGE_.*", "M5"), "M5"), _done("CONFLICTS:1"), "M5", "expected text matching"),
    (Expected.of(3, "V17"), _done(4), "V17", "expected 3, got 4"),
])
def test_a_wrong_answer_names_the_expected_rule(expected, done, rule, needle):
    """The wrong outcome, SQLSTATE or value raises the Divergence of the expectation's first rule (its family)."""
    with pytest.raises(Divergence) as err:
        _answer(expected, done)
    assert err.value.rule == rule and err.value.rules == expected.rules[:1] and needle in err.value.message


def test_a_predicates_own_rule_is_in_the_message_registry_entries_match():
    """A predicate's rule (T6 here) is named in the message under the expectation's first rule (T1), which is
    what registry entries like ``rule = "T1", match = "T3: field 2 is"`` rely on."""
    expected = Expected.of(NewTrinityId(TrinityRef(1), after=(TrinityRef(0),)), ("T1", "T5", "T6"))
    ctx = CheckContext()
    ctx.bindings[TrinityRef(0)] = TID
    with pytest.raises(Divergence) as err:
        _answer(expected, _done(TID.replace("9f3c01ab", "00000000")), ctx)
    assert err.value.rule == "T1" and "T6/T7: field 2 is 1, not above 1" in err.value.message


def test_new_commit_ids_are_bound_once_and_never_reused():
    """C3: create_commit's uuid is bound to its ref; the same uuid for a later commit is a divergence."""
    ctx = CheckContext()
    op = CreateCommit("main", "m", "s")
    _answer(Expected.of(NewCommitId(CommitRef(0)), ("C2", "C3")), _done(UUID), ctx, op)
    assert ctx.bindings[CommitRef(0)] == UUID
    with pytest.raises(Divergence, match=r"C3: create_commit returned .* which an earlier commit already had"):
        _answer(Expected.of(NewCommitId(CommitRef(1)), ("C2", "C3")), _done(UUID), ctx, op)


def test_a_trinity_id_stamped_after_the_answer_is_t2():
    """T2: the completion's answer time bounds field 1 from above (check_completion sets it)."""
    expected = Expected.of(NewTrinityId(TrinityRef(0)), ("T1", "T2"))
    _answer(expected, _done(TID, at=4_000_000_000.0), CheckContext())
    with pytest.raises(Divergence, match=r"T2: field 1 .* is after the call returned"):
        _answer(expected, _done(TID, at=1_000_000_000.0), CheckContext())


def test_rows_are_read_for_row_calls():
    """A row call (GetVersion) is compared row by row on the expectation's columns; a missing row diverges."""
    op = GetVersion(f"{S}.t")
    expected = Expected.table(("version", "version_string"), [(2, "1.1.0")], "V17")
    _answer(expected, _done([{"version": 2, "version_string": "1.1.0", "other": "x"}]), op=op)
    with pytest.raises(Divergence, match="expected 1 rows"):
        _answer(expected, _done([]), op=op)


def test_a_lost_connection_is_not_a_divergence():
    """An unknown outcome (X5) is a ConnectionError for the machine to handle, not a contract verdict."""
    with pytest.raises(ConnectionError, match="lost during step 1"):
        _answer(Expected.ok("V3"), Completion("unknown", message="server closed the connection"))
