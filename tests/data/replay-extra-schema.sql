-- pggit-model replay script for failure 5b185f5b7d
-- BranchesCommitsMachine found: [V19] V19: rows differ (order ignored): expected [('t1', 'mc_c0150e_pggit', '1.0.0', 1)], got [('t1', 'mc_c0150e_pggit', '1.1.0', 1)]
-- at step 18 of 18; backend pggit at /tmp/pggit-v0.2.1 (sha256 77cf263ff9f6), PostgreSQL 15.18
-- backend version 0.2.1 (from CHANGELOG.md)
-- missing from the backend (their rules skipped, I4): pggit.commit_changes(text, text, text)
--
-- Reproduce by hand on a fresh database with the backend installed:
--   createdb replay
--   cd /tmp/pggit-v0.2.1/sql && psql -X -d replay -f install.sql
--   psql -X -d replay -f replay.sql
-- or rerun it with the model checking every step:
--   pggit-model replay replay.sql --pggit-source /tmp/pggit-v0.2.1
-- Statements run in autocommit unless the script BEGINs; an error does not stop the script.
-- The machine ran them inside one transaction (isolation=rollback), so now() was the same for every
-- step: for time-dependent answers (created_at order, Trinity timestamps) run the script inside
-- BEGIN; ... ROLLBACK; with \set ON_ERROR_ROLLBACK on (pggit-model replay does that itself).
--
-- @pggit-model machine=BranchesCommitsMachine schema=mc_c0150e isolation=rollback
-- @pggit-model backend=pggit sha256=77cf263ff9f6a2db8fbe983183535e78125321014a07778c5045a762f882fe52 source=/tmp/pggit-v0.2.1
-- @pggit-model verdict rule=V19 step=18

\set ON_ERROR_STOP 0
\set ECHO queries
CREATE SCHEMA "mc_c0150e";

-- pgGit's sequences where the recording session had left them (ROLLBACK does not reset them);
-- never moved back: CREATE SCHEMA above may have drawn values already, and they must not repeat.
-- @pggit-model sequence pggit.dependencies_id_seq=181
SELECT setval(to_regclass('pggit.dependencies_id_seq'), greatest(181, pg_sequence_last_value(to_regclass('pggit.dependencies_id_seq'))));
-- @pggit-model sequence pggit.function_signatures_signature_id_seq=26
SELECT setval(to_regclass('pggit.function_signatures_signature_id_seq'), greatest(26, pg_sequence_last_value(to_regclass('pggit.function_signatures_signature_id_seq'))));
-- @pggit-model sequence pggit.function_versions_version_id_seq=13
SELECT setval(to_regclass('pggit.function_versions_version_id_seq'), greatest(13, pg_sequence_last_value(to_regclass('pggit.function_versions_version_id_seq'))));
-- @pggit-model sequence pggit.history_id_seq=793
SELECT setval(to_regclass('pggit.history_id_seq'), greatest(793, pg_sequence_last_value(to_regclass('pggit.history_id_seq'))));
-- @pggit-model sequence pggit.migration_patterns_id_seq=12
SELECT setval(to_regclass('pggit.migration_patterns_id_seq'), greatest(12, pg_sequence_last_value(to_regclass('pggit.migration_patterns_id_seq'))));
-- @pggit-model sequence pggit.objects_id_seq=1569
SELECT setval(to_regclass('pggit.objects_id_seq'), greatest(1569, pg_sequence_last_value(to_regclass('pggit.objects_id_seq'))));
-- @pggit-model sequence pggit.retention_policies_id_seq=3
SELECT setval(to_regclass('pggit.retention_policies_id_seq'), greatest(3, pg_sequence_last_value(to_regclass('pggit.retention_policies_id_seq'))));
-- @pggit-model sequence pggit.system_events_event_id_seq=66
SELECT setval(to_regclass('pggit.system_events_event_id_seq'), greatest(66, pg_sequence_last_value(to_regclass('pggit.system_events_event_id_seq'))));

-- The run explored past these known divergences (--pggit-known); `pggit-model replay` does too,
-- so steps where they show are not the verdict:

-- @pggit-model ops
-- step 1: create_schema
CREATE SCHEMA "mc_c0150e_pggit";
--   model expects: succeeds

