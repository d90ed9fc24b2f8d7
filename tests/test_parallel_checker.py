"""The linearizability checker (pggit_model.parallel.checker) on histories built by hand: pure and fast (X8)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.client import Completion
from pggit_model.divergences import Divergence
from pggit_model.model import CheckContext, initial_state
from pggit_model.ops import Op
from pggit_model.parallel.checker import World, check_history, linearize, start
from pggit_model.parallel.drawing import programs
from pggit_model.parallel.history import Event, History, Unit, timeline
from pggit_model.parallel.program import Program, predicted_everywhere, schedules, units

PREFIX = initial_state(schemas=("par",))
T0 = 1_700_000_000.0  # wall clock of the hand-built histories (T2 bounds use it)


def ok(value: object = None) -> Completion:
    return Completion("ok", value)


def err(sqlstate: str) -> Completion:
    return Completion("error", sqlstate=sqlstate, message="boom")


def ev(session: int, index: int, op: Op, t0: float, t1: float | None, done: Completion | None) -> Event:
    if done is not None:
        done = Completion(done.status, done.value, done.sqlstate, done.message, T0 + t0, T0 + (t1 or t0))
    return Event(session, index, op, t0, t1, done)


def group(events: Sequence[Event], statements: dict[int, Sequence[Op]]) -> list[Unit]:
    """The checker's units of hand-built events (transaction blocks together, as History.units does)."""
    prog = Program((), [statements[s] for s in sorted(statements)], [e.session for e in events])
    return History(prog, tuple(events)).units()


def no_final(w: World, c: CheckContext) -> None:
    return None


def branch_b1() -> Op:
    return ops.CreateBranch("b1", "main")


def test_one_of_two_concurrent_create_branch_succeeds_is_linearizable() -> None:
    """X8: two overlapping create_branch calls with one name, one ok and one rejected: an order explains it."""
    events = [ev(0, 0, branch_b1(), 0.0, 1.0, ok(7)), ev(1, 0, branch_b1(), 0.1, 0.9, err("23505"))]
    v = linearize(group(events, {0: [branch_b1()], 1: [branch_b1()]}), start(PREFIX, 2), CheckContext(), no_final)
    assert v.ok and v.order == [0, 1]


def test_both_concurrent_create_branch_succeeding_is_not_linearizable() -> None:
    """X8: both calls succeeding is explained by no order; the verdict names how far the search got."""
    events = [ev(0, 0, branch_b1(), 0.0, 1.0, ok(7)), ev(1, 0, branch_b1(), 0.1, 0.9, ok(8))]
    v = linearize(group(events, {0: [branch_b1()], 1: [branch_b1()]}), start(PREFIX, 2), CheckContext(), no_final)
    assert not v.ok
    assert len(v.closest) == 1 and "already exists" in v.why


def test_real_time_order_is_respected() -> None:
    """X8: a call that completed before the other was invoked comes first, so "first fails, second succeeds"
    is not linearizable although the reverse order would explain the answers."""
    events = [ev(0, 0, branch_b1(), 0.0, 1.0, err("23505")), ev(1, 0, branch_b1(), 2.0, 3.0, ok(8))]
    v = linearize(group(events, {0: [branch_b1()], 1: [branch_b1()]}), start(PREFIX, 2), CheckContext(), no_final)
    assert not v.ok
    overlapping = [ev(0, 0, branch_b1(), 0.0, 2.5, err("23505")), ev(1, 0, branch_b1(), 2.0, 3.0, ok(8))]
    assert linearize(group(overlapping, {0: [branch_b1()], 1: [branch_b1()]}), start(PREFIX, 2), CheckContext(),
                     no_final).ok


@pytest.mark.parametrize("second", [ok(8), err("23505")])
def test_an_in_doubt_call_is_tried_with_and_without_its_effect(second: Completion) -> None:
    """X7/X8: a call whose answer was lost may or may not have taken effect: either later answer is explained."""
    events = [ev(0, 0, branch_b1(), 0.0, None, None), ev(1, 0, branch_b1(), 1.0, 2.0, second)]
    v = linearize(group(events, {0: [branch_b1()], 1: [branch_b1()]}), start(PREFIX, 2), CheckContext(), no_final)
    assert v.ok


