"""What the twin database (contract V21) costs: checked steps per second with and without it, in one run.

    python bench/twin.py [--examples N] [--steps N] [--rounds N] [--pggit-source DIR]

The same machines run under the same seed twice per round — once with the twin (every DDL, transaction and
session statement replayed on a database without pgGit, outcomes compared, and the catalog of the machine's
schemas compared when each example ends) and once without (``--pggit-no-twin``) — and the rounds alternate the
order, so that warm-up and other load on the shared cores fall on both sides alike. It prints steps/s of each side
per machine and the twin's cost as a share of a step's time (issue #17's target: <= 20 %), and the twin's
statements per checked step.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hypothesis import settings

from pggit_model import cluster, profiles
from pggit_model.isolation import Template
from pggit_model.machine import Harness, PgGitMachine
from pggit_model.machines import FaultsMachine, TransactionsMachine, VersioningMachine
from pggit_model.session import RunStats

MACHINES: tuple[type[PgGitMachine], ...] = (VersioningMachine, TransactionsMachine, FaultsMachine)


def run_once(template: Template, machine: type[PgGitMachine], twin: bool, examples: int,
             steps: int) -> tuple[int, float]:
    """Steps run and wall seconds of one seeded run of ``machine``."""
    seeded = type(machine.__name__, (machine,), {"_hypothesis_internal_use_seed": 0})
    with tempfile.TemporaryDirectory(prefix="pggit-bench-") as results:
        stats = RunStats()
        harness = Harness(template, Path(results), stats=stats, twin=twin)
        fixed = settings(settings.get_profile("smoke"), max_examples=examples, stateful_step_count=steps,
                         database=None, print_blob=False, deadline=None)
        try:
            started = time.perf_counter()
            harness.run(seeded, settings=fixed)
            return stats.steps, time.perf_counter() - started
        finally:
            harness.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=30)
    ap.add_argument("--steps", type=int, default=30, help="steps per example")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--pggit-source")
    args = ap.parse_args()
    profiles.register()
    with cluster.server_session() as server:
        template = Template(server, args.pggit_source)
        try:
            for machine in MACHINES:
                totals = {True: [0, 0.0], False: [0, 0.0]}
                for r in range(args.rounds):
                    for twin in ((True, False) if r % 2 == 0 else (False, True)):
                        n, s = run_once(template, machine, twin, args.examples, args.steps)
                        totals[twin][0] += n
                        totals[twin][1] += s
                on, off = (totals[t][0] / totals[t][1] for t in (True, False))
                cost = (1 / on - 1 / off) * on  # the twin's share of a step's time with the twin
                print(f"{machine.__name__}: with twin {on:.0f} steps/s, without {off:.0f} steps/s; "
                      f"twin cost {cost:.0%} of a step ({totals[True][0]} and {totals[False][0]} steps)")
        finally:
            template.close()


if __name__ == "__main__":
    main()
