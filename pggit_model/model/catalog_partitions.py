"""Partitions and inheritance (contract §14.1, V24q–x): what the hierarchy statements do to the catalog.

A partitioned table, a partition and an inheritance child are `Table`s whose `partition_by`, `parent` and
`bound` place them in a hierarchy (V22, V23 (5)); partitioned and partition indexes are `Index`es, a partition
index naming the partitioned index it is attached to (`of`). Parent-level statements that PostgreSQL applies to
the descendants as well (V25) live in catalog_propagation. The orders of PostgreSQL 15's checks were pinned on a
real server (tests/test_model_partitions.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_bound_checks import bound_check
from pggit_model.model.catalog_values import Col, Con, Index, Table, default_expr, first_free_pkey_name
from pggit_model.model.catalog_work import Work, reject, unknown
from pggit_model.ops import partitions as P

# --- the hierarchy as the catalog holds it -----------------------------------------------------------


def children(w: Work, s: str, name: str) -> list[str]:
    """Tables whose parent is s.name (partitions and inheritance children), by name."""
    return [n for n, r in w.relations_in(s) if isinstance(r, Table) and r.parent == name]


def descendants(w: Work, s: str, name: str) -> list[str]:
    """Every table below s.name, parents before their children."""
    out: list[str] = []
    for c in children(w, s, name):
        out.append(c)
        out.extend(descendants(w, s, c))
    return out


def in_hierarchy(w: Work, s: str, name: str) -> bool:
    t = w.rel(s, name)
    return isinstance(t, Table) and (t.parent is not None or t.partition_by is not None or bool(children(w, s, name)))


def choose_name(w: Work, s: str, base: str, label: str) -> str:
    """PostgreSQL's ChooseRelationName(base, NULL, label): `base_label`, then `base_label1`, …, free in s."""
    n = 0
    while True:
        cand = f"{base}_{label}{n or ''}"
        if len(cand.encode()) > 63:
            raise unknown("§12", "a generated partition index name longer than 63 bytes is truncated: not modelled")
        if w.rel(s, cand) is None:
            return cand
        n += 1


def clone_index(w: Work, s: str, child: str, parent_index: str) -> str:
    """Create on partition `child` the index PostgreSQL builds for partitioned index `parent_index` (V24r, V25):
    `<child>_<columns>_idx`, or for a PRIMARY KEY / UNIQUE constraint `<child>_pkey` / `<child>_<columns>_key`,
    owning a constraint of that name."""
    pidx = w.rel(s, parent_index)
    t = w.rel(s, child)
    assert isinstance(pidx, Index) and isinstance(t, Table)
    for i in t.indexes:
        own = w.rel(s, i)
        if isinstance(own, Index) and own.of is None and own.columns == pidx.columns:
            # PostgreSQL attaches an equivalent index the partition already has instead of building one (its
            # rules compare opclasses, collations, predicates, constraints): not modelled (a smoke seed of the
            # cascades machine: CREATE INDEX on m reused a partition's own index)
            raise unknown("§12", "a partition's own index that PostgreSQL may attach to a partitioned index")
    pcon = None
    if pidx.constraint is not None:
        ptable = w.rel(s, pidx.table)
        assert isinstance(ptable, Table)
        pcon = ptable.con(pidx.constraint)
    if pcon is not None and pcon.kind == "primary_key":
        name = first_free_pkey_name(child, w.names_taken(s, child, t))
        if w.rel(s, name) is not None:
            raise unknown("§12", "a partition primary-key name taken by a relation: not modelled")
    else:
        labels = pidx.labels or pidx.columns
        name = choose_name(w, s, f"{child}_{'_'.join(labels)}", "key" if pcon is not None else "idx")
    cols = t.columns
    if pcon is not None:
        cons: tuple[Con, ...] = (*t.constraints, evolve(pcon, name=name))
        if pcon.kind == "primary_key":
            cols = tuple(evolve(c, not_null=True) if c.name in pcon.columns else c for c in cols)
    else:
        cons = t.constraints
    w.put(s, name, Index(child, pidx.columns, pidx.unique, name if pcon is not None else None, of=parent_index,
                         labels=pidx.labels or pidx.columns))
    w.put(s, child, evolve(t, columns=cols, constraints=cons, indexes=(*t.indexes, name)))
    w.created.append(("INDEX", s, name))
    return name


