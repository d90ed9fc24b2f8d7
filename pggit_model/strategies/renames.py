"""Drawing renames (R3) and schema statements (N3–N6): two rows appended to `DDL_DRAWERS`.

Other schemas come from `SCHEMA_POOL` — names that need quoting (N1) — and now and then from `EXCLUDED_POOL`, user
schemas V1 excludes; they are never the machine's own schema: a machine does not drop or rename the schema it
observes, it moves objects out of it and renames the others.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State
from pggit_model.model.catalog import Index, Table
from pggit_model.model.catalog_values import MatView, View
from pggit_model.model.state import tracked_schema
from pggit_model.ops.renames import COLUMN_KEYWORDS
from pggit_model.strategies.common import relations_of, split_signature, user_schemas
from pggit_model.strategies.values import names

#: a `strategies.ddl.DdlDraw` (not imported: ddl imports this module for its DDL_DRAWERS rows)
DdlDraw = Any

#: N1: schemas whose names need quoting: mixed case, a space, a reserved word, a double quote, non-ASCII
SCHEMA_POOL = ("Sales", "My Schema", "select", 'a"b', "schéma")
#: V1: user schemas V1 excludes (`pggit*`, but not pgGit's own `pggit`, `pggit_*`): DDL there never gets a row
EXCLUDED_POOL = ("pggitx", "pggit Archive")
_COLUMN_POOL = ("a", "c2", "Qty", "order", "é")


def other_schemas(state: State, schema: str) -> list[str]:
    """The schemas the model owns besides `schema` (not the temporary one), in a stable order."""
    return sorted(user_schemas(state) - {schema})


def _schema_name(d: DdlDraw, state: State, schema: str, move: bool = False) -> str:
    """An existing other schema, or a pool name (perhaps new, perhaps `schema` itself: N5e, 42P06); now and then
    one V1 excludes. For a move (`move`), only schemas on `schema`'s side of V1 (moves across are outside, §14.8)."""
    same_side = tracked_schema(schema)
    others = [o for o in other_schemas(state, schema) if not move or tracked_schema(o) == same_side]
    if others:
        use_existing: bool = d.draw(st.booleans())
        if use_existing:
            return str(d.draw(st.sampled_from(others)))
    pool = [n for n in (*SCHEMA_POOL, *EXCLUDED_POOL) if not move or tracked_schema(n) == same_side]
    return str(d.draw(st.sampled_from((*pool, *SCHEMA_POOL, schema))))


def rename(d: DdlDraw) -> ops.Op:
    """One of R3a–h: a table, column, index, constraint, view, materialized view (or its column) or function gets a
    new name (sometimes taken)."""
    draw, s = d.draw, d.schema
    kinds = ["table", "column"]
    kinds += ["index"] * bool(d.indexes) + ["view"] * bool(d.views) + ["function"] * bool(d.funcs)
    mvs = relations_of(d.state, s, MatView)
    kinds += ["matview"] * bool(mvs)
    name, t = d.pick_table()
    if t.constraints:
        kinds.append("constraint")
    kind = draw(st.sampled_from(kinds))
    if kind == "table":
        return ops.RenameRelation("TABLE", s, name, d.fresh(), draw(st.booleans()))
    if kind == "column":
        col = d.pick_col(t)
        new = draw(names(_COLUMN_POOL)) if d.maybe() or not t.columns else draw(
            names(_COLUMN_POOL).filter(lambda n: t.col(n) is None))
        return ops.RenameColumn("TABLE", s, name, col, new)
    if kind == "index":
        old = draw(st.sampled_from(d.indexes))
        kw = draw(st.sampled_from(["INDEX", "TABLE"]))  # A16: ALTER TABLE renames an index too
        return ops.RenameRelation(kw, s, old, d.fresh(("i3", "t1_idx2", "u_pkey")))
    if kind == "view":
        old = draw(st.sampled_from(d.views))
        v = d.state.db.catalog.rel(s, old)
        if isinstance(v, View) and draw(st.booleans()):  # R3h: the view MAJOR, the views over it re-rendered (R6)
            return ops.RenameColumn("VIEW", s, old, draw(st.sampled_from([c for c, _ in v.columns])),
                                    draw(names(_COLUMN_POOL)))
        kw = draw(st.sampled_from(["VIEW", "TABLE"]))  # A19
        return ops.RenameRelation(kw, s, old, d.fresh(("v3", "w", "select")))
    if kind == "function":
        fname, args = split_signature(draw(st.sampled_from(d.funcs)))
        return ops.RenameFunction(s, fname, args, draw(names(("g", "f", "Add Tax"))))
    if kind == "matview":  # R3f (PostgreSQL takes ALTER TABLE / INDEX too), R3h
        old = draw(st.sampled_from(mvs))
        mv = d.state.db.catalog.rel(s, old)
        if isinstance(mv, MatView) and draw(st.booleans()):
            return ops.RenameColumn(draw(st.sampled_from(COLUMN_KEYWORDS)), s, old,
                                    draw(st.sampled_from([c for c, _ in mv.columns])), draw(names(_COLUMN_POOL)))
        return ops.RenameRelation(draw(st.sampled_from(["MATERIALIZED VIEW", "TABLE", "INDEX"])), s, old,
                                  d.fresh(("mv3", "Mat View", "w")))
    con = draw(st.sampled_from([k.name for k in t.constraints]))
    return ops.RenameConstraint(s, name, con, d.fresh(("k1", "t1_pk", "c1")))


