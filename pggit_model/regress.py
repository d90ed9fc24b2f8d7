"""A recorded run as a pg_regress pair: ``sql/<id>.sql`` and ``expected/<id>.out``, for pgGit's own
``make installcheck`` (PGXS ``REGRESS``).

``render_regress`` (pure) turns a Run into a plain psql script whose output says only what the contract
specifies: each statement runs through a small ``pg_temp`` helper that prints ``succeeds``, the answer's
contract-determined part (a generated id or hash prints only its shape), or an error as the contract words it
(the SQLSTATE class it allows, never a backend's message); the end shows pgGit's rows for the schema with ids,
hashes and timestamps projected away. So the output is the same on every backend that keeps the contract.
``make_pair`` runs it with ``pg_regress`` on a fresh install of the bundled reference backend (clean-room, right
by construction) to write the expected output; ``check_pair`` runs a pair against any backend.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import attrs
import psycopg
from psycopg import sql

from . import known as kn
from .backend import SETVAL, regress_state_queries
from .cluster import Server, drop_database
from .errors import MalformedReplay, PggitModelError
from .isolation import Template
from .model import (
    CommitRef,
    HashOf,
    IsInt,
    MergeRef,
    MergeResult,
    NewCommitId,
    NewTrinityId,
    Pred,
    TrinityRef,
    initial_state,
    session_lost,
    step,
)
from .ops import Fault, Op, OtherSession, SessionOp, TerminateSession, TxnOp
from .runs import Run

#: Each statement runs in a DO block (not DDL: a helper function would be tracked by pgGit's event trigger, which
#: v0.2.1 refuses for pg_temp): RAISE INFO (shown whatever client_min_messages says) prints ``succeeds`` or the
#: answer's contract-determined part; an error is raised again with the same SQLSTATE (an open transaction
#: aborts, as it would) and a message that depends only on the contract.
STEP = """DO $step$ DECLARE answer text := 'succeeds'; BEGIN
    EXECUTE {stmt}{into};
    RAISE INFO 'step {n}: %', answer;
EXCEPTION WHEN OTHERS THEN{allowed}
    RAISE EXCEPTION USING ERRCODE = SQLSTATE, MESSAGE = 'step {n} fails with SQLSTATE ' || SQLSTATE || ': ' || SQLERRM;
END $step$;"""
#: An op the contract says nothing about (a hand-written script may have one): neither its answer nor its
#: failure may show, or the output would depend on the backend.
UNSPECIFIED = """DO $step$ BEGIN
    EXECUTE {stmt};
    RAISE INFO 'step {n}: not specified by the contract';
EXCEPTION WHEN OTHERS THEN
    RAISE INFO 'step {n}: not specified by the contract';
