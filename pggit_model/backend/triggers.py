"""pgGit's event triggers, found in the catalog (never by name: each pgGit version names its own), for the drift
ops that silence them (contract U3)."""

from __future__ import annotations

import psycopg

#: Event triggers whose function lives in one of pgGit's schemas (``pggit``, ``pggit_*``), with their mode
#: (``pg_event_trigger.evtenabled``: O origin, R replica, A always, D disabled), by name.
_EVENT_TRIGGERS = """
SELECT e.evtname::text, e.evtenabled::text
FROM pg_catalog.pg_event_trigger e
JOIN pg_catalog.pg_proc p ON p.oid = e.evtfoid
JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'pggit' OR n.nspname LIKE 'pggit\\_%'
ORDER BY e.evtname"""


def event_triggers(conn: psycopg.Connection) -> tuple[tuple[str, str], ...]:
    """pgGit's event triggers as (name, evtenabled), disabled ones included, in name order."""
    with conn.cursor() as cur:
        cur.execute(_EVENT_TRIGGERS)
        return tuple((name, mode) for name, mode in cur.fetchall())


def firing(triggers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """The triggers that fire now (every mode but D): what ``ALTER EVENT TRIGGER … DISABLE`` must silence."""
    return tuple(t for t in triggers if t[1] != "D")


def replica_silences(triggers: tuple[tuple[str, str], ...]) -> bool:
    """Whether ``session_replication_role = replica`` keeps every firing trigger from firing (only ORIGIN-mode
    triggers are skipped in replica mode; REPLICA and ALWAYS ones still fire)."""
    return all(mode == "O" for _, mode in firing(triggers))
