"""More than one tracked schema per example, search paths over them, and unqualified names (V1, V5, V17–V19, H7).

An example whose tracked objects all live in one schema cannot tell "only this schema" from "every schema"
(show_table_versions, export_schema_hashes), nor a lookup through search_path from one of the qualified name
(V17 step 2). These strategies give the first-model machines a second (and third) schema of their own, named so
that it needs quoting or nearly spells a schema V1 excludes (`Pggit`, `pg`, `information_schema2` are tracked
like any other), with the same object names as the machine's schema, and lookups that reach them by search_path.
Now and then the further schema is one V1 does exclude (`pggit<run>`, "pggit Archive <run>"): the same DDL there
leaves no row, so every answer about it (show_table_versions, export_schema_hashes, get_version) is empty, and a
backend whose schema filter tests `= 'pggit'` instead of the prefix shows rows there.

Names derive from the machine's schema (its run id, I5), so examples running at once never share a schema.
"""

from __future__ import annotations

from hypothesis import strategies as st

from pggit_model.model import State
from pggit_model.ops import Column, ComputeDdlHash, CreateFunction, CreateTable, DropFunction, DropTable, Op
from pggit_model.strategies.common import function_names, split_signature, tables_of, user_schemas

#: Suffixes of the extra schemas: one that needs quoting, one with a quote, and near misses of V1's exclusions.
_SUFFIXES = (" Zwei", '"q', "_pggit", "_pg_temp", "_information_schema")
#: Whole names that nearly spell what V1 excludes (tracked: V1 excludes `pggit*`, not `Pggit`).
_NEAR_SPECIAL = ("Pggit", "PG_CATALOG", "information_schema2", "pg")
#: Prefixes of names V1 does exclude (`pggit*`) that pgGit never creates (its own: `pggit`, `pggit_*`).
_EXCLUDED_USER = ("pggit", "pggit Archive ")


def extra_schema_names(schema: str) -> tuple[str, ...]:
    """Names for further schemas of the machine whose own schema is `schema`: derived from it (never shared
    between examples running at once), most needing quoting; then ones that nearly spell V1's exclusions and ones
    V1 excludes, made unique by `schema`'s run id."""
    run = schema.rsplit("_", 1)[-1]
    return (*(schema + s for s in _SUFFIXES), *(f"{n}{run}" for n in (*_NEAR_SPECIAL, *_EXCLUDED_USER)))


def owned_schemas(state: State, schema: str) -> list[str]:
    """The schemas the model owns, the machine's first."""
    return [schema, *sorted(user_schemas(state) - {schema})]


def other_schemas(state: State, schema: str) -> list[str]:
    """The schemas the model owns besides `schema` (not the temporary one)."""
    return sorted(user_schemas(state) - {schema})


def search_paths(state: State, schema: str) -> st.SearchStrategy[tuple[str, ...]]:
    """search_path over owned schemas only (public's demo objects are outside the model, I5): the machine's
    schema alone, or with another owned schema before or after it (the same name in both: the first one wins,
    V17 step 2)."""
    others = other_schemas(state, schema)
    if not others:
        return st.just((schema,))
    return st.sampled_from(others).flatmap(
        lambda o: st.sampled_from([(o, schema), (schema, o), (o,), (schema,)]))


def unqualified_names(state: State) -> list[str]:
    """The object names (V5, without schema) of rows on c in owned schemas, active ones and dropped ones."""
    owned = state.db.catalog.schemas
    return sorted({n for (_k, s, n, b) in state.db.rows if s in owned and b == state.c})


def shadowed_names(state: State, path: tuple[str, ...]) -> list[str]:
    """The names of `unqualified_names` that two or more schemas of `path` hold on c: the path's order decides
    which one an unqualified lookup finds (V17 step 2), where a name only one schema holds cannot tell."""
    holders: dict[str, set[str]] = {}
    for (_k, s, n, b) in state.db.rows:
        if s in path and b == state.c:
            holders.setdefault(n, set()).add(s)
    return sorted(n for n, ss in holders.items() if len(ss) > 1)


def twins(state: State, schema: str, other: str) -> list[Op]:
    """CREATEs that give `other` an object named as one `schema` holds, with another definition: a function of
    the same signature with another body, a table of the same name with other columns. Two objects under one
    name, which a lookup that loses its schema filter mixes up (blind spot 7: `_function_oid`, merge's lookups)."""
    cat = state.db.catalog
    out: list[Op] = []
    for (s, sig), f in sorted(cat.functions.items()):
        if s == schema and (other, sig) not in cat.functions:
            name, args = split_signature(sig)
            out.append(CreateFunction(other, name, args, f.body % 1000 + 1))
    for name, _ in tables_of(state, schema):
        if cat.rel(other, name) is None:
            out.append(CreateTable(other, name, (Column("twin", "integer"),)))
    return out


def kind_twins(state: State, schema: str) -> list[Op]:
    """CREATEs that give `schema` a function named as one of its tables (relations and functions have namespaces
    of their own): two objects of two kinds under one name, which a lookup that matches names without their kind
    mixes up, as `twins` across schemas. (Their V5 keys differ, `f()` and `f`: §12 keeps '(' and '.' out of
    names, so no name can spell a function's or a column's key.)"""
    functions = function_names(state, schema)
    return [CreateFunction(schema, name, (), 1) for name, _ in tables_of(state, schema) if name not in functions]


def twin_hashes(state: State, schema: str, other: str) -> list[Op]:
    """compute_ddl_hash (H1–H3) of each name that `schema` and `other` both hold as a function or a table, asked
    in either schema: each answer must be its own schema's object's."""
    cat = state.db.catalog
    out: list[Op] = []
    for (s, sig) in sorted(cat.functions):
        if s == schema and (other, sig) in cat.functions:
            out += [ComputeDdlHash("FUNCTION", schema, sig), ComputeDdlHash("FUNCTION", other, sig)]
    for name, _ in tables_of(state, schema):
        if (other, name) in cat.relations and name in dict(tables_of(state, other)):
            out += [ComputeDdlHash("TABLE", schema, name), ComputeDdlHash("TABLE", other, name)]
    return out


def twin_drops(state: State, schema: str) -> list[Op]:
    """DROP … CASCADE of each function or table of `schema` (with an active row on c, B9) whose name another owned
    schema holds too, or an object of the other kind in `schema` (kind_twins): on a branch, then merged back, the
    target takes ⊥ for that key only (M3)."""
    from pggit_model.strategies.targeted import droppable  # (targeted imports the strategies package)

    cat = state.db.catalog
    others = set(other_schemas(state, schema))
    functions = function_names(state, schema)
    out: list[Op] = []
    for kind, name in droppable(state, schema):
        fname, args = split_signature(name) if kind == "FUNCTION" else (name, ())
        if kind == "FUNCTION" and (any((o, name) in cat.functions for o in others)
                                   or cat.rel(schema, fname) is not None):
            out.append(DropFunction(schema, fname, args, False, True))
        elif kind == "TABLE" and (any(isinstance(cat.rel(o, name), type(cat.rel(schema, name))) for o in others)
                                  or name in functions):
            out.append(DropTable(schema, name, False, True))
    return out


__all__ = ["extra_schema_names", "kind_twins", "other_schemas", "owned_schemas", "search_paths", "shadowed_names",
           "twin_drops", "twin_hashes", "twins", "unqualified_names"]
