"""The loop for one example: the model predicts, the client runs, the checkers compare.

``Driver.run(op)`` steps the model, applies the op on the database, checks the answer and feeds the
values the database invented (commit ids, Trinity IDs) back into the model; ``Driver.check_state()``
observes the whole pgGit state in one round trip and compares it with the model. Machines and the
replay command both drive examples through this class, so a replay checks exactly what a run checked.
"""

from __future__ import annotations

import time
from collections import ChainMap
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from attrs import evolve

from . import backend, checkers, goals, incremental
from .adoption import carried_keys
from .client import Client, Completion
from .divergences import Divergence, diverge
from .example_checks import ExampleChecks
from .known import EMPTY as EMPTY_REGISTRY
from .known import Registry
from .model import CheckContext, Expected, State, initial_state, step
from .model.state import bind_invented
from .ops import Op, OtherSession
from .session import STATS, RunStats

if TYPE_CHECKING:
    from .twin import Twin

#: op kind -> the contract signature it calls (to tell "function missing" from other errors).
#: op kind -> the contract part it needs (a §4 function, or a sequence such as pggit.trinity_id_seq for setval).
FUNCTION_OF_KIND: Mapping[str, str] = backend.NEEDS


class _Sent(NamedTuple):
    """An op sent to the database, with what checking its answer needs."""

    op: Op
    number: int
    new_state: State
    expected: Expected
    before: State
    session: Client | None
    text: str | None
    tolerate: str | None
    recorded_as: Op | None
    ahead: Any


@cache
def _overlap_pool() -> ThreadPoolExecutor:
    """The thread that waits for the database while Hypothesis draws the next op (the wait releases the GIL)."""
    return ThreadPoolExecutor(1, thread_name_prefix="pggit-model-overlap")


