"""Renames (contract §14.2, R3): what each RENAME statement does to the catalog, and which keys it changes.

The catalog is keyed by name, so a rename moves the object's entry and rewrites every reference to it (index →
table, view → source, foreign key → referenced table and columns): PostgreSQL follows references by identity
(V20, R6), and so does the model. `w.renamed` lists the key changes (old key, new key) for the versioning;
`w.forced` the ALTER rows R3 fixes where comparing structures would give another severity (R3c, R3d).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_values import Con, Index, MatView, Table, View
from pggit_model.model.catalog_work import Work, reject, unknown
from pggit_model.ops import renames


def _relation(w: Work, op: renames.RenameRelation) -> str:
    s, old, new = op.schema, op.name, op.new_name
    r = w.rel(s, old)
    if r is None:
        if op.if_exists:
            return "V15"
        raise reject("42P01", f"relation {old!r} does not exist")
    if op.keyword == "VIEW" and not isinstance(r, View):
        raise reject("42809", f"{old!r} is not a view")  # ALTER TABLE / ALTER INDEX accept any relation (A16)
    if op.keyword == "MATERIALIZED VIEW" and not isinstance(r, MatView):
        raise reject("42809", f"{old!r} is not a materialized view")
    if w.rel(s, new) is not None:
        raise reject("42P07", f"relation {new!r} already exists", "R4" if new == old else "X4")
    if isinstance(r, Index):
        return _index(w, s, old, new, r)
    w.put(s, old, None)
    w.put(s, new, r)
    follow_relation(w, (s, old), (s, new))
    if isinstance(r, Table):
        w.renamed.append((("TABLE", s, old), ("TABLE", s, new)))
        w.renamed.extend((("COLUMN", s, f"{old}.{c.name}"), ("COLUMN", s, f"{new}.{c.name}")) for c in r.columns)
        return "R3a,R1,V20"
    if isinstance(r, MatView):  # R3f: its indexes keep their names (follow_relation names it their table)
        w.renamed.append((("MATERIALIZED_VIEW", s, old), ("MATERIALIZED_VIEW", s, new)))
        return "R3f,R1,V20"
    w.renamed.append((("VIEW", s, old), ("VIEW", s, new)))
    return "R3e,R1,V20"


def _index(w: Work, s: str, old: str, new: str, idx: Index) -> str:
    """R3c: the index, and the constraint that owns it (PostgreSQL renames it along, B2); its table or
    materialized view PATCH."""
    t = w.rel(s, idx.table)
    if isinstance(t, MatView):
        w.put(s, old, None)
        w.put(s, new, idx)
        w.put(s, idx.table, evolve(t, indexes=tuple(new if i == old else i for i in t.indexes)))
        w.renamed.append((("INDEX", s, old), ("INDEX", s, new)))
        w.forced.append((s, idx.table, "ALTER", "PATCH"))  # (catalog_kinds.matview_changes records it)
        return "R3c,R1,V20"
    assert isinstance(t, Table)
    if idx.constraint is not None and t.con(new) is not None:
        raise reject("42710", f"constraint {new!r} for relation {idx.table!r} already exists")
    _move_index(w, s, idx.table, t, old, new, idx)
    w.forced.append((s, idx.table, "ALTER", "PATCH"))
    return "R3c,R1,V20"


def _move_index(w: Work, s: str, tname: str, t: Table, old: str, new: str, idx: Index) -> None:
    cons = t.constraints
    if idx.constraint is not None:
        cons = tuple(evolve(k, name=new) if k.name == idx.constraint else k for k in cons)
        idx = evolve(idx, constraint=new)
    w.put(s, old, None)
    w.put(s, new, idx)
    w.put(s, tname, evolve(t, constraints=cons, indexes=tuple(new if i == old else i for i in t.indexes)))
    for n, r in list(w.relations_in(s)):  # the partitions' indexes attached to it stay attached (V24s)
        if isinstance(r, Index) and r.of == old:
            w.put(s, n, evolve(r, of=new))
    w.renamed.append((("INDEX", s, old), ("INDEX", s, new)))
    w.touch(s, tname)


def _column(w: Work, op: renames.RenameColumn) -> str:
    s, tname, old, new = op.schema, op.table, op.column, op.new_name
    r = w.rel(s, tname)
    if r is None:
        if op.if_exists:
            return "V15"
        raise reject("42P01", f"relation {tname!r} does not exist")
    if isinstance(r, View) and op.keyword == "VIEW":
        return _view_column(w, s, tname, r, old, new)
    if isinstance(r, View):
        raise unknown("§12", "ALTER TABLE / MATERIALIZED VIEW … RENAME COLUMN on a view: not pinned on PostgreSQL")
    if isinstance(r, MatView):
        return _matview_column(w, s, tname, r, old, new)
    if isinstance(r, Table) and op.keyword == "MATERIALIZED VIEW":
        op = evolve(op, keyword="TABLE")  # PostgreSQL renames a table's column under either keyword (pinned)
    if not isinstance(r, Table) or op.keyword != "TABLE":
        raise unknown("§12", "RENAME COLUMN on an index, or ALTER VIEW on a table: not pinned on PostgreSQL")
    if r.col(old) is None:
        raise reject("42703", f"column {old!r} does not exist")
    if r.col(new) is not None:
        raise reject("42701", f"column {new!r} of relation {tname!r} already exists", "R4" if new == old else "X4")
    if w.views_on(s, tname, {old}):
        # PostgreSQL keeps the view's output name (A20) while its source column changes: the model's views
        # name their columns after their source columns, so such a view is outside it
        raise unknown("§12", "a view over a renamed column keeps the old output name (A20), not modelled")
    t = evolve(r, columns=tuple(evolve(c, name=new) if c.name == old else c for c in r.columns),
               constraints=tuple(_rename_in_con(k, s, tname, old, new, own=True) for k in r.constraints))
    w.put(s, tname, t)
    for i in t.indexes:
        idx = w.rel(s, i)
        assert isinstance(idx, Index)
        if old in idx.columns:
            w.put(s, i, evolve(idx, columns=tuple(new if c == old else c for c in idx.columns)))
    for s2, n2, t2 in w.all_tables():  # foreign keys into the column follow it (R6)
        if (s2, n2) != (s, tname) and any(k.ref and k.ref[:2] == (s, tname) for k in t2.constraints):
            w.put(s2, n2, evolve(t2, constraints=tuple(_rename_in_con(k, s, tname, old, new, own=False)
                                                       for k in t2.constraints)))
    w.renamed.append((("COLUMN", s, f"{tname}.{old}"), ("COLUMN", s, f"{tname}.{new}")))
    w.touch(s, tname)
    return "R3b,R1,V20"


def _view_column(w: Work, s: str, name: str, v: View, old: str, new: str) -> str:
    """R3h: a view's column renamed: no key changes (view columns are no rows), the view MAJOR (its output names are
    part of its structure, V23); its query still reads the source's column of the old name."""
    names = [c for c, _ in v.columns]
    if old not in names:
        raise reject("42703", f"column {old!r} does not exist")
    if new in names:
        raise reject("42701", f"column {new!r} of relation {name!r} already exists", "R4" if new == old else "X4")
    if w.views_on(s, name, {old}):  # as for a table's column (A20): the view over it keeps its output name
        raise unknown("§12", "a view over a renamed column keeps the old output name (A20), not modelled")
    w.put(s, name, evolve(v, columns=tuple((new if c == old else c, t) for c, t in v.columns),
                          reads=v.read_columns()))
    w.forced.append((s, name, "ALTER", "MAJOR"))  # (catalog_matviews.matview_changes records it)
    return "R3h"


