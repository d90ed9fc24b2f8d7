"""The machine base class: what it refuses at definition time."""

import pytest

from pggit_model.machine import ISOLATIONS, PgGitMachine


def test_a_misspelt_isolation_fails_when_the_machine_is_defined():
    """isolation must be one of ISOLATIONS; the error names the class and the choices."""
    with pytest.raises(TypeError, match=r"Typo\.isolation = 'clones'.*rollback, clone"):
        type("Typo", (PgGitMachine,), {"isolation": "clones"})


def test_every_known_isolation_is_accepted():
    """Both isolations define a machine class without complaint (the check is not over-eager)."""
    for iso in ISOLATIONS:
        assert type(f"M_{iso}", (PgGitMachine,), {"isolation": iso}).isolation == iso
