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
from pggit_model.machine import reads
from pggit_model.machines.reuse import ReuseRules
from pggit_model.machines.schemas import SchemaRules
from pggit_model.ops import (
    DropFunction,
    GetHistory,
    GetVersion,
    SetSearchPath,
    ShowTableVersions,
)
from pggit_model.rules import span
from pggit_model.strategies.calls import history_limits, looked_up_names


class VersioningRules(ReuseRules):
    """DDL and version-API rules, shared by the machines that interleave them with other things."""

    @rule()
    @reads
    def show_table_versions(self) -> None:
        """V19: one row per active table on c, with its active columns counted.

        It takes no argument, so Hypothesis orders it first: a step it shrinks to nothing becomes this one-op
        step, short enough for the shrinker to delete (docs/machines.md); with nothing changed since the last
        read it runs no op (`reads`), so the simplest example (this rule every step) costs no time."""
        self.run(ShowTableVersions(self.schema))

    @rule(data=st.data())
    def ddl(self, data: st.DataObject) -> None:
        """Any DDL of the vocabulary that fits the model's catalog (some rejected on purpose)."""
        self.run(data.draw(strategies.ddl_ops(self.model, self.schema), label="ddl"))

    @rule(data=st.data())
    def more_ddl(self, data: st.DataObject) -> None:
        """DDL again: it is what the other rules observe, so it gets twice the weight."""
        self.run(data.draw(strategies.ddl_ops(self.model, self.schema), label="ddl"))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def one_change_of_any_kind(self, data: st.DataObject) -> None:
        """One to four statements, each of a kind drawn uniformly over the DDL kinds and ALTER TABLE subcommands
        (and their V10 variants), alone in its statement, so each V10 row is checked as often as any other; then
        a read of what the last one changed. With no tracked table to change, one with a column is created first."""
        if not strategies.tracked_tables(self.model, self.schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        changed = None
        for _ in range(data.draw(st.integers(1, 4), label="changes")):
            if self.model.aborted:
                break
            op = data.draw(strategies.single_changes(self.model, self.schema), label="change")
            self.run(op)
            changed = getattr(op, "table", None) or getattr(op, "name", None)
        if changed is not None and not self.model.aborted:
            self._read_back(data, str(changed))

    def _read_back(self, data: st.DataObject, name: str) -> None:
        """Read what a change wrote: the schema's table versions and column counts (V19), or the changed
        object's version (V17) or history (V18)."""
        qualified = f"{self.schema}.{name}"
        read = data.draw(st.sampled_from(["tables", "version", "history"]), label="read back")
        if read == "tables":
            self.run(ShowTableVersions(self.schema))
        elif read == "version":
            self.run(GetVersion(qualified))
        else:
            self.run(GetHistory(qualified, data.draw(history_limits(self.model, qualified), label="limit")))

    @rule(data=st.data())
    @reads
    def version_api(self, data: st.DataObject) -> None:
        """get_version / get_history / show_table_versions on a known name, an unknown one, or hostile text that
        nearly names a known one (case, spaces, a character more or less); the history limit near its edges
        (V17–V19)."""
        # Qualified names: unqualified ones would resolve through search_path into public, which holds pgGit's
        # demo objects the model does not know (I5), and the model would call the answer unspecified.
        keys = tuple(sorted({f"{k[1]}.{k[2]}" for k in self.model.db.rows if k[1] == self.schema}))
        how = data.draw(st.integers(0, 4), label="how")
        if keys and how <= 2:
            name = data.draw(looked_up_names(self.model, self.schema), label="name")
        elif how == 3:
            name = data.draw(strategies.names().map(f"{self.schema}.{{}}".format), label="name")
        else:
            name = data.draw(strategies.hostile_text(keys + self.recent.texts), label="name")
            if self.model.session.search_path != (self.schema,) and not self.model.aborted:
                # a name not found is looked up through search_path (V17 step 2): keep public's demo objects out (I5)
                self.run(SetSearchPath((self.schema,)))
        kind = data.draw(st.sampled_from(["version", "history", "tables"]), label="call")
        if kind == "history":
            self.run(GetHistory(name, data.draw(history_limits(self.model, name), label="limit")))
        else:
            self.run(GetVersion(name) if kind == "version" else ShowTableVersions(self.schema))

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


class VersioningMachine(SchemaRules, VersioningRules):
    """Versioning machine: V1–V19, O1–O8, X4 on the main branch, autocommit."""

    # Not V4 (carried out by B8's check), nor V16 (renames: outside the model).
    RULES = (*span("V1", "V3"), *span("V5", "V15"), *span("V17", "V19"), *span("O1", "O8"), "X4")
