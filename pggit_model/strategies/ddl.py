"""Random DDL on one schema, drawn from tables: `DDL_DRAWERS` (one row per kind of statement), `ALTER_ACTIONS`
(one row per ALTER TABLE subcommand) and `CONSTRAINT_DRAWERS` (one row per constraint ALTER TABLE adds); the
last two, with their drawers, are in `strategies.alter`.

A row says what it makes, so `tests/test_completeness.py` can hold every DDL op class, subcommand and
constraint kind of the vocabulary to a row that draws it. The order of the rows is the order Hypothesis
picks from, so appending a row keeps what the existing rows draw (and their shrinking) as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve, frozen
from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State
from pggit_model.model.catalog import Index, Table, View
from pggit_model.model.catalog_values import Col
from pggit_model.ops.base import TEMP_SCHEMA, identifier_problem
from pggit_model.strategies import cascades, dependents, frame, kinds, partitions, renames
from pggit_model.strategies.alter import ALTER_ACTIONS, alter_kind, has_columns
from pggit_model.strategies.common import (
    THIRD,
    across,
    function_names,
    predicted_only,
    relations_of,
    split_signature,
    tables_of,
)
from pggit_model.strategies.values import (
    NONE,
    columns,
    either,
    maybe,
    names,
    schema_variants,
    texts,
)

_COLUMN_LISTS = st.lists(columns(), max_size=4, unique_by=lambda c: c.name)
ARG_LISTS = st.lists(st.sampled_from(["integer", "text", "numeric", "boolean", "integer[]"]), max_size=2)
_NAME_POOL = ("t1", "t2", "t3", "Order Items", "select", "é")


class DdlDraw:
    """One DDL draw: the draw function, what `schema` holds in the model's state, how often to be invalid."""

    def __init__(self, draw: st.DrawFn, state: State, schema: str, invalid: float) -> None:
        self.draw, self.state, self.schema, self.invalid = draw, state, schema, invalid
        self.tables = tables_of(state, schema)
        self.views = relations_of(state, schema, View)
        self.indexes = relations_of(state, schema, Index)
        self.funcs = sorted(sig for (s, sig) in state.db.catalog.functions if s == schema)

    def maybe(self) -> bool:
        """True when this part of the op should be deliberately invalid."""
        return maybe(self.draw, self.invalid)

    def past_lives(self, kinds: tuple[str, ...] = ("TABLE", "VIEW", "INDEX")) -> list[str]:
        """Names of `kinds` whose row on c is inactive: dropped objects a CREATE can give a new life (V14)."""
        c = self.state.c
        return sorted({n for (k, s, n, b), r in self.state.db.rows.items()
                       if b == c and s == self.schema and k in kinds and not r.active})

    def fresh(self, pool: tuple[str, ...] = _NAME_POOL) -> str:
        """A relation name `schema` does not use yet (or, when invalid, perhaps one it does); a third of the time
        the name of a dropped object, when there is one, so it starts a new life (V14)."""
        used = set(self.relation_names())
        lives = [n for n in self.past_lives() if n not in used]
        if lives and self.draw(THIRD) == 0:
            return self.draw(st.sampled_from(lives))
        if (shared := self.shared_name(function_names(self.state, self.schema))) is not None and shared not in used:
            return shared
        name = self.draw(names(pool))
        return name if self.maybe() or name not in used else self.draw(names(pool).filter(lambda n: n not in used))

    def relation_names(self) -> list[str]:
        """The names of the schema's relations in the catalog, of every kind, sorted."""
        return sorted(n for (s, n) in self.state.db.catalog.relations if s == self.schema)

    def shared_name(self, others: list[str]) -> str | None:
        """A third of the time, one of `others`: the names of another kind of object in the schema, which a new
        object may share (relations and functions live in different namespaces). pgGit keys rows by kind, schema
        and name; a lookup or a merge that forgets the kind mixes up two objects only when the names meet."""
        return self.draw(st.sampled_from(others)) if others and self.draw(THIRD) == 0 else None

    def pick_table(self, which: Callable[[Table], bool] | None = None) -> tuple[str, Table]:
        """A table of the schema, one `which` holds to when there is one: a statement on a table's columns takes a
        table with columns, as an ALTER subcommand goes to a table it applies to (`alter_kind`). On a table without
        (CREATE TABLE draws none as often as any other count), it named a column that is not there and was
        rejected (42703): CREATE INDEX (V10c) was accepted about three times in five, a few times a smoke run, and
        a seed that drew none missed a planted fault (issue 18 part 3). Rejected draws stay `invalid`'s share."""
        fitting = [(n, t) for n, t in self.tables if which is None or which(t)]
        return self.draw(st.sampled_from(fitting or self.tables))

    def pick_col(self, t: Table, which: Callable[[Col], bool] | None = None) -> str:
        """A column of `t`, one `which` holds to when there is one (or, when invalid or `t` has none, a name that
        may not be one)."""
        if not t.columns or self.maybe():
            return self.draw(names(("a", "zz")))
        fitting = [c.name for c in t.columns if which is None or which(c)]
        return self.draw(st.sampled_from(fitting or [c.name for c in t.columns]))


