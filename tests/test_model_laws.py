"""Laws of the model as Hypothesis properties, and proof that each law catches a deliberately broken model."""

from __future__ import annotations

import pytest
from attrs import evolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pggit_model.model.calls as model_calls
import pggit_model.model.calls_hashes as calls_hashes
import pggit_model.model.engine as model_step
import pggit_model.model.versions as model_versions
from pggit_model.model import HashOf, Unspecified, initial_state, observe, run, step
from pggit_model.ops import (
    AddColumn,
    AlterTable,
    Begin,
    Column,
    CreateCommit,
    CreateTable,
    DropTable,
    Rollback,
    RollbackToSavepoint,
    Savepoint,
    SetDefault,
)
from pggit_model.strategies import (
    branch_ops,
    columns,
    commit_ops,
    ddl_ops,
    merge_ops,
    ops_for,
)

S = "app"
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.filter_too_much])


def fresh():
    return initial_state((S,), search_path=(S,))


def no_txn_ops(state):
    """Ops that stay inside the current transaction (no BEGIN/COMMIT/ROLLBACK/SAVEPOINT)."""
    return st.one_of(ddl_ops(state, S), ddl_ops(state, S), branch_ops(state, "r/"), commit_ops(state, "r/"),
                     merge_ops(state))


def draw_run(data, state, n, strategy=no_txn_ops):
    ops = []
    for _ in range(n):
        op = data.draw(strategy(state))
        ops.append(op)
        state, _ = step(state, op)
    return state, ops


# --- the laws, as checkers over concrete op lists (so broken models can be fed to them) --------------


def check_rollback_restores(prefix, body):
    """X1: BEGIN; body; ROLLBACK leaves db and session exactly as before BEGIN."""
    before, _ = run(fresh(), prefix)
    after, _ = run(before, [Begin(), *body, Rollback()])
    assert after.db == before.db and after.session == before.session and after.txn is None


def check_rollback_to_savepoint(prefix, body):
    """X2: ROLLBACK TO SAVEPOINT restores the state at the SAVEPOINT."""
    at_sp, _ = run(fresh(), [Begin(), *prefix, Savepoint("sp")])
    after, _ = run(at_sp, [*body, RollbackToSavepoint("sp")])
    assert after.db == at_sp.db and after.session == at_sp.session


def check_versions_and_counter(ops):
    """V7/V8: within one life versions never decrease; the counter is 1 + the ALTER/COMMENT rows of that life,
    each history row moves the counter by exactly one, and history is append-only outside rollbacks. R1: a life
    begun by a key change starts at the object's counter there (n+1, or a column's 1)."""
    state = fresh()
    for op in ops:
        new, _ = step(state, op)
        if op.family != "txn":
            for key, rows in new.db.history.items():
                old_rows = state.db.history.get(key, ())
                assert rows[: len(old_rows)] == old_rows, f"history of {key} was rewritten by {op!r}"
        for key, row in new.db.rows.items():
            old = state.db.rows.get(key)
            if old is not None and old.active and row.active and op.family != "txn":
                assert row.version >= old.version and row.triple >= old.triple
            life, gap, base = [], False, 0
            for h in new.db.history.get(key, ()):
                if h.change_type == "CREATE":
                    life, gap, base = [h], False, 0
                elif h.change_type == "RENAME" and h.new_version is not None:
                    # R1: a key change starts a life on the new key that goes on counting the object's changes
                    life, gap, base = [h], False, h.new_version - 1
                elif h.change_type == "?":
                    gap = True  # M6: a merge target's history is unspecified from here, so is the count
                elif h.change_type not in ("DROP", "RENAME"):  # (a RENAME out of the key ends it, like DROP)
                    assert h.new_version == h.old_version + 1
                    life.append(h)
            if life and not gap and key[3] == "main":
                assert row.version == base + len(life), f"{key}: version {row.version} after {len(life)} changes"
        state = new


