"""Identical repeats and cross-id reuse: the recent ops of an example, as values later draws can take again.

Bugs hide in the second identical call (a no-op ALTER recorded, a duplicate commit merged, a cached answer)
and where one function's value is another's argument (a branch name as a commit message, an object name as a
branch name, a commit hash as a custom id). Machines build a `Recent` from the ops their driver ran
(`Recent.of(driver.ops)`), so every op feeds the pool whatever rule ran it; strategies that take `recent`
mix its values into their text arguments, and `repeats(recent)` draws one of the recent ops exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from attrs import frozen
from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.ops import Op

#: How many recent ops the pool holds: enough for "the call before the last", small enough to be repeated often.
POOL = 12
_REPEATABLE = frozenset({"ddl", "call"})


def _unwrap(op: ops.Op) -> ops.Op:
    """The statement inside a fault or another session's step (a repeat runs it plainly, on this session)."""
    inner = getattr(op, "op", None)
    return inner if isinstance(inner, ops.Op) else op


def _texts(op: ops.Op) -> list[str]:
    out: list[str] = []
    for a in attrs.fields(type(op)):
        v = getattr(op, a.name)
        if isinstance(v, str) and v:
            out.append(v)
        elif isinstance(v, ops.Column):
            out.append(v.name)
        elif isinstance(v, tuple):
            out += [c.name for c in v if isinstance(c, ops.Column)]
    return out


@frozen
class Recent:
    """The last ops an example ran (DDL and calls, oldest first) and the text values they carried."""

    ops: tuple[Op, ...] = ()
    texts: tuple[str, ...] = ()

    @classmethod
    def of(cls, ran: Sequence[Op], n: int = POOL) -> Recent:
        recent = tuple(op for op in map(_unwrap, ran[-n:]) if op.family in _REPEATABLE)
        texts = tuple(dict.fromkeys(t for op in recent for t in _texts(op)))
        return cls(recent, texts)


NOTHING = Recent()


#: An index into the pool, drawn from one fixed range and taken modulo the pool's size: the pool holds what ran,
#: and where a run's outcome depends on timing (a fault struck before or after the trigger) its size can differ
#: between two runs of one example; Hypothesis 6.170 then refuses a draw whose bounds changed
#: (FlakyStrategyDefinition, a CI smoke run of the faults machine), while the same bounds replay.
_INDEX = st.integers(0, 1023)


@st.composite
def _repeat(draw: st.DrawFn, recent: Recent) -> ops.Op:
    # the last op most often (an identical repeat right after the call), else any recent one
    if draw(st.booleans()):
        return recent.ops[-1]
    return recent.ops[draw(_INDEX) % len(recent.ops)]


def repeats(recent: Recent) -> st.SearchStrategy[ops.Op]:
    """One of the recent ops with its exact arguments (the last one half the time); needs a non-empty pool."""
    return _repeat(recent)


def draw_reused(draw: st.DrawFn, recent: Recent) -> str | None:
    """A text value some recent op used (in whatever role), or None when the pool has none."""
    if not recent.texts:
        return None
    return recent.texts[draw(_INDEX) % len(recent.texts)]


__all__ = ["NOTHING", "POOL", "Recent", "draw_reused", "repeats"]
