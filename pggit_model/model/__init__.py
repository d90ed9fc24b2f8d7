"""The reference model of shared/pggit-contract.md: `step(state, op) -> (state, Expected)`, pure.

    from pggit_model.model import initial_state, step
    state = initial_state(schemas=("mc_1",))
    state, expected = step(state, CreateTable("mc_1", "t", [Column("id", "integer")]))
"""

from pggit_model.model import observe
from pggit_model.model.calls import btrim, resolve, sha256hex
from pggit_model.model.catalog import Catalog, structure, table_shape
from pggit_model.model.engine import run, session_lost, step
from pggit_model.model.expected import (
    ANY,
    CheckContext,
    CommitRef,
    Expected,
    HashOf,
    IsInt,
    Matches,
    MergeRef,
    MergeResult,
    NewCommitId,
    NewTrinityId,
    Pred,
    TrinityRef,
)
from pggit_model.model.state import (
    HISTORY_GAP,
    Branch,
    Change,
    CommitRow,
    Conflict,
    Counters,
    Db,
    Row,
    Session,
    State,
    Txn,
    Unspecified,
    bind,
    initial_state,
)

__all__ = [
    "ANY", "HISTORY_GAP", "Branch", "Catalog", "Change", "CheckContext", "CommitRef", "CommitRow", "Conflict",
    "Counters", "Db", "Expected", "HashOf", "IsInt", "Matches", "MergeRef", "MergeResult", "NewCommitId",
    "NewTrinityId", "Pred", "Row", "Session", "State", "TrinityRef", "Txn", "Unspecified", "bind", "btrim",
    "initial_state", "observe", "resolve", "run", "session_lost", "sha256hex", "step", "structure", "table_shape",
]