def check_commit_graph(ops):
    """C8: every parent exists, no cycle, each head reaches all commits of its branch."""
    state, _ = run(fresh(), ops)
    commits = {c.ref: c for c in state.db.commits}
    for c in commits.values():  # M6: after a merge the target's head is unknown until observed
        assert c.parent is None or isinstance(c.parent, Unspecified) or c.parent in commits
    for name, b in state.db.branches.items():
        seen = set()
        ref = b.head
        while ref is not None and not isinstance(ref, Unspecified):
            assert ref not in seen
            seen.add(ref)
            ref = commits[ref].parent
        if ref is None:
            assert seen == {r for r, c in commits.items() if c.branch == name}


def check_section5_example():
    """The §5 example's versions (V9, V10)."""
    state, _ = run(fresh(), [
        CreateTable(S, "u", [Column("id", "integer"), Column("email", "text")]),
        AlterTable(S, "u", [AddColumn(Column("name", "text"))]),
        AlterTable(S, "u", [SetDefault("name", "x")]),
    ])
    r = state.db.rows[("TABLE", S, "u", "main")]
    assert (r.version, r.version_string) == (3, "1.1.1")


# --- properties ------------------------------------------------------------------------------------


@FAST
@given(st.data())
def test_x1_rollback_restores_the_state_exactly(data):
    """X1: any ops run between BEGIN and ROLLBACK leave no trace in db or session."""
    state, prefix = draw_run(data, fresh(), 3)
    inside, _ = step(state, Begin())
    _, body = draw_run(data, inside, 5)
    check_rollback_restores(prefix, body)


@FAST
@given(st.data())
def test_x2_rollback_to_savepoint_restores_the_savepoint_state(data):
    """X2: ROLLBACK TO SAVEPOINT undoes exactly the effects after the savepoint."""
    state, _ = step(fresh(), Begin())
    state, prefix = draw_run(data, state, 3)
    state, _ = step(state, Savepoint("sp"))
    _, body = draw_run(data, state, 4)
    check_rollback_to_savepoint(prefix, body)


@FAST
@given(st.data())
def test_v7_v8_versions_never_decrease_and_count_changes(data):
    """V7/V8: within a life versions only grow, one per recorded change, and history is append-only."""
    _, ops = draw_run(data, fresh(), 12, lambda s: ops_for(s, S, "r/"))
    check_versions_and_counter(ops)


@FAST
@given(st.data())
def test_c8_commit_graph_acyclic_with_parents_present(data):
    """C8: whatever commits, branches and merges happen, the commit graph stays a set of chains."""
    _, ops = draw_run(data, fresh(), 12, lambda s: st.one_of(commit_ops(s, "r/"), branch_ops(s, "r/"),
                                                            merge_ops(s), ddl_ops(s, S)))
    check_commit_graph(ops)


@FAST
@given(st.lists(columns(), max_size=4, unique_by=lambda c: c.name), st.lists(columns(), max_size=4,
                                                                           unique_by=lambda c: c.name))
def test_v14_drop_then_recreate_gives_1_0_0(first, second):
    """V14: whatever the table looked like, DROP then CREATE starts a new life at 1 / 1.0.0."""
    state, exps = run(fresh(), [CreateTable(S, "t", first), AlterTable(S, "t", [AddColumn(Column("zz", "int"))]),
                                DropTable(S, "t"), CreateTable(S, "t", second)])
    assert all(e.kind == "ok" for e in exps)
    r = state.db.rows[("TABLE", S, "t", "main")]
    assert (r.version, r.version_string, r.active) == (1, "1.0.0", True)


def _table_hash(cols):
    state, _ = step(fresh(), CreateTable(S, "t", cols))
    return calls_hashes.current_hash(state, "TABLE", S, "t")


@FAST
@given(st.lists(columns(), max_size=3, unique_by=lambda c: c.name), st.lists(columns(), max_size=3,
                                                                           unique_by=lambda c: c.name))
