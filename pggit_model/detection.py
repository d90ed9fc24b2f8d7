"""Time to detect a planted fault: run its machine under one Hypothesis seed and measure the seconds to the first
failing example, the seconds to the end of shrinking, and the shrunk length (issue 18 part 3, issue 19 part 4).

``detect`` is what ``tests/test_mutants.py`` (``tox -e mutants``) and ``bench/detect.py`` both run; ``table_lines``
and ``summary_lines`` print the fault × seed table and the median / worst per fault; ``to_json`` writes it.
A catch under one seed is luck: each fault runs under several *random* seeds (printed, so a miss can be rerun).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs
from hypothesis import Phase, settings

from .divergences import Divergence, one_failure
from .isolation import Template
from .machine import Harness, _divergences
from .mutants import Mutant
from .session import RunStats

#: Targets (design.md §8): median seconds to the first failure and to the shrunk example.
TARGET_FIRST_S = 10.0
TARGET_SHRUNK_S = 60.0

#: ``PGGIT_MUTANT_SEEDS=1,2,3`` fixes the seeds (to rerun a row of the table); otherwise they are drawn afresh.
SEEDS_ENV = "PGGIT_MUTANT_SEEDS"
#: ``PGGIT_MUTANT_NO_SHRINK=1`` stops each run at its first failing example: the table keeps caught / first s, and
#: its "shrunk" columns then hold the end of the run and the unshrunk length (a catch-only sweep of every fault).
NO_SHRINK_ENV = "PGGIT_MUTANT_NO_SHRINK"


def shrinking() -> bool:
    """Whether detection shrinks a caught example (unless ``PGGIT_MUTANT_NO_SHRINK`` is set to other than 0)."""
    return os.environ.get(NO_SHRINK_ENV, "").strip() in ("", "0")


def seeds(n: int = 3) -> tuple[int, ...]:
    """``n`` random seeds for Hypothesis, or the ones ``PGGIT_MUTANT_SEEDS`` names."""
    given = os.environ.get(SEEDS_ENV, "").strip()
    if given:
        try:
            return tuple(int(s) for s in given.split(","))
        except ValueError:
            raise ValueError(f"{SEEDS_ENV}={given!r}: expected integers separated by commas, e.g. 1,2,3") from None
    rng = random.SystemRandom()
    return tuple(rng.randrange(2**32) for _ in range(n))


def planted(names: str) -> list[Mutant]:
    """The planted faults named (comma-separated), reference and parallel, or every one for "all"; ValueError
    naming the unknown ones and the known."""
    from .mutants import REFERENCE_MUTANTS
    from .parallel.mutants import PARALLEL_MUTANTS  # (the parallel package only when a bench asks)

    every = (*REFERENCE_MUTANTS, *PARALLEL_MUTANTS)
    if names == "all":
        return list(every)
    by_name = {m.name: m for m in every}
    unknown = [n for n in names.split(",") if n not in by_name]
    if unknown:
        raise ValueError(f"no planted fault named {', '.join(unknown)}; known: {', '.join(by_name)}")
    return [by_name[n] for n in names.split(",")]


@attrs.frozen
class Detection:
    """One fault under one seed: caught or not, when, and how short the shrunk example is."""

    fault: str
    rule: str
    machine: str
    seed: int
    caught: bool
    first_s: float | None  # seconds from the start of the run to the end of the first failing example
    shrunk_s: float | None  # seconds from the start to the end of shrinking (the run raised)
    steps: int | None  # ops in the shortest shrunk example (statements, for a parallel program)
    rules: tuple[str, ...] = ()  # the rules the divergences named
    total_s: float = 0.0  # the whole run (also when nothing was caught)

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def detect(mutant: Mutant, template: Template, results: Path, seed: int, profile: str = "smoke",
           machine: str | None = None) -> Detection:
    """Run ``mutant``'s machine (or ``machine``, e.g. "MixedMachine") on ``template``, which holds the mutant, under
    ``seed`` and the ``profile``'s settings, without an example database (a saved failure must not make it pass)."""
    name = machine or mutant.machine
    budget = settings(settings.get_profile(profile), database=None, print_blob=False)
    if not shrinking():
        budget = settings(budget, phases=tuple(p for p in budget.phases if p is not Phase.shrink))
    start = time.monotonic()
    first: list[float] = []
    harness = Harness(template, results, stats=RunStats())
    try:
        with one_failure():
            if name == "ParallelMachine":
                _run_parallel(harness, budget, seed, first)
            else:
                _run_machine(harness, name, budget, seed, first)
    except (Divergence, ExceptionGroup) as e:
        end = time.monotonic()
        found = _divergences(e)
        if not found:
            raise
        return Detection(mutant.name, mutant.rule, name, seed, True,
                         round((first[0] if first else end) - start, 2), round(end - start, 2),
                         min(_length(d) for d in found), tuple(sorted({d.rule for d in found})), round(end - start, 2))
    finally:
        harness.close()
    return Detection(mutant.name, mutant.rule, name, seed, False, None, None, None,
                     total_s=round(time.monotonic() - start, 2))


