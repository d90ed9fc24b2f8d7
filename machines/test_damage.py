"""Run the damage machine (U4, with V21 after damage) against the backend: the reference, or --pggit-source."""

from pggit_model.machine import Harness
from pggit_model.machines import DamageMachine


def test_damage(pggit_harness: Harness) -> None:
    """After hand-made damage to pgGit's tables and settings, DDL answers and leaves the catalog as PostgreSQL alone
    does (the twin), and pgGit's calls answer without hanging or ending the session."""
    pggit_harness.run(DamageMachine)
