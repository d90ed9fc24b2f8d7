"""Which serialization failures the contract allows (pggit_model.parallel.levels: X11, X12) on hand-built
histories, and the contended programs (pggit_model.parallel.contention) that make sessions meet: pure and fast."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from hypothesis import HealthCheck, given, seed, settings

from pggit_model import ops
from pggit_model.client import Completion
from pggit_model.model import CheckContext, initial_state, run
from pggit_model.ops import Column, Op
from pggit_model.parallel.checker import World, linearize, start
from pggit_model.parallel.contention import TABLES, aligned, contended_programs
from pggit_model.parallel.drawing import programs
from pggit_model.parallel.history import Event, History
from pggit_model.parallel.levels import commit_order, keys, unexplained_aborts, why_allowed
from pggit_model.parallel.program import Program, predicted_everywhere

S = "par"
PREFIX_OPS = [ops.CreateTable(S, "t1", (Column("a", "integer"),)), ops.CreateTable(S, "t2", (Column("a", "integer"),))]
PREFIX, _ = run(initial_state(schemas=(S,)), PREFIX_OPS)


def add(table: str, column: str) -> Op:
    return ops.AlterTable(S, table, (ops.AddColumn(Column(column, "integer")),))


def history(a_table: str, b_table: str, b_level: str, a_level: str | None = None,
            b_state: str | None = "40001") -> History:
    """A: `BEGIN; DDL on a_table; COMMIT` (0.0–2.0) ∥ B: `BEGIN …; SELECT 1; DDL on b_table; COMMIT`, B's snapshot
    at 0.5, its DDL answering at 2.5 (with ``b_state``)."""
    a = [ops.Begin(a_level), add(a_table, "b"), ops.Commit()]
    b = [ops.Begin(b_level), ops.TakeSnapshot(), add(b_table, "c"), ops.Commit()]
    ok, bad = Completion("ok"), Completion("error", sqlstate=b_state)
    events = [Event(0, 0, a[0], 0.0, 0.1, ok), Event(0, 1, a[1], 0.2, 0.3, ok),
              Event(1, 0, b[0], 0.4, 0.45, ok), Event(1, 1, b[1], 0.5, 0.55, ok),
              Event(1, 2, b[2], 0.6, 2.5, bad if b_state else ok), Event(0, 2, a[2], 1.9, 2.0, ok),
              Event(1, 3, b[3], 2.6, 2.7, ok)]
    return History(Program(PREFIX_OPS, [a, b], [e.session for e in events], S, b_level), tuple(events))


def test_a_40001_on_the_key_another_unit_changed_after_the_snapshot_is_allowed() -> None:
    """X11(b): B's DDL on t1 may fail with 40001 when A changed t1 and committed after B's snapshot (also X12)."""
    for level in ("repeatable read", "serializable"):
        h = history("t1", "t1", level)
        units = h.units()
        assert why_allowed(units[1], units) is not None and not unexplained_aborts(h)


def test_a_40001_on_another_table_is_not_allowed_at_repeatable_read() -> None:
    """X11(c): B's DDL on t2 failing with 40001 because A changed t1 is pgGit's, at READ COMMITTED too (X9)."""
    for level in ("repeatable read", "read committed"):
        h = history("t1", "t2", level)
        assert why_allowed(h.units()[1], h.units()) is None
    assert [u.session for u in unexplained_aborts(history("t1", "t2", "repeatable read"))] == [1]


def test_serializable_may_fail_beside_an_overlapping_serializable_unit_only() -> None:
    """X12: at SERIALIZABLE a 40001 on t2 is allowed while an overlapping SERIALIZABLE unit touches pgGit, not when
    the overlapping unit runs at READ COMMITTED."""
    both = history("t1", "t2", "serializable", a_level="serializable")
    assert (why_allowed(both.units()[1], both.units()) or "").startswith("X12")
    alone = history("t1", "t2", "serializable")
    assert why_allowed(alone.units()[1], alone.units()) is None


def test_a_40p01_at_repeatable_read_always_goes_to_the_control() -> None:
    """X11(c): a deadlock is never pgGit's to add, whatever keys the units share."""
    assert [u.session for u in unexplained_aborts(history("t1", "t1", "repeatable read", b_state="40P01"))] == [1]


def test_keys_are_read_generously_off_the_statements() -> None:
    """The keys a statement records on: its table, a foreign key's target, every object for a CASCADE, the
    branch row for commits."""
    fk = ops.AlterTable(S, "t2", (ops.AddConstraint(ops.ForeignKey("f", ("a",), S, "t1", ("a",))),))
    assert keys(fk) == {("obj", "t2"), ("obj", "t1")}
    assert keys(ops.DropTable(S, "t1", cascade=True)) == {("obj", "*")}
    assert keys(ops.CommitChanges("b1", "c")) == {("branch", "b1")}
    assert keys(ops.TakeSnapshot()) == frozenset()


