"""`step(state, op) -> (state, Expected)`: pure, deterministic, and it never raises for a call the
database would reject — it predicts the rejection.

Transactions (X1, X2): BEGIN and SAVEPOINT push snapshots of (db, session); ROLLBACK and ROLLBACK TO
restore them exactly; counters (sequence-like state, X3) are never restored. After an error inside a
transaction every statement but COMMIT/ROLLBACK/ROLLBACK TO fails with 25P02, as in PostgreSQL.
"""

from __future__ import annotations

from attrs import evolve

from pggit_model.model import calls as model_calls
from pggit_model.model import drift
from pggit_model.model.catalog import Applied, Rejected, apply_ddl
from pggit_model.model.catalog_temp import drop_temporary
from pggit_model.model.expected import Expected
from pggit_model.model.memo import by_identity
from pggit_model.model.state import Frame, State, Txn, initial_state
from pggit_model.model.versions import B9Violation, record_ddl
from pggit_model.ops import Op, txn
from pggit_model.ops.cascades import outside_block

Result = tuple[State, Expected]
_EXITS = (txn.Commit, txn.Rollback, txn.RollbackToSavepoint)


@by_identity()
def step(state: State, op: Op) -> Result:
    """Apply one op to the model: the state afterwards and what the database must answer.

    Pure, so the same (state, op) objects — a drawn op filtered by its strategy, then run — are stepped once."""
    if state.txn is not None and state.txn.aborted and not isinstance(op, _EXITS):
        return state, Expected.error("25P02", rule="X4", why="the transaction is aborted: roll back first")
    family = op.family
    if family == "txn":
        return _txn(state, op)
    if family == "ddl":
        new, exp = _ddl(state, op)
    elif family == "call":
        handler = model_calls.HANDLERS.get(type(op))
        if handler is None:
            raise TypeError(f"the model has no rule for {op!r}")
        new, exp = handler(state, op)
    elif family == "session":
        new, exp = _session(state, op)
    elif family == "damage":
        # U4: writes to pgGit's own tables are not predicted (Driver.run_unchecked runs them); model/damage.py says
        # what the model gives up on afterwards.
        return state, Expected.unspecified("U4", "damage to pgGit's own tables: any answer but a hang or a crash")
    elif family == "drift":
        new, exp = drift.step_drift(state, op)
    else:
        raise TypeError(f"not an op of the vocabulary: {op!r}")
    if exp.kind == "error" and state.txn is not None:
        # the statement has no effect (X4) and the transaction is aborted; sequences keep what they drew
        return evolve(state, txn=evolve(state.txn, aborted=True), counters=new.counters), exp
    return new, exp


def _ddl(state: State, op: Op) -> Result:
    if outside_block(op):  # X13, B12: PostgreSQL refuses it in a transaction block (25001)
        if state.in_transaction:
            return state, Expected.error("25001", rule="X13", why=f"{op.kind} cannot run inside a transaction block")
        if not state.session.autocommit:
            return state, Expected.unspecified("X13", "the session may be inside a transaction block the model "
                                                      "does not see (rollback isolation)")
    before = state.db.catalog
    out = apply_ddl(before, op)
    if isinstance(out, Rejected):
        failed = state if out.debris is None else evolve(state, db=evolve(state.db, catalog=out.debris))  # X13(c)
        return failed, Expected.error(out.sqlstates, rule=(out.rule, "V15"), why=out.why)
    if not isinstance(out, Applied):
        return state, Expected.unspecified(out.rule, out.why)
    if (why := drift.unknown_involved(state.db, out) or drift.drifted_below(state.db, out)) is not None:
        return state, Expected.unspecified("U3", why)
    try:
        db = record_ddl(state.db, state.c, before, out)
    except B9Violation as e:
        db = evolve(state.db, catalog=out.catalog)  # best guess; machines do not run such statements
        return evolve(state, db=db), Expected.unspecified(e.rule, str(e))
    db = drift.follow_renames(evolve(db, catalog=out.catalog), out)
    rules = (*out.rule.split(","), "V3", "V9", "V9a", "B8")
    if "R1" in rules and len(state.db.branches) > 1:
        rules += ("R7",)  # a key change with other branches about: their rows must stay as they were (B8)
    return evolve(state, db=db), Expected.ok(rules)


