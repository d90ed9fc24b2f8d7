"""Drift and re-install (contract §15, U1–U3): DDL run while pgGit's event triggers do not fire, and pgGit's
``install.sql`` run again over a database it already tracks (or a newer checkout's, an upgrade: U2).

``Untracked`` is one statement string: the triggers are silenced, the DDL runs, the triggers come back. Sent
as one string it is one implicit transaction in autocommit (and one savepoint under rollback isolation), so a
DDL that PostgreSQL rejects leaves the triggers as they were. ``Reinstall`` is a marker, like ``CrashRestart``:
the install runs through psql (contract I1), which the machine does; replay.sql shows the command to run."""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import Attribute, field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.errors import InvalidOp
from pggit_model.ops.base import Op, boolean, one_of, text

#: How the triggers are kept from firing: ``replica`` (``SET session_replication_role``: triggers enabled in
#: the default ORIGIN mode do not fire) or ``disable`` (``ALTER EVENT TRIGGER … DISABLE``, then each back as
#: it was).
DRIFT_WAYS = ("replica", "disable")
#: ``pg_event_trigger.evtenabled`` -> the ALTER EVENT TRIGGER clause that restores it.
ENABLE_CLAUSES = {"O": "ENABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}


def _triggers(inst: Any, attr: Attribute, value: Any) -> None:
    ok = isinstance(value, tuple) and all(
        isinstance(t, tuple) and len(t) == 2 and isinstance(t[0], str) and t[0] and t[1] in ENABLE_CLAUSES
        for t in value)
    if not ok:
        raise InvalidOp(f"Untracked.triggers: must be a tuple of (event trigger name, evtenabled in "
                        f"{sorted(ENABLE_CLAUSES)}) pairs; got {value!r}")


def _ddl(inst: Any, attr: Attribute, value: Any) -> None:
    if not isinstance(value, Op) or value.family != "ddl":
        raise InvalidOp(f"Untracked.op: must be a DDL op of the vocabulary; got {value!r}")


@frozen
class Untracked(Op):
    """``op`` run while pgGit's event triggers do not fire (U3): pgGit records nothing, the catalog changes.

    ``triggers``: for ``disable``, pgGit's enabled event triggers as found in the catalog when the op was drawn
    (``backend.event_triggers``), each with the mode it is restored to."""

    op: Op = field(validator=_ddl)
    how: str = field(default="replica", validator=one_of(*DRIFT_WAYS))
    triggers: tuple[tuple[str, str], ...] = field(
        default=(), converter=lambda v: tuple(tuple(t) for t in v) if isinstance(v, list | tuple) else v,
        validator=_triggers)

    kind: ClassVar[str] = "untracked"
    family: ClassVar[str] = "drift"

    def sql(self) -> Composable:
        before, after = self.switches()
        return sql.SQL("; ").join([*before, self.op.sql(), *after])

    def switches(self) -> tuple[list[Composable], list[Composable]]:
        """The statements that turn pgGit's triggers off before ``op`` and on again after it."""
        before: list[Composable]
        after: list[Composable]
        if self.how == "replica":
            before = [sql.SQL("SET session_replication_role = replica")]
            after = [sql.SQL("SET session_replication_role = origin")]
        else:
            before = [sql.SQL("ALTER EVENT TRIGGER {} DISABLE").format(sql.Identifier(n)) for n, _ in self.triggers]
            after = [sql.SQL("ALTER EVENT TRIGGER {} {}").format(sql.Identifier(n), sql.SQL(ENABLE_CLAUSES[m]))
                     for n, m in self.triggers]
        return before, after


@frozen
class Reinstall(Op):
    """``cd <source>/sql && psql -X -d DB -f install.sql`` ran here, over the tracked database (U1; U2 when
    ``source`` is a newer checkout than the one the database was installed from). Its printed errors are
    counted as in I3. A marker: the machine runs psql; replay.sql shows the command."""

    source: str = field(validator=text)
    upgrade: bool = field(default=False, validator=boolean)  # a newer checkout over an older one (U2)

    kind: ClassVar[str] = "reinstall"
    family: ClassVar[str] = "drift"

    def sql(self) -> Composable:
        return sql.SQL("-- pggit-model: install.sql ran again here ({}): "
                       "\\! cd {} && psql -X -d \"$DBNAME\" -f install.sql").format(
            sql.SQL("U2, an upgrade" if self.upgrade else "U1"), sql.SQL(f"{self.source}/sql".replace("\n", " ")))


DRIFT_OPS = (Untracked, Reinstall)

__all__ = ["DRIFT_OPS", "DRIFT_WAYS", "ENABLE_CLAUSES", "Reinstall", "Untracked"]
