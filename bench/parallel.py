"""The parallel machine's throughput and the checker's share of it, in one run.

    python bench/parallel.py [--programs N] [--sessions 4] [--ops 8] [--pggit-source DIR] [--pg-dsn DSN]

Draws N programs of exactly ``--sessions`` sessions with up to ``--ops`` statements each (fixed seed), runs each
on a fresh clone and checks it, and prints programs checked per second and the checker's time against the
program's wall time (target: checking <= 10 % of the wall time for 4 x 8). With ``--find-x9`` it instead runs the
machine (ci profile) until it reports X9, and prints the time to the first failure and to the shrunk program.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from hypothesis import given, seed, settings
from hypothesis import strategies as st

from pggit_model import cluster, profiles
from pggit_model.benchmarks import emit
from pggit_model.divergences import Divergence
from pggit_model.driver import RunStats
from pggit_model.isolation import Template
from pggit_model.machine import Harness
from pggit_model.parallel import ParallelHarness, Program, programs


def throughput(ph: ParallelHarness, n: int, sessions: int, max_ops: int) -> None:
    runs, checks, explored, sizes, failures = [], [], [], [], 0
    t0 = time.perf_counter()

    @seed(12345)
    @settings(max_examples=n, database=None, deadline=None, phases=[__import__("hypothesis").Phase.generate],
              suppress_health_check=list(__import__("hypothesis").HealthCheck))
    @given(programs(sessions=(sessions, sessions), max_ops=max_ops))
    def one(program: Program) -> None:
        nonlocal failures
        try:
            ph.check(program, repeats=1)
        except Divergence:
            failures += 1
            return
        runs.append(ph.last.run)
        checks.append(ph.last.check)
        explored.append(ph.last.explored)
        sizes.append(program.size())

    one()
    wall = time.perf_counter() - t0
    share = [c / r for c, r in zip(checks, runs, strict=True)]
    print(f"programs: {len(runs) + failures} in {wall:.1f} s = {(len(runs) + failures) / wall:.2f} programs/s "
          f"({failures} diverged; {sessions} sessions, <= {max_ops} statements each, mean "
          f"{statistics.mean(sizes):.1f} statements)")
    print(f"run (sessions' wall time): median {statistics.median(runs) * 1000:.1f} ms")
    print(f"check: median {statistics.median(checks) * 1000:.2f} ms, max {max(checks) * 1000:.2f} ms, "
          f"states explored median {statistics.median(explored):.0f}, max {max(explored)}")
    print(f"check / run: median {statistics.median(share) * 100:.1f} %, max {max(share) * 100:.1f} %  "
          "(target <= 10 %)")
    emit("parallel", {"programs_per_s": ((len(runs) + failures) / wall, "programs/s", "higher"),
                      "check_share": (statistics.median(share), "", "lower")})


def find_x9(ph: ParallelHarness) -> None:
    profiles.register()
    t0 = time.perf_counter()
    first: list[float] = []

    @settings(settings.get_profile("ci"), database=None)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        program = data.draw(programs())
        try:
            ph.check(program, repeats=1)
        except Divergence as d:
            if not first:
                first.append(time.perf_counter() - t0)
            if d.rule != "X9":
                return
            raise

    try:
        run()
        print("no X9 divergence found under the ci profile")
    except Divergence as d:
        print(f"X9 found after {first[0]:.1f} s, shrunk after {time.perf_counter() - t0:.1f} s:")
        print(str(d).split("\n\n")[0])
        for note in getattr(d, "__notes__", []):
            if note.startswith("program:"):
                print(note)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--programs", type=int, default=30)
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--ops", type=int, default=8)
    ap.add_argument("--find-x9", action="store_true")
    ap.add_argument("--pggit-source")
    ap.add_argument("--pg-dsn")
    args = ap.parse_args()
    with cluster.server_session(args.pg_dsn) as server, tempfile.TemporaryDirectory() as tmp:
        template = Template(server, args.pggit_source)
        harness = Harness(template, Path(tmp), stats=RunStats())
        ph = ParallelHarness(harness)
        try:
            if args.find_x9:
                find_x9(ph)
            else:
                throughput(ph, args.programs, args.sessions, args.ops)
        finally:
            ph.close()
            harness.close()
            template.close()


if __name__ == "__main__":
    main()