# --- one drawer per kind of statement ----------------------------------------------------------------


def _create_table(d: DdlDraw) -> ops.Op:
    cols = d.draw(_COLUMN_LISTS)
    cons: list[Any] = []
    if len(cols) > 0 and d.draw(st.booleans()):
        cons.append(ops.PrimaryKey((cols[0].name,), either(d.draw, NONE, names(("pk", "t_pk")))))
    if len(cols) > 1 and d.draw(st.booleans()):
        cons.append(ops.Unique(d.draw(names(("u1", "u2"))), (cols[1].name,)))
    if len(cols) > 0 and d.draw(st.booleans()):
        cons.append(ops.Check(d.draw(names(("c1", "c2"))), cols[-1].name,
                              d.draw(st.sampled_from(["not_null", "positive"]))))
    return ops.CreateTable(d.schema, d.fresh(), tuple(cols), tuple(cons), d.draw(st.booleans()))


#: One subcommand half the time: in a statement of several, the highest severity hides the others' (V9).
_SUBCOMMANDS = st.sampled_from([1, 1, 2, 3])


def _alter_table(d: DdlDraw) -> ops.Op:
    name, t = d.pick_table()
    acts: list[Any] = []
    used: set[str] = set()  # columns and constraint names already changed: one change of each per statement
    for _ in range(d.draw(_SUBCOMMANDS)):
        act = ALTER_ACTIONS[alter_kind(d, name, t)[2]].draw(d, name, t, used)
        acts += act if isinstance(act, tuple) else [] if act is None else [act]
    if not acts:
        acts.append(ops.AddColumn(d.draw(columns()), True))
    return ops.AlterTable(d.schema, name if not d.maybe() else d.draw(names()), tuple(acts),
                          d.draw(st.booleans()) if d.maybe() else False)


def _drop_table(d: DdlDraw) -> ops.Op:
    name = d.pick_table()[0] if not d.maybe() else d.draw(names())
    return ops.DropTable(d.schema, name, d.draw(st.booleans()), d.draw(st.booleans()))


def _create_index(d: DdlDraw) -> ops.Op:
    name, t = d.pick_table(has_columns)
    cols = tuple(dict.fromkeys(d.pick_col(t) for _ in range(d.draw(st.integers(1, 2)))))
    return ops.CreateIndex(d.schema, d.fresh(("i1", "i2", "t1_idx", *derived_names(name, cols[0]))), name, cols,
                           d.draw(st.booleans()), d.draw(st.booleans()))


def derived_names(table: str, column: str) -> tuple[str, ...]:
    """Index names made of its table's and a column's, as PostgreSQL makes its own (`t_a`, `t_a_idx`): a backend
    that finds a table's columns by name prefix (COLUMN rows are `t.a`, their parent `t`) must not take such an
    index for one (mutation blind spot: `010_tracking.sql:where:3cda1b2e21:1`)."""
    return tuple(n for n in (f"{table}_{column}", f"{table}_{column}_idx") if identifier_problem(n) is None)


