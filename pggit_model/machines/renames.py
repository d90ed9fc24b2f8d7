"""Renames machine (second model, contract §14.2 R and §14.3 N): DDL in the machine's schema and in other schemas
whose names need quoting, interleaved with renames of tables, columns, indexes, constraints, views and functions,
moves between schemas (SET SCHEMA), CREATE / DROP SCHEMA [CASCADE] and ALTER SCHEMA … RENAME.

After every key change the version API is asked about the old and the new key (O10, R2): `get_version` and
`get_history` of both. The observation (O1, O2) covers the machine's schema; rows that moved to other schemas are
checked through those calls. The rules on schemas (moves, DDL elsewhere, views across schemas, schema statements)
are `renames_schemas.SchemaKeyRules`; the keys a key change names and the looks after it, `renames_keys`.
"""

from __future__ import annotations

from attrs import evolve
from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model import strategies
from pggit_model.machines.renames_keys import keys_of, renamed
from pggit_model.machines.renames_schemas import SchemaKeyRules
from pggit_model.model.catalog import Catalog
from pggit_model.model.catalog_values import MatView
from pggit_model.ops import (
    AddColumn,
    AlterTable,
    CheckoutBranch,
    Column,
    CommentOnTable,
    CreateBranch,
    CreateCallingView,
    CreateFunction,
    CreateIndex,
    CreateMatView,
    CreateSchema,
    CreateTable,
    CreateView,
    DetectChangesByHash,
    ForeignKey,
    MergeBranches,
    Op,
    PrimaryKey,
    RenameColumn,
    RenameConstraint,
    RenameFunction,
    RenameRelation,
    SetSchema,
    UpdateAllHashes,
)
from pggit_model.strategies.renames import SCHEMA_POOL, indexes_of, movable_tables


