"""The run's summary at the end of the terminal output, as lines: planted faults caught, the fault x seed table,
steps and contract rules exercised, and what was found (missing contract parts, known and new divergences)."""

from __future__ import annotations

from pathlib import Path

from . import backend, known
from .goals import goal_lines
from .rules import ALL_RULES, base
from .session import RunStats, rule_count_lines


def mutant_lines(stats: RunStats) -> list[str]:
    """Each planted fault caught, with its shrunk length, and the median length."""
    out = [f"caught {name}: shrunk to {steps} steps, divergence {', '.join(caught)}"
           f"{'' if steps <= 6 else '   (above the 6-step target)'}"
           for name, (steps, caught) in sorted(stats.mutants.items())]
    median = sorted(s for s, _ in stats.mutants.values())[len(stats.mutants) // 2]
    return [*out, f"{len(stats.mutants)} planted faults caught; median shrunk length {median} steps"]


def detection_lines(stats: RunStats, results: Path) -> list[str]:
    """The fault x seed table, the median / worst per fault, and where its JSON went."""
    import json

    from .detection import from_dict, summary_lines, table_lines, to_json

    rows = [from_dict(d) for d in stats.detections.values()]
    results.mkdir(parents=True, exist_ok=True)
    out = results / "detect-mutants.json"
    out.write_text(json.dumps(to_json(rows), indent=1), encoding="utf-8")
    return [*table_lines(rows), "", *summary_lines(rows), f"written: {out}"]


def coverage_lines(stats: RunStats) -> list[str]:
    """Steps, machines, rules exercised (with checks per rule), RULES-list gaps and labelled goals."""
    counted = sorted({base(r) for r in stats.rules} & set(ALL_RULES), key=ALL_RULES.index)
    blocked = stats.blocked_rules
    exercised = [r for r in counted if r not in blocked]
    unreadable = [r for r in counted if r in blocked]
    out = [f"steps executed: {stats.steps}   examples: {stats.examples}   "
           f"ops the model could not predict (skipped): {stats.skipped_unspecified}",
           *(f"  {name}: {steps} steps" for name, steps in sorted(stats.machines.items())),
           f"contract rules exercised: {len(exercised)}/{len(ALL_RULES)}"
           + (f" (not counted, blocked by a missing part, I4: {' '.join(unreadable)})" if unreadable else ""),
           *(f"  {line}" for line in rule_count_lines(stats.rules, ALL_RULES))]
    unexercised = [r for r in ALL_RULES if r not in exercised]
    if unexercised:
        out.append(f"  not exercised: {' '.join(unexercised)}")
    out += [f"  {machine}: rules of its RULES list never exercised: {' '.join(gaps)}"
            for machine, gaps in sorted(stats.gaps.items())]
    if stats.goals:
        out.append("goals (labelled situations; the shortest example that reached each):")
        out += [f"  {line}" for line in goal_lines(stats.goals, width=120)]
    return out


def finding_lines(stats: RunStats, registry: known.Registry) -> list[str]:
    """Missing contract parts (I4), known divergences explored past, stale registry entries, new divergences."""
    out = [f"divergence (I4, {backend.kind_of(sig)} missing): {sig} -> rules skipped: {', '.join(rules)} "
           f"({stats.skipped_missing} calls skipped)" for sig, rules in sorted(stats.missing_functions.items())]
    out += [f"known divergence {kid}: seen {times} times, explored past" for kid, times in sorted(stats.known.items())]
    out += known.stale_lines(registry, stats.known)  # only meaningful for a run of every machine
    if not stats.divergences:
        return [*out, "new divergences: none"]
    return [*out, f"new divergences: {len(stats.divergences)}",
            *(f"  {key}: {line}" for key, line in sorted(stats.divergences.items()))]
