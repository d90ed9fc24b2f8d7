"""The pure model of partitions and inheritance (§14.1 V22–V25): what each statement records, PostgreSQL 15's
SQLSTATEs for what it refuses (each case also runs as plain SQL on a real server, so the prediction is pinned),
the parser's round trips, and what the model refuses to predict (B12)."""

from __future__ import annotations

import psycopg
import pytest

from pggit_model.model import step
from pggit_model.model.state import State
from pggit_model.ops import (
    AddColumn,
    AddConstraint,
    AlterColumnType,
    AlterTable,
    AttachPartition,
    Begin,
    Check,
    Column,
    CreateChild,
    CreateIndex,
    CreatePartition,
    CreatePartitioned,
    CreateTable,
    DetachPartition,
    DropColumn,
    DropConstraint,
    DropIndex,
    DropNotNull,
    DropTable,
    ForeignKey,
    Op,
    PrimaryKey,
    RenameColumn,
    RenameConstraint,
    RenameRelation,
    SetDefault,
    SetInherit,
    SetNotNull,
    Unique,
)
from pggit_model.ops.cascades import CreateIndexConcurrently, DropIndexConcurrently
from pggit_model.parse import parse_one
from tests.model_steps import postgres_outcome, run_in

S = "mc_parts"
M = CreatePartitioned(S, "m", (Column("k", "integer", True), Column("v", "text")), "RANGE", "k")
P0 = CreatePartition(S, "m_p0", "m", "RANGE", (0, 10))
P1 = CreatePartition(S, "m_p1", "m", "RANGE", (10, 20))
PARENT = CreateTable(S, "p", (Column("a", "integer"), Column("b", "text")))
CHILD = CreateChild(S, "c", "p", (Column("x", "integer"),))
WORLD = [M, P0, P1, PARENT, CHILD]


def run(*ops: Op, state: State | None = None) -> tuple[State, list]:
    return run_in(S, ops, state)


def row(st: State, kind: str, name: str) -> tuple | None:
    r = st.db.rows.get((kind, S, name, "main"))
    return None if r is None else (r.version, f"{r.major}.{r.minor}.{r.patch}", r.active)


def last(st: State, kind: str, name: str) -> tuple:
    h = st.db.history[(kind, S, name, "main")][-1]
    return (h.change_type, h.severity, h.old_version, h.new_version)


def outcome(exp: object) -> str:
    kind = getattr(exp, "kind", None)
    if kind == "ok":
        return "ok"
    if kind == "error":
        return "|".join(sorted(exp.sqlstates))  # type: ignore[attr-defined]
    return str(kind)


