-- Helpers shared by every area. Errors use one SQLSTATE per kind of rejection (§0):
--   22023 invalid_parameter_value  bad argument (NULL, empty, malformed, too long)
--   P0002 no_data_found            unknown branch
--   23505 unique_violation         name or id already used
--   55000 object_not_in_prerequisite_state   branch in the wrong status, or main

-- c, the current branch (§0, B7).
CREATE FUNCTION pggit._current_branch() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT coalesce(nullif(current_setting('pggit.current_branch', true), ''), 'main') $$;

-- V23 (§14.1): a constraint as a table's structure and its constraints_hash hold it: not whether it is validated
-- (VALIDATE CONSTRAINT changes nothing, V24d), nor its index's storage parameters (V24p). One rendering for every
-- place that records or compares one, so a re-rendered constraint (R6) compares equal to a recorded one.
CREATE FUNCTION pggit._constraint_structure(p_con oid) RETURNS text
LANGUAGE sql STABLE
AS $$ SELECT regexp_replace(regexp_replace(pg_get_constraintdef(p_con), ' NOT VALID$', ''), ' WITH \([^)]*\)', '') $$;

-- A constraint as a table's recorded structure holds it (V9a, V23): as _constraint_structure, but a foreign key
-- names the table and columns it references by identity (R6: OID and attnums), not by their names now. So a
-- rename of what it references changes no recorded key on any branch, including one whose recorded key differs
-- from the catalog's (another branch re-pointed it in the shared catalog, B9), and a key a branch points at the
-- renamed table later compares equal to the one it recorded. Hashes keep the rendered names (H10d).
CREATE FUNCTION pggit._constraint_identity(p_con oid) RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    -- an identifier as pg_get_constraintdef prints one: quoted (with "" inside), or plain
    id CONSTANT text := '(?:"(?:[^"]|"")*"|[^",.()[:space:]]+)';
    v_def text := pggit._constraint_structure(p_con);
    v_target text;
BEGIN
    IF v_def NOT LIKE 'FOREIGN KEY %' THEN
        RETURN v_def;
    END IF;
    -- confrelid and confkey never change for a constraint (re-pointing one drops it and adds another)
    SELECT '#' || k.confrelid || '(' || array_to_string(k.confkey, ',') || ')' INTO v_target
    FROM pg_catalog.pg_constraint k WHERE k.oid = p_con LIMIT 1;
    RETURN regexp_replace(v_def, '^(FOREIGN KEY \(' || id || '(?:, ' || id || ')*\) REFERENCES )(?:' || id || '\.)?'
                                 || id || '\(' || id || '(?:, ' || id || ')*\)', '\1' || v_target);
END $$;

