"""Damage (contract U4): what a bad script writes by hand into pgGit's own tables and settings, and pgGit's calls
run afterwards under a statement timeout.

The writes run with ``session_replication_role = replica`` for their own statement only, as a script that bypasses
foreign keys and triggers would: the damage is done whatever pgGit's constraints say. They are not pgGit calls and
not DDL: the model does not predict them (``Driver.run_unchecked``), and afterwards gives up on the rows they touch.
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import Attribute, field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import Op, _fail, ident, lit, one_of, text
from pggit_model.ops.calls import OBJECT_TYPES

INT4 = (-(2**31), 2**31 - 1)
#: seconds a pgGit call may take after damage before it counts as a hang (U4)
CALL_TIMEOUT_MS = 3000
#: how the current branch's row is damaged
BRANCH_DAMAGE = ("delete", "mark_deleted")


def _int4(inst: Any, attr: Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not INT4[0] <= value <= INT4[1]:
        _fail(inst, attr, value, f"must be an int in {INT4[0]}..{INT4[1]} (the column is int)")


def _unchecked_call(inst: Any, attr: Attribute, value: Any) -> None:
    if not isinstance(value, Op) or value.family != "call":
        _fail(inst, attr, value, "must be a pgGit call op")


def _replica(statement: Composable) -> Composable:
    """``statement`` with foreign keys and triggers off for it alone, inside whatever transaction it runs in."""
    return sql.SQL("SET LOCAL session_replication_role = replica; {}; "
                   "SET LOCAL session_replication_role TO DEFAULT").format(statement)


def _object(object_type: str, schema: str, name: str) -> Composable:
    return sql.SQL("object_type = {}::pggit.object_type AND schema_name = {} AND object_name = {}").format(
        lit(object_type), lit(schema), lit(name))


class DamageOp(Op):
    family: ClassVar[str] = "damage"


@frozen
class DeleteHistory(DamageOp):
    """`DELETE FROM pggit.history` for every row of one object (on every branch)."""

    object_type: str = field(validator=one_of(*OBJECT_TYPES))
    schema: str = field(validator=ident)
    name: str = field(validator=text)

    kind: ClassVar[str] = "delete_history"

    def sql(self) -> Composable:
        return _replica(sql.SQL("DELETE FROM pggit.history WHERE object_id IN (SELECT id FROM pggit.objects "
                                "WHERE {})").format(_object(self.object_type, self.schema, self.name)))


@frozen
class SetVersion(DamageOp):
    """`UPDATE pggit.objects SET version, version_major, version_minor, version_patch` of one object (every
    branch) to other values."""

    object_type: str = field(validator=one_of(*OBJECT_TYPES))
    schema: str = field(validator=ident)
    name: str = field(validator=text)
    version: int = field(validator=_int4)
    major: int = field(validator=_int4)
    minor: int = field(validator=_int4)
    patch: int = field(validator=_int4)

    kind: ClassVar[str] = "set_version"

    def sql(self) -> Composable:
        return _replica(sql.SQL("UPDATE pggit.objects SET version = {}, version_major = {}, version_minor = {}, "
                                "version_patch = {} WHERE {}").format(
            lit(self.version), lit(self.major), lit(self.minor), lit(self.patch),
            _object(self.object_type, self.schema, self.name)))


@frozen
class DeleteObjectRow(DamageOp):
    """`DELETE FROM pggit.objects` of one object's rows (every branch), its history left dangling."""

    object_type: str = field(validator=one_of(*OBJECT_TYPES))
    schema: str = field(validator=ident)
    name: str = field(validator=text)

    kind: ClassVar[str] = "delete_object_row"

    def sql(self) -> Composable:
        return _replica(sql.SQL("DELETE FROM pggit.objects WHERE {}").format(
            _object(self.object_type, self.schema, self.name)))


@frozen
class DamageCurrentBranch(DamageOp):
    """The current branch's row deleted (``delete``) or set to status DELETED (``mark_deleted``)."""

    how: str = field(validator=one_of(*BRANCH_DAMAGE))

    kind: ClassVar[str] = "damage_current_branch"

    def sql(self) -> Composable:
        current = sql.SQL("coalesce(nullif(current_setting('pggit.current_branch', true), ''), 'main')")
        if self.how == "delete":
            return _replica(sql.SQL("DELETE FROM pggit.branches WHERE name = {}").format(current))
        return _replica(sql.SQL("UPDATE pggit.branches SET status = 'DELETED' WHERE name = {}").format(current))


@frozen
class SetCurrentBranchSetting(DamageOp):
    """`SET pggit.current_branch` to a name no branch has (the setting itself, past checkout_branch)."""

    name: str = field(validator=text)

    kind: ClassVar[str] = "set_current_branch_setting"

    def sql(self) -> Composable:
        return sql.SQL("SELECT pg_catalog.set_config('pggit.current_branch', {}, false)").format(lit(self.name))


@frozen
class Unchecked(DamageOp):
    """A pgGit call after damage: it may fail (U4 allows it), but must answer within ``CALL_TIMEOUT_MS`` (a hang
    otherwise) and must not end the session (a crash)."""

    op: Op = field(validator=_unchecked_call)

    kind: ClassVar[str] = "unchecked"

    def to_sql(self) -> str:
        return (f"SET LOCAL statement_timeout = {CALL_TIMEOUT_MS}; {self.op.to_sql()}; "
                "SET LOCAL statement_timeout TO DEFAULT")

    def sql(self) -> Composable:
        return sql.SQL(self.to_sql())


DAMAGE_OPS = (DeleteHistory, SetVersion, DeleteObjectRow, DamageCurrentBranch, SetCurrentBranchSetting, Unchecked)
#: the ops that damage (Unchecked only calls)
DAMAGES = DAMAGE_OPS[:-1]

__all__ = ["BRANCH_DAMAGE", "CALL_TIMEOUT_MS", "DAMAGES", "DAMAGE_OPS", "DamageCurrentBranch", "DamageOp",
           "DeleteHistory", "DeleteObjectRow", "SetCurrentBranchSetting", "SetVersion", "Unchecked"]
