-- Reference backend for pggit-model: a clean-room implementation of shared/pggit-contract.md.
-- Laid out like a pgGit checkout (I1): run `cd sql && psql -X -d "$DB" -f install.sql` as a superuser.
-- Only core PostgreSQL 15+ is used: built-in sha256() and gen_random_uuid(), no extensions (I2 not needed).

\i 000_schema.sql
\i 005_helpers.sql
\i 010_tracking.sql
\i 020_versions_api.sql
\i 030_branches.sql
\i 040_commits.sql
\i 050_trinity.sql
\i 060_hashes.sql
\i 070_merge.sql
\i 080_renames.sql
\i 082_kinds.sql
\i 084_partitions.sql
\i 086_cascades.sql
\i 090_event_triggers.sql
