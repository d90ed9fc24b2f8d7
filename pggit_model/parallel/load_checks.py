"""The load mode's checks (issue 21 part 6): pure functions over what N sessions observed and pgGit's state after.

A load run is too long for the linearizability search (thousands of units), so it is checked on the history
pgGit kept, against what the clients saw commit. Every unit ends ``committed``, ``none`` (failed, rolled back,
aborted by PostgreSQL) or ``in doubt`` (its answer was lost: X7), so what pgGit must hold is a range:

    ids_unique            X10  Trinity IDs returned and commit hashes stored are all distinct
    history_rows_counted  V8   each committed change left exactly one history row on its table: none lost, none twice
    versions_increase     V7   per object the history rows, in commit (id) order, continue each other and go up
    chains                X8   per branch the commits form one chain (C8b–e, and no two share a parent), and as many
                               as the clients committed
    branches_created      X8   a contested branch name exists iff some create_branch of it committed
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from attrs import frozen

from pggit_model.divergences import diverge
from pggit_model.model.state import RowKey


@frozen
class Range:
    """How many of something pgGit must hold: at least ``lo`` (committed), at most ``hi`` (plus those in doubt)."""

    lo: int = 0
    hi: int = 0

    def add(self, committed: bool | None) -> Range:
        """One more unit's effect: committed (True), in doubt (None) or none (False)."""
        return Range(self.lo + (committed is True), self.hi + (committed is not False))

    def holds(self, n: int) -> bool:
        return self.lo <= n <= self.hi

    def __str__(self) -> str:
        return str(self.lo) if self.lo == self.hi else f"{self.lo}–{self.hi}"


def ids_unique(returned: Iterable[tuple[str, str]], hashes: Sequence[str]) -> None:
    """X10: every Trinity ID a session got back (``(value, where)``) and every stored commit hash is distinct."""
    seen: dict[str, str] = {}
    for value, where in returned:
        if value in seen:
            diverge("X10", f"{value!r} was returned twice under load: {seen[value]} and {where}", area="load")
        seen[value] = where
    twice = sorted(h for h, n in Counter(hashes).items() if n > 1)
    if twice:
        diverge("X10", f"commit hashes stored more than once under load: {twice[:5]}", area="commits")


def history_rows_counted(expected: Mapping[RowKey, Range], history: Mapping[RowKey, Sequence[Any]]) -> None:
    """V8 under load: each object the sessions changed has one history row per committed change (and per change in
    doubt at most): fewer is a lost row, more a duplicated one."""
    for key, want in sorted(expected.items()):
        got = len(history.get(key, ()))
        if not want.holds(got):
            what = "lost" if got < want.lo else "duplicated"
            diverge("V8", f"{key[0]} {key[1]}.{key[2]} on {key[3]} has {got} history rows, but the sessions "
                    f"committed {want} changes to it: history rows {what} under load", area="load")


def versions_increase(history: Mapping[RowKey, Sequence[Any]], objects: Mapping[RowKey, Any]) -> None:
    """V7/V8 under load: per object, in commit (id) order, each history row continues the last (its old version is
    the previous row's new one) and goes strictly up; a CREATE starts a life, a DROP ends it where it stands; the
    object row ends at the last version. Where a life starts and the step size are the sequential machines' V7
    (pgGit starts at 2, docs/findings.md #2): here only what concurrency can break, a row lost, doubled or
    out of order, is judged."""
    for key, rows in sorted(history.items()):
        version: int | None = None
        for i, r in enumerate(rows):
            if r.change_type == "CREATE":
                ok = r.new_version is not None and (r.old_version is None or r.old_version < r.new_version)
            elif r.change_type == "DROP":
                ok = version is None or r.old_version == version
            else:
                ok = (version is not None and r.old_version == version and r.new_version is not None
                      and r.new_version > version)
            if not ok:
                diverge("V7", f"{key[0]} {key[1]}.{key[2]} on {key[3]}: history row {i + 1} of {len(rows)} is "
                        f"{r.change_type} {r.old_version} → {r.new_version} after version {version}: versions do "
                        "not increase row by row in commit order", area="load")
            version = r.new_version if r.change_type != "DROP" else version
        obj = objects.get(key)
        if obj is not None and version is not None and obj.version != version:
            diverge("V7", f"{key[0]} {key[1]}.{key[2]} on {key[3]} is at version {obj.version}, but its history "
                    f"ends at {version}", area="load")


def chains(commits: Sequence[Any], branches: Mapping[str, Any], expected: Mapping[str, Range],
           before: Mapping[str, int]) -> None:
    """X8/C8 under load: per branch, following parents from the head reaches every commit of the branch, no two of
    its commits share a parent (concurrent commits form a chain, not a fork), and it gained as many commits as
    the sessions committed on it (``before``: its count when the load began)."""
    by_hash = {c.hash: c for c in commits}
    for name, b in sorted(branches.items()):
        own = [c for c in commits if c.branch == name]
        if own and b.head is None:
            diverge("C2", f"branch {name!r} has {len(own)} commits but no head: commits do not move the head (C2, a "
                    "sequential bug; pgGit's finding #12), so whether concurrent commits chain cannot be judged",
                    area="load")
        parents = Counter(c.parent for c in own)
        forked = sorted(str(p) for p, n in parents.items() if n > 1)
        if forked:
            diverge("X8", f"branch {name!r}: {len(forked)} commits have two children on the branch (first: "
                    f"{forked[0]!r}): concurrent commits forked instead of forming a chain", area="load")
        want = expected.get(name)
        gained = len(own) - before.get(name, 0)
        if want is not None and not want.holds(gained):
            what = "lost" if gained < want.lo else "duplicated"
            diverge("X8", f"branch {name!r} gained {gained} commits, but the sessions committed {want}: commits "
                    f"{what} under load", area="load")
        if not own:
            continue  # nothing to chain; a new branch's head is B4/C8d's, judged by the sequential machines
        reach, at, steps = set(), b.head, 0
        while at is not None and at in by_hash and steps <= len(commits):
            reach.add(at)
            at, steps = by_hash[at].parent, steps + 1
        if at is not None and at not in by_hash:
            diverge("C8", f"branch {name!r}: the chain from its head reaches {at!r}, which is not a commit (C8b)",
                    area="load")
        missing = {c.hash for c in own} - reach
        if missing:
            diverge("C8", f"branch {name!r}: {len(missing)} of its commits are not on the chain from its head "
                    f"(C8e), e.g. {sorted(missing)[0]!r}", area="load")


def branches_created(expected: Mapping[str, Range], branches: Mapping[str, Any]) -> None:
    """X8 under load: of the create_branch calls of one contested name, at most one commits, and the name exists
    iff one did (or one is in doubt)."""
    for name, want in sorted(expected.items()):
        if want.lo > 1:
            diverge("X8", f"create_branch({name!r}) committed {want.lo} times under load: at most one may succeed",
                    area="load")
        if not Range(min(want.lo, 1), min(want.hi, 1)).holds(int(name in branches)):
            diverge("X8", f"branch {name!r} {'exists' if name in branches else 'does not exist'}, but "
                    f"{want} of the create_branch calls of that name committed", area="load")