def _matview_column(w: Work, s: str, name: str, mv: MatView, old: str, new: str) -> str:
    """R3h: a materialized view's column renamed (under any of the three keywords): no key changes (its columns
    are no rows, V22), the view MAJOR; its indexes name the column by its new name."""
    names = [c for c, _ in mv.columns]
    if old not in names:
        raise reject("42703", f"column {old!r} does not exist")
    if new in names:
        raise reject("42701", f"column {new!r} of relation {name!r} already exists", "R4" if new == old else "X4")
    if w.views_on(s, name, {old}):  # as for a table's column (A20): the view keeps its output name
        raise unknown("§12", "a view over a renamed column keeps the old output name (A20), not modelled")
    # its query still reads the source's column of the old name (the model's other views name their columns after
    # their source columns, A20)
    w.put(s, name, evolve(mv, columns=tuple((new if c == old else c, t) for c, t in mv.columns),
                          reads=mv.read_columns()))
    for i in mv.indexes:
        idx = w.rel(s, i)
        if isinstance(idx, Index) and old in idx.columns:
            w.put(s, i, evolve(idx, columns=tuple(new if c == old else c for c in idx.columns)))
    w.forced.append((s, name, "ALTER", "MAJOR"))
    return "R3h"


def _rename_in_con(k: Con, s: str, tname: str, old: str, new: str, *, own: bool) -> Con:
    def ren(cols: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(new if c == old else c for c in cols)

    if own:
        k = evolve(k, columns=ren(k.columns))
    if k.ref is not None and k.ref[:2] == (s, tname):
        k = evolve(k, ref=(k.ref[0], k.ref[1], ren(k.ref[2])))
    return k


def _constraint(w: Work, op: renames.RenameConstraint) -> str:
    s, tname, old, new = op.schema, op.table, op.name, op.new_name
    t = w.rel(s, tname)
    if t is None:
        if op.if_exists:
            return "V15"
        raise reject("42P01", f"relation {tname!r} does not exist")
    if not isinstance(t, Table) or t.con(old) is None:
        raise reject("42704", f"constraint {old!r} for table {tname!r} does not exist")
    owned = next((i for i in t.indexes if isinstance(x := w.rel(s, i), Index) and x.constraint == old), None)
    if owned is not None:  # PostgreSQL renames the index, which renames the constraint (B2)
        if w.rel(s, new) is not None:
            raise reject("42P07", f"relation {new!r} already exists")
        if t.con(new) is not None:
            raise reject("42710", f"constraint {new!r} for relation {tname!r} already exists")
        idx = w.rel(s, owned)
        assert isinstance(idx, Index)
        _move_index(w, s, tname, t, owned, new, idx)
    else:
        if t.con(new) is not None:
            raise reject("42710", f"constraint {new!r} for relation {tname!r} already exists")
        w.put(s, tname, evolve(t, constraints=tuple(evolve(k, name=new) if k.name == old else k
                                                    for k in t.constraints)))
        w.touch(s, tname)
    w.forced.append((s, tname, "ALTER", "PATCH"))
    return "R3d,R1,V20"


def _function(w: Work, op: renames.RenameFunction) -> str:
    s = op.schema
    f = w.base.functions.get((s, op.signature))
    if f is None:
        raise reject("42883", f"function {op.signature} does not exist")
    new_sig = f"{op.new_name}({', '.join(op.arg_types)})"
    if (s, new_sig) in w.base.functions:
        raise reject("42723", f"function {new_sig} already exists in schema {s!r}",
                     "R4" if new_sig == op.signature else "X4")
    w.funcs[(s, op.signature)] = None
    w.funcs[(s, new_sig)] = f
    w.renamed.append((("FUNCTION", s, op.signature), ("FUNCTION", s, new_sig)))
    return "R3g,R1,V20"


# --- references follow the object (R6) --------------------------------------------------------------


def follow_relation(w: Work, old: tuple[str, str], new: tuple[str, str]) -> None:
    """Every reference to relation `old` now names `new`: its indexes' table, views over it (in any schema: a view
    reads its source by identity, also after a move to another schema, R6), foreign keys into it, and its partitions'
    and inheritance children's parent (pg_inherits holds the OID, V23 (5); a move of a table in a hierarchy is outside
    the model, catalog_propagation, so the parent stays in the child's schema)."""
    s, name = new
    r = w.rel(s, name)
    if isinstance(r, Table | MatView):
        for i in r.indexes:
            idx = w.rel(s, i)  # (moved along by SET SCHEMA)
            if isinstance(idx, Index):
                w.put(s, i, evolve(idx, table=name))
    if old[0] == s and isinstance(r, Table):
        for n2, t2 in w.relations_in(s):
            if isinstance(t2, Table) and t2.parent == old[1]:
                w.put(s, n2, evolve(t2, parent=name))
    for s3 in sorted(w.base.schemas | {s}):
        for vname, v in w.relations_in(s3):
            if isinstance(v, View | MatView) and (v.source_schema or s3, v.source) == old and (s3, vname) != new:
                w.put(s3, vname, evolve(v, source=name, source_schema=None if s == s3 else s))
    for s2, n2, t2 in w.all_tables():
        if any(k.ref and k.ref[:2] == old for k in t2.constraints):
            w.put(s2, n2, evolve(t2, constraints=tuple(
                evolve(k, ref=(s, name, k.ref[2])) if k.ref and k.ref[:2] == old else k for k in t2.constraints)))


#: rename op class -> what it does to the catalog (registered in catalog_statements.STATEMENTS)
RENAME_STATEMENTS: dict[type, Callable[[Work, Any], str]] = {
    renames.RenameRelation: _relation, renames.RenameColumn: _column, renames.RenameConstraint: _constraint,
    renames.RenameFunction: _function,
}
