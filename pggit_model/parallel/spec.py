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

from .program import Program
from .runner import DEADLOCK_TIMEOUT_MS


class IsolationTesterNotFound(PggitModelError):
    """PostgreSQL's isolationtester binary is not installed where pg_config says."""


def _block(text: str) -> str:
    if "}" in text:
        # isolationtester's scanner ends a block at the first '}', whatever quotes surround it
        raise ValueError(f"a statement contains '}}', which an isolation spec cannot hold: {text!r}")
    return "{ " + text + " }"


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
            out.append(f"step {step_name(i, k)} " + _block(op.to_sql().rstrip(";") + ";"))
        out.append("")
    out.append("permutation " + " ".join(step_name(s, k) for s, k in program.steps()))
    return "\n".join(out) + "\n"


def isolationtester() -> Path:
    """The isolationtester binary of the PostgreSQL whose pg_config is on PATH (Debian: postgresql-client)."""
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        lib = subprocess.run([pg_config, "--pkglibdir"], capture_output=True, text=True, check=False).stdout.strip()
        path = Path(lib) / "pgxs" / "src" / "test" / "isolation" / "isolationtester"
        if path.exists():
            return path
    found = shutil.which("isolationtester")
    if found is None:
        raise IsolationTesterNotFound(
            "isolationtester not found (looked in $(pg_config --pkglibdir)/pgxs/src/test/isolation/ and PATH); "
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
