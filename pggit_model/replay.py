"""``replay``: rerun a recorded run against a fresh install and say whether its verdict comes back.

The backend is installed in a fresh database and the ops are driven through a ``Driver`` — the very loop a
machine runs — checking the whole state after every step; session events (a second session, faults, a killed
session) happen as they did in the run. ``Run`` is re-exported here: generated replay tests import it from here.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import attrs
import psycopg
from psycopg import sql

from . import faults
from . import known as kn
from .backend import SETVAL
from .client import Client
from .cluster import ExternalServer, ThrowawayCluster, connect
from .divergences import Divergence, rule_family
from .driver import Driver
from .errors import MalformedReplay
from .install import REFERENCE_SOURCE, source_digest
from .isolation import Template
from .model.damage import given_up
from .ops import Fault, Op, OtherSession, Parallel, Reinstall, TerminateSession
from .runs import Run, Verdict
from .session import RunStats
from .strategies.schemas import extra_schema_names
from .twin import TwinDatabase


@attrs.frozen
class ReplayResult:
    """What a replay did: the verdict it got (None: no divergence), compared with the recorded one."""

    run: Run
    got: Verdict | None
    steps_run: int
    divergence: str | None = None  # the first line of the divergence, if any
    failing_op: Op | None = None
    warnings: tuple[str, ...] = ()
    backend: str = ""
    #: the registry entries the replay explored past (as the run did), with how often: no finding of this replay
    known: tuple[tuple[str, int], ...] = ()

    @property
    def reproduced(self) -> bool:
        want = self.run.verdict
        if want is None:  # a hand-written script: reproducing means diverging at all
            return self.got is not None
        return self.got == want

    def summary(self) -> str:
        recorded = f"recorded: {self.run.verdict}" if self.run.verdict else "no recorded verdict"
        if self.got is None:
            head = f"no divergence in {self.steps_run} steps"
        else:
            op = f": {self.failing_op!r}" if self.failing_op is not None else ""
            head = f"[{self.got.rule}] at step {self.got.step} of {len(self.run.ops)}{op}"
        word = "REPRODUCED" if self.reproduced else "NOT REPRODUCED"
        lines = [f"{word}: {head} ({recorded}; backend {self.backend})"]
        if self.divergence:
            lines.append(f"  {self.divergence}")
        if self.known:
            shown = ", ".join(f"{k} ({n}x)" for k, n in self.known[:6])
            more = f" and {len(self.known) - 6} more" if len(self.known) > 6 else ""
            lines.append(f"  explored past {len(self.known)} known divergence(s): {shown}{more}")
        return "\n".join(lines)


def check_backend(run: Run, source: str | Path | None, *, reference: bool = False) -> tuple[str | None, list[str]]:
    """Which backend to install for ``run`` (None = the reference), and warnings about a different one.

    Without an explicit choice the recorded backend is used; a recorded pgGit checkout that is gone or has
    changed is an error (MalformedReplay) saying what to pass. An explicit different backend (to check a
    fix, say) only warns.
    """
    warnings: list[str] = []
    if reference or source is not None:
        chosen = None if reference else str(source)
        digest = source_digest(REFERENCE_SOURCE if chosen is None else Path(chosen).expanduser().resolve())
        if run.digest and digest != run.digest:
            name = "the reference backend" if chosen is None else chosen
            warnings.append(f"recorded against {run.backend} {run.source or ''} (sha256 {run.digest[:12]}), "
                            f"replaying against {name} (sha256 {digest[:12]}): the verdict may differ")
        return chosen, warnings
    if run.backend == "reference":
        if run.digest and source_digest(REFERENCE_SOURCE) != run.digest:
            warnings.append(f"recorded against an earlier reference backend (sha256 {run.digest[:12]}); "
                            "replaying against the bundled one")
        return None, warnings
    where = run.source
    if not where or not Path(where).is_dir():
        raise MalformedReplay(f"{run.path or 'the run'}: recorded against pgGit at {where} (sha256 "
                              f"{(run.digest or '?')[:12]}), which is not there; pass --pggit-source DIR")
    if run.digest and source_digest(Path(where)) != run.digest:
        raise MalformedReplay(f"{run.path or 'the run'}: recorded against pgGit at {where} with sha256 "
                              f"{run.digest[:12]}, but that checkout has changed (sha256 "
                              f"{source_digest(Path(where))[:12]}); check out the recorded version, or pass "
                              "--pggit-source DIR to replay against another one anyway")
    return where, warnings


def replay(run: Run, server: ThrowawayCluster | ExternalServer, source: str | Path | None = None, *,
           reference: bool = False, strict: bool = False, registry: kn.Registry | None = None) -> ReplayResult:
    """Install the backend in a fresh database, run ``run.ops`` through a Driver and compare the verdict.

    ``source=None`` and ``reference=False`` means the recorded backend. ``strict`` turns the backend
    warnings into MalformedReplay. ``registry`` replaces the known divergences recorded with the run.
    """
    crash = next((i for i, op in enumerate(run.ops, 1) if op.kind == "crash_restart"), None)
    if crash is not None:
        raise MalformedReplay(f"{run.path or 'the run'}: step {crash} crashes and restarts the server, which replay "
                              "does not do to a server it shares; rerun the crash machine's saved example instead: "
                              "pytest machines/test_crash.py --hypothesis-profile=replay")
    chosen, warnings = check_backend(run, source, reference=reference)
    if strict and warnings:
        raise MalformedReplay(f"{run.path or 'the run'}: {warnings[0]}")
    template = Template(server, chosen)
    try:
        backend = f"{template.report.backend} {template.report.source} (sha256 {template.report.digest[:12]})"
        got, steps, text, op, known = _drive(run, template, run.registry if registry is None else registry, chosen)
    finally:
        template.close()
    return ReplayResult(run, got, steps, text, op, tuple(warnings), backend, known)


class _Sessions:
    """The other sessions a recorded run's events need, made on first use: the faults' second session (with the
    sleeping trigger installed), an autocommit session for OtherSession steps, X9's control database."""

    def __init__(self, template: Template, conn: psycopg.Connection, run: Run, source: str | None) -> None:
        self.conninfo = template.server.conninfo(template.dbname)
        self.template, self.conn, self.schema, self.source = template, conn, run.schema, source
        self.other: psycopg.Connection | None = None
        if any(isinstance(op, Fault | TerminateSession) for op in run.ops):
            faults.install(conn)
            self.other = connect(self.conninfo)
        self.second: Client | None = None
        self.control: Any = None

    def step(self, driver: Driver, op: Op) -> None:
        """Run one recorded op as the machine did."""
        if isinstance(op, OtherSession):
            if self.second is None:
                self.second = Client(connect(self.conninfo), self.schema)
            driver.run(op.op, session=self.second)
        elif isinstance(op, Fault) and self.other is not None:
            faults.strike(driver, op, self.other)
        elif isinstance(op, TerminateSession) and self.other is not None:
            faults.terminate_and_reconnect(driver, self.other, self.conninfo)
        elif op.family == "damage":  # U4: run as the damage machine did, the model giving up on what it damaged
            driver.run_unchecked(op, given_up(driver.state, op))
        elif isinstance(op, Reinstall):  # psql again over this database, as the machine ran it (U1, U2)
            from .upgrade import reinstall
            server = self.template.server
            reinstall(driver, self.conninfo, op.source, upgrade=op.upgrade, psql=server.psql,
                      env=getattr(server, "psql_env", dict)())
        elif isinstance(op, Parallel):  # the sessions again in the recorded permutation, checked (X8-X10)
            self._parallel(driver, op)
        else:
            driver.run(op)

    def _parallel(self, driver: Driver, op: Parallel) -> None:
        """Run the program's sessions and judge a failure with the registry as the parallel machine did
        (``parallel.machine.excuse``): one it explored past is counted, not a verdict. The sessions in sequence
        run on a fresh install of the same backend (the database here has the program's effects)."""
        from .parallel.machine import Control, excuse, run_parallel, sessions_in_sequence
        from .parallel.program import Program
        self.control = self.control or Control(self.template.server)
        try:
            run_parallel(driver, op, self.conninfo, self.control)
        except Divergence as d:
            program = Program.from_op(d.ops[:-1], d.ops[-1], self.schema)

            def in_sequence() -> set[str]:
                fresh = Template(self.template.server, self.source)
                try:
                    with connect(fresh.server.conninfo(fresh.dbname)) as conn:
                        return sessions_in_sequence(conn, program, frozenset(self.template.report.blocked),
                                                    driver.known)
                finally:
                    fresh.close()

            why = excuse(d, driver.known, in_sequence)
            if why is None:
                raise
            for k in why.ids:
                driver.stats.known[k] = driver.stats.known.get(k, 0) + 1

    def close(self, current: psycopg.Connection) -> None:
        """Close every session but the run's own (``current``: the driver's, a new one after a terminate)."""
        for c in {current, self.other, self.second and self.second.conn} - {self.conn, None}:
            with contextlib.suppress(psycopg.Error):
                c.close()  # type: ignore[union-attr]
        if self.control is not None:
            self.control.close()


