"""Recent ops feed later draws: identical repeats, and one function's values as another's arguments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import initial_state, step
from pggit_model.strategies import Recent, branch_ops, commit_ops, repeats
from pggit_model.strategies.reuse import POOL

SCHEMA = "app"
_COLLECT = settings(max_examples=2000, database=None, derandomize=True, phases=[Phase.generate], deadline=None,
                    suppress_health_check=list(HealthCheck))
#: a value nothing but reuse would draw
ODD = "Zq9_reused_name"


class _Seen(Exception):
    pass


def ever(strategy: st.SearchStrategy[Any], claim: Callable[[Any], bool], n: int = 2000) -> bool:
    """Some of `n` seeded draws of `strategy` satisfies `claim`."""
    @settings(_COLLECT, max_examples=n)
    @given(strategy)
    def look(value: Any) -> None:
        if claim(value):
            raise _Seen

    try:
        look()
    except _Seen:
        return True
    return False


def test_recent_keeps_the_last_ddl_and_calls_unwrapped() -> None:
    """The pool holds the last POOL ops of the DDL and call families, a fault's or another session's statement
    unwrapped, and every text value they carried once."""
    t1 = ops.CreateTable(SCHEMA, "t1", (ops.Column("a", "integer"),))
    ran = [ops.Begin(), ops.Fault("cancel", t1), ops.OtherSession(ops.GetVersion("app.t1")), ops.Commit()]
    recent = Recent.of(ran)
    assert recent.ops == (t1, ops.GetVersion("app.t1"))
    assert set(recent.texts) == {"app", "t1", "a", "app.t1"}
    many = [ops.CreateBranch(f"b{i}") for i in range(POOL + 5)]
    assert Recent.of(many).ops == tuple(many[-POOL:])


def test_repeats_draw_the_last_op_and_earlier_ones() -> None:
    """repeats() gives the last op exactly (an identical repeat) and also earlier ones."""
    recent = Recent.of([ops.CreateBranch("a"), ops.CreateBranch("b"), ops.CreateBranch("c")])
    assert ever(repeats(recent), lambda op: op == ops.CreateBranch("c"))
    assert ever(repeats(recent), lambda op: op == ops.CreateBranch("a"))


def test_values_of_one_function_become_arguments_of_another() -> None:
    """Cross-id reuse: an object name a DDL used is drawn as a new branch's name (B3) and as a commit message
    (C4); without the pool it never is (the check bites)."""
    state = initial_state((SCHEMA,))
    recent = Recent.of([ops.CreateTable(SCHEMA, ODD, (ops.Column("a", "integer"),))])
    assert ever(branch_ops(state, recent=recent), lambda op: isinstance(op, ops.CreateBranch) and op.name == ODD)
    assert ever(commit_ops(state, recent=recent),
                lambda op: isinstance(op, ops.CreateCommit) and op.message == ODD)
    assert not ever(branch_ops(state), lambda op: isinstance(op, ops.CreateBranch) and op.name == ODD, n=300)


def test_repeated_ops_stay_predicted_or_are_skipped() -> None:
    """A repeated CREATE TABLE is a rejection the model predicts (42P07), a repeated ALTER a no-op (V9a)."""
    state = initial_state((SCHEMA,))
    create = ops.CreateTable(SCHEMA, "t", (ops.Column("a", "integer"),))
    alter = ops.AlterTable(SCHEMA, "t", (ops.SetDefault("a", 1),))
    state = step(step(state, create)[0], alter)[0]
    _, exp = step(state, create)
    assert exp.is_error
    after, exp = step(state, alter)
    assert not exp.is_error and after.db.history == state.db.history
