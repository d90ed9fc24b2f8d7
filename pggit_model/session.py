"""The session's record: what the runs of this process did (RunStats), which failures they recorded and where,
and the --pggit-report markdown summary. The loop (driver, machine) depends on this module, never on replay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from . import known as kn
from .divergences import Divergence
from .install import InstallReport
from .ops import Op
from .rules import base
from .runs import root_fingerprint
from .store import load_run, record_failure


@attrs.define
class RunStats:
    """What a pytest session did, for the closing summary."""

    steps: int = 0
    examples: int = 0
    skipped_unspecified: int = 0
    skipped_missing: int = 0
    #: rule id -> checks made of it (a step's Expected cites its rules; the state check cites INVARIANT_RULES)
    rules: Counter[str] = attrs.field(factory=Counter, converter=Counter)  # a set or list of ids counts each once
    divergences: dict[str, str] = attrs.Factory(dict)  # "machine:rule" -> first line
    missing_functions: dict[str, tuple[str, ...]] = attrs.Factory(dict)
    machines: dict[str, int] = attrs.Factory(dict)  # machine -> steps
    mutants: dict[str, tuple[int, list[str]]] = attrs.Factory(dict)  # mutant -> (shrunk steps, rules caught)
    #: "fault seed" -> detection.Detection.as_dict(): the fault x seed table of tox -e mutants
    detections: dict[str, dict[str, Any]] = attrs.Factory(dict)
    known: dict[str, int] = attrs.Factory(dict)  # known-divergence id -> times seen (and explored past)
    faults_fired: int = 0
    #: machine -> rules of its RULES list a coverage-checked run never exercised
    gaps: dict[str, list[str]] = attrs.Factory(dict)
    #: labelled goal -> (times reached, steps of the shortest example, that example's ops); pggit_model.goals
    goals: dict[str, tuple[int, int, str]] = attrs.Factory(dict)
    #: the harness's resident memory (kB) when it started and when the run ended; summed over pytest-xdist's
    #: processes like every number here, so it is the whole harness's
    rss_start_kb: int = 0
    rss_end_kb: int = 0

    @property
    def blocked_rules(self) -> set[str]:
        """Rules a missing contract part blocks (I4): not exercised, though the state check counts them every step
        (against pgGit 0.1.0, without pggit.objects, that claimed O1, V5–V14)."""
        return {r for rules in self.missing_functions.values() for r in rules}


def rss_kb() -> int:
    """This process's resident memory in kB (VmRSS of /proc/self/status); 0 where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def rss_line(stats: RunStats) -> str:
    """The harness's memory at start and at end (issue 20: it must stay flat over a long run)."""
    start, end = stats.rss_start_kb / 1024, stats.rss_end_kb / 1024
    return f"harness memory (RSS): {start:.0f} MB at start, {end:.0f} MB at end ({end - start:+.0f} MB)"


#: The session's totals (per process; pytest-xdist workers hand theirs to the controller). Created when the
#: harness is imported, which is when it starts.
STATS = RunStats(rss_start_kb=rss_kb())


@attrs.define
class Recorded:
    """One failure this session recorded, for the --pggit-report summary."""

    machine: str
    id: str
    rule: str
    step: int | None
    steps: int
    message: str
    folder: Path
    #: runs.root_fingerprint: the same shrunk example whichever machine found it ("" = its own root)
    root: str = ""
    op: str = "-"


@attrs.define
class SessionRecord:
    """Per machine: its own RunStats and the failures it recorded (the session's STATS holds the totals)."""

    machines: dict[str, RunStats] = attrs.Factory(dict)
    failures: list[Recorded] = attrs.Factory(list)


SESSION = SessionRecord()


def merge_stats(into: RunStats, part: RunStats) -> None:
    """Add ``part``'s counts, sets and maps to ``into`` (numbers add up, per-machine step counts too)."""
    for f in attrs.fields(RunStats):
        mine, theirs = getattr(into, f.name), getattr(part, f.name)
        if isinstance(mine, int):
            setattr(into, f.name, mine + theirs)
        elif isinstance(mine, Counter):
            mine.update(theirs)
        elif f.name == "goals":  # times add up; the shorter example stays
            for goal, (count, steps, text) in theirs.items():
                had = mine.get(goal, (0, 0, ""))
                shorter = (steps, text) if not had[0] or steps < had[1] else had[1:]
                mine[goal] = (had[0] + count, *shorter)
        elif isinstance(mine, dict) and f.name in ("machines", "known"):  # counts add up
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        elif isinstance(mine, dict):
            mine.update(theirs)


def stats_to_data(stats: RunStats) -> dict[str, Any]:
    """RunStats as plain data (pytest-xdist's workeroutput goes through execnet: dicts, lists, no Counters)."""
    return {f.name: dict(v) if isinstance(v := getattr(stats, f.name), Counter) else v
            for f in attrs.fields(RunStats)}


