"""What every operation shares: validation that names the bad field, and SQL rendering without a connection."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

from attrs import Attribute, frozen
from psycopg import sql
from psycopg.sql import Composable

from pggit_model.errors import InvalidOp
from pggit_model.ops.types import canonical_arg_type, canonical_type

MAX_IDENTIFIER_BYTES = 63  # NAMEDATALEN - 1: longer names are truncated by PostgreSQL, so we refuse them
#: How an op addresses the session's temporary objects (§14 A8): `pg_temp.name` is PostgreSQL's alias of the
#: session's own pg_temp_N, so a temporary object is any op's `schema` value, not an op class of its own.
TEMP_SCHEMA = "pg_temp"


def _fail(inst: Any, attr: Attribute | str, value: Any, why: str) -> None:
    name = attr if isinstance(attr, str) else attr.name
    owner = type(inst).__name__ if inst is not None else "op"
    raise InvalidOp(f"{owner}.{name}: {why}; got {value!r}")


def identifier_problem(value: Any) -> str | None:
    """Why `value` cannot be an identifier of the vocabulary, or None."""
    if not isinstance(value, str):
        return "must be a string"
    if not value:
        return "must not be empty"
    if "\x00" in value:
        return "must not contain NUL (PostgreSQL text cannot hold it)"
    if len(value.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
        return f"must be at most {MAX_IDENTIFIER_BYTES} bytes in UTF-8 (PostgreSQL would truncate it)"
    if any(ch in value for ch in ".()"):
        return "must not contain '.', '(' or ')' (outside the first model, contract §12)"
    return None


def ident(inst: Any, attr: Attribute, value: Any) -> None:
    if (why := identifier_problem(value)) is not None:
        _fail(inst, attr, value, why)


def opt_ident(inst: Any, attr: Attribute, value: Any) -> None:
    if value is not None:
        ident(inst, attr, value)


def idents(inst: Any, attr: Attribute, value: Any) -> None:
    if not isinstance(value, tuple):
        _fail(inst, attr, value, "must be a tuple of identifiers")
    for v in value:
        if (why := identifier_problem(v)) is not None:
            _fail(inst, attr, value, f"element {v!r} {why}")


def nonempty_idents(inst: Any, attr: Attribute, value: Any) -> None:
    idents(inst, attr, value)
    if not value:
        _fail(inst, attr, value, "must name at least one column")
    if len(set(value)) != len(value):
        _fail(inst, attr, value, "must not repeat a column")


def text(inst: Any, attr: Attribute, value: Any) -> None:
    if not isinstance(value, str):
        _fail(inst, attr, value, "must be a string")
    if "\x00" in value:
        _fail(inst, attr, value, "must not contain NUL (PostgreSQL text cannot hold it)")


def opt_text(inst: Any, attr: Attribute, value: Any) -> None:
    if value is not None:
        text(inst, attr, value)


def boolean(inst: Any, attr: Attribute, value: Any) -> None:
    if not isinstance(value, bool):
        _fail(inst, attr, value, "must be True or False")


def as_tuple(value: Any) -> Any:
    """Lists become tuples so ops stay hashable; anything else is left for the validator to judge."""
    return tuple(value) if isinstance(value, list | tuple) else value


def type_converter(value: Any) -> Any:
    try:
        return canonical_type(value)
    except ValueError as e:
        raise InvalidOp(f"type: {e}") from None


def arg_types_converter(value: Any) -> Any:
    if not isinstance(value, list | tuple):
        raise InvalidOp(f"arg_types: must be a tuple of type names; got {value!r}")
    try:
        return tuple(canonical_arg_type(v) for v in value)
    except ValueError as e:
        raise InvalidOp(f"arg_types: {e}") from None


def one_of(*allowed: Any) -> Callable[[Any, Attribute, Any], None]:
    def check(inst: Any, attr: Attribute, value: Any) -> None:
        if value not in allowed:
            _fail(inst, attr, value, f"must be one of {allowed!r}")

    return check


def repr_leaving_out(*names: str) -> Callable[[Any], str]:
    """A constructor-call repr that leaves out the fields `names` while they hold their default (None, False): a
    field added to an op later keeps the reprs recorded before it (run.json, known-divergence matches, printed
    reproducers) as they were."""

    def _repr(self: Any) -> str:
        import attrs  # (attrs.fields; this module imports only attrs' decorators at the top)

        shown = [f"{a.name}={getattr(self, a.name)!r}" for a in attrs.fields(type(self))
                 if a.name not in names or getattr(self, a.name) != a.default]
        return f"{type(self).__name__}({', '.join(shown)})"

    return _repr


def qname(schema: str, name: str) -> Composable:
    return sql.Identifier(schema, name)


def comma(parts: Iterable[sql.Composable]) -> Composable:
    return sql.SQL(", ").join(list(parts))


def idlist(names: Iterable[str]) -> Composable:
    return sql.SQL("({})").format(comma(sql.Identifier(n) for n in names))


def lit(value: Any) -> Composable:
    """A literal without the leading space psycopg puts before E'…' strings (keeps replay SQL tidy)."""
    return sql.SQL(sql.Literal(value).as_string(None).lstrip(" "))


def drop(what: str, target: Composable, if_exists: bool, cascade: bool) -> Composable:
    """`DROP what [IF EXISTS] target [CASCADE]`."""
    return sql.SQL("DROP {} {}{}{}").format(
        sql.SQL(what),
        sql.SQL("IF EXISTS ") if if_exists else sql.SQL(""),
        target,
        sql.SQL(" CASCADE") if cascade else sql.SQL(""),
    )


def render(composable: Composable) -> str:
    """Render without a connection (psycopg 3.3 falls back to UTF-8 and standard_conforming_strings)."""
    return composable.as_string(None)


@frozen
class Op:
    """One operation of the shared vocabulary. `repr(op)` is the constructor call that rebuilds it."""

    kind: ClassVar[str] = "op"
    #: "none" (a command: success or an error), "scalar" (first column of the single row) or "rows".
    result: ClassVar[str] = "none"
    #: "ddl", "call", "txn" or "session": which part of the model handles it.
    family: ClassVar[str] = "op"

    @property
    def fires_event_trigger(self) -> bool:
        """PostgreSQL 15 fires ddl_command_end for the statement when it succeeds (not for DML, REINDEX, ANALYZE):
        only such a statement reaches the faults' trigger, so only it is struck whatever the timing
        (pggit_model.faults)."""
        return True

    def sql(self) -> Composable:  # pragma: no cover - every concrete op overrides it
        raise NotImplementedError

    def to_sql(self) -> str:
        """The statement as plain text, e.g. for a replay script (no trailing semicolon)."""
        return render(self.sql())
