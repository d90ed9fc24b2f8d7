"""Run the mixed machine (every area's rules, a swarm-drawn subset per example) against the backend: the reference,
or --pggit-source."""

from pggit_model.machine import Harness
from pggit_model.machines import MixedMachine


def test_mixed(pggit_harness: Harness) -> None:
    """Rules of every area, interleaved in one example, agree with the model step by step, and pgGit's whole state
    equals the model's after each."""
    pggit_harness.run(MixedMachine)
