"""Install a backend — a pgGit checkout or the bundled reference — into a database, with a report.

Both backends are installed the same way pgGit's own docs say (contract I1): ``cd sql && psql -X -d DB
-f install.sql``, so ``\\i`` includes resolve exactly as psql resolves them. Module errors do not abort
(I3): every ``psql:<file>:<line>: ERROR:`` is counted per file, and afterwards each contract function
is looked up with ``to_regprocedure`` (I4), and the contract's tables, columns and sequences are probed. A
missing part is a finding, not a crash. The report also says which version was installed.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import attrs

from . import backend
from .backend import UNKNOWN, Probe, Version
from .cluster import connect
from .errors import InstallFailed, NotAPggitCheckout

REFERENCE_SOURCE = Path(__file__).parent / "reference"

#: Contract §4 signatures -> the rules a missing one blocks (lives in ``backend``; importable from here too).
CONTRACT_FUNCTIONS = backend.CONTRACT_FUNCTIONS

# The server's errors (ERROR, FATAL) and psql's own (``error:``, as an ``\\i`` of a file that does not exist).
_ERROR_LINE = re.compile(r"^psql:(?P<file>[^:]+):(?P<line>\d+): (?P<level>ERROR|FATAL|error):\s+(?P<msg>.*)$")
_FILE_MARK = re.compile(r"^@@pggit-model-file (?P<file>.+)$")
# Aligned psql output indents data rows with a space, so a bare upper-case line is a command tag.
_COMMAND_TAG = re.compile(r"^[A-Z][A-Z ]*[A-Z](?: \d+)*$")
_ROW_FOOTER = re.compile(r"^\(\d+ rows?\)$")
_INCLUDE = re.compile(r"^\s*\\(?:i|include|ir|include_relative)\s+(?P<path>'[^']*'|\S+)\s*$")


@attrs.frozen
class FileReport:
    """What happened to one included file: statements that ran ok, that errored, and the first error."""

    path: str
    ok: int = 0
    errors: int = 0
    first_error: str | None = None


@attrs.frozen
class InstallReport:
    backend: str  # "reference" or "pggit"
    source: str
    digest: str  # sha256 of every file under sql/, to tell checkouts apart in run records
    files: tuple[FileReport, ...]
    present: tuple[str, ...]
    missing: tuple[str, ...]
    seconds: float
    psql_exit: int
    log: str = attrs.field(repr=False, default="")
    #: contract tables, ``table.column``s and sequences the backend lacks (functions are in ``missing``)
    missing_parts: tuple[str, ...] = ()
    version: Version = UNKNOWN

    @property
    def error_count(self) -> int:
        return sum(f.errors for f in self.files)

    @property
    def blocked(self) -> dict[str, tuple[str, ...]]:
        """Every missing contract part (function, table, column, sequence) -> the rules it blocks (I4)."""
        return {p: backend.blocks(p) for p in (*self.missing, *self.missing_parts)}

    @property
    def blocked_rules(self) -> tuple[str, ...]:
        return tuple(sorted({r for rules in self.blocked.values() for r in rules}))

    @property
    def probe(self) -> Probe:
        """What the installed database lacks besides functions, as the client's observation needs it."""
        return Probe(self.missing_parts)

    def summary(self) -> str:
        errored = [f for f in self.files if f.errors]
        lines = [
            f"{self.backend} backend from {self.source} (sha256 {self.digest[:12]}): "
            f"{len(self.files)} files, {sum(f.ok for f in self.files)} statements ok, "
            f"{self.error_count} errors in {len(errored)} files, {self.seconds:.2f} s",
            f"version: {self.version}",
            f"contract functions: {len(self.present)}/{len(CONTRACT_FUNCTIONS)} present",
        ]
        lines += [f"  missing {m} (blocks {', '.join(CONTRACT_FUNCTIONS[m])})" for m in self.missing]
        if self.missing_parts:
            lines.append(f"contract tables/columns/sequences: {len(self.missing_parts)} missing")
            lines += [f"  missing {backend.kind_of(m)} {m} (blocks {', '.join(backend.blocks(m))})"
                      for m in self.missing_parts]
        if self.psql_exit == 3:  # ON_ERROR_STOP set by the checkout's own script: the rest never ran
            lines.append("psql stopped at the first error (exit 3: the install script sets ON_ERROR_STOP), so the "
                         "files after it were not installed; the missing parts above follow from that")
        lines += [f"  {f.path}: {f.errors} errors, first: {f.first_error}" for f in errored[:20]]
        if len(errored) > 20:
            lines.append(f"  … and {len(errored) - 20} more files with errors")
        return "\n".join(lines)