-- step 2: create_function
CREATE FUNCTION "mc_c0150e"."f"() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 0';
--   model expects: succeeds

-- step 3: create_function
CREATE FUNCTION "mc_c0150e_pggit"."f"() RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT 1';
--   model expects: succeeds

-- step 4: create_table
CREATE TABLE "MC_C0150E_PGGIT"."t1" ();
--   model expects: fails with 3F000 (schema 'MC_C0150E_PGGIT' does not exist)

-- step 5: show_table_versions
SELECT * FROM pggit.show_table_versions('mc_c0150e_pggit'::text);
--   model expects: returns 0 row(s) ['object_name', 'schema_name', 'version_string', 'column_count']: []

-- step 6: create_table
CREATE TABLE "mc_c0150e"."t1" ("id" integer DEFAULT 0);
--   model expects: succeeds

-- step 7: alter_table
ALTER TABLE "mc_c0150e"."t1" ALTER COLUMN "id" DROP DEFAULT;
--   model expects: succeeds

-- step 8: comment_table
COMMENT ON TABLE "mc_c0150e"."t1" IS '0';
--   model expects: succeeds

-- step 9: alter_table
ALTER TABLE "mc_c0150e"."t1" ADD CONSTRAINT "k1" CHECK ("id" IS NOT NULL);
--   model expects: succeeds

-- step 10: alter_table
ALTER TABLE "mc_c0150e"."t1" ADD CONSTRAINT "abcdefghabcdefghabcdefghabcdefghabcdefghabcdefghabcdefghabcdefg" CHECK ("id" IS NOT NULL);
--   model expects: succeeds

-- step 11: comment_table
COMMENT ON TABLE "mc_c0150e"."t1" IS '';
--   model expects: succeeds

-- step 12: comment_table
COMMENT ON TABLE "mc_c0150e"."t1" IS 'ôSô²qðà';
--   model expects: succeeds

-- step 13: alter_table
ALTER TABLE "mc_c0150e"."t1" ALTER COLUMN "id" SET NOT NULL;
--   model expects: succeeds

-- step 14: comment_table
COMMENT ON TABLE "mc_c0150e"."t1" IS '';
--   model expects: succeeds

-- step 15: get_history
SELECT * FROM pggit.get_history('mc_c0150e.t1'::text, 4::integer);
--   model expects: returns 4 row(s) ['version', 'change_type']: [(9, 'COMMENT'), (8, 'ALTER'), (7, 'COMMENT'), (6, 'COMMENT')]

-- step 16: create_table
CREATE TABLE "mc_c0150e_pggit"."t1" ("twin" integer);
--   model expects: succeeds

-- step 17: create_table
CREATE TABLE "MC_C0150E_PGGIT"."t1" ();
--   model expects: fails with 3F000 (schema 'MC_C0150E_PGGIT' does not exist)

-- step 18: show_table_versions  <-- DIVERGES HERE [V19]
SELECT * FROM pggit.show_table_versions('mc_c0150e_pggit'::text);
--   model expects: returns 1 row(s) ['object_name', 'schema_name', 'version_string', 'column_count']: [('t1', 'mc_c0150e_pggit', '1.0.0', 1)]
--   divergence: V19: rows differ (order ignored): expected [('t1', 'mc_c0150e_pggit', '1.0.0', 1)], got [('t1', 'mc_c0150e_pggit', '1.1.0', 1)]
--   expected: rows 1 rows [('t1', 'mc_c0150e_pggit', '1.0.0', 1)]
--   observed: ok ({'object_name': 't1', 'schema_name': 'mc_c0150e_pggit', 'version_string': '1.1.0', 'last_change': datetime.datetime(2026, 12, 7, 3, 43, 38, 674211), 'column_count': 1},)

-- @pggit-model end

-- pgGit's state for the schema, as the checker observed it (contract O1-O7):
SELECT object_type, schema_name, object_name, branch_name, version, version_major, version_minor, version_patch, is_active
  FROM pggit.objects WHERE schema_name = 'mc_c0150e' ORDER BY 3, 4;
SELECT o.object_name, o.branch_name, h.change_type, h.change_severity, h.old_version, h.new_version
  FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id
  WHERE o.schema_name = 'mc_c0150e' ORDER BY h.id;
