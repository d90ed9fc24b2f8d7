"""Running ops through the pure model for the second model's tests: one place, not a copy per test file."""

from __future__ import annotations

from collections.abc import Iterable

from pggit_model.model import initial_state, step
from pggit_model.model.state import State
from pggit_model.ops import Op


def run_in(schema: str, ops: Iterable[Op], state: State | None = None) -> tuple[State, list]:
    """The state after `ops` (from a fresh model owning `schema`, or `state`) and each op's Expected."""
    st = state or initial_state((schema,))
    out = []
    for op in ops:
        st, exp = step(st, op)
        out.append(exp)
    return st, out
