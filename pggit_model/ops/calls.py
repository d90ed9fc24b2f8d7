"""pgGit API calls (contract §4), rendered positionally with casts, every argument explicit unless `omitted` says
how many trailing defaulted arguments are left out (the server fills in the contract's defaults, §4).

`result` says how the client reads the answer: "scalar" (the single value) or "rows" (a list of rows,
compared on the columns the model's Expected names)."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from attrs import Attribute, field, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.ops.base import Op, _fail, as_tuple, boolean, lit, one_of, opt_text

OBJECT_TYPES = ("SCHEMA", "TABLE", "COLUMN", "INDEX", "CONSTRAINT", "VIEW", "MATERIALIZED_VIEW", "FUNCTION",
                "PROCEDURE", "TRIGGER", "TYPE", "SEQUENCE", "PARTITION", "BRANCH", "COMMIT", "TAG")
BRANCH_STATUSES = ("ACTIVE", "MERGED", "DELETED", "CONFLICTED")


def _call(fn: str, *args: tuple[Any, str] | Composable, omitted: int = 0) -> Composable:
    rendered = [a if isinstance(a, Composable) else sql.SQL("{}::{}").format(lit(a[0]), sql.SQL(a[1]))
                for a in args[:len(args) - omitted]]
    return sql.SQL("SELECT * FROM pggit.{}({})").format(sql.SQL(fn), sql.SQL(", ").join(rendered))


def _opt_int(inst: Any, attr: Attribute, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        _fail(inst, attr, value, "must be an int or None")


class Call(Op):
    family: ClassVar[str] = "call"
    result: ClassVar[str] = "scalar"


def _omittable(inst: Any, attr: Attribute, value: Any) -> None:
    """Only trailing arguments that hold their contract default can be left out of the call."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        _fail(inst, attr, value, "must be an int >= 0")
    args = [a for a in attrs.fields(type(inst)) if a.name != attr.name]
    tail = args[len(args) - value:] if value else []
    if value > len(args) or any(a.default is attrs.NOTHING or getattr(inst, a.name) != a.default for a in tail):
        _fail(inst, attr, value, "can leave out only trailing arguments equal to their defaults")


def _omitted() -> Any:
    # kw_only and last, so positional construction is unchanged; validated after the other fields are set
    return field(default=0, kw_only=True, validator=_omittable)


def _repr(self: Any) -> str:
    """The constructor call, `omitted` only when arguments are left out (so reprs stay as they were)."""
    shown = [f"{a.name}={getattr(self, a.name)!r}" for a in attrs.fields(type(self))
             if a.name != "omitted" or self.omitted]
    return f"{type(self).__name__}({', '.join(shown)})"


@frozen
class GetVersion(Call):
    """`pggit.get_version(name)` — V17."""

    name: str | None = field(validator=opt_text)

    kind: ClassVar[str] = "get_version"
    result: ClassVar[str] = "rows"

    def sql(self) -> Composable:
        return _call("get_version", (self.name, "text"))


@frozen
class GetHistory(Call):
    """`pggit.get_history(name, limit)` — V18."""

    name: str | None = field(validator=opt_text)
    limit: int | None = field(default=10, validator=_opt_int)
    omitted: int = _omitted()

    __repr__ = _repr
    kind: ClassVar[str] = "get_history"
    result: ClassVar[str] = "rows"

    def sql(self) -> Composable:
        return _call("get_history", (self.name, "text"), (self.limit, "integer"), omitted=self.omitted)


@frozen
class ShowTableVersions(Call):
    """`pggit.show_table_versions(schema)` — V19."""

    schema: str | None = field(default="public", validator=opt_text)
    omitted: int = _omitted()

    __repr__ = _repr
    kind: ClassVar[str] = "show_table_versions"
    result: ClassVar[str] = "rows"

    def sql(self) -> Composable:
        return _call("show_table_versions", (self.schema, "text"), omitted=self.omitted)


@frozen
class CreateBranch(Call):
    """`pggit.create_branch(name, parent, copy_data)` — B2–B5; returns the new branch's id (informational)."""

    name: str | None = field(validator=opt_text)
    parent: str | None = field(default="main", validator=opt_text)
    copy_data: bool = field(default=False, validator=boolean)
    omitted: int = _omitted()

    __repr__ = _repr
    kind: ClassVar[str] = "create_branch"

    def sql(self) -> Composable:
        return _call("create_branch", (self.name, "text"), (self.parent, "text"), (self.copy_data, "boolean"),
                     omitted=self.omitted)


