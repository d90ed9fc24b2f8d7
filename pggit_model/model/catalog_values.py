"""The values of the model's catalog — tables, columns, constraints, indexes, views, functions — and how
PostgreSQL renders the parts a hash or a comparison reads.

Defaults are kept as PostgreSQL renders them (`pg_get_expr`): a literal keeps the type it was written
with, and an implicit cast added later (ALTER TYPE) is not shown, so a default's rendering never changes
after it was set.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from pggit_model.model.fmap import EMPTY, FrozenMap
from pggit_model.ops import ddl
from pggit_model.ops.types import base_type, category

ObjKey = tuple[str, str, str]  # (object_type, schema_name, object_name) — the contract's object key
DefaultExpr = tuple[Any, ...]  # ("int", 5) | ("bool", True) | ("str", "x", "text")


@frozen
class Col:
    name: str
    type: str
    not_null: bool = False
    default: DefaultExpr | None = None
    comment: str | None = None
    identity: str | None = None  # V23 (§14.1): 'ALWAYS' | 'BY DEFAULT' | None
    generated: str | None = None  # V23: the column g of `GENERATED ALWAYS AS (g IS NOT NULL) STORED`, or None


@frozen
class Con:
    """A table constraint; `token` is how a positive CHECK renders its 0 ('?' once that is unsure)."""

    name: str
    kind: str
    columns: tuple[str, ...]
    test: str | None = None
    token: str | None = None
    ref: tuple[str, str, tuple[str, ...]] | None = None

    def definition(self) -> tuple[Any, ...]:
        """What `pg_get_constraintdef` shows: everything but the name (H4)."""
        return (self.kind, self.columns, self.test, self.token, self.ref)


@frozen
class Table:
    columns: tuple[Col, ...] = ()
    constraints: tuple[Con, ...] = ()
    indexes: tuple[str, ...] = ()  # names of every index on the table, constraint-owned ones included
    comment: str | None = None
    # its place in a hierarchy (V23 (5), §14.1; model/catalog_partitions.py): partition key, parent, bound
    partition_by: tuple[str, str] | None = None  # (RANGE | LIST, key column) of a partitioned table
    parent: str | None = None  # the partitioned table or inheritance parent (one: B12), same schema
    bound: tuple[Any, ...] | None = None  # a partition's (how, values)
    declares_inherited: bool = False  # a child that declares its inherited columns itself (after INHERIT: B12)
    # what the frame rule's statements leave on the table (V27, model/catalog_frame.py), in no V23 component:
    # its triggers as (name, is a constraint trigger), and its policies' names
    triggers: tuple[tuple[str, bool], ...] = ()
    policies: tuple[str, ...] = ()
    # rows put in by InsertRows (§14.1 V24n, model/catalog_rows.py): each a tuple of (column, value) pairs over
    # all its columns; a table with rows admits only the statements catalog_rows predicts
    rows: tuple[tuple[tuple[str, int | None], ...], ...] = ()

    def col(self, name: str) -> Col | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None

    def con(self, name: str) -> Con | None:
        for k in self.constraints:
            if k.name == name:
                return k
        return None


@frozen
class Index:
    table: str
    columns: tuple[str, ...]
    unique: bool = False
    constraint: str | None = None  # the UNIQUE/PRIMARY KEY/EXCLUDE constraint that owns it
    fillfactor: int | None = None  # `ALTER INDEX … SET (fillfactor = n)`: in its definition (H11), not in V23
    of: str | None = None  # a partition index: the partitioned index it is attached to (V22, V25)
    labels: tuple[str, ...] | None = None  # the index's own column names, kept through column renames: a
    # partitioned index names its partition indexes after them (pinned on PostgreSQL 15)
    rowless: bool = False  # the INVALID index a failed CREATE UNIQUE INDEX CONCURRENTLY leaves (V24n): no row, not in
    # its table's `indexes` (nor its V23 structure); model/catalog_rows.py


class _Query:
    """What a view and a materialized view share: a query whose output columns may have been renamed (R3h)."""

    __slots__ = ()
    columns: tuple[tuple[str, str], ...]
    reads: tuple[str, ...]

    def read_columns(self) -> tuple[str, ...]:
        """The source's columns its query reads (for a view calling a function: its output names, no source's)."""
        return self.reads or tuple(c for c, _ in self.columns)


@frozen
class View(_Query):
    source: str
    columns: tuple[tuple[str, str], ...]  # (name, type) in select-list order
    source_schema: str | None = None  # the source's schema once a move split them (N5a, N5b, N6; R6)
    reads: tuple[str, ...] = ()  # the source column of each output column once one was renamed (R3h); () = names


@frozen
class Function:
    body: int


@frozen
class MatView(_Query):
    """A materialized view (§14.1 V22): its query's source and output columns, and the indexes on it (V24aa)."""

    source: str
    columns: tuple[tuple[str, str], ...]  # (name, type) in select-list order
    indexes: tuple[str, ...] = ()
    populated: bool = True  # False after WITH NO DATA until REFRESH: reading it fails (55000)
    source_schema: str | None = None  # the source's schema once SET SCHEMA moved the view away from it (N5c)
    reads: tuple[str, ...] = ()  # the source column of each output column once one was renamed (R3h); () = names


