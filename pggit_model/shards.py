"""Shards of a tier: the machines split over N jobs of a CI matrix, each runner running its share with every core
(``--pggit-shard I/N``, ``pggit-model run --shard I/N``; docs/ci.md). With 18 machines the whole ``ci`` tier is
about twice what two cores do in its 6-minute budget, so pgGit's workflow runs it as three shards.

Every machine goes to exactly one shard, the same one on every runner (a pure function of the machine names and
N): longest first, each to the shard with the least work so far (LPT scheduling), by the machines' relative costs
under ``ci``. A machine not in the table counts as a middling one, so a new machine needs no entry to be run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from .errors import PggitModelError


class InvalidShard(PggitModelError, ValueError):
    """A --pggit-shard / --shard value that names no shard."""


#: seconds each machine took under ``ci`` against the reference on 2 workers (docs/ci.md, issue 19); only the
#: proportions matter
CI_COST: Mapping[str, float] = {
    "reinstall": 146, "faults": 141, "renames": 116, "damage": 105, "kinds": 93, "crash": 92, "cascades": 88,
    "partitions": 87, "hashes": 87, "dependents": 85, "mixed": 80, "transactions": 79, "versioning": 71,
    "drift": 70, "branches_commits": 38, "parallel": 29, "trinity": 29, "load": 1,
}
_DEFAULT = sorted(CI_COST.values())[len(CI_COST) // 2]


def parse(text: str) -> tuple[int, int]:
    """``"I/N"`` (1 ≤ I ≤ N) -> (I, N)."""
    m = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not m or not 1 <= int(m[1]) <= int(m[2]):
        raise InvalidShard(f"--pggit-shard {text!r}: give I/N with 1 <= I <= N (e.g. 2/3 runs the second of three "
                           "shards; every shard of a matrix gets the same N)")
    return int(m[1]), int(m[2])


def machine_of(path: str) -> str:
    """``machines/test_hashes.py`` (or a node id in it) -> ``hashes``."""
    name = path.split("::", 1)[0].rsplit("/", 1)[-1]
    return name.removeprefix("test_").removesuffix(".py")


def assign(machines: Iterable[str], n: int) -> dict[str, int]:
    """Machine -> its shard (1..n): costliest first, each onto the least loaded shard (ties: the lower number)."""
    load = [0.0] * n
    out: dict[str, int] = {}
    for m in sorted(set(machines), key=lambda m: (-CI_COST.get(m, _DEFAULT), m)):
        i = min(range(n), key=lambda k: (load[k], k))
        out[m] = i + 1
        load[i] += CI_COST.get(m, _DEFAULT)
    return out


__all__ = ["CI_COST", "InvalidShard", "assign", "machine_of", "parse"]
