"""pgGit's bookkeeping for DDL that PostgreSQL accepted: rows and history on the current branch (V, B8, B9).

The table's change is decided by comparing the structure recorded for it on `c` with its structure after
the statement (V9a), at the highest severity found (V9).
"""

from __future__ import annotations

from typing import Any

from attrs import evolve

from pggit_model.model.catalog import Applied, Catalog, ObjKey, shape_names, structure, table_shape
from pggit_model.model.catalog_bound_checks import left_bound_check
from pggit_model.model.catalog_kinds import kind_change_severity
from pggit_model.model.catalog_matviews import matview_changes
from pggit_model.model.catalog_partitions import NOWHERE, place_severity
from pggit_model.model.state import NEW_ROW, Change, Db, Row, RowKey, Unspecified, tracked_schema
from pggit_model.model.versions_renames import follow_references, forget_parents, rekeyed_rows

#: V2 (refined by V22): the kinds the contract speaks about; rows of other kinds are neither required nor forbidden.
V2_KINDS = frozenset({"TABLE", "COLUMN", "INDEX", "VIEW", "FUNCTION", "MATERIALIZED_VIEW"})
_SEV = {3: "MAJOR", 2: "MINOR", 1: "PATCH"}


class B9Violation(Exception):
    """The statement creates an object with an active row on c, or alters/drops one without (B9)."""

    rule = "B9"


class DriftOpen(B9Violation):
    """A statement that changes nothing, on a table whose catalog drifted from what c recorded (U3): V9a says a
    no-op records nothing, U3 that the next statement is classified against the recorded structure."""

    rule = "U3"


class HierarchyOpen(B9Violation):
    """A table whose place in a hierarchy (V23 (5)) went from what c recorded to what it is now in a way V24 does not
    rank (catalog_partitions.place_severity: a changed partition key, a partition moved to another parent under the
    same bound), under a statement of its own below MAJOR: V9a counts the difference, V24s/t/x give it no severity."""

    rule = "V9a"


def bump(row: Row, severity: str) -> Row:
    """V7: one more change at `severity`."""
    if severity == "MAJOR":
        triple = (row.major + 1, 0, 0)
    elif severity == "MINOR":
        triple = (row.major, row.minor + 1, 0)
    else:
        triple = (row.major, row.minor, row.patch + 1)
    return evolve(row, version=row.version + 1, major=triple[0], minor=triple[1], patch=triple[2])


class RenderingOpen(B9Violation):
    """A CHECK whose rendering the model no longer knows (its token is '?', after a type change) set against one it
    does: whether PostgreSQL renders them alike, so whether the constraints changed (V10k/l), is left open."""

    rule = "§12"


def classify(recorded: Any, new: Any) -> tuple[str, str] | None:
    """(change_type, severity) of a table whose V9a structure went from `recorded` to `new` (V10 d–n, V24s/t/x)."""
    if recorded == new:
        return None
    rcols, rcons, ridx, rcomment = recorded[:4]
    ncols, ncons, nidx, ncomment = new[:4]
    # the 5th part, a place in a hierarchy (V23 (5)), where it has one: changed by this statement (ATTACH, DETACH,
    # [NO] INHERIT) or by another branch in the shared catalog (B9); either way it counts with the rest (V9a, V9)
    rplace, nplace = (recorded[4] if len(recorded) > 4 else NOWHERE), (new[4] if len(new) > 4 else NOWHERE)
    if rplace[1:] != nplace[1:]:  # V24t: the CHECK DETACH … CONCURRENTLY leaves is the same change as leaving
        ncons = ncons - {k for k in ncons - rcons if left_bound_check(k, rplace[2])}
    # a CHECK whose rendering the model lost ('?') against one of the same definition it knows: set aside, and
    # left open unless the statement is MAJOR anyway (whether PostgreSQL renders them alike is not known)
    differ = rcons ^ ncons
    unsure = {_but_token(k) for k in differ if k.token == "?"}
    known = {_but_token(k) for k in differ if k.token != "?"}
    paired = {k for k in differ if _but_token(k) in unsure} if unsure & known else set()
    sev, column_comment = _column_changes(rcols, ncols)
    comment = rcomment != ncomment or column_comment
    if (ncons - rcons) - paired:
        sev = 3  # V10k
    if (rcons - ncons) - paired:
        sev = max(sev, 2)  # V10l
    if nidx != ridx:
        sev = max(sev, 1)  # V10c / V10n
    if paired and sev < 3:
        raise RenderingOpen("a CHECK whose rendering is unsure after a type change, against one of the same "
                            "definition: whether the constraints changed is not known")
    place = place_severity(rplace, nplace)  # V24s/t/x
    if place is None and sev < 3:
        raise HierarchyOpen(f"the table's place in a hierarchy went from {rplace} to {nplace}, a difference V24s/t/x "
                            "do not rank, and the statement's own change is below MAJOR: V9a leaves it open")
    sev = max(sev, place or 0)
    if sev == 0:
        return ("COMMENT", "PATCH") if comment else ("ALTER", "PATCH")
    return ("ALTER", _SEV[sev])


