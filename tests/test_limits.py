"""Limits (contract §15 L1–L4, pggit_model.limits, `pggit-model limits`) and the harness under the same limits
(issue 20 parts 4 and 5): the pure verdicts on hand-made numbers, a short run of each part on the reference, each
check shown to bite (a planted fault, damage by hand, a deliberately wrong input), bad sizes refused, and the
harness with a 20-connection server and on a full disk."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from attrs import evolve

from pggit_model import cluster
from pggit_model.cli import main
from pggit_model.isolation import Template
from pggit_model.limits import SIZES, LimitsInputError, check_sizes
from pggit_model.limits.inputs import run_inputs
from pggit_model.limits.memory import Sample, leak_verdict, read_status, run_memory
from pggit_model.limits.scale import ScaleReport, run_scale
from pggit_model.limits.sessions import run_sessions
from pggit_model.limits.stats import cost_of, growth
from pggit_model.mutants import LIMITS_MUTANTS, by_name
from pggit_model.session import RunStats, SessionRecord, markdown_report, rss_kb, rss_line

ROOT = Path(__file__).resolve().parent.parent
Server = cluster.ThrowawayCluster | cluster.ExternalServer
#: the default tests' sizes: smaller than `--size short` where a part's claim does not need more
TINY = evolve(SIZES["short"], repeats=21, warmup=5, inputs_objects=400, cycles=200, baseline=50, sessions=4,
              seconds=1.0)


# -- pure: the verdicts --------------------------------------------------------------------------------------
def test_cost_is_the_median_of_paired_differences() -> None:
    """L1: a slowdown hitting both sides of a pair cancels; pgGit's cost is what stays (1 ms here)."""
    with_pggit = [3.0, 13.0, 3.0, 3.0, 23.0]
    control = [2.0, 12.0, 2.0, 2.0, 22.0]
    c = cost_of(100, with_pggit, control)
    assert c.median_ms == pytest.approx(1.0) and c.noise == pytest.approx(0.0)


def test_growth_verdict_flips_at_twice_the_cost() -> None:
    """L1: a cost that grows 2.5× between the smallest and the largest size fails, 1.5× passes; a cost lost in
    the noise at the smallest size is floored, so the ratio stays finite."""
    def costs(a: float, b: float) -> list:
        return [cost_of(100, [a + 1], [1.0]), cost_of(10000, [b + 1], [1.0])]
    assert growth("L1 objects", "objects", costs(1.0, 1.5)).ok is True
    bad = growth("L1 objects", "objects", costs(1.0, 2.5))
    assert bad.ok is False and bad.value == pytest.approx(2.5) and "FAIL" in bad.line()
    assert growth("L1 objects", "objects", costs(-0.2, 0.5)).value == pytest.approx(10.0)


def test_leak_verdict_counts_owned_memory_from_the_baseline() -> None:
    """L4: owned memory (RssAnon + RssFile) 60 MB above the baseline fails, 1 MB passes; shared buffers touched
    (RssShmem) and what grew before the baseline do not count."""
    mb = 1024
    early = [Sample(0, 10 * mb, 5 * mb, 5 * mb, 0), Sample(100, 120 * mb, 8 * mb, 5 * mb, 100 * mb)]
    flat = [*early, Sample(1000, 250 * mb, 9 * mb, 5 * mb, 230 * mb)]
    leak = [*early, Sample(1000, 80 * mb, 68 * mb, 5 * mb, 0)]
    assert leak_verdict(flat, 100).ok is True
    v = leak_verdict(leak, 100)
    assert v.ok is False and v.value == pytest.approx(60.0)


def test_read_status_reads_resident_memory() -> None:
    """L4 and the run summary read /proc/<pid>/status: this process has resident memory, and it is what
    rss_kb() reports (within what a few allocations move)."""
    mine = read_status(os.getpid())
    assert mine["VmRSS"] > 1000 and abs(mine["VmRSS"] - rss_kb()) < 50_000


# -- bad input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    {"objects": (5, 100)}, {"objects": (1000, 100)}, {"objects": (100,)}, {"branches": (0, 10)},
    {"sessions": 101}, {"sessions": 1}, {"cycles": 10}, {"repeats": 2}, {"objects": (100, 200_000)},
])
def test_sizes_out_of_range_are_refused(kwargs: dict) -> None:
    """Sizes out of range (or a single, or decreasing, L1 size) are one LimitsInputError naming the option."""
    with pytest.raises(LimitsInputError, match=f"--{next(iter(kwargs))}"):
        check_sizes("short", **kwargs)


