"""The Driver's checks beyond one op against the model: the twin's answer to each statement and its catalog at the
end of an example (V21), V1's excluded schemas at the end, and the reproducer every divergence carries. A base class
of ``Driver``, as ``KnownDivergences`` (which it builds on) is: it works on the Driver's state."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import psycopg

from . import backend
from .adoption import KnownDivergences
from .client import Client, Completion
from .divergences import Divergence, diverge
from .ops import Op

if TYPE_CHECKING:
    from .twin import Twin


class ExampleChecks(KnownDivergences):
    """The twin's side of a step, the end-of-example checks and the reproducer (a base class of ``Driver``)."""

    client: Client
    #: V21: the same statements on a database without pgGit (twin.py); None when off, or once a known V21
    #: divergence parted the two databases for the rest of the example
    twin: Twin | None
    #: the Driver's: check the op in flight, if any, before anything else uses the connection
    settle: Callable[[], None]

    def _twin_step(self, op: Op, done: Completion, number: int, text: str | None, struck: bool,
                   ahead: Any = None) -> str | None:
        """V21: the twin (PostgreSQL without pgGit) answers ``op`` as pgGit's database did. Checked before the model's
        answer: where both disagree with pgGit, PostgreSQL's own verdict is the stronger evidence. Returns the
        registry entry of a known difference (the model's check of the same answer is then explained by it)."""
        assert self.twin is not None
        problem = self.twin.mirror(op, done, text=text, struck=struck, started=ahead)
        self.stats.rules.update(self.twin.rules_of(op))
        if problem is not None:
            rule = self.twin.rule
            return self._twin_parted(lambda: diverge(rule, problem, op=op, step=number, area="twin",
                                                     expected="the outcome without pgGit", observed=str(done)))
        return None

    def check_twin_catalog(self) -> None:
        """V21 at the end of an example: the machine's schemas have the same catalog with and without pgGit."""
        self.settle()
        if self.twin is None:
            return
        problem, rule = self.twin.compare_catalog(self.client), self.twin.rule
        if problem is not None:
            self._twin_parted(lambda: diverge(rule, problem, op=self.ops[-1] if self.ops else None,
                                              step=len(self.ops), area="twin"))

    def check_excluded_schemas(self) -> None:
        """V1 at the end of an example: pgGit holds no row for an object in a temporary or toast schema. The model
        never predicts one there, and the observation after each step reads the machine's own schemas only, so a
        backend that tracks temporary objects would be seen only by a lookup that happens to name one."""
        self.settle()
        conn = self.client.conn
        status = psycopg.pq.TransactionStatus
        if conn.closed or conn.broken or self.client.in_error or \
                conn.info.transaction_status not in (status.IDLE, status.INTRANS):
            return  # (an aborted transaction answers nothing; a read inside a live one changes nothing)
        query = backend.excluded_rows(self.client.probe)
        if query is None:
            return  # (no row key to read: the run reports the missing table or columns with the rules they block)
        rows = conn.execute(query).fetchall()
        if rows:
            shown = "; ".join(f"{t} {s}.{n} on {b}" for t, s, n, b in rows[:5])
            self._explore_if_known(lambda: diverge(
                "V1", f"pgGit holds {len(rows)} row(s) for objects in schemas V1 excludes (pg_temp*, pg_toast*): "
                f"{shown}", op=self.ops[-1] if self.ops else None, step=len(self.ops), area="objects"))

    def _explore_if_known(self, raise_it: Any) -> None:
        """Raise a divergence with the reproducer; if the registry knows it, go on."""
        try:
            with self._reproducer_on_divergence():
                raise_it()
        except Divergence as d:
            self._explore_past(d)

    def _twin_parted(self, raise_it: Any) -> str:
        """Raise the V21 divergence with the reproducer; if the registry knows it, stop comparing with the twin
        for the rest of the example (the two databases have parted ways) and return the entry's id."""
        try:
            with self._reproducer_on_divergence():
                raise_it()
        except Divergence as d:
            entry = self._explore_past(d)
            self.twin = None
            return entry
        raise AssertionError("raise_it did not raise")

    @contextlib.contextmanager
    def _reproducer_on_divergence(self) -> Iterator[None]:
        """Every Divergence leaves carrying the ops that led to it: the minimal example, once shrunk."""
        try:
            yield
        except Divergence as e:
            e.ops = list(self.ops)
            e.add_note("reproducer (ops run so far):\n" + self.reproducer())
            raise

    def reproducer(self) -> str:
        """The ops so far as Python, one per line (each repr is its constructor call)."""
        return "\n".join(f"{i}. {op!r}" for i, op in enumerate(self.ops, 1))


__all__ = ["ExampleChecks"]
