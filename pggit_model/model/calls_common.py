"""What the API-call handlers of the model share: their result type, the hashed kinds, §0's digest, C7's trim, a
rejected call, and U3's leaving out of rows about drifted objects."""

from __future__ import annotations

import hashlib

from pggit_model.model.expected import Expected
from pggit_model.model.state import State

Result = tuple[State, Expected]
HASHED_KINDS = ("TABLE", "VIEW", "INDEX", "FUNCTION")


def sha256hex(text: str) -> str:
    """§0: lowercase hex SHA-256 of the UTF-8 bytes (C2's tree_hash)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def btrim(text: str) -> str:
    """C7: SQL btrim(x) — leading and trailing spaces only, not tabs or newlines."""
    return text.strip(" ")


def reject(state: State, rule: str, why: str) -> Result:
    return state, Expected.error(None, rule=rule, why=why)


def drift_names(state: State, op: Expected, column: str, full: bool) -> Expected:
    """Rows about objects drift created or dropped left out on both sides (U3: unspecified); with ``full`` the
    column holds full names, else table names (a table counts if it or one of its columns is unknown)."""
    if not state.db.unknown:
        return op
    if full:
        names = {f"{k[1]}.{k[2]}" for k in state.db.unknown}
    else:
        names = {k[2].split(".", 1)[0] for k in state.db.unknown if k[0] in ("TABLE", "COLUMN")}
    return op.without(column, names)


__all__ = ["HASHED_KINDS", "Result", "btrim", "drift_names", "reject", "sha256hex"]
