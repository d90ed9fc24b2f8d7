"""A constraint name dropped and taken again in one ALTER TABLE (docs/mutation.md blind spot 8; V13, V14, V20):
what the vocabulary accepts, and what the model records. Pure; PostgreSQL's outcomes are pinned in
tests/test_model_postgres.py (`new-life-*` cases) and the reference's in tests/test_frame_ops.py."""

from __future__ import annotations

import pytest

from pggit_model.errors import InvalidOp
from pggit_model.model import initial_state, step
from pggit_model.ops import (
    AddColumn,
    AddConstraint,
    AlterTable,
    Check,
    Column,
    CreateTable,
    DropColumn,
    DropConstraint,
    PrimaryKey,
    Unique,
)

S = "mc_nl"


def test_alter_table_accepts_one_drop_and_one_add_of_a_constraint_name() -> None:
    """The vocabulary: DROP CONSTRAINT k with one ADD under k (either order, inline in ADD COLUMN too) is a
    statement; two ADDs, two DROPs, a third action under k, or a column dropped and added stay refused."""
    ok = [(DropConstraint("k"), AddConstraint(Unique("k", ("a",)))),
          (AddConstraint(Check("k", "a", "positive")), DropConstraint("k", True)),
          (DropConstraint("k"), AddColumn(Column("b", "integer"), False, Unique("k", ("b",))))]
    for actions in ok:
        AlterTable(S, "t", actions)
    bad = [(AddConstraint(Unique("k", ("a",))), AddConstraint(Check("k", "b", "positive"))),
           (DropConstraint("k"), DropConstraint("k", True)),
           (DropConstraint("k"), AddConstraint(Unique("k", ("a",))), DropConstraint("k", True)),
           (DropColumn("a"), AddColumn(Column("a", "integer")))]
    for actions in bad:
        with pytest.raises(InvalidOp):
            AlterTable(S, "t", actions)


def _history(ops: list, key: tuple[str, str]) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    state = initial_state(schemas=(S,), search_path=(S,))
    for op in ops:
        state, exp = step(state, op)
        assert exp.kind == "ok", (op, exp)
    return [(c.change_type, c.severity) for c in state.db.history[(key[0], S, key[1], "main")]]


_T = CreateTable(S, "t", (Column("a", "integer", True), Column("b", "integer")), (PrimaryKey(("a",)),
                                                                               Unique("k", ("b",))))


@pytest.mark.parametrize("actions", [
    (DropConstraint("t_pkey"), AddConstraint(PrimaryKey(("a",)))),
    (AddConstraint(PrimaryKey(("a",))), DropConstraint("t_pkey")),
], ids=["drop-first", "add-first"])
def test_v14_the_primary_key_index_starts_a_new_life_and_the_table_records_nothing(actions: tuple) -> None:  # type: ignore[type-arg]
    """V13, V14, V20: the rebuilt t_pkey is a new index (a DROP, then a CREATE of a new life) while t's structure
    ends up as it was, so t records nothing (V9a) — the case the reference's `p_dropped` path exists for."""
    alter = AlterTable(S, "t", actions)
    assert _history([_T, alter], ("INDEX", "t_pkey")) == [("CREATE", "MINOR"), ("DROP", "MAJOR"), ("CREATE", "MINOR")]
    assert _history([_T, alter], ("TABLE", "t")) == [("CREATE", "MINOR")]


def test_v10k_a_unique_key_taken_again_with_other_columns_is_a_major_change() -> None:
    """V10k, V9: k dropped and added on other columns: a new life of k's index and one ALTER MAJOR of t."""
    alter = AlterTable(S, "t", (DropConstraint("k"), AddConstraint(Unique("k", ("a",)))))
    assert _history([_T, alter], ("INDEX", "k")) == [("CREATE", "MINOR"), ("DROP", "MAJOR"), ("CREATE", "MINOR")]
    assert _history([_T, alter], ("TABLE", "t")) == [("CREATE", "MINOR"), ("ALTER", "MAJOR")]


def test_a_new_life_on_a_partitioned_table_is_outside_the_model() -> None:
    """§12: on a table of a hierarchy PostgreSQL recurses the pair into the partitions, which the model does not
    follow: unspecified (not a crash of the model), so no machine draws it (a partitions smoke, seed 3)."""
    from pggit_model.ops import CreatePartition, CreatePartitioned

    state = initial_state(schemas=(S,), search_path=(S,))
    for op in (CreatePartitioned(S, "m", (Column("k", "integer", True),), "RANGE", "k"),
               CreatePartition(S, "m_p0", "m", "RANGE", (0, 10)),
               AlterTable(S, "m", (AddConstraint(Check("ck", "k", "positive")),))):
        state, exp = step(state, op)
        assert exp.kind == "ok", (op, exp)
    pair = AlterTable(S, "m", (AddConstraint(Check("ck", "k", "not_null")), DropConstraint("ck")))
    assert step(state, pair)[1].is_unspecified
