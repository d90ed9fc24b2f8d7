"""V20, B20, U3 on the reference: after `REINDEX … CONCURRENTLY` (a new OID, no event) the next statement renames
the index; its identity continues (R1: the row is renamed, not dropped and created) although the table has another
gone identity — an index another branch made, which drift then dropped on c (U3: no event, so its identity stays,
and c never had its row). Only identities with an active row on c count (B12).

A blind spot of the machines (no machine mixed branches with drift): the mutant
`080_renames.sql:where:f0600288c6:3` (that check without its name) survived every machine."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pggit_model.cluster import ExternalServer, ThrowawayCluster
from pggit_model.divergences import Divergence
from pggit_model.mutants import Mutant
from pggit_model.ops import (
    CheckoutBranch,
    Column,
    CreateBranch,
    CreateIndex,
    CreateTable,
    DropIndex,
    GetHistory,
    Op,
    Reindex,
    RenameRelation,
    SetSearchPath,
    Untracked,
)
from tests.driven import drive, mutant_connection

pytestmark = pytest.mark.server

S = "app"
OTHER_BRANCHS_INDEX_DRIFTED_AWAY: list[Op] = [
    SetSearchPath((S,)), CreateTable(S, "t", (Column("a", "integer"), Column("b", "integer"))),
    CreateIndex(S, "i", "t", ("a",)), CreateBranch("b"), CheckoutBranch("b"), CreateIndex(S, "k", "t", ("b",)),
    CheckoutBranch("main"), Untracked(DropIndex(S, "k")), Reindex("TABLE", S, "t", concurrently=True),
    RenameRelation("INDEX", S, "i", "j"), GetHistory(f"{S}.j", 5)]
#: the mutation tool's `080_renames.sql:where:f0600288c6:3`, planted by hand
GONE_WITHOUT_NAME = Mutant(
    "gone-identity-any-row", "V20", "080_renames.sql",
    "                  WHERE o.object_type = 'INDEX' AND o.schema_name = id.schema_name\n"
    "                    AND o.object_name = id.object_name AND o.branch_name = pggit._current_branch() "
    "AND o.is_active);",
    "                  WHERE o.object_type = 'INDEX' AND o.schema_name = id.schema_name AND o.branch_name = "
    "pggit._current_branch() AND o.is_active);")


def test_v20_a_renamed_index_continues_past_another_branchs_drifted_index(pggit_conn: psycopg.Connection) -> None:
    """V20, R1, B12, U3: every answer and the observed state after each step are the model's (j continues i)."""
    drive(pggit_conn, S, OTHER_BRANCHS_INDEX_DRIFTED_AWAY)


def test_v20_a_gone_identity_counted_without_its_row_is_caught(
        pggit_server: ThrowawayCluster | ExternalServer, tmp_path: Path) -> None:
    """With the check "an active INDEX row on c" losing its name, the drifted index of the other branch counts as
    gone too, two gone identities continue none, and the rename records a new object j instead."""
    with mutant_connection(pggit_server, GONE_WITHOUT_NAME, tmp_path, "heal") as conn, pytest.raises(Divergence):
        drive(conn, S, OTHER_BRANCHS_INDEX_DRIFTED_AWAY)
