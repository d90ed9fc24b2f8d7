"""A recorded run as a pg_regress pair (pggit_model.regress, ``pggit-model regress``; issue 18 part 5).

The pure tests check what the script prints and what it leaves out; the server tests let the versioning machine
find a planted fault (pggit_model.mutants), write the pair from the reference and run PGXS's own pg_regress on it:
it fails against the faulty backend and passes against the reference. With pgGit v0.2.1 unpacked, a finding of
docs/findings.md (#1, the first create_branch collides, B2) fails there too.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pggit_model import cluster, regress
from pggit_model.errors import MalformedReplay, PggitModelError
from pggit_model.isolation import Template
from pggit_model.machine import Harness
from pggit_model.machines import VersioningMachine
from pggit_model.mutants import REFERENCE_MUTANTS
from pggit_model.ops import (
    AlterTable,
    Column,
    CrashRestart,
    CreateBranch,
    CreateCommit,
    CreateTable,
    DropColumn,
    GenerateTrinityId,
    GetVersion,
    SetTrinitySequence,
    TerminateSession,
)
from pggit_model.runs import Run
from pggit_model.session import RunStats
from pggit_model.store import load_run

Server = cluster.ThrowawayCluster | cluster.ExternalServer
S = "mc_rg1"
PGGIT = Path("/tmp/pggit-v0.2.1")


def _run(*ops: object, **kw: object) -> Run:
    return Run(ops=tuple(ops), schema=S, machine="VersioningMachine", rule="V8", step=1, **kw)  # type: ignore[arg-type]


# -- the script (no server) --------------------------------------------------------------------------------------

def test_every_statement_runs_in_a_do_block_that_prints_only_what_the_contract_fixes() -> None:
    """Generated ids and hashes print by shape, an expected error by the contract's words, never a backend value."""
    text = regress.render_regress(_run(CreateBranch("f", "main"), CreateBranch("f", "main"),
                                       CreateCommit("main", "m", None), GetVersion(f"{S}.t")))
    steps = re.findall(r"^DO \$step\$", text, re.M)
    assert len(steps) == 4
    assert "'<integer>'" in text and "'<uuid>'" in text  # create_branch's id (O8), create_commit's uuid (C3)
    assert "fails as the contract says (any SQLSTATE)" in text  # the second create_branch of 'f' (B2)
    assert "step 4: not specified by the contract" in text  # get_version of an unknown name
    assert "pggit-model" not in text.split("\n", 5)[-1].replace("pggit-model regression", "")  # plain psql


def test_a_trinity_id_prints_its_sequence_field_and_nothing_that_varies() -> None:
    """A Trinity ID's time and random parts become placeholders; field 2 (T3, the sequence value) stays."""
    text = regress.render_regress(_run(SetTrinitySequence(999999), GenerateTrinityId()))
    assert r"'^[0-9]{20}-([0-9]{6,})-[0-9a-f]{8}$', '<time>-\1-<hex8>'" in text


def test_the_state_at_the_end_leaves_out_ids_hashes_and_times() -> None:
    """The closing queries print no id, hash or timestamp column, only hash lengths (O1-O7 by natural keys)."""
    text = regress.render_regress(_run(CreateTable(S, "t", (Column("a", "integer"),))))
    tail = text[text.index("-- pgGit's state"):]
    selected = " ".join(re.findall(r"SELECT (.*)", tail))
    assert "length(b.head_commit_hash)" in selected and "length(c.hash)" in selected
    for varying in ("created_at", "committed_at", " id,", "o.id,", "ddl_hash", "trinity"):
        assert varying not in selected


def test_a_killed_session_reconnects_and_restores_the_settings() -> None:
    """TerminateSession becomes \\connect followed by the preamble again (settings go with the session)."""
    text = regress.render_regress(_run(CreateTable(S, "t", ()), TerminateSession(),
                                       AlterTable(S, "t", (DropColumn("a"),))))
    after = text[text.index("\\connect"):]
    assert after.index("SET client_min_messages = error;") < after.index("DO $step$")


def test_a_crash_or_parallel_run_has_no_pair() -> None:
    """A single psql session cannot crash the server: MalformedReplay says so and what to use instead."""
    with pytest.raises(MalformedReplay, match=r"step 2 is crash_restart.*pggit-model replay"):
        regress.render_regress(_run(CreateTable(S, "t", ()), CrashRestart()))


# -- with a server: a planted fault, then pgGit --------------------------------------------------------------------

MUTANT = next(m for m in REFERENCE_MUTANTS if m.name == "not-null-column-minor")


