"""V21 (and U4) transparency, checked differentially: a twin database without pgGit.

The twin is a database created in the same cluster from the same template the backend's template database was
created from (``template1``), but with nothing installed. Every statement of the example that PostgreSQL itself
judges — DDL, transaction control and session settings, never a pgGit call — is replayed on it by the Driver, and
the outcomes must agree: both succeed, or both fail with the same SQLSTATE (V21's Obs). When the example ends, the
catalog of the machine's schemas must be the same on both sides.

* **Isolation mirrors the machine's.** Under rollback isolation the twin runs in one transaction rolled back at the
  end of the example, its BEGIN/COMMIT/ROLLBACK mapped onto savepoints exactly as the pgGit side's are (a shared
  ``Client`` in nested mode). Under clone isolation it commits for real in autocommit, and the example's schemas
  are dropped afterwards.
* **Faults.** A statement a fault struck on the pgGit side (statement_timeout, a cancel, a lock_timeout: the
  tolerated SQLSTATE) is not PostgreSQL's verdict, so it is not compared: the twin runs a statement that fails
  in its place instead, so that an open transaction is aborted on both sides and nothing changed. A terminated
  session (X5) or a crash (X6) is a new session on the twin too: its open transaction is gone, its settings reset.
* **Catalog.** ``pg_dump`` cannot see the uncommitted state of a rollback-isolated example (it is another
  session), and costs a process per side; one ``pg_catalog`` query on each example's own connection can, in a
  few milliseconds: ``CATALOG`` lists every relation, column (type, NOT NULL, default, identity, generation),
  constraint, index, view, sequence, trigger, rule, policy, function, type and comment of the machine's schemas as
  text, by name (never by OID), which is what ``pg_dump --schema-only`` would print of them. The session's
  temporary objects (``pg_temp.name``, A8) are left out: they live in a pg_temp_N whose number differs between
  the two sessions, and each side's are its session's own; their statements' outcomes are compared all the same.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor

import psycopg
from psycopg import pq, sql

from .client import Client, Completion
from .cluster import Server, connect, create_database, drop_database, new_dbname
from .ops import Op, Rollback, Untracked

#: an identifier PostgreSQL folds to itself unquoted (keywords aside): anything else must be written in quotes
_PLAIN = re.compile(r"[a-z_][a-z0-9_$]*")

#: Op families PostgreSQL judges alone: replayed on the twin. pgGit calls ("call") and session events are not.
MIRRORED = frozenset({"ddl", "txn", "session"})

#: What the twin runs in place of a statement that failed on the pgGit side without being PostgreSQL's verdict
#: (struck by a fault, or a pgGit call): it fails too, so that an open transaction is aborted on both sides, and
#: changes nothing.
FAILED = ("DO $pggit_model_twin$ BEGIN RAISE EXCEPTION 'pggit-model twin: this statement failed on the pgGit "
          "database (a fault struck it, or it is a pgGit call)'; END $pggit_model_twin$")

#: Schemas that are never the machine's: PostgreSQL's own (pg_catalog, pg_toast, the per-backend pg_temp_N whose
#: numbers differ between sessions) and pgGit's (pggit*, never tracked: V1).
# pgGit's own schemas are `pggit` and `pggit_*`; other `pggit*` names are user schemas a machine may make (V1
# excludes them from tracking, not from the catalog), so the twin drops and compares them like any other.
NOT_MACHINE = "nspname !~ '^(pg_|pggit$|pggit_)' AND nspname <> 'information_schema'"

SCHEMAS = f"SELECT coalesce(array_agg(nspname::text ORDER BY nspname), '{{}}') FROM pg_namespace WHERE {NOT_MACHINE}"

#: The catalog of the machine's schemas (all but PostgreSQL's, pgGit's and those in %(base)s, which were there
#: before the example) as sorted lines of text, by name. One round trip; plain SQL, so it sees the session's own
#: uncommitted DDL.
CATALOG = f"""
WITH ns AS (SELECT oid, nspname FROM pg_namespace WHERE {NOT_MACHINE} AND nspname <> ALL (%(base)s::text[])),
rel AS (SELECT c.oid, c.relkind, c.relpersistence, c.relowner, c.reloptions, c.relacl, c.relrowsecurity,
               format('%%I.%%I', n.nspname, c.relname) AS q
        FROM pg_class c JOIN ns n ON n.oid = c.relnamespace),