def stats_from_data(data: Mapping[str, Any]) -> RunStats:
    fields: dict[str, Any] = {k: Counter(v) if k == "rules" else v for k, v in data.items()}
    fields["goals"] = {g: tuple(v) for g, v in fields.get("goals", {}).items()}
    fields["mutants"] = {m: (v[0], list(v[1])) for m, v in fields.get("mutants", {}).items()}
    fields["missing_functions"] = {s: tuple(v) for s, v in fields.get("missing_functions", {}).items()}
    return RunStats(**fields)


def session_to_data(record: SessionRecord) -> dict[str, Any]:
    """A worker's SessionRecord as plain data, for the controller's --pggit-report (paths as text)."""
    return {"machines": {name: stats_to_data(st) for name, st in record.machines.items()},
            "failures": [{**attrs.asdict(f), "folder": str(f.folder)} for f in record.failures]}


def merge_session(into: SessionRecord, data: Mapping[str, Any]) -> None:
    """Add a worker's per-machine counts and recorded failures (``session_to_data``) to ``into``."""
    for name, st in data.get("machines", {}).items():
        merge_stats(into.machines.setdefault(name, RunStats()), stats_from_data(st))
    into.failures += [Recorded(**{**f, "folder": Path(f["folder"])}) for f in data.get("failures", ())]


#: Profiles long enough that a machine must exercise every rule of its RULES list (else CoverageGap).
COVERAGE_PROFILES = ("ci", "nightly", "weekly")


def coverage_gaps(listed: Sequence[str], checked: Mapping[str, int]) -> list[str]:
    """The rules of a machine's list (ids like ``V10``) that no check cited, by itself or by a sub-rule (``V10k``)."""
    seen = {base(r) for r, n in checked.items() if n}
    return [r for r in listed if base(r) not in seen]


def rule_count_lines(checked: Mapping[str, int], all_rules: Sequence[str]) -> list[str]:
    """Checks per contract rule (sub-rules add to their rule), one line per family: ``V: V1 812, V2 812, …``."""
    counts: Counter[str] = Counter()
    for rule, n in checked.items():
        counts[base(rule)] += n
    lines = []
    for family in dict.fromkeys(r[0] for r in all_rules):
        lines.append(f"{family}: " + ", ".join(f"{r} {counts[r]}" for r in all_rules if r[0] == family))
    return lines


def _checks(checked: Mapping[str, int], rule: str, family_of: Any = base) -> int:
    return sum(n for r, n in checked.items() if family_of(r) == rule)


def hypothesis_context(machine: type, settings: Any = None) -> tuple[Any, str | None]:
    """The seed and profile a machine ran with, as far as Hypothesis exposes them."""
    import hypothesis
    import hypothesis.core

    seed = getattr(machine, "_hypothesis_internal_use_seed", None)
    if seed is None:
        seed = hypothesis.core.global_force_seed
    active = settings if settings is not None else hypothesis.settings.default
    if seed is None and getattr(active, "derandomize", False):
        seed = "derandomize"
    profile = hypothesis.settings.get_current_profile_name()
    return seed, profile if settings is None else f"{profile} (with settings given in code)"


@attrs.frozen
class Where:
    """What a recording needs to know about the run that found the divergences (the Harness fills it in)."""

    results: Path
    machine: str
    seed: Any
    profile: str | None
    report: InstallReport | None
    server_version: str | None
    schema: str | None
    isolation: str = "rollback"
    sequences: Mapping[str, int] = attrs.Factory(dict)
    registry: kn.Registry = kn.EMPTY
    #: the ops of the last example, for a divergence that does not carry its own
    last_ops: Sequence[Op] = ()
    #: a server to write each failure's pg_regress pair with (--pggit-regress); None: not written
    regress_server: Any = None


def record_divergences(where: Where, divergences: Sequence[Divergence]) -> list[str]:
    """Record each divergence of a machine run (files under ``where.results``, and this session's record);
    returns a note per divergence. A failure to write the files becomes the note: it must never hide the
    divergence itself."""
    notes = []
    for d in divergences:
        op_list = list(getattr(d, "ops", ())) or list(where.last_ops)
        try:
            folder = record_failure(where.results, machine=where.machine, divergence=d, profile=where.profile,
                                    seed=where.seed, report=where.report, server_version=where.server_version,
                                    schema=where.schema, isolation=where.isolation, ops=op_list,
                                    sequences=where.sequences, registry=where.registry)
            run = load_run(folder / "run.json")
        except Exception as e:
            notes.append(f"could not write the replay files under {where.results}: {type(e).__name__}: {e}")
            continue
        op = getattr(kn.struck(run.failing_op), "kind", "-")
        SESSION.failures.append(Recorded(where.machine, folder.name, d.rule, d.step, len(op_list),
                                         d.message.splitlines()[0] if d.message else "", folder,
                                         root=root_fingerprint(run), op=op))
        notes.append(f"replay files: {folder}/ (replay.sql, run.json, test_replay_{folder.name}.py); "
                     f"rerun with: pggit-model replay {folder}/run.json")
        if where.regress_server is not None:  # one note per divergence: the pair goes on the same one
            notes[-1] += "\n" + _regress_pair(run, where.regress_server, folder)
    return notes


