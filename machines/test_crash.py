"""Run the crash machine against the backend (on a throwaway cluster of its own): the reference, or --pggit-source."""

from pggit_model.machine import Harness
from pggit_model.machines import CrashMachine


def test_crash(pggit_harness: Harness) -> None:
    """After every crash and restart pgGit holds exactly what committed, and no Trinity ID comes back."""
    pggit_harness.run(CrashMachine)
