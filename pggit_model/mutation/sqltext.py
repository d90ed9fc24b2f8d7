"""Reading SQL/PL/pgSQL text for mutation: what is code, and where a clause or list ends.

The reference is mostly PL/pgSQL bodies, which no SQL parser we have (sqlglot included) reads, so the operators
work on a *masked* copy of the text: same length, same newlines, with comments and the inside of string literals
and quoted identifiers blanked. A regex on the masked text then never matches inside a comment or a string, and
its offsets are offsets in the original. Dollar quotes are transparent: a function body is code to mutate.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Span = tuple[int, int]


def mask(text: str) -> str:
    """``text`` with comments and the contents of '…', E'…' and "…" replaced by spaces (newlines kept)."""
    out = list(text)
    i, n = 0, len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("--", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif c in "'\"":
            backslash = c == "'" and i > 0 and text[i - 1] in "eE" and not (i > 1 and text[i - 2].isalnum())
            j = i + 1
            while j < n:
                if backslash and text[j] == "\\":
                    j += 2
                    continue
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:  # '' or "" inside the literal
                        j += 2
                        continue
                    break
                j += 1
            blank(i + 1, min(j, n))
            i = j + 1
        else:
            i += 1
    return "".join(out)


#: A keyword at depth 0 that ends a clause (WHERE's conjuncts, ORDER BY's keys, a SET list, a select list).
_CLAUSE_STOP = re.compile(
    r"\b(?:ORDER\s+BY|GROUP\s+BY|LIMIT|OFFSET|RETURNING|FOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE)|UNION|EXCEPT|"
    r"INTERSECT|LOOP|THEN|HAVING|WINDOW|ON\s+CONFLICT|FETCH|INTO|WHERE|FROM|VALUES|DO|ELSE|ELSIF|END)\b|\$\$|;",
    re.IGNORECASE)
_OPEN = re.compile(r"\(|\bCASE\b", re.IGNORECASE)
_CLOSE = re.compile(r"\)|\bEND\b", re.IGNORECASE)


def clause_end(masked: str, start: int, stops: re.Pattern[str] = _CLAUSE_STOP, *, skip: str = "") -> int:
    """Where the clause starting at ``start`` ends: the first stop keyword, ``;`` or ``$$`` at depth 0, or the ``)``
    that closes a parenthesis opened before ``start``. ``skip`` names stop keywords that do not end this clause."""
    depth, i, n = 0, start, len(masked)
    skipped = {s.upper() for s in skip.split()}
    while i < n:
        if depth == 0:
            m = stops.match(masked, i)
            if m and (not masked[i].isalpha() or i == 0 or not (masked[i - 1].isalnum() or masked[i - 1] == "_")):
                word = re.sub(r"\s+", " ", m.group(0).upper())
                # `IS [NOT] DISTINCT FROM` is an operator, not a FROM clause
                distinct = word == "FROM" and re.search(r"DISTINCT\s*$", masked[max(0, i - 20):i], re.I)
                if word.split(" ")[0] not in skipped and not distinct:
                    return i
        if (m := _OPEN.match(masked, i)) and _word_start(masked, i):
            depth += 1
            i = m.end()
            continue
        if (m := _CLOSE.match(masked, i)) and _word_start(masked, i):
            if depth == 0:
                return i
            depth -= 1
            i = m.end()
            continue
        i += 1
    return n


def _word_start(masked: str, i: int) -> bool:
    return not masked[i].isalpha() or i == 0 or not (masked[i - 1].isalnum() or masked[i - 1] in "_.")


def split_top(masked: str, start: int, end: int, sep: re.Pattern[str]) -> list[Span]:
    """The parts of ``masked[start:end]`` between separators at depth 0, each stripped of surrounding space."""
    parts: list[Span] = []
    depth, i, part = 0, start, start
    while i < end:
        if (m := _OPEN.match(masked, i)) and _word_start(masked, i):
            depth += 1
            i = m.end()
            continue
        if (m := _CLOSE.match(masked, i)) and _word_start(masked, i):
            depth -= 1
            i = m.end()
            continue
        if depth == 0 and (m := sep.match(masked, i)) and _word_start(masked, i):
            parts.append(strip(masked, part, i))
            i = part = m.end()
            continue
        i += 1
    parts.append(strip(masked, part, end))
    return [p for p in parts if p[0] < p[1]]


def strip(masked: str, a: int, b: int) -> Span:
    while a < b and masked[a].isspace():
        a += 1
    while b > a and masked[b - 1].isspace():
        b -= 1
    return a, b


def matching_paren(masked: str, open_at: int) -> int:
    """The offset of the ``)`` closing the ``(`` at ``open_at`` (or -1)."""
    depth = 0
    for i in range(open_at, len(masked)):
        if masked[i] == "(":
            depth += 1
        elif masked[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def drop_part(parts: list[Span], k: int) -> Span:
    """The span to delete so that part ``k`` goes with one of its separators (the one after it for the first)."""
    if k == 0:
        return parts[0][0], parts[1][0]
    return parts[k - 1][1], parts[k][1]


_BODY = re.compile(r"\bAS\s+\$\$", re.IGNORECASE)
_CREATE = re.compile(r"\bCREATE\s+(?:OR\s+REPLACE\s+)?FUNCTION\b", re.IGNORECASE)
_PLPGSQL = re.compile(r"\bLANGUAGE\s+plpgsql\b", re.IGNORECASE)


def plpgsql_bodies(masked: str) -> Iterator[Span]:
    """The ``$$…$$`` bodies of the PL/pgSQL functions (the part inside the quotes)."""
    for m in _BODY.finditer(masked):
        end = masked.find("$$", m.end())
        if end < 0:
            return
        header_start = max((c.start() for c in _CREATE.finditer(masked, 0, m.start())), default=0)
        stmt_end = masked.find(";", end)
        if _PLPGSQL.search(masked, header_start, stmt_end if stmt_end >= 0 else len(masked)):
            yield m.end(), end


def line_of(text: str, offset: int) -> int:
    """The 1-based line number of ``offset``."""
    return text.count("\n", 0, offset) + 1
