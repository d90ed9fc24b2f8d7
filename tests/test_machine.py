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


def test_the_hash_invariant_checks_the_state_of_the_step_before_its_own_calls():
    """O1/V7: a rule that ran DDL without checking (respelled_ddl) has the state after it compared before the hash
    invariant's compute_ddl_hash calls, so a divergence is reported at that DDL op, where the registry's entries
    (op kind) can name it, not at the hash call."""
    from types import SimpleNamespace

    from pggit_model.machines.hashes import HashEachState
    from pggit_model.model import initial_state, step
    from pggit_model.ops import Column, CreateTable

    calls: list[str] = []
    state, _ = step(initial_state(schemas=("s",)), CreateTable("s", "t1", (Column("id", "integer"),)))
    machine = type("M", (HashEachState,), {"RULES": (), "hash_each_state": True})()
    machine.model, machine.schema = state, "s"
    machine.driver = SimpleNamespace(check_state=lambda: calls.append("check_state"))
    machine.run = lambda op: calls.append(op.kind)
    machine.hashes_of_each_new_state()
    assert calls[:2] == ["check_state", "compute_ddl_hash"]
