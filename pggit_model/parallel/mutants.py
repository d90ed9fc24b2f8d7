"""Planted concurrency faults (X8, X9): the reference with one lock taken late or not at all.

Each must be caught by the parallel machine; ``tests/test_parallel_mutants.py`` proves it. Same form as
``pggit_model.mutants`` (one textual edit of one SQL file), kept apart because their machine is not a state machine.
"""

from __future__ import annotations

from pggit_model.mutants import Mutant

H = "005_helpers.sql"
T = "010_tracking.sql"
BR = "030_branches.sql"

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
)
