"""Cascades machine (second model, contract §14.1 V26 and §14.6 X13): DDL in the machine's schema interleaved with
drops that cascade into other tables — DROP TABLE / DROP COLUMN / DROP CONSTRAINT … CASCADE into foreign keys and
views, DROP TABLE a, b, DROP SCHEMA … CASCADE into a table of the machine's schema — and with statements that run
outside a transaction block: CREATE / DROP INDEX CONCURRENTLY, REINDEX [CONCURRENTLY], storage parameters, and a
UNIQUE build over duplicate rows that fails and leaves an INVALID index (V24n).

Clone isolation: CONCURRENTLY needs an autocommit session outside any transaction block (B12), which rollback
isolation's outer transaction would not give. Each cascade is bracketed by H4's component hashes of the table that
loses a foreign key (H12), each storage-parameter change by the index's hash (H11).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model import backend, strategies
from pggit_model.machines.versioning import VersioningRules
from pggit_model.model.catalog import Table
from pggit_model.ops import (
    AlterTable,
    CheckoutBranch,
    Column,
    ComputeDdlHash,
    ComputeTableComponentHashes,
    CreateBranch,
    CreateIndex,
    CreateIndexConcurrently,
    CreateSchema,
    CreateTable,
    CreateView,
    DeleteRows,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropIndexConcurrently,
    DropSchema,
    DropTable,
    DropTables,
    DropView,
    ForeignKey,
    GetVersion,
    InsertRows,
    Op,
    PrimaryKey,
    Reindex,
    RenameRelation,
    SetSearchPath,
    SetStatistics,
    SetStorage,
    Unique,
    Untracked,
)
from pggit_model.ops.partitions import AttachPartition, CreatePartition, CreatePartitioned, DetachPartition
from pggit_model.strategies.cascades import VALUES
from pggit_model.strategies.common import predicted
from pggit_model.strategies.partitions import bound_for, children_of
from pggit_model.strategies.renames import SCHEMA_POOL

#: partitions of the partitioned table `m` that DETACH … CONCURRENTLY draws from (one needing quotes, N1): the
#: partitions machine's names, so what the example registry knows of pgGit's partitions applies here too
_PARTS = ("m_p0", "Part 3")
#: (parent, child, view) names: plain and needing quotes (N1)
_FAMILIES = (("p", "ch", "pv"), ("Parent", "child 1", "parent view"))


class CascadesMachine(VersioningRules):
    """V26 rows a–c, g–i, N4 and X13 / V24m, o, p on the main branch, in autocommit (clone isolation)."""

    isolation = "clone"
    RULES = ("V26a", "V26b", "V26c", "V26g", "V26h", "V26i", "V15", "N4", "V24m", "V24o", "V24p", "X13", "H11",
             "H12", "V24t", "V20", "R3c", "V24n")

    def _ok(self, op: Op, *rules: str) -> bool:
        """Run `op`; count `rules` as checked when PostgreSQL accepted it (the model predicted the same)."""
        done = self.run(op)
        ok = done is not None and done.status == "ok"
        self.harness.stats.rules.update(rules if ok else ("V15",))
        return ok

    def _family(self, data: st.DataObject) -> tuple[str, str, str] | None:
        """A parent with a primary key and a UNIQUE key, a child with a foreign key into each and a view over the
        parent, created where missing; None when a name is taken by something else."""
        s, cat = self.schema, self.model.db.catalog
        parent, child, view = data.draw(st.sampled_from(_FAMILIES), label="family")
        if cat.rel(s, parent) is None:
            self.run(CreateTable(s, parent, (Column("id", "integer"), Column("code", "integer")),
                                 (PrimaryKey(("id",)), Unique(f"{parent}_code_key", ("code",)))))
        if self.model.db.catalog.rel(s, child) is None and self.model.db.catalog.table(s, parent) is not None:
            cols = (Column("id", "integer"), Column("pid", "integer"), Column("pcode", "integer"))
            self.run(CreateTable(s, child, cols,
                                 (ForeignKey(f"{child}_pid_fkey", ("pid",), s, parent, ("id",)),
                                  ForeignKey(f"{child}_pcode_fkey", ("pcode",), s, parent, ("code",)))))
        if self.model.db.catalog.rel(s, view) is None and self.model.db.catalog.table(s, parent) is not None:
            self.run(CreateView(s, view, parent, ("id", "code")))
        cat = self.model.db.catalog
        if cat.table(s, parent) is None or cat.table(s, child) is None:
            return None
        return parent, child, view

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), cascade=st.booleans(),
          how=st.sampled_from(["DROP TABLE", "DROP COLUMN", "DROP CONSTRAINT", "DROP TABLE a, b", "DROP VIEW"]))
    def drop_with_dependents(self, data: st.DataObject, cascade: bool, how: str) -> None:
        """V26a–c, g, h, V15, H12: a drop whose object other tables' foreign keys or views depend on. With CASCADE
        the referencing table loses its foreign key and records one ALTER MINOR (its H4 constraints hash changes);
        without it PostgreSQL refuses (2BP01) and nothing is recorded. DROP TABLE p, ch needs no CASCADE."""
        fam = self._family(data)
        if fam is None:
            return
        parent, child, view = fam
        s = self.schema
        t = self.model.db.catalog.table(s, parent)
        assert t is not None
        self.run(ComputeTableComponentHashes(s, child))
        if how == "DROP TABLE":
            self._ok(DropTable(s, parent, cascade=cascade), "V26a", "H12")
        elif how == "DROP COLUMN":
            col = data.draw(st.sampled_from(["code", "id"]), label="column")
            self._ok(AlterTable(s, parent, (DropColumn(col, cascade=cascade),)), "V26b", "H12")
        elif how == "DROP CONSTRAINT" and t.constraints:
            name = data.draw(st.sampled_from([k.name for k in t.constraints]), label="constraint")
            self._ok(AlterTable(s, parent, (DropConstraint(name, cascade=cascade),)), "V26c", "H12")
        elif how == "DROP TABLE a, b":
            self._ok(DropTables(s, (parent, child), cascade=cascade), "V26h")
        elif self.model.db.catalog.rel(s, view) is not None:
            if self.model.db.catalog.rel(s, f"{view} 2") is None:  # a view over the view
                self.run(CreateView(s, f"{view} 2", view, ("id",)))
            self._ok(DropView(s, view, cascade=cascade), "V26g")
        if self.model.db.catalog.table(s, child) is not None:
            self.run(ComputeTableComponentHashes(s, child))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), cascade=st.booleans())
    def drop_a_schema_others_depend_on(self, data: st.DataObject, cascade: bool) -> None:
        """V26i, N4: a table of the machine's schema has a foreign key into a table of another schema; DROP SCHEMA
        … CASCADE drops that schema's objects and the foreign key (the table records ALTER MINOR); without CASCADE
        PostgreSQL refuses and nothing is recorded."""
        other = data.draw(st.sampled_from(SCHEMA_POOL), label="schema")
        s, cat = self.schema, self.model.db.catalog
        if other not in cat.schemas:
            self.run(CreateSchema(other))
        if other not in self.model.db.catalog.schemas:
            return
        if self.model.db.catalog.rel(other, "a") is None:
            self.run(CreateTable(other, "a", (Column("id", "integer"),), (PrimaryKey(("id",)),)))
        name = data.draw(st.sampled_from(["x", "refs other"]), label="table")
        if self.model.db.catalog.rel(s, name) is None and self.model.db.catalog.table(other, "a") is not None:
            self.run(CreateTable(s, name, (Column("id", "integer"), Column("a_id", "integer")),
                                 (ForeignKey(f"{name}_a_fkey", ("a_id",), other, "a", ("id",)),)))
        self._ok(DropSchema(other, cascade=cascade), "V26i", "N4")
        if self.model.session.search_path != (s,):
            self.run(SetSearchPath((s,)))
        self.run(GetVersion(f"{other}.a"))

    def _gone_without_a_row(self, table: str, column: str) -> None:
        """B9 x U3: an index of `table` that another branch made (c has no row for it) and drift then dropped on c:
        its identity is gone unreported beside the ones REINDEX … CONCURRENTLY replaces, and the healing that
        continues a replaced index's identity (V20) must count only identities c has a row for (mutation blind
        spot `080_renames.sql:where:f0600288c6:3`)."""
        here, side = self.model.c, "side-branch"
        if self.model.in_transaction or self.model.db.catalog.rel(self.schema, "side index") is not None:
            return
        if side not in self.model.db.branches:
            self.run(CreateBranch(side))
        self.run(CheckoutBranch(side))
        if self.model.c != side:
            return
        self.run(CreateIndex(self.schema, "side index", table, (column,)))
        self.run(CheckoutBranch(here))
        if self.model.c == here and self.model.db.catalog.rel(self.schema, "side index") is not None:
            triggers = backend.event_triggers(self.driver.client.conn)
            drop = DropIndex(self.schema, "side index")
            self.run(Untracked(drop, "replica") if backend.replica_silences(triggers) else
                     Untracked(drop, "disable", backend.firing(triggers)))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), unique=st.booleans(), reindex=st.sampled_from([None, "INDEX", "TABLE", "SCHEMA"]),
          concurrently=st.sampled_from([True, True, False]))
    def index_concurrently(self, data: st.DataObject, unique: bool, reindex: str | None, concurrently: bool) -> None:
        """V24m, V24o, X13: CREATE INDEX CONCURRENTLY creates the INDEX row and records its table PATCH; REINDEX
        (CONCURRENTLY, two times in three, gives the index a new OID, B20) records nothing, and a rename after it
        is a key change of the same index (V20, R3c); DROP INDEX CONCURRENTLY — which PostgreSQL
        refuses (0A000) when ddl_command_start assigned a transaction id — drops it, the table PATCH again."""
        if not strategies.tracked_tables(self.model, self.schema, empty=True):
            self.run(data.draw(strategies.new_tables_with_a_column(self.model, self.schema), label="table"))
        tables = [n for n in strategies.tracked_tables(self.model, self.schema, empty=True)
                  if (t := self.model.db.catalog.table(self.schema, n)) is not None and t.columns]
        if not tables:
            return
        name = data.draw(st.sampled_from(tables), label="table")
        t = self.model.db.catalog.table(self.schema, name)
        assert t is not None
        col = data.draw(st.sampled_from([c.name for c in t.columns]), label="column")
        index = data.draw(st.sampled_from(["cic", "Concurrent Index"]), label="index")
        if self.model.db.catalog.rel(self.schema, index) is not None:
            return
        self._ok(CreateIndexConcurrently(self.schema, index, name, (col,), unique), "V24m", "X13")
        if reindex == "TABLE" and concurrently:
            self._gone_without_a_row(name, col)
        if reindex is not None:
            which = None if reindex == "SCHEMA" else index if reindex == "INDEX" else name
            # CONCURRENTLY gives every index it rebuilds a new OID, unreported (B20): the replacement continues
            # the index's identity (V20), so the rename below is still a key change
            self._ok(Reindex(reindex, self.schema, which, concurrently), "V24o", "X13")
        renamed = f"{index} 2"
        # the follow-up on the index a REINDEX just rebuilt (a new OID under CONCURRENTLY) three times in four: a
        # rename is where a lost identity shows (V20), and at one in two with CONCURRENTLY one in two, a smoke run
        # renamed no replaced index under some seeds (issue 18 part 3)
        rename = data.draw(st.integers(0, 3), label="rename") > 0 if reindex is not None else \
            data.draw(st.booleans(), label="rename")
        if rename and self.model.db.catalog.rel(self.schema, renamed) is None \
                and self._ok(RenameRelation("INDEX", self.schema, index, renamed), "R3c", "V20"):
            index = renamed
        self._ok(DropIndexConcurrently(self.schema, index), "V24m", "X13")

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), concurrently=st.sampled_from([True, True, False]),
          reindex=st.sampled_from([None, "INDEX", "TABLE", "SCHEMA"]), reindex_concurrently=st.booleans(),
          then=st.sampled_from(["drop", "drop concurrently", "delete first", "leave"]))
    def unique_over_duplicates(self, data: st.DataObject, concurrently: bool, reindex: str | None,
                               reindex_concurrently: bool, then: str) -> None:
        """V24n, X13(c): rows with duplicates (drawn from few values), then CREATE UNIQUE INDEX [CONCURRENTLY] over
        them: 23505; the concurrent build leaves an INVALID index, which has no row. REINDEX of it fails again
        (CONCURRENTLY on a table or schema skips it) and its DROP INDEX [CONCURRENTLY] records nothing, on its
        table neither. Mostly the rows and the index go at the end: a table with rows admits only the statements
        the model predicts on rows, so the other rules would skip it."""
        s, name = self.schema, "dups"
        if self.model.db.catalog.rel(s, name) is None:
            self.run(CreateTable(s, name, (Column("k", "integer"), Column("v", "integer"))))
        if not isinstance(self.model.db.catalog.rel(s, name), Table):
            return
        n = data.draw(st.integers(2, 5), label="rows")
        rows: tuple[tuple[int | None, ...], ...] = tuple((data.draw(VALUES, label="k"), data.draw(VALUES, label="v"))
                                                         for _ in range(n))
        if data.draw(st.integers(0, 3), label="rows all distinct") < 3:
            # a row without NULLs twice, so duplicates on every column list, three times in four (and what it shrinks
            # to): from few values alone, a smoke run's UNIQUE builds found duplicates once in 11, and the INVALID
            # index (the point of the rule) came once
            twice: tuple[int | None, ...] = tuple(0 if v is None else v for v in rows[0])  # (NULLs never clash)
            rows += (twice, twice)
        self.run(InsertRows(s, name, ("k", "v"), rows))
        cols = data.draw(st.sampled_from([("k",), ("v",), ("k", "v")]), label="columns")
        index = data.draw(st.sampled_from(["dups_u", "Dups U"]), label="index")
        build = CreateIndexConcurrently(s, index, name, cols, True) if concurrently else \
            CreateIndex(s, index, name, cols, True)
        self.run(ComputeTableComponentHashes(s, name))
        done = self.run(build)
        if done is not None and done.status == "error":
            self.harness.stats.rules.update(("V24n", "X13") if concurrently else ("V15",))
        self.run(ComputeTableComponentHashes(s, name))  # (an INVALID index is no part of indexes_hash, H4)
        if data.draw(st.integers(0, 3), label="another index") > 0 and self.model.db.catalog.rel(s, "dups_k") is None:
            # a sync of the table beside its INVALID index, which still gets no row (V24n)
            self._ok(CreateIndex(s, "dups_k", name, ("k",)), "V24n")
            self.run(DropIndex(s, "dups_k"))
        if reindex is not None and self.model.db.catalog.rel(s, index) is not None:
            which = None if reindex == "SCHEMA" else index if reindex == "INDEX" else name
            self.run(Reindex(reindex, s, which, reindex_concurrently))
        if then == "leave":
            return
        if then == "delete first":
            self.run(DeleteRows(s, name))
        if self.model.db.catalog.rel(s, index) is not None:
            self._ok(DropIndexConcurrently(s, index) if then == "drop concurrently" else DropIndex(s, index), "V24n")
        self.run(DeleteRows(s, name))
        self.run(GetVersion(f"{s}.{name}"))

    @precondition(lambda self: not self.model.aborted and bool(strategies.tracked_tables(self.model, self.schema)))
    @rule(data=st.data(), fillfactor=st.sampled_from([None, 10, 70]))
    def storage_parameters(self, data: st.DataObject, fillfactor: int | None) -> None:
        """V24p, H11: ALTER INDEX … SET/RESET (fillfactor), ALTER TABLE … SET (fillfactor) and SET STATISTICS record
        nothing; the index's hash changes with its storage parameters, its table's component hashes do not."""
        # a table whose storage parameters the model predicts when there is one (not a partition or a child, §12):
        # a smoke run spent its one SET (fillfactor) of an index on a partition, skipped as unspecified
        tables = strategies.tracked_tables(self.model, self.schema)
        modelled = [n for n in tables if predicted(self.model, SetStorage("TABLE", self.schema, n, 70))]
        name = data.draw(st.sampled_from(modelled or tables), label="table")
        t = self.model.db.catalog.table(self.schema, name)
        assert t is not None

        def plain(t: Table) -> list[str]:  # indexes no constraint owns: those are in the table's structure (V23)
            return [i for i in t.indexes if getattr(self.model.db.catalog.rel(self.schema, i), "constraint", 1) is None]

        if not plain(t) and t.columns and self.model.db.catalog.rel(self.schema, "ff idx") is None:
            self.run(CreateIndex(self.schema, "ff idx", name, (t.columns[0].name,)))
            t = self.model.db.catalog.table(self.schema, name)
            assert t is not None
        if t.indexes:
            index = data.draw(st.sampled_from(plain(t) or list(t.indexes)), label="index")
            self.run(ComputeDdlHash("INDEX", self.schema, index))
            self._ok(SetStorage("INDEX", self.schema, index, fillfactor), "V24p")
            self.run(ComputeDdlHash("INDEX", self.schema, index))
            self.harness.stats.rules.update(("H11",))
        self.run(ComputeTableComponentHashes(self.schema, name))
        self._ok(SetStorage("TABLE", self.schema, name, fillfactor), "V24p")
        if t.columns:
            col = data.draw(st.sampled_from([c.name for c in t.columns]), label="column")
            self._ok(SetStatistics(self.schema, name, col, data.draw(st.sampled_from([-1, 0, 100]))), "V24p")
        self.run(ComputeTableComponentHashes(self.schema, name))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), with_default=st.booleans())
    def detach_concurrently(self, data: st.DataObject, with_default: bool) -> None:
        """V24t, X13, A52: ALTER TABLE m DETACH PARTITION x CONCURRENTLY (autocommit) records x MINOR — PostgreSQL
        adds a CHECK equal to the old bound unless x's constraints imply it — and m nothing; with a default
        partition it is refused (55000). x is attached back under a drawn bound, so a later detach meets its CHECK."""
        s, m = self.schema, "m"
        if self.model.db.catalog.rel(s, m) is None:
            strategy = data.draw(st.sampled_from(["RANGE", "LIST"]), label="strategy")
            self.run(CreatePartitioned(s, m, (Column("k", "integer", True), Column("v", "text")), strategy, "k"))
        t = self.model.db.catalog.table(s, m)
        if t is None or t.partition_by is None:
            return
        for i, name in enumerate(_PARTS):
            if self.model.db.catalog.rel(s, name) is None:
                self.run(CreatePartition(s, name, m, *bound_for(t.partition_by[0], i)))
        if with_default and self.model.db.catalog.rel(s, "m_def") is None:
            self.run(CreatePartition(s, "m_def", m, "DEFAULT"))
        elif not with_default and self.model.db.catalog.rel(s, "m_def") is not None:
            self.run(DropTable(s, "m_def"))
        kids = [k for k in children_of(self.model, s, m) if k in _PARTS]
        if kids:
            self._ok(DetachPartition(s, m, data.draw(st.sampled_from(kids), label="partition"), True), "V24t", "X13")
        loose = [n for n in _PARTS if (x := self.model.db.catalog.table(s, n)) is not None and x.parent is None]
        if loose:
            x = data.draw(st.sampled_from(loose), label="attach")
            slot = data.draw(st.integers(0, 3), label="slot")
            self.run(AttachPartition(s, m, x, *bound_for(t.partition_by[0], slot)))
            self.run(GetVersion(f"{s}.{x}"))
