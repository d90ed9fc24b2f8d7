"""Run the dependents machine (second model: V26d–f, types, domains, sequences and functions tables use, dropped
with and without CASCADE) against the backend (reference or --pggit-source)."""

from pggit_model.machine import Harness
from pggit_model.machines import DependentsMachine


def test_dependents(pggit_harness: Harness) -> None:
    """Uses of enum types, domains, sequences and functions by tables and views, and their DROP … [CASCADE], agree
    with the model, and so do the hashes around them."""
    pggit_harness.run(DependentsMachine)
