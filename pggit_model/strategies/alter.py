"""ALTER TABLE in random DDL: `ALTER_ACTIONS` (one row per subcommand) and `CONSTRAINT_DRAWERS` (one row per
constraint ALTER TABLE … ADD makes), with their drawers; `strategies.ddl` draws statements from them.

As in `DDL_DRAWERS`, a row says what it makes (`tests/test_completeness.py` holds every subcommand and constraint
kind to a row), and appending a row keeps what the existing rows draw.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from attrs import evolve, frozen
from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model.catalog import Table
from pggit_model.model.catalog_values import Col, Con, default_expr
from pggit_model.ops.types import assignment_cast
from pggit_model.strategies.common import THIRD
from pggit_model.strategies.values import COLUMN_TYPES, column_types, columns, defaults_for, names

#: a `strategies.ddl.DdlDraw` (not imported: ddl imports this module for ALTER_ACTIONS)
DdlDraw = Any


# --- ALTER TABLE subcommands: one drawer each, None when it would repeat a name already changed --------


# Variant weights: each subcommand drawer picks uniformly among the V10 rows and V9a no-ops it can show, so
# every row is drawn as often as every other instead of as often as the values happen to make it (ADD COLUMN
# NOT NULL without a DEFAULT, V10e, was one draw in six; an identical SET DEFAULT, V9a, one in hundreds).
_VARIANT = st.integers(0, 3)
_ADD_VARIANT = st.sampled_from([0, 1, 2, 0, 1, 3])  # rows e, d, k inline, and a column as drawn


def _add_column(d: DdlDraw, table: str, t: Table, used: set[str]) -> Any:
    col = d.draw(columns())
    prefix = f"{table}."
    dropped = [n[len(prefix):] for n in d.past_lives(("COLUMN",)) if n.startswith(prefix)]
    if dropped and d.draw(THIRD) == 0:  # a dropped column added again: a new life of its row (V14)
        col = evolve(col, name=d.draw(st.sampled_from(dropped)))
    if col.name in used:
        return None
    used.add(col.name)
    variant = d.draw(_ADD_VARIANT)
    if variant == 0:  # V10e: NOT NULL without a DEFAULT (or DEFAULT NULL, which counts as none)
        col = evolve(col, not_null=True, default=None)
    elif variant == 1:  # V10d: nullable
        col = evolve(col, not_null=False)
    elif variant == 2:  # V10k inline: the column's own row and the constraint's, the higher severity wins (V9)
        cname = d.draw(names(("k1", "k2", "k3")))
        if cname not in used:
            used.add(cname)
            con = ops.Check(cname, col.name, d.draw(st.sampled_from(["not_null", "positive"]))) \
                if d.draw(st.booleans()) else ops.Unique(cname, (col.name,))
            return ops.AddColumn(col, d.draw(st.booleans()), con)
    return ops.AddColumn(col, d.draw(st.booleans()))


def _drop_constraint(d: DdlDraw, table: str, t: Table, used: set[str]) -> Any:
    if not t.constraints:
        return None
    cname = d.draw(st.sampled_from([k.name for k in t.constraints]))
    if cname in used:
        return None
    used.add(cname)
    return ops.DropConstraint(cname, d.draw(st.booleans()))


ColumnAction = Callable[[DdlDraw, str, Table, str, set[str]], Any]


def _on_a_column(build: ColumnAction, which: Callable[[Col], bool] | None = None,
                 ) -> Callable[[DdlDraw, str, Table, set[str]], Any]:
    """A subcommand on one column of the table (of those `which` holds to, when it has some), not one this
    statement already changes."""
    def draw_action(d: DdlDraw, table: str, t: Table, used: set[str]) -> Any:
        col_name = d.pick_col(t, which)
        if col_name in used:
            return None
        used.add(col_name)
        return build(d, table, t, col_name, used)
    return draw_action


def retypable(c: Col) -> bool:
    """PostgreSQL casts the column's type by assignment to another type the strategies draw (V10g can happen)."""
    return _casts_to_another(c.type)


