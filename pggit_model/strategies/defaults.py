"""Calls that leave out defaulted arguments (§4's signatures): the server, not the caller, supplies the default.

A call drawn with every argument explicit never runs the function's own DEFAULT clauses, so a wrong default
(`get_history`'s limit 9 instead of 10, `create_branch`'s parent) is invisible. `leave_out_defaults` takes a drawn
call and, when its trailing arguments hold their contract defaults, leaves some of them out (about half the time);
`default_or(strategy, value)` makes the default itself a frequent draw, so there is something to leave out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs
from hypothesis import strategies as st

from pggit_model import ops

T = TypeVar("T")
#: `draw` of a composite, or `data.draw` of a rule
Draw = Callable[..., Any]


def omittable(op: ops.Op) -> int:
    """How many trailing arguments of `op` hold their defaults (0 for ops that cannot leave arguments out)."""
    names = [a for a in attrs.fields(type(op)) if a.name != "omitted"]
    if len(names) == len(attrs.fields(type(op))):
        return 0
    n = 0
    for a in reversed(names):
        if a.default is attrs.NOTHING or getattr(op, a.name) != a.default:
            break
        n += 1
    return n


def leave_out_defaults(draw: Draw, op: ops.Op) -> ops.Op:
    """`op`, or (half the time, when it can) the same call with 1..all of its defaulted trailing arguments left out."""
    n = omittable(op)
    if n == 0 or not draw(st.booleans()):
        return op
    omitted: dict[str, Any] = {"omitted": draw(st.integers(1, n))}
    return attrs.evolve(op, **omitted)


def default_or(draw: Draw, strategy: st.SearchStrategy[T], default: T) -> T:
    """The argument's contract default a quarter of the time (so a call can leave it out), else a draw."""
    return default if draw(st.integers(0, 3)) == 0 else draw(strategy)


__all__ = ["default_or", "leave_out_defaults", "omittable"]