def _but_token(k: Any) -> tuple[Any, ...]:
    """A constraint as `classify` pairs an unsure rendering with a known one: all but its CHECK token."""
    return (k.name, k.kind, k.columns, k.test)


def _column_changes(rcols: Any, ncols: Any) -> tuple[int, bool]:
    """The highest severity (0–3) of the column changes from `rcols` to `ncols`, and whether a comment changed."""
    sev = 0
    comment = False
    old = {c.name: c for c in rcols}
    seen = set()
    for c in ncols:
        seen.add(c.name)
        o = old.get(c.name)
        if o is None:  # V10e / V10d; an identity or generation expression counts as a default (V24f)
            sev = max(sev, 3 if c.not_null and c.default is None and c.identity is None and c.generated is None
                      else 2)
            continue
        if o.type != c.type:
            sev = 3  # V10g
        if o.not_null != c.not_null:
            sev = max(sev, 3 if c.not_null else 2)  # V10h / V10i
        if o.default != c.default:
            sev = max(sev, 1)  # V10j
        sev = max(sev, kind_change_severity(o, c))  # V24g, V24i
        comment = comment or o.comment != c.comment  # V10m
    if any(name not in seen for name in old):
        sev = 3  # V10f
    return sev, comment


def _tracked(key: ObjKey) -> bool:
    return key[0] in V2_KINDS and tracked_schema(key[1])


class _Book:
    """Mutable scratch copy of the rows and history of one statement."""

    def __init__(self, db: Db, branch: str) -> None:
        self.db = db
        self.c = branch
        self.rows: dict[RowKey, Row] = {}
        self.hist: dict[RowKey, tuple[Change, ...]] = {}

    def row(self, key: RowKey) -> Row | None:
        return self.rows[key] if key in self.rows else self.db.rows.get(key)

    def append(self, key: RowKey, change: Change) -> None:
        prev = self.hist[key] if key in self.hist else self.db.history.get(key, ())
        self.hist[key] = (*prev, change)

    def create(self, key: ObjKey, recorded: Any) -> None:
        """V7/V14: a new row or a new life of an inactive one, with one CREATE row."""
        rk = (*key, self.c)
        old = self.row(rk)
        if old is not None and old.active:
            raise B9Violation(f"{key[0]} {key[1]}.{key[2]} is created but already has an active row on {self.c!r}")
        self.rows[rk] = evolve(NEW_ROW, recorded=recorded, ddl_hash=Unspecified("H6"))
        self.append(rk, Change("CREATE", "MINOR", None, 1))

    def drop(self, key: ObjKey) -> None:
        """V13: inactive, versions kept, one DROP row."""
        rk = (*key, self.c)
        old = self.row(rk)
        if old is None or not old.active:
            raise B9Violation(f"{key[0]} {key[1]}.{key[2]} is dropped but has no active row on {self.c!r}")
        self.rows[rk] = evolve(old, active=False)
        self.append(rk, Change("DROP", "MAJOR", old.version, None))

    def change(self, key: ObjKey, change_type: str, severity: str, recorded: Any) -> None:
        rk = (*key, self.c)
        old = self.row(rk)
        assert old is not None and old.active
        new = bump(old, severity)
        self.rows[rk] = evolve(new, recorded=recorded)
        self.append(rk, Change(change_type, severity, old.version, new.version))

    def rekey(self, old: ObjKey, new: ObjKey, recorded: Any) -> None:
        """R1: one key change of an object, one RENAME row on each of the two keys."""
        ork, nrk = (*old, self.c), (*new, self.c)
        row = self.row(ork)
        assert row is not None and row.active
        out, into, h_out, h_in = rekeyed_rows(row, row.recorded if recorded is None else recorded, old[0])
        self.rows[ork] = out
        self.rows[nrk] = into
        self.append(ork, h_out)
        self.append(nrk, h_in)

    def freeze(self) -> Db:
        if not self.rows:
            return self.db
        return evolve(self.db, rows=self.db.rows.merge(self.rows), history=self.db.history.merge(self.hist))


