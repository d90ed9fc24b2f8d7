-- V1-V16: DDL tracking. The event triggers themselves are created last (090) so that the install
-- records nothing. Every change is written inside the DDL's own transaction (V3, X1).
--
-- V9a is implemented literally: each TABLE row keeps in `structure` the catalog snapshot recorded
-- on its branch, and after every statement the snapshot is compared with the catalog. The
-- difference alone decides the change, so no-op subcommands record nothing and a statement with
-- several subcommands is one change at the highest severity (V9).

-- The part of a table's catalog state that V10 talks about. Computed under a pinned search_path
-- so that rendered defaults and types never depend on the session (compare H2).
-- PL/pgSQL rather than SQL so that the plan is cached (event triggers run it on every DDL). It runs
-- only inside the event triggers, which pin search_path; no SET clause here, which saves time.
CREATE FUNCTION pggit._table_structure(p_rel oid) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN jsonb_build_object(
        'columns', coalesce((
            SELECT jsonb_object_agg(a.attname, jsonb_build_object(
                       'pos', a.attnum,
                       'type', format_type(a.atttypid, a.atttypmod),
                       'not_null', a.attnotnull,
                       -- V10: DEFAULT NULL counts as no default; a generation expression is no default (V23)
                       'default', CASE WHEN a.attgenerated <> '' THEN NULL
                                       WHEN pg_get_expr(d.adbin, d.adrelid) ~ '^NULL(::[^'']*)?$' THEN NULL
                                       ELSE pg_get_expr(d.adbin, d.adrelid) END,
                       'comment', c.description,
                       -- §14.1 V23: identity kind ('a' ALWAYS, 'd' BY DEFAULT) and generation expression
                       'identity', nullif(a.attidentity, ''),
                       'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END))
            FROM pggit._columns_of(p_rel) a  -- one version per row (X11, 005_helpers.sql)
            LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
            LEFT JOIN pggit._comments_of(p_rel) c ON c.objsubid = a.attnum
            WHERE NOT a.attisdropped), '{}'),
        'constraints', coalesce((
            -- V23 (§14.1): not whether a constraint is validated, so VALIDATE CONSTRAINT changes nothing (V24d), nor
            -- its index's storage parameters (V24p)
            SELECT jsonb_object_agg(k.conname, pggit._constraint_identity(k.oid))  -- foreign keys by identity (R6)
            FROM pggit._constraints_of(p_rel) k
            WHERE k.contype IN ('c', 'f', 'p', 'u', 'x')), '{}'),
        -- indexes not owned by a constraint (those count as the constraint, V10k/l)
        'indexes', coalesce((
            -- without storage parameters: ALTER INDEX … SET (…) records nothing (V24p, 086_cascades.sql)
            SELECT jsonb_object_agg(i.relname, pggit._index_definition(i.indexrelid))
            FROM pggit._indexes_of(p_rel) i
            WHERE (i.indisvalid OR i.relkind <> 'i')  -- §14.1 V24n: a failed CONCURRENTLY build's has no row
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                              WHERE k.conindid = i.indexrelid AND k.conrelid = p_rel
                                AND k.contype IN ('p', 'u', 'x'))), '{}'),
        'comment', (SELECT c.description FROM pggit._comments_of(p_rel) c WHERE c.objsubid = 0),
        -- §14 V23 (5): its place in a hierarchy (084_partitions.sql)
        'hierarchy', pggit._table_hierarchy(p_rel),
        -- a partition's constraint, which V9a ignores: what DETACH … CONCURRENTLY's CHECK equals (§14 V24t, 084)
        'partition_check', pg_get_partition_constraintdef(p_rel),
        -- every index of the table, constraint-owned ones too: V9a ignores this key, but comparing it
        -- before and after a statement tells which INDEX rows the statement created or dropped
        'index_names', coalesce((
            SELECT jsonb_agg(i.relname::text ORDER BY i.relname)
            FROM pggit._indexes_of(p_rel) i WHERE i.indisvalid OR i.relkind <> 'i'), '[]'));  -- §14.1 V24n
END $$;

-- V10: the change a table makes between two snapshots, or NULLs when nothing changed (V9a, V15).
-- Severity enum order is MAJOR < MINOR < PATCH, so min() is the highest severity (V9).
CREATE FUNCTION pggit._table_change(
    p_old jsonb, p_new jsonb, OUT change pggit.change_type, OUT severity pggit.change_severity)
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
    WITH old_col AS (SELECT key, value FROM jsonb_each(p_old -> 'columns')),
         new_col AS (SELECT key, value FROM jsonb_each(p_new -> 'columns')),
         effect(sev) AS (
             -- V10d/e: a new column is MAJOR only when NOT NULL without a default (an identity or a
             -- generation expression counts as one, §14.1 V24f)
             SELECT CASE WHEN (n.value ->> 'not_null')::boolean AND n.value -> 'default' = 'null'
                              AND coalesce(n.value -> 'identity', 'null') = 'null'
                              AND coalesce(n.value -> 'generated', 'null') = 'null'
                         THEN 'MAJOR' ELSE 'MINOR' END::pggit.change_severity
             FROM new_col n WHERE NOT EXISTS (SELECT 1 FROM old_col o WHERE o.key = n.key)
             UNION ALL
             -- V10f: a dropped column
             SELECT 'MAJOR' FROM old_col o WHERE NOT EXISTS (SELECT 1 FROM new_col n WHERE n.key = o.key)
             UNION ALL
             -- V10g/h/i/j: TYPE, SET NOT NULL, DROP NOT NULL, SET/DROP DEFAULT
             SELECT CASE
                        WHEN o.value -> 'type' <> n.value -> 'type' THEN 'MAJOR'
                        WHEN (n.value ->> 'not_null')::boolean AND NOT (o.value ->> 'not_null')::boolean
                            THEN 'MAJOR'
                        WHEN (o.value ->> 'not_null')::boolean AND NOT (n.value ->> 'not_null')::boolean
                            THEN 'MINOR'
                        WHEN o.value -> 'default' <> n.value -> 'default' THEN 'PATCH'
                    END::pggit.change_severity
             FROM old_col o JOIN new_col n USING (key)
             UNION ALL
             -- §14.1 V24g: identity kind before -> after (BY DEFAULT acts as a default, ALWAYS rejects values)
             SELECT CASE WHEN n.value ->> 'identity' = 'a' THEN 'MAJOR'
                         WHEN o.value ->> 'identity' = 'a' THEN 'MINOR'
                         ELSE 'PATCH' END::pggit.change_severity
             FROM old_col o JOIN new_col n USING (key)
             WHERE (o.value -> 'identity') IS DISTINCT FROM (n.value -> 'identity')
             UNION ALL
             -- §14.1 V24i: DROP EXPRESSION (the column becomes writable)
             SELECT 'MINOR' FROM old_col o JOIN new_col n USING (key)
             WHERE (o.value -> 'generated') IS DISTINCT FROM (n.value -> 'generated')
             UNION ALL
             -- V10k: a constraint added (CHECK, UNIQUE, FOREIGN KEY, PRIMARY KEY)
             SELECT 'MAJOR' FROM jsonb_each(p_new -> 'constraints') n
             WHERE (p_old -> 'constraints' -> n.key) IS DISTINCT FROM n.value
               AND NOT pggit._detach_check(p_old, p_new, n.value)  -- §14.1 V24t (084_partitions.sql)
             UNION ALL
             -- V10l: a constraint dropped
             SELECT 'MINOR' FROM jsonb_each(p_old -> 'constraints') o
             WHERE NOT (p_new -> 'constraints') ? o.key
             UNION ALL
             -- V10c/n: an index created or dropped
             SELECT 'PATCH' FROM jsonb_each(p_new -> 'indexes') n
             WHERE (p_old -> 'indexes' -> n.key) IS DISTINCT FROM n.value
             UNION ALL
             SELECT 'PATCH' FROM jsonb_each(p_old -> 'indexes') o
             WHERE NOT (p_new -> 'indexes') ? o.key
             UNION ALL
             -- §14 V24s/t/x: ATTACH, DETACH, [NO] INHERIT (084_partitions.sql)
             SELECT pggit._hierarchy_severity(p_old, p_new)),
         comments_changed AS (
             -- V10m: COMMENT ON TABLE / COLUMN with a different text
             SELECT (p_old -> 'comment') IS DISTINCT FROM (p_new -> 'comment')
                 OR EXISTS (SELECT 1 FROM old_col o JOIN new_col n USING (key)
                            WHERE (o.value -> 'comment') IS DISTINCT FROM (n.value -> 'comment')) AS yes)
    SELECT CASE WHEN e.sev IS NOT NULL THEN 'ALTER'
                WHEN c.yes THEN 'COMMENT' END::pggit.change_type,
           coalesce(e.sev, CASE WHEN c.yes THEN 'PATCH' END::pggit.change_severity)
    INTO change, severity
    FROM (SELECT min(sev) AS sev FROM effect) e, comments_changed c;
END $$;

-- V7/V14: creation or a new life on an inactive row: active, 1, 1.0.0, one CREATE row (V8).
-- A row that is already active is left alone (B9 leaves that case unspecified).
CREATE FUNCTION pggit._record_create(
    p_type pggit.object_type, p_schema text, p_name text, p_parent text, p_structure jsonb)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_branch text := pggit._current_branch();
    v_id int;
BEGIN
    INSERT INTO pggit.objects AS o
        (object_type, schema_name, object_name, parent_name, branch_name, branch_id, structure)
    VALUES (p_type, p_schema, p_name, p_parent, v_branch,
            (SELECT b.id FROM pggit.branches b WHERE b.name = v_branch), p_structure)
    ON CONFLICT (object_type, schema_name, object_name, branch_name) DO UPDATE
        SET is_active = true, version = 1, version_major = 1, version_minor = 0, version_patch = 0,
            parent_name = excluded.parent_name, structure = excluded.structure, updated_at = localtimestamp
        WHERE NOT o.is_active
    RETURNING o.id INTO v_id;
    IF v_id IS NOT NULL THEN
        -- L2: a column or index keeps no copy of the statement, its table's row has it (sql_executed is not
        -- compared, §2): a 1 600-column CREATE TABLE stored its 100 kB text 1 600 times, 6 s instead of 0.6
        INSERT INTO pggit.history
            (object_id, change_type, change_severity, old_version, new_version, change_description, sql_executed)
        VALUES (v_id, 'CREATE', 'MINOR', NULL, 1,
                format('%s %s.%s created', p_type, p_schema, p_name),
                CASE WHEN p_parent IS NULL THEN current_query() END);
    END IF;
