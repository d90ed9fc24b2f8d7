"""What Hypothesis's explain phase costs while shrinking: each planted fault under the same seeds twice, with the
profile as shipped (no explain phase) and with Phase.explain added back, in one run (ratios, not wall-clock targets).

    python bench/shrink.py [--faults NAME,NAME] [--seeds 2] [--profile smoke]

With Phase.explain (Hypothesis's default) every execution after the first failure runs under a line tracer to
report which lines only failing examples ran; the same seed finds the same first failure and shrinks it the same
way, so the difference in seconds from the first failure to the shrunk example is the tracer's. PGGIT_MUTANT_SEEDS
fixes the seeds, as for bench/detect.py.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from hypothesis import Phase, settings

from pggit_model import cluster, detection, profiles
from pggit_model.isolation import Template

DEFAULT_FAULTS = "noop-alter-recorded,checkout-ignored,index-rename-major,hash-ignores-default"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--faults", default=DEFAULT_FAULTS, help=f"comma-separated fault names (default {DEFAULT_FAULTS})")
    ap.add_argument("--seeds", type=int, default=2, help="random seeds per fault (default 2)")
    ap.add_argument("--profile", default="smoke", help="Hypothesis profile (default smoke)")
    args = ap.parse_args()
    profiles.register()
    profiles.check(args.profile)
    base = settings.get_profile(args.profile)
    settings.register_profile(f"{args.profile}+explain", base, phases=(*base.phases, Phase.explain))
    try:
        faults = detection.planted(args.faults)
    except ValueError as e:
        raise SystemExit(f"bench/shrink.py: {e}") from None
    seeds = detection.seeds(args.seeds)
    print(f"seeds {list(seeds)}; seconds from the first failure to the shrunk example", flush=True)
    ratios = []
    with cluster.server_session() as server, tempfile.TemporaryDirectory(prefix="pggit-shrink-") as tmp:
        for m in faults:
            template = Template(server, m.apply(Path(tmp) / m.name))
            try:
                for s in seeds:
                    runs = {p: detection.detect(m, template, Path(tmp) / f"r-{m.name}-{s}-{i}", s, p)
                            for i, p in enumerate((args.profile, f"{args.profile}+explain"))}
                    without, with_ = runs.values()
                    if not (without.caught and with_.caught):
                        print(f"{m.name:32} seed {s}: not caught by both, skipped", flush=True)
                        continue
                    a = (without.shrunk_s or 0) - (without.first_s or 0)
                    b = (with_.shrunk_s or 0) - (with_.first_s or 0)
                    ratios.append(b / a if a > 0 else float("nan"))
                    print(f"{m.name:32} seed {s}: shrinking {a:7.1f} s without explain, {b:7.1f} s with "
                          f"(x{ratios[-1]:.1f}); shrunk to {without.steps} / {with_.steps} steps", flush=True)
            finally:
                template.close()
    if ratios:
        print(f"median: shrinking takes x{statistics.median(ratios):.1f} as long with the explain phase "
              f"({len(ratios)} fault x seed pairs)")


if __name__ == "__main__":
    main()
