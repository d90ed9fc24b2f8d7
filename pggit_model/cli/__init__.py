"""``pggit-model``: doctor (is this machine ready?), run (the machines, with a profile), replay, regress (a pg_regress
pair), triage, known lint, load (many sessions at once), mutate (mutation analysis of the reference),
limits (contract §15 L1–L4) and bench (benchmarks as JSON, compared with a run before)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import psycopg

from .. import __version__, known, profiles, shards
from ..cluster import ExternalServer, ThrowawayCluster, find_binaries, mask_dsn, start_server
from ..errors import PggitModelError
from ..install import CONTRACT_FUNCTIONS, check_source
from ..isolation import Template


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pg-dsn", default=os.environ.get("PGGIT_MODEL_DSN"), metavar="DSN",
                   help="existing PostgreSQL server (superuser) instead of a throwaway cluster [env PGGIT_MODEL_DSN]")
    p.add_argument("--pg-bindir", default=os.environ.get("PGGIT_MODEL_PG_BINDIR"), metavar="DIR",
                   help="PostgreSQL server binaries for the throwaway cluster [env PGGIT_MODEL_PG_BINDIR]")
    p.add_argument("--pggit-source", default=os.environ.get("PGGIT_SOURCE"), metavar="DIR",
                   help="pgGit source checkout to install; default: the bundled reference backend [env PGGIT_SOURCE]")


def doctor(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Check binaries, a cluster start and the backend install; return 0 when ready, 1 with a fix otherwise."""

    def say(msg: str) -> None:
        print(msg, file=out or sys.stdout, flush=True)

    say(f"pggit-model {__version__}")
    server: ThrowawayCluster | ExternalServer | None = None
    template: Template | None = None
    try:
        if args.pggit_source:
            check_source(args.pggit_source)
        if args.pg_dsn:
            say(f"server: existing, {mask_dsn(args.pg_dsn)}")
        else:
            bins = find_binaries(args.pg_bindir)
            say(f"PostgreSQL binaries: {bins.bindir} (version {bins.version})")
        t0 = time.monotonic()
        server = start_server(args.pg_dsn, args.pg_bindir)
        where = f"at {server.root}" if isinstance(server, ThrowawayCluster) else "reached"
        say(f"server: PostgreSQL {server.version} {where} in {time.monotonic() - t0:.2f} s")
        template = Template(server, args.pggit_source)
        say("backend: " + template.report.summary())
    except PggitModelError as e:
        say(f"PROBLEM: {e}")
        return 1
    finally:
        if template is not None:
            template.close()
        if server is not None:
            server.close()
            if isinstance(server, ThrowawayCluster):
                say(f"server: stopped; {server.root} removed")
    report = template.report
    if not report.present:
        say("PROBLEM: no contract function of pgGit exists after the install; fix: check the install log above, "
            "or that --pggit-source points at pgGit")
        return 1
    if report.missing or report.missing_parts:
        parts = len(report.missing_parts)
        what = [f"{len(report.missing)} contract functions missing"] if report.missing else []
        what += [f"{parts} contract tables/columns/sequences missing"] if parts else []
        say(f"note: {', '.join(what)} — findings; machines skip the rules they block: "
            f"{' '.join(report.blocked_rules)}")
    say(f"ready: {len(report.present)}/{len(CONTRACT_FUNCTIONS)} contract functions present"
        + (f", {len(report.missing_parts)} tables/columns/sequences missing" if report.missing_parts else "")
        + f"; {report.backend} version {report.version}")
    return 0