def clone_indexes(w: Work, s: str, child: str, parent: str) -> None:
    """Every partitioned index of `parent` gets its partition index on `child`, and so on down."""
    pt = w.rel(s, parent)
    assert isinstance(pt, Table)
    for i in pt.indexes:
        clone_index(w, s, child, i)


# --- what a change of that place records (V24s/t/x) -------------------------------------------------

#: a table's place in a hierarchy as table_shape records it (V23 (5)): (partition key, parent, bound); NOWHERE for
#: a table in none (table_shape then leaves the part out)
Place = tuple[Any, Any, Any]
NOWHERE: Place = (None, None, None)


def place_severity(old: Place, new: Place) -> int | None:
    """The severity (0 none, 2 MINOR, 3 MAJOR) of a table's place going from `old` to `new`: the one rule for the
    hierarchy statements (ATTACH, DETACH, [NO] INHERIT: classify compares the place before and after them, V9a)
    and for a place another branch changed in the shared catalog (B9), which main's next statement on the table
    counts with its own change (V9a, V9). The parent is compared as table_shape names it: by name, which follows
    renames (R6; versions_renames.follow_references) and breaks when the parent is dropped (V20).

    A place left — a partition's bound (V24t), an inheritance parent (V24x) — is MINOR; a place gained is MAJOR
    for a partition (V24s: rows outside its bound are now rejected), MINOR for an inheritance parent (V24x); the
    highest counts (V9). None where V24 does not rank the difference: a partition key that changed (a table's
    key never changes while it lives; renaming the key column is R3b's MAJOR by itself), or a partition that
    moved to another parent under the same bound (V24s's reason — rows outside the bound are now rejected —
    does not hold, and V24t's is the parent's loss alone)."""
    if old[0] != new[0]:
        return None
    was, now = old[1:], new[1:]
    if was == now:
        return 0
    if was[1] is not None and was[1] == now[1]:
        return None
    sev = 2 if was[0] is not None else 0  # V24t, V24x: a place left
    if now[0] is not None:
        sev = max(sev, 3 if now[1] is not None else 2)  # V24s, V24x: a place gained
    return sev


# --- bounds ------------------------------------------------------------------------------------------


def _check_bound(w: Work, s: str, m: str, mt: Table, name: str, how: str, values: tuple[int, ...]) -> None:
    """PostgreSQL's bound checks: the bound's form fits the strategy (42P16), ranges are not empty and no two
    partitions overlap (42P17)."""
    assert mt.partition_by is not None
    strategy = mt.partition_by[0]
    if how != "DEFAULT" and how != strategy:
        raise reject("42P16", f"invalid bound specification for a {strategy.lower()} partition")
    if how == "RANGE" and values[0] >= values[1]:
        raise reject("42P17", f"empty range bound specified for partition {name!r}")
    for other in children(w, s, m):
        ot = w.rel(s, other)
        assert isinstance(ot, Table) and ot.bound is not None
        ohow, ovals = ot.bound
        if how == "DEFAULT" and ohow == "DEFAULT":
            raise reject("42P17", f"partition {name!r} conflicts with existing default partition {other!r}")
        if how == "DEFAULT" or ohow == "DEFAULT":
            continue
        if how == "RANGE" and values[0] < ovals[1] and ovals[0] < values[1]:
            raise reject("42P17", f"partition {name!r} would overlap partition {other!r}")
        if how == "LIST" and set(values) & set(ovals):
            raise reject("42P17", f"partition {name!r} would overlap partition {other!r}")


