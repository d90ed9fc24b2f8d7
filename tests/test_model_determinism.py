"""The model's predictions do not depend on the process: the same ops give the same Expected and the same state under
any PYTHONHASHSEED.

Python randomizes str hashing per process, so iterating a set or frozenset of names visits them in an order that
changes from run to run. A model that picks "the first" of such a set where the contract gives no order predicts one
thing in one CI run and another in the next (V17 picked among two active rows of one name by frozenset order, and a
smoke run reported its pick as a divergence of the reference). Here one process draws op streams from the machines'
drawers and steps them through the model under one hash seed; another steps the same ops under another; every
Expected and every final state must be equal.

Run as a module, this file is that child: ``python -m tests.test_model_determinism draw OUT`` or ``replay IN OUT``.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path
from typing import Any

from tests.child import run_module

SCHEMA = "mc_det"
EXAMPLES = int(os.environ.get("PGGIT_DETERMINISM_EXAMPLES", "12"))
STEPS = 40
Trace = list[tuple[list[tuple[Any, Any]], Any]]  # per stream: [(op, Expected)], final State


def _predict(op: Any, state: Any, wrong: bool) -> tuple[Any, Any]:
    from attrs import evolve

    from pggit_model.model import step
    new, expected = step(state, op)
    if wrong:  # a deliberately hash-order-dependent model: it names the first of a set of strings
        expected = evolve(expected, why=f"{expected.why} {next(iter(frozenset(('a', 'b', 'c', 'd'))))}")
    return new, expected


def _draw(wrong: bool) -> Trace:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from pggit_model import strategies
    from pggit_model.model import initial_state
    from pggit_model.strategies.cascades import row_ops
    from pggit_model.strategies.dependents import dependent_ops

    out: Trace = []

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def streams(data: st.DataObject) -> None:
        state = initial_state(schemas=(SCHEMA,), search_path=(SCHEMA,))
        trace = []
        for _ in range(STEPS):
            op = data.draw(st.one_of(strategies.ops_for(state, SCHEMA), dependent_ops(state, SCHEMA),
                                     row_ops(state, SCHEMA)))
            state, expected = _predict(op, state, wrong)
            trace.append((op, expected))
        out.append((trace, state))

    streams()
    return out


def _replay(traces: Trace, wrong: bool) -> Trace:
    from pggit_model.model import initial_state

    out: Trace = []
    for trace, _ in traces:
        state = initial_state(schemas=(SCHEMA,), search_path=(SCHEMA,))
        steps = []
        for op, _ in trace:
            state, expected = _predict(op, state, wrong)
            steps.append((op, expected))
        out.append((steps, state))
    return out


def _child(args: list[str], hash_seed: int, wrong: bool, examples: int) -> None:
    run_module("tests.test_model_determinism", args, hash_seed=hash_seed,
               env={"PGGIT_DETERMINISM_WRONG": "1" if wrong else "", "PGGIT_DETERMINISM_EXAMPLES": str(examples)})


def _differences(tmp_path: Path, wrong: bool = False, examples: int = EXAMPLES) -> list[str]:
    drawn, replayed = tmp_path / "drawn.pickle", tmp_path / "replayed.pickle"
    _child(["draw", str(drawn)], 1, wrong, examples)
    _child(["replay", str(drawn), str(replayed)], 2, wrong, examples)
    first, second = pickle.loads(drawn.read_bytes()), pickle.loads(replayed.read_bytes())
    assert len(first) == len(second) == examples
    found = []
    for n, ((steps_a, state_a), (steps_b, state_b)) in enumerate(zip(first, second, strict=True)):
        for i, ((op, a), (_, b)) in enumerate(zip(steps_a, steps_b, strict=True)):
            if a != b:
                found.append(f"stream {n} step {i + 1} {op!r}: {a!r} under one hash seed, {b!r} under another")
                break
        else:
            if state_a != state_b:
                found.append(f"stream {n}: the final states differ")
    return found


def test_the_model_predicts_the_same_under_any_hash_seed(tmp_path: Path) -> None:
    """V17 and every rule: streams of every drawer's ops predict equal Expecteds and states under two hash seeds."""
    assert _differences(tmp_path) == []


def test_a_model_that_depends_on_set_order_is_caught(tmp_path: Path) -> None:
    """The check bites: a model naming the first element of a frozenset of strings differs between the seeds."""
    assert _differences(tmp_path, wrong=True, examples=2)


if __name__ == "__main__":
    wrong_model = os.environ.get("PGGIT_DETERMINISM_WRONG") == "1"
    if sys.argv[1] == "draw":
        Path(sys.argv[2]).write_bytes(pickle.dumps(_draw(wrong_model)))
    else:
        Path(sys.argv[3]).write_bytes(pickle.dumps(_replay(pickle.loads(Path(sys.argv[2]).read_bytes()), wrong_model)))
