"""Hostile text for every text argument: the shapes that break string handling, and near-misses of real names.

    name = draw(hostile_text(related=tuple(state.db.branches)))

`related` are values the argument could legitimately take (existing branches, object names, recent values):
a draw often bends one of them — another case, a trailing space, a combining accent, one character more or
less, `%`/`_` in place of a character — so lookups that fold case, trim, compare by prefix or by LIKE show.

NUL is never drawn: PostgreSQL text cannot hold it (the server rejects `\\x00` with 22021 before any pgGit code
runs, and psycopg refuses to send it), so it tests nothing of pgGit.
"""

from __future__ import annotations

from functools import cache

from hypothesis import strategies as st

from pggit_model.ops.base import MAX_IDENTIFIER_BYTES
from pggit_model.strategies.limits import LIMITS, near

#: One row per kind of hostile text, so tests can ask for each kind.
SHAPES: dict[str, tuple[str, ...]] = {
    "quotes": ("'", "''", '"', "O'Reilly", 'a"b', "'; --", "$$", "$q$x$q$"),
    "backslashes": ("\\", "\\\\", "a\\b", "\\x41", "E'\\n'", "\\0"),
    "wildcards": ("%", "_", "a%", "t_1", "%_%", ".*", "^main$", "[a-z]+", "main%"),
    "unicode": ("e\u0301", "é", "\u202emain", "שלום", "🙂", "𝔘𝔫𝔦", "\ufeffmain", "Ｍａｉｎ", "ß", "İ", "\u200b"),
    "blank": ("", " ", "   ", "\t", "\n", "\r\n", " x ", "\u00a0"),
    "keywords": ("select", "NULL", "null", "DEFAULT", "main; DROP TABLE t", "true", "public", "pggit", "main",
                 "pg_catalog", "information_schema"),
}
_ALL = tuple(s for shapes in SHAPES.values() for s in shapes)
_KEYWORDS = frozenset(s.lower() for s in SHAPES["keywords"])
_SPECIAL_CHARS = frozenset("'\"\\%_*^$[]")


def hostile_kind(text: str | None) -> str | None:
    """Which kind of hostile text `text` is ("quotes", "long", …), or None for a plain word: what tests count."""
    if text is None:
        return None
    if text.strip() == "" or text != text.strip():
        return "blank"
    if any(c in "'\"$" for c in text):
        return "quotes"
    if "\\" in text:
        return "backslashes"
    if any(c in "%_*^[]" for c in text):
        return "wildcards"
    if any(ord(c) > 127 for c in text):
        return "unicode"
    if len(text.encode()) >= MAX_IDENTIFIER_BYTES - 1:
        return "long"
    if text.lower() in _KEYWORDS or text.lower() != text:
        return "keywords"
    return None


def _bend(value: str, how: int, extra: str) -> str:
    """A near miss of `value` (case, spaces, accents, one character more or less, wildcards)."""
    if how == 0:
        return value.swapcase()
    if how == 1:
        return value.upper()
    if how == 2:
        return value + " "
    if how == 3:
        return " " + value
    if how == 4:
        return value + "\u0301"
    if how == 5:
        return value[:-1]
    if how == 6:
        return value + extra
    if how == 7:
        return value[:-1] + "_" if value else "_"
    if how == 8:
        return value[:1] + "%"
    return value + value  # 9: the value twice (prefix matches)


_BENDS = st.integers(0, 9)
_EXTRA = st.sampled_from(["x", "é", "%", "'", "🙂"])


@cache
def _long() -> st.SearchStrategy[str]:
    """Text at the length limits the contract states: 62/63/64 bytes (identifiers, with multi-byte characters),
    254/255/256 characters (branch names)."""
    ident = st.sampled_from([MAX_IDENTIFIER_BYTES - 1, MAX_IDENTIFIER_BYTES, MAX_IDENTIFIER_BYTES + 1]).flatmap(
        lambda n: st.sampled_from(["a", "é", "日"]).map(lambda ch: sized_name(n, ch)))
    branch = near("branch_name_chars").map(lambda n: "b" * n)
    return st.one_of(ident, branch)


