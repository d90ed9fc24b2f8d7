"""Schemas (contract §14.3, N): CREATE / DROP / ALTER SCHEMA and moves between schemas (SET SCHEMA).

A move is a key change (N5) of the object and of the rows that move with it; a schema rename (N6) changes the key
of every member. Moves into or out of schemas the model does not own (pgGit's, the system's, `public`) are outside
(§14.8, I5).

V1 excludes every schema whose name starts with `pggit`, so a user schema such as `pggitx` or "pggit Archive" is not
tracked: the model owns it (its catalog follows DDL as any schema's) and no object in it ever gets a row
(versions.record_ddl keeps only tracked keys). `pggit` and `pggit_*` are left alone: pgGit's own (its modules create
`pggit_audit`, `pggit_branches`, …). Moves and schema renames across the line between tracked and excluded are
outside (§14.8: never decided), while a move or rename between two excluded schemas records nothing (V1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_renames import follow_relation
from pggit_model.model.catalog_values import Index, MatView, ObjKey, Relation, Table, View
from pggit_model.model.catalog_work import Work, reject, unknown
from pggit_model.ops import renames

#: V1: the schemas whose DDL is not tracked (model.state re-exports tracked_schema)
_EXCLUDED = ("pg_catalog", "information_schema")
_EXCLUDED_PREFIXES = ("pggit", "pg_temp", "pg_toast")


def tracked_schema(schema: str) -> bool:
    """V1: DDL in every schema but the system, temporary, toast and pgGit ones is tracked."""
    return schema not in _EXCLUDED and not schema.startswith(_EXCLUDED_PREFIXES)


def user_excluded(schema: str) -> bool:
    """A schema V1 excludes that the model may own: a `pggit*` name that is not pgGit's own (`pggit`, `pggit_*`)."""
    return schema.startswith("pggit") and schema != "pggit" and not schema.startswith("pggit_")


def _target_schema(w: Work, source: str, schema: str) -> None:
    if schema in w.base.foreign or not (tracked_schema(schema) or schema in w.base.schemas):
        raise unknown("§14.8", f"moves into schema {schema!r}, which the model does not own, are outside")
    if tracked_schema(source) != tracked_schema(schema):
        raise unknown("§14.8", f"a move from {source!r} to {schema!r} crosses V1's line between tracked and "
                               "excluded schemas: whether the object appears or disappears was never decided")
    if schema not in w.base.schemas:
        raise reject("3F000", f"schema {schema!r} does not exist")


def _set_schema(w: Work, op: renames.SetSchema) -> str:
    if op.keyword == "FUNCTION":
        return _move_function(w, op)
    s, name, s2 = op.schema, op.name, op.new_schema
    r = w.rel(s, name)
    if r is None:
        if op.if_exists:
            return "V15"
        raise reject("42P01", f"relation {name!r} does not exist")
    if isinstance(r, Index) or (op.keyword == "VIEW" and not isinstance(r, View)) or (
            op.keyword == "MATERIALIZED VIEW" and not isinstance(r, MatView)):
        raise reject("42809", f"{name!r} cannot be moved by ALTER {op.keyword}")
    _target_schema(w, s, s2)
    if s2 == s:
        # accepted and reported by PostgreSQL (B4); nothing to record (V27), but reported on an object c must
        # have a row for (B9: without one, what a backend records is open)
        if isinstance(r, Table):
            w.touch(s, name)
        elif isinstance(r, View):
            w.replaced.append(("VIEW", s, name))
        return "N5e,V27"
    moving = [name, *(() if isinstance(r, View) else r.indexes)]
    if clash := next((n for n in moving if w.rel(s2, n) is not None), None):
        raise reject("42P07", f"relation {clash!r} already exists in schema {s2!r}")
    # its row type and array type move with it too: a clash there (42710) is left open by catalog._guard_array_types
    for n in moving:
        x = w.rel(s, n)
        w.put(s, n, None)
        w.put(s2, n, x)
    if isinstance(r, View | MatView):  # N5b, N5c: it reads its source where it was (R6)
        src = r.source_schema or s
        w.put(s2, name, evolve(r, source_schema=None if src == s2 else src))
    follow_relation(w, (s, name), (s2, name))
    if isinstance(r, View):
        w.renamed.append((("VIEW", s, name), ("VIEW", s2, name)))
        return "N5b,R1,V20"
    if isinstance(r, MatView):
        w.renamed.append((("MATERIALIZED_VIEW", s, name), ("MATERIALIZED_VIEW", s2, name)))
        w.renamed.extend((("INDEX", s, i), ("INDEX", s2, i)) for i in r.indexes)
        return "N5c,R1,V20"
    w.renamed.append((("TABLE", s, name), ("TABLE", s2, name)))
    w.renamed.extend((("COLUMN", s, f"{name}.{c.name}"), ("COLUMN", s2, f"{name}.{c.name}")) for c in r.columns)
    w.renamed.extend((("INDEX", s, i), ("INDEX", s2, i)) for i in r.indexes)
    return "N5a,R1,V20"


