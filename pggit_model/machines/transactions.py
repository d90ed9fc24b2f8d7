"""Transactions machine: BEGIN / COMMIT / ROLLBACK / SAVEPOINT / ROLLBACK TO / RELEASE interleaved with every
DDL, branch and commit rule; after each step pgGit's state must equal the model's exactly.

Exercises X1 (rollback restores everything, the current branch included), X2 (rollback to a savepoint undoes
exactly what followed it), X3 (sequences never go back), X4 (a failed statement aborts the transaction and
leaves nothing), V3 (changes are visible inside the transaction), B6 (checkout is transactional).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import rule

from pggit_model.machines.branches_commits import BranchRules
from pggit_model.ops import Begin, Commit, GenerateTrinityId, ReleaseSavepoint, Rollback, RollbackToSavepoint, Savepoint

SAVEPOINTS = st.sampled_from(["s1", "s2"])


class TransactionRules(BranchRules):
    @rule()
    def begin(self) -> None:
        self.run(Begin())

    @rule()
    def commit(self) -> None:
        self.run(Commit())

    @rule()
    def rollback(self) -> None:
        self.run(Rollback())

    @rule(name=SAVEPOINTS)
    def savepoint(self, name: str) -> None:
        self.run(Savepoint(name))

    @rule(name=SAVEPOINTS)
    def rollback_to_savepoint(self, name: str) -> None:
        self.run(RollbackToSavepoint(name))

    @rule(name=SAVEPOINTS)
    def release_savepoint(self, name: str) -> None:
        self.run(ReleaseSavepoint(name))

    @rule()
    def generate_trinity_id(self) -> None:
        self.run(GenerateTrinityId())


class TransactionsMachine(TransactionRules):
    """Transactions machine: X1–X4, V3, B6 interleaved with all DDL, branch and commit rules."""