@pytest.fixture(scope="module")
def mutant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference with ADD COLUMN ... NOT NULL recorded as MINOR (breaks V10e)."""
    return MUTANT.apply(tmp_path_factory.mktemp("mutant") / "reference")


@pytest.fixture(scope="module")
def recorded(pggit_server: Server, mutant: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run.json the versioning machine recorded for the planted fault."""
    from hypothesis import HealthCheck, Phase, settings

    results = tmp_path_factory.mktemp("results")
    template = Template(pggit_server, mutant)
    harness = Harness(template, results, stats=RunStats(), run_id="rg0001", regress=True)
    try:
        with pytest.raises((AssertionError, ExceptionGroup)):
            harness.run(VersioningMachine, settings=settings(
                max_examples=200, stateful_step_count=12, database=None, derandomize=True, deadline=None,
                suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink]))
    finally:
        harness.close()
        template.close()
    found = sorted(results.glob("*/run.json"))
    assert found, "the machine did not record the planted fault"
    return found[0]


@pytest.mark.server
def test_pair_of_a_planted_fault_fails_on_it_and_passes_on_the_reference(recorded: Path, mutant: Path,
                                                                         pggit_server: Server, tmp_path: Path) -> None:
    """pg_regress of the recorded failure's pair: a diff on the faulty backend, none on the reference (V10e)."""
    run = load_run(recorded)
    sql_file, expected = regress.make_pair(run, pggit_server, tmp_path)
    assert sql_file.name == f"{run.id}.sql" and expected.parent.name == "expected"
    assert regress.check_pair(pggit_server, tmp_path, run.id, None).passed
    broken = regress.check_pair(pggit_server, tmp_path, run.id, mutant)
    assert not broken.passed
    assert re.search(r"^-.*MAJOR", broken.diff, re.M) and re.search(r"^\+.*MINOR", broken.diff, re.M), broken.diff


@pytest.mark.server
def test_recording_with_regress_on_writes_the_pair_next_to_run_json(recorded: Path, mutant: Path,
                                                                   pggit_server: Server) -> None:
    """With --pggit-regress (Harness(regress=True)) the failure's folder holds the pair, and it fails on the fault."""
    folder, test = recorded.parent, load_run(recorded).id
    assert (folder / "sql" / f"{test}.sql").is_file() and (folder / "expected" / f"{test}.out").stat().st_size > 0
    assert not regress.check_pair(pggit_server, folder, test, mutant).passed


@pytest.mark.server
def test_regress_command_checks_the_recorded_backend(recorded: Path, pggit_server: Server, tmp_path: Path) -> None:
    """`pggit-model regress run.json` writes the pair and exits 0 because it fails on the backend it was found on."""
    done = subprocess.run([sys.executable, "-m", "pggit_model", "regress", str(recorded), "--out", str(tmp_path),
                           "--pg-dsn", pggit_server.conninfo("postgres")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAILS on" in done.stdout and (tmp_path / "expected").is_dir()


@pytest.mark.server
def test_output_that_varies_between_installs_is_refused(pggit_server: Server, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A script printing a random value cannot be a regression test: make_pair says so instead of writing it."""
    plain = regress.render_regress
    monkeypatch.setattr(regress, "render_regress", lambda run: plain(run) + "SELECT gen_random_uuid();\n")
    with pytest.raises(PggitModelError, match="differs between two fresh installs"):
        regress.make_pair(_run(CreateTable(S, "t", ())), pggit_server, tmp_path)


@pytest.mark.server
@pytest.mark.skipif(not (PGGIT / "sql" / "install.sql").exists(), reason=f"pgGit v0.2.1 is not unpacked at {PGGIT}")
def test_first_branch_collision_of_pggit_fails_its_pair(pggit_server: Server, tmp_path: Path) -> None:
    """findings #1 (B2): on a fresh pgGit v0.2.1 the first create_branch fails with 23505; the pair shows it."""
    script = tmp_path / "first-branch.sql"
    script.write_text("SELECT * FROM pggit.create_branch('feature', 'main', false);\n")
    run = load_run(script)
    regress.make_pair(run, pggit_server, tmp_path)
    result = regress.check_pair(pggit_server, tmp_path, run.id, PGGIT)
    assert not result.passed
    assert "-INFO:  step 1: <integer>" in result.diff and "+ERROR:  step 1 fails with SQLSTATE 23505" in result.diff


@pytest.mark.server
@pytest.mark.skipif(not (PGGIT / "sql" / "install.sql").exists(), reason=f"pgGit v0.2.1 is not unpacked at {PGGIT}")
def test_truncated_trinity_sequence_of_pggit_fails_its_pair(pggit_server: Server, tmp_path: Path) -> None:
    """findings #8 (T3): past 999 999 pgGit cuts field 2 to 6 characters; the pair's shape of the ID shows it."""
    script = tmp_path / "trinity.sql"
    script.write_text("SELECT setval('pggit.trinity_id_seq', 999999);\nSELECT * FROM pggit.generate_trinity_id();\n")
    run = load_run(script)
    regress.make_pair(run, pggit_server, tmp_path)
    result = regress.check_pair(pggit_server, tmp_path, run.id, PGGIT)
    assert "-INFO:  step 2: <time>-1000000-<hex8>" in result.diff
    assert "+INFO:  step 2: <time>-100000-<hex8>" in result.diff
