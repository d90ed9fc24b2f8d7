"""Drawing the objects tables use and their uses (§14.1 V26d–f, `ops/dependents.py`): the name pools the
dependents machine works in, and one row of `DDL_DRAWERS`.

The row draws CREATE/DROP of enum types, domains and sequences of these pools (they record nothing, V27) and uses of
them by tables of `TABLES` only, which the other machines never create: there every use is refused (42P01), so
their tables never get a column of a type the first model's draws know nothing of (ALTER COLUMN TYPE, casts).
The dependents machine creates those tables and draws the uses itself.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.strategies.common import predicted_only

#: a `strategies.ddl.DdlDraw` (not imported: ddl imports this module for its DDL_DRAWERS row)
DdlDraw = Any

#: names of enum types and domains, sequences, functions (no arguments), tables, parts and views: one needing
#: quotes each (N1), apart from every other pool so no name is two kinds of object
TYPES = ("mood", "Pos Int")
SEQUENCES = ("sq", "Seq 2")
FUNCTIONS = ("uf", "Used Fn")
TABLES = ("user_t", "User T2")
PARTS = ("p1", "Part 2", "p3")
VIEWS = ("uv", "Use View")

#: which pool a use draws its object from
POOL_OF = {"type": TYPES, "sequence": SEQUENCES, "function": FUNCTIONS}


def creates(what: str) -> st.SearchStrategy[str]:
    """Names for CREATE of `what` (ENUM, DOMAIN, SEQUENCE)."""
    return st.sampled_from(SEQUENCES if what == "SEQUENCE" else TYPES)


def dependent_ddl(d: DdlDraw) -> ops.Op:
    """CREATE TYPE / DOMAIN / SEQUENCE, their DROP (some with CASCADE or IF EXISTS, some naming what does not
    exist), a use of one by a table of `TABLES` (refused where no such table is), or a view calling a function."""
    draw, s = d.draw, d.schema
    kind = draw(st.sampled_from(["create", "drop", "use", "view"]))
    if kind == "create":
        what = draw(st.sampled_from(["ENUM", "DOMAIN", "SEQUENCE"]))
        return ops.CreateUsable(what, s, draw(creates(what)))
    if kind == "drop":
        keyword = draw(st.sampled_from(["TYPE", "DOMAIN", "SEQUENCE"]))
        name = draw(st.sampled_from(SEQUENCES if keyword == "SEQUENCE" else TYPES))
        return ops.DropUsable(keyword, s, name, draw(st.booleans()), draw(st.booleans()))
    if kind == "use":
        how = draw(st.sampled_from(sorted(ops.USES)))
        return ops.UseInTable(how, s, draw(st.sampled_from(TABLES)), draw(st.sampled_from(PARTS)), s,
                              draw(st.sampled_from(POOL_OF[ops.USES[how]])))
    return ops.CreateCallingView(s, draw(st.sampled_from(VIEWS)), s, draw(st.sampled_from(FUNCTIONS)))


def dependent_ops(state: Any, schema: str) -> st.SearchStrategy[ops.Op]:
    """Any statement of the dependents machine's world on `state`: its tables, uses of every kind, views over the
    new columns or calling a function, and DROPs of the used objects, functions included (V26d–f). Only what the
    model predicts; for streams checked against PostgreSQL alone (tests/test_model_outcomes.py)."""
    return predicted_only(state, _dependent_ops(state, schema))


@st.composite
def _dependent_ops(draw: st.DrawFn, state: Any, schema: str) -> ops.Op:
    s, cat = schema, state.db.catalog
    kind = draw(st.sampled_from(["table", "usable", "function", "use", "use", "view", "drop", "drop", "drop table"]))
    table = draw(st.sampled_from(TABLES))
    if kind == "table":
        return ops.CreateTable(s, table, (ops.Column("id", "integer"),), (ops.PrimaryKey(("id",)),))
    if kind == "usable":
        what = draw(st.sampled_from(["ENUM", "DOMAIN", "SEQUENCE"]))
        return ops.CreateUsable(what, s, draw(creates(what)))
    if kind == "function":
        return ops.CreateFunction(s, draw(st.sampled_from(FUNCTIONS)), (), draw(st.integers(-1, 2)),
                                  draw(st.booleans()))
    if kind == "use":
        how = draw(st.sampled_from(sorted(ops.USES)))
        return ops.UseInTable(how, s, table, draw(st.sampled_from(PARTS)), s,
                              draw(st.sampled_from(POOL_OF[ops.USES[how]])))
    if kind == "view":
        t = cat.table(s, table)
        if t is not None and t.columns and draw(st.booleans()):
            return ops.CreateView(s, draw(st.sampled_from(VIEWS)), table, (draw(st.sampled_from(t.columns)).name,))
        return ops.CreateCallingView(s, draw(st.sampled_from(VIEWS)), s, draw(st.sampled_from(FUNCTIONS)))
    if kind == "drop table":
        return ops.DropTable(s, table, draw(st.booleans()), draw(st.booleans()))
    keyword = draw(st.sampled_from(["TYPE", "DOMAIN", "SEQUENCE", "FUNCTION"]))
    if keyword == "FUNCTION":
        return ops.DropFunction(s, draw(st.sampled_from(FUNCTIONS)), (), draw(st.booleans()), draw(st.booleans()))
    name = draw(st.sampled_from(SEQUENCES if keyword == "SEQUENCE" else TYPES))
    return ops.DropUsable(keyword, s, name, draw(st.booleans()), draw(st.booleans()))
