"""Renames machine (second model, contract §14.2 R and §14.3 N): DDL in the machine's schema and in other schemas
whose names need quoting, interleaved with renames of tables, columns, indexes, constraints, views and functions,
moves between schemas (SET SCHEMA), CREATE / DROP SCHEMA [CASCADE] and ALTER SCHEMA … RENAME.

After every key change the version API is asked about the old and the new key (O10, R2): `get_version` and
`get_history` of both. The observation (O1, O2) covers the machine's schema; rows that moved to other schemas are
checked through those calls.
"""

from __future__ import annotations

from attrs import evolve
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model import strategies
from pggit_model.machines.versioning import VersioningRules
from pggit_model.model.catalog_values import MatView
from pggit_model.ops import (
    AddColumn,
    AlterTable,
    CheckoutBranch,
    Column,
    CommentOnTable,
    ComputeDdlHash,
    CreateBranch,
    CreateIndex,
    CreateMatView,
    CreateSchema,
    CreateTable,
    CreateView,
    DetectChangesByHash,
    DropSchema,
    ForeignKey,
    GetHistory,
    GetVersion,
    MergeBranches,
    Op,
    PrimaryKey,
    RenameColumn,
    RenameConstraint,
    RenameFunction,
    RenameRelation,
    RenameSchema,
    SetSchema,
    SetSearchPath,
    UpdateAllHashes,
)
from pggit_model.strategies.common import predicted
from pggit_model.strategies.renames import SCHEMA_POOL, indexes_of, movable_tables, other_schemas
from pggit_model.strategies.values import suffixed


def _keys(op: Op, model: object) -> list[str]:
    """The old and new `schema.name` keys a key-change op names (for the version API, O10)."""
    if isinstance(op, RenameRelation):
        return [f"{op.schema}.{op.name}", f"{op.schema}.{op.new_name}"]
    if isinstance(op, RenameColumn):
        t = f"{op.schema}.{op.table}"
        return [f"{t}.{op.column}", f"{t}.{op.new_name}", t]
    if isinstance(op, RenameConstraint):
        return [f"{op.schema}.{op.name}", f"{op.schema}.{op.new_name}", f"{op.schema}.{op.table}"]
    if isinstance(op, RenameFunction):
        args = ", ".join(op.arg_types)
        return [f"{op.schema}.{op.name}({args})", f"{op.schema}.{op.new_name}({args})"]
    if isinstance(op, SetSchema):
        name = op.signature if op.keyword == "FUNCTION" else op.name
        return [f"{op.schema}.{name}", f"{op.new_schema}.{name}"]
    return []


def _renamed(name: str) -> str:
    """`name` with a suffix, within PostgreSQL's 63 bytes (a suffix that needs no quoting: names that do are
    drawn elsewhere, and a backend that mishandles them should not hide what it does with the rename)."""
    return suffixed(name, "_renamed")


