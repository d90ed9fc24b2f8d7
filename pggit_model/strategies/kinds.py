"""Drawing the §14.1 statements (ops/kinds.py): one row appended to `DDL_DRAWERS`, and the targeted strategies the
kinds machine uses (`kinds_ops`, `identity_steps`, `quiet_ops`, `matview_ops`).

Targets come from the model's catalog; `d.maybe()` makes a part deliberately wrong (a missing column, a column of
the wrong kind), which the model predicts as PostgreSQL's rejection (X4).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State
from pggit_model.model.catalog_values import Index, MatView, Table, View
from pggit_model.strategies.common import across, relations_of, tables_of
from pggit_model.strategies.values import names

#: a `strategies.ddl.DdlDraw` (not imported: ddl imports this module for its DDL_DRAWERS row, and holds kinds_ops)
DdlDraw = Any

_MV_POOL = ("mv1", "mv2", "Sales MV", "select")
_COL_POOL = ("ident", "g", "Gen Col", "é")

#: the statements this family draws, in the order `_KIND` picks from (appending keeps earlier draws); "quiet" twice:
#: it stands for six statements (ANALYZE, GRANT, REVOKE, SET STATISTICS, SET/RESET fillfactor of a table or index)
_KINDS = ("matview", "refresh", "drop_matview", "select_into", "like", "add_identity", "set_generated",
          "drop_identity", "restart", "identity_column", "stored_column", "drop_expression", "exclude",
          "fk_not_valid", "validate", "quiet", "quiet", "matview_index")


def _sources(d: DdlDraw) -> list[tuple[str, list[str]]]:
    """(relation, its column names) for every table, view and materialized view a query can read."""
    out = []
    for (s, n), r in sorted(d.state.db.catalog.relations.items()):
        if s == d.schema and isinstance(r, Table) and r.columns:
            out.append((n, [c.name for c in r.columns]))
        elif s == d.schema and isinstance(r, View | MatView):
            out.append((n, [c for c, _ in r.columns]))
    return out


def _query(d: DdlDraw) -> tuple[str, tuple[str, ...]]:
    srcs = _sources(d) or [(d.tables[0][0], ["zz"])]
    src, cols = d.draw(st.sampled_from(srcs))
    if d.maybe():
        cols = [*cols, "zz"]
    picked = d.draw(st.lists(st.sampled_from(cols), min_size=1, max_size=3, unique=True))
    return src, tuple(picked)


def _column(d: DdlDraw, t: Table, want: Any = None) -> str:
    """A column of `t` (one satisfying `want`, when there is one and the draw is not meant to be wrong)."""
    cols = [c.name for c in t.columns if want is None or want(c)]
    if not cols or d.maybe():
        cols = [c.name for c in t.columns] or ["zz"]
    return str(d.draw(st.sampled_from(cols)))


def _identity_ready(c: Any) -> bool:
    return c.type in ops.IDENTITY_TYPES and c.not_null and c.identity is None and c.default is None \
        and c.generated is None


#: Kinds that act on a column of a kind (the others take any table): what that column must be.
_NEEDS: dict[str, Any] = {"add_identity": _identity_ready, "set_generated": lambda c: c.identity is not None,
                          "drop_identity": lambda c: c.identity is not None,
                          "restart": lambda c: c.identity is not None,
                          "drop_expression": lambda c: c.generated is not None}


def kinds_ddl(d: DdlDraw) -> ops.Op:
    """One §14.1 statement on `d.schema` (V24a, c, d, f–l, p, y–ab; V27)."""
    draw, s = d.draw, d.schema
    kind = draw(st.sampled_from(_KINDS))
    name, t = d.pick_table()
    if kind in _NEEDS and not any(map(_NEEDS[kind], t.columns)) and not d.maybe():
        # the table lacks the column kind this statement acts on, so it could only fail: outside the invalid
        # share, a table that has one, else a kind that applies to this table (identity and generation
        # statements, H9 and V24, were drawn mostly where there was no such column, and a hash check around them
        # missed a planted fault; redrawing the kind alone made the rarer kinds rarer still)
        fit = [(n, r) for n, r in d.tables if any(map(_NEEDS[kind], r.columns))]
        if fit:
            name, t = draw(st.sampled_from(fit))
        else:
            kind = draw(st.sampled_from([k for k in _KINDS if k not in _NEEDS or any(map(_NEEDS[k], t.columns))]))
    mvs = relations_of(d.state, s, MatView)
    if kind == "matview":
        src, cols = _query(d)
        src_schema = None
        if (far := across(draw, d.state, s)) is not None:  # N7: over another schema's relation
            src_schema, src = far[:2]
            cols = tuple(draw(st.lists(st.sampled_from(far[2]), min_size=1, max_size=3, unique=True)))
        return ops.CreateMatView(s, d.fresh(_MV_POOL), src, cols, draw(st.booleans()), draw(st.booleans()),
                                 src_schema)
    if kind == "refresh":
        return _refresh(d, name, mvs)
    if kind in ("drop_matview", "matview_index"):
        target = draw(st.sampled_from(mvs)) if mvs and not d.maybe() else name
        if kind == "drop_matview":
            return ops.DropMatView(s, target, draw(st.booleans()))
        mv = d.state.db.catalog.rel(s, target)
        mv_cols = [c for c, _ in mv.columns] if isinstance(mv, MatView) else ["zz"]
        # UNIQUE mostly while the view has no unique index: REFRESH CONCURRENTLY needs one (A71)
        unique = draw(st.sampled_from((True, False) if _has_unique_index(d, target) else (True, True, False)))
        return ops.CreateIndex(s, d.fresh(("mv_i", "mvi2", "Mv Idx")), target,
                               tuple(draw(st.lists(st.sampled_from(mv_cols), min_size=1, max_size=2, unique=True))),
                               unique)
    if kind == "select_into":
        src, cols = _query(d)
        return ops.SelectInto(s, d.fresh(), src, cols)
    if kind == "like":
        srcs = [n for n, _ in _sources(d)]
        return ops.CreateTableLike(s, d.fresh(), draw(st.sampled_from(srcs or [name])))
    if kind == "add_identity":
        return ops.AddIdentity(s, name, _column(d, t, _identity_ready), draw(st.booleans()))
    if kind in ("set_generated", "drop_identity", "restart"):
        col = _column(d, t, lambda c: c.identity is not None)
        if kind == "set_generated":
            return ops.SetGenerated(s, name, col, draw(st.booleans()))
        if kind == "drop_identity":
            return ops.DropIdentity(s, name, col, draw(st.booleans()))
        return ops.RestartIdentity(s, name, col, draw(st.integers(1, 1000)))
    if kind == "identity_column":
        return ops.AddIdentityColumn(s, name, draw(names(_COL_POOL)), draw(st.sampled_from(ops.IDENTITY_TYPES)),
                                     draw(st.booleans()))
    if kind == "stored_column":
        return ops.AddStoredColumn(s, name, draw(names(_COL_POOL)), _column(d, t, lambda c: c.generated is None))
    if kind == "drop_expression":
        return ops.DropExpression(s, name, _column(d, t, lambda c: c.generated is not None), draw(st.booleans()))
    if kind == "exclude":
        own = [c.name for c in t.columns] or ["zz"]
        return ops.AddExclude(s, name, d.fresh(("ex1", "t1_ex", "Excl")),
                              tuple(draw(st.lists(st.sampled_from(own), min_size=1, max_size=2, unique=True))))
    if kind == "fk_not_valid":
        return ops.AddForeignKeyNotValid(s, name, _foreign_key(d, name, t))
    if kind == "validate":
        cons = [k.name for k in t.constraints if k.kind in ("foreign_key", "check")]
        if not cons or d.maybe():
            cons = [k.name for k in t.constraints] or ["zz"]
        return ops.ValidateConstraint(s, name, draw(st.sampled_from(cons)))
    return _quiet(d, name, t, mvs)


def _refresh(d: DdlDraw, table: str, mvs: list[str]) -> ops.RefreshMatView:
    """REFRESH, CONCURRENTLY half the time (V24z, A71): then mostly of a view with a unique index, which it needs
    (55000 otherwise), so the nested pg_temp tables it makes and drops are exercised, not only its refusal."""
    concurrently = d.draw(st.booleans())
    keyed = [m for m in mvs if _has_unique_index(d, m)]
    pool = keyed if concurrently and keyed and not d.maybe() else mvs
    target = d.draw(st.sampled_from(pool)) if pool and not d.maybe() else table
    return ops.RefreshMatView(d.schema, target, concurrently)


def _has_unique_index(d: DdlDraw, mv: str) -> bool:
    r = d.state.db.catalog.rel(d.schema, mv)
    return isinstance(r, MatView) and any(
        isinstance(i := d.state.db.catalog.rel(d.schema, n), Index) and i.unique for n in r.indexes)


def _foreign_key(d: DdlDraw, name: str, t: Table) -> ops.ForeignKey:
    """A foreign key from `t` to a unique key of a table of the schema (or, when wrong, to any columns)."""
    cat = d.state.db.catalog
    keys = [(n, idx.columns) for n, tt in d.tables for i in tt.indexes
            if isinstance(idx := cat.rel(d.schema, i), Index) and idx.unique]
    if keys and not d.maybe():
        ref, ref_cols = d.draw(st.sampled_from(keys))
    else:
        ref, rt = d.pick_table()
        ref_cols = (d.pick_col(rt),)
    own = [c.name for c in t.columns]
    if len(own) >= len(ref_cols):  # distinct columns (a repeated one is no statement at all, InvalidOp)
        cols = tuple(d.draw(st.permutations(own))[:len(ref_cols)])
        # mostly columns of the referenced ones' types: a type pair the model does not know (§12) is never drawn,
        # and permutations alone gave one in two such keys, so few NOT VALID keys existed to VALIDATE (V24c, d)
        fitting = _typed_like(t, cat.rel(d.schema, ref), ref_cols)
        if fitting is not None and not d.maybe():
            cols = fitting
    else:  # too few: the missing ones are wrong on purpose (42703)
        cols = (*own, *(f"zz{i}" for i in range(len(ref_cols) - len(own))))
    return ops.ForeignKey(d.fresh(("fk1", "t_fk", "Fk")), cols, d.schema, ref, ref_cols)


def _typed_like(t: Table, ref: Any, ref_cols: tuple[str, ...]) -> tuple[str, ...] | None:
    """Distinct columns of `t`, one per column of `ref_cols`, each of that column's type (the first such in `t`'s
    order); None when `t` has none for one of them."""
    types = {c.name: c.type for c in getattr(ref, "columns", ())}
    out: list[str] = []
    for rc in ref_cols:
        pick = next((c.name for c in t.columns if c.type == types.get(rc) and c.name not in out), None)
        if pick is None:
            return None
        out.append(pick)
    return tuple(out)


def _quiet(d: DdlDraw, name: str, t: Table, mvs: list[str]) -> ops.Op:
    """ANALYZE, GRANT or REVOKE of the table or a materialized view (V27, V24o)."""
    draw = d.draw
    target = draw(st.sampled_from(mvs)) if mvs and draw(st.booleans()) else name
    return ops.Quiet(draw(st.sampled_from(ops.QUIET_KINDS)), d.schema, target)


def identity_tables(state: State, schema: str) -> list[str]:
    """Tables of `schema` with an identity column."""
    return [n for n, t in tables_of(state, schema) if any(c.identity for c in t.columns)]


__all__ = ["identity_tables", "kinds_ddl"]