def _partitioned(w: Work, s: str, m: str) -> Table:
    mt = w.rel(s, m)
    if mt is None:
        raise reject("42P01", f"relation {m!r} does not exist")
    if not isinstance(mt, Table):
        raise reject("42809", f"{m!r} is not a table")
    if mt.partition_by is None:
        raise reject("42P17", f"table {m!r} is not partitioned")
    return mt


# --- statements --------------------------------------------------------------------------------------


def _create_partitioned(w: Work, op: P.CreatePartitioned) -> str:
    s, name = op.schema, op.name
    if w.rel(s, name) is not None:
        raise reject("42P07", f"relation {name!r} already exists")
    names = [c.name for c in op.columns]
    if len(set(names)) != len(names):
        raise reject("42701", "column specified more than once")
    key = next((c for c in op.columns if c.name == op.key), None)
    if key is None:
        raise reject("42703", f"column {op.key!r} named in partition key does not exist")
    if key.type not in ("integer", "bigint", "smallint"):
        raise unknown("§12", "partition keys other than integers are outside the partitions model")
    cols = tuple(Col(c.name, c.type, c.not_null, default_expr(c.default, c.type)) for c in op.columns)
    w.put(s, name, Table(columns=cols, partition_by=(op.strategy, op.key)))
    w.created[:0] = [("TABLE", s, name), *[("COLUMN", s, f"{name}.{c}") for c in names]]
    return "V24q"


def _create_partition(w: Work, op: P.CreatePartition) -> str:
    s, name = op.schema, op.name
    # the parent is looked up first (42P01, pinned); whether "not partitioned" precedes "already exists" is not
    if w.rel(s, op.parent) is not None and w.rel(s, name) is not None:
        pt = w.rel(s, op.parent)
        ok = isinstance(pt, Table) and pt.partition_by is not None
        raise reject("42P07" if ok else ("42P07", "42P17", "42809"), f"relation {name!r} already exists")
    mt = _partitioned(w, s, op.parent)
    _check_bound(w, s, op.parent, mt, name, op.how, op.values)
    # columns, defaults, NOT NULL and CHECK / FOREIGN KEY constraints come from the parent (same names)
    cons = tuple(k for k in mt.constraints if k.kind in ("check", "foreign_key"))
    w.put(s, name, Table(columns=tuple(evolve(c, comment=None) for c in mt.columns), constraints=cons,
                         parent=op.parent, bound=(op.how, op.values)))
    w.created[:0] = [("TABLE", s, name), *[("COLUMN", s, f"{name}.{c.name}") for c in mt.columns]]
    clone_indexes(w, s, name, op.parent)
    return "V24r"


def _attachable(w: Work, s: str, m: str, mt: Table, x: str, xt: Table) -> None:
    """ATTACH's first checks: not in a hierarchy yet, no column the parent lacks (42804)."""
    if xt.parent is not None:
        raise reject("42809", f"{x!r} is already a partition or an inheritance child")
    if xt.partition_by is None and children(w, s, x):
        raise reject("42809", "cannot attach inheritance parent as partition")
    if xt.partition_by is not None:
        raise unknown("§12", "attaching a partitioned table (sub-partitions): not in the partitions model")
    if any(k.kind == "foreign_key" for k in mt.constraints):
        raise unknown("§12", "attaching under a parent with foreign keys (cloned or matched): not modelled")
    mine = {c.name: c for c in xt.columns}
    theirs = {c.name: c for c in mt.columns}
    if set(mine) - set(theirs):
        raise reject("42804", f"table {x!r} contains a column not found in parent {m!r}")


def _inherits_all(mt: Table, xt: Table) -> None:
    """CreateInheritance's checks, after the bound's (pinned on PostgreSQL 15): every parent column with its type
    and NOT NULL, every parent CHECK (42804)."""
    mine = {c.name: c for c in xt.columns}
    for c in mt.columns:
        xc = mine.get(c.name)
        if xc is None or xc.type != c.type:
            raise reject("42804", f"child table is missing column {c.name!r}, or its type differs")
        if c.not_null and not xc.not_null:
            raise reject("42804", f"column {c.name!r} in child table must be marked NOT NULL")
    for k in mt.constraints:
        if k.kind == "check" and xt.con(k.name) != k:
            raise reject("42804", f"child table is missing constraint {k.name!r}")


