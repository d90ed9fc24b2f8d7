"""Pure numbers for the limits report: medians, noise, growth ratios and the verdict of one rule."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from attrs import frozen

#: L1's bound: pgGit's added cost may grow at most this much between the smallest and the largest size
MAX_GROWTH = 2.0


def quartiles(xs: Sequence[float]) -> tuple[float, float, float]:
    """(p25, median, p75) of ``xs`` (at least one value)."""
    if len(xs) < 2:
        return xs[0], xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[1], q[2]


@frozen
class Cost:
    """pgGit's added cost at one size: the median over repetitions of (time with pgGit − time on the control)
    per statement cycle, in ms, with its interquartile range; and the two medians it came from."""

    size: int
    median_ms: float
    p25_ms: float
    p75_ms: float
    with_ms: float
    control_ms: float

    @property
    def noise(self) -> float:
        """The interquartile range relative to the median: how much one repetition says."""
        return (self.p75_ms - self.p25_ms) / abs(self.median_ms) if self.median_ms else float("inf")


def cost_of(size: int, with_pggit: Sequence[float], control: Sequence[float]) -> Cost:
    """Repetition i ran the same statements with pgGit and on the control back to back, so their difference
    cancels what drifted meanwhile (other processes on shared cores); the median of the differences is the cost."""
    diffs = [w - c for w, c in zip(with_pggit, control, strict=True)]
    p25, med, p75 = quartiles(diffs)
    return Cost(size, med, p25, p75, statistics.median(with_pggit), statistics.median(control))


@frozen
class Verdict:
    """One rule's verdict: ``ok`` true when ``value`` stays within ``bound``, None when it could not be measured
    (the backend lacks a function, the server is elsewhere); ``text`` says what was measured."""

    rule: str
    ok: bool | None
    value: float
    bound: float
    text: str

    def line(self) -> str:
        status = {True: "PASS", False: "FAIL", None: "NOT MEASURED"}[self.ok]
        return f"{self.rule}: {status} — {self.text}"


def growth(rule: str, what: str, costs: Sequence[Cost], bound: float = MAX_GROWTH) -> Verdict:
    """L1: the cost at the largest size over the cost at the smallest. A cost at or below zero at the smallest
    size (pgGit's cost lost in the noise) is floored at 0.05 ms so that the ratio stays finite and honest."""
    first, last = costs[0], costs[-1]
    ratio = max(last.median_ms, 0.0) / max(first.median_ms, 0.05)
    noisiest = max(c.noise for c in costs)
    return Verdict(rule, ratio <= bound, ratio, bound,
                   f"pgGit's cost per DDL cycle grew {ratio:.2f}× from {first.size} to {last.size} {what} "
                   f"({first.median_ms:.2f} → {last.median_ms:.2f} ms; bound {bound:g}×; noise up to "
                   f"{noisiest:.0%} IQR/median)")
