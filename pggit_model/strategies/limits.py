"""Every numeric or length limit the contract states, and `near(limit)`: a draw biased to limit−1, limit, limit+1.

Faults hide at the edges (`<` for `<=`, a constant off by one): a value drawn uniformly from 1..10 000 is at an
edge once in thousands of draws, `near` puts it there about half the time. Every strategy that draws a value
a limit applies to draws it through `near` (tests/test_strategies_limits.py holds each row of `LIMITS` to the
op strategies: each of its points is drawn).

Limits the contract states that no strategy draws, and why, are in `NOT_DRAWN`.
"""

from __future__ import annotations

from functools import cache

from attrs import frozen
from hypothesis import strategies as st

from pggit_model.ops.base import MAX_IDENTIFIER_BYTES


@frozen
class Limit:
    """`value` is where `rule` changes its answer; `points` are the offsets drawn (−1, 0, +1 unless one of them
    cannot be expressed, `why` says which and why); `ordinary` draws values away from the edge."""

    value: int
    rule: str
    ordinary: tuple[int, int]
    points: tuple[int, ...] = (-1, 0, 1)
    why: str = ""

    def edges(self) -> tuple[int, ...]:
        return tuple(self.value + d for d in self.points)


LIMITS: dict[str, Limit] = {
    # B3: longer than 255 characters is rejected; 255 is a valid name.
    "branch_name_chars": Limit(255, "B3", (1, 12)),
    # C7: commit_changes rejects a message over 10 000 characters (after trimming spaces).
    "changes_message_chars": Limit(10_000, "C7", (0, 30)),
    # C7: a custom Trinity id under 10 characters (after trimming) is rejected.
    "custom_id_chars": Limit(10, "C7", (8, 14)),
    # C1: create_commit rejects an empty message; one character is enough.
    "commit_message_chars": Limit(1, "C1", (2, 40), points=(-1, 0, 1)),
    # V5/L2: identifiers up to 63 bytes. A 64-byte identifier in DDL is truncated by PostgreSQL (outside the
    # model: ops refuse it), so +1 is drawn only where the name is text — the lookups (V17, V18, H1).
    "identifier_bytes": Limit(MAX_IDENTIFIER_BYTES, "V5", (1, 12)),
    # V18: machines use limit >= 1; 0 is outside (the model calls it unspecified), so 1 and 2 only.
    "history_limit": Limit(1, "V18", (3, 12), points=(0, 1), why="limit 0 is outside the contract (V18)"),
    # T1/T3: the sequence field has 6 digits up to 999 999 and is never truncated past it (measured on the value
    # the next ID gets, setval's value + 1).
    "trinity_six_digits": Limit(1_000_000, "T3", (2, 50_000)),
    # T8: values past the int4 range work (the next ID's sequence value).
    "trinity_int4": Limit(2**31, "T8", (2, 50_000)),
}

#: Limits the contract states that no op strategy draws, and why.
NOT_DRAWN: dict[str, str] = {
    "trinity_seq_max (2^63-1, T8)": "exhausting trinity_id_seq is outside the first model (§12); ops refuse "
                                    "setval past 2^63-2",
    "table_columns 1600, definitions 1 MB, messages 1 MB, 10 000 objects (L2)": "scale limits: minutes per example, "
                                    "for a scale tier, not the state machines' smoke/ci budgets",
    "history row count per get_history (V18)": "not a constant: `near_value(n)` draws the limit around the "
                                               "object's history length instead",
    "hash length 64 (H1), Trinity ID length 36 (T1)": "lengths of answers, not of arguments: the checkers "
                                                       "assert them on every answer",
    "sessions 100 (L3), statement cycles 10 000 (L4)": "load mode (`pggit-model load`), not the machines",
}


@cache
def near(name: str) -> st.SearchStrategy[int]:
    """Values for limit `name` of `LIMITS`: one of its edges about half the time, an ordinary value otherwise."""
    lim = LIMITS[name]
    return st.one_of(st.sampled_from(lim.edges()), st.integers(*lim.ordinary))


@cache
def near_value(n: int, low: int = 1) -> st.SearchStrategy[int]:
    """n−1, n, n+1 (not below `low`) often, else a small value: for limits that depend on the state, such as a
    history limit around the number of history rows an object has (V18)."""
    return st.one_of(st.sampled_from(sorted({max(low, n + d) for d in (-1, 0, 1)})), st.integers(low, low + 11))


__all__ = ["LIMITS", "NOT_DRAWN", "Limit", "near", "near_value"]
