"""X7, outcomes in doubt: a COMMIT whose connection is lost is kept both ways until an observation settles it.

The pure tests build histories by hand; the server tests really lose a COMMIT (program.STRIKES) on the reference.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.client import Completion
from pggit_model.divergences import Divergence
from pggit_model.driver import RunStats
from pggit_model.model import CheckContext, initial_state
from pggit_model.ops import Column
from pggit_model.parallel import History, ParallelHarness, Program
from pggit_model.parallel.checker import World, linearize, start
from pggit_model.parallel.history import Event
from pggit_model.parallel.program import STRIKES, Strike, strikes

PREFIX = initial_state(schemas=("par",))
T0 = 1_700_000_000.0
LOST = Completion("unknown", message="connection lost during COMMIT (close, X7)")


def ev(session: int, index: int, op: ops.Op, t0: float, t1: float | None, done: Completion | None) -> Event:
    if done is not None:
        done = Completion(done.status, done.value, done.sqlstate, done.message, T0 + t0, T0 + (t1 or t0))
    return Event(session, index, op, t0, t1, done)


def b1() -> ops.Op:
    return ops.CreateBranch("b1", "main")


def struck_history(later: Completion | None = None, before: Completion | None = None) -> History:
    """Session 0: BEGIN; create_branch('b1'); COMMIT whose connection is lost. With ``later``, session 1 calls
    create_branch('b1') after session 0's COMMIT was sent and gets ``later``."""
    block = [ops.Begin(), b1(), ops.Commit()]
    events = [ev(0, 0, block[0], 0.0, 0.1, Completion("ok")),
              ev(0, 1, block[1], 0.2, 0.3, before or Completion("ok", 7)),
              ev(0, 2, block[2], 0.4, 0.6, LOST)]
    sessions: list[list[ops.Op]] = [block]
    if later is not None:
        events.append(ev(1, 0, b1(), 1.0, 1.1, later))
        sessions.append([b1()])
    return History(Program((), sessions, [e.session for e in events]), tuple(events))


def branches_are(*names: str):  # type: ignore[no-untyped-def]
    """A final check: pgGit was observed with exactly ``names`` besides main (the observation that settles X7)."""
    def final(w: World, c: CheckContext) -> None:
        got = sorted(set(w.db.branches) - {"main"})
        if got != sorted(names):
            raise Divergence(f"observed branches {sorted(names)}, the model has {got}")
    return final


@pytest.mark.parametrize("observed", [("b1",), ()])
def test_a_lost_commit_is_explained_by_either_observed_outcome(observed: tuple[str, ...]) -> None:
    """X7: a COMMIT whose answer was lost may have committed or not; the final observation of either is explained."""
    h = struck_history()
    v = linearize(h.units(), start(PREFIX, 1), CheckContext(), branches_are(*observed))
    assert v.ok, v.why
    assert v.final is not None and ("b1" in v.final[0].db.branches) == bool(observed)


def test_a_final_state_matching_neither_outcome_is_caught() -> None:
    """X7/X8: keeping both outcomes does not accept anything: a final state that is neither is still a divergence."""
    h = struck_history()
    v = linearize(h.units(), start(PREFIX, 1), CheckContext(), branches_are("b2"))
    assert not v.ok and "final state differs" in v.why


@pytest.mark.parametrize(("later", "settled"), [(Completion("ok", 9), Completion("ok")),
                                                (Completion("error", sqlstate="23505"),
                                                 Completion("error", sqlstate="40P01"))])
def test_a_later_answer_settles_the_outcome(later: Completion, settled: Completion) -> None:
    """X7: session 1's create_branch('b1') after the lost COMMIT settles it: ok means it did not commit, 23505 that
    it did; each is explained with the COMMIT lost, and only by the outcome it implies (with the COMMIT's answer
    known to be the other one, the same later answer is unexplained)."""
    lost = struck_history(later)
    assert linearize(lost.units(), start(PREFIX, 2), CheckContext(), branches_are("b1")).ok
    events = list(lost.events)
    events[2] = ev(0, 2, ops.Commit(), 0.4, 0.6, settled)  # the answer that contradicts ``later``
    known = History(lost.program, tuple(events))
    v = linearize(known.units(), start(PREFIX, 2), CheckContext(), branches_are("b1"))
    assert not v.ok, "the contradicting outcome must not explain the later answer"


def test_a_second_success_after_a_lost_commit_needs_a_final_state_without_it() -> None:
    """X7/X8: when the observation matches neither outcome, a later answer does not rescue the history."""
    h = struck_history(Completion("ok", 9))

    def final(w: World, c: CheckContext) -> None:
        raise Divergence("the observation shows something no outcome gives")

    assert not linearize(h.units(), start(PREFIX, 2), CheckContext(), final).ok


def test_answers_before_the_lost_commit_are_still_checked() -> None:
    """X7 keeps the outcome open, not the answers: a create_branch answered 23505 inside the struck transaction,
    on a database without b1, is explained by no order."""
    h = struck_history(before=Completion("error", sqlstate="23505"))
    for final in (branches_are("b1"), branches_are()):
        v = linearize(h.units(), start(PREFIX, 1), CheckContext(), final)
        assert not v.ok and "statement 2" in v.why, v.why


