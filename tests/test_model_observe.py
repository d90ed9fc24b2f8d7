"""The model's side of the contract's observation queries (§2)."""

from __future__ import annotations

from pggit_model.model import HISTORY_GAP, Change, HashOf, Unspecified, initial_state, observe, run
from pggit_model.ops import (
    CheckoutBranch,
    Column,
    CreateBranch,
    CreateTable,
    GenerateTrinityId,
    SetTrinitySequence,
    UpdateAllHashes,
)


def test_o1_o2_o5_objects_history_and_current_branch():
    """O1/O2/O5/O8: rows by natural row key, history per row key in order, the current branch."""
    state, _ = run(initial_state(("app",)), [CreateTable("app", "t", [Column("a", "int")]), CreateBranch("b"),
                                              CheckoutBranch("b")])
    assert observe.objects(state, "app")[("TABLE", "app", "t", "b")] == (1, 1, 0, 0, True)
    assert observe.history(state, "app")[("TABLE", "app", "t", "main")] == (Change("CREATE", "MINOR", None, 1),)
    assert observe.current_branch(state) == "b"


def test_o3_o4_o6_o7_branches_commits_hashes_sequence():
    """O3/O4/O6/O7: branch rows, commits, stored ddl_hash per row key and the Trinity lower bound."""
    state, _ = run(initial_state(("app",)), [CreateTable("app", "t", []), UpdateAllHashes(),
                                              SetTrinitySequence(41), GenerateTrinityId()])
    assert observe.branches(state) == {"main": ("ACTIVE", None, None)} and observe.commits(state) == ()
    assert isinstance(observe.ddl_hashes(state, "app")[("TABLE", "app", "t", "main")], HashOf)
    floor, after = observe.trinity_floor(state)
    assert floor == 42 and len(after) == 1
    state, _ = run(state, [CreateTable("app", "w", [])])
    assert observe.ddl_hashes(state, "app")[("TABLE", "app", "w", "main")] == Unspecified("H6")


def test_o2_history_gaps_match_any_rows():
    """O2/M6: a HISTORY_GAP in the model matches zero or more observed rows."""
    exp = (Change("CREATE", "MINOR", None, 1), HISTORY_GAP, Change("ALTER", "PATCH", 1, 2))
    assert observe.history_matches(exp, [("CREATE", "MINOR", None, 1), ("ALTER", "PATCH", 1, 2)])
    assert observe.history_matches(exp, [("CREATE", "MINOR", None, 1), ("MERGE", "MINOR", 1, 1),
                                         ("ALTER", "PATCH", 1, 2)])
    assert not observe.history_matches(exp, [("CREATE", "MINOR", None, 1)])
