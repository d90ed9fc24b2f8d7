"""The column and argument types the vocabulary covers, in PostgreSQL's own `format_type` spelling.

Ops store the canonical spelling (what `format_type(atttypid, atttypmod)` prints), so equal types are
equal strings and the model never has to normalise twice. Parsing accepts the usual aliases.
"""

from __future__ import annotations

import re
from typing import Final

#: base type -> category; the category drives casts, CHECK rendering and which defaults are allowed.
BASE_TYPES: Final[dict[str, str]] = {
    "smallint": "int",
    "integer": "int",
    "bigint": "int",
    "numeric": "numeric",
    "real": "float",
    "double precision": "float",
    "boolean": "bool",
    "text": "string",
    "character varying": "string",
    "date": "date",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "integer[]": "array",
    "text[]": "array",
}

_ALIASES: Final[dict[str, str]] = {
    "int2": "smallint",
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "decimal": "numeric",
    "float4": "real",
    "float8": "double precision",
    "float": "double precision",
    "bool": "boolean",
    "varchar": "character varying",
    "timestamp": "timestamp without time zone",
    "timestamptz": "timestamp with time zone",
    "int[]": "integer[]",
    "int4[]": "integer[]",
}

_WS = re.compile(r"\s+")
_VARCHAR = re.compile(r"^(?:character varying|varchar)\s*\(\s*(\d+)\s*\)$")
_NUMERIC = re.compile(r"^(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$")
_TS = re.compile(r"^timestamp\s*\(\s*(\d)\s*\)(?:\s+(with|without) time zone)?$")
_TSTZ = re.compile(r"^timestamptz\s*\(\s*(\d)\s*\)$")

#: spellings accepted with a type modifier, e.g. `character varying(20)`, `numeric(10,2)`, `timestamp(0) …`.
MAX_VARCHAR: Final = 10485760


def canonical_type(spelling: str) -> str:
    """Return PostgreSQL's `format_type` spelling of `spelling`, or raise ValueError saying what is covered."""
    if not isinstance(spelling, str):
        raise ValueError(f"a type must be a string, got {spelling!r}")
    s = _WS.sub(" ", spelling.strip().lower())
    s = _ALIASES.get(s, s)
    if s in BASE_TYPES:
        return s
    if m := _VARCHAR.match(s):
        n = int(m.group(1))
        if not 1 <= n <= MAX_VARCHAR:
            raise ValueError(f"length of character varying must be 1..{MAX_VARCHAR}, got {n}")
        return f"character varying({n})"
    if m := _NUMERIC.match(s):
        p, sc = int(m.group(1)), int(m.group(2) or 0)
        if not 1 <= p <= 1000 or not 0 <= sc <= p:
            raise ValueError(f"numeric precision must be 1..1000 and scale 0..precision, got ({p},{sc})")
        return f"numeric({p},{sc})"
    if m := _TS.match(s):
        zone = "with" if m.group(2) == "with" else "without"
        return f"timestamp({int(m.group(1))}) {zone} time zone"
    if m := _TSTZ.match(s):
        return f"timestamp({int(m.group(1))}) with time zone"
    raise ValueError(
        f"type {spelling!r} is outside the vocabulary; use one of {sorted(BASE_TYPES)} "
        "or character varying(n), numeric(p,s), timestamp(p) with[out] time zone"
    )


def base_type(canonical: str) -> str:
    """The type without its modifier: what `format_type(oid, NULL)` prints (used in function signatures)."""
    if canonical.startswith("character varying("):
        return "character varying"
    if canonical.startswith("numeric("):
        return "numeric"
    if canonical.startswith("timestamp("):
        return "timestamp with time zone" if "with time zone" in canonical and "without" not in canonical \
            else "timestamp without time zone"
    return canonical


def category(canonical: str) -> str:
    return BASE_TYPES[base_type(canonical)]


def varchar_length(canonical: str) -> int | None:
    m = re.match(r"^character varying\((\d+)\)$", canonical)
    return int(m.group(1)) if m else None


def numeric_limit(canonical: str) -> int | None:
    """Exclusive bound on |integer value| that numeric(p,s) can hold, or None when unbounded."""
    m = re.match(r"^numeric\((\d+),(\d+)\)$", canonical)
    return 10 ** (int(m.group(1)) - int(m.group(2))) if m else None


INT_RANGES: Final[dict[str, tuple[int, int]]] = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}

_NUMBERISH = {"int", "numeric", "float"}
_TIMES = {"date", "timestamp", "timestamptz"}


def assignment_cast(src: str, dst: str) -> bool | None:
    """Whether ALTER COLUMN … TYPE dst without USING accepts a column of type src (PostgreSQL needs an
    implicit or assignment cast). None when the model does not predict it (array element casts)."""
    sb, db = base_type(src), base_type(dst)
    if sb == db:
        return True
    sc, dc = BASE_TYPES[sb], BASE_TYPES[db]
    if dc == "string":
        return True  # every type has an assignment I/O cast to the string types
    if sc == "string":
        return False  # casts from text are explicit only
    if sc in _NUMBERISH and dc in _NUMBERISH:
        return True
    if sc in _TIMES and dc in _TIMES:
        return True
    if sc == "array" and dc == "array":
        return None
    return False


def canonical_arg_type(spelling: str) -> str:
    """Function argument types are stored without modifiers, as in V5's object names."""
    return base_type(canonical_type(spelling))
