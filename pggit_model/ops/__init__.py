"""The one operation vocabulary shared by the model, the client, reproducers and replay scripts.

Every op is a frozen attrs value validated at construction (`InvalidOp` names the bad field), its `repr`
is the constructor call (evaluable with `from pggit_model.ops import *`), `op.sql()` is a psycopg
`Composable` and `op.to_sql()` the same statement as plain text, renderable without a connection."""

from pggit_model.ops.base import MAX_IDENTIFIER_BYTES, Op, identifier_problem
from pggit_model.ops.calls import *  # noqa: F403
from pggit_model.ops.calls import __all__ as _calls_all
from pggit_model.ops.damage import *  # noqa: F403
from pggit_model.ops.damage import __all__ as _damage_all
from pggit_model.ops.ddl import *  # noqa: F403
from pggit_model.ops.ddl import __all__ as _ddl_all
from pggit_model.ops.dependents import *  # noqa: F403
from pggit_model.ops.dependents import __all__ as _dependents_all
from pggit_model.ops.drift import *  # noqa: F403
from pggit_model.ops.drift import __all__ as _drift_all
from pggit_model.ops.events import *  # noqa: F403
from pggit_model.ops.events import __all__ as _events_all
from pggit_model.ops.frame import *  # noqa: F403
from pggit_model.ops.frame import __all__ as _frame_all
from pggit_model.ops.kinds import *  # noqa: F403
from pggit_model.ops.kinds import __all__ as _kinds_all
from pggit_model.ops.rows import *  # noqa: F403
from pggit_model.ops.rows import __all__ as _rows_all
from pggit_model.ops.txn import *  # noqa: F403
from pggit_model.ops.txn import __all__ as _txn_all
from pggit_model.ops.types import canonical_type

ALL_OPS = (*DDL_OPS, *CALL_OPS, *TXN_OPS, *SESSION_OPS, *EVENT_OPS, *DAMAGE_OPS, *DRIFT_OPS)  # noqa: F405

__all__ = ["ALL_OPS", "MAX_IDENTIFIER_BYTES", "Op", "canonical_type", "identifier_problem",
           *_calls_all, *_damage_all, *_dependents_all, *_ddl_all, *_drift_all, *_events_all, *_frame_all,
           *_kinds_all, *_rows_all, *_txn_all]
