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


#: A backend wrong only outside the machine's own schema: a row created in the extra schema `<schema> Zwei` (the
#: first of strategies.schemas.extra_schema_names) is recorded as 1.0.1.
_EXTRA_SCHEMA_ONLY = ("010_tracking.sql", "    IF v_id IS NOT NULL THEN\n        -- L2:",
                      "    IF v_id IS NOT NULL AND p_schema LIKE '% Zwei' THEN\n"
                      "        UPDATE pggit.objects SET version_patch = 1 WHERE id = v_id;\n"
                      "    END IF;\n"
                      "    IF v_id IS NOT NULL THEN\n        -- L2:")


@pytest.mark.server
def test_o1_v7_a_row_wrong_only_in_an_extra_schema_fails_a_first_model_machine(pggit_server, tmp_path):
    """O1/V7/V11: the machine base observes the extra schemas its examples create, not only its own: a backend that
    records a new table there as 1.0.1 fails the machine at that step, though no call ever asks about it."""
    from hypothesis import HealthCheck, Phase, settings
    from hypothesis.stateful import initialize, rule

    from pggit_model.divergences import Divergence, one_failure
    from pggit_model.isolation import Template
    from pggit_model.machine import Harness, _divergences
    from pggit_model.mutants import Mutant
    from pggit_model.ops import Column, CreateTable
    from pggit_model.ops.renames import CreateSchema
    from pggit_model.session import RunStats
    from pggit_model.strategies.schemas import extra_schema_names

    class ExtraSchemaTable(PgGitMachine):
        @initialize()
        def a_table_in_an_extra_schema(self) -> None:
            other = extra_schema_names(self.schema)[0]
            assert other.endswith(" Zwei")
            self.run(CreateSchema(other))
            self.run(CreateTable(other, "t", (Column("a", "integer"),)))

        @rule()
        def nothing(self) -> None:
            pass

    file, old, new = _EXTRA_SCHEMA_ONLY
    source = Mutant("extra-schema-patch", "V7", file, old, new).apply(tmp_path / "mutant")
    template = Template(pggit_server, source)
    harness = Harness(template, tmp_path / "results", stats=RunStats(), twin=False)
    once = settings(max_examples=1, stateful_step_count=1, database=None, print_blob=False, deadline=None,
                    phases=(Phase.generate,), suppress_health_check=list(HealthCheck))
    try:
        with pytest.raises((Divergence, ExceptionGroup)) as caught, one_failure():
            harness.run(ExtraSchemaTable, settings=once)
    finally:
        harness.close()
        template.close()
    found = _divergences(caught.value)
    assert len(found) == 1 and found[0].rule in ("V7", "V11") and " Zwei', 't" in str(found[0].expected), found
