"""Planted faults: copies of the reference backend with one contract rule broken on purpose.

They prove that the machines bite: every mutant must be caught by the ``smoke`` profile, and the shrunk
example should be short (≤ 6 steps). A mutant is one textual edit of one SQL file of the reference; if the
reference changes so that the edit no longer applies, ``apply`` says so instead of testing nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import attrs

from .install import REFERENCE_SOURCE


@attrs.frozen
class Mutant:
    """``old`` -> ``new`` in ``file`` breaks ``rule``; ``machine`` is the machine expected to catch it."""

    name: str
    rule: str
    file: str
    old: str
    new: str
    machine: str = "VersioningMachine"
    why: str = ""
    #: further (file, old, new) edits, for a fault that needs two guards gone (X10 under concurrency)
    also: tuple[tuple[str, str, str], ...] = ()

    def apply(self, dest: Path, source: Path = REFERENCE_SOURCE) -> Path:
        """Copy the reference to ``dest`` with this fault planted; returns ``dest`` (a checkout root)."""
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        for file, old, new in ((self.file, self.old, self.new), *self.also):
            target = dest / "sql" / file
            text = target.read_text()
            count = text.count(old)
            if count != 1:
                raise ValueError(
                    f"mutant {self.name}: the text to replace occurs {count} times in {file} (needs exactly 1); "
                    "the reference changed — update the mutant in pggit_model/mutants.py"
                )
            target.write_text(text.replace(old, new))
        return dest


HELPERS = "005_helpers.sql"
T = "010_tracking.sql"
TR = "050_trinity.sql"
H = "060_hashes.sql"
MG = "070_merge.sql"
API = "020_versions_api.sql"
BR = "030_branches.sql"
CM = "040_commits.sql"
RN = "080_renames.sql"
CS = "086_cascades.sql"
PT = "084_partitions.sql"

REFERENCE_MUTANTS: tuple[Mutant, ...] = (
    Mutant("not-null-column-minor", "V10e", T,
           "THEN 'MAJOR' ELSE 'MINOR' END::pggit.change_severity",
           "THEN 'MINOR' ELSE 'MINOR' END::pggit.change_severity",
           why="ADD COLUMN … NOT NULL without a default recorded as MINOR instead of MAJOR"),
    Mutant("type-change-minor", "V10g", T,
           "WHEN o.value -> 'type' <> n.value -> 'type' THEN 'MAJOR'",
           "WHEN o.value -> 'type' <> n.value -> 'type' THEN 'MINOR'",
           why="ALTER COLUMN TYPE recorded as MINOR"),
    Mutant("default-change-minor", "V10j", T,
           "WHEN o.value -> 'default' <> n.value -> 'default' THEN 'PATCH'",
           "WHEN o.value -> 'default' <> n.value -> 'default' THEN 'MINOR'",
           why="SET/DROP DEFAULT recorded as MINOR"),
    Mutant("noop-alter-recorded", "V9a", T,
           "    ELSIF cardinality(p_dropped) = 0 THEN\n        RETURN;",
           "    ELSIF cardinality(p_dropped) = 0 THEN\n"
           "        PERFORM pggit._record_change(v_row.id, 'ALTER', 'MINOR', v_new);\n        RETURN;",
           why="an ALTER that leaves the table as it was is recorded as ALTER MINOR"),
    Mutant("create-index-unrecorded", "V10c", T,
           "SELECT 'PATCH' FROM jsonb_each(p_new -> 'indexes') n",
           "SELECT NULL::pggit.change_severity FROM jsonb_each(p_new -> 'indexes') n",
           why="CREATE INDEX does not record the table's ALTER PATCH"),
    Mutant("alter-history-missing", "V8", T,
           "VALUES (p_id, p_change, p_severity, v_new - 1, v_new, v_text, current_query());",
           "SELECT p_id, p_change, p_severity, v_new - 1, v_new, v_text, current_query() WHERE false;",
           why="an ALTER bumps the version but appends no history row"),
    Mutant("drop-bumps-version", "V13", T,
           "UPDATE pggit.objects SET is_active = false, updated_at = localtimestamp",
           "UPDATE pggit.objects SET is_active = false, version = version + 1, updated_at = localtimestamp",
           why="DROP changes the version counter"),
    Mutant("new-life-continues-version", "V14", T,
           "SET is_active = true, version = 1, version_major = 1,",
           "SET is_active = true, version = o.version + 1, version_major = 1,",
           why="a re-created object continues its old counter instead of starting at 1"),
    Mutant("replace-same-definition-records", "V12", T,
           "ELSIF v_row.structure IS DISTINCT FROM v_new THEN\n        PERFORM pggit._record_change(v_row.id, 'ALTER'",
           "ELSIF true THEN\n        PERFORM pggit._record_change(v_row.id, 'ALTER'",
           why="CREATE OR REPLACE with the same definition records a change"),
    Mutant("history-oldest-first", "V18", API,
           "    JOIN pggit.history h ON h.object_id = r.id\n    ORDER BY h.id DESC",
           "    JOIN pggit.history h ON h.object_id = r.id\n    ORDER BY h.id ASC",
           why="get_history returns the oldest changes first"),
    Mutant("column-count-includes-dropped", "V19", API,
           "AND c.schema_name = t.schema_name AND c.parent_name = t.object_name AND c.is_active)",
           "AND c.schema_name = t.schema_name AND c.parent_name = t.object_name)",
           why="show_table_versions counts dropped columns"),
    Mutant("get-version-sees-dropped", "V17", API,
           "    FROM (SELECT pggit._resolve_object(p_object_name, true) AS id) r\n    JOIN pggit.objects o",
           "    FROM (SELECT coalesce(pggit._resolve_object(p_object_name, true),\n"
           "                          pggit._resolve_object(p_object_name, false)) AS id) r\n    JOIN pggit.objects o",
           why="get_version answers for a dropped object"),
    Mutant("checkout-ignored", "B6", BR,
           "PERFORM pg_catalog.set_config('pggit.current_branch', p_branch_name, false);",
           "PERFORM 1;",
           machine="BranchesCommitsMachine", why="checkout_branch answers but does not switch"),
    Mutant("branch-name-any-character", "B3", BR,
           "IF p_branch_name !~ '^[A-Za-z0-9._/#-]+$' THEN",
           "IF p_branch_name ~ '[;]' THEN",
           machine="BranchesCommitsMachine", why="names with spaces or unicode are accepted"),
    Mutant("main-deletable", "B10", BR,
           "IF p_branch_name = 'main' THEN\n        PERFORM pggit._reject('55000', 'the main branch cannot",
           "IF false THEN\n        PERFORM pggit._reject('55000', 'the main branch cannot",
           machine="BranchesCommitsMachine", why="delete_branch('main', true) succeeds"),
    Mutant("branch-copies-nothing", "B5", BR,
           "    FROM pggit.objects\n    WHERE branch_name = v_parent.name AND is_active;",
           "    FROM pggit.objects\n    WHERE branch_name = v_parent.name AND is_active AND false;",
           machine="BranchesCommitsMachine", why="create_branch copies no rows of the parent"),
    Mutant("commit-parent-null", "C2", CM,
           "VALUES (v_hash, b.id, b.head_commit_hash, p_message, v_tree,",
           "VALUES (v_hash, b.id, NULL, p_message, v_tree,",
           machine="BranchesCommitsMachine", why="create_commit never links its parent"),
    Mutant("commit-head-unchanged", "C2", CM,
           "UPDATE pggit.branches SET head_commit_hash = v_hash WHERE id = b.id;",
           "PERFORM 1;",
           machine="BranchesCommitsMachine", why="create_commit leaves the branch head where it was"),
    Mutant("commit-message-untrimmed", "C7", CM,
           "v_message text := btrim(coalesce(p_message, ''));",
           "v_message text := coalesce(p_message, '');",
           machine="BranchesCommitsMachine", why="commit_changes stores the message untrimmed"),
    Mutant("custom-id-short-accepted", "C7", CM,
           "IF length(v_id) < 10 THEN",
           "IF length(v_id) < 2 THEN",
           machine="BranchesCommitsMachine", why="custom Trinity IDs under 10 characters are accepted"),
    # -- Trinity IDs (T) --------------------------------------------------------------------------------
    Mutant("trinity-seq-truncated", "T3", TR,
           "lpad(v_seq, greatest(6, length(v_seq)), '0')",
           "lpad(v_seq, 6, '0')",
           machine="TrinityMachine", why="field 2 is cut to 6 digits: 1000000 becomes 100000"),
    Mutant("trinity-local-time", "T2", TR,
           "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS')",
           "to_char(clock_timestamp(), 'YYYYMMDDHH24MISSUS')",
           machine="TrinityMachine", why="field 1 is the session's local time, not UTC"),
    Mutant("trinity-upper-hex", "T4", TR,
           "left(gen_random_uuid()::text, 8)",
           # Always one letter: an all-digit draw (2% of IDs) would upper-case to itself and make the catch flaky.
           "upper(left('a' || gen_random_uuid()::text, 8))",
           machine="TrinityMachine", why="field 3 is upper-case hex"),
    # -- schema hashes (H) ------------------------------------------------------------------------------
    Mutant("hash-ignores-default", "H3", H,
           "CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END)",
           "NULL::text)",
           machine="HashesMachine", why="a table's hash does not see its column defaults"),
    Mutant("update-skips-stale", "H5", H,
           "WHERE o.id = h.id AND o.ddl_hash IS DISTINCT FROM h.hash;",
           "WHERE o.id = h.id AND o.ddl_hash IS NULL;",
           machine="HashesMachine", why="update_all_hashes leaves stale stored hashes alone"),
    Mutant("detect-always-changed", "H6", H,
           "SELECT o.id, o.full_name, o.object_type, o.ddl_hash, x.hash, o.ddl_hash IS DISTINCT FROM x.hash",
           "SELECT o.id, o.full_name, o.object_type, o.ddl_hash, x.hash, true",
           machine="HashesMachine", why="detect_changes_by_hash reports every object as changed"),
    Mutant("export-stored-hash", "H7", H,
           "SELECT o.object_type::text, o.full_name, pggit.compute_ddl_hash(o.object_type, o.schema_name, "
           "o.object_name)",
           "SELECT o.object_type::text, o.full_name, o.ddl_hash",
           machine="HashesMachine", why="export_schema_hashes gives the stored baseline, not the current hash"),
    Mutant("unique-not-a-constraint", "H4", H,
           "WHERE k.contype IN ('c', 'u', 'p', 'f', 'x'))),",
           "WHERE k.contype IN ('c', 'f', 'x'))),",
           machine="HashesMachine", why="constraints_hash does not move when a UNIQUE or PRIMARY KEY is added"),
    # -- merge (M) --------------------------------------------------------------------------------------
    Mutant("merge-overwrites-conflicts", "M3", MG,
           "IF k.tgt_st IS NOT DISTINCT FROM k.base_st THEN",
           "IF true THEN",
           machine="BranchesCommitsMachine", why="a key changed on both sides takes the source's state silently"),
    Mutant("merge-source-stays-active", "M4", MG,
           "UPDATE pggit.branches SET status = 'MERGED', merged_at = localtimestamp WHERE id = s.id;",
           "PERFORM 1;",
           machine="BranchesCommitsMachine", why="the source stays ACTIVE after MERGE_SUCCESS"),
    Mutant("merge-result-prefix", "M5", MG,
           "v_result := 'MERGE_SUCCESS:' || v_merge_id;",
           "v_result := 'MERGED:' || v_merge_id;",
           machine="BranchesCommitsMachine", why="the result does not start with MERGE_SUCCESS:"),
    Mutant("merge-into-itself", "M1", MG,
           "IF p_source_branch = p_target_branch THEN",
           "IF false THEN",
           machine="BranchesCommitsMachine", why="merge_branches(S, S) is not rejected"),
    Mutant("merge-reverts-target", "M3", MG,
           "WHERE src.st IS DISTINCT FROM base.st\n        ORDER BY object_type, schema_name, object_name\n    LOOP\n"
           "        IF k.tgt_st IS NOT DISTINCT FROM k.base_st THEN",
           "WHERE src.st IS DISTINCT FROM tgt.st\n        ORDER BY object_type, schema_name, object_name\n    LOOP\n"
           "        IF k.tgt_st IS NOT DISTINCT FROM k.base_st OR k.src_st IS NOT DISTINCT FROM k.base_st THEN",
           machine="BranchesCommitsMachine",
           why="a key only the target changed takes the source's (older) state, undoing the target's change"),
    # -- renames and schemas (second model: R, N, V20) ---------------------------------------------------
    Mutant("index-rename-major", "R1", RN,
           "CASE p_type WHEN 'INDEX' THEN 'PATCH' ELSE 'MAJOR' END::pggit.change_severity;",
           "'MAJOR'::pggit.change_severity;",
           machine="RenamesMachine", why="renaming an index is recorded MAJOR on both keys instead of PATCH"),
    Mutant("column-rename-drop-create", "V20", RN,
           "WHERE a.attname::text <> c.key\n",
           "WHERE false\n",
           machine="RenamesMachine", why="RENAME COLUMN is recorded as the old column's DROP and a new column's "
           "CREATE: the column loses its past"),
    Mutant("schema-rename-unfollowed", "N6", RN,
           "WHERE id.nspoid = cmd.objid AND id.classid = 'pg_class'::regclass;",
           "WHERE false;",
           machine="RenamesMachine", why="ALTER SCHEMA … RENAME leaves the members' tables under the old schema"),
    Mutant("schema-rename-skips-matview", "N6", RN,
           "WHERE id.nspoid = cmd.objid AND id.classid = 'pg_class'::regclass;",
           "WHERE id.nspoid = cmd.objid AND id.classid = 'pg_class'::regclass\n"
           "              AND (SELECT c.relkind FROM pg_class c WHERE c.oid = id.objid) <> 'm';",
           machine="RenamesMachine", why="ALTER SCHEMA … RENAME leaves a materialized view of the schema, and its "
           "indexes, under the old schema (the tables and views follow)"),
    # -- cascades and statements outside a transaction block (second model: V26, X13, V24p) ------------
    Mutant("cascade-fk-unrecorded", "V26", T,
           "          AND object_type IN ('table', 'view', 'function', 'index', 'table column', 'table constraint',\n",
           "          AND object_type IN ('table', 'view', 'function', 'index', 'table column',\n",
           machine="CascadesMachine", why="DROP … CASCADE into another table's foreign key leaves that table "
           "unrecorded: PostgreSQL reports it only in sql_drop (B6), which no longer looks at constraints"),
    Mutant("ddl-start-assigns-xid", "X13", T,
           "AS $$\nBEGIN\n    PERFORM pggit._lock_bookkeeping();\nEND $$;",
           "AS $$\nBEGIN\n    PERFORM pggit._lock_bookkeeping();\n"
           "    PERFORM 1 FROM pggit.branches WHERE name = 'main' FOR UPDATE;\nEND $$;",
           machine="CascadesMachine", why="ddl_command_start takes a row lock (X9's advice), which assigns a "
           "transaction id: DROP INDEX CONCURRENTLY then fails with 0A000 (B11)"),
    Mutant("index-storage-recorded", "V24p", CS,
           "                          ' WITH \\((",
           "                          ' NEVER \\((",
           machine="CascadesMachine", why="ALTER INDEX … SET (fillfactor) is recorded as an ALTER of its table"),
    Mutant("cascade-default-unrecorded", "V26f", T,
           "                              'default value', 'materialized view')\n",
           "                              'materialized view')\n",
           machine="DependentsMachine", why="DROP SEQUENCE/FUNCTION … CASCADE takes another table's default and "
           "that table records nothing: PostgreSQL reports it only as a 'default value' row of sql_drop (B6)"),
    Mutant("invalid-index-recorded", "V24n", T,
           "        WHERE (i.indisvalid OR i.relkind <> 'i')  -- §14.1 V24n: no row for an INVALID one\n"
           "          AND (v_seen IS NULL",
           "        WHERE (v_seen IS NULL",
           machine="CascadesMachine", why="the INVALID index a failed CREATE UNIQUE INDEX CONCURRENTLY leaves gets "
           "an INDEX row at the next statement that syncs its table (V24n: it never has one)"),
    # -- kinds and structure (second model: V22-V24, V27, H9) ------------------------------------------------
    Mutant("identity-always-lifted-patch", "V24g", T,
           "                         WHEN o.value ->> 'identity' = 'a' THEN 'MINOR'\n",
           "                         WHEN o.value ->> 'identity' = 'a' THEN 'PATCH'\n",
           machine="KindsMachine",
           why="lifting an ALWAYS identity (to BY DEFAULT or none) is recorded PATCH, not MINOR"),
    Mutant("matview-untracked", "V22", T,
           "                                  WHEN c.relkind = 'm' THEN 'table' END,",
           "                                  END,",
           machine="KindsMachine", why="CREATE MATERIALIZED VIEW and indexes on one record nothing: the kind is not "
           "tracked"),
    Mutant("validate-constraint-records", "V24d", HELPERS,
           "regexp_replace(pg_get_constraintdef(p_con), ' NOT VALID$', '')",
           "pg_get_constraintdef(p_con)",
           machine="KindsMachine", why="a constraint's validity is part of the table's structure, so VALIDATE "
           "CONSTRAINT records an ALTER MAJOR (V23 leaves validity out)"),
    Mutant("generation-hashed-as-default", "H9", H,
           "                              || CASE WHEN a.attidentity <> '' OR a.attgenerated <> ''\n",
           "                              || CASE WHEN false\n",
           machine="KindsMachine", why="identity kind and generation expression are left out of a table's hash"),
    # -- partitions and inheritance (second model: V24q–x, V25, H8) -----------------------------------------
    Mutant("propagation-skipped", "V25", PT,
           "SELECT i.inhrelid, 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent = ANY (p_rels)\n",
           "SELECT i.inhrelid, 1 FROM pg_catalog.pg_inherits i WHERE false\n",
           machine="PartitionsMachine", why="a parent-level ALTER is recorded on the parent only: partitions and "
           "children that PostgreSQL changed silently (B5) record nothing"),
    Mutant("attach-minor", "V24s", PT,
           "            THEN 'MAJOR'\n        ELSE 'MINOR'",
           "            THEN 'MINOR'\n        ELSE 'MINOR'",
           machine="PartitionsMachine", why="ATTACH PARTITION is recorded MINOR on the partition instead of MAJOR"),
    Mutant("detach-unrecorded", "V24t", PT,
           "            SELECT s.relid, 0 FROM pggit.catalog_shapes s\n",
           "            SELECT s.relid, 0 FROM pggit.catalog_shapes s WHERE false AND\n",
           also=((PT, "            WHERE (s.structure -> 'hierarchy' -> 'parents') ?|",
                  "            (s.structure -> 'hierarchy' -> 'parents') ?|"),),
           machine="PartitionsMachine", why="DETACH PARTITION (reported as an ALTER of the parent) records nothing "
           "on the detached table"),
    Mutant("partitioned-index-unhashed", "H8", H,
           "'{i,I}');",
           "'{i}');",
           machine="PartitionsMachine", why="compute_ddl_hash gives NULL for a partitioned index"),
    # -- transactions (X) -------------------------------------------------------------------------------
    Mutant("checkout-lost-at-commit", "B6", BR,
           "PERFORM pg_catalog.set_config('pggit.current_branch', p_branch_name, false);",
           "PERFORM pg_catalog.set_config('pggit.current_branch', p_branch_name, true);",
           machine="FaultsMachine", why="checkout only lasts until the end of the transaction (B6, X1)"),
    # -- drift and re-install (U) ----------------------------------------------------------------------
    Mutant("drift-not-detected", "U3", H,
           "SELECT o.id, o.full_name, o.object_type, o.ddl_hash, x.hash, o.ddl_hash IS DISTINCT FROM x.hash\n",
           "SELECT o.id, o.full_name, o.object_type, o.ddl_hash, x.hash, o.ddl_hash IS DISTINCT FROM x.hash\n"
           "        AND EXISTS (SELECT 1 FROM pggit.history h WHERE h.object_id = o.id AND h.id > coalesce(nullif(\n"
           "            current_setting('pggit.baseline_history', true), ''), '0')::int)\n",
           machine="DriftMachine",
           also=((H, "    UPDATE pggit.objects o\n    SET ddl_hash = h.hash\n",
                  "    PERFORM set_config('pggit.baseline_history', "
                  "(SELECT coalesce(max(id), 0) FROM pggit.history)::text, false);\n    UPDATE pggit.objects o\n"
                  "    SET ddl_hash = h.hash\n"),),
           why="detect_changes_by_hash reports an object as changed only if pgGit recorded a change of it since "
               "update_all_hashes: the same answers as long as every DDL is tracked, none for drift"),
    Mutant("reinstall-truncates-history", "U1", "000_schema.sql",
           "CREATE SCHEMA IF NOT EXISTS pggit AUTHORIZATION CURRENT_USER;\n",
           "CREATE SCHEMA IF NOT EXISTS pggit AUTHORIZATION CURRENT_USER;\n"
           "DO $$ BEGIN IF to_regclass('pggit.history') IS NOT NULL THEN TRUNCATE pggit.history; END IF; END $$;\n",
           machine="ReinstallMachine", why="running install.sql again over a tracked database empties history"),
    # -- crash and restart (X6) -------------------------------------------------------------------------
    Mutant("history-unlogged", "X6", "000_schema.sql",
           "CREATE TABLE pggit.history (",
           "CREATE UNLOGGED TABLE pggit.history (",
           machine="CrashMachine", why="history is not WAL-logged, so crash recovery empties it: committed changes "
           "lose their history rows (V8) after a crash"),
    # -- transparency (V21) and damage (U4): caught by the twin database without pgGit ----------------------
    Mutant("event-trigger-rejects-views", "V21", T,
           "        ELSIF v_kind = 'view' THEN\n            PERFORM pggit._sync_definition('VIEW'",
           "        ELSIF v_kind = 'view' THEN\n"
           "            RAISE EXCEPTION 'pgGit: views are not supported' USING ERRCODE = '0A000';\n"
           "            PERFORM pggit._sync_definition('VIEW'",
           why="the event trigger rejects CREATE VIEW, which PostgreSQL accepts"),
    Mutant("tracking-sets-fillfactor", "V21", T,
           "                CASE WHEN p_parent IS NULL THEN current_query() END);\n    END IF;",
           "                CASE WHEN p_parent IS NULL THEN current_query() END);\n"
           "        IF p_type = 'TABLE' THEN\n"
           "            EXECUTE format('ALTER TABLE %I.%I SET (fillfactor = 90)', p_schema, p_name);\n"
           "        END IF;\n    END IF;",
           why="tracking a new table changes its storage parameters: a catalog difference no version shows"),
    Mutant("damaged-branch-raises", "U4", T,
           "    v_text text;\nBEGIN\n    UPDATE pggit.objects\n",
           "    v_text text;\nBEGIN\n"
           "    IF NOT EXISTS (SELECT 1 FROM pggit.objects o JOIN pggit.branches b ON b.id = o.branch_id\n"
           "                   WHERE o.id = p_id) THEN\n"
           "        RAISE EXCEPTION 'pgGit: object % belongs to no branch', p_id;\n"
           "    END IF;\n    UPDATE pggit.objects\n",
           machine="DamageMachine",
           why="the trigger raises on a row whose branch is gone: after the current branch's row is deleted, "
           "ALTER of a tracked table fails"),
    # -- issue 17 gaps: DETACH … CONCURRENTLY (V24t), REINDEX CONCURRENTLY then rename (V20), R3f ------------
    Mutant("detach-check-major", "V24t", T,
           "               AND NOT pggit._detach_check(p_old, p_new, n.value)  -- §14.1 V24t (084_partitions.sql)\n",
           "",
           machine="CascadesMachine", why="the CHECK DETACH … CONCURRENTLY adds counts as V10k's added constraint: "
           "the partition records MAJOR instead of MINOR"),
    Mutant("reindex-identity-lost", "V20", RN,
           "    PERFORM pggit._heal_index_identities(p_rel);  -- V20: before the indexes are compared by OID\n",
           "",
           machine="CascadesMachine", why="an index REINDEX … CONCURRENTLY replaced (new OID, no event) loses its "
           "identity: its later rename is recorded as a DROP and a CREATE"),
    Mutant("matview-rename-unfollowed", "R3f", RN,
           "r.relkind NOT IN ('r', 'p', 'v', 'm')",
           "r.relkind NOT IN ('r', 'p', 'v')",
           machine="RenamesMachine", why="a renamed or moved materialized view is not followed by identity: its old "
           "key stays active and the new one is created"),
    Mutant("temp-objects-tracked", "V1", HELPERS,
           "       AND NOT starts_with(p_schema, 'pg_temp')\n", "",
           why="V1's filter lets the session's temporary schema pg_temp_N through: temporary views and functions get "
           "rows (tables and drops stay out by their own relpersistence / is_temporary tests), found by a bare-name "
           "lookup through a search_path naming pg_temp (§14 A8)"),
)


#: Planted faults that no state machine can see, only ``pggit-model limits`` (pggit_model.limits): kept apart from
#: REFERENCE_MUTANTS, whose every entry a machine must catch (tests/test_mutants.py); tests/test_limits.py shows
#: the limits verdict flip on them.
LIMITS_MUTANTS: tuple[Mutant, ...] = (
    Mutant("ddl-rehashes-all-objects", "L1", T,
           "    PERFORM pggit._lock_bookkeeping();\n    FOR cmd IN SELECT classid, objid FROM "
           "pg_event_trigger_ddl_commands()",
           "    PERFORM count(*) FROM pggit.objects o\n"
           "    WHERE md5(coalesce(o.structure::text, o.full_name)) IS NOT NULL;\n"
           "    PERFORM pggit._lock_bookkeeping();\n    FOR cmd IN SELECT classid, objid FROM "
           "pg_event_trigger_ddl_commands()",
           machine="limits", why="every tracked DDL re-hashes every row of pggit.objects: a full scan per statement, "
           "so pgGit's cost per DDL grows with the objects tracked (L1: caught by `pggit-model limits`, not by a "
           "machine)"),
)


def by_name(name: str) -> Mutant:
    for m in REFERENCE_MUTANTS:
        if m.name == name:
            return m
    raise KeyError(f"no mutant named {name!r}; known: {', '.join(m.name for m in REFERENCE_MUTANTS)}")