def record_ddl(db: Db, branch: str, before: Catalog, applied: Applied) -> Db:
    """pgGit's rows after `applied` ran on branch `branch`; raises B9Violation where B9 leaves it open."""
    after = applied.catalog
    book = _Book(db, branch)
    created = [k for k in applied.created if _tracked(k)]
    dropped = [k for k in applied.dropped if _tracked(k)]
    replaced = [k for k in applied.replaced if _tracked(k)]
    # check every altered object first, so a B9 case leaves nothing half-recorded
    for key in applied.touched:  # B9: a column a subcommand or COMMENT targets needs an active row on c
        if _tracked(key) and not _active(book, key):
            raise B9Violation(f"{key[0]} {key[1]}.{key[2]} is altered, commented or refreshed but has no active row "
                              f"on {branch!r}")
    altered = _altered_tables(book, before, applied, {(k[1], k[2]) for k in (*created, *dropped) if k[0] == "TABLE"})
    fixed = {(f[0], f[1]) for f in applied.forced}
    for schema, table, rec, _ in altered:
        if (schema, table) in fixed and (schema, table) in db.drifted and rec != table_shape(before, schema, table):
            # R3/V24 fix this statement's severity, U3 says it is classified against the recorded structure, drift
            # included: the two disagree (a ci run of the drift machine: an index rename recorded MINOR)
            raise DriftOpen(f"table {schema}.{table} drifted from what {branch!r} recorded and the statement's "
                            "severity is fixed by a rule row (R3, V24): U3 leaves it open")
    for key in replaced:
        if not _active(book, key):
            raise B9Violation(f"{key[0]} {key[1]}.{key[2]} is replaced but has no active row on {branch!r}")
    renamed = [(o, n) for o, n in applied.renamed if _tracked(o) and _tracked(n)]
    renamed += _stale_members(book, renamed)
    for old, new in renamed:  # B12: every key that changes has an active row on c, no new key has one
        if not _active(book, old) or _active(book, new):
            raise B9Violation(f"{old[0]} {old[1]}.{old[2]} -> {new[1]}.{new[2]}: a key change needs an active row "
                              f"for the old key and none for the new one on {branch!r}")
    for old, new in renamed:
        book.rekey(old, new, table_shape(after, new[1], new[2]) if new[0] == "TABLE"
                   else structure(after, new) if new[0] in ("VIEW", "FUNCTION") else None)
    for key in dropped:
        book.drop(key)
    for key in created:
        book.create(key, table_shape(after, key[1], key[2]) if key[0] == "TABLE"
                    else structure(after, key) if key[0] in ("VIEW", "FUNCTION") else None)
    forced = {(f[0], f[1]): (f[2], f[3]) for f in applied.forced}  # R3c, R3d: the row fixes the severity
    for schema, table, rec, new_shape in altered:
        verdict = forced.get((schema, table)) or classify(rec, new_shape)
        if verdict is not None:
            book.change(("TABLE", schema, table), verdict[0], verdict[1], new_shape)
    for key, change, severity in matview_changes(applied, after):  # V24aa: indexes on a materialized view
        if not _tracked(key):
            continue  # V1: one in an excluded schema has no row
        if not _active(book, key):
            raise B9Violation(f"{key[1]}.{key[2]} is altered but has no active row on {branch!r}")
        book.change(key, change, severity, structure(after, key) if key[0] == "VIEW" else None)  # (V12 compares it)
    for key in replaced:
        row = book.row((*key, branch))
        assert row is not None
        new_def = structure(after, key)
        if new_def != row.recorded:
            book.change(key, "ALTER", "MINOR", new_def)  # V12
    gone = tuple((k[1], k[2]) for k in dropped if k[0] == "TABLE")
    if not renamed and not gone:
        return book.freeze()
    fresh = {*book.rows, *(("TABLE", s, t, branch) for s, t, _, _ in altered)}
    out = forget_parents(book.freeze(), gone, fresh)  # V20: a parent by identity
    return follow_references(out, tuple(renamed), fresh) if renamed else out  # R6


