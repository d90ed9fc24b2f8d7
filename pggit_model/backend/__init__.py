"""Everything about pgGit's own schema, in one place: the place to start when supporting another pgGit version.

* ``parts``: the contract's functions, tables, columns and sequences, each with the rules it blocks when missing
  (I4), and the probe that finds which of them a database has.
* ``observe``: the observation query (O1–O7), built from what the database has; missing parts are observed as
  empty and their check areas are skipped. pgGit's sequences and the lock target the faults use.
* ``version``: which version of the backend is installed, from the checkout or the installed functions.
"""

from __future__ import annotations

from .observe import (
    HISTORY_FULL,
    LOCK_TARGET,
    SETVAL,
    Observation,
    changes_observation,
    excluded_rows,
    final_state_queries,
    lock_statement,
    observation,
    regress_state_queries,
    sequence_positions,
    sequences,
)
from .parts import (
    AREA_RULES,
    CONTRACT_FUNCTIONS,
    CONTRACT_SEQUENCES,
    CONTRACT_TABLES,
    NEEDS,
    Probe,
    blocks,
    check_functions,
    kind_of,
    probe,
)
from .triggers import event_triggers, firing, replica_silences
from .version import UNKNOWN, Version, installed_version, reference_version, source_version, version_before_install

__all__ = [
    "AREA_RULES",
    "CONTRACT_FUNCTIONS",
    "CONTRACT_SEQUENCES",
    "CONTRACT_TABLES",
    "HISTORY_FULL",
    "LOCK_TARGET",
    "NEEDS",
    "SETVAL",
    "UNKNOWN",
    "Observation",
    "Probe",
    "Version",
    "blocks",
    "changes_observation",
    "check_functions",
    "event_triggers",
    "excluded_rows",
    "final_state_queries",
    "firing",
    "installed_version",
    "kind_of",
    "lock_statement",
    "observation",
    "probe",
    "reference_version",
    "regress_state_queries",
    "replica_silences",
    "sequence_positions",
    "sequences",
    "source_version",
    "version_before_install",
]
