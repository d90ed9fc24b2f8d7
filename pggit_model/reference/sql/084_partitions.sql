-- §14.1 V22–V25: partitioned tables, partitions and inheritance children. Written from
-- pggit-contract-s14.md alone.
--
-- A partition or child is a TABLE like any other (V22); its place in a hierarchy is part of its
-- structure (V23 (5)), kept under the 'hierarchy' key of its snapshot: the partition key (strategy
-- and key columns by attnum, so a renamed key column is no change), its parents (by OID: renaming a
-- parent is no change of the child) and its bound. ATTACH and DETACH are reported as an ALTER of the
-- parent only, and parent-level ALTERs change the descendants silently (Appendix B5): so after every
-- statement the tables it reported are followed down to their descendants, and to the tables that
-- were their children before it (DETACH, NO INHERIT), and each of those is recorded as usual (V25).

-- V23 (5): a table's place in a hierarchy.
CREATE FUNCTION pggit._table_hierarchy(p_rel oid) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
        -- (one version per row, X11: see 005_helpers.sql)
        'key', (SELECT jsonb_build_array(p.partstrat::text, p.partattrs::text)
                FROM pg_catalog.pg_partitioned_table p WHERE p.partrelid = p_rel ORDER BY age(p.xmin) LIMIT 1),
        'parents', coalesce((SELECT jsonb_agg(i.inhparent::bigint::text ORDER BY i.inhseqno)
                             FROM (SELECT DISTINCT ON (h.inhseqno) h.inhparent, h.inhseqno
                                   FROM pg_catalog.pg_inherits h WHERE h.inhrelid = p_rel
                                   ORDER BY h.inhseqno, age(h.xmin)) i), '[]'),
        'bound', (SELECT pg_catalog.pg_get_expr(c.relpartbound, c.oid) FROM pggit._class_row(p_rel) c))
$$;

-- Former children are found by their last seen parents (see _sync_hierarchy), without a scan.
CREATE INDEX catalog_shapes_parents ON pggit.catalog_shapes USING gin ((structure -> 'hierarchy' -> 'parents'));

-- V24s/t/x: the severity of a change of that place. A table that became a partition (ATTACH) now
-- rejects rows outside its bound: MAJOR. Leaving a hierarchy (DETACH, NO INHERIT) or joining an
-- inheritance parent (INHERIT): MINOR. NULL when the place did not change.
CREATE FUNCTION pggit._hierarchy_severity(p_old jsonb, p_new jsonb) RETURNS pggit.change_severity
LANGUAGE sql IMMUTABLE
AS $$
    SELECT CASE
        WHEN (p_old -> 'hierarchy') IS NOT DISTINCT FROM (p_new -> 'hierarchy') THEN NULL
        WHEN (p_new -> 'hierarchy' ->> 'bound') IS NOT NULL
             AND (p_old -> 'hierarchy' ->> 'bound') IS DISTINCT FROM (p_new -> 'hierarchy' ->> 'bound')
            THEN 'MAJOR'
        ELSE 'MINOR'
    END::pggit.change_severity
$$;

-- The CHECK's and the partition constraint's renderings differ only in how a LIST bound's array shows
-- (`ARRAY['1'::bigint, '2'::bigint]` or `ARRAY[1, 2]` against `'{1,2}'::bigint[]`, pinned on PostgreSQL 15):
-- both are read with integer constants bare, arrays as {…} and no blanks.
CREATE FUNCTION pggit._bound_text(p_definition text) RETURNS text
LANGUAGE sql IMMUTABLE
AS $$
    SELECT regexp_replace(regexp_replace(regexp_replace(regexp_replace(p_definition,
        '''(-?[0-9]+)''::(bigint|smallint|integer)', '\1', 'g'),
        'ARRAY\[([^]]*)\]', '{\1}', 'g'),
        '''\{([^}]*)\}''::(bigint|smallint|integer)\[\]', '{\1}', 'g'),
        '\s', '', 'g')
$$;

-- V24t, A52: DETACH PARTITION … CONCURRENTLY adds to the partition a CHECK equal to its old bound (unless its
-- constraints imply it); that is the same change as leaving the hierarchy (MINOR), not V10k's added
-- constraint. Such a CHECK is one the table has once it left a partitioned table (its bound went) that
-- equals the partition constraint recorded with the old bound. Any other CHECK is V10k's: under B9 another
-- branch may DETACH and then ADD CHECK before c's next statement on the table. (_table_change, 010, asks.)
CREATE FUNCTION pggit._detach_check(p_old jsonb, p_new jsonb, p_definition jsonb) RETURNS bool
LANGUAGE sql IMMUTABLE
AS $$
    SELECT (p_old -> 'hierarchy' ->> 'bound') IS NOT NULL AND (p_new -> 'hierarchy' ->> 'bound') IS NULL
           AND pggit._bound_text(p_definition #>> '{}')
               = pggit._bound_text(format('CHECK (%s)', p_old ->> 'partition_check'))
$$;

-- V25: after a statement, every table below the reported ones, and every table that was below one of
-- them before the statement (it left: DETACH, NO INHERIT), is followed like a reported table: its
-- renamed columns first (R3b), then its structure (V9a). Parents come before their children.
CREATE FUNCTION pggit._sync_hierarchy(p_rels oid[]) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_rel oid;
BEGIN
    IF cardinality(p_rels) = 0 THEN
        RETURN;
    END IF;
    FOR v_rel IN
        WITH RECURSIVE below(relid, depth) AS (
            SELECT i.inhrelid, 1 FROM pg_catalog.pg_inherits i WHERE i.inhparent = ANY (p_rels)
            UNION ALL
            SELECT i.inhrelid, b.depth + 1 FROM pg_catalog.pg_inherits i JOIN below b ON i.inhparent = b.relid
            WHERE b.depth < 32)
        SELECT relid FROM (
            SELECT relid, min(depth) AS depth FROM below GROUP BY relid
            UNION ALL
            -- former children: their last seen shape names a reported table as a parent
            SELECT s.relid, 0 FROM pggit.catalog_shapes s
            WHERE (s.structure -> 'hierarchy' -> 'parents') ?| ARRAY(SELECT r::bigint::text FROM unnest(p_rels) r)
              AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i
                              WHERE i.inhrelid = s.relid AND i.inhparent = ANY (p_rels))) t
        GROUP BY relid ORDER BY min(depth), relid
    LOOP
        -- B12: a descendant with no active row on c (made on another branch, in B9's shared catalog) is left
        -- alone: a statement that does not change it records nothing there, and one that does is left open
        CONTINUE WHEN NOT EXISTS (
            SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pggit.objects o ON o.object_type = 'TABLE' AND o.schema_name = n.nspname
                                AND o.object_name = c.relname AND o.is_active
            WHERE c.oid = v_rel AND o.branch_name = pggit._current_branch());
        PERFORM pggit._follow_relation(v_rel, false);
        PERFORM pggit._sync_table(v_rel);
        -- V20: the keys of indexes PostgreSQL built on it unreported (V24s, V25), for later renames
        PERFORM pggit._remember('pg_class'::regclass, v_rel);
    END LOOP;
END $$;
