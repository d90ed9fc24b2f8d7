"""Run the hashes machine against the backend: the reference, or --pggit-source."""

from pggit_model.machine import Harness
from pggit_model.machines import HashesMachine


def test_hashes(pggit_harness: Harness) -> None:
    """Every op agrees with the model, and pgGit's whole state equals the model's after each step."""
    pggit_harness.run(HashesMachine)