# (id, setup (all succeed), the statement, "ok" or PostgreSQL 15's SQLSTATE(s))
CASES: list[tuple[str, list[Op], Op, str]] = [
    ("overlapping-range", [M, P0], CreatePartition(S, "x", "m", "RANGE", (5, 15)), "42P17"),
    ("second-default", [M, CreatePartition(S, "d", "m", "DEFAULT")], CreatePartition(S, "d2", "m", "DEFAULT"),
     "42P17"),
    ("list-bound-on-range", [M], CreatePartition(S, "x", "m", "LIST", (1,)), "42P16"),
    ("empty-range", [M], CreatePartition(S, "x", "m", "RANGE", (5, 5)), "42P17"),
    ("partition-of-a-plain-table", [PARENT], CreatePartition(S, "x", "p", "RANGE", (0, 1)), "42P17"),
    ("partition-of-a-missing-parent-under-a-taken-name", [PARENT], CreatePartition(S, "p", "zz", "RANGE", (0, 1)),
     "42P01"),
    ("child-of-a-missing-parent-under-a-taken-name", [PARENT], CreateChild(S, "p", "zz"), "42P01"),
    ("attach-to-a-plain-table", [PARENT, CreateTable(S, "x", (Column("a", "integer"),))],
     AttachPartition(S, "p", "x", "RANGE", (0, 1)), "42P17"),
    ("detach-from-a-plain-table", [PARENT, CHILD], DetachPartition(S, "p", "c"), "42P17"),
    ("attach-itself", [M], AttachPartition(S, "m", "m", "RANGE", (0, 1)), "42P07"),
    ("attach-an-inheritance-child", [M, PARENT, CHILD], AttachPartition(S, "m", "c", "RANGE", (0, 1)), "42809"),
    ("attach-an-inheritance-parent", [M, PARENT, CHILD], AttachPartition(S, "m", "p", "RANGE", (0, 1)), "42809"),
    ("inherit-from-a-partition", [M, P0, PARENT], SetInherit(S, "p", "m_p0"), "42809"),
    ("no-inherit-on-a-partition", [M, P0], SetInherit(S, "m_p0", "m", False), "42809"),
    ("drop-partition-key", [M, P0], AlterTable(S, "m", (DropColumn("k"),)), "42P16"),
    ("retype-partition-key", [M, P0], AlterTable(S, "m", (AlterColumnType("k", "bigint"),)), "42P16"),
    ("pk-without-partition-key", [M, P0], AlterTable(S, "m", (AddConstraint(PrimaryKey(("v",))),)), "0A000"),
    # a missing column is named before the key is missed (smoke seed 223 of the partitions machine)
    ("pk-on-a-missing-column", [M, P0], AlterTable(S, "m", (AddConstraint(PrimaryKey(("a",))),)), "42703"),
    ("unique-on-a-missing-column", [M], AlterTable(S, "m", (AddConstraint(Unique("u9", ("v", "zz"))),)), "42703"),
    ("unique-index-without-key", [M, P0], CreateIndex(S, "u", "m", ("v",), unique=True), "0A000"),
    ("drop-inherited-column", [M, P0], AlterTable(S, "m_p0", (DropColumn("v"),)), "42P16"),
    ("rename-inherited-column", [M, P0], RenameColumn("TABLE", S, "m_p0", "v", "w"), "42P16"),
    ("retype-inherited-column", [M, P0], AlterTable(S, "m_p0", (AlterColumnType("v", "varchar(5)"),)), "42P16"),
    ("drop-a-partition-index", [M, P0, CreateIndex(S, "mi", "m", ("v",))], DropIndex(S, "m_p0_v_idx"), "2BP01"),
    ("attach-extra-column", [M, CreateTable(S, "x", (Column("k", "integer", True), Column("v", "text"),
                                                     Column("z", "integer")))],
     AttachPartition(S, "m", "x", "RANGE", (0, 10)), "42804"),
    ("attach-nullable", [M, CreateTable(S, "x", (Column("k", "integer"), Column("v", "text")))],
     AttachPartition(S, "m", "x", "RANGE", (0, 10)), "42804"),
    ("attach-missing-check", [M, AlterTable(S, "m", (AddConstraint(Check("ck", "k", "positive")),)),
                              CreateTable(S, "x", (Column("k", "integer", True), Column("v", "text")))],
     AttachPartition(S, "m", "x", "RANGE", (0, 10)), "42804"),
    ("attach-overlap-before-missing-column", [M, P0, CreateTable(S, "x", (Column("k", "integer", True),))],
     AttachPartition(S, "m", "x", "RANGE", (0, 10)), "42P17"),
    ("attach-twice", [M, P0], AttachPartition(S, "m", "m_p0", "RANGE", (30, 40)), "42809"),
    ("detach-a-stranger", [M, PARENT], DetachPartition(S, "m", "p"), "42P01"),
    ("inherit-from-partitioned", [M], CreateChild(S, "c", "m"), "42809"),
    ("no-inherit-a-stranger", [PARENT, CreateTable(S, "q", (Column("a", "integer"),))],
     SetInherit(S, "q", "p", False), "42P01"),
    ("inherit-missing-column", [PARENT, CreateTable(S, "q", (Column("a", "integer"),))],
     SetInherit(S, "q", "p"), "42804"),
    ("inherit-itself", [PARENT], SetInherit(S, "p", "p"), "42P07"),
    ("drop-parent-without-cascade", [PARENT, CHILD], DropTable(S, "p"), "2BP01"),
    ("drop-partitioned-without-cascade", [M, P0, P1], DropTable(S, "m"), "ok"),
    ("parent-pk-on-key", [M, P0], AlterTable(S, "m", (AddConstraint(PrimaryKey(("k",))),)), "ok"),
    # a second primary key without the key column: 42P16 before 0A000 (a partitions smoke, seed 301)
    ("second-pk-without-key", [M, P0, AlterTable(S, "m", (AddConstraint(PrimaryKey(("k",))),))],
     AlterTable(S, "m", (AddConstraint(PrimaryKey(("v",))),)), "42P16"),
    ("unique-without-key-beside-a-pk", [M, P0, AlterTable(S, "m", (AddConstraint(PrimaryKey(("k",))),))],
     AlterTable(S, "m", (AddConstraint(Unique("u1", ("v",))),)), "0A000"),
    ("parent-unique-with-key", [M, P0], AlterTable(S, "m", (AddConstraint(Unique("uk", ("k", "v"))),)), "ok"),
    ("child-default-of-its-own", [PARENT, CHILD], AlterTable(S, "c", (SetDefault("a", 3),)), "ok"),
    # a child that declares the columns it inherits (NO INHERIT, then INHERIT) still counts them as inherited
    # (attinhcount): renaming, dropping or retyping one is refused as for any child (a partitions smoke, seed 258)
    ("rename-a-declared-inherited-column", [PARENT, CHILD, SetInherit(S, "c", "p", False), SetInherit(S, "c", "p")],
     RenameColumn("TABLE", S, "c", "a", "q"), "42P16"),
    ("drop-a-declared-inherited-column", [PARENT, CHILD, SetInherit(S, "c", "p", False), SetInherit(S, "c", "p")],
     AlterTable(S, "c", (DropColumn("a"),)), "42P16"),
    ("drop-a-declared-inherited-check",
     [PARENT, AlterTable(S, "p", (AddConstraint(Check("ck", "a", "positive")),)), CHILD,
      SetInherit(S, "c", "p", False), SetInherit(S, "c", "p")],
     AlterTable(S, "c", (DropConstraint("ck"),)), "42P16"),
    # the key follows RENAME COLUMN even with no partition yet (found by a fresh-clone smoke of the reinstall machine)
    ("drop-renamed-key-no-partitions", [M, RenameColumn("TABLE", S, "m", "k", "a")],
     AlterTable(S, "m", (DropColumn("a"),)), "42P16"),
    ("unique-on-renamed-key-no-partitions", [M, RenameColumn("TABLE", S, "m", "k", "a")],
     AlterTable(S, "m", (AddConstraint(Unique("u1", ("a",))),)), "ok"),
    ("retype-renamed-key", [M, P0, RenameColumn("TABLE", S, "m", "k", "a")],
     AlterTable(S, "m", (AlterColumnType("a", "bigint"),)), "42P16"),
    # V24m: CONCURRENTLY and partitioned tables and indexes (checked before the index name, 42P07)
    ("create-index-concurrently-on-partitioned", [M], CreateIndexConcurrently(S, "m", "m", ("v",), if_not_exists=True),
     "0A000"),
    ("create-index-concurrently-on-a-partition", [M, P0], CreateIndexConcurrently(S, "pi", "m_p0", ("v",)), "ok"),
    ("drop-partitioned-index-concurrently", [M, CreateIndex(S, "mi", "m", ("v",))], DropIndexConcurrently(S, "mi"),
     "0A000"),
    ("drop-a-partition-index-concurrently", [M, P0, CreateIndex(S, "mi", "m", ("v",))],
     DropIndexConcurrently(S, "m_p0_v_idx"), "2BP01"),
    # V24t, X13: DETACH … CONCURRENTLY (autocommit here); a default partition refuses it before the partition is
    # looked up (55000), a plain parent still answers 42P17 first
    ("detach-concurrently", [M, P0, P1], DetachPartition(S, "m", "m_p0", True), "ok"),
    ("detach-concurrently-with-a-default", [M, P0, CreatePartition(S, "d", "m", "DEFAULT")],
     DetachPartition(S, "m", "m_p0", True), "55000"),
    ("detach-the-default-concurrently", [M, P0, CreatePartition(S, "d", "m", "DEFAULT")],
     DetachPartition(S, "m", "d", True), "55000"),
    ("detach-a-missing-table-concurrently-with-a-default", [M, CreatePartition(S, "d", "m", "DEFAULT")],
     DetachPartition(S, "m", "zz", True), "55000"),
    ("detach-a-stranger-concurrently", [M, PARENT], DetachPartition(S, "m", "p", True), "42P01"),
    ("detach-concurrently-from-a-plain-table", [PARENT, CHILD], DetachPartition(S, "p", "c", True), "42P17"),
    ("detach-concurrently-from-a-missing-table", [], DetachPartition(S, "zz", "zz", True), "42P01"),
]


