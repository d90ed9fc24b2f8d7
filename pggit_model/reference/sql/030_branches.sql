-- B1-B11: branches. All branches share one PostgreSQL catalog (B9); a branch is a set of rows in
-- pggit.objects with its branch_name.

-- X11, known gap R4 (docs/reference-backend.md): create_branch at REPEATABLE READ or SERIALIZABLE copies the parent's
-- rows as its snapshot shows them, so a change to them committed after the snapshot would be missing from the copy,
-- which no serial order gives. It fails with 40001 instead, as X11(b) allows for a key changed after the snapshot.
-- merge_branches reads its source and target the same way and checks both alike.
-- To know about changes the snapshot hides, each transaction that writes a branch's rows notes (branch, n) here,
-- n drawn from change_seq. Every writer of pggit.objects holds the bookkeeping lock until it ends, so n follows
-- commit order, and once create_branch holds that lock every number drawn belongs to a finished transaction or
-- to its own.
-- Writers insert their own keys only: two DDL never update one row here (X11(c), unlike a per-branch counter row).
CREATE SEQUENCE pggit.change_seq;
CREATE TABLE pggit.branch_changes (
    branch_name text NOT NULL,
    n           bigint NOT NULL,
    xact        xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (n, branch_name)  -- n first: the largest number is read off its end
);
CREATE INDEX branch_changes_xact ON pggit.branch_changes (xact, branch_name);
-- The same numbers without their branch: update_all_hashes writes every branch's rows, so it must know of a change
-- on any branch, including one made after its snapshot, whose name it cannot see to probe (n, branch_name) with.
CREATE TABLE pggit.change_numbers (n bigint PRIMARY KEY);

CREATE FUNCTION pggit._note_branch_changes() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    WITH noted AS (
        INSERT INTO pggit.branch_changes (branch_name, n)
        SELECT c.branch_name, nextval('pggit.change_seq')
        FROM (SELECT DISTINCT branch_name FROM changed) c
        WHERE NOT EXISTS (SELECT 1 FROM pggit.branch_changes x
                          WHERE x.xact = pg_current_xact_id() AND x.branch_name = c.branch_name)
        RETURNING n)
    INSERT INTO pggit.change_numbers (n) SELECT n FROM noted;
    RETURN NULL;
END $$;

CREATE TRIGGER objects_inserted AFTER INSERT ON pggit.objects REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pggit._note_branch_changes();
CREATE TRIGGER objects_updated AFTER UPDATE ON pggit.objects REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pggit._note_branch_changes();
CREATE TRIGGER objects_deleted AFTER DELETE ON pggit.objects REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION pggit._note_branch_changes();

-- 40001 if a transaction that committed after this transaction's snapshot changed p_branch's rows, or, with
-- p_branch NULL, rows of any branch (update_all_hashes writes them all). Call it holding the bookkeeping lock.
-- Every number up to the largest one the snapshot shows of another transaction is settled in it (n follows commit
-- order; this transaction's own numbers do not count: it drew them after its snapshot, and a transaction that
-- committed after the snapshot may have drawn before them). A number above was drawn by this transaction or by one
-- that committed after the snapshot or rolled back. The key of each such number is probed with INSERT … ON CONFLICT
-- DO NOTHING, which fails with 40001 exactly when a committed row the snapshot does not show has it (B17: checked on
-- PostgreSQL 15), and otherwise inserts a probe row, removed again: (p_branch, n) in branch_changes, or n alone in
-- change_numbers (a branch made after the snapshot has no name the snapshot shows).
CREATE FUNCTION pggit._fail_if_changed_after_snapshot(p_branch text) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_me xid8 := pg_current_xact_id();
    v_seen bigint := coalesce((SELECT max(n) FROM pggit.branch_changes WHERE xact <> v_me), 0);
    -- a sequence is read outside any snapshot: the last number drawn by anyone
    v_drawn bigint := (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM pggit.change_seq);
BEGIN
    FOR i IN v_seen + 1 .. v_drawn LOOP
        CONTINUE WHEN EXISTS (SELECT 1 FROM pggit.branch_changes WHERE n = i AND xact = v_me);
        IF p_branch IS NULL THEN
            INSERT INTO pggit.change_numbers (n) VALUES (i) ON CONFLICT DO NOTHING;
            DELETE FROM pggit.change_numbers WHERE n = i;
        ELSE
            INSERT INTO pggit.branch_changes (branch_name, n) VALUES (p_branch, i) ON CONFLICT DO NOTHING;
            DELETE FROM pggit.branch_changes WHERE branch_name = p_branch AND n = i AND xact = v_me;
        END IF;
    END LOOP;
END $$;

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
    -- X11, R4: at READ COMMITTED the copy's statement sees every committed row (its snapshot follows the lock)
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM pggit._fail_if_changed_after_snapshot(v_parent.name);
    END IF;

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
    -- X8: in a block, the checkout belongs to the transaction's serial place as its DDL does: a delete_branch
    -- of another session may not come between the check below and this block's later statements (the lock
    -- as DDL takes it, X9)
    PERFORM pggit._lock_bookkeeping();
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
