"""Which version of the backend runs: read from the checkout, else from the installed functions, else "unknown".

pgGit's own version marks disagree with each other (``pggit.control`` stayed at 0.1.3 for several releases), so
the most specific source wins and is named with the version: ``git describe`` of a git checkout, the newest
released heading of ``CHANGELOG.md``, ``default_version`` in ``pggit.control``, then ``pggit.version()`` in the
database. The reference backend is versioned with pggit-model itself.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import attrs
import psycopg

#: "## [0.5.1] - 2026-02-05", "## 0.5.1", "## v0.5.1 (date)": a released heading ("Unreleased" has no digits).
_CHANGELOG_HEADING = re.compile(r"^##\s+\[?v?(?P<v>\d+\.\d+(?:\.\d+)?(?:[-.+][0-9A-Za-z.]+)?)\]?(?:\s|$)")
_CONTROL_VERSION = re.compile(r"^\s*default_version\s*=\s*'(?P<v>[^']+)'", re.MULTILINE)


@attrs.frozen
class Version:
    """A backend's version and where it was read (``0.5.1`` from ``CHANGELOG.md``)."""

    text: str = "unknown"
    source: str = ""

    def __str__(self) -> str:
        return f"{self.text} (from {self.source})" if self.source else self.text


UNKNOWN = Version()


def reference_version() -> Version:
    """The bundled reference backend: it ships with pggit-model and carries its version."""
    from .. import __version__

    return Version(__version__, "pggit-model")


def source_version(root: Path) -> Version | None:
    """The version a checkout states about itself, or None when it states none."""
    for read in (_git_describe, _changelog, _control):
        found = read(root)
        if found is not None:
            return found
    return None


def _git_describe(root: Path) -> Version | None:
    # Only the checkout's own repository: a source dir inside another one would report that one's tag.
    if not (root / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(root), "describe", "--tags", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = out.stdout.strip()
    return Version(text, "git describe") if out.returncode == 0 and text else None


def _changelog(root: Path) -> Version | None:
    path = root / "CHANGELOG.md"
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = _CHANGELOG_HEADING.match(line)
        if m:
            return Version(m.group("v"), "CHANGELOG.md")
    return None


def _control(root: Path) -> Version | None:
    for path in sorted(root.glob("*.control")):
        m = _CONTROL_VERSION.search(path.read_text(encoding="utf-8", errors="replace"))
        if m:
            return Version(m.group("v"), path.name)
    return None


def installed_version(conn: psycopg.Connection) -> Version | None:
    """What an installed ``pggit.version()`` answers, if the backend has that function and it answers."""
    try:
        row = conn.execute("SELECT to_regprocedure('pggit.version()') IS NOT NULL").fetchone()
        if not (row and row[0]):
            return None
        row = conn.execute("SELECT pggit.version()::text").fetchone()
    except psycopg.Error:
        if not conn.autocommit:
            conn.rollback()
        return None
    return Version(str(row[0]), "pggit.version()") if row and row[0] else None


def version_before_install(source: str | os.PathLike[str] | None) -> Version:
    """What can be said before installing: the reference's version, or what the checkout states (else unknown;
    the install report may still read it from ``pggit.version()``)."""
    if source is None:
        return reference_version()
    return source_version(Path(source).expanduser()) or UNKNOWN
