"""Propagation (contract V25): the first model's statements on a table with partitions or inheritance children.

PostgreSQL applies a parent-level ADD / DROP / RENAME COLUMN, ALTER COLUMN TYPE, SET / DROP NOT NULL, SET / DROP
DEFAULT, ADD / DROP CHECK, and — on a partitioned table — FOREIGN KEY, PRIMARY KEY / UNIQUE and CREATE / DROP
INDEX to every descendant, while its events name only the parent (B5). Each handler here wraps the first model's
handler: it runs it on the named table, then on every descendant (which is what PostgreSQL does), so each
descendant's structure changes and `versions.record_ddl` records one change on it (V9). Statements on a table
outside any hierarchy go to the first model's handler unchanged. What PostgreSQL does that this does not model is
`unknown` (machines avoid it), e.g. anything on a child that declares its inherited columns (B12).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_alter import alter_table
from pggit_model.model.catalog_partitions import children, clone_index, descendants
from pggit_model.model.catalog_renames import RENAME_STATEMENTS
from pggit_model.model.catalog_values import Index, Table
from pggit_model.model.catalog_work import Work, reject, unknown
from pggit_model.ops import ddl, renames

Handler = Callable[[Work, Any], str]


def _hier(w: Work, s: str, name: str) -> tuple[Table | None, list[str]]:
    t = w.rel(s, name)
    if not isinstance(t, Table):
        return None, []
    return t, descendants(w, s, name)


def _no_declaring(w: Work, s: str, below: list[str]) -> None:
    for d in below:
        dt = w.rel(s, d)
        if isinstance(dt, Table) and dt.declares_inherited:
            raise unknown("B12", f"{d!r} declares the columns it inherits: propagation into it is outside the model")


#: subcommands PostgreSQL applies to every descendant, and that the model follows there (V25)
_PROPAGATED = (ddl.AddColumn, ddl.DropColumn, ddl.AlterColumnType, ddl.SetNotNull, ddl.DropNotNull, ddl.SetDefault,
               ddl.DropDefault, ddl.AddConstraint, ddl.DropConstraint)


def _no_fk_into_a_hierarchy(w: Work, constraints: list[Any]) -> None:
    """Foreign keys into a partitioned table or a partition get a constraint per referenced partition (clones of
    the same name), and DETACH adds or drops them: not modelled."""
    for k in constraints:
        if isinstance(k, ddl.ForeignKey):
            t = w.rel(k.ref_schema, k.ref_table)
            if isinstance(t, Table) and (t.parent is not None or t.partition_by is not None
                                         or children(w, k.ref_schema, k.ref_table)):
                raise unknown("§12", "a foreign key into a table in a hierarchy: not modelled")


def create_table_in_hierarchy(w: Work, op: ddl.CreateTable, base: Handler) -> str:
    _no_fk_into_a_hierarchy(w, list(op.constraints))
    return base(w, op)


def alter_table_in_hierarchy(w: Work, op: ddl.AlterTable) -> str:
    s, name = op.schema, op.name
    _no_fk_into_a_hierarchy(w, [a.constraint for a in op.actions
                                if isinstance(a, ddl.AddConstraint | ddl.AddColumn) and a.constraint is not None])
    t, below = _hier(w, s, name)
    if t is None or (t.parent is None and not below and t.partition_by is None):
        return alter_table(w, op)
    if t.parent is not None:
        return _alter_descendant(w, op, t)
    if not all(isinstance(a, _PROPAGATED) for a in op.actions):
        raise unknown("§12", "an ALTER TABLE subcommand on a parent that the propagation model does not follow")
    partitioned = t.partition_by is not None
    adds = [a.constraint for a in op.actions if isinstance(a, ddl.AddConstraint)]
    if len(adds) > 1 or any(isinstance(a, ddl.AddColumn) and a.constraint is not None for a in op.actions):
        raise unknown("§12", "several constraints added to a parent in one statement: not modelled")
    key = t.partition_by[1] if partitioned else None  # type: ignore[index]
    for a in op.actions:
        col = getattr(a, "column", None) if not isinstance(a, ddl.AddColumn | ddl.DropColumn) else None
        keyed = key is not None and t.col(key) is not None and (
            (isinstance(a, ddl.DropColumn) and a.name == key) or (isinstance(a, ddl.AlterColumnType) and col == key))
        if keyed and len(op.actions) > 1:
            # PostgreSQL checks ALTER TYPE in its first pass and DROP COLUMN when it runs it, each in subcommand
            # order, so another subcommand's error may come first (42703 for a missing column, pinned)
            raise unknown("§12", "a partition key column altered or dropped beside other subcommands: the order of "
                                 "their errors is not modelled")
        if keyed and isinstance(a, ddl.DropColumn):
            raise reject("42P16", f"cannot drop column {key!r} because it is part of the partition key")
        if keyed:
            raise reject("42P16", f"cannot alter column {key!r} because it is part of the partition key")
        if isinstance(a, ddl.AlterColumnType) and _indexed_below(w, s, below, str(col)):
            # PostgreSQL rebuilds the partition indexes with names chosen afresh (a silent rename): outside V20
            raise unknown("§12", "ALTER TYPE of a column a partition index covers renames that index: not modelled")
    k = adds[0] if adds else None
    if isinstance(k, ddl.Unique | ddl.PrimaryKey):
        if not partitioned:
            raise unknown("§12", "PRIMARY KEY / UNIQUE on an inheritance parent (NOT NULL propagates): not modelled")
        if key not in k.columns and all(t.col(c) is not None for c in k.columns):  # a missing column first: 42703
            if len(op.actions) > 1:  # PostgreSQL refuses it when it builds the index, after other passes' checks
                raise unknown("§12", "a UNIQUE/PRIMARY KEY without the partition key beside other subcommands: "
                                     "the order of their errors is not modelled")
            if isinstance(k, ddl.PrimaryKey) and any(x.kind == "primary_key" for x in t.constraints):
                raise reject("42P16", f"multiple primary keys for table {op.name!r} are not allowed")  # (pinned)
            raise reject("0A000", "unique constraint on partitioned table must include all partitioning columns")
    if isinstance(k, ddl.ForeignKey) and not partitioned:
        raise unknown("§12", "a FOREIGN KEY on an inheritance parent stays on the parent: not modelled")
    _no_declaring(w, s, below)
    before = {(x.name, x.kind) for x in t.constraints}
    before_idx = set(t.indexes)
    rule = alter_table(w, op)
    after = w.rel(s, name)
    assert isinstance(after, Table)
    new_cons = [x for x in after.constraints if (x.name, x.kind) not in before]
    new_idx = [i for i in after.indexes if i not in before_idx]
    _label(w, s, new_idx)
    for d in below:
        _alter_one_descendant(w, s, d, op, t, new_cons, new_idx)
    return f"{rule},V25"


def _label(w: Work, s: str, indexes: list[str]) -> None:
    """Partitioned indexes keep the column names they were built with (see `Index.labels`)."""
    for i in indexes:
        idx = w.rel(s, i)
        if isinstance(idx, Index) and idx.labels is None:
            w.put(s, i, evolve(idx, labels=idx.columns))


def _indexed_below(w: Work, s: str, below: list[str], col: str) -> bool:
    for d in below:
        dt = w.rel(s, d)
        assert isinstance(dt, Table)
        for i in dt.indexes:
            idx = w.rel(s, i)
            if isinstance(idx, Index) and idx.of is not None and col in idx.columns:
                return True
    return False


def _alter_one_descendant(w: Work, s: str, d: str, op: ddl.AlterTable, parent: Table, new_cons: list[Any],
                          new_idx: list[str]) -> None:
    """What PostgreSQL's recursion does to descendant `d`: the same subcommands, with the parent's constraint
    names for CHECK and FOREIGN KEY; a PRIMARY KEY / UNIQUE as a partition index of its own (V25)."""
    dt = w.rel(s, d)
    assert isinstance(dt, Table)
    acts: list[ddl.Action] = []
    for a in op.actions:
        if isinstance(a, ddl.AddConstraint):
            if isinstance(a.constraint, ddl.Unique | ddl.PrimaryKey):
                continue  # built below, on the partition index
            named = [x for x in new_cons if x.kind in ("check", "foreign_key")]
            if dt.con(named[0].name) is not None:
                raise unknown("§12", "a descendant with a constraint of the parent's new name (merged): not modelled")
            acts.append(evolve(a, constraint=evolve(a.constraint, name=named[0].name)))
        elif isinstance(a, ddl.DropConstraint):
            k = parent.con(a.name)
            if k is None:
                acts.append(a)  # (rejected or skipped on the parent already)
            elif k.kind == "foreign_key" and parent.partition_by is None:
                continue  # inheritance children get no copy of a parent's foreign key (partitions do)
            elif k.kind in ("check", "foreign_key"):
                acts.append(a)
            else:  # the partition's own constraint attached to the dropped one goes with it
                owned = [i for i in dt.indexes if isinstance(x := w.rel(s, i), Index) and x.of == a.name]
                for i in owned:
                    idx = w.rel(s, i)
                    assert isinstance(idx, Index) and idx.constraint is not None
                    acts.append(ddl.DropConstraint(idx.constraint))
        else:
            acts.append(a)
    if acts:
        alter_table(w, evolve(op, name=d, actions=tuple(acts), if_exists=False))
    parent_of_d = dt.parent
    for i in new_idx:  # PRIMARY KEY / UNIQUE on a partitioned table: one partition index per partition, down
        pi = i if parent_of_d == op.name else _index_of_parent(w, s, parent_of_d, i)
        if pi is not None:
            clone_index(w, s, d, pi)
            w.touch(s, d)


def _index_of_parent(w: Work, s: str, parent: str | None, top_index: str) -> str | None:
    """The index of `parent` (a partition that is itself partitioned) attached, down a chain, to `top_index`."""
    pt = w.rel(s, parent) if parent else None
    if not isinstance(pt, Table):
        return None
    for i in pt.indexes:
        x = w.rel(s, i)
        while isinstance(x, Index) and x.of is not None:
            if x.of == top_index:
                return i
            x = w.rel(s, x.of)
    return None


def _alter_descendant(w: Work, op: ddl.AlterTable, t: Table) -> str:
    """ALTER TABLE on a partition or child itself: what stays its own (defaults, comments via COMMENT ON) is the
    first model's; changing what it inherits is refused (42P16, pinned on PostgreSQL 15); the rest is unknown."""
    s = op.schema
    parent = w.rel(s, t.parent or "")
    assert isinstance(parent, Table)
    if children(w, s, op.name) or t.partition_by is not None:
        raise unknown("§12", "ALTER TABLE on a table in the middle of a hierarchy: not modelled")
    if len(op.actions) > 1:  # PostgreSQL refuses inherited columns at execution, after other subcommands' checks
        raise unknown("§12", "several subcommands on a partition or child: the order of their errors is not modelled")
    for a in op.actions:
        if isinstance(a, ddl.DropColumn | ddl.AlterColumnType):
            col = a.name if isinstance(a, ddl.DropColumn) else a.column
            if parent.col(col) is not None:  # also a column the child declares itself (attinhcount > 0)
                verb = "drop" if isinstance(a, ddl.DropColumn) else "alter"
                raise reject("42P16", f"cannot {verb} inherited column {col!r}")
        if isinstance(a, ddl.DropConstraint) and parent.con(a.name) is not None:
            raise reject("42P16", f"cannot drop inherited constraint {a.name!r}")
    if not all(isinstance(a, ddl.SetDefault | ddl.DropDefault) for a in op.actions):
        raise unknown("§12", "ALTER TABLE on a partition or child beyond its defaults: not modelled")
    return alter_table(w, op)


