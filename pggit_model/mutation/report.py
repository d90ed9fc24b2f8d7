"""The mutation score and its records: the equivalents file, the summary, the results JSON and a comparison."""

from __future__ import annotations

import json
import tomllib
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..errors import PggitModelError
from .operators import Mutant
from .runner import CAUGHT, VERDICTS, Result

EQUIVALENTS = Path(__file__).with_name("equivalent.toml")


class MutationInputError(PggitModelError):
    """A bad equivalents file, an unknown mutant id or an unreadable results file."""


def load_equivalents(path: Path, mutants: Iterable[Mutant]) -> dict[str, str]:
    """``[equivalent]`` id -> why, checked: every id must name a generated mutant and carry a sentence."""
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise MutationInputError(f"{path}: not valid TOML ({e}); fix the file") from None
    table = data.get("equivalent", {})
    if not isinstance(table, dict) or set(data) - {"equivalent"}:
        raise MutationInputError(f"{path}: expected one table [equivalent] of \"file:operator:anchor:n\" = \"why\"")
    known = {m.id for m in mutants}
    gone = sorted(i for i in table if i not in known)
    if gone:
        raise MutationInputError(
            f"{path}: {len(gone)} equivalent mutant id(s) no longer generated: {', '.join(gone[:5])}"
            f"{' …' if len(gone) > 5 else ''}. The reference or the operators changed: regenerate with "
            "`pggit-model mutate --list`, find each mutant's new id (or drop the entry) and update the file")
    empty = sorted(i for i, why in table.items() if not isinstance(why, str) or not why.strip())
    if empty:
        raise MutationInputError(f"{path}: equivalent mutant(s) without a reason: {', '.join(empty)}; say in one "
                                 "sentence why no test can tell the mutant from the reference")
    return dict(table)


@attrs.frozen
class Score:
    total: int
    caught: int
    by_verdict: dict[str, int]

    @property
    def value(self) -> float:
        return self.caught / self.total if self.total else 1.0

    def line(self) -> str:
        parts = ", ".join(f"{n} {v}" for v, n in self.by_verdict.items() if n)
        return (f"mutation score {self.value:.1%} ({self.caught}/{self.total} non-equivalent mutants caught; "
                f"{parts})")


def score(results: Sequence[Result]) -> Score:
    """killed + error + install-broken over every run mutant (equivalents are not run, so not counted)."""
    by = Counter(r.verdict for r in results)
    return Score(len(results), sum(by[v] for v in CAUGHT), {v: by[v] for v in VERDICTS})


def summary(results: Sequence[Result], mutants: dict[str, Mutant], skipped_equivalent: int) -> list[str]:
    """The score, the install kills apart, then each survivor and timeout with file:line and its diff."""
    s = score(results)
    lines = [s.line()]
    installs = s.by_verdict["install-broken"]
    if installs:
        lines.append(f"  of which {installs} killed by the install alone (I3 report errors); without them "
                     f"{(s.caught - installs) / max(1, s.total - installs):.1%}")
    if skipped_equivalent:
        lines.append(f"  {skipped_equivalent} mutants skipped as equivalent (equivalents file)")
    ops: dict[str, list[int]] = {}
    for r in results:
        ops.setdefault(mutants[r.id].operator, [0, 0])[r.caught] += 1
    lines.append("  caught per operator: " + ", ".join(f"{op} {c}/{s + c}" for op, (s, c) in sorted(ops.items())))
    by_machine = Counter(r.machine.split(",")[0] for r in results if r.verdict == "killed")
    if by_machine:
        lines.append("  first catch by machine: " + ", ".join(f"{m} {n}" for m, n in by_machine.most_common()))
    for r in results:
        if r.verdict in ("survived", "timeout", "crashed"):
            m = mutants[r.id]
            lines.append(f"{r.verdict.upper()} {r.id} ({m.file}:{m.line})" + (f": {r.detail}" if r.detail else ""))
            lines += ["    " + x for x in m.diff().splitlines()[2:]]
    return lines


def to_json(results: Sequence[Result], mutants: dict[str, Mutant], meta: dict[str, Any]) -> dict[str, Any]:
    s = score(results)
    return {**meta, "score": round(s.value, 4), "caught": s.caught, "total": s.total, "by_verdict": s.by_verdict,
            "results": [{**attrs.asdict(r), "file": mutants[r.id].file, "line": mutants[r.id].line,
                         "operator": mutants[r.id].operator} for r in results]}


def write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1) + "\n")


def load_results(path: Path) -> dict[str, str]:
    """id -> verdict of an earlier results JSON."""
    return {r.id: r.verdict for r in load_result_list(path)}


def load_result_list(path: Path) -> list[Result]:
    """The Results of an earlier results JSON, in its order."""
    fields = {f.name for f in attrs.fields(Result)}
    try:
        doc = json.loads(Path(path).read_text())
        return [Result(**{k: v for k, v in r.items() if k in fields}) for r in doc["results"]]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise MutationInputError(f"{path}: not a results file of pggit-model mutate ({type(e).__name__}: {e}); "
                                 "pass the --json file an earlier run wrote") from None


def compare(old: dict[str, str], results: Sequence[Result]) -> list[str]:
    """One line per mutant run in both runs whose verdict changed."""
    return [f"CHANGED {r.id}: {old[r.id]} -> {r.verdict}" for r in results if r.id in old and old[r.id] != r.verdict]
