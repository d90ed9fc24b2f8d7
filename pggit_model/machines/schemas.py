"""Rules for examples with several tracked schemas, lookups through search_path, and long histories.

Mixed into the first-model machines (versioning, branches/commits, hashes, and so the mixed machine): tracked DDL in
a second schema (one that needs quoting, or nearly spells a schema V1 excludes) with the same object names as the
machine's own, so every "only this schema" answer (V19's show_table_versions, H7's export_schema_hashes, the
observation of the machine's schema, O1/O2) has rows of another schema to leave out; unqualified names resolved
through a search_path over those schemas (V17 step 2, the first schema on the path holding the name wins); and one
object changed ten times or more, so get_history's window and its default limit (V18, §4) have rows to cut; and
the session's temporary objects (V1, §14 A8), untracked, looked up qualified or bare through a path naming pg_temp.
Calls leave out their defaulted arguments half the time (strategies.defaults).
"""

from __future__ import annotations

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import rule

from pggit_model import strategies
from pggit_model.machines.reuse import ReuseRules
from pggit_model.ops import (
    CreateFunction,
    ExportSchemaHashes,
    GetHistory,
    GetVersion,
    SetSearchPath,
    ShowTableVersions,
)
from pggit_model.ops.base import TEMP_SCHEMA, Op
from pggit_model.ops.renames import CreateSchema
from pggit_model.strategies.calls import history_limits, temporary_lookups
from pggit_model.strategies.common import predicted
from pggit_model.strategies.defaults import leave_out_defaults
from pggit_model.strategies.hostile import hostile_text
from pggit_model.strategies.limits import near_value
from pggit_model.strategies.schemas import (
    extra_schema_names,
    other_schemas,
    owned_schemas,
    search_paths,
    shadowed_names,
    twin_hashes,
    twins,
    unqualified_names,
)


def mirror(recent: tuple[Op, ...], schema: str, other: str, vary: bool) -> list[Op]:
    """Recent DDL of `schema` again in `other` (values reused across schemas): the same names, and with `vary` a
    function's other body, so one signature has two definitions a lookup without its schema filter mixes up."""
    out: list[Op] = []
    for op in recent:
        if op.family != "ddl" or getattr(op, "schema", None) != schema or getattr(op, "ref_schema", schema) != schema:
            continue
        moved: dict[str, str] = {"schema": other}
        again = attrs.evolve(op, **moved)
        if vary and isinstance(again, CreateFunction):
            again = attrs.evolve(again, body=again.body % 1000 + 1)
        out.append(again)
    return out


#: Changes made to one table by `a_long_history`: past get_history's default limit of 10 (§4) most of the time.
LONG = st.integers(8, 12)


