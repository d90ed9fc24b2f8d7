"""Benchmark results as JSON and their comparison (pggit_model.benchmarks, pggit-model bench; issue 19 part 5)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pggit_model import benchmarks
from pggit_model.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _run(path: Path, **metrics: tuple[float, str, str]) -> Path:
    benchmarks.emit("throughput", metrics, path)  # type: ignore[arg-type]
    return path


def test_emit_adds_metrics_of_each_script_to_one_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two scripts' metrics land in the same run file with their unit and direction; without a target nothing is
    written."""
    f = tmp_path / "run.json"
    benchmarks.emit("model", {"step_us": (21.5, "µs", "lower")}, f)
    benchmarks.emit("throughput", {"steps_per_s": (351, "steps/s", "higher")}, f)
    doc = benchmarks.load(f)
    assert doc["benchmarks"] == {"model": {"step_us": {"value": 21.5, "unit": "µs", "better": "lower"}},
                                 "throughput": {"steps_per_s": {"value": 351.0, "unit": "steps/s", "better": "higher"}}}
    assert doc["host"]["cores"] == os.cpu_count()
    monkeypatch.delenv(benchmarks.ENV, raising=False)
    benchmarks.emit("model", {"step_us": (1, "µs", "lower")})  # no file anywhere: only printed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.json"]


def test_compare_flags_a_planted_slowdown_in_either_direction(tmp_path: Path) -> None:
    """A cost up by 25 % is flagged whether lower is better (ms/step 2.0 -> 2.5) or higher is (steps/s 400 -> 320);
    10 % worse and any improvement are not."""
    old = benchmarks.load(_run(tmp_path / "old.json", ms=(2.0, "ms", "lower"), rate=(400, "steps/s", "higher"),
                               obs=(1.0, "ms", "lower"), ratio=(0.4, "", "higher")))
    new = benchmarks.load(_run(tmp_path / "new.json", ms=(2.5, "ms", "lower"), rate=(320, "steps/s", "higher"),
                               obs=(1.1, "ms", "lower"), ratio=(0.6, "", "higher")))
    rows = {r.metric: r for r in benchmarks.compare(old, new)}
    assert rows["ms"].slower and rows["ms"].cost == pytest.approx(1.25)
    assert rows["rate"].slower and rows["rate"].cost == pytest.approx(1.25)
    assert not rows["obs"].slower and rows["obs"].cost == pytest.approx(1.1)
    assert not rows["ratio"].slower and rows["ratio"].cost < 1
    lines, slower = benchmarks.report(old, new)
    assert slower == 2 and lines[-1].startswith("4 metrics compared, 2 slower by more than 20%: throughput.ms")
    assert "throughput.ms: 2 -> 2.5 ms (cost x1.25)  SLOWER" in lines


def test_bench_compare_command_exits_1_on_a_slowdown_and_0_without(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                                   ) -> None:
    """`pggit-model bench --compare OLD --results NEW` prints the ratios; a planted 50 % slowdown exits 1, the same
    run against itself exits 0, a file that is not a results file exits 2 with one line."""
    old = _run(tmp_path / "old.json", ms=(2.0, "ms", "lower"))
    slow = _run(tmp_path / "slow.json", ms=(3.0, "ms", "lower"))
    assert main(["bench", "--compare", str(old), "--results", str(slow)]) == 1
    assert "throughput.ms: 2 -> 3 ms (cost x1.50)  SLOWER" in capsys.readouterr().out
    assert main(["bench", "--compare", str(old), "--results", str(old)]) == 0
    (tmp_path / "junk.json").write_text(json.dumps({"benchmarks": []}))
    assert main(["bench", "--compare", str(tmp_path / "junk.json"), "--results", str(old)]) == 2
    assert "not a benchmark results file" in capsys.readouterr().err


def test_bench_runs_scripts_into_one_file(tmp_path: Path) -> None:
    """`pggit-model bench --only NAME` runs bench/NAME.py with PGGIT_BENCH_JSON set: its metrics and its wall time
    are in the run's file, which a second run is then compared against."""
    bench = tmp_path / "bench"
    bench.mkdir()
    (bench / "tiny.py").write_text("from pggit_model import benchmarks\n"
                                   "print('tiny: 1.5 ms')\n"
                                   "benchmarks.emit('tiny', {'ms': (1.5, 'ms', 'lower')})\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    first = subprocess.run([sys.executable, "-m", "pggit_model", "bench", "--bench-dir", str(bench), "--only", "tiny",
                            "--out", str(tmp_path / "a.json")], capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    doc = benchmarks.load(tmp_path / "a.json")
    assert doc["benchmarks"]["tiny"]["ms"]["value"] == 1.5 and "tiny_seconds" in doc["benchmarks"]["run"]
    second = subprocess.run([sys.executable, "-m", "pggit_model", "bench", "--bench-dir", str(bench), "--only", "tiny",
                             "--out", str(tmp_path / "b.json"), "--compare", str(tmp_path / "a.json")],
                            capture_output=True, text=True, env=env, timeout=120)
    assert "tiny.ms: 1.5 -> 1.5 ms (cost x1.00)" in second.stdout, second.stdout + second.stderr
