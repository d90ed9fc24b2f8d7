"""Mixed machine: every area's rules in one machine — versioning, branches, commits, merges, schema hashes, Trinity
IDs, transactions and savepoints, in-session faults — under swarm testing, so cross-area interactions happen (a
hash baseline across a merge, a checkout inside a transaction a fault then kills, Trinity IDs drawn between
savepoints, …), which no single-area machine reaches.

The rules are the other machines' own, composed by inheritance rather than copied: a fix or a new rule in a
machine reaches this one too. Per example an ``@initialize`` step draws the areas kept (``pggit_model.swarm``:
each area off by a coin that shrinks to "on"), and every rule is gated on its area; the DDL rules every area
observes stay on. Generation is steered by ``target()`` toward novelty — distinct (contract rule, area) pairs and
distinct catalog shapes reached in the example — and ``event()`` labels how many areas an example kept.

Its RULES list is the union of the composed machines' lists (less four single-call rules, see RULES), so a ``ci``
run fails if mixing starves an area.
Runs on clone isolation (the faults really commit and kill sessions); the crash machine (its own cluster) and
the parallel machine (programs, not steps) are not mixed in.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, rule

from pggit_model.machines.branches_commits import BranchesCommitsMachine, BranchRules
from pggit_model.machines.faults import FaultRules, FaultsMachine
from pggit_model.machines.hashes import HashesMachine
from pggit_model.machines.transactions import TransactionRules, TransactionsMachine
from pggit_model.machines.trinity import TrinityMachine
from pggit_model.machines.versioning import VersioningMachine
from pggit_model.model import State
from pggit_model.rules import base
from pggit_model.swarm import gate, swarm

#: The areas a swarm draw keeps or leaves out, each a set of rules below.
AREAS = ("versioning", "branches", "commits", "merge", "hashes", "trinity", "transactions", "faults")

#: Always on: DDL is what every area observes, the argument-less lookup is what shrinking reduces steps to, and
#: a repeat of a recent op (of whichever area) is reuse across areas by design.
ALWAYS = ("ddl", "more_ddl", "show_table_versions", "repeat_a_recent_op")

AREA_OF = {
    **dict.fromkeys(("version_api", "replace_with_the_same_definition", "drop_then_get_version",
                     "one_change_of_any_kind", "schemas_lookups_or_a_long_history"), "versioning"),
    **dict.fromkeys(("branch", "more_branch_calls", "create_branch_with_invalid_name", "leave_a_branch_diverged"),
                    "branches"),
    **dict.fromkeys(("commit", "more_commits"), "commits"),
    **dict.fromkeys(("change_on_a_branch_then_merge", "conflicting_changes_then_merge", "merge"), "merge"),
    **dict.fromkeys(("respelled_ddl", "hash_call", "hashes_around_ddl", "baseline_then_ddl",
                     "update_hashes_around_ddl", "set_search_path"), "hashes"),
    **dict.fromkeys(("trinity", "move_sequence_to_an_edge", "generate_on_other_session", "set_time_zone"), "trinity"),
    **dict.fromkeys(("transaction", "more_transactions"), "transactions"),
    **dict.fromkeys(("ddl_under_fault", "terminate_session"), "faults"),
}


def shape(state: State) -> tuple[Any, ...]:
    """A coarse shape of the model's state (what kinds of object, how many branches and commits, a conflict, an
    open or aborted transaction, off main): the novelty ``target()`` counts, small enough to be reached again."""
    kinds = Counter(k[0] for k, r in state.db.rows.items() if r.active)
    txn = state.txn
    return (tuple(sorted((kind, min(n, 2)) for kind, n in kinds.items())), min(len(state.db.branches), 3),
            min(len(state.db.commits), 2), bool(state.db.conflicts), any(b.merged for b in state.db.branches.values()),
            0 if txn is None else min(len(txn.frames), 3), txn is not None and txn.aborted, state.c != "main")


def _before(self: Any, area: str) -> None:
    self._rules_before = dict(self.harness.stats.rules)


def _after(self: Any, area: str) -> None:
    """Record the contract rules this step's checks cited, with the area whose rule ran them, and the shape."""
    now = self.harness.stats.rules
    before = self._rules_before
    self.pairs.update((base(r), area) for r, n in now.items() if before.get(r, 0) != n)
    self.shapes.add(shape(self.model))


class MixedMachine(FaultRules, VersioningMachine, BranchesCommitsMachine, HashesMachine, TrinityMachine):
    """Mixed machine: every area's rules together (V, B, C, M, H, T, X1–X5), a swarm-drawn subset per example."""

    # The composed machines' lists, less four rules each checked by one kind of call that one rule of one area
    # draws: with areas left out per example, one ci run in three never drew one of them (measured: B11, T9, H6,
    # H7). Their own machines' lists still hold them (BranchesCommitsMachine, TrinityMachine, HashesMachine).
    RULES = tuple(r for r in dict.fromkeys((*VersioningMachine.RULES, *BranchesCommitsMachine.RULES,
                                            *TransactionsMachine.RULES, *TrinityMachine.RULES, *HashesMachine.RULES,
                                            *FaultsMachine.RULES)) if r not in ("B11", "T9", "H6", "H7"))

    def __init__(self) -> None:
        super().__init__()
        self.areas: tuple[str, ...] = AREAS  # until the @initialize step draws the swarm
        self.pairs: set[tuple[str, str]] = set()
        self.shapes: set[tuple[Any, ...]] = set()
        self._rules_before: dict[str, int] = {}

    @initialize(areas=swarm(AREAS))
    def choose_areas(self, areas: tuple[str, ...]) -> None:
        """Swarm testing: the areas whose rules this example may draw (the DDL rules are always on)."""
        self.areas = areas
        from hypothesis import event

        event(f"swarm: {len(areas)} of {len(AREAS)} areas kept")

    # Weights: Hypothesis picks among enabled rules uniformly, so an area's share of steps is its number of rules;
    # commits and transactions have one rule each among thirty, and transaction control is what mixes the others.
    @rule(data=st.data())
    def more_transactions(self, data: st.DataObject) -> None:
        """BEGIN / COMMIT / ROLLBACK / SAVEPOINT … again (X1, X2), so areas meet inside transactions."""
        TransactionRules.transaction(self, data)

    @rule(data=st.data())
    def more_commits(self, data: st.DataObject) -> None:
        """create_commit / commit_changes again (C1–C7), amid the other areas' state."""
        BranchRules.commit(self, data)

    def teardown(self) -> None:
        from hypothesis import target
        from hypothesis.errors import InvalidArgument

        with contextlib.suppress(InvalidArgument):  # outside a Hypothesis test (a replay) there is nothing to steer
            target(float(len(self.pairs)), label="distinct (contract rule, area) pairs")
            target(float(len(self.shapes)), label="distinct catalog shapes")
        super().teardown()


gate(MixedMachine, AREA_OF, always=ALWAYS, before=_before, after=_after)

__all__ = ["ALWAYS", "AREAS", "AREA_OF", "MixedMachine", "shape"]