def check_source(source: str | os.PathLike[str]) -> Path:
    """The ``sql/install.sql`` of a checkout, or NotAPggitCheckout saying what to pass instead."""
    root = Path(source).expanduser()
    if not root.is_dir():
        raise NotAPggitCheckout(
            f"--pggit-source {str(source)!r} is not a directory. Pass the root of a pgGit source checkout "
            "(the directory holding sql/install.sql), or omit it to use the bundled reference backend."
        )
    install_sql = root / "sql" / "install.sql"
    if not install_sql.is_file():
        raise NotAPggitCheckout(_without_installer(root, install_sql))
    return install_sql


#: ``psql … -f sql/x/y.sql`` in a README: how a release without install.sql says it is installed, in order.
_README_FILE = re.compile(r"\bpsql\b[^\n]*?\s-f\s+['\"]?(?:\./)?sql/(?P<path>[^\s'\"]+\.sql)")


def _without_installer(root: Path, install_sql: Path) -> str:
    """What to do about a directory without sql/install.sql: a pgGit release that installs another way (pgGit
    0.1.0 had sql/*.sql and a README listing psql -f lines) is told how to add one; anything else what to pass."""
    files = sorted(p.relative_to(root / "sql").as_posix() for p in (root / "sql").rglob("*.sql")) \
        if (root / "sql").is_dir() else []
    stated = backend.source_version(root)
    elsewhere = [p.relative_to(root).as_posix() for p in (*root.glob("install.sql"), *root.glob("*/install.sql"))]
    if elsewhere and not files:  # another layout: the installer moved, the includes with it
        return (f"{root} has no sql/install.sql but {' and '.join(elsewhere)}: pggit-model installs the way the "
                "contract says (I1: cd sql && psql -f install.sql). If it is pgGit's installer, link or copy its "
                "directory to sql/ (its \\i paths resolve from there), then pass the checkout again.")
    if not files:
        return (f"{root} is not a pgGit checkout: {install_sql} does not exist. Pass the root of a pgGit source "
                "checkout (the directory holding sql/install.sql), or omit --pggit-source for the reference backend.")
    listed = list(dict.fromkeys(m.group("path") for readme in sorted(root.glob("README*"))
                                for m in _README_FILE.finditer(readme.read_text(encoding="utf-8", errors="replace"))
                                if m.group("path") in files))
    what = f"pgGit {stated}" if stated else "a pgGit checkout"
    order = (f"its README runs {len(listed)} of them with psql -f, in this order: "
             + " ".join(f"\\i {f}" for f in listed) + " (add any other part the release needs after them)"
             if listed else "its README or install script gives their order")
    return (f"{root} is {what} with {len(files)} .sql files under sql/ but no sql/install.sql, the script "
            "pggit-model installs with (contract I1: cd sql && psql -f install.sql); this release is installed "
            f"another way: {order}. Write sql/install.sql with one \\i line per file, in that order, then pass "
            "the checkout again, or pass a release that has sql/install.sql.")


