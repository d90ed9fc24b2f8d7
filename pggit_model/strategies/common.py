"""What the state-aware strategies share: reading the model's catalog, and keeping to what the model predicts."""

from __future__ import annotations

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State, step
from pggit_model.model.catalog import Table
from pggit_model.model.catalog_values import MatView, View
from pggit_model.ops.base import TEMP_SCHEMA

#: 0 one time in three
THIRD = st.integers(0, 2)


def predicted(state: State, op: ops.Op) -> bool:
    """The model predicts `op` exactly (not unspecified)."""
    return not step(state, op)[1].is_unspecified


def predicted_only(state: State, strategy: st.SearchStrategy[ops.Op]) -> st.SearchStrategy[ops.Op]:
    """`strategy` without the ops whose Expected is unspecified in `state` (B9 and the §12 exclusions)."""
    return strategy.filter(lambda op: predicted(state, op))


def user_schemas(state: State) -> frozenset[str]:
    """The schemas the model owns that a machine made (its own, further ones): all but the session's temporary
    schema, whose objects only the DDL row for temporary objects draws (strategies.ddl, V1, A8)."""
    return state.db.catalog.schemas - {TEMP_SCHEMA}


def tables_of(state: State, schema: str) -> list[tuple[str, Table]]:
    """(name, table) of every table of `schema` in the catalog, by name."""
    return sorted((n, r) for (s, n), r in state.db.catalog.relations.items() if s == schema and isinstance(r, Table))


def relations_of(state: State, schema: str, kind: type) -> list[str]:
    """Names of the relations of `schema` that are of `kind` (Table, View or Index), sorted."""
    return sorted(n for (s, n), r in state.db.catalog.relations.items() if s == schema and isinstance(r, kind))


def sources_elsewhere(state: State, schema: str) -> list[tuple[str, str, list[str]]]:
    """(schema, relation, its column names) of every table, view and materialized view with columns in another
    schema the model owns: what a view of `schema` may read across schemas (§14.3 N7)."""
    out = []
    for (s, n), r in sorted(state.db.catalog.relations.items()):
        if s != schema and s in state.db.catalog.schemas and isinstance(r, Table | View | MatView) and r.columns:
            out.append((s, n, [c.name for c in r.columns] if isinstance(r, Table) else [c for c, _ in r.columns]))
    return out


def across(draw: st.DrawFn, state: State, schema: str) -> tuple[str, str, list[str]] | None:
    """N7: a quarter of the time, when another owned schema holds one, a relation there for a view of `schema` to
    read (its schema, name and columns); else None, without a draw when there is none (single-schema machines draw
    as before)."""
    elsewhere = sources_elsewhere(state, schema)
    if not elsewhere or draw(st.integers(0, 3)) != 0:
        return None
    return draw(st.sampled_from(elsewhere))


def split_signature(sig: str) -> tuple[str, tuple[str, ...]]:
    """`name(integer, text)` -> ('name', ('integer', 'text'))."""
    name, args = sig[:-1].split("(", 1)
    return name, tuple(a for a in args.split(", ") if a)


def function_names(state: State, schema: str) -> list[str]:
    """The names of `schema`'s functions in the catalog, without their arguments, sorted."""
    return sorted({split_signature(sig)[0] for (s, sig) in state.db.catalog.functions if s == schema})