@cache
def _casts_to_another(type_: str) -> bool:
    return any(ty != type_ and assignment_cast(type_, ty) is True for ty in COLUMN_TYPES)


def _alter_type(d: DdlDraw, table: str, t: Table, col_name: str, used: set[str]) -> Any:
    found = t.col(col_name)
    castable = [ty for ty in COLUMN_TYPES if found is not None and ty != found.type
                and assignment_cast(found.type, ty)]
    # mostly a type PostgreSQL can cast to, so V10g changes happen often enough to be checked
    variant = d.draw(_VARIANT)
    if variant <= 1 and castable:  # V10g: a type PostgreSQL can cast to (MAJOR)
        return ops.AlterColumnType(col_name, d.draw(st.sampled_from(castable)))
    if variant == 2 and found is not None:  # V9a: TYPE to the same type records nothing
        return ops.AlterColumnType(col_name, found.type)
    return ops.AlterColumnType(col_name, d.draw(column_types()))


def _set_default(d: DdlDraw, table: str, t: Table, col_name: str, used: set[str]) -> Any:
    found = t.col(col_name)
    values = defaults_for(found.type) if found else st.integers(0, 9)
    variant = d.draw(_VARIANT)
    if variant == 0 and found is not None and found.default is not None:  # V9a: an identical SET DEFAULT
        return ops.SetDefault(col_name, found.default[1])
    value = d.draw(values)
    if variant >= 2:  # V10j: a default that differs from the one it has (two tries: some types have few)
        for _ in range(2):
            if value is not None and (found is None or default_expr(value, found.type) != found.default):
                break
            value = d.draw(values)
    return ops.SetDefault(col_name, value)


def _add_constraint(d: DdlDraw, table: str, t: Table, col_name: str, used: set[str]) -> Any:
    cname = d.draw(names(("k1", "k2", "k3")))
    if cname in used:
        return None
    used.add(cname)
    con = CONSTRAINT_DRAWERS[d.draw(_CONSTRAINT_KINDS)].draw(d, table, col_name, cname, used)
    return None if con is None else ops.AddConstraint(con)


def has_columns(t: Table) -> bool:
    return len(t.columns) > 0


def _has_constraints(t: Table) -> bool:
    return len(t.constraints) > 0


@frozen
class ActionDrawer:
    """A row of `ALTER_ACTIONS`: `draw(d, table, t, used)` makes one of `makes` (or a tuple of them: subcommands
    that belong together), or None. `applies(t)`: the table has what the subcommand changes (a column, a
    retypable column, a constraint); None for every table."""

    draw: Callable[[DdlDraw, str, Table, set[str]], Any]
    makes: tuple[type, ...]
    applies: Callable[[Table], bool] | None = None

    def fits(self, t: Table) -> bool:
        return self.applies is None or self.applies(t)


