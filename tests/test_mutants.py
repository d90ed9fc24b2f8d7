"""Planted faults (pggit_model.mutants, pggit_model.parallel.mutants) are caught by the smoke profile: proof that
the checks bite. The fast ones run by default under fixed seeds; `-m mutants` (tox -e mutants) runs every fault
under three random seeds and prints the fault x seed table (pggit_model.detection)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import Phase, settings

from pggit_model import cluster, detection, machines
from pggit_model.divergences import Divergence, one_failure
from pggit_model.isolation import Template
from pggit_model.machine import Harness, _divergences
from pggit_model.mutants import REFERENCE_MUTANTS, Mutant
from pggit_model.parallel.mutants import PARALLEL_MUTANTS
from pggit_model.session import STATS, RunStats

pytestmark = pytest.mark.server
Server = cluster.ThrowawayCluster | cluster.ExternalServer


#: Caught in seconds by the seeded smoke run: these run by default. Every fault (these too) runs under three random
#: seeds with `-m mutants` (tox -e mutants), minutes each (shrinking against a database), e.g. before a release.
FAST = {"alter-history-missing", "checkout-ignored", "create-index-unrecorded", "trinity-upper-hex",
        "replace-same-definition-records", "get-version-sees-dropped", "hash-ignores-default",
        "branch-name-any-character", "not-null-column-minor", "column-count-includes-dropped"}
CASES = [pytest.param(m, id=f"{m.rule}-{m.name}") for m in REFERENCE_MUTANTS if m.name in FAST]
#: Every planted fault, sequential and concurrent, for the fault x seed table.
EVERY = [pytest.param(m, id=f"{m.rule}-{m.name}") for m in (*REFERENCE_MUTANTS, *PARALLEL_MUTANTS)]
#: Drawn afresh for each run (each xdist worker draws its own); PGGIT_MUTANT_SEEDS=a,b,c reruns a row.
RANDOM_SEEDS = detection.seeds(3)


#: Fixed seeds, tried in order until one catches the fault. A fixed seed (not `derandomize`, whose seed is a
#: digest of the machine's source) keeps a verdict stable under edits that do not change the rules, e.g. a
#: comment or a rule body; a second and third seed keep one unlucky draw from hiding a fault.
SEEDS = (0, 1, 2)


def _catch(mutant: Mutant, server: Server, tmp_path: Path) -> BaseException | None:
    """Run the mutant's machine under each seed until a run fails; the failure, or None if every run passed."""
    source = mutant.apply(tmp_path / "mutant")
    template = Template(server, source)
    machine = getattr(machines, mutant.machine)
    # No example database: a mutant's saved failure must not leak into other runs (or make this pass). No
    # shrinking: the first failing example is the catch; shrinking the wider machines' long examples against the
    # database took up to 5 min a fault (-m mutants measures the shrunk lengths, bench/detect.py the times).
    smoke = settings(settings.get_profile("smoke"), database=None, print_blob=False,
                     phases=(Phase.explicit, Phase.generate))
    try:
        for seed in SEEDS:
            seeded = type(machine.__name__, (machine,), {"_hypothesis_internal_use_seed": seed})
            harness = Harness(template, tmp_path / f"results-{seed}", stats=RunStats())
            try:
                with one_failure():
                    harness.run(seeded, settings=smoke)
            except (Divergence, ExceptionGroup) as e:
                return e
            finally:
                harness.close()
    finally:
        template.close()
    return None


@pytest.mark.parametrize("mutant", CASES)
def test_smoke_profile_catches_planted_fault(mutant: Mutant, pggit_server: Server, tmp_path: Path) -> None:
    """The smoke profile finds a divergence in a reference backend with one rule broken (its shrinking is checked
    under -m mutants)."""
    caught = _catch(mutant, pggit_server, tmp_path)
    assert caught is not None, f"{mutant.name}: the smoke profile passed under seeds {SEEDS} ({mutant.rule} not caught)"
    found = _divergences(caught)
    assert found, f"{mutant.name}: the run failed, but not with a Divergence: {caught!r}"


@pytest.mark.mutants
@pytest.mark.parametrize("mutant", EVERY)
def test_planted_fault_caught_under_three_random_seeds(mutant: Mutant, pggit_server: Server, tmp_path: Path) -> None:
    """Each planted fault is caught and shrunk by the smoke profile under every one of three random seeds (issue 18
    part 3): a catch that needs one lucky seed is not a catch. The times and lengths go to the fault x seed table
    (with PGGIT_MUTANT_NO_SHRINK=1 caught only, unshrunk: a sweep of every fault in a fraction of the time)."""
    template = Template(pggit_server, mutant.apply(tmp_path / "mutant"))
    try:
        rows = [detection.detect(mutant, template, tmp_path / f"results-{s}", s) for s in RANDOM_SEEDS]
    finally:
        template.close()
    for d in rows:
        STATS.detections[f"{d.fault} {d.seed}"] = d.as_dict()
    missed = [d.seed for d in rows if not d.caught]
    assert not missed, (f"{mutant.name}: the smoke profile passed under seeds {missed} of {list(RANDOM_SEEDS)} "
                        f"({mutant.rule} not caught); rerun with {detection.SEEDS_ENV}={','.join(map(str, missed))}")
    caught = [d for d in rows if d.steps is not None]
    STATS.mutants[f"{mutant.rule} {mutant.name}"] = (min(d.steps or 0 for d in caught),
                                                     sorted({r for d in caught for r in d.rules}))


@pytest.mark.parametrize("mutant", EVERY)
def test_every_planted_fault_still_applies_to_the_reference(mutant: Mutant, tmp_path: Path) -> None:
    """Each planted fault's text is found exactly once in today's reference: an edit of the reference that moves
    it (a merge changed one line of 010_tracking.sql, and the V21 fault went unapplied until `-m mutants` ran) fails
    here, in the default suite, not hours later."""
    out = mutant.apply(tmp_path / "mutant")
    assert Path(out).is_dir() and any(Path(out).rglob("*.sql"))
