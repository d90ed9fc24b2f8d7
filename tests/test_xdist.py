"""The run summary under pytest-xdist (issue 19 part 1): each worker's counts and per-machine record reach the
controller, whose summary and --pggit-report are the sums (pggit_model.pytest_plugin, session.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pggit_model.cli import xdist_args
from pggit_model.errors import PggitModelError
from pggit_model.session import (
    Recorded,
    RunStats,
    SessionRecord,
    merge_session,
    merge_stats,
    session_to_data,
    stats_from_data,
    stats_to_data,
)

ROOT = Path(__file__).resolve().parents[1]

# Each test stands for one machine run in its own worker: it adds known counts to the worker's session record, as
# Harness.run does. No server is needed: what is checked is the plumbing from worker to controller.
_MACHINE_TESTS = """
from collections import Counter
from pathlib import Path
from pggit_model.session import SESSION, STATS, Recorded, RunStats, merge_stats

def _ran(name, steps, examples, rules, failed=False):
    part = RunStats(steps=steps, examples=examples, rules=Counter(rules), machines={{name: steps}})
    merge_stats(SESSION.machines.setdefault(name, RunStats()), part)
    merge_stats(STATS, part)
    if failed:
        SESSION.failures.append(Recorded(name, "abc123", "V7", 3, 4, "a planted divergence", Path("res/abc123")))
{tests}
"""


def _pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})


def _steps(out: str) -> int:
    found = re.search(r"steps executed: (\d+)\s+examples: (\d+)", out)
    assert found, out
    return int(found.group(1))


def test_summary_under_xdist_is_the_sum_of_the_workers(tmp_path: Path) -> None:
    """Three machine tests on two workers: the printed summary counts the sum of their steps (7 + 11 + 13), lists
    each machine, and the --pggit-report has every machine and the failure a worker recorded (it was lost: each
    worker wrote its own report over the others')."""
    tests = "".join(f"\ndef test_{name}():\n    _ran({name!r}, {steps}, {steps // 2}, {{'V7': {steps}}}, {fail})\n"
                    for name, steps, fail in (("A", 7, False), ("B", 11, True), ("C", 13, False)))
    (tmp_path / "test_machines.py").write_text(_MACHINE_TESTS.format(tests=tests))
    res = _pytest(tmp_path, "-n", "2", "--dist", "worksteal", "--pggit-report", "report.md", "test_machines.py")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 workers" in res.stdout, res.stdout  # really under xdist
    assert _steps(res.stdout) == 31
    for line in ("  A: 7 steps", "  B: 11 steps", "  C: 13 steps", "V: V1 0, V2 0, V3 0, V4 0, V5 0, V6 0, V7 31"):
        assert line in res.stdout, res.stdout
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# pggit-model run\n\n31 steps, 14 examples"), report
    assert all(f"## {m}" in report for m in "ABC") and "`abc123` | V7 | 3 | 4 | a planted divergence" in report


def test_summary_without_xdist_is_unchanged(tmp_path: Path) -> None:
    """The same tests in one process print the same sum (the hooks change nothing there)."""
    tests = "".join(f"\ndef test_{n}():\n    _ran({n!r}, {s}, 1, {{}})\n" for n, s in (("A", 5), ("B", 6)))
    (tmp_path / "test_machines.py").write_text(_MACHINE_TESTS.format(tests=tests))
    res = _pytest(tmp_path, "-p", "no:xdist", "test_machines.py")
    assert res.returncode == 0, res.stdout + res.stderr
    assert _steps(res.stdout) == 11


def test_session_record_survives_the_round_trip_and_adds_up() -> None:
    """A worker's record (per-machine RunStats, failures with their folders) merged twice counts twice; mutant
    lengths, goals and missing functions come back as the types the summary reads."""
    st = RunStats(steps=4, rules=Counter({"V7": 2}), mutants={"m1": (3, ["V7"])}, goals={"g": (1, 2, "ops")},
                  missing_functions={"pggit.f()": ("V17",)})
    rec = SessionRecord(machines={"A": st}, failures=[Recorded("A", "id1", "V7", 2, 3, "msg", Path("r/id1"))])
    into = SessionRecord()
    data = session_to_data(rec)
    merge_session(into, data)
    merge_session(into, data)
    assert into.machines["A"].steps == 8 and into.machines["A"].rules == Counter({"V7": 4})
    assert into.failures == rec.failures * 2
    back = stats_from_data(stats_to_data(st))
    assert back == st
    total = RunStats()
    merge_stats(total, back)
    merge_stats(total, back)
    assert total.mutants == {"m1": (3, ["V7"])} and total.goals == {"g": (2, 2, "ops")}


def test_jobs_choose_the_workers() -> None:
    """--jobs auto/N gives one xdist worker per core/N with work stealing; 1 or pytest's own -n gives none; nonsense
    is refused with what to pass."""
    assert xdist_args("auto") == ["-n", "auto", "--dist", "worksteal"]
    assert xdist_args("3") == ["-n", "3", "--dist", "worksteal"]
    assert xdist_args("1") == [] and xdist_args("auto", ["-n", "2"]) == [] and xdist_args("2", ["-p", "no:xdist"]) == []
    with pytest.raises(PggitModelError, match="--jobs 'many'"):
        xdist_args("many")
