"""DETACH PARTITION … CONCURRENTLY's CHECK (contract §14.1 V24t, Appendix A52): the constraint PostgreSQL adds to the
detached table, equal to its old partition constraint, unless the table's constraints already imply it.

PostgreSQL adds it unless the table's NOT NULLs and validated CHECKs imply the partition constraint
(predicate_implied_by: each conjunct implied by one clause). A clause or conjunct on the key column k is ("nn",)
`k IS NOT NULL`, ("ge", v) `k >= v`, ("lt", v) `k < v`, ("gt", v) `k > v`, or ("in", values) `k = v` /
`k = ANY (…)`. The implication and naming rules are pinned on PostgreSQL 15 in tests/test_model_partitions.py.
"""

from __future__ import annotations

from typing import Any

from attrs import evolve

from pggit_model.model.catalog_values import Con, Table
from pggit_model.model.catalog_work import Work, unknown

Clause = tuple[Any, ...]


def bound_clauses(bound: tuple[Any, ...]) -> frozenset[Clause]:
    """The partition constraint of a RANGE or LIST partition of one integer key, as conjuncts."""
    how, values = bound
    if how == "RANGE":
        return frozenset({("nn",), ("ge", values[0]), ("lt", values[1])})
    return frozenset({("nn",), ("in", frozenset(values))})


def _implies(c: Clause, p: Clause) -> bool:
    """Clause c (true, and strict on k) proves conjunct p, as PostgreSQL's btree proofs do."""
    if p == ("nn",):
        return True  # every clause here is strict on k
    if c[0] == "in":
        if p[0] == "in":
            return c[1] <= p[1]
        return all(v >= p[1] if p[0] == "ge" else v < p[1] for v in c[1]) if p[0] in ("ge", "lt") else False
    if p[0] == "ge":
        return c[0] in ("ge", "gt") and c[1] >= p[1]
    if p[0] == "lt":
        return c[0] == "lt" and c[1] <= p[1]
    return False


def _key_clauses(xt: Table, key: str) -> list[Clause]:
    """What x's NOT NULLs and CHECKs say about column `key` (another CHECK on it: not modelled)."""
    out: list[Clause] = []
    col = xt.col(key)
    if col is not None and col.not_null:
        out.append(("nn",))
    for k in xt.constraints:
        if k.kind != "check" or key not in k.columns:
            continue
        if k.test == "not_null":
            out.append(("nn",))
        elif k.test == "positive" and k.token == "int":
            out.append(("gt", 0))
        elif k.test == "bound" and k.token is not None:
            out.extend(bound_clauses(_untoken(k.token)))
        else:
            raise unknown("§12", f"whether CHECK {k.name!r} implies the detached partition's bound is not modelled")
    return out


def _token(bound: tuple[Any, ...]) -> str:
    """A bound CHECK's token (a Con holds strings): `RANGE:0,10`, `LIST:1,2`."""
    return f"{bound[0]}:{','.join(str(v) for v in bound[1])}"


def _untoken(token: str) -> tuple[Any, ...]:
    how, values = token.split(":")
    return how, tuple(int(v) for v in values.split(","))


def bound_check(w: Work, s: str, x: str, xt: Table, m: str) -> Table:
    """x after DETACH … CONCURRENTLY: with `<x>_<key>_check` (the first free `…_checkN` among the schema's
    constraint names, ChooseConstraintName) unless its constraints already imply the old bound."""
    old = w.rel(s, x)
    mt = w.rel(s, m)
    assert isinstance(old, Table) and old.bound is not None and isinstance(mt, Table) and mt.partition_by is not None
    key = mt.partition_by[1]
    need = bound_clauses(old.bound)
    have = _key_clauses(xt, key)
    if all(any(_implies(c, p) for c in have) for p in need):
        return xt
    taken = {k.name for s2, _, t in w.all_tables() if s2 == s for k in t.constraints}
    n = 0
    while (name := f"{x}_{key}_check{n or ''}") in taken:
        n += 1
    if len(name.encode()) > 63:
        raise unknown("§12", "a generated constraint name longer than 63 bytes is truncated: not modelled")
    return evolve(xt, constraints=(*xt.constraints, Con(name, "check", (key,), test="bound", token=_token(old.bound))))


def left_bound_check(k: Con, bound: tuple[Any, ...] | None) -> bool:
    """Whether constraint k is the CHECK DETACH … CONCURRENTLY leaves for a partition that had `bound`: V24t counts
    it as the same change as leaving (MINOR), not as V10k's added constraint."""
    return bound is not None and k.kind == "check" and k.test == "bound" and k.token == _token(bound)


__all__ = ["bound_check", "bound_clauses", "left_bound_check"]