@pytest.mark.parametrize(("setup", "op", "expected"), [pytest.param(s, o, e, id=i) for i, s, o, e in CASES])
def test_model_predicts_postgresql(setup: list[Op], op: Op, expected: str) -> None:
    """V24q–x, V25, X4: the model accepts or refuses each statement with PostgreSQL 15's SQLSTATE."""
    st, exps = run(*setup)
    assert all(e.kind == "ok" for e in exps), exps
    assert outcome(step(st, op)[1]) == expected


@pytest.mark.server
def test_postgresql_agrees_with_every_case(pggit_conn: psycopg.Connection) -> None:
    """Each CASES row, run as plain SQL on PostgreSQL 15 (reference installed, which is transparent, V21), gives the
    outcome the model predicts: the SQLSTATE orders above are PostgreSQL's."""
    problems = []
    for ident, setup, op, expected in CASES:
        got = postgres_outcome(pggit_conn, [S], setup, op)
        if got not in expected.split("|"):
            problems.append(f"{ident}: PostgreSQL {got}, model {expected}")
    pggit_conn.execute(f"DROP SCHEMA IF EXISTS {S} CASCADE")
    assert problems == []


def test_v24q_v24r_partitioned_table_and_partition_created_m_records_nothing() -> None:
    """V24q, V24r, V22: m, its columns, each partition and its columns are created (1.0.0); a partition's cloned
    index is an INDEX row; m records nothing when a partition is added."""
    st, _ = run(M, CreateIndex(S, "mi", "m", ("v",)), P0)
    assert row(st, "TABLE", "m") == (2, "1.0.1", True)  # CREATE, then CREATE INDEX (V10c)
    assert row(st, "TABLE", "m_p0") == (1, "1.0.0", True)
    assert row(st, "COLUMN", "m_p0.k") == (1, "1.0.0", True)
    assert row(st, "INDEX", "m_p0_v_idx") == (1, "1.0.0", True)
    st2, _ = run(P1, state=st)
    assert row(st2, "TABLE", "m") == (2, "1.0.1", True)


