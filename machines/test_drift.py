"""Run the drift machine against the backend: the reference, or --pggit-source."""

from pggit_model.machine import Harness
from pggit_model.machines import DriftMachine


def test_drift(pggit_harness: Harness) -> None:
    """DDL without pgGit's triggers records nothing; hashes then report it and the next tracked change includes it."""
    pggit_harness.run(DriftMachine)
