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