def _stale_members(book: _Book, renamed: list[tuple[ObjKey, ObjKey]]) -> list[tuple[ObjKey, ObjKey]]:
    """The key changes of a renamed or moved table's rows whose objects are gone from the shared catalog (B9: dropped
    on another branch): R3a moves *every* active COLUMN row `t.c`, N5a every COLUMN and INDEX row of t. Found
    through the structure recorded for t on c, which still names them (rows carry no parent here)."""
    moving = set(renamed)
    out = []
    for old, new in renamed:
        if old[0] != "TABLE":
            continue
        row = book.row((*old, book.c))
        shape = row.recorded if row is not None else None
        if not isinstance(shape, tuple) or len(shape) < 3:
            continue
        members = [("COLUMN", f"{old[2]}.{c.name}", f"{new[2]}.{c.name}") for c in shape[0]]
        # and every other active COLUMN row of t on c: a column dropped elsewhere before an earlier key change of
        # t is no longer in the shape t recorded then (it is the catalog's), but its row still moves (R3a)
        members += sorted({("COLUMN", k[2], f"{new[2]}{k[2][len(old[2]):]}") for k in (*book.db.rows, *book.rows)
                           if k[3] == book.c and k[0] == "COLUMN" and k[1] == old[1]
                           and k[2].startswith(f"{old[2]}.")} - set(members))
        if old[1] != new[1]:  # N5a: a move takes its indexes along; a rename leaves their keys (R3a)
            owned = {k.name for k in shape[1] if k.kind in ("unique", "primary_key", "exclude")}
            members += [("INDEX", name, name) for name in sorted({i[0] for i in shape[2]} | owned)]
        for kind, o, n in members:
            pair = ((kind, old[1], o), (kind, new[1], n))
            if pair not in moving and _active(book, pair[0]):
                moving.add(pair)
                out.append(pair)
    return out


def _active(book: _Book, key: ObjKey) -> bool:
    row = book.row((*key, book.c))
    return row is not None and row.active


def _altered_tables(book: _Book, before: Catalog, applied: Applied,
                    gone_or_new: set[tuple[str, str]]) -> list[tuple[str, str, Any, Any]]:
    """(schema, table, the structure recorded on c, the structure now) of each table the statement changed;
    B9Violation if one has no active row on c or its row's columns or indexes differ from the catalog."""
    out = []
    for schema, table in applied.altered:
        if (schema, table) in gone_or_new or not tracked_schema(schema):
            continue
        row = book.row(("TABLE", schema, table, book.c))
        if row is None or not row.active:
            raise B9Violation(f"table {schema}.{table} is altered but has no active row on {book.c!r}")
        old_shape = table_shape(before, schema, table)
        new_shape = table_shape(applied.catalog, schema, table)
        rec = row.recorded
        drifted = (schema, table) in book.db.drifted and rec != old_shape
        if old_shape == new_shape:
            if drifted:
                raise DriftOpen(f"table {schema}.{table} drifted from what {book.c!r} recorded and the statement "
                                "changes nothing (U3 and V9a leave it open)")
            continue  # V9a: a statement that changes nothing records nothing
        # names of columns or indexes c's record and the catalog disagree on that drift did not change: a change
        # made on another branch (B9), also on a drifted table (the drift machine: a column dropped on a branch,
        # then on main a COMMENT under drift and a tracked one; U3 classifies against the record only what drift did)
        elsewhere = shape_names(rec) ^ shape_names(old_shape)
        if drifted:
            elsewhere -= {n for s, t, n in book.db.drift_names if (s, t) == (schema, table)}
        if rec != old_shape and elsewhere:
            raise B9Violation(f"table {schema}.{table} has columns or indexes on {book.c!r} that differ from "
                              f"the catalog (changed on another branch: {', '.join(sorted(elsewhere))})")
        out.append((schema, table, rec, new_shape))
    return out
