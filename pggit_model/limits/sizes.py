"""What each limits part runs at, and the one check of sizes asked for on the command line."""

from __future__ import annotations

from attrs import evolve, frozen

from pggit_model.errors import PggitModelError


class LimitsInputError(PggitModelError, ValueError):
    """A limits size out of range: the message names the option, the range and what was given."""


@frozen
class Sizes:
    """One limits run's sizes. ``objects``/``branches``: the L1 points (the verdict compares the first and the
    last); ``inputs_objects``/``columns``/``text_bytes``: L2; ``sessions``/``seconds``: L3; ``cycles`` and
    ``baseline``: L4 (memory after ``baseline`` cycles is the reference point)."""

    objects: tuple[int, ...]
    branches: tuple[int, ...]
    repeats: int
    warmup: int
    inputs_objects: int
    columns: int
    text_bytes: int
    sessions: int
    seconds: float
    cycles: int
    baseline: int


SIZES: dict[str, Sizes] = {
    # the default tests: seconds, not minutes, on 2 shared cores
    "short": Sizes(objects=(100, 1000), branches=(1, 100), repeats=25, warmup=5, inputs_objects=1000,
                   columns=1600, text_bytes=1 << 20, sessions=10, seconds=2.0, cycles=400, baseline=100),
    # the contract's sizes (weekly tier: `tox -e limits`)
    "full": Sizes(objects=(100, 1000, 10000), branches=(1, 100, 1000), repeats=41, warmup=8,
                  inputs_objects=10000, columns=1600, text_bytes=1 << 20, sessions=100, seconds=20.0,
                  cycles=10000, baseline=1000),
}

#: option -> (lowest, highest) a user may ask for: beyond them a run is meaningless or cannot fit a server
RANGES: dict[str, tuple[int, int]] = {
    "objects": (10, 100_000),
    "branches": (1, 10_000),
    "sessions": (2, 100),  # L3's "up to 100"; the load mode's bounds
    "cycles": (100, 1_000_000),
    "repeats": (5, 10_000),
}


def _check(option: str, value: int) -> int:
    lo, hi = RANGES[option]
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise LimitsInputError(f"--{option} must be whole numbers from {lo} to {hi}, got {value!r}")
    return value


def _points(option: str, points: tuple[int, ...]) -> tuple[int, ...]:
    if len(points) < 2 or list(points) != sorted(set(points)):
        raise LimitsInputError(f"--{option} needs at least two increasing sizes (a growth is measured between the "
                               f"first and the last), got {','.join(map(str, points))}")
    return tuple(_check(option, p) for p in points)


def check_sizes(size: str, *, objects: tuple[int, ...] | None = None, branches: tuple[int, ...] | None = None,
                sessions: int | None = None, cycles: int | None = None, repeats: int | None = None) -> Sizes:
    """The sizes of ``size`` (short|full) with the given overrides, each checked: one clear error otherwise."""
    if size not in SIZES:
        raise LimitsInputError(f"--size must be one of {', '.join(SIZES)}, got {size!r}")
    s = SIZES[size]
    if objects is not None:
        s = evolve(s, objects=_points("objects", objects))
    if branches is not None:
        s = evolve(s, branches=_points("branches", branches))
    if sessions is not None:
        s = evolve(s, sessions=_check("sessions", sessions))
    if cycles is not None:
        s = evolve(s, cycles=_check("cycles", cycles), baseline=max(1, cycles // 10))
    if repeats is not None:
        s = evolve(s, repeats=_check("repeats", repeats))
    return s
