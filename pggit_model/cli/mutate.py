"""``pggit-model mutate``: generate mutants of the reference backend's SQL, run the machines against each (or a
seeded sample) and print the mutation score and the survivors (pggit_model.mutation)."""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from .. import profiles
from ..cluster import start_server
from ..mutation import OPERATORS, Mutant, generate
from ..mutation.report import (
    EQUIVALENTS,
    MutationInputError,
    compare,
    load_equivalents,
    load_result_list,
    load_results,
    summary,
    to_json,
    write_json,
)
from ..mutation.runner import Result, RunConfig, run_all
from ..mutation.worker import DEFAULT_MACHINES


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    p = sub.add_parser("mutate", help="mutation analysis: mutants of the reference SQL, the machines run against "
                       "each, the score and the survivors")
    p.add_argument("--list", action="store_true", help="only list the mutants (id and diff) and the count per operator")
    p.add_argument("--profile", default="smoke", help=f"Hypothesis profile: {', '.join(profiles.PROFILES)}")
    p.add_argument("--machines", default=",".join(DEFAULT_MACHINES), metavar="A,B",
                   help="machines to run, in order (default: every machine sharing the server)")
    p.add_argument("--only", action="append", metavar="ID", help="run only this mutant (repeatable)")
    p.add_argument("--operator", action="append", metavar="OP", help=f"only these operators: {', '.join(OPERATORS)}")
    p.add_argument("--sample", type=int, metavar="N", help="a random sample of N mutants (with --seed)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample and of the machines' draws (default 0)")
    p.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    p.add_argument("--timeout", type=float, default=180.0, metavar="S", help="time cap per mutant (default 180 s)")
    p.add_argument("--budget", type=float, metavar="S", help="start no mutant after S seconds of the run; with "
                   "--sample, the mutants run are then the --sample M run of the same seed (M the number done)")
    p.add_argument("--nice", type=int, default=0, metavar="N", help="run the workers under nice -n N")
    stop = p.add_mutually_exclusive_group()
    stop.add_argument("-x", "--exitfirst", action="store_true", default=True,
                      help="per mutant, stop at the first machine that catches it (default)")
    stop.add_argument("--keep-going", action="store_true", help="per mutant, run every machine (which ones catch it)")
    p.add_argument("--equivalents", default=str(EQUIVALENTS), metavar="FILE",
                   help="TOML [equivalent] id = why; those mutants are skipped (default: the bundled list)")
    p.add_argument("--json", default=".pggit-model/mutation.json", metavar="FILE", help="where the results go")
    p.add_argument("--compare", metavar="FILE", help="an earlier --json file: print the verdicts that changed")
    p.add_argument("--show", metavar="FILE", help="run nothing: the summary of an earlier --json file, less the "
                   "mutants the equivalents file now lists (for triage)")
    p.add_argument("--pg-dsn", metavar="DSN", help="existing PostgreSQL server (superuser) instead of a throwaway "
                   "cluster")
    p.add_argument("--pg-bindir", metavar="DIR", help="PostgreSQL server binaries for the throwaway cluster")
    return p


def select(mutants: tuple[Mutant, ...], args: argparse.Namespace, equivalent: dict[str, str]) -> list[Mutant]:
    """The mutants to run: --only ids (checked), else the operators asked for, less the equivalents, sampled."""
    if args.only:
        by_id = {m.id: m for m in mutants}
        unknown = [i for i in args.only if i not in by_id]
        if unknown:
            raise MutationInputError(f"no mutant with id {', '.join(unknown)}; list them with `pggit-model mutate "
                                     "--list` (ids are file:operator:anchor:n)")
        return [by_id[i] for i in args.only]
    bad = [o for o in args.operator or () if o not in OPERATORS]
    if bad:
        raise MutationInputError(f"unknown operator {', '.join(bad)}; choose from {', '.join(OPERATORS)}")
    chosen = [m for m in mutants if m.id not in equivalent and (not args.operator or m.operator in args.operator)]
    if args.sample is not None:
        if args.sample <= 0:
            raise MutationInputError(f"--sample must be positive, got {args.sample}")
        # In draw order: random.sample draws one index at a time, so the first M of a --sample N run are the --sample M
        # run of the same seed, and a run cut short by --budget (or stopped) is itself a seeded random sample.
        chosen = [chosen[i] for i in random.Random(args.seed).sample(range(len(chosen)), min(args.sample, len(chosen)))]
    return chosen


