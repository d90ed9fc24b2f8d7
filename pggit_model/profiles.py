"""Hypothesis settings: the CI tiers smoke (≤ 3 min, must pass), ci (≤ 6 min), nightly (≤ 60 min) and weekly
(≤ 120 min), each on 2 cores with one pytest-xdist worker per core (docs/ci.md); replay (saved examples only); and
the example database (local, or shared through Redis or a GitHub Actions artifact)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, settings

from .errors import InvalidProfile

# Database-backed steps are slow by unit-test standards and vary with machine load: no deadline.
# No explain phase: after the first failure Hypothesis would run every shrink step under a line tracer
# (sys.settrace) to report which lines only failing examples ran. In the model's pure-Python step that multiplies
# each shrink step's cost, and the lines it names are the harness's, not pgGit's (bench/shrink.py measures it).
_COMMON = {
    "deadline": None,
    "phases": [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
}

#: The tiers' wall-time budgets in minutes on 2 cores (docs/ci.md measures them; tests/test_profiles.py keeps them
#: ordered). weekly: the longest examples, so the largest schemas; tox -e weekly adds the load mode's sessions.
BUDGETS = {"smoke": 3, "ci": 6, "nightly": 60, "weekly": 120}

PROFILES: dict[str, dict[str, object]] = {
    "smoke": {"max_examples": 25, "stateful_step_count": 30, **_COMMON},
    "ci": {"max_examples": 100, "stateful_step_count": 40, **_COMMON},
    "nightly": {"max_examples": 2000, "stateful_step_count": 80, **_COMMON},
    "weekly": {"max_examples": 2500, "stateful_step_count": 150, **_COMMON},
    # Rerun what the example database saved; generate nothing new.
    "replay": {**_COMMON, "phases": [Phase.explicit, Phase.reuse], "max_examples": 1000},
}

_registered = False


def register() -> None:
    """Register every profile with Hypothesis (idempotent)."""
    global _registered
    if _registered:
        return
    for name, kw in PROFILES.items():
        settings.register_profile(name, **kw)  # type: ignore[arg-type]
    _registered = True


def check(name: str) -> None:
    """Raise InvalidProfile unless ``name`` is a registered Hypothesis profile."""
    register()
    try:
        settings.get_profile(name)
    except Exception:
        raise InvalidProfile(
            f"unknown Hypothesis profile {name!r}; choose one of: {', '.join(PROFILES)} "
            "(e.g. --hypothesis-profile=smoke)"
        ) from None


LOCAL_EXAMPLES = ".hypothesis/examples"


def example_database(spec: str, local: str = LOCAL_EXAMPLES) -> Any:
    """The example database for ``--pggit-examples SPEC``: always the local directory, plus a shared one.

    ``redis://host:6379/0`` shares read-write through Redis (extra ``pggit-model[redis]``);
    ``github:OWNER/REPO[/ARTIFACT]`` reads what CI uploaded as a GitHub Actions artifact (read-only, needs
    GITHUB_TOKEN); any other value is a directory path used instead of the local default.
    """
    from hypothesis.database import (
        DirectoryBasedExampleDatabase,
        GitHubArtifactDatabase,
        MultiplexedDatabase,
        ReadOnlyDatabase,
    )

    mine = DirectoryBasedExampleDatabase(local)
    if spec.startswith(("redis://", "rediss://", "unix://")):
        try:
            import redis
            from hypothesis.extra.redis import RedisExampleDatabase
        except ImportError:
            raise InvalidProfile(f"--pggit-examples {spec!r} needs the redis client: "
                                 "pip install 'pggit-model[redis]'") from None
        return MultiplexedDatabase(mine, RedisExampleDatabase(redis.Redis.from_url(spec)))
    if spec.startswith("github:"):
        parts = spec.removeprefix("github:").split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise InvalidProfile(f"--pggit-examples {spec!r}: expected github:OWNER/REPO or github:OWNER/REPO/ARTIFACT")
        artifact = parts[2] if len(parts) == 3 else "hypothesis-example-db"
        shared = GitHubArtifactDatabase(parts[0], parts[1], artifact_name=artifact)
        return MultiplexedDatabase(mine, ReadOnlyDatabase(shared))
    return DirectoryBasedExampleDatabase(spec)


__all__ = ["BUDGETS", "LOCAL_EXAMPLES", "PROFILES", "check", "example_database", "register"]