def test_a_deadlocked_transaction_counts_as_having_no_effect() -> None:
    """X8: a transaction aborted with 40P01 had no effect, so a later create_branch of its name succeeds; without
    the abort, that answer is unexplained."""
    block = [ops.Begin(), branch_b1(), ops.Commit()]
    aborted = [ev(0, 0, block[0], 0.0, 0.1, ok()), ev(0, 1, block[1], 0.2, 0.5, err("40P01")),
               ev(0, 2, block[2], 0.6, 0.7, ok())]
    later = ev(1, 0, branch_b1(), 1.0, 2.0, ok(9))
    assert linearize(group([*aborted, later], {0: block, 1: [branch_b1()]}), start(PREFIX, 2), CheckContext(),
                     no_final).ok
    committed = [*aborted[:1], ev(0, 1, block[1], 0.2, 0.5, ok(3)), aborted[2]]
    assert not linearize(group([*committed, later], {0: block, 1: [branch_b1()]}), start(PREFIX, 2), CheckContext(),
                         no_final).ok


def test_the_final_state_must_match() -> None:
    """X8: answers alone are not enough: an order is accepted only if the final check passes for its state."""
    events = [ev(0, 0, branch_b1(), 0.0, 1.0, ok(7))]
    seen: list[World] = []

    def final(w: World, c: CheckContext) -> None:
        seen.append(w)
        raise Divergence("the database has no branch b1")

    v = linearize(group(events, {0: [branch_b1()]}), start(PREFIX, 1), CheckContext(), final)
    assert not v.ok and "final state differs" in v.why and "b1" in seen[0].db.branches


def _sessions_of_time_zones(n: int, k: int, wrong: bool) -> tuple[list[Unit], int]:
    """n sessions × k SET TimeZone statements, overlapping across sessions; with ``wrong`` the last statement of
    session 0 is answered with an error the model does not predict, so no order explains the history."""
    events, statements = [], {}
    for s in range(n):
        statements[s] = [ops.SetTimeZone("UTC")] * k
        for i in range(k):
            t = i + s * 0.1
            bad = wrong and s == 0 and i == k - 1
            events.append(ev(s, i, statements[s][i], t, t + 0.95, err("22023") if bad else ok()))
    events.sort(key=lambda e: e.invoked)
    return group(events, statements), (k + 1) ** n


def test_memoisation_bounds_a_4_by_8_search() -> None:
    """Lowe's memo: an unexplainable history of 4 sessions × 8 statements explores at most one state per
    combination of session progress (9^4), not the 32!/(8!^4) interleavings, and answers in well under a second."""
    us, bound = _sessions_of_time_zones(4, 8, wrong=True)
    t0 = time.perf_counter()
    v = linearize(us, start(PREFIX, 4), CheckContext(), no_final)
    took = time.perf_counter() - t0
    assert not v.ok
    assert v.explored <= bound
    assert took < 2.0, f"the search took {took:.2f} s"
    assert linearize(_sessions_of_time_zones(4, 8, wrong=False)[0], start(PREFIX, 4), CheckContext(), no_final).ok


def test_check_history_names_x8_and_prints_a_timeline() -> None:
    """A non-linearizable history raises a DivergenceX8 whose message carries the closest order and the timeline."""
    events = (ev(0, 0, branch_b1(), 0.0, 1.0, ok(7)), ev(1, 0, branch_b1(), 0.1, 0.9, ok(8)))
    history = History(Program((), [[branch_b1()], [branch_b1()]], [0, 1]), events)
    with pytest.raises(Divergence) as caught:
        check_history(history, PREFIX, CheckContext(), _snapshot_with_no_commits())
    assert caught.value.rule == "X8"
    text = str(caught.value)
    assert "session 0" in text and "session 1" in text and "Closest order" in text


def test_duplicate_trinity_ids_are_x10() -> None:
    """X10: two sessions given the same Trinity ID is a divergence before any search."""
    same = f"20240101000000000000-000001-{uuid.uuid4().hex[:8]}"
    gen = ops.GenerateTrinityId()
    events = (ev(0, 0, gen, 0.0, 1.0, ok(same)), ev(1, 0, gen, 0.1, 0.9, ok(same)))
    history = History(Program((), [[gen], [gen]], [0, 1]), events)
    with pytest.raises(Divergence) as caught:
        check_history(history, PREFIX, CheckContext(), _snapshot_with_no_commits())
    assert caught.value.rule == "X10"


def _snapshot_with_no_commits() -> object:
    class Snap:
        commits: tuple[object, ...] = ()
    return Snap()