lines(l) AS (
    SELECT 'schema ' || quote_ident(nspname) FROM ns
    UNION ALL
    SELECT format('relation %%s kind=%%s persistence=%%s owner=%%s options=%%s acl=%%s rowsecurity=%%s',
                  q, relkind, relpersistence, pg_get_userbyid(relowner), reloptions, relacl, relrowsecurity)
    FROM rel
    UNION ALL
    SELECT format('column %%s.%%I #%%s %%s notnull=%%s default=%%s identity=%%s generated=%%s collation=%%s',
                  r.q, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
                   WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum),
                  a.attidentity, a.attgenerated,
                  CASE WHEN a.attcollation <> 0 THEN a.attcollation::regcollation::text END)
    FROM rel r, LATERAL (SELECT * FROM pg_attribute a
                         WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped) a
    WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
    UNION ALL
    SELECT format('constraint %%s %%I %%s', coalesce(r.q, k.contypid::regtype::text), k.conname,
                  pg_get_constraintdef(k.oid))
    FROM pg_constraint k JOIN ns n ON n.oid = k.connamespace LEFT JOIN rel r ON r.oid = k.conrelid
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(r.oid) FROM rel r WHERE r.relkind IN ('i', 'I')
    UNION ALL
    SELECT format('view %%s %%s', q, pg_get_viewdef(oid)) FROM rel WHERE relkind IN ('v', 'm')
    UNION ALL
    SELECT format('sequence %%s %%s start=%%s inc=%%s min=%%s max=%%s cache=%%s cycle=%%s', r.q,
                  s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
    FROM rel r, LATERAL (SELECT * FROM pg_sequence s WHERE s.seqrelid = r.oid) s WHERE r.relkind = 'S'
    UNION ALL
    SELECT format('trigger %%s %%s enabled=%%s', r.q, pg_get_triggerdef(t.oid), t.tgenabled)
    FROM rel r, LATERAL (SELECT * FROM pg_trigger t WHERE t.tgrelid = r.oid AND NOT t.tgisinternal) t
    UNION ALL
    SELECT 'rule ' || pg_get_ruledef(w.oid)
    FROM rel r, LATERAL (SELECT oid FROM pg_rewrite w WHERE w.ev_class = r.oid AND w.rulename <> '_RETURN') w
    UNION ALL
    SELECT format('policy %%s %%I %%s %%s %%s', r.q, p.polname, p.polcmd, pg_get_expr(p.polqual, p.polrelid),
                  pg_get_expr(p.polwithcheck, p.polrelid))
    FROM rel r, LATERAL (SELECT * FROM pg_policy p WHERE p.polrelid = r.oid) p
    UNION ALL
    SELECT format('function %%I.%%I(%%s) %%s', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid),
                  CASE WHEN p.prokind = 'a' THEN 'aggregate' ELSE pg_get_functiondef(p.oid) END)
    FROM pg_proc p JOIN ns n ON n.oid = p.pronamespace
    UNION ALL
    SELECT format('type %%I.%%I %%s %%s', n.nspname, t.typname, t.typtype,
                  (SELECT string_agg(quote_literal(e.enumlabel), ',' ORDER BY e.enumsortorder)
                   FROM pg_enum e WHERE e.enumtypid = t.oid))
    FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
    UNION ALL
    SELECT format('comment %%s = %%L', pg_describe_object(d.classoid, d.objoid, d.objsubid), d.description)
    FROM pg_description d
    WHERE d.objoid >= 16384 AND (
        (d.classoid = 'pg_class'::regclass AND d.objoid IN (SELECT oid FROM rel))
        OR (d.classoid = 'pg_namespace'::regclass AND d.objoid IN (SELECT oid FROM ns))
        OR (d.classoid = 'pg_proc'::regclass AND d.objoid IN (SELECT p.oid FROM pg_proc p JOIN ns n
                                                               ON n.oid = p.pronamespace))
        OR (d.classoid = 'pg_constraint'::regclass AND d.objoid IN (SELECT k.oid FROM pg_constraint k JOIN ns n
                                                                     ON n.oid = k.connamespace))
        OR (d.classoid = 'pg_type'::regclass AND d.objoid IN (SELECT t.oid FROM pg_type t JOIN ns n
                                                               ON n.oid = t.typnamespace)))
)
SELECT coalesce(array_agg(l ORDER BY l COLLATE "C"), '{{}}') FROM lines
"""


def machine_schemas(conn: psycopg.Connection) -> set[str]:
    """The schemas on ``conn``'s database that may be the machine's (PostgreSQL's and pgGit's left out)."""
    row = conn.execute(SCHEMAS).fetchone()
    return set(row[0]) if row else set()


def catalog(conn: psycopg.Connection, base: Sequence[str]) -> list[str]:
    """The catalog of the machine's schemas (all but ``base``) as sorted lines of text (``CATALOG``), read on
    ``conn`` itself."""
    row = conn.execute(CATALOG, {"base": list(base)}).fetchone()
    return list(row[0]) if row else []


def catalog_difference(pggit: Sequence[str], twin: Sequence[str], limit: int = 8) -> tuple[list[str], list[str]]:
    """Lines only the pgGit side has, lines only the twin has (at most ``limit`` each)."""
    a, b = set(pggit), set(twin)
    return sorted(a - b)[:limit], sorted(b - a)[:limit]


class TwinDatabase:
    """A database without pgGit in the session's cluster, made from ``template1`` (what the backend's template was
    made from before the install), on first need; one session on it per example (``Twin``)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        #: the twin's statements run here, alongside the pgGit side's (Twin.start)
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pggit-model-twin")
        self.dbname = new_dbname("twin")
        create_database(server, self.dbname)
        self._nested: psycopg.Connection | None = None  # the rollback-isolated examples' connection, kept
        self._real: psycopg.Connection | None = None  # the clone-isolated examples' (autocommit) one, kept
        #: schemas of the pgGit side that are there before the example (the install's): never the machine's
        self.pggit_baseline: set[str] | None = None
        self.baseline: set[str] = set()
        with connect(self.conninfo) as conn:
            self.baseline = machine_schemas(conn)

    @property
    def conninfo(self) -> str:
        return self.server.conninfo(self.dbname)

    def connection(self, nested: bool) -> psycopg.Connection:
        """The twin's session for an example: in one open transaction (``nested``) or autocommit."""
        conn = self._nested if nested else self._real
        if conn is None or conn.closed or conn.broken:
            conn = connect(self.conninfo, autocommit=not nested)
            if nested:
                self._nested = conn
            else:
                self._real = conn
        return conn

    def example(self, schema: str, *, nested: bool, pggit: psycopg.Connection) -> Twin:
        """The twin for one example whose pgGit side is ``pggit`` (before the machine made its schema there)."""
        if self.pggit_baseline is None:
            self.pggit_baseline = machine_schemas(pggit)
        return Twin(self, schema, nested=nested)

    def clean(self, conn: psycopg.Connection) -> None:
        """Drop every schema an example made (all but the baseline's) and reset the session (autocommit)."""
        for s in sorted(machine_schemas(conn) - self.baseline):
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(s)))
        # the session outlives the example: its temporary objects (A8) must not meet the next one's
        conn.execute("DISCARD TEMP")
        conn.execute("RESET ALL")

    def close(self) -> None:
        self.worker.shutdown(wait=True)
        for conn in (self._nested, self._real):
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    conn.close()
        with contextlib.suppress(psycopg.Error):
            drop_database(self.server, self.dbname)


