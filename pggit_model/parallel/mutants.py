"""Planted concurrency faults (X8, X9, X10, and T6 across sessions): the reference with a lock taken late or not
at all.

Each must be caught by the parallel machine; ``tests/test_parallel_mutants.py`` proves it. Same form as
``pggit_model.mutants`` (one textual edit of one SQL file), kept apart because their machine is not a state machine.
"""

from __future__ import annotations

from pggit_model.mutants import Mutant

H = "005_helpers.sql"
T = "010_tracking.sql"
BR = "030_branches.sql"
TR = "050_trinity.sql"
SC = "000_schema.sql"
CM = "040_commits.sql"
MG = "070_merge.sql"

PARALLEL_MUTANTS: tuple[Mutant, ...] = (
    Mutant("create-branch-lock-late", "X9", BR,
           "    -- X9: the bookkeeping lock before any row lock or index entry, in the order DDL takes them\n"
           "    PERFORM pggit._lock_bookkeeping();\n",
           "",
           machine="ParallelMachine",
           why="create_branch inserts its name without the bookkeeping lock: with a DDL in another transaction the "
               "two sessions take the locks in crossing orders and deadlock (the reference's bug before the fix)"),
    Mutant("ddl-lock-at-end", "X9", T,
           "BEGIN\n    PERFORM pggit._lock_bookkeeping();\nEND $$;",
           "BEGIN\n    PERFORM 1;\nEND $$;",
           machine="ParallelMachine",
           why="DDL takes the bookkeeping lock at ddl_command_end, after its relation locks (X9's own example)"),
    Mutant("commit-branch-unlocked", "X8", H,
           "        PERFORM pggit._lock_bookkeeping();  -- X9: before the row lock, in the order DDL takes them\n"
           "        SELECT * INTO b FROM pggit.branches WHERE name = p_branch_name FOR UPDATE;",
           "        SELECT * INTO b FROM pggit.branches WHERE name = p_branch_name;",
           machine="ParallelMachine",
           why="commits read the branch head without locking the branch: concurrent commits fork instead of "
               "forming a chain (X8, C8)"),
    Mutant("commit-hash-of-content-unlocked", "X10", CM,
           "    b := pggit._active_branch(p_branch_name, true);\n    IF coalesce(p_message, '') = ''",
           "    b := pggit._active_branch(p_branch_name, false);\n    IF coalesce(p_message, '') = ''",
           machine="ParallelMachine",
           also=((CM, "concat_ws(E'\\n', 'commit', v_id::text, b.name,", "concat_ws(E'\\n', 'commit', b.name,"),
                 (SC, "    hash               text NOT NULL UNIQUE,            -- C8a\n",
                  "    hash               text NOT NULL,\n"),
                 (SC, "    parent_commit_hash text REFERENCES pggit.commits (hash),  -- C8b\n",
                  "    parent_commit_hash text,\n")),
           why="create_commit reads the branch head without locking it, hashes only the commit's content and "
               "parent, and nothing keeps hashes unique: two sessions committing the same message on one branch "
               "store one hash twice (X10). Sequentially the parents differ, so only concurrency shows it"),
    Mutant("trinity-from-a-count", "T6", TR,
           "    v_seq text := nextval('pggit.trinity_id_seq')::text;",
           "    v_seq text := (SELECT count(*) + 1 FROM pggit.commits)::text;",
           machine="ParallelMachine",
           why="field 2 of a Trinity ID counts commits instead of drawing from the sequence: a call in one "
               "session after another session's call returned gets the same field 2, not a larger one (T6, "
               "checked by real time across sessions); a sequential bug too"),
    Mutant("rr-stale-version", "X11", T,
           "    UPDATE pggit.objects\n    SET version = version + (version < 2147483647)::int,",
           "    BEGIN\n    UPDATE pggit.objects\n    SET version = version + (version < 2147483647)::int,",
           machine="ParallelMachine",
           also=((T, "    INTO v_new, v_text;\n",
                  "    INTO v_new, v_text;\n    EXCEPTION WHEN serialization_failure THEN  -- from the snapshot\n"
                  "        SELECT version + 1, 'stale' INTO v_new, v_text FROM pggit.objects WHERE id = p_id;\n"
                  "    END;\n"),
                 (T, "        INSERT INTO pggit.catalog_shapes AS s (relid, structure) VALUES (p_rel, v_new)\n"
                     "        ON CONFLICT (relid) DO UPDATE SET structure = excluded.structure;\n",
                  "        BEGIN\n"
                  "        INSERT INTO pggit.catalog_shapes AS s (relid, structure) VALUES (p_rel, v_new)\n"
                  "        ON CONFLICT (relid) DO UPDATE SET structure = excluded.structure;\n"
                  "        EXCEPTION WHEN serialization_failure THEN NULL;\n        END;\n")),
           why="bookkeeping swallows the serialization failure of a REPEATABLE READ transaction and records from its "
               "snapshot: B's change to a table A changed after B's snapshot repeats A's version and loses a bump "
               "(X11(a)); at READ COMMITTED no 40001 ever happens, so only an isolation-level program sees it"),
    Mutant("merge-from-snapshot", "X11", MG,
           "        PERFORM pggit._fail_if_changed_after_snapshot(s.name);\n"
           "        PERFORM pggit._fail_if_changed_after_snapshot(t.name);\n",
           "        NULL;\n",
           machine="ParallelMachine",
           why="merge_branches at REPEATABLE READ merges the source's rows as its snapshot shows them: a change "
               "another session recorded on the source after the snapshot is lost (the source becomes MERGED), "
               "which no serial order gives (X11(a)); the reference's bug before the fix"),
    Mutant("ddl-touches-branch-row", "X11", T,
           "    PERFORM pggit._remember_keys();  -- the keys the next statement's renames are found by (V20)\n",
           "    PERFORM pggit._remember_keys();  -- the keys the next statement's renames are found by (V20)\n"
           "    UPDATE pggit.branches SET head_commit_hash = head_commit_hash WHERE name = pggit._current_branch();\n",
           machine="ParallelMachine",
           why="every DDL also writes its branch's row (a 'last change' mark): harmless at READ COMMITTED under the "
               "bookkeeping lock, but at REPEATABLE READ DDL on table u fails with 40001 after another session's "
               "DDL on t committed, which X11(c) forbids (no 40001 on u)"),
)
