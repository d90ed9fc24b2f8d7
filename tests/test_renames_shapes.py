"""What the renames machine's generation reaches, run on the model alone (no server): the shapes the mutation
survivors of issue 16 needed (`docs/mutation.md`, "The last open survivors")."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pggit_model import ops, strategies
from pggit_model.model import initial_state, step
from tests.model_steps import OnTheModel
from tests.test_strategies_hostile import _COLLECT

SCHEMA = "app"


class _OnTheModel(OnTheModel):
    """A renames machine's stand-in for one rule on the model; the look after a key change is left out."""

    def _key_change(self, op: ops.Op) -> None:
        self.run(op)


def test_a_function_under_a_calling_view_is_renamed_or_moved_then_the_view_replaced() -> None:
    """R3g, N5d, R6, V12: every run of `rename_under_a_calling_view` renames or moves the function a view calls (the
    model predicts it: before `4194027` it was unspecified and skipped) and then replaces the view with the same
    query by identity, which records nothing (the view keeps its CREATE only); both ways and the round trip around
    an unrelated table rename come up."""
    from pggit_model.machines.renames import RenamesMachine

    rule = getattr(RenamesMachine, "rename_under_a_calling_view").hypothesis_stateful_rule  # noqa: B009
    shapes: set[tuple[str, bool]] = set()

    @settings(_COLLECT, max_examples=60)
    @given(st.fixed_dictionaries(rule.arguments))
    def run_rule(kw: dict[str, Any]) -> None:
        machine = _OnTheModel(initial_state((SCHEMA,)), SCHEMA)
        rule.function(machine, **kw)
        kinds = [type(op).__name__ for op, _ in machine.ran]
        assert kinds[-1] == "CreateCallingView" and machine.ran[-1][1].kind == "ok", machine.ran
        assert {"RenameFunction", "SetSchema"} & set(kinds), kinds
        assert [h[0] for h in machine.model.db.history[("VIEW", SCHEMA, "r6 calls", "main")]] == ["CREATE"]
        shapes.add(("SetSchema" if "SetSchema" in kinds else "RenameFunction", "RenameRelation" in kinds))

    run_rule()
    assert shapes == {(k, b) for k in ("RenameFunction", "SetSchema") for b in (False, True)}


def test_renames_of_a_view_rename_its_column_too() -> None:
    """R3h: with a view in the schema, the renames' DDL row draws `ALTER VIEW … RENAME COLUMN` (the model predicts
    it since `4194027`; before, every one was unspecified and dropped by `ddl_ops`)."""
    state = initial_state((SCHEMA,))
    for op in (ops.CreateTable(SCHEMA, "t", (ops.Column("a", "integer"), ops.Column("b", "text"))),
               ops.CreateView(SCHEMA, "v", "t", ("a", "b"))):
        state = step(state, op)[0]
    drawn: list[ops.Op] = []

    @settings(_COLLECT, max_examples=1500)
    @given(strategies.ddl_ops(state, SCHEMA))
    def collect(op: ops.Op) -> None:
        drawn.append(op)

    collect()
    view_columns = [o for o in drawn if isinstance(o, ops.RenameColumn) and o.keyword == "VIEW" and o.table == "v"]
    assert len(view_columns) >= 5, len(view_columns)
