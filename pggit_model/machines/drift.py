"""Drift machine: DDL run while pgGit's event triggers do not fire (``SET session_replication_role = replica``, or
pgGit's event triggers disabled and enabled again), amid tracked DDL, the version API and the hash calls.

Exercises U3: drift records nothing (``objects`` and ``history`` stay as they were, checked after every step);
afterwards ``detect_changes_by_hash`` (H6) reports ``has_changed`` for exactly the objects on c whose structure
changed since ``update_all_hashes``; and the next tracked statement on a drifted table is classified by V9a
against the structure c recorded, so its effect includes the drift. Objects drift created or dropped are left
unspecified (the model stops predicting their rows and answers, it does not guess). pgGit's event triggers are
found in the catalog when each example starts (``backend.event_triggers``), never by name.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model import backend, strategies
from pggit_model.machines.versioning import VersioningRules
from pggit_model.ops import (
    AddColumn,
    AlterColumnType,
    AlterTable,
    CheckoutBranch,
    Column,
    CreateBranch,
    DetectChangesByHash,
    DropColumn,
    Op,
    ShowTableVersions,
    UpdateAllHashes,
)
from pggit_model.ops.drift import DRIFT_WAYS, Untracked
from pggit_model.ops.renames import KEY_CHANGES
from pggit_model.ops.types import assignment_cast
from pggit_model.strategies.common import predicted


class DriftRules(VersioningRules):
    """Drift rules on top of the DDL and version-API rules."""

    def __init__(self) -> None:
        super().__init__()
        # pgGit's event triggers as this example's database has them (names and modes differ between versions).
        self.event_triggers = backend.event_triggers(self.driver.client.conn)
        self._installs_seen = 0

    def _current_triggers(self) -> tuple[tuple[str, str], ...]:
        """The event triggers, looked up again after a re-install or upgrade (a newer version may bring others)."""
        installs = sum(1 for o in self.driver.ops if o.kind == "reinstall")
        if installs != self._installs_seen:
            self.event_triggers = backend.event_triggers(self.driver.client.conn)
            self._installs_seen = installs
        return self.event_triggers

    def untracked(self, op: Op, how: str) -> Untracked:
        """``op`` wrapped so that pgGit's triggers do not fire: replica mode silences only ORIGIN-mode triggers,
        so where pgGit has others the triggers are disabled instead."""
        triggers = self._current_triggers()
        if how == "replica" and backend.replica_silences(triggers):
            return Untracked(op, "replica")
        return Untracked(op, "disable", backend.firing(triggers))

    def _drift_change(self, data: st.DataObject, table: str, how: str) -> Untracked | None:
        """A change of ``table`` made without the triggers: a column added, dropped or retyped, or any of the
        changes V10 records (comment, default, NOT NULL, CHECK) — one the model predicts."""
        found = self.model.db.catalog.table(self.schema, table)
        assert found is not None
        cols = [c.name for c in found.columns]
        kind = data.draw(st.sampled_from(["add", "drop", "type", "other"]), label="drift kind")
        if kind == "add":
            name = data.draw(strategies.names(("d1", "d2")).filter(lambda n: n not in cols), label="column")
            op: Op = AlterTable(self.schema, table, (AddColumn(Column(name, "text")),))
        elif kind == "drop" and cols:
            op = AlterTable(self.schema, table, (DropColumn(data.draw(st.sampled_from(cols), label="column"),
                                                            cascade=True),))
        elif kind == "type" and (types := [(c.name, ty) for c in found.columns for ty in strategies.COLUMN_TYPES
                                           if ty != c.type and assignment_cast(c.type, ty)]):
            column, type_ = data.draw(st.sampled_from(types), label="retype")
            op = AlterTable(self.schema, table, (AlterColumnType(column, type_),))
        else:
            op = data.draw(strategies.table_changes(self.model, self.schema, table), label="change")
        drift = self.untracked(op, how)
        return drift if predicted(self.model, drift) else None

    def _a_tracked_table(self, data: st.DataObject) -> str | None:
        """A table with an active row on c that drift left specified (one with a column is created if none)."""
        def usable() -> list[str]:
            unknown = self.model.db.unknown
            return [t for t in strategies.tracked_tables(self.model, self.schema)
                    if ("TABLE", self.schema, t) not in unknown]
        if not usable():
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        tables = usable()
        return data.draw(st.sampled_from(tables), label="table") if tables else None

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), how=st.sampled_from(DRIFT_WAYS))
    def ddl_without_triggers(self, data: st.DataObject, how: str) -> None:
        """U3: any first-model DDL run while pgGit's triggers do not fire records nothing (its rows are compared
        next). Not a key change (§14.2, §14.3): U3 speaks of objects created, dropped or altered during drift, and
        what a rename of an index or column under drift makes of its table's next tracked change is open (an
        index renamed in drift, then ADD COLUMN: the reference recorded no column row; docs/drift.md)."""
        op = data.draw(strategies.ddl_ops(self.model, self.schema, invalid=0.0).filter(
            lambda o: not isinstance(o, KEY_CHANGES)), label="ddl")
        self.run(self.untracked(op, how))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), how=st.sampled_from(DRIFT_WAYS))
    def baseline_drift_detect(self, data: st.DataObject, how: str) -> None:
        """U3/H6: update_all_hashes, a table changed without the triggers, detect_changes_by_hash: has_changed
        for exactly the objects whose structure the drift changed."""
        table = self._a_tracked_table(data)
        if table is None:
            return
        self.run(UpdateAllHashes())
        drift = self._drift_change(data, table, how)
        if drift is not None:
            self.run(drift)
        self.run(DetectChangesByHash())

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), how=st.sampled_from(DRIFT_WAYS))
    def drift_then_tracked_change(self, data: st.DataObject, how: str) -> None:
        """U3/V9a: a table changed without the triggers, then a tracked change of the same table: recorded as
        one change from the structure c recorded, the drift included, at the highest severity (V9)."""
        table = self._a_tracked_table(data)
        if table is None:
            return
        drift = self._drift_change(data, table, how)
        if drift is None:
            return
        self.run(drift)
        changes = strategies.table_changes(self.model, self.schema, table).filter(lambda o: predicted(self.model, o))
        self.run(data.draw(changes, label="tracked change"))
        self.run(ShowTableVersions(self.schema))
        self.run(DetectChangesByHash())


    @precondition(lambda self: not self.model.aborted and self.model.c == "main" and not self.model.in_transaction)
    @rule(data=st.data())
    def ddl_on_another_branch(self, data: st.DataObject) -> None:
        """B9 meets U3: tracked DDL on another branch (created at the first use), then back on main. Its objects
        are in the shared catalog without a row on main, and remembered by the backend (identities, shapes):
        drift on main then alters or drops them unreported, and main's tracked DDL meets what that left (an
        identity gone without a row on main: mutation blind spot `080_renames.sql:where:f0600288c6:3`)."""
        if "drift-side" not in self.model.db.branches:
            self.run(CreateBranch("drift-side"))
        if self.model.db.branches.get("drift-side") is None or self.model.aborted:
            return
        self.run(CheckoutBranch("drift-side"))
        if self.model.c == "drift-side":
            self.run(data.draw(strategies.ddl_ops(self.model, self.schema, invalid=0.0), label="ddl on the branch"))
            self.run(CheckoutBranch("main"))


class DriftMachine(DriftRules):
    """Drift machine: U3 with H6 and V9a after drift, V rules along the way."""

    RULES = ("U3", "H6", "V9a")