class SchemaRules(ReuseRules):
    """Several tracked schemas, unqualified lookups through search_path, long histories on one object."""

    def _another_schema(self, data: st.DataObject) -> str | None:
        """An owned schema other than the machine's, created first (sometimes a further one) when needed."""
        others = other_schemas(self.model, self.schema)
        if not others or (len(others) < 2 and data.draw(st.integers(0, 3), label="new schema") == 0):
            fresh = [n for n in extra_schema_names(self.schema) if n not in self.model.db.catalog.schemas]
            op = CreateSchema(data.draw(st.sampled_from(fresh), label="schema"))
            if predicted(self.model, op):
                self.run(op)
            others = other_schemas(self.model, self.schema)
        return data.draw(st.sampled_from(others), label="schema") if others else None

    @rule(data=st.data())
    def schemas_lookups_or_a_long_history(self, data: st.DataObject) -> None:
        """One rule for the four, so the DDL rules of the machine keep their share of steps (Hypothesis picks
        rules uniformly): DDL in another schema, a lookup through search_path, a long history, or a temporary
        object looked up."""
        how = data.draw(st.sampled_from(["schemas", "lookup", "history", "temporary"]), label="which")
        if how == "lookup":
            self.lookup_through_search_path(data)
        elif not self.model.aborted:
            {"schemas": self.ddl_in_another_schema, "history": self.a_long_history,
             "temporary": self.temporary_object_then_lookup}[how](data)

    def temporary_object_then_lookup(self, data: st.DataObject) -> None:
        """V1, §14 A8: DDL on the session's temporary objects (`pg_temp.name`) records nothing; then get_version or
        get_history (V17, V18) of one of them finds no row, asked as `pg_temp.name` or bare through a search_path
        naming pg_temp first (where a backend that tracked them under pg_temp_N would find one)."""
        self.run(data.draw(strategies.temporary_ddl(self.model, self.schema), label="temporary ddl"))
        names = temporary_lookups(self.model)
        if names is None or self.model.aborted:
            return
        name = data.draw(names, label="name")
        if self.model.session.search_path != (TEMP_SCHEMA, self.schema):
            self.run(SetSearchPath((TEMP_SCHEMA, self.schema)))
        if data.draw(st.booleans(), label="history"):
            self.run(GetHistory(name, data.draw(history_limits(self.model, name), label="limit")))
        else:
            self.run(GetVersion(name))

    def ddl_in_another_schema(self, data: st.DataObject) -> None:
        """V1, V5: DDL in a second schema (names as in the machine's schema are other rows); then an answer
        that must hold one schema's rows only: show_table_versions (V19), export_schema_hashes (H7), or a
        qualified get_version (V17) of a name both schemas may hold."""
        other = self._another_schema(data)
        if other is None:
            return
        if data.draw(st.integers(0, 2), label="twin") > 0:
            self._twin(data, other)
        for _ in range(data.draw(st.integers(1, 3), label="changes")):
            mirrored = mirror(self.recent.ops, self.schema, other, data.draw(st.booleans(), label="vary"))
            if len(mirrored) > 0 and data.draw(st.booleans(), label="mirror"):
                op = data.draw(st.sampled_from(mirrored), label="mirrored ddl")
                if predicted(self.model, op):
                    self.run(op)
                    continue
            self.run(data.draw(strategies.ddl_ops(self.model, other), label="ddl"))
        hashes = twin_hashes(self.model, self.schema, other)
        if len(hashes) > 0 and data.draw(st.integers(0, 3), label="twin hash") > 0:  # H3: each schema's own
            # mostly the other schema's, the later twin: a lookup that loses its schema finds the older one first
            later = [h for h in hashes if getattr(h, "schema", None) == other]
            prefer = len(later) > 0 and data.draw(st.integers(0, 3), label="later twin") > 0
            self.run(data.draw(st.sampled_from(later if prefer else hashes), label="hash"))
        which = data.draw(st.sampled_from([other, self.schema]), label="read schema")
        read = data.draw(st.sampled_from(["tables", "hashes", "version"]), label="read")
        names = unqualified_names(self.model)
        if read == "tables":
            self.run(ShowTableVersions(which))
        elif read == "hashes":
            self.run(ExportSchemaHashes(which))
        elif names:
            self.run(GetVersion(f"{which}.{data.draw(st.sampled_from(names), label='name')}"))

    def _twin(self, data: st.DataObject, other: str) -> None:
        """One name, two definitions (blind spot 7): an object of the machine's schema created again in `other`
        with another definition — after a new function in the machine's schema when it has nothing to twin."""
        def functions() -> list[Op]:
            return [p for p in twins(self.model, self.schema, other) if isinstance(p, CreateFunction)]

        # a function half the time: two functions of one signature are what a lookup by name alone mixes up
        want_function = data.draw(st.booleans(), label="function twin")
        if (not twins(self.model, self.schema, other) or (want_function and not functions())) \
                and not self.model.aborted:
            self.run(data.draw(strategies.new_functions(self.model, self.schema), label="function"))
        pairs = (want_function and functions()) or twins(self.model, self.schema, other)
        if len(pairs) > 0:
            op = data.draw(st.sampled_from(pairs), label="twin ddl")
            if predicted(self.model, op):
                self.run(op)

    def lookup_through_search_path(self, data: st.DataObject) -> None:
        """V17 step 2, V18: get_version / get_history of an unqualified name (sometimes a near miss of one) with
        a search_path over the owned schemas, another one often first: the first schema holding the name wins."""
        path = data.draw(search_paths(self.model, self.schema), label="search_path")
        if path != self.model.session.search_path:
            self.run(SetSearchPath(path))
        names = unqualified_names(self.model)
        if not names:
            return
        shadowed = shadowed_names(self.model, path)
        if len(shadowed) > 0 and data.draw(st.booleans(), label="shadowed"):
            names = shadowed  # half the time a name the path's order decides
        name = data.draw(st.sampled_from(names), label="name")
        if data.draw(st.integers(0, 3), label="bend") == 0:
            name = data.draw(hostile_text((name,)), label="near miss")
        if data.draw(st.booleans(), label="history"):
            op = leave_out_defaults(data.draw, GetHistory(name, data.draw(st.sampled_from([10, 1, 2]), label="limit")))
        else:
            op = GetVersion(name)
        if predicted(self.model, op):
            self.run(op)

    def a_long_history(self, data: st.DataObject) -> None:
        """V18 (§4's default limit 10): one table, in the machine's schema or another, changed eight to twelve
        times in a row; then its history with the limit left out, 10, or near the history's length."""
        schema = data.draw(st.sampled_from(owned_schemas(self.model, self.schema)), label="schema")
        if not strategies.tracked_tables(self.model, schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, schema), label="table"))
            if not strategies.tracked_tables(self.model, schema):
                return  # PostgreSQL refused that CREATE TABLE
        table = data.draw(st.sampled_from(strategies.tracked_tables(self.model, schema)), label="table")
        for _ in range(data.draw(LONG, label="changes")):
            if self.model.aborted or table not in strategies.tracked_tables(self.model, schema):
                break
            self.run(data.draw(strategies.table_changes(self.model, schema, table), label="change"))
        name = f"{schema}.{table}"
        rows = max((len(h) for (_k, s, n, b), h in self.model.db.history.items()
                    if (s, n) == (schema, table) and b == self.model.c), default=1)
        limit = 10 if data.draw(st.booleans(), label="default limit") else data.draw(near_value(rows), label="limit")
        op = leave_out_defaults(data.draw, GetHistory(name, limit))
        if predicted(self.model, op):
            self.run(op)


__all__ = ["LONG", "SchemaRules"]