class RenamesMachine(VersioningRules):
    """R1–R7 and N1–N7 on the main branch, autocommit, with the version API on old and new keys."""

    RULES = ("R1", "R2", "R3a", "R3b", "R3c", "R3d", "R3e", "R3g", "R4", "R5", "R6", "N1", "N3", "N4", "N5a", "N5d",
             "N5e", "N6", "N7", "V20", "O10", "M7", "H10", "R3f", "R3h", "N5c")

    def _look(self, keys: list[str]) -> None:
        """O10/R2: get_version and get_history of each key (the session searches only the machine's schema)."""
        if self.model.session.search_path != (self.schema,):
            self.run(SetSearchPath((self.schema,)))
        for k in keys:
            self.run(GetVersion(k))
            self.run(GetHistory(k, 5))

    def _key_change(self, op: Op) -> None:
        self.run(op)
        self._look(_keys(op, self.model))
        self.harness.stats.rules.update(("R2", "O10"))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def rename_then_look(self, data: st.DataObject) -> None:
        """R1–R4: a rename (some rejected: taken names, its own name, R4), then get_version / get_history on the
        old and the new key (R2). With no table, one is created first."""
        if not strategies.tracked_tables(self.model, self.schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        ops = strategies.ddl_ops(self.model, self.schema).filter(
            lambda o: isinstance(o, RenameRelation | RenameColumn | RenameConstraint | RenameFunction))
        self._key_change(data.draw(ops, label="rename"))

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
            if _keys(op, self.model):
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
    @rule(data=st.data())
    def rename_to_its_own_name(self, data: st.DataObject) -> None:
        """R4: a rename to the object's own name is refused (42P07 for a relation, 42701 for a column) and
        records nothing. With no table, one is created first."""
        if not strategies.tracked_tables(self.model, self.schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        tables = strategies.tracked_tables(self.model, self.schema)
        if tables:
            name = data.draw(st.sampled_from(tables), label="table")
            t = self.model.db.catalog.table(self.schema, name)
            if t is not None and t.columns and data.draw(st.booleans(), label="column"):
                col = data.draw(st.sampled_from([c.name for c in t.columns]), label="name")
                self.run(RenameColumn("TABLE", self.schema, name, col, col))
            else:
                self.run(RenameRelation("TABLE", self.schema, name, name))

    @precondition(lambda self: not self.model.aborted and len(movable_tables(self.model, self.schema)) >= 2)
    @rule(data=st.data())
    def swap_two_tables(self, data: st.DataObject) -> None:
        """R5: a swap through a temporary name is three key changes; the second starts a new life on the first
        table's old row, whose history then shows the other table's RENAME above its own past."""
        a, b = data.draw(st.permutations(movable_tables(self.model, self.schema)), label="tables")[:2]
        tmp = "swap tmp"
        if self.model.db.catalog.rel(self.schema, tmp) is not None:
            return
        for old, new in ((a, tmp), (b, a), (tmp, b)):
            self.run(RenameRelation("TABLE", self.schema, old, new))
        self._look([f"{self.schema}.{a}", f"{self.schema}.{b}", f"{self.schema}.{tmp}"])
        self.harness.stats.rules.update(("R5", "R2", "O10"))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), column_too=st.booleans())
    def rename_under_a_view(self, data: st.DataObject, column_too: bool) -> None:
        """R6: renaming a table (and a column the view does not use) that a view selects from records nothing on
        the view; CREATE OR REPLACE VIEW with the same query afterwards records nothing either (V12: by identity
        the definition did not change). With no table with two columns, one is created first."""
        cat = self.model.db.catalog

        def two_columns() -> list[str]:
            return [n for n in strategies.tracked_tables(self.model, self.schema)
                    if (t := self.model.db.catalog.table(self.schema, n)) is not None and len(t.columns) >= 2
                    and self.model.db.catalog.rel(self.schema, _renamed(n)) is None]

        if not two_columns():
            self.run(CreateTable(self.schema, data.draw(st.sampled_from(["r6", "R6 src"]), label="table"),
                                 (Column("a", "integer"), Column("b", "text"))))
        tables = two_columns()
        if not tables or cat.rel(self.schema, "r6 view") is not None:
            return
        name = data.draw(st.sampled_from(tables), label="table")
        t = self.model.db.catalog.table(self.schema, name)
        assert t is not None
        view = CreateView(self.schema, "r6 view", name, (t.columns[0].name,))
        self.run(view)
        if data.draw(st.booleans(), label="over a view") and cat.rel(self.schema, "r6 view2") is None:
            # R6 for a view as the renamed relation: another view selects from it (replayed:
            # 080_renames.sql:stmt:35c9eede62:1, a renamed view's referrers left unrendered)
            over = CreateView(self.schema, "r6 view2", "r6 view", (t.columns[0].name,))
            self.run(over)
            self.run(RenameRelation("VIEW", self.schema, "r6 view", "r6 view_renamed"))
            self.run(evolve(over, source="r6 view_renamed", or_replace=True))
            self.harness.stats.rules.update(("R6",))
            return
        if column_too:
            old = t.columns[1].name
            self.run(RenameColumn("TABLE", self.schema, name, old, _renamed(old)))
        new = _renamed(name)
        self.run(RenameRelation("TABLE", self.schema, name, new))
        self.run(evolve(view, source=new, or_replace=True))
        self.harness.stats.rules.update(("R6",))

    @precondition(lambda self: not self.model.aborted and self.model.db.catalog.rel(self.schema, "r6 fk") is None)
    @rule(key=st.sampled_from(["r6 key", "R6 Parent"]), column_too=st.booleans())
    def rename_under_a_foreign_key(self, key: str, column_too: bool) -> None:
        """R6 for the other referrer it names: renaming a table (and its key column) that another table's foreign
        key references records nothing on that table, and a later change of it records only that change (V23:
        by identity its key did not change)."""
        if self.model.db.catalog.rel(self.schema, key) is None:
            self.run(CreateTable(self.schema, key, (Column("id", "integer"),), (PrimaryKey(("id",)),)))
        self.run(CreateTable(self.schema, "r6 fk", (Column("x", "integer"),),
                             (ForeignKey("r6_fk", ("x",), self.schema, key, ("id",)),)))
        if column_too:
            self.run(RenameColumn("TABLE", self.schema, key, "id", _renamed("id")))
        self.run(RenameRelation("TABLE", self.schema, key, _renamed(key)))
        self.run(AlterTable(self.schema, "r6 fk", (AddColumn(Column("y", "integer")),)))
        self.harness.stats.rules.update(("R6",))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), how=st.sampled_from(["ALTER INDEX", "ALTER TABLE", "RENAME CONSTRAINT"]))
    def rename_an_index(self, data: st.DataObject, how: str) -> None:
        """R3c, R3d: an index renamed by ALTER INDEX, by ALTER TABLE (A16) or through its constraint (B2) changes
        key at PATCH, and its table records ALTER PATCH. With no index, a table with a primary key is created."""
        owned = [(i, x) for i in indexes_of(self.model, self.schema)
                 if (x := self.model.db.catalog.rel(self.schema, i)) is not None]
        if not owned:
            name = data.draw(st.sampled_from(["k1", "Keyed"]), label="table")
            if self.model.db.catalog.rel(self.schema, name) is None:
                self.run(CreateTable(self.schema, name, (Column("id", "integer"),), (PrimaryKey(("id",)),)))
            owned = [(i, x) for i in indexes_of(self.model, self.schema)
                     if (x := self.model.db.catalog.rel(self.schema, i)) is not None]
        if not owned:
            return
        index, idx = data.draw(st.sampled_from(owned), label="index")
        new = _renamed(index)
        if how == "RENAME CONSTRAINT" and getattr(idx, "constraint", None) is not None:
            self._key_change(RenameConstraint(self.schema, idx.table, idx.constraint, new))
        else:
            self._key_change(RenameRelation("INDEX" if how == "ALTER INDEX" else "TABLE", self.schema, index, new))

    @precondition(lambda self: not self.model.aborted and self.model.txn is None)
    @rule(data=st.data(), target_changed=st.booleans())
    def rename_on_a_branch_then_merge(self, data: st.DataObject, target_changed: bool) -> None:
        """M7: a table renamed on a new branch merges back per key — the old key inactive, the new key taken —
        or, when the target changed the old key meanwhile (a COMMENT), the old key conflicts, the target keeps
        its row and the new key still merges; then the version API on both keys."""
        def renamable() -> list[str]:
            return [n for n in movable_tables(self.model, self.schema)
                    if self.model.db.catalog.rel(self.schema, _renamed(n)) is None]

        if not renamable():
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        tables = renamable()
        if not tables:
            return
        name = data.draw(st.sampled_from(tables), label="table")
        branch = data.draw(st.sampled_from(["r1/s", "m7 side", "m7.b2"]), label="branch")
        if branch in self.model.db.branches:
            return
        here = self.model.c
        self.run(CreateBranch(branch, here))
        if target_changed:
            self.run(CommentOnTable(self.schema, name, "changed on the target"))
        self.run(CheckoutBranch(branch))
        self.run(RenameRelation("TABLE", self.schema, name, _renamed(name)))
        self.run(CheckoutBranch(here))
        self.run(MergeBranches(branch, here))
        self._look([f"{self.schema}.{name}", f"{self.schema}.{_renamed(name)}"])
        self.harness.stats.rules.update(("M7", "R2", "O10"))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def hash_then_rename_then_detect(self, data: st.DataObject) -> None:
        """H10: hashes stored, then a rename (a table, a column, an index or a function); detect_changes_by_hash
        names the objects whose S renders the renamed name (the table of a renamed column, views over a renamed
        table), and compute_ddl_hash finds the object by its new key only (the old key gives NULL)."""
        if not strategies.tracked_tables(self.model, self.schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        ops = strategies.ddl_ops(self.model, self.schema).filter(
            lambda o: isinstance(o, RenameRelation | RenameColumn | RenameFunction))
        op = data.draw(ops, label="rename")
        self.run(UpdateAllHashes())
        self.run(op)
        self.run(DetectChangesByHash())
        if isinstance(op, RenameRelation):
            kind = "INDEX" if op.keyword == "INDEX" else "TABLE"
            for name in (op.name, op.new_name):
                self.run(ComputeDdlHash(kind, self.schema, name))
        self.harness.stats.rules.update(("H10",))

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
            if self.model.db.catalog.rel(op.schema, op.name) is None and predicted(self.model, op):
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
    @rule(data=st.data(), how=st.sampled_from(["RENAME TO", "RENAME COLUMN", "RENAME INDEX", "SET SCHEMA"]),
          keyword=st.sampled_from(["MATERIALIZED VIEW", "MATERIALIZED VIEW", "TABLE", "INDEX"]))
    def matview_key_change(self, data: st.DataObject, how: str, keyword: str) -> None:
        """R3f, R3h, R3c, N5c (A21, A27): a materialized view with an index (made over a table when missing) is
        renamed (under ALTER MATERIALIZED VIEW, TABLE or INDEX: its index keeps its key), has a column renamed
        (the view ALTER MAJOR, no key change), has its index renamed (the view PATCH), or moves to another schema
        (its index moves with it) or its own (N5e); then the version API on the old and the new key."""
        s, cat = self.schema, self.model.db.catalog
        mvs = sorted(n for (s2, n), r in cat.relations.items() if s2 == s and isinstance(r, MatView))
        if not mvs:
            if not strategies.tracked_tables(self.model, s):
                self.run(data.draw(strategies.new_tables_with_a_column(self.model, s), label="table"))
            tables = [n for n in strategies.tracked_tables(self.model, s)
                      if (t := self.model.db.catalog.table(s, n)) is not None and t.columns]
            name = data.draw(st.sampled_from(["mv1", "Sales MV"]), label="mv")
            if not tables or self.model.db.catalog.rel(s, name) is not None:
                return
            src = data.draw(st.sampled_from(tables), label="source")
            t = self.model.db.catalog.table(s, src)
            assert t is not None
            self.run(CreateMatView(s, name, src, tuple(c.name for c in t.columns[:2])))
            mv = self.model.db.catalog.rel(s, name)
            if not isinstance(mv, MatView) or self.model.db.catalog.rel(s, f"{name} idx") is not None:
                return
            self.run(CreateIndex(s, f"{name} idx", name, (mv.columns[0][0],)))
            mvs = [name]
        name = data.draw(st.sampled_from(mvs), label="mv")
        mv = self.model.db.catalog.rel(s, name)
        assert isinstance(mv, MatView)
        op: Op
        if how == "RENAME TO":
            op = RenameRelation(keyword, s, name, _renamed(name))
        elif how == "RENAME COLUMN":
            col = data.draw(st.sampled_from([c for c, _ in mv.columns]), label="column")
            op = RenameColumn("MATERIALIZED VIEW" if keyword == "INDEX" else keyword, s, name, col, _renamed(col))
        elif how == "RENAME INDEX" and mv.indexes:
            op = RenameRelation("INDEX", s, data.draw(st.sampled_from(mv.indexes), label="index"),
                                _renamed(mv.indexes[0]))
        else:
            into = data.draw(st.sampled_from([*SCHEMA_POOL, s]), label="into")
            if into not in self.model.db.catalog.schemas:
                self.run(CreateSchema(into))
            op = SetSchema("TABLE" if keyword == "TABLE" else "MATERIALIZED VIEW", s, name, into)
        self._key_change(op)