def mutate_cmd(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """0 when every run mutant was caught, 1 when some survived or timed out, 2 on bad input."""
    def say(msg: str) -> None:
        print(msg, file=out or sys.stdout, flush=True)

    mutants = generate()
    counts = Counter(m.operator for m in mutants)
    say(f"{len(mutants)} mutants: " + ", ".join(f"{op} {counts[op]}" for op in OPERATORS))
    equivalent = load_equivalents(Path(args.equivalents), mutants)
    if args.list:
        for m in mutants:
            say(f"{m.id}{'  (equivalent)' if m.id in equivalent else ''}\n{m.diff()}")
        return 0
    if args.show:
        return _show(Path(args.show), mutants, equivalent, say)
    profiles.check(args.profile)
    if args.jobs < 1 or args.timeout <= 0 or (args.budget is not None and args.budget <= 0):
        raise MutationInputError("--jobs must be at least 1, --timeout and --budget positive")
    old = load_results(Path(args.compare)) if args.compare else None
    chosen = select(mutants, args, equivalent)
    machines = tuple(args.machines.split(","))
    say(f"running {len(chosen)} mutants ({len(equivalent)} equivalent skipped) with profile {args.profile}, "
        f"seed {args.seed}, {args.jobs} job(s), cap {args.timeout:.0f} s each; machines: {', '.join(machines)}")
    server = start_server(args.pg_dsn, args.pg_bindir)
    t0 = time.monotonic()
    by_id = {m.id: m for m in mutants}
    done: list[Result] = []

    def save() -> None:
        # after every verdict, so a run stopped early (a deadline, a crash of the host) keeps what it measured
        meta = {"profile": args.profile, "seed": args.seed, "machines": list(machines), "timeout": args.timeout,
                "sample": args.sample if len(done) == len(chosen) else len(done), "generated": len(mutants),
                "per_operator": dict(counts), "equivalent": len(equivalent),
                "seconds": round(time.monotonic() - t0, 1)}
        write_json(Path(args.json), to_json(done, by_id, meta))

    try:
        config = RunConfig(server.conninfo("postgres"), machines, args.profile, args.seed, args.timeout,
                           args.pg_bindir, args.nice, args.keep_going)

        def progress(i: int, m: Mutant, r: Result) -> None:
            what = f" {r.machine} {r.rule}".rstrip() if r.verdict == "killed" else ""
            say(f"[{i + 1}/{len(chosen)}] {r.id} {r.verdict}{what} ({r.seconds:.0f} s)")
            done.append(r)
            save()

        def over_budget() -> bool:
            return args.budget is not None and time.monotonic() - t0 > args.budget

        results = run_all(chosen, config, args.jobs, progress, over_budget)
    finally:
        server.close()
    if len(results) < len(chosen):
        say(f"--budget {args.budget:.0f} s spent: {len(results)} of {len(chosen)} mutants run"
            + (f" (the --sample {len(results)} --seed {args.seed} run)" if args.sample is not None else ""))
    for line in summary(results, by_id, len(equivalent)):
        say(line)
    if old is not None:
        for line in compare(old, results) or [f"no verdict changed since {args.compare}"]:
            say(line)
    save()
    say(f"results written to {args.json} ({time.monotonic() - t0:.0f} s)")
    return 0 if all(r.caught for r in results) else 1



def _show(path: Path, mutants: tuple[Mutant, ...], equivalent: dict[str, str], say: Callable[[str], None]) -> int:
    by_id = {m.id: m for m in mutants}
    earlier = load_result_list(path)
    gone = [r.id for r in earlier if r.id not in by_id]
    if gone:
        raise MutationInputError(f"{path}: {len(gone)} mutant(s) no longer generated ({', '.join(gone[:3])}…): the "
                                 "reference or the operators changed since that run; run the mutants again")
    results = [r for r in earlier if r.id not in equivalent]
    for line in summary(results, by_id, len(earlier) - len(results)):
        say(line)
    return 0 if all(r.caught for r in results) else 1
