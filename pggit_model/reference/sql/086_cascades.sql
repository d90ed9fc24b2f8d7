-- §14 cascades (V26) and statements outside a transaction block (X13, V24m-p).
--
-- V26 needs no function of its own: a table a cascade changes appears only in sql_drop (B6), as the
-- owner of a dropped 'table column', 'table constraint', 'default value' or 'index', and 010's
-- _on_sql_drop re-syncs every such table that still exists (one ALTER at the highest severity of
-- its losses, V9a); a table dropped by the same statement is gone and records only its drop.
--
-- X13(a): ddl_command_start only takes pg_advisory_xact_lock (005), which assigns no transaction id,
-- so DROP INDEX CONCURRENTLY stays the first action of its transaction (B11).

-- V24p, V23: an index definition as a table's structure holds it, without storage parameters.
-- pg_get_indexdef renders them as ` WITH (name='value', …)` (B19); ALTER INDEX … SET (…) records
-- nothing, so they are cut out here, from the rendering alone: pg_get_indexdef reads the latest catalog,
-- while a REPEATABLE READ statement's own reads of pg_class may see older reloptions (X11, 005_helpers.sql).
-- The INDEX row's own hash keeps them (H11).
CREATE FUNCTION pggit._index_definition(p_index oid) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT regexp_replace(pg_get_indexdef(p_index),
                          ' WITH \((("[^"]+"|[a-z_][a-z0-9_]*)=''[^'']*''(, )?)+\)', '')
$$;
