"""The renames machine's schema rules (contract §14.3 N, with R6 across schemas): moves between schemas, DDL in
schemas whose names need quoting, views created over or moved away from their sources in other schemas, and
CREATE / DROP / ALTER SCHEMA … RENAME — each followed by the version API on the old and the new keys (O10); and
objects in a user schema V1 excludes (`pggitx`), next to tracked ones reading them and read by them."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model import strategies
from pggit_model.machines.renames_keys import KeyLooks, keys_of
from pggit_model.ops import (
    Column,
    CreateFunction,
    CreateIndex,
    CreateMatView,
    CreateSchema,
    CreateTable,
    CreateView,
    DropSchema,
    RenameSchema,
    SetSchema,
)
from pggit_model.strategies.common import predicted, tables_of
from pggit_model.strategies.renames import EXCLUDED_POOL, SCHEMA_POOL, movable_tables, other_schemas


class SchemaKeyRules(KeyLooks):
    """N1, N3–N7 and R6 across schemas, on the main branch (mixed into the renames machine)."""

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), into=st.sampled_from(SCHEMA_POOL))
    def move_then_look(self, data: st.DataObject, into: str) -> None:
        """N5a, N5e, N7: ALTER TABLE … SET SCHEMA into another schema (created first if missing) or its own; the
        table, its columns and its indexes change keys; then the version API on both keys."""
        if into not in self.model.db.catalog.schemas:
            self.run(CreateSchema(into))
        tables = movable_tables(self.model, self.schema)
        if not tables:
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
            tables = movable_tables(self.model, self.schema)
        if tables:
            dest = data.draw(st.sampled_from([into, into, self.schema]), label="into")
            self._key_change(SetSchema("TABLE", self.schema, data.draw(st.sampled_from(tables), label="table"), dest))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def ddl_in_another_schema(self, data: st.DataObject) -> None:
        """N1, N7: DDL (renames included) in another schema whose name needs quoting; same names as in the
        machine's schema are independent keys. The schema is created first if there is none."""
        others = other_schemas(self.model, self.schema)
        if not others:
            self.run(CreateSchema(data.draw(st.sampled_from(SCHEMA_POOL), label="schema")))
            others = other_schemas(self.model, self.schema)
        if others:
            schema = data.draw(st.sampled_from(others), label="schema")
            op = data.draw(strategies.ddl_ops(self.model, schema), label="ddl")
            if keys_of(op):
                self._key_change(op)
            else:
                self.run(op)
            self.harness.stats.rules.update(("N7",))

    @precondition(lambda self: not self.model.aborted and bool(other_schemas(self.model, self.schema)))
    @rule(data=st.data(), new=st.sampled_from(SCHEMA_POOL))
    def rename_a_schema_then_look(self, data: st.DataObject, new: str) -> None:
        """N6: ALTER SCHEMA … RENAME changes the key of every member (reported: the schema only, B4); then the
        version API on each member's old and new key."""
        old = data.draw(st.sampled_from(other_schemas(self.model, self.schema)), label="schema")
        members = sorted({k[2] for k in self.model.db.rows if k[1] == old and k[0] in ("TABLE", "VIEW")})[:3]
        self.run(RenameSchema(old, new))
        self._look([f"{s}.{m}" for m in members for s in (old, new)])
        self.harness.stats.rules.update(("R2", "O10"))

    @precondition(lambda self: not self.model.aborted and bool(other_schemas(self.model, self.schema)))
    @rule(data=st.data(), cascade=st.booleans())
    def drop_a_schema(self, data: st.DataObject, cascade: bool) -> None:
        """N4: DROP SCHEMA … CASCADE drops every tracked member (V13), COLUMN rows included; without CASCADE a
        non-empty schema is refused and nothing changes."""
        schema = data.draw(st.sampled_from(other_schemas(self.model, self.schema)), label="schema")
        members = sorted({k[2] for k in self.model.db.rows if k[1] == schema and k[0] == "TABLE"})[:2]
        self.run(DropSchema(schema, cascade=cascade))
        self._look([f"{schema}.{m}" for m in members])

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def table_in_a_quoted_schema(self, data: st.DataObject) -> None:
        """N1: a table in a schema such as "My Schema" is stored unquoted (`My Schema.t`) and found by that
        spelling."""
        others = other_schemas(self.model, self.schema)
        schema = data.draw(st.sampled_from(others or list(SCHEMA_POOL)), label="schema")
        if schema not in self.model.db.catalog.schemas:
            self.run(CreateSchema(schema))
        name = data.draw(st.sampled_from(["Order Items", "t1", "select"]), label="name")
        if self.model.db.catalog.rel(schema, name) is None:
            self.run(CreateTable(schema, name, data.draw(st.lists(strategies.columns(), min_size=1, max_size=2,
                                                                  unique_by=lambda c: c.name), label="columns")))
        self._look([f"{schema}.{name}"])
        self.harness.stats.rules.update(("N1",))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), into=st.sampled_from(SCHEMA_POOL),
          how=st.sampled_from(["TABLE", "VIEW", "MATERIALIZED VIEW"]), then_rename=st.booleans())
    def views_across_schemas(self, data: st.DataObject, into: str, how: str, then_rename: bool) -> None:
        """N5a–c, N6, N7, R6: a table with a view and a materialized view (with an index) over it, and a view in
        another schema created over it there; the table, the view or the materialized view moves to that schema,
        and that schema, with the materialized view moved there too, is perhaps renamed: the moved rows change keys,
        views keep reading their source by identity across schemas and record nothing (R6); then the version API on
        the old and the new keys."""
        s, src, names = self.schema, "x src", ("x view", "x mv", "x mv idx")
        if into not in self.model.db.catalog.schemas:
            self.run(CreateSchema(into))
        if self.model.db.catalog.rel(s, src) is None:
            self.run(CreateTable(s, src, (Column("a", "integer"), Column("b", "text"))))
        for op in (CreateView(s, names[0], src, ("a",)), CreateMatView(s, names[1], src, ("a", "b")),
                   CreateIndex(s, names[2], names[1], ("a",)), CreateView(into, "x far", src, ("b",), False, s)):
            # (only what the model predicts: this rule is after key changes, not skipped ops)
            fresh = (op.schema, op.signature) not in self.model.db.catalog.functions if isinstance(
                op, CreateFunction) else self.model.db.catalog.rel(op.schema, op.name) is None
            if fresh and predicted(self.model, op):
                self.run(op)
        name = {"TABLE": src, "VIEW": names[0]}.get(how, names[1])
        self._key_change(SetSchema(how, s, name, into))
        if then_rename:
            if how != "MATERIALIZED VIEW":
                self.run(SetSchema("MATERIALIZED VIEW", s, names[1], into))
            free = [n for n in SCHEMA_POOL if n not in self.model.db.catalog.schemas]
            new = data.draw(st.sampled_from(free or list(SCHEMA_POOL)), label="new name")
            self.run(RenameSchema(into, new))
            self._look([f"{into}.{names[1]}", f"{new}.{names[1]}"])
        self.harness.stats.rules.update(("R6",))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), x=st.sampled_from(EXCLUDED_POOL))
    def objects_in_an_excluded_schema(self, data: st.DataObject, x: str) -> None:
        """V1, N7, V26a: a user schema V1 excludes (`pggitx`, "pggit Archive") with a table, an index, a view and
        a function, a view of the machine's schema over that table and one there over a table of the machine's,
        then DDL there: nothing in it ever gets a row (its keys find nothing), the tracked view does; then the
        version API on those keys."""
        s = self.schema
        if x not in self.model.db.catalog.schemas:
            self.run(CreateSchema(x))
        mine = [n for n, _ in tables_of(self.model, s)]
        made: list[CreateTable | CreateIndex | CreateView | CreateFunction] = [
            CreateTable(x, "x t", (Column("a", "integer"), Column("b", "text"))), CreateIndex(x, "x ti", "x t", ("a",)),
            CreateView(x, "x v", "x t", ("a",)), CreateFunction(x, "xf", ("integer",)),
            CreateView(s, "x over", "x t", ("b",), False, x)]
        if mine:
            t = data.draw(st.sampled_from(mine), label="read by x")
            table = self.model.db.catalog.table(s, t)
            if table is not None and table.columns:
                made.append(CreateView(x, "x back", t, (table.columns[0].name,), False, s))
        for op in made:
            fresh = (op.schema, op.signature) not in self.model.db.catalog.functions if isinstance(
                op, CreateFunction) else self.model.db.catalog.rel(op.schema, op.name) is None
            if fresh and predicted(self.model, op):
                self.run(op)
        for _ in range(data.draw(st.integers(0, 2), label="changes")):
            self.run(data.draw(strategies.ddl_ops(self.model, x), label="ddl"))
        self._look([f"{x}.x t", f"{x}.x v", f"{x}.xf(integer)", f"{s}.x over"])
        self.harness.stats.rules.update(("V1", "N7"))