def test_v25_parent_level_change_recorded_on_every_descendant() -> None:
    """V25, V9: ADD COLUMN on m and on p records one change on m, each partition, p and the child, at V10d's
    MINOR; SET NOT NULL on p is MAJOR on p and c; a new column gets a COLUMN row on every descendant."""
    st, _ = run(*WORLD, AlterTable(S, "m", (AddColumn(Column("n", "integer")),)),
                AlterTable(S, "p", (AddColumn(Column("n", "integer")),)))
    for t in ("m", "m_p0", "m_p1", "p", "c"):
        assert row(st, "TABLE", t) == (2, "1.1.0", True), t
        assert last(st, "TABLE", t) == ("ALTER", "MINOR", 1, 2)
        assert row(st, "COLUMN", f"{t}.n") == (1, "1.0.0", True)
    st, _ = run(AlterTable(S, "p", (SetNotNull("a"),)), state=st)
    assert row(st, "TABLE", "p") == (3, "2.0.0", True) and row(st, "TABLE", "c") == (3, "2.0.0", True)
    assert row(st, "TABLE", "m_p0") == (2, "1.1.0", True)  # the other hierarchy is untouched


def test_v25_rename_column_is_a_key_change_on_every_descendant() -> None:
    """V25, R3b: RENAME COLUMN on a parent changes the COLUMN key on m and on every partition, each table MAJOR."""
    st, _ = run(*WORLD, RenameColumn("TABLE", S, "m", "v", "w"))
    for t in ("m", "m_p0", "m_p1"):
        assert row(st, "COLUMN", f"{t}.v")[2] is False
        assert row(st, "COLUMN", f"{t}.w") == (1, "1.0.0", True)
        assert row(st, "TABLE", t) == (2, "2.0.0", True)


def test_v25_index_and_primary_key_on_a_partitioned_table_reach_each_partition() -> None:
    """V25, V22: CREATE INDEX on m creates a partition index (INDEX row) on each partition, each partition PATCH;
    ADD PRIMARY KEY creates `<partition>_pkey` on each, MAJOR; DROP INDEX on m drops them all."""
    st, _ = run(*WORLD, CreateIndex(S, "mi", "m", ("v",)))
    for x in ("m_p0", "m_p1"):
        assert row(st, "INDEX", f"{x}_v_idx") == (1, "1.0.0", True)
        assert row(st, "TABLE", x) == (2, "1.0.1", True)
    st, _ = run(DropIndex(S, "mi"), AlterTable(S, "m", (AddConstraint(PrimaryKey(("k",))),)), state=st)
    assert row(st, "INDEX", "m_p0_v_idx")[2] is False
    assert row(st, "INDEX", "m_p1_pkey") == (1, "1.0.0", True)
    assert row(st, "TABLE", "m_p1") == (4, "2.0.0", True)


