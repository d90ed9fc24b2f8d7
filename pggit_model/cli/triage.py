"""``pggit-model triage``: one line per distinct recorded divergence, marked known/new against a registry, and
the saved Hypothesis examples no recorded run accounts for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import known as kn
from ..runs import Run, root_fingerprint


def match_known(run: Run, registry: kn.Registry) -> kn.Known | None:
    """The registry entry that covers ``run``, if any (the matching itself is ``kn.Known.covers``)."""
    op = kn.struck(run.failing_op)
    text = kn.match_text(op, run.message, run.expected, run.observed)
    return registry.lookup(run.rule, run.rules, op.kind if op else None, text, failure=run.id)


def group_by_root(runs: Sequence[Run]) -> list[list[Run]]:
    """The distinct runs (by id) grouped by ``root_fingerprint``, each group shortest example first, groups in the
    order their first run was recorded."""
    groups: dict[str, list[Run]] = {}
    seen: set[str] = set()
    for run in runs:
        if run.id not in seen:
            seen.add(run.id)
            groups.setdefault(root_fingerprint(run), []).append(run)
    return [sorted(g, key=lambda r: (len(r.ops), r.recorded_at or "", r.id)) for g in groups.values()]


def machines_count(runs: Sequence[Run]) -> str:
    """'VersioningMachine x2, HashesMachine x1': where a root was found and how many recorded examples each."""
    counts = Counter(r.machine for r in runs)
    return ", ".join(f"{m} x{n}" for m, n in counts.most_common())


def triage_lines(runs: Sequence[Run], registry: kn.Registry = kn.EMPTY) -> list[str]:
    """One line per root (``root_fingerprint``: the same shrunk example, whichever machine found it): the stable id of
    its shortest run, rule, op kind of the failing step, steps, known/new, the machines with their example counts,
    the other runs' ids, and the message."""
    lines = []
    for group in group_by_root(runs):
        run = group[0]
        entry = match_known(run, registry)
        status = "new" if entry is None else {"open": "known"}.get(entry.status, entry.status)
        op = run.failing_op
        first = run.message.splitlines()[0] if run.message else ""
        also = f" (also {' '.join(r.id for r in group[1:])})" if len(group) > 1 else ""
        lines.append(f"{run.id}  {run.rule or '?':<4} {op.kind if op else '-':<22} {len(run.ops):>3} steps  "
                     f"{status:<6} {machines_count(group)}{also}: {first[:100]}")
    return lines


def example_db_lines(db_path: Path | str, runs: Sequence[Run]) -> list[str]:
    """Saved Hypothesis examples per machine that no recorded run accounts for (they need a rerun to triage)."""
    from hypothesis.database import _hash  # the directory name of a database key
    from hypothesis.internal.reflection import function_digest
    from hypothesis.stateful import get_state_machine_test

    from ..machines import ALL_MACHINES  # the faces may know the machines; the library never does

    root = Path(db_path)
    if not root.is_dir():
        return []
    recorded = {r.machine for r in runs}
    lines = []
    for machine in ALL_MACHINES:
        test: Any = get_state_machine_test(machine)  # (Hypothesis 6.170 types it as a plain callable)
        key = function_digest(test.hypothesis.inner_test)
        folder = root / _hash(key)
        saved = len(list(folder.iterdir())) if folder.is_dir() else 0
        if saved and machine.__name__ not in recorded:
            lines.append(f"db:{_hash(key)}  ?    {'-':<22}   ? steps  new    {machine.__name__}: {saved} saved "
                         "example(s) not recorded yet; rerun with --hypothesis-profile=replay to record them")
    return lines


__all__ = ["example_db_lines", "group_by_root", "machines_count", "match_known", "triage_lines"]
