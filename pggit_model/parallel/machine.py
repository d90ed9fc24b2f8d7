"""One example of the parallel machine: run a drawn program on a fresh database and check it (X8–X10).

    prefix      run and checked step by step through the ordinary Driver, on one connection
    sessions    run on their own connections in the program's schedule (runner): the ``Parallel`` op
    X10         Trinity IDs and commit hashes unique (checker.ids_unique)
    X8          some order consistent with real time explains every answer and the final state (checker)
    X9          a 40001/40P01 at READ COMMITTED is a divergence if the same schedule, run on a control database with
                the same DDL and no pgGit, has none (pgGit's bookkeeping caused it)

A program is green only after ``REPEATS`` runs; a failure found is re-run to tell a race (fails sometimes) from
a logic bug (fails every time) and recorded like any machine's (run.json for ``pggit-model replay``, replay.sql),
with the isolation spec and the reference's expected output beside it (``record``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import attrs
import psycopg
from attrs import evolve
from psycopg import sql

from pggit_model.client import Client
from pggit_model.cluster import Server, connect, create_database, drop_database, new_dbname
from pggit_model.divergences import Divergence, diverge, rule_family
from pggit_model.driver import FUNCTION_OF_KIND, Driver
from pggit_model.known import Registry
from pggit_model.machine import Harness
from pggit_model.ops import Parallel
from pggit_model.ops.partitions import PARTITION_OPS, CreatePartitioned
from pggit_model.ops.renames import KEY_CHANGES
from pggit_model.session import RunStats

from .checker import Verdict, check_history
from .history import ABORT_STATES, History, timeline
from .levels import unexplained_aborts
from .program import Program, Strike, program_of
from .runner import control_rendering, prepare_control, retry_aborted, run_schedule

RULES = ("X8", "X10")
#: runs of a program before it is called green (a race may need more than one to show)
REPEATS = 3
#: runs of a failing program to tell a race from a logic bug
CONFIRM = 3


@attrs.define
class Timing:
    """Where one example's time went (bench/parallel.py reports these)."""

    run: float = 0.0
    check: float = 0.0
    explored: int = 0


class Control:
    """A database without pgGit on the same server (X9's control), made on first need, dropped at close."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self._name: str | None = None

    def conninfo(self) -> str:
        if self._name is None:
            name = new_dbname("ctl")
            create_database(self.server, name)
            self._name = name
        return self.server.conninfo(self._name)

    def close(self) -> None:
        if self._name is not None:
            with contextlib.suppress(psycopg.Error):
                drop_database(self.server, self._name)
            self._name = None


def run_parallel(driver: Driver, op: Parallel, conninfo: str, control: Control | None,
                 strike: Strike | None = None) -> tuple[History, Verdict]:
    """Run ``op`` after the prefix ``driver`` ran (on ``conninfo``'s database) and check it; the driver goes on from
    the order that explains it (with ``strike``, one COMMIT loses its connection: X7). A Divergence carries the
    ops (prefix, then ``op`` with the schedule that really ran) and the step of ``op``, as a machine's does:
    ``pggit-model replay`` reruns it (without the strike: the Parallel op does not hold it)."""
    program = evolve(Program.from_op(driver.ops, op, driver.schema), strike=strike)
    driver.record(op)
    before = (driver.client.last_snapshot or driver.client.observe()).objects
    history = run_schedule(program, conninfo)
    if program.level != "read committed":
        history = retry_aborted(history, conninfo)  # X11(b): a block failed with 40001 runs again and must commit
    snap = driver.client.observe()
    driver.stats.steps += program.size()
    try:
        verdict = check_history(history, driver.state, driver.ctx, snap, driver.known, driver.ignore, before)
        driver.stats.rules.update(RULES)
        if any(not e.settled for e in history.events if program.struck(e.session, e.index)):
            driver.stats.rules.update(("X7",))  # a COMMIT really lost its connection and the check kept both outcomes
        if any(o.family == "ddl" for ss in program.sessions for o in ss):
            driver.stats.rules.update(("X9",))  # checked: a failure of a DDL program is compared with the control
        driver.stats.rules.update(_level_rules(program))
        if control is not None:
            _x9(history, control)
    except Divergence as d:
        ran = history.executed().op
        d.ops = [*driver.ops[:-1], ran]
        d.step, d.op = len(d.ops), ran
        raise
    assert verdict.final is not None
    world, ctx = verdict.final
    driver.state = evolve(driver.state, db=world.db, counters=world.counters, txn=None)
    driver.ctx = ctx
    return history, verdict


#: §14 statements whose bookkeeping updates rows of objects they do not name: key changes (R, N) and a hierarchy's
#: changes (V24, V25; a new partitioned table changes nothing else) — with cascades (V26), what X14 extends X9 to
_X14_OPS = (*KEY_CHANGES, *(c for c in PARTITION_OPS if c is not CreatePartitioned))


def _level_rules(program: Program) -> tuple[str, ...]:
    """The isolation rules a checked program exercised: X11 at REPEATABLE READ, X11 and X12 at SERIALIZABLE
    (levels.py judged its 40001s and commit order), X14 for a READ COMMITTED program with a §14 statement."""
    if program.level == "repeatable read":
        return ("X11",)
    if program.level == "serializable":
        return ("X11", "X12")
    statements = (o for ss in program.sessions for o in ss)
    return ("X14",) if any(isinstance(o, _X14_OPS) or getattr(o, "cascade", False) for o in statements) else ()


def _x9(history: History, control: Control) -> None:
    """X9 at READ COMMITTED; X11(c)/X12 at the other levels: pgGit adds no deadlock or serialization failure of its
    own. At REPEATABLE READ and SERIALIZABLE a 40001 that X11(b)/X12 allow is no failure of pgGit's
    (``levels.why_allowed``); any other abort must show on the control database without pgGit too."""
    program = history.program
    if program.level == "read committed":
        failed = history.failures(ABORT_STATES)
    else:
        failed = [e for u in unexplained_aborts(history) for e in u.events if e.sqlstate in ABORT_STATES]
    if not failed or (program.level == "read committed" and
                      not any(op.family == "ddl" for s in program.sessions for op in s)):
        return
    prepare_control(control.conninfo(), program)
    ctl = run_schedule(program, control.conninfo(), render=control_rendering)
    if program.level == "read committed" and ctl.failures(ABORT_STATES):
        return  # PostgreSQL alone fails this schedule too
    own = {e.session for e in ctl.failures(ABORT_STATES)}
    failed = [e for e in failed if e.session not in own]
    if not failed:
        return
    first = failed[0]
    rule = {"read committed": "X9", "repeatable read": "X11", "serializable": "X12"}[program.level]
    allowed = "" if program.level == "read committed" else \
        ", and no unit that committed after its snapshot changed a key it records on (X11(b), X12)"
    diverge(rule, f"session {first.session} statement {first.index + 1} {first.op!r} failed with "
            f"{first.sqlstate} at {program.level.upper()}, but the same schedule on a database without pgGit "
            f"has no deadlock or serialization failure there{allowed}: pgGit's bookkeeping caused it.\n\n"
            f"with pgGit:\n{timeline(history)}\n\nwithout pgGit:\n{timeline(ctl)}",
            op=first.op, step=first.index + 1, area="parallel")


#: How the order search says it placed every unit and only the final state differs (checker._Search._note).
FINAL_ONLY = "every unit placed, but the final state differs"


@attrs.frozen
class Excuse:
    """Why the registry lets a parallel program's failure go: an entry lists the failure itself (``direct``: an X9
    deadlock pgGit is known for), or its sessions run one after another meet these entries' divergences."""

    ids: tuple[str, ...]
    direct: bool


