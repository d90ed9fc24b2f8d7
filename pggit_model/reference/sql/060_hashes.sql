-- H1-H7: schema hashes, hash(o) = sha256hex(S(o)). Every function that renders catalog text runs
-- with search_path pinned to pg_catalog, pg_temp, so the session's path never changes a hash (H2).

-- H3: S of a table is its live columns in attnum order: name, type with modifiers, NOT NULL and
-- the default as pg_get_expr renders it. Constraints, indexes, comments and storage are left out.
CREATE FUNCTION pggit._table_shape(p_rel oid) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    -- §14.1 H9: a generation expression is not the default; identity kind and generation expression are two
    -- more components (appended only when present, so other columns hash as before)
    SELECT coalesce(jsonb_agg(jsonb_build_array(a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                                                CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END)
                              || CASE WHEN a.attidentity <> '' OR a.attgenerated <> ''
                                      THEN jsonb_build_array(a.attidentity::text,
                                               CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END)
                                      ELSE '[]'::jsonb END
                              ORDER BY a.attnum), '[]')::text
    FROM pggit._columns_of(p_rel) a  -- one version per row (X11, 005_helpers.sql)
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE NOT a.attisdropped
$$;

-- H1: 64 hex characters for an existing TABLE, VIEW, INDEX or FUNCTION (named as in V5); NULL for
-- a NULL argument (STRICT), a missing object or another type.
CREATE FUNCTION pggit.compute_ddl_hash(p_object_type pggit.object_type, p_schema_name text, p_object_name text)
RETURNS text
LANGUAGE plpgsql STABLE STRICT
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_oid oid;
BEGIN
    CASE p_object_type
    WHEN 'TABLE' THEN
        v_oid := pggit._relation_oid(p_schema_name, p_object_name, '{r,p}');
        IF v_oid IS NULL THEN
            RETURN NULL;
        END IF;
        RETURN pggit._sha256hex('TABLE ' || pggit._table_shape(v_oid));
    WHEN 'VIEW' THEN
        v_oid := pggit._relation_oid(p_schema_name, p_object_name, '{v}');
        RETURN pggit._sha256hex('VIEW ' || pg_get_viewdef(v_oid));
    WHEN 'INDEX' THEN
        v_oid := pggit._relation_oid(p_schema_name, p_object_name, '{i,I}');  -- 'I': a partitioned index (§14 H8)
        RETURN pggit._sha256hex('INDEX ' || pg_get_indexdef(v_oid));
    WHEN 'FUNCTION' THEN
        v_oid := pggit._function_oid(p_schema_name, p_object_name);
        RETURN pggit._sha256hex('FUNCTION ' || pg_get_functiondef(v_oid));
    ELSE
        RETURN NULL;
    END CASE;
END $$;

-- H4: a hash of a set is the hash of its sorted members; the empty set hashes to a fixed value.
CREATE FUNCTION pggit._set_hash(p_members text[]) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT pggit._sha256hex(coalesce((SELECT jsonb_agg(m ORDER BY m) FROM unnest(p_members) m), '[]')::text)
$$;

CREATE FUNCTION pggit.compute_table_component_hashes(p_schema_name text, p_table_name text)
RETURNS TABLE (structure_hash text, constraints_hash text, indexes_hash text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pggit.compute_ddl_hash('TABLE', p_schema_name, p_table_name),
           -- §14.1: constraints as V23 compares them: not whether validated (V24d, H11), nor their index's storage
           -- parameters (those are the index's: its own hash and indexes_hash show them, H11)
           pggit._set_hash(ARRAY(SELECT pggit._constraint_structure(k.oid)
                                 FROM pggit._constraints_of(r.oid) k
                                 WHERE k.contype IN ('c', 'u', 'p', 'f', 'x'))),
           pggit._set_hash(ARRAY(SELECT pg_get_indexdef(i.indexrelid) FROM pggit._indexes_of(r.oid) i
                                 -- §14.1 V24n: not the INVALID index of a failed CONCURRENTLY build
                                 WHERE (i.indisvalid OR i.relkind <> 'i')
                                   AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                                                   WHERE k.conindid = i.indexrelid AND k.conrelid = r.oid
                                                     AND k.contype IN ('p', 'u', 'x'))))
    FROM (SELECT pggit._relation_oid(p_schema_name, p_table_name, '{r,p}') AS oid) r
    WHERE r.oid IS NOT NULL
$$;

-- H5, H6: ddl_hash is a baseline written here and nowhere else (B5 only copies it).
CREATE FUNCTION pggit.update_all_hashes() RETURNS TABLE (updated_count int, error_count int)
LANGUAGE plpgsql
AS $$
DECLARE
    v_updated int;
BEGIN
    PERFORM pggit._lock_bookkeeping();
    -- X11(b): above READ COMMITTED the rows and the catalog it reads are the snapshot's, so a row of any branch
    -- that a transaction committed after it made or changed would be missed or hashed from an old catalog
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM pggit._fail_if_changed_after_snapshot(NULL);  -- any branch
    END IF;
    UPDATE pggit.objects o
    SET ddl_hash = h.hash
    FROM (SELECT x.id, pggit.compute_ddl_hash(x.object_type, x.schema_name, x.object_name) AS hash
          FROM pggit.objects x
          WHERE x.is_active AND x.object_type IN ('TABLE', 'VIEW', 'INDEX', 'FUNCTION')) h
    WHERE o.id = h.id AND o.ddl_hash IS DISTINCT FROM h.hash;
    GET DIAGNOSTICS v_updated = ROW_COUNT;
    RETURN QUERY SELECT v_updated, 0;
END $$;

-- H6: stored baseline against the current hash, for active rows on c.
CREATE FUNCTION pggit.detect_changes_by_hash()
RETURNS TABLE (object_id int, full_name text, object_type pggit.object_type, old_hash text, new_hash text,
               has_changed boolean)
LANGUAGE sql STABLE
AS $$
    SELECT o.id, o.full_name, o.object_type, o.ddl_hash, x.hash, o.ddl_hash IS DISTINCT FROM x.hash
    FROM pggit.objects o
    CROSS JOIN LATERAL (SELECT pggit.compute_ddl_hash(o.object_type, o.schema_name, o.object_name) AS hash) x
    WHERE o.branch_name = pggit._current_branch() AND o.is_active
      AND o.object_type IN ('TABLE', 'VIEW', 'INDEX', 'FUNCTION')
    ORDER BY o.id
$$;

-- H7: current hashes of the active rows on c in one schema.
CREATE FUNCTION pggit.export_schema_hashes(p_schema_name text DEFAULT 'public')
RETURNS TABLE (object_type text, object_name text, ddl_hash text)
LANGUAGE sql STABLE
AS $$
    SELECT o.object_type::text, o.full_name, pggit.compute_ddl_hash(o.object_type, o.schema_name, o.object_name)
    FROM pggit.objects o
    WHERE o.branch_name = pggit._current_branch() AND o.schema_name = p_schema_name AND o.is_active
      AND o.object_type IN ('TABLE', 'VIEW', 'INDEX', 'FUNCTION')
    ORDER BY o.object_type, o.full_name
$$;