def _move_function(w: Work, op: renames.SetSchema) -> str:
    s, s2 = op.schema, op.new_schema
    f = w.base.functions.get((s, op.signature))
    if f is None:
        raise reject("42883", f"function {op.signature} does not exist")
    _target_schema(w, s, s2)
    if s2 == s:
        w.replaced.append(("FUNCTION", s, op.signature))  # (B9, as for a table)
        return "N5e,V27"
    if (s2, op.signature) in w.base.functions:
        raise reject("42723", f"function {op.signature} already exists in schema {s2!r}")
    w.funcs[(s, op.signature)] = None
    w.funcs[(s2, op.signature)] = f
    w.renamed.append((("FUNCTION", s, op.signature), ("FUNCTION", s2, op.signature)))
    return "N5d,R1,V20"


def _create_schema(w: Work, op: renames.CreateSchema) -> str:
    s = op.schema
    if s in w.base.schemas or s in w.base.foreign:
        if op.if_not_exists:
            return "N3,V27"
        raise reject("42P06", f"schema {s!r} already exists")
    if s.startswith("pg_"):
        raise reject("42939", f"unacceptable schema name {s!r}")
    if not tracked_schema(s) and not user_excluded(s):
        raise unknown("V1", f"schema {s!r} is excluded from tracking and may be pgGit's own; the model does not own it")
    w.schemas = w.base.schemas | {s}
    return "N3,V27"


def _members(w: Work, s: str) -> tuple[list[tuple[str, Any]], list[str]]:
    return w.relations_in(s), sorted(sig for (fs, sig) in w.base.functions if fs == s)


def _drop_schema(w: Work, op: renames.DropSchema) -> str:
    s = op.schema
    rels, funcs = _members(w, s)
    if (rels or funcs) and not op.cascade:
        raise reject("2BP01", f"schema {s!r} is not empty; PostgreSQL needs CASCADE")
    # V26i: tables of other schemas lose their foreign keys into the schema (each records ALTER MINOR)
    w.cascade_fks([(s2, n2, k.name) for s2, n2, t2 in w.all_tables() if s2 != s
                   for k in t2.constraints if k.kind == "foreign_key" and k.ref and k.ref[0] == s])
    for n, r in rels:
        if isinstance(r, Table):
            w.dropped.extend([("INDEX", s, i) for i in r.indexes])
            w.dropped.extend(("COLUMN", s, f"{n}.{c.name}") for c in r.columns)
            w.dropped.append(("TABLE", s, n))
        elif isinstance(r, View):
            w.dropped.append(("VIEW", s, n))
        elif isinstance(r, MatView):  # §14.1 V24ab: with its indexes
            w.dropped.extend([("INDEX", s, i) for i in r.indexes])
            w.dropped.append(("MATERIALIZED_VIEW", s, n))
    for s3, n3 in _readers_elsewhere(w, s, [n for n, _ in rels]):  # N4: views elsewhere over s go with it
        r3 = w.rel(s3, n3)
        if isinstance(r3, MatView):
            w.dropped.extend([("INDEX", s3, i) for i in r3.indexes])
            for i in r3.indexes:
                w.put(s3, i, None)
        w.dropped.append(("MATERIALIZED_VIEW" if isinstance(r3, MatView) else "VIEW", s3, n3))
        w.put(s3, n3, None)
    for n, _ in rels:
        w.put(s, n, None)
    for sig in funcs:
        w.funcs[(s, sig)] = None
        w.dropped.append(("FUNCTION", s, sig))
    w.schemas = w.base.schemas - {s}
    return "N4"


