"""The scratch copy of the catalog one DDL statement edits, and how a statement fails.

A handler works on a `Work` (mutable, for one statement) and either returns the V10 rule it followed —
`Work.freeze` then makes the new frozen catalog — or raises `Fail` with what PostgreSQL does instead:
`reject(...)` (an error the model predicts) or `unknown(...)` (outside the model, §12).
"""

from __future__ import annotations

from typing import Any

from attrs import evolve

from pggit_model.model.catalog_values import (
    Applied,
    Catalog,
    Con,
    Function,
    Index,
    MatView,
    ObjKey,
    Rejected,
    Relation,
    Table,
    Unknown,
    Usable,
    View,
    index_matches,
    odd_array_name,
)

#: (schema, table, constraint name) of a foreign key
FkKey = tuple[str, str, str]


def fk_text(fk: FkKey) -> str:
    return ".".join(fk)


class UnhandledOp(TypeError):
    """An op, ALTER subcommand or constraint class the model has no handler for: a programming error, not a
    prediction. tests/test_completeness.py lists everything a new class needs."""

    def __init__(self, what: object, table: str, module: str) -> None:
        super().__init__(f"the model has no handler for {type(what).__name__}: add one to {table} in "
                         f"pggit_model/model/{module}.py (tests/test_completeness.py lists what else it needs)")


def handler_for(table: dict[type, Any], what: object, name: str, module: str) -> Any:
    """`table[type(what)]`, or UnhandledOp naming the table to add it to."""
    found = table.get(type(what))
    if found is None:
        raise UnhandledOp(what, name, module)
    return found


class Fail(Exception):
    """Raised by a handler: the statement does not apply; `outcome` says what PostgreSQL does instead."""

    def __init__(self, outcome: Rejected | Unknown) -> None:
        self.outcome = outcome


def reject(code: str | tuple[str, ...], why: str, rule: str = "X4") -> Fail:
    """PostgreSQL rejects the statement with `code` (one SQLSTATE, or any of several)."""
    return Fail(Rejected((code,) if isinstance(code, str) else code, rule, why))


def unknown(rule: str, why: str) -> Fail:
    """What PostgreSQL does is outside the model (`rule`: usually §12); machines avoid such statements."""
    return Fail(Unknown(rule, why))


# --- the working copy a statement edits --------------------------------------------------------------


