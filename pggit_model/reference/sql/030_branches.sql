-- B1-B11: branches. All branches share one PostgreSQL catalog (B9); a branch is a set of rows in
-- pggit.objects with its branch_name.

-- B2-B5: create an ACTIVE branch from an ACTIVE parent and copy the parent's active rows.
CREATE FUNCTION pggit.create_branch(
    p_branch_name text, p_parent_branch text DEFAULT 'main', p_copy_data boolean DEFAULT false)
RETURNS int
LANGUAGE plpgsql
AS $$
DECLARE
    v_parent pggit.branches;
    v_id int;
BEGIN
    -- B3: name rules
    IF coalesce(p_branch_name, '') = '' THEN
        PERFORM pggit._reject('22023', 'branch name must not be NULL or empty');
    END IF;
    IF length(p_branch_name) > 255 THEN
        PERFORM pggit._reject('22023', 'branch name is longer than 255 characters');
    END IF;
    IF p_branch_name !~ '^[A-Za-z0-9._/#-]+$' THEN
        PERFORM pggit._reject('22023', format('branch name %L has a character outside [A-Za-z0-9._/#-]',
                                              p_branch_name));
    END IF;
    -- X9: the bookkeeping lock before any row lock or index entry, in the order DDL takes them
    PERFORM pggit._lock_bookkeeping();
    -- B3, B10: a name is used once, whatever the status (the UNIQUE index settles races, X8)
    IF EXISTS (SELECT 1 FROM pggit.branches WHERE name = p_branch_name) THEN
        PERFORM pggit._reject('23505', format('branch %L already exists', p_branch_name));
    END IF;
    IF p_parent_branch IS NULL THEN
        PERFORM pggit._reject('22023', 'parent branch must not be NULL');
    END IF;
    v_parent := pggit._active_branch(p_parent_branch, false);

    -- B4: parent link, ACTIVE, no head yet
    INSERT INTO pggit.branches (name, parent_branch_id) VALUES (p_branch_name, v_parent.id)
    RETURNING id INTO v_id;

    -- B5: copy every active row of the parent verbatim (version, ddl_hash, recorded structure);
    -- inactive rows and history stay behind. p_copy_data is outside the model (§12).
    INSERT INTO pggit.objects
        (object_type, schema_name, object_name, parent_name, branch_name, branch_id, version,
         version_major, version_minor, version_patch, is_active, ddl_hash, structure)
    SELECT object_type, schema_name, object_name, parent_name, p_branch_name, v_id, version,
           version_major, version_minor, version_patch, true, ddl_hash, structure
    FROM pggit.objects
    WHERE branch_name = v_parent.name AND is_active;

    -- M2: remember what was copied, the merge base
    INSERT INTO pggit.branch_base
        (branch_id, object_type, schema_name, object_name, version, version_major, version_minor, version_patch)
    SELECT v_id, object_type, schema_name, object_name, version, version_major, version_minor, version_patch
    FROM pggit.objects o
    WHERE o.branch_name = p_branch_name;

    RETURN v_id;
END $$;

-- B6: transactional, session-local switch (set_config with is_local = false).
CREATE FUNCTION pggit.checkout_branch(p_branch_name text) RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pggit._active_branch(p_branch_name, false);
    PERFORM pg_catalog.set_config('pggit.current_branch', p_branch_name, false);
    RETURN format('Switched to branch %s', p_branch_name);
END $$;

-- B10: mark DELETED; main is protected, ACTIVE branches need force. Rows and commits are kept
-- (C8 keeps holding) and the name stays taken.
CREATE FUNCTION pggit.delete_branch(p_branch_name text, p_force boolean DEFAULT false)
RETURNS TABLE (objects_deleted int, space_freed_bytes bigint)
LANGUAGE plpgsql
AS $$
DECLARE
    b pggit.branches;
BEGIN
    IF coalesce(p_branch_name, '') = '' THEN
        PERFORM pggit._reject('22023', 'branch name must not be NULL or empty');
    END IF;
    IF p_branch_name = 'main' THEN
        PERFORM pggit._reject('55000', 'the main branch cannot be deleted');
    END IF;
    PERFORM pggit._lock_bookkeeping();  -- X9: before the row lock, as DDL takes them
    SELECT * INTO b FROM pggit.branches WHERE name = p_branch_name FOR UPDATE;
    IF NOT FOUND THEN
        PERFORM pggit._reject('P0002', format('branch %L does not exist', p_branch_name));
    END IF;
    IF b.status = 'DELETED' THEN
        PERFORM pggit._reject('55000', format('branch %L is already deleted', p_branch_name));
    END IF;
    IF b.status = 'ACTIVE' AND NOT coalesce(p_force, false) THEN
        PERFORM pggit._reject('55000', format('branch %L is ACTIVE; pass p_force => true', p_branch_name));
    END IF;
    UPDATE pggit.branches SET status = 'DELETED', deleted_at = localtimestamp WHERE id = b.id;
    RETURN QUERY
        SELECT count(*)::int, 0::bigint FROM pggit.objects o WHERE o.branch_name = b.name AND o.is_active;
END $$;

-- B11: every branch once, filtered by status when asked; metrics are informational.
CREATE FUNCTION pggit.list_branches(
    p_status pggit.branch_status DEFAULT NULL, p_inactive_days int DEFAULT NULL)
RETURNS TABLE (branch_name text, status pggit.branch_status, size_mb numeric, last_commit timestamp,
               days_inactive int, commit_count int)
LANGUAGE sql STABLE
AS $$
    SELECT x.name, x.status, 0::numeric, x.last_commit, x.days_inactive, x.commit_count
    FROM (SELECT b.id, b.name, b.status, max(c.committed_at) AS last_commit,
                 (current_date - coalesce(max(c.committed_at), b.created_at)::date) AS days_inactive,
                 count(c.id)::int AS commit_count
          FROM pggit.branches b LEFT JOIN pggit.commits c ON c.branch_id = b.id
          GROUP BY b.id) x
    WHERE (p_status IS NULL OR x.status = p_status)
      AND (p_inactive_days IS NULL OR x.days_inactive >= p_inactive_days)
    ORDER BY x.id
$$;
