"""What the database must answer for one op: `Expected`, its value predicates and the symbolic refs.

The model cannot know values the database invents (commit uuids and hashes, Trinity IDs, merge ids, hash
texts). It names them symbolically — `CommitRef(3)` is "the commit the model created third" — and the
checker binds each ref to the value it observes, in a `CheckContext` that outlives rollbacks. Predicates
check a value against the context and return None or a message that names the contract rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from attrs import evolve, frozen

# --- symbolic refs -----------------------------------------------------------------------------------


@frozen(order=True)
class CommitRef:
    """The n-th commit the model created (counting rolled-back ones: numbers are never reused)."""

    n: int


@frozen(order=True)
class TrinityRef:
    """The n-th Trinity ID the model drew from `trinity_id_seq` (T3)."""

    n: int


@frozen(order=True)
class MergeRef:
    """The n-th merge_branches call; binds to the `<id>` of its result (M5)."""

    n: int


class CheckContext:
    """The checker's memory of observed values; lives for one database (not reset by rollbacks).

    `earliest`/`latest` bound the call in UTC: the client's clock before the transaction started and
    after the call returned (T2)."""

    def __init__(self) -> None:
        self.bindings: dict[Any, str] = {}
        self.hash_by_key: dict[tuple, str] = {}
        self.structure_by_hash: dict[tuple[str, str], Any] = {}
        self.earliest: datetime | None = None
        self.latest: datetime | None = None

    def copy(self) -> CheckContext:
        other = CheckContext()
        other.bindings = dict(self.bindings)
        other.hash_by_key = dict(self.hash_by_key)
        other.structure_by_hash = dict(self.structure_by_hash)
        other.earliest, other.latest = self.earliest, self.latest
        return other

    def bind(self, ref: Any, value: str, rule: str) -> str | None:
        old = self.bindings.get(ref)
        if old is None:
            self.bindings[ref] = value
            return None
        return None if old == value else f"{rule}: {ref!r} was {old!r} before, now {value!r}"

    def trinity_seq(self, ref: TrinityRef | None) -> int | None:
        if ref is None or (v := self.bindings.get(ref)) is None:
            return None
        return int(v.split("-")[1])


class Pred:
    """A value the model describes rather than knows."""

    rule: ClassVar[str] = ""

    def check(self, value: Any, ctx: CheckContext) -> str | None:  # pragma: no cover - abstract
        raise NotImplementedError


@frozen
class AnyValue(Pred):
    """Informational: any value (including NULL) is fine."""

    def check(self, value: Any, ctx: CheckContext) -> str | None:
        return None

    def __repr__(self) -> str:
        return "ANY"


ANY = AnyValue()


@frozen
class Matches(Pred):
    """A text matching `pattern` (re.fullmatch)."""

    pattern: str
    rule_id: str = ""

    def check(self, value: Any, ctx: CheckContext) -> str | None:
        if isinstance(value, str) and re.fullmatch(self.pattern, value):
            return None
        return f"{self.rule_id}: expected text matching {self.pattern!r}, got {value!r}"


UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
TRINITY_RE = re.compile(r"^([0-9]{20})-([0-9]{6,})-([0-9a-f]{8})$")


@frozen
class NewCommitId(Pred):
    """create_commit's result: a uuid naming the new commit `ref` (C3); binds ref to it."""

    ref: CommitRef

    def check(self, value: Any, ctx: CheckContext) -> str | None:
        v = str(value) if value is not None else None
        if v is None or not re.fullmatch(UUID_RE, v):
            return f"C3: create_commit must return a uuid, got {value!r}"
        if v in ctx.bindings.values() and ctx.bindings.get(self.ref) != v:
            return f"C3: create_commit returned {v!r}, which an earlier commit already had"
        return ctx.bind(self.ref, v, "C3")


