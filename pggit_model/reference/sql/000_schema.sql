-- §3 catalogue: schema, enums (labels in contract order), tables and the Trinity sequence.
-- B1: after install there is exactly one branch, main, with id 1.

CREATE SCHEMA IF NOT EXISTS pggit AUTHORIZATION CURRENT_USER;

CREATE TYPE pggit.object_type AS ENUM
    ('SCHEMA', 'TABLE', 'COLUMN', 'INDEX', 'CONSTRAINT', 'VIEW', 'MATERIALIZED_VIEW', 'FUNCTION',
    'PROCEDURE', 'TRIGGER', 'TYPE', 'SEQUENCE', 'PARTITION', 'BRANCH', 'COMMIT', 'TAG');
CREATE TYPE pggit.change_type AS ENUM
    ('CREATE', 'ALTER', 'DROP', 'RENAME', 'COMMENT', 'BRANCH', 'MERGE', 'CONFLICT_RESOLVED');
-- Enum order makes min() the highest severity (V9).
CREATE TYPE pggit.change_severity AS ENUM ('MAJOR', 'MINOR', 'PATCH');
CREATE TYPE pggit.branch_status AS ENUM ('ACTIVE', 'MERGED', 'DELETED', 'CONFLICTED');

CREATE TABLE pggit.branches (
    id               serial PRIMARY KEY,
    name             text NOT NULL UNIQUE,              -- B10: never reused, so UNIQUE over every status
    -- the parent (B4), checked by create_branch; no foreign key: its check locks the parent's row, and at
    -- REPEATABLE READ a commit on the parent after the snapshot (its head moved) would fail the new branch
    -- with 40001, which X11(c) forbids
    parent_branch_id int,
    head_commit_hash text,                              -- B4: NULL until the first commit (C2)
    status           pggit.branch_status NOT NULL DEFAULT 'ACTIVE',
    created_at       timestamp NOT NULL DEFAULT localtimestamp,
    created_by       text NOT NULL DEFAULT current_user,
    merged_at        timestamp,
    deleted_at       timestamp
);
INSERT INTO pggit.branches (name) VALUES ('main');  -- the sequence's first value: id 1

-- One row per row key (V6). `structure` is the catalog snapshot recorded for the object on its
-- branch: V9a compares it with the catalog after each statement. `parent_name` is the table of a
-- COLUMN or INDEX row, so drops and counts can find an object's children.
CREATE TABLE pggit.objects (
    id            serial PRIMARY KEY,
    object_type   pggit.object_type NOT NULL,
    schema_name   text NOT NULL,
    object_name   text NOT NULL,
    full_name     text GENERATED ALWAYS AS (schema_name || '.' || object_name) STORED,
    parent_name   text,
    branch_name   text NOT NULL DEFAULT 'main',
    -- informational (O8), and no foreign key: a branch row deleted by hand must not make DDL fail (U4)
    branch_id     int,
    version       int NOT NULL DEFAULT 1,
    version_major int NOT NULL DEFAULT 1,
    version_minor int NOT NULL DEFAULT 0,
    version_patch int NOT NULL DEFAULT 0,
    is_active     bool NOT NULL DEFAULT true,
    ddl_hash      text,
    structure     jsonb,
    created_at    timestamp NOT NULL DEFAULT localtimestamp,
    updated_at    timestamp NOT NULL DEFAULT localtimestamp,
    UNIQUE (object_type, schema_name, object_name, branch_name)
);
-- L1: the event triggers look a row up by all four key columns under generic plans that were made while
-- the table was small; with only (branch_name, schema_name) here such a plan may filter every row of the
-- schema (10 000 objects: 5x the cost per DDL). Leading with branch and schema it still serves those scans.
CREATE INDEX objects_branch_schema ON pggit.objects (branch_name, schema_name, object_type, object_name);
CREATE INDEX objects_branch_full_name ON pggit.objects (branch_name, full_name);
CREATE INDEX objects_children ON pggit.objects (branch_name, schema_name, parent_name)
    WHERE parent_name IS NOT NULL;

-- Append-only (V8); id gives the order of changes (V18).
CREATE TABLE pggit.history (
    id                 serial PRIMARY KEY,
    object_id          int NOT NULL REFERENCES pggit.objects (id),
    change_type        pggit.change_type NOT NULL,
    change_severity    pggit.change_severity NOT NULL,
    old_version        int,
    new_version        int,
    change_description text,
    sql_executed       text,
    created_at         timestamp NOT NULL DEFAULT localtimestamp,
    created_by         text NOT NULL DEFAULT current_user
);
CREATE INDEX history_object ON pggit.history (object_id, id);

CREATE TABLE pggit.commits (
    id                 bigserial PRIMARY KEY,
    hash               text NOT NULL UNIQUE,            -- C8a
    branch_id          int NOT NULL REFERENCES pggit.branches (id),
    parent_commit_hash text REFERENCES pggit.commits (hash),  -- C8b
    message            text,
    tree_hash          text,
    author             text NOT NULL DEFAULT current_user,
    committed_at       timestamp NOT NULL DEFAULT localtimestamp,
    metadata           jsonb NOT NULL DEFAULT '{}'
);
-- C3/C7: custom ids are checked against metadata->>'commit_id' as well as hash.
CREATE INDEX commits_commit_id ON pggit.commits ((metadata ->> 'commit_id'));

-- V9a with one shared catalog (B9): the last catalog state of each tracked table the triggers saw,
-- whatever the branch. A statement that leaves a table's catalog state as it was records nothing for
-- it, even on a branch whose recorded structure is older.
CREATE TABLE pggit.catalog_shapes (
    relid     oid PRIMARY KEY,
    structure jsonb NOT NULL
);

-- M2: the rows copied into a branch at creation (B5), the merge base.
CREATE TABLE pggit.branch_base (
    branch_id     int NOT NULL REFERENCES pggit.branches (id),
    object_type   pggit.object_type NOT NULL,
    schema_name   text NOT NULL,
    object_name   text NOT NULL,
    version       int NOT NULL,
    version_major int NOT NULL,
    version_minor int NOT NULL,
    version_patch int NOT NULL,
    PRIMARY KEY (branch_id, object_type, schema_name, object_name)
);

CREATE TABLE pggit.merges (
    merge_id      text PRIMARY KEY,
    source_branch text NOT NULL,
    target_branch text NOT NULL,
    message       text,
    result        text NOT NULL,
    merged_at     timestamp NOT NULL DEFAULT localtimestamp,
    merged_by     text NOT NULL DEFAULT current_user
);

CREATE TABLE pggit.merge_conflicts (
    id              serial PRIMARY KEY,
    merge_id        text NOT NULL,
    branch_a        text NOT NULL,
    branch_b        text NOT NULL,
    conflict_object text NOT NULL,
    conflict_type   text NOT NULL,
    source_state    jsonb,
    target_state    jsonb,
    base_state      jsonb,
    created_at      timestamp NOT NULL DEFAULT localtimestamp
);

-- T3/T6: bigint, starts at 1, CACHE 1 so values follow real time across sessions.
CREATE SEQUENCE pggit.trinity_id_seq AS bigint INCREMENT 1 START 1 CACHE 1 NO CYCLE;
