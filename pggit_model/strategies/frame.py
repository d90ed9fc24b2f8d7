"""Drawing the statements the frame rule covers (ops/frame.py, V15, V27): one row of `DDL_DRAWERS`, so every
machine that draws general DDL draws them among its other statements — and its later DDL on the same table then
shows whether the backend kept a trigger, a constraint trigger or a policy out of the table's structure.

Names come from pools no other drawer uses (a constraint trigger's name shares `pg_constraint` with the table's
constraints); `d.maybe()` names a trigger or policy the table lacks, or one it has, which PostgreSQL refuses.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.strategies.values import names

#: a `strategies.ddl.DdlDraw` (not imported: ddl imports this module for its DDL_DRAWERS row)
DdlDraw = Any

_TRIGGERS = ("tg_row", "Tg Row")
_CONSTRAINT_TRIGGERS = ("tg_deferred", "tg Déferred")
_POLICIES = ("pol_all", "Pol All")

#: the statements this row draws, in the order `_KIND` picks from (appending keeps earlier draws); constraint
#: triggers twice: they are the ones that reach pg_constraint
_KINDS = ("constraint_trigger", "constraint_trigger", "trigger", "drop_trigger", "set_trigger", "setting",
          "policy", "drop_policy")


def frame_ddl(d: DdlDraw) -> ops.Op:
    """One statement that records nothing (V27) on a table of `d.schema` (not a partitioned one, whose row
    triggers PostgreSQL clones to its partitions)."""
    draw, s = d.draw, d.schema
    plain = [(n, t) for n, t in d.tables if t.partition_by is None]
    name, t = draw(st.sampled_from(plain or d.tables))
    kind = draw(st.sampled_from(_KINDS))
    has = [g for g, _ in t.triggers]
    if kind in ("constraint_trigger", "trigger"):
        constraint = kind == "constraint_trigger"
        pool = _CONSTRAINT_TRIGGERS if constraint else _TRIGGERS
        tname = _absent(d, pool, has)
        return ops.CreateTrigger(s, name, tname, constraint, not constraint and draw(st.booleans()))
    if kind in ("drop_trigger", "set_trigger"):
        tname = draw(st.sampled_from(has)) if has and not d.maybe() else draw(names(_TRIGGERS))
        if kind == "drop_trigger":
            return ops.DropTrigger(s, name, tname, draw(st.booleans()))
        return ops.SetTrigger(s, name, draw(st.booleans()), None if draw(st.booleans()) else tname)
    if kind == "setting":
        return ops.TableSetting(draw(st.sampled_from(ops.TABLE_SETTINGS)), s, name)
    if kind == "policy":
        return ops.CreatePolicy(s, name, _absent(d, _POLICIES, list(t.policies)))
    pname = draw(st.sampled_from(t.policies)) if t.policies and not d.maybe() else draw(names(_POLICIES))
    return ops.DropPolicy(s, name, pname, draw(st.booleans()))


def _absent(d: DdlDraw, pool: tuple[str, ...], taken: list[str]) -> str:
    """A name of `pool` not in `taken` (or, when invalid, perhaps one that is: 42710). Never a name outside the
    pool: a constraint trigger's must not meet a constraint's, whose clashes the model leaves to this pool."""
    free = [n for n in pool if n not in taken]
    return d.draw(st.sampled_from(free if free and not d.maybe() else pool))


__all__ = ["frame_ddl"]
