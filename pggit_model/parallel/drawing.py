"""Drawing whole parallel programs: a general program (``program``) or, one time in ``contention``, a contended one
(``contention``). Its own module because the contended programs build on the general ones' parts."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

from pggit_model import ops

from .contention import contended_programs
from .program import (
    LEVELS,
    SCHEMA,
    Program,
    _prefix,
    _session,
    predicted_everywhere,
    schedules,
    session_state,
    strikes,
    swarm,
)


@st.composite
def programs(draw: st.DrawFn, *, schema: str = SCHEMA, sessions: tuple[int, int] = (2, 4), max_ops: int = 8,
             levels: Sequence[str] = ("read committed",), strike: int = 4, contention: int = 2,
             contended_levels: Sequence[str] = LEVELS) -> Program:
    """A program whose every statement the model predicts from the prefix, in each whole-session order; one in
    ``strike`` loses a COMMIT's connection (X7; 0: never). One in ``contention`` (0: none; shrinks to none) is a
    contended program instead (``contention.contended_programs``, at one of ``contended_levels``): sessions
    that write the same rows at once, which the general vocabulary rarely brings together."""
    if contention and draw(st.integers(0, contention - 1), label="contended") == contention - 1:
        return draw(contended_programs(schema=schema, levels=contended_levels))
    prefix, state = draw(_prefix(schema))
    start = session_state(state)
    n = draw(st.integers(*sessions), label="sessions")
    kinds = draw(swarm(), label="kinds")
    suffixes = [draw(_session(start, schema, max_ops, kinds), label=f"session {i}") for i in range(n)]
    draw(st.just(None).filter(lambda _: predicted_everywhere(state, suffixes)))
    schedule = draw(schedules([len(s) for s in suffixes]), label="schedule")
    level = draw(st.sampled_from(list(levels)), label="level")
    if level != "read committed":
        suffixes = [[ops.Begin(level) if op.kind == "begin" else op for op in s] for s in suffixes]
    return Program(prefix, suffixes, schedule, schema, level, draw(strikes(suffixes, strike), label="strike"))


__all__ = ["programs"]
