"""What the state-aware strategies share: reading the model's catalog, and keeping to what the model predicts."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any, TypeVar

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State, step
from pggit_model.model.catalog import Table

#: 0 one time in three
THIRD = st.integers(0, 2)

T = TypeVar("T")

# Candidates drawn by index (issue 19 part 2). ``st.sampled_from(xs)`` of a list worked out from the model's state
# is a new strategy object per draw, and Hypothesis validates each new one on its first draw (is it empty, can it
# reuse values: a fixed point over the strategy graph), which cost more than the draw itself. The index strategies
# below are built once per length and reused; the choice they make is the one sampled_from makes (one integer in
# [0, n-1], shrinking towards 0, the first candidate: list candidates simplest first), so examples and their
# shrinking are the same.


@cache
def index(n: int) -> st.SearchStrategy[int]:
    """An index into a list of ``n`` candidates (n >= 2), 0 the simplest."""
    return st.integers(0, n - 1)


def pick(draw: st.DrawFn, candidates: Sequence[T]) -> T:
    """``draw(st.sampled_from(candidates))`` without a new strategy object: one candidate, drawn by index; no
    choice at all for a single candidate, and the example is rejected for none (as sampled_from does)."""
    n = len(candidates)
    if n > 1:
        return candidates[draw(index(n))]
    if n == 1:
        return candidates[0]
    draw(st.nothing())
    raise AssertionError("unreachable: st.nothing() rejects the example")


@cache
def _index_lists(n: int, min_size: int, max_size: int, unique: bool) -> st.SearchStrategy[list[int]]:
    return st.lists(index(n) if n > 1 else st.just(0), min_size=min_size, max_size=max_size, unique=unique)


def picks(draw: st.DrawFn, candidates: Sequence[T], *, min_size: int = 0, max_size: int,
          unique: bool = False) -> list[T]:
    """``draw(st.lists(st.sampled_from(candidates), ...))`` as indices into the candidates (strategy built once
    per shape); with ``unique``, no candidate twice (at most as many as there are)."""
    if not candidates:
        if min_size:
            draw(st.nothing())
        return []
    top = min(max_size, len(candidates)) if unique else max_size
    out = [candidates[i] for i in draw(_index_lists(len(candidates), min(min_size, top), top, unique))]
    return list(dict.fromkeys(out)) if unique else out  # (unique values, as sampled_from's, where names repeat)


def draw_until(draw: st.DrawFn, strategy: st.SearchStrategy[T], ok: Any, tries: int = 3) -> T:
    """``draw(strategy.filter(ok))`` for a predicate that changes with the model's state, without a new filtered
    strategy per draw (filtering a ``one_of`` rebuilds every branch: ~1 ms to validate): up to ``tries`` draws,
    then the example is rejected, as a filter that keeps failing does."""
    for _ in range(tries):
        value = draw(strategy)
        if ok(value):
            return value
    draw(st.nothing())
    raise AssertionError("unreachable: st.nothing() rejects the example")


def predicted(state: State, op: ops.Op) -> bool:
    """The model predicts `op` exactly (not unspecified)."""
    return not step(state, op)[1].is_unspecified


def predicted_only(state: State, strategy: st.SearchStrategy[ops.Op]) -> st.SearchStrategy[ops.Op]:
    """`strategy` without the ops whose Expected is unspecified in `state` (B9 and the §12 exclusions)."""
    return strategy.filter(lambda op: predicted(state, op))


def tables_of(state: State, schema: str) -> list[tuple[str, Table]]:
    """(name, table) of every table of `schema` in the catalog, by name."""
    return sorted((n, r) for (s, n), r in state.db.catalog.relations.items() if s == schema and isinstance(r, Table))


def relations_of(state: State, schema: str, kind: type) -> list[str]:
    """Names of the relations of `schema` that are of `kind` (Table, View or Index), sorted."""
    return sorted(n for (s, n), r in state.db.catalog.relations.items() if s == schema and isinstance(r, kind))


def split_signature(sig: str) -> tuple[str, tuple[str, ...]]:
    """`name(integer, text)` -> ('name', ('integer', 'text'))."""
    name, args = sig[:-1].split("(", 1)
    return name, tuple(a for a in args.split(", ") if a)
