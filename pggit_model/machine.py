"""The base of every state machine, and the session harness that runs them.

A machine is a Hypothesis ``RuleBasedStateMachine`` whose rules each run one op through a ``Driver``
(model predicts → database answers → checked), with ``state_matches_model`` as an invariant after every
step. Each example gets a clean pgGit: a rolled-back transaction (``isolation = "rollback"``) or a
database from the clone pool (``isolation = "clone"``, for machines that really commit).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import psycopg
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, run_state_machine_as_test
from psycopg import sql

from . import incremental
from .backend import sequences
from .client import Client, Completion
from .cluster import connect
from .divergences import Divergence
from .driver import Driver
from .errors import CoverageGap
from .install import InstallReport
from .isolation import ClonePool, RollbackIsolation, Template
from .known import EMPTY as EMPTY_REGISTRY
from .known import Registry
from .ops import CreateIndex, CreateMatView, CreateTable, Op
from .session import (
    COVERAGE_PROFILES,
    SESSION,
    STATS,
    RunStats,
    Where,
    coverage_gaps,
    hypothesis_context,
    merge_stats,
    record_divergences,
)
from .strategies.common import predicted
from .strategies.schemas import extra_schema_names
from .twin import TwinDatabase
from .upgrade import Upgrade

#: Hypothesis's marker attribute for a rule (hypothesis.stateful.RULE_MARKER; not exported in __all__).
_RULE_MARKER = "hypothesis_stateful_rule"
#: What ``reads`` marks a read rule's function with.
_READS = "pggit_model_reads"
#: Rules the whole-state invariant checks after every step (besides the rules of each op's Expected).
INVARIANT_RULES = ("O1", "O2", "O3", "O4", "O5", "O6", "O7", "O8", "O9", "V1", "V2", "V5", "V6", "V7", "V8", "V11",
                   "V13", "V14", "B1", "B7", "B8", "C8", "X3", "I5", "I6")
#: Rules the install itself exercises: run from sql/ with \i (I1), errors counted, not fatal (I3), I4 lookups.
INSTALL_RULES = ("I1", "I3", "I4", "I7")


class Harness:
    """Per pytest session: the template, the isolation helpers and where failures are recorded."""

    def __init__(self, template: Template, results: Path, stats: RunStats | None = None,
                 run_id: str | None = None, known: Registry = EMPTY_REGISTRY, regress: bool = False,
                 twin: bool = True) -> None:
        self.template = template
        self.known = known
        self.regress = regress  # also write each failure's pg_regress pair (on the template's server)
        self.results = results
        self.stats = stats if stats is not None else STATS
        self.run_id = run_id or uuid.uuid4().hex[:6]  # names the machines' schema; fixed only by tests
        # Missing contract functions, tables, columns and sequences (I4): their rules once in the summary; the ops
        # that need them (backend.NEEDS) are the Driver's to skip.
        blocked = template.report.blocked
        self.missing = frozenset(blocked)
        self.stats.missing_functions.update(blocked)
        self.stats.rules.update(INSTALL_RULES)
        self._rollback: RollbackIsolation | None = None
        self._clones: ClonePool | None = None
        self.twin = twin  # V21: replay every example's statements on a database without pgGit (--pggit-no-twin)
        self._twin_db: TwinDatabase | None = None
        self.last_machine: PgGitMachine | None = None
        # --pggit-upgrade-from (U2): the template holds the older version; machines upgrade to this mid-example.
        self.upgrade_to: Upgrade | None = None
        self.upgrade_report: InstallReport | None = None  # the newer version's install report, once upgraded
        #: what every machine is run as (upgrade mode: with the reinstall rule, ``machines.reinstall.upgrading``)
        self.wrap_machine: Callable[[type[PgGitMachine]], type[PgGitMachine]] | None = None

    @property
    def rollback(self) -> RollbackIsolation:
        if self._rollback is None:
            self._rollback = RollbackIsolation(self.template)
        return self._rollback

    @property
    def clones(self) -> ClonePool:
        if self._clones is None:
            self._clones = ClonePool(self.template)
        return self._clones

    @property
    def twin_db(self) -> TwinDatabase | None:
        """The twin database (made on first need), or None when the twin is off."""
        if self.twin and self._twin_db is None:
            self._twin_db = TwinDatabase(self.template.server)
        return self._twin_db if self.twin else None

    def run(self, machine: type[PgGitMachine], settings: Any = None) -> None:
        """Run ``machine`` with the active Hypothesis profile (or ``settings``)."""
        if self.wrap_machine is not None:
            machine = self.wrap_machine(machine)
        machine.harness = self
        # This machine's own counts (for --pggit-report), added to the session's afterwards.
        session, self.stats = self.stats, RunStats(missing_functions=dict(self.stats.missing_functions))
        try:
            run_state_machine_as_test(machine, settings=settings)
            self._check_coverage(machine, settings)
        except (Divergence, ExceptionGroup) as e:
            found = _divergences(e)
            for d in found:
                self.stats.divergences[f"{machine.__name__}:{d.rule}"] = str(d).split("\n")[0][:160]
            for d, note in zip(found, record_divergences(self._where(machine, settings), found), strict=True):
                d.add_note(note)
            raise
        finally:
            name = machine.__name__
            self.stats.machines[name] = self.stats.steps
            merge_stats(SESSION.machines.setdefault(name, RunStats()), self.stats)
            self.stats, part = session, self.stats
            merge_stats(session, part)

    def _check_coverage(self, machine: type[PgGitMachine], settings: Any) -> None:
        """Under a long profile (not settings given in code), every rule of the machine's RULES list must have been
        checked: a rule never exercised is a hole in the generators, not a pass."""
        import hypothesis

        if settings is not None or hypothesis.settings.get_current_profile_name() not in COVERAGE_PROFILES:
            return
        blocked = {r for rules in self.template.report.blocked.values() for r in rules}  # I4: cannot be checked
        gaps = [g for g in coverage_gaps(machine.RULES, self.stats.rules) if g not in blocked]
        if gaps:
            self.stats.gaps[machine.__name__] = gaps
        # After a known divergence the model stops comparing what differed, so a gap then is not the generators'.
        if gaps and not self.stats.known:
            raise CoverageGap(f"{machine.__name__} never exercised {', '.join(gaps)} of its RULES list in this "
                              f"{hypothesis.settings.get_current_profile_name()} run: make its rules draw ops those "
                              "rules check (or take them off the list if another machine covers them)")

    def _where(self, machine: type[PgGitMachine], settings: Any) -> Where:
        """What recording the divergences of ``machine``'s run needs to know about it."""
        seed, profile = hypothesis_context(machine, settings)
        last = self.last_machine
        # Rollback does not reset sequences: a replay starts them where this session had them.
        rolled = self._rollback is not None and machine.isolation == "rollback"
        return Where(results=self.results, machine=machine.__name__, seed=seed, profile=profile,
                     report=self.template.report, server_version=getattr(self.template.server, "version", None),
                     schema=last.schema if last is not None else None, isolation=machine.isolation,
                     sequences=sequences(self._rollback.conn) if rolled else {},  # type: ignore[union-attr]
                     registry=self.known, last_ops=tuple(last.driver.ops) if last is not None else (),
                     regress_server=self.template.server if self.regress else None)

    def close(self) -> None:
        if self._clones is not None:
            self._clones.close()
        if self._rollback is not None:
            self._rollback.close()
        if self._twin_db is not None:
            self._twin_db.close()
            self._twin_db = None


