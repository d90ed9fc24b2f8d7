"""Drift and re-install (contract §15): what the model knows when DDL ran without pgGit's triggers (U3), and
when pgGit's install.sql ran again (U1, U2).

Drift changes the one shared catalog and none of pgGit's rows. The tables it changed are remembered as
``drifted`` (their recorded structure may now lag the catalog: the next tracked statement on one is classified
against what c recorded, V9a, so its effect includes the drift); the objects it created or dropped become
``unknown``: U3 leaves their rows, and any DDL later issued on them, unspecified, so the model stops
predicting them (the checkers leave their rows out, the version calls their answers) instead of guessing.
"""

from __future__ import annotations

from attrs import evolve

from pggit_model.model.catalog import Applied, ObjKey, Rejected, apply_ddl, shape_names, table_shape
from pggit_model.model.expected import Expected
from pggit_model.model.state import Db, State, tracked_schema
from pggit_model.ops import Op
from pggit_model.ops.drift import Reinstall, Untracked

#: V2's kinds: the rows drift can leave unspecified.
_KINDS = frozenset({"TABLE", "COLUMN", "INDEX", "VIEW", "FUNCTION"})


def _tracked(key: ObjKey) -> bool:
    return key[0] in _KINDS and tracked_schema(key[1])


def step_drift(state: State, op: Op) -> tuple[State, Expected]:
    """The model's step for a drift or re-install op."""
    if isinstance(op, Reinstall):
        # U1/U2: every row stays as it was and tracking goes on; the observation after it checks exactly that.
        return state, Expected.ok("U1")
    if not isinstance(op, Untracked):
        raise TypeError(f"the model has no rule for {op!r}")
    out = apply_ddl(state.db.catalog, op.op)
    if isinstance(out, Rejected):
        return state, Expected.error(out.sqlstates, rule=(out.rule, "U3"), why=out.why)
    if not isinstance(out, Applied):
        return state, Expected.unspecified(out.rule, out.why)
    db = state.db
    # A key change during drift (§14.2) ends the old key's life and starts the new one's where pgGit saw nothing:
    # both are objects "created or dropped during the drift" for U3.
    moved = [k for pair in out.renamed for k in pair]
    unknown = db.unknown | {k for k in (*out.created, *out.dropped, *moved) if _tracked(k)}
    changed = {t for t in out.altered if tracked_schema(t[0])}
    names = {(s, t, n) for s, t in changed
             for n in shape_names(table_shape(db.catalog, s, t)) ^ shape_names(table_shape(out.catalog, s, t))}
    return evolve(state, db=evolve(db, catalog=out.catalog, unknown=unknown, drifted=db.drifted | changed,
                                   drift_names=db.drift_names | names)), Expected.ok("U3")


def unknown_involved(db: Db, applied: Applied) -> str | None:
    """Why a tracked statement is unspecified under U3 (it creates, drops, alters or targets an object created or
    dropped during drift), or None."""
    if not db.unknown:
        return None
    keys = (*applied.created, *applied.dropped, *applied.replaced, *applied.touched,
            *(("TABLE", s, t) for s, t in applied.altered), *(old for old, _ in applied.renamed))
    hit = next((k for k in keys if k in db.unknown), None)
    if hit is None:
        return None
    return f"{hit[0]} {hit[1]}.{hit[2]} was created or dropped while pgGit's triggers did not fire (U3)"


def drifted_below(db: Db, applied: Applied) -> str | None:
    """Why a statement on a table with a drifted descendant is unspecified, or None. U3 classifies the next tracked
    statement *on* a drifted table; a statement on its parent that does not propagate (COMMENT, say) is none, yet a
    backend that walks the hierarchy to keep descendants in step (V25) records the drift there (a fresh-clone smoke
    of the drift machine: ADD COLUMN under drift reached an inheritance child, then COMMENT ON the parent)."""
    if not db.drifted:
        return None
    rels = applied.catalog.relations
    former = {d: _recorded_parents(db, *d) for d in db.drifted} if applied.altered else {}
    for s, t in applied.altered:
        for (s2, n) in db.drifted:
            if s2 == s and t in former[(s2, n)]:  # drift took it out of t's hierarchy (NO INHERIT)
                return f"table {s}.{t} had a child drift changed (U3 and V25 leave it open)"
            seen: set[str] = set()
            parent = getattr(rels.get((s2, n)), "parent", None) if s2 == s else None
            while isinstance(parent, str) and parent not in seen:
                if parent == t:
                    return f"table {s}.{t} has a descendant drift changed (U3 and V25 leave it open)"
                seen.add(parent)
                parent = getattr(rels.get((s, parent)), "parent", None)
    return None


def _recorded_parents(db: Db, schema: str, name: str) -> set[str]:
    """The parents a table's structure recorded on any branch names (V23 (5)): a backend that walks the former
    children of a table, as the recorded structure knows them, reaches one that drift detached."""
    out = set()
    for key, row in db.rows.items():
        if key[:3] == ("TABLE", schema, name) and isinstance(row.recorded, tuple) and len(row.recorded) == 5:
            hierarchy = row.recorded[4]
            if isinstance(hierarchy, tuple) and len(hierarchy) == 3 and isinstance(hierarchy[1], str):
                out.add(hierarchy[1])
    return out


def follow_renames(db: Db, applied: Applied) -> Db:
    """R3a moves every active COLUMN row `t.c` with its table, also the row of a column drift dropped: that row
    stays unspecified under its new key (U3). A key prefix is matched, so a table whose name contains a dot may
    leave a neighbour's row unspecified too: more left open, never a wrong prediction."""
    if not db.unknown:
        return db
    more = set()
    for old, new in applied.renamed:
        if old[0] != "TABLE":
            continue
        prefix = f"{old[2]}."
        more |= {("COLUMN", new[1], f"{new[2]}.{k[2][len(prefix):]}") for k in db.unknown
                 if k[0] == "COLUMN" and k[1] == old[1] and k[2].startswith(prefix)}
    return evolve(db, unknown=db.unknown | more) if more - db.unknown else db


def unknown_row(db: Db, key: tuple[str, ...]) -> bool:
    """Whether a row key (or object key) names an object U3 left unspecified."""
    return bool(db.unknown) and (key[0], key[1], key[2]) in db.unknown


__all__ = ["drifted_below", "follow_renames", "step_drift", "unknown_involved", "unknown_row"]
