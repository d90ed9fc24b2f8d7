"""Checked steps per second of the versioning machine vs replaying the same SQL bare, in one run.

    python bench/throughput.py [--examples N] [--steps N] [--pggit-source DIR]

1. checked: the VersioningMachine runs against the backend under a fixed seed (Hypothesis draws the ops,
   the model predicts, the database answers, the state is observed and compared after every step);
2. bare: the very same op streams (each example's ops as the checked run sent them) are sent again, per
   example in one rolled-back transaction with the same per-example reset and schema, through the same
   ``Client`` (the same savepoint around each statement) — no Hypothesis, no model, no checks, no observation.

Both phases also print their CPU per step (this process, and the server backend via /proc for the
throwaway cluster); the line before last turns them into a ratio that other runs on shared cores do not
swing (issue 19's target: CPU ratio >= 0.6). The last line ends with the wall ratio checked/bare and gives the
checked steps/s (target >= 300); the line before it, Hypothesis's primitive choices per checked step. ``--overlap``
runs the checked phase with client and server overlapped (PgGitMachine.OVERLAP). Hypothesis runs a few more
examples than --examples (it does not count those it rejects); every example it runs is timed, counted and replayed.

Measured numbers, before and after each profiling round, and what stands between them and the targets:
docs/guide.md, "Performance".
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import settings

from pggit_model import cluster, profiles
from pggit_model.benchmarks import emit
from pggit_model.client import Client
from pggit_model.isolation import RollbackIsolation, Template
from pggit_model.machine import Harness
from pggit_model.machines import VersioningMachine
from pggit_model.ops import Op
from pggit_model.session import RunStats

streams: list[list[Op]] = []
#: primitive choices Hypothesis made (integers, booleans, floats, strings, bytes) while the checked run ran
choices = [0]


@contextlib.contextmanager
def counting_choices() -> Iterator[None]:
    """Count every primitive choice of the checked run: what drawing an op costs before any strategy code runs."""
    from hypothesis.internal.conjecture.data import ConjectureData

    names = ("draw_integer", "draw_boolean", "draw_float", "draw_string", "draw_bytes")
    saved = {n: getattr(ConjectureData, n) for n in names}

    def counted(original: Any) -> Any:
        def draw(self: Any, *args: Any, **kwargs: Any) -> Any:
            choices[0] += 1
            return original(self, *args, **kwargs)
        return draw

    for n, f in saved.items():
        setattr(ConjectureData, n, counted(f))
    try:
        yield
    finally:
        for n, f in saved.items():
            setattr(ConjectureData, n, f)


def server_cpu(server: object, pid: int) -> float | None:
    """CPU seconds the backend ``pid`` of our own throwaway cluster has used (None elsewhere: a DSN's server
    may be on another host, and /proc only knows this one)."""
    if not isinstance(server, cluster.ThrowawayCluster):
        return None
    with contextlib.suppress(OSError, ValueError, IndexError):
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return None


def cpu_text(steps: int, client_s: float, server_s: float | None) -> str:
    server = "?" if server_s is None else f"{server_s / steps * 1000:.2f}"
    return f"CPU per step: this process {client_s / steps * 1000:.2f} ms, server backend {server} ms"


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
    ap.add_argument("--overlap", action=argparse.BooleanOptionalAction, default=None,
                    help="overlap client and server (PgGitMachine.OVERLAP; default: as PGGIT_MODEL_OVERLAP says)")
    args = ap.parse_args()
    if args.overlap is not None:
        RecordedVersioning.OVERLAP = args.overlap
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
            pid = harness.rollback.conn.info.backend_pid
            s0, c0, t0 = server_cpu(server, pid), time.process_time(), time.perf_counter()
            with counting_choices():
                harness.run(RecordedVersioning, settings=run_settings)
            checked_s = time.perf_counter() - t0
            checked_cpu = (time.process_time() - c0, _delta(server_cpu(server, pid), s0))
            checked_steps = stats.steps
            schema = f"mc_{harness.run_id}"
            harness.close()

            bare = RollbackIsolation(template)
            pid = bare.conn.info.backend_pid
            s0, c0, t0 = server_cpu(server, pid), time.process_time(), time.perf_counter()
            bare_steps = 0
            for ops in streams:
                with bare.example() as conn:
                    conn.execute(f'CREATE SCHEMA "{schema}"')
                    client = Client(conn, schema, nested=True)
                    for op in ops:
                        client.apply(op)
                        bare_steps += 1
            bare_s = time.perf_counter() - t0
            bare_cpu = (time.process_time() - c0, _delta(server_cpu(server, pid), s0))
            bare.close()
            results.cleanup()
        finally:
            template.close()
    checked_rate = checked_steps / checked_s
    bare_rate = bare_steps / bare_s
    overlap = getattr(RecordedVersioning, "OVERLAP", False)  # (absent before the switch: compare with older trees)
    print(f"backend: {template.report.backend}; {len(streams)} examples; overlap {overlap}")
    print(f"checked (Hypothesis + model + database + full-state check): {checked_steps} steps in {checked_s:.2f} s "
          f"= {checked_rate:.0f} steps/s (target >= 300); {cpu_text(checked_steps, *checked_cpu)}")
    print(f"bare (same SQL through the same client, nothing checked): {bare_steps} steps in {bare_s:.2f} s "
          f"= {bare_rate:.0f} steps/s; {cpu_text(bare_steps, *bare_cpu)}")
    if checked_cpu[1] is not None and bare_cpu[1] is not None:
        # Wall time on shared cores swings with other runs; CPU time per step does not (much): what a step costs
        # when the two processes it alternates between (this one, the backend) have a core each.
        c = (checked_cpu[0] + checked_cpu[1]) / checked_steps
        b = (bare_cpu[0] + bare_cpu[1]) / bare_steps
        print(f"by CPU time: checked {c * 1000:.2f} ms/step, bare {b * 1000:.2f} ms/step, ratio {b / c:.2f}")
    per_step = choices[0] / checked_steps
    print(f"Hypothesis choices per checked step: {per_step:.1f}")
    print(f"checked steps/s {checked_rate:.0f}; ratio checked/bare = {checked_rate / bare_rate:.2f}")
    cpu = {} if checked_cpu[1] is None or bare_cpu[1] is None else {
        "cpu_ratio": ((bare_cpu[0] + bare_cpu[1]) / bare_steps / ((checked_cpu[0] + checked_cpu[1]) / checked_steps),
                      "", "higher"),
        "checked_server_cpu_ms_per_step": (checked_cpu[1] / checked_steps * 1000, "ms", "lower")}
    emit("throughput", {"checked_steps_per_s": (checked_rate, "steps/s", "higher"),
                        "bare_steps_per_s": (bare_rate, "steps/s", "higher"),
                        "wall_ratio": (checked_rate / bare_rate, "", "higher"),
                        "checked_cpu_ms_per_step": (checked_cpu[0] / checked_steps * 1000, "ms", "lower"),
                        "choices_per_step": (per_step, "choices", "lower"),
                        **cpu})


def _delta(after: float | None, before: float | None) -> float | None:
    return None if after is None or before is None else after - before


if __name__ == "__main__":
    main()
