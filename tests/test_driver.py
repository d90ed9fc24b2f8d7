"""The loop for one example (pggit_model.driver.Driver) with a fake client: no server.

``FakeClient`` has the part of ``client.Client`` the Driver touches (``apply``, ``observe``, ``last_snapshot``,
``in_error``) and answers as an honest pgGit would unless a test tells it otherwise; its snapshot is built from the
model state it is handed (the checkers themselves are tested on hand-written snapshots in test_checkers.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from pggit_model.client import Completion
from pggit_model.divergences import Divergence
from pggit_model.driver import Driver
from pggit_model.known import Known, Registry
from pggit_model.model import CommitRef, State, observe
from pggit_model.ops import (
    Begin,
    CheckoutBranch,
    Column,
    CommentOnTable,
    CreateBranch,
    CreateCommit,
    CreateTable,
    Fault,
    GenerateTrinityId,
    GetVersion,
    OtherSession,
    TerminateSession,
)
from pggit_model.session import RunStats
from pggit_model.snapshot import BranchRow, HistoryRow, ObjectRow, Snapshot

S = "app"
T = CreateTable(S, "t", [Column("a", "int")])
T_MAIN = ("TABLE", S, "t", "main")
UUID = "11111111-2222-4333-8444-555555555555"
CREATE_BRANCH = "pggit.create_branch(text, text, boolean)"


def _ok(value: Any = None) -> Completion:
    return Completion("ok", value, answered_at=4_000_000_000.0)


def _error(sqlstate: str, message: str = "boom") -> Completion:
    return Completion("error", sqlstate=sqlstate, message=message)


def honest(state: State) -> Snapshot:
    """What an honest pgGit shows for ``state`` (no commits, an untouched Trinity sequence)."""
    objects = {k: ObjectRow(*v) for k, v in observe.objects(state, S).items()}
    return Snapshot(
        objects=objects,
        history={k: tuple(HistoryRow(*c) for c in h) for k, h in observe.history(state, S).items()},
        branches={n: BranchRow(status, parent, None) for n, (status, parent, _) in observe.branches(state).items()},
        commits=(),
        current_branch=observe.current_branch(state),
        ddl_hashes=dict.fromkeys(objects),
        conflicts=(),
        trinity_last_value=1,
        trinity_is_called=False,
    )


class FakeClient:
    """Answers every op ok (create_branch with an id) unless ``answers`` says otherwise; records what it was sent."""

    def __init__(self, answers: dict[Any, Any] | None = None) -> None:
        self.answers = dict(answers or {})
        self.sent: list[tuple[Any, bool, str | None]] = []
        self.snapshot: Snapshot | None = None  # what observe() returns; set by the test
        self.observed = 0
        self.last_snapshot: Snapshot | None = None
        self.in_error = False

    def apply(self, op: Any, *, observe: bool = True, text: str | None = None) -> Completion:
        self.sent.append((op, observe, text))
        answer = self.answers.get(op, _ok(7 if op.kind == "create_branch" else None))
        return answer() if callable(answer) else answer  # a callable answers at call time (T2 stamps)

    def observe(self) -> Snapshot:
        self.observed += 1
        assert self.snapshot is not None, "the test did not say what the database shows"
        return self.snapshot


def _driver(client: FakeClient | None = None, **kw: Any) -> tuple[Driver, FakeClient]:
    client = client or FakeClient()
    return Driver(client, S, stats=RunStats(), **kw), client  # type: ignore[arg-type]


# -- recording ----------------------------------------------------------------------------------------

def test_ops_are_recorded_in_order_with_session_events_in_place():
    """The reproducer lists every op run, ``record``ed events and ``recorded_as`` stand-ins where they happened."""
    d, client = _driver()
    other = FakeClient()
    d.run(T)
    d.record(TerminateSession())
    d.run(CreateBranch("b"), session=other)  # type: ignore[arg-type]
    struck = Fault("cancel", CommentOnTable(S, "t", "x"))
    d.run(CommentOnTable(S, "t", "x"), recorded_as=struck, text="COMMENT ON TABLE app.t IS 'x'")
    assert d.ops == [T, TerminateSession(), OtherSession(CreateBranch("b")), struck]
    assert [op for op, *_ in client.sent] == [T, CommentOnTable(S, "t", "x")]
    assert client.sent[1][2] == "COMMENT ON TABLE app.t IS 'x'" and other.sent[0][1] is False  # no observation
    assert d.reproducer().splitlines()[1] == "2. TerminateSession()"


def test_a_wrong_answer_raises_a_divergence_carrying_the_ops_so_far():
    """A wrong answer raises the Divergence of its rule, with the ops up to and including it (the reproducer)."""
    d, _ = _driver(FakeClient({CreateBranch("b"): _error("P0001")}))
    d.run(T)
    with pytest.raises(Divergence) as err:
        d.run(CreateBranch("b"))
    assert err.value.rule == "B2" and err.value.ops == [T, CreateBranch("b")] and err.value.step == 2
    assert "reproducer (ops run so far):\n1. CreateTable(" in "\n".join(err.value.__notes__)


def test_values_the_database_invented_are_fed_back_into_the_model():
    """C3/C7: create_commit's uuid is bound to its commit ref in the check context and in the model's state."""
    d, _ = _driver(FakeClient({CreateCommit("main", "m", "s"): _ok(UUID)}))
    d.run(CreateCommit("main", "m", "s"))
    assert d.ctx.bindings[CommitRef(0)] == UUID and d.state.counters.bound.get(CommitRef(0)) == UUID


# -- what is not run ----------------------------------------------------------------------------------

def test_a_missing_contract_function_is_reported_with_the_rules_it_blocks():
    """I4: 42883 naming the called contract function is "function missing", recorded with the rules it blocks."""
    gone = _error("42883", f"function {CREATE_BRANCH.split('(')[0]}(unknown) does not exist")
    d, _ = _driver(FakeClient({CreateBranch("b"): gone}))
    with pytest.raises(Divergence, match=r"function missing: pggit\.create_branch") as err:
        d.run(CreateBranch("b"))
    assert err.value.rule == "B2" and d.stats.missing_functions == {CREATE_BRANCH: ("B2", "B3", "B4", "B5")}


def test_a_function_missing_inside_a_contract_function_is_a_wrong_answer():
    """I4 only for the called function itself: 42883 about a helper it calls (pgcrypto's digest) is checked."""
    inner = _error("42883", "function digest(text, unknown) does not exist")
    d, _ = _driver(FakeClient({CreateBranch("b"): inner}))
    with pytest.raises(Divergence) as err:
        d.run(CreateBranch("b"))
    assert "function missing" not in err.value.message and d.stats.missing_functions == {}


def test_calls_of_a_function_the_install_lacks_are_skipped_not_sent():
    """I4: with the function missing from the install, its calls are counted as skipped, never sent or recorded."""
    d, client = _driver(missing=frozenset({CREATE_BRANCH}))
    assert not d.supports("create_branch") and d.supports("create_table") and d.supports("begin")
    assert d.run(CreateBranch("b")) is None and d.run(CreateBranch("c")) is None
    assert client.sent == [] and d.ops == [] and d.stats.skipped_missing == 2


def test_an_unspecified_prediction_is_not_sent():
    """An op whose outcome the contract leaves open (copy_data => true, B5) is not run, recorded or counted as a
    step: a run can only check what the model predicts."""
    d, client = _driver()
    before = d.state
    assert d.run(CreateBranch("b", copy_data=True)) is None
    assert client.sent == [] and d.ops == [] and d.state is before
    assert (d.stats.skipped_unspecified, d.stats.steps) == (1, 0)


# -- known divergences --------------------------------------------------------------------------------

def test_a_known_wrong_answer_is_counted_and_explored_past_and_a_new_one_raised():
    """A divergence the registry lists is counted under its id and the run goes on from what the database did
    (the failed statement had no effect, X4); one it does not list is raised."""
    registry = Registry((Known("dup", rule="V10", match="42P07"),))
    d, client = _driver(FakeClient({T: _error("42P07")}), known=registry)
    assert d.run(T) is not None
    assert d.stats.known == {"dup": 1} and T_MAIN not in d.state.db.rows  # the model keeps "not created"
    client.answers[T] = _error("42601")
    with pytest.raises(Divergence, match="42601"):
        d.run(T)


def test_after_a_known_wrong_success_of_a_branch_call_branch_calls_are_not_checked():
    """B3 known wrong success (a branch the contract rejects was made): which branches exist is unknown from then
    on, so a later checkout of that branch is unspecified (not sent, not a new divergence); DDL is still sent."""
    bad = CreateBranch("bad name!")
    registry = Registry((Known("any-name", rule="B3", op="create_branch", match="but it succeeded"),))
    d, client = _driver(FakeClient({bad: _ok(7)}), known=registry)
    assert d.run(bad) is not None and d.stats.known == {"any-name": 1}
    assert d.run(CheckoutBranch("bad name!")) is None and d.stats.skipped_unspecified == 1
    assert d.run(T) is not None and client.sent[-1][0] == T


def test_a_divergence_matching_a_fixed_entry_is_raised_as_a_regression():
    """An entry marked fixed does not excuse the divergence; the note says it looks like a regression."""
    registry = Registry((Known("dup", rule="V10", match="42P07", status="fixed"),))
    d, _ = _driver(FakeClient({T: _error("42P07")}), known=registry)
    with pytest.raises(Divergence) as err:
        d.run(T)
    assert any("marked fixed: a regression?" in n for n in err.value.__notes__)


def test_a_known_wrong_version_row_is_adopted_and_the_rest_still_checked():
    """O1: a known wrong version is taken over from the database (so the next change is checked from there),
    while a wrong branch in the same snapshot is still a new divergence."""
    registry = Registry((Known("bump", rule="V7"),))
    d, client = _driver(known=registry)
    d.run(T)
    wrong = honest(d.state)
    client.snapshot = attrs.evolve(wrong, objects={**wrong.objects, T_MAIN: ObjectRow(2, 2, 0, 0, True)})
    d.check_state()
    assert d.stats.known == {"bump": 1} and d.state.db.rows[T_MAIN].state == (2, 2, 0, 0)
    assert T_MAIN not in d.ignore.get("objects", set())  # adopted, so still compared
    d.run(CreateBranch("b"))
    snap = honest(d.state)
    client.snapshot = attrs.evolve(snap, branches={**snap.branches, "b": BranchRow("DELETED", "main", None)})
    with pytest.raises(Divergence) as err:
        d.check_state()
    assert err.value.rule == "B10" and err.value.ops == [T, CreateBranch("b")]


# -- state checks -------------------------------------------------------------------------------------

def test_the_state_is_not_read_while_the_transaction_is_in_error():
    """O9: after an error inside a transaction nothing is observed; once rolled back, the state is checked."""
    d, client = _driver()
    d.run(Begin())
    d.run(T)
    client.snapshot = attrs.evolve(honest(d.state), current_branch="elsewhere")
    client.in_error = True
    d.check_state()
    assert client.observed == 0
    client.in_error = False
    with pytest.raises(Divergence) as err:
        d.check_state()
    assert err.value.rule == "B6" and client.observed == 1


def test_a_state_is_observed_once_per_step_and_from_the_answers_round_trip():
    """The snapshot that came back with the op's answer is used, and a step is never checked twice."""
    d, client = _driver()
    d.run(T)
    client.last_snapshot = honest(d.state)
    d.check_state()
    d.check_state()
    assert client.observed == 0
    d.run(CreateBranch("b"))
    client.last_snapshot, client.snapshot = None, honest(d.state)
    d.check_state()
    d.check_state()
    assert client.observed == 1


def test_an_op_on_another_session_makes_the_next_check_observe_afresh():
    """T5/T6: running on a second session leaves the main session's last snapshot stale, so it is dropped."""
    d, client = _driver()
    client.last_snapshot = honest(d.state)
    other = FakeClient({GenerateTrinityId(): lambda: _ok(  # T2: stamped during the call, however slow the machine
        f"{datetime.now(UTC):%Y%m%d%H%M%S%f}-000001-9f3c01ab")})
    d.run(GenerateTrinityId(), session=other)  # type: ignore[arg-type]
    assert client.last_snapshot is None and client.sent == [] and len(other.sent) == 1


# -- faults -------------------------------------------------------------------------------------------

def test_a_tolerated_fault_means_no_effect():
    """X4: an op that fails with the tolerated SQLSTATE counts as a fired fault and changes nothing in the model."""
    d, client = _driver(FakeClient({T: _error("57014", "canceling statement due to statement timeout")}))
    assert d.run(T, tolerate="57014", recorded_as=Fault("statement_timeout", T)) is not None
    assert T_MAIN not in d.state.db.rows and d.stats.faults_fired == 1 and "X4" in d.stats.rules
    client.snapshot = honest(d.state)
    d.check_state()  # the database shows no table either


def test_a_tolerated_fault_inside_a_transaction_aborts_it():
    """X4: inside a transaction the fault's error aborts it, as any error does."""
    d, _ = _driver(FakeClient({T: _error("57014")}))
    d.run(Begin())
    d.run(T, tolerate="57014")
    assert d.state.aborted and T_MAIN not in d.state.db.rows


def test_a_fault_that_did_not_fire_is_checked_as_usual():
    """X4: when the statement beat the fault, its answer and effect are the model's; another error diverges."""
    d, _ = _driver()
    d.run(T, tolerate="57014")
    assert T_MAIN in d.state.db.rows and d.stats.faults_fired == 0
    d2, _ = _driver(FakeClient({T: _error("55P03")}))
    with pytest.raises(Divergence):
        d2.run(T, tolerate="57014")


def test_version_calls_about_an_object_given_up_on_are_not_sent():
    """After a known wrong success switched versions off ("*"), get_version is unspecified and not run."""
    d, client = _driver()
    d.run(T)
    d.ignore["objects"] = {"*"}
    assert d.run(GetVersion(f"{S}.t")) is None and [op for op, *_ in client.sent] == [T]


# -- given-up rows follow key changes (R1) ------------------------------------------------------------------

def test_r1_a_row_given_up_follows_its_key_change_and_nothing_else_does():
    """R1 through the harness: a rename moves a given-up TABLE row (and its COLUMN rows) to new keys, which are given
    up too (pgGit never had the row the model moves); a drop of a given-up key, and a rename of a row not given up,
    give up nothing new."""
    from pggit_model.adoption import carried_keys
    from pggit_model.model import initial_state, step
    from pggit_model.ops import DropTable, RenameRelation

    state = initial_state(schemas=(S,), search_path=(S,))
    state, _ = step(state, T)
    state, _ = step(state, CreateTable(S, "u", [Column("a", "int")]))
    renamed, _ = step(state, RenameRelation("TABLE", S, "t", "t2"))
    skip = {T_MAIN, ("COLUMN", S, "t.a", "*")}
    assert carried_keys(skip, state, renamed) == {
        ("TABLE", S, "t2", "main"), ("TABLE", S, "t2", "*"), ("COLUMN", S, "t2.a", "main"), ("COLUMN", S, "t2.a", "*")}
    assert carried_keys({("TABLE", S, "u", "main")}, state, renamed) == set()
    dropped, _ = step(state, DropTable(S, "t"))
    assert carried_keys(skip, state, dropped) == set()