class Work:
    """Mutable scratch space for one statement; frozen into an Applied at the end."""

    def __init__(self, catalog: Catalog) -> None:
        self.base = catalog
        self.rels: dict[tuple[str, str], Relation | None] = {}
        self.funcs: dict[tuple[str, str], Function | None] = {}
        self.usables: dict[tuple[str, str], Usable | None] = {}  # §14.1 V26d-f (catalog_dependents)
        self.created: list[ObjKey] = []
        self.dropped: list[ObjKey] = []
        self.altered: list[tuple[str, str]] = []
        self.replaced: list[ObjKey] = []
        self.touched: list[ObjKey] = []
        self.renamed: list[tuple[ObjKey, ObjKey]] = []
        self.forced: list[tuple[str, str, str, str]] = []
        self.schemas: frozenset[str] | None = None  # CREATE/DROP/ALTER SCHEMA (§14.3)

    def rel(self, schema: str, name: str) -> Relation | None:
        key = (schema, name)
        return self.rels[key] if key in self.rels else self.base.relations.get(key)

    def put(self, schema: str, name: str, r: Relation | None) -> None:
        self.rels[(schema, name)] = r

    def usable(self, schema: str, name: str) -> Usable | None:
        """The enum type, domain or sequence `schema.name` (§14.1 V26d-f), if there is one."""
        key = (schema, name)
        return self.usables[key] if key in self.usables else self.base.usables.get(key)

    def relations_in(self, schema: str) -> list[tuple[str, Relation]]:
        names = {n for (s, n) in self.base.relations if s == schema} | {n for (s, n) in self.rels if s == schema}
        out = []
        for n in sorted(names):
            r = self.rel(schema, n)
            if r is not None:
                out.append((n, r))
        return out

    def names_taken(self, schema: str, table: str, t: Table) -> set[str]:
        """Relation and constraint names of `schema` as they are now (`t`: the table being changed)."""
        taken: set[str] = {k.name for k in t.constraints}
        for n, r in self.relations_in(schema):
            taken.add(n)
            if isinstance(r, Table) and n != table:
                taken.update(k.name for k in r.constraints)
        return taken

    def touch(self, schema: str, table: str) -> None:
        if (schema, table) not in self.altered:
            self.altered.append((schema, table))

    def freeze(self, rule: str) -> Applied:
        rels = self.base.relations
        if self.rels:
            rels = rels.drop(*[k for k, v in self.rels.items() if v is None]).merge(
                [(k, v) for k, v in self.rels.items() if v is not None])
        funcs = self.base.functions
        if self.funcs:
            funcs = funcs.drop(*[k for k, v in self.funcs.items() if v is None]).merge(
                [(k, v) for k, v in self.funcs.items() if v is not None])
        cat = evolve(self.base, relations=rels, functions=funcs)
        if self.usables:  # §14.1 V26d-f
            cat = evolve(cat, usables=cat.usables.drop(*[k for k, v in self.usables.items() if v is None]).merge(
                [(k, v) for k, v in self.usables.items() if v is not None]))
        odd = _odd_arrays(self.base, cat, self.rels)
        if odd != cat.odd_arrays:
            cat = evolve(cat, odd_arrays=odd)
        if self.schemas is not None:
            cat = evolve(cat, schemas=self.schemas)
        return Applied(cat, tuple(self.created), tuple(self.dropped), tuple(self.altered), tuple(self.replaced),
                       rule, tuple(self.touched), tuple(self.renamed), tuple(self.forced))

    # dependency walking

    def views_on(self, schema: str, source: str, columns: set[str] | None = None) -> list[tuple[str, str]]:
        """(schema, name) of the views and materialized views (§14.1) selecting from `schema.source` (only those
        using one of `columns`), in every schema: a view in s2 may read s1.t, created so or after a move (N5, N6,
        N7); PostgreSQL's dependencies do not stop at a schema."""
        out = []
        for key in sorted({k for k in (*self.base.relations, *self.rels)}):
            r = self.rel(*key)
            if not isinstance(r, View | MatView) or (r.source_schema or key[0], r.source) != (schema, source):
                continue
            read = r.read_columns()  # (R3h)
            if columns is None or any(c in columns for c in read):
                out.append(key)
        return out

    def drop_view_tree(self, keys: list[tuple[str, str]], cascade: bool, what: str) -> None:
        """Drop the views and materialized views `keys` (schema, name) with everything that reads them, in any
        schema (V26a, V26g); without CASCADE, 2BP01 if there is any."""
        if keys and not cascade:
            raise reject("2BP01", f"view {keys[0][1]!r} depends on {what}; PostgreSQL needs CASCADE")
        for vs, v in keys:
            r = self.rel(vs, v)
            if r is None:
                continue
            self.drop_view_tree(self.views_on(vs, v), cascade, f"view {v!r}")
            if isinstance(r, MatView):  # V24ab: with its indexes
                for i in r.indexes:
                    self.put(vs, i, None)
                    self.dropped.append(("INDEX", vs, i))
            self.put(vs, v, None)
            self.dropped.append(("MATERIALIZED_VIEW" if isinstance(r, MatView) else "VIEW", vs, v))

    def fk_dependents(self, schema: str, table: str, removed: set[str]) -> list[FkKey]:
        """Foreign keys (on any table) that rely on a unique index of schema.table being removed."""
        t = self.rel(schema, table)
        assert isinstance(t, Table)
        blocked = []
        for s, n, r in self.all_tables():
            for k in r.constraints:
                if k.kind != "foreign_key" or k.ref is None or (k.ref[0], k.ref[1]) != (schema, table):
                    continue
                cands = [i for i in t.indexes if index_matches(self.rel(schema, i), k.ref[2])]
                if any(i in removed for i in cands):
                    if all(i in removed for i in cands):
                        blocked.append((s, n, k.name))
                    else:
                        raise unknown("§12", "a foreign key has several candidate unique indexes; which one "
                                              "PostgreSQL depends on is not modelled")
        return blocked

    def all_tables(self) -> list[tuple[str, str, Table]]:
        out = []
        for s in sorted(self.base.schemas):
            for n, r in self.relations_in(s):
                if isinstance(r, Table):
                    out.append((s, n, r))
        return out

    def referencing_fks(self, schema: str, table: str) -> list[FkKey]:
        return [(s, n, k.name) for s, n, r in self.all_tables() if (s, n) != (schema, table)
                for k in r.constraints if k.kind == "foreign_key" and k.ref and (k.ref[0], k.ref[1]) == (schema, table)]

    def cascade_fks(self, fks: list[FkKey]) -> None:
        """V26: CASCADE drops these foreign keys of other tables; each such table is altered (one ALTER at the
        highest severity of its losses, V9) and needs an active row on c (B12)."""
        for s, n, name in fks:
            t = self.rel(s, n)
            if isinstance(t, Table) and t.con(name) is not None:
                self.put(s, n, evolve(t, constraints=tuple(k for k in t.constraints if k.name != name)))
                self.touch(s, n)



