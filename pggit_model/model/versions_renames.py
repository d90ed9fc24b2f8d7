"""Key changes in pgGit's bookkeeping (contract R1, R6, N5, N6): the object keeps its past under a new key.

R1: the old key's row gets `(RENAME, s, n, NULL)` and goes inactive with its version fields unchanged; the new
key's row (inserted, or a new life of an inactive one, V14) continues the object at n+1 with the triple bumped by
s and gets `(RENAME, s, n, n+1)`. COLUMN rows keep 1 / 1.0.0 (V11). s is MAJOR but for INDEX rows (PATCH).
R6: structures recorded for other objects refer to the renamed one by identity, so their recorded references
follow it (a later comparison (V9a, V12) sees no difference where there is none by identity).
"""

from __future__ import annotations

from typing import Any

from attrs import evolve

from pggit_model.model.catalog_values import Con, ObjKey
from pggit_model.model.state import Change, Db, Row, RowKey, Unspecified
from pggit_model.ops.dependents import quoted

#: R1: queries name tables, columns, views and functions, so renaming them breaks callers; only DDL names an index
RENAME_SEVERITY = {"TABLE": "MAJOR", "COLUMN": "MAJOR", "VIEW": "MAJOR", "MATERIALIZED_VIEW": "MAJOR",
                   "FUNCTION": "MAJOR", "INDEX": "PATCH"}


def rekeyed_rows(old: Row, recorded: Any, kind: str) -> tuple[Row, Row, Change, Change]:
    """(the old key's row, the new key's row, the old key's history row, the new key's) for one key change."""
    sev = RENAME_SEVERITY[kind]
    out = evolve(old, active=False)
    if kind == "COLUMN":  # V11: columns keep 1 / 1.0.0
        new = evolve(old, ddl_hash=Unspecified("H10"))
        return out, new, Change("RENAME", sev, old.version, None), Change("RENAME", sev, old.version, old.version)
    major, minor, patch = ((old.major + 1, 0, 0) if sev == "MAJOR" else (old.major, old.minor, old.patch + 1))  # V7
    new = evolve(old, version=old.version + 1, major=major, minor=minor, patch=patch, active=True,
                 recorded=recorded, ddl_hash=Unspecified("H10"))
    return out, new, Change("RENAME", sev, old.version, None), Change("RENAME", sev, old.version, new.version)


def follow_references(db: Db, renamed: tuple[tuple[ObjKey, ObjKey], ...], skip: set[RowKey]) -> Db:
    """R6/V23: recorded foreign-key targets and view sources name the renamed relations and columns by their new
    names, on every branch (the catalog is shared, B9); rows in `skip` were just recorded from the catalog."""
    tables = {(o[1], o[2]): (n[1], n[2]) for o, n in renamed if o[0] in ("TABLE", "VIEW", "MATERIALIZED_VIEW")}
    # a view calling a function records the call (catalog_dependents.call_of); R3g / N5d move the call with it
    calls = {quoted(o[1], o[2][:-2]) + "()": quoted(n[1], n[2][:-2]) + "()"
             for o, n in renamed if o[0] == "FUNCTION" and o[2].endswith("()")}
    columns: dict[tuple[str, str], dict[str, str]] = {}
    for o, n in renamed:
        if o[0] == "COLUMN":
            c_old = o[2].split(".", 1)[1]
            t_new, c_new = n[2].split(".", 1)
            columns.setdefault((n[1], t_new), {})[c_old] = c_new
    if not tables and not columns and not calls:
        return db
    changed: dict[RowKey, Row] = {}
    for key, row in db.rows.items():
        if key in skip or row.recorded is None:
            continue
        rec = _follow(key[0], row.recorded, tables, columns, key[1], calls)
        if rec is not row.recorded:
            changed[key] = evolve(row, recorded=rec)
    return evolve(db, rows=db.rows.merge(changed)) if changed else db


def _follow(kind: str, rec: Any, tables: dict[tuple[str, str], tuple[str, str]],
            columns: dict[tuple[str, str], dict[str, str]], schema: str, calls: dict[str, str]) -> Any:
    if kind == "VIEW":  # ("VIEW", source schema, source, columns): also into another schema (N5, N6)
        if rec[2] in calls:  # ("VIEW", its own schema, a function call, columns)
            return (*rec[:2], calls[rec[2]], *rec[3:])
        target = tables.get((rec[1], rec[2]))
        return rec if target is None else (rec[0], *target, *rec[3:])
    if kind != "TABLE":
        return rec
    cols, cons, plain, comment = rec[:4]
    new_cons = frozenset(_follow_con(k, tables, columns) for k in cons)
    place = rec[4:5]  # V23 (5): its parent, in its own schema (catalog_renames.follow_relation)
    if place and isinstance(place[0][1], str) and (parent := tables.get((schema, place[0][1]))) is not None:
        place = ((place[0][0], parent[1], place[0][2]),)
    return rec if new_cons == cons and place == rec[4:5] else (cols, new_cons, plain, comment, *place)


def forget_parents(db: Db, dropped: tuple[tuple[str, str], ...], skip: set[RowKey]) -> Db:
    """V20, V23 (5): a dropped table is no one's parent again, whatever later takes its name. Structures recorded on
    any branch (B9: a child detached elsewhere still names it) name it `("dropped", name)` from now on, so a new
    table of that name that becomes the child's parent is a difference (V24x, V24s), as it is by identity."""
    gone = set(dropped)
    if not gone:
        return db
    changed: dict[RowKey, Row] = {}
    for key, row in db.rows.items():
        rec = row.recorded
        if key in skip or key[0] != "TABLE" or not isinstance(rec, tuple) or len(rec) < 5:
            continue
        how, parent, bound = rec[4]
        if isinstance(parent, str) and (key[1], parent) in gone:
            changed[key] = evolve(row, recorded=(*rec[:4], (how, ("dropped", parent), bound)))
    return evolve(db, rows=db.rows.merge(changed)) if changed else db


def _follow_con(k: Con, tables: dict[tuple[str, str], tuple[str, str]],
                columns: dict[tuple[str, str], dict[str, str]]) -> Con:
    if k.ref is None:
        return k
    target = tables.get(k.ref[:2], k.ref[:2])
    ren = columns.get(target, {})
    ref = (*target, tuple(ren.get(c, c) for c in k.ref[2]))
    return k if ref == k.ref else evolve(k, ref=ref)