def run(args: argparse.Namespace, extra: Sequence[str]) -> int:
    """Run the machines with pytest and a Hypothesis profile."""
    import pytest

    profiles.check(args.profile)
    if args.shard:
        shards.parse(args.shard)  # (a bad I/N is one line and exit 2, before pytest starts)
    machines = Path(args.machines)
    if not machines.is_dir():
        print(f"PROBLEM: no machines directory at {machines}; run from a pggit-model checkout or pass --machines DIR",
              file=sys.stderr)
        return 2
    if args.pggit_source:  # a checkout without sql/install.sql is one line and exit 2, not a pytest usage error
        check_source(args.pggit_source)
    # The plugin comes by its entry point; hypothesis is imported already, which pytest would warn about.
    if getattr(args, "pggit_upgrade_from", None):  # a bad DIR is one line and exit 2, before pytest starts
        from ..upgrade import check_upgrade
        note = check_upgrade(args.pggit_upgrade_from, args.pggit_source)
        if note:
            print(f"pggit-model: {note}", file=sys.stderr)
    argv = [str(machines), f"--hypothesis-profile={args.profile}", "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    for opt in ("pg_dsn", "pg_bindir", "pggit_source", "pggit_upgrade_from"):
        if getattr(args, opt):
            argv.append(f"--{opt.replace('_', '-')}={getattr(args, opt)}")
    if args.shard:
        argv.append(f"--pggit-shard={args.shard}")
    return int(pytest.main([*argv, *xdist_args(args.jobs, extra), *extra]))


def xdist_args(jobs: str, extra: Sequence[str] = ()) -> list[str]:
    """pytest-xdist's arguments for ``--jobs``: one worker per core by default (each with its own throwaway
    cluster), work stealing so that a long machine does not leave a core idle; none for 0 or 1, when pytest-xdist
    is not installed (the run goes on in one process) or when the pytest arguments choose already."""
    if jobs in ("0", "1") or any(
        a in ("no:xdist", "--numprocesses") or a.startswith(("-n", "--numprocesses=")) for a in extra):
        return []
    if jobs != "auto" and not (jobs.isdigit() and int(jobs) > 1):
        raise PggitModelError(f"--jobs {jobs!r}: pass a number of workers or 'auto' (one per core)")
    try:
        import xdist  # noqa: F401
    except ImportError:
        print("pggit-model: pytest-xdist is not installed (pip install 'pggit-model[test]'): running the machines "
              "in one process", file=sys.stderr)
        return []
    return ["-n", jobs, "--dist", "worksteal"]


def replay_cmd(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Replay a run.json or replay.sql: 0 when the recorded verdict comes back, 1 when not, 2 on bad input."""
    from .. import replay as rp
    from ..store import load_run

    def say(msg: str, err: bool = False) -> None:
        print(msg, file=(sys.stderr if err else out or sys.stdout), flush=True)

    if args.pggit_source and args.reference:
        say("pggit-model: pass --pggit-source DIR or --reference, not both", err=True)
        return 2
    run = load_run(args.file)
    registry = known.load(args.known) if args.known else run.registry
    chosen, warnings = rp.check_backend(run, args.pggit_source, reference=args.reference)
    for w in warnings:
        say(f"warning: {w}", err=True)
    say(f"replaying {run.id} ({run.machine}, {len(run.ops)} steps, recorded: {run.verdict or 'no verdict'}) "
        f"against {'the reference backend' if chosen is None else chosen}")
    if registry.entries:
        say(f"exploring past {len(registry.entries)} known divergence(s) ({registry.source})")
    server = start_server(args.pg_dsn, args.pg_bindir)
    try:
        result = rp.replay(run, server, chosen, reference=chosen is None, registry=registry)
    finally:
        server.close()
    say(result.summary())
    return 0 if result.reproduced else 1


def regress_cmd(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Write a run's pg_regress pair (expected output from a fresh reference install) and, with --check or for a
    run recorded against pgGit, run it there: 0 when it fails there as it should, 1 when it passes, 2 bad input."""
    from .. import regress
    from ..store import load_run

    def say(msg: str) -> None:
        print(msg, file=out or sys.stdout, flush=True)

    run = load_run(args.file)
    outdir = Path(args.out) if args.out else Path(args.file).resolve().parent
    against = args.check or (run.source if run.backend != "reference" and not args.no_check else None)
    if against and not Path(against).is_dir():
        raise PggitModelError(f"{against} is not a directory; pass --check DIR (a pgGit checkout) or --no-check")
    server = start_server(args.pg_dsn, args.pg_bindir)
    try:
        sql_file, expected = regress.make_pair(run, server, outdir)
        say(f"wrote {sql_file} and {expected} (passes on two fresh installs of the reference backend)")
        if not against:
            return 0
        result = regress.check_pair(server, outdir, run.id, against)
    finally:
        server.close()
    if result.passed:
        say(f"PASSES on {against}: the pair does not show the failure there")
        return 1
    say(f"FAILS on {against}, as it should; the diff (what the contract expects: -, what it did: +):")
    for line in result.diff.splitlines()[:args.lines]:
        say("  " + line)
    return 0


def triage_cmd(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """One line per distinct divergence in a results folder (and saved Hypothesis examples nobody recorded)."""
    from ..store import find_runs
    from .triage import example_db_lines, match_known, triage_lines

    results = Path(args.dir)
    if not results.is_dir():
        print(f"pggit-model: {results} is not a directory; pass the --pggit-results folder (default .pggit-model/)",
              file=sys.stderr)
        return 2
    registry = known.load(args.known)
    runs = find_runs(results)
    lines = triage_lines(runs, registry)
    lines += example_db_lines(Path(args.examples), runs)
    for line in lines:
        print(line, file=out or sys.stdout)
    if not lines:
        print(f"no recorded divergences under {results}", file=out or sys.stdout)
    if registry.entries:  # entries no recorded failure is an instance of: fixed upstream, or too narrow now?
        covering = {e.id for e in (match_known(r, registry) for r in runs) if e is not None}
        for line in known.stale_lines(registry, covering):
            print(line.replace("matched nothing", f"covers no failure recorded under {results}"),
                  file=out or sys.stdout)
    return 0


def known_cmd(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """``known lint FILE``: 0 when every entry is a fingerprint, 1 with one line per problem (file:line)."""
    from ..known_lint import lint_file
    from ..store import find_runs

    runs = []
    for folder in args.runs or ():
        if not Path(folder).is_dir():
            print(f"pggit-model: {folder} is not a directory; pass a results folder (--pggit-results) to --runs",
                  file=sys.stderr)
            return 2
        runs += find_runs(folder)
    registry, findings = lint_file(args.file, runs)
    failing = [f for f in findings if args.strict or f.kind != "unspecific"]
    for f in findings:
        print(f.render(args.file), file=out or sys.stdout)
    counts = {k: sum(f.kind == k for f in findings) for k in ("broad", "unspecific", "overlap", "unknown-op")}
    print(f"{len(registry.entries)} entries; " + ", ".join(f"{n} {k}" for k, n in counts.items())
          + (f"; checked against {len(runs)} recorded failure(s)" if runs else ""), file=out or sys.stdout)
    return 1 if failing else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pggit-model", description="Model-check pgGit against its contract.")
    parser.add_argument("--version", action="version", version=f"pggit-model {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("doctor", help="check PostgreSQL binaries, a throwaway cluster and the backend install")
    _common(d)
    r = sub.add_parser("run", help="run the state machines (pytest machines/) with a Hypothesis profile")
    _common(r)
    r.add_argument("--profile", default="smoke", help=f"Hypothesis profile: {', '.join(profiles.PROFILES)}")
    r.add_argument("--machines", default="machines", help="directory of the machines (default: ./machines)")
    r.add_argument("--pggit-upgrade-from", metavar="DIR",
                   help="upgrade mode (U2): examples start on this older pgGit checkout and are upgraded to "
                   "--pggit-source (or the reference) mid-example; see docs/drift.md")
    r.add_argument("--jobs", "-j", default=os.environ.get("PGGIT_MODEL_JOBS", "auto"), metavar="N",
                   help="machines run side by side in N pytest-xdist workers, each with its own throwaway cluster: "
                   "a number, 'auto' (one per core; the default) or 1 (one process) [env PGGIT_MODEL_JOBS]")
    r.add_argument("--shard", default=os.environ.get("PGGIT_MODEL_SHARD"), metavar="I/N",
                   help="only the I-th of N shards of the machines, for a CI job matrix (each machine in exactly "
                   "one shard, balanced by cost; docs/ci.md) [env PGGIT_MODEL_SHARD]")
    rp = sub.add_parser("replay", help="rerun a recorded failure (run.json or replay.sql) and say if it reproduces")
    rp.add_argument("file", metavar="FILE", help="run.json or replay.sql from a results folder")
    rp.add_argument("--pg-dsn", default=os.environ.get("PGGIT_MODEL_DSN"), metavar="DSN",
                    help="existing PostgreSQL server (superuser) instead of a throwaway cluster [env PGGIT_MODEL_DSN]")
    rp.add_argument("--pg-bindir", default=os.environ.get("PGGIT_MODEL_PG_BINDIR"), metavar="DIR",
                    help="PostgreSQL server binaries for the throwaway cluster [env PGGIT_MODEL_PG_BINDIR]")
    rp.add_argument("--pggit-source", metavar="DIR",
                    help="replay against this pgGit checkout (default: the backend the run was recorded against)")
    rp.add_argument("--reference", action="store_true",
                    help="replay against the bundled reference backend (e.g. a run recorded against pgGit)")
    rp.add_argument("--known", metavar="FILE",
                    help="explore past these known divergences (TOML or JSON registry) instead of those recorded "
                    "with the run")
    t = sub.add_parser("triage", help="one line per distinct recorded divergence: id, rule, op kind, steps, known/new")
    t.add_argument("dir", metavar="DIR", help="results folder (--pggit-results, default .pggit-model/)")
    t.add_argument("--known", metavar="FILE", help="registry of known divergences (TOML or JSON, as for "
                   "--pggit-known): their failures are marked known/fixed/wontfix instead of new")
    t.add_argument("--examples", default=".hypothesis/examples", metavar="DIR",
                   help="Hypothesis example database to look in (default: .hypothesis/examples)")
    rg = sub.add_parser("regress", help="write a run's pg_regress pair (sql/<id>.sql, expected/<id>.out) for "
                        "pgGit's make installcheck, and check that it fails on pgGit")
    rg.add_argument("file", metavar="FILE", help="run.json or replay.sql (hand-written scripts too)")
    rg.add_argument("--out", metavar="DIR", help="where sql/ and expected/ go (default: the file's folder)")
    rg.add_argument("--check", metavar="DIR", help="also run the pair against this pgGit checkout (default: the "
                    "checkout a pgGit run was recorded against)")
    rg.add_argument("--no-check", action="store_true", help="only write the pair")
    rg.add_argument("--lines", type=int, default=40, help="diff lines to print (default 40)")
    rg.add_argument("--pg-dsn", default=os.environ.get("PGGIT_MODEL_DSN"), metavar="DSN",
                    help="existing PostgreSQL server (superuser) instead of a throwaway cluster [env PGGIT_MODEL_DSN]")
    rg.add_argument("--pg-bindir", default=os.environ.get("PGGIT_MODEL_PG_BINDIR"), metavar="DIR",
                    help="PostgreSQL server binaries for the throwaway cluster [env PGGIT_MODEL_PG_BINDIR]")
    from .load import add_parser as add_load
    add_load(sub, _common)
    from .mutate import add_parser as add_mutate
    add_mutate(sub)
    from .limits import add_parser as add_limits
    add_limits(sub, _common)
    from .bench import add_parser as add_bench
    add_bench(sub)
    k = sub.add_parser("known", help="check a known-divergence registry")
    ksub = k.add_subparsers(dest="known_command", required=True)
    kl = ksub.add_parser("lint", help="flag broad entries (a rule only), unspecific ones and overlapping ones")
    kl.add_argument("file", metavar="FILE", help="registry (TOML or JSON, as for --pggit-known)")
    kl.add_argument("--runs", metavar="DIR", action="append",
                    help="results folder whose recorded failures two entries must not both cover (repeatable)")
    kl.add_argument("--strict", action="store_true", help="also fail on entries without an op kind or a match")
    args, extra = parser.parse_known_args(argv)
    try:
        if args.command == "run":
            # The rest goes to pytest; a `--` before it (as other wrappers take) would make pytest read paths.
            return run(args, extra[1:] if extra[:1] == ["--"] else extra)
        if extra:
            parser.error(f"unrecognized arguments: {' '.join(extra)}")
        if args.command == "load":
            from .load import load_cmd
            return load_cmd(args)
        if args.command == "mutate":
            from .mutate import mutate_cmd
            return mutate_cmd(args)
        if args.command == "limits":
            from .limits import limits_cmd
            return limits_cmd(args, argv=argv)
        if args.command == "bench":
            from .bench import bench_cmd
            return bench_cmd(args)
        commands = {"known": known_cmd, "replay": replay_cmd, "triage": triage_cmd, "regress": regress_cmd,
                    "doctor": doctor}
        return commands[args.command](args)
    except PggitModelError as e:
        print(f"pggit-model: {e}", file=sys.stderr)
        return 2
    except psycopg.Error as e:  # the server refused something the input asked for: say what, not where in us
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        print(f"pggit-model: the server refused the {args.command}: {first} (SQLSTATE {e.sqlstate}); check the "
              f"input file{'' if args.command != 'replay' else ' (its schema and statements)'} and the server",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        print("pggit-model: interrupted; servers stopped and removed", file=sys.stderr)
        return 128 + getattr(e, "signum", 2)


if __name__ == "__main__":
    raise SystemExit(main())