def _attach(w: Work, op: P.AttachPartition) -> str:
    s, m, x = op.schema, op.parent, op.name
    mt = _partitioned(w, s, m)
    xt = w.rel(s, x)
    if xt is None:
        raise reject("42P01", f"relation {x!r} does not exist")
    if not isinstance(xt, Table):
        raise reject("42809", f"{x!r} is not a table")
    if x == m:
        raise reject("42P07", "circular inheritance not allowed")
    _attachable(w, s, m, mt, x, xt)
    _check_bound(w, s, m, mt, x, op.how, op.values)
    _inherits_all(mt, xt)
    if any(c.name != k for c, k in zip(xt.columns, [c.name for c in mt.columns], strict=False)):
        raise unknown("§12", "a partition whose columns are in another order than its parent's: not modelled")
    w.put(s, x, evolve(xt, parent=m, bound=(op.how, op.values)))
    for i in mt.indexes:  # an equal index of x is attached, otherwise one is built (V24s)
        if _attach_existing(w, s, x, i) is None:
            clone_index(w, s, x, i)
    w.touch(s, x)  # V24s: MAJOR, by place_severity (classify compares x's place, V9a)
    return "V24s"


def _attach_existing(w: Work, s: str, x: str, parent_index: str) -> str | None:
    """The index of x PostgreSQL attaches to `parent_index` instead of building one: same columns and uniqueness,
    owned by a constraint of the same kind if the parent's is, attached to nothing yet."""
    pidx = w.rel(s, parent_index)
    xt = w.rel(s, x)
    assert isinstance(pidx, Index) and isinstance(xt, Table)
    pt = w.rel(s, pidx.table)
    assert isinstance(pt, Table)
    pkind = pt.con(pidx.constraint).kind if pidx.constraint is not None else None  # type: ignore[union-attr]
    for i in xt.indexes:
        idx = w.rel(s, i)
        if not isinstance(idx, Index) or idx.of is not None or idx.columns != pidx.columns or idx.unique != pidx.unique:
            continue
        kind = xt.con(idx.constraint).kind if idx.constraint is not None else None  # type: ignore[union-attr]
        if kind != pkind:
            if pkind is not None:
                raise unknown("§12", "attaching where x has a plain index and the parent a constraint: not modelled")
            continue
        w.put(s, i, evolve(idx, of=parent_index))
        return i
    return None


def _detach(w: Work, op: P.DetachPartition) -> str:
    s, m, x = op.schema, op.parent, op.name
    _partitioned(w, s, m)
    if op.concurrently and any(isinstance(t := w.rel(s, c), Table) and t.bound is not None
                               and t.bound[0] == "DEFAULT" for c in children(w, s, m)):
        # checked before the partition is looked up (pinned on PostgreSQL 15)
        raise reject("55000", "cannot detach partitions concurrently when a default partition exists")
    xt = w.rel(s, x)
    if xt is None:
        raise reject("42P01", f"relation {x!r} does not exist")
    if not isinstance(xt, Table) or xt.parent != m:
        raise reject("42P01", f"relation {x!r} is not a partition of relation {m!r}")
    for i in xt.indexes:  # its indexes stay, detached from the partitioned ones
        idx = w.rel(s, i)
        if isinstance(idx, Index) and idx.of is not None:
            w.put(s, i, evolve(idx, of=None))
    xt = evolve(xt, parent=None, bound=None)
    if op.concurrently:
        xt = bound_check(w, s, x, xt, m)
    w.put(s, x, xt)
    w.touch(s, x)  # V24t: MINOR, by place_severity; CONCURRENTLY's CHECK is the same change (classify)
    return "V24t"


