"""Checked steps per second of the versioning machine vs replaying the same SQL bare, in one run.

    python bench/throughput.py [--examples N] [--steps N] [--pggit-source DIR]

1. checked: the VersioningMachine runs against the backend under a fixed seed (Hypothesis draws the ops,
   the model predicts, the database answers, the state is observed and compared after every step);
2. bare: the very same op streams are sent again, per example in one rolled-back transaction, through the
   same client — no Hypothesis, no model, no checks, no observation.

The last line ends with the ratio checked/bare (target >= 0.8) and the checked steps/s (target >= 300).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hypothesis import settings

from pggit_model import cluster, profiles
from pggit_model.client import Client
from pggit_model.driver import RunStats
from pggit_model.isolation import RollbackIsolation, Template
from pggit_model.machine import Harness
from pggit_model.machines import VersioningMachine
from pggit_model.ops import Op

streams: list[list[Op]] = []


class RecordedVersioning(VersioningMachine):
    """The versioning machine, keeping each example's ops for the bare replay."""

    def teardown(self) -> None:
        streams.append(list(self.driver.ops))
        super().teardown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--examples", type=int, default=60)
    ap.add_argument("--steps", type=int, default=40, help="steps per example")
    ap.add_argument("--pggit-source")
    args = ap.parse_args()
    profiles.register()
    with cluster.server_session() as server:
        template = Template(server, args.pggit_source)
        try:
            stats = RunStats()
            results = tempfile.TemporaryDirectory(prefix="pggit-bench-")  # failures, if any, are not kept
            harness = Harness(template, Path(results.name), stats=stats)
            run_settings = settings(settings.get_profile("smoke"), max_examples=args.examples,
                                    stateful_step_count=args.steps, database=None, derandomize=True)
            harness.rollback.reset()  # open the isolation before timing
            t0 = time.perf_counter()
            harness.run(RecordedVersioning, settings=run_settings)
            checked_s = time.perf_counter() - t0
            checked_steps = stats.steps
            schema = f"mc_{harness.run_id}"
            harness.close()

            bare = RollbackIsolation(template)
            t0 = time.perf_counter()
            bare_steps = 0
            for ops in streams:
                with bare.example() as conn:
                    conn.execute(f'CREATE SCHEMA "{schema}"')
                    client = Client(conn, schema, nested=True)
                    for op in ops:
                        client.apply(op)
                        bare_steps += 1
            bare_s = time.perf_counter() - t0
            bare.close()
            results.cleanup()
        finally:
            template.close()
    checked_rate = checked_steps / checked_s
    bare_rate = bare_steps / bare_s
    print(f"backend: {template.report.backend}; {len(streams)} examples")
    print(f"checked (Hypothesis + model + database + full-state check): {checked_steps} steps in {checked_s:.2f} s "
          f"= {checked_rate:.0f} steps/s (target >= 300)")
    print(f"bare (same SQL through the same client, nothing checked): {bare_steps} steps in {bare_s:.2f} s "
          f"= {bare_rate:.0f} steps/s")
    print(f"checked steps/s {checked_rate:.0f}; ratio checked/bare = {checked_rate / bare_rate:.2f}")


if __name__ == "__main__":
    main()
