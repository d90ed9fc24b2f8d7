"""In-session faults: a statement cancelled mid-DDL (statement_timeout, pg_cancel_backend), a lock wait that
times out inside pgGit's bookkeeping (lock_timeout), and a backend terminated mid-transaction.

The cancellations land *after* pgGit's own event triggers have done their work: a helper event trigger
named to fire last on ``ddl_command_end`` cancels its own statement when the session asks it to
(``pggit_model.cancel``: ``pg_cancel_backend`` of its own backend, the very signal another session would send) or
sleeps into the statement timeout (``pggit_model.sleep``), so the statement is cancelled with pgGit's rows already
written — they must all disappear with it (X4). The cancel is sent from inside the statement, not by a timer on
another session: whether a timer struck depended on the machine's load (a statement that fires no event trigger
struck or not), so one example took different paths in two runs and Hypothesis stopped with
FlakyStrategyDefinition; and a replay.sql now strikes as the run did.
The helpers live in schema ``pggit_model_faults`` (``pggit*`` schemas are never tracked, V1).
"""

from __future__ import annotations

import time

import psycopg

from . import backend
from .client import Client, Completion
from .cluster import connect
from .driver import Driver
from .model import session_lost
from .ops import Fault, TerminateSession
from .ops.events import FAULT_SQLSTATES

SCHEMA = "pggit_model_faults"
#: fault kind -> the SQLSTATE the interrupted statement must fail with (the op itself lives in ops/events.py)
SQLSTATES = FAULT_SQLSTATES

INSTALL = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE OR REPLACE FUNCTION {SCHEMA}.sleep_if_asked() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('pggit_model.cancel', true), '') = 'on' THEN
        PERFORM pg_cancel_backend(pg_backend_pid());
        PERFORM pg_sleep(10);  -- the cancel is taken at the sleep's first check for interrupts
    END IF;
    IF coalesce(current_setting('pggit_model.sleep', true), '') <> '' THEN
        PERFORM pg_sleep(current_setting('pggit_model.sleep')::float8);
    END IF;
END $$;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'zzzz_pggit_model_sleep') THEN
        CREATE EVENT TRIGGER zzzz_pggit_model_sleep ON ddl_command_end
            EXECUTE FUNCTION {SCHEMA}.sleep_if_asked();
    END IF;
END $$;
"""


def install(conn: psycopg.Connection) -> None:
    """The sleeping event trigger, in the example's database (committed: clone isolation only)."""
    with conn.cursor() as cur:
        cur.execute(INSTALL.encode())


def strike(driver: Driver, fault: Fault, other: psycopg.Connection) -> Completion | None:
    """Run ``fault.op`` under ``fault``; check the outcome; adopt "no effect" when the fault fired."""
    if driver.predict(fault.op)[1].is_unspecified:
        return None
    if fault.kind_of_fault == "lock_timeout":
        other.execute("BEGIN")
        try:
            # pgGit's next history row must wait. NOWAIT: if our own open transaction already wrote history, the
            # lock is not to be had — then there is nothing to strike with, and the op is not run.
            other.execute(backend.lock_statement("EXCLUSIVE"))
        except (psycopg.errors.LockNotAvailable, psycopg.errors.UndefinedTable):  # or a backend without the table
            other.execute("ROLLBACK")
            return None
    try:
        done = driver.run(fault.op, text=fault.to_sql(), tolerate=SQLSTATES[fault.kind_of_fault], recorded_as=fault)
    finally:
        if fault.kind_of_fault == "lock_timeout":
            other.execute("ROLLBACK")
    return done


def terminate_and_reconnect(driver: Driver, other: psycopg.Connection, conninfo: str) -> Client:
    """X5: kill the session (mid-transaction or not), reconnect; nothing of its open transaction remains."""
    old = driver.client.conn
    pid = old.info.backend_pid
    other.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 10
    while other.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
        if time.monotonic() > deadline:
            raise RuntimeError(f"backend {pid} did not exit within 10 s of pg_terminate_backend")
        time.sleep(0.01)
    old.close()
    client = Client(connect(conninfo), driver.schema, also=driver.scope)
    driver.session_lost(client, session_lost(driver.state, driver.schema))
    driver.record(TerminateSession())
    return client


__all__ = ["SCHEMA", "SQLSTATES", "install", "strike", "terminate_and_reconnect"]
