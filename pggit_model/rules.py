"""The rule ids of the contract (shared/pggit-contract.md), for "rules exercised vs total" in summaries."""

from __future__ import annotations

# O10, V20-V28, B12, H8-H12, M7-M9, X11-X14, R, N: the second model (§14); U and L: drift, upgrade and limits
# (§15; the L rules are checked by `pggit-model limits`, not by the machines). tests/test_rule_citations.py keeps this
# equal to the contract's ids.
_FAMILIES = {"I": 7, "O": 10, "V": 28, "B": 12, "C": 8, "T": 9, "H": 12, "M": 9, "X": 14, "R": 7, "N": 7, "U": 4,
             "L": 4}

ALL_RULES: tuple[str, ...] = tuple(f"{f}{i}" for f, n in _FAMILIES.items() for i in range(1, n + 1))


def base(rule: str) -> str:
    """``V10k`` -> ``V10``."""
    return rule.rstrip("abcdefghijklmnopqrstuvwxyz")


def span(first: str, last: str) -> tuple[str, ...]:
    """``span("V1", "V4")`` -> ``("V1", "V2", "V3", "V4")``: a range of one family, as the contract writes it."""
    if first[0] != last[0]:
        raise ValueError(f"span({first!r}, {last!r}): a range stays within one family")
    return tuple(f"{first[0]}{i}" for i in range(int(first[1:]), int(last[1:]) + 1))