def test_a_strike_needs_a_closing_commit() -> None:
    """A program can only strike a session that ends with COMMIT (X7 is about COMMIT); the error says so."""
    with pytest.raises(ValueError, match="does not end with a COMMIT"):
        Program((), [[b1()], [b1()]], [0, 1], strike=Strike(0, "close"))
    with pytest.raises(ValueError, match="not one of"):
        Strike(0, "pull the plug")


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_drawn_strikes_hit_a_closing_commit(data: st.DataObject) -> None:
    """The drawn flag strikes only sessions ending with COMMIT, and both ways of losing it are drawn."""
    suffixes = [[ops.Begin(), b1(), ops.Commit()], [b1()], [ops.Begin(), ops.GenerateTrinityId(), ops.Rollback()]]
    s = data.draw(strikes(suffixes, chance=1))
    assert s is not None and s.session == 0 and s.how in STRIKES


# -- on a real server ------------------------------------------------------------------------------------------

S = "par"
PREFIX_OPS = (ops.CreateTable(S, "t1", (Column("a", "integer"),)),)


def struck_program(how: str) -> Program:
    """Session 0 creates branch b1, commits on main and alters t1 in one transaction whose COMMIT is struck;
    session 1 draws a Trinity ID and creates b2 meanwhile."""
    s0 = [ops.Begin(), ops.CreateBranch("b1", "main"), ops.CreateCommit("main", "m", None),
          ops.AlterTable(S, "t1", (ops.AddColumn(Column("b", "integer")),)), ops.Commit()]
    s1 = [ops.GenerateTrinityId(), ops.CreateBranch("b2", "main")]
    return Program(PREFIX_OPS, [s0, s1], [0, 0, 1, 0, 0, 1, 0], strike=Strike(0, how))


@pytest.mark.server
@pytest.mark.parametrize("how", STRIKES)
def test_a_really_lost_commit_is_green_on_the_reference(parallel: ParallelHarness, how: str) -> None:
    """X7 on a real server: the COMMIT's connection is really lost (socket shut, backend terminated during or
    before it), the runner records it as unknown, and the machine is green on the reference; ``close`` always
    commits (the server read the COMMIT), ``early`` never does, ``terminate`` either."""
    verdict = parallel.check(struck_program(how), repeats=1)
    assert verdict.ok and verdict.final is not None
    has_b1 = "b1" in verdict.final[0].db.branches
    assert "b2" in verdict.final[0].db.branches
    if how == "close":
        assert has_b1, "the server read the COMMIT before the socket closed: it committed"
    if how == "early":
        assert not has_b1, "the backend was gone before the COMMIT was sent: nothing of it may remain (X7)"


@pytest.mark.server
def test_the_runner_records_the_lost_commit_as_unknown(parallel: ParallelHarness) -> None:
    """The struck COMMIT is recorded with outcome unknown (not ok, not an error): its unit is in doubt."""
    from pggit_model.client import Client
    from pggit_model.cluster import connect
    from pggit_model.parallel.runner import run_schedule

    program = struck_program("close")
    with parallel.harness.clones.example() as db:
        conninfo = parallel.harness.template.server.conninfo(db)
        with connect(conninfo) as c:
            c.execute(f"CREATE SCHEMA {S}")
            for op in program.prefix:
                Client(c, S).apply(op)
        history = run_schedule(program, conninfo)
    last = [e for e in history.events if e.session == 0][-1]
    assert last.done is not None and last.done.status == "unknown" and "X7" in (last.done.message or "")
    assert [u.in_doubt for u in history.units() if u.session == 0] == [True]


@pytest.mark.server
def test_half_of_a_lost_commit_in_the_observation_is_caught(parallel: ParallelHarness) -> None:
    """X7 "all or none": after a really lost COMMIT, an observation showing half of the transaction (its commit on
    main but not its branch b1: a planted wrong final state) is explained by neither outcome: DivergenceX8."""
    import attrs

    from pggit_model.client import Client
    from pggit_model.cluster import connect
    from pggit_model.driver import Driver
    from pggit_model.parallel.checker import check_history
    from pggit_model.parallel.runner import run_schedule

    program = struck_program("close")
    with parallel.harness.clones.example() as db:
        conninfo = parallel.harness.template.server.conninfo(db)
        with connect(conninfo) as setup:
            driver = Driver(Client(setup, S), S, stats=RunStats())
            setup.execute(f"CREATE SCHEMA {S}")
            for op in program.prefix:
                driver.run(op)
                driver.check_state()
            before = driver.client.observe().objects
            history = run_schedule(program, conninfo)
            snap = driver.client.observe()
    assert "b1" in snap.branches, "close: the server read the COMMIT, so it committed"
    check_history(history, driver.state, driver.ctx, snap, before=before)  # the real observation: explained
    half = attrs.evolve(snap, branches={k: v for k, v in snap.branches.items() if k != "b1"})
    with pytest.raises(Divergence) as caught:
        check_history(history, driver.state, driver.ctx, half, before=before)
    assert caught.value.rule == "X8" and "final state differs" in caught.value.message
