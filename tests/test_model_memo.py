"""The identity memo of the model's pure functions (pggit_model.model.memo)."""

from __future__ import annotations

from pggit_model.model import initial_state, step
from pggit_model.model.memo import by_identity
from pggit_model.ops import AlterTable, Column, CreateTable, SetDefault


def test_the_same_objects_are_answered_once_equal_ones_afresh() -> None:
    """A call with the very same arguments reuses the answer; equal but distinct arguments are computed again."""
    calls: list[tuple[object, object]] = []

    @by_identity(size=2)
    def f(a: object, b: object) -> tuple[object, object]:
        calls.append((a, b))
        return (a, b)

    x, one, true = object(), 1, True
    assert f(x, one) is f(x, one)
    assert f(x, true) == (x, True) and len(calls) == 2  # True == 1, but another object: not a hit
    f(object(), 2)
    f(x, one)  # evicted by the two newer calls
    assert len(calls) == 4


def test_step_on_equal_ops_that_are_different_statements_is_not_confused() -> None:
    """V10: DEFAULT true and DEFAULT 1 are different statements though equal in Python; each gets its own answer."""
    s = initial_state(schemas=("m",))
    s, _ = step(s, CreateTable("m", "t", (Column("c", "text"),)))
    as_bool = AlterTable("m", "t", (SetDefault("c", True),))
    as_int = AlterTable("m", "t", (SetDefault("c", 1),))
    assert as_bool == as_int and as_bool is not as_int
    after_bool, after_int = step(s, as_bool)[0], step(s, as_int)[0]
    assert step(s, as_bool)[0] is after_bool
    assert after_bool.db.catalog != after_int.db.catalog