def _branch_after(a_op: Op, parent: str, a_commits_at: float = 2.0, b_state: str = "40001") -> History:
    """A: `BEGIN; a_op; COMMIT` (committing at ``a_commits_at``) ∥ B: `BEGIN REPEATABLE READ; SELECT 1;
    create_branch('b2', parent); COMMIT`, B's snapshot at 0.5 and its create_branch answering at 2.5 with
    ``b_state``."""
    a = [ops.Begin(), a_op, ops.Commit()]
    b = [ops.Begin("repeatable read"), ops.TakeSnapshot(), ops.CreateBranch("b2", parent), ops.Commit()]
    ok = Completion("ok")
    events = sorted([Event(0, 0, a[0], 0.0, 0.1, ok), Event(0, 1, a[1], 0.2, 0.3, ok),
                     Event(1, 0, b[0], 0.4, 0.45, ok), Event(1, 1, b[1], 0.5, 0.55, ok),
                     Event(1, 2, b[2], 0.6, 2.5, Completion("error", sqlstate=b_state)),
                     Event(0, 2, a[2], a_commits_at - 0.1, a_commits_at, ok), Event(1, 3, b[3], 2.6, 2.7, ok)],
                    key=lambda e: e.invoked)
    return History(Program(PREFIX_OPS, [a, b], [e.session for e in events], S, "repeatable read"), tuple(events))


def test_create_branch_may_fail_with_40001_only_when_its_parent_changed_after_the_snapshot() -> None:
    """X11(b) for the copy (known gap R4): create_branch at REPEATABLE READ copies its parent's rows, so it may fail
    with 40001 when a unit that committed after its snapshot changed rows of the parent (DDL on main, a merge into
    it, update_all_hashes); not after a commit on the parent (no row copied changes), nor a change on another
    branch, nor one committed before the snapshot, nor with another SQLSTATE: a checker that excused every 40001 in
    create_branch would let a backend fail it at will (X11(c))."""
    ddl = add("t1", "c00")
    for a_op in (ddl, ops.MergeBranches("b1", "main"), ops.UpdateAllHashes()):
        h = _branch_after(a_op, "main")
        assert (why_allowed(h.units()[1], h.units()) or "").startswith("X11(b), R4"), a_op
        assert not unexplained_aborts(h)
    refused = [_branch_after(ops.CreateCommit("main", "m", None), "main"), _branch_after(ddl, "b1"),
               _branch_after(ops.MergeBranches("main", "b1"), "main"), _branch_after(ddl, "main", a_commits_at=0.35)]
    for h in refused:
        assert why_allowed(h.units()[1], h.units()) is None, h.program.sessions[0]
        assert [u.session for u in unexplained_aborts(h)] == [1]
    deadlock = _branch_after(ddl, "main", b_state="40P01")
    assert [u.session for u in unexplained_aborts(deadlock)] == [1]


def test_commit_order_places_a_repeatable_read_block_after_what_committed_before_it() -> None:
    """X11(a): B (REPEATABLE READ, committing after A) must come after A although they overlap in real time; a
    REPEATABLE READ block that did not commit, or a READ COMMITTED one, gets no such edge."""
    assert commit_order(history("t1", "t2", "repeatable read", b_state=None).units()) == [0, 0b01]
    assert commit_order(history("t1", "t2", "repeatable read").units()) == [0, 0]  # B failed: no effect to place
    assert commit_order(history("t1", "t2", "read committed", b_state=None).units()) == [0, 0]


