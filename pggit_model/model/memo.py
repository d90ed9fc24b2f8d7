"""Remember the last few answers of a pure two-argument function, keyed by the arguments' identity.

A drawn op is stepped more than once on the same state object: the strategy's filter asks whether the model
predicts it (``step``), and the driver steps it for real. The
model is pure and its values are frozen, so the same objects give the same answer. Identity, not equality:
equal ops need not be the same statement (``SetDefault('c', True)`` == ``SetDefault('c', 1)`` in Python).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TypeVar

A = TypeVar("A")
B = TypeVar("B")
R = TypeVar("R")


def by_identity(size: int = 16) -> Callable[[Callable[[A, B], R]], Callable[[A, B], R]]:
    """Decorator: the last ``size`` calls' results, found again when called with the very same objects."""
    def wrap(fn: Callable[[A, B], R]) -> Callable[[A, B], R]:
        memo: dict[tuple[int, int], tuple[A, B, R]] = {}

        @functools.wraps(fn)
        def call(a: A, b: B) -> R:
            key = (id(a), id(b))
            hit = memo.get(key)
            if hit is not None and hit[0] is a and hit[1] is b:  # the entry holds both, so ids are not reused
                return hit[2]
            result = fn(a, b)
            if len(memo) >= size:
                del memo[next(iter(memo))]  # the oldest
            memo[key] = (a, b, result)
            return result

        call.cache_clear = memo.clear  # type: ignore[attr-defined]
        return call

    return wrap
