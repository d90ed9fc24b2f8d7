"""The strategies read their choices the same way in every process: a failure's choice sequence, stored in the
example database or shrunk in one process, replays to the same ops in another.

Hypothesis's *generation* depends on the process: it biases draws with literal constants it mines from every local
module in sys.modules (so derandomized runs change with the modules imported before), and a str set's order changes
with PYTHONHASHSEED. Neither may change what a given choice sequence means: a strategy that turns a choice into "the
n-th element of a set" or of anything ordered by id() would replay a stored failure as other ops. Here one process
draws streams of ops (each op from the model state the previous ones left) under one hash seed and records the
choices; another, under another hash seed and with more modules imported, replays the choices and must get the
same ops.

Run as a module, this file is that child: ``python -m tests.test_strategy_determinism draw OUT`` or
``replay IN OUT``.
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path
from random import Random
from typing import Any

from tests.child import run_module

SCHEMA = "mc_sdet"
STREAMS = 16
STEPS = 30


def _strategy(state: Any, wrong: bool) -> Any:
    from hypothesis import strategies as st

    from pggit_model import strategies
    from pggit_model.strategies.cascades import row_ops
    from pggit_model.strategies.dependents import dependent_ops

    # (ddl_ops, inside ops_for, holds every DDL drawer: hierarchy, renames, schemas, kinds)
    found = st.one_of(strategies.ops_for(state, SCHEMA), dependent_ops(state, SCHEMA), row_ops(state, SCHEMA))
    if wrong:  # a deliberately set-order-dependent strategy: the choice picks "the n-th" of a frozenset of names
        names = list(frozenset(("a", "b", "c", "d", "e", "f")))
        return st.tuples(st.integers(0, 5).map(names.__getitem__), found).map(
            lambda pair: pair[1] if pair[0] < "c" else f"skipped for {pair[0]}")
    return found


def _stream(data: Any, wrong: bool) -> list[str]:
    """STEPS ops, each drawn from the state the ones before left, as a machine draws them (Hypothesis internals: a
    test case's data run in a build context, as the engine runs one; target() and event() need that context)."""
    from hypothesis.control import BuildContext
    from hypothesis.errors import StopTest

    from pggit_model.model import initial_state, step

    state = initial_state(schemas=(SCHEMA,), search_path=(SCHEMA,))
    ops = []
    with BuildContext(data, wrapped_test=_stream):
        for _ in range(STEPS):
            try:
                op = data.draw(_strategy(state, wrong))
            except StopTest:
                ops.append("(ran out of choices)")
                break
            ops.append(repr(op))
            if not isinstance(op, str):
                state, _ = step(state, op)
    return ops


def _draw(wrong: bool) -> list[tuple[tuple[Any, ...], list[str]]]:
    from hypothesis.internal.conjecture.data import ConjectureData  # (the engine's own record of a test case)

    out = []
    for n in range(STREAMS):
        data = ConjectureData(random=Random(n), max_choices=100_000)
        ops = _stream(data, wrong)
        out.append((tuple(data.choices), ops))
    return out


def _replay(drawn: list[tuple[tuple[Any, ...], list[str]]], wrong: bool) -> list[list[str]]:
    from hypothesis.internal.conjecture.data import ConjectureData

    # modules the drawing process did not import: they change Hypothesis's generation, not what choices mean
    import pggit_model.client
    import pggit_model.runs  # noqa: F401

    return [_stream(ConjectureData.for_choices(choices), wrong) for choices, _ in drawn]


def _differences(tmp_path: Path, wrong: bool = False) -> list[str]:
    drawn, replayed = tmp_path / "drawn.pickle", tmp_path / "replayed.pickle"
    env = {"PGGIT_SDET_WRONG": "1" if wrong else ""}
    run_module("tests.test_strategy_determinism", ["draw", str(drawn)], hash_seed=1, env=env)
    run_module("tests.test_strategy_determinism", ["replay", str(drawn), str(replayed)], hash_seed=2, env=env)
    first, second = pickle.loads(drawn.read_bytes()), pickle.loads(replayed.read_bytes())
    found = []
    for n, ((_, ops_a), ops_b) in enumerate(zip(first, second, strict=True)):
        for i, (a, b) in enumerate(zip(ops_a, ops_b, strict=False)):
            if a != b:
                found.append(f"stream {n} op {i + 1}: {a} when drawn, {b} when replayed")
                break
        else:
            if len(ops_a) != len(ops_b):
                found.append(f"stream {n}: {len(ops_a)} ops drawn, {len(ops_b)} replayed")
    return found


def test_a_choice_sequence_replays_to_the_same_ops_in_another_process(tmp_path: Path) -> None:
    """Every drawer the machines use: the choices recorded under one hash seed give the same ops under another, in a
    process with other modules loaded (what a stored failure meets when `pggit-model replay` or the next run reads
    it; the model's own determinism is tests/test_model_determinism.py)."""
    assert _differences(tmp_path) == []


def test_a_strategy_that_depends_on_set_order_is_caught(tmp_path: Path) -> None:
    """The check bites: a strategy that maps a choice to the n-th element of a frozenset of strings."""
    assert _differences(tmp_path, wrong=True)


if __name__ == "__main__":
    wrong_strategy = os.environ.get("PGGIT_SDET_WRONG") == "1"
    if sys.argv[1] == "draw":
        Path(sys.argv[2]).write_bytes(pickle.dumps(_draw(wrong_strategy)))
    else:
        drawn_in = pickle.loads(Path(sys.argv[2]).read_bytes())
        Path(sys.argv[3]).write_bytes(pickle.dumps(_replay(drawn_in, wrong_strategy)))
