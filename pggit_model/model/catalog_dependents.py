"""Objects tables use — enum types, domains, sequences, functions without arguments — and what their DROP … CASCADE
takes from the tables that use them (contract §14.1 V26d–f): the ops of `ops/dependents.py` and the wrapper of
DROP FUNCTION / DROP SCHEMA.

A use is kept in the user's own values, as PostgreSQL renders it, with the object named `"schema"."name"`
(`ops.dependents.quoted`): a column's type, a default `("call", f)` / `("nextval", seq)`, a generation expression
`f()`, a CHECK test `f() IS NOT NULL`, an expression index over `(f(),)`, a view whose source is `f()`. So the table's
structure (V23) changes exactly as PostgreSQL's does when a cascade takes a part, and `versions.classify` gives the
severity V26 asks for: a column MAJOR, a constraint MINOR, a default or an index PATCH (V9: the highest).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_values import Col, Con, Index, MatView, Table, Usable, View
from pggit_model.model.catalog_work import Work, drop_constraints, drop_index, reject, unknown
from pggit_model.ops import ddl, renames
from pggit_model.ops.dependents import USES, CreateCallingView, CreateUsable, DropUsable, UseInTable, quoted

_TYPES = ("ENUM", "DOMAIN")


def call_of(schema: str, function: str) -> str:
    """How a call of function `schema.function()` is kept in the values that use it."""
    return quoted(schema, function) + "()"


def _function_exists(w: Work, schema: str, name: str) -> bool:
    key = (schema, f"{name}()")
    return w.funcs[key] is not None if key in w.funcs else key in w.base.functions


# --- who uses an object -------------------------------------------------------------------------------


class Uses:
    """The parts of tables and the views that use one object, found over every schema the model owns."""

    def __init__(self) -> None:
        self.columns: dict[tuple[str, str], list[str]] = {}  # (schema, table) -> columns that go whole
        self.defaults: dict[tuple[str, str], list[str]] = {}  # columns that lose their default
        self.checks: dict[tuple[str, str], list[str]] = {}
        self.indexes: dict[tuple[str, str], list[str]] = {}
        self.views: list[tuple[str, str]] = []

    def __bool__(self) -> bool:
        return bool(self.columns or self.defaults or self.checks or self.indexes or self.views)


def uses_of(w: Work, what: str, schema: str, name: str) -> Uses:
    """What uses object `schema.name`; `what` is "type" (enum, domain), "sequence" or "function" (no arguments)."""
    out = Uses()
    ref, call = quoted(schema, name), call_of(schema, name)
    default = ("nextval", ref) if what == "sequence" else ("call", call) if what == "function" else None
    for s, n, t in w.all_tables():
        for c in t.columns:
            if (what == "type" and c.type == ref) or (what == "function" and c.generated == call):
                out.columns.setdefault((s, n), []).append(c.name)
            elif default is not None and c.default == default:
                out.defaults.setdefault((s, n), []).append(c.name)
        if what != "function":
            continue
        if checks := [k.name for k in t.constraints if k.test == f"{call} IS NOT NULL"]:
            out.checks[(s, n)] = checks
        if indexes := [i for i in t.indexes if isinstance(r := w.rel(s, i), Index) and r.columns == (call,)]:
            out.indexes[(s, n)] = indexes
    if what == "function":
        for s in sorted(w.base.schemas):
            out.views += [(s, v) for v, r in w.relations_in(s) if isinstance(r, View) and r.source == call]
    return out


def cascade_uses(w: Work, uses: Uses) -> None:
    """V26d–f: take every use away; each table that survives is altered once (V9: the highest severity)."""
    for s, v in uses.views:
        if w.rel(s, v) is not None:
            w.drop_view_tree([(s, v)], True, "a function dropped")
    for key in sorted({*uses.columns, *uses.defaults, *uses.checks, *uses.indexes}):
        s, n = key
        t = w.rel(s, n)
        assert isinstance(t, Table)
        for i in uses.indexes.get(key, []):
            t = drop_index(w, s, n, t, i, True)
        if uses.checks.get(key):
            t = evolve(t, constraints=tuple(k for k in t.constraints if k.name not in uses.checks[key]))
        for c in uses.defaults.get(key, []):
            t = evolve(t, columns=tuple(evolve(x, default=None) if x.name == c else x for x in t.columns))
        w.put(s, n, t)
        if uses.columns.get(key):
            _drop_columns(w, s, n, set(uses.columns[key]))
        w.touch(s, n)


def _drop_columns(w: Work, s: str, n: str, names: set[str]) -> None:
    """Columns that go whole (V10f), with the views over them, their indexes and constraints, and generated
    columns computed from them, as `ALTER TABLE … DROP COLUMN … CASCADE` would."""
    t = w.rel(s, n)
    assert isinstance(t, Table)
    names |= {c.name for c in t.columns if c.generated in names}
    w.drop_view_tree(w.views_on(s, n, names), True, "a column dropped")
    for i in list(t.indexes):
        r = w.rel(s, i)
        if isinstance(r, Index) and r.constraint is None and set(r.columns) & names:
            t = drop_index(w, s, n, t, i, True)
    t = drop_constraints(w, s, n, t, [k for k in t.constraints if set(k.columns) & names], True)
    w.put(s, n, evolve(t, columns=tuple(c for c in t.columns if c.name not in names)))
    w.dropped.extend(("COLUMN", s, f"{n}.{c}") for c in sorted(names))


# --- the statements -------------------------------------------------------------------------------------


def _create_usable(w: Work, op: CreateUsable) -> str:
    """V27: records nothing. A type's name clashes with every type, a table's or view's row type included (42710);
    a sequence's with any relation (42P07) or type (42710); indexes and sequences have no row type (pinned on
    PostgreSQL 15), but the model keeps one used object per name."""
    r, u = w.rel(op.schema, op.name), w.usable(op.schema, op.name)
    seq = op.what == "SEQUENCE"
    if u is not None and u.what == "SEQUENCE" and not seq:
        raise unknown("§12", "a type named like a sequence: the model keeps one used object per name")
    if u is not None:
        raise reject("42P07" if seq and u.what == "SEQUENCE" else "42710", f"{op.name!r} already exists")
    if r is not None and (seq or not isinstance(r, Index)):
        raise reject("42P07" if seq else "42710", f"{op.name!r} already exists")
    w.usables[(op.schema, op.name)] = Usable(op.what)
    return "V27"


def _drop_usable(w: Work, op: DropUsable) -> str:
    """V26d, f (with CASCADE), V15 (refused while used), V27 (unused: records nothing)."""
    s, r, u = op.schema, w.rel(op.schema, op.name), w.usable(op.schema, op.name)
    has_row_type = isinstance(r, Table | View | MatView)  # (a sequence has none: DROP TYPE of one is 42704)
    if op.keyword == "SEQUENCE":
        found = u is not None and u.what == "SEQUENCE"
        if not found and r is not None:
            raise reject("42809", f"{op.name!r} is not a sequence")
        missing = "42P01"
    else:
        if has_row_type:
            # a relation's row type: DROP TYPE is refused while the relation needs it, DROP DOMAIN says it is none
            raise reject("2BP01" if op.keyword == "TYPE" else "42809", f"{op.name!r} is a relation's row type")
        if op.keyword == "DOMAIN" and u is not None and u.what == "ENUM":
            raise reject("42809", f"{op.name!r} is not a domain")
        found = u is not None and u.what in _TYPES
        missing = "42704"
    if not found:
        if op.if_exists:
            return "V15"
        raise reject(missing, f"{op.keyword.lower()} {op.name!r} does not exist")
    uses = uses_of(w, "sequence" if op.keyword == "SEQUENCE" else "type", s, op.name)
    if uses and not op.cascade:
        raise reject("2BP01", f"other objects depend on {op.name!r}; PostgreSQL needs CASCADE")
    cascade_uses(w, uses)
    w.usables[(s, op.name)] = None
    return ("V26f" if op.keyword == "SEQUENCE" else "V26d") if uses else "V27"


def _use_in_table(w: Work, op: UseInTable) -> str:
    """V10c, V10d/e, V10k: the table records its new column, constraint or index as any other; the object it
    uses records nothing. Where two checks fail, which PostgreSQL reports first is left open (either SQLSTATE)."""
    s, t = op.schema, w.rel(op.schema, op.table)
    if t is None:
        raise reject("42P01", f"relation {op.table!r} does not exist")
    if not isinstance(t, Table) or t.partition_by is not None or t.parent is not None or any(
            isinstance(r, Table) and r.parent == op.table for _, r in w.relations_in(s)):
        raise unknown("§12", "uses of types, sequences and functions by other relations or hierarchies")
    if op.used_schema in w.base.foreign:
        raise unknown("I5", f"schema {op.used_schema!r} holds objects the model does not know")
    if op.used_schema not in w.base.schemas:
        raise reject("3F000", f"schema {op.used_schema!r} does not exist")
    used, other = w.usable(op.used_schema, op.used), w.rel(op.used_schema, op.used)
    kind = USES[op.how]
    codes: list[str] = []
    if kind == "type" and not (used is not None and used.what in _TYPES):
        if isinstance(other, Table | View | MatView):
            raise unknown("§12", "a column of a relation's row type (a composite type)")
        codes.append("42704")
    if kind == "sequence" and not (used is not None and used.what == "SEQUENCE"):
        if other is not None:
            raise unknown("§12", "nextval of a relation that is not a sequence")
        codes.append("42P01")
    if kind == "function" and not _function_exists(w, op.used_schema, op.used):
        codes.append("42883")
    if op.how == "index":
        clash = w.usable(s, op.part)
        if w.rel(s, op.part) is not None or (clash is not None and clash.what == "SEQUENCE"):
            codes.append("42P07")  # (an index has no row type: a type of its name is no clash)
    elif op.how == "check":
        if t.con(op.part) is not None:
            codes.append("42710")
    elif t.col(op.part) is not None:
        codes.append("42701")
    if codes:
        raise reject(tuple(codes), f"{op.to_sql()} fails")
    call, ref = call_of(op.used_schema, op.used), quoted(op.used_schema, op.used)
    if op.how == "index":
        w.put(s, op.part, Index(op.table, (call,)))
        w.put(s, op.table, evolve(t, indexes=(*t.indexes, op.part)))
        w.created.append(("INDEX", s, op.part))
        rule = "V10c"
    elif op.how == "check":
        w.put(s, op.table, evolve(t, constraints=(*t.constraints, Con(op.part, "check", (), f"{call} IS NOT NULL"))))
        rule = "V10k"
    else:
        col = {"column": Col(op.part, ref), "default": Col(op.part, "integer", default=("call", call)),
               "nextval": Col(op.part, "bigint", default=("nextval", ref)),
               "generated": Col(op.part, "integer", generated=call)}[op.how]
        w.put(s, op.table, evolve(t, columns=(*t.columns, col)))
        w.created.append(("COLUMN", s, f"{op.table}.{op.part}"))
        rule = "V10d"
    w.touch(s, op.table)
    return rule


def _create_calling_view(w: Work, op: CreateCallingView) -> str:
    """V10b: a view; PostgreSQL resolves its query (42883) before it looks at the name (42P07, or 42710 for a
    type's: a view has a row type)."""
    if op.function_schema in w.base.foreign:
        raise unknown("I5", f"schema {op.function_schema!r} holds objects the model does not know")
    if op.function_schema not in w.base.schemas:
        raise reject("3F000", f"schema {op.function_schema!r} does not exist")
    if not _function_exists(w, op.function_schema, op.function):
        raise reject("42883", f"function {op.function}() does not exist")
    if op.schema not in w.base.schemas:
        raise reject("3F000", f"schema {op.schema!r} does not exist")
    new = View(call_of(op.function_schema, op.function), (("x", "integer"),))
    old, u = w.rel(op.schema, op.name), w.usable(op.schema, op.name)
    if op.or_replace and old is not None:
        if not isinstance(old, View):
            raise reject("42809", f"{op.name!r} is not a view")
        if new.columns[: len(old.columns)] != old.columns:
            raise reject("42P16", "CREATE OR REPLACE VIEW cannot drop, rename or retype view columns")
        w.put(op.schema, op.name, new)
        w.replaced.append(("VIEW", op.schema, op.name))  # V12: compared by identity, so after R3g/N5d nothing
        return "V12"
    if old is not None or u is not None:
        raise reject("42710" if u is not None and u.what in _TYPES else "42P07", f"{op.name!r} already exists")
    w.put(op.schema, op.name, new)
    w.created.append(("VIEW", op.schema, op.name))
    return "V10b"


def guard_uses(statements: dict[type, Callable[[Work, Any], str]]) -> dict[type, Callable[[Work, Any], str]]:
    """DROP FUNCTION f() takes its uses with CASCADE (V26e) and is refused while used without it (2BP01, V15); DROP
    SCHEMA of a schema whose objects are used from another schema is left open (the model's walks are per
    schema)."""
    drop_function, drop_schema = statements[ddl.DropFunction], statements[renames.DropSchema]

    def on_drop_function(w: Work, op: ddl.DropFunction) -> str:
        if op.arg_types or not _function_exists(w, op.schema, op.name):
            return drop_function(w, op)
        uses = uses_of(w, "function", op.schema, op.name)
        if uses and not op.cascade:
            raise reject("2BP01", f"other objects depend on function {op.signature}; PostgreSQL needs CASCADE")
        cascade_uses(w, uses)
        rule = drop_function(w, op)
        return f"V26e,{rule}" if uses else rule

    def on_drop_schema(w: Work, op: renames.DropSchema) -> str:
        s = op.schema
        mine = sorted(k for k in {*w.base.usables, *w.usables} if k[0] == s and w.usable(*k) is not None)
        for _, n in mine:
            u = w.usable(s, n)
            assert u is not None
            if _used_elsewhere(w, s, uses_of(w, "type" if u.what in _TYPES else "sequence", s, n)):
                raise unknown("V26i", "DROP SCHEMA of a type or sequence used from another schema")
        for _, sig in [k for k in w.base.functions if k[0] == s and k[1].endswith("()")]:
            if _used_elsewhere(w, s, uses_of(w, "function", s, sig[:-2])):
                raise unknown("V26i", "DROP SCHEMA of a function used from another schema")
        if mine and not op.cascade and s in w.base.schemas:
            raise reject("2BP01", f"schema {s!r} is not empty; PostgreSQL needs CASCADE")
        rule = drop_schema(w, op)
        for key in mine:  # N4: they go with it
            w.usables[key] = None
        return rule

    def on_moves(base: Callable[[Work, Any], str]) -> Callable[[Work, Any], str]:
        def handler(w: Work, op: Any) -> str:
            if isinstance(op, renames.RenameSchema):
                used = any(k[0] == op.schema for k in {*w.base.usables, *w.usables}) or any(
                    uses_of(w, "function", op.schema, sig[:-2]) for (s, sig) in w.base.functions
                    if s == op.schema and sig.endswith("()"))
                callers: list[tuple[str, str]] = []
            else:
                fn = (isinstance(op, renames.RenameFunction) or op.keyword == "FUNCTION") and not op.arg_types \
                    and _function_exists(w, op.schema, op.name)
                uses = uses_of(w, "function", op.schema, op.name) if fn else Uses()
                callers = uses.views
                used = bool(uses) and not (uses.views and not _used_by_tables(uses))
            if used:
                raise unknown("§12", "a rename or move of a type, sequence or function tables use (R6: by "
                                     "identity; the model names them by name)")
            rule = base(w, op)
            if callers:
                _follow_calls(w, op, callers)
                rule = f"{rule},R6"
            return rule
        return handler

    moves: dict[type, Callable[[Work, Any], str]] = {
        cls: on_moves(statements[cls]) for cls in (renames.RenameSchema, renames.RenameFunction, renames.SetSchema)}
    return {ddl.DropFunction: on_drop_function, renames.DropSchema: on_drop_schema, **moves}


def _used_by_tables(uses: Uses) -> bool:
    return bool(uses.columns or uses.defaults or uses.checks or uses.indexes)


def _follow_calls(w: Work, op: Any, callers: list[tuple[str, str]]) -> None:
    """R3g, N5d with R6: PostgreSQL follows a renamed or moved function by identity, so the views calling it now call
    it under its new key and record nothing; their structure (V23) is unchanged, their rendering is not (H10d)."""
    if isinstance(op, renames.RenameFunction):
        call = call_of(op.schema, op.new_name)
    else:  # SET SCHEMA; a schema that does not exist was refused by the base handler
        call = call_of(op.new_schema, op.name)
    for s, v in callers:
        r = w.rel(s, v)
        assert isinstance(r, View)
        w.put(s, v, evolve(r, source=call))


def _used_elsewhere(w: Work, s: str, uses: Uses) -> bool:
    keys = {*uses.columns, *uses.defaults, *uses.checks, *uses.indexes, *uses.views}
    return any(k[0] != s for k in keys)


#: dependents op class -> what it does to the catalog (registered in catalog.STATEMENTS)
DEPENDENT_STATEMENTS: dict[type, Callable[[Work, Any], str]] = {
    CreateUsable: _create_usable, DropUsable: _drop_usable, UseInTable: _use_in_table,
    CreateCallingView: _create_calling_view,
}