def create_index_in_hierarchy(w: Work, op: ddl.CreateIndex, base: Handler) -> str:
    s = op.schema
    t, below = _hier(w, s, op.table)
    if t is None or t.partition_by is None:
        return base(w, op)  # an inheritance parent's index stays on it; a partition's is its own
    key = t.partition_by[1]
    if op.unique and key not in op.columns and all(t.col(c) is not None for c in op.columns):
        raise reject("0A000", "unique index on partitioned table must include all partitioning columns")
    rule = base(w, op)
    if rule == "V15":
        return rule
    _no_declaring(w, s, below)
    _label(w, s, [op.name])
    made = {op.table: op.name}
    for d in below:  # parents come first, so each partition's parent has its index already
        dt = w.rel(s, d)
        assert isinstance(dt, Table) and dt.parent is not None
        made[d] = clone_index(w, s, d, made[dt.parent])
        w.touch(s, d)
    return f"{rule},V25"


def drop_index_in_hierarchy(w: Work, op: ddl.DropIndex, base: Handler) -> str:
    s = op.schema
    idx = w.rel(s, op.name)
    if not isinstance(idx, Index):
        return base(w, op)
    if idx.of is not None:
        raise reject("2BP01", f"cannot drop index {op.name!r} because index {idx.of!r} requires it")
    attached = _attached_below(w, s, op.name)
    if not attached:
        return base(w, op)
    rule = base(w, op)
    for tname, i in attached:  # the partition indexes go with the partitioned one (A56)
        dt = w.rel(s, tname)
        assert isinstance(dt, Table)
        w.put(s, i, None)
        w.dropped.append(("INDEX", s, i))
        w.put(s, tname, evolve(dt, indexes=tuple(x for x in dt.indexes if x != i)))
        w.touch(s, tname)
    return f"{rule},V25"