def schema_ddl(d: DdlDraw) -> ops.Op:
    """N3–N6: create, drop or rename another schema, or move a table, view, materialized view or function into
    one."""
    draw, s, state = d.draw, d.schema, d.state
    # only pool schemas are dropped or renamed: `s` may itself be another schema of the machine, whose own
    # (observed) schema must stay
    # (and excluded pool schemas are renamed among themselves only: a rename across V1's line is outside, §14.8)
    others = [o for o in other_schemas(state, s) if o in SCHEMA_POOL or o in EXCLUDED_POOL]
    kinds = ["create"] + ["set_schema"] * bool(d.tables or d.funcs or d.views)
    kinds += ["drop", "rename"]  # (with no other schema: one from the pool, which does not exist: 3F000 or V15)
    others = others or list(SCHEMA_POOL)
    kind = draw(st.sampled_from(kinds))
    if kind == "create":
        return ops.CreateSchema(_schema_name(d, state, s), draw(st.booleans()))
    if kind == "drop":
        return ops.DropSchema(draw(st.sampled_from(others)), draw(st.booleans()), draw(st.booleans()))
    if kind == "rename":
        old = draw(st.sampled_from(others))
        new = draw(st.sampled_from(SCHEMA_POOL if tracked_schema(old) else EXCLUDED_POOL))
        return ops.RenameSchema(old, new)
    target = _schema_name(d, state, s, move=True)
    mvs = relations_of(state, s, MatView)
    if mvs and draw(st.booleans()):  # N5c
        return ops.SetSchema(draw(st.sampled_from(["MATERIALIZED VIEW", "TABLE"])), s, draw(st.sampled_from(mvs)),
                             target, (), draw(st.booleans()))
    if d.views and (not d.tables or draw(st.booleans())):  # N5b: it reads its source where it is (R6)
        return ops.SetSchema(draw(st.sampled_from(["VIEW", "TABLE"])), s, draw(st.sampled_from(d.views)), target,
                             (), draw(st.booleans()))
    if d.funcs and (not d.tables or draw(st.booleans())):
        fname, args = split_signature(draw(st.sampled_from(d.funcs)))
        return ops.SetSchema("FUNCTION", s, fname, target, args)
    name, _ = d.pick_table()
    return ops.SetSchema("TABLE", s, name, target, (), draw(st.booleans()))


def movable_tables(state: State, schema: str) -> list[str]:
    """Tables of `schema` that SET SCHEMA can move within the model (no view over them, N5a)."""
    cat = state.db.catalog
    out = []
    for (s, n), r in cat.relations.items():
        if s == schema and isinstance(r, Table) and not any(
                getattr(v, "source", None) == n for (s2, _), v in cat.relations.items() if s2 == schema):
            out.append(n)
    return sorted(out)


def indexes_of(state: State, schema: str) -> list[str]:
    return sorted(n for (s, n), r in state.db.catalog.relations.items() if s == schema and isinstance(r, Index))