def _create_view(d: DdlDraw) -> ops.Op:
    name, t = d.pick_table(has_columns)
    src_schema = None
    if (far := across(d.draw, d.state, d.schema)) is not None:  # N7: a view over another schema's relation
        src_schema, name, avail = far
    elif len(d.views) > 0 and d.draw(st.booleans()):
        name = d.draw(st.sampled_from(d.views))
        src = d.state.db.catalog.rel(d.schema, name)
        avail = [c for c, _ in src.columns] if isinstance(src, View) else []
    else:
        avail = [c.name for c in t.columns]
    if not avail:
        avail = [d.draw(names(("a",)))]
    cols = tuple(dict.fromkeys(d.draw(st.lists(st.sampled_from(avail), min_size=1, max_size=3))))
    replace = len(d.views) > 0 and d.draw(st.booleans())
    vname = d.draw(st.sampled_from(d.views)) if replace and d.draw(st.booleans()) else d.fresh(("v1", "v2"))
    return ops.CreateView(d.schema, vname, name, cols, replace, src_schema)


def _create_table_as(d: DdlDraw) -> ops.Op:
    name, t = d.pick_table(has_columns)
    avail = [c.name for c in t.columns] or [d.draw(names(("a",)))]
    cols = dict.fromkeys(d.draw(st.lists(st.sampled_from(avail), min_size=1, max_size=3)))
    return ops.CreateTableAs(d.schema, d.fresh(("t2", "t3")), name, tuple(cols), d.draw(st.booleans()))


def _comment(d: DdlDraw) -> ops.Op:
    name, t = d.pick_table()
    txt = either(d.draw, NONE, texts(10))
    if len(t.columns) > 0 and d.draw(st.booleans()):
        return ops.CommentOnColumn(d.schema, name, d.pick_col(t), txt)
    return ops.CommentOnTable(d.schema, name, txt)


def _drop_index(d: DdlDraw) -> ops.Op:
    return ops.DropIndex(d.schema, d.draw(st.sampled_from(d.indexes)), d.draw(st.booleans()), d.draw(st.booleans()))


def _drop_view(d: DdlDraw) -> ops.Op:
    return ops.DropView(d.schema, d.draw(st.sampled_from(d.views)), d.draw(st.booleans()), d.draw(st.booleans()))


def _create_function(d: DdlDraw) -> ops.Op:
    args = tuple(d.draw(ARG_LISTS))
    name = d.shared_name(d.relation_names()) or d.draw(names(("f", "add tax", "select")))
    return ops.CreateFunction(d.schema, name, args, d.draw(st.integers(0, 3)), d.draw(st.booleans()))


def _drop_function(d: DdlDraw) -> ops.Op:
    name, args = split_signature(d.draw(st.sampled_from(d.funcs)))
    return ops.DropFunction(d.schema, name, args, d.draw(st.booleans()), d.draw(st.booleans()))


@frozen
class DdlDrawer:
    """A row of `DDL_DRAWERS`: `draw` makes one of `makes`; it is picked `weight` times as often as a
    weight-1 row, and only when the schema has some `needs` ("tables", "views", "indexes", "funcs"). `v10`: the
    row of V10 its statements are ("" for a statement outside V10's table), by which `single_changes` draws."""

    draw: Callable[[DdlDraw], ops.Op]
    makes: tuple[type, ...]
    needs: str | None = None
    weight: int = 1
    v10: str = ""


#: The statements on temporary objects (`_temporary`): the first rows of DDL_DRAWERS, whose ops the model follows in
#: `pg_temp` (model/catalog_temp.TEMP_STATEMENTS).
_CORE: tuple[DdlDrawer, ...] = (
    DdlDrawer(_create_table, (ops.CreateTable,), v10="a"),
    DdlDrawer(_alter_table, (ops.AlterTable,), needs="tables", weight=3),  # (rows d–l, several in one statement)
    DdlDrawer(_drop_table, (ops.DropTable,), needs="tables", v10="o"),
    DdlDrawer(_create_index, (ops.CreateIndex,), needs="tables", v10="c"),
    DdlDrawer(_create_view, (ops.CreateView,), needs="tables", v10="b"),
    DdlDrawer(_comment, (ops.CommentOnTable, ops.CommentOnColumn), needs="tables", v10="m"),
    DdlDrawer(_drop_index, (ops.DropIndex,), needs="indexes", v10="n"),
    DdlDrawer(_drop_view, (ops.DropView,), needs="views", v10="p"),
    DdlDrawer(_create_function, (ops.CreateFunction,), v10="b"),
    DdlDrawer(_drop_function, (ops.DropFunction,), needs="funcs", v10="p"),
    DdlDrawer(_create_table_as, (ops.CreateTableAs,), needs="tables", v10="a"),
)