def _attached_below(w: Work, s: str, index: str) -> list[tuple[str, str]]:
    out = []
    for n, r in w.relations_in(s):
        if isinstance(r, Index) and r.of == index:
            out.append((r.table, n))
            out.extend(_attached_below(w, s, n))
    return out


def drop_table_in_hierarchy(w: Work, op: ddl.DropTable, base: Handler) -> str:
    s = op.schema
    t, below = _hier(w, s, op.name)
    if t is None or not below:
        return base(w, op)
    if t.partition_by is None and not op.cascade:
        raise reject("2BP01", f"cannot drop table {op.name!r} because other objects depend on it")
    for d in below:
        if w.referencing_fks(s, d) or w.views_on(s, d):
            raise unknown("§12", "a partition or child with dependants dropped with its parent: not modelled")
    for d in reversed(below):  # V24v (and inheritance children by CASCADE): each with its columns and indexes
        dt = w.rel(s, d)
        assert isinstance(dt, Table)
        for i in dt.indexes:
            w.put(s, i, None)
            w.dropped.append(("INDEX", s, i))
        w.dropped.extend(("COLUMN", s, f"{d}.{c.name}") for c in dt.columns)
        w.dropped.append(("TABLE", s, d))
        w.put(s, d, None)
    rule = base(w, op)
    return f"{rule},V24v"


