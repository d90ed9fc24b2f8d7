"""R6 (views keep their structure when what they use is renamed): the view loop of _refresh_referrers without its
filter (080_renames.sql:cmp:a0987541fc:1, :andor:a0987541fc:2). Before `4194027` the reference re-rendered views only
on relation key changes, so the mutants (which re-render every view after any rename) differed only where a view's
rendering changed otherwise — a function it calls renamed (R3g), a column of the view it reads renamed (R3h) — and
"one way" showed the reference's own stale rendering (ALTER MINOR after a function rename, where R6/V23 say
nothing). Since `4194027` the reference re-renders the views calling a renamed or moved function and the views over a
view whose column was renamed (the model follows both: R3g with R6, R3h on a view), so "one way" records nothing;
cmp:1 no longer re-renders the function's callers (its `d.refobjid <> p_rel` misses them) and andor:2 re-renders a
view under its own R3h (the view's ALTER MAJOR is lost). It runs the statements on the reference and on each mutant
and prints the VIEW rows' history. Run from a checkout: PYTHONPATH=. python docs/mutation-results/replays/<this file>;
output in the .log beside it."""
import tempfile
from pathlib import Path

import psycopg

from pggit_model.cluster import start_server
from pggit_model.install import install
from pggit_model.mutation import generate

SCRIPTS = {
 "round trip (kills the mutants)": [
  "CREATE TABLE app.t (a integer)",
  "CREATE FUNCTION app.f() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
  "CREATE VIEW app.v AS SELECT app.f() AS x",
  "ALTER FUNCTION app.f() RENAME TO g",
  "ALTER TABLE app.t RENAME TO u",
  "ALTER FUNCTION app.g() RENAME TO f",
  "CREATE OR REPLACE VIEW app.v AS SELECT app.f() AS x"],
 "one way (the reference's own stale rendering)": [
  "CREATE TABLE app.t (a integer)",
  "CREATE FUNCTION app.f() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
  "CREATE VIEW app.v AS SELECT app.f() AS x",
  "ALTER FUNCTION app.f() RENAME TO g",
  "CREATE OR REPLACE VIEW app.v AS SELECT app.g() AS x"],
 "view column round trip": [
  "CREATE TABLE app.t (a integer)",
  "CREATE VIEW app.v AS SELECT a FROM app.t",
  "CREATE VIEW app.w AS SELECT a FROM app.v",
  "ALTER VIEW app.v RENAME COLUMN a TO b",
  "CREATE TABLE app.z (a integer)",
  "ALTER TABLE app.z RENAME TO z2",
  "ALTER VIEW app.v RENAME COLUMN b TO a",
  "CREATE OR REPLACE VIEW app.w AS SELECT a FROM app.v"],
}
by_id = {m.id: m for m in generate()}
server = start_server()
try:
    for label, ids in (("reference", None), ("cmp:a0987541fc:1", "080_renames.sql:cmp:a0987541fc:1"),
                       ("andor:a0987541fc:2", "080_renames.sql:andor:a0987541fc:2")):
        src = None
        if ids:
            src = by_id[ids].apply(Path(tempfile.mkdtemp(prefix="mutci-")) / "ref")
        for name, stmts in SCRIPTS.items():
            with psycopg.connect(server.conninfo("postgres"), autocommit=True) as c:
                c.execute("DROP DATABASE IF EXISTS demo")
                c.execute("CREATE DATABASE demo")
            dsn = server.conninfo("demo")
            with psycopg.connect(dsn, autocommit=True) as c:
                c.execute("CREATE SCHEMA app")
            rep = install(dsn, src)
            with psycopg.connect(dsn, autocommit=True) as c:
                for s in stmts:
                    c.execute(s)
                rows = c.execute("SELECT o.object_name, h.change_type, h.change_severity "
                                 "FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id "
                                 "WHERE o.object_type = 'VIEW' ORDER BY h.id").fetchall()
            print(f"{label:22} | {name}: {rows}", flush=True)
finally:
    server.close()