def test_h2_equal_structures_iff_equal_hash_class(a, b):
    """H2/H3: two tables get the same hash class exactly when their columns agree on name, format_type, NOT NULL
    and the rendered default (a literal's own type counts: 1 ≠ '1' ≠ true)."""
    def shape(cols):
        return [(c.name, c.type, c.not_null, type(c.default).__name__, c.default) for c in cols]

    ha, hb = _table_hash(a), _table_hash(b)
    assert isinstance(ha, HashOf)
    assert (ha == hb) == (shape(a) == shape(b))


# --- the laws catch broken models ------------------------------------------------------------------

BODY = [CreateTable(S, "t", [Column("a", "integer")]), CreateCommit("main", "m", None)]


def test_x1_law_catches_a_model_that_forgets_to_restore(monkeypatch):
    """X1: a step whose ROLLBACK keeps the transaction's changes fails the rollback law."""
    monkeypatch.setattr(model_step, "_restore", lambda state, frame, new_txn: evolve(state, txn=new_txn))
    with pytest.raises(AssertionError):
        check_rollback_restores([], BODY)


def test_x2_law_catches_a_model_that_rolls_back_too_far(monkeypatch):
    """X2: restoring BEGIN's snapshot on ROLLBACK TO fails the savepoint law."""
    real = model_step._restore
    monkeypatch.setattr(model_step, "_restore",
                        lambda state, frame, new_txn: real(state, state.txn.frames[0], new_txn))
    with pytest.raises(AssertionError):
        check_rollback_to_savepoint(BODY, [AlterTable(S, "t", [AddColumn(Column("b", "integer"))])])


def test_v7_law_catches_a_model_that_forgets_to_count(monkeypatch):
    """V7/V8: a bump that leaves the counter alone fails the counter law."""
    monkeypatch.setattr(model_versions, "bump", lambda row, severity: row)
    with pytest.raises(AssertionError):
        check_versions_and_counter([CreateTable(S, "t", [Column("a", "integer")]),
                                    AlterTable(S, "t", [AddColumn(Column("b", "integer"))])])


def test_v10_example_catches_a_model_with_the_wrong_severity(monkeypatch):
    """V10: classifying every change as PATCH fails the §5 example."""
    monkeypatch.setattr(model_versions, "classify", lambda rec, new: None if rec == new else ("ALTER", "PATCH"))
    with pytest.raises(AssertionError):
        check_section5_example()


def test_c8_law_catches_a_model_that_loses_parents(monkeypatch):
    """C8: commits whose parent is forgotten break 'the head reaches every commit of its branch'."""
    real = model_calls._add_commit
    monkeypatch.setattr(model_calls, "_add_commit",
                        lambda state, b, m, t, h: real(state, evolve(b, head=None), m, t, h))
    with pytest.raises(AssertionError):
        check_commit_graph([CreateCommit("main", "1", None), CreateCommit("main", "2", None)])


def test_h2_law_catches_a_model_that_ignores_defaults(monkeypatch):
    """H3: a structure that forgets defaults makes different tables share a hash class."""
    import pggit_model.model.catalog as cat

    real = cat.structure
    monkeypatch.setattr(calls_hashes, "structure",
                        lambda c, key: (real(c, key)[0], tuple(x[:3] for x in real(c, key)[1]))
                        if key[0] == "TABLE" and real(c, key) else real(c, key))
    assert _table_hash([Column("a", "integer", default=1)]) == _table_hash([Column("a", "integer")])


def test_observe_excludes_deleted_branches():
    """B10: rows and commits of a DELETED branch are not compared."""
    from pggit_model.ops import CreateBranch, DeleteBranch
    state, _ = run(fresh(), [CreateTable(S, "t", []), CreateBranch("b"), CreateCommit("b", "m", None),
                             DeleteBranch("b", True)])
    assert all(k[3] != "b" for k in observe.objects(state, S)) and observe.commits(state) == ()