def test_timeline_has_one_column_per_session() -> None:
    """The timeline puts each statement in its session's column, in time order, and marks lock waits."""
    events = (ev(0, 0, branch_b1(), 0.0, 1.0, ok(7)), ev(1, 0, branch_b1(), 0.5, 2.0, err("23505")))
    events = (events[0], Event(1, 0, branch_b1(), 0.5, 2.0, events[1].done, blocked=True))
    text = timeline(History(Program((), [[branch_b1()], [branch_b1()]], [0, 1]), events))
    lines = text.splitlines()
    assert "session 0" in lines[0] and "session 1" in lines[0]
    assert "(waited) error 23505" in text
    rows = [ln for ln in lines[2:] if "create_branch" in ln]
    assert rows[0].index("create_branch") < rows[1].index("create_branch")  # column 0, then column 1


def test_units_group_transaction_blocks() -> None:
    """A BEGIN … COMMIT block is one unit; autocommit statements are one each."""
    stmts = [branch_b1(), ops.Begin(), branch_b1(), ops.Rollback(), ops.GenerateTrinityId()]
    assert units(stmts) == [(0, 1), (1, 4), (4, 5)]


@settings(max_examples=30, database=None, deadline=None)
@given(st.lists(st.integers(0, 8), min_size=2, max_size=4), st.data())
def test_schedules_start_each_statement_once(lengths: list[int], data: st.DataObject) -> None:
    """A drawn schedule names session i exactly len(session i) times."""
    sched = data.draw(schedules(lengths))
    assert [sched.count(i) for i in range(len(lengths))] == lengths


@settings(max_examples=10, database=None, deadline=None)
@given(programs())
def test_drawn_programs_are_predicted_in_every_session_order(p: Program) -> None:
    """Every drawn program's statements are predicted by the model when sessions run one after another."""
    from pggit_model.model import run
    state, _ = run(initial_state(schemas=(p.schema,)), list(p.prefix))
    assert predicted_everywhere(state, p.sessions)
    assert 2 <= len(p.sessions) <= 4 and all(1 <= len(s) <= 8 for s in p.sessions)


def _tid(seq: int, at: float) -> str:
    """A Trinity ID stamped at ``at`` seconds into the hand-built history (T1, T2)."""
    from datetime import UTC, datetime

    return f"{datetime.fromtimestamp(T0 + at, UTC):%Y%m%d%H%M%S%f}-{seq:06d}-9f3c01ab"


def _two_transactions(first_seq: int, second_seq: int) -> History:
    """Session 0 draws a Trinity ID, then waits on session 1's new branch b1 and fails on it (23505), so the serial
    order must put session 1's transaction first, although session 1 drew its ID later."""
    gen, begin, commit, b1 = ops.GenerateTrinityId(), ops.Begin(), ops.Commit(), branch_b1()
    events = (ev(0, 0, begin, 0.0, 0.1, ok()), ev(0, 1, gen, 0.2, 0.3, ok(_tid(first_seq, 0.25))),
              ev(1, 0, begin, 0.4, 0.5, ok()), ev(1, 1, gen, 0.6, 0.7, ok(_tid(second_seq, 0.65))),
              ev(1, 2, b1, 0.75, 0.8, ok(7)), ev(0, 2, b1, 0.85, 1.0, err("23505")),
              ev(1, 3, commit, 0.9, 0.95, ok()), ev(0, 3, commit, 1.05, 1.1, ok()))
    prog = Program((), [[begin, gen, b1, commit], [begin, gen, b1, commit]], [e.session for e in events])
    return History(prog, events)


def test_trinity_ids_are_ordered_by_when_the_calls_ran_not_by_commit_order() -> None:
    """T6/X8: sequences are not transactional, so an ID drawn earlier in a transaction that commits later is
    smaller, and some serial order still explains the history (the checker must not demand commit order)."""
    h = _two_transactions(1, 2)
    v = linearize(h.units(), start(PREFIX, 2), CheckContext(), no_final)
    assert v.ok, v.why


def test_a_trinity_id_smaller_than_one_returned_before_the_call_began_is_t6() -> None:
    """T6: the second call began after the first returned 2, so its 1 is a divergence (real time, not order)."""
    from pggit_model.parallel.checker import trinity_in_real_time

    with pytest.raises(Divergence) as caught:
        trinity_in_real_time(_two_transactions(2, 1), PREFIX, CheckContext())
    assert caught.value.rule == "T6"
    trinity_in_real_time(_two_transactions(1, 2), PREFIX, CheckContext())  # in real-time order: fine