@frozen
class Usable:
    """An enum type, domain or sequence (§14.1 V26d, f; model/catalog_dependents.py): untracked (V27), so kept apart
    from the relations, which the first model's statements walk."""

    what: str  # ENUM | DOMAIN | SEQUENCE (ops.dependents.CreateUsable.what)


Relation = Table | Index | View | MatView


@frozen
class Catalog:
    """`schemas` are the schemas the model owns (it knows all they contain); `foreign` ones exist but
    hold objects the model does not know (pgGit's demo objects in public, I5; pgGit's own schema `pggit`)."""

    schemas: frozenset[str]
    foreign: frozenset[str] = frozenset({"public", "pggit"})
    relations: FrozenMap[tuple[str, str], Relation] = EMPTY
    functions: FrozenMap[tuple[str, str], Function] = EMPTY
    usables: FrozenMap[tuple[str, str], Usable] = EMPTY  # enum types, domains, sequences (§14.1 V26d-f)
    #: relations whose array type PostgreSQL may have named other than "_" + name: it got a name while an
    #: `odd_array_name` relation was in its schema (PostgreSQL then appends "_1" or moves a clashing array type
    #: out of the way), or came in with its array from another schema (N5; see model.catalog._guard_array_types)
    odd_arrays: frozenset[tuple[str, str]] = frozenset()

    def rel(self, schema: str, name: str) -> Relation | None:
        return self.relations.get((schema, name))

    def table(self, schema: str, name: str) -> Table | None:
        r = self.relations.get((schema, name))
        return r if isinstance(r, Table) else None


@frozen
class Applied:
    catalog: Catalog
    created: tuple[ObjKey, ...] = ()
    dropped: tuple[ObjKey, ...] = ()
    altered: tuple[tuple[str, str], ...] = ()  # tables whose V9a structure may have changed
    replaced: tuple[ObjKey, ...] = ()  # CREATE OR REPLACE of an existing view or function (V12)
    rule: str = "V10"
    touched: tuple[ObjKey, ...] = ()  # existing COLUMNs a subcommand or COMMENT targets (B9: need a row on c)
    renamed: tuple[tuple[ObjKey, ObjKey], ...] = ()  # key changes (R1, N5, N6): (old key, new key), same object
    forced: tuple[tuple[str, str, str, str], ...] = ()  # (schema, table, change, severity) a row of R3 fixes


@frozen
class Rejected:
    sqlstates: tuple[str, ...]
    rule: str
    why: str
    debris: Catalog | None = None  # the catalog a statement outside a transaction block leaves although it
    # failed (X13(c), V24n: the INVALID index of a UNIQUE build over duplicates); None: unchanged


@frozen
class Unknown:
    rule: str
    why: str


Outcome = Applied | Rejected | Unknown


# --- rendering helpers -------------------------------------------------------------------------------


def default_expr(value: ddl.Default, col_type: str) -> DefaultExpr | None:
    """How pg_get_expr renders a literal default written for a column of `col_type` (None: no default)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    return ("str", value, base_type(col_type))


def null_default(col_type: str) -> DefaultExpr | None:
    """`SET DEFAULT NULL`: PostgreSQL stores `NULL::<type>` for a type with a modifier (varchar(n),
    numeric(p,s), timestamp(p)), which pg_get_expr shows and H3 hashes; for other types nothing is stored.
    V10 counts it as no default either way (`table_shape` drops it)."""
    return ("null", base_type(col_type)) if "(" in col_type else None


def literal_type(d: DefaultExpr) -> str:
    """The type a literal default was written with."""
    return {"int": "integer", "bool": "boolean"}.get(d[0]) or str(d[-1])


#: how the constant of `col > 0` is stored for each token: `(a > 0)`, `(a > (0)::numeric)`, …
CHECK_CONSTANT = {"int": "integer", "numeric": "numeric", "float8": "double precision"}


def check_token(col_type: str) -> str | None:
    """How `col > 0` renders for a column of this type; None if PostgreSQL rejects it (42883)."""
    cat = category(col_type)
    return {"int": "int", "numeric": "numeric", "float": "float8"}.get(cat)


def _clip(name: str, max_bytes: int) -> str:
    out = name
    while len(out.encode("utf-8")) > max_bytes:
        out = out[:-1]
    return out


def first_free_pkey_name(table: str, taken: set[str]) -> str:
    """PostgreSQL's ChooseRelationName(table, NULL, 'pkey'): `<table>_pkey`, then `_pkey1`, … (63-byte
    limit), avoiding `taken` (every relation and constraint name of the schema: PostgreSQL 15
    ConstraintNameExists)."""
    attempt = 0
    while True:
        label = "pkey" if attempt == 0 else f"pkey{attempt}"
        cand = f"{_clip(table, 63 - len(label) - 1)}_{label}"
        if cand not in taken:
            return cand
        attempt += 1


def index_matches(r: Relation | None, columns: tuple[str, ...]) -> bool:
    """`r` is a unique index on exactly `columns` (in any order): one a foreign key can rely on."""
    return isinstance(r, Index) and r.unique and set(r.columns) == set(columns) and len(r.columns) == len(columns)


def odd_array_name(name: str) -> bool:
    """Whether PostgreSQL may name `name`'s array type other than "_" + name: a name that begins with "_" can
    collide with another relation's array type (PostgreSQL then renames one or picks "_…_1"), and one of 63 bytes
    is truncated to fit the underscore (pinned in tests/test_model_renames.py)."""
    return name.startswith("_") or len(name.encode()) >= 63
