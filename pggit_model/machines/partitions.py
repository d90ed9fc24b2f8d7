"""Partitions machine (second model, contract §14.1 V22–V25, V28; H8, H12): a partitioned table with partitions
and an inheritance parent with a child, built on demand; parent-level statements that PostgreSQL applies to every
descendant (V25); CREATE … PARTITION OF, ATTACH / DETACH PARTITION, INHERITS, [NO] INHERIT, DROP of a partition
and of the partitioned table; renames of a hierarchy's members, followed by identity (R3a, R6); hashes around
propagation and of what each statement made (H8, H12); `show_table_versions` lists partitions and children (V28).
The whole state (O1, O2) is compared after every step, so every descendant's rows are checked.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model.machines.versioning import VersioningRules
from pggit_model.model.catalog import Catalog, Index, Table
from pggit_model.ops import (
    AttachPartition,
    Column,
    ComputeDdlHash,
    CreateChild,
    CreatePartition,
    CreatePartitioned,
    CreateTable,
    DetachPartition,
    DetectChangesByHash,
    DropTable,
    GetVersion,
    RenameRelation,
    SetInherit,
    SetSearchPath,
    ShowTableVersions,
    UpdateAllHashes,
)
from pggit_model.strategies.partitions import (
    PARTITION_NAMES,
    bound_for,
    children_of,
    loose_tables,
    parent_changes,
    partitioned,
)
from pggit_model.strategies.values import suffixed

M, P, C = "m", "p", "c"
#: H8: the kinds compute_ddl_hash is asked for (a MATERIALIZED_VIEW's hash is NULL)
_HASHED = ("TABLE", "INDEX", "VIEW", "FUNCTION", "MATERIALIZED_VIEW")


def place(cat: Catalog, schema: str, name: str) -> str:
    """A relation's place in a hierarchy (H8: PostgreSQL's relkind differs, 'p' / 'I' for the partitioned ones): a
    partitioned table or index, a partition or partition index, a child, or a plain one."""
    r = cat.rel(schema, name)
    if isinstance(r, Index):
        t = cat.table(schema, r.table)
        return "partitioned" if t is not None and t.partition_by else "attached" if r.of else "plain"
    if isinstance(r, Table):
        return "partitioned" if r.partition_by else "partition" if r.bound is not None else \
            "child" if r.parent else "plain"
    return "plain"


class PartitionsMachine(VersioningRules):
    """V22–V25 and V28 on the main branch, autocommit: hierarchies built on demand, then changed from the top."""

    RULES = ("V22", "V23", "V24q", "V24r", "V24s", "V24t", "V24u", "V24v", "V24w", "V24x", "V25", "V28", "H8",
             "H12", "B12")

    def _cat(self) -> Catalog:
        return self.model.db.catalog

    def _ensure_partitioned(self, data: st.DataObject) -> None:
        """V24q, V24r: `m` partitioned by RANGE or LIST on k, with two partitions (built when missing)."""
        if self._cat().table(self.schema, M) is None:
            strategy = data.draw(st.sampled_from(["RANGE", "LIST"]), label="strategy")
            self.run(CreatePartitioned(self.schema, M, (Column("k", "integer", True), Column("v", "text")),
                                       strategy, "k"))
        t = self._cat().table(self.schema, M)
        if t is None or t.partition_by is None:
            return
        for i, name in enumerate(PARTITION_NAMES[:2]):
            if self._cat().rel(self.schema, name) is None:
                how, values = bound_for(t.partition_by[0], i)
                self.run(CreatePartition(self.schema, name, M, how, values))
        self.harness.stats.rules.update(("V22",))

    def _ensure_inheritance(self) -> None:
        """V24w: `p` (a, b) with a child `c` (x) inheriting both (built when missing)."""
        if self._cat().table(self.schema, P) is None:
            self.run(CreateTable(self.schema, P, (Column("a", "integer"), Column("b", "text"))))
        if self._cat().rel(self.schema, C) is None and self._cat().table(self.schema, P) is not None:
            self.run(CreateChild(self.schema, C, P, (Column("x", "integer"),)))

    def _built(self, data: st.DataObject, which: str) -> bool:
        """`m` (with its partitions) or `p` (with its child) built when missing; whether the parent is there."""
        if which == M:
            self._ensure_partitioned(data)
        else:
            self._ensure_inheritance()
        return self._cat().table(self.schema, which) is not None

    def _look(self, names: list[str]) -> None:
        """V28: show_table_versions lists partitions and children; get_version of each descendant."""
        if self.model.session.search_path != (self.schema,):
            self.run(SetSearchPath((self.schema,)))
        self.run(ShowTableVersions(self.schema))
        for n in names[:3]:
            self.run(GetVersion(f"{self.schema}.{n}"))
        self.harness.stats.rules.update(("V28",))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), which=st.sampled_from([M, P]))
    def change_a_parent(self, data: st.DataObject, which: str) -> None:
        """V25 (R3b, V10 rows on a parent): one parent-level statement — ADD / DROP / RENAME COLUMN, TYPE, NOT
        NULL, DEFAULT, CHECK, PRIMARY KEY / UNIQUE, CREATE / DROP INDEX — recorded on every descendant whose
        structure changed, one change each; then the version API on the descendants."""
        if not self._built(data, which):
            return
        before = self.model.db.rows
        self.run(data.draw(parent_changes(self.model, self.schema, which), label="change"))
        self._look(children_of(self.model, self.schema, which))
        if data.draw(st.booleans(), label="hash what changed"):
            self._hash_each_kind(data, before, touched_only=True)
        self.harness.stats.rules.update(("V25", "V23", "B12"))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def detach_then_attach(self, data: st.DataObject) -> None:
        """V24t then V24s: DETACH PARTITION (the partition records MINOR, m nothing) and ATTACH back under a drawn
        bound (MAJOR; an overlapping bound is refused, 42P17); its indexes are detached and attached again."""
        self._ensure_partitioned(data)
        kids = children_of(self.model, self.schema, M)
        if kids:
            x = data.draw(st.sampled_from(kids), label="partition")
            self.run(DetachPartition(self.schema, M, x))
        self._attach_one(data)

    def _attach_one(self, data: st.DataObject) -> None:
        t = self._cat().table(self.schema, M)
        loose = [n for n, _ in loose_tables(self.model, self.schema) if n not in (P, C)]
        if t is None or t.partition_by is None or not loose:
            return
        x = data.draw(st.sampled_from(loose), label="table")
        how, values = bound_for(t.partition_by[0], data.draw(st.one_of(st.integers(0, 5), st.none()), label="slot"))
        self.run(AttachPartition(self.schema, M, x, how, values))
        self._look([x])

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def add_a_partition(self, data: st.DataObject) -> None:
        """V24r: CREATE TABLE … PARTITION OF (its columns and the indexes cloned from m's are created; m records
        nothing); a bound taken by another partition is refused (42P17)."""
        self._ensure_partitioned(data)
        t = self._cat().table(self.schema, M)
        if t is None or t.partition_by is None:
            return
        name = data.draw(st.sampled_from(PARTITION_NAMES), label="name")
        how, values = bound_for(t.partition_by[0], data.draw(st.one_of(st.integers(0, 5), st.none()), label="slot"))
        before = self.model.db.rows
        self.run(CreatePartition(self.schema, name, M, how, values))
        self._look([name])
        if data.draw(st.booleans(), label="hash what changed"):
            self._hash_each_kind(data, before, touched_only=True)

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def inherit_or_not(self, data: st.DataObject) -> None:
        """V24x: ALTER TABLE c NO INHERIT p, or INHERIT p again (MINOR each; p records nothing). INHERIT makes c
        declare the columns it inherits (B12), so propagation into it is outside the model from then on."""
        self._ensure_inheritance()
        c = self._cat().table(self.schema, C)
        if c is None or self._cat().table(self.schema, P) is None:
            return
        self.run(SetInherit(self.schema, C, P, c.parent is None))
        self._look([C])

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), what=st.sampled_from(["partition", "partitioned", "parent", "child"]))
    def drop_in_a_hierarchy(self, data: st.DataObject, what: str) -> None:
        """V24u: DROP TABLE of a partition (m records nothing); V24v: of m (every partition dropped with its
        columns and indexes); an inheritance parent needs CASCADE (2BP01), which drops its child too."""
        if what in ("partition", "partitioned"):
            self._ensure_partitioned(data)
            kids = children_of(self.model, self.schema, M)
            name = data.draw(st.sampled_from(kids), label="partition") if what == "partition" and kids else M
            self.run(DropTable(self.schema, name))
        else:
            self._ensure_inheritance()
            self.run(DropTable(self.schema, P if what == "parent" else C, cascade=data.draw(st.booleans(),
                                                                                           label="cascade")))
        self._look([])

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def hashes_around_propagation(self, data: st.DataObject) -> None:
        """H8, H12: after update_all_hashes, a parent-level change makes detect_changes_by_hash report exactly the
        tables (and indexes) it changed, partitions and children included; partitions hash like tables."""
        self._ensure_partitioned(data)
        self.run(UpdateAllHashes())
        kids = children_of(self.model, self.schema, M)
        if kids:
            self.run(ComputeDdlHash("TABLE", self.schema, kids[0]))
        if self._cat().table(self.schema, M) is not None:
            before = self.model.db.rows
            self.run(data.draw(parent_changes(self.model, self.schema, M), label="change"))
            self._hash_each_kind(data, before)
        self.run(DetectChangesByHash())
        self.harness.stats.rules.update(("H8", "H12"))

    def _hash_each_kind(self, data: st.DataObject, before: Any, touched_only: bool = False) -> None:
        """H8's observation: compute_ddl_hash of one object of each kind with rows on c — what the last statement
        created or changed when it touched that kind (a partitioned index and the partition indexes it made, the
        descendants it altered), else (unless `touched_only`) any, drawn."""
        rows = self.model.db.rows
        for kind in _HASHED:
            keys = sorted({k[:3] for k in rows if k[0] == kind and k[1] == self.schema and k[3] == self.model.c})
            touched = [k for k in keys if before.get((*k, self.model.c)) != rows.get((*k, self.model.c))]
            if touched or (keys and not touched_only):
                pool = touched or keys
                # each place in a hierarchy as often as the others (a partitioned index among the partition indexes
                # it made was one of many, and a smoke run hashed none, H8)
                places = {k: place(self._cat(), k[1], k[2]) for k in pool}
                if len(set(places.values())) > 1:
                    where = data.draw(st.sampled_from(sorted(set(places.values()))), label=f"hashed {kind} place")
                    pool = [k for k in pool if places[k] == where]
                _, s, name = data.draw(st.sampled_from(pool), label=f"hashed {kind}")
                self.run(ComputeDdlHash(kind, s, name))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), which=st.sampled_from([M, P]))
    def rename_in_a_hierarchy(self, data: st.DataObject, which: str) -> None:
        """R3a, R6, V20: a parent, partition or child renamed; a parent-level change then reaches every descendant
        by identity (V25), the renamed one included, and the name may go back (R3a both ways)."""
        if not self._built(data, which):
            return
        old = data.draw(st.sampled_from([which, *children_of(self.model, self.schema, which)]), label="renamed")
        new = data.draw(st.sampled_from([f"{old}_old", "Renamed Part", suffixed(old, "_2")]), label="new name")
        self.run(RenameRelation("TABLE", self.schema, old, new))
        parent = new if old == which and self._cat().table(self.schema, new) is not None else which
        if self._cat().table(self.schema, parent) is not None:
            self.run(data.draw(parent_changes(self.model, self.schema, parent), label="change"))
            self._look(children_of(self.model, self.schema, parent))
        if self._cat().rel(self.schema, new) is not None and data.draw(st.booleans(), label="back"):
            self.run(RenameRelation("TABLE", self.schema, new, old))
        self.harness.stats.rules.update(("V25",))

    @precondition(lambda self: not self.model.aborted and bool(partitioned(self.model, self.schema)))
    @rule(data=st.data())
    def loose_table_to_attach(self, data: st.DataObject) -> None:
        """V24s: a plain table with m's columns (sometimes one NOT NULL short: 42804) attached as a partition."""
        t = self._cat().table(self.schema, M)
        name = data.draw(st.sampled_from(["x_new", "Loose"]), label="name")
        if t is None or self._cat().rel(self.schema, name) is not None:
            return
        drop_nn = data.draw(st.booleans(), label="nullable")
        cols = tuple(Column(c.name, c.type, c.not_null and not drop_nn, None) for c in t.columns)
        self.run(CreateTable(self.schema, name, cols))
        self._attach_one(data)