END $step$;"""
ALLOWED = """
    IF SQLSTATE LIKE ANY ({patterns}) THEN
        RAISE EXCEPTION USING ERRCODE = SQLSTATE, MESSAGE = 'step {n} fails as the contract says ({said})';
    END IF;"""

#: Said again after a reconnect (a killed session): settings go with the session. NOTICEs and WARNINGs are
#: pgGit's chatter, which the contract does not fix.
PREAMBLE = ["SET client_min_messages = error;", "\\set VERBOSITY terse"]


def render_regress(run: Run) -> str:
    """The run as a pg_regress input file: deterministic output, plain psql, no pggit-model needed."""
    for i, op in enumerate(run.ops, 1):
        if op.kind in ("crash_restart", "parallel", "reinstall"):
            raise MalformedReplay(f"{run.path or 'the run'}: step {i} is {op.kind}, which a single psql session "
                                  "cannot do; no pg_regress pair for this run (replay it with pggit-model replay)")
    first = run.message.splitlines()[0] if run.message else ""
    found = (f"{run.machine} found [{run.rule}] at step {run.step} of {len(run.ops)}" if run.verdict
             else f"{len(run.ops)} steps from {run.path.name if run.path else 'a script'}, no recorded verdict")
    out = [f"-- pggit-model regression test {run.id}: {found}",
           *([f"-- {first}"] if first else []),
           "-- Expects pgGit (or the bundled reference backend) installed in the database, e.g.",
           "--   pg_regress --use-existing --dbname=DB --inputdir=DIR " + run.id,
           "-- The output holds only what the contract specifies; expected/ was written by the reference backend.",
           *PREAMBLE,
           sql.SQL("CREATE SCHEMA {};").format(sql.Identifier(run.schema)).as_string(None)]
    if run.sequences:
        out += ["-- pgGit's sequences where the recording left them (values are not printed: they vary)",
                "\\o /dev/null",
                *(SETVAL.format(seq=sql.Literal(n).as_string(None), value=v) + ";" for n, v in run.sequences),
                "\\o"]
    state = initial_state(schemas=(run.schema,))
    for i, op in enumerate(run.ops, 1):
        mark = f" <-- pgGit diverged here [{run.rule}]" if i == run.step else ""
        out.append(f"-- step {i}: {op.kind}{mark}")
        if isinstance(op, TerminateSession):
            state = session_lost(state, run.schema)
            out += ["\\connect", *PREAMBLE]
            continue
        inner = _plain(op)
        try:
            state, expected = step(state, kn.struck(op))
        except Exception:  # a model bug must not lose the test: run the statement as it is
            expected = None
        out.append(_statement(i, inner, expected))
    return "\n".join([*out, "-- pgGit's state for the schema (contract O1-O7; ids, hashes and times left out)",
                      *regress_state_queries(run.schema), ""])


def _plain(op: Op) -> Op:
    """What one psql session runs for ``op``: a fault's statement unstruck, another session's in this one."""
    while isinstance(op, Fault | OtherSession):
        op = op.op
    return op


def _statement(n: int, op: Op, expected: Any) -> str:
    text = op.to_sql()
    if isinstance(op, TxnOp | SessionOp):  # transaction control runs as itself; errors are PostgreSQL's own
        return text + ";"
    allowed = ""
    if getattr(expected, "kind", None) == "unspecified":
        return UNSPECIFIED.format(stmt=_quote(text), n=n)
    if getattr(expected, "kind", None) == "error":
        states = list(expected.sqlstates) or [""]
        patterns = sql.SQL("ARRAY[{}]").format(sql.SQL(", ").join(sql.Literal(s + "%") for s in states))
        said = " or ".join(f"SQLSTATE {s}..." for s in expected.sqlstates) or "any SQLSTATE"
        allowed = ALLOWED.format(patterns=patterns.as_string(None), n=n, said=said)
    reads = _answer_query(op, text, expected)
    return STEP.format(stmt=_quote(reads or text), into=" INTO answer" if reads else "", n=n, allowed=allowed)


def _answer_query(op: Op, text: str, expected: Any) -> str | None:
    """A query printing the part of ``op``'s answer the contract fixes, or None when only success counts."""
    kind = getattr(expected, "kind", None)
    if kind == "value" and getattr(op, "result", None) == "scalar":
        return f"SELECT {_cell(expected.value, 'x')} FROM ({text}) AS q(x)"
    if kind == "rows" and expected.columns:
        cells = ", ".join(_cell(next((r[i] for r in expected.rows if _varies(r[i])), None),
                                sql.Identifier(c).as_string(None)) for i, c in enumerate(expected.columns))
        order = "" if expected.ordered else " ORDER BY r"
        return (f"SELECT count(*) || ' row(s)' || coalesce(E'\\n' || string_agg(r, E'\\n'{order}), '') "
                f"FROM (SELECT concat_ws(' | ', {cells}) AS r FROM ({text}) AS q) AS a")
    return None


def _varies(value: Any) -> bool:
    """A value the model describes rather than knows (a Pred) or one the database invents (a commit, Trinity ID or
    merge the model refers to by number): it differs between installs."""
    return isinstance(value, Pred | CommitRef | TrinityRef | MergeRef)


