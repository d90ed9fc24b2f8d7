"""Keys for the renames machine's looks (contract O10, R2): which `schema.name` keys a key change names, a suffixed
new name, and the rule helpers that run a key change and then ask the version API about the old and the new key."""

from __future__ import annotations

from pggit_model.machines.versioning import VersioningRules
from pggit_model.ops import (
    ComputeDdlHash,
    GetHistory,
    GetVersion,
    Op,
    RenameColumn,
    RenameConstraint,
    RenameFunction,
    RenameRelation,
    SetSchema,
    SetSearchPath,
)
from pggit_model.strategies.hash_calls import RELATION_KINDS
from pggit_model.strategies.values import suffixed


def keys_of(op: Op) -> list[str]:
    """The old and new `schema.name` keys a key-change op names (for the version API, O10)."""
    if isinstance(op, RenameRelation):
        return [f"{op.schema}.{op.name}", f"{op.schema}.{op.new_name}"]
    if isinstance(op, RenameColumn):
        t = f"{op.schema}.{op.table}"
        return [f"{t}.{op.column}", f"{t}.{op.new_name}", t]
    if isinstance(op, RenameConstraint):
        return [f"{op.schema}.{op.name}", f"{op.schema}.{op.new_name}", f"{op.schema}.{op.table}"]
    if isinstance(op, RenameFunction):
        args = ", ".join(op.arg_types)
        return [f"{op.schema}.{op.name}({args})", f"{op.schema}.{op.new_name}({args})"]
    if isinstance(op, SetSchema):
        name = op.signature if op.keyword == "FUNCTION" else op.name
        return [f"{op.schema}.{name}", f"{op.new_schema}.{name}"]
    return []


def renamed(name: str) -> str:
    """`name` with a suffix, within PostgreSQL's 63 bytes (a suffix that needs no quoting: names that do are
    drawn elsewhere, and a backend that mishandles them should not hide what it does with the rename)."""
    return suffixed(name, "_renamed")


class KeyLooks(VersioningRules):
    """The versioning rules, and a key change followed by the version API on the keys it names (R2, O10)."""

    def _look(self, keys: list[str]) -> None:
        """O10/R2: get_version and get_history of each key (the session searches only the machine's schema); and
        compute_ddl_hash of each relation key under every relation kind: its own kind's hash, NULL for the others
        and for an old key (H1, H10a) — a relation's name asked as another kind, which a lookup that lost its kind
        filter answers (a renamed view, index or materialized view asked as a TABLE)."""
        if self.model.session.search_path != (self.schema,):
            self.run(SetSearchPath((self.schema,)))
        for k in keys:
            self.run(GetVersion(k))
            self.run(GetHistory(k, 5))
            schema, _, name = k.partition(".")
            if schema in self.model.db.catalog.schemas and "(" not in name:  # (not a function's signature)
                self._hash_as_every_relation(schema, name)

    def _hash_as_every_relation(self, schema: str, name: str) -> None:
        """compute_ddl_hash of a relation key under every relation kind: its own kind's hash, NULL for the others
        and for a key no relation has (H1, H10a)."""
        for kind in RELATION_KINDS:
            self.run(ComputeDdlHash(kind, schema, name))

    def _key_change(self, op: Op) -> None:
        self.run(op)
        self._look(keys_of(op))
        self.harness.stats.rules.update(("R2", "O10"))
