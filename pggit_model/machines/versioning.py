"""Versioning machine: DDL on tables, columns, constraints, indexes, views and functions in the machine's
own schema (names that need quoting, reserved words, unicode, 63-byte names), with get_version /
get_history / show_table_versions.

Exercises V1–V19 (tracking, severities per V10 row, one history row per change, drops and new lives,
the version API), O1–O8 after every step, and X4 (rejected DDL leaves no trace).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model import strategies
from pggit_model.machine import PgGitMachine
from pggit_model.ops import (
    AddColumn,
    AlterColumnType,
    AlterTable,
    Column,
    CreateIndex,
    DropColumn,
    DropFunction,
    GetHistory,
    GetVersion,
    SetSearchPath,
    ShowTableVersions,
)
from pggit_model.ops.types import assignment_cast
from pggit_model.rules import span


class VersioningRules(PgGitMachine):
    """DDL and version-API rules, shared by the machines that interleave them with other things."""

    @rule()
    def show_table_versions(self) -> None:
        """V19: one row per active table on c, with its active columns counted.

        It takes no argument, so Hypothesis orders it first: a step it shrinks to nothing becomes this one-op
        step, short enough for the shrinker to delete (docs/machines.md)."""
        self.run(ShowTableVersions(self.schema))

    @rule(data=st.data())
    def ddl(self, data: st.DataObject) -> None:
        """Any DDL of the vocabulary that fits the model's catalog (some rejected on purpose)."""
        self.run(data.draw(strategies.ddl_ops(self.model, self.schema), label="ddl"))

    @rule(data=st.data())
    def more_ddl(self, data: st.DataObject) -> None:
        """DDL again: it is what the other rules observe, so it gets twice the weight."""
        self.run(data.draw(strategies.ddl_ops(self.model, self.schema), label="ddl"))

    @rule(data=st.data(), limit=st.integers(1, 12))
    def version_api(self, data: st.DataObject, limit: int) -> None:
        """get_version / get_history / show_table_versions on a known or unknown name (V17–V19)."""
        # Qualified names: unqualified ones would resolve through search_path into public, which holds pgGit's
        # demo objects the model does not know (I5), and the model would call the answer unspecified.
        keys = sorted({f"{k[1]}.{k[2]}" for k in self.model.db.rows if k[1] == self.schema})
        name = data.draw(st.sampled_from(keys) if keys else strategies.names().map(f"{self.schema}.{{}}".format),
                         label="name")
        kind = data.draw(st.sampled_from(["version", "history", "tables"]), label="call")
        op = {"version": GetVersion(name), "history": GetHistory(name, limit),
              "tables": ShowTableVersions(self.schema)}[kind]
        self.run(op)

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def replace_with_the_same_definition(self, data: st.DataObject) -> None:
        """V12: CREATE OR REPLACE VIEW / FUNCTION with the definition it already has records nothing. With
        nothing to replace, a function is created first."""
        if not strategies.same_definition_replacements(self.model, self.schema):
            self.run(data.draw(strategies.new_functions(self.model, self.schema), label="function"))
        replacements = strategies.same_definition_replacements(self.model, self.schema)
        if replacements:  # (unless PostgreSQL refused that CREATE FUNCTION)
            self.run(data.draw(st.sampled_from(replacements), label="replace"))

    @precondition(lambda self: not self.model.aborted and len(strategies.droppable(self.model, self.schema)) > 0)
    @rule(data=st.data())
    def drop_then_get_version(self, data: st.DataObject) -> None:
        """V13 then V17: once dropped, an object is not found by get_version (zero rows, no error).

        A name not found on c is looked up again through search_path (V17 step 2), and public holds pgGit's demo
        objects the model does not know (I5): so the session searches only the machine's own schema first."""
        op = data.draw(strategies.drop_ops(self.model, self.schema), label="drop")
        if self.model.session.search_path != (self.schema,):
            self.run(SetSearchPath((self.schema,)))
        self.run(op)
        name = op.signature if isinstance(op, DropFunction) else op.name  # type: ignore[attr-defined]
        self.run(GetVersion(f"{self.schema}.{name}"))


