"""Record what every planted fault looks like to the registry: ``python -m tests.mutant_divergences [NAME ...]``.

Each mutant's machine runs the smoke profile (its examples, no shrinking) with a registry that explores past
every divergence and writes down what a registry entry would be matched against (rule, rules, op kind, the
matched text). ``tests/test_known_specificity.py`` then checks, without a server, that no entry of the example
registry covers a planted fault it does not name as its twin. Rerun after changing the mutants or the messages
(minutes of CPU: one machine run per mutant, one at a time).
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import attrs
from hypothesis import Phase, settings

from pggit_model import cluster, known, machines, profiles
from pggit_model.divergences import Divergence
from pggit_model.isolation import Template
from pggit_model.machine import Harness, _divergences
from pggit_model.mutants import REFERENCE_MUTANTS, Mutant
from pggit_model.session import RunStats

CORPUS = Path(__file__).parent / "data" / "mutant_divergences.json"
#: Distinct texts kept per mutant: enough to see every shape the fault takes, small enough to diff.
PER_MUTANT = 40


@attrs.frozen
class _Everything(known.Registry):
    """A registry that knows every divergence (so the run goes on) and keeps what each one said."""

    seen: list[dict[str, Any]] = attrs.field(factory=list, eq=False)

    def match(self, d: Divergence) -> known.Known | None:
        self.seen.append(fingerprint(d))
        return known.Known("planted", rule=d.rule)


def fingerprint(d: Divergence) -> dict[str, Any]:
    """What ``known.Known.covers`` looks at for ``d``."""
    op = known.struck(d.op)
    return {"rule": d.rule, "rules": sorted(d.rules), "op": getattr(op, "kind", None),
            "text": known.match_text(op, d.message, d.expected, d.observed)}


def record(mutant: Mutant, server: Any, work: Path) -> list[dict[str, Any]]:
    """The distinct divergences ``mutant`` shows in one smoke run of its machine, seed 0."""
    source = mutant.apply(work / "mutant")
    template = Template(server, source)
    registry = _Everything()
    machine = getattr(machines, mutant.machine)
    seeded = type(machine.__name__, (machine,), {"_hypothesis_internal_use_seed": 0})
    smoke = settings(settings.get_profile("smoke"), database=None, print_blob=False,
                     phases=(Phase.explicit, Phase.generate))
    harness = Harness(template, work / "results", stats=RunStats(), known=registry)
    try:
        harness.run(seeded, settings=smoke)
    except (Divergence, ExceptionGroup) as e:  # one the registry could not explore past: keep it too
        registry.seen.extend(fingerprint(d) for d in _divergences(e))
    finally:
        harness.close()
        template.close()
    # One example per shape: numbers, hashes and schema names differ from one example to the next.
    shape = {(r["rule"], r["op"], re.sub(r"[0-9a-f]{6,}|\d+", "0", r["text"])): r for r in reversed(registry.seen)}
    unique = list(reversed(shape.values()))
    return [{"mutant": mutant.name, **r} for r in unique[:PER_MUTANT]]


def main(names: list[str]) -> int:
    profiles.register()
    chosen = [m for m in REFERENCE_MUTANTS if not names or m.name in names]
    corpus = json.loads(CORPUS.read_text()) if CORPUS.exists() else []
    corpus = [r for r in corpus if r["mutant"] not in {m.name for m in chosen}]
    server = cluster.start_server()
    try:
        for m in chosen:
            with tempfile.TemporaryDirectory(prefix="pggit-mutant-") as tmp:
                found = record(m, server, Path(tmp))
            print(f"{m.name}: {len(found)} distinct divergence(s)", flush=True)
            corpus.extend(found)
    finally:
        server.close()
        crash = sys.modules.get("pggit_model.machines.crash")
        if crash is not None:
            crash.CRASH_SERVERS.close()
    CORPUS.parent.mkdir(exist_ok=True)
    order = [m.name for m in REFERENCE_MUTANTS]
    corpus.sort(key=lambda r: (order.index(r["mutant"]), r["rule"], r["text"]))
    CORPUS.write_text(json.dumps(corpus, indent=1, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
