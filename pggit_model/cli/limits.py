"""``pggit-model limits --size short|full``: contract §15's limits L1–L4 against one backend, with a verdict per
rule (pggit_model.limits). Exit 0 when every measured rule holds, 1 when one fails, 2 on bad input."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from typing import TextIO

import psycopg

from .. import known
from ..cluster import drop_database, start_server
from ..isolation import Template
from ..limits import LimitsInputError, Sizes, Verdict, check_sizes
from ..limits.inputs import run_inputs
from ..limits.memory import run_memory
from ..limits.scale import run_scale
from ..limits.sessions import run_sessions

PARTS = ("L1", "L2", "L3", "L4")
#: connections the throwaway cluster keeps beyond L3's sessions (template, clones, observation, margin)
SPARE_CONNECTIONS = 20


def _ints(option: str) -> Callable[[str], tuple[int, ...]]:
    def parse(text: str) -> tuple[int, ...]:
        try:
            return tuple(int(x) for x in text.split(","))
        except ValueError:
            raise argparse.ArgumentTypeError(f"--{option} takes whole numbers separated by commas, "
                                             f"got {text!r}") from None
    return parse


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser],
               common: object) -> argparse.ArgumentParser:
    p = sub.add_parser("limits", help="contract §15 L1–L4: pgGit's cost per DDL at scale, large inputs, 100 "
                       "sessions, a backend's memory over long sessions; a verdict per rule")
    common(p)  # type: ignore[operator]
    p.add_argument("--size", default="short", help="short (seconds; the default tests) or full (the contract's "
                   "sizes: 10 000 objects, 1 000 branches, 100 sessions, 10 000 cycles; the weekly tier)")
    p.add_argument("--only", default=",".join(PARTS), metavar="L1,L2,…", help="which parts (default: all)")
    p.add_argument("--objects", type=_ints("objects"), metavar="N,N,…", help="L1's tracked-object sizes")
    p.add_argument("--branches", type=_ints("branches"), metavar="N,N,…", help="L1's branch counts")
    p.add_argument("--sessions", type=int, metavar="N", help="L3's sessions (2–100)")
    p.add_argument("--cycles", type=int, metavar="N", help="L4's cycles (the baseline is a tenth of them)")
    p.add_argument("--repeats", type=int, metavar="N", help="L1's measured repetitions per size")
    p.add_argument("--known", metavar="FILE", help="known-divergence registry (as --pggit-known): L2 explores past "
                   "the divergences it lists, as a machine run does")
    return p


def parts_of(text: str) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(x.strip().upper() for x in text.split(",") if x.strip()))
    wrong = [x for x in chosen if x not in PARTS]
    if wrong or not chosen:
        raise LimitsInputError(f"--only takes some of {','.join(PARTS)}, got {text!r}")
    return chosen


def _sizes(args: argparse.Namespace) -> Sizes:
    return check_sizes(args.size, objects=args.objects, branches=args.branches, sessions=args.sessions,
                       cycles=args.cycles, repeats=args.repeats)


def limits_cmd(args: argparse.Namespace, out: TextIO | None = None, argv: Sequence[str] | None = None) -> int:
    """Every input checked before a server starts; then each chosen part, its lines and verdicts printed."""
    def say(msg: str) -> None:
        print(msg, file=out or sys.stdout, flush=True)

    sizes, parts = _sizes(args), parts_of(args.only)
    registry = known.load(args.known)
    say("$ pggit-model " + shlex.join(list(argv) if argv is not None else sys.argv[1:]))
    say(f"sizes ({args.size}): objects {sizes.objects}, branches {sizes.branches}, {sizes.repeats} repetitions "
        f"after {sizes.warmup} warm-up; L2 {sizes.columns} columns, {sizes.text_bytes // 1024} kB texts, "
        f"{sizes.inputs_objects} objects; L3 {sizes.sessions} sessions × {sizes.seconds:g} s; L4 {sizes.cycles} "
        f"cycles (baseline after {sizes.baseline})")
    limit = max(100, sizes.sessions + SPARE_CONNECTIONS)
    server = start_server(args.pg_dsn, args.pg_bindir, settings={"max_connections": str(limit)})
    template = None
    verdicts: list[Verdict] = []
    try:
        template = Template(server, args.pggit_source)
        say(f"backend: {template.report.backend} {template.report.version}; PostgreSQL {server.version}")
        for part in parts:
            t0 = time.monotonic()
            lines, got = _run_part(part, template, sizes, registry)
            verdicts += got
            for line in lines:
                say(line)
            say(f"  ({part} took {time.monotonic() - t0:.1f} s)")
    finally:
        if template is not None:
            template.close()
        server.close()
    failed = [v.rule for v in verdicts if v.ok is False]
    unmeasured = [v.rule for v in verdicts if v.ok is None]
    say(f"limits: {sum(v.ok is True for v in verdicts)} passed, {len(failed)} failed"
        + (f" ({', '.join(failed)})" if failed else "")
        + (f", {len(unmeasured)} not measured ({', '.join(unmeasured)})" if unmeasured else ""))
    return 1 if failed else 0


def _run_part(part: str, template: Template, sizes: Sizes,
              registry: known.Registry) -> tuple[list[str], list[Verdict]]:
    srv = template.server
    if part == "L1":
        r1 = run_scale(srv, template, sizes)
        return r1.lines(), list(r1.verdicts)
    if part == "L2":
        r2 = run_inputs(srv, template, sizes, known=registry)
        return r2.lines(), [r2.verdict]
    if part == "L3":
        db = template.clone("l3")
        try:
            r3 = run_sessions(srv.conninfo(db), sizes.sessions, sizes.seconds)
        finally:
            with contextlib.suppress(psycopg.Error):
                drop_database(srv, db)
        return r3.lines(), list(r3.verdicts)
    r4 = run_memory(srv, template, sizes)
    if isinstance(r4, str):
        v = Verdict("L4", None, float("nan"), 50.0, r4)
        return [f"  {v.line()}"], [v]
    return r4.lines(), [r4.verdict]
