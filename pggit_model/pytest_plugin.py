"""pytest plugin (entry point ``pytest11``): options, Hypothesis profiles and the server fixtures.

Nothing starts until a test asks for a server fixture, so pure tests stay fast. The server, the
template database and the isolation helpers are per session (per xdist worker).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from . import backend, known, profiles, shards
from .cluster import ExternalServer, ThrowawayCluster, connect, drop_database, find_binaries, mask_dsn, start_server
from .errors import InvalidProfile, NotAPggitCheckout, PggitModelError
from .install import check_source
from .isolation import ClonePool, RollbackIsolation, Template
from .machine import Harness
from .rules import ALL_RULES, base
from .session import (
    SESSION,
    STATS,
    markdown_report,
    merge_session,
    merge_stats,
    rss_kb,
    rss_line,
    session_to_data,
    stats_from_data,
    stats_to_data,
)
from .summary import coverage_lines, detection_lines, finding_lines, mutant_lines

_KNOWN = pytest.StashKey[known.Registry]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pggit-model", "pggit-model: model-check pgGit")
    group.addoption(
        "--pggit-source", default=os.environ.get("PGGIT_SOURCE"), metavar="DIR",
        help="pgGit source checkout to install (DIR/sql/install.sql); default: the bundled reference backend "
        "[env PGGIT_SOURCE]",
    )
    group.addoption(
        "--pg-dsn", default=os.environ.get("PGGIT_MODEL_DSN"), metavar="DSN",
        help="use this existing PostgreSQL server (superuser) instead of a throwaway cluster; only databases "
        "named pggit_model_* are created and dropped [env PGGIT_MODEL_DSN]",
    )
    group.addoption(
        "--pg-bindir", default=os.environ.get("PGGIT_MODEL_PG_BINDIR"), metavar="DIR",
        help="directory of the PostgreSQL server binaries for the throwaway cluster "
        "(default: pg_config --bindir, PATH, /usr/lib/postgresql/*/bin) [env PGGIT_MODEL_PG_BINDIR]",
    )
    group.addoption(
        "--pggit-known", default=os.environ.get("PGGIT_KNOWN"), metavar="FILE",
        help="known-divergence registry (TOML or JSON): matching divergences are recorded and explored past "
        "instead of failing the run [env PGGIT_KNOWN]",
    )
    group.addoption(
        "--pggit-results", default=".pggit-model", metavar="DIR",
        help="where runs record their failures (default: .pggit-model/)",
    )
    group.addoption(
        "--pggit-regress", action="store_true",
        help="also write each failure's pg_regress pair (sql/<id>.sql, expected/<id>.out from a fresh reference "
        "install) into its folder, for pgGit's make installcheck; see docs/replay.md",
    )
    group.addoption(
        "--pggit-report", default=None, metavar="FILE",
        help="write a markdown summary per machine (steps, examples, rules exercised, divergences with links "
        "to their replay files) to FILE",
    )
    group.addoption(
        "--pggit-examples", default=os.environ.get("PGGIT_MODEL_EXAMPLES"), metavar="SPEC",
        help="share the Hypothesis example database besides .hypothesis/examples: redis://HOST:PORT/DB "
        "(pip install 'pggit-model[redis]') or github:OWNER/REPO[/ARTIFACT] (read-only, needs GITHUB_TOKEN); "
        "see docs/replay.md [env PGGIT_MODEL_EXAMPLES]",
    )
    group.addoption(
        "--pggit-sessions", default=None, type=int, metavar="N",
        help="load mode (machines/test_load.py, skipped without it): N sessions (2-100) run drawn units against "
        "one database, then pgGit's history is checked (X10, V7, V8, X8); see docs/parallel.md",
    )
    group.addoption(
        "--pggit-no-twin", action="store_true",
        help="do not replay each example's statements on a twin database without pgGit (contract V21: same "
        "outcomes, same catalog); on by default, see docs/machines.md",
    )
    group.addoption(
        "--pggit-upgrade-from", default=os.environ.get("PGGIT_UPGRADE_FROM"), metavar="DIR",
        help="upgrade mode (U2): every example's database is installed from this older pgGit checkout, used by "
        "the machine's own ops, and upgraded to --pggit-source (or the reference) at a drawn step; the same "
        "checkout as --pggit-source re-installs it over itself (U1); see docs/drift.md [env PGGIT_UPGRADE_FROM]",
    )
    group.addoption(
        "--pggit-load-seconds", default=10.0, type=float, metavar="S",
        help="how long the load mode's sessions run (default 10)",
    )
    group.addoption(
        "--pggit-shard", default=None, metavar="I/N",
        help="run only the I-th of N shards of the machines (a CI job matrix: every job the same N); each machine "
        "is in exactly one shard, balanced by cost; see docs/ci.md",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    profiles.register()
    wanted = config.getoption("hypothesis_profile", default=None)
    try:
        if wanted:
            profiles.check(wanted)
        source = config.getoption("--pggit-source")
        if source:
            check_source(source)
        config.stash[_KNOWN] = known.load(config.getoption("--pggit-known"))
        _check_upgrade(config)
        _check_sessions(config.getoption("--pggit-sessions", default=None))
        if config.getoption("--pggit-shard", default=None):
            shards.parse(config.getoption("--pggit-shard"))
    except (InvalidProfile, NotAPggitCheckout, known.BadRegistry, shards.InvalidShard) as e:
        raise pytest.UsageError(str(e)) from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """--pggit-shard I/N: keep the machines of shard I (the same split on every job and xdist worker)."""
    if not config.getoption("--pggit-shard", default=None):
        return
    i, n = shards.parse(config.getoption("--pggit-shard"))
    where = shards.assign((shards.machine_of(item.nodeid) for item in items), n)
    kept = [item for item in items if where[shards.machine_of(item.nodeid)] == i]
    dropped = [item for item in items if where[shards.machine_of(item.nodeid)] != i]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _check_upgrade(config: pytest.Config) -> None:
    """--pggit-upgrade-from DIR: a checkout (else a usage error); the same one as the backend is said to be U1."""
    old = config.getoption("--pggit-upgrade-from", default=None)
    if old:
        from .upgrade import check_upgrade
        note = check_upgrade(old, config.getoption("--pggit-source"))
        if note:
            sys.stderr.write(f"pggit-model: {note}\n")


def _check_sessions(n: int | None) -> None:
    """--pggit-sessions N: outside 2-100 is a usage error before anything runs (the load mode, issue 21 part 6)."""
    if n is None:
        return
    from .parallel.load import LoadInputError, check_sessions
    try:
        check_sessions(n)
    except LoadInputError as e:
        raise pytest.UsageError(str(e)) from None


def pytest_report_header(config: pytest.Config) -> list[str]:
    """The server and the backend under test, with their versions (as psycopg's suite prints its server)."""
    dsn = config.getoption("--pg-dsn", default=None)
    try:
        if dsn:
            with connect(dsn, timeouts=False) as conn:
                server = f"PostgreSQL {conn.info.parameter_status('server_version')} at {mask_dsn(dsn)}"
        else:
            bins = find_binaries(config.getoption("--pg-bindir", default=None))
            server = f"PostgreSQL {bins.version} (throwaway cluster from {bins.bindir})"
    except (PggitModelError, psycopg.Error) as e:
        server = f"PostgreSQL unavailable ({str(e).strip().splitlines()[0][:120]})"
    source = config.getoption("--pggit-source", default=None)
    which = f"pggit from {source}" if source else "reference (bundled)"
    shard = config.getoption("--pggit-shard", default=None)
    part = f"; shard {shard} (the rest deselected)" if shard else ""
    return [f"pggit-model: server {server}; backend {which}, version {backend.version_before_install(source)}{part}"]


def pytest_sessionstart(session: pytest.Session) -> None:
    """--pggit-examples: the active profile, with the shared example database added (Hypothesis loaded it by now)."""
    spec = session.config.getoption("--pggit-examples", default=None)
    if not spec:
        return
    from hypothesis import settings

    try:
        db = profiles.example_database(spec)
    except InvalidProfile as e:
        pytest.exit(f"pggit-model: {e}", returncode=pytest.ExitCode.USAGE_ERROR)
    name = settings.get_current_profile_name()
    settings.register_profile(f"{name}+shared", parent=settings.get_profile(name), database=db)
    settings.load_profile(f"{name}+shared")


def _fail_session(e: BaseException) -> None:
    """Bad environment: one clear line for the whole run, instead of the same error per test."""
    pytest.exit(f"pggit-model: {e}", returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.fixture(scope="session")
def pggit_server(pytestconfig: pytest.Config) -> Iterator[ThrowawayCluster | ExternalServer]:
    """The PostgreSQL server of this session: a throwaway cluster, or --pg-dsn."""
    try:
        sessions = pytestconfig.getoption("--pggit-sessions", default=None) or 0
        # load mode: the throwaway cluster gets room for N sessions (its default max_connections is 100)
        settings = {"max_connections": str(sessions + 20)} if sessions + 20 > 100 else None
        server = start_server(pytestconfig.getoption("--pg-dsn"), pytestconfig.getoption("--pg-bindir"),
                              settings=settings)
    except PggitModelError as e:
        _fail_session(e)
        raise
    try:
        yield server
    finally:
        server.close()



@pytest.fixture(scope="session")
def pggit_template(
    pytestconfig: pytest.Config, pggit_server: ThrowawayCluster | ExternalServer
) -> Iterator[Template]:
    """The session's template database with the backend (reference, or --pggit-source) installed."""
    try:
        # Upgrade mode: the older checkout is what every example starts from (the machines upgrade it, U2).
        template = Template(pggit_server, pytestconfig.getoption("--pggit-upgrade-from")
                            or pytestconfig.getoption("--pggit-source"))
    except PggitModelError as e:
        _fail_session(e)
        raise
    try:
        yield template
    finally:
        template.close()


@pytest.fixture
def pggit_dbname(pggit_template: Template) -> Iterator[str]:
    """A fresh database cloned from the template, dropped after the test."""
    name = pggit_template.clone("t")
    try:
        yield name
    finally:
        with contextlib.suppress(psycopg.Error):
            drop_database(pggit_template.server, name)


@pytest.fixture
def pggit_connect(pggit_template: Template, pggit_dbname: str) -> Iterator[Callable[[], psycopg.Connection]]:
    """A factory of autocommit connections (with statement/lock timeouts) to this test's fresh database."""
    opened: list[psycopg.Connection] = []

    def factory() -> psycopg.Connection:
        conn = connect(pggit_template.server.conninfo(pggit_dbname))
        opened.append(conn)
        return conn

    try:
        yield factory
    finally:
        for conn in opened:
            conn.close()


@pytest.fixture
def pggit_conn(pggit_connect: Callable[[], psycopg.Connection]) -> psycopg.Connection:
    """One autocommit connection to this test's fresh database."""
    return pggit_connect()


@pytest.fixture(scope="session")
def pggit_rollback(pggit_template: Template) -> Iterator[RollbackIsolation]:
    """Per-example reset by ROLLBACK: use ``with pggit_rollback.example() as conn``."""
    iso = RollbackIsolation(pggit_template)
    try:
        yield iso
    finally:
        iso.close()


@pytest.fixture(scope="session")
def pggit_clones(pggit_template: Template) -> Iterator[ClonePool]:
    """Per-example reset by a pre-cloned database: use ``with pggit_clones.example() as dbname``."""
    pool = ClonePool(pggit_template)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def pggit_results(pytestconfig: pytest.Config) -> Path:
    """The folder where runs record their failures."""
    return Path(pytestconfig.getoption("--pggit-results"))


@pytest.fixture(scope="session")
def pggit_harness(pytestconfig: pytest.Config, pggit_template: Template, pggit_results: Path) -> Iterator[Harness]:
    """Runs state machines: ``pggit_harness.run(MachineClass)`` with the active Hypothesis profile."""
    h = Harness(pggit_template, pggit_results, known=pytestconfig.stash.get(_KNOWN, known.EMPTY),
                regress=bool(pytestconfig.getoption("--pggit-regress")),
                twin=not pytestconfig.getoption("--pggit-no-twin"))
    old = pytestconfig.getoption("--pggit-upgrade-from", default=None)
    if old:
        from .machines.reinstall import upgrading
        from .upgrade import Upgrade
        h.upgrade_to = Upgrade(old, pytestconfig.getoption("--pggit-source"))
        h.wrap_machine = upgrading
    try:
        yield h
    finally:
        h.close()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """A short account of what the machines did: steps, examples, rules exercised, divergences."""
    stats = STATS
    tr = terminalreporter
    if stats.mutants:
        tr.section("pggit-model: planted faults")
        for line in mutant_lines(stats):
            tr.write_line(line)
    if stats.detections:
        tr.section("pggit-model: planted faults x seeds")
        for line in detection_lines(stats, Path(config.getoption("--pggit-results"))):
            tr.write_line(line)
    if not stats.steps and not stats.missing_functions:
        return
    tr.section("pggit-model")
    for line in [*coverage_lines(stats), *finding_lines(stats, config.stash.get(_KNOWN, known.EMPTY)),
                 rss_line(stats)]:
        tr.write_line(line)


_stats_out, _stats_in = stats_to_data, stats_from_data  # (names the tests of the round trip use)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """Under pytest-xdist: add each worker's counts (steps, rules, shrunk mutant lengths…) to the summary, and its
    per-machine record (with the failures it recorded) to the --pggit-report."""
    out = getattr(node, "workeroutput", {})
    if out.get("pggit_model_stats"):
        merge_stats(STATS, _stats_in(out["pggit_model_stats"]))
    if out.get("pggit_model_session"):
        merge_session(SESSION, out["pggit_model_session"])


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """--pggit-report FILE: the markdown summary per machine, written whether the run passed or not (by the
    controller only, under pytest-xdist: a worker hands its counts and record to it instead)."""
    STATS.rss_end_kb += rss_kb()  # this process's own; a controller already holds its workers' (summed)
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["pggit_model_stats"] = _stats_out(STATS)
        workeroutput["pggit_model_session"] = session_to_data(SESSION)
        return
    target = session.config.getoption("--pggit-report", default=None)
    if not target or not SESSION.machines:
        return
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown_report(SESSION, STATS, path, ALL_RULES, base), encoding="utf-8")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the crash machine's own cluster (started on first use, pggit_model.machines.crash) with the session."""
    crash = sys.modules.get("pggit_model.machines.crash")
    if crash is not None:
        crash.CRASH_SERVERS.close()
