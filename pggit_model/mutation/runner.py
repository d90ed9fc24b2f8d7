"""Run the machines against each mutant, one worker process per mutant (pggit_model.mutation.worker), with a time
cap, and classify: killed, install-broken, error (a machine failed without a divergence), survived, timeout,
crashed (the worker gave no verdict)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs

from .operators import Mutant
from .worker import DEFAULT_MACHINES

#: Verdicts that count as the mutant caught (the score's numerator); install-broken is reported apart too.
CAUGHT = ("killed", "error", "install-broken")
VERDICTS = ("killed", "install-broken", "error", "survived", "timeout", "crashed")

#: The machine most likely to catch a mutant of each file runs first (a verdict sooner; the set run is the same).
FIRST_MACHINE = {"030_branches.sql": "BranchesCommitsMachine", "040_commits.sql": "BranchesCommitsMachine",
                 "070_merge.sql": "BranchesCommitsMachine", "050_trinity.sql": "TrinityMachine",
                 "060_hashes.sql": "HashesMachine"}
#: Files of the second model's families: code no default machine reaches (they draw first-model DDL only), so
#: their own machine runs first even when the machines given leave it out.
FAMILY_MACHINE = {"080_renames.sql": "RenamesMachine", "082_kinds.sql": "KindsMachine",
                  "084_partitions.sql": "PartitionsMachine", "086_cascades.sql": "CascadesMachine"}

#: After SIGTERM on the time cap, how long the worker gets to drop its databases before SIGKILL.
GRACE_SECONDS = 15.0


@attrs.frozen
class Result:
    """One mutant's verdict; ``machine``/``rule``/``detail`` say what caught it (or why it is an error)."""

    id: str
    verdict: str
    machine: str = ""
    rule: str = ""
    detail: str = ""
    seconds: float = 0.0

    @property
    def caught(self) -> bool:
        return self.verdict in CAUGHT


@attrs.frozen
class RunConfig:
    """How every mutant is run: the server, the machines in order, the profile, the seed, the cap per mutant."""

    dsn: str
    machines: tuple[str, ...] = DEFAULT_MACHINES
    profile: str = "smoke"
    seed: int = 0
    timeout: float = 180.0
    bindir: str | None = None
    nice: int = 0
    keep_going: bool = False

    def order_for(self, mutant: Mutant) -> tuple[str, ...]:
        family = FAMILY_MACHINE.get(mutant.file)
        if family is not None:
            # then the other families' machines given: their DDL runs through this file too (080_renames.sql's
            # index healing is reached by the cascades machine's REINDEX … CONCURRENTLY; a ci sample's two
            # renames mutants timed out before the first model's machines had handed over to them)
            near = [m for m in self.machines if m in FAMILY_MACHINE.values() and m != family]
            return (family, *near, *(m for m in self.machines if m != family and m not in near))
        first = FIRST_MACHINE.get(mutant.file)
        if first not in self.machines:
            return self.machines
        return (first, *(m for m in self.machines if m != first))


def run_one(mutant: Mutant, config: RunConfig, workdir: Path) -> Result:
    """Apply ``mutant`` to a copy of the reference under ``workdir``, run a worker on it, return its verdict."""
    source = mutant.apply(workdir / mutant.id.replace(":", "_").replace(".sql", ""))
    cmd = [sys.executable, "-m", "pggit_model.mutation.worker", "--dsn", config.dsn, "--source", str(source),
           "--machines", ",".join(config.order_for(mutant)), "--profile", config.profile, "--seed", str(config.seed)]
    cmd += ["--pg-bindir", config.bindir] if config.bindir else []
    cmd += ["--keep-going"] if config.keep_going else []
    if config.nice:
        cmd = ["nice", "-n", str(config.nice), *cmd]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=config.timeout)
    except subprocess.TimeoutExpired:
        _terminate(proc)
        return Result(mutant.id, "timeout", detail=f"no verdict within {config.timeout:.0f} s",
                      seconds=time.monotonic() - t0)
    finally:
        with contextlib.suppress(OSError):
            import shutil
            shutil.rmtree(source)
    seconds = time.monotonic() - t0
    lines = [x for x in out.splitlines() if x.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (err.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        # the worker itself failed (no verdict): not the machines' catch, so not counted as one
        return Result(mutant.id, "crashed", detail=f"worker failed: {tail}"[:300], seconds=seconds)
    v = json.loads(lines[-1])
    return Result(mutant.id, v["verdict"], v.get("machine", ""), v.get("rule", ""), v.get("detail", ""), seconds)


def _terminate(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the worker (it drops its databases), then SIGKILL its process group after a grace period."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()


def run_all(mutants: Sequence[Mutant], config: RunConfig, jobs: int = 1,
            progress: Callable[[int, Mutant, Result], None] | None = None,
            stop: Callable[[], bool] | None = None) -> list[Result]:
    """The Results of the mutants given, in their order; ``progress`` is called as each one finishes. Once ``stop()``
    is true no further mutant starts, so the list is a prefix of ``mutants``."""
    def one(m: Mutant) -> Result | None:
        return None if stop and stop() else run_one(m, config, work)

    with tempfile.TemporaryDirectory(prefix="pggit-mutants-") as tmp:
        work = Path(tmp)
        done: list[Result] = []
        if jobs <= 1:
            for i, m in enumerate(mutants):
                r = one(m)
                if r is None:
                    break
                done.append(r)
                if progress:
                    progress(i, m, r)
            return done
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(one, m) for m in mutants]
            for i, (m, f) in enumerate(zip(mutants, futures, strict=True)):
                r = f.result()
                if r is None:  # (a later one may have started before the stop: the prefix is what counts)
                    break
                done.append(r)
                if progress:
                    progress(i, m, r)
            for f in futures:
                f.cancel()
            return done