def test_a_keyless_unique_beside_other_subcommands_is_left_open(pggit_conn: psycopg.Connection) -> None:
    """§12: PostgreSQL refuses a UNIQUE without the partition key (0A000) only when it builds the index, after the
    other subcommands' checks (here SET NOT NULL of a missing column: 42703), so the model leaves such a statement
    unspecified rather than guess the order (a cascades smoke, seed 304); alone it is 0A000."""
    both = AlterTable(S, "m", (AddConstraint(Unique("k1", ("v",))), SetNotNull("zz")))
    st, _ = run(M, P0)
    _, (exp,) = run(both, state=st)
    assert exp.is_unspecified
    assert postgres_outcome(pggit_conn, [S], [M, P0], both) == "42703"
    _, (alone,) = run(AlterTable(S, "m", (AddConstraint(Unique("k1", ("v",))),)), state=st)
    assert outcome(alone) == "0A000"


def test_a_partition_key_retyped_beside_other_subcommands_is_left_open(pggit_conn: psycopg.Connection) -> None:
    """§12: ALTER TYPE of the partition key beside a subcommand naming a missing column: PostgreSQL checks the
    subcommands in order and answers 42703 first, not the key's 42P16 (a versioning smoke, seed 330); the model
    leaves the order open, and alone each keeps its SQLSTATE."""
    both = AlterTable(S, "m", (AlterColumnType("a", "integer"), AlterColumnType("k", "integer")))
    st, _ = run(M, P0)
    _, (exp,) = run(both, state=st)
    assert exp.is_unspecified
    assert postgres_outcome(pggit_conn, [S], [M, P0], both) == "42703"
    for alone, code in ((AlterColumnType("k", "integer"), "42P16"), (DropColumn("k"), "42P16"),
                        (AlterColumnType("a", "integer"), "42703")):
        _, (e,) = run(AlterTable(S, "m", (alone,)), state=st)
        assert outcome(e) == code, alone


def test_v25_an_inheritance_parents_foreign_key_is_dropped_on_the_parent_only(pggit_conn: psycopg.Connection) -> None:
    """V25: PostgreSQL gives an inheritance child no copy of its parent's foreign key, so DROP CONSTRAINT of that
    key on the parent succeeds and leaves the child alone (the model propagated it and predicted 42704: a cascades
    smoke, seed 8)."""
    ref = CreateTable(S, "r", (Column("id", "integer", True),), (PrimaryKey(("id",)),))
    parent = CreateTable(S, "q", (Column("rid", "integer"),), (ForeignKey("q_fk", ("rid",), S, "r", ("id",)),))
    child = CreateChild(S, "qc", "q", ())
    drop = AlterTable(S, "q", (DropConstraint("q_fk"),))
    st, exps = run(ref, parent, child, drop)
    assert [outcome(e) for e in exps] == ["ok"] * 4
    assert postgres_outcome(pggit_conn, [S], [ref, parent, child], drop) == "ok"
    assert row(st, "TABLE", "qc")[0] == 1 and last(st, "TABLE", "q")[:2] == ("ALTER", "MINOR")


def test_r3c_v25_a_renamed_partitioned_index_still_drops_its_partition_indexes() -> None:
    """R3c, V25, V10l: after the partitioned primary key's index is renamed (its constraint with it), DROP CONSTRAINT
    of the new name still drops every partition's attached index (a partitions smoke, seed 301: the model lost the
    attachment at the rename and kept them active)."""
    st, _ = run(*WORLD, AlterTable(S, "m", (AddConstraint(PrimaryKey(("k",))),)),
                RenameRelation("TABLE", S, "m_pkey", "group"), RenameRelation("INDEX", S, "group", "g2"))
    st, (exp,) = run(AlterTable(S, "m", (DropConstraint("g2", if_exists=True),)), state=st)
    assert exp.kind == "ok"
    for x in ("m_p0", "m_p1"):
        assert row(st, "INDEX", f"{x}_pkey")[2] is False
        assert last(st, "INDEX", f"{x}_pkey")[0] == "DROP"


