"""State-free strategies: identifiers, column types and defaults, text, branch names; and two draw helpers."""

from __future__ import annotations

import string
from functools import cache
from typing import Any

from hypothesis import strategies as st

from pggit_model import ops
from pggit_model.ops.base import MAX_IDENTIFIER_BYTES, identifier_problem
from pggit_model.ops.ddl import default_problem
from pggit_model.ops.types import category
from pggit_model.strategies.limits import near

# --- identifiers and values --------------------------------------------------------------------------

RESERVED = ("select", "table", "user", "order", "group", "check", "default", "primary", "from", "end")
QUOTED = ("Order Items", "CamelCase", "with space", 'dq"uote', "semi;colon", "dash-name", "1starts_digit", "$x")
UNICODE = ("é", "naïve_col", "日本語", "Straße", "Ωmega", "emoji_🙂")


def _max_len_name(seed: str, n_bytes: int = MAX_IDENTIFIER_BYTES) -> str:
    """A name of exactly `n_bytes` UTF-8 bytes (63: PostgreSQL's limit), ending in multi-byte characters if seed has."""
    out = ""
    while True:
        for ch in seed:
            if len((out + ch).encode()) > n_bytes:
                return out + "x" * (n_bytes - len(out.encode()))
            out += ch


# Names at the identifier limit and one byte under it (limits.LIMITS["identifier_bytes"]); one over would be
# truncated by PostgreSQL, which is outside the model, so lookups draw that one as text (calls.py).
LONG = tuple(_max_len_name(seed, MAX_IDENTIFIER_BYTES + d) for d in (0, -1) for seed in ("abcdefgh", "é", "t_日本"))

_plain = st.text(alphabet=string.ascii_lowercase + string.digits + "_", min_size=1, max_size=12).filter(
    lambda s: not s[0].isdigit())
_any_ident = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00.()"), min_size=1,
                     max_size=20).filter(lambda s: identifier_problem(s) is None)


# Strategies are built once and reused: Hypothesis validates a new strategy object (and works out whether
# it can be empty) on its first draw, which for these nested one_of/filter trees cost more than a
# database round trip when every draw built them afresh.


@cache
def suffixed(name: str, suffix: str) -> str:
    """``name + suffix`` within PostgreSQL's 63 bytes, cutting ``name`` (a longer identifier would be truncated by
    PostgreSQL, which the ops refuse to send)."""
    out = name
    while len(f"{out}{suffix}".encode()) > MAX_IDENTIFIER_BYTES:
        out = out[:-1]
    return f"{out}{suffix}"


def identifiers() -> st.SearchStrategy[str]:
    """Valid identifiers: plain, needing quotes, reserved words, unicode, 63 bytes long, or anything legal."""
    return st.one_of(_plain, st.sampled_from(RESERVED), st.sampled_from(QUOTED), st.sampled_from(UNICODE),
                     st.sampled_from(LONG), _any_ident)


@cache
def names(pool: tuple[str, ...] = ("t1", "t2", "t3", "Order Items", "select", "é")) -> st.SearchStrategy[str]:
    """Identifiers biased towards a small pool, so names get reused (new lives, clashes)."""
    return st.one_of(st.sampled_from(pool), st.sampled_from(pool), identifiers())


COLUMN_TYPES = ("integer", "bigint", "smallint", "numeric", "numeric(10,2)", "real", "double precision", "boolean",
                "text", "character varying", "character varying(20)", "character varying(3)", "date",
                "timestamp without time zone", "timestamp(0) without time zone", "timestamp with time zone",
                "integer[]", "text[]")


@cache
def column_types() -> st.SearchStrategy[str]:
    return st.sampled_from(COLUMN_TYPES)


@cache
def defaults_for(type_: str) -> st.SearchStrategy[Any]:
    """Literal defaults PostgreSQL accepts for a column of `type_` (None: no default)."""
    cat = category(type_)
    cands: list[st.SearchStrategy[Any]] = [st.none()]
    if cat in ("int", "numeric", "float", "string"):
        cands.append(st.integers(-1000, 1000))
    if cat in ("bool", "string"):
        cands.append(st.booleans())
    if cat == "string":
        cands.append(texts(max_size=3))
    return st.one_of(cands).filter(lambda v: default_problem(type_, v) is None)


@cache
def texts(max_size: int = 40) -> st.SearchStrategy[str]:
    """Text PostgreSQL can store (no NUL) with the awkward parts over-represented (C4)."""
    specials = st.sampled_from(["'", "''", "\\", "\\\\", '"', "\n", "\r\n", "\t", " ", "é", "日本", "🙂", "$$",
                                "E'", "--", "/*", ";", "%s", "{}"])
    chars = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=max_size)
    return st.one_of(chars, st.lists(st.one_of(specials, chars), max_size=6).map("".join))


@cache
def messages() -> st.SearchStrategy[str]:
    """Commit messages: never empty (C1) and mostly interesting."""
    return texts().filter(lambda s: s != "")


@cache
def sql_texts() -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), texts(80), st.just("CREATE TABLE a(id int)"))


@cache
def columns(type_strategy: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[ops.Column]:
    @st.composite
    def draw_column(draw: st.DrawFn) -> ops.Column:
        t = draw(type_strategy or column_types())
        return ops.Column(draw(names(("id", "a", "b", "email", "Amount", "é"))), t, draw(st.booleans()),
                          draw(defaults_for(t)))

    return draw_column()


BRANCH_ALPHABET = string.ascii_letters + string.digits + "._/#-"


@cache
def branch_names(prefix: str = "", valid: bool = True) -> st.SearchStrategy[str | None]:
    """Branch names allowed by B3 (after `prefix`), or names B3 rejects when valid=False; lengths near B3's 255."""
    ok = st.text(BRANCH_ALPHABET, min_size=1, max_size=12).map(lambda s: prefix + s)
    sized = st.tuples(near("branch_name_chars"), st.sampled_from(BRANCH_ALPHABET)).map(
        lambda nc: (prefix + nc[1] * nc[0])[:nc[0]] if nc[0] >= len(prefix) else prefix + nc[1])
    if valid:
        return st.one_of(ok, ok, ok, sized).filter(lambda s: 0 < len(s) <= 255)
    bad_char = st.tuples(ok, st.sampled_from([" ", "!", "é", "\\", "'", "\n", "*", "@"]), ok).map("".join)
    return st.one_of(st.none(), st.just(""), bad_char, st.just(prefix + "x" * (256 - len(prefix))))


def schema_variants(schema: str) -> tuple[str, ...]:
    """Names that are not `schema` but look like it: case (V17: no folding), quoting, spaces, one more character."""
    return (schema.upper(), schema.capitalize(), f'"{schema}"', f"{schema} ", f"{schema}_", schema[:-1])


# --- draw helpers ------------------------------------------------------------------------------------

_PERMILLE = st.integers(0, 999)
NONE = st.none()


def maybe(draw: st.DrawFn, invalid: float) -> bool:
    """True when this draw should be deliberately invalid (an integer draw: cheaper than a float's)."""
    return invalid > 0 and draw(_PERMILLE) < invalid * 1000


def either(draw: st.DrawFn, *options: st.SearchStrategy[Any]) -> Any:
    """Like draw(st.one_of(*options)) without building a new one_of per draw (shrinks towards the first)."""
    return draw(options[draw(st.integers(0, len(options) - 1))])
