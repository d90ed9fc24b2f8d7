"""The state machines. ``machines/test_*.py`` runs them with pytest; tests/ runs them against mutants."""

from pggit_model.machines.branches_commits import BranchesCommitsMachine
from pggit_model.machines.cascades import CascadesMachine
from pggit_model.machines.crash import CrashMachine
from pggit_model.machines.damage import DamageMachine
from pggit_model.machines.dependents import DependentsMachine
from pggit_model.machines.drift import DriftMachine
from pggit_model.machines.faults import FaultsMachine
from pggit_model.machines.hashes import HashesMachine
from pggit_model.machines.kinds import KindsMachine
from pggit_model.machines.mixed import MixedMachine
from pggit_model.machines.partitions import PartitionsMachine
from pggit_model.machines.reinstall import ReinstallMachine
from pggit_model.machines.renames import RenamesMachine
from pggit_model.machines.transactions import TransactionsMachine
from pggit_model.machines.trinity import TrinityMachine
from pggit_model.machines.versioning import VersioningMachine

ALL_MACHINES = (VersioningMachine, BranchesCommitsMachine, TransactionsMachine, TrinityMachine, HashesMachine,
                FaultsMachine, CrashMachine, DamageMachine, MixedMachine, RenamesMachine, DriftMachine,
                ReinstallMachine, CascadesMachine, KindsMachine, PartitionsMachine, DependentsMachine)

__all__ = [
    "ALL_MACHINES", "BranchesCommitsMachine", "CascadesMachine", "CrashMachine", "DamageMachine", "DependentsMachine",
    "DriftMachine",
    "FaultsMachine", "HashesMachine", "KindsMachine", "MixedMachine", "PartitionsMachine", "ReinstallMachine",
    "RenamesMachine", "TransactionsMachine", "TrinityMachine", "VersioningMachine",
]