def _session(state: State, op: Op) -> Result:
    if isinstance(op, txn.SetTimeZone):
        return evolve(state, session=evolve(state.session, time_zone=op.zone)), Expected.ok("T2")
    if isinstance(op, txn.SetSearchPath):
        return evolve(state, session=evolve(state.session, search_path=op.schemas)), Expected.ok("V17")
    if isinstance(op, txn.TakeSnapshot):
        return state, Expected.ok("X11")  # reads nothing of pgGit's: only when the snapshot is taken matters
    raise TypeError(f"the model has no rule for {op!r}")


def _txn(state: State, op: Op) -> Result:
    t = state.txn
    if isinstance(op, txn.Begin):
        if t is not None:
            return state, Expected.ok("X1")  # PostgreSQL warns and stays in the transaction
        return evolve(state, txn=Txn((Frame(None, state.db, state.session),))), Expected.ok("X1")
    if isinstance(op, txn.Commit):
        if t is None:
            return state, Expected.ok("X1")
        if t.aborted:  # COMMIT of a failed transaction rolls it back
            return _restore(state, t.frames[0], None), Expected.ok(("X1", "X4"))
        return evolve(state, txn=None), Expected.ok("X1")
    if isinstance(op, txn.Rollback):
        if t is None:
            return state, Expected.ok("X1")
        return _restore(state, t.frames[0], None), Expected.ok("X1")
    assert isinstance(op, txn.Savepoint | txn.RollbackToSavepoint | txn.ReleaseSavepoint)
    if t is None:
        return state, Expected.error("25P01", rule="X2", why="savepoints exist only inside a transaction block")
    return _savepoint(state, t, op)


def _savepoint(state: State, t: Txn, op: txn.Savepoint | txn.RollbackToSavepoint | txn.ReleaseSavepoint) -> Result:
    """SAVEPOINT, ROLLBACK TO and RELEASE inside transaction `t` (X2)."""
    if isinstance(op, txn.Savepoint):
        return evolve(state, txn=evolve(t, frames=(*t.frames, Frame(op.name, state.db, state.session)))), \
            Expected.ok("X2")
    idx = next((i for i in range(len(t.frames) - 1, 0, -1) if t.frames[i].name == op.name), None)
    if idx is None:
        return evolve(state, txn=evolve(t, aborted=True)), \
            Expected.error("3B001", rule="X2", why=f"savepoint {op.name!r} does not exist")
    if isinstance(op, txn.RollbackToSavepoint):
        # the savepoint stays; later ones are destroyed
        return _restore(state, t.frames[idx], Txn(t.frames[: idx + 1])), Expected.ok("X2")
    return evolve(state, txn=evolve(t, frames=t.frames[:idx])), Expected.ok("X2")


def _restore(state: State, frame: Frame, new_txn: Txn | None) -> State:
    return evolve(state, db=frame.db, session=frame.session, txn=new_txn)


def session_lost(state: State, schema: str) -> State:
    """What the model keeps when the session dies (killed, X5; the server crashed, X6): nothing of its open
    transaction (as a rollback, X1), none of its temporary objects (V1, A8), and a new session on main (B1);
    counters are never restored (X3)."""
    if state.txn is not None:
        state = evolve(state, db=state.txn.frames[0].db, txn=None)
    db = evolve(state.db, catalog=drop_temporary(state.db.catalog))
    return evolve(state, db=db, session=initial_state(schemas=(schema,)).session)


def run(state: State, ops: list[Op]) -> tuple[State, list[Expected]]:
    """Step through `ops`, collecting each Expected (handy for tests and replays)."""
    out = []
    for op in ops:
        state, exp = step(state, op)
        out.append(exp)
    return state, out
