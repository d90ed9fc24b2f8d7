"""Transactions machine: BEGIN / COMMIT / ROLLBACK / SAVEPOINT / ROLLBACK TO / RELEASE interleaved with every
DDL, branch and commit rule; after each step pgGit's state must equal the model's exactly.

Exercises X1 (rollback restores everything, the current branch included), X2 (rollback to a savepoint undoes
exactly what followed it), X3 (sequences never go back), X4 (a failed statement aborts the transaction and
leaves nothing), V3 (changes are visible inside the transaction), B6 (checkout is transactional).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import rule

from pggit_model import strategies
from pggit_model.machines.branches_commits import BranchRules
from pggit_model.rules import span


class TransactionRules(BranchRules):
    @rule(data=st.data())
    def transaction(self, data: st.DataObject) -> None:
        """BEGIN / COMMIT / ROLLBACK / SAVEPOINT / ROLLBACK TO / RELEASE fitting the open transaction."""
        self.run(data.draw(strategies.txn_ops(self.model), label="txn"))


class TransactionsMachine(TransactionRules):
    """Transactions machine: X1–X4, V3, B6 interleaved with all DDL, branch and commit rules."""

    RULES = (*span("X1", "X4"), "V3", "B6")
