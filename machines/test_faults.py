"""Run the faults machine against the backend: the reference, or --pggit-source."""

from pggit_model.machine import Harness
from pggit_model.machines import FaultsMachine


def test_faults(pggit_harness: Harness) -> None:
    """After every injected fault pgGit holds all or none of the statement, and the session recovers."""
    pggit_harness.run(FaultsMachine)
