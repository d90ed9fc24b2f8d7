-- §14.2 (R) and §14.3 (N): key changes. Written from pggit-contract-s14.md alone.
--
-- PostgreSQL reports a renamed or moved object under its new name only (Appendix B1), so the backend
-- remembers each tracked object's catalog identity with the key it last saw (V20): relations and
-- functions by OID here, columns by attnum through catalog_shapes. At ddl_command_end, before the
-- statement is recorded as usual, every reported object whose key differs from the remembered one
-- gets a key change (R1): one RENAME row on the old key (which goes inactive) and one on the new key
-- (which continues the object's versions). The usual recording then finds nothing left to do.

CREATE TABLE pggit.identities (
    classid     oid NOT NULL,
    objid       oid NOT NULL,
    nspoid      oid NOT NULL,
    schema_name text NOT NULL,
    object_name text NOT NULL,
    relid       oid,  -- an index's table (V20: REINDEX … CONCURRENTLY replaces the index under its table)
    PRIMARY KEY (classid, objid)
);
CREATE INDEX identities_namespace ON pggit.identities (nspoid);

-- R1: one key change of the row (p_type, p_old_schema, p_old_name) on c. MAJOR but for INDEX rows
-- (PATCH); COLUMN rows keep 1 / 1.0.0 (V11). Without an active old row, or with an active new one,
-- B12 leaves it open: nothing is recorded.
CREATE FUNCTION pggit._rekey(
    p_type pggit.object_type, p_old_schema text, p_old_name text, p_new_schema text, p_new_name text,
    p_parent text, p_structure jsonb)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_branch text := pggit._current_branch();
    o pggit.objects;
    v_sev pggit.change_severity := CASE p_type WHEN 'INDEX' THEN 'PATCH' ELSE 'MAJOR' END::pggit.change_severity;
    v_version int;
    v_major int;
    v_minor int;
    v_patch int;
    v_id int;
BEGIN
    SELECT * INTO o FROM pggit.objects
    WHERE object_type = p_type AND schema_name = p_old_schema AND object_name = p_old_name
      AND branch_name = v_branch;
    IF NOT FOUND OR NOT o.is_active THEN
        RETURN;
    END IF;
    IF p_type = 'COLUMN' THEN
        v_version := o.version; v_major := o.version_major; v_minor := o.version_minor; v_patch := o.version_patch;
    ELSE
        -- saturating, as _record_change: only damage by hand puts a number at int's maximum (U4)
        v_version := o.version + (o.version < 2147483647)::int;
        v_major := o.version_major + (v_sev = 'MAJOR' AND o.version_major < 2147483647)::int;
        v_minor := CASE v_sev WHEN 'MAJOR' THEN 0
                              WHEN 'MINOR' THEN o.version_minor + (o.version_minor < 2147483647)::int
                              ELSE o.version_minor END;
        v_patch := CASE v_sev WHEN 'PATCH' THEN o.version_patch + (o.version_patch < 2147483647)::int ELSE 0 END;
    END IF;
    INSERT INTO pggit.objects AS x
        (object_type, schema_name, object_name, parent_name, branch_name, branch_id, version, version_major,
         version_minor, version_patch, ddl_hash, structure)
    VALUES (p_type, p_new_schema, p_new_name, p_parent, v_branch, o.branch_id, v_version, v_major, v_minor,
            v_patch, o.ddl_hash, coalesce(p_structure, o.structure))
    ON CONFLICT (object_type, schema_name, object_name, branch_name) DO UPDATE
        SET is_active = true, version = excluded.version, version_major = excluded.version_major,
            version_minor = excluded.version_minor, version_patch = excluded.version_patch,
            parent_name = excluded.parent_name, ddl_hash = excluded.ddl_hash, structure = excluded.structure,
            updated_at = localtimestamp
        WHERE NOT x.is_active
    RETURNING x.id INTO v_id;
    IF v_id IS NULL THEN
        RETURN;  -- the new key has an active row (B12): left open
    END IF;
    UPDATE pggit.objects SET is_active = false, updated_at = localtimestamp WHERE id = o.id;
    INSERT INTO pggit.history
        (object_id, change_type, change_severity, old_version, new_version, change_description, sql_executed)
    VALUES (o.id, 'RENAME', v_sev, o.version, NULL,
            format('%s %s.%s renamed to %s.%s', p_type, p_old_schema, p_old_name, p_new_schema, p_new_name),
            current_query()),
           (v_id, 'RENAME', v_sev, o.version, v_version,
            format('%s %s.%s renamed from %s.%s', p_type, p_new_schema, p_new_name, p_old_schema, p_old_name),
            current_query());
END $$;

-- What an index of p_rel is, without its name: its definition, or its constraint's when one owns it.
-- p_index: an index there now; else p_old_name: one as the table's last recorded shape has it.
CREATE FUNCTION pggit._index_shape(p_rel oid, p_index oid, p_old_name text) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_con text;   -- the owning constraint's definition
    v_def text;   -- else the index's definition, which names it
    v_name text := p_old_name;
BEGIN
    IF p_index IS NOT NULL THEN
        SELECT pggit._table_structure(p_rel) -> 'constraints' ->> k.conname INTO v_con
        FROM pg_constraint k WHERE k.conindid = p_index AND k.conrelid = p_rel AND k.contype IN ('p', 'u', 'x');
        SELECT pggit._index_definition(p_index), c.relname INTO v_def, v_name FROM pggit._class_row(p_index) c;
    ELSE
        SELECT s.structure -> 'constraints' ->> p_old_name, s.structure -> 'indexes' ->> p_old_name INTO v_con, v_def
        FROM pggit.catalog_shapes s WHERE s.relid = p_rel;
    END IF;
    RETURN coalesce('constraint ' || v_con, replace(v_def, ' INDEX ' || quote_ident(v_name) || ' ON ', ' INDEX ON '));
END $$;

-- V20, A84, B20: `REINDEX … CONCURRENTLY` gives an index a new OID and fires no event, so the identity
-- remembered for it names an OID that is gone. The replacement — same table, same name when it was
-- made — continues the index's identity: an index of p_rel with no identity takes over the gone
-- identity of its name, and if this statement renamed it (one rename per statement), the one gone
-- identity left takes the one index left, if it is the same index again. (Identities of dropped objects
-- are forgotten at sql_drop, _forget_dropped, so a gone identity here is a replaced index, or one that
-- drift dropped unreported, U3.)
CREATE FUNCTION pggit._heal_index_identities(p_rel oid) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_gone oid[];
    v_fresh oid[];
BEGIN
    UPDATE pggit.identities id SET objid = i.indexrelid
    FROM pggit._indexes_of(p_rel) i  -- one version per row (X11, 005_helpers.sql)
    WHERE id.classid = 'pg_class'::regclass AND id.relid = p_rel
      AND id.object_name = i.relname::text AND i.relnamespace = id.nspoid
      AND NOT EXISTS (SELECT 1 FROM pg_class g WHERE g.oid = id.objid)
      AND NOT EXISTS (SELECT 1 FROM pggit.identities k
                      WHERE k.classid = 'pg_class'::regclass AND k.objid = i.indexrelid);
    -- (only a gone identity whose INDEX row on c is active: a key change needs one, B12)
    SELECT array_agg(id.objid) INTO v_gone FROM pggit.identities id
    WHERE id.classid = 'pg_class'::regclass AND id.relid = p_rel
      AND NOT EXISTS (SELECT 1 FROM pg_class g WHERE g.oid = id.objid)
      AND EXISTS (SELECT 1 FROM pggit.objects o
                  WHERE o.object_type = 'INDEX' AND o.schema_name = id.schema_name
                    AND o.object_name = id.object_name AND o.branch_name = pggit._current_branch() AND o.is_active);
    -- (not one this statement created: that one is new, V7, even if drift dropped its twin, U3)
    SELECT array_agg(i.indexrelid) INTO v_fresh FROM pg_index i
    WHERE i.indrelid = p_rel AND NOT EXISTS (SELECT 1 FROM pggit.identities k
                                             WHERE k.classid = 'pg_class'::regclass AND k.objid = i.indexrelid)
      AND NOT EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = i.indexrelid
                        AND d.command_tag = 'CREATE INDEX');
    -- REINDEX … CONCURRENTLY builds the same index again: on a table, a gone index of another shape was
    -- dropped unreported (drift, U3), and the fresh one does not continue it (a materialized view keeps
    -- no index definitions, and drift there is outside the machines)
    IF cardinality(v_gone) = 1 AND cardinality(v_fresh) = 1
       AND (NOT EXISTS (SELECT 1 FROM pggit.catalog_shapes s WHERE s.relid = p_rel)
            OR pggit._index_shape(p_rel, v_fresh[1], NULL) IS NOT DISTINCT FROM pggit._index_shape(p_rel, NULL,
               (SELECT id.object_name FROM pggit.identities id
                WHERE id.classid = 'pg_class'::regclass AND id.objid = v_gone[1]))) THEN
        UPDATE pggit.identities SET objid = v_fresh[1]
        WHERE classid = 'pg_class'::regclass AND objid = v_gone[1];
    END IF;
