"""The model's state: frozen values, changed with `evolve`.

    State
      db        everything a transaction can undo (X1): the shared catalog, pgGit's rows, history,
                branches, commits, merge conflicts
      session   settings that are transactional too: pggit.current_branch (B6), search_path, TimeZone
      txn       None in autocommit, else the BEGIN/SAVEPOINT stack of (db, session) snapshots
      counters  what no rollback undoes (X3): symbolic ref numbers, the Trinity lower bound, bindings
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple

from attrs import evolve, field, frozen

from pggit_model.model.catalog import Catalog, ObjKey
from pggit_model.model.catalog_schemas import tracked_schema
from pggit_model.model.expected import CommitRef, HashOf, MergeRef, TrinityRef
from pggit_model.model.fmap import EMPTY, FrozenMap
from pggit_model.ops.base import TEMP_SCHEMA

RowKey = tuple[str, str, str, str]  # (object_type, schema_name, object_name, branch_name)

SEVERITY_ORDER = {"MAJOR": 3, "MINOR": 2, "PATCH": 1}
@frozen
class Unspecified:
    """A stored value the contract leaves open (e.g. ddl_hash of an object created after the baseline)."""

    rule: str

    def __repr__(self) -> str:
        return f"Unspecified(rule={self.rule!r})"


@frozen
class Row:
    """One `pggit.objects` row (O1) plus what the model needs to version it.

    `recorded` is the structure recorded for the object on this branch (V9a, V12); `ddl_hash` is the
    stored baseline (H5, H6): a HashOf, None (never written) or Unspecified."""

    version: int
    major: int
    minor: int
    patch: int
    active: bool
    recorded: Any = None
    ddl_hash: Any = None

    @property
    def triple(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    @property
    def version_string(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    @property
    def state(self) -> tuple[int, int, int, int]:
        """st_X(k) of M2."""
        return (self.version, self.major, self.minor, self.patch)


NEW_ROW = Row(1, 1, 0, 0, True)


class Change(NamedTuple):
    """One `pggit.history` row (O2): change_type, change_severity, old_version, new_version.

    A named tuple, so it equals the observed row (`snapshot.HistoryRow`) field by field: the checker compares
    whole histories in one comparison."""

    change_type: str
    severity: str
    old_version: int | None
    new_version: int | None


#: stands for "zero or more history rows the contract does not specify" (M6: history for the merge target).
HISTORY_GAP = Change("?", "?", None, None)


@frozen
class Branch:
    """One `pggit.branches` row (O3); `base` holds st(k) of the rows copied at creation (M2)."""

    name: str
    status: str = "ACTIVE"
    parent: str | None = None
    head: CommitRef | Unspecified | None = None
    base: FrozenMap[tuple[str, str, str], tuple[int, int, int, int]] = EMPTY
    merged: bool = False


@frozen
class CommitRow:
    """One `pggit.commits` row (O4). `hash` is known text for commit_changes with a custom id, else None:
    the checker learns it from the bound `ref`."""

    ref: CommitRef
    branch: str
    parent: CommitRef | Unspecified | None
    message: str
    tree_hash: str | None
    hash: str | None = None


@frozen
class Conflict:
    """One `pggit.merge_conflicts` row (M5)."""

    merge: MergeRef
    branch_a: str
    branch_b: str
    conflict_object: str


_MAIN_ONLY: FrozenMap[str, Branch] = FrozenMap({"main": Branch("main")})


@frozen
class Db:
    catalog: Catalog
    rows: FrozenMap[RowKey, Row] = EMPTY
    history: FrozenMap[RowKey, tuple[Change, ...]] = EMPTY
    branches: FrozenMap[str, Branch] = _MAIN_ONLY
    commits: tuple[CommitRow, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    #: U3: objects created or dropped while pgGit's triggers did not fire: their rows (on every branch), and DDL
    #: later issued on them, are unspecified from then on
    unknown: frozenset[ObjKey] = frozenset()
    #: U3: tables whose catalog changed while the triggers did not fire: their recorded structure may lag the
    #: catalog, which B9 otherwise only allows for changes made on another branch
    drifted: frozenset[tuple[str, str]] = frozenset()
    #: U3: (schema, table, name) of each column or plain index name drift added to or took from a drifted table: a
    #: difference in names between c's recorded structure and the catalog that drift explains; any other one is a
    #: change made on another branch (B9), which drift does not make specified
    drift_names: frozenset[tuple[str, str, str]] = frozenset()


@frozen
class Session:
    current_branch: str | None = None  # the pggit.current_branch setting; None or '' means main (B7)
    search_path: tuple[str, ...] = ("$user", "public")
    time_zone: str = "UTC"
    #: statements outside BEGIN run outside any transaction block, as in a plain session; False under rollback
    #: isolation, whose outer transaction holds them: statements PostgreSQL refuses there (X13) are unspecified
    autocommit: bool = True

    @property
    def branch(self) -> str:
        return self.current_branch or "main"


@frozen
class Frame:
    """A snapshot to return to: BEGIN's (name None) or a SAVEPOINT's."""

    name: str | None
    db: Db
    session: Session


@frozen
class Txn:
    frames: tuple[Frame, ...]
    aborted: bool = False


@frozen
class Counters:
    """Never rolled back (X3): next numbers of the symbolic refs and what bounds the next Trinity ID."""

    commits: int = 0
    trinity: int = 0
    merges: int = 0
    last_trinity: tuple[TrinityRef, ...] = ()
    trinity_floor: int = 1
    #: values the checker fed back with `bind` (commit hashes, Trinity IDs) so C7 can be decided exactly
    bound: FrozenMap[Any, str] = EMPTY
    steps: int = 0


@frozen
class State:
    db: Db
    session: Session = Session()
    txn: Txn | None = None
    counters: Counters = Counters()

    @property
    def c(self) -> str:
        """The current branch (§0)."""
        return self.session.branch

    @property
    def in_transaction(self) -> bool:
        return self.txn is not None

    @property
    def aborted(self) -> bool:
        return self.txn is not None and self.txn.aborted

    def row(self, key: RowKey) -> Row | None:
        return self.db.rows.get(key)

    def active_row(self, kind: str, schema: str, name: str, branch: str | None = None) -> Row | None:
        r = self.db.rows.get((kind, schema, name, branch or self.c))
        return r if r is not None and r.active else None


def initial_state(schemas: Iterable[str] = ("app",), search_path: Iterable[str] = ("$user", "public")) -> State:
    """A fresh install (B1): branch main only, no rows; the machine owns `schemas`, which exist and are
    empty, and `pg_temp` (the session's temporary objects, untracked: V1, A8; model/catalog_temp.py). `public`
    exists too but holds pgGit's demo objects (I5), so the model makes no claim there; so does `pggit`,
    pgGit's own (a statement naming it is not a 3F000: strategies.values.schema_variants of `pggitx`)."""
    owned = frozenset(schemas) | {TEMP_SCHEMA}  # the session's temporary schema is there from the start (A8)
    return State(db=Db(catalog=Catalog(schemas=owned, foreign=frozenset({"public", "pggit"}) - owned)),
                 session=Session(search_path=tuple(search_path)))


def bind(state: State, ref: CommitRef | TrinityRef, value: str) -> State:
    """Tell the model a value the database returned for `ref` (lets C7 reject a reused custom id exactly)."""
    c = state.counters
    return evolve(state, counters=evolve(c, bound=c.bound.set(ref, value)))


def bind_invented(state: State, expected: Any, ctx: Any) -> State:
    """Values the database invented (commit ids, Trinity IDs), bound in ``ctx`` by the checks of ``expected``, go
    into the model (C7 needs them)."""
    preds: list[Any] = [expected.value] if expected.kind == "value" else []
    if expected.kind == "rows":
        preds = [v for row in expected.rows for v in row]
    for pred in preds:
        for attr in ("ref", "commit"):
            ref = getattr(pred, attr, None)
            if ref is not None and ref in ctx.bindings and type(ref).__name__ != "MergeRef":
                state = bind(state, ref, ctx.bindings[ref])
    return state


def hash_of(key: ObjKey, structure: Any) -> HashOf | None:
    return None if structure is None else HashOf(key, structure)


__all__ = [
    "HISTORY_GAP", "NEW_ROW", "SEVERITY_ORDER", "Branch", "Change", "CommitRow", "Conflict", "Counters", "Db",
    "Frame", "Row", "RowKey", "Session", "State", "Txn", "Unspecified", "bind", "field", "hash_of",
    "initial_state", "tracked_schema",
]
