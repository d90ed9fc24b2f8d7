"""``pggit-model bench``: run the benchmark scripts of ``bench/`` into one JSON file per run, and compare it with an
earlier run (``--compare OLD.json``): a ratio per metric, slowdowns above 20 % flagged (pggit_model.benchmarks)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .. import benchmarks

#: The scripts a run executes by default, with their arguments: each a few seconds to a minute on 2 cores.
DEFAULT = {"model": [], "reset": [], "observe": [], "throughput": ["--examples", "30"]}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("bench", help="run the benchmarks (bench/*.py) into a JSON file; --compare OLD.json flags "
                       "slowdowns")
    p.add_argument("--compare", metavar="OLD.json", help="an earlier run's results: print each metric's ratio and "
                   "flag slowdowns above the threshold (exit 1 if any)")
    p.add_argument("--results", metavar="NEW.json", help="compare this file instead of running the benchmarks")
    p.add_argument("--only", action="append", metavar="NAME", help=f"run only this script of bench/ (repeatable; "
                   f"default: {', '.join(DEFAULT)})")
    p.add_argument("--bench-dir", default="bench", help="directory of the scripts (default: ./bench)")
    p.add_argument("--out", metavar="FILE", help="where this run's results go (default: "
                   ".pggit-model/bench/bench-<UTC time>.json)")
    p.add_argument("--threshold", type=float, default=benchmarks.THRESHOLD,
                   help=f"slower by more than this fraction is flagged (default {benchmarks.THRESHOLD})")
    return p


def bench_cmd(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """0: ran (and no slowdown); 1: a slowdown beyond the threshold, or a script failed; 2: bad input."""
    def say(msg: str) -> None:
        print(msg, file=out or sys.stdout, flush=True)

    old = benchmarks.load(args.compare) if args.compare else None  # bad input is found before anything runs
    failed = 0
    if args.results:
        path = Path(args.results)
        new = benchmarks.load(path)
    else:
        path = Path(args.out or f".pggit-model/bench/bench-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}.json")
        failed = _run_scripts(Path(args.bench_dir), args.only or list(DEFAULT), path, say)
        if not path.exists():
            say("pggit-model: no benchmark wrote a result")
            return 1
        new = benchmarks.load(path)
        say(f"results: {path}")
    if old is None:
        for bench, metrics in new["benchmarks"].items():
            for name, m in metrics.items():
                say(f"{bench}.{name}: {m['value']:.4g} {m['unit']} ({m['better']} is better)")
        return 1 if failed else 0
    lines, slower = benchmarks.report(old, new, args.threshold)
    say(f"compared with {args.compare}:")
    for line in lines:
        say("  " + line)
    return 1 if slower or failed else 0


def _run_scripts(folder: Path, names: list[str], path: Path, say: Callable[[str], None]) -> int:
    """Run each script with PGGIT_BENCH_JSON=path; returns how many failed (their output is shown)."""
    if not folder.is_dir():
        raise benchmarks.BadBenchFile(f"no benchmark scripts at {folder}; run from a pggit-model checkout or pass "
                                      "--bench-dir DIR")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    benchmarks.emit("run", {}, path)  # the run's header (time, host) even if every script fails
    failed = 0
    for name in names:
        script = folder / f"{name}.py"
        if not script.is_file():
            raise benchmarks.BadBenchFile(f"no benchmark {name!r}: {script} does not exist")
        say(f"+ python {script} {' '.join(DEFAULT.get(name, []))}")
        t0 = time.perf_counter()
        # The scripts import this very pggit_model (not another installed copy): its parent goes first on the path.
        here = str(Path(benchmarks.__file__).resolve().parents[1])
        path_env = os.pathsep.join([here, *filter(None, [os.environ.get("PYTHONPATH")])])
        res = subprocess.run([sys.executable, str(script), *DEFAULT.get(name, [])], capture_output=True, text=True,
                             env={**os.environ, benchmarks.ENV: str(path.resolve()), "PYTHONPATH": path_env})
        for line in res.stdout.strip().splitlines()[-4:]:
            say(f"  {line}")
        if res.returncode:
            failed += 1
            say(f"  FAILED (exit {res.returncode}): {res.stderr.strip().splitlines()[-1:] or ''}")
        else:
            benchmarks.emit("run", {f"{name}_seconds": (time.perf_counter() - t0, "s", "lower")}, path)
    return failed
