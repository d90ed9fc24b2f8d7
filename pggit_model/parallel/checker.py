"""Is a parallel history linearizable against the pure model (X8)?

The Wing–Gong search with Lowe's memoisation, as Knossos and Porcupine do it: depth first, take any unit whose
real-time predecessors (units that completed before it was invoked) are all placed, step it through the model,
compare every answer with what the database said, and go on; a (placed set, model state) pair already explored
is not explored again, which makes 4 sessions × 8 statements a matter of milliseconds. When every unit is placed,
the model's final state must equal pgGit's observed one. A unit PostgreSQL aborted with 40001/40P01 had no effect
(X8); a unit whose outcome is in doubt (connection lost during COMMIT, still running) is tried both with and
without its effect (X7), the answers it did get being checked as any.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import attrs
from attrs import evolve, frozen

from pggit_model import checkers
from pggit_model.divergences import NO_IGNORE, Divergence, Ignore, diverge
from pggit_model.known import EMPTY, Registry
from pggit_model.model import CheckContext, Expected, NewTrinityId, State, step
from pggit_model.model.expected import TRINITY_RE
from pggit_model.model.state import Counters, Db, Session, bind_invented
from pggit_model.ops import Op

from .history import CANCEL_STATES, History, Unit, timeline
from .levels import commit_order

#: the rule a history no serial order explains breaks, by the program's level, and what the order also respects
RULE_OF_LEVEL = {"read committed": ("X8", ""), "serializable": ("X12", ""),
                 "repeatable read": ("X11", " and with each REPEATABLE READ block after every unit committed "
                                     "before it")}


@frozen
class World:
    """The model of several sessions: one shared database, and each session's own settings (its branch)."""

    db: Db
    counters: Counters
    sessions: tuple[Session, ...]

    def state(self, session: int) -> State:
        return State(db=self.db, session=self.sessions[session], txn=None, counters=self.counters)

    def after(self, session: int, state: State) -> World:
        sessions = (*self.sessions[:session], state.session, *self.sessions[session + 1:])
        return World(state.db, state.counters, sessions)


def start(prefix: State, n: int) -> World:
    """Every session starts on a new connection: main checked out, the prefix's search_path."""
    return World(prefix.db, prefix.counters, (Session(search_path=prefix.session.search_path),) * n)


def feed_back(state: State, expected: Expected, ctx: CheckContext) -> State:
    """Values the database invented (commit ids, Trinity IDs), bound by the check, go into the model (C7)."""
    return bind_invented(state, expected, ctx)


Outcome = tuple[World, CheckContext] | str


def _no_effect(state: State, new: State) -> State:
    """A statement that failed had no effect (X4), but sequences keep what it drew; a transaction is aborted."""
    out = evolve(state, counters=new.counters)
    return out if out.txn is None else evolve(out, txn=evolve(out.txn, aborted=True))


def apply_unit(world: World, unit: Unit, ctx: CheckContext, known: Registry = EMPTY) -> list[Outcome]:
    """The worlds ``unit`` may leave, each with its check context; a string says why it cannot go here. A wrong
    answer ``known`` lists is explored past as the Driver does: an error the model did not predict had no
    effect (X4), a wrong value leaves the model's effect; a success where it predicted an error is never
    explained (its effect is unknown). The answers a unit got before one was lost are checked as any (X7)."""
    if unit.aborted:
        return [(world, ctx)]  # X8: a transaction PostgreSQL aborted to break a cycle had no effect
    state = world.state(unit.session)
    ctx = ctx.copy()
    first = unit.events[0].done
    if first is not None:
        ctx.earliest = datetime.fromtimestamp(first.sent_at - 0.001, UTC)  # T2: the clock's resolution
    for k, e in enumerate(unit.events):
        done = e.done
        if done is None or not e.settled:
            return in_doubt(world, unit.session, state, unit.events[k:], ctx)
        new, exp = step(state, e.op)
        if exp.is_unspecified:
            return [f"the model cannot predict {e.op!r} here ({exp.why})"]
        exp = _trinity_in_real_time(exp)
        if done.status == "error" and done.sqlstate in CANCEL_STATES:
            new = _no_effect(state, new)  # cancelled by a timeout (X4)
        else:
            try:
                checkers.check_completion(exp, done, ctx, op=e.op, step=e.index + 1)
                new = feed_back(new, exp, ctx)
            except Divergence as d:
                if known.match(d) is None or (done.status != "error" and exp.is_error):
                    return [f"session {unit.session} statement {e.index + 1} {e.op!r}: {d.message}"]
                # a known wrong answer: an error had no effect; a wrong value, the model's effect (as the Driver)
                new = _no_effect(state, new) if done.status == "error" else new
        state = new
    return [(world.after(unit.session, state), ctx)]


def in_doubt(world: World, session: int, state: State, rest: Sequence[Any], ctx: CheckContext) -> list[Outcome]:
    """X7: the answer of ``rest[0]`` was lost (connection lost during COMMIT, or still running): either all of
    the unit took effect or none of it, as Jepsen keeps an indeterminate operation; the final observation (or a
    later answer) settles which. "None" keeps the sequence values the unit drew (X3)."""
    none = World(world.db, state.counters, world.sessions)
    took = state
    for e in rest:
        took, exp = step(took, e.op)
        if exp.is_unspecified:
            return [(none, ctx)]
    return [(none, ctx), (world.after(session, took), ctx)]


