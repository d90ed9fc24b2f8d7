"""N5 and PostgreSQL's array types: `ALTER TABLE … SET SCHEMA` moves the table's row type and array type, and
PostgreSQL refuses the move (42710) when the target schema holds a type of the array's name. The array of `t` is
`_t` unless a name beginning with "_" or filling 63 bytes made PostgreSQL choose another (found by a smoke seed of
the renames machine: two 62/63-byte names whose arrays collide); the model then leaves such moves unknown, and
predicts the rest."""

from __future__ import annotations

import psycopg
import pytest

from pggit_model.model import step
from pggit_model.model.catalog_values import odd_array_name
from pggit_model.ops import Column, CreateSchema, CreateTable, DropTable, Op, RenameRelation, SetSchema
from tests.model_steps import postgres_outcome, run_in

S, S2 = "mc_arr", "mc_arr2"
LONG = "t_" + "日本t_" * 7 + "日x"  # 62 bytes: its array "_" + name fills 63
LONGER = LONG + "x"  # 63 bytes: its array name is truncated to the same "_" + LONG


def table(name: str) -> CreateTable:
    return CreateTable(S, name, (Column("id", "integer"),))


# (id, setup in S, the move, what PostgreSQL 15 does, what the model says)
CASES: list[tuple[str, list[Op], Op, str, str]] = [
    ("truncated-array-clashes", [CreateSchema(S2), table(LONG), SetSchema("TABLE", S, LONG, S2), table(LONGER)],
     SetSchema("TABLE", S, LONGER, S2), "42710", "unknown"),
    ("underscore-name-is-an-array", [CreateSchema(S2), table("t"), SetSchema("TABLE", S, "t", S2), table("_t")],
     SetSchema("TABLE", S, "_t", S2), "42710", "unknown"),
    ("renamed-away-plain-again", [CreateSchema(S2), table("_q"), RenameRelation("TABLE", S, "_q", "q"),
                                  table("r")],
     SetSchema("TABLE", S, "r", S2), "ok", "ok"),
    # t's array is "___t" ("_t" and "__t" were taken when it was made): left open after "_t" is gone
    ("underscored-array-outlives-its-cause", [CreateSchema(S2), table("_t"), table("t"), DropTable(S, "_t"),
                                              CreateTable(S2, "___t", (Column("id", "integer"),))],
     SetSchema("TABLE", S, "t", S2), "42710", "unknown"),
    ("cut-array-in-the-target", [CreateSchema(S2), CreateTable(S2, LONGER, (Column("id", "integer"),)),
                                 table(LONG)],
     SetSchema("TABLE", S, LONG, S2), "42710", "unknown"),
    ("plain-beside-an-odd-one", [CreateSchema(S2), table("_z"), CreateTable(S2, "_y", ()), table("u")],
     SetSchema("TABLE", S, "u", S2), "ok", "unknown"),
    ("plain-into-a-schema-with-odd-names", [CreateSchema(S2), CreateTable(S2, "_y", ()), table("u")],
     SetSchema("TABLE", S, "u", S2), "ok", "ok"),
    ("plain-names-move", [CreateSchema(S2), table("t"), table("u"), SetSchema("TABLE", S, "u", S2)],
     SetSchema("TABLE", S, "t", S2), "ok", "ok"),
    ("plain-name-taken", [CreateSchema(S2), table("t"), SetSchema("TABLE", S, "t", S2), table("t")],
     SetSchema("TABLE", S, "t", S2), "42P07", "42P07"),
]


def _model(setup: list[Op], op: Op) -> str:
    st, exps = run_in(S, setup, None)
    assert all(e.kind == "ok" for e in exps), exps
    exp = step(st, op)[1]
    return "unknown" if exp.is_unspecified else ("ok" if exp.kind == "ok" else "|".join(exp.sqlstates))


@pytest.mark.parametrize(("setup", "op", "model"), [pytest.param(s, o, m, id=i) for i, s, o, _, m in CASES])
def test_model_leaves_moves_open_once_array_names_are_irregular(setup: list[Op], op: Op, model: str) -> None:
    """N5: a move is predicted while every array type is "_" + its name, and unknown once one may not be."""
    assert _model(setup, op) == model


def test_odd_array_name_bounds() -> None:
    """A 62-byte name keeps "_" + name (63 bytes); 63 bytes or a leading underscore do not."""
    assert len(LONG.encode()) == 62 and len(LONGER.encode()) == 63
    assert not odd_array_name(LONG) and odd_array_name(LONGER) and odd_array_name("_t") and not odd_array_name("t_")


@pytest.mark.server
def test_postgresql_refuses_what_the_model_leaves_open(pggit_conn: psycopg.Connection) -> None:
    """Each case as plain SQL on PostgreSQL 15: the outcomes above are PostgreSQL's (so "unknown" hides a real
    42710, and the predicted cases are right)."""
    problems = []
    for ident, setup, op, expected, _ in CASES:
        got = postgres_outcome(pggit_conn, [S, S2], setup, op)
        if got != expected:
            problems.append(f"{ident}: PostgreSQL {got}, expected {expected}")
    for s in (S, S2):
        pggit_conn.execute(f"DROP SCHEMA IF EXISTS {s} CASCADE")
    assert problems == []
