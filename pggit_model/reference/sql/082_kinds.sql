-- §14.1 (V22-V24, V28, H8): materialized views as a kind of their own. (Identity and generated columns, NOT VALID
-- and storage parameters are parts of 010_tracking.sql's table structure; their hashes of 060_hashes.sql.)
--
-- A MATERIALIZED_VIEW row keeps its query and the names of its indexes: creating or dropping an index on it
-- records ALTER PATCH (V24aa, as V10c/n for a table); REFRESH changes neither (V24z, V27). Its indexes are INDEX
-- rows with the view as parent. _sync_table hands a materialized view here (010), and sql_drop drops its row.
-- compute_ddl_hash already answers NULL for the kind (H8) and update_all_hashes leaves its rows out.

CREATE FUNCTION pggit._matview_structure(p_rel oid) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        -- its query by identity, as a view's (R6, V23: a rename of what it reads changes nothing, 010_tracking.sql)
        'definition', pggit._view_structure(p_rel),
        -- names only: `ALTER INDEX … SET (…)` on one of them changes no V23 component (V24p)
        'index_names', coalesce((SELECT jsonb_agg(i.relname::text ORDER BY i.relname)
                                 FROM pggit._indexes_of(p_rel) i), '[]'))  -- X11, 005_helpers.sql
$$;

-- A materialized view's structure as the triggers last saw it in the catalog, shared by every branch (as
-- catalog_shapes is for tables): what one statement changed. c's recorded structure is no guide to that: another
-- branch may have dropped the view and made it again with another query in the shared catalog (B9) while c keeps
-- the one it recorded, and the rows that apply fix the severity by the statement alone (V24z nothing, V24aa
-- PATCH, R3h MAJOR). sql_drop forgets a dropped view's row (010_tracking.sql).
CREATE TABLE pggit.matview_shapes (relid oid PRIMARY KEY, structure jsonb NOT NULL);

CREATE FUNCTION pggit._remember_matview(p_rel oid, p_structure jsonb) RETURNS void
LANGUAGE sql
AS $$
    INSERT INTO pggit.matview_shapes AS s (relid, structure) VALUES (p_rel, p_structure)
    ON CONFLICT (relid) DO UPDATE SET structure = excluded.structure WHERE s.structure <> excluded.structure
$$;

-- V24y (created), V24aa (an index created or dropped: ALTER PATCH, and the new index's INDEX row), R3h (a column
-- renamed: its query changed, MAJOR). What changed is the catalog's before and after the statement (above); c's
-- recorded structure only when the triggers never saw the view. Called only from the event triggers (pinned
-- search_path).
CREATE FUNCTION pggit._sync_matview(p_rel oid) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_schema text;
    v_name text;
    v_new jsonb;
    v_seen jsonb;
    v_row pggit.objects;
    v_index text;
BEGIN
    SELECT n.nspname, c.relname INTO v_schema, v_name
    FROM pggit._class_row(p_rel) c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'm';
    IF NOT FOUND OR NOT pggit._is_tracked_schema(v_schema) THEN
        RETURN;
    END IF;
    v_new := pggit._matview_structure(p_rel);
    SELECT s.structure INTO v_seen FROM pggit.matview_shapes s WHERE s.relid = p_rel;
    PERFORM pggit._remember_matview(p_rel, v_new);
    SELECT * INTO v_row FROM pggit.objects
    WHERE object_type = 'MATERIALIZED_VIEW' AND schema_name = v_schema AND object_name = v_name
      AND branch_name = pggit._current_branch();
    IF NOT FOUND OR NOT v_row.is_active THEN
        PERFORM pggit._record_create('MATERIALIZED_VIEW', v_schema, v_name, NULL, v_new);
        v_seen := NULL;  -- (every index of it is new on c)
    ELSE
        v_seen := coalesce(v_seen, v_row.structure);
        IF v_seen IS NOT DISTINCT FROM v_new THEN
            RETURN;  -- REFRESH, or nothing that V23 compares (V27)
        END IF;
        -- V24aa, R3c: its indexes changed (PATCH); R3h: its query, which only RENAME COLUMN changes here
        -- (it names what it reads by identity, so their renames change nothing, R6): MAJOR
        PERFORM pggit._record_change(v_row.id, 'ALTER',
                                     (CASE WHEN (v_seen -> 'definition') IS DISTINCT FROM (v_new -> 'definition')
                                           THEN 'MAJOR' ELSE 'PATCH' END)::pggit.change_severity, v_new);
    END IF;
    FOR v_index IN
        SELECT x FROM jsonb_array_elements_text(v_new -> 'index_names') x
        WHERE NOT coalesce(v_seen -> 'index_names', '[]') ? x
    LOOP
        PERFORM pggit._record_create('INDEX', v_schema, v_index, v_name,
                                     jsonb_build_object('definition',
                                                        pg_get_indexdef(pggit._relation_oid(v_schema, v_index, '{i}'))));
    END LOOP;
END $$;