@pytest.mark.parametrize("argv", [
    ["--size", "huge"], ["--sessions", "500"], ["--objects", "10,5"], ["--only", "L9"], ["--cycles", "0"],
    ["--branches", "1"],
])
def test_cli_bad_sizes_exit_2_with_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """`pggit-model limits` with a size out of range says so in one line on stderr and exits 2, before any server
    starts (the bindir given would make a server start fail otherwise)."""
    assert main(["limits", *argv, "--pg-bindir", "/nonexistent"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("pggit-model: --"), err


def test_cli_non_numbers_are_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """`--objects 100,x` is refused by the argument parser (exit 2) with the option named."""
    with pytest.raises(SystemExit) as e:
        main(["limits", "--objects", "100,x"])
    assert e.value.code == 2 and "--objects takes whole numbers" in capsys.readouterr().err


# -- short runs on the reference ----------------------------------------------------------------------------
def _reference_l1(server: Server, template: Template) -> ScaleReport:
    """L1 on the reference, asserted to pass. Two cores shared with other test runs: a verdict that fails is
    measured once more before it counts (a real regression fails both; the planted full scan fails by 3× and more)."""
    first = run_scale(server, template, TINY)
    report = first if all(v.ok for v in first.verdicts) else run_scale(server, template, TINY)
    assert all(v.ok for v in report.verdicts), "\n".join([*first.lines(), "then:", *report.lines()])
    return report


@pytest.mark.server
def test_l1_reference_cost_stays_flat(pggit_server: Server, pggit_template: Template) -> None:
    """L1 on the reference: pgGit's added cost per DDL cycle grows at most 2× from 100 to 1 000 objects and from
    1 to 100 branches (the planted full scan below fails the same check)."""
    report = _reference_l1(pggit_server, pggit_template)
    assert [v.rule for v in report.verdicts] == ["L1 objects", "L1 branches"]
    assert report.tracked[-1] >= 1000  # the objects really were tracked


@pytest.mark.server
@pytest.mark.mutants
def test_l1_catches_the_planted_full_scan(pggit_server: Server, pggit_template: Template, tmp_path: Path) -> None:
    """L1: the planted fault ddl-rehashes-all-objects (every DDL re-hashes every row of pggit.objects) flips the
    verdict: the reference passes, the mutant fails, at the same sizes in the same run."""
    mutant = LIMITS_MUTANTS[0]
    template = Template(pggit_server, mutant.apply(tmp_path / "mutant"))
    try:
        planted = run_scale(pggit_server, template, TINY)
    finally:
        template.close()
    _reference_l1(pggit_server, pggit_template)
    assert [v.ok for v in planted.verdicts] == [False, False], "\n".join(planted.lines())


@pytest.mark.server
def test_l2_large_inputs_hold_on_the_reference(pggit_server: Server, pggit_template: Template) -> None:
    """L2: 1 600 columns, 1 MB definitions, comment and commit messages, 63-byte names, 400 objects in one schema:
    every check of the model and Driver holds on the reference."""
    report = run_inputs(pggit_server, pggit_template, TINY)
    assert report.verdict.ok, "\n".join(report.lines())
    assert len(report.steps) == 3 and sum(s.ops for s in report.steps) >= 18


@pytest.mark.server
def test_l2_checks_bite_on_a_planted_fault(pggit_server: Server, tmp_path: Path) -> None:
    """L2 runs the real checks: with the planted fault alter-history-missing (an ALTER records no history row),
    the same program fails with V8 at the first change of the wide table (a COMMENT ON COLUMN)."""
    template = Template(pggit_server, by_name("alter-history-missing").apply(tmp_path / "mutant"))
    try:
        report = run_inputs(pggit_server, template, evolve(TINY, columns=100, inputs_objects=200,
                                                           text_bytes=1 << 16))
    finally:
        template.close()
    assert report.verdict.ok is False and report.verdict.text.startswith("[V8] at op #2 (CommentOnColumn(")


@pytest.mark.server
def test_l3_sessions_on_own_branches_and_damage_caught(pggit_server: Server, pggit_template: Template) -> None:
    """L3: 4 sessions on their own tables and branches: no error (X9), one history row per DDL (V8), unique ids
    and hashes (X10); then a history row deleted by hand is seen by the same check as V8 (lost)."""
    db = pggit_template.clone("l3t")
    try:
        report = run_sessions(pggit_server.conninfo(db), 4, 1.0)
        assert {v.rule: v.ok for v in report.verdicts} == {"X9": True, "V8": True, "X10": True, "V7": True,
                                                          "X8": True}, "\n".join(report.lines())
        with cluster.connect(pggit_server.conninfo(db)) as conn:
            conn.execute("DELETE FROM pggit.history WHERE id = (SELECT max(h.id) FROM pggit.history h JOIN "
                         "pggit.objects o ON o.id = h.object_id WHERE o.object_type = 'TABLE' AND "
                         "o.schema_name = 'l3')")
        from pggit_model.limits.sessions import check_sessions_run
        verdicts = {v.rule: v for v in check_sessions_run(report.ran, pggit_server.conninfo(db))}
        assert verdicts["V8"].ok is False and "lost" in verdicts["V8"].text
    finally:
        with contextlib.suppress(psycopg.Error):
            cluster.drop_database(pggit_server, db)


@pytest.mark.server
def test_l4_backend_memory_flat_on_the_reference(pggit_server: Server, pggit_template: Template) -> None:
    """L4: 200 CREATE/ALTER/DROP cycles leave the pgGit backend's own memory within 50 MB of what it was after 50
    (it is read from /proc, so the server must be ours)."""
    report = run_memory(pggit_server, pggit_template, TINY)
    if isinstance(report, str):
        pytest.skip(f"L4 needs the server's /proc: {report}")
    assert report.verdict.ok, "\n".join(report.lines())
    assert report.with_pggit[-1].cycle == 200 and report.with_pggit[-1].owned_kb > 1000


@pytest.mark.server
def test_cli_limits_runs_one_part(pggit_server: Server, capsys: pytest.CaptureFixture[str]) -> None:
    """`pggit-model limits --only L3` prints the command, L3's verdicts and the tally, and exits 0 on the
    reference."""
    argv = ["limits", "--only", "L3", "--sessions", "3", "--pg-dsn", pggit_server.conninfo("postgres")]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert text.startswith("$ pggit-model limits --only L3") and "X10: PASS" in text
    assert "limits: 5 passed, 0 failed" in text


# -- part 5: the harness under the same limits ---------------------------------------------------------------
def test_run_summary_shows_harness_memory() -> None:
    """The run's markdown summary (and the terminal summary, same line) gives the harness's RSS at start and end;
    the start was taken when the harness was imported."""
    from pggit_model.session import STATS

    assert STATS.rss_start_kb > 1000
    totals = RunStats(rss_start_kb=100 * 1024, rss_end_kb=130 * 1024)
    text = markdown_report(SessionRecord(), totals, Path("report.md"), ["V1"])
    assert "harness memory (RSS): 100 MB at start, 130 MB at end (+30 MB)." in text
    assert rss_line(totals) in text


@pytest.fixture(scope="module")
def twenty() -> Iterator[cluster.ThrowawayCluster]:
    """A throwaway cluster that accepts 20 connections (superusers included)."""
    server = cluster.ThrowawayCluster(cluster.find_binaries(), settings={"max_connections": "20"}).start()
    yield server
    server.close()


@pytest.mark.server
def test_harness_works_with_twenty_connections(twenty: cluster.ThrowawayCluster, tmp_path: Path) -> None:
    """With max_connections = 20, a rollback machine, a clone machine (its pool of pre-cloned databases) and the
    parallel machine each finish a smoke-sized run."""
    from hypothesis import settings

    from pggit_model.machine import Harness
    from pggit_model.machines import FaultsMachine, VersioningMachine
    from pggit_model.parallel import ParallelHarness

    template = Template(twenty)
    harness = Harness(template, tmp_path / "results", stats=RunStats())
    small = settings(settings.get_profile("smoke"), max_examples=3, database=None)
    try:
        for machine in (VersioningMachine, FaultsMachine):
            harness.run(machine, settings=small)
        parallel = ParallelHarness(harness)
        try:
            from hypothesis import given

            from pggit_model.parallel import programs

            @small
            @given(programs(schema=f"mc_{harness.run_id}"))
            def run(program: object) -> None:
                if parallel.supported(program):
                    parallel.check(program)

            parallel.run(run)
        finally:
            parallel.close()
        assert harness.stats.steps > 0
    finally:
        harness.close()
        template.close()


@pytest.mark.server
def test_more_sessions_than_connections_is_one_clear_error(twenty: cluster.ThrowawayCluster,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Asking a 20-connection server for 30 sessions (L3 or the load mode) is refused before anything runs, with
    the numbers and the fix; exit 2."""
    dsn = twenty.conninfo("postgres")
    for argv in (["limits", "--only", "L3", "--sessions", "30"], ["load", "--sessions", "30", "--seconds", "1"]):
        assert main([*argv, "--pg-dsn", dsn]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "max_connections = 20" in err[0] and "30 sessions need 32" in err[0], err
    assert cluster.our_databases(twenty) == []  # nothing left behind


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A 48 MB tmpfs, mounted for the test (we may be root); skipped where mounting is not allowed."""
    point = Path(tempfile.mkdtemp(prefix="pggit-model-disk-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(point)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        point.rmdir()
        pytest.skip(f"cannot mount a size-limited tmpfs here (needs root and mount rights): {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)
        point.rmdir()


def _processes_under(path: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        with contextlib.suppress(OSError):
            if proc.name.isdigit() and str(path) in (proc / "cmdline").read_bytes().decode(errors="replace"):
                pids.append(int(proc.name))
    return pids


@pytest.mark.server
def test_full_disk_is_one_clear_error_and_leaves_nothing(small_disk: Path) -> None:
    """A throwaway cluster whose disk fills up (TMPDIR on a 48 MB tmpfs: the run outgrows it) ends the command
    with one line saying the disk is full and what to do, exit 2; no server and no directory are left."""
    env = {**os.environ, "TMPDIR": str(small_disk)}
    env.pop("PGGIT_MODEL_DSN", None)
    done = subprocess.run([sys.executable, "-m", "pggit_model", "limits", "--only", "L1", "--objects", "100,20000"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    err = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(err) == 1, done.stderr[-2000:]
    assert err[0].startswith(f"pggit-model: the disk under {small_disk} is full") and "TMPDIR" in err[0]
    assert list(small_disk.iterdir()) == []
    assert _processes_under(small_disk) == []