def test_v24s_v24t_attach_major_detach_minor_parent_nothing() -> None:
    """V24s, V24t: DETACH records MINOR on the partition and nothing on m; ATTACH back records MAJOR; the
    partition's indexes are detached and attached again, never dropped or created."""
    st, _ = run(M, CreateIndex(S, "mi", "m", ("v",)), P0, DetachPartition(S, "m", "m_p0"))
    assert last(st, "TABLE", "m_p0") == ("ALTER", "MINOR", 1, 2)
    assert row(st, "TABLE", "m") == (2, "1.0.1", True)
    st, _ = run(AttachPartition(S, "m", "m_p0", "RANGE", (0, 10)), state=st)
    assert last(st, "TABLE", "m_p0") == ("ALTER", "MAJOR", 2, 3)
    assert row(st, "INDEX", "m_p0_v_idx") == (1, "1.0.0", True)
    assert row(st, "TABLE", "m") == (2, "1.0.1", True)


def test_v25_a_partitions_own_equivalent_index_leaves_the_partitioned_index_open() -> None:
    """V25: CREATE INDEX on m when a partition already has its own index on the same columns (PostgreSQL attaches
    that one instead of building `<partition>_<cols>_idx`) is not predicted (a smoke seed of the cascades machine);
    another column list is, and ATTACH of a table with such an index attaches it (V24s)."""
    st, _ = run(M, P0, CreateIndex(S, "own", "m_p0", ("k",)))
    assert step(st, CreateIndex(S, "mi", "m", ("k",)))[1].is_unspecified
    assert step(st, CreateIndex(S, "mv", "m", ("v",)))[1].kind == "ok"
    st2, _ = run(M, CreateIndex(S, "mi", "m", ("k",)), CreateTable(S, "x", (Column("k", "integer", True),
                                                                        Column("v", "text"))),
                 CreateIndex(S, "own", "x", ("k",)))
    after, exp = step(st2, AttachPartition(S, "m", "x", "RANGE", (0, 10)))  # V24s: ATTACH does attach it
    assert exp.kind == "ok" and after.db.catalog.rel(S, "x_k_idx") is None


def test_v24s_attach_builds_an_index_for_each_partitioned_index() -> None:
    """V24s: attaching a table without m's index creates `<x>_<col>_idx` (an INDEX row) on it."""
    st, _ = run(M, CreateIndex(S, "mi", "m", ("v",)),
                CreateTable(S, "x", (Column("k", "integer", True), Column("v", "text"))),
                AttachPartition(S, "m", "x", "RANGE", (0, 10)))
    assert row(st, "INDEX", "x_v_idx") == (1, "1.0.0", True)
    assert row(st, "TABLE", "x") == (2, "2.0.0", True)


def test_v24u_v24v_dropping_a_partition_and_the_partitioned_table() -> None:
    """V24u: DROP TABLE of a partition drops it with its columns, m records nothing; V24v: DROP TABLE m drops every
    partition too."""
    st, _ = run(M, P0, P1, DropTable(S, "m_p0"))
    assert row(st, "TABLE", "m_p0")[2] is False and row(st, "COLUMN", "m_p0.k")[2] is False
    assert row(st, "TABLE", "m") == (1, "1.0.0", True)
    st, _ = run(DropTable(S, "m"), state=st)
    assert row(st, "TABLE", "m")[2] is False and row(st, "TABLE", "m_p1")[2] is False
    assert last(st, "COLUMN", "m_p1.v") == ("DROP", "MAJOR", 1, None)


def test_v24w_v24x_child_created_with_inherited_columns_inherit_minor() -> None:
    """V24w: a child is created with its inherited and its own columns, p records nothing; V24x: NO INHERIT and
    INHERIT record MINOR on the child only."""
    st, _ = run(PARENT, CHILD)
    assert [row(st, "COLUMN", f"c.{n}") for n in ("a", "b", "x")] == [(1, "1.0.0", True)] * 3
    st, _ = run(SetInherit(S, "c", "p", False), SetInherit(S, "c", "p"), state=st)
    assert row(st, "TABLE", "c") == (3, "1.2.0", True)
    assert row(st, "TABLE", "p") == (1, "1.0.0", True)


def test_b12_a_child_that_declares_its_columns_is_outside_the_model() -> None:
    """B12: after INHERIT the child declares every inherited column, so a parent-level change that reaches it is
    unspecified; so is a child that declares a column it inherits, and RENAME CONSTRAINT in a hierarchy (V25 does
    not list it)."""
    st, _ = run(PARENT, CreateTable(S, "q", (Column("a", "integer"), Column("b", "text"))), SetInherit(S, "q", "p"))
    assert step(st, AlterTable(S, "p", (DropColumn("b"),)))[1].is_unspecified
    assert step(st, CreateChild(S, "c2", "p", (Column("a", "integer"),)))[1].is_unspecified
    st, _ = run(PARENT, CHILD, AlterTable(S, "p", (AddConstraint(Check("ck", "a", "positive")),)))
    assert step(st, RenameConstraint(S, "p", "ck", "ck2"))[1].is_unspecified


