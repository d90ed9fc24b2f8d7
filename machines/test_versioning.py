"""Run the versioning machine (V1–V19) against the backend: the reference, or --pggit-source."""

from pggit_model.machine import Harness
from pggit_model.machines import VersioningMachine


def test_versioning(pggit_harness: Harness) -> None:
    """Every DDL op and version-API call agrees with the model, and pgGit's state equals the model's after each."""
    pggit_harness.run(VersioningMachine)
