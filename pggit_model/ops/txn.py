"""Transaction control and session settings (X1, X2, B6, V17's search_path, T2's time zone)."""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import Attribute, field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import Op, _fail, as_tuple, ident, idents, lit, one_of

ISOLATION_LEVELS = ("read committed", "repeatable read", "serializable")
#: time zones every PostgreSQL build knows; T2 says none of them changes a Trinity ID.
TIME_ZONES = ("UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Chatham", "Etc/GMT+12",
              "Australia/Lord_Howe")


class TxnOp(Op):
    family: ClassVar[str] = "txn"


@frozen
class Begin(TxnOp):
    """`BEGIN [ISOLATION LEVEL …]`."""

    isolation: str | None = field(default=None, validator=one_of(None, *ISOLATION_LEVELS))

    kind: ClassVar[str] = "begin"

    def sql(self) -> Composable:
        if self.isolation is None:
            return sql.SQL("BEGIN")
        return sql.SQL("BEGIN ISOLATION LEVEL {}").format(sql.SQL(self.isolation.upper()))


@frozen
class Commit(TxnOp):
    """`COMMIT` (in an aborted transaction it rolls back, as PostgreSQL does)."""

    kind: ClassVar[str] = "commit"

    def sql(self) -> Composable:
        return sql.SQL("COMMIT")


@frozen
class Rollback(TxnOp):
    """`ROLLBACK` — X1."""

    kind: ClassVar[str] = "rollback"

    def sql(self) -> Composable:
        return sql.SQL("ROLLBACK")


@frozen
class Savepoint(TxnOp):
    """`SAVEPOINT name`."""

    name: str = field(validator=ident)

    kind: ClassVar[str] = "savepoint"

    def sql(self) -> Composable:
        return sql.SQL("SAVEPOINT {}").format(sql.Identifier(self.name))


@frozen
class RollbackToSavepoint(TxnOp):
    """`ROLLBACK TO SAVEPOINT name` — X2."""

    name: str = field(validator=ident)

    kind: ClassVar[str] = "rollback_to_savepoint"

    def sql(self) -> Composable:
        return sql.SQL("ROLLBACK TO SAVEPOINT {}").format(sql.Identifier(self.name))


@frozen
class ReleaseSavepoint(TxnOp):
    """`RELEASE SAVEPOINT name`."""

    name: str = field(validator=ident)

    kind: ClassVar[str] = "release_savepoint"

    def sql(self) -> Composable:
        return sql.SQL("RELEASE SAVEPOINT {}").format(sql.Identifier(self.name))


class SessionOp(Op):
    family: ClassVar[str] = "session"


@frozen
class SetTimeZone(SessionOp):
    """`SET TIME ZONE 'zone'` — T2 says Trinity IDs ignore it."""

    zone: str = field(validator=one_of(*TIME_ZONES))

    kind: ClassVar[str] = "set_time_zone"

    def sql(self) -> Composable:
        return sql.SQL("SET TIME ZONE {}").format(lit(self.zone))


def _schemas(inst: Any, attr: Attribute, value: Any) -> None:
    idents(inst, attr, value)
    if not value:
        _fail(inst, attr, value, "must name at least one schema")


@frozen
class SetSearchPath(SessionOp):
    """`SET search_path TO s1, s2, …` — V17 resolves bare names along it; H2 says hashes ignore it."""

    schemas: tuple[str, ...] = field(converter=as_tuple, validator=_schemas)

    kind: ClassVar[str] = "set_search_path"

    def sql(self) -> Composable:
        return sql.SQL("SET search_path TO {}").format(sql.SQL(", ").join([sql.Identifier(s) for s in self.schemas]))


@frozen
class TakeSnapshot(SessionOp):
    """`SELECT 1` — reads nothing, but as a transaction's first statement at REPEATABLE READ or SERIALIZABLE it
    takes the snapshot (X11's σ), so that what follows waits for locks with an older snapshot."""

    kind: ClassVar[str] = "take_snapshot"

    def sql(self) -> Composable:
        return sql.SQL("SELECT 1")


TXN_OPS = (Begin, Commit, Rollback, Savepoint, RollbackToSavepoint, ReleaseSavepoint)
SESSION_OPS = (SetTimeZone, SetSearchPath, TakeSnapshot)

__all__ = ["ISOLATION_LEVELS", "SESSION_OPS", "TIME_ZONES", "TXN_OPS", "Begin", "Commit", "ReleaseSavepoint",
           "Rollback", "RollbackToSavepoint", "Savepoint", "SessionOp", "SetSearchPath", "SetTimeZone",
           "TakeSnapshot", "TxnOp"]
