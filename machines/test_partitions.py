"""Run the partitions machine (second model: partitions, inheritance, propagation V22–V25, V28) against the backend
(reference or --pggit-source)."""

from pggit_model.machine import Harness
from pggit_model.machines import PartitionsMachine


def test_partitions(pggit_harness: Harness) -> None:
    """Partitions, inheritance and parent-level statements agree with the model on every descendant's rows."""
    pggit_harness.run(PartitionsMachine)
