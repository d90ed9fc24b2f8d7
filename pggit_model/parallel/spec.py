"""A parallel program as a PostgreSQL isolation test: a ``.spec`` for ``isolationtester`` / ``pg_isolation_regress``.

The spec's ``setup`` creates the program's schema and runs the prefix; each session becomes a ``session`` with one
``step`` per statement, and the program's schedule becomes the one ``permutation``. isolationtester runs a
permutation the way the runner does (a step that waits for a lock lets the next one start), so the spec replays
the same interleaving on any database with pgGit installed, and pgGit can drop it into its own regression suite.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from psycopg import sql

from pggit_model.errors import PggitModelError
from pggit_model.ops import Op

from .program import Program
from .runner import DEADLOCK_TIMEOUT_MS


class IsolationTesterNotFound(PggitModelError):
    """PostgreSQL's isolationtester binary is not installed where pg_config says."""


def _block(text: str) -> str:
    if "}" in text:
        # isolationtester's scanner ends a block at the first '}', whatever quotes surround it
        raise ValueError(f"a statement contains '}}', which an isolation spec cannot hold: {text!r}")
    return "{ " + text + " }"


#: columns of a rows call the output shows: the contract's answer, without timestamps the clock decides
_STABLE_COLUMNS = {"get_version": "object_name, schema_name, version, version_string",
                   "show_table_versions": "object_name, schema_name, version_string, column_count"}


def step_sql(op: Op) -> str:
    """A statement as a spec step whose output is the same on every run of a correct backend (so a ``.out`` can
    be expected): a value the database invents (commit ids and hashes, Trinity IDs, branch ids) shows as whether
    one came back; a rows call shows its contract columns (or its row count). The call itself is unchanged."""
    text = op.to_sql().rstrip(";")
    if op.family != "call":
        return text
    if op.result == "scalar":
        return f"SELECT x IS NOT NULL AS returned FROM ({text}) AS r(x)"
    columns = _STABLE_COLUMNS.get(op.kind)
    if columns is None:
        return f"SELECT count(*) AS rows FROM ({text}) AS r"
    return f"SELECT {columns} FROM ({text}) AS r ORDER BY 1, 2"


def observer(schema: str) -> list[str]:
    """A last session whose steps print pgGit's state after the permutation (what X8's final check compares, in
    the contract's terms): the schema's version rows, the branches, and per branch its commits and how many share
    a parent with another (a fork where a chain was due, C8)."""
    lit = sql.Literal(schema).as_string(None)
    return [
        "session observer",
        "step objects " + _block(
            "SELECT object_type, object_name, branch_name, version, is_active FROM pggit.objects "
            f"WHERE schema_name = {lit} ORDER BY object_name, branch_name, object_type;"),
        "step commits " + _block(
            "SELECT b.name AS branch, b.status, count(c.hash) AS commits, "
            "count(c.hash) - count(DISTINCT coalesce(c.parent_commit_hash, '')) AS forks "
            "FROM pggit.branches b LEFT JOIN pggit.commits c ON c.branch_id = b.id GROUP BY b.name, b.status "
            "ORDER BY b.name;"),
        ""]


def step_name(session: int, index: int) -> str:
    return f"s{session + 1}_{index + 1}"


def write_spec(program: Program, *, title: str = "") -> str:
    """The program as an isolation spec (text)."""
    schema = sql.Identifier(program.schema).as_string(None)
    setup = [f"CREATE SCHEMA {schema};", *(op.to_sql().rstrip(";") + ";" for op in program.prefix)]
    out = [f"# {line}" for line in (title or "pggit-model parallel program").splitlines()]
    out += [f"# sessions run at {program.level.upper()}; the permutation is the schedule that was run", ""]
    out += ["setup", _block("\n  ".join(setup)), "", "teardown", _block(f"DROP SCHEMA {schema} CASCADE;"), ""]
    for i, statements in enumerate(program.sessions):
        out.append(f"session s{i + 1}")
        out.append("setup " + _block(f"SET deadlock_timeout = '{DEADLOCK_TIMEOUT_MS}ms';"))
        for k, op in enumerate(statements):
            out.append(f"step {step_name(i, k)} " + _block(step_sql(op) + ";"))
        out.append("")
    out += observer(program.schema)
    out.append("permutation " + " ".join(step_name(s, k) for s, k in program.steps()) + " objects commits")
    return "\n".join(out) + "\n"


