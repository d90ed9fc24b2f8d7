"""Run the kinds machine (second model §14.1: kinds and structure) against the backend (reference or --pggit-source)."""

from pggit_model.machine import Harness
from pggit_model.machines import KindsMachine


def test_kinds(pggit_harness: Harness) -> None:
    """Materialized views, identity and generated columns, LIKE, SELECT INTO, EXCLUDE, NOT VALID and statements that
    record nothing agree with the model, and so do the version API's and the hash functions' answers."""
    pggit_harness.run(KindsMachine)