END $$;

-- sql_drop: a dropped object's identity is forgotten (its OID may be reused; _heal_index_identities
-- takes a gone identity for a replaced index). A dropped index that REINDEX … CONCURRENTLY had replaced
-- left its first identity under the old OID: that one goes too, by its name (unique in its schema).
CREATE FUNCTION pggit._forget_dropped() RETURNS void
LANGUAGE sql
AS $$
    DELETE FROM pggit.identities i USING pg_event_trigger_dropped_objects() d
    WHERE i.classid = d.classid
      AND (i.objid = d.objid
           OR (d.object_type = 'index' AND i.relid IS NOT NULL AND i.schema_name = d.schema_name
               AND i.object_name = d.object_name AND NOT EXISTS (SELECT 1 FROM pg_class g WHERE g.oid = i.objid)));
$$;

-- The key changes of one reported relation: a view (R3e, N5b), or a table (R3a, N5a) with its columns
-- (R3b, by attnum) and indexes (R3c, R3d, by OID). The table records one ALTER for a renamed column
-- (MAJOR) or index or constraint (PATCH), fixed by R3 rather than by comparing structures: the names in
-- its structure changed, the objects did not. p_constraint_cmd: the command reported a constraint,
-- which only RENAME CONSTRAINT does in the vocabulary (A18).
CREATE FUNCTION pggit._follow_relation(p_rel oid, p_constraint_cmd bool) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_branch text := pggit._current_branch();
    r record;
    old pggit.identities;
    v_moved bool;
    v_shape jsonb;
    v_new jsonb;
    v_sev pggit.change_severity;
    x record;
    v_row pggit.objects;
