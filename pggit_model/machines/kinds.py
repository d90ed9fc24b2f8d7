"""Kinds machine (second model, contract §14.1): tables made by queries (SELECT INTO, LIKE), identity and generated
columns, EXCLUDE constraints, NOT VALID foreign keys and VALIDATE CONSTRAINT, materialized views with their
indexes, and statements that record nothing (V27) — in the machine's schema and in a schema whose name needs
quoting, interleaved with the version API and the hash functions.

Exercises V22–V24 (rows a, c, d, f–l, p, y–ab), V27, V28, H8, H9, H11 and, on a branch, M9. The observation (O1,
O2) covers the machine's schema; the quoted schema's rows are checked through get_version / get_history.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model import strategies
from pggit_model.machines.versioning import VersioningRules
from pggit_model.model.catalog_values import MatView, Table
from pggit_model.ops import (
    AddForeignKeyNotValid,
    AddIdentity,
    CheckoutBranch,
    Column,
    ComputeDdlHash,
    CreateBranch,
    CreateIndex,
    CreateMatView,
    CreateSchema,
    CreateTable,
    DetectChangesByHash,
    DropIdentity,
    DropMatView,
    ForeignKey,
    GetHistory,
    GetVersion,
    MergeBranches,
    Op,
    PrimaryKey,
    Quiet,
    RefreshMatView,
    RestartIdentity,
    SetGenerated,
    SetSearchPath,
    SetStatistics,
    SetStorage,
    ShowTableVersions,
    UpdateAllHashes,
    ValidateConstraint,
)
from pggit_model.strategies.common import relations_of
from pggit_model.strategies.ddl import kinds_ops

#: the other schema of the machine: its name needs quoting (N1, V21)
QUOTED_SCHEMA = "Kinds Schéma"
#: the identity walk's statements: (AddIdentity | SetGenerated | DropIdentity, always)
_IDENTITY_STEPS = st.lists(st.tuples(st.sampled_from(["add", "set", "drop"]), st.booleans()), min_size=1, max_size=4)


class KindsMachine(VersioningRules):
    """V22–V24, V27, V28, H8, H9, H11, M9 on the main branch (and one branch for M9), autocommit."""

    RULES = ("V22", "V23", "V24a", "V24c", "V24d", "V24f", "V24g", "V24h", "V24i", "V24j", "V24k", "V24l", "V24p",
             "V24y", "V24z", "V24aa", "V24ab", "V27", "V28", "H8", "H9", "H11", "M9")

    def _table(self, data: st.DataObject, schema: str) -> str | None:
        """A tracked table of `schema`, created first (with an integer NOT NULL column) when there is none."""
        tables = strategies.tracked_tables(self.model, schema)
        if not tables:
            name = data.draw(st.sampled_from(["k1", "Order Items"]), label="table")
            if self.model.db.catalog.rel(schema, name) is None:
                self.run(CreateTable(schema, name, (Column("id", "integer", True), Column("note", "text"))))
            tables = strategies.tracked_tables(self.model, schema)
        return data.draw(st.sampled_from(tables), label="table") if tables else None

    def _look(self, schema: str, name: str) -> None:
        """V17/V18 (V28 for a materialized view): get_version and get_history of one key; H1/H9 its hash too when it
        is a table, so every identity or generation step is hashed (the model knows which structures hash alike:
        H2), not only the one statement `hashes_around_kinds` brackets."""
        if self.model.session.search_path != (self.schema,):
            self.run(SetSearchPath((self.schema,)))
        self.run(GetVersion(f"{schema}.{name}"))
        self.run(GetHistory(f"{schema}.{name}", 5))
        if isinstance(self.model.db.catalog.rel(schema, name), Table):
            self.run(ComputeDdlHash("TABLE", schema, name))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def kinds_statement(self, data: st.DataObject) -> None:
        """V24, V27: one §14.1 statement (some rejected on purpose) on a table of the machine's schema, then the
        version of the table it names."""
        if self._table(data, self.schema) is None:
            return
        op = data.draw(kinds_ops(self.model, self.schema), label="kinds")
        self.run(op)
        target = getattr(op, "table", None) or getattr(op, "name", None)
        if target is not None and not self.model.aborted:
            self._look(self.schema, str(target))
        self.harness.stats.rules.update(("V22", "V23"))  # every O1/O2 check after it compares V23's structure

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), steps=_IDENTITY_STEPS)
    def identity_walk(self, data: st.DataObject, steps: list[tuple[str, bool]]) -> None:
        """V24g (every row of its severity table), V27 (SET GENERATED to the current kind, DROP IDENTITY IF
        EXISTS without one): identity statements on one NOT NULL integer column, then the table's history."""
        cat = self.model.db.catalog

        def walkable(table: str) -> list[str]:
            t = cat.table(self.schema, table)
            return [c.name for c in t.columns if c.type in ("integer", "bigint", "smallint") and c.not_null
                    and c.default is None and c.generated is None] if t is not None else []

        name = self._table(data, self.schema)
        if name is not None and not walkable(name):  # another table that has such a column, if one does
            name = next(iter(sorted(n for n in strategies.tracked_tables(self.model, self.schema) if walkable(n))),
                        name)
        cols = walkable(name) if name is not None else []
        if name is None or not cols:
            return
        col = data.draw(st.sampled_from(cols), label="column")
        for how, always in steps:
            t = self.model.db.catalog.table(self.schema, name)  # (the model's state moves with every step)
            now = next((c.identity for c in t.columns if c.name == col), None) if t is not None else None
            if data.draw(st.booleans(), label="a change of kind"):
                # half the steps change the kind the column has now (V24g's table row by row: add, ALWAYS <-> BY
                # DEFAULT, drop), rather than a statement drawn blind, which on the wrong state only fails or
                # does nothing: lifting an ALWAYS identity came about in some runs not at all
                how = "add" if now is None else "drop" if how == "drop" else "set"
                always = now != "ALWAYS" if how == "set" else always
            op: Op = (AddIdentity(self.schema, name, col, always) if how == "add"
                      else SetGenerated(self.schema, name, col, always) if how == "set"
                      else DropIdentity(self.schema, name, col, always))
            self.run(op)
        self._look(self.schema, name)

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), with_data=st.booleans(), unique=st.booleans())
    def matview_life(self, data: st.DataObject, with_data: bool, unique: bool) -> None:
        """V24y, z, aa, ab, V28: a materialized view over a table is created, refreshed, indexed (the view records
        ALTER PATCH), refreshed again (also CONCURRENTLY: A71) and looked up like a view, and show_table_versions
        does not list it; sometimes dropped with its index."""
        name = self._table(data, self.schema)
        t = self.model.db.catalog.table(self.schema, name) if name is not None else None
        if name is None or t is None or not t.columns:
            return
        mv = data.draw(st.sampled_from(["mv1", "Sales MV", "select"]), label="mv")
        if self.model.db.catalog.rel(self.schema, mv) is None:
            self.run(CreateMatView(self.schema, mv, name, (t.columns[0].name,), with_data))
        r = self.model.db.catalog.rel(self.schema, mv)
        if not isinstance(r, MatView):
            return
        self.run(RefreshMatView(self.schema, mv))
        index = f"{mv} idx"
        if self.model.db.catalog.rel(self.schema, index) is None:
            self.run(CreateIndex(self.schema, index, mv, (r.columns[0][0],), unique))
        # A71: with a unique index (and data, else 0A000) CONCURRENTLY runs nested DDL on two pg_temp tables (V1)
        self.run(RefreshMatView(self.schema, mv, data.draw(st.booleans(), label="concurrently")))
        self._look(self.schema, mv)
        self.run(ShowTableVersions(self.schema))
        self.harness.stats.rules.update(("V22", "V28"))
        if data.draw(st.booleans(), label="drop"):
            self.run(DropMatView(self.schema, mv))
            self._look(self.schema, mv)

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def not_valid_then_validate(self, data: st.DataObject) -> None:
        """V24c, V24d: a foreign key added NOT VALID is its table's ALTER MAJOR (the referenced table records
        nothing); VALIDATE CONSTRAINT then records nothing."""
        name = self._table(data, self.schema)
        t = self.model.db.catalog.table(self.schema, name) if name is not None else None
        if t is None or name is None:
            return
        if self.model.db.catalog.rel(self.schema, "kp") is None:
            self.run(CreateTable(self.schema, "kp", (Column("id", "integer", True),), (PrimaryKey(("id",)),)))
        cols = [c.name for c in t.columns if c.type == "integer"]
        if not cols or not isinstance(self.model.db.catalog.rel(self.schema, "kp"), Table):
            return
        fk = data.draw(st.sampled_from(["fk_kp", "Fk KP"]), label="constraint")
        if t.con(fk) is None:
            col = data.draw(st.sampled_from(cols), label="column")
            self.run(AddForeignKeyNotValid(self.schema, name, ForeignKey(fk, (col,), self.schema, "kp", ("id",))))
        self.run(ValidateConstraint(self.schema, name, fk))
        self._look(self.schema, name)

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def statements_that_record_nothing(self, data: st.DataObject) -> None:
        """V27, V24h, V24o, V24p, V24z: index and table storage parameters, statistics targets, GRANT / REVOKE,
        ANALYZE, REFRESH, identity RESTART and SET GENERATED to the current kind record nothing."""
        name = self._table(data, self.schema)
        t = self.model.db.catalog.table(self.schema, name) if name is not None else None
        if t is None or name is None or not t.columns:
            return
        if not t.indexes:
            index = data.draw(st.sampled_from(["kinds_i", "Kinds Idx"]), label="index")
            if self.model.db.catalog.rel(self.schema, index) is not None:
                return
            self.run(CreateIndex(self.schema, index, name, (t.columns[0].name,)))
            t = self.model.db.catalog.table(self.schema, name)
            if t is None or not t.indexes:
                return
        quiet: list[Op] = [
            SetStorage("INDEX", self.schema, t.indexes[0], data.draw(st.integers(10, 100), label="ff")),
            SetStorage("INDEX", self.schema, t.indexes[0], None),
            SetStatistics(self.schema, name, t.columns[0].name, 10), SetStorage("TABLE", self.schema, name, 70),
            Quiet("GRANT", self.schema, name), Quiet("REVOKE", self.schema, name), Quiet("ANALYZE", self.schema, name),
            *[RefreshMatView(self.schema, mv, c) for mv in relations_of(self.model, self.schema, MatView)[:1]
              for c in (False, True)],
            *[op for c in t.columns if c.identity for op in (RestartIdentity(self.schema, name, c.name, 7),
                                                              SetGenerated(self.schema, name, c.name,
                                                                           c.identity == "ALWAYS"))],
        ]
        for op in data.draw(st.lists(st.sampled_from(quiet), min_size=1, max_size=3), label="quiet"):
            self.run(op)

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def hashes_around_kinds(self, data: st.DataObject) -> None:
        """H8, H9, H11: a hash baseline, one §14.1 statement, then detect_changes_by_hash (has_changed only where S
        changed: not for REFRESH, VALIDATE, identity-sequence options, GRANT; yes for an index's SET (…));
        compute_ddl_hash of a materialized view is NULL and of an identity or generated column's table follows
        its kind."""
        name = self._table(data, self.schema)
        if name is None:
            return
        self.run(UpdateAllHashes())
        self.run(data.draw(kinds_ops(self.model, self.schema, invalid=0.0), label="kinds"))
        self.run(DetectChangesByHash())
        for mv in relations_of(self.model, self.schema, MatView)[:1]:
            self.run(ComputeDdlHash("MATERIALIZED_VIEW", self.schema, mv))
        if isinstance(self.model.db.catalog.rel(self.schema, name), Table):
            self.run(ComputeDdlHash("TABLE", self.schema, name))
        self.harness.stats.rules.update(("H8", "H9", "H11"))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def kinds_in_a_quoted_schema(self, data: st.DataObject) -> None:
        """N1, V21 with V24: §14.1 statements in a schema whose name needs quoting, looked up by its catalog
        spelling."""
        if QUOTED_SCHEMA not in self.model.db.catalog.schemas:
            self.run(CreateSchema(QUOTED_SCHEMA))
        if self._table(data, QUOTED_SCHEMA) is None:
            return
        op = data.draw(kinds_ops(self.model, QUOTED_SCHEMA), label="kinds")
        self.run(op)
        target = getattr(op, "table", None) or getattr(op, "name", None)
        if target is not None and not self.model.aborted:
            self._look(QUOTED_SCHEMA, str(target))

    @precondition(lambda self: not self.model.aborted and self.model.c == "main")
    @rule(data=st.data())
    def matview_on_a_branch_merged(self, data: st.DataObject) -> None:
        """M9: a materialized view created on a branch merges into main like any row."""
        name = self._table(data, self.schema)
        t = self.model.db.catalog.table(self.schema, name) if name is not None else None
        if name is None or t is None or not t.columns:
            return
        branch = data.draw(st.sampled_from(["kinds/mv", "kinds/mv2"]), label="branch")
        self.run(CreateBranch(branch))
        self.run(CheckoutBranch(branch))
        mv = data.draw(st.sampled_from(["mv_b", "Branch MV"]), label="mv")
        if self.model.db.catalog.rel(self.schema, mv) is None:
            self.run(CreateMatView(self.schema, mv, name, (t.columns[0].name,)))
        self.run(CheckoutBranch("main"))
        self.run(MergeBranches(branch, "main"))
        self._look(self.schema, mv)
        self.harness.stats.rules.update(("M9",))
