-- C1-C8: commits. Each commit function locks its branch row first, reads the head, appends one
-- commit whose parent is that head and moves the head, so concurrent commits on one branch form
-- a chain (C8, X8) and every head is a commit of its own branch.

-- C1-C4, C6: one commit with tree_hash = sha256hex(sql); returns the uuid stored in
-- metadata.commit_id (C3). The hash is a fresh sha256 over that uuid and the commit's content.
CREATE FUNCTION pggit.create_commit(
    p_branch_name text, p_message text, p_sql_content text, p_parent_ids uuid[] DEFAULT NULL)
RETURNS uuid
LANGUAGE plpgsql
AS $$
DECLARE
    b pggit.branches;
    v_id uuid := gen_random_uuid();
    v_tree text := pggit._sha256hex(p_sql_content);
    v_hash text;
BEGIN
    b := pggit._active_branch(p_branch_name, true);
    IF coalesce(p_message, '') = '' THEN  -- C1: NULL and '' alike
        PERFORM pggit._reject('22023', 'commit message must not be NULL or empty');
    END IF;
    v_hash := pggit._sha256hex(concat_ws(E'\n', 'commit', v_id::text, b.name, b.head_commit_hash, v_tree,
                                         p_message));
    INSERT INTO pggit.commits (hash, branch_id, parent_commit_hash, message, tree_hash, metadata)
    VALUES (v_hash, b.id, b.head_commit_hash, p_message, v_tree,
            jsonb_strip_nulls(jsonb_build_object('commit_id', v_id::text, 'parent_ids', p_parent_ids)));
    UPDATE pggit.branches SET head_commit_hash = v_hash WHERE id = b.id;
    RETURN v_id;
END $$;

-- C7: a commit whose hash is a Trinity ID (T) or the trimmed custom id.
CREATE FUNCTION pggit.commit_changes(
    p_branch_name text, p_message text DEFAULT '', p_custom_trinity_id text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
    b pggit.branches;
    v_message text := btrim(coalesce(p_message, ''));
    v_id text;
BEGIN
    b := pggit._active_branch(p_branch_name, true);
    IF char_length(v_message) > 10000 THEN
        PERFORM pggit._reject('22023', 'commit message is longer than 10000 characters');
    END IF;
    IF p_custom_trinity_id IS DISTINCT FROM NULL THEN
        v_id := btrim(p_custom_trinity_id);
        IF length(v_id) < 10 THEN
            PERFORM pggit._reject('22023', 'custom Trinity ID is shorter than 10 characters');
        END IF;
        IF EXISTS (SELECT 1 FROM pggit.commits c WHERE c.hash = v_id OR c.metadata ->> 'commit_id' = v_id) THEN
            PERFORM pggit._reject('23505', format('commit %L already exists', v_id));
        END IF;
    ELSE
        -- a generated ID never causes a rejection: draw again in the (unlikely) case of a clash
        LOOP
            v_id := pggit.generate_trinity_id();
            EXIT WHEN NOT EXISTS (SELECT 1 FROM pggit.commits c
                                  WHERE c.hash = v_id OR c.metadata ->> 'commit_id' = v_id);
        END LOOP;
    END IF;
    INSERT INTO pggit.commits (hash, branch_id, parent_commit_hash, message, tree_hash, metadata)
    VALUES (v_id, b.id, b.head_commit_hash, v_message, NULL, jsonb_build_object('trinity_id', v_id));
    UPDATE pggit.branches SET head_commit_hash = v_id WHERE id = b.id;
    RETURN v_id;
END $$;
