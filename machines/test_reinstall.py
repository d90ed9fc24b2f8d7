"""Run the re-install machine against the backend: the reference, or --pggit-source (upgrades: docs/drift.md)."""

from pggit_model.machine import Harness
from pggit_model.machines import ReinstallMachine


def test_reinstall(pggit_harness: Harness) -> None:
    """install.sql run again mid-example keeps every row of pgGit's and tracking goes on (U1; U2 when upgrading)."""
    pggit_harness.run(ReinstallMachine)