def excuse(d: Divergence, known: Registry, in_sequence: Callable[[], set[str]]) -> Excuse | None:
    """The registry's word on ``d``, a parallel program's failure; None: a finding. One decision for a live run
    (``ParallelHarness.check``) and for ``pggit-model replay`` of its recording, so a failure the run explored past
    replays as explored past. X8 (and X11/X12 where every unit was placed and the final state alone differs: the
    comparison X8 makes, which one row summing two statements' known divergences defeats) is excused when the
    sessions in sequence (``in_sequence``, run only then) meet a known sequential divergence: the Driver adopts
    pgGit's state past it, the parallel checker (it observes only at the end) cannot. A 40001 stays a finding."""
    k = known.match(d)
    if k is not None:
        return Excuse((k.id,), direct=True)
    final_only = rule_family(d.rule) in ("X11", "X12") and FINAL_ONLY in d.message
    if (rule_family(d.rule) != "X8" and not final_only) or not known.entries:
        return None
    met = in_sequence()
    return Excuse(tuple(sorted(met)), direct=False) if met else None


def sessions_in_sequence(conn: psycopg.Connection, program: Program, missing: frozenset[str],
                         known: Registry) -> set[str]:
    """The known divergences the sessions' statements meet when run one session after another through the Driver,
    on ``conn``, a fresh database with the backend (the prefix's are left out: the Driver has explored past them
    before any session ran). A new divergence there is raised: a sequential bug."""
    stats = RunStats()
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(program.schema)))
    driver = Driver(Client(conn, program.schema), program.schema, missing=missing, stats=stats, known=known)
    for op in program.prefix:
        driver.run(op)
        driver.check_state()
    before = dict(stats.known)
    for op in (o for ss in program.sessions for o in ss):
        driver.run(op)
        driver.check_state()
    return {k for k, n in stats.known.items() if n > before.get(k, 0)}


def settle(d: Divergence, failed: int, runs: int) -> None:
    """Say in the message whether the program fails every time (a logic bug) or sometimes (a race)."""
    word = (f"always: {failed} of {runs} runs failed, a logic bug rather than a race" if failed == runs else
            f"sometimes: {failed} of {runs} runs failed, a race (timing decides)")
    d.message = f"{d.message}\n({word})"
    d.args = (d.message,)