def _trinity_in_real_time(exp: Expected) -> Expected:
    """Trinity IDs come from a sequence, which no transaction rolls back: their order follows when the calls ran
    (T6), not the serial order the search tries, so the order the model's counters give is dropped here and
    ``trinity_in_real_time`` checks T6 against the history's times instead. Format, T2 and uniqueness still hold."""
    def loose(v: Any) -> Any:
        return evolve(v, after=(), floor=1) if isinstance(v, NewTrinityId) else v

    if exp.kind == "value" and isinstance(exp.value, NewTrinityId):
        return evolve(exp, value=loose(exp.value))
    if exp.kind == "rows" and any(isinstance(v, NewTrinityId) for row in exp.rows for v in row):
        return evolve(exp, rows=tuple(tuple(loose(v) for v in row) for row in exp.rows))
    return exp


@attrs.define
class Verdict:
    """The search's answer: an order that explains the history, or the closest one and why it stopped."""

    order: list[int] | None
    closest: list[int]
    why: str
    explored: int
    seconds: float
    #: the model after the order that explains the history, and the values it bound (ids, hashes): where a
    #: replay goes on from (None when no order explains it)
    final: tuple[World, CheckContext] | None = None

    @property
    def ok(self) -> bool:
        return self.order is not None


class SearchBudgetExceeded(RuntimeError):
    """The search explored more states than allowed without an answer: inconclusive, not a divergence."""


Final = Callable[[World, CheckContext], None]


def linearize(units: Sequence[Unit], world: World, ctx: CheckContext, final: Final, *,
              budget: int = 200_000, known: Registry = EMPTY, before: Sequence[int] = ()) -> Verdict:
    """Search for an order of ``units``, consistent with real time, that the model explains (X8); ``before``: per
    unit, a bit set of units that must also precede it (X11(a)'s commit order)."""
    import time
    t0 = time.perf_counter()
    must = [m | (before[j] if j < len(before) else 0) for j, m in enumerate(_predecessors(units))]
    search = _Search(units, final, budget, known, must)
    order = search.dfs(0, world, ctx, [])
    return Verdict(order, search.closest, search.why, search.explored, time.perf_counter() - t0, search.final_world)


def _predecessors(units: Sequence[Unit]) -> list[int]:
    """Per unit, a bit set of the units that completed before it was invoked (in-doubt units complete never)."""
    must = [0] * len(units)
    for j, u in enumerate(units):
        for i, v in enumerate(units):
            if i != j and v.completed is not None and v.completed < u.invoked:
                must[j] |= 1 << i
    return must


@attrs.define
class _Search:
    """The depth-first search's state: what it has seen, and the closest it got (for the divergence message)."""

    units: Sequence[Unit]
    final: Final
    budget: int
    known: Registry
    must: list[int]
    seen: set[tuple[int, World, frozenset[tuple[Any, str]]]] = attrs.Factory(set)
    closest: list[int] = attrs.Factory(list)
    why: str = "no unit can go first"
    explored: int = 0
    final_world: tuple[World, CheckContext] | None = None

    def dfs(self, done: int, w: World, c: CheckContext, order: list[int]) -> list[int] | None:
        key = (done, w, frozenset(c.bindings.items()))
        if key in self.seen:
            return None
        self.seen.add(key)
        self.explored += 1
        if self.explored > self.budget:
            raise SearchBudgetExceeded(f"the linearizability search explored {self.budget} states without an answer")
        if done == (1 << len(self.units)) - 1:
            return self._finish(w, c, order)
        for j in range(len(self.units)):
            if done >> j & 1 or self.must[j] & ~done:
                continue
            for out in apply_unit(w, self.units[j], c, self.known):
                if isinstance(out, str):
                    self._note(order, f"unit {j} cannot come next: {out}", strictly=True)
                    continue
                found = self.dfs(done | 1 << j, out[0], out[1], [*order, j])
                if found is not None:
                    return found
        return None

    def _finish(self, w: World, c: CheckContext, order: list[int]) -> list[int] | None:
        """Every unit is placed: the final state must be pgGit's."""
        try:
            self.final(w, c.copy())
        except Divergence as d:
            self._note(order, f"every unit placed, but the final state differs: {d}", strictly=False)
            return None
        self.final_world = (w, c)
        return order

    def _note(self, order: list[int], why: str, *, strictly: bool) -> None:
        """Remember the longest order tried and why it stopped."""
        if len(order) > len(self.closest) or not self.closest or (not strictly and len(order) >= len(self.closest)):
            self.closest, self.why = order, why


