"""Hypothesis profiles: smoke (minutes), ci (≤ 10 min), nightly (long), replay (saved examples only)."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, settings

from .errors import InvalidProfile

# Database-backed steps are slow by unit-test standards and vary with machine load: no deadline.
_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
}

PROFILES: dict[str, dict[str, object]] = {
    "smoke": {"max_examples": 15, "stateful_step_count": 25, **_COMMON},
    "ci": {"max_examples": 100, "stateful_step_count": 40, **_COMMON},
    "nightly": {"max_examples": 2000, "stateful_step_count": 80, **_COMMON},
    # Rerun what the example database saved; generate nothing new.
    "replay": {"phases": [Phase.explicit, Phase.reuse], "max_examples": 1000, **_COMMON},
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


__all__ = ["PROFILES", "check", "register"]
