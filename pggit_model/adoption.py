"""How a Driver goes on past a known divergence: the registry says which it knows, and the model takes over the
database's answer and rows where it can and gives up (stops comparing) on the rest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import evolve

from . import checkers
from .client import Completion
from .divergences import Divergence
from .known import Registry
from .model import Expected, State, table_shape
from .model.state import Change
from .ops import Op
from .ops.calls import MergeBranches
from .session import RunStats
from .snapshot import Snapshot

#: Calls whose answer depends on which branches exist and their state (B, C, M).
BRANCH_CALLS = frozenset({"create_branch", "checkout_branch", "delete_branch", "list_branches", "merge_branches",
                          "create_commit", "commit_changes"})


def carried_keys(skip: set[Any], before: State, after: State) -> set[Any]:
    """R1: the keys a step moved given-up rows to. A key change in the model (RENAME, SET SCHEMA) deactivates the old
    key and starts the new one with a RENAME row at the same version; where the model had given up on the old key,
    the database never had the row the model moves, so the new key is given up too (with its every-branch form)."""
    old_rows, new_rows, history = before.db.rows, after.db.rows, after.db.history
    if old_rows is new_rows:
        return set()
    branches = {k[3] for k in new_rows}
    out: set[Any] = set()
    for k in skip:
        if not (isinstance(k, tuple) and len(k) == 4):
            continue
        for key in ([(*k[:3], b) for b in branches] if k[3] == "*" else [k]):
            was, now, last = old_rows.get(key), new_rows.get(key), history.get(key, ())[-1:]
            if was is None or now is None or not was.active or now.active \
                    or not last or (last[0].change_type, last[0].new_version) != ("RENAME", None):
                continue
            moved = [n for n, row in new_rows.items()
                     if n[0] == key[0] and n[3] == key[3] and row.active and n != key
                     and not (old_rows.get(n) is not None and old_rows[n].active)
                     and history.get(n) and history[n][-1].change_type == "RENAME"
                     and history[n][-1].old_version == was.version]
            for n in moved:
                out |= {n, (*n[:3], "*")}
    return out - skip


class KnownDivergences:
    """The Driver's part that explores past known divergences (a base class: it works on the Driver's state)."""

    state: State
    ops: list[Op]
    known: Registry
    stats: RunStats
    #: what known divergences made the model give up on, per check area (row keys, names, or "*")
    ignore: dict[str, set[Any]]

    def _about_known_objects(self, op: Op, expected: Expected) -> Expected:
        """Leave out what a version call (or export_schema_hashes) says about objects the model gave up on (a row
        only one side has, or active on one side only, after a known divergence): the model cannot say what the
        database answers about them."""
        if "*" in self.ignore.get("branches", ()) and op.kind in BRANCH_CALLS:
            # A known wrong success (a branch made that should not exist, say) left the branches unknown: what a
            # call naming a branch answers now follows from them, not from the contract alone.
            return Expected.unspecified(expected.rules[0] if expected.rules else "B1",
                                        "the model gave up on branches after a known divergence")
        skip = self.ignore.get("objects")
        if not skip or expected.kind != "rows":
            return expected
        if op.kind not in ("show_table_versions", "get_version", "get_history", "export_schema_hashes",
                           "detect_changes_by_hash"):
            return expected
        if "*" in skip:  # the model stopped comparing versions altogether (a known wrong success)
            return Expected.unspecified(expected.rules[0], "the model gave up on versions after a known divergence")
        gone = {(k[1], k[2]) for k in skip if isinstance(k, tuple) and len(k) == 4}
        schema = getattr(op, "schema", None)
        if op.kind == "show_table_versions":
            return expected.without("object_name", {n.split(".", 1)[0] for s, n in gone if s == schema})
        if op.kind == "export_schema_hashes":  # it lists active rows (H7): whether that one is, is unknown now
            return expected.without("object_name", {f"{s}.{n}" for s, n in gone if s == schema})
        if op.kind == "detect_changes_by_hash":  # the same for the active rows on c it lists (H6)
            return expected.without("full_name", {f"{s}.{n}" for s, n in gone})
        name = getattr(op, "name", None) or ""
        if any(name in (n, f"{s}.{n}") for s, n in gone):
            return Expected.unspecified(expected.rules[0], "the model gave up on that object after a known divergence")
        return expected

    def _explore_past(self, d: Divergence, explained_by: str | None = None) -> str:
        """Swallow a divergence the registry knows (counting it, returning the entry's id), or one ``explained_by``
        names when no entry matches; re-raise anything new."""
        k = self.known.match(d)
        if k is None and explained_by is not None:
            self.stats.known[explained_by] = self.stats.known.get(explained_by, 0) + 1
            return explained_by
        if k is None:
            fixed = self.known.fixed_again(d)
            if fixed is not None:
                d.add_note(f"this matches known divergence {fixed.id!r}, marked fixed: a regression?")
            raise d
        self.stats.known[k.id] = self.stats.known.get(k.id, 0) + 1
        return k.id

    def _adopt(self, predicted: State, expected: Expected, done: Completion, *, other_session: bool = False) -> State:
        """After a known wrong answer, continue from what the database did, as far as the model can tell."""
        if done.status == "error" and other_session:
            return evolve(self.state, counters=predicted.counters)  # that session's statement: ours is untouched
        if done.status == "error":
            # The statement had no effect; inside a transaction it aborted it (X4). Sequences stay drawn.
            s = evolve(self.state, counters=predicted.counters)
            return s if s.txn is None else evolve(s, txn=evolve(s.txn, aborted=True))
        if expected.is_error:
            # It did something the model cannot know: stop comparing state for the rest of this example. But
            # the call did not fail, so it did not abort the open transaction as the predicted error would have.
            for area in checkers.AREAS:
                self.ignore.setdefault(area, set()).add("*")
            return evolve(self.state, counters=predicted.counters)
        return predicted

    def _adopt_rows(self, keys: set[Any], snap: Snapshot, before: Mapping[Any, Any] | None, *,
                    history: bool) -> set[Any]:
        """Take the database's version fields (or, with ``history``, its history rows) for ``keys`` into the
        model; return the keys it cannot take (a row on one side only, or activity differing): those are left
        alone for the rest of the example."""
        db = self.state.db
        rows, hist, rest = {}, {}, set()
        for k in keys:
            r = db.rows.get(k) if isinstance(k, tuple) and len(k) == 4 else None
            o = snap.objects.get(k) if r is not None else None
            if r is None or o is None or r.active != o.is_active:
                rest.add(k)
            elif history:
                hist[k] = tuple(Change(*h) for h in snap.history.get(k, ()))
            elif (src := self._merge_source_row(k, o)) is not None:
                # A merge gave the target the source's row where M3 says it keeps its own (#42): pgGit now
                # remembers the source's structure too, and classifies the next change against that.
                rows[k] = evolve(src, ddl_hash=r.ddl_hash)
            else:
                rows[k] = evolve(r, version=o.version, major=o.major, minor=o.minor, patch=o.patch)
                was = (before or {}).get(k)
                if k[0] == "TABLE" and was is not None and r.version == was.version < o.version:
                    # pgGit recorded a change the model did not (a no-op ALTER): it remembers the table as it is
                    # now, and classifies the next change against that, so the model does too.
                    shape = table_shape(db.catalog, k[1], k[2])
                    if shape is not None:
                        rows[k] = evolve(rows[k], recorded=shape)
        self.state = evolve(self.state, db=evolve(db, rows=db.rows.merge(rows), history=db.history.merge(hist)))
        return rest

    def _merge_source_row(self, k: tuple[str, str, str, str], o: Any) -> Any:
        """The merge source's row for ``k`` when this step merged into ``k``'s branch and pgGit's row is that one."""
        last = self.ops[-1] if self.ops else None
        if not isinstance(last, MergeBranches) or last.target != k[3] or last.source is None:
            return None
        src = self.state.db.rows.get((*k[:3], last.source))
        # Only an active copy: a merge that left the target's row inactive took the version, not the object.
        same = src is not None and src.active and o.is_active and src.state == (o.version, o.major, o.minor, o.patch)
        return src if same else None
