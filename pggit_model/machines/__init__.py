"""The state machines. ``machines/test_*.py`` runs them with pytest; tests/ runs them against mutants."""

from pggit_model.machines.branches_commits import BranchesCommitsMachine
from pggit_model.machines.transactions import TransactionsMachine
from pggit_model.machines.versioning import VersioningMachine

ALL_MACHINES = (VersioningMachine, BranchesCommitsMachine, TransactionsMachine)

__all__ = ["ALL_MACHINES", "BranchesCommitsMachine", "TransactionsMachine", "VersioningMachine"]