def _drive(run: Run, template: Template, registry: kn.Registry, source: str | None,
           ) -> tuple[Verdict | None, int, str | None, Op | None, tuple[tuple[str, int], ...]]:
    """Run the ops on the template database itself (it is thrown away afterwards), as the machine did; also the
    known divergences explored past."""
    nested = run.isolation == "rollback"
    # V21/U4: the same statements without pgGit, as the machine had; not for a parallel program, whose sessions
    # the twin does not see (its check compares with a control database of its own, as the machine's did)
    parallel = any(isinstance(op, Parallel) for op in run.ops)
    twin_db = None if parallel else TwinDatabase(template.server)
    stats = RunStats()  # its ``known``: the registry's entries explored past, as the run counted them
    with connect(template.server.conninfo(template.dbname), autocommit=not nested) as conn:
        twin = None if twin_db is None else twin_db.example(run.schema, nested=nested, pggit=conn)
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(run.schema)))
            for name, value in run.sequences:
                cur.execute(sql.SQL(SETVAL).format(
                    seq=sql.Literal(name), value=sql.Literal(value)))
        client = Client(conn, run.schema, nested=nested, probe=template.report.probe,
                        also=extra_schema_names(run.schema))  # observed as the machine observed them
        driver = Driver(client, run.schema, missing=frozenset(template.report.blocked),
                        stats=stats, txn_started=time.time() if nested else None, known=registry)
        driver.twin = twin
        sessions = _Sessions(template, conn, run, source)
        done = 0
        try:
            driver.check_state()
            for op in run.ops:
                sessions.step(driver, op)
                done += 1
                if not isinstance(op, Parallel):  # its checker compared the final state, registry in hand, and
                    driver.check_state()  # the machine checks nothing more (a difference it excused showed here)
            driver.check_twin_catalog()  # as the machine's example ended
        except Divergence as d:
            number = done + 1 if len(driver.ops) > done else done  # the op whose answer diverged, else the last run
            step_no = d.step if d.step is not None else number
            failing = run.ops[step_no - 1] if 1 <= step_no <= len(run.ops) else None
            return (Verdict(rule_family(d.rule), step_no), number, str(d).split("\n")[0], failing,
                    tuple(sorted(stats.known.items())))
        finally:
            with contextlib.suppress(psycopg.Error):
                conn.rollback()
            sessions.close(driver.client.conn)
            if twin is not None:
                twin.close()
            if twin_db is not None:
                twin_db.close()
    return None, len(run.ops), None, None, tuple(sorted(stats.known.items()))


__all__ = ["ReplayResult", "Run", "check_backend", "replay"]
