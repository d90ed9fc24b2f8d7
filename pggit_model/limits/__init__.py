"""Limits (contract §15, L1–L4): pgGit at scale, on large inputs, under many sessions and over long sessions.

``sizes`` (what each part runs at: ``short`` for the default tests, ``full`` for the weekly tier), ``stats``
(pure medians, noise and verdicts), ``scale`` (L1: pgGit's added cost per DDL against a control database),
``inputs`` (L2: the model and Driver on large inputs), ``sessions`` (L3: 100 sessions on their own branches),
``memory`` (L4: a backend's resident memory over long sessions). ``pggit-model limits`` runs them
(``pggit_model.cli.limits``).
"""

from .sizes import SIZES, LimitsInputError, Sizes, check_sizes
from .stats import Verdict

__all__ = ["SIZES", "LimitsInputError", "Sizes", "Verdict", "check_sizes"]
