"""Isolation levels of a parallel history (X11, X12): which serialization failures pgGit may add, and the
commit order a REPEATABLE READ transaction's bookkeeping must follow. Pure: the history in, verdicts out.

    X11(b)  at REPEATABLE READ (and SERIALIZABLE) a unit T may fail with 40001 only when a unit that committed
            after T's snapshot changed the row of a key on which T records a change; its retry must then succeed
    X12     at SERIALIZABLE T may also fail with 40001 while another SERIALIZABLE unit that overlaps it in time
            reads or writes pgGit's tables (predicate locks are coarse)
    X11(c)  any other 40001 or 40P01 must be PostgreSQL's own (the control run without pgGit has one too)
    X11(a)  a committed REPEATABLE READ unit records as if it ran after every unit that committed before it

Keys are read off the statements, generously (a statement's key set may be larger than what it records, never
smaller), so a 40001 the contract allows is never reported; a key is ``("obj", name)`` for an object of the
machine's schema (``("obj", "*")``: every object, e.g. ``update_all_hashes``, ``merge_branches`` or a CASCADE) or
``("branch", name)`` for a branch row a call writes or locks. The branch rows are this module's reading of X11(b)
for pgGit calls: the contract names DDL and ``merge_branches``; a commit records a change on its branch's row
(the head moves), so two commits on one branch at REPEATABLE READ can only chain or fail (docs/parallel.md). And
a create_branch copies its parent's rows, which no SQL at REPEATABLE READ can read past the snapshot: it may fail
with 40001 when a unit that committed after T's snapshot changed rows of that parent (known gap R4, read into
X11(b) as its "Why may" argues; ``rows_changed``). Likewise update_all_hashes, which records on every branch's
rows: it may fail when a unit that committed after T's snapshot changed rows of any branch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from pggit_model.ops import Op

from .history import History, Unit

Key = tuple[str, str]
EVERY_OBJECT: Key = ("obj", "*")
#: op kinds that read pgGit only: they record no change and take no row lock
READS = frozenset({"get_version", "get_history", "show_table_versions", "list_branches", "take_snapshot",
                   "detect_changes_by_hash", "export_schema_hashes", "compute_ddl_hash",
                   "compute_table_component_hashes", "generate_trinity_id", "generate_trinity_ids"})
_NAMES = ("name", "table", "new_name", "source")


def _parts(value: object) -> Iterable[object]:
    """``value`` and every attrs value or tuple inside it (an op's actions, columns, constraints)."""
    yield value
    if attrs.has(type(value)):
        for a in attrs.fields(type(value)):  # type: ignore[arg-type]
            yield from _parts(getattr(value, a.name))
    elif isinstance(value, tuple):
        for v in value:
            yield from _parts(v)


def keys(op: Op) -> frozenset[Key]:
    """The keys ``op`` may record a change on, or lock (a superset: generous on purpose)."""
    kind = op.kind
    if op.family == "ddl":
        parts = list(_parts(op))
        if any(getattr(p, "cascade", False) is True for p in parts):
            return frozenset({EVERY_OBJECT})  # a CASCADE changes rows of objects the statement does not name
        out = {("obj", v) for a in _NAMES if isinstance(v := getattr(op, a, None), str)}
        # a foreign key locks, and may record on, the table it references
        out |= {("obj", r) for p in parts if isinstance(r := getattr(p, "ref_table", None), str)}
        return frozenset(out) or frozenset({EVERY_OBJECT})
    if kind in ("create_commit", "commit_changes"):
        return frozenset({("branch", str(getattr(op, "branch", None) or "main"))})
    if kind in ("create_branch", "delete_branch"):
        return frozenset({("branch", str(getattr(op, "name", None)))})
    if kind == "merge_branches":
        return frozenset({("branch", str(getattr(op, "source", None))), ("branch", str(getattr(op, "target", None))),
                          EVERY_OBJECT})
    if kind in READS or op.family in ("txn", "session"):
        return frozenset()
    return frozenset({EVERY_OBJECT})  # update_all_hashes and anything new: every object's row


def unit_keys(unit: Unit) -> frozenset[Key]:
    return frozenset().union(*(keys(e.op) for e in unit.events))


def _meet(a: Iterable[Key], b: Iterable[Key]) -> bool:
    a, b = set(a), set(b)
    if a & b:
        return True
    kinds_a = {k for k, n in a if n == "*"}
    kinds_b = {k for k, n in b if n == "*"}
    return any(k in kinds_a for k, _ in b) or any(k in kinds_b for k, _ in a)


def rows_changed(op: Op, session_on_main: bool = True) -> frozenset[str]:
    """The branches whose rows in pggit.objects ``op`` may change (``"*"``: any), generously: DDL records on its
    session's branch (main, unless the session ever checks out another), a merge on its target, create_branch on
    the new branch, update_all_hashes on every branch; commits, deletions and lookups change no object row."""
    kind = op.kind
    if op.family == "ddl":
        return frozenset({"main" if session_on_main else "*"})
    if kind == "merge_branches":
        return frozenset({str(getattr(op, "target", None))})
    if kind == "create_branch":
        return frozenset({str(getattr(op, "name", None))})
    if kind in READS or kind in ("create_commit", "commit_changes", "delete_branch", "checkout_branch") \
            or op.family in ("txn", "session"):
        return frozenset()
    return frozenset({"*"})


def _copied_changed(unit: Unit, u: Unit, units: Sequence[Unit]) -> bool:
    """R4: ``unit`` failed with 40001 in a create_branch whose parent ``u`` changed rows of (X11(b) for the copy)."""
    parents = {str(getattr(e.op, "parent", None) or "main") for e in unit.events
               if e.op.kind == "create_branch" and e.sqlstate == "40001"}
    on_main = not any(e.op.kind == "checkout_branch" for x in units if x.session == u.session for e in x.events)
    changed = frozenset().union(*(rows_changed(e.op, on_main) for e in u.events))
    return bool(parents) and ("*" in changed or bool(parents & changed))


def _every_branch_changed(unit: Unit, u: Unit) -> bool:
    """``unit`` failed with 40001 in a call that records on every branch's rows (update_all_hashes) after ``u``
    changed rows of some branch: X11(b) for a key it records on, a row its snapshot does not show (a branch made
    after the snapshot has rows no SQL at REPEATABLE READ can read)."""
    failed = [e.op for e in unit.events if e.sqlstate == "40001" and e.op.family == "call"]
    return any("*" in rows_changed(op) for op in failed) and any(rows_changed(e.op) for e in u.events)


def level_of(unit: Unit) -> str:
    """The isolation level of a unit: its BEGIN's, or READ COMMITTED for autocommit statements."""
    first = unit.events[0].op
    return (getattr(first, "isolation", None) or "read committed") if first.kind == "begin" else "read committed"


def committed(unit: Unit) -> bool:
    """The unit's effect is in the database: every answer came and none was an error (a block that failed and
    then said COMMIT rolled back), and a block ended in COMMIT."""
    if unit.in_doubt or any(e.done is None or not e.done.ok for e in unit.events):
        return False
    return unit.events[-1].op.kind != "rollback"


def snapshot_at(unit: Unit) -> float:
    """When T's snapshot was taken at the latest: when its first statement after BEGIN was sent."""
    evs = unit.events[1:] if unit.events[0].op.kind == "begin" and len(unit.events) > 1 else unit.events
    return evs[0].invoked


def why_allowed(unit: Unit, units: Sequence[Unit]) -> str | None:
    """Why the contract allows ``unit`` (aborted with 40001) to fail, or None if it does not (X11(b), X12)."""
    level = level_of(unit)
    if level == "read committed":
        return None
    mine = unit_keys(unit)
    sigma = snapshot_at(unit)
    failed_at = max((e.completed for e in unit.events if e.completed is not None), default=float("inf"))
    for u in units:
        if u is unit or u.session == unit.session:
            continue
        done = u.completed  # (a unit invoked after T failed, T's own retry say, cannot have caused it)
        if not (committed(u) and done is not None and sigma < done and u.invoked < failed_at):
            continue
        if _meet(mine, unit_keys(u)):
            return f"X11(b): session {u.session}'s unit committed after the snapshot and changed a key it records on"
        if _copied_changed(unit, u, units):
            return (f"X11(b), R4: session {u.session}'s unit committed after the snapshot and changed rows of the "
                    "branch create_branch copies")
        if _every_branch_changed(unit, u):
            return (f"X11(b): session {u.session}'s unit committed after the snapshot and changed rows of a branch "
                    "whose rows update_all_hashes records on")
    if level == "serializable":
        for u in units:
            end = u.completed if u.completed is not None else float("inf")
            if u.session != unit.session and level_of(u) == "serializable" and u.invoked < failed_at \
                    and end > unit.invoked and any(e.op.family in ("ddl", "call") for e in u.events):
                return f"X12: overlaps session {u.session}'s SERIALIZABLE unit, which reads or writes pgGit's tables"
    return None


def unexplained_aborts(history: History) -> list[Unit]:
    """The units aborted with 40001 that X11(b)/X12 do not allow, and those aborted with 40P01 at REPEATABLE READ or
    SERIALIZABLE: pgGit may not add them, so the control run without pgGit must have one too (X11(c))."""
    units = history.units()
    out = []
    for u in units:
        if not u.aborted or level_of(u) == "read committed":
            continue
        states = {e.sqlstate for e in u.events}
        if "40P01" in states or why_allowed(u, units) is None:
            out.append(u)
    return out


def commit_order(units: Sequence[Unit]) -> list[int]:
    """X11(a): per unit, a bit set of units that must come before it in the serial order: for a committed
    REPEATABLE READ block, every unit that committed before it did (it records against the latest committed
    bookkeeping, not against its snapshot). Shown to catch a reference that records from the snapshot in
    tests/test_parallel_levels.py (``rr-stale-version``)."""
    must = [0] * len(units)
    for j, t in enumerate(units):
        if level_of(t) != "repeatable read" or not committed(t) or t.completed is None:
            continue
        # "committed before T" is known for sure only of a unit whose answer came before T's COMMIT was sent: a unit
        # that waited for T's locks may answer (and be seen) before T's own COMMIT answer is read (CI, ci profile:
        # an autocommit create_commit that waited behind T's commit on main answered 0.1 ms before T's COMMIT did)
        sent = t.events[-1].invoked
        for i, u in enumerate(units):
            if i != j and committed(u) and u.completed is not None and u.completed < sent:
                must[j] |= 1 << i
    return must
