"""Hypothesis strategies that draw ops for a given model state — mostly valid, sometimes deliberately not.

    @rule(data=st.data())
    def ddl(self, data):
        self.run(data.draw(ddl_ops(self.state, self.schema)))

Every state-aware strategy avoids ops whose Expected is `unspecified` (B9 and the §12 exclusions), so
whatever it draws the model predicts exactly. Pass `invalid=0.0` for only valid ops.

Across areas: `limits` (every limit the contract states, and `near(limit)` drawing its edges), `hostile`
(hostile text for every text argument, and every invalid shape of a name argument equally often), `reuse`
(identical repeats and values reused across functions), `defaults` (calls that leave defaulted arguments out),
`schemas` (further tracked schemas of an example, search paths over them, unqualified names).

By area: `values` (identifiers, types, defaults, text, branch names), `ddl` (random DDL, drawn from the
table `DDL_DRAWERS`; its ALTER TABLE from `ALTER_ACTIONS` and `CONSTRAINT_DRAWERS`, in `alter`), `calls`
(branches, commits, transactions, lookups, merges, Trinity IDs, session settings) and `targeted` (one contract
rule each).
"""

from __future__ import annotations

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.model import State
from pggit_model.ops.cascades import outside_block
from pggit_model.strategies.alter import ALTER_ACTIONS, CONSTRAINT_DRAWERS
from pggit_model.strategies.calls import (
    branch_ops,
    call_ops,
    commit_ops,
    merge_ops,
    session_ops,
    trinity_ops,
    txn_ops,
)
from pggit_model.strategies.ddl import DDL_DRAWERS, ddl_ops, single_changes, temporary_ddl
from pggit_model.strategies.hostile import hostile_kind, hostile_text
from pggit_model.strategies.limits import LIMITS, near, near_value
from pggit_model.strategies.reuse import Recent, repeats
from pggit_model.strategies.targeted import (
    default_changes,
    drop_ops,
    droppable,
    has_default_target,
    new_functions,
    new_tables_with_a_column,
    same_definition_replacements,
    table_changes,
    tracked_tables,
)
from pggit_model.strategies.values import (
    COLUMN_TYPES,
    LONG,
    QUOTED,
    RESERVED,
    UNICODE,
    branch_names,
    column_types,
    columns,
    defaults_for,
    identifiers,
    messages,
    names,
    sql_texts,
    texts,
)


def ops_for(state: State, schema: str, prefix: str = "", invalid: float = 0.1) -> st.SearchStrategy[ops.Op]:
    """Any op of the vocabulary, weighted towards DDL, fitting `state` and predicted exactly by the model."""
    if state.aborted:
        return st.one_of(txn_ops(state), txn_ops(state), ddl_ops(state, schema, invalid))
    return st.one_of(ddl_ops(state, schema, invalid), ddl_ops(state, schema, invalid), ddl_ops(state, schema, invalid),
                     ddl_ops(state, schema, invalid), branch_ops(state, prefix, invalid),
                     commit_ops(state, prefix, invalid), txn_ops(state), call_ops(state, schema), merge_ops(state),
                     st.one_of(trinity_ops(), session_ops(schema)))


def struck_ddl(state: State, schema: str) -> st.SearchStrategy[ops.Op]:
    """DDL a fault may strike (pggit_model.faults): valid, inside a block (CONCURRENTLY interrupted leaves an
    INVALID index behind: §14.8, X13(c), B10), and reaching the faults' event trigger, so that whether the fault
    struck depends on the statement alone, never on timing."""
    return ddl_ops(state, schema, invalid=0.0).filter(lambda o: not outside_block(o) and o.fires_event_trigger)


__all__ = [
    "ALTER_ACTIONS", "COLUMN_TYPES", "CONSTRAINT_DRAWERS", "DDL_DRAWERS", "LIMITS", "LONG", "QUOTED", "RESERVED",
    "UNICODE", "Recent", "branch_names", "branch_ops", "call_ops", "column_types", "columns", "commit_ops",
    "ddl_ops", "default_changes", "defaults_for", "drop_ops", "droppable", "has_default_target", "hostile_kind",
    "hostile_text", "identifiers", "merge_ops", "messages", "names", "near", "near_value", "new_functions",
    "new_tables_with_a_column", "ops_for", "repeats", "same_definition_replacements", "session_ops",
    "single_changes", "sql_texts", "struck_ddl", "table_changes", "temporary_ddl", "texts", "tracked_tables",
    "trinity_ops", "txn_ops",
]