class Driver(ExampleChecks):
    """One example: model state, check context and the ops run so far (the reproducer); going on past a known
    divergence is `KnownDivergences`' part, the twin's side and the end-of-example checks `ExampleChecks`'."""

    def __init__(self, client: Client, schema: str, *, state: State | None = None,
                 missing: frozenset[str] = frozenset(), stats: RunStats | None = None,
                 txn_started: float | None = None, known: Registry = EMPTY_REGISTRY,
                 full_every: int = 1, changes_above: int = incremental.CHANGES_ABOVE) -> None:
        self.client = client
        self.schema = schema
        self.state = state if state is not None else initial_state(schemas=(schema,))
        if getattr(client, "nested", False) and self.state.session.autocommit:
            # X13: the isolation's outer transaction holds every statement (no CONCURRENTLY outside BEGIN)
            self.state = evolve(self.state, session=evolve(self.state.session, autocommit=False))
        self.ctx = CheckContext()
        self.ops: list[Op] = []
        self.missing = missing  # contract signatures absent from the backend (I4)
        self.stats = stats if stats is not None else STATS
        self.known = known
        # What known divergences made the model give up on, per check area (row keys, names, or "*").
        self.ignore: dict[str, set[Any]] = {}
        self._checked = -1  # number of ops whose resulting state was last compared
        self._seen_objects: Mapping[Any, tuple] = {}  # pggit.objects as last observed: what each step started from
        # T2's lower bound: when the transaction PostgreSQL sees began (the isolation's outer one, if any)
        self._outer_started = txn_started
        self._txn_started: float | None = None
        #: V21: the same statements on a database without pgGit (twin.py); None when off, or once a known V21
        #: divergence parted the two databases for the rest of the example
        self.twin: Twin | None = None
        # Observing changes only (issue 19 part 3): after a DDL op, once the schema tracks ``changes_above`` rows,
        # with a full comparison at least every ``full_every`` checks (1, the default: always), after every other
        # op and at the end (finish). The machines turn it on (PgGitMachine.FULL_EVERY).
        self.full_every, self.changes_above = full_every, changes_above
        self._since_full = 0  # checks that saw changes only since the last full one
        self._tracked = 0  # object rows the last full observation saw
        self._changes = False  # the last op's observation is of changes only
        self._clean = True  # the last run/check_state returned normally: finish() may still raise
        #: Overlap client and server (issue 19 part 2): ``run(wait=False)`` sends a DDL op and returns; ``settle``
        #: checks it before anything else touches the connection or the model's answer. Off: every run waits.
        self.overlap = False
        self._pending: tuple[_Sent, Future[Completion]] | None = None
        self._check_wanted = False  # check_state was asked for while an op was in flight

    @property
    def scope(self) -> tuple[str, ...]:
        """The schemas the client observes (its ``scope``: the machine's and the extra ones its examples create),
        so the model predicts rows for exactly those; a client replaced after a lost session keeps it."""
        return getattr(self.client, "scope", (self.schema,))  # (fake clients in tests observe one schema)

    # -- capability --------------------------------------------------------------------------
    def supports(self, kind: str) -> bool:
        """False for calls whose contract function is missing: their rules are skipped, visibly."""
        sig = FUNCTION_OF_KIND.get(kind)
        return sig is None or sig not in self.missing

    # -- one step ----------------------------------------------------------------------------
    def predict(self, op: Op) -> tuple[State, Expected]:
        return step(self.state, op)

    def record(self, op: Op) -> None:
        """Put a session event that happened between ops (a kill, a crash) into the reproducer and the recorded
        run, in its place."""
        self.settle()
        self.ops.append(op)

    def run(self, op: Op, *, session: Client | None = None, text: str | None = None,
            tolerate: str | None = None, recorded_as: Op | None = None, wait: bool = True) -> Completion | None:
        """Run one op and check its answer; None if the model cannot predict it (the op is not run).

        ``session``: run it on another connection (an autocommit session of the same database) instead —
        for calls whose effect is not transactional (Trinity IDs: T5, T6 across sessions).
        ``text``: send this SQL for ``op`` instead of its own rendering (same statement, other spelling: H2).
        ``tolerate``: a SQLSTATE an injected fault may cause instead; then the op must have had no effect (X4).
        ``recorded_as``: what the reproducer shows for this step (the fault that struck ``op``, say).
        ``wait=False`` (with ``overlap`` on): a DDL op is sent and this returns None at once; its answer and the
        state after it are checked when the next op is run, the state is checked or the example finishes
        (``settle``), so Hypothesis draws the next op while the server runs this one."""
        self.settle()  # the op before, if still in flight: a divergence there is reported as its own step
        if not self.supports(op.kind):
            # I4: reported once for the run (summary), then skipped — never a failure per example.
            self.stats.skipped_missing += 1
            return None
        new_state, expected = step(self.state, op)
        expected = self._about_known_objects(op, expected)
        if expected.is_unspecified:
            self.stats.skipped_unspecified += 1
            return None
        self.ops.append(recorded_as or (op if session is None else OtherSession(op)))
        number = len(self.ops)
        now = time.time()
        if op.kind == "begin" and self.state.txn is None:
            self._txn_started = now
        started = self._txn_started if self.state.txn is not None else None
        lower = min(t for t in (started, self._outer_started, now) if t is not None) if session is None else now
        self.ctx.earliest = datetime.fromtimestamp(lower - 0.001, UTC)  # the clock's resolution
        self.ctx.latest = None
        if session is not None:
            self.client.last_snapshot = None  # stale now: the next check observes afresh
        # V21: the twin runs the same statement meanwhile (not one a fault may strike: it must not run those)
        ahead = (self.twin.start(op, text) if self.twin is not None and session is None and tolerate is None
                 and self.twin.mirrors(op) else None)
        self._changes = session is None and self._changes_only(op)
        self._clean = False
        more = {"changes": True} if self._changes else {}  # (fake clients in tests know no changes-only mode)
        sent = _Sent(op, number, new_state, expected, self.state, session, text, tolerate, recorded_as, ahead)
        if not wait and self.overlap and session is None and tolerate is None and op.family == "ddl":
            # DDL invents no values the model binds from the answer: what it predicts is the state to draw from
            self._pending = (sent, _overlap_pool().submit(self.client.apply, op, observe=True, text=text, **more))
            self.state = new_state
            return None
        return self._complete(sent, (session or self.client).apply(op, observe=session is None, text=text, **more))

    def settle(self) -> None:
        """Collect and check the op in flight (``run(wait=False)``) and, if it was asked for meanwhile, the state
        after it: exactly the checks ``run`` and ``check_state`` make when they wait."""
        if self._pending is None:
            return
        (sent, future), self._pending = self._pending, None
        done = future.result()
        self.state = sent.before
        self._complete(sent, done)
        if self._check_wanted:
            self._check_wanted = False
            self.check_state()

    def _complete(self, sent: _Sent, done: Completion) -> Completion:
        """Check ``done``, the answer to ``sent``, and move the model to the state after it."""
        op, number, new_state, expected, session, text, tolerate, recorded_as, ahead = (
            sent.op, sent.number, sent.new_state, sent.expected, sent.session, sent.text, sent.tolerate,
            sent.recorded_as, sent.ahead)
        self.stats.steps += 1
        if done.status == "error" and done.sqlstate == "42883":
            sig = FUNCTION_OF_KIND.get(op.kind)
            # Only if the missing function is this one: a function it calls can be missing too (e.g. pgcrypto's
            # digest() under a search_path without public), and that is an answer to check, not I4.
            if sig is not None and f"function {sig.split('(')[0]}(" in (done.message or ""):
                self._function_missing(sig, op, number)
        struck = tolerate is not None and done.status == "error" and done.sqlstate == tolerate
        known_twin = None  # a known V21/U4 divergence at this statement: the model's check of it is the same root
        if self.twin is not None and session is None:
            if self.twin.mirrors(op):
                # A fault's own text (recorded_as) is the pgGit side's machinery: the twin runs the statement itself.
                known_twin = self._twin_step(op, done, number, text if recorded_as is None else None, struck, ahead)
            elif done.status == "error":
                self.twin.failed(op)  # a pgGit call that failed aborted an open transaction: the twin's too
        if struck:
            # The fault struck: the statement failed as a whole, so the model keeps the state before it.
            self.stats.faults_fired += 1
            self.stats.rules.update(("X4",))
            new_state = self._adopt(new_state, Expected.ok("X4"), done)
        else:
            try:
                with self._reproducer_on_divergence():
                    checkers.check_completion(expected, done, self.ctx, op=op, step=number)
            except Divergence as d:
                self._explore_past(d, known_twin)
                new_state = self._adopt(new_state, expected, done, other_session=session is not None)
        self.stats.rules.update(expected.rules)
        before, self.state = self.state, self._feed_back(new_state, expected)
        if self.ignore.get("objects"):  # a key change moves a given-up row: the new key is given up too (R1)
            self.ignore["objects"] |= carried_keys(self.ignore["objects"], before, self.state)
        goals.note(self.stats.goals, goals.reached(op, expected, done.status, before, self.state, struck), self.ops)
        if self.state.txn is None:
            self._txn_started = None
        self._clean = True
        return done

    def run_unchecked(self, op: Op, given_up: Mapping[str, set[Any]] | None = None) -> Completion:
        """Run an op the model does not predict — damage to pgGit's own tables, a pgGit call after damage (U4) —
        whose every answer is allowed but a hang (the op's statement timeout, 57014) or a lost session. The model
        then gives up on ``given_up`` (check area -> keys, as after a known divergence) and the twin's
        differences are U4's from here on."""
        self.settle()
        self.ops.append(op)
        number = len(self.ops)
        done = self.client.apply(op)
        self.stats.steps += 1
        self.stats.rules.update(("U4",))
        for area, keys in (given_up or {}).items():
            self.ignore.setdefault(area, set()).update(keys)
        if self.twin is not None and op.kind != "unchecked":
            self.twin.rule = "U4/V21"
        if done.status == "unknown" or done.sqlstate == "57014":
            what = "ended the session (a crash?)" if done.status == "unknown" else "did not answer in time (a hang)"
            with self._reproducer_on_divergence():
                diverge("U4", f"after damage to pgGit's own tables, {op.to_sql()!r} {what}: {done.message}",
                        op=op, step=number, expected="an answer, success or error", observed=str(done))
        if done.status == "error" and self.state.txn is not None:
            self.state = evolve(self.state, txn=evolve(self.state.txn, aborted=True))
            if self.twin is not None:
                self.twin.failed(op)
        return done

    def _changes_only(self, op: Op) -> bool:
        """Whether the check after ``op`` may observe changes only: a DDL op (pgGit writes a history row per change,
        V8) in a large schema, no known divergence being explored past, and a full comparison not yet due."""
        return (op.family == "ddl" and self._tracked >= self.changes_above and not self.ignore
                and self._since_full + 1 < self.full_every)

    def finish(self) -> None:
        """At the example's end: the full comparison, if the last checks saw changes only (nothing they could not
        see is left unchecked). Not after a failure (it would hide it), in an aborted transaction (O9) or on a lost
        connection (a crash machine's session ends with its server)."""
        self.settle()
        conn = self.client.conn
        if self._since_full and self._clean and not (conn.closed or conn.broken or self.client.in_error):
            self._checked = -1
            self._changes = False
            self.check_state()

    def _function_missing(self, sig: str, op: Op, number: int) -> None:
        rules = backend.blocks(sig)
        self.stats.missing_functions[sig] = rules
        diverge(rules[0], f"function missing: {sig} does not exist, so rules {', '.join(rules)} cannot be checked",
                op=op, step=number)

    def _feed_back(self, state: State, expected: Expected) -> State:
        return bind_invented(state, expected, self.ctx)

    # -- whole state -------------------------------------------------------------------------
    def check_state(self) -> None:
        """Observe pgGit (one round trip) and compare every area with the model (skipped while aborted, O9)."""
        if self._pending is not None:
            self._check_wanted = True  # after the op in flight is checked (settle)
            return
        if self.client.in_error or self._checked == len(self.ops):
            return
        self._checked = len(self.ops)
        self._clean = False
        last = self.ops[-1] if self.ops else None
        snap = self.client.last_snapshot
        if self._changes:
            self._changes = False
            snap = snap if snap is not None and snap.changed is not None else self.client.observe_changes()
            if snap is not None and incremental.changes_agree(self.state, snap, self.scope, self.ctx, op=last,
                                                               step=len(self.ops)):
                self._since_full += 1
                self._seen_objects = ChainMap(dict(snap.objects), self._seen_objects)  # type: ignore[arg-type]
                self._clean = True
                return
            snap = None  # something differs, or cannot be told from the changes: compare the whole state
        if snap is None or snap.changed is not None:
            snap = self.client.observe()
        self._since_full, self._tracked = 0, len(snap.objects)
        hint = {"rollback": "X1", "rollback_to_savepoint": "X2"}.get(getattr(last, "kind", ""))
        before, self._seen_objects = self._seen_objects, snap.objects  # rows are tuples already (ObjectRow)
        adopted: set[Any] = set()
        known_rows: dict[Any, str] = {}  # version rows whose divergence at this step the registry knows: entry id
        # Each known divergence found here narrows the check by one row: bounded by the rows there are (a fixed
        # 1 000 let the rest of a 1 600-column table's rows go unchecked at this step: limits L2).
        for _ in range(1000 + 2 * (len(snap.objects) + len(snap.history))):
            try:
                with self._reproducer_on_divergence():
                    checkers.state_matches_model(self.state, snap, self.scope, self.ctx, op=last,
                                                 step=len(self.ops), hint=hint, ignore=self.ignore, before=before)
                self._clean = True
                return
            except Divergence as d:
                # The history of a version row known to diverge at this step is the same recording seen from the
                # other table, even where numbers after a merge gap (M6) hide it from any history entry.
                same_row = d.area == "history" and d.keys and all(k in known_rows for k in d.keys)
                entry = self._explore_past(d, f"{known_rows[d.keys[0]]} (its history)" if same_row else None)
                if d.area == "objects" and d.keys:
                    known_rows.update(dict.fromkeys(d.keys, entry))
                if d.area == "current" and isinstance(d.observed, str):
                    # Where the session really is decides where the next DDL lands: follow it, keep checking.
                    self.state = evolve(self.state, session=evolve(self.state.session, current_branch=d.observed))
                    continue
                # The model adopts the database's state for what differs, and only for that. An object row
                # it no longer knows is unknown on every branch: create_branch copies it (B5), merge too (M3).
                keys = set(d.keys or ("*",))
                area = d.area
                if area in ("objects", "history"):
                    # Version fields (or history rows) are taken from the database, so the next change of the
                    # same object is checked from there: a known wrong bump does not end its checking.
                    fresh = {k for k in keys if (area, k) not in adopted}  # taken and still different: give up
                    taken = fresh - self._adopt_rows(fresh, snap, before, history=area == "history")
                    adopted |= {(area, k) for k in taken}
                    keys -= taken
                    keys |= {(*k[:3], "*") for k in keys if isinstance(k, tuple) and len(k) == 4}
                    area = "objects"
                self.ignore.setdefault(area, set()).update(keys)

    def session_lost(self, client: Client, state: State) -> None:
        """The session died (X5) and ``client`` replaces it; ``state`` is what the model keeps of it."""
        self.settle()
        self.client = client
        self.state = state
        self._txn_started = None
        self._checked = -1
        self.stats.rules.update(("X5",))
        if self.twin is not None:
            self.twin.session_lost()


__all__ = ["STATS", "Divergence", "Driver", "RunStats"]
