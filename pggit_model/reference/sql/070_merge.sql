-- M1-M6: merge_branches(S, T). base = the rows copied into S at its creation (pggit.branch_base).
-- A state is NULL (⊥, no active row) or [version, major, minor, patch]. Per key:
--   only S changed          -> T takes S's state (⊥ deactivates T's row)          (M3)
--   both changed, same      -> nothing
--   both changed, different -> one merge_conflicts row, T's row unchanged        (M3, M5)
-- Non-conflicting keys are merged even when others conflict (decision in M3). S's rows never
-- change; S becomes MERGED only after MERGE_SUCCESS (M4).
CREATE FUNCTION pggit.merge_branches(
    p_source_branch text, p_target_branch text, p_merge_message text DEFAULT 'Merge branch')
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    s pggit.branches;
    t pggit.branches;
    v_merge_id text := gen_random_uuid()::text;
    v_conflicts int := 0;
    v_result text;
    k record;
BEGIN
    -- M1
    IF p_source_branch IS NULL OR p_target_branch IS NULL THEN
        PERFORM pggit._reject('22023', 'source and target branch must not be NULL');
    END IF;
    IF p_source_branch = p_target_branch THEN
        PERFORM pggit._reject('22023', 'cannot merge a branch into itself');
    END IF;
    -- same lock order as DDL (bookkeeping first), then both branch rows by id
    PERFORM pggit._lock_bookkeeping();
    PERFORM 1 FROM pggit.branches WHERE name IN (p_source_branch, p_target_branch) ORDER BY id FOR UPDATE;
    s := pggit._active_branch(p_source_branch, false);
    t := pggit._active_branch(p_target_branch, false);
    -- X11, as R4 for create_branch's copy: above READ COMMITTED the reads below see the snapshot, so a source row a
    -- later commit changed would be merged from its old state (lost: S becomes MERGED) and a target row read stale
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM pggit._fail_if_changed_after_snapshot(s.name);
        PERFORM pggit._fail_if_changed_after_snapshot(t.name);
    END IF;

    FOR k IN
        WITH base AS (
                 SELECT object_type, schema_name, object_name,
                        jsonb_build_array(version, version_major, version_minor, version_patch) AS st
                 FROM pggit.branch_base WHERE branch_id = s.id),
             src AS (
                 SELECT id, object_type, schema_name, object_name,
                        jsonb_build_array(version, version_major, version_minor, version_patch) AS st
                 FROM pggit.objects WHERE branch_name = s.name AND is_active),
             tgt AS (
                 SELECT id, object_type, schema_name, object_name,
                        jsonb_build_array(version, version_major, version_minor, version_patch) AS st
                 FROM pggit.objects WHERE branch_name = t.name AND is_active)
        SELECT object_type, schema_name, object_name, base.st AS base_st, src.st AS src_st,
               tgt.st AS tgt_st, src.id AS src_id
        FROM base
        FULL JOIN src USING (object_type, schema_name, object_name)
        FULL JOIN tgt USING (object_type, schema_name, object_name)
        WHERE src.st IS DISTINCT FROM base.st
        ORDER BY object_type, schema_name, object_name
    LOOP
        IF k.tgt_st IS NOT DISTINCT FROM k.base_st THEN
            PERFORM pggit._merge_take(k.object_type, k.schema_name, k.object_name, k.src_id, t);
        ELSIF k.tgt_st IS DISTINCT FROM k.src_st THEN
            v_conflicts := v_conflicts + 1;
            INSERT INTO pggit.merge_conflicts
                (merge_id, branch_a, branch_b, conflict_object, conflict_type, source_state, target_state,
                 base_state)
            VALUES (v_merge_id, s.name, t.name, k.schema_name || '.' || k.object_name,
                    CASE WHEN k.src_st IS NULL THEN 'DELETED_IN_SOURCE'
                         WHEN k.tgt_st IS NULL THEN 'DELETED_IN_TARGET'
                         ELSE 'MODIFIED_IN_BOTH' END,
                    k.src_st, k.tgt_st, k.base_st);
        END IF;
    END LOOP;

    IF v_conflicts = 0 THEN
        UPDATE pggit.branches SET status = 'MERGED', merged_at = localtimestamp WHERE id = s.id;
        v_result := 'MERGE_SUCCESS:' || v_merge_id;
    ELSE
        v_result := 'CONFLICTS_DETECTED:' || v_merge_id;
    END IF;
    INSERT INTO pggit.merges (merge_id, source_branch, target_branch, message, result)
    VALUES (v_merge_id, s.name, t.name, p_merge_message, v_result);
    RETURN v_result;
END $$;

-- M3: T takes S's state for one key. With p_src_id NULL (⊥ on S) T's row becomes inactive with a
-- DROP row; otherwise it becomes active with S's version fields and recorded structure, with one
-- MERGE history row (M6 leaves T's history unspecified).
CREATE FUNCTION pggit._merge_take(
    p_type pggit.object_type, p_schema text, p_name text, p_src_id int, p_target pggit.branches)
RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_old int;
    v_id int;
BEGIN
    IF p_src_id IS NULL THEN
        PERFORM pggit._record_drop(o.id) FROM pggit.objects o
        WHERE o.object_type = p_type AND o.schema_name = p_schema AND o.object_name = p_name
          AND o.branch_name = p_target.name;
        RETURN;
    END IF;
    SELECT o.version INTO v_old FROM pggit.objects o
    WHERE o.object_type = p_type AND o.schema_name = p_schema AND o.object_name = p_name
      AND o.branch_name = p_target.name AND o.is_active;
    INSERT INTO pggit.objects AS o
        (object_type, schema_name, object_name, parent_name, branch_name, branch_id, version,
         version_major, version_minor, version_patch, is_active, ddl_hash, structure)
    SELECT x.object_type, x.schema_name, x.object_name, x.parent_name, p_target.name, p_target.id, x.version,
           x.version_major, x.version_minor, x.version_patch, true, x.ddl_hash, x.structure
    FROM pggit.objects x WHERE x.id = p_src_id
    ON CONFLICT (object_type, schema_name, object_name, branch_name) DO UPDATE
        SET version = excluded.version, version_major = excluded.version_major,
            version_minor = excluded.version_minor, version_patch = excluded.version_patch,
            is_active = true, parent_name = excluded.parent_name, ddl_hash = excluded.ddl_hash,
            structure = excluded.structure, updated_at = localtimestamp
    RETURNING o.id INTO v_id;
    INSERT INTO pggit.history
        (object_id, change_type, change_severity, old_version, new_version, change_description)
    SELECT v_id, 'MERGE', 'MINOR', v_old, o.version, format('merged %s from %s', o.full_name, x.branch_name)
    FROM pggit.objects o, pggit.objects x WHERE o.id = v_id AND x.id = p_src_id;
END $$;