#: What a generated value prints as: its contract-fixed shape. A Trinity ID keeps field 2 (the sequence value,
#: T3); uuids, 64-hex hashes, integers the database numbers (O8) and merge ids become placeholders. A value of
#: another form prints as itself, so a backend that breaks the form shows in the diff.
_TRINITY = (r"^[0-9]{20}-([0-9]{6,})-[0-9a-f]{8}$", r"<time>-\1-<hex8>")
_UUID = (r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", "<uuid>")
_SHA256 = (r"^[0-9a-f]{64}$", "<sha256>")
_MERGE = (r"^(MERGE_SUCCESS|CONFLICTS_DETECTED):.+$", r"\1:<id>")
_SHAPES: list[tuple[type | tuple[type, ...], tuple[tuple[str, str], ...]]] = [
    ((NewTrinityId, TrinityRef), (_TRINITY,)),
    (NewCommitId, (_UUID,)),
    (CommitRef, (_UUID, _SHA256, _TRINITY)),  # a commit is named by its uuid, its hash or (C7) a Trinity ID
    (HashOf, (_SHA256,)),
    ((MergeResult, MergeRef), (_MERGE,)),
    (IsInt, ((r"^-?[0-9]+$", "<integer>"),)),
]


def _cell(value: Any, expr: str) -> str:
    """SQL printing one answer field: as it is when the contract fixes it, else by its shape (see _SHAPES)."""
    if not _varies(value):
        return f"coalesce({expr}::text, 'NULL')"
    shapes = next((found for kinds, found in _SHAPES if isinstance(value, kinds)), None)
    if shapes is None:
        return f"CASE WHEN {expr} IS NULL THEN 'NULL' ELSE 'a value' END"  # ANY, Matches: any value will do
    shaped = f"{expr}::text"
    for pattern, placeholder in shapes:
        shaped = f"regexp_replace({shaped}, '{pattern}', '{placeholder}')"
    return f"coalesce({shaped}, 'NULL')"


def _quote(text: str) -> str:
    if "$pggit$" not in text:
        return f"$pggit${text}$pggit$"
    return sql.Literal(text).as_string(None)


# -- running pg_regress -------------------------------------------------------------------------------------------

@attrs.frozen
class RegressResult:
    """One pg_regress run of one test: passed, and the diff when not."""

    test: str
    passed: bool
    diff: str = ""
    output: str = ""


def find_pg_regress(psql: str) -> Path:
    """PGXS's pg_regress of the same PostgreSQL as ``psql`` (``$(pg_config --pkglibdir)/pgxs/...``)."""
    pg_config = Path(psql).parent / "pg_config"
    command = str(pg_config) if pg_config.exists() else shutil.which("pg_config")
    libdir = None
    if command:
        done = subprocess.run([command, "--pkglibdir"], capture_output=True, text=True, check=False)
        libdir = done.stdout.strip() if done.returncode == 0 else None
    found = Path(libdir or "/nonexistent") / "pgxs" / "src" / "test" / "regress" / "pg_regress"
    if not found.exists():
        raise PggitModelError(f"no pg_regress at {found}: install PostgreSQL's server development files "
                              "(Debian: postgresql-server-dev-15), which bring PGXS and pg_regress")
    return found


def run_pg_regress(server: Server, dbname: str, inputdir: Path, test: str) -> RegressResult:
    """``pg_regress --use-existing`` of ``test`` from ``inputdir`` (sql/, expected/) in database ``dbname``."""
    psql = server.psql
    env = {**os.environ, **_libpq_env(server.conninfo(dbname))}
    with tempfile.TemporaryDirectory(prefix="pggit-regress-") as outdir:
        bindir = str(Path(psql).parent) if Path(psql).is_absolute() else ""
        done = subprocess.run([str(find_pg_regress(psql)), f"--bindir={bindir}", "--use-existing",
                               f"--dbname={dbname}", f"--inputdir={inputdir}", f"--outputdir={outdir}", test],
                              capture_output=True, text=True, env=env, check=False, timeout=300)
        result = Path(outdir) / "results" / f"{test}.out"
        diffs = Path(outdir) / "regression.diffs"
        if not result.exists():
            raise PggitModelError(f"pg_regress did not run {test}: {(done.stdout + done.stderr).strip()[-600:]}")
        return RegressResult(test, done.returncode == 0, diffs.read_text() if diffs.exists() else "",
                             result.read_text())


_LIBPQ_ENV = {"host": "PGHOST", "hostaddr": "PGHOSTADDR", "port": "PGPORT", "user": "PGUSER",
              "password": "PGPASSWORD", "sslmode": "PGSSLMODE", "passfile": "PGPASSFILE"}


def _libpq_env(conninfo: str) -> dict[str, str]:
    """pg_regress takes no DSN: the server's connection parameters as libpq's environment variables."""
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    return {var: str(params[key]) for key, var in _LIBPQ_ENV.items() if params.get(key) is not None}


def check_pair(server: Server, inputdir: Path, test: str, source: str | Path | None) -> RegressResult:
    """Run the pair against a fresh install of ``source`` (None: the reference backend)."""
    template = Template(server, source)
    try:
        return _on_clone(template, inputdir, test)
    finally:
        template.close()


def _on_clone(template: Template, inputdir: Path, test: str) -> RegressResult:
    db = template.clone("rg")
    try:
        return run_pg_regress(template.server, db, inputdir, test)
    finally:
        drop_database(template.server, db)


def make_pair(run: Run, server: Server, outdir: Path) -> tuple[Path, Path]:
    """Write ``outdir/sql/<id>.sql`` and ``outdir/expected/<id>.out`` (the reference's output), and check that
    a second fresh reference install gives the same output (else PggitModelError: not deterministic)."""
    text = render_regress(run)
    sql_file, expected = outdir / "sql" / f"{run.id}.sql", outdir / "expected" / f"{run.id}.out"
    sql_file.parent.mkdir(parents=True, exist_ok=True)
    expected.parent.mkdir(parents=True, exist_ok=True)
    sql_file.write_text(text, encoding="utf-8")
    expected.write_text("", encoding="utf-8")
    template = Template(server, None)
    try:
        expected.write_text(_on_clone(template, outdir, run.id).output, encoding="utf-8")
        again = _on_clone(template, outdir, run.id)
    finally:
        template.close()
    if not again.passed:
        raise PggitModelError(f"the pg_regress output of {run.id} differs between two fresh installs of the "
                              f"reference backend, so it cannot be a regression test:\n{again.diff[:2000]}")
    return sql_file, expected


__all__ = ["RegressResult", "check_pair", "find_pg_regress", "make_pair", "render_regress",
           "run_pg_regress"]
