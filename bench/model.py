"""Median cost of model.step for typical ops, measured in one run (target: <= 50 µs).

    python bench/model.py
"""

from __future__ import annotations

import statistics
import time

from pggit_model.benchmarks import emit
from pggit_model.model import initial_state, run, step
from pggit_model.ops import (
    AddColumn,
    AlterTable,
    Begin,
    CheckoutBranch,
    Column,
    CommitChanges,
    CreateBranch,
    CreateCommit,
    CreateIndex,
    CreateTable,
    CreateView,
    DropTable,
    GenerateTrinityId,
    GetHistory,
    GetVersion,
    PrimaryKey,
    Rollback,
    Savepoint,
    SetDefault,
    SetNotNull,
)

S = "bench"


def setup():
    """A machine-sized state: a few tables with columns, indexes and a view, two branches."""
    ops = []
    for i in range(6):
        ops.append(CreateTable(S, f"t{i}", [Column("id", "integer"), Column("email", "text"), Column("n", "bigint")],
                               [PrimaryKey(("id",))]))
        ops.append(CreateIndex(S, f"t{i}_email", f"t{i}", ("email",)))
    ops += [CreateView(S, "v", "t0", ("id", "email")), CreateBranch("b1"), CreateCommit("main", "m", "x")]
    state, _ = run(initial_state((S,), search_path=(S,)), ops)
    return state


TYPICAL = {
    "create_table": CreateTable(S, "new", [Column("id", "integer", True), Column("s", "text", default="x")]),
    "alter_add_column": AlterTable(S, "t1", [AddColumn(Column("z", "integer"))]),
    "alter_two_actions": AlterTable(S, "t2", [SetNotNull("email"), SetDefault("n", 5)]),
    "create_index": CreateIndex(S, "i_new", "t3", ("n",)),
    "drop_table": DropTable(S, "t4"),
    "create_branch": CreateBranch("b2"),
    "checkout_branch": CheckoutBranch("b1"),
    "create_commit": CreateCommit("main", "msg", "CREATE TABLE a(id int)"),
    "commit_changes": CommitChanges("main", "m"),
    "generate_trinity_id": GenerateTrinityId(),
    "get_version": GetVersion("t1"),
    "get_history": GetHistory("bench.t1", 5),
    "begin": Begin(),
    "savepoint": Savepoint("s"),
    "rollback": Rollback(),
}


def measure(state, op, repeat=2000):
    if op.kind in ("savepoint", "rollback"):
        state, _ = step(state, Begin())
    samples = []
    for _ in range(repeat):
        t = time.perf_counter_ns()
        step(state, op)
        samples.append(time.perf_counter_ns() - t)
    return statistics.median(samples) / 1000


def main() -> None:
    state = setup()
    medians = {}
    for name, op in TYPICAL.items():
        medians[name] = measure(state, op)
        print(f"{name:22s} {medians[name]:8.1f} µs")
    overall = statistics.median(medians.values())
    print(f"overall median step cost: {overall:.1f} µs (target <= 50 µs)")
    emit("model", {"median_step_us": (overall, "µs", "lower"),
                   **{f"{name}_us": (v, "µs", "lower") for name, v in medians.items()}})


if __name__ == "__main__":
    main()
