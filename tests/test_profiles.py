"""The CI tiers (pggit_model.profiles, tox.ini, docs/github-actions/pggit-model.yml; issue 19 part 5)."""

from __future__ import annotations

import configparser
from pathlib import Path

from pggit_model import profiles
from pggit_model.session import COVERAGE_PROFILES

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "docs" / "github-actions" / "pggit-model.yml"
TIERS = ("smoke", "ci", "nightly", "weekly")


def test_each_tier_has_a_profile_a_budget_and_more_work_than_the_one_before() -> None:
    """smoke < ci < nightly < weekly in budget and in examples × steps; the long tiers enforce RULES coverage."""
    assert tuple(profiles.BUDGETS) == TIERS and all(t in profiles.PROFILES for t in TIERS)
    work = [int(profiles.PROFILES[t]["max_examples"]) * int(profiles.PROFILES[t]["stateful_step_count"])  # type: ignore[call-overload]
            for t in TIERS]
    assert work == sorted(work) and len(set(work)) == 4
    assert list(profiles.BUDGETS.values()) == [3, 6, 60, 120]
    assert {"ci", "nightly", "weekly"} <= set(COVERAGE_PROFILES)


def test_tox_runs_every_tier_on_every_core() -> None:
    """tox -e smoke/ci/nightly/weekly run the machines with their profile under pytest-xdist (one worker per core
    unless PGGIT_MODEL_JOBS says otherwise); weekly adds the load mode's sessions."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(ROOT / "tox.ini")
    lines = {line.split(":", 1)[0].strip(): line.split(":", 1)[1] for line in ini["testenv"]["commands"].splitlines()
             if ":" in line}
    for tier in TIERS:
        assert f"--hypothesis-profile={tier}" in lines[tier] and "-n {env:PGGIT_MODEL_JOBS:auto}" in lines[tier]
    assert "--pggit-sessions" in lines["weekly"]


def test_workflow_shards_every_machine_and_shares_the_example_database() -> None:
    """The GitHub Actions workflow: smoke on push, a matrix job per machine of machines/ (a new machine not in the
    matrix would never run nightly), artifacts for results and examples, and the merged example database read
    through GitHubArtifactDatabase by every job."""
    import yaml  # a test dependency (pyproject: test extra)
    flow = yaml.safe_load(WORKFLOW.read_text())
    on = flow[True] if True in flow else flow["on"]  # YAML 1.1 reads the key `on` as True
    assert "push" in on and {c["cron"] for c in on["schedule"]} and "workflow_dispatch" in on
    machines = {p.stem.removeprefix("test_") for p in (ROOT / "machines").glob("test_*.py")}
    assert set(flow["jobs"]["machines"]["strategy"]["matrix"]["machine"]) == machines
    assert flow["jobs"]["machines"]["strategy"]["fail-fast"] is False
    steps = [s for job in flow["jobs"].values() for s in job.get("steps", [])]
    uploads = {s["with"]["name"] for s in steps if s.get("uses", "").startswith("actions/upload-artifact")}
    assert {"pggit-model-results-${{ matrix.machine }}", "examples-${{ matrix.machine }}",
            "pggit-model-examples", "pggit-model-bench"} <= uploads
    assert flow["env"]["PGGIT_MODEL_EXAMPLES"] == "github:${{ github.repository }}/pggit-model-examples"
    runs = " ".join(s.get("run", "") for s in steps)
    assert "--profile ${{ needs.tier.outputs.name }}" in runs and "pggit-model bench" in runs
    # the ci tier runs in three shards of the machines (--shard I/N), smoke in one (issue 19 parts 1 and 5)
    smoke = flow["jobs"]["smoke"]
    assert "'[1, 2, 3]'" in smoke["strategy"]["matrix"]["shard"] and "'[1]'" in smoke["strategy"]["matrix"]["shard"]
    assert "--shard ${{ matrix.shard }}/$SHARDS" in runs and "&& 3 || 1" in smoke["env"]["SHARDS"]
    assert {"pggit-model-results-${{ needs.tier.outputs.name }}-${{ matrix.shard }}"} <= uploads
    # the tiers the workflow picks are profiles
    pick = flow["jobs"]["tier"]["steps"][0]["run"]
    assert all(f"name={t}" in pick for t in ("smoke", "nightly", "weekly"))


def test_the_shared_examples_spec_builds_a_read_only_github_artifact_database() -> None:
    """--pggit-examples github:OWNER/REPO/ARTIFACT (the workflow's) is the local directory multiplexed with
    Hypothesis's GitHubArtifactDatabase for that artifact, read-only."""
    from hypothesis.database import GitHubArtifactDatabase, MultiplexedDatabase, ReadOnlyDatabase

    db = profiles.example_database("github:owner/pgGit/pggit-model-examples", local="/tmp/none")
    assert isinstance(db, MultiplexedDatabase)
    shared = [d for d in db._wrapped if isinstance(d, ReadOnlyDatabase)]
    assert len(shared) == 1 and isinstance(shared[0]._wrapped, GitHubArtifactDatabase)
    assert (shared[0]._wrapped.owner, shared[0]._wrapped.repo, shared[0]._wrapped.artifact_name) == \
        ("owner", "pgGit", "pggit-model-examples")