END $$;

-- V7/V8: one ALTER or COMMENT change: counter +1 and the triple bumped by severity. A number already at
-- int's maximum stays there (only damage by hand puts it there, U4): the DDL must not fail on an overflow.
CREATE FUNCTION pggit._record_change(
    p_id int, p_change pggit.change_type, p_severity pggit.change_severity, p_structure jsonb)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_new int;
    v_text text;
BEGIN
    UPDATE pggit.objects
    SET version = version + (version < 2147483647)::int,
        version_major = version_major + (p_severity = 'MAJOR' AND version_major < 2147483647)::int,
        version_minor = CASE p_severity WHEN 'MAJOR' THEN 0
                                        WHEN 'MINOR' THEN version_minor + (version_minor < 2147483647)::int
                                        ELSE version_minor END,
        version_patch = CASE p_severity WHEN 'PATCH' THEN version_patch + (version_patch < 2147483647)::int
                                        ELSE 0 END,
        structure = p_structure,
        updated_at = localtimestamp
    WHERE id = p_id
    RETURNING version, format('%s %s %s -> %s.%s.%s', p_change, p_severity, full_name,
                              version_major, version_minor, version_patch)
    INTO v_new, v_text;
    INSERT INTO pggit.history
        (object_id, change_type, change_severity, old_version, new_version, change_description, sql_executed)
    VALUES (p_id, p_change, p_severity, v_new - 1, v_new, v_text, current_query());