class Twin:
    """One example's session on the twin database: mirrors the statements, compares outcomes and the catalog."""

    def __init__(self, db: TwinDatabase, schema: str, *, nested: bool) -> None:
        self.db = db
        self.schema = schema
        self.nested = nested
        self.statements = 0
        #: the rule a difference breaks: V21, or U4 once the machine damaged pgGit's tables (U4 says V21 holds then)
        self.rule = "V21"
        self.client = self._start()

    def _start(self) -> Client:
        conn = self.db.connection(self.nested)
        conn.prepare_threshold = None
        create = sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema))
        try:
            conn.execute(create)
        except psycopg.errors.DuplicateSchema:
            if self.nested:
                raise
            self.db.clean(conn)  # an earlier example's end could not clean up (its server crashed meanwhile)
            conn.execute(create)
        return Client(conn, self.schema, nested=self.nested)

    # -- statements ----------------------------------------------------------------------------------
    @staticmethod
    def rules_of(op: Op) -> tuple[str, ...]:
        """The rules mirroring ``op`` checks: V21, and N2 (V21 where a name must be quoted) when a schema it names
        is one PostgreSQL only takes in double quotes (upper case, spaces, other characters)."""
        schemas = [getattr(op, a, None) for a in ("schema", "new_schema", "ref_schema")]
        return ("V21", "N2") if any(isinstance(n, str) and not _PLAIN.fullmatch(n) for n in schemas) else ("V21",)

    @staticmethod
    def mirrors(op: Op) -> bool:
        return op.family in MIRRORED or isinstance(op, Untracked)

    @staticmethod
    def _own(op: Op, text: str | None) -> tuple[Op, str | None]:
        """What the twin runs for ``op``: drift (U3) is the DDL alone, its trigger switches being pgGit's."""
        return (op.op, None) if isinstance(op, Untracked) else (op, text)

    def start(self, op: Op, text: str | None = None) -> Future[Completion]:
        """Send ``op`` to the twin now, on the twin's own thread, so that PostgreSQL runs it while the pgGit side
        runs its own (the twin then costs little more than a thread hand-off); ``mirror`` collects the answer.
        Not for statements a fault may strike: the twin must not run those (``mirror(struck=True)``)."""
        op, text = self._own(op, text)
        return self.db.worker.submit(self.client.apply, op, text=text)

    def mirror(self, op: Op, done: Completion, *, text: str | None = None, struck: bool = False,
               started: Future[Completion] | None = None) -> str | None:
        """Run ``op`` (as ``text``) on the twin, or collect it if ``started``; why its outcome differs from ``done``
        (the pgGit side's), or None."""
        self.statements += 1
        if struck:
            self.failed(op)
            return None
        if started is not None:
            twin = started.result()
        else:
            own, text = self._own(op, text)
            twin = self.client.apply(own, text=text)
        if twin.status == "unknown":
            self.session_lost()  # the twin's own session died (a crash of the shared cluster): nothing to compare
            return None
        if (done.status, done.sqlstate) == (twin.status, twin.sqlstate):
            return None
        return (f"PostgreSQL without pgGit answers {describe(twin)}, with pgGit {describe(done)}: pgGit changed "
                "the outcome of a statement PostgreSQL judges alone")

    def failed(self, op: Op) -> None:
        """``op`` failed on the pgGit side but is not replayed here (a pgGit call, or struck by a fault): inside a
        transaction block that aborted the transaction, so abort the twin's too."""
        if self.client.in_transaction:
            self.client.apply(op, text=FAILED)

    def session_lost(self) -> None:
        """The pgGit side's session died (X5) or the server crashed (X6): the twin's open transaction goes too."""
        conn = self.client.conn
        if self.nested:
            # Under rollback isolation the example's whole transaction is gone: start it again, empty.
            with contextlib.suppress(psycopg.Error):
                conn.rollback()
            self.client = self._start()
            return
        if not conn.broken and not conn.closed and conn.info.transaction_status != pq.TransactionStatus.IDLE:
            with contextlib.suppress(psycopg.Error):
                conn.execute("ROLLBACK")
        with contextlib.suppress(psycopg.Error):
            conn.close()  # a new session: settings (search_path, time zone) back to their defaults
        conn = self.db.connection(nested=False)
        conn.prepare_threshold = None
        self.client = Client(conn, self.schema, nested=False)

    # -- the catalog at the end of the example ------------------------------------------------------------
    def compare_catalog(self, pggit: Client) -> str | None:
        """Why the machine's schemas' catalogs differ between the pgGit side and the twin, or None.

        An aborted transaction is rolled back on both sides first (the example is over: its effects are gone
        either way); an open one is compared as it stands, each side seeing its own uncommitted DDL."""
        for client in (pggit, self.client):
            if client.in_error:
                client.apply(_ROLLBACK)
        base = sorted(self.db.baseline | (self.db.pggit_baseline or set()))
        pending = self.db.worker.submit(catalog, self.client.conn, base)  # both sides at once
        ours, theirs = catalog(pggit.conn, base), pending.result()
        if ours == theirs:
            return None
        only_pggit, only_twin = catalog_difference(ours, theirs)
        return ("the catalog of the machine's schemas differs from the twin's (PostgreSQL without pgGit, same "
                f"statements)\n  only with pgGit: {only_pggit}\n  only without:   {only_twin}")

    def close(self) -> None:
        """End the example on the twin: roll back (nested) or drop what it made (autocommit). A session that died
        with the example (the crash machine's last step crashed the shared cluster) is replaced to do it: what the
        example committed on the twin outlives it, and the next example's CREATE SCHEMA would meet it (42P06)."""
        conn = self.client.conn
        with contextlib.suppress(psycopg.Error):
            if self.nested:
                conn.rollback()
                return
            if conn.closed or conn.broken:
                conn = self.db.connection(nested=False)
            if conn.info.transaction_status != pq.TransactionStatus.IDLE:
                conn.execute("ROLLBACK")
            self.db.clean(conn)


def describe(done: Completion) -> str:
    if done.status == "ok":
        return "success"
    if done.status == "error":
        return f"error {done.sqlstate} ({done.message})"
    return f"no answer ({done.message})"


_ROLLBACK = Rollback()

__all__ = ["CATALOG", "MIRRORED", "Twin", "TwinDatabase", "catalog", "catalog_difference", "machine_schemas"]