def _divergences(e: BaseException) -> list[Divergence]:
    """The Divergences in an exception (Hypothesis raises an ExceptionGroup for several distinct ones)."""
    if isinstance(e, Divergence):
        return [e]
    if isinstance(e, BaseExceptionGroup):
        return [d for sub in e.exceptions for d in _divergences(sub)]
    return []


def _close_quietly(conn: psycopg.Connection) -> None:
    with contextlib.suppress(Exception):  # a killed or crashed session is closed already
        conn.close()


def read_key(machine: PgGitMachine) -> tuple[Any, Any]:
    """What a read answers from: the model's database and the session (its branch, search_path, time zone: a
    checkout or SET changes the answers of V17–V19, B8, without a change of the database)."""
    return machine.model.db, machine.model.session


def _unread(machine: PgGitMachine) -> bool:
    """Whether what a read answers from changed since a read rule last ran (the model returns the very same
    objects for a read or a rejected statement)."""
    now, then = read_key(machine), machine.read_at
    return then is None or any(a is not b for a, b in zip(now, then, strict=True))


def _something_to_read(machine: PgGitMachine) -> bool:
    """A read rule's precondition: the database or session changed since the last read rule ran (or no other rule
    can run)."""
    return _unread(machine) or not machine.other_rule_runs()


