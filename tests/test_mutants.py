"""Planted faults (pggit_model.mutants) are caught by the smoke profile: proof that the checks bite."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from pggit_model import cluster, machines
from pggit_model.divergences import Divergence, one_failure
from pggit_model.driver import STATS, RunStats
from pggit_model.isolation import Template
from pggit_model.machine import Harness, _divergences
from pggit_model.mutants import REFERENCE_MUTANTS, Mutant

pytestmark = pytest.mark.server
Server = cluster.ThrowawayCluster | cluster.ExternalServer


#: Caught in seconds by the derandomized smoke run: these run by default. The rest take minutes each (shrinking
#: against a database) and run with `-m mutants` (tox -e mutants), e.g. before a release or nightly.
FAST = {"alter-history-missing", "checkout-ignored", "create-index-unrecorded", "trinity-upper-hex",
        "replace-same-definition-records", "get-version-sees-dropped", "hash-ignores-default",
        "branch-name-any-character", "not-null-column-minor", "column-count-includes-dropped"}
CASES = [pytest.param(m, id=f"{m.rule}-{m.name}", marks=() if m.name in FAST else pytest.mark.mutants)
         for m in REFERENCE_MUTANTS]


@pytest.mark.parametrize("mutant", CASES)
def test_smoke_profile_catches_planted_fault(mutant: Mutant, pggit_server: Server, tmp_path: Path) -> None:
    """The smoke profile finds a divergence in a reference backend with one rule broken, and shrinks it."""
    source = mutant.apply(tmp_path / "mutant")
    template = Template(pggit_server, source)
    harness = Harness(template, tmp_path / "results", stats=RunStats())
    machine = getattr(machines, mutant.machine)
    # No example database: a mutant's saved failure must not leak into other runs (or make this pass).
    # Derandomized: the same code gives the same verdict in CI as here (no flaky catches).
    smoke = settings(settings.get_profile("smoke"), database=None, print_blob=False, derandomize=True)
    try:
        with pytest.raises((Divergence, ExceptionGroup)) as caught, one_failure():
            harness.run(machine, settings=smoke)
    finally:
        harness.close()
        template.close()
    found = _divergences(caught.value)
    assert found, f"{mutant.name}: the run failed, but not with a Divergence: {caught.value!r}"
    steps = min(len(d.ops) for d in found)
    STATS.mutants[f"{mutant.rule} {mutant.name}"] = (steps, sorted({d.rule for d in found}))
