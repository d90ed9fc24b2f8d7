"""Damage machine (contract U4): DDL and the version API, interleaved with hand-made damage to pgGit's own tables
and settings — history rows deleted, ``objects.version`` and M.m.p set to other values (int's limits included), an
``objects`` row deleted, the current branch's row deleted or set DELETED, ``pggit.current_branch`` naming no
branch — and pgGit's calls run afterwards.

Exercises U4 and V21 together: after damage every DDL statement must still answer as it does on the twin database
without pgGit, and leave the same catalog (twin.py); pgGit's calls may fail but must answer within
``CALL_TIMEOUT_MS`` and keep the session alive. The model gives up on the damaged keys' rows only
(model/damage.py): every other object's rows and history are still compared after every step.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model import strategies
from pggit_model.client import Completion
from pggit_model.machines.versioning import VersioningRules
from pggit_model.model.damage import given_up
from pggit_model.ops import (
    AddColumn,
    AlterTable,
    Column,
    ComputeDdlHash,
    DetectChangesByHash,
    DropTable,
    ExportSchemaHashes,
    GetHistory,
    GetVersion,
    ListBranches,
    Op,
    RenameRelation,
    ShowTableVersions,
)
from pggit_model.ops.damage import (
    BRANCH_DAMAGE,
    INT4,
    DamageCurrentBranch,
    DeleteHistory,
    DeleteObjectRow,
    SetCurrentBranchSetting,
    SetVersion,
    Unchecked,
)
from pggit_model.ops.renames import KEY_CHANGES

#: version numbers a damage writes: anything an int holds, its limits drawn often (an overflow is the likeliest
#: way for a backend's bookkeeping to reject the next DDL)
VERSIONS = st.one_of(st.sampled_from([INT4[0], -1, 0, 1, INT4[1] - 1, INT4[1]]), st.integers(*INT4))


def _damages(object_type: str, schema: str, name: str) -> st.SearchStrategy[Op]:
    return st.one_of(
        st.just(DeleteHistory(object_type, schema, name)),
        st.builds(SetVersion, st.just(object_type), st.just(schema), st.just(name), VERSIONS, VERSIONS, VERSIONS,
                  VERSIONS),
        st.just(DeleteObjectRow(object_type, schema, name)),
    )


class DamageMachine(VersioningRules):
    """Damage machine: U4 (and V21 after damage) amid the versioning machine's DDL and version API."""

    RULES = ("U4", "V21")

    def __init__(self) -> None:
        super().__init__()
        self._columns = 0
        self.damaged = False
        # A DDL statement that hangs on damaged bookkeeping fails with 57014 here, where the twin succeeds (U4).
        self.driver.client.conn.execute("SET statement_timeout = '10s'")

    def damage(self, op: Op) -> None:
        """Run one damage, give up on what it damaged, and check the rest of the state."""
        self.damaged = True
        self.driver.run_unchecked(op, given_up(self.model, op))
        self.driver.check_state()

    def run(self, op: Op) -> Completion | None:
        """After damage every pgGit call is unchecked, whichever rule draws it (a repeat of a recent call, the
        version API): U4 lets pgGit's own functions answer anything then but a hang or a lost session."""
        if self.damaged and op.family == "call":
            self.call(op)
            return None
        if self.damaged and isinstance(op, KEY_CHANGES):
            # The damaged keys move with a rename (V20, R1) but the model's given-up keys do not follow key
            # changes: stop predicting object rows for the rest of the example. The statement's outcome is
            # still checked against the twin (U4: damage never makes PostgreSQL reject a rename).
            self.driver.ignore.setdefault("objects", set()).add("*")
        return super().run(op)

    def call(self, op: Op) -> None:
        """A pgGit call whatever the damage: any answer but a hang or a lost session (U4)."""
        self.driver.run_unchecked(Unchecked(op))
        self.driver.check_state()

    @precondition(lambda self: self.model.txn is None and bool(self.model.db.rows))
    @rule(data=st.data())
    def damage_a_row(self, data: st.DataObject) -> None:
        """Any tracked object's history, version fields or row, damaged by hand."""
        keys = sorted({k[:3] for k in self.model.db.rows if k[1] == self.schema})
        if keys:
            self.damage(data.draw(st.sampled_from(keys).flatmap(lambda k: _damages(*k)), label="damage"))

    @precondition(lambda self: self.model.txn is None)
    @rule(data=st.data(), how=st.sampled_from(["add a column", "rename", "both"]))
    def damage_a_table_then_alter_and_drop_it(self, data: st.DataObject, how: str) -> None:
        """U4: a table whose row, history or versions were damaged is still altered, renamed (its row's key
        changes: R1, V20) and dropped as PostgreSQL alone would (the twin), and pgGit's version calls on it answer.
        With no table, one is created first."""
        if not strategies.tracked_tables(self.model, self.schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        tables = strategies.tracked_tables(self.model, self.schema)
        if not tables:
            return  # (PostgreSQL refused that CREATE TABLE)
        table = data.draw(st.sampled_from(tables), label="table")
        self.damage(data.draw(_damages("TABLE", self.schema, table), label="damage"))
        self._columns += 1
        if how != "rename":
            self.run(AlterTable(self.schema, table, (AddColumn(Column(f"u4_{self._columns}", "integer")),)))
        new = f"u4 t{self._columns}"
        if how != "add a column" and self.model.db.catalog.rel(self.schema, new) is None:
            self.run(RenameRelation("TABLE", self.schema, table, new))
            if self.model.db.catalog.rel(self.schema, new) is not None:  # (if it ran)
                table = new
        self.call(GetVersion(f"{self.schema}.{table}"))
        self.call(GetHistory(f"{self.schema}.{table}", 5))
        if data.draw(st.booleans(), label="drop"):
            self.run(DropTable(self.schema, table))

    @precondition(lambda self: self.model.txn is None)
    @rule(data=st.data(), how=st.sampled_from([*BRANCH_DAMAGE, "setting"]))
    def damage_the_current_branch(self, data: st.DataObject, how: str) -> None:
        """U4: with the current branch's row deleted or DELETED, or the setting naming no branch, DDL still
        answers as PostgreSQL alone does, and pgGit's calls answer."""
        self.damage(SetCurrentBranchSetting("no such branch") if how == "setting" else DamageCurrentBranch(how))
        tables = strategies.tracked_tables(self.model, self.schema)
        if tables:  # an object recorded before the damage, changed after it
            self._columns += 1
            table = data.draw(st.sampled_from(tables), label="table")
            self.run(AlterTable(self.schema, table, (AddColumn(Column(f"u4_{self._columns}", "integer")),)))
        self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        self.call(ListBranches())

    @rule(data=st.data())
    def call_after_damage(self, data: st.DataObject) -> None:
        """U4: pgGit's read calls answer, success or error, whatever the damage."""
        tables = strategies.tracked_tables(self.model, self.schema) or ["t1"]
        table = data.draw(st.sampled_from(tables), label="table")
        self.call(data.draw(st.sampled_from([
            ShowTableVersions(self.schema), GetVersion(f"{self.schema}.{table}"),
            GetHistory(f"{self.schema}.{table}", 5), ListBranches(), DetectChangesByHash(),
            ExportSchemaHashes(self.schema), ComputeDdlHash("TABLE", self.schema, table)]), label="call"))


__all__ = ["DamageMachine"]