def test_a_statement_unpredictable_in_one_unit_order_rejects_the_program() -> None:
    """Drawn programs must be predictable in every serial order of their units, not only of whole sessions: here
    session 1's merge of b1 between session 0's two units makes session 0's merge of b1 (already MERGED)
    unspecified, and the checker would have called a correct history unexplained (found by seed 1 with strikes)."""
    from pggit_model.model import run

    prefix = [ops.CreateTable("par", "t1", (ops.Column("a", "integer"),)), ops.CreateBranch("b1", "main")]
    state, _ = run(initial_state(schemas=("par",)), prefix)
    s0 = [ops.CommitChanges("main", "c"), ops.Begin(), ops.CreateBranch("b2", "main"),
          ops.MergeBranches("b1", "main", "m"), ops.Rollback()]
    s1 = [ops.MergeBranches("b1", "main", "Merge branch"), ops.CreateBranch("b2", "main")]
    assert not predicted_everywhere(state, [s0, s1])
    assert predicted_everywhere(state, [s0, [ops.CreateBranch("b2", "main")]])


@settings(max_examples=60, deadline=None)
@given(programs())
def test_no_lookup_inside_a_read_committed_transaction_block(program: Program) -> None:
    """X8 claims serializability for multi-statement transactions only at SERIALIZABLE: at READ COMMITTED a lookup
    inside a block may see another session's commit between two statements (a correct history the search cannot
    place as one unit), so programs put lookups in autocommit only."""
    for session in program.sessions:
        depth = 0
        for op in session:
            depth += op.kind == "begin"
            depth -= op.kind in ("commit", "rollback")
            assert not (depth and op.kind in ("show_table_versions", "get_version", "get_history")), session


def test_a_concurrency_divergence_the_registry_lists_is_explored_past() -> None:
    """X9 with --pggit-known: a deadlock the registry lists is counted and the program skipped, as the Driver
    explores past a known sequential divergence; one it does not list still fails the program."""
    from types import SimpleNamespace

    from pggit_model import known
    from pggit_model.divergences import divergence_type
    from pggit_model.parallel import ParallelHarness
    from pggit_model.session import RunStats

    entry = known.Known(id="a-deadlock", rule="X9", op="parallel", match="UpdateAllHashes.*\\n.*40P01")
    harness = SimpleNamespace(known=known.Registry((entry,)), stats=RunStats(), template=SimpleNamespace(server=None))
    p = ParallelHarness(harness)  # type: ignore[arg-type]
    program = Program((), [[ops.UpdateAllHashes()], [ops.UpdateAllHashes()]], [0, 1])

    def deadlock(statement: str) -> None:
        raise divergence_type("X9")(f"session 0 statement 1 failed with {statement} at READ COMMITTED",
                                    op=ops.Parallel((tuple(program.sessions[0]), tuple(program.sessions[1])),
                                                    (0, 1), "read committed"))

    p._check = lambda program, repeats: deadlock("40P01")  # type: ignore[method-assign]
    assert p.check(program) is None and harness.stats.known == {"a-deadlock": 1}
    p._check = lambda program, repeats: deadlock("40001")  # type: ignore[method-assign]
    with pytest.raises(Divergence):
        p.check(program)


def test_an_x11_final_state_the_sessions_in_sequence_explain_is_explored_past() -> None:
    """X11/X12 with --pggit-known: when every unit was placed and only the final state differs (one row summing
    two statements' known divergences, which no single entry names), the sessions run in sequence decide, as for
    X8; an X11 40001 pgGit caused is still a finding."""
    from types import SimpleNamespace

    from pggit_model import known
    from pggit_model.divergences import divergence_type
    from pggit_model.parallel import ParallelHarness
    from pggit_model.parallel.machine import FINAL_ONLY
    from pggit_model.session import RunStats

    entry = known.Known(id="some-root", rule="V7", op="alter_table", match="never")
    harness = SimpleNamespace(known=known.Registry((entry,)), stats=RunStats(), template=SimpleNamespace(server=None))
    p = ParallelHarness(harness)  # type: ignore[arg-type]
    p.known_in_sequence = lambda program: {"some-root"}  # type: ignore[method-assign]
    program = Program((), [[ops.UpdateAllHashes()], [ops.UpdateAllHashes()]], [0, 1])

    def x11(message: str) -> None:
        raise divergence_type("X11")(message)

    p._check = lambda program, repeats: x11(f"no serial order …\nStopped because: {FINAL_ONLY}: [V7] …")  # type: ignore[method-assign]
    assert p.check(program) is None and p.skipped_known == 1
    p._check = lambda program, repeats: x11("session 1 statement 2 failed with 40001 at REPEATABLE READ")  # type: ignore[method-assign]
    with pytest.raises(Divergence):
        p.check(program)
