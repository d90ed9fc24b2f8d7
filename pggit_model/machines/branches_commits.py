"""Branches & commits machine: create / checkout / delete / list branches with valid and invalid names, DDL
on the current branch, create_commit and commit_changes with hostile messages, and the commit graph.

Exercises B1–B11 (copy on create, checkout moves where DDL is recorded, delete with main protected, names
never reused), C1–C8 (one row per call, parents and heads, verbatim text, trimming, custom ids, graph
invariants), V4 and B8 (versioning touches only the current branch), M1–M6 (merge into the parent: one side,
both sides, conflicts, self-merge, unknown names), O3–O5 after every step.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import rule

from pggit_model import strategies
from pggit_model.machines.schemas import SchemaRules
from pggit_model.machines.versioning import VersioningRules
from pggit_model.model.catalog_values import Con, Index, Table, View
from pggit_model.ops import (
    AddColumn,
    AddConstraint,
    AlterTable,
    CheckoutBranch,
    Column,
    CreateBranch,
    CreateIndex,
    CreateTable,
    CreateView,
    DeleteBranch,
    DropConstraint,
    DropIndex,
    DropTable,
    ForeignKey,
    MergeBranches,
    PrimaryKey,
    RenameRelation,
    TableSetting,
    Unique,
)
from pggit_model.ops.frame import TABLE_SETTINGS
from pggit_model.rules import span
from pggit_model.strategies.common import predicted
from pggit_model.strategies.ddl import derived_names
from pggit_model.strategies.schemas import kind_twins, owned_schemas, twin_drops, twins
from pggit_model.strategies.values import suffixed


class BranchRules(VersioningRules):
    """Branch and commit rules on top of the DDL rules (so DDL lands on whichever branch is checked out)."""

    @rule(data=st.data())
    def branch(self, data: st.DataObject) -> None:
        """One to three create / checkout / delete / list calls, valid or rejected by B3/B6/B10. A delete of the
        branch this session is on (main, most often) is asked from another branch (B10's scope), stepping off
        first."""
        for _ in range(data.draw(st.integers(1, 3), label="branch calls")):
            op = data.draw(strategies.branch_ops(self.model, recent=self.recent), label="branch")
            if isinstance(op, DeleteBranch) and op.name == self.model.c:
                if not self._step_off(data):
                    continue
                self.run(op)
                self.run(CheckoutBranch(op.name if self.model.db.branches[op.name].status == "ACTIVE" else "main"))
            else:
                self.run(op)

    @rule(data=st.data())
    def more_branch_calls(self, data: st.DataObject) -> None:
        """Branch calls again: this machine's own area (B), so it weighs as much as the DDL rules it inherits."""
        self.branch(data)

    def _step_off(self, data: st.DataObject) -> bool:
        """Check out another active branch (a new one if there is none); False if that did not happen."""
        here = self.model.c
        others = sorted(n for n, b in self.model.db.branches.items() if b.status == "ACTIVE" and n != here)
        if not others:
            name = data.draw(strategies.branch_names().filter(lambda n: n not in self.model.db.branches),
                             label="other branch")
            self.run(CreateBranch(name, here))
            others = [name] if name in self.model.db.branches else []
        if not others:
            return False
        self.run(CheckoutBranch(data.draw(st.sampled_from(others), label="step off to")))
        return self.model.c != here

    @rule(data=st.data(), name=strategies.branch_names(), conflict=st.booleans())
    def change_on_a_branch_then_merge(self, data: st.DataObject, name: str, conflict: bool) -> None:
        """The git workflow: branch off, change things there (and maybe on the parent too), merge back (M2–M5).
        The changes are in any schema the example owns (a merge must match rows by schema too)."""
        parent = self.model.c
        owned = owned_schemas(self.model, self.schema)
        # half the time a name shared by two schemas or by a table and a function (made now if there is none) is
        # dropped on the branch for one of them, so M3 takes ⊥ for that key only (blind spot 7: a merge lookup
        # that loses its schema filter drops the twin too; so does one that loses its kind filter)
        drop_twin = data.draw(st.booleans(), label="drop a twin")
        twinned = [s for s in owned if twin_drops(self.model, s)]
        another = getattr(self, "_another_schema", None)  # SchemaRules' (it creates one when none is owned)
        if drop_twin and not twinned:
            # a name two kinds share in this schema, or two schemas share
            pairs = kind_twins(self.model, self.schema)
            if another is not None and (other := another(data)) is not None:
                pairs += twins(self.model, self.schema, other)
            if len(pairs) > 0 and predicted(self.model, op := data.draw(st.sampled_from(pairs), label="twin")):
                self.run(op)
            owned = owned_schemas(self.model, self.schema)
            twinned = [s for s in owned if twin_drops(self.model, s)]
        drop_twin = drop_twin and len(twinned) > 0
        schema = data.draw(st.sampled_from(twinned if drop_twin else owned), label="schema")
        self.run(CreateBranch(name, parent))
        self.run(CheckoutBranch(name))
        drops = twin_drops(self.model, schema) if drop_twin else []
        if len(drops) > 0:
            op = data.draw(st.sampled_from(drops), label="twin drop")
            if predicted(self.model, op):
                self.run(op)
        for _ in range(data.draw(st.integers(1, 3), label="changes")):
            self.run(data.draw(strategies.ddl_ops(self.model, schema, invalid=0.0), label="ddl"))
        self.run(CheckoutBranch(parent))
        if conflict:
            self.run(data.draw(strategies.ddl_ops(self.model, schema, invalid=0.0), label="ddl on parent"))
        self.run(MergeBranches(name, parent, "Merge branch"))

    @rule(data=st.data(), name=strategies.branch_names())
    def leave_a_branch_diverged(self, data: st.DataObject, name: str) -> None:
        """B8, B9, R6, V9a, V15: changes on a new branch left unmerged, so the parent's rows record structures the
        shared catalog no longer has; back on the parent, a table renamed (R6: only what refers to it is
        re-rendered), then the views and functions replaced with the catalog's definitions and one more change,
        each compared with the parent's own record (blind spot 11: a rename that re-rendered every view or
        foreign key, on every branch, went unseen). A third of the time the referrer changed on the branch is a
        table with a foreign key (its key re-pointed, or a column added), the parent renames the referenced table
        (when the key is as the parent recorded it) or another one, and the last statement is on the referrer:
        a change, or one that records nothing (V15, V27), each compared with what the parent recorded."""
        parent = self.model.c
        schema = data.draw(st.sampled_from(owned_schemas(self.model, self.schema)), label="schema")
        fk = self._a_foreign_key(data, schema)  # made on the parent, before the branch copies its rows
        index = self._an_index(data, schema)  # to drop on the branch, so the parent keeps a stale INDEX row
        self.run(CreateBranch(name, parent))
        self.run(CheckoutBranch(name))
        if self.model.c != name:
            return
        repointed = fk is not None and self._change_a_referrer(data, schema, *fk)
        widened = None if fk is not None else self._widen_a_view(data, schema)  # a referrer redefined, half the time
        stale = self._drop_an_index(schema, index)  # a table whose INDEX row the parent keeps stale
        for _ in range(data.draw(st.integers(0 if widened or stale or fk else 1, 2), label="changes")):
            self.run(data.draw(strategies.ddl_ops(self.model, schema, invalid=0.0), label="ddl on branch"))
        self.run(CheckoutBranch(parent))
        if stale is not None and self.model.c == parent and self.model.db.catalog.table(schema, stale) is not None:
            # V13, B9: the parent drops the table; its stale INDEX row stays as it is (PostgreSQL did not drop that
            # index now), whatever its name (`<table>_<column>`, strategies.ddl.derived_names: mutation blind spot
            # `010_tracking.sql:where:3cda1b2e21:1`, a column lookup by parent name that took the index along)
            drop = DropTable(schema, stale, cascade=True)
            if predicted(self.model, drop):
                self.run(drop)
                return
        referrer, target = (fk[0], fk[1].ref[1] if fk[1].ref else "") if fk is not None else ("", "")
        if fk is not None and not repointed and self.model.db.catalog.table(schema, target) is not None:
            tables = [target]  # R6: the referrer's key names it; only that key is re-rendered
        else:
            tables = [n for n in strategies.tracked_tables(self.model, schema) if n not in (widened, referrer, target)]
        if len(tables) > 0:
            table = data.draw(st.sampled_from(tables), label="renamed")
            rename = RenameRelation("TABLE", schema, table, suffixed(table, "_r"))
            if predicted(self.model, rename):
                self.run(rename)
        replacements = strategies.same_definition_replacements(self.model, schema)
        if len(replacements) > 0:
            self.run(data.draw(st.sampled_from(replacements), label="replace"))
        if fk is not None and self.model.db.catalog.table(schema, referrer) is not None:
            if data.draw(st.booleans(), label="a statement that records nothing"):
                self.run(TableSetting(data.draw(st.sampled_from(TABLE_SETTINGS), label="setting"), schema, referrer))
            else:
                self.run(data.draw(strategies.table_changes(self.model, schema, referrer), label="referrer change"))
            return
        self.run(data.draw(strategies.ddl_ops(self.model, schema, invalid=0.0), label="ddl on parent"))

    def _foreign_keys(self, schema: str) -> list[tuple[str, Con]]:
        """(table, its foreign key) of `schema` into another table of `schema`, both with an active row on c."""
        cat, out = self.model.db.catalog, []
        for (s, n), t in sorted(cat.relations.items()):
            if s != schema or not isinstance(t, Table) or t.parent is not None or t.partition_by is not None \
                    or self.model.active_row("TABLE", s, n) is None:
                continue
            out += [(n, k) for k in t.constraints if k.kind == "foreign_key" and k.ref is not None
                    and k.ref[0] == schema and k.ref[1] != n
                    and self.model.active_row("TABLE", s, k.ref[1]) is not None]
        return out

    def _a_foreign_key(self, data: st.DataObject, schema: str) -> tuple[str, Con] | None:
        """A third of the time, a foreign key of `schema` (a referenced table with a second unique key and a
        referrer are made first when there is none): (referrer, its key), or None."""
        if data.draw(st.integers(0, 2), label="a foreign key") != 0:
            return None
        if not self._foreign_keys(schema):
            key = data.draw(st.sampled_from(["fk key", "Fk Target"]), label="referenced")
            self.make_missing(CreateTable(schema, key, (Column("id", "integer"), Column("k", "integer")),
                                          (PrimaryKey(("id",)), Unique(suffixed(key, "_k"), ("k",)))),
                              CreateTable(schema, suffixed(key, " ref"), (Column("x", "integer"),),
                                          (ForeignKey(suffixed(key, "_fk"), ("x",), schema, key, ("id",)),)))
        keys = self._foreign_keys(schema)
        return data.draw(st.sampled_from(keys), label="foreign key") if keys else None

    def _change_a_referrer(self, data: st.DataObject, schema: str, referrer: str, key: Con) -> bool:
        """On the branch: the foreign key re-pointed at another unique key of the table it references (DROP and
        ADD under its name in one statement), or a column added to the referrer. True if re-pointed."""
        cat = self.model.db.catalog
        target, t = cat.table(schema, key.ref[1] if key.ref else ""), cat.table(schema, referrer)
        if target is None or t is None or key.ref is None:
            return False
        types = [c.type for n in key.columns if (c := t.col(n)) is not None]
        others = [k.columns for k in target.constraints if k.kind in ("primary_key", "unique")
                  and k.columns != key.ref[2]
                  and [c.type for n in k.columns if (c := target.col(n)) is not None] == types]
        if len(others) > 0 and data.draw(st.booleans(), label="re-point"):
            cols = data.draw(st.sampled_from(others), label="other key")
            op = AlterTable(schema, referrer, (DropConstraint(key.name), AddConstraint(
                ForeignKey(key.name, key.columns, schema, key.ref[1], cols))))
            if predicted(self.model, op):
                self.run(op)
                return True
        fresh = next(n for n in ("on branch", "b2", "b3", "b4") if t.col(n) is None)
        add = AlterTable(schema, referrer, (AddColumn(Column(fresh, "integer")),))
        if predicted(self.model, add):
            self.run(add)
        return False

    def _an_index(self, data: st.DataObject, schema: str) -> tuple[str, str] | None:
        """A third of the time, a plain index of `schema` with an active row on c — half the time (and when there is
        none) one made now, named as PostgreSQL names its own (`<table>_<column>`, `strategies.ddl.derived_names`)
        or not: (index, its table), or None."""
        if data.draw(st.integers(0, 2), label="drop an index") != 0:
            return None

        def plain() -> list[tuple[str, str]]:
            return [(n, i.table) for (s, n), i in sorted(self.model.db.catalog.relations.items()) if s == schema
                    and isinstance(i, Index) and i.constraint is None and i.of is None
                    and self.model.active_row("INDEX", schema, n) is not None]

        if not plain() or data.draw(st.booleans(), label="a new index"):
            tables = [(n, t) for n in strategies.tracked_tables(self.model, schema)
                      if (t := self.model.db.catalog.table(schema, n)) is not None and t.columns
                      and t.partition_by is None and t.parent is None]
            if len(tables) > 0:
                table, t = data.draw(st.sampled_from(tables), label="indexed")
                col = data.draw(st.sampled_from([c.name for c in t.columns]), label="column")
                name = data.draw(st.sampled_from([*derived_names(table, col), "i1"]), label="index name")
                op = CreateIndex(schema, name, table, (col,))
                if self.model.db.catalog.rel(schema, name) is None and predicted(self.model, op):
                    self.run(op)
                    if (name, table) in plain():
                        return name, table
        found = plain()
        return data.draw(st.sampled_from(found), label="index") if found else None

    def _drop_an_index(self, schema: str, index: tuple[str, str] | None) -> str | None:
        """On the branch, DROP INDEX of the index `_an_index` chose; its table, or None."""
        if index is None:
            return None
        drop = DropIndex(schema, index[0])
        if not predicted(self.model, drop):
            return None
        self.run(drop)
        return index[1]

    def _widen_a_view(self, data: st.DataObject, schema: str) -> str | None:
        """Half the time, CREATE OR REPLACE of a view of `schema` with one more column of its source (a new
        definition: ALTER, V10); the view's source, or None."""
        cat = self.model.db.catalog
        views = [(n, v, t) for (s, n), v in sorted(cat.relations.items()) if s == schema and isinstance(v, View)
                 and v.source_schema is None and (t := cat.table(schema, v.source)) is not None
                 and len(t.columns) > len(v.columns)]
        if not views or not data.draw(st.booleans(), label="widen a view"):
            return None
        name, v, t = data.draw(st.sampled_from(views), label="view")
        extra = next((c.name for c in t.columns if c.name not in {n for n, _ in v.columns}), None)
        if extra is None:
            return None
        op = CreateView(schema, name, v.source, (*(n for n, _ in v.columns), extra), True)
        if predicted(self.model, op):
            self.run(op)
        return v.source

    @rule(data=st.data())
    def commit(self, data: st.DataObject) -> None:
        """One to three create_commit / commit_changes calls with hostile text, custom ids and messages at C1/C7's
        length limits and bad branches (C1–C7); calls that follow each other mostly name the same branch, so
        parents and heads chain (C2, C8)."""
        for _ in range(data.draw(st.integers(1, 3), label="commits")):
            self.run(data.draw(strategies.commit_ops(self.model, recent=self.recent), label="commit"))

    @rule(data=st.data())
    def more_commits(self, data: st.DataObject) -> None:
        """Commits again: this machine's own area (C), so it weighs as much as the DDL rules it inherits."""
        self.commit(data)


class BranchesCommitsMachine(SchemaRules, BranchRules):
    """Branches & commits machine: B1–B11, C1–C8, V4, B8 with DDL on the current branch, and merges (M1–M6)."""

    # Scope decisions the checks carry out rather than cite: B9 (one catalog), C5 (parent_ids always NULL),
    # M2 (what a merge may assume), M6 (unspecified), and V4 (B8's check).
    RULES = (*span("B1", "B8"), "B10", "B11", *span("C1", "C4"), *span("C6", "C8"), "M1", *span("M3", "M5"))

    @rule(name=strategies.branch_names(valid=False))
    def create_branch_with_invalid_name(self, name: str | None) -> None:
        """B3: NULL, '', a character outside [A-Za-z0-9._/#-], or over 255 characters: rejected, nothing changes."""
        self.run(CreateBranch(name, self.model.c))

    @rule(data=st.data())
    def conflicting_changes_then_merge(self, data: st.DataObject) -> None:
        """M3: a table changed on a new branch and differently on its parent is a conflict when merged back: it
        is reported (M5) and the parent's row stays as it is. The changes touch no COLUMN or INDEX row, so the
        catalog both branches share stays within B9. With no table on the current branch, one is created first."""
        parent = self.model.c
        if not strategies.tracked_tables(self.model, self.schema):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
            if not strategies.tracked_tables(self.model, self.schema):
                return  # PostgreSQL refused that CREATE TABLE
        table = data.draw(st.sampled_from(strategies.tracked_tables(self.model, self.schema)), label="table")
        name = data.draw(strategies.branch_names().filter(lambda n: n not in self.model.db.branches), label="name")
        self.run(CreateBranch(name, parent))
        self.run(CheckoutBranch(name))
        self.run(data.draw(strategies.table_changes(self.model, self.schema, table), label="change on branch"))
        theirs = self.model.active_row("TABLE", self.schema, table)
        assert theirs is not None, "table_changes never drops the table on the branch side"
        self.run(CheckoutBranch(parent))
        self.run(data.draw(strategies.table_changes(self.model, self.schema, table, drop=True, unlike=(
            theirs.version, theirs.major, theirs.minor, theirs.patch)), label="change on parent"))
        self.run(MergeBranches(name, parent, "Merge branch"))

    @rule(data=st.data())
    def merge(self, data: st.DataObject) -> None:
        """merge_branches of a branch into its parent with changes on one side, both, or in conflict; or into
        itself, or with unknown names (M1–M6)."""
        self.run(data.draw(strategies.merge_ops(self.model, recent=self.recent), label="merge"))
