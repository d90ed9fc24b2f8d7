"""V20 (identity) as far as the first model reaches: no renames yet (the second model's part 2 adds them), so the
two cases V20 decides here are an object PostgreSQL rebuilds under the same key and an object re-created under a
key that had a row."""

from __future__ import annotations

import psycopg
import pytest

from pggit_model.model import initial_state, run
from pggit_model.ops import AlterColumnType, AlterTable, Column, CreateIndex, CreateTable, DropTable

S = "mc_identity"
REBUILD = [CreateTable(S, "t", (Column("a", "integer"),)), CreateIndex(S, "i", "t", ("a",)),
           AlterTable(S, "t", (AlterColumnType("a", "bigint"),))]


def test_an_index_rebuilt_by_a_type_change_keeps_its_identity() -> None:
    """V20 (B20): ALTER COLUMN TYPE rebuilds the index under a new OID without any event; the replacement continues
    the index's identity, so its row keeps its one CREATE and the table records the ALTER alone."""
    state, _ = run(initial_state(schemas=(S,)), REBUILD)
    assert [c.change_type for c in state.db.history[("INDEX", S, "i", "main")]] == ["CREATE"]
    assert [c.change_type for c in state.db.history[("TABLE", S, "t", "main")]] == ["CREATE", "ALTER", "ALTER"]


def test_a_new_identity_under_an_old_key_is_a_new_life() -> None:
    """V20 (V14): DROP then CREATE under the same key is a new object — created, version 1 — never an ALTER of
    the old one."""
    state, _ = run(initial_state(schemas=(S,)), [CreateTable(S, "t", ()), DropTable(S, "t"), CreateTable(S, "t", ())])
    row = state.db.rows[("TABLE", S, "t", "main")]
    assert (row.version, row.active) == (1, True)
    assert [c.change_type for c in state.db.history[("TABLE", S, "t", "main")]] == ["CREATE", "DROP", "CREATE"]


@pytest.mark.server
def test_postgres_gives_the_rebuilt_index_a_new_oid_and_the_reference_keeps_its_row(
        pggit_conn: psycopg.Connection) -> None:
    """V20's premise on the server: the index's pg_class OID changes under ALTER COLUMN TYPE, and the reference
    records no DROP or CREATE for it (its history is the one CREATE)."""
    pggit_conn.execute(f"CREATE SCHEMA {S}")
    oid = "SELECT oid FROM pg_class WHERE oid = to_regclass('mc_identity.i')"
    for op in REBUILD[:2]:
        pggit_conn.execute(op.to_sql())
    before = pggit_conn.execute(oid).fetchone()
    pggit_conn.execute(REBUILD[2].to_sql())
    assert pggit_conn.execute(oid).fetchone() != before
    changes = pggit_conn.execute(
        "SELECT h.change_type::text FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id "
        "WHERE o.object_type = 'INDEX' AND o.schema_name = %s AND o.object_name = 'i' ORDER BY h.id", [S]).fetchall()
    assert changes == [("CREATE",)]
