"""One mutant's verdict, in a process of its own: install the mutated checkout on the given server, run the
machines with a fixed seed until the first divergence, print one JSON line.

``python -m pggit_model.mutation.worker --dsn DSN --source DIR --machines A,B --profile smoke --seed 0``

Verdicts: ``install-broken`` (the install report has errors or a contract part is missing: I3/I4), ``killed`` (a
machine diverged: the rule and the first line), ``error`` (a machine failed otherwise), ``survived``. No example
database, no shrinking: a verdict, not a reproducer (``pggit-model run --pggit-source DIR`` gives that).
The runner kills the process on its time cap; SIGTERM unwinds so the databases made here are dropped.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The machines a mutant runs by default: every machine of ``pytest machines`` that shares the server (the crash
#: machine needs a durable cluster of its own, the load mode is opt-in), so the score is the `smoke` run's. The
#: first model's machines come first (they catch most mutants soonest), the parallel machine last.
DEFAULT_MACHINES = ("VersioningMachine", "BranchesCommitsMachine", "TransactionsMachine", "TrinityMachine",
                    "HashesMachine", "FaultsMachine", "MixedMachine", "RenamesMachine", "KindsMachine",
                    "PartitionsMachine", "CascadesMachine", "DriftMachine", "DamageMachine", "ReinstallMachine",
                    "DependentsMachine", "ParallelMachine")


class Stopped(BaseException):
    """SIGTERM from the runner (time cap): unwind so that every ``finally`` drops its databases."""


def _stop(signum: int, frame: Any) -> None:
    raise Stopped()


def _verdict(verdict: str, machine: str = "", rule: str = "", detail: str = "", **more: Any) -> dict[str, Any]:
    return {"verdict": verdict, "machine": machine, "rule": rule, "detail": detail[:300], **more}


def run_machines(dsn: str, source: str, machines: tuple[str, ...], profile: str, seed: int,
                 bindir: str | None = None, keep_going: bool = False) -> dict[str, Any]:
    """Install ``source`` on the server at ``dsn`` and run ``machines`` in order; the verdict as a dict. With
    ``keep_going`` every machine runs and ``machine`` lists all that caught the mutant (the first's rule)."""
    from hypothesis import Phase, settings

    from .. import profiles
    from ..cluster import ExternalServer
    from ..isolation import Template
    from ..machine import Harness, _divergences
    from ..session import RunStats

    profiles.register()
    # No shrinking and no example database: the first failure is the verdict, and no mutant's saved example
    # may leak into another mutant's run.
    settings.register_profile("mutate", settings(settings.get_profile(profile), database=None, print_blob=False,
                                                 phases=(Phase.explicit, Phase.generate)))
    settings.load_profile("mutate")
    server = ExternalServer(dsn, bindir)
    t0 = time.monotonic()
    template = Template(server, source)
    try:
        report = template.report
        if report.error_count or report.missing or report.missing_parts:
            broken = [f"{f.path}: {f.first_error}" for f in report.files if f.errors]
            broken += [f"missing {m}" for m in (*report.missing, *report.missing_parts)]
            return _verdict("install-broken", detail="; ".join(broken), seconds=time.monotonic() - t0)
        with tempfile.TemporaryDirectory(prefix="pggit-mutate-") as results:
            harness = Harness(template, Path(results), stats=RunStats())
            caught: list[dict[str, Any]] = []
            try:
                for name in machines:
                    try:
                        _RUNNERS.get(name, _run_state_machine)(harness, name, seed)
                    except (Exception, ExceptionGroup) as e:
                        found = _divergences(e)
                        if found:
                            caught.append(_verdict("killed", name, found[0].rule, str(found[0]).split("\n")[0]))
                        else:
                            caught.append(_verdict("error", name, "", f"{type(e).__name__}: {e}".split("\n")[0]))
                        if not keep_going:
                            break
            finally:
                harness.close()
        if not caught:
            return _verdict("survived", seconds=time.monotonic() - t0)
        first = caught[0]
        return {**first, "machine": ",".join(c["machine"] for c in caught), "seconds": time.monotonic() - t0}
    finally:
        template.close()


def _run_state_machine(harness: Any, name: str, seed: int) -> None:
    from .. import machines

    machine = getattr(machines, name, None)
    if machine is None:
        raise SystemExit(f"no machine named {name!r}; known: {', '.join(_known_machines())}")
    seeded = type(machine.__name__, (machine,), {"_hypothesis_internal_use_seed": seed})
    harness.run(seeded)


def _run_parallel(harness: Any, name: str, seed: int) -> None:
    """The parallel machine (machines/test_parallel.py): drawn programs of 2-4 sessions, X8-X10."""
    import hypothesis
    from hypothesis import assume, given

    from ..parallel import ParallelHarness, Program, programs

    parallel = ParallelHarness(harness)
    try:
        @hypothesis.seed(seed)
        @given(programs(schema=f"mc_{harness.run_id}"))
        def run(program: Program) -> None:
            assume(parallel.supported(program))
            parallel.check(program)

        parallel.run(run, schema=f"mc_{harness.run_id}")  # (the programs covering every kind first)
    finally:
        parallel.close()


_RUNNERS: dict[str, Callable[[Any, str, int], None]] = {"ParallelMachine": _run_parallel}


def _known_machines() -> list[str]:
    from .. import machines

    return [m.__name__ for m in machines.ALL_MACHINES] + list(_RUNNERS)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pggit_model.mutation.worker")
    p.add_argument("--dsn", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--machines", default=",".join(DEFAULT_MACHINES))
    p.add_argument("--profile", default="smoke")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--pg-bindir", default=None)
    p.add_argument("--keep-going", action="store_true", help="run every machine, not only up to the first catch")
    args = p.parse_args(argv)
    signal.signal(signal.SIGTERM, _stop)
    try:
        verdict = run_machines(args.dsn, args.source, tuple(args.machines.split(",")), args.profile, args.seed,
                               args.pg_bindir, args.keep_going)
    except Stopped:
        verdict = _verdict("timeout")
    print(json.dumps(verdict), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
