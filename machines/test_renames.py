"""Run the renames machine (second model: R renames, N schemas) against the backend (reference or --pggit-source)."""

from pggit_model.machine import Harness
from pggit_model.machines import RenamesMachine


def test_renames(pggit_harness: Harness) -> None:
    """Renames, moves and schema statements agree with the model, and so do the version API's answers on the old
    and the new keys."""
    pggit_harness.run(RenamesMachine)