-- X11, B17: at REPEATABLE READ and SERIALIZABLE a trigger's plain SQL reads of pg_catalog use the transaction's
-- snapshot. A catalog row that a transaction committed after that snapshot updated (a GRANT, a SET STATISTICS)
-- and that this statement updated again is then visible twice: as the snapshot knew it, and as this
-- transaction wrote it. A read by key must see one row per catalog row, or a scalar subquery fails with 21000
-- and a list counts a column or an index twice: these keep the newest version (the smallest age of xmin:
-- this transaction's xids come after every xid its snapshot saw committed). And they read the catalog by
-- scanning it there, not through its indexes: where both updates were heap-only, an index scan stops at the
-- first visible version of the chain, the snapshot's, without this statement's own change (a retyped column
-- would look unchanged). At READ COMMITTED each statement sees the latest catalog: index scans are right.
CREATE FUNCTION pggit._snapshot_reads() RETURNS boolean
LANGUAGE sql STABLE
AS $$ SELECT current_setting('transaction_isolation') <> 'read committed' $$;

-- Each reads plainly at READ COMMITTED (the first branch) and as above otherwise. PL/pgSQL, not inlined SQL:
-- CREATE TABLE resets every cached plan (a new pg_type row), so each DDL statement plans the queries it runs
-- again, and only the branch taken is planned here (inlined, both arms of every read made DDL ~1.5x slower).
CREATE FUNCTION pggit._class_row(p_oid oid)
RETURNS TABLE (oid oid, relname name, relnamespace oid, relkind "char", relpersistence "char",
               relpartbound pg_catalog.pg_node_tree)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT pggit._snapshot_reads() THEN
        RETURN QUERY SELECT c.oid, c.relname, c.relnamespace, c.relkind, c.relpersistence, c.relpartbound
                     FROM pg_catalog.pg_class c WHERE c.oid = p_oid;
    ELSE
        RETURN QUERY SELECT c.oid, c.relname, c.relnamespace, c.relkind, c.relpersistence, c.relpartbound
                     FROM pg_catalog.pg_class c WHERE c.oid::bigint = p_oid::bigint
                     ORDER BY age(c.xmin) LIMIT 1;
    END IF;
END $$;

-- the columns of a relation (attnum > 0; dropped ones too: callers filter on attisdropped)
CREATE FUNCTION pggit._columns_of(p_rel oid)
RETURNS TABLE (attrelid oid, attnum int2, attname name, atttypid oid, atttypmod int4, attnotnull bool,
               attgenerated "char", attidentity "char", attisdropped bool)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT pggit._snapshot_reads() THEN
        RETURN QUERY SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.attgenerated,
                            a.attidentity, a.attisdropped
                     FROM pg_catalog.pg_attribute a WHERE a.attrelid = p_rel AND a.attnum > 0;
    ELSE
        RETURN QUERY SELECT DISTINCT ON (a.attnum) a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod,
                            a.attnotnull, a.attgenerated, a.attidentity, a.attisdropped
                     FROM pg_catalog.pg_attribute a WHERE a.attrelid::bigint = p_rel::bigint AND a.attnum > 0
                     ORDER BY a.attnum, age(a.xmin);
    END IF;
END $$;

CREATE FUNCTION pggit._constraints_of(p_rel oid) RETURNS TABLE (oid oid, conname name, contype "char")
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT pggit._snapshot_reads() THEN
        RETURN QUERY SELECT k.oid, k.conname, k.contype FROM pg_catalog.pg_constraint k WHERE k.conrelid = p_rel;
    ELSE
        RETURN QUERY SELECT DISTINCT ON (k.oid) k.oid, k.conname, k.contype FROM pg_catalog.pg_constraint k
                     WHERE k.conrelid::bigint = p_rel::bigint ORDER BY k.oid, age(k.xmin);
    END IF;
END $$;

-- the indexes of a relation, with their pg_class names (a rename or SET (…) updates that row)
CREATE FUNCTION pggit._indexes_of(p_rel oid)
RETURNS TABLE (indexrelid oid, relname name, relnamespace oid, reloptions text[], indisvalid bool,
               relkind "char")
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT pggit._snapshot_reads() THEN
        RETURN QUERY SELECT i.indexrelid, ic.relname, ic.relnamespace, ic.reloptions, i.indisvalid, ic.relkind
                     FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
                     WHERE i.indrelid = p_rel;
    ELSE
        RETURN QUERY SELECT DISTINCT ON (i.indexrelid) i.indexrelid, ic.relname, ic.relnamespace, ic.reloptions,
                            i.indisvalid, ic.relkind
                     FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid::bigint = i.indexrelid::bigint
                     WHERE i.indrelid::bigint = p_rel::bigint
                     ORDER BY i.indexrelid, age(ic.xmin), age(i.xmin);
    END IF;
END $$;

-- a relation's comments (objsubid 0) and its columns' (objsubid = attnum) (COMMENT updates its row)
CREATE FUNCTION pggit._comments_of(p_rel oid) RETURNS TABLE (objsubid int, description text)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF NOT pggit._snapshot_reads() THEN
        RETURN QUERY SELECT d.objsubid, d.description FROM pg_catalog.pg_description d
                     WHERE d.objoid = p_rel AND d.classoid = 'pg_catalog.pg_class'::regclass;
    ELSE
        RETURN QUERY SELECT DISTINCT ON (d.objsubid) d.objsubid, d.description FROM pg_catalog.pg_description d
                     WHERE d.objoid::bigint = p_rel::bigint AND d.classoid = 'pg_catalog.pg_class'::regclass
                     ORDER BY d.objsubid, age(d.xmin);
    END IF;
END $$;

-- V1: schemas whose objects never get a row.
CREATE FUNCTION pggit._is_tracked_schema(p_schema text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT p_schema IS NOT NULL
       AND p_schema NOT IN ('pg_catalog', 'information_schema')
       AND NOT starts_with(p_schema, 'pggit')
       AND NOT starts_with(p_schema, 'pg_temp')
       AND NOT starts_with(p_schema, 'pg_toast')
$$;

-- X9: one transaction-scoped lock guards all bookkeeping rows. DDL takes it at ddl_command_start,
-- before PostgreSQL takes any relation lock for the statement, and every API function that writes
-- pgGit's tables (branches and commits too) takes it before its first row lock or index entry, so
-- bookkeeping never waits while holding a relation lock, and no two sessions take locks in orders
-- that cross (a create_branch's new name before a DDL's lock, say).
CREATE FUNCTION pggit._wait_for_bookkeeping_lock() RETURNS void
LANGUAGE sql
AS $$ SELECT pg_advisory_xact_lock(1885697651, 1) $$;

CREATE FUNCTION pggit._try_lock_bookkeeping() RETURNS boolean
LANGUAGE sql
AS $$ SELECT pg_try_advisory_xact_lock(1885697651, 1) $$;

-- X9: whether the session holding the bookkeeping lock waits, directly or through others, for a lock this
-- session holds. A transaction can hold relation locks before its first DDL (ANALYZE, a SELECT or an INSERT
-- take them and fire no event trigger); waiting then for the bookkeeping lock of a transaction that next
-- needs one of those relations is a deadlock PostgreSQL alone would not have: it would let this DDL run.
CREATE FUNCTION pggit._bookkeeping_holder_waits_for_me() RETURNS boolean
LANGUAGE sql
AS $$
    WITH RECURSIVE waits(pid, depth) AS (
        SELECT l.pid, 0 FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 1885697651 AND l.objid = 1 AND l.objsubid = 2
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        UNION
        SELECT b.pid, w.depth + 1 FROM waits w, unnest(pg_blocking_pids(w.pid)) AS b(pid) WHERE w.depth < 8)
    SELECT EXISTS (SELECT 1 FROM waits WHERE pid = pg_backend_pid() AND depth > 0)
$$;

-- One short wait for the bookkeeping lock (lock_timeout 5 ms, restored on return): true if taken.
CREATE FUNCTION pggit._lock_bookkeeping_briefly() RETURNS boolean
LANGUAGE plpgsql
SET lock_timeout = '5ms'
AS $$
BEGIN
    PERFORM pggit._wait_for_bookkeeping_lock();
    RETURN true;
EXCEPTION WHEN lock_not_available THEN
    RETURN false;
END $$;

-- X9: the bookkeeping lock, for DDL and for every API function that writes. While another transaction holds
-- it, wait in short steps (a lock wait, so PostgreSQL sees who waits for whom), and go on without it once that
-- transaction waits for this one: it is stuck until this one ends, so it writes no bookkeeping meanwhile, and
-- this one commits first. The session's own lock_timeout still bounds the wait.
CREATE FUNCTION pggit._lock_bookkeeping() RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
    v_limit interval;
    v_start timestamptz;
BEGIN
    IF pggit._try_lock_bookkeeping() THEN
        RETURN;
    END IF;
    v_limit := nullif(current_setting('lock_timeout'), '0')::interval;
    v_start := clock_timestamp();
    WHILE NOT pggit._lock_bookkeeping_briefly() LOOP
        IF pggit._bookkeeping_holder_waits_for_me() THEN
            RETURN;
        END IF;
        IF clock_timestamp() - v_start > v_limit THEN
            RAISE lock_not_available USING MESSAGE = 'canceling statement due to lock timeout';
        END IF;
    END LOOP;
END $$;

-- sha256hex of the UTF-8 bytes of a text (§0); NULL stays NULL.
CREATE FUNCTION pggit._sha256hex(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT encode(sha256(convert_to(p_text, 'UTF8')), 'hex') $$;

CREATE FUNCTION pggit._reject(p_sqlstate text, p_message text) RETURNS void
LANGUAGE plpgsql
AS $$ BEGIN RAISE EXCEPTION USING ERRCODE = p_sqlstate, MESSAGE = p_message; END $$;

-- The branch a commit or checkout targets: it must exist and be ACTIVE (B6, B10, C1, C7).
-- With p_lock the row is locked, so concurrent commits on one branch form a chain (X8).
CREATE FUNCTION pggit._active_branch(p_branch_name text, p_lock boolean) RETURNS pggit.branches
LANGUAGE plpgsql
AS $$
DECLARE
    b pggit.branches;
BEGIN
    IF p_branch_name IS NULL OR btrim(p_branch_name) = '' THEN
        PERFORM pggit._reject('22023', 'branch name must not be NULL or blank');
    END IF;
    IF p_lock THEN
        PERFORM pggit._lock_bookkeeping();  -- X9: before the row lock, in the order DDL takes them
        SELECT * INTO b FROM pggit.branches WHERE name = p_branch_name FOR UPDATE;
    ELSE
        SELECT * INTO b FROM pggit.branches WHERE name = p_branch_name;
    END IF;
    IF NOT FOUND THEN
        PERFORM pggit._reject('P0002', format('branch %L does not exist', p_branch_name));
    END IF;
    IF b.status <> 'ACTIVE' THEN
        PERFORM pggit._reject('55000', format('branch %L is %s, not ACTIVE', p_branch_name, b.status));
    END IF;
    RETURN b;
END $$;

-- V5: `name(t1, t2)` with format_type(argtype, NULL) joined by ', '.
CREATE FUNCTION pggit._function_name(p_oid oid) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.proname || '('
           || coalesce((SELECT string_agg(format_type(a.typ, NULL), ', ' ORDER BY a.pos)
                        FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(typ, pos)), '')
           || ')'
    FROM pg_proc p
    WHERE p.oid = p_oid
$$;

-- The same name rebuilt from sql_drop's address (the function is already gone from pg_proc).
CREATE FUNCTION pggit._function_name_from_address(p_name text, p_args text[]) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p_name || '('
           || coalesce((SELECT string_agg(coalesce(format_type(to_regtype(a.arg), NULL), a.arg), ', '
                                          ORDER BY a.pos)
                        FROM unnest(p_args) WITH ORDINALITY AS a(arg, pos)), '')
           || ')'
$$;

CREATE FUNCTION pggit._relation_oid(p_schema text, p_name text, p_kinds "char"[]) RETURNS oid
LANGUAGE sql STABLE
AS $$
    SELECT c.oid
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = p_schema AND c.relname = p_name AND c.relkind = ANY (p_kinds)
$$;

CREATE FUNCTION pggit._function_oid(p_schema text, p_signature text) RETURNS oid
LANGUAGE sql STABLE
AS $$
    SELECT p.oid
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = p_schema AND p.proname = split_part(p_signature, '(', 1) AND p.prokind = 'f'
      AND pggit._function_name(p.oid) = p_signature
$$;
