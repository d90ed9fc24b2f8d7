"""Run the cascades machine (second model: V26 cascades, X13 statements outside a transaction block) against the
backend (reference or --pggit-source)."""

from pggit_model.machine import Harness
from pggit_model.machines import CascadesMachine


def test_cascades(pggit_harness: Harness) -> None:
    """Drops that cascade into other tables' foreign keys and views, and CONCURRENTLY / REINDEX / storage statements
    in autocommit, agree with the model, and so do the hashes around them."""
    pggit_harness.run(CascadesMachine)
