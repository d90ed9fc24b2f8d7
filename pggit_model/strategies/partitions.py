"""Drawing partitions and inheritance (V24q–x) and parent-level statements that propagate (V25).

`hierarchy_ddl` is the row appended to `DDL_DRAWERS` (every machine's DDL may build a hierarchy); the partitions
machine draws from `parent_changes` and the helpers below, which keep to what the model predicts.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State
from pggit_model.model.catalog import Index, Table
from pggit_model.strategies.common import predicted_only, tables_of
from pggit_model.strategies.values import suffixed

#: a `strategies.ddl.DdlDraw` (not imported: ddl imports this module for its DDL_DRAWERS row)
DdlDraw = Any

#: partition bounds are slots: RANGE [10 i, 10 i + 10), LIST (i): two partitions of one slot overlap (42P17)
SLOTS = range(6)
PARTITION_NAMES = ("m_p0", "m_p1", "m_p2", "Part 3", "m_def")


def bound_for(strategy: str, slot: int | None) -> tuple[str, tuple[int, ...]]:
    if slot is None:
        return "DEFAULT", ()
    return ("RANGE", (10 * slot, 10 * slot + 10)) if strategy == "RANGE" else ("LIST", (slot,))


def partitioned(state: State, schema: str) -> list[tuple[str, Table]]:
    return [(n, t) for n, t in tables_of(state, schema) if t.partition_by is not None]


def children_of(state: State, schema: str, parent: str) -> list[str]:
    return [n for n, t in tables_of(state, schema) if t.parent == parent]


def parents(state: State, schema: str) -> list[str]:
    """Tables with a partition or child (partitioned tables count even when they have none yet)."""
    return sorted({n for n, t in tables_of(state, schema) if t.partition_by is not None}
                  | {t.parent for _, t in tables_of(state, schema) if t.parent is not None})


def loose_tables(state: State, schema: str) -> list[tuple[str, Table]]:
    """Plain tables outside any hierarchy: candidates for ATTACH and INHERIT."""
    below = {t.parent for _, t in tables_of(state, schema)}
    return [(n, t) for n, t in tables_of(state, schema)
            if t.partition_by is None and t.parent is None and n not in below]


def _slot(draw: Any) -> int | None:
    return draw(st.one_of(st.sampled_from(list(SLOTS)), st.none()))


def hierarchy_ddl(d: DdlDraw) -> ops.Op:
    """One of V24q–x on the drawn schema: a partitioned table, a partition, ATTACH / DETACH, a child, [NO] INHERIT."""
    draw, s, state = d.draw, d.schema, d.state
    kinds = ["partitioned", "child"]
    parts = partitioned(state, s)
    loose = loose_tables(state, s)
    # (INHERIT is often refused, and a partition's bound often overlaps a sibling's or names no partitioned table:
    # both drawn twice)
    kinds += ["partition", "partition", "attach", "detach", "inherit", "inherit"]
    kind = draw(st.sampled_from(kinds))
    if kind == "partitioned":
        cols = (ops.Column("k", "integer", True), ops.Column("v", draw(st.sampled_from(["text", "integer"]))))
        strategy = draw(st.sampled_from(["RANGE", "LIST"]))
        key = "k" if not d.maybe() else "zz"
        return ops.CreatePartitioned(s, d.fresh(("m", "Measures", "m2")), cols, strategy, key)
    if kind == "child":
        name, _ = d.pick_table()
        own = (ops.Column(draw(st.sampled_from(["x", "y"])), "integer"),) if draw(st.booleans()) else ()
        return ops.CreateChild(s, d.fresh(("c", "Child", "c2")), name, own)
    if kind == "inherit":
        name, t = d.pick_table()
        others = [n for n, _ in d.tables if n != name] or [name]
        if t.parent is not None:
            return ops.SetInherit(s, name, t.parent, False)
        return ops.SetInherit(s, name, draw(st.sampled_from(others)), True)
    # (with no partitioned table, or when invalid, a plain table: 42809 "not partitioned")
    m, mt = draw(st.sampled_from(parts)) if parts and not d.maybe() else d.pick_table()
    how, values = bound_for(mt.partition_by[0] if mt.partition_by else "RANGE", _slot(draw))
    if kind == "partition":
        return ops.CreatePartition(s, d.fresh(PARTITION_NAMES), m, how, values)
    if kind == "detach":
        kids = children_of(state, s, m)
        # CONCURRENTLY now and then: outside a transaction block only (X13), so under rollback isolation the model
        # leaves it unpredicted and it is not run
        return ops.DetachPartition(s, m, draw(st.sampled_from(kids)) if kids else d.fresh(PARTITION_NAMES),
                                   draw(st.sampled_from([False, False, False, True])))
    x = draw(st.sampled_from([n for n, _ in loose])) if loose else d.fresh(PARTITION_NAMES)
    return ops.AttachPartition(s, m, x, how, values)


# --- the partitions machine's draws --------------------------------------------------------------------


@st.composite
def _parent_change(draw: Any, state: State, schema: str, parent: str) -> ops.Op:
    t = state.db.catalog.table(schema, parent)
    assert t is not None
    key = t.partition_by[1] if t.partition_by is not None else None
    cols = [c.name for c in t.columns]
    nonkey = [c for c in cols if c != key] or cols
    col = draw(st.sampled_from(nonkey or ["zz"]))
    c = t.col(col)
    checks = [k.name for k in t.constraints if k.kind == "check"]
    keys = [k.name for k in t.constraints if k.kind in ("unique", "primary_key")]
    indexes = [i for i in t.indexes if isinstance(x := state.db.catalog.rel(schema, i), Index) and x.constraint is None]
    kind = draw(st.sampled_from(["add", "add", "drop", "type", "not_null", "default", "check", "rename", "index",
                                 "key"]))
    act: ops.Action
    if kind == "add":
        new = ops.Column(draw(st.sampled_from(["n", "note", "Qty"])), draw(st.sampled_from(["integer", "text"])),
                         draw(st.booleans()))
        if draw(st.booleans()):
            new = ops.Column(new.name, new.type, new.not_null, 1 if new.type == "integer" else "x")
        act = ops.AddColumn(new)
    elif kind == "drop":
        act = ops.DropColumn(col)
    elif kind == "type":
        to = {"integer": "bigint", "bigint": "integer", "text": "varchar(20)", "varchar(20)": "text"}
        act = ops.AlterColumnType(col, to.get(c.type if c else "text", "text"))
    elif kind == "not_null":
        act = ops.DropNotNull(col) if c is not None and c.not_null else ops.SetNotNull(col)
    elif kind == "default":
        if c is not None and c.default is not None and draw(st.booleans()):
            act = ops.DropDefault(col)
        else:
            act = ops.SetDefault(col, 7 if c is not None and c.type in ("integer", "bigint") else "d")
    elif kind == "check":
        ints = [x.name for x in t.columns if x.type in ("integer", "bigint")]
        if checks and draw(st.booleans()):
            act = ops.DropConstraint(draw(st.sampled_from(checks)))
        else:
            act = ops.AddConstraint(ops.Check(draw(st.sampled_from(["ck", "k_pos"])),
                                              draw(st.sampled_from(ints or cols or ["k"])), "positive"))
    elif kind == "rename":
        return ops.RenameColumn("TABLE", schema, parent, col, suffixed(col, "_2"))
    elif kind == "index":
        if indexes and draw(st.booleans()):
            return ops.DropIndex(schema, draw(st.sampled_from(indexes)))
        return ops.CreateIndex(schema, draw(st.sampled_from(["mi", "mi2"])), parent, (col,),
                               unique=draw(st.booleans()))
    else:
        if keys and draw(st.booleans()):
            act = ops.DropConstraint(draw(st.sampled_from(keys)))
        elif key is not None and draw(st.booleans()):
            act = ops.AddConstraint(ops.PrimaryKey((key,)))
        else:
            act = ops.AddConstraint(ops.Unique("uk", tuple(dict.fromkeys((key or col, col)))))
    return ops.AlterTable(schema, parent, (act,))


def parent_changes(state: State, schema: str, parent: str) -> st.SearchStrategy[ops.Op]:
    """A statement on `parent` that PostgreSQL applies to its descendants (V25), within what the model predicts."""
    return predicted_only(state, _parent_change(state, schema, parent))