ALTER_ACTIONS: dict[str, ActionDrawer] = {
    "add": ActionDrawer(_add_column, (ops.AddColumn,)),
    "drop": ActionDrawer(_on_a_column(lambda d, table, t, c, used: ops.DropColumn(
        c, d.draw(st.booleans()), d.draw(st.booleans()))), (ops.DropColumn,), has_columns),
    "type": ActionDrawer(_on_a_column(_alter_type, retypable), (ops.AlterColumnType,),
                         lambda t: any(map(retypable, t.columns))),
    "setnn": ActionDrawer(_on_a_column(lambda d, table, t, c, used: ops.SetNotNull(c)), (ops.SetNotNull,),
                          has_columns),
    "dropnn": ActionDrawer(_on_a_column(lambda d, table, t, c, used: ops.DropNotNull(c)), (ops.DropNotNull,),
                           has_columns),
    "setdef": ActionDrawer(_on_a_column(_set_default), (ops.SetDefault,), has_columns),
    # (a column with a default when there is one: a DROP DEFAULT of none records nothing, V9a, and was most of them)
    "dropdef": ActionDrawer(_on_a_column(lambda d, table, t, c, used: ops.DropDefault(c),
                                         lambda c: c.default is not None), (ops.DropDefault,), has_columns),
    "addcon": ActionDrawer(_on_a_column(_add_constraint), (ops.AddConstraint,), has_columns),
    "dropcon": ActionDrawer(_drop_constraint, (ops.DropConstraint,), _has_constraints),
    # two subcommands: a constraint dropped and its name taken again (V13, V14, V20; blind spot 8)
    "renew": ActionDrawer(lambda d, table, t, used: new_life(d, table, t, used),
                          (ops.DropConstraint, ops.AddConstraint), _has_constraints),
}
#: Weights: each kind is drawn as often as the rows of V10 (and V9a, V13) it stands for: "add" three (d nullable, e
#: NOT NULL without a default, k inline), "type" two (g, a cast to another type, and V9a's TYPE to the same one),
#: "drop" two (f, the table's ALTER, and the column's own row dropped, V13, which V19's count leaves out), "renew"
#: two (a drop and an ADD under the freed name: V13 and V20 at once; at one in seventeen the general DDL drew it 4
#: times in 600, under tests/test_frame_ops.py's 1 %), every other kind one. As one kind in ten, ADD COLUMN … NOT
#: NULL (V10e) came about twice in a smoke run of the versioning machine, and a seed that drew none missed a
#: planted fault; at one in twelve, a seed's two type changes were both to the type the column had, and another's
#: one DROP COLUMN came last in its example (issue 18 part 3).
_WEIGHTED = (*ALTER_ACTIONS, "add", "add", "type", "drop", "renew")
ALTER_KINDS = st.sampled_from(_WEIGHTED)


def alter_kind(d: DdlDraw, name: str, t: Table, others: list[tuple[str, Table]] | None = None,
               ) -> tuple[str, Table, str]:
    """A subcommand kind by ALTER_KINDS' weights, with the table it changes: `name`, `t`, or — when the kind does
    not apply to `t` (a column's change on a table with none, a constraint's on one with none, a type change
    where no column casts to another type) — another of `others` it applies to; with none, a kind that applies
    to `t` is drawn instead. Before, such a draw fell back to ADD COLUMN or named a column that is not there, so a
    type change (V10g) or a drop (V19) of a column came a few times a smoke run, and a seed drew none (issue 18
    part 3)."""
    kind = d.draw(ALTER_KINDS)
    row = ALTER_ACTIONS[kind]
    if row.fits(t):
        return name, t, kind
    elsewhere = [(n, u) for n, u in others or () if row.fits(u)]
    if elsewhere:
        name, t = d.draw(st.sampled_from(elsewhere))
        return name, t, kind
    return name, t, d.draw(st.sampled_from([k for k in _WEIGHTED if ALTER_ACTIONS[k].fits(t)]))


# --- constraints ALTER TABLE … ADD draws -------------------------------------------------------------


def _primary_key(d: DdlDraw, table: str, col_name: str, cname: str, used: set[str]) -> Any:
    named = d.draw(st.booleans())
    if not named:
        # PostgreSQL names it <table>_pkey, so that name counts as used too (a DROP of it in the same statement
        # draws its new life through `new_life`, where the drop comes first)
        if f"{table}_pkey" in used:
            return None
        used.add(f"{table}_pkey")
    return ops.PrimaryKey((col_name,), cname if named else None)


def _foreign_key(d: DdlDraw, table: str, col_name: str, cname: str, used: set[str]) -> Any:
    # mostly a single-column key of the column's type (a UNIQUE or PRIMARY KEY): any table and column gave a
    # type pair the model leaves open (§12) or no unique key (42830) most of the time
    own = d.state.db.catalog.rel(d.schema, table)
    kind = next((c.type for c in getattr(own, "columns", ()) if c.name == col_name), None)
    keys = sorted((n, k.columns[0]) for n, t in d.tables for k in t.constraints
                  if k.kind in ("primary_key", "unique") and len(k.columns) == 1
                  and any(c.name == k.columns[0] and c.type == kind for c in t.columns))
    if keys and not d.maybe():
        ref_name, ref_col = d.draw(st.sampled_from(keys))
        return ops.ForeignKey(cname, (col_name,), d.schema, ref_name, (ref_col,))
    ref_name, ref = d.draw(st.sampled_from(d.tables))
    return ops.ForeignKey(cname, (col_name,), d.schema, ref_name, (d.pick_col(ref),))


