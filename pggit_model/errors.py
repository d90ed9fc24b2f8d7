"""One root exception; each error also subclasses the builtin that users already catch.

Messages say what happened, in which state, and what to do.
"""

from __future__ import annotations


class PggitModelError(Exception):
    """Root of every error pggit-model raises on purpose."""


class PostgresNotFound(PggitModelError, FileNotFoundError):
    """No PostgreSQL server binaries could be found."""


class ClusterStartFailed(PggitModelError, RuntimeError):
    """initdb or the postgres server of the throwaway cluster failed."""


class DiskFull(PggitModelError, OSError):
    """The throwaway cluster's disk filled up: initdb or the server could not write (the cluster is removed)."""


class ServerUnreachable(PggitModelError, ConnectionError):
    """A DSN was given but no server answers there (password masked in the message)."""


class NotAPggitCheckout(PggitModelError, FileNotFoundError):
    """--pggit-source points at a directory without sql/install.sql."""


class InstallFailed(PggitModelError, RuntimeError):
    """The backend could not be installed at all (not: some modules errored — that is in the report)."""


class InvalidOp(PggitModelError, ValueError):
    """An operation was constructed with a bad field; the message names the field."""


class UnsupportedStatement(PggitModelError, ValueError):
    """A SQL statement is outside the operation vocabulary; the message names the statement."""


class InvalidProfile(PggitModelError, ValueError):
    """An unknown Hypothesis profile or a bad option value."""


class MalformedReplay(PggitModelError, ValueError):
    """A run.json or replay.sql that cannot be read; the message names the file and position."""


class CoverageGap(PggitModelError, AssertionError):
    """A ``ci`` run of a machine never exercised rules of its RULES list; the message names them."""