class VersioningMachine(VersioningRules):
    """Versioning machine: V1–V19, O1–O8, X4 on the main branch, autocommit."""

    # Not V4 (carried out by B8's check), nor V16 (renames: outside the model).
    RULES = (*span("V1", "V3"), *span("V5", "V15"), *span("V17", "V19"), *span("O1", "O8"), "X4")

    # Rules only this machine has: in VersioningRules they would change every other machine's draws.
    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), column=st.sampled_from(["n1", "Need Value"]), type_=st.sampled_from(["integer", "text"]))
    def add_a_required_column(self, data: st.DataObject, column: str, type_: str) -> None:
        """V10e: ADD COLUMN … NOT NULL without a DEFAULT is the table's ALTER MAJOR and the column's CREATE (the
        machines' tables are empty, so PostgreSQL accepts it). With no table to alter, one is created first."""
        if not strategies.tracked_tables(self.model, self.schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        tables = strategies.tracked_tables(self.model, self.schema)
        if tables:  # (unless PostgreSQL refused that CREATE TABLE)
            table = data.draw(st.sampled_from(tables), label="table")
            self.run(AlterTable(self.schema, table, (AddColumn(Column(column, type_, not_null=True)),)))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def change_a_column_type(self, data: st.DataObject) -> None:
        """V10g: ALTER COLUMN … TYPE to another type PostgreSQL can cast to is the table's ALTER MAJOR and the
        column's ALTER. With no table to alter, one with a column is created first."""
        if not strategies.tracked_tables(self.model, self.schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        changes = [(t, c.name, ty) for t in strategies.tracked_tables(self.model, self.schema)
                   if (found := self.model.db.catalog.table(self.schema, t)) is not None
                   for c in found.columns for ty in strategies.COLUMN_TYPES
                   if ty != c.type and assignment_cast(c.type, ty)]
        if changes:
            table, column, type_ = data.draw(st.sampled_from(changes), label="change")
            self.run(AlterTable(self.schema, table, (AlterColumnType(column, type_),)))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def change_a_default(self, data: st.DataObject) -> None:
        """V10j: SET / DROP DEFAULT that changes a column's default is the table's ALTER PATCH. With no table to
        change, one with a column is created first."""
        if not strategies.has_default_target(self.model, self.schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        if strategies.has_default_target(self.model, self.schema):
            self.run(data.draw(strategies.default_changes(self.model, self.schema), label="alter"))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), name=st.sampled_from(["i1", "i2"]))
    def create_an_index(self, data: st.DataObject, name: str) -> None:
        """V10c: CREATE INDEX creates the INDEX row and is its table's ALTER PATCH. With no table to index, one
        with a column is created first."""
        if not strategies.has_default_target(self.model, self.schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        targets = [(t, c.name) for t in strategies.tracked_tables(self.model, self.schema)
                   if (found := self.model.db.catalog.table(self.schema, t)) is not None for c in found.columns]
        if targets:
            table, column = data.draw(st.sampled_from(targets), label="column")
            self.run(CreateIndex(self.schema, name, table, (column,)))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def drop_a_column_then_count_them(self, data: st.DataObject) -> None:
        """V10f then V19: show_table_versions counts a table's active columns, so a dropped one no longer counts.
        With no table to drop a column from, one with a column is created first."""
        if not strategies.tracked_tables(self.model, self.schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        with_columns = [t for t in strategies.tracked_tables(self.model, self.schema)
                        if (found := self.model.db.catalog.table(self.schema, t)) is not None and found.columns]
        if with_columns:
            table = data.draw(st.sampled_from(with_columns), label="table")
            found = self.model.db.catalog.table(self.schema, table)
            assert found is not None
            column = data.draw(st.sampled_from([c.name for c in found.columns]), label="column")
            self.run(AlterTable(self.schema, table, (DropColumn(column, cascade=True),)))
            self.run(ShowTableVersions(self.schema))
