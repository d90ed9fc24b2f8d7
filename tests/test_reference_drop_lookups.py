"""V13, B9 on the reference: DROP TABLE drops the rows of what PostgreSQL dropped, found by the table's name —
its COLUMN rows (`t.a`, parent `t`) — and nothing else: an index named like one of its columns (`t_a`, PostgreSQL's
own naming) whose row on c is stale (another branch dropped the index in the shared catalog) stays as it is.

A blind spot of the machines until index names were drawn that way (strategies.ddl.derived_names): the mutant
`010_tracking.sql:where:3cda1b2e21:1` (the column lookup without its object_type) survived every machine."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from pggit_model.cluster import ExternalServer, ThrowawayCluster
from pggit_model.divergences import Divergence
from pggit_model.model import initial_state, run
from pggit_model.mutants import Mutant
from pggit_model.ops import (
    CheckoutBranch,
    Column,
    CreateBranch,
    CreateIndex,
    CreateTable,
    DropIndex,
    DropTable,
    Op,
    SetSearchPath,
)
from tests.driven import drive, mutant_connection

S = "app"
STALE_INDEX_THEN_DROP: list[Op] = [
    SetSearchPath((S,)), CreateTable(S, "t", (Column("a", "integer"), Column("b", "text"))),
    CreateIndex(S, "t_a", "t", ("a",)), CreateBranch("b"), CheckoutBranch("b"), DropIndex(S, "t_a"),
    CheckoutBranch("main"), DropTable(S, "t")]
#: the mutation tool's `010_tracking.sql:where:3cda1b2e21:1`, planted by hand
COLUMN_LOOKUP_WITHOUT_KIND = Mutant(
    "column-lookup-without-kind", "V13", "010_tracking.sql",
    "AND o.parent_name = d.address_names[2] AND o.object_type = 'COLUMN' AND o.is_active",
    "AND o.parent_name = d.address_names[2] AND o.is_active")


def test_v13_b9_a_stale_index_row_named_like_a_column_stays() -> None:
    """V13, B9: the model drops t and its columns' rows on main, and leaves the stale row of index t_a active (the
    statement did not drop that index: the branch did)."""
    st, exps = run(initial_state((S,)), STALE_INDEX_THEN_DROP)
    assert not any(e.is_unspecified for e in exps)
    main = {k[0] + " " + k[2]: r.active for k, r in st.db.rows.items() if k[3] == "main"}
    assert main == {"TABLE t": False, "COLUMN t.a": False, "COLUMN t.b": False, "INDEX t_a": True}


@pytest.mark.server
def test_v13_the_reference_drops_only_what_postgresql_dropped(pggit_conn: psycopg.Connection) -> None:
    """V13, B9 on the reference: every answer and the observed state after each step are the model's."""
    drive(pggit_conn, S, STALE_INDEX_THEN_DROP)


@pytest.mark.server
def test_v13_a_column_lookup_without_its_kind_is_caught(
        pggit_server: ThrowawayCluster | ExternalServer, tmp_path: Path) -> None:
    """On the reference with the column lookup of DROP TABLE's sql_drop lacking `object_type = 'COLUMN'`, the same
    steps diverge: the stale row of index t_a is dropped with the table's columns."""
    fault = COLUMN_LOOKUP_WITHOUT_KIND
    with mutant_connection(pggit_server, fault, tmp_path, "stale") as conn, pytest.raises(Divergence):
        drive(conn, S, STALE_INDEX_THEN_DROP)
