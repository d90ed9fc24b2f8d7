-- V17-V19: reading versions. These functions run under the caller's search_path on purpose:
-- V17 resolves unqualified names through current_schemas(false).

-- V17 resolution among rows of the V2 kinds (and MATERIALIZED_VIEW, §14.1 V28) on c: first full_name = name, then s.name for the
-- first schema s of current_schemas(false). Returns objects.id or NULL.
CREATE FUNCTION pggit._resolve_object(p_name text, p_active boolean) RETURNS int
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_branch text := pggit._current_branch();
    v_id int;
BEGIN
    SELECT o.id INTO v_id FROM pggit.objects o
    WHERE o.branch_name = v_branch AND o.full_name = p_name AND o.is_active = p_active
      AND o.object_type IN ('TABLE', 'COLUMN', 'INDEX', 'VIEW', 'MATERIALIZED_VIEW', 'FUNCTION')
    ORDER BY o.object_type, o.id
    LIMIT 1;
    IF v_id IS NULL THEN
        SELECT o.id INTO v_id
        FROM unnest(pg_catalog.current_schemas(false)) WITH ORDINALITY AS s(name, pos)
        JOIN pggit.objects o ON o.full_name = s.name || '.' || p_name
        WHERE o.branch_name = v_branch AND o.is_active = p_active
          AND o.object_type IN ('TABLE', 'COLUMN', 'INDEX', 'VIEW', 'MATERIALIZED_VIEW', 'FUNCTION')
        ORDER BY s.pos, o.object_type, o.id
        LIMIT 1;
    END IF;
    RETURN v_id;
END $$;

-- V17: exactly one row for an active object on c, zero rows otherwise (never an error).
CREATE FUNCTION pggit.get_version(p_object_name text)
RETURNS TABLE (object_name text, schema_name text, version int, version_string text, created_at timestamp)
LANGUAGE sql STABLE
AS $$
    SELECT o.object_name, o.schema_name, o.version,
           format('%s.%s.%s', o.version_major, o.version_minor, o.version_patch), o.created_at
    FROM (SELECT pggit._resolve_object(p_object_name, true) AS id) r
    JOIN pggit.objects o ON o.id = r.id
$$;

-- V18: the row's history over all its lives, newest first by history.id; inactive rows on c are
-- looked up only when no active row resolves.
CREATE FUNCTION pggit.get_history(p_object_name text, p_limit int DEFAULT 10)
RETURNS TABLE (version int, change_type pggit.change_type, change_description text,
               created_at timestamp, created_by text)
LANGUAGE sql STABLE
AS $$
    SELECT h.new_version, h.change_type, h.change_description, h.created_at, h.created_by
    FROM (SELECT coalesce(pggit._resolve_object(p_object_name, true),
                          pggit._resolve_object(p_object_name, false)) AS id) r
    JOIN pggit.history h ON h.object_id = r.id
    ORDER BY h.id DESC
    LIMIT p_limit
$$;

-- V19: active TABLE rows on c in a schema, with their active COLUMN rows counted.
CREATE FUNCTION pggit.show_table_versions(p_schema_name text DEFAULT 'public')
RETURNS TABLE (object_name text, schema_name text, version_string text, last_change timestamp,
               column_count bigint)
LANGUAGE sql STABLE
AS $$
    SELECT t.object_name, t.schema_name,
           format('%s.%s.%s', t.version_major, t.version_minor, t.version_patch),
           coalesce((SELECT max(h.created_at) FROM pggit.history h WHERE h.object_id = t.id), t.updated_at),
           (SELECT count(*) FROM pggit.objects c
            WHERE c.object_type = 'COLUMN' AND c.branch_name = t.branch_name
              AND c.schema_name = t.schema_name AND c.parent_name = t.object_name AND c.is_active)
    FROM pggit.objects t
    WHERE t.object_type = 'TABLE' AND t.branch_name = pggit._current_branch()
      AND t.schema_name = p_schema_name AND t.is_active
    ORDER BY t.object_name
$$;
