"""Swarm testing (Groce et al., ISSTA 2012): each example leaves some kinds of step out altogether, so the kinds it
keeps meet each other more often and get deeper — a bug between two areas needs both, many times, in one example.

``swarm`` draws the kinds kept (used by the parallel machine's programs and the mixed machine); ``gate`` makes a
state machine's rules obey such a draw: each rule belongs to one area and is enabled only while its area is on.
Hypothesis already switches single rules off per example (its FeatureFlags); areas are coarser: all the rules of
hashes, say, go at once, which single-rule coins rarely do when a machine has thirty rules.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine

# Hypothesis's marker attribute for a rule (hypothesis.stateful.RULE_MARKER; not exported in __all__).
_RULE_MARKER = "hypothesis_stateful_rule"


@st.composite
def swarm(draw: st.DrawFn, kinds: Sequence[str]) -> tuple[str, ...]:
    """The kinds this example keeps, in ``kinds``' order (repeats in ``kinds`` are weights and stay). Each distinct
    kind is switched off by a coin that shrinks to "on", so a shrunk example draws from every kind again; when every
    coin says off, all are kept."""
    off = {k for k in dict.fromkeys(kinds) if draw(st.booleans(), label=f"leave out {k}")}
    kept = tuple(k for k in kinds if k not in off)
    return kept or tuple(kinds)


def rule_names(machine: type[RuleBasedStateMachine]) -> set[str]:
    """The names of ``machine``'s rules (not its initializers or invariants)."""
    return {name for name in dir(machine) if getattr(getattr(machine, name, None), _RULE_MARKER, None) is not None}


def gate(machine: type[Any], area_of: Mapping[str, str], *, always: Sequence[str] = (),
         before: Callable[[Any, str], None] | None = None,
         after: Callable[[Any, str], None] | None = None) -> None:
    """Give each rule of ``machine`` (a RuleBasedStateMachine class, changed in place) the precondition "its area is
    in ``self.areas``", and wrap it so that ``before(self, area)`` / ``after(self, area)`` run around it (the
    machine's novelty bookkeeping). Rules named in ``always`` stay enabled in every example (the DDL that every
    other area observes). A rule with no area, or an area naming no rule, is a definition error: a rule added to a
    base machine must be placed in an area, or it would escape the swarm unseen."""
    names = rule_names(machine)
    unplaced = sorted(names - set(area_of) - set(always))
    unknown = sorted((set(area_of) | set(always)) - names)
    if unplaced or unknown:
        raise TypeError(f"{machine.__name__}: swarm areas out of step with its rules (rules without an area: "
                        f"{', '.join(unplaced) or '-'}; areas naming no rule: {', '.join(unknown) or '-'}); "
                        "place every rule in exactly one area of its AREA_OF table")
    for name in sorted(names):
        area = area_of.get(name)
        original = getattr(machine, name)
        rule = getattr(original, _RULE_MARKER)
        wrapped = _around(rule.function, area or "always", before, after)
        pre = rule.preconditions if area is None else (*rule.preconditions, _area_on(area))
        setattr(wrapped, _RULE_MARKER, dataclasses.replace(rule, function=wrapped, preconditions=pre))
        setattr(machine, name, wrapped)


def _area_on(area: str) -> Callable[[Any], bool]:
    def on(self: Any) -> bool:
        return area in self.areas

    on.__qualname__ = f"area {area!r} on"  # what Hypothesis's observability names the precondition by
    return on


def _around(f: Callable[..., Any], area: str, before: Callable[[Any, str], None] | None,
            after: Callable[[Any, str], None] | None) -> Callable[..., Any]:
    @functools.wraps(f)  # the same __name__: Hypothesis prints, flags and sorts rules by it
    def step(self: Any, *args: Any, **kwargs: Any) -> Any:
        if before is not None:
            before(self, area)
        try:
            return f(self, *args, **kwargs)
        finally:
            if after is not None:
                after(self, area)

    return step


__all__ = ["gate", "rule_names", "swarm"]
