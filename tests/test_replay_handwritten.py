"""Replay scripts without their ``-- @pggit-model`` lines (pggit_model.script_read): a hand-written script, or a
recorded replay.sql stripped of its markers, replays as psql ran it (issue 18 part 6).

A recorded v0.2.1 finding (an INVALID index counted in indexes_hash, H4) stripped of its markers did not replay:
its trailing observation queries were refused (exit 2), and without them the script ran in the rollback
isolation's outer transaction, where its CREATE UNIQUE INDEX CONCURRENTLY failed with 25001 as the model
predicted (X13) and the divergence never showed (NOT REPRODUCED).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pggit_model import cluster
from pggit_model.mutants import by_name
from pggit_model.ops import (
    Column,
    ComputeTableComponentHashes,
    CreateIndex,
    CreateIndexConcurrently,
    CreateTable,
    DropIndex,
    DropIndexConcurrently,
    GetVersion,
    InsertRows,
)
from pggit_model.runs import Run
from pggit_model.script import render_sql
from pggit_model.store import load_run

Server = cluster.ThrowawayCluster | cluster.ExternalServer
S = "mc_abc123"
#: the shape of a recorded v0.2.1 run (docs/findings.md, "An INVALID index in indexes_hash"): a UNIQUE build over
#: duplicates fails and leaves an INVALID index (V24n), is dropped, and is built again over distinct rows
CONCURRENT_OPS = (
    CreateTable(S, "dups", (Column("k", "integer"),)),
    InsertRows(S, "dups", ("k",), ((1,), (1,))),
    CreateIndexConcurrently(S, "dups_u", "dups", ("k",), unique=True),
    ComputeTableComponentHashes(S, "dups"),
    DropIndex(S, "dups_u"),
    GetVersion(f"{S}.dups"),
)


def _stripped(tmp_path: Path, run: Run) -> Path:
    """The run's replay.sql without any ``-- @pggit-model`` line, the SQL kept (as a user pastes it)."""
    text = "\n".join(line for line in render_sql(run).split("\n") if not line.startswith("-- @pggit-model"))
    p = tmp_path / "stripped.sql"
    p.write_text(text)
    return p


def test_a_recorded_script_without_its_markers_reads_back_its_ops_sequences_and_isolation(tmp_path: Path) -> None:
    """X13, V24n: stripped of its markers, a recorded replay.sql still gives the recorded ops (not the observation
    queries after them), the sequence positions its setval lines restore, and autocommit (``clone``) for its
    CONCURRENTLY statement, which the rollback isolation's outer transaction would turn into a 25001."""
    run = Run(CONCURRENT_OPS, S, machine="CascadesMachine", isolation="clone", rule="H4", step=4,
              sequences=(("pggit.branches_id_seq", 49), ("pggit.history_id_seq", 959)))
    back = load_run(_stripped(tmp_path, run))
    assert back.ops == CONCURRENT_OPS
    assert back.schema == S and back.isolation == "clone"
    assert back.sequences == run.sequences


def test_a_hand_written_script_keeps_the_rollback_isolation_unless_a_statement_needs_autocommit(
        tmp_path: Path) -> None:
    """X13: only a statement PostgreSQL refuses inside a transaction block makes a header-less script autocommit;
    an ``isolation=`` header always wins."""
    p = tmp_path / "hand.sql"
    p.write_text("CREATE SCHEMA app;\nCREATE TABLE t (id int);\nCREATE INDEX i ON t (id);\n")
    assert load_run(p).isolation == "rollback"
    p.write_text("CREATE SCHEMA app;\nCREATE TABLE t (id int);\nCREATE INDEX i ON t (id);\n"
                 "DROP INDEX CONCURRENTLY i;\n")
    run = load_run(p)
    assert run.isolation == "clone"
    assert run.ops[-1] == DropIndexConcurrently("app", "i") and run.ops[1] == CreateIndex("app", "i", "t", ("id",))
    p.write_text("-- @pggit-model isolation=rollback\n" + p.read_text())
    assert load_run(p).isolation == "rollback"


@pytest.mark.server
def test_a_hand_written_concurrent_statement_replays_in_autocommit_and_shows_a_planted_fault(
        pggit_server: Server, tmp_path: Path) -> None:
    """X13(a), B11: with the reference's ddl_command_start planted to take a row lock (a transaction id),
    DROP INDEX CONCURRENTLY fails with 0A000; a hand-written script without a header reproduces that, and the
    correct reference runs it clean. Before, the script ran inside one transaction, where the statement fails with
    25001 on both, as the model predicts: NOT REPRODUCED against the fault too."""
    from pggit_model.replay import replay

    p = tmp_path / "hand.sql"
    p.write_text("CREATE SCHEMA app;\nCREATE TABLE t (id int);\nCREATE INDEX i ON t (id);\n"
                 "DROP INDEX CONCURRENTLY i;\n")
    mutant = by_name("ddl-start-assigns-xid").apply(tmp_path / "mutant")
    faulty = replay(load_run(p), pggit_server, mutant)
    assert faulty.got is not None and faulty.got.step == 3, faulty.summary()
    assert "0A000" in faulty.summary(), faulty.summary()
    clean = replay(load_run(p), pggit_server, reference=True)
    assert clean.got is None and clean.steps_run == 3, clean.summary()