def _temporary(d: DdlDraw) -> ops.Op:
    """V1, §14 A8: a statement on the session's temporary objects (`pg_temp.name`): tables, their indexes, columns
    and comments, views over temporary or permanent relations, functions; CREATE TABLE AS from a temporary table.
    The machine's own rows meanwhile draw views over temporary relations now and then (`across`): PostgreSQL
    refuses those in a permanent schema (42P16)."""
    t = DdlDraw(d.draw, d.state, TEMP_SCHEMA, d.invalid)
    return d.draw(st.sampled_from([row.draw for row in _CORE for _ in range(row.weight)
                                   if row.needs is None or getattr(t, row.needs)]))(t)


DDL_DRAWERS: tuple[DdlDrawer, ...] = (
    *_CORE,
    # §14.2, §14.3 (strategies/renames.py)
    DdlDrawer(renames.rename, (ops.RenameRelation, ops.RenameColumn, ops.RenameConstraint, ops.RenameFunction),
              needs="tables", weight=2),  # 2: constraint renames stayed rare once the cascades row came
    DdlDrawer(renames.schema_ddl, (ops.CreateSchema, ops.DropSchema, ops.RenameSchema, ops.SetSchema)),
    # §14.1 V26h, V24m–p (strategies/cascades.py)
    DdlDrawer(cascades.cascade_ddl, (ops.DropTables, ops.CreateIndexConcurrently, ops.DropIndexConcurrently,
                                     ops.Reindex, ops.SetStorage, ops.SetStatistics, *ops.ROW_OPS), needs="tables",
              weight=2),  # 2: six statements in one row, DROP INDEX CONCURRENTLY rare once the frame row came
    # §14.1 (strategies/kinds.py)
    DdlDrawer(kinds.kinds_ddl, ops.KINDS_OPS, needs="tables", weight=3),  # (17 statements in one row)
    # §14.1 V24q–x (strategies/partitions.py)
    DdlDrawer(partitions.hierarchy_ddl, (ops.CreatePartitioned, ops.CreatePartition, ops.AttachPartition,
                                         ops.DetachPartition, ops.CreateChild, ops.SetInherit), needs="tables",
              weight=2),  # 2: six statements in one row (at 1, ATTACH and [NO] INHERIT came 1-2 times in 3000 draws)
    # V15 frame, V27: statements that record nothing (strategies/frame.py)
    DdlDrawer(frame.frame_ddl, ops.FRAME_OPS, needs="tables", weight=2),  # (six statements in one row)
    # §14.1 V26d–f: types, domains, sequences and their uses (strategies/dependents.py)
    DdlDrawer(dependents.dependent_ddl, ops.DEPENDENT_OPS),
    # V1, §14 A8: temporary objects, a modest share (the share of one ordinary row)
    DdlDrawer(_temporary, tuple(dict.fromkeys(c for row in _CORE for c in row.makes))),
)


@st.composite
def _ddl(draw: st.DrawFn, state: State, schema: str, invalid: float) -> ops.Op:
    d = DdlDraw(draw, state, schema, invalid)
    choices = [row.draw for row in DDL_DRAWERS for _ in range(row.weight) if row.needs is None or getattr(d, row.needs)]
    op = draw(st.sampled_from(choices))(d)
    if d.maybe() and not isinstance(op, ops.CreateView | ops.CreateTableAs | ops.CreateMatView | ops.SelectInto
                                    | ops.CreateTableLike):
        # a schema that looks like the machine's but is not (case, quotes, a space, a character off): rejected
        # with 3F000, or skipped with IF EXISTS (V15), and never recorded. Not for statements with a SELECT:
        # PostgreSQL analyses it first (42P01), and the model does not know that order yet (it says 3F000).
        op = evolve(op, schema=draw(st.sampled_from(schema_variants(schema))))  # type: ignore[call-arg]
    return op