@frozen
class NewTrinityId(Pred):
    """A fresh Trinity ID (T1–T4): field 2 is at least `floor` and above those bound to `after` (T3, T6, T7).

    Binds `ref` (and `commit` too when commit_changes uses it as the commit hash, C7)."""

    ref: TrinityRef
    after: tuple[TrinityRef, ...] = ()
    floor: int = 1
    commit: CommitRef | None = None

    def check(self, value: Any, ctx: CheckContext) -> str | None:
        if not isinstance(value, str) or not (m := TRINITY_RE.match(value)):
            return f"T1: expected a Trinity ID matching ^[0-9]{{20}}-[0-9]{{6,}}-[0-9a-f]{{8}}$, got {value!r}"
        seq = int(m.group(2))
        if len(m.group(2)) > 6 and m.group(2).startswith("0"):
            return f"T3: field 2 must be zero-padded to 6 digits only, got {m.group(2)!r}"
        if seq < self.floor:
            return f"T3: field 2 is {seq}, but the sequence cannot be below {self.floor} here"
        prev = max((v for r in self.after if (v := ctx.trinity_seq(r)) is not None), default=None)
        if prev is not None and seq <= prev:
            return f"T6/T7: field 2 is {seq}, not above {prev} returned earlier ({self.after!r})"
        try:
            stamp = datetime.strptime(m.group(1), "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
        except ValueError:
            return f"T2: field 1 {m.group(1)!r} is not a UTC time YYYYMMDDHH24MISSUS"
        if ctx.earliest is not None and stamp < ctx.earliest:
            return f"T2: field 1 {stamp.isoformat()} is before the transaction started ({ctx.earliest.isoformat()})"
        if ctx.latest is not None and stamp > ctx.latest:
            return f"T2: field 1 {stamp.isoformat()} is after the call returned ({ctx.latest.isoformat()})"
        for other_ref, other in ctx.bindings.items():
            if other == value and other_ref not in (self.ref, self.commit):
                return f"T5: {value!r} was already returned as {other_ref!r}"
        problem = ctx.bind(self.ref, value, "T5")
        if problem is None and self.commit is not None:
            problem = ctx.bind(self.commit, value, "C7")
        return problem


@frozen
class HashOf(Pred):
    """A 64-hex hash for the structure class `key` = (identity, structure) (H1–H4).

    Equal keys must give equal hashes; different structures must give different hashes (H2). `identity`
    is the object, or None for a component whose value is fixed across objects (H4's empty component)."""

    identity: Any
    structure: Any
    domain: str = "object"  # "object" (H1–H3), or H4's "constraints" / "indexes" components

    def check(self, value: Any, ctx: CheckContext) -> str | None:
        if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
            return f"H1: expected 64 lowercase hex characters, got {value!r}"
        key = (self.domain, self.identity, self.structure)
        seen = ctx.hash_by_key.get(key)
        if seen is not None and seen != value:
            return f"H2: the same structure of {self.identity!r} hashed to {seen!r} before, now {value!r}"
        owner = ctx.structure_by_hash.get((self.domain, value))
        if owner is not None and owner != self.structure:
            return f"H2: {value!r} is the hash of a different structure {owner!r}, now also of {self.structure!r}"
        ctx.hash_by_key[key] = value
        ctx.structure_by_hash[(self.domain, value)] = self.structure
        return None


@frozen
class MergeResult(Pred):
    """`MERGE_SUCCESS:<id>` or `CONFLICTS_DETECTED:<id>` with an id unique per call (M5)."""

    success: bool
    ref: MergeRef

    def check(self, value: Any, ctx: CheckContext) -> str | None:
        prefix = "MERGE_SUCCESS:" if self.success else "CONFLICTS_DETECTED:"
        if not isinstance(value, str) or not value.startswith(prefix) or len(value) == len(prefix):
            return f"M5: expected {prefix}<id>, got {value!r}"
        ident = value[len(prefix):]
        if any(isinstance(r, MergeRef) and v == ident and r != self.ref for r, v in ctx.bindings.items()):
            return f"M5: merge id {ident!r} was returned by an earlier merge"
        return ctx.bind(self.ref, ident, "M5")


@frozen
class IsInt(Pred):
    """Any integer (create_branch's id, O8: never compared across backends)."""

    def check(self, value: Any, ctx: CheckContext) -> str | None:
        return None if isinstance(value, int) and not isinstance(value, bool) else f"B2: expected an int, got {value!r}"


def _check_field(expected: Any, actual: Any, ctx: CheckContext) -> str | None:
    if isinstance(expected, Pred):
        return expected.check(actual, ctx)
    return None if expected == actual else f"expected {expected!r}, got {actual!r}"


# --- Expected ----------------------------------------------------------------------------------------


def _rules(rule: str | Sequence[str]) -> tuple[str, ...]:
    return (rule,) if isinstance(rule, str) else tuple(rule)


@frozen
class Expected:
    """What one op must do. Build with the class methods; `kind` is one of

    * ``ok``: the statement succeeds, its answer is not compared (DDL, transaction control, SET);
    * ``value``: a single value (scalar call) equal to `value`, or satisfying it if it is a `Pred`;
    * ``rows``: rows projected on `columns`, a list if `ordered`, else a multiset; fields may be `Pred`;
    * ``error``: the statement fails with a SQLSTATE starting with one of `sqlstates` (empty: any error);
    * ``unspecified``: the contract does not say (`why`); machines should not run such ops.
    """

    kind: str
    rules: tuple[str, ...]
    value: Any = None
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()
    ordered: bool = False
    sqlstates: tuple[str, ...] = ()
    why: str = ""
    #: rows whose `scope_column` is outside `scope` (schemas; full names count by their schema) are
    #: other machines' or the install's (I5) and are ignored
    scope_column: str | None = None
    scope: tuple[str, ...] = ()
    #: rows whose `exclude_column` is in `exclude` are not compared, on either side (objects the model gave up
    #: on after a known divergence: it cannot say what the database answers about them)
    exclude_column: str | None = None
    exclude: frozenset[str] = frozenset()

    def without(self, column: str, values: Iterable[str]) -> Expected:
        """The same expectation, with rows naming ``values`` in ``column`` left out on both sides."""
        values = frozenset(values)
        if not values or self.kind != "rows":
            return self
        i = self.columns.index(column)
        return evolve(self, rows=tuple(r for r in self.rows if r[i] not in values), exclude_column=column,
                      exclude=self.exclude | values)

    @classmethod
    def ok(cls, rule: str | Sequence[str]) -> Expected:
        return cls("ok", _rules(rule))

    @classmethod
    def of(cls, value: Any, rule: str | Sequence[str]) -> Expected:
        return cls("value", _rules(rule), value=value)

    @classmethod
    def table(cls, columns: Sequence[str], rows: Sequence[Sequence[Any]], rule: str | Sequence[str],
              ordered: bool = False, scope_column: str | None = None, scope: Sequence[str] = (),
              why: str = "") -> Expected:
        """``why``: what the model knows that tells wrong answers apart (said when the number of rows differs)."""
        return cls("rows", _rules(rule), columns=tuple(columns), rows=tuple(tuple(r) for r in rows),
                   ordered=ordered, scope_column=scope_column, scope=tuple(scope), why=why)

    @classmethod
    def error(cls, sqlstate: str | Sequence[str] | None, rule: str | Sequence[str], why: str = "") -> Expected:
        states = () if sqlstate is None else ((sqlstate,) if isinstance(sqlstate, str) else tuple(sqlstate))
        return cls("error", _rules(rule), sqlstates=states, why=why)

    @classmethod
    def unspecified(cls, rule: str | Sequence[str], why: str) -> Expected:
        return cls("unspecified", _rules(rule), why=why)

    @property
    def is_error(self) -> bool:
        return self.kind == "error"

    @property
    def is_unspecified(self) -> bool:
        return self.kind == "unspecified"

    # -- checking helpers for the checker (pure apart from the bindings kept in ctx) --

    def check_error(self, sqlstate: str | None) -> str | None:
        """None if an error with `sqlstate` is what this Expected allows, else a message naming the rule."""
        tag = "/".join(self.rules)
        if self.kind == "unspecified":
            return None
        if self.kind != "error":
            return f"{tag}: expected success, got error {sqlstate}"
        if not self.sqlstates or (sqlstate and any(sqlstate.startswith(s) for s in self.sqlstates)):
            return None
        return f"{tag}: expected SQLSTATE {'|'.join(self.sqlstates)}, got {sqlstate}"

    def check_success(self, value: Any = None, rows: Sequence[Mapping[str, Any]] | None = None,
                      ctx: CheckContext | None = None) -> str | None:
        """None if a successful answer agrees; `value` for scalar calls, `rows` (dicts) for row calls."""
        tag = "/".join(self.rules)
        ctx = ctx if ctx is not None else CheckContext()
        if self.kind == "unspecified" or self.kind == "ok":
            return None
        if self.kind == "error":
            why = f": {self.why}" if self.why else ""
            return f"{tag}: expected an error ({'|'.join(self.sqlstates) or 'any SQLSTATE'}{why}), but it succeeded"
        if self.kind == "value":
            problem = _check_field(self.value, value, ctx)
            return None if problem is None else f"{tag}: {problem}"
        kept = [r for r in (rows or ()) if (self.scope_column is None or _in_scope(r[self.scope_column], self.scope))
                and (self.exclude_column is None or r[self.exclude_column] not in self.exclude)]
        actual = [tuple(r[c] for c in self.columns) for r in kept]
        if len(actual) != len(self.rows):
            why = f" ({self.why})" if self.why else ""
            return f"{tag}: expected {len(self.rows)} rows {list(self.rows)!r}, got {len(actual)}: {actual!r}{why}"
        if self.ordered:
            pairs: list[tuple[tuple[Any, ...], tuple[Any, ...]]] | None = list(zip(self.rows, actual, strict=True))
        else:
            pairs = _pair_unordered(self.rows, actual)
        if pairs is None:
            return f"{tag}: rows differ (order ignored): expected {list(self.rows)!r}, got {actual!r}"
        before = ctx.copy() if self.ordered else ctx
        problem = self._pairs_problem(pairs, ctx)
        if problem is not None and self.ordered:
            # Say so when only the order is wrong: the most common way an ordered answer goes wrong, and one a
            # known-divergence matcher can then name without matching every wrong row.
            # Checked against the memory as it was before this answer (bindings, T2 time bounds), so a row that is
            # wrong in itself is never reported as merely misplaced.
            unordered = _pair_unordered(self.rows, actual)
            moved = unordered is not None and any(p not in pairs for p in unordered)
            if unordered is not None and moved and self._pairs_problem(unordered, before) is None:
                return f"{tag}: the expected rows in another order: expected {list(self.rows)!r}, got {actual!r}"
        return None if problem is None else f"{tag}: {problem}"

    def _pairs_problem(self, pairs: Sequence[tuple[tuple[Any, ...], tuple[Any, ...]]],
                       ctx: CheckContext) -> str | None:
        for exp_row, act_row in pairs:
            for c, e, a in zip(self.columns, exp_row, act_row, strict=True):
                if (problem := _check_field(e, a, ctx)) is not None:
                    return f"column {c} of row {act_row!r}: {problem}"
        return None


def _in_scope(value: Any, scope: tuple[str, ...]) -> bool:
    return isinstance(value, str) and any(value == s or value.startswith(s + ".") for s in scope)


def _pair_unordered(expected: tuple[tuple[Any, ...], ...], actual: list[tuple[Any, ...]]
                    ) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]] | None:
    """Pair rows by their concrete fields (predicates are checked after pairing)."""
    pool = list(actual)
    pairs = []
    for e in sorted(expected, key=lambda r: -sum(not isinstance(v, Pred) for v in r)):
        mask = [not isinstance(v, Pred) for v in e]
        for i, a in enumerate(pool):
            if all(not m or ev == av for m, ev, av in zip(mask, e, a, strict=True)):
                pairs.append((e, pool.pop(i)))
                break
        else:
            return None
    return pairs