def test_commit_order_trusts_only_answers_seen_before_the_commit_was_sent() -> None:
    """X11(a): A (REPEATABLE READ) commits on main; B's autocommit create_commit on main waited for A's lock and
    answered 0.1 ms before A's COMMIT answer was read. B committed after A (its parent is A's commit), so the order
    may not demand B before A: only a unit that answered before A's COMMIT was sent surely committed before it
    (the ci run bb72b4474c on the reference, a race: 1 of 3 runs)."""
    commit = ops.CreateCommit("main", "m", None)
    a = [ops.Begin("repeatable read"), ops.TakeSnapshot(), add("t1", "c00"), commit, ops.Commit()]
    ok = Completion("ok")
    events = [Event(0, 0, a[0], 0.0, 0.1, ok), Event(0, 1, a[1], 0.2, 0.3, ok), Event(0, 2, a[2], 0.4, 0.5, ok),
              Event(1, 0, commit, 0.6, 0.955, ok), Event(0, 3, commit, 0.8, 0.9, ok),
              Event(0, 4, a[4], 0.91, 0.96, ok)]
    units = History(Program(PREFIX_OPS, [a, [commit]], [e.session for e in events], S, "repeatable read"),
                    tuple(events)).units()
    assert commit_order(units) == [0, 0]
    # answered before A's COMMIT was sent: surely committed before A, so A follows it
    early = [*events[:3], Event(1, 0, commit, 0.6, 0.7, ok), *events[4:]]
    units = History(Program(PREFIX_OPS, [a, [commit]], [e.session for e in early], S, "repeatable read"),
                    tuple(early)).units()
    assert commit_order(units) == [0b10, 0]


def test_the_search_respects_the_commit_order_edges() -> None:
    """X11(a): a history that only "B first" explains (A's create_branch rejected because B's ran first, though A
    started first and both overlap) is explained by real time alone, and rejected once B must follow A."""
    b1 = ops.CreateBranch("b1", "main")
    ok, dup = Completion("ok", 7), Completion("error", sqlstate="23505")
    events = [Event(0, 0, b1, 0.0, 2.5, dup), Event(1, 0, b1, 2.0, 3.0, ok)]
    units = History(Program((), [[b1], [b1]], [0, 1]), tuple(events)).units()

    def final(w: World, c: CheckContext) -> None:
        return None

    assert linearize(units, start(PREFIX, 2), CheckContext(), final).ok
    assert not linearize(units, start(PREFIX, 2), CheckContext(), final, before=[0, 0b01]).ok


def test_aligned_rounds_cross_the_lock_orders() -> None:
    """Contended schedules open every block, run the k-th hot statements of all sessions in round k, then close:
    session 0's X, session 1's Y, session 0's Y, session 1's X (crossing), with an autocommit statement in round 0."""
    x, y = ops.CreateCommit("main", "m", None), add("t1", "b")
    s0 = [ops.Begin("repeatable read"), ops.TakeSnapshot(), x, y, ops.Commit()]
    s1 = [ops.Begin("repeatable read"), ops.TakeSnapshot(), y, x, ops.Commit()]
    assert aligned([s0, s1, [y]]) == [0, 0, 1, 1, 0, 1, 2, 0, 1, 0, 1]


def _blocks(program: Program) -> Sequence[Sequence[Op]]:
    return [s for s in program.sessions if s and s[0].kind == "begin"]


@settings(max_examples=40, database=None, deadline=None, suppress_health_check=list(HealthCheck))
@given(contended_programs(schema=S))
def test_contended_programs_are_predicted_and_start_blocks_with_their_snapshot(program: Program) -> None:
    """Contended programs are predictable in every order (as all programs), work on the prefix's two tables, and at
    REPEATABLE READ / SERIALIZABLE their blocks run at that level."""
    state, _ = run(initial_state(schemas=(S,)), list(program.prefix))
    assert predicted_everywhere(state, program.sessions)
    assert [getattr(op, "name", None) for op in program.prefix[:2]] == list(TABLES)
    for block in _blocks(program):
        level = None if program.level == "read committed" else program.level
        assert getattr(block[0], "isolation", None) == level, block


def test_about_half_of_the_machines_programs_are_contended() -> None:
    """programs() draws a contended program one time in two (its prefix: exactly the two contended tables), and
    never with contention=0. Counted over three seeds of 100 examples: Hypothesis's own choices lower the share
    of one run (29–46 % under eight seeds of 6.170, 19 % once under a random seed in CI), so a floor on one random
    run failed by luck; the floor is 15 % of the 300, and a contended share at or near zero still fails it."""
    counts: Counter[tuple[int, bool]] = Counter()
    for contention, seeds in ((2, (0, 1, 2)), (0, (0,))):
        for s in seeds:
            @seed(s)
            @settings(max_examples=100, database=None, deadline=None, suppress_health_check=list(HealthCheck))
            @given(programs(contention=contention))
            def draw(p: Program) -> None:
                counts[contention, _is_contended(p)] += 1  # noqa: B023 (run before the loop moves on)

            draw()
    assert counts[2, True] >= 45 and counts[2, False] >= 75 and counts[0, True] == 0, counts


def _is_contended(p: Program) -> bool:
    return [(getattr(op, "name", None), getattr(op, "columns", None)) for op in p.prefix[:2]] == \
        [(t, (Column("a", "integer"),)) for t in TABLES]