def _regress_pair(run: Any, server: Any, folder: Path) -> str:
    """Write the run's pg_regress pair into its folder; the note says where, or why not (never raises: the
    divergence itself must not be hidden)."""
    from .regress import make_pair

    try:
        sql_file, expected = make_pair(run, server, folder)
    except Exception as e:
        return f"no pg_regress pair: {type(e).__name__}: {e}"
    return f"pg_regress pair: {sql_file.relative_to(folder)}, {expected.relative_to(folder)} under {folder}/"


def roots_table(failures: Sequence[Recorded]) -> list[str]:
    """One row per root (the same shrunk example from several machines is one bug): the stable id of its shortest
    example, rule, op kind, and the machines with their example counts."""
    if not failures:
        return []
    groups: dict[str, list[Recorded]] = {}
    for f in failures:
        groups.setdefault(f.root or f.id, []).append(f)
    lines = [f"{len(groups)} distinct root(s):", "", "| id | rule | op | steps | found by (examples) | divergence |",
             "|---|---|---|---|---|---|"]
    for group in groups.values():
        first = min(group, key=lambda f: (f.steps, f.id))
        counts: dict[str, int] = {}
        for f in group:
            counts[f.machine] = counts.get(f.machine, 0) + 1
        found = ", ".join(f"{m} x{n}" for m, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        message = first.message.replace("|", "\\|")
        lines.append(f"| `{first.id}` | {first.rule} | {first.op} | {first.steps} | {found} | {message} |")
    return [*lines, ""]


def markdown_report(session: SessionRecord, totals: RunStats, report_path: Path, all_rules: Sequence[str],
                    base: Any = lambda r: r) -> str:
    """Per machine: steps, examples, contract rules exercised, divergences with links to their replay files."""
    import os

    def link(folder: Path, name: str) -> str:
        target = os.path.relpath((folder / name).resolve(), report_path.resolve().parent)
        return f"[{name}]({target})"

    blocked = totals.blocked_rules
    lines = ["# pggit-model run", "",
             f"{totals.steps} steps, {totals.examples} examples, "
             f"{len({base(r) for r in totals.rules} & set(all_rules) - blocked)}/{len(all_rules)} contract rules "
             "exercised, "
             f"{len(session.failures)} divergences recorded.", ""]
    lines += [rss_line(totals) + ".", ""] if totals.rss_end_kb else []
    lines += roots_table(session.failures)
    if totals.goals:
        from .goals import goal_lines

        lines += ["Goals (labelled situations; the shortest example that reached each):", "",
                  *(f"- {line}" for line in goal_lines(totals.goals)), ""]
    if totals.missing_functions:
        lines += ["Contract parts missing from the backend (functions, tables, columns, sequences; their rules "
                  "were skipped):", ""]
        lines += [f"- `{sig}`: {', '.join(rules)}" for sig, rules in sorted(totals.missing_functions.items())]
        lines.append("")
    for name, st in sorted(session.machines.items()):
        exercised = sorted({base(r) for r in st.rules} & set(all_rules) - blocked, key=list(all_rules).index)
        lines += [f"## {name}", "",
                  "| steps | examples | skipped (unspecified) | rules exercised |", "|---|---|---|---|",
                  f"| {st.steps} | {st.examples} | {st.skipped_unspecified} | {len(exercised)}/{len(all_rules)} |", "",
                  f"Rules (checks): {', '.join(f'{r} {_checks(st.rules, r, base)}' for r in exercised) or 'none'}", "",
                  *([f"Never exercised from its RULES list: {' '.join(st.gaps[name])}", ""] if name in st.gaps
                    else [])]
        mine = [f for f in session.failures if f.machine == name]
        if not mine:
            lines += ["No divergence.", ""]
            continue
        lines += ["| id | rule | step | steps | divergence | replay |", "|---|---|---|---|---|---|"]
        for f in mine:
            files = ", ".join(link(f.folder, n) for n in ("replay.sql", "run.json", f"test_replay_{f.id}.py"))
            message = f.message.replace("|", "\\|")
            lines.append(f"| `{f.id}` | {f.rule} | {f.step} | {f.steps} | {message} | {files} |")
        lines.append("")
    return "\n".join(lines)


__all__ = ["COVERAGE_PROFILES", "SESSION", "STATS", "Recorded", "RunStats", "SessionRecord", "Where", "coverage_gaps",
           "hypothesis_context", "markdown_report", "merge_session", "merge_stats", "record_divergences", "roots_table",
           "rss_kb", "rss_line", "rule_count_lines", "session_to_data", "stats_from_data", "stats_to_data"]
