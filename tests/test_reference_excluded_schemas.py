"""Reference backend, V1's excluded user schemas (`pggitx`, "pggit Archive"): `_is_tracked_schema` agrees with the
model, step by step through the Driver (every answer and the observed state after each step)."""

from __future__ import annotations

import psycopg
import pytest

from pggit_model.ops import (
    AddColumn,
    AlterTable,
    CheckoutBranch,
    Column,
    CreateBranch,
    CreateFunction,
    CreateIndex,
    CreateMatView,
    CreateSchema,
    CreateTable,
    CreateView,
    DropSchema,
    DropTable,
    ExportSchemaHashes,
    GetHistory,
    GetVersion,
    MergeBranches,
    Op,
    RenameRelation,
    SetSchema,
    SetSearchPath,
)
from tests.driven import drive

pytestmark = pytest.mark.server


def _objects(x: str) -> list[Op]:
    return [CreateTable(x, "t", (Column("a", "integer"), Column("b", "text"))), CreateIndex(x, "ti", "t", ("a",)),
            CreateView(x, "v", "t", ("a",)), CreateMatView(x, "mv", "t", ("a",)), CreateIndex(x, "mvi", "mv", ("a",)),
            CreateFunction(x, "f", ("integer",)), AlterTable(x, "t", (AddColumn(Column("c", "integer")),)),
            RenameRelation("TABLE", x, "t", "t2"), SetSearchPath((x,)), GetVersion(f"{x}.t2"), GetHistory(f"{x}.t2", 5)]


@pytest.mark.parametrize("x", ["pggitx", "pggit Archive"])
def test_v1_an_excluded_user_schema_observed_has_no_rows(pggit_conn: psycopg.Connection, x: str) -> None:
    """V1: observed as the machine's own schema, DDL in `pggitx` (or "pggit Archive") leaves pggit.objects and
    pggit.history without a row of that schema, and the version API finds nothing there."""
    drive(pggit_conn, x, [*_objects(x), ExportSchemaHashes(x), DropTable(x, "t2", cascade=True)])


def test_v1_n7_n4_across_tracked_and_excluded_schemas(pggit_conn: psycopg.Connection) -> None:
    """V1, N7, N4, V26a, M1: a tracked view over pggitx.t gets rows and is dropped with it; a view in pggitx over a
    tracked table gets none; a branch and a merge carry nothing of pggitx; DROP SCHEMA pggitx CASCADE drops only
    tracked readers' rows."""
    s, x = "s", "pggitx"
    drive(pggit_conn, s, [
        CreateSchema(x), *_objects(x), CreateView(s, "over", "t2", ("a",), source_schema=x),
        CreateTable(s, "u", (Column("a", "integer"),)), CreateView(x, "back", "u", ("a",), source_schema=s),
        CreateBranch("b"), CheckoutBranch("b"), CreateTable(x, "n", (Column("a", "integer"),)),
        CheckoutBranch("main"), MergeBranches("b", "main"), SetSchema("VIEW", x, "back", x),
        DropTable(s, "u", cascade=True), GetVersion(f"{x}.back"), DropSchema(x, cascade=True)])