def isolationtester(name: str = "isolationtester") -> Path:
    """The isolationtester binary (or ``pg_isolation_regress``) of the PostgreSQL whose pg_config is on PATH
    (Debian: postgresql-server-dev)."""
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        lib = subprocess.run([pg_config, "--pkglibdir"], capture_output=True, text=True, check=False).stdout.strip()
        path = Path(lib) / "pgxs" / "src" / "test" / "isolation" / name
        if path.exists():
            return path
    found = shutil.which(name)
    if found is None:
        raise IsolationTesterNotFound(
            f"{name} not found (looked in $(pg_config --pkglibdir)/pgxs/src/test/isolation/ and PATH); "
            "install PostgreSQL's server development package (Debian: postgresql-server-dev-15)")
    return Path(found)


def run_spec(spec: str, conninfo: str, timeout: float = 30) -> str:
    """Run a spec with isolationtester against ``conninfo``; its output (what a ``.out`` file holds)."""
    try:
        proc = subprocess.run([str(isolationtester()), conninfo], input=spec, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired as e:
        raise PggitModelError(
            f"isolationtester did not finish within {timeout:.0f} s: most likely the permutation starts a step in a "
            "session still waiting for a lock (a permutation recorded on one backend can block differently on "
            f"another). Output so far:\n{(e.stdout or b'').decode() if isinstance(e.stdout, bytes) else e.stdout}"
        ) from None
    if proc.returncode != 0:
        raise PggitModelError(f"isolationtester failed ({proc.returncode}): {proc.stderr.strip() or proc.stdout}")
    return proc.stdout


def save(program: Program, folder: Path, name: str, *, title: str = "", conninfo: str | None = None) -> Path:
    """Write ``name.spec`` (and, given a database to run it on, ``name.out``: what isolationtester printed there)."""
    folder.mkdir(parents=True, exist_ok=True)
    spec = write_spec(program, title=title)
    path = folder / f"{name}.spec"
    path.write_text(spec)
    if conninfo is not None:
        (folder / f"{name}.out").write_text(run_spec(spec, conninfo))
    return path


def regress(spec_text: str, expected: str, conninfo: str, name: str = "replay") -> tuple[bool, str]:
    """Run the pair through ``pg_isolation_regress`` on ``conninfo``'s existing database, as pgGit's suite would:
    (passed, the diff it printed if not)."""
    import os
    import tempfile

    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(conninfo)
    with tempfile.TemporaryDirectory(prefix="pggit-model-isolation-") as tmp:
        root = Path(tmp)
        (root / "specs").mkdir()
        (root / "expected").mkdir()
        (root / "specs" / f"{name}.spec").write_text(spec_text)
        (root / "expected" / f"{name}.out").write_text(expected)
        args = [str(isolationtester("pg_isolation_regress")), "--use-existing", f"--dbname={params['dbname']}",
                f"--inputdir={root}", f"--outputdir={root / 'out'}"]
        args += [f"--{k}={params[k]}" for k in ("host", "port", "user") if params.get(k)]
        env = {**os.environ, **({"PGPASSWORD": str(params["password"])} if params.get("password") else {})}
        proc = subprocess.run([*args, name], capture_output=True, text=True, env=env, check=False, timeout=120)
        diffs = root / "out" / "regression.diffs"
        return proc.returncode == 0, diffs.read_text() if diffs.exists() else proc.stdout + proc.stderr