class RenamesMachine(SchemaKeyRules):
    """R1–R7 and N1–N7 on the main branch, autocommit, with the version API on old and new keys."""

    RULES = ("R1", "R2", "R3a", "R3b", "R3c", "R3d", "R3e", "R3g", "R4", "R5", "R6", "N1", "N3", "N4", "N5a", "N5d",
             "N5e", "N6", "N7", "V20", "O10", "M7", "H10", "R3f", "R3h", "N5c")

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
                    and self.model.db.catalog.rel(self.schema, renamed(n)) is None]

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
            self.run(RenameColumn("TABLE", self.schema, name, old, renamed(old)))
        new = renamed(name)
        self.run(RenameRelation("TABLE", self.schema, name, new))
        self.run(evolve(view, source=new, or_replace=True))
        self.harness.stats.rules.update(("R6",))

    @precondition(lambda self: not self.model.aborted and self.model.db.catalog.rel(self.schema, "r6 calls") is None)
    @rule(move=st.booleans(), there_and_back=st.booleans(), into=st.sampled_from(SCHEMA_POOL))
    def rename_under_a_calling_view(self, move: bool, there_and_back: bool, into: str) -> None:
        """R3g, N5d, R6, V12: renaming or moving a function that a view calls records nothing on the view, and
        CREATE OR REPLACE of the view with the same query (naming the function's key now) records nothing either
        (V23: by identity the definition did not change; its rendering did, H10d). Half the time the function goes
        there and back with an unrelated table rename between, which a backend re-rendering views on relation
        renames only would meet with a stale rendering (the rendered definition differs from the recorded one in
        both directions)."""
        s, cat = self.schema, self.model.db.catalog
        fn, view = "r6 fn", CreateCallingView(self.schema, "r6 calls", self.schema, "r6 fn")
        if (s, f"{fn}()") not in cat.functions:
            self.run(CreateFunction(s, fn, (), 1))
        self.run(view)
        if move and into not in self.model.db.catalog.schemas:
            self.run(CreateSchema(into))
        there: Op = SetSchema("FUNCTION", s, fn, into) if move else RenameFunction(s, fn, (), renamed(fn))
        back: Op = SetSchema("FUNCTION", into, fn, s) if move else RenameFunction(s, renamed(fn), (), fn)
        self._key_change(there)
        if there_and_back:
            if not (tables := [n for n in movable_tables(self.model, s)
                               if self.model.db.catalog.rel(s, renamed(n)) is None]):
                self.run(CreateTable(s, "r6 other", (Column("a", "integer"),)))
                tables = ["r6 other"]
            self.run(RenameRelation("TABLE", s, tables[0], renamed(tables[0])))
            self._key_change(back)
        at = s if there_and_back or not move else into
        self.run(evolve(view, function_schema=at, function=fn if there_and_back or move else renamed(fn),
                        or_replace=True))
        self.harness.stats.rules.update(("R6", "R3g", "N5d", "V12"))

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
            self.run(RenameColumn("TABLE", self.schema, key, "id", renamed("id")))
        self.run(RenameRelation("TABLE", self.schema, key, renamed(key)))
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
        new = renamed(index)
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
                    if self.model.db.catalog.rel(self.schema, renamed(n)) is None]

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
        self.run(RenameRelation("TABLE", self.schema, name, renamed(name)))
        self.run(CheckoutBranch(here))
        self.run(MergeBranches(branch, here))
        self._look([f"{self.schema}.{name}", f"{self.schema}.{renamed(name)}"])
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
            # each key under every relation kind (the keyword need not be the relation's kind, A16): the new key's
            # own kind gives its hash, the others and the old key NULL (H1, H10a) — a lookup that lost its kind
            # filter answers for a view asked as a TABLE
            for name in (op.name, op.new_name):
                self._hash_as_every_relation(self.schema, name)
        self.harness.stats.rules.update(("H10",))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), into=st.sampled_from(SCHEMA_POOL), move=st.sampled_from([True, True, False]))
    def neighbours_change_keys(self, data: st.DataObject, into: str, move: bool) -> None:
        """R3a, R3f, N5a, N5c: key changes of two relations of one schema in a row, each with INDEX rows — a table
        with an index, and a materialized view with one or another such table (made when missing): the first
        renamed or moved, then the table moved into another schema with its indexes (or renamed); then the version
        API on the table's and its indexes' old and new keys. A key change that touches another relation's INDEX
        rows (their parent or key) shows at that relation's own key change."""
        s = self.schema

        def cat() -> Catalog:  # (the model is a new value after every step)
            return self.model.db.catalog

        def indexed() -> list[str]:
            return [n for n in movable_tables(self.model, s) if (t := cat().table(s, n)) is not None and t.indexes]

        if not indexed():
            name = data.draw(st.sampled_from(["kn t", "Kn Keyed"]), label="table")
            self.make_missing(
                CreateTable(s, name, (Column("a", "integer"), Column("b", "text")), (PrimaryKey(("a",)),)),
                CreateIndex(s, f"{name} b", name, ("b",)))
        tables = indexed()
        if not tables:
            return
        second = data.draw(st.sampled_from(tables), label="second")
        mvs = sorted(n for (s2, n), r in cat().relations.items() if s2 == s and isinstance(r, MatView) and r.indexes)
        if not mvs and data.draw(st.booleans(), label="a materialized view"):
            src = data.draw(st.sampled_from(["kn src", "Kn Src"]), label="source")
            self.make_missing(CreateTable(s, src, (Column("a", "integer"), Column("b", "text"))),
                              CreateMatView(s, f"{src} mv", src, ("a", "b")),
                              CreateIndex(s, f"{src} mv a", f"{src} mv", ("a",)))
            mvs = [n for n in (f"{src} mv",) if isinstance(cat().rel(s, n), MatView)]
        firsts = [("TABLE", n) for n in indexed() if n != second] + [("MATERIALIZED VIEW", n) for n in mvs]
        if into not in cat().schemas:
            self.run(CreateSchema(into))
        if firsts:
            keyword, first = data.draw(st.sampled_from(firsts), label="first")
            self._key_change(SetSchema(keyword, s, first, into) if data.draw(st.booleans(), label="first moves")
                             else RenameRelation(keyword, s, first, renamed(first)))
        t = cat().table(s, second)
        if t is None:
            return
        op: Op = SetSchema("TABLE", s, second, into) if move else RenameRelation("TABLE", s, second, renamed(second))
        self.run(op)
        where = op.new_schema if isinstance(op, SetSchema) else s
        self._look(keys_of(op) + [f"{x}.{i}" for i in t.indexes for x in dict.fromkeys((s, where))])
        self.harness.stats.rules.update(("R2", "O10"))

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
            op = RenameRelation(keyword, s, name, renamed(name))
        elif how == "RENAME COLUMN":
            col = data.draw(st.sampled_from([c for c, _ in mv.columns]), label="column")
            op = RenameColumn("MATERIALIZED VIEW" if keyword == "INDEX" else keyword, s, name, col, renamed(col))
        elif how == "RENAME INDEX" and mv.indexes:
            op = RenameRelation("INDEX", s, data.draw(st.sampled_from(mv.indexes), label="index"),
                                renamed(mv.indexes[0]))
        else:
            into = data.draw(st.sampled_from([*SCHEMA_POOL, s]), label="into")
            if into not in self.model.db.catalog.schemas:
                self.run(CreateSchema(into))
            op = SetSchema("TABLE" if keyword == "TABLE" else "MATERIALIZED VIEW", s, name, into)
        self._key_change(op)
