"""The real PostgreSQL catalog of the modelled schemas, and what each DDL op does to it.

All branches share this one catalog (B9). `apply_ddl(catalog, op)` returns `Applied` (the new catalog and
the tracked objects PostgreSQL created, dropped or changed), `Rejected` (the SQLSTATEs PostgreSQL may
raise) or `Unknown` (outside what the model predicts exactly; machines avoid it).

Defaults are kept as PostgreSQL renders them (`pg_get_expr`): a literal keeps the type it was written
with, and an implicit cast added later (ALTER TYPE) is not shown, so a default's rendering never changes
after it was set.
"""

from __future__ import annotations

from typing import Any

from attrs import evolve, frozen

from pggit_model.model.fmap import EMPTY, FrozenMap
from pggit_model.model.memo import by_identity
from pggit_model.ops import ddl
from pggit_model.ops.types import assignment_cast, base_type, category

ObjKey = tuple[str, str, str]  # (object_type, schema_name, object_name) — the contract's object key
DefaultExpr = tuple[Any, ...]  # ("int", 5) | ("bool", True) | ("str", "x", "text")


@frozen
class Col:
    name: str
    type: str
    not_null: bool = False
    default: DefaultExpr | None = None
    comment: str | None = None


@frozen
class Con:
    """A table constraint; `token` is how a positive CHECK renders its 0 ('?' once that is unsure)."""

    name: str
    kind: str
    columns: tuple[str, ...]
    test: str | None = None
    token: str | None = None
    ref: tuple[str, str, tuple[str, ...]] | None = None

    def definition(self) -> tuple[Any, ...]:
        """What `pg_get_constraintdef` shows: everything but the name (H4)."""
        return (self.kind, self.columns, self.test, self.token, self.ref)


@frozen
class Table:
    columns: tuple[Col, ...] = ()
    constraints: tuple[Con, ...] = ()
    indexes: tuple[str, ...] = ()  # names of every index on the table, constraint-owned ones included
    comment: str | None = None

    def col(self, name: str) -> Col | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    def con(self, name: str) -> Con | None:
        for k in self.constraints:
            if k.name == name:
                return k
        return None


@frozen
class Index:
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    constraint: str | None = None  # the UNIQUE/PRIMARY KEY constraint that owns it


@frozen
class View:
    source: str
    columns: tuple[tuple[str, str], ...]  # (name, type) in select-list order


@frozen
class Function:
    body: int


Relation = Table | Index | View


@frozen
class Catalog:
    """`schemas` are the schemas the model owns (it knows all they contain); `foreign` ones exist but
    hold objects the model does not know (pgGit's demo objects in public, I5)."""

    schemas: frozenset[str]
    foreign: frozenset[str] = frozenset({"public"})
    relations: FrozenMap[tuple[str, str], Relation] = EMPTY
    functions: FrozenMap[tuple[str, str], Function] = EMPTY

    def rel(self, schema: str, name: str) -> Relation | None:
        return self.relations.get((schema, name))

    def table(self, schema: str, name: str) -> Table | None:
        r = self.relations.get((schema, name))
        return r if isinstance(r, Table) else None


@frozen
class Applied:
    catalog: Catalog
    created: tuple[ObjKey, ...] = ()
    dropped: tuple[ObjKey, ...] = ()
    altered: tuple[tuple[str, str], ...] = ()  # tables whose V9a structure may have changed
    replaced: tuple[ObjKey, ...] = ()  # CREATE OR REPLACE of an existing view or function (V12)
    rule: str = "V10"
    touched: tuple[ObjKey, ...] = ()  # existing COLUMNs a subcommand or COMMENT targets (B9: need a row on c)


@frozen
class Rejected:
    sqlstates: tuple[str, ...]
    rule: str
    why: str


@frozen
class Unknown:
    rule: str
    why: str


Outcome = Applied | Rejected | Unknown


class _Fail(Exception):
    def __init__(self, outcome: Rejected | Unknown) -> None:
        self.outcome = outcome


def _reject(code: str | tuple[str, ...], why: str, rule: str = "X4") -> _Fail:
    return _Fail(Rejected((code,) if isinstance(code, str) else code, rule, why))


def _unknown(rule: str, why: str) -> _Fail:
    return _Fail(Unknown(rule, why))


# --- rendering helpers -------------------------------------------------------------------------------


