"""Benchmark results as JSON, one file per run, and the comparison with an earlier run (issue 19 part 5).

Each script under ``bench/`` ends with ``emit(name, {metric: (value, unit, better)})``; with the environment
variable ``PGGIT_BENCH_JSON`` set (``pggit-model bench`` sets it) the metrics are added to that file, otherwise
nothing is written. ``compare(old, new)`` gives one row per metric both runs have, with the cost ratio (above 1:
worse, whichever way the metric is better) and a flag where it is worse by more than the threshold (20 %).
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import attrs

from .errors import PggitModelError

FORMAT = 1
ENV = "PGGIT_BENCH_JSON"
#: Worse by more than this fraction is a slowdown.
THRESHOLD = 0.2

Better = Literal["lower", "higher"]


class BadBenchFile(PggitModelError):
    """A benchmark results file that is missing or not what ``pggit-model bench`` writes."""


def new_run(git: str | None = None) -> dict[str, Any]:
    """An empty results document: when, where (cores, load: a slowdown on a busy machine is not a regression)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    return {"format": FORMAT, "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "git": git,
            "host": {"machine": platform.machine(), "python": platform.python_version(), "cores": os.cpu_count(),
                     "load_1min": load},
            "benchmarks": {}}


def emit(bench: str, metrics: Mapping[str, tuple[float, str, Better]], path: str | Path | None = None) -> None:
    """Add ``bench``'s metrics (name -> (value, unit, "lower" | "higher" is better)) to the run's file: ``path``,
    else $PGGIT_BENCH_JSON; without either, nothing (the script only prints)."""
    target = path or os.environ.get(ENV)
    if not target:
        return
    p = Path(target)
    doc = load(p) if p.exists() and p.stat().st_size else new_run()
    for name, (value, unit, better) in metrics.items():
        if better not in ("lower", "higher"):
            raise ValueError(f"metric {bench}.{name}: better must be 'lower' or 'higher', not {better!r}")
        doc["benchmarks"].setdefault(bench, {})[name] = {"value": float(value), "unit": unit, "better": better}
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(p.suffix + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(p)


def load(path: str | Path) -> dict[str, Any]:
    """A results file, checked enough that compare cannot trip over it."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadBenchFile(f"{p}: no such file; pass a results file that pggit-model bench wrote") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BadBenchFile(f"{p}: not a benchmark results file ({type(e).__name__}: {e})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("benchmarks"), dict):
        raise BadBenchFile(f"{p}: not a benchmark results file of format {FORMAT} (written by pggit-model bench)")
    for bench, metrics in doc["benchmarks"].items():
        for name, m in (metrics.items() if isinstance(metrics, dict) else [(None, None)]):
            if not (isinstance(m, dict) and isinstance(m.get("value"), int | float)
                    and m.get("better") in ("lower", "higher")):
                raise BadBenchFile(f"{p}: metric {bench}.{name} has no numeric value and direction")
    return doc


@attrs.frozen
class Row:
    """One metric in both runs. ``cost``: new/old where lower is better, old/new where higher is: above 1 is worse."""

    bench: str
    metric: str
    unit: str
    old: float
    new: float
    cost: float
    slower: bool

    def line(self) -> str:
        flag = "  SLOWER" if self.slower else ""
        return (f"{self.bench}.{self.metric}: {_num(self.old)} -> {_num(self.new)} {self.unit} "
                f"(cost x{self.cost:.2f}){flag}")


def _num(v: float) -> str:
    return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"


def _cost(old: float, new: float, better: Better) -> float:
    worse, base = (new, old) if better == "lower" else (old, new)
    if base == 0:
        return 1.0 if worse == 0 else float("inf")
    return worse / base


def compare(old: Mapping[str, Any], new: Mapping[str, Any], threshold: float = THRESHOLD) -> list[Row]:
    """One row per metric in both runs, in the new run's order; ``slower`` where the cost grew by > threshold."""
    rows = []
    for bench, metrics in new["benchmarks"].items():
        for name, m in metrics.items():
            was = old["benchmarks"].get(bench, {}).get(name)
            if was is None:
                continue
            cost = _cost(float(was["value"]), float(m["value"]), m["better"])
            rows.append(Row(bench, name, m.get("unit", ""), float(was["value"]), float(m["value"]), cost,
                            cost > 1 + threshold))
    return rows


def report(old: Mapping[str, Any], new: Mapping[str, Any], threshold: float = THRESHOLD) -> tuple[list[str], int]:
    """The comparison as lines, and how many metrics slowed down beyond the threshold."""
    rows = compare(old, new, threshold)
    lines = [r.line() for r in rows]
    only = sorted({f"{b}.{n}" for b, ms in old["benchmarks"].items() for n in ms}
                  ^ {f"{b}.{n}" for b, ms in new["benchmarks"].items() for n in ms})
    if only:
        lines.append(f"in one run only (not compared): {', '.join(only)}")
    slower = [r for r in rows if r.slower]
    loads = [d.get("host", {}).get("load_1min") for d in (old, new)]
    lines.append(f"{len(rows)} metrics compared, {len(slower)} slower by more than {threshold:.0%}"
                 + (f": {', '.join(f'{r.bench}.{r.metric}' for r in slower)}" if slower else "")
                 + (f" (1-min load {loads[0]:.1f} then {loads[1]:.1f}: a busy machine is slower too)"
                    if slower and None not in loads else ""))
    return lines, len(slower)


__all__ = ["ENV", "THRESHOLD", "BadBenchFile", "Row", "compare", "emit", "load", "new_run", "report"]
