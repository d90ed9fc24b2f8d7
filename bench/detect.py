"""Seconds to detect each planted fault: to the first failing example and to the shrunk one, under several random
seeds, with the median and the worst per fault (issue 19 part 4; targets: median <= 10 s first, <= 60 s shrunk).

    python bench/detect.py [--faults NAME,NAME|all] [--seeds 3] [--profile smoke] [--machine NAME]
                             [--json FILE]

Each fault's machine runs with the profile's settings and no example database, under each seed (random unless
PGGIT_MUTANT_SEEDS=a,b,c fixes them), one run after another on one throwaway cluster. The fault x seed table, the
per-fault median / worst, the overall medians against the targets, and a JSON copy (default
bench-results/detect.json) are written. `tox -e mutants` runs the same measurement as tests and asserts 3/3.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from pggit_model import cluster, detection, profiles
from pggit_model.isolation import Template
from pggit_model.machines.crash import CRASH_SERVERS
from pggit_model.mutants import Mutant


def chosen(names: str) -> list[Mutant]:
    try:
        return detection.planted(names)
    except ValueError as e:
        raise SystemExit(f"bench/detect.py: {e}") from None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--faults", default="all", help="comma-separated fault names, or all (default)")
    ap.add_argument("--seeds", type=int, default=3, help="random seeds per fault (default 3)")
    ap.add_argument("--profile", default="smoke", help="Hypothesis profile whose budget each run gets")
    ap.add_argument("--machine", help="run this machine instead of each fault's own (e.g. MixedMachine)")
    ap.add_argument("--json", default="bench-results/detect.json", help="where to write the results as JSON")
    args = ap.parse_args()
    profiles.register()
    profiles.check(args.profile)
    faults = chosen(args.faults)
    seeds = detection.seeds(args.seeds)
    print(f"{len(faults)} faults x seeds {list(seeds)} ({detection.SEEDS_ENV}={','.join(map(str, seeds))} reruns "
          f"them), profile {args.profile}", flush=True)
    rows: list[detection.Detection] = []
    with cluster.server_session() as server, tempfile.TemporaryDirectory(prefix="pggit-detect-") as tmp:
        try:
            for m in faults:
                template = Template(server, m.apply(Path(tmp) / m.name))
                try:
                    for s in seeds:
                        d = detection.detect(m, template, Path(tmp) / f"results-{m.name}-{s}", s, args.profile,
                                             args.machine)
                        rows.append(d)
                        print(detection.table_lines([d])[1], flush=True)
                finally:
                    template.close()
        finally:
            CRASH_SERVERS.close()
    print("\n".join(["", *detection.table_lines(rows), "", *detection.summary_lines(rows)]))
    out = Path(args.json)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(detection.to_json(rows), indent=1), encoding="utf-8")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