def _run_machine(harness: Harness, name: str, budget: settings, seed: int, first: list[float]) -> None:
    from . import machines  # the faces know the machines; this module is one

    machine = getattr(machines, name)

    def teardown(self: Any) -> None:
        # Hypothesis calls teardown in a `finally`: the exception on its way out is the example's failure.
        if not first and isinstance(sys.exc_info()[1], Divergence):
            first.append(time.monotonic())
        machine.teardown(self)

    seeded = type(machine.__name__, (machine,), {"_hypothesis_internal_use_seed": seed, "teardown": teardown})
    harness.run(seeded, settings=budget)


def _run_parallel(harness: Harness, budget: settings, seed: int, first: list[float]) -> None:
    from hypothesis import assume, given
    from hypothesis import seed as use_seed

    from .parallel import ParallelHarness, Program, programs

    ph = ParallelHarness(harness)
    try:
        @budget
        @use_seed(seed)
        @given(programs(schema=f"mc_{harness.run_id}"))
        def run(program: Program) -> None:
            assume(ph.supported(program))
            try:
                ph.check(program)
            except Divergence:
                if not first:
                    first.append(time.monotonic())
                raise

        ph.run(run, schema=f"mc_{harness.run_id}")
    finally:
        ph.close()


def _length(d: Divergence) -> int:
    from .parallel.program import program_of

    program = program_of(d)
    return len(d.ops) if program is None else len(program.prefix) + program.size()


# -- reporting ----------------------------------------------------------------------------------------------

def _s(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"


def table_lines(rows: Iterable[Detection]) -> list[str]:
    """The fault × seed table: one line per run, sorted by fault then seed."""
    out = [f"{'fault':<34} {'rule':<5} {'machine':<22} {'seed':>10}  {'caught':<6} {'first s':>8} {'shrunk s':>9} "
           f"{'steps':>5}  divergences"]
    for d in sorted(rows, key=lambda d: (d.fault, d.seed)):
        out.append(f"{d.fault:<34} {d.rule:<5} {d.machine:<22} {d.seed:>10}  {'yes' if d.caught else 'NO':<6} "
                   f"{_s(d.first_s):>8} {_s(d.shrunk_s):>9} {d.steps if d.steps is not None else '-':>5}  "
                   f"{' '.join(d.rules) or f'(passed, {d.total_s:.1f} s)'}")
    return out


def summary_lines(rows: Sequence[Detection]) -> list[str]:
    """Per fault: caught n/m, median and worst seconds to the first failure and to the shrunk example; then the
    medians over every run against the targets (a miss counts as the run's whole time, so misses cannot flatter)."""
    by_fault: dict[str, list[Detection]] = {}
    for d in rows:
        by_fault.setdefault(d.fault, []).append(d)
    out = [f"{'fault':<34} {'caught':>6}  {'first s median/worst':>20}  {'shrunk s median/worst':>21}  steps"]
    for fault, ds in sorted(by_fault.items()):
        first = [d.first_s if d.first_s is not None else d.total_s for d in ds]
        shrunk = [d.shrunk_s if d.shrunk_s is not None else d.total_s for d in ds]
        steps = [d.steps for d in ds if d.steps is not None]
        out.append(f"{fault:<34} {sum(d.caught for d in ds):>3}/{len(ds):<2}  "
                   f"{statistics.median(first):>9.1f} / {max(first):<8.1f}  "
                   f"{statistics.median(shrunk):>10.1f} / {max(shrunk):<8.1f}  {max(steps) if steps else '-'}")
    if rows:
        first = [d.first_s if d.first_s is not None else d.total_s for d in rows]
        shrunk = [d.shrunk_s if d.shrunk_s is not None else d.total_s for d in rows]
        missed = [d for d in rows if not d.caught]
        out.append(f"{len(rows)} runs of {len(by_fault)} faults: caught {len(rows) - len(missed)}/{len(rows)}; "
                   f"first failure median {statistics.median(first):.1f} s, worst {max(first):.1f} s "
                   f"(target median <= {TARGET_FIRST_S:.0f} s); shrunk median {statistics.median(shrunk):.1f} s, "
                   f"worst {max(shrunk):.1f} s (target median <= {TARGET_SHRUNK_S:.0f} s)")
        out += [f"  missed: {d.fault} under seed {d.seed} (rerun: {SEEDS_ENV}={d.seed})" for d in missed]
    return out


def to_json(rows: Sequence[Detection]) -> dict[str, Any]:
    """The table as data: every run, and the summary numbers."""
    first = [d.first_s if d.first_s is not None else d.total_s for d in rows]
    shrunk = [d.shrunk_s if d.shrunk_s is not None else d.total_s for d in rows]
    return {"runs": [d.as_dict() for d in sorted(rows, key=lambda d: (d.fault, d.seed))],
            "caught": sum(d.caught for d in rows), "total": len(rows),
            "first_s_median": statistics.median(first) if rows else None, "first_s_worst": max(first, default=None),
            "shrunk_s_median": statistics.median(shrunk) if rows else None,
            "shrunk_s_worst": max(shrunk, default=None),
            "targets": {"first_s_median": TARGET_FIRST_S, "shrunk_s_median": TARGET_SHRUNK_S}}


def from_dict(data: dict[str, Any]) -> Detection:
    """A Detection back from ``as_dict`` (pytest-xdist workers send plain data)."""
    return Detection(**{**data, "rules": tuple(data.get("rules", ()))})


__all__ = ["NO_SHRINK_ENV", "SEEDS_ENV", "Detection", "detect", "from_dict", "seeds", "shrinking", "summary_lines",
           "table_lines", "to_json"]
