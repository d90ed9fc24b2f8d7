"""What a hash call that takes (kind, schema, name) asks about (H1, H3): an object of the owned schemas, its kind
drawn first, sometimes asked as another kind or in another schema.

The kind is drawn before the name so that a schema's one view, index, materialized view or sequence is asked about
as often as its many columns and tables (drawn from all names at once, a view's name was a small share of a hash
call's draws). A third of the time the name is asked as another kind: relations share one namespace, so a lookup
that loses its kind filter finds the relation of that name (a view asked as a TABLE answers a hash instead of
NULL, H1); a materialized view and a sequence have no hashed kind of their own and are always asked as another."""

from __future__ import annotations

from hypothesis import strategies as st

from pggit_model.model import State
from pggit_model.model.catalog_values import Index, MatView, Table, View

#: compute_ddl_hash's kinds the strategies ask (COLUMN: a row kind H1 answers NULL for)
HASH_TYPES = ("TABLE", "VIEW", "INDEX", "FUNCTION", "COLUMN")
#: kinds whose lookup is by a relation's name (pg_class): a name of the one namespace asked as another of them
RELATION_KINDS = ("TABLE", "VIEW", "INDEX")
#: every kind of name drawn, in a fixed order (shrinks towards TABLE); the last two are relations without a hashed
#: kind of their own
NAME_KINDS = (*HASH_TYPES, "MATERIALIZED_VIEW", "SEQUENCE")
_CLASS_KIND = ((Table, "TABLE"), (View, "VIEW"), (Index, "INDEX"), (MatView, "MATERIALIZED_VIEW"))
#: how often the name is asked as another kind than its own (1 in 3)
_MISMATCH = st.integers(0, 2)


def named_objects(state: State) -> dict[str, list[tuple[str, str]]]:
    """(schema, name) of the owned schemas' objects by kind, each list sorted: the catalog's relations, sequences
    and functions (V5 signatures), and every row's key (a dropped object's too: H1's NULL for a missing one)."""
    cat = state.db.catalog
    owned = cat.schemas
    found: dict[str, set[tuple[str, str]]] = {}
    for (s, n), r in cat.relations.items():
        kind = next((k for cls, k in _CLASS_KIND if isinstance(r, cls)), None)
        if s in owned and kind is not None:
            found.setdefault(kind, set()).add((s, n))
    for (s, n), u in cat.usables.items():
        if s in owned and u.what == "SEQUENCE":
            found.setdefault("SEQUENCE", set()).add((s, n))
    for s, n in cat.functions:
        if s in owned:
            found.setdefault("FUNCTION", set()).add((s, n))
    for k in state.db.rows:
        if k[1] in owned and k[0] in HASH_TYPES:
            found.setdefault(k[0], set()).add((k[1], k[2]))
    return {k: sorted(found[k]) for k in NAME_KINDS if found.get(k)}


def owned_object(draw: st.DrawFn, state: State) -> tuple[str, str, str] | None:
    """Half the time, (type, schema, name) of an object of an owned schema — its kind drawn first, asked as another
    kind a third of the time, and half of those asked in another owned schema, where the same name may or may not
    exist (a lookup that loses its schema filter finds the other one); else None."""
    by_kind = named_objects(state)
    if not by_kind or not draw(st.booleans()):
        return None
    kinds = list(by_kind)
    kind = kinds[draw(st.integers(0, len(kinds) - 1))]
    schema, name = by_kind[kind][draw(st.integers(0, len(by_kind[kind]) - 1))]
    typ = kind
    if kind not in HASH_TYPES or draw(_MISMATCH) == 0:
        # cross-kind reuse: NULL (H1), unless the lookup lost its kind filter; a relation's name as another kind
        # of relation, which shares its namespace
        others = [k for k in (RELATION_KINDS if kind not in ("FUNCTION", "COLUMN") else HASH_TYPES) if k != kind]
        typ = others[draw(st.integers(0, len(others) - 1))]
    others_s = sorted(state.db.catalog.schemas - {schema})
    if len(others_s) > 0 and draw(st.booleans()):
        schema = others_s[draw(st.integers(0, len(others_s) - 1))]
    return typ, schema, name