def source_digest(source: Path) -> str:
    h = hashlib.sha256()
    for p in sorted((source / "sql").rglob("*.sql")):
        h.update(p.relative_to(source).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def _marked_script(install_sql: Path) -> str:
    """install.sql with an ``\\echo`` marker before each top-level include, to attribute ok statements."""
    out = []
    for line in install_sql.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _INCLUDE.match(line)
        if m:
            out.append(f"\\echo '@@pggit-model-file {m.group('path').strip(chr(39))}'")
        out.append(line)
    return "\n".join(out) + "\n"


def parse_log(log: str, top: str = "install.sql") -> list[FileReport]:
    """Per-file statement counts from psql's merged stdout/stderr (errors carry their own file name)."""
    ok: dict[str, int] = {top: 0}
    errors: dict[str, list[str]] = {}
    current = top
    for raw in log.splitlines():
        line = raw.rstrip()
        if m := _FILE_MARK.match(line):
            current = m.group("file")
            ok.setdefault(current, 0)
        elif m := _ERROR_LINE.match(line):
            errors.setdefault(_norm(m.group("file")), []).append(f"line {m.group('line')}: {m.group('msg')}")
        elif _COMMAND_TAG.match(line) or _ROW_FOOTER.match(line):
            ok[current] = ok.get(current, 0) + 1
    names = list(dict.fromkeys([*ok, *errors]))
    return [
        FileReport(
            path=n,
            ok=ok.get(n, 0),
            errors=len(errors.get(n, [])),
            first_error=errors[n][0] if n in errors else None,
        )
        for n in names
    ]


def _norm(path: str) -> str:
    return path[2:] if path.startswith("./") else path


def install(
    conninfo: str,
    source: str | os.PathLike[str] | None = None,
    *,
    psql: str = "psql",
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> InstallReport:
    """Install ``source`` (a pgGit checkout; default: the bundled reference) into the database at conninfo."""
    kind = "pggit" if source is not None else "reference"
    root = Path(source).expanduser().resolve() if source is not None else REFERENCE_SOURCE
    install_sql = check_source(root)
    started = time.monotonic()
    with tempfile.NamedTemporaryFile("w", suffix=".sql", prefix="pggit-model-install-", delete=False) as f:
        f.write(_marked_script(install_sql))
        wrapper = f.name
    try:
        proc = subprocess.run(
            # No ON_ERROR_STOP and no -1: optional modules fail and the core must still install (I3).
            [psql, "-X", "-v", "ON_ERROR_STOP=0", "-v", "VERBOSITY=default", "-d", conninfo, "-f", wrapper],
            cwd=install_sql.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env={**os.environ, **(env or {}), "PGOPTIONS": "-c client_min_messages=warning"},
            timeout=timeout,
        )
    except FileNotFoundError:
        raise InstallFailed(f"cannot run psql ({psql!r}): not found. Install the PostgreSQL client.") from None
    except subprocess.TimeoutExpired:
        raise InstallFailed(f"installing {root} took longer than {timeout:.0f} s; aborted.") from None
    finally:
        os.unlink(wrapper)
    log = proc.stdout.replace(wrapper, "install.sql")
    if proc.returncode not in (0, 3) or "could not connect" in log[:2000]:
        raise InstallFailed(f"psql could not install {root} (exit {proc.returncode}): {log.strip()[-600:]}")
    with connect(conninfo) as conn:
        present, missing = backend.check_functions(conn)
        found = backend.probe(conn)
        version = (backend.reference_version() if source is None else
                   backend.source_version(root) or backend.installed_version(conn) or backend.UNKNOWN)
    return InstallReport(
        backend=kind,
        source=str(root),
        digest=source_digest(root),
        files=tuple(parse_log(log)),
        present=present,
        missing=missing,
        seconds=time.monotonic() - started,
        psql_exit=proc.returncode,
        log=log,
        missing_parts=found.missing,
        version=version,
    )


def check_functions(conninfo: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which contract §4 functions exist in the database at ``conninfo`` (I4): (present, missing)."""
    with connect(conninfo) as conn:
        return backend.check_functions(conn)