def test_foreign_keys_into_a_hierarchy_are_outside_the_model() -> None:
    """A foreign key into a partitioned table or a partition (PostgreSQL clones it per referenced partition, and
    DETACH changes those clones; seen by the ci profile) is unspecified; one into a plain table is the first
    model's."""
    st, _ = run(M, P0, AlterTable(S, "m", (AddConstraint(Unique("uk", ("k",))),)),
                CreateTable(S, "r", (Column("id", "integer"),), (PrimaryKey(("id",)),)))
    into_m = ForeignKey("f", ("k",), S, "m", ("k",))
    assert step(st, AlterTable(S, "m", (AddConstraint(into_m),)))[1].is_unspecified
    assert step(st, CreateTable(S, "t", (Column("k", "integer"),), (into_m,)))[1].is_unspecified
    assert not step(st, CreateTable(S, "t", (Column("k", "integer"),),
                                    (ForeignKey("f", ("k",), S, "r", ("id",)),)))[1].is_unspecified


def test_drop_not_null_on_a_partition_with_a_nullable_parent_column_is_its_own() -> None:
    """V25's converse: DROP NOT NULL on a child's own column is outside the model (only defaults are a child's own);
    the model leaves it unspecified rather than guessing."""
    st, _ = run(*WORLD)
    assert step(st, AlterTable(S, "c", (DropNotNull("x"),)))[1].is_unspecified


@pytest.mark.parametrize("op", [M, P0, CreatePartition(S, "d", "m", "DEFAULT"),
                                CreatePartition(S, "l", "m", "LIST", (1, -2)), PARENT, CHILD,
                                CreateChild(S, "c0", "p"), AttachPartition(S, "m", "x", "RANGE", (0, 10)),
                                AttachPartition(S, "m", "x", "DEFAULT"), DetachPartition(S, "m", "x"),
                                DetachPartition(S, "m", "x", True), SetInherit(S, "c", "p"),
                                SetInherit(S, "c", "p", False)])
def test_parser_round_trip(op: Op) -> None:
    """Every partition and inheritance statement renders to SQL that parses back to the same op (replay)."""
    assert parse_one(op.to_sql()) == op


def test_v23_place_in_a_hierarchy_is_structure_children_are_not() -> None:
    """V23 (5): a partition's parent and bound are part of its structure (the shape the model records changes with
    DETACH alone), while a table's children are not (m's recorded shape is the same with or without partitions)."""
    from pggit_model.model.catalog import table_shape
    st, _ = run(M, P0)
    m_before = table_shape(st.db.catalog, S, "m")
    x_before = table_shape(st.db.catalog, S, "m_p0")
    st, _ = run(DetachPartition(S, "m", "m_p0"), P1, state=st)
    assert table_shape(st.db.catalog, S, "m") == m_before
    assert table_shape(st.db.catalog, S, "m_p0") != x_before
    assert table_shape(st.db.catalog, S, "m_p0")[:4] == x_before[:4]  # only the hierarchy part changed