def final_check(schema: str, snap: Any, search_path: tuple[str, ...], known: Registry = EMPTY,
                ignore: Ignore = NO_IGNORE, ran: Sequence[Op] = (), before: Any = None) -> Final:
    """The final model state must equal pgGit's, observed from a fresh connection (main checked out). As the
    Driver does, what ``ignore`` holds (given up on in the prefix) is not compared, and a difference ``known``
    lists, as caused by one of the statements that ``ran``, narrows the comparison by its rows."""
    def check(w: World, ctx: CheckContext) -> None:
        state = State(db=w.db, session=Session(search_path=search_path), txn=None, counters=w.counters)
        skip = {area: set(keys) for area, keys in ignore.items()}
        for _ in range(100):  # each known difference found narrows the check by its rows; bounded
            try:
                checkers.state_matches_model(state, snap, schema, ctx, op=None, step=0, ignore=skip, before=before)
                return
            except Divergence as d:
                if not _known(d, known, ran):
                    raise
                area = "objects" if d.area == "history" else d.area
                skip.setdefault(area, set()).update(d.keys or ("*",))
                skip[area] |= {(*k[:3], "*") for k in d.keys if isinstance(k, tuple) and len(k) == 4}
        raise AssertionError("the final check did not settle after 100 known differences")
    return check


def _known(d: Divergence, known: Registry, ran: Sequence[Op]) -> bool:
    """Whether ``known`` lists ``d``, a final-state difference, as caused by any statement that ran."""
    if known.match(d) is not None:
        return True
    for op in dict.fromkeys(ran):
        d.op = op
        if known.match(d) is not None:
            return True
    d.op = None
    return False


def ids_unique(history: History, snap: Any) -> None:
    """X10: the Trinity IDs the sessions got back and the commit hashes pgGit stored are all distinct."""
    seen: dict[str, str] = {}
    for e in history.events:
        if e.op.kind in ("generate_trinity_id", "commit_changes") and e.done is not None and e.done.ok:
            value = str(e.done.value)
            where = f"session {e.session} statement {e.index + 1}"
            if value in seen:
                diverge("X10", f"{value!r} was returned twice under concurrency: {seen[value]} and {where}",
                        op=e.op, step=e.index + 1)
            seen[value] = where
    hashes = [c.hash for c in snap.commits]
    twice = sorted({h for h in hashes if hashes.count(h) > 1})
    if twice:
        diverge("X10", f"commit hashes stored more than once: {twice}", area="commits")


def trinity_in_real_time(history: History, prefix: State, ctx: CheckContext) -> None:
    """T6 across sessions: a Trinity ID returned by a call that ended before another began has the smaller field 2,
    and every one is above what the prefix was handed and at least the sequence's floor (T3, T7)."""
    got = [(e, int(m.group(2))) for e in history.events
           if e.op.kind in ("generate_trinity_id", "commit_changes") and e.done is not None and e.done.ok
           and (m := TRINITY_RE.match(str(e.done.value)))]
    before = max((v for r in prefix.counters.last_trinity if (v := ctx.trinity_seq(r)) is not None), default=0)
    floor = max(prefix.counters.trinity_floor, before + 1)
    for e, seq in got:
        if seq < floor:
            diverge("T6", f"session {e.session} statement {e.index + 1} got field 2 = {seq}, but IDs from {floor} "
                    f"on were still to come (the prefix had {before})\n\n{timeline(history)}", op=e.op,
                    step=e.index + 1, area="parallel")
    for a, sa in got:
        for b, sb in got:
            if a.completed is not None and a.completed < b.invoked and sa >= sb:
                diverge("T6", f"session {a.session} statement {a.index + 1} returned field 2 = {sa} before session "
                        f"{b.session} statement {b.index + 1} began, which got {sb}: not smaller\n\n"
                        f"{timeline(history)}", op=b.op, step=b.index + 1, area="parallel")


def check_history(history: History, prefix: State, ctx: CheckContext, snap: Any, known: Registry = EMPTY,
                  ignore: Ignore = NO_IGNORE, before: Any = None) -> Verdict:
    """X10, T6, then X8: raise a Divergence (with the timeline and the closest order) if no order explains it.
    ``known`` and ``ignore``: the registry and what the prefix's Driver gave up on (known divergences);
    ``before``: pggit.objects after the prefix (a difference is described from there, as the Driver does)."""
    ids_unique(history, snap)
    trinity_in_real_time(history, prefix, ctx)
    units = history.units()
    world = start(prefix, len(history.program.sessions))
    ran = [*history.program.prefix, *(e.op for e in history.events)]
    final = final_check(history.program.schema, snap, prefix.session.search_path, known, ignore, ran, before)
    v = linearize(units, world, ctx, final, known=known, before=commit_order(units))
    if not v.ok:
        placed = " → ".join(f"s{units[j].session}:{units[j].events[0].index + 1}" for j in v.closest) or "(none)"
        # X11(a): a REPEATABLE READ block records as if after every unit that committed before it; X12: committed
        # SERIALIZABLE outcomes are serializable (X8's search, under either name)
        rule, also = RULE_OF_LEVEL[history.program.level]
        diverge(rule, f"no serial order consistent with real time{also} explains the sessions' answers and the final "
                f"state.\nClosest order ({len(v.closest)} of {len(units)} units): {placed}\nStopped because: "
                f"{v.why}\n\n{timeline(history)}", area="parallel")
    return v
