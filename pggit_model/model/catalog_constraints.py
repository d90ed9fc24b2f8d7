"""Adding a table constraint (CREATE TABLE and ALTER TABLE … ADD): one check per constraint kind, in a table.

Each check validates one new constraint on a table as it is at that point and returns its catalog form. The
checks run in PostgreSQL 15's order, so the first failing one gives the SQLSTATE: CHECK cooks its expression
(42703, 42883) before its name is checked (42710); PRIMARY KEY/UNIQUE check their columns (42703) and the
one-primary-key rule (42P16) before index_create checks the relation name (42P07) and then the constraint
name (42710); FOREIGN KEY checks its name (42710) first, then the referenced table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from attrs import evolve

from pggit_model.model.catalog_values import (
    Con,
    Index,
    Relation,
    Table,
    check_token,
    first_free_pkey_name,
    index_matches,
)
from pggit_model.model.catalog_work import Work, handler_for, reject, unknown
from pggit_model.ops import ddl
from pggit_model.ops.types import base_type, category


def add_constraint(w: Work, schema: str, table: str, t: Table, k: ddl.Constraint, taken: set[str]) -> Table:
    """`t` with constraint `k` added (and the unique index it owns); `taken`: names this statement used."""
    con = handler_for(CONSTRAINT_CHECKS, k, "CONSTRAINT_CHECKS", "catalog_constraints")(w, schema, table, t, k, taken)
    taken.add(con.name)
    t = evolve(t, constraints=(*t.constraints, con))
    if con.kind in ("unique", "primary_key"):
        if con.kind == "primary_key":  # PostgreSQL 15–17 marks primary-key columns NOT NULL (H4)
            t = evolve(t, columns=tuple(evolve(c, not_null=True) if c.name in con.columns else c for c in t.columns))
        w.put(schema, con.name, Index(table, con.columns, unique=True, constraint=con.name))
        t = evolve(t, indexes=(*t.indexes, con.name))
        w.created.append(("INDEX", schema, con.name))
    return t


def _name_free(name: str, table: str, t: Table, taken: set[str]) -> None:
    if name in taken or t.con(name) is not None:
        raise reject("42710", f"constraint {name!r} already exists on {table!r}")


def _check(w: Work, schema: str, table: str, t: Table, k: ddl.Check, taken: set[str]) -> Con:
    col = t.col(k.column)
    if col is None:
        if k.column == table:  # `CHECK ("t" IS NOT NULL)` on s."t": a whole-row reference, as in views
            raise unknown("§12", f"{k.column!r} names the table: a whole-row reference")
        raise reject("42703", f"column {k.column!r} does not exist in {table!r}")
    token = None
    if k.test == "positive":
        token = check_token(col.type)
        if token is None:
            raise reject("42883", f"operator does not exist: {col.type} > integer")
    _name_free(k.name, table, t, taken)
    return Con(k.name, "check", (k.column,), test=k.test, token=token)


def _key(w: Work, schema: str, table: str, t: Table, k: ddl.Unique | ddl.PrimaryKey, taken: set[str]) -> Con:
    for c in k.columns:
        if t.col(c) is None:
            raise reject("42703", f"column {c!r} named in key does not exist in {table!r}")
    if isinstance(k, ddl.PrimaryKey) and any(x.kind == "primary_key" for x in t.constraints):
        raise reject("42P16", f"multiple primary keys for table {table!r} are not allowed")
    name = k.name
    if name is None:  # an unnamed PRIMARY KEY: named when its index is built, from what exists then
        name = first_free_pkey_name(table, w.names_taken(schema, table, t))
    if w.rel(schema, name) is not None or name == table:
        raise reject("42P07", f"relation {name!r} already exists")
    _name_free(name, table, t, taken)
    return Con(name, "unique" if isinstance(k, ddl.Unique) else "primary_key", tuple(k.columns))


def _foreign_key(w: Work, schema: str, table: str, t: Table, k: ddl.ForeignKey, taken: set[str]) -> Con:
    _name_free(k.name, table, t, taken)
    ref = _referenced_table(w, schema, table, t, k)
    for c in k.columns:
        if t.col(c) is None:
            raise reject("42703", f"column {c!r} referenced in foreign key constraint does not exist")
    for c in k.ref_columns:
        if ref.col(c) is None:
            raise reject("42703", f"column {c!r} referenced in foreign key constraint does not exist")
    if len(k.columns) != len(k.ref_columns):
        raise reject("42830", "number of referencing and referenced columns for foreign key disagree")
    if not any(index_matches(w.rel(k.ref_schema, i), tuple(k.ref_columns)) for i in ref.indexes) and not (
            ref is t and any(x.kind in ("unique", "primary_key") and set(x.columns) == set(k.ref_columns)
                             for x in t.constraints)):
        raise reject("42830", f"there is no unique constraint matching given keys for {k.ref_table!r}")
    for mine, theirs in zip(k.columns, k.ref_columns, strict=True):
        a, b = t.col(mine), ref.col(theirs)
        assert a is not None and b is not None
        if base_type(a.type) != base_type(b.type) and not (category(a.type) == category(b.type) == "int"):
            raise unknown("§12", f"foreign key between {a.type} and {b.type}: compatibility is not modelled")
    return Con(k.name, "foreign_key", tuple(k.columns), ref=(k.ref_schema, k.ref_table, tuple(k.ref_columns)))


def _referenced_table(w: Work, schema: str, table: str, t: Table, k: ddl.ForeignKey) -> Table:
    """The table a foreign key references: `t` itself (as it is now) when it references its own table."""
    if (k.ref_schema, k.ref_table) == (schema, table):
        ref: Relation | None = t
    else:
        if k.ref_schema not in w.base.schemas:
            raise reject("3F000", f"schema {k.ref_schema!r} does not exist")
        ref = w.rel(k.ref_schema, k.ref_table)
    if ref is None:
        raise reject("42P01", f"relation {k.ref_schema}.{k.ref_table} does not exist")
    if not isinstance(ref, Table):
        raise reject("42809", f"referenced relation {k.ref_table!r} is not a table")
    return ref


#: constraint kind -> its check; `tests/test_completeness.py` holds every kind of `ddl.CONSTRAINT_TYPES` to one
CONSTRAINT_CHECKS: dict[type, Callable[..., Con]] = {
    ddl.Check: _check, ddl.Unique: _key, ddl.PrimaryKey: _key, ddl.ForeignKey: _foreign_key,
}


def create_table_order(constraints: tuple[ddl.Constraint, ...]) -> list[ddl.Constraint]:
    """The order CREATE TABLE builds its constraints in (PostgreSQL 15): CHECKs with the table, then the
    PRIMARY KEY, then UNIQUEs, then FOREIGN KEYs. A UNIQUE on the same column list as an earlier PRIMARY
    KEY/UNIQUE is dropped as redundant (transformIndexConstraints); an unnamed PRIMARY KEY takes its name."""
    checks = [k for k in constraints if isinstance(k, ddl.Check)]
    pks = [k for k in constraints if isinstance(k, ddl.PrimaryKey)]
    indexed: list[Any] = list(pks[:1])  # a second PRIMARY KEY was rejected before (42P16)
    for k in (k for k in constraints if isinstance(k, ddl.Unique)):
        prior = next((i for i, p in enumerate(indexed) if tuple(p.columns) == tuple(k.columns)), None)
        if prior is None:
            indexed.append(k)
            continue
        p = indexed[prior]
        if isinstance(p, ddl.PrimaryKey) and p.name is None:
            indexed[prior] = evolve(p, name=k.name)
    fks = [k for k in constraints if isinstance(k, ddl.ForeignKey)]
    return [*checks, *indexed, *fks]