def ddl_ops(state: State, schema: str, invalid: float = 0.1) -> st.SearchStrategy[ops.Op]:
    """DDL on `schema` whose outcome the model predicts exactly (B9 respected); some are rejected by design."""
    return predicted_only(state, _ddl(state, schema, invalid))


def v10_rows(rows: list[DdlDrawer]) -> list[list[DdlDrawer]]:
    """`rows` grouped by their V10 row (a, b, c, m, n, o, p, in that order), the statements outside V10 last, as one
    group: what `single_changes` draws uniformly from."""
    groups: dict[str, list[DdlDrawer]] = {}
    for row in rows:
        groups.setdefault(row.v10, []).append(row)
    return [groups[k] for k in sorted(groups, key=lambda k: (k == "", k))]


@st.composite
def _single_change(draw: st.DrawFn, state: State, schema: str, invalid: float) -> ops.Op:
    d = DdlDraw(draw, state, schema, invalid)
    # (not the temporary objects' row: V1 leaves them untracked, so they change nothing of V10's)
    rows = [row for row in DDL_DRAWERS if (row.needs is None or getattr(d, row.needs)) and row.draw is not _temporary]
    # Two thirds ALTER TABLE: most V10 rows (d–l of a–p) are its subcommands. The other third draws a row of V10's
    # statements (CREATE TABLE, VIEW or FUNCTION, INDEX, COMMENT, DROP INDEX, TABLE, VIEW or FUNCTION) as often as
    # another, and the statements outside V10 (§14's renames, hierarchies, kinds, cascades, the frame; several
    # subcommands in one ALTER) together as often as one of them. Drawn uniformly over DDL_DRAWERS' rows instead,
    # the eleven rows outside V10 took half of that third, and CREATE INDEX (V10c) came 1.6 % of single changes,
    # a few times a smoke run of the versioning machine: a seed that drew none missed a planted fault (issue 18
    # part 3).
    if not d.tables or draw(THIRD) == 0:
        return draw(st.sampled_from(draw(st.sampled_from(v10_rows(rows))))).draw(d)
    name, t, kind = alter_kind(d, *d.pick_table(), d.tables)
    act = ALTER_ACTIONS[kind].draw(d, name, t, set())
    acts = act if isinstance(act, tuple) else (act if act is not None else ops.AddColumn(d.draw(columns()), False),)
    return ops.AlterTable(schema, name, acts)


def single_changes(state: State, schema: str, invalid: float = 0.0) -> st.SearchStrategy[ops.Op]:
    """One DDL statement whose kind — a row of DDL_DRAWERS or, as a one-subcommand ALTER TABLE, of ALTER_ACTIONS —
    is drawn uniformly: every V10 row as often as every other, none hidden behind a higher severity (V9)."""
    return predicted_only(state, _single_change(state, schema, invalid))


def temporary_ddl(state: State, schema: str, invalid: float = 0.1) -> st.SearchStrategy[ops.Op]:
    """V1, §14 A8: one statement on the session's temporary objects (`pg_temp.name`) that the model predicts
    exactly; `schema` is the machine's, whose relations temporary views may read."""

    @st.composite
    def draw_one(draw: st.DrawFn) -> ops.Op:
        return _temporary(DdlDraw(draw, state, schema, invalid))

    return predicted_only(state, draw_one())


def kinds_ops(state: State, schema: str, invalid: float = 0.1) -> st.SearchStrategy[ops.Op]:
    """A §14.1 kinds statement on `schema` the model predicts exactly (needs a table in `schema`); here, not in
    strategies/kinds.py, because it needs DdlDraw and this module imports that one for its DDL_DRAWERS row."""

    @st.composite
    def draw_one(draw: st.DrawFn) -> ops.Op:
        return kinds.kinds_ddl(DdlDraw(draw, state, schema, invalid))

    return predicted_only(state, draw_one())