def _readers_elsewhere(w: Work, s: str, names: list[str]) -> list[tuple[str, str]]:
    """Views and materialized views outside s reading one of `names` (after N5/N6), and those over them, in any
    schema but s."""
    out: list[tuple[str, str]] = []
    todo = [(s, n) for n in names]
    while todo:
        s0, n0 = todo.pop()
        for s3 in sorted(w.base.schemas - {s}):
            for n3, r3 in w.relations_in(s3):
                if isinstance(r3, View | MatView) and (r3.source_schema or s3, r3.source) == (s0, n0) and \
                        (s3, n3) not in out:
                    out.append((s3, n3))
                    todo.append((s3, n3))
    return out


def _rename_schema(w: Work, op: renames.RenameSchema) -> str:
    s, s2 = op.schema, op.new_name
    if s2 in w.base.schemas or s2 in w.base.foreign:
        raise reject("42P06", f"schema {s2!r} already exists")  # also its own name
    if s2.startswith("pg_"):
        raise reject("42939", f"unacceptable schema name {s2!r}")
    if tracked_schema(s) != tracked_schema(s2):
        raise unknown("§14.8", f"a rename from {s!r} to {s2!r} crosses V1's line between tracked and excluded "
                               "schemas: whether its objects appear or disappear was never decided")
    if not tracked_schema(s2) and not user_excluded(s2):
        raise unknown("V1", f"{s2!r} is excluded from tracking and may be pgGit's own; the model does not own it")
    rels, funcs = _members(w, s)
    keys: list[tuple[ObjKey, ObjKey]] = []

    def follow(t: Relation, own: str) -> Relation:
        """References into s name s2 (R6): foreign keys, and the sources of views and materialized views."""
        if isinstance(t, View | MatView):
            if (t.source_schema or own) != s:
                return t
            return evolve(t, source_schema=None if own == s else s2)
        if not isinstance(t, Table) or not any(k.ref and k.ref[0] == s for k in t.constraints):
            return t
        return evolve(t, constraints=tuple(evolve(k, ref=(s2, *k.ref[1:])) if k.ref and k.ref[0] == s else k
                                           for k in t.constraints))

    for s3 in sorted(w.base.schemas - {s}):
        for n3, r3 in w.relations_in(s3):
            if (f := follow(r3, s3)) is not r3:
                w.put(s3, n3, f)
    for n, r in rels:
        w.put(s, n, None)
        w.put(s2, n, follow(r, s))
        kind = {Table: "TABLE", Index: "INDEX", View: "VIEW", MatView: "MATERIALIZED_VIEW"}[type(r)]
        keys.append(((kind, s, n), (kind, s2, n)))
        if isinstance(r, Table):
            keys.extend((("COLUMN", s, f"{n}.{c.name}"), ("COLUMN", s2, f"{n}.{c.name}")) for c in r.columns)
    for sig in funcs:
        w.funcs[(s2, sig)] = w.base.functions[(s, sig)]
        w.funcs[(s, sig)] = None
        keys.append((("FUNCTION", s, sig), ("FUNCTION", s2, sig)))
    w.renamed.extend(keys)
    w.schemas = (w.base.schemas - {s}) | {s2}
    return "N6,R1,V20"


#: schema op class -> what it does to the catalog (registered in catalog_statements.STATEMENTS)
SCHEMA_STATEMENTS: dict[type, Callable[[Work, Any], str]] = {
    renames.SetSchema: _set_schema, renames.CreateSchema: _create_schema, renames.DropSchema: _drop_schema,
    renames.RenameSchema: _rename_schema,
}