def default_expr(value: ddl.Default, col_type: str) -> DefaultExpr | None:
    """How pg_get_expr renders a literal default written for a column of `col_type` (None: no default)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    return ("str", value, base_type(col_type))


def null_default(col_type: str) -> DefaultExpr | None:
    """`SET DEFAULT NULL`: PostgreSQL stores `NULL::<type>` for a type with a modifier (varchar(n),
    numeric(p,s), timestamp(p)), which pg_get_expr shows and H3 hashes; for other types nothing is stored.
    V10 counts it as no default either way (`table_shape` drops it)."""
    return ("null", base_type(col_type)) if "(" in col_type else None


def _literal_type(d: DefaultExpr) -> str:
    return {"int": "integer", "bool": "boolean"}.get(d[0]) or str(d[-1])


#: how the constant of `col > 0` is stored for each token: `(a > 0)`, `(a > (0)::numeric)`, …
_CHECK_CONSTANT = {"int": "integer", "numeric": "numeric", "float8": "double precision"}


def check_token(col_type: str) -> str | None:
    """How `col > 0` renders for a column of this type; None if PostgreSQL rejects it (42883)."""
    cat = category(col_type)
    return {"int": "int", "numeric": "numeric", "float": "float8"}.get(cat)


def _clip(name: str, max_bytes: int) -> str:
    out = name
    while len(out.encode("utf-8")) > max_bytes:
        out = out[:-1]
    return out


def choose_pkey_name(catalog: Catalog, schema: str, table: str, extra_taken: set[str]) -> str:
    """PostgreSQL's ChooseRelationName(table, NULL, 'pkey'): `<table>_pkey`, then `_pkey1`, … (63-byte limit),
    avoiding every relation name and every constraint name in the schema (PostgreSQL 15 ConstraintNameExists)."""
    taken = set(extra_taken)
    for (s, rel_name), r in catalog.relations.items():
        if s == schema:
            taken.add(rel_name)
            if isinstance(r, Table):
                taken.update(k.name for k in r.constraints)
    return _first_free_pkey_name(table, taken)


def _first_free_pkey_name(table: str, taken: set[str]) -> str:
    attempt = 0
    while True:
        label = "pkey" if attempt == 0 else f"pkey{attempt}"
        cand = f"{_clip(table, 63 - len(label) - 1)}_{label}"
        if cand not in taken:
            return cand
        attempt += 1


# --- the working copy a statement edits --------------------------------------------------------------


class _Work:
    """Mutable scratch space for one statement; frozen into an Applied at the end."""

    def __init__(self, catalog: Catalog) -> None:
        self.base = catalog
        self.rels: dict[tuple[str, str], Relation | None] = {}
        self.funcs: dict[tuple[str, str], Function | None] = {}
        self.created: list[ObjKey] = []
        self.dropped: list[ObjKey] = []
        self.altered: list[tuple[str, str]] = []
        self.replaced: list[ObjKey] = []
        self.touched: list[ObjKey] = []

    def rel(self, schema: str, name: str) -> Relation | None:
        key = (schema, name)
        return self.rels[key] if key in self.rels else self.base.relations.get(key)

    def put(self, schema: str, name: str, r: Relation | None) -> None:
        self.rels[(schema, name)] = r

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
        return Applied(cat, tuple(self.created), tuple(self.dropped), tuple(self.altered), tuple(self.replaced),
                       rule, tuple(self.touched))

    # dependency walking

    def views_on(self, schema: str, source: str, columns: set[str] | None = None) -> list[str]:
        """Views selecting from `source` (only those using one of `columns`, if given)."""
        out = []
        for n, r in self.relations_in(schema):
            if isinstance(r, View) and r.source == source and (
                    columns is None or any(c in columns for c, _ in r.columns)):
                out.append(n)
        return out

    def drop_view_tree(self, schema: str, names: list[str], cascade: bool, what: str) -> None:
        if names and not cascade:
            raise _reject("2BP01", f"view {names[0]!r} depends on {what}; PostgreSQL needs CASCADE")
        for v in names:
            if self.rel(schema, v) is None:
                continue
            self.drop_view_tree(schema, self.views_on(schema, v), cascade, f"view {v!r}")
            self.put(schema, v, None)
            self.dropped.append(("VIEW", schema, v))

    def fk_dependents(self, schema: str, table: str, removed: set[str]) -> list[str]:
        """Foreign keys (on any table) that rely on a unique index of schema.table being removed."""
        t = self.rel(schema, table)
        assert isinstance(t, Table)
        blocked = []
        for s, n, r in self._all_tables():
            for k in r.constraints:
                if k.kind != "foreign_key" or k.ref is None or (k.ref[0], k.ref[1]) != (schema, table):
                    continue
                cands = [i for i in t.indexes if _index_matches(self.rel(schema, i), k.ref[2])]
                if any(i in removed for i in cands):
                    if all(i in removed for i in cands):
                        blocked.append(f"{s}.{n}.{k.name}")
                    else:
                        raise _unknown("§12", "a foreign key has several candidate unique indexes; which one "
                                              "PostgreSQL depends on is not modelled")
        return blocked

    def _all_tables(self) -> list[tuple[str, str, Table]]:
        out = []
        for s in sorted(self.base.schemas):
            for n, r in self.relations_in(s):
                if isinstance(r, Table):
                    out.append((s, n, r))
        return out

    def referencing_fks(self, schema: str, table: str) -> list[str]:
        return [f"{s}.{n}.{k.name}" for s, n, r in self._all_tables() if (s, n) != (schema, table)
                for k in r.constraints if k.kind == "foreign_key" and k.ref and (k.ref[0], k.ref[1]) == (schema, table)]


def _index_matches(r: Relation | None, columns: tuple[str, ...]) -> bool:
    return isinstance(r, Index) and r.unique and set(r.columns) == set(columns) and len(r.columns) == len(columns)


# --- statements --------------------------------------------------------------------------------------


@by_identity()
def apply_ddl(catalog: Catalog, op: ddl.Op) -> Outcome:
    """What PostgreSQL does with `op` on `catalog` (pure; the same objects are worked out once, see memo)."""
    handler = _HANDLERS[type(op)]
    w = _Work(catalog)
    try:
        schemas = {op.schema, getattr(op, "ref_schema", op.schema)}  # type: ignore[attr-defined]
        if isinstance(op, ddl.CreateTable | ddl.AlterTable):
            for k in _constraints_of(op):
                if isinstance(k, ddl.ForeignKey):
                    schemas.add(k.ref_schema)
        if schemas & catalog.foreign:
            raise _unknown("I5", f"schema {sorted(schemas & catalog.foreign)[0]!r} holds objects the model "
                                 "does not know; machines work in their own schema")
        if op.schema not in catalog.schemas:  # type: ignore[attr-defined]
            if getattr(op, "if_exists", False):
                return Applied(catalog, rule="V15")
            raise _reject("3F000", f"schema {op.schema!r} does not exist")  # type: ignore[attr-defined]
        rule = handler(w, op)
    except _Fail as f:
        return f.outcome
    return w.freeze(rule)


def _constraints_of(op: ddl.CreateTable | ddl.AlterTable) -> list[ddl.Constraint]:
    if isinstance(op, ddl.CreateTable):
        return list(op.constraints)
    out: list[ddl.Constraint] = []
    for a in op.actions:
        k = a.constraint if isinstance(a, ddl.AddConstraint | ddl.AddColumn) else None
        if k is not None:
            out.append(k)
    return out


def _check_constraint(w: _Work, schema: str, table: str, t: Table, k: ddl.Constraint,
                      taken_names: set[str]) -> Con:
    """Validate one new constraint on table `t` (as it is at that point) and return its catalog form.

    The checks run in PostgreSQL 15's order, so the first failing one gives the SQLSTATE: CHECK cooks its
    expression (42703, 42883) before its name is checked (42710); PRIMARY KEY/UNIQUE check their columns
    (42703) and the one-primary-key rule (42P16) before index_create checks the relation name (42P07) and
    then the constraint name (42710); FOREIGN KEY checks its name (42710) first, then the referenced table."""
    if isinstance(k, ddl.Check):
        col = t.col(k.column)
        if col is None:
            if k.column == table:  # `CHECK ("t" IS NOT NULL)` on s."t": a whole-row reference, as in views
                raise _unknown("§12", f"{k.column!r} names the table: a whole-row reference")
            raise _reject("42703", f"column {k.column!r} does not exist in {table!r}")
        token = None
        if k.test == "positive":
            token = check_token(col.type)
            if token is None:
                raise _reject("42883", f"operator does not exist: {col.type} > integer")
        if k.name in taken_names or t.con(k.name) is not None:
            raise _reject("42710", f"constraint {k.name!r} already exists on {table!r}")
        return Con(k.name, "check", (k.column,), test=k.test, token=token)
    if isinstance(k, ddl.Unique | ddl.PrimaryKey):
        for c in k.columns:
            if t.col(c) is None:
                raise _reject("42703", f"column {c!r} named in key does not exist in {table!r}")
        if isinstance(k, ddl.PrimaryKey) and any(x.kind == "primary_key" for x in t.constraints):
            raise _reject("42P16", f"multiple primary keys for table {table!r} are not allowed")
        name = k.name
        if name is None:  # an unnamed PRIMARY KEY: named when its index is built, from what exists then
            name = _first_free_pkey_name(table, w.names_taken(schema, table, t))
        if w.rel(schema, name) is not None or name == table:
            raise _reject("42P07", f"relation {name!r} already exists")
        if name in taken_names or t.con(name) is not None:
            raise _reject("42710", f"constraint {name!r} already exists on {table!r}")
        return Con(name, "unique" if isinstance(k, ddl.Unique) else "primary_key", tuple(k.columns))
    assert isinstance(k, ddl.ForeignKey)
    name = k.name
    if name in taken_names or t.con(name) is not None:
        raise _reject("42710", f"constraint {name!r} already exists on {table!r}")
    if (k.ref_schema, k.ref_table) == (schema, table):
        ref: Relation | None = t
    else:
        if k.ref_schema not in w.base.schemas:
            raise _reject("3F000", f"schema {k.ref_schema!r} does not exist")
        ref = w.rel(k.ref_schema, k.ref_table)
    if ref is None:
        raise _reject("42P01", f"relation {k.ref_schema}.{k.ref_table} does not exist")
    if not isinstance(ref, Table):
        raise _reject("42809", f"referenced relation {k.ref_table!r} is not a table")
    for c in k.columns:
        if t.col(c) is None:
            raise _reject("42703", f"column {c!r} referenced in foreign key constraint does not exist")
    for c in k.ref_columns:
        if ref.col(c) is None:
            raise _reject("42703", f"column {c!r} referenced in foreign key constraint does not exist")
    if len(k.columns) != len(k.ref_columns):
        raise _reject("42830", "number of referencing and referenced columns for foreign key disagree")
    if not any(_index_matches(w.rel(k.ref_schema, i), tuple(k.ref_columns)) for i in ref.indexes) and not (
            ref is t and any(x.kind in ("unique", "primary_key") and set(x.columns) == set(k.ref_columns)
                             for x in t.constraints)):
        raise _reject("42830", f"there is no unique constraint matching given keys for {k.ref_table!r}")
    for mine, theirs in zip(k.columns, k.ref_columns, strict=True):
        a, b = t.col(mine), ref.col(theirs)
        assert a is not None and b is not None
        if base_type(a.type) != base_type(b.type) and not (category(a.type) == category(b.type) == "int"):
            raise _unknown("§12", f"foreign key between {a.type} and {b.type}: compatibility is not modelled")
    return Con(name, "foreign_key", tuple(k.columns), ref=(k.ref_schema, k.ref_table, tuple(k.ref_columns)))


def _add_constraint(w: _Work, schema: str, table: str, t: Table, k: ddl.Constraint,
                    taken: set[str]) -> Table:
    con = _check_constraint(w, schema, table, t, k, taken)
    taken.add(con.name)
    t = evolve(t, constraints=(*t.constraints, con))
    if con.kind in ("unique", "primary_key"):
        if con.kind == "primary_key":  # PostgreSQL 15–17 marks primary-key columns NOT NULL (H4)
            t = evolve(t, columns=tuple(evolve(c, not_null=True) if c.name in con.columns else c for c in t.columns))
        w.put(schema, con.name, Index(table, con.columns, unique=True, constraint=con.name))
        t = evolve(t, indexes=(*t.indexes, con.name))
        w.created.append(("INDEX", schema, con.name))
    return t


def _create_table(w: _Work, op: ddl.CreateTable) -> str:
    s, name = op.schema, op.name
    if w.rel(s, name) is not None:
        if op.if_not_exists:
            return "V15"
        raise _reject("42P07", f"relation {name!r} already exists")
    names = [c.name for c in op.columns]
    if len(set(names)) != len(names):
        raise _reject("42701", "column specified more than once")
    cols = tuple(Col(c.name, c.type, c.not_null, default_expr(c.default, c.type)) for c in op.columns)
    t = Table(columns=cols)
    w.put(s, name, t)  # visible to self-referencing foreign keys and to index-name clashes
    pks = 0
    for k in op.constraints:  # checked while the statement is transformed, before anything is built
        if isinstance(k, ddl.Unique | ddl.PrimaryKey):
            pks += isinstance(k, ddl.PrimaryKey)
            if pks > 1:
                raise _reject("42P16", f"multiple primary keys for table {name!r} are not allowed")
            for c in k.columns:
                if t.col(c) is None:
                    raise _reject("42703", f"column {c!r} named in key does not exist")
    taken: set[str] = set()
    for k in _create_table_order(op.constraints):
        t = _add_constraint(w, s, name, t, k, taken)
        w.put(s, name, t)
    w.created[:0] = [("TABLE", s, name), *[("COLUMN", s, f"{name}.{c}") for c in names]]
    return "V10a"


def _create_table_order(constraints: tuple[ddl.Constraint, ...]) -> list[ddl.Constraint]:
    """The order CREATE TABLE builds its constraints in (PostgreSQL 15): CHECKs with the table, then the
    PRIMARY KEY, then UNIQUEs, then FOREIGN KEYs. A UNIQUE on the same column list as an earlier PRIMARY
    KEY/UNIQUE is dropped as redundant (transformIndexConstraints); an unnamed PRIMARY KEY takes its name."""
    checks = [k for k in constraints if isinstance(k, ddl.Check)]
    pks = [k for k in constraints if isinstance(k, ddl.PrimaryKey)]
    indexed: list[ddl.Constraint] = list(pks[:1])  # a second PRIMARY KEY was rejected before (42P16)
    for k in (k for k in constraints if isinstance(k, ddl.Unique)):
        prior = next((i for i, p in enumerate(indexed) if tuple(p.columns) == tuple(k.columns)), None)
        if prior is None:
            indexed.append(k)
            continue
        p = indexed[prior]
        if isinstance(p, ddl.PrimaryKey) and p.name is None:
            indexed[prior] = evolve(p, name=k.name)
    fks = [k for k in constraints if isinstance(k, ddl.ForeignKey)]
    return [*checks, *indexed, *fks]


def _drop_table(w: _Work, op: ddl.DropTable) -> str:
    s, name = op.schema, op.name
    t = w.rel(s, name)
    if t is None:
        if op.if_exists:
            return "V15"
        raise _reject("42P01", f"table {name!r} does not exist")
    if not isinstance(t, Table):
        raise _reject("42809", f"{name!r} is not a table")
    if fks := w.referencing_fks(s, name):
        if not op.cascade:
            raise _reject("2BP01", f"constraint {fks[0]} depends on table {name!r}")
        raise _unknown("§12", "CASCADE into other tables' constraints is outside the first model")
    w.drop_view_tree(s, w.views_on(s, name), op.cascade, f"table {name!r}")
    _drop_table_objects(w, s, name, t)
    return "V10o"


def _drop_table_objects(w: _Work, s: str, name: str, t: Table) -> None:
    for i in t.indexes:
        w.put(s, i, None)
        w.dropped.append(("INDEX", s, i))
    w.dropped.extend(("COLUMN", s, f"{name}.{c.name}") for c in t.columns)
    w.dropped.append(("TABLE", s, name))
    w.put(s, name, None)


#: ALTER TABLE runs its subcommands in passes (PostgreSQL 15 AlterTablePass), each pass in statement order:
#: 0 every DROP (column, constraint, NOT NULL, DEFAULT), 1 ALTER TYPE, 4 ADD COLUMN, 6 SET NOT NULL,
#: 8 PRIMARY KEY/UNIQUE indexes, 9 SET DEFAULT, then CHECK and FOREIGN KEY constraints.
_PASSES = {ddl.DropColumn: 0, ddl.DropConstraint: 0, ddl.DropNotNull: 0, ddl.DropDefault: 0,
           ddl.AlterColumnType: 1, ddl.AddColumn: 4, ddl.SetNotNull: 6, ddl.SetDefault: 9}
_V10_ROW = {ddl.AddColumn: "V10d", ddl.DropColumn: "V10f", ddl.AlterColumnType: "V10g", ddl.SetNotNull: "V10h",
            ddl.DropNotNull: "V10i", ddl.SetDefault: "V10j", ddl.DropDefault: "V10j", ddl.AddConstraint: "V10k",
            ddl.DropConstraint: "V10l"}


def _alter_table(w: _Work, op: ddl.AlterTable) -> str:
    s, name = op.schema, op.name
    r = w.rel(s, name)
    if r is None:
        if op.if_exists:
            return "V15"
        raise _reject("42P01", f"relation {name!r} does not exist")
    if isinstance(r, View) and all(isinstance(a, ddl.SetDefault | ddl.DropDefault) for a in op.actions):
        raise _unknown("§12", "defaults on view columns are outside the first model")
    if not isinstance(r, Table):
        raise _reject("42809", f"ALTER TABLE cannot change {name!r}: it is not a table")
    early = sorted((a for a in op.actions if _PASSES.get(type(a), 9) < 8), key=lambda a: _PASSES[type(a)])
    late = [a for a in op.actions if isinstance(a, ddl.SetDefault)]
    taken: set[str] = set()
    pending: list[ddl.Constraint] = []  # inline ones (ADD COLUMN is transformed first), then ADD CONSTRAINT
    t: Table = r
    try:
        for a in early:
            t = _action(w, s, name, t, a, pending)
            w.put(s, name, t)
        pending += [a.constraint for a in op.actions if isinstance(a, ddl.AddConstraint)]
        for ik in [k for k in pending if isinstance(k, ddl.Unique | ddl.PrimaryKey)]:
            t = _add_constraint(w, s, name, t, ik, taken)
            w.put(s, name, t)
        for a in late:
            t = _action(w, s, name, t, a, pending)
            w.put(s, name, t)
        for k in [k for k in pending if not isinstance(k, ddl.Unique | ddl.PrimaryKey)]:
            t = _add_constraint(w, s, name, t, k, taken)
            w.put(s, name, t)
    except _Fail as f:
        if isinstance(f.outcome, Rejected) and len(op.actions) > 1:
            codes = set(f.outcome.sqlstates)
            for a in op.actions:  # PostgreSQL checks some subcommands before others: accept any of them
                alone = apply_ddl(w.base, evolve(op, actions=(a,)))
                if isinstance(alone, Rejected):
                    codes.update(alone.sqlstates)
                elif isinstance(alone, Unknown):  # its own error, which may come first, is not modelled
                    raise _unknown(alone.rule, f"{f.outcome.why}, unless {alone.why}") from None
            raise _reject(tuple(sorted(codes)), f.outcome.why) from None
        raise
    w.touch(s, name)
    return ",".join(sorted({_V10_ROW[type(a)] for a in op.actions}))


def _action(w: _Work, s: str, tname: str, t: Table, a: ddl.Action, pending: list[ddl.Constraint]) -> Table:
    if isinstance(a, ddl.AddColumn):
        if t.col(a.column.name) is not None:
            if a.if_not_exists:
                return t
            raise _reject("42701", f"column {a.column.name!r} of relation {tname!r} already exists")
        c = a.column
        t = evolve(t, columns=(*t.columns, Col(c.name, c.type, c.not_null, default_expr(c.default, c.type))))
        w.created.append(("COLUMN", s, f"{tname}.{c.name}"))
        if a.constraint is not None:
            pending.append(a.constraint)
        return t
    if isinstance(a, ddl.DropConstraint):
        k = t.con(a.name)
        if k is None:
            if a.if_exists:
                return t
            raise _reject("42704", f"constraint {a.name!r} of relation {tname!r} does not exist")
        return _drop_constraints(w, s, tname, t, [k], a.cascade)
    assert not isinstance(a, ddl.AddConstraint)  # constraints are added by _alter_table, in their passes
    col_name = a.name if isinstance(a, ddl.DropColumn) else a.column
    col = t.col(col_name)
    if col is None:
        if isinstance(a, ddl.DropColumn) and a.if_exists:
            return t
        raise _reject("42703", f"column {col_name!r} of relation {tname!r} does not exist")
    if isinstance(a, ddl.DropColumn):
        w.drop_view_tree(s, w.views_on(s, tname, {col_name}), a.cascade, f"column {col_name!r}")
        # indexes and constraints that involve the column go with it, without CASCADE
        cons = [k for k in t.constraints if col_name in k.columns]
        t = _drop_constraints(w, s, tname, t, cons, a.cascade)
        w.put(s, tname, t)  # a foreign key dropped with the column no longer holds its unique index
        for i in t.indexes:
            idx = w.rel(s, i)
            if isinstance(idx, Index) and col_name in idx.columns:
                t = _drop_index(w, s, tname, t, i, a.cascade)
                w.put(s, tname, t)
        w.dropped.append(("COLUMN", s, f"{tname}.{col_name}"))
        return evolve(t, columns=tuple(c for c in t.columns if c.name != col_name))
    w.touched.append(("COLUMN", s, f"{tname}.{col_name}"))
    if isinstance(a, ddl.AlterColumnType):
        # PostgreSQL 15: the cast (prep phase), then the default's cast, then the dependants; a TYPE to the
        # same type is not skipped, so a view on the column still refuses it (0A000)
        same = a.type == col.type
        ok = True if same else assignment_cast(col.type, a.type)
        if ok is None:
            raise _unknown("§12", f"casting {col.type} to {a.type} (array elements) is not modelled")
        if not ok:
            raise _reject("42804", f"column {col_name!r} cannot be cast automatically to type {a.type}")
        if col.default is not None and not same:
            ok_default = assignment_cast(_literal_type(col.default), a.type)
            if not ok_default:
                raise _reject("42804", f"default for column {col_name!r} cannot be cast automatically to {a.type}")
        if w.views_on(s, tname, {col_name}):
            raise _reject("0A000", f"cannot alter type of a column used by a view ({col_name!r})")
        if same:
            return t
        if base_type(col.type) != base_type(a.type) and _in_foreign_key(w, s, tname, t, col_name):
            raise _unknown("§12", "changing the type of a foreign-key column is not modelled")
        cons = []
        for k in t.constraints:
            if k.test == "positive" and col_name in k.columns:
                tok = check_token(a.type)
                if tok is None:
                    if k.token not in _CHECK_CONSTANT:  # e.g. ((a)::numeric > (0)::numeric): a text `a` casts
                        raise _unknown("§12", "re-parsing a CHECK that an earlier type change rewrote with casts "
                                              "is not modelled")
                    raise _reject("42883", f"operator does not exist: {a.type} > {_CHECK_CONSTANT[k.token]}")
                # PostgreSQL re-parses the CHECK text; only integer-to-integer keeps the same rendering
                k = evolve(k, token=tok if k.token == tok == "int" else "?")
            cons.append(k)
        return evolve(t, columns=tuple(evolve(c, type=a.type) if c.name == col_name else c for c in t.columns),
                      constraints=tuple(cons))
    if isinstance(a, ddl.SetNotNull):
        return _set_col(t, col_name, not_null=True)
    if isinstance(a, ddl.DropNotNull):
        if col.not_null and any(k.kind == "primary_key" and col_name in k.columns for k in t.constraints):
            raise _reject("42P16", f"column {col_name!r} is in a primary key")
        return _set_col(t, col_name, not_null=False)
    if isinstance(a, ddl.DropDefault):
        return _set_col(t, col_name, default=None)
    assert isinstance(a, ddl.SetDefault)
    v = a.value
    cat = category(col.type)
    if isinstance(v, str) and cat != "string":
        raise _unknown("§12", f"a string default for a {col.type} column is parsed by PostgreSQL: not modelled")
    if isinstance(v, bool) and cat not in ("bool", "string"):
        raise _reject("42804", f"column {col_name!r} is of type {col.type} but default expression is boolean")
    if isinstance(v, int) and not isinstance(v, bool) and cat not in ("int", "numeric", "float", "string"):
        raise _reject("42804", f"column {col_name!r} is of type {col.type} but default expression is integer")
    return _set_col(t, col_name, default=null_default(col.type) if v is None else default_expr(v, col.type))


def _set_col(t: Table, name: str, **changes: Any) -> Table:
    return evolve(t, columns=tuple(evolve(c, **changes) if c.name == name else c for c in t.columns))


def _in_foreign_key(w: _Work, s: str, tname: str, t: Table, col: str) -> bool:
    if any(k.kind == "foreign_key" and col in k.columns for k in t.constraints):
        return True
    return any(k.kind == "foreign_key" and k.ref and (k.ref[0], k.ref[1]) == (s, tname) and col in k.ref[2]
               for _, _, r in w._all_tables() for k in r.constraints)


def _drop_constraints(w: _Work, s: str, tname: str, t: Table, cons: list[Con], cascade: bool) -> Table:
    owned = {k.name for k in cons if k.kind in ("unique", "primary_key")}
    if owned and (fks := [f for f in w.fk_dependents(s, tname, owned)
                          if not any(f == f"{s}.{tname}.{k.name}" for k in cons)]):
        if not cascade:
            raise _reject("2BP01", f"constraint {fks[0]} depends on index {sorted(owned)[0]!r}")
        raise _unknown("§12", "CASCADE into other tables' constraints is outside the first model")
    names = {k.name for k in cons}
    for i in owned:
        w.put(s, i, None)
        w.dropped.append(("INDEX", s, i))
    return evolve(t, constraints=tuple(k for k in t.constraints if k.name not in names),
                  indexes=tuple(i for i in t.indexes if i not in owned))


def _drop_index(w: _Work, s: str, tname: str, t: Table, iname: str, cascade: bool) -> Table:
    if iname not in t.indexes:  # already gone with its constraint
        return t
    idx = w.rel(s, iname)
    assert isinstance(idx, Index)
    if idx.unique and idx.constraint is None and (fks := w.fk_dependents(s, tname, {iname})):
        if not cascade:
            raise _reject("2BP01", f"constraint {fks[0]} depends on index {iname!r}")
        raise _unknown("§12", "CASCADE into other tables' constraints is outside the first model")
    w.put(s, iname, None)
    w.dropped.append(("INDEX", s, iname))
    return evolve(t, indexes=tuple(i for i in t.indexes if i != iname))


def _create_index(w: _Work, op: ddl.CreateIndex) -> str:
    s = op.schema
    t = w.rel(s, op.table)
    if t is None:
        raise _reject("42P01", f"relation {op.table!r} does not exist")
    if not isinstance(t, Table):
        raise _reject("42809", f"cannot create index on {op.table!r}: it is not a table")
    for c in op.columns:  # DefineIndex resolves the columns before index_create looks at the name
        if t.col(c) is None:
            raise _reject("42703", f"column {c!r} does not exist")
    if w.rel(s, op.name) is not None:
        if op.if_not_exists:
            return "V15"
        raise _reject("42P07", f"relation {op.name!r} already exists")
    w.put(s, op.name, Index(op.table, tuple(op.columns), op.unique))
    w.put(s, op.table, evolve(t, indexes=(*t.indexes, op.name)))
    w.created.append(("INDEX", s, op.name))
    w.touch(s, op.table)
    return "V10c"


def _drop_index_op(w: _Work, op: ddl.DropIndex) -> str:
    s = op.schema
    idx = w.rel(s, op.name)
    if idx is None:
        if op.if_exists:
            return "V15"
        raise _reject("42704", f"index {op.name!r} does not exist")
    if not isinstance(idx, Index):
        raise _reject("42809", f"{op.name!r} is not an index")
    if idx.constraint is not None:
        raise _reject("2BP01", f"cannot drop index {op.name!r} because constraint {idx.constraint!r} requires it")
    t = w.rel(s, idx.table)
    assert isinstance(t, Table)
    w.put(s, idx.table, _drop_index(w, s, idx.table, t, op.name, op.cascade))
    w.touch(s, idx.table)
    return "V10n"


def _create_view(w: _Work, op: ddl.CreateView) -> str:
    s = op.schema
    src = w.rel(s, op.source)
    if src is None:
        raise _reject("42P01", f"relation {op.source!r} does not exist")
    if isinstance(src, Index):
        raise _reject("42809", f"{op.source!r} is an index")
    available = {c.name: c.type for c in src.columns} if isinstance(src, Table) else dict(src.columns)
    for c in op.columns:
        if c not in available:
            if c == op.source:  # `SELECT "t" FROM s."t"` is a whole-row reference, not a column
                raise _unknown("§12", f"{c!r} names the source relation: a whole-row reference")
            raise _reject("42703", f"column {c!r} does not exist")
    new = View(op.source, tuple((c, available[c]) for c in op.columns))
    old = w.rel(s, op.name)
    if old is not None:
        if not op.or_replace:
            raise _reject("42P07", f"relation {op.name!r} already exists")
        if not isinstance(old, View):
            raise _reject("42809", f"{op.name!r} is not a view")
        if new.columns[: len(old.columns)] != old.columns:
            raise _reject("42P16", "CREATE OR REPLACE VIEW cannot drop, rename or retype view columns")
        if op.name == op.source or op.name in _view_sources(w, s, op.source):
            raise _unknown("§12", "a view depending on itself")
        w.put(s, op.name, new)
        w.replaced.append(("VIEW", s, op.name))
        return "V12"
    w.put(s, op.name, new)
    w.created.append(("VIEW", s, op.name))
    return "V10b"


def _view_sources(w: _Work, s: str, name: str) -> set[str]:
    out: set[str] = set()
    r = w.rel(s, name)
    while isinstance(r, View) and r.source not in out:
        out.add(r.source)
        r = w.rel(s, r.source)
    return out


def _drop_view(w: _Work, op: ddl.DropView) -> str:
    s = op.schema
    v = w.rel(s, op.name)
    if v is None:
        if op.if_exists:
            return "V15"
        raise _reject("42P01", f"view {op.name!r} does not exist")
    if not isinstance(v, View):
        raise _reject("42809", f"{op.name!r} is not a view")
    w.drop_view_tree(s, w.views_on(s, op.name), op.cascade, f"view {op.name!r}")
    w.put(s, op.name, None)
    w.dropped.append(("VIEW", s, op.name))
    return "V10p"


def _create_function(w: _Work, op: ddl.CreateFunction) -> str:
    key = (op.schema, op.signature)
    old = w.base.functions.get(key)
    if old is not None:
        if not op.or_replace:
            raise _reject("42723", f"function {op.signature} already exists")
        w.funcs[key] = Function(op.body)
        w.replaced.append(("FUNCTION", op.schema, op.signature))
        return "V12"
    w.funcs[key] = Function(op.body)
    w.created.append(("FUNCTION", op.schema, op.signature))
    return "V10b"


def _drop_function(w: _Work, op: ddl.DropFunction) -> str:
    key = (op.schema, op.signature)
    if key not in w.base.functions:
        if op.if_exists:
            return "V15"
        raise _reject("42883", f"function {op.signature} does not exist")
    w.funcs[key] = None
    w.dropped.append(("FUNCTION", op.schema, op.signature))
    return "V10p"


def _comment_target(w: _Work, schema: str, table: str, column: str | None) -> Table:
    r = w.rel(schema, table)
    if r is None:
        raise _reject("42P01", f"relation {table!r} does not exist")
    if isinstance(r, View) and column is not None:
        raise _unknown("§12", "comments on view columns are outside the first model")
    if not isinstance(r, Table):
        raise _reject("42809", f"{table!r} is not a table")
    if column is not None and r.col(column) is None:
        raise _reject("42703", f"column {column!r} of relation {table!r} does not exist")
    return r


def _comment_table(w: _Work, op: ddl.CommentOnTable) -> str:
    t = _comment_target(w, op.schema, op.table, None)
    w.put(op.schema, op.table, evolve(t, comment=op.text or None))  # '' removes a comment, like NULL
    w.touch(op.schema, op.table)
    return "V10m"


def _comment_column(w: _Work, op: ddl.CommentOnColumn) -> str:
    t = _comment_target(w, op.schema, op.table, op.column)
    w.touched.append(("COLUMN", op.schema, f"{op.table}.{op.column}"))
    w.put(op.schema, op.table, _set_col(t, op.column, comment=op.text or None))
    w.touch(op.schema, op.table)
    return "V10m"


_HANDLERS: dict[type, Any] = {
    ddl.CreateTable: _create_table, ddl.DropTable: _drop_table, ddl.AlterTable: _alter_table,
    ddl.CreateIndex: _create_index, ddl.DropIndex: _drop_index_op, ddl.CreateView: _create_view,
    ddl.DropView: _drop_view, ddl.CreateFunction: _create_function, ddl.DropFunction: _drop_function,
    ddl.CommentOnTable: _comment_table, ddl.CommentOnColumn: _comment_column,
}


# --- structures: what V9a compares and what H3/H4 hash -----------------------------------------------


def table_shape(catalog: Catalog, schema: str, name: str) -> tuple[Any, ...] | None:
    """The structure V9a compares for a TABLE: columns (with comments), constraints, plain indexes, comment."""
    t = catalog.table(schema, name)
    if t is None:
        return None
    plain = []
    for i in t.indexes:
        idx = catalog.rel(schema, i)
        if isinstance(idx, Index) and idx.constraint is None:
            plain.append((i, idx.columns, idx.unique))
    cols = t.columns
    if any(c.default is not None and c.default[0] == "null" for c in cols):  # V10: DEFAULT NULL is no default
        cols = tuple(evolve(c, default=None) if c.default is not None and c.default[0] == "null" else c
                     for c in cols)
    return (cols, frozenset(t.constraints), frozenset(plain), t.comment)


def structure(catalog: Catalog, key: ObjKey) -> Any:
    """S(o) of H3 for a TABLE, VIEW, INDEX or FUNCTION that exists in the catalog, else None."""
    kind, schema, name = key
    if kind == "FUNCTION":
        f = catalog.functions.get((schema, name))
        return None if f is None else ("FUNCTION", name, f.body)
    r = catalog.rel(schema, name)
    if kind == "TABLE" and isinstance(r, Table):
        return ("TABLE", tuple((c.name, c.type, c.not_null, c.default) for c in r.columns))
    if kind == "VIEW" and isinstance(r, View):
        return ("VIEW", schema, r.source, tuple(c for c, _ in r.columns))
    if kind == "INDEX" and isinstance(r, Index):
        return ("INDEX", schema, r.table, r.columns, r.unique)
    return None