def rename_column_in_hierarchy(w: Work, op: renames.RenameColumn, base: Handler) -> str:
    s = op.schema
    t, below = _hier(w, s, op.table)
    if t is None or op.keyword != "TABLE" or (t.parent is None and not below and t.partition_by is None):
        return base(w, op)  # a partitioned table without partitions still renames its key below
    if t.parent is not None:
        parent = w.rel(s, t.parent)
        if isinstance(parent, Table) and parent.col(op.column) is not None:  # declared or not (attinhcount)
            raise reject("42P16", f"cannot rename inherited column {op.column!r}")
        if children(w, s, op.table):
            raise unknown("§12", "RENAME COLUMN in the middle of a hierarchy: not modelled")
        return base(w, op)
    _no_declaring(w, s, below)
    rule = base(w, op)
    if rule == "V15":
        return rule
    for d in below:  # R3b: the same key change on every descendant (V25)
        base(w, evolve(op, table=d, if_exists=False))
    for n in [op.table, *below]:
        x = w.rel(s, n)
        if isinstance(x, Table) and x.partition_by is not None and x.partition_by[1] == op.column:
            w.put(s, n, evolve(x, partition_by=(x.partition_by[0], op.new_name)))
    return f"{rule},V25"


def _not_in_hierarchy(kind: str, base: Handler) -> Handler:
    """A move of a table in a hierarchy: the model keeps a parent in its child's schema (Table.parent). A rename is
    followed (catalog_renames.follow_relation names the children's parent anew; pg_inherits holds OIDs)."""
    def handler(w: Work, op: Any) -> str:
        if isinstance(op, renames.SetSchema) and getattr(op, "keyword", "") == "TABLE":
            t, below = _hier(w, op.schema, op.name)
            if t is not None and (t.parent is not None or below or t.partition_by is not None):
                raise unknown("§12", f"{kind} of a table in a hierarchy: the partitions model does not follow it")
        return base(w, op)
    return handler


def _rename_constraint(w: Work, op: renames.RenameConstraint, base: Handler) -> str:
    t, below = _hier(w, op.schema, op.table)
    if t is not None and (t.parent is not None or below):
        # V25 does not list RENAME CONSTRAINT among the propagated statements, though PostgreSQL renames an
        # inherited CHECK in every descendant (docs/second-model-partitions.md, contract notes)
        raise unknown("V25", "RENAME CONSTRAINT in a hierarchy: §14 does not say what descendants record")
    return base(w, op)


def wrap(statements: dict[type, Handler]) -> dict[type, Handler]:
    """The first model's handlers of the statements a hierarchy changes, wrapped (registered in STATEMENTS)."""
    def bind(f: Callable[[Work, Any, Handler], str], base: Handler) -> Handler:
        return lambda w, op: f(w, op, base)

    return {
        ddl.AlterTable: alter_table_in_hierarchy,
        ddl.CreateTable: bind(create_table_in_hierarchy, statements[ddl.CreateTable]),
        ddl.CreateIndex: bind(create_index_in_hierarchy, statements[ddl.CreateIndex]),
        ddl.DropIndex: bind(drop_index_in_hierarchy, statements[ddl.DropIndex]),
        ddl.DropTable: bind(drop_table_in_hierarchy, statements[ddl.DropTable]),
        renames.RenameColumn: bind(rename_column_in_hierarchy, RENAME_STATEMENTS[renames.RenameColumn]),
        renames.RenameConstraint: bind(_rename_constraint, RENAME_STATEMENTS[renames.RenameConstraint]),
        renames.SetSchema: _not_in_hierarchy("a move", statements[renames.SetSchema]),
    }