class ParallelHarness:
    """The session's Harness plus a control database without pgGit (made on first need, dropped at close)."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.control = Control(harness.template.server)
        self.last: Timing = Timing()
        self.skipped_known = 0  # X8 failures the sessions in sequence explain by a known divergence
        self._struck: dict[int, Strike] = {}  # id of a divergence -> the strike its program had (not in its ops)
        self._once: set[Program] = set()  # the covering programs: aligned rounds that fail every time or never

    @property
    def stats(self) -> RunStats:
        return self.harness.stats

    def close(self) -> None:
        self.control.close()

    def check_once(self, program: Program) -> Verdict:
        """Run ``program`` once on a fresh clone and check it; raises a Divergence naming X8, X9 or X10."""
        h = self.harness
        with h.clones.example() as dbname:
            conninfo = h.template.server.conninfo(dbname)
            with connect(conninfo) as setup:
                driver = Driver(Client(setup, program.schema), program.schema, missing=h.missing, stats=h.stats,
                                known=h.known)
                setup.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(program.schema)))
                for op in program.prefix:
                    driver.run(op)
                    driver.check_state()
                try:
                    history, verdict = run_parallel(driver, program.op, conninfo, self.control, program.strike)
                except Divergence as d:
                    if program.strike is not None:  # X7: say so, and confirm the failure with the same strike
                        d.add_note(f"with {program.strike!r}: that session's closing COMMIT lost its connection (X7)")
                        self._struck[id(d)] = program.strike
                    raise
        self.last = Timing(history.wall_time, verdict.seconds, verdict.explored)
        return verdict

    def supported(self, program: Program) -> bool:
        """Every call of the sessions has its contract function in the backend (I4: a missing one is reported
        once for the run and its calls skipped, as the Driver does, never judged)."""
        missing = self.harness.missing
        return not any(FUNCTION_OF_KIND.get(op.kind) in missing for ss in program.sessions for op in ss)

    def known_in_sequence(self, program: Program) -> set[str]:
        """``sessions_in_sequence`` with the run's registry (--pggit-known), on a fresh clone of the template."""
        h = self.harness
        with h.clones.example() as dbname, connect(h.template.server.conninfo(dbname)) as conn:
            return sessions_in_sequence(conn, program, h.missing, h.known)

    def check(self, program: Program, repeats: int = REPEATS) -> Verdict | None:
        """``program`` is green only if each of ``repeats`` runs is (a race may show on one run of several).

        None: X8 failed (or X11/X12 on the final state alone), but the sessions run one after another meet a known
        sequential divergence: the Driver adopts pgGit's state past it, the parallel checker (it observes only at
        the end) cannot, so that failure is the known bug seen through concurrency, not a finding (counted in
        ``skipped_known``). Also None when the
        registry lists the divergence itself (an X9 deadlock pgGit is known for): counted, explored past, as the
        Driver does, so one known concurrency bug does not end every run that meets it."""
        try:
            return self._check(program, 1 if program in self._once else repeats)
        except Divergence as d:
            why = excuse(d, self.harness.known, lambda: self.known_in_sequence(program))
            if why is None:
                raise
            if why.direct:
                self.stats.known[why.ids[0]] = self.stats.known.get(why.ids[0], 0) + 1
            else:
                self.skipped_known += 1
            self.stats.examples += 1
            return None

    def _check(self, program: Program, repeats: int) -> Verdict:
        verdict = self.check_once(program)
        for _ in range(repeats - 1):
            verdict = self.check_once(program)
        self.stats.examples += 1
        return verdict

    def confirm(self, d: Divergence, runs: int = CONFIRM) -> None:
        """Re-run the failing program ``runs`` times and say in ``d`` whether it is a race or a logic bug."""
        program = program_of(d)
        if program is None:
            return
        if id(d) in self._struck:
            program = evolve(program, strike=self._struck[id(d)])
        failed = 1
        for _ in range(runs - 1):
            try:
                self.check_once(program)
            except Divergence as again:
                failed += rule_family(again.rule) == rule_family(d.rule)
        settle(d, failed, runs)

    def run(self, test: Callable[[], None], schema: str | None = None) -> None:
        """Run a Hypothesis test of ``check`` (of one argument, the program); its shrunk failures are confirmed and
        recorded (``record``). With ``schema`` (the drawn programs'), a generating run first checks the contended
        programs that cover every kind (``contention.covering``), so no seed leaves a kind untried."""
        from hypothesis import Phase, example
        from hypothesis import settings as current

        from pggit_model.machine import _divergences

        from .contention import covering
        from .record import record
        used = getattr(test, "_hypothesis_internal_use_settings", None) or current()  # (or the profile)
        if schema is not None and Phase.generate in used.phases:
            once = covering(schema)
            self._once.update(once)  # run once each: their schedules leave nothing to timing but the lock waits
            for program in reversed(once):  # (each example() goes first: reversed keeps HOT's order)
                test = example(program)(test)
        try:
            test()
        except (Divergence, ExceptionGroup) as e:
            for d in _divergences(e):
                self.confirm(d)
                record(self.harness, d, test)
            raise
