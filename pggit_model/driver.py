"""The loop for one example: the model predicts, the client runs, the checkers compare.

``Driver.run(op)`` steps the model, applies the op on the database, checks the answer and feeds the
values the database invented (commit ids, Trinity IDs) back into the model; ``Driver.check_state()``
observes the whole pgGit state in one round trip and compares it with the model. Machines and the
replay command both drive examples through this class, so a replay checks exactly what a run checked.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import attrs

from . import checkers
from .client import Client, Completion
from .divergences import Divergence, diverge
from .install import CONTRACT_FUNCTIONS
from .model import CheckContext, Expected, State, bind, initial_state, step
from .ops import Op

#: op kind -> the contract signature it calls (to tell "function missing" from other errors).
FUNCTION_OF_KIND: Mapping[str, str] = {
    sig.split("(")[0].split(".")[1]: sig for sig in CONTRACT_FUNCTIONS
} | {"generate_trinity_ids": "pggit.generate_trinity_id()"}


@attrs.define
class RunStats:
    """What a pytest session did, for the closing summary."""

    steps: int = 0
    examples: int = 0
    skipped_unspecified: int = 0
    skipped_missing: int = 0
    rules: set[str] = attrs.Factory(set)
    divergences: dict[str, str] = attrs.Factory(dict)  # "machine:rule" -> first line
    missing_functions: dict[str, tuple[str, ...]] = attrs.Factory(dict)
    machines: dict[str, int] = attrs.Factory(dict)  # machine -> steps
    mutants: dict[str, tuple[int, list[str]]] = attrs.Factory(dict)  # mutant -> (shrunk steps, rules caught)


STATS = RunStats()


class Driver:
    """One example: model state, check context and the ops run so far (the reproducer)."""

    def __init__(self, client: Client, schema: str, *, state: State | None = None,
                 missing: frozenset[str] = frozenset(), stats: RunStats | None = None,
                 txn_started: float | None = None) -> None:
        self.client = client
        self.schema = schema
        self.state = state if state is not None else initial_state(schemas=(schema,))
        self.ctx = CheckContext()
        self.ops: list[Op] = []
        self.missing = missing  # contract signatures absent from the backend (I4)
        self.stats = stats if stats is not None else STATS
        # T2's lower bound: when the transaction PostgreSQL sees began (the isolation's outer one, if any)
        self._outer_started = txn_started
        self._txn_started: float | None = None

    # -- capability --------------------------------------------------------------------------
    def supports(self, kind: str) -> bool:
        """False for calls whose contract function is missing: their rules are skipped, visibly."""
        sig = FUNCTION_OF_KIND.get(kind)
        return sig is None or sig not in self.missing

    # -- one step ----------------------------------------------------------------------------
    def predict(self, op: Op) -> tuple[State, Expected]:
        return step(self.state, op)

    def run(self, op: Op) -> Completion | None:
        """Run one op and check its answer; None if the model cannot predict it (the op is not run)."""
        if not self.supports(op.kind):
            # I4: reported once for the run (summary), then skipped — never a failure per example.
            self.stats.skipped_missing += 1
            return None
        new_state, expected = step(self.state, op)
        if expected.is_unspecified:
            self.stats.skipped_unspecified += 1
            return None
        self.ops.append(op)
        number = len(self.ops)
        now = time.time()
        if op.kind == "begin" and self.state.txn is None:
            self._txn_started = now
        started = self._txn_started if self.state.txn is not None else None
        lower = min(t for t in (started, self._outer_started, now) if t is not None)
        self.ctx.earliest = datetime.fromtimestamp(lower - 0.001, UTC)  # the clock's resolution
        self.ctx.latest = None
        done = self.client.apply(op, observe=True)
        self.stats.steps += 1
        if done.status == "error" and done.sqlstate == "42883":
            sig = FUNCTION_OF_KIND.get(op.kind)
            if sig is not None:
                self._function_missing(sig, op, number)
        with self._reproducer_on_divergence():
            checkers.check_completion(expected, done, self.ctx, op=op, step=number)
        self.stats.rules.update(expected.rules)
        self.state = self._feed_back(new_state, expected)
        if self.state.txn is None:
            self._txn_started = None
        return done

    def _function_missing(self, sig: str, op: Op, number: int) -> None:
        rules = CONTRACT_FUNCTIONS[sig]
        self.stats.missing_functions[sig] = rules
        diverge(rules[0], f"function missing: {sig} does not exist, so rules {', '.join(rules)} cannot be checked",
                op=op, step=number)

    def _feed_back(self, state: State, expected: Expected) -> State:
        """Values the database invented, bound by the checks, go back into the model (C7 needs them)."""
        preds: list[Any] = [expected.value] if expected.kind == "value" else []
        if expected.kind == "rows":
            preds = [v for row in expected.rows for v in row]
        for pred in preds:
            for attr in ("ref", "commit"):
                ref = getattr(pred, attr, None)
                if ref is not None and ref in self.ctx.bindings and type(ref).__name__ != "MergeRef":
                    state = bind(state, ref, self.ctx.bindings[ref])
        return state

    # -- whole state -------------------------------------------------------------------------
    def check_state(self) -> None:
        """Observe pgGit (one round trip) and compare every area with the model (skipped while aborted, O9)."""
        if self.client.in_error:
            return
        snap = self.client.last_snapshot or self.client.observe()
        last = self.ops[-1] if self.ops else None
        hint = {"rollback": "X1", "rollback_to_savepoint": "X2"}.get(getattr(last, "kind", ""))
        with self._reproducer_on_divergence():
            checkers.state_matches_model(self.state, snap, self.schema, self.ctx, op=last, step=len(self.ops),
                                         hint=hint)

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


__all__ = ["STATS", "Divergence", "Driver", "RunStats"]
