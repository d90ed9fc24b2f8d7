"""U4: what the model gives up on after damage to pgGit's own tables or settings (pure).

Damage is not predicted (the write may even fail: pgGit's constraints are pgGit's business), and afterwards the
model no longer says what pgGit's rows are for the damaged keys. Everything else stays checked: other objects'
rows and history, branches, commits, Trinity IDs, and every statement's outcome and the catalog against the twin
(V21, which U4 says holds after damage too).
"""

from __future__ import annotations

from typing import Any

from pggit_model.model.catalog_values import Index
from pggit_model.model.state import State
from pggit_model.ops import Op
from pggit_model.ops.damage import (
    DamageCurrentBranch,
    DeleteHistory,
    DeleteObjectRow,
    SetCurrentBranchSetting,
    SetVersion,
)

#: check areas (checkers.AREAS) -> keys given up on; "*" is the whole area
GivenUp = dict[str, set[Any]]


def given_up(state: State, op: Op) -> GivenUp:
    """The areas and row keys whose pgGit rows the model stops predicting once ``op`` damaged them."""
    if isinstance(op, DeleteHistory | SetVersion):
        return {"objects": {(op.object_type, op.schema, op.name, "*")}}
    if isinstance(op, DeleteObjectRow):
        keys = {(op.object_type, op.schema, op.name, "*")}
        if op.object_type == "TABLE":
            # Its columns and indexes: a backend may well re-create them with the table's new row.
            keys |= {(k[0], k[1], k[2], "*") for k in state.db.rows
                     if k[1] == op.schema and k[0] == "COLUMN" and k[2].startswith(f"{op.name}.")}
            keys |= {("INDEX", op.schema, n, "*") for (s, n), r in state.db.catalog.relations.items()
                     if s == op.schema and isinstance(r, Index) and r.table == op.name}
        return {"objects": keys}
    if isinstance(op, DamageCurrentBranch | SetCurrentBranchSetting):
        # Where DDL is recorded now, and what becomes of branches, heads and commits, is the backend's choice.
        return {"objects": {"*"}, "branches": {"*"}, "commits": {"*"}, "current": {"*"}, "ddl_hashes": {"*"}}
    return {}


__all__ = ["GivenUp", "given_up"]
