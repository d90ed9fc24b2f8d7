"""080_renames.sql:where:728e1a89ab:1 (equivalent): _refresh_referrers writes a re-rendered materialized view's
structure into the MATERIALIZED_VIEW rows of that name in *every* schema. Two same-named materialized views in two
schemas, a rename of the table one of them reads: the mutant overwrites the other's recorded structure (shown), and
then every statement on that other view (an index created, a column renamed, REFRESH, an index dropped, the view
renamed, dropped) records the same history as on the reference, because _sync_matview compares with
pggit.matview_shapes (what the triggers last saw, per OID), never with the row, while the view has an entry there —
from its CREATE until its DROP. Run from a checkout: PYTHONPATH=. python docs/mutation-results/replays/<this file>;
output in the .log beside it."""
import tempfile
from pathlib import Path

import psycopg

from pggit_model.cluster import start_server
from pggit_model.install import install
from pggit_model.mutation import generate

STATEMENTS = [
    "CREATE TABLE s1.t (a integer)", "CREATE TABLE s2.t (a integer)",
    "CREATE MATERIALIZED VIEW s1.mv AS SELECT a FROM s1.t", "CREATE MATERIALIZED VIEW s2.mv AS SELECT a FROM s2.t",
    "ALTER TABLE s1.t RENAME TO u",  # re-renders s1.mv; the mutant also writes it into s2.mv's row
    "SELECT 'structure'",
    "CREATE INDEX mi ON s2.mv (a)", "ALTER MATERIALIZED VIEW s2.mv RENAME COLUMN a TO b",
    "REFRESH MATERIALIZED VIEW s2.mv", "DROP INDEX s2.mi", "ALTER MATERIALIZED VIEW s2.mv RENAME TO mw",
    "DROP MATERIALIZED VIEW s2.mw",
]
by_id = {m.id: m for m in generate()}
server = start_server()
try:
    for label, mid in (("reference", None), ("where:728e1a89ab:1", "080_renames.sql:where:728e1a89ab:1")):
        src = by_id[mid].apply(Path(tempfile.mkdtemp(prefix="mutri-")) / "ref") if mid else None
        with psycopg.connect(server.conninfo("postgres"), autocommit=True) as c:
            c.execute("DROP DATABASE IF EXISTS demo")
            c.execute("CREATE DATABASE demo")
        dsn = server.conninfo("demo")
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("CREATE SCHEMA s1")
            c.execute("CREATE SCHEMA s2")
        install(dsn, src)
        with psycopg.connect(dsn, autocommit=True) as c:
            for s in STATEMENTS:
                if s == "SELECT 'structure'":
                    rec = c.execute("SELECT structure ->> 'definition' FROM pggit.objects WHERE object_type = "
                                    "'MATERIALIZED_VIEW' AND schema_name = 's2'").fetchone()
                    print(f"{label:20} | s2.mv's recorded query after the rename in s1: {rec[0]!r}", flush=True)
                else:
                    c.execute(s)
            rows = c.execute("SELECT o.object_type::text, o.schema_name, o.object_name, h.change_type::text, "
                             "h.change_severity::text FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id "
                             "WHERE o.schema_name = 's2' ORDER BY h.id").fetchall()
        print(f"{label:20} | s2's history: {rows}", flush=True)
finally:
    server.close()
