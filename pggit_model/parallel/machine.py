"""One example of the parallel machine: run a drawn program on a fresh database and check it (X8–X10).

    prefix      run and checked step by step through the ordinary Driver, on one connection
    sessions    run on their own connections in the program's schedule (runner)
    X10         Trinity IDs and commit hashes unique (checker.ids_unique)
    X8          some order consistent with real time explains every answer and the final state (checker)
    X9          a 40001/40P01 at READ COMMITTED is a divergence if the same schedule, run on a control database with
                the same DDL and no pgGit, has none (pgGit's bookkeeping caused it)

A failure leaves the program (``program.txt``), its isolation spec and the timelines under the results folder.
"""

from __future__ import annotations

import contextlib
import hashlib

import attrs
import psycopg
from psycopg import sql

from pggit_model.client import Client
from pggit_model.cluster import connect, create_database, drop_database, new_dbname
from pggit_model.divergences import Divergence, diverge
from pggit_model.driver import Driver
from pggit_model.machine import Harness
from pggit_model.session import RunStats

from . import spec
from .checker import Verdict, check_history
from .history import ABORT_STATES, History, timeline
from .program import Program, describe
from .runner import control_rendering, prepare_control, run_schedule

RULES = ("X8", "X10")


@attrs.define
class Timing:
    """Where one example's time went (bench/parallel.py reports these)."""

    run: float = 0.0
    check: float = 0.0
    explored: int = 0


class ParallelHarness:
    """The session's Harness plus a control database without pgGit (made on first need, dropped at close)."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self._control: str | None = None
        self.last: Timing = Timing()

    @property
    def stats(self) -> RunStats:
        return self.harness.stats

    def control(self) -> str:
        if self._control is None:
            name = new_dbname("ctl")
            create_database(self.harness.template.server, name)
            self._control = name
        return self.harness.template.server.conninfo(self._control)

    def close(self) -> None:
        if self._control is not None:
            with contextlib.suppress(psycopg.Error):
                drop_database(self.harness.template.server, self._control)
            self._control = None

    def check(self, program: Program) -> Verdict:
        """Run ``program`` once on a fresh clone and check it; raises a Divergence naming X8, X9 or X10."""
        h = self.harness
        with h.clones.example() as dbname:
            conninfo = h.template.server.conninfo(dbname)
            with connect(conninfo) as setup:
                setup.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(program.schema)))
                driver = Driver(Client(setup, program.schema), program.schema, missing=h.missing, stats=h.stats,
                                known=h.known)
                for op in program.prefix:
                    driver.run(op)
                    driver.check_state()
                history = run_schedule(program, conninfo)
                snap = Client(setup, program.schema).observe()
            self.stats.steps += program.size()
            try:
                verdict = check_history(history, driver.state, driver.ctx, snap)
                self.last = Timing(history.wall_time, verdict.seconds, verdict.explored)
                self.stats.rules.update(RULES)
                if any(op.family == "ddl" for ss in program.sessions for op in ss):
                    self.stats.rules.add("X9")  # checked: a failure of a DDL program is compared with the control
                self._x9(program, history)
            except Divergence as d:
                self._record(history.executed(), d)
                raise
        self.stats.examples += 1
        return verdict

    def _x9(self, program: Program, history: History) -> None:
        """X9 (X11(c)/X12 at the other levels): pgGit adds no deadlock or serialization failure of its own."""
        failed = history.failures(ABORT_STATES if program.level == "read committed" else ("40P01",))
        if not failed or not any(op.family == "ddl" for s in program.sessions for op in s):
            return
        prepare_control(self.control(), program)
        control = run_schedule(program, self.control(), render=control_rendering)
        self.stats.rules.add("X9")
        if control.failures(ABORT_STATES):
            return  # PostgreSQL alone fails this schedule too
        first = failed[0]
        rule = "X9" if program.level == "read committed" else "X11"
        diverge(rule, f"session {first.session} statement {first.index + 1} {first.op!r} failed with "
                f"{first.sqlstate} at {program.level.upper()}, but the same schedule on a database without pgGit "
                f"has no deadlock or serialization failure: pgGit's bookkeeping caused it.\n\nwith pgGit:\n"
                f"{timeline(history)}\n\nwithout pgGit:\n{timeline(control)}", op=first.op, step=first.index + 1,
                area="parallel")

    def _record(self, program: Program, d: Divergence) -> None:
        """Leave the program, its isolation spec and the message where the run records failures."""
        text = describe(program)
        name = f"parallel-{d.rule}-{hashlib.sha256(text.encode()).hexdigest()[:10]}"
        folder = self.harness.results / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "program.txt").write_text(text + "\n")
        (folder / "divergence.txt").write_text(str(d) + "\n")
        try:
            path = spec.save(program, folder, "replay", title=f"[{d.rule}] {d.message.splitlines()[0]}")
            d.add_note(f"isolation spec: {path} (run: isolationtester 'dbname=… ' < {path.name})")
        except ValueError as e:  # a statement an isolation spec cannot hold
            d.add_note(f"no isolation spec written: {e}")
        d.add_note(f"program:\n{text}")
        self.stats.divergences[f"ParallelMachine:{d.rule}"] = str(d).split("\n")[0][:160]