def sized_name(n_bytes: int, ch: str = "a") -> str:
    """`ch` repeated, padded with 'x' to exactly `n_bytes` bytes of UTF-8."""
    k = n_bytes // len(ch.encode())
    return ch * k + "x" * (n_bytes - k * len(ch.encode()))


@cache
def _shapes() -> st.SearchStrategy[str]:
    chars = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=12)
    return st.one_of(st.sampled_from(_ALL), _long(), st.lists(st.sampled_from(_ALL), min_size=2, max_size=3)
                     .map("".join), chars)


def draw_hostile(draw: st.DrawFn, related: tuple[str, ...] = ()) -> str:
    """One hostile text (a composite's helper: no strategy object is built per draw)."""
    if len(related) > 0 and draw(st.booleans()):
        value = related[draw(st.integers(0, len(related) - 1))]
        return _bend(value, draw(_BENDS), draw(_EXTRA))
    return draw(_shapes())


@st.composite
def _hostile(draw: st.DrawFn, related: tuple[str, ...]) -> str:
    return draw_hostile(draw, related)


def hostile_text(related: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Quotes, backslashes, `%`/`_`, unicode (combining, RTL, 4-byte), empty and blank, text at the length limits,
    SQL keywords, and near misses of `related` (case, spaces, one character off)."""
    return _hostile(tuple(related))


#: The invalid shapes of a name argument (B3, B6, B10, C1, C7, M1), each drawn as often as the others by
#: `draw_invalid`: a bad shape that is one draw in dozens is missing from most smoke runs.
INVALID_SHAPES = ("null", "empty", "blank", "bad_char", "too_long", "hostile")
_INVALID = st.integers(0, len(INVALID_SHAPES) - 1)
_BLANKS = st.sampled_from([" ", "   ", "\t"])
_BAD_CHARS = st.sampled_from([" ", "!", "é", "\\", "'", "\n", "*", "@", ";"])


def invalid_shape(text: str | None) -> str | None:
    """Which of INVALID_SHAPES `text` is (None for a plain value): what tests count."""
    if text is None:
        return "null"
    if text == "":
        return "empty"
    if text.strip() == "":
        return "blank"
    if len(text) > LIMITS["branch_name_chars"].value or len(text.encode()) > MAX_IDENTIFIER_BYTES:
        return "too_long"
    if not all(c.isascii() and (c.isalnum() or c in "._/#-") for c in text):
        return "bad_char"
    return None


def draw_invalid(draw: st.DrawFn, related: tuple[str, ...] = ()) -> str | None:
    """An invalid argument, its shape uniform over INVALID_SHAPES: NULL, '', blanks, a bad character inside a
    real value, one character past the length limits (256 characters, 64 bytes), or hostile text."""
    shape = INVALID_SHAPES[draw(_INVALID)]
    base = related[draw(st.integers(0, len(related) - 1))] if related else "x"
    if shape == "null":
        return None
    if shape == "empty":
        return ""
    if shape == "blank":
        return draw(_BLANKS)
    if shape == "bad_char":
        cut = draw(st.integers(0, len(base)))
        return base[:cut] + draw(_BAD_CHARS) + base[cut:]
    if shape == "too_long":  # B3's 255 characters, or V5's 63 bytes, one past
        n = LIMITS["branch_name_chars"].value + 1
        return (base * n)[:n] if draw(st.booleans()) else sized_name(MAX_IDENTIFIER_BYTES + 1)
    return draw_hostile(draw, related)


__all__ = ["INVALID_SHAPES", "SHAPES", "draw_hostile", "draw_invalid", "hostile_kind", "hostile_text",
           "invalid_shape", "sized_name"]