BEGIN
    SELECT c.relkind, c.relname::text AS name, n.nspname::text AS schema INTO r
    FROM pggit._class_row(p_rel) c JOIN pg_namespace n ON n.oid = c.relnamespace;  -- X11, 005_helpers.sql
    IF NOT FOUND OR r.relkind NOT IN ('r', 'p', 'v', 'm') OR NOT pggit._is_tracked_schema(r.schema) THEN  -- 'p', 'm': V22
        RETURN;
    END IF;
    SELECT * INTO old FROM pggit.identities WHERE classid = 'pg_class'::regclass AND objid = p_rel;
    v_moved := FOUND AND (old.schema_name, old.object_name) IS DISTINCT FROM (r.schema, r.name);
    IF r.relkind = 'm' THEN
        PERFORM pggit._follow_matview(p_rel, r.schema, r.name, old, v_moved);
        RETURN;
    END IF;
    IF r.relkind = 'v' THEN
        IF v_moved THEN
            PERFORM pggit._rekey('VIEW', old.schema_name, old.object_name, r.schema, r.name, NULL,
                                 jsonb_build_object('definition', pggit._view_structure(p_rel)));
        END IF;
        RETURN;  -- (what refers to it does so by identity: nothing to follow, R6)
    END IF;

    PERFORM pggit._heal_index_identities(p_rel);  -- V20: before the indexes are compared by OID
    v_new := pggit._table_structure(p_rel);
    SELECT s.structure INTO v_shape FROM pggit.catalog_shapes s WHERE s.relid = p_rel;
    IF v_moved THEN
        PERFORM pggit._rekey('TABLE', old.schema_name, old.object_name, r.schema, r.name, NULL, v_new);
        FOR x IN
            SELECT o.object_type, o.object_name FROM pggit.objects o
            WHERE o.branch_name = v_branch AND o.schema_name = old.schema_name
              AND o.parent_name = old.object_name AND o.is_active
              AND (o.object_type = 'COLUMN' OR (o.object_type = 'INDEX' AND old.schema_name <> r.schema))
            ORDER BY o.id
        LOOP
            PERFORM pggit._rekey(x.object_type, old.schema_name, x.object_name, r.schema,
                                 CASE x.object_type WHEN 'COLUMN'
                                     THEN r.name || substr(x.object_name, length(old.object_name) + 1)
                                     ELSE x.object_name END,
                                 r.name, NULL);
        END LOOP;
        -- R3a: indexes keep their keys; their parent is the table's new name
        UPDATE pggit.objects SET parent_name = r.name
        WHERE object_type = 'INDEX' AND schema_name = r.schema AND parent_name = old.object_name;
    END IF;

    -- R3b: a column whose attnum had another name
    FOR x IN
        SELECT c.key AS old_name, a.attname::text AS new_name
        FROM jsonb_each(v_shape -> 'columns') c
        JOIN pggit._columns_of(p_rel) a ON a.attnum = (c.value ->> 'pos')::int AND NOT a.attisdropped
        WHERE a.attname::text <> c.key
    LOOP
        PERFORM pggit._rekey('COLUMN', r.schema, r.name || '.' || x.old_name, r.schema, r.name || '.' || x.new_name,
                             r.name, NULL);
        v_sev := 'MAJOR';
    END LOOP;

    -- R3c, R3d (and PostgreSQL's silent index renames, B2): an index whose OID had another name
    FOR x IN
        SELECT id.object_name AS old_name, i.relname::text AS new_name
        FROM pggit._indexes_of(p_rel) i  -- one version per row (X11, 005_helpers.sql)
        JOIN pggit.identities id ON id.classid = 'pg_class'::regclass AND id.objid = i.indexrelid
        WHERE id.schema_name = r.schema AND id.object_name <> i.relname::text
    LOOP
        PERFORM pggit._rekey('INDEX', r.schema, x.old_name, r.schema, x.new_name, r.name, NULL);
        v_sev := coalesce(v_sev, 'PATCH');
    END LOOP;
    -- R3i: ADD CONSTRAINT … USING INDEX renamed the index to a new constraint: MAJOR if a column became
    -- NOT NULL (a primary key), else MINOR (the index already enforced uniqueness)
    -- (a constraint rename, R3d, keeps the number of constraints)
    -- (PostgreSQL reports such a statement as ALTER TABLE on the table, A12)
    IF v_sev = 'PATCH'
       AND (SELECT count(*) FROM jsonb_object_keys(v_new -> 'constraints'))
           > (SELECT count(*) FROM jsonb_object_keys(coalesce(v_shape -> 'constraints', '{}'))) THEN
        v_sev := CASE WHEN EXISTS (
                          SELECT 1 FROM jsonb_each(v_new -> 'columns') c
                          WHERE (c.value ->> 'not_null')::bool
                            AND NOT coalesce((v_shape -> 'columns' -> c.key ->> 'not_null')::bool, false))
                      THEN 'MAJOR' ELSE 'MINOR' END;
    END IF;
    IF p_constraint_cmd AND v_shape IS DISTINCT FROM v_new THEN
        v_sev := coalesce(v_sev, 'PATCH');  -- R3d
    END IF;

    IF v_sev IS NOT NULL THEN
        SELECT * INTO v_row FROM pggit.objects
        WHERE object_type = 'TABLE' AND schema_name = r.schema AND object_name = r.name AND branch_name = v_branch;
        IF FOUND AND v_row.is_active THEN
            PERFORM pggit._record_change(v_row.id, 'ALTER', v_sev, v_new);
        END IF;
    END IF;
    IF v_moved OR v_sev IS NOT NULL THEN
        UPDATE pggit.catalog_shapes SET structure = v_new WHERE relid = p_rel;
    END IF;
END $$;

-- §14.1 materialized views: R3f (renamed: its INDEX rows keep their keys, their parent is its new name),
-- N5c (moved: its INDEX rows move with it), R3c (one of its indexes renamed, by OID). The view's own ALTER
-- (PATCH for an index, R3c; MAJOR for RENAME COLUMN, R3h) is recorded by _sync_matview (082) afterwards.
CREATE FUNCTION pggit._follow_matview(p_rel oid, p_schema text, p_name text, old pggit.identities, p_moved bool)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    x record;
BEGIN
    IF p_moved THEN
        PERFORM pggit._rekey('MATERIALIZED_VIEW', old.schema_name, old.object_name, p_schema, p_name, NULL,
                             pggit._matview_structure(p_rel));
        FOR x IN
            SELECT o.object_name FROM pggit.objects o
            WHERE o.branch_name = pggit._current_branch() AND o.schema_name = old.schema_name
              AND o.parent_name = old.object_name AND o.object_type = 'INDEX' AND o.is_active
              AND old.schema_name <> p_schema
            ORDER BY o.id
        LOOP
            PERFORM pggit._rekey('INDEX', old.schema_name, x.object_name, p_schema, x.object_name, p_name, NULL);
        END LOOP;
        UPDATE pggit.objects SET parent_name = p_name
        WHERE object_type = 'INDEX' AND schema_name = p_schema AND parent_name = old.object_name;
    END IF;
    PERFORM pggit._heal_index_identities(p_rel);  -- V20
    FOR x IN
        SELECT id.object_name AS old_name, i.relname::text AS new_name
        FROM pggit._indexes_of(p_rel) i  -- one version per row (X11, 005_helpers.sql)
        JOIN pggit.identities id ON id.classid = 'pg_class'::regclass AND id.objid = i.indexrelid
        WHERE id.schema_name = p_schema AND id.object_name <> i.relname::text
    LOOP
        PERFORM pggit._rekey('INDEX', p_schema, x.old_name, p_schema, x.new_name, p_name, NULL);
    END LOOP;
END $$;

-- R3g, N5d: a function whose OID had another name or schema.
CREATE FUNCTION pggit._follow_function(p_oid oid) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    old pggit.identities;
    v_schema text;
    v_name text;
BEGIN
    SELECT n.nspname, pggit._function_name(p.oid) INTO v_schema, v_name
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE p.oid = p_oid AND p.prokind = 'f';
    IF NOT FOUND OR NOT pggit._is_tracked_schema(v_schema) THEN
        RETURN;
    END IF;
    SELECT * INTO old FROM pggit.identities WHERE classid = 'pg_proc'::regclass AND objid = p_oid;
    IF FOUND AND (old.schema_name, old.object_name) IS DISTINCT FROM (v_schema, v_name) THEN
        PERFORM pggit._rekey('FUNCTION', old.schema_name, old.object_name, v_schema, v_name, NULL,
                             jsonb_build_object('definition', pg_get_functiondef(p_oid)));
    END IF;
END $$;

-- What a statement reported, as key following sees it: a relation (an index or a constraint as its
-- table; is_constraint for a constraint's command, R3d), a function, or a schema.
CREATE FUNCTION pggit._reported_objects()
RETURNS TABLE (classid oid, objid oid, is_constraint bool)
LANGUAGE sql
AS $$
    SELECT CASE WHEN c.classid = 'pg_constraint'::regclass THEN 'pg_class'::regclass::oid ELSE c.classid END,
           CASE WHEN c.classid = 'pg_class'::regclass
                THEN coalesce((SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.objid
                               ORDER BY age(i.xmin) LIMIT 1), c.objid)  -- one version per row (X11)
                WHEN c.classid = 'pg_constraint'::regclass
                THEN (SELECT k.conrelid FROM pg_constraint k WHERE k.oid = c.objid AND k.conrelid <> 0
                      ORDER BY age(k.xmin) LIMIT 1)
                ELSE c.objid END,
           c.classid = 'pg_constraint'::regclass
    FROM pg_event_trigger_ddl_commands() c
    WHERE NOT c.in_extension
      AND c.classid IN ('pg_class'::regclass, 'pg_constraint'::regclass, 'pg_proc'::regclass,
                        'pg_namespace'::regclass)
$$;

-- ddl_command_end, before the statement is recorded: the key changes of every reported object, and of
-- every member of a reported schema (N6: ALTER SCHEMA … RENAME reports the schema only, B4).
CREATE FUNCTION pggit._follow_keys() RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    cmd record;
BEGIN
    FOR cmd IN SELECT * FROM pggit._reported_objects() WHERE objid IS NOT NULL LOOP
        IF cmd.classid = 'pg_class'::regclass THEN
            PERFORM pggit._follow_relation(cmd.objid, cmd.is_constraint);
        ELSIF cmd.classid = 'pg_proc'::regclass THEN
            PERFORM pggit._follow_function(cmd.objid);
        ELSE
            PERFORM pggit._follow_relation(id.objid, false) FROM pggit.identities id
            WHERE id.nspoid = cmd.objid AND id.classid = 'pg_class'::regclass;
            PERFORM pggit._follow_function(id.objid) FROM pggit.identities id
            WHERE id.nspoid = cmd.objid AND id.classid = 'pg_proc'::regclass;
        END IF;
    END LOOP;
END $$;

-- Remember a relation's key (a table with all its indexes) or a function's.
CREATE FUNCTION pggit._remember(p_classid oid, p_objid oid) RETURNS void
LANGUAGE sql
AS $$
    INSERT INTO pggit.identities AS i (classid, objid, nspoid, schema_name, object_name, relid)
    -- (as text: a union with `name` columns would cut a function's signature to 63 bytes)
    SELECT p_classid, c.oid, c.relnamespace, n.nspname::text, c.relname::text,
           CASE WHEN c.oid <> p_objid THEN p_objid END
    FROM (SELECT r.oid, r.relnamespace, r.relname FROM pggit._class_row(p_objid) r  -- X11, 005_helpers.sql
          UNION ALL SELECT x.indexrelid, x.relnamespace, x.relname FROM pggit._indexes_of(p_objid) x) c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE p_classid = 'pg_class'::regclass
    UNION ALL
    SELECT p_classid, p.oid, p.pronamespace, n.nspname::text, pggit._function_name(p.oid), NULL
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE p_classid = 'pg_proc'::regclass AND p.oid = p_objid
    ON CONFLICT (classid, objid) DO UPDATE
        SET nspoid = excluded.nspoid, schema_name = excluded.schema_name, object_name = excluded.object_name,
            relid = excluded.relid
        WHERE (i.nspoid, i.schema_name, i.object_name, i.relid)
              IS DISTINCT FROM (excluded.nspoid, excluded.schema_name, excluded.object_name, excluded.relid);
$$;

-- ddl_command_end, after the statement is recorded: remember the keys of what it reported.
CREATE FUNCTION pggit._remember_keys() RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    cmd record;
BEGIN
    FOR cmd IN SELECT * FROM pggit._reported_objects() WHERE objid IS NOT NULL LOOP
        IF cmd.classid = 'pg_namespace'::regclass THEN
            UPDATE pggit.identities SET schema_name = n.nspname
            FROM pg_namespace n WHERE n.oid = cmd.objid AND nspoid = cmd.objid AND schema_name <> n.nspname;
        ELSE
            PERFORM pggit._remember(cmd.classid, cmd.objid);
        END IF;
    END LOOP;
END $$;
