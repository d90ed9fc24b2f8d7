"""Dependents machine (second model, contract §14.1 V26d–f, V27, V15): tables that use enum types, domains,
sequences and functions — a column of the type, a default calling the function or `nextval` of the sequence, a
generated column, a CHECK, an expression index, a view — and DROP TYPE / DOMAIN / SEQUENCE / FUNCTION with and
without CASCADE. A cascade takes those parts away from tables PostgreSQL reports only in `sql_drop` (B6); each table
that survives records one ALTER at the highest severity of its losses, bracketed by its H4 component hashes (H12).

Its own tables and names only (`strategies/dependents.py`): the first model's draws know no column of a user type.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from pggit_model.machines.reuse import ReuseRules
from pggit_model.model.catalog_values import Table
from pggit_model.ops import (
    USES,
    Column,
    ComputeTableComponentHashes,
    CreateCallingView,
    CreateFunction,
    CreateTable,
    CreateUsable,
    CreateView,
    DropFunction,
    DropTable,
    DropUsable,
    GetHistory,
    GetVersion,
    Op,
    PrimaryKey,
    SetSearchPath,
    ShowTableVersions,
    UseInTable,
)
from pggit_model.strategies.dependents import FUNCTIONS, PARTS, POOL_OF, SEQUENCES, TABLES, TYPES, VIEWS, creates


class DependentsMachine(ReuseRules):
    """V26d–f, V27, V15, H12 on the main branch."""

    RULES = ("V26d", "V26e", "V26f", "V27", "V15", "H12")

    def _ok(self, op: Op, *rules: str) -> bool:
        """Run `op`; count `rules` as checked when PostgreSQL accepted it (the model predicted the same)."""
        done = self.run(op)
        ok = done is not None and done.status == "ok"
        self.harness.stats.rules.update(rules if ok else ("V15",))
        return ok

    def _table(self, data: st.DataObject) -> str:
        """A table of `TABLES`, created (with a primary key) if missing."""
        name = data.draw(st.sampled_from(TABLES), label="table")
        if self.model.db.catalog.rel(self.schema, name) is None:
            self.run(CreateTable(self.schema, name, (Column("id", "integer"),), (PrimaryKey(("id",)),)))
        return name

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), what=st.sampled_from(["ENUM", "DOMAIN", "SEQUENCE", "FUNCTION"]))
    def create_usable(self, data: st.DataObject, what: str) -> None:
        """V27: CREATE TYPE … AS ENUM / DOMAIN / SEQUENCE record nothing; a function (no arguments) is CREATE (V10b).
        A name taken is refused (42710 for a type's, 42P07 for a relation's)."""
        if what == "FUNCTION":
            body = data.draw(st.integers(-1, 2), label="body")
            self.run(CreateFunction(self.schema, data.draw(st.sampled_from(FUNCTIONS), label="name"), (), body,
                                    data.draw(st.booleans(), label="or replace")))
        else:
            self._ok(CreateUsable(what, self.schema, data.draw(creates(what), label="name")), "V27")

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), how=st.sampled_from(sorted(USES)))
    def use_it(self, data: st.DataObject, how: str) -> None:
        """A table starts to use a type, sequence or function (its own V10 row records it); the object is created
        first unless it exists, most of the time. Now and then a view over the new column (V26d: it goes with
        the column) or a view calling the function (V26e)."""
        self._use(data, how)

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), how=st.sampled_from(sorted(USES)), cascade=st.sampled_from([True, True, False]))
    def use_then_drop(self, data: st.DataObject, how: str, cascade: bool) -> None:
        """V26d–f at once: a use, then the DROP of what it uses (mostly with CASCADE), so every kind of use meets
        its cascade within a few steps."""
        if (used := self._use(data, how)) is not None:
            self._drop(data, {"type": "TYPE", "sequence": "SEQUENCE", "function": "FUNCTION"}[USES[how]], used,
                       cascade, False)

    def _use(self, data: st.DataObject, how: str) -> str | None:
        """Run a use of kind `how`; the used object's name when PostgreSQL accepted it."""
        s, kind = self.schema, USES[how]
        used = data.draw(st.sampled_from(POOL_OF[kind]), label="used")
        if self._missing(kind, used) and data.draw(st.integers(0, 4), label="create it") > 0:
            if kind == "function":
                self.run(CreateFunction(s, used, (), 1))
            else:
                what = "SEQUENCE" if kind == "sequence" else data.draw(st.sampled_from(["ENUM", "DOMAIN"]))
                self.run(CreateUsable(what, s, used))
        table = self._table(data)
        part = data.draw(st.sampled_from(PARTS), label="part")
        if not self._ok(UseInTable(how, s, table, part, s, used), "V10"):
            return None
        view = data.draw(st.sampled_from(VIEWS), label="view")
        if self.model.db.catalog.rel(s, view) is not None or not data.draw(st.booleans(), label="a view"):
            return used
        if how in ("column", "default", "nextval", "generated"):
            self.run(CreateView(s, view, table, (part,)))
        else:
            self.run(CreateCallingView(s, view, s, used))
        return used

    def _missing(self, kind: str, name: str) -> bool:
        if kind == "function":
            return (self.schema, f"{name}()") not in self.model.db.catalog.functions
        u = self.model.db.catalog.usables.get((self.schema, name))
        return u is None or (u.what == "SEQUENCE") != (kind == "sequence")

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data(), keyword=st.sampled_from(["TYPE", "DOMAIN", "SEQUENCE", "FUNCTION"]),
          cascade=st.booleans(), if_exists=st.booleans())
    def drop_used(self, data: st.DataObject, keyword: str, cascade: bool, if_exists: bool) -> None:
        """V26d (DROP TYPE / DOMAIN), V26e (DROP FUNCTION), V26f (DROP SEQUENCE) … CASCADE: every table that used
        the object loses the parts that used it and records one ALTER at the highest severity (a column MAJOR, a
        CHECK MINOR, a default or an index PATCH), its H4 hashes changing with it (H12); views using it go. Without
        CASCADE a used object is refused (2BP01, V15); an unused one goes recording nothing (V27)."""
        pool = SEQUENCES if keyword == "SEQUENCE" else FUNCTIONS if keyword == "FUNCTION" else TYPES
        kind = "sequence" if keyword == "SEQUENCE" else "function" if keyword == "FUNCTION" else "type"
        there = [n for n in pool if not self._missing(kind, n)]
        # mostly one that exists (so cascades are common), now and then either name (missing: 42704/42P01/42883)
        pick: list[str] = there if there and data.draw(st.integers(0, 3), label="any") > 0 else list(pool)
        self._drop(data, keyword, data.draw(st.sampled_from(pick), label="name"), cascade, if_exists)

    def _drop(self, data: st.DataObject, keyword: str, name: str, cascade: bool, if_exists: bool) -> None:
        """DROP keyword name, bracketed by the H4 hashes of the tables that may use it (H12)."""
        s, cat = self.schema, self.model.db.catalog
        users = [t for t in TABLES if isinstance(cat.rel(s, t), Table)]
        for t in users:
            self.run(ComputeTableComponentHashes(s, t))
        if keyword == "FUNCTION":
            op: Op = DropFunction(s, name, (), if_exists, cascade)
        else:
            op = DropUsable(keyword, s, name, if_exists, cascade)
        before = self.model.db
        if self._ok(op):
            changed = any(r.version != before.rows[k].version for k, r in self.model.db.rows.items()
                          if k[0] == "TABLE" and k in before.rows)
            rule_id = {"SEQUENCE": "V26f", "FUNCTION": "V26e"}.get(keyword, "V26d")
            self.harness.stats.rules.update((rule_id, "H12") if changed else ("V27",))
        for t in users:
            if isinstance(self.model.db.catalog.rel(s, t), Table):
                self.run(ComputeTableComponentHashes(s, t))

    @precondition(lambda self: not self.model.aborted)
    @rule(data=st.data())
    def read_or_drop_a_table(self, data: st.DataObject) -> None:
        """V17–V19 on a table the cascades changed; now and then the table goes (a later use creates it again,
        V14's new life)."""
        table = data.draw(st.sampled_from(TABLES), label="table")
        how = data.draw(st.sampled_from(["version", "history", "tables", "drop"]), label="how")
        if how in ("version", "history") and self.model.session.search_path != (self.schema,):
            self.run(SetSearchPath((self.schema,)))  # a name not found is looked up again in public (I5)
        if how == "version":
            self.run(GetVersion(f"{self.schema}.{table}"))
        elif how == "history":
            self.run(GetHistory(f"{self.schema}.{table}", 5))
        elif how == "tables":
            self.run(ShowTableVersions(self.schema))
        else:
            self.run(DropTable(self.schema, table, True, data.draw(st.booleans(), label="cascade")))