@frozen
class CheckoutBranch(Call):
    """`pggit.checkout_branch(name)` — B6."""

    name: str | None = field(validator=opt_text)

    kind: ClassVar[str] = "checkout_branch"

    def sql(self) -> Composable:
        return _call("checkout_branch", (self.name, "text"))


@frozen
class DeleteBranch(Call):
    """`pggit.delete_branch(name, force)` — B10."""

    name: str | None = field(validator=opt_text)
    force: bool = field(default=False, validator=boolean)
    omitted: int = _omitted()

    __repr__ = _repr
    kind: ClassVar[str] = "delete_branch"
    result: ClassVar[str] = "rows"

    def sql(self) -> Composable:
        return _call("delete_branch", (self.name, "text"), (self.force, "boolean"), omitted=self.omitted)


@frozen
class ListBranches(Call):
    """`pggit.list_branches(status, inactive_days)` — B11."""

    status: str | None = field(default=None, validator=one_of(None, *BRANCH_STATUSES))
    inactive_days: int | None = field(default=None, validator=_opt_int)

    kind: ClassVar[str] = "list_branches"
    result: ClassVar[str] = "rows"

    def sql(self) -> Composable:
        return _call("list_branches", (self.status, "pggit.branch_status"), (self.inactive_days, "integer"))


def _uuids(inst: Any, attr: Attribute, value: Any) -> None:
    if value is not None and (not isinstance(value, tuple) or not all(isinstance(v, str) for v in value)):
        _fail(inst, attr, value, "must be None or a tuple of uuid strings")


@frozen
class CreateCommit(Call):
    """`pggit.create_commit(branch, message, sql, parent_ids)` — C1–C6; returns a uuid."""

    branch: str | None = field(validator=opt_text)
    message: str | None = field(validator=opt_text)
    sql_text: str | None = field(validator=opt_text)
    parent_ids: tuple[str, ...] | None = field(default=None, converter=as_tuple, validator=_uuids)

    kind: ClassVar[str] = "create_commit"

    def sql(self) -> Composable:
        if self.parent_ids is None:
            parents: Composable = sql.SQL("NULL::uuid[]")
        else:
            parents = sql.SQL("ARRAY[{}]::uuid[]").format(sql.SQL(", ").join([lit(p) for p in self.parent_ids]))
        return _call("create_commit", (self.branch, "text"), (self.message, "text"), (self.sql_text, "text"),
                     parents)


@frozen
class CommitChanges(Call):
    """`pggit.commit_changes(branch, message, custom_id)` — C7; returns a Trinity ID or the custom id."""

    branch: str | None = field(validator=opt_text)
    message: str | None = field(default="", validator=opt_text)
    custom_id: str | None = field(default=None, validator=opt_text)
    omitted: int = _omitted()

    __repr__ = _repr
    kind: ClassVar[str] = "commit_changes"

    def sql(self) -> Composable:
        return _call("commit_changes", (self.branch, "text"), (self.message, "text"), (self.custom_id, "text"),
                     omitted=self.omitted)


@frozen
class GenerateTrinityId(Call):
    """`pggit.generate_trinity_id()` — T1–T7."""

    kind: ClassVar[str] = "generate_trinity_id"

    def sql(self) -> Composable:
        return sql.SQL("SELECT * FROM pggit.generate_trinity_id()")