# --- edits shared by several statements -------------------------------------------------------------


def source_schema_of(w: Work, op: Any) -> str:
    """The schema a CREATE [MATERIALIZED] VIEW reads from (N7: perhaps another than its own). Unknown for one the
    model does not own: it knows nothing of what is there (public's demo objects, pgGit's own schema: I5, V1)."""
    src = op.source_schema or op.schema
    if src != op.schema and src not in w.base.schemas:
        raise unknown("I5", f"a view reading schema {src!r}, which the model does not own")
    return src


def set_col(t: Table, name: str, **changes: Any) -> Table:
    """`t` with column `name` changed."""
    return evolve(t, columns=tuple(evolve(c, **changes) if c.name == name else c for c in t.columns))


def drop_constraints(w: Work, s: str, tname: str, t: Table, cons: list[Con], cascade: bool) -> Table:
    """`t` without `cons`, and without the indexes its UNIQUE/PRIMARY KEY constraints own."""
    owned = {k.name for k in cons if k.kind in ("unique", "primary_key", "exclude")}  # EXCLUDE: V24l
    names = {k.name for k in cons}
    if owned and (fks := [f for f in w.fk_dependents(s, tname, owned) if f not in {(s, tname, n) for n in names}]):
        if not cascade:
            raise reject("2BP01", f"constraint {fk_text(fks[0])} depends on index {sorted(owned)[0]!r}")
        # V26b/c: the foreign keys go too; the table's own (self-referencing) ones are part of its change
        names |= {k for (s2, n2, k) in fks if (s2, n2) == (s, tname)}
        w.cascade_fks([f for f in fks if (f[0], f[1]) != (s, tname)])
    for i in owned:
        w.put(s, i, None)
        w.dropped.append(("INDEX", s, i))
    return evolve(t, constraints=tuple(k for k in t.constraints if k.name not in names),
                  indexes=tuple(i for i in t.indexes if i not in owned))


def drop_index(w: Work, s: str, tname: str, t: Table, iname: str, cascade: bool) -> Table:
    """`t` without index `iname` (dropped from the catalog too), unless a foreign key relies on it."""
    if iname not in t.indexes:  # already gone with its constraint
        return t
    idx = w.rel(s, iname)
    assert isinstance(idx, Index)
    if idx.unique and idx.constraint is None and (fks := w.fk_dependents(s, tname, {iname})):
        if not cascade:
            raise reject("2BP01", f"constraint {fk_text(fks[0])} depends on index {iname!r}")
        w.cascade_fks([f for f in fks if (f[0], f[1]) != (s, tname)])  # V26: other tables' foreign keys go
        own = {k for (s2, n2, k) in fks if (s2, n2) == (s, tname)}
        t = evolve(t, constraints=tuple(k for k in t.constraints if k.name not in own))
    w.put(s, iname, None)
    w.dropped.append(("INDEX", s, iname))
    return evolve(t, indexes=tuple(i for i in t.indexes if i != iname))


def _odd_arrays(base: Catalog, cat: Catalog, rels: dict[tuple[str, str], Relation | None]) -> frozenset:
    """`Catalog.odd_arrays` after a statement: a relation that got its name (created, renamed) while an
    odd-named relation is in its schema may have an irregular array name, and so may every relation of a schema an
    odd-named one arrives in (PostgreSQL prepends underscores to a clashing array type's name). Moves of these
    are unknown (model.catalog._guard_array_types), so none carries its array elsewhere. Conservative: more is
    left open, nothing is predicted wrong."""
    odd = base.odd_arrays - {k for k, v in rels.items() if v is None}
    arrivals = [k for k, v in rels.items() if v is not None and not isinstance(v, Index) and k not in base.relations]
    if not arrivals:  # most statements: the catalog is not walked
        return odd
    more = set(odd)
    for s, n in arrivals:
        same = {k for k, v in cat.relations.items() if k[0] == s and not isinstance(v, Index)}
        if odd_array_name(n):
            more |= same
        elif any(odd_array_name(k[1]) for k in same if k != (s, n)):
            more.add((s, n))
    return frozenset(more)