L = CreatePartitioned(S, "l", (Column("k", "integer", True), Column("v", "text")), "LIST", "k")
R2 = CreatePartitioned(S, "r2", (Column("k", "integer", True), Column("v", "text")), "RANGE", "k")
#: (id, ops, {table: its CHECK constraints' names} afterwards): DETACH … CONCURRENTLY's CHECK (V24t, A52) is added
#: unless the table's NOT NULLs and CHECKs imply the old bound, under the first free `<x>_<key>_check[N]`
BOUND_CHECK_CASES: list[tuple[str, list[Op], dict[str, set[str]]]] = [
    ("range", [M, P0, DetachPartition(S, "m", "m_p0", True)], {"m_p0": {"m_p0_k_check"}}),
    ("implied-by-its-own-check", [M, P0, DetachPartition(S, "m", "m_p0", True),
                                  AttachPartition(S, "m", "m_p0", "RANGE", (0, 10)),
                                  DetachPartition(S, "m", "m_p0", True)], {"m_p0": {"m_p0_k_check"}}),
    ("narrower-bound-adds-a-second", [M, P0, DetachPartition(S, "m", "m_p0", True),
                                      AttachPartition(S, "m", "m_p0", "RANGE", (0, 5)),
                                      DetachPartition(S, "m", "m_p0", True),
                                      AttachPartition(S, "m", "m_p0", "RANGE", (-5, 10)),
                                      DetachPartition(S, "m", "m_p0", True)],
     {"m_p0": {"m_p0_k_check", "m_p0_k_check1"}}),
    ("list", [L, CreatePartition(S, "l1", "l", "LIST", (1, 2)), DetachPartition(S, "l", "l1", True),
              AttachPartition(S, "l", "l1", "LIST", (1, 2, 3)), DetachPartition(S, "l", "l1", True),
              AttachPartition(S, "l", "l1", "LIST", (2,)), DetachPartition(S, "l", "l1", True)],
     {"l1": {"l1_k_check", "l1_k_check1"}}),
    ("list-values-imply-a-range", [L, R2, CreatePartition(S, "l1", "l", "LIST", (1, 2)),
                                   DetachPartition(S, "l", "l1", True),
                                   AttachPartition(S, "r2", "l1", "RANGE", (0, 10)),
                                   DetachPartition(S, "r2", "l1", True)], {"l1": {"l1_k_check"}}),
    ("a-positive-check-is-not-enough", [M, AlterTable(S, "m", (AddConstraint(Check("ck", "k", "positive")),)),
                                        P1, DetachPartition(S, "m", "m_p1", True)], {"m_p1": {"ck", "m_p1_k_check"}}),
    ("name-taken-in-the-schema", [M, P0,
                                  CreateTable(S, "q", (Column("a", "integer"),), (Check("m_p0_k_check", "a"),)),
                                  DetachPartition(S, "m", "m_p0", True)],
     {"m_p0": {"m_p0_k_check1"}, "q": {"m_p0_k_check"}}),
    ("plain-detach-adds-none", [M, P0, DetachPartition(S, "m", "m_p0")], {"m_p0": set()}),
]


def _checks_in_model(st: State, table: str) -> set[str]:
    t = st.db.catalog.table(S, table)
    assert t is not None
    return {k.name for k in t.constraints if k.kind == "check"}


@pytest.mark.parametrize(("ops", "checks"), [pytest.param(o, c, id=i) for i, o, c in BOUND_CHECK_CASES])
def test_v24t_detach_concurrently_adds_the_bound_check_unless_implied(ops: list[Op], checks: dict) -> None:
    """V24t, A52: the model adds DETACH … CONCURRENTLY's CHECK where PostgreSQL does, under its name."""
    st, exps = run(*ops)
    assert all(e.kind == "ok" for e in exps), exps
    assert {t: _checks_in_model(st, t) for t in checks} == checks


@pytest.mark.server
def test_postgresql_agrees_with_every_bound_check_case(pggit_conn: psycopg.Connection) -> None:
    """Each BOUND_CHECK_CASES row, run as plain SQL on PostgreSQL 15 in autocommit, leaves those CHECKs (pinning
    the implication and naming rules above)."""
    problems = []
    for ident, ops, checks in BOUND_CHECK_CASES:
        pggit_conn.execute(f"DROP SCHEMA IF EXISTS {S} CASCADE")
        pggit_conn.execute(f"CREATE SCHEMA {S}")
        for o in ops:
            pggit_conn.execute(o.to_sql())
        got = {t: {r[0] for r in pggit_conn.execute(
            "SELECT conname FROM pg_constraint WHERE contype = 'c' AND conrelid = %s::regclass",
            (f"{S}.{t}",)).fetchall()} for t in checks}
        if got != checks:
            problems.append(f"{ident}: PostgreSQL {got}, expected {checks}")
    pggit_conn.execute(f"DROP SCHEMA IF EXISTS {S} CASCADE")
    assert problems == []


def test_v24t_detach_concurrently_is_minor_and_needs_autocommit() -> None:
    """V24t, X13: DETACH … CONCURRENTLY records MINOR on the partition (its CHECK is the same change), nothing on m;
    inside a transaction block the model predicts 25001."""
    st, _ = run(M, CreateIndex(S, "mi", "m", ("v",)), P0, DetachPartition(S, "m", "m_p0", True))
    assert last(st, "TABLE", "m_p0") == ("ALTER", "MINOR", 1, 2)
    assert row(st, "TABLE", "m") == (2, "1.0.1", True)
    assert row(st, "INDEX", "m_p0_v_idx") == (1, "1.0.0", True)
    st, exps = run(M, P0, Begin(), DetachPartition(S, "m", "m_p0", True))
    assert outcome(exps[-1]) == "25001"
