"""Twins across schemas (strategies/schemas.py `twins`, `twin_hashes`; docs/mutation.md blind spot 7): the same
name in two owned schemas with different definitions, and hash calls that must each answer for their own schema.
Pure: the model decides what each hash is."""

from __future__ import annotations

from pggit_model.model import initial_state, step
from pggit_model.ops import Column, ComputeDdlHash, CreateFunction, CreateTable
from pggit_model.strategies.schemas import twin_hashes, twins

A, B = "mc_tw", "mc_tw Zwei"


def _state():  # type: ignore[no-untyped-def]
    state = initial_state(schemas=(A, B), search_path=(A,))
    for op in (CreateFunction(A, "f", ("integer",), 7), CreateTable(A, "t", (Column("a", "integer"),))):
        state, exp = step(state, op)
        assert exp.kind == "ok"
    return state


def test_twins_give_the_other_schema_each_name_with_another_definition() -> None:
    """V5, H3: each twin CREATE succeeds in the other schema under the name the machine's schema uses, with
    another definition (a function body of 8, not 7; a table with other columns)."""
    state = _state()
    made = twins(state, A, B)
    assert made == [CreateFunction(B, "f", ("integer",), 8), CreateTable(B, "t", (Column("twin", "integer"),))]
    for op in made:
        state, exp = step(state, op)
        assert exp.kind == "ok", exp
    assert twins(state, A, B) == []  # once both schemas hold the name, nothing is left to twin


def test_twin_hashes_differ_between_the_two_schemas() -> None:
    """H1–H3: the model's compute_ddl_hash of one name differs between the two schemas once the twins exist, so
    a backend answering for the wrong schema's object (a lookup without its schema filter) is caught."""
    state = _state()
    assert twin_hashes(state, A, B) == []
    for op in twins(state, A, B):
        state, _ = step(state, op)
    calls = twin_hashes(state, A, B)
    assert calls == [ComputeDdlHash("FUNCTION", A, "f(integer)"), ComputeDdlHash("FUNCTION", B, "f(integer)"),
                     ComputeDdlHash("TABLE", A, "t"), ComputeDdlHash("TABLE", B, "t")]
    answers = [step(state, c)[1].value for c in calls]
    assert None not in answers and answers[0] != answers[1] and answers[2] != answers[3], answers


def test_twin_drops_name_only_what_another_schema_also_holds() -> None:
    """M3, B9: the DROPs drawn on a branch before a merge name only the machine schema's twinned function and
    table (CASCADE), and each succeeds in the model while the other schema's twin stays."""
    from pggit_model.ops import DropFunction, DropTable
    from pggit_model.strategies.schemas import twin_drops

    state = _state()
    assert twin_drops(state, A) == []
    state, _ = step(state, CreateFunction(B, "f", ("integer",), 8))
    assert twin_drops(state, A) == [DropFunction(A, "f", ("integer",), False, True)]
    state, _ = step(state, CreateTable(B, "t", (Column("twin", "integer"),)))
    drops = twin_drops(state, A)
    assert drops == [DropTable(A, "t", False, True), DropFunction(A, "f", ("integer",), False, True)]
    for op in drops:
        state, exp = step(state, op)
        assert exp.kind == "ok", exp
    assert (B, "f(integer)") in state.db.catalog.functions and state.db.catalog.rel(B, "t") is not None


def test_kind_twins_give_a_table_name_to_a_function_and_drops_take_either() -> None:
    """V5, M3: kind_twins makes a function named as a table of the same schema (PostgreSQL allows it: another
    namespace); twin_drops then names both the table and the function, and dropping one leaves the other."""
    from pggit_model.ops import DropFunction, DropTable
    from pggit_model.strategies.schemas import kind_twins, twin_drops

    state = _state()
    made = kind_twins(state, A)
    assert made == [CreateFunction(A, "t", (), 1)]
    state, exp = step(state, made[0])
    assert exp.kind == "ok", exp
    assert kind_twins(state, A) == []
    drops = twin_drops(state, A)
    assert drops == [DropTable(A, "t", False, True), DropFunction(A, "t", (), False, True)]
    after, exp = step(state, drops[0])
    assert exp.kind == "ok" and (A, "t()") in after.db.catalog.functions, exp
    after, exp = step(state, drops[1])
    assert exp.kind == "ok" and after.db.catalog.rel(A, "t") is not None, exp


def test_new_tables_and_functions_take_each_others_names() -> None:
    """Cross-kind reuse (issue 16): among DDL draws, a new table is named as an existing function and a new
    function as an existing table (the name pools alone share only 'select')."""
    from pggit_model.ops import CreateFunction as F
    from pggit_model.strategies import ddl_ops
    from tests.test_strategies_shapes import _collect

    drawn = _collect(ddl_ops(_state(), A, invalid=0.0), examples=25, seeds=(0, 1, 2, 3))
    assert any(isinstance(op, CreateTable) and op.name == "f" for op in drawn)
    assert any(isinstance(op, F) and op.name == "t" for op in drawn)
