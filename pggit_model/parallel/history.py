"""What a run of a parallel program recorded: one Event per statement, grouped into the checker's units, and the
timeline a failure prints (one column per session, one row per start or end, by time)."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import evolve, frozen

from pggit_model.client import Completion
from pggit_model.ops import Op

from .program import Program, units

#: SQLSTATEs of a transaction PostgreSQL aborted to break a cycle: serialization failure, deadlock (X8, X9).
ABORT_STATES = ("40001", "40P01")
#: SQLSTATEs of a statement cancelled by a timeout: it had no effect (X4).
CANCEL_STATES = ("57014", "55P03")


@frozen
class Event:
    """One statement as it ran: monotonic start and end (end None: still running when the run gave up), its
    outcome (None while running), and whether the runner saw it wait for a lock."""

    session: int
    index: int
    op: Op
    invoked: float
    completed: float | None
    done: Completion | None
    blocked: bool = False

    @property
    def settled(self) -> bool:
        """The outcome is known: it answered (ok or an error), not lost and not still running."""
        return self.done is not None and self.done.status != "unknown"

    @property
    def sqlstate(self) -> str | None:
        return self.done.sqlstate if self.done is not None else None


@frozen
class Unit:
    """The checker's operation: one autocommit statement, or one whole transaction block (X8)."""

    id: int
    session: int
    events: tuple[Event, ...]

    @property
    def invoked(self) -> float:
        return self.events[0].invoked

    @property
    def completed(self) -> float | None:
        """When its last statement answered; None if any statement's outcome is unknown (in doubt)."""
        return self.events[-1].completed if all(e.settled for e in self.events) else None

    @property
    def aborted(self) -> bool:
        """PostgreSQL broke a cycle by aborting it (40001/40P01): it counts as having had no effect (X8)."""
        return any(e.sqlstate in ABORT_STATES for e in self.events)

    @property
    def in_doubt(self) -> bool:
        return not all(e.settled for e in self.events)


@frozen
class History:
    program: Program
    events: tuple[Event, ...]  # in invocation order
    wall_time: float = 0.0

    def units(self) -> list[Unit]:
        by_session: dict[int, list[Event]] = {}
        for e in self.events:
            by_session.setdefault(e.session, []).append(e)
        out: list[Unit] = []
        for s, statements in enumerate(self.program.sessions):
            evs = sorted(by_session.get(s, []), key=lambda e: e.index)
            for a, b in units(statements):
                part = tuple(e for e in evs if a <= e.index < b)
                if part:
                    out.append(Unit(len(out), s, part))
        return out

    def executed(self) -> Program:
        """The program with the schedule that really ran (deferred steps moved): what a spec must replay."""
        return evolve(self.program, schedule=[e.session for e in self.events])

    def failures(self, states: Sequence[str] = ABORT_STATES) -> list[Event]:
        return [e for e in self.events if e.sqlstate in states]


def _short(op: Op, width: int) -> str:
    text = " ".join(op.to_sql().split())
    return text if len(text) <= width else text[: width - 1] + "…"


def timeline(history: History, width: int = 44) -> str:
    """One column per session, one row per statement start (and a row for each end that came later than the
    next start), in time order: what ran concurrently is visible at a glance."""
    n = len(history.program.sessions)
    rows: list[tuple[float, int, str]] = []
    for e in history.events:
        rows.append((e.invoked, e.session, f"▶ {_short(e.op, width - 2)}"))
        outcome = "(running)" if e.done is None else ("ok" if e.done.ok else
                                                     f"{e.done.status} {e.done.sqlstate or ''}".strip())
        if e.blocked:
            outcome = f"(waited) {outcome}"
        rows.append((e.completed if e.completed is not None else float("inf"), e.session, f"  ◀ {outcome}"))
    rows.sort(key=lambda r: r[0])
    t0 = rows[0][0] if rows else 0.0
    head = "  ms    | " + " | ".join(f"session {i}".ljust(width) for i in range(n))
    lines = [head, "-" * len(head)]
    for t, s, text in rows:
        cells = [" " * width] * n
        cells[s] = text[:width].ljust(width)
        stamp = "   ∞   " if t == float("inf") else f"{(t - t0) * 1000:7.1f}"
        lines.append(f"{stamp} | " + " | ".join(cells))
    return "\n".join(lines)