END $$;

-- V13: inactive, one DROP row, version fields unchanged. Rows already inactive are skipped, so an
-- object reported twice (by name and by CASCADE) is dropped once (V9).
CREATE FUNCTION pggit._record_drop(p_id int) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_version int;
    v_name text;
BEGIN
    UPDATE pggit.objects SET is_active = false, updated_at = localtimestamp
    WHERE id = p_id AND is_active
    RETURNING version, full_name INTO v_version, v_name;
    IF FOUND THEN
        INSERT INTO pggit.history
            (object_id, change_type, change_severity, old_version, new_version, change_description, sql_executed)
        VALUES (p_id, 'DROP', 'MAJOR', v_version, NULL, format('%s dropped', v_name), current_query());
    END IF;
END $$;

-- Record what one statement did to one table on c (V9a, V10, V13, V15). `pggit.catalog_shapes` holds
-- the table's catalog state as the triggers last saw it, which is the state before this statement:
-- every statement that changes a tracked table passes through here, on whatever branch. So
--   * the table's change compares the structure recorded on c with the catalog now (V9a), but only
--     when the statement changed the catalog at all (a no-op statement records nothing, V15);
--   * its columns and indexes are created or dropped by comparing the catalog before and after the
--     statement, never by comparing c's rows with the catalog: rows on c that are stale because
--     another branch changed the shared catalog (B9) stay as they are, since PostgreSQL neither
--     created nor dropped those objects in this statement (V13).
-- A column re-added under its old name has a new attnum; an index re-built under its old name in the
-- same statement (DROP CONSTRAINT t_pkey, ADD PRIMARY KEY) is told apart from an internal rebuild
-- (TYPE change) by sql_drop, which reports only the former: `p_dropped` lists those indexes, as
-- format('%I.%I', schema, name). Either way the object was dropped and created again (V13, V14).
-- Called only from the event triggers below, under their pinned search_path.
CREATE FUNCTION pggit._sync_table(p_rel oid, p_dropped text[] DEFAULT '{}') RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_branch text := pggit._current_branch();
    v_schema text;
    v_table text;
    v_new jsonb;
    v_seen jsonb;
    v_seen_cols jsonb;
    v_new_cols jsonb;
    v_row pggit.objects;
    v_change record;
    v_child record;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = p_rel AND c.relkind = 'm') THEN
        PERFORM pggit._sync_matview(p_rel);  -- §14.1 V24y/aa (082_kinds.sql)
        RETURN;
    END IF;
    SELECT n.nspname, c.relname INTO v_schema, v_table
    FROM pggit._class_row(p_rel) c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND c.relpersistence <> 't';  -- 'p': §14 V22
    IF NOT FOUND OR NOT pggit._is_tracked_schema(v_schema) THEN
        RETURN;
    END IF;
    v_new := pggit._table_structure(p_rel);
    SELECT s.structure INTO v_seen FROM pggit.catalog_shapes s WHERE s.relid = p_rel;
    IF v_seen IS DISTINCT FROM v_new THEN
        INSERT INTO pggit.catalog_shapes AS s (relid, structure) VALUES (p_rel, v_new)
        ON CONFLICT (relid) DO UPDATE SET structure = excluded.structure;
    END IF;

    SELECT * INTO v_row FROM pggit.objects
    WHERE object_type = 'TABLE' AND schema_name = v_schema AND object_name = v_table
      AND branch_name = v_branch;
    IF NOT FOUND OR NOT v_row.is_active THEN
        -- CREATE TABLE (V10a), or DDL on a table c has no active row for (B9, unspecified): a
        -- creation on c, which brings every column and index along
        PERFORM pggit._record_create('TABLE', v_schema, v_table, NULL, v_new);
        v_seen := NULL;
    ELSIF v_seen IS DISTINCT FROM v_new THEN
        -- the statement changed the catalog: compare with what c recorded (V9a)
        v_change := pggit._table_change(v_row.structure, v_new);
        IF v_change.change IS NOT NULL THEN
            PERFORM pggit._record_change(v_row.id, v_change.change, v_change.severity, v_new);
        ELSIF v_row.structure IS DISTINCT FROM v_new THEN
            UPDATE pggit.objects SET structure = v_new WHERE id = v_row.id;
        END IF;
    ELSIF cardinality(p_dropped) = 0 THEN
        RETURN;  -- the statement left this table as it was: nothing to record (V9a, V15)
    END IF;

    -- L2: the column maps once, not per child row (extracting them from a 1 600-column snapshot for each of
    -- its 1 600 rows made a wide table's statements quadratic)
    v_seen_cols := v_seen -> 'columns';
    v_new_cols := v_new -> 'columns';
    -- columns and indexes the table had before the statement and has no longer (or has again, as a
    -- new object): dropped (V10f/l/n, V13). Dropped first, so that an object created again below
    -- starts a new life. The active children on c are read through the (branch, schema, parent) index.
    IF v_seen IS NOT NULL THEN
        FOR v_child IN
            SELECT o.id
            FROM pggit.objects o
            WHERE o.branch_name = v_branch AND o.schema_name = v_schema AND o.parent_name = v_table
              AND o.is_active
              AND CASE o.object_type
                      WHEN 'COLUMN' THEN (v_seen_cols -> substr(o.object_name, length(v_table) + 2) -> 'pos')
                                         IS DISTINCT FROM
                                         (v_new_cols -> substr(o.object_name, length(v_table) + 2) -> 'pos')
                                         AND v_seen_cols ? substr(o.object_name, length(v_table) + 2)
                      WHEN 'INDEX' THEN (v_seen -> 'index_names') ? o.object_name
                                        AND NOT (v_new -> 'index_names') ? o.object_name
                      ELSE false
                  END
            ORDER BY o.id
        LOOP
            PERFORM pggit._record_drop(v_child.id);
        END LOOP;
    END IF;

    -- columns the statement added (all of them for a creation): created (V10a/d/e, V11, V14)
    FOR v_child IN
        SELECT col.key AS name
        FROM jsonb_each(v_new_cols) col
        WHERE (v_seen_cols -> col.key -> 'pos') IS DISTINCT FROM (col.value -> 'pos')
        ORDER BY (col.value ->> 'pos')::int
    LOOP
        PERFORM pggit._record_create('COLUMN', v_schema, v_table || '.' || v_child.name, v_table, NULL);
    END LOOP;

    -- indexes the statement built: created (V10a/c/k). An index rebuilt internally keeps its name and
    -- is not reported dropped: no change.
    FOR v_child IN
        SELECT i.relname AS name, pg_get_indexdef(i.indexrelid) AS def
        FROM pggit._indexes_of(p_rel) i
        WHERE (i.indisvalid OR i.relkind <> 'i')  -- §14.1 V24n: no row for an INVALID one
          AND (v_seen IS NULL OR NOT (v_seen -> 'index_names') ? i.relname::text
               OR format('%I.%I', v_schema, i.relname) = ANY (p_dropped))
        ORDER BY i.indexrelid
    LOOP
        PERFORM pggit._record_create('INDEX', v_schema, v_child.name, v_table,
                                     jsonb_build_object('definition', v_child.def));
    END LOOP;
END $$;

-- V23: a view as its structure records it, its query by identity and its output column names. The query is
-- the stored rule's node tree (pg_rewrite.ev_action) without what names or the statement's text put there:
-- offsets and lengths in that text (`:location`, B16; `:stmt_location`, `:stmt_len`), the `alias`/`eref` names
-- a range table entry keeps from when the view was made, and target names (the output names come from
-- pg_attribute, which ALTER VIEW … RENAME COLUMN changes, R3h).
-- Tables, columns and functions are OIDs and attnums there, so a rename of what the view uses changes
-- nothing (R6) on any branch, including one whose recorded query differs from the shared catalog's (B9).
CREATE FUNCTION pggit._view_structure(p_view oid) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_tree text;
BEGIN
    IF NOT pggit._snapshot_reads() THEN
        SELECT r.ev_action::text INTO v_tree FROM pg_catalog.pg_rewrite r
        WHERE r.ev_class = p_view AND r.rulename = '_RETURN';
    ELSE  -- one version per row (X11, 005_helpers.sql)
        SELECT r.ev_action::text INTO v_tree FROM pg_catalog.pg_rewrite r
        WHERE r.ev_class::bigint = p_view::bigint AND r.rulename = '_RETURN' ORDER BY age(r.xmin) LIMIT 1;
    END IF;
    v_tree := regexp_replace(v_tree, ' :(location|stmt_location|stmt_len) -?[0-9]+', '', 'g');
    v_tree := regexp_replace(v_tree, ' :(alias|eref) (<>|\{ALIAS :aliasname (\\.|[^ \\])+ :colnames '
                                     '(<>|\((\\.|[^)\\])*\))\})', '', 'g');  -- (a name's ")" is escaped there)
    v_tree := regexp_replace(v_tree, ' :resname (\\.|[^ \\])+', '', 'g');
    RETURN (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
            FROM pggit._columns_of(p_view) a WHERE NOT a.attisdropped) || E'\n' || v_tree;
END $$;

-- V10b, V12: a view or function is created, or on CREATE OR REPLACE changed (ALTER MINOR) only
-- when its definition differs from the one recorded on c. Reporting the same object twice is
-- harmless because the second look finds the definition already recorded. An ALTER statement that
-- changes a view's definition renamed one of its columns (R3h): p_severity MAJOR.
CREATE FUNCTION pggit._sync_definition(
    p_type pggit.object_type, p_schema text, p_name text, p_definition text,
    p_severity pggit.change_severity DEFAULT 'MINOR')
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_row pggit.objects;
    v_new jsonb := jsonb_build_object('definition', p_definition);
BEGIN
    IF NOT pggit._is_tracked_schema(p_schema) THEN
        RETURN;
    END IF;
    SELECT * INTO v_row FROM pggit.objects
    WHERE object_type = p_type AND schema_name = p_schema AND object_name = p_name
      AND branch_name = pggit._current_branch();
    IF NOT FOUND OR NOT v_row.is_active THEN
        PERFORM pggit._record_create(p_type, p_schema, p_name, NULL, v_new);
    ELSIF v_row.structure IS DISTINCT FROM v_new THEN
        PERFORM pggit._record_change(v_row.id, 'ALTER', p_severity, v_new);
    END IF;
END $$;

-- ddl_command_start (X9): take the bookkeeping lock before the statement locks any relation.
CREATE FUNCTION pggit._on_ddl_command_start() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM pggit._lock_bookkeeping();
END $$;

-- ddl_command_end: every table, view and function the statement created or altered, each once.
-- Commands are looked up one by one by oid (a join against the catalogs would scan them), and
-- generic plans are forced so that the bookkeeping queries are planned once per session.
CREATE FUNCTION pggit._on_ddl_command_end() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    cmd record;
    v_kind text;
    v_obj oid;
    v_seen text[] := '{}';
    v_tables oid[] := '{}';  -- §14 V25: the reported tables, whose descendants are followed at the end
BEGIN
    PERFORM pggit._lock_bookkeeping();  -- X9, as at ddl_command_start
    PERFORM pggit._follow_keys();  -- renames and moves first (R1, 080_renames.sql)
    FOR cmd IN SELECT classid, objid FROM pg_event_trigger_ddl_commands() WHERE NOT in_extension LOOP
        v_kind := NULL;
        IF cmd.classid = 'pg_class'::regclass THEN
            -- a table itself, or the table of an index (V10a/c), or a view
            -- (a materialized view goes the table's way: _sync_table hands it to _sync_matview, §14.1;
            -- §14 V22: 'p' a partitioned table, 'I' a partitioned index)
            SELECT CASE WHEN c.relkind IN ('r', 'p', 'i', 'I') THEN 'table' WHEN c.relkind = 'v' THEN 'view'
                                  WHEN c.relkind = 'm' THEN 'table' END,
                   CASE WHEN c.relkind IN ('i', 'I') THEN (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid
                                                            ORDER BY age(i.xmin) LIMIT 1)
                                  ELSE c.oid END
            INTO v_kind, v_obj
            FROM pggit._class_row(cmd.objid) c;
        ELSIF cmd.classid = 'pg_constraint'::regclass THEN
            SELECT 'table', k.conrelid INTO v_kind, v_obj
            FROM pg_constraint k WHERE k.oid = cmd.objid AND k.conrelid <> 0;
        ELSIF cmd.classid = 'pg_proc'::regclass THEN
            SELECT 'function', p.oid INTO v_kind, v_obj
            FROM pg_proc p WHERE p.oid = cmd.objid AND p.prokind = 'f';
        END IF;
        CONTINUE WHEN v_kind IS NULL OR v_obj IS NULL OR v_kind || v_obj = ANY (v_seen);
        v_seen := v_seen || (v_kind || v_obj);

        IF v_kind = 'table' THEN
            PERFORM pggit._sync_table(v_obj);
            v_tables := v_tables || v_obj;
        ELSIF v_kind = 'view' THEN
            PERFORM pggit._sync_definition('VIEW', n.nspname, c.relname, pggit._view_structure(c.oid),
                                           (CASE WHEN starts_with(tg_tag, 'ALTER') THEN 'MAJOR'
                                                 ELSE 'MINOR' END)::pggit.change_severity)
            FROM pggit._class_row(v_obj) c JOIN pg_namespace n ON n.oid = c.relnamespace;
        ELSE
            PERFORM pggit._sync_definition('FUNCTION', n.nspname, pggit._function_name(p.oid),
                                           pg_get_functiondef(p.oid))
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = v_obj
            ORDER BY age(p.xmin) LIMIT 1;  -- one version per row (X11, 005_helpers.sql)
        END IF;
    END LOOP;
    PERFORM pggit._sync_hierarchy(v_tables);  -- §14 V25: descendants, and children that left (084)
    PERFORM pggit._remember_keys();  -- the keys the next statement's renames are found by (V20)
END $$;

-- sql_drop (V13, V10f/l/n/o/p): every tracked object PostgreSQL dropped, named or by CASCADE, and
-- nothing else: rows on c of objects that the statement did not drop (stale, B9) stay as they are.
-- Tables that lost a column, index or constraint but still exist are re-synced for their ALTER.
CREATE FUNCTION pggit._on_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_branch text := pggit._current_branch();
    d record;
    v_shape jsonb;
    v_tables oid[] := '{}';
    v_indexes text[] := '{}';
    v_rel oid;
BEGIN
    PERFORM pggit._lock_bookkeeping();  -- X9, as at ddl_command_start
    PERFORM pggit._forget_dropped();  -- §14 V20: identities of dropped objects (080_renames.sql)
    FOR d IN
        SELECT * FROM pg_event_trigger_dropped_objects()
        WHERE NOT is_temporary AND pggit._is_tracked_schema(schema_name)
          -- 'default value': DROP SEQUENCE/FUNCTION … CASCADE drops other tables' defaults (V26e/f, B6)
          AND object_type IN ('table', 'view', 'function', 'index', 'table column', 'table constraint',
                              'default value', 'materialized view')
    LOOP
        CASE d.object_type
        WHEN 'table' THEN
            -- V10o: the table and the columns it had before the statement (its indexes are reported
            -- one by one below). A table the triggers never saw falls back to its active column rows.
            DELETE FROM pggit.catalog_shapes WHERE relid = d.objid RETURNING structure INTO v_shape;
            PERFORM pggit._record_drop(o.id) FROM pggit.objects o
            WHERE o.object_type = 'TABLE' AND o.schema_name = d.schema_name
              AND o.object_name = d.address_names[2] AND o.branch_name = v_branch;
            PERFORM pggit._record_drop(o.id) FROM pggit.objects o
            WHERE o.branch_name = v_branch AND o.schema_name = d.schema_name
              AND o.parent_name = d.address_names[2] AND o.object_type = 'COLUMN' AND o.is_active
              AND (v_shape IS NULL
                   OR (v_shape -> 'columns') ? substr(o.object_name, length(d.address_names[2]) + 2))
            ORDER BY o.id;
        WHEN 'view', 'materialized view' THEN  -- §14.1 V24ab
            PERFORM pggit._record_drop(o.id) FROM pggit.objects o
            WHERE o.branch_name = v_branch AND o.schema_name = d.schema_name
              AND o.object_type = CASE d.object_type WHEN 'view' THEN 'VIEW' ELSE 'MATERIALIZED_VIEW'
                                  END::pggit.object_type
              AND o.object_name = d.address_names[2];
            DELETE FROM pggit.matview_shapes WHERE relid = d.objid;  -- (082_kinds.sql)
        WHEN 'function' THEN
            PERFORM pggit._record_drop(o.id) FROM pggit.objects o
            WHERE o.branch_name = v_branch AND o.object_type = 'FUNCTION' AND o.schema_name = d.schema_name
              AND o.object_name = pggit._function_name_from_address(d.address_names[2], d.address_args);
        WHEN 'index' THEN
            -- V10n; an index PostgreSQL rebuilds internally is not reported here. The index is gone
            -- from pg_index, so its table is the one whose last seen shape lists it and still exists
            -- (or, for a table the triggers never saw, the parent named by the INDEX row on c).
            PERFORM pggit._record_drop(o.id) FROM pggit.objects o
            WHERE o.branch_name = v_branch AND o.object_type = 'INDEX' AND o.schema_name = d.schema_name
              AND o.object_name = d.address_names[2];
            v_indexes := v_indexes || format('%I.%I', d.schema_name, d.address_names[2]);
            v_tables := v_tables || ARRAY(
                SELECT s.relid FROM pggit.catalog_shapes s
                JOIN pg_class c ON c.oid = s.relid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = d.schema_name AND (s.structure -> 'index_names') ? d.address_names[2]
                UNION ALL
                -- (or of a materialized view, V24aa, or a partitioned table, §14)
                SELECT pggit._relation_oid(d.schema_name, o.parent_name, '{r,m,p}') FROM pggit.objects o
                WHERE o.branch_name = v_branch AND o.object_type = 'INDEX' AND o.schema_name = d.schema_name
                  AND o.object_name = d.address_names[2]);
        ELSE
            -- 'table column' (V10f), 'table constraint' (V10l), 'default value' (V26): {schema, table, name}
            v_tables := v_tables || pggit._relation_oid(d.address_names[1], d.address_names[2], '{r,p}');  -- 'p': §14
        END CASE;
    END LOOP;

    FOR v_rel IN SELECT DISTINCT t FROM unnest(v_tables) t WHERE t IS NOT NULL LOOP
        PERFORM pggit._sync_table(v_rel, v_indexes);
    END LOOP;
END $$;