def reads(f: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a rule that only reads (the version API, V17–V19), below ``@rule()``: it runs only once the model's
    database or session changed since a read rule last ran (`read_key`), unless no other rule can run. The state is
    compared after every step, so a read of the state a read already answered proves nothing new, and examples of
    reads alone were a fifth of a smoke run's (issue 18 part 3): Hypothesis's simplest example runs rule 0
    (show_table_versions) every step, and so does the zero-extension of its first novel prefixes; its swarm
    (FeatureFlags, per example) can leave only read rules on, and it mutates such an example into near copies. A
    rule with arguments waits behind a precondition: a swarm of reads alone stops at its second step (an invalid
    example, not counted in max_examples). A rule without arguments is rule 0 (Hypothesis orders rules by their
    number of arguments), what the shrinker blanks a step to: there a precondition makes the blanked step's rule
    draw take more choices while it fails, and reproducers grew (docs/mutation.md, fifth round); so it runs no op
    instead, and the simplest example runs none (still one of max_examples, but no time)."""
    blank = len(inspect.signature(f).parameters) == 1  # (self only)

    @functools.wraps(f)
    def read(self: PgGitMachine, *args: Any, **kwargs: Any) -> Any:
        if blank and not _unread(self) and self.other_rule_runs():
            return None
        try:
            return f(self, *args, **kwargs)
        finally:
            self.read_at = read_key(self)

    setattr(read, _READS, True)
    return read if blank else precondition(_something_to_read)(read)


@functools.cache
def _other_rules(machine: type[RuleBasedStateMachine]) -> tuple[tuple[Callable[[Any], bool], ...], ...]:
    """The preconditions of each rule of ``machine`` not marked ``reads``."""
    found = (getattr(getattr(machine, name, None), _RULE_MARKER, None) for name in sorted(dir(machine)))
    return tuple(r.preconditions for r in found if r is not None and not _marked_reads(r.function))


def _marked_reads(f: Any) -> bool:
    """``f`` is a ``reads`` rule's function, perhaps wrapped again (``swarm.gate``: functools.wraps keeps it)."""
    return bool(getattr(f, _READS, False))


#: How an example gets a clean pgGit: a rolled-back transaction, or a database of its own from the clone pool.
ISOLATIONS = ("rollback", "clone")


class PgGitMachine(RuleBasedStateMachine):
    """Common plumbing: a clean database per example, a Driver, and the whole-state invariant."""

    harness: ClassVar[Harness]
    isolation: ClassVar[str] = "rollback"
    #: The contract rules this machine is for: a ``ci`` (or longer) run that never checks one of them fails.
    RULES: ClassVar[tuple[str, ...]] = ()
    #: False: under --pggit-upgrade-from the machine cannot start on the older version and is skipped
    upgradable: ClassVar[bool] = True
    #: Once the schema tracks CHANGES_ABOVE rows, a DDL step observes only what changed, with the whole state
    #: compared at least every FULL_EVERY checks and at the example's end (pggit_model.incremental); 1: always whole.
    FULL_EVERY: ClassVar[int] = incremental.FULL_EVERY
    CHANGES_ABOVE: ClassVar[int] = incremental.CHANGES_ABOVE
    #: Overlap client and server (Driver.overlap): ``run`` sends a DDL op and returns, its answer and the state after
    #: it are checked before the next op is sent; off by default (PGGIT_MODEL_OVERLAP=1 turns it on everywhere).
    OVERLAP: ClassVar[bool] = os.environ.get("PGGIT_MODEL_OVERLAP") == "1"
    #: The model's database and session when a read rule (``reads``) last ran, or at the start (`read_key`): read
    #: rules wait for a change of either.
    read_at: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A misspelt isolation fails when the machine is defined, not in its first example."""
        super().__init_subclass__(**kwargs)
        if cls.isolation not in ISOLATIONS:
            raise TypeError(f"{cls.__name__}.isolation = {cls.isolation!r}: choose one of {', '.join(ISOLATIONS)} "
                            "('clone' for machines that really commit)")

    def __init__(self) -> None:
        super().__init__()
        h = self.harness
        h.last_machine = self
        self.schema = f"mc_{h.run_id}"
        self._exit = contextlib.ExitStack()
        nested = self.isolation == "rollback"
        if nested:
            conn = self._exit.enter_context(h.rollback.example())
            started = time.time()
        else:
            dbname = self._exit.enter_context(h.clones.example())
            conn = self._exit.enter_context(connect(h.template.server.conninfo(dbname)))
            started = None
        self.dbname = conn.info.dbname
        twin_db = h.twin_db
        twin = twin_db.example(self.schema, nested=nested, pggit=conn) if twin_db is not None else None
        if twin is not None:
            self._exit.callback(twin.close)
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        # The extra schemas its examples create are observed too (O1, O2, O6): a row pgGit gets wrong there is a
        # state divergence at the step, not only one a later get_version happens to ask about.
        client = Client(conn, self.schema, nested=nested, probe=h.template.report.probe,
                        also=extra_schema_names(self.schema))
        self.driver = Driver(client, self.schema, missing=h.missing, stats=h.stats, txn_started=started, known=h.known,
                             full_every=self.FULL_EVERY, changes_above=self.CHANGES_ABOVE)
        self.driver.twin = twin
        self.driver.overlap = self.OVERLAP
        self.read_at = read_key(self)  # (nothing to read before a change)

    @property
    def model(self) -> Any:
        return self.driver.state

    @property
    def conninfo(self) -> str:
        """How to reach this example's database (a second session, a reconnect)."""
        return self.harness.template.server.conninfo(self.dbname)

    def connect_other(self) -> psycopg.Connection:
        """A further autocommit session on this example's database, closed when the example ends (before the
        database is released: a clone cannot be dropped while a session is on it)."""
        conn = connect(self.conninfo)
        self._exit.callback(_close_quietly, conn)
        return conn

    def run(self, op: Op) -> Completion | None:
        """Run one op through model and database, then compare the whole state (also inside composite rules); with
        OVERLAP, a DDL op's answer and state are checked when the next op is run (None is returned for it)."""
        done = self.driver.run(op, wait=False)
        self.driver.check_state()
        return done

    def other_rule_runs(self) -> bool:
        """Some rule not marked ``reads`` has its preconditions met (so a read rule may wait for it)."""
        return any(all(p(self) for p in pre) for pre in _other_rules(type(self)))

    def make_missing(self, *made: CreateTable | CreateIndex | CreateMatView) -> None:
        """A rule's fixture: each CREATE whose relation the catalog does not have yet, run where the model predicts
        it, in order (a later one may need an earlier one)."""
        for op in made:
            if self.model.db.catalog.rel(op.schema, op.name) is None and predicted(self.model, op):
                self.run(op)

    @invariant()
    def state_matches_model(self) -> None:
        self.driver.check_state()  # a no-op when the last op was already checked
        self.harness.stats.rules.update(INVARIANT_RULES)

    def teardown(self) -> None:
        self.harness.stats.examples += 1
        try:
            self.driver.finish()  # the whole state, if the last checks saw changes only
            # V21's catalog check ends every example that did not fail already (Hypothesis calls teardown in a
            # finally: a failure in flight must not be replaced by this one).
            if sys.exception() is None:
                self.driver.check_twin_catalog()
                self.driver.check_excluded_schemas()  # V1: no row for a temporary or TOAST object
        finally:
            with contextlib.suppress(psycopg.Error):
                self._exit.close()

