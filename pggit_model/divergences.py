"""Divergences: the database and the contract's model disagree.

Each contract rule gets its own exception subclass (``DivergenceV10``, ``DivergenceB3``…), so that
Hypothesis, which tells failures apart by exception type and raise location, shrinks every broken
rule to its own minimal example instead of folding them into one.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, NoReturn

from .errors import PggitModelError

_RULE = re.compile(r"^[A-Z][0-9]+[a-z]?$")

#: What known divergences made the checks give up on, per check area (row keys, names, or "*": the whole area).
#: "history" divergences (O2) are part of the "objects" area for what is checked and ignored.
Ignore = Mapping[str, set[Any]]
NO_IGNORE: Ignore = {}


class Divergence(PggitModelError, AssertionError):
    """pgGit (or the backend under test) broke a contract rule; the message says which and how."""

    rule: str = "?"

    def __init__(self, message: str, *, op: Any = None, step: int | None = None,
                 expected: Any = None, observed: Any = None, rules: Sequence[str] = (),
                 area: str = "answer", keys: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.op = op
        self.step = step
        self.expected = expected
        self.observed = observed
        self.rules = tuple(rules) or (self.rule,)
        self.area = area  # which part of the check: "answer", "objects", "branches", "commits", …
        self.keys = tuple(keys)  # the row keys / branch names that differ (a known divergence ignores them)
        self.ops: list[Any] = []  # set by the Driver: every op run in the example up to this point

    def __str__(self) -> str:
        head = f"[{self.rule}] {self.message}"
        lines = [head]
        if self.step is not None or self.op is not None:
            lines.append(f"  at step {self.step}: {self.op!r}")
        if self.expected is not None or self.observed is not None:
            lines.append(f"  expected: {self.expected}")
            lines.append(f"  observed: {self.observed}")
        return "\n".join(lines)


_classes: dict[str, type[Divergence]] = {}


class AnyDivergence(Divergence):
    """The single class raised while ``one_failure()`` is active; its ``rule`` is set per instance."""


_single = False


@contextlib.contextmanager
def one_failure() -> Iterator[None]:
    """Raise every divergence as one class, so Hypothesis shrinks only the first failure it finds.

    For questions like "is this planted fault caught, and how short is the example?": shrinking each of the
    several rules one fault breaks would multiply the time for no new answer."""
    global _single
    before, _single = _single, True
    try:
        yield
    finally:
        _single = before


def rule_family(rule: str) -> str:
    """``V10k`` -> ``V10``: sub-rows of one rule share a class (their minimal examples are alike)."""
    m = re.match(r"^([A-Z][0-9]+)", rule)
    return m.group(1) if m else "X0"


def divergence_type(rule: str) -> type[Divergence]:
    """The exception class of one contract rule (created once, then reused)."""
    family = rule_family(rule)
    cls = _classes.get(family)
    if cls is None:
        cls = type(f"Divergence{family}", (Divergence,), {"rule": family, "__module__": __name__})
        _classes[family] = cls
    return cls


def diverge(rule: str, message: str, **details: Any) -> NoReturn:
    """Raise the Divergence of ``rule`` (the first id of a message like "V10/V8: …" when given several)."""
    primary = re.split(r"[/, ]", rule.strip())[0] or "X0"
    rules = tuple(r for r in re.split(r"[/, ]+", rule) if r)
    if _single:
        d: Divergence = AnyDivergence(message, rules=rules, **details)
        d.rule = rule_family(primary)
        raise d
    raise divergence_type(primary)(message, rules=rules, **details)


def first_rule(message: str, default: str) -> str:
    """The rule id a checker message starts with (``"C3: …"`` -> ``"C3"``), else ``default``."""
    m = re.match(r"^([A-Z][0-9]+[a-z]?)(?:[/,][A-Z0-9a-z/,]+)?:", message)
    return m.group(1) if m else default


_ABSENT = object()


def differing(expected: Mapping[Any, Any], observed: Mapping[Any, Any]) -> list[Any]:
    """The keys whose values differ (or that one side lacks): what a divergence names in its ``keys``."""
    return [k for k in {*expected, *observed} if expected.get(k, _ABSENT) != observed.get(k, _ABSENT)]