def _count(inst: Any, attr: Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1000:
        _fail(inst, attr, value, "must be an int in 1..1000")


@frozen
class GenerateTrinityIds(Call):
    """`count` calls of `generate_trinity_id()` in one statement — T9 (one row each, in call order)."""

    count: int = field(validator=_count)

    kind: ClassVar[str] = "generate_trinity_ids"
    result: ClassVar[str] = "rows"

    def sql(self) -> Composable:
        return sql.SQL("SELECT pggit.generate_trinity_id() AS id FROM generate_series(1, {}) AS g(n) ORDER BY n") \
            .format(lit(self.count))


def _seq_value(inst: Any, attr: Attribute, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value < 2**63 - 1:
        _fail(inst, attr, value, "must be an int in 1..2^63-2 (T8; exhausting the sequence is out of scope)")


@frozen
class SetTrinitySequence(Call):
    """`setval('pggit.trinity_id_seq', value)`: the next Trinity ID uses value + 1 — T3, T8."""

    value: int = field(validator=_seq_value)

    kind: ClassVar[str] = "set_trinity_sequence"

    def sql(self) -> Composable:
        return sql.SQL("SELECT setval('pggit.trinity_id_seq', {}::bigint)").format(lit(self.value))


@frozen
class ComputeDdlHash(Call):
    """`pggit.compute_ddl_hash(object_type, schema, name)` — H1–H3."""

    object_type: str | None = field(validator=one_of(None, *OBJECT_TYPES))
    schema: str | None = field(validator=opt_text)
    name: str | None = field(validator=opt_text)

    kind: ClassVar[str] = "compute_ddl_hash"

    def sql(self) -> Composable:
        return _call("compute_ddl_hash", (self.object_type, "pggit.object_type"), (self.schema, "text"),
                     (self.name, "text"))


@frozen
class ComputeTableComponentHashes(Call):
    """`pggit.compute_table_component_hashes(schema, table)` — H4."""

    schema: str | None = field(validator=opt_text)
    table: str | None = field(validator=opt_text)

    kind: ClassVar[str] = "compute_table_component_hashes"
    result: ClassVar[str] = "rows"

    def sql(self) -> Composable:
        return _call("compute_table_component_hashes", (self.schema, "text"), (self.table, "text"))


@frozen
class UpdateAllHashes(Call):
    """`pggit.update_all_hashes()` — H5."""

    kind: ClassVar[str] = "update_all_hashes"
    result: ClassVar[str] = "rows"

    def sql(self) -> Composable:
        return sql.SQL("SELECT * FROM pggit.update_all_hashes()")


@frozen
class DetectChangesByHash(Call):
    """`pggit.detect_changes_by_hash()` — H6."""

    kind: ClassVar[str] = "detect_changes_by_hash"
    result: ClassVar[str] = "rows"

    def sql(self) -> Composable:
        return sql.SQL("SELECT * FROM pggit.detect_changes_by_hash()")


@frozen
class ExportSchemaHashes(Call):
    """`pggit.export_schema_hashes(schema)` — H7."""

    schema: str | None = field(default="public", validator=opt_text)
    omitted: int = _omitted()

    __repr__ = _repr
    kind: ClassVar[str] = "export_schema_hashes"
    result: ClassVar[str] = "rows"

    def sql(self) -> Composable:
        return _call("export_schema_hashes", (self.schema, "text"), omitted=self.omitted)


@frozen
class MergeBranches(Call):
    """`pggit.merge_branches(source, target, message)` — M1–M6."""

    source: str | None = field(validator=opt_text)
    target: str | None = field(validator=opt_text)
    message: str | None = field(default="Merge branch", validator=opt_text)
    omitted: int = _omitted()

    __repr__ = _repr
    kind: ClassVar[str] = "merge_branches"

    def sql(self) -> Composable:
        return _call("merge_branches", (self.source, "text"), (self.target, "text"), (self.message, "text"),
                     omitted=self.omitted)


CALL_OPS = (GetVersion, GetHistory, ShowTableVersions, CreateBranch, CheckoutBranch, DeleteBranch, ListBranches,
            CreateCommit, CommitChanges, GenerateTrinityId, GenerateTrinityIds, SetTrinitySequence,
            ComputeDdlHash, ComputeTableComponentHashes, UpdateAllHashes, DetectChangesByHash,
            ExportSchemaHashes, MergeBranches)

__all__ = [
    "BRANCH_STATUSES", "CALL_OPS", "OBJECT_TYPES", "Call", "CheckoutBranch", "CommitChanges",
    "ComputeDdlHash", "ComputeTableComponentHashes", "CreateBranch", "CreateCommit", "DeleteBranch",
    "DetectChangesByHash", "ExportSchemaHashes", "GenerateTrinityId", "GenerateTrinityIds", "GetHistory",
    "GetVersion", "ListBranches", "MergeBranches", "SetTrinitySequence", "ShowTableVersions",
    "UpdateAllHashes",
]