@frozen
class ConstraintDrawer:
    """A row of `CONSTRAINT_DRAWERS`: `draw(d, table, column, name, used)` makes a `makes`, or None."""

    draw: Callable[[DdlDraw, str, str, str, set[str]], Any]
    makes: type


CONSTRAINT_DRAWERS: dict[str, ConstraintDrawer] = {
    "check": ConstraintDrawer(lambda d, table, c, cname, used: ops.Check(
        cname, c, d.draw(st.sampled_from(["not_null", "positive"]))), ops.Check),
    "unique": ConstraintDrawer(lambda d, table, c, cname, used: ops.Unique(cname, (c,)), ops.Unique),
    "pk": ConstraintDrawer(_primary_key, ops.PrimaryKey),
    "fk": ConstraintDrawer(_foreign_key, ops.ForeignKey),
}
_CONSTRAINT_KINDS = st.sampled_from(list(CONSTRAINT_DRAWERS))


# --- a name freed and taken again in one statement (V13, V14, V20) -----------------------------------------


def _same_again(k: Con, table: str, unnamed: bool) -> Any:
    """The constraint `k` as ALTER TABLE … ADD writes it (a primary key named <table>_pkey perhaps unnamed), or
    None for kinds ADD CONSTRAINT does not draw (EXCLUDE, a partition's bound CHECK)."""
    if k.kind == "primary_key":
        return ops.PrimaryKey(k.columns, None if unnamed and k.name == f"{table}_pkey" else k.name)
    if k.kind == "unique":
        return ops.Unique(k.name, k.columns)
    if k.kind == "check" and k.test in ("not_null", "positive"):
        return ops.Check(k.name, k.columns[0], k.test)
    if k.kind == "foreign_key" and k.ref is not None:
        return ops.ForeignKey(k.name, k.columns, *k.ref)
    return None


def new_life(d: DdlDraw, table: str, t: Table, used: set[str]) -> tuple[Any, ...] | None:
    """`DROP CONSTRAINT k` and an ADD that takes the name k again, in one statement: the constraint (and the
    index of a PRIMARY KEY or UNIQUE) is dropped and created anew — the index's row starts a new life even when
    the table's structure ends up as it was (V13, V14, V20: a new OID; V9a: the table records only a
    difference). Half the time the same definition (an unnamed PRIMARY KEY for <table>_pkey), else another
    constraint of a drawn kind under the name; the ADD is written before the DROP a third of the time (PostgreSQL
    runs every DROP first). None when the table has no constraint, or the name or the columns are already taken in
    this statement."""
    if not t.constraints:
        return None
    k = d.draw(st.sampled_from(t.constraints))
    if k.name in used:
        return None
    again = _same_again(k, table, d.draw(st.booleans())) if d.draw(st.booleans()) else None
    if again is None:
        col_name = d.pick_col(t)
        again = CONSTRAINT_DRAWERS[d.draw(_CONSTRAINT_KINDS)].draw(d, table, col_name, k.name, {k.name} | used)
        if isinstance(again, ops.PrimaryKey) and again.name is None and k.name != f"{table}_pkey":
            again = None  # an unnamed one would take <table>_pkey, not k
    if again is None or any(c in used for c in again.columns):
        return None
    used.update((k.name, *again.columns))
    if again.name is None:
        used.add(f"{table}_pkey")
    pair = (ops.DropConstraint(k.name, d.draw(st.booleans())), ops.AddConstraint(again))
    return pair[::-1] if d.draw(THIRD) == 0 else pair