def _inheritable(w: Work, s: str, p: str) -> Table:
    pt = w.rel(s, p)
    if pt is None:
        raise reject("42P01", f"relation {p!r} does not exist")
    if not isinstance(pt, Table):
        raise reject("42809", f"inherited relation {p!r} is not a table")
    if pt.partition_by is not None:
        raise reject("42809", f"cannot inherit from partitioned table {p!r}")
    if pt.bound is not None:
        raise reject("42809", f"cannot inherit from partition {p!r}")
    return pt


def _create_child(w: Work, op: P.CreateChild) -> str:
    s, name = op.schema, op.name
    if w.rel(s, op.parent) is None:
        raise reject("42P01", f"relation {op.parent!r} does not exist")  # before the name (pinned)
    if w.rel(s, name) is not None:
        raise reject(("42P07", "42809"), f"relation {name!r} already exists")
    pt = _inheritable(w, s, op.parent)
    own = [c.name for c in op.columns]
    if len(set(own)) != len(own):
        raise reject("42701", "column specified more than once")
    if set(own) & {c.name for c in pt.columns}:
        raise unknown("B12", "a child that declares a column it also inherits is outside the second model")
    cols = (*(evolve(c, comment=None) for c in pt.columns),
            *(Col(c.name, c.type, c.not_null, default_expr(c.default, c.type)) for c in op.columns))
    cons = tuple(k for k in pt.constraints if k.kind == "check")  # CHECKs are inherited, keys are not
    w.put(s, name, Table(columns=cols, constraints=cons, parent=op.parent))
    w.created[:0] = [("TABLE", s, name), *[("COLUMN", s, f"{name}.{c.name}") for c in cols]]
    return "V24w"


def _set_inherit(w: Work, op: P.SetInherit) -> str:
    s, c, p = op.schema, op.name, op.parent
    ct = w.rel(s, c)
    if ct is None:
        raise reject("42P01", f"relation {c!r} does not exist")
    if not isinstance(ct, Table):
        raise reject("42809", f"{c!r} is not a table")
    if ct.bound is not None or ct.partition_by is not None:
        raise reject("42809", "cannot change inheritance of a partition or a partitioned table")
    if not op.inherit:
        pt = w.rel(s, p)
        if pt is None:
            raise reject("42P01", f"relation {p!r} does not exist")
        if ct.parent != p:
            raise reject("42P01", f"relation {p!r} is not a parent of relation {c!r}")
        w.put(s, c, evolve(ct, parent=None, declares_inherited=False))  # its columns and CHECKs stay, local now
        w.touch(s, c)  # V24x: MINOR, by place_severity
        return "V24x"
    pt = _inheritable(w, s, p)
    if p == c or p in descendants(w, s, c):
        raise reject("42P07", "circular inheritance not allowed")
    if ct.parent is not None:
        raise unknown("B12", "multiple inheritance is outside the second model")
    mine = {x.name: x for x in ct.columns}
    for pc in pt.columns:
        xc = mine.get(pc.name)
        if xc is None or xc.type != pc.type:
            raise reject("42804", f"child table is missing column {pc.name!r}, or its type differs")
        if pc.not_null and not xc.not_null:
            raise reject("42804", f"column {pc.name!r} in child table must be marked NOT NULL")
    for k in pt.constraints:
        if k.kind == "check" and ct.con(k.name) != k:
            raise reject("42804", f"child table is missing constraint {k.name!r}")
    # c declares every column it now inherits (B12's excluded case): parent-level statements that would
    # reach it are outside the model from now on (catalog_propagation)
    w.put(s, c, evolve(ct, parent=p, declares_inherited=True))
    w.touch(s, c)  # V24x: MINOR, by place_severity
    return "V24x"


#: partition op class -> what it does to the catalog (registered in catalog_statements.STATEMENTS)
PARTITION_STATEMENTS: dict[type, Callable[[Work, Any], str]] = {
    P.CreatePartitioned: _create_partitioned, P.CreatePartition: _create_partition, P.AttachPartition: _attach,
    P.DetachPartition: _detach, P.CreateChild: _create_child, P.SetInherit: _set_inherit,
}
