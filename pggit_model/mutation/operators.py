"""Mutation operators over the reference's SQL text (pure: text in, mutants out), as mutmut, Stryker and PIT do
for code: swap a comparison, min/max, AND/OR, drop a conjunct of a WHERE, drop or reverse an ORDER BY key, an
integer ±1, drop an INSERT column (with its value) or a SET assignment, ``IS DISTINCT FROM`` -> ``<>``, remove a
statement of a PL/pgSQL body, drop a row lock or a lock call, negate (drop a NOT), swap true/false.

Every operator reads the masked text (sqltext.mask), so nothing inside a comment or a string literal is mutated.
A mutant is one edit of one place; its id ``file:operator:anchor:n`` names the place by content, not by line number
(anchor: a digest of the mutated lines and which occurrence of those lines in the file they are; n counts that
operator's mutants there, in order), so an edit elsewhere in the file keeps every other id, and results of two runs
and the equivalents file stay comparable while the reference evolves.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs

from ..install import REFERENCE_SOURCE
from . import sqltext
from .sqltext import clause_end, drop_part, matching_paren, split_top

#: One edit: replace ``text[start:end]`` with the string; a mutant is a list of non-overlapping edits.
Edit = tuple[int, int, str]
Operator = Callable[[str, str], Iterator[list[Edit]]]


@attrs.frozen
class Mutant:
    """``old`` (whole lines of ``file`` from ``line`` on) becomes ``new`` under ``operator``."""

    file: str
    line: int  # where it was generated, for people; the id and apply_to go by content
    operator: str
    n: int
    old: str
    new: str
    occurrence: int = 0  # how many identical ``old`` blocks start at a line before this one

    @property
    def anchor(self) -> str:
        return hashlib.sha256(f"{self.old}\0{self.occurrence}".encode()).hexdigest()[:10]

    @property
    def id(self) -> str:
        return f"{self.file}:{self.operator}:{self.anchor}:{self.n}"

    def apply_to(self, text: str) -> str:
        """``text`` (the file) with this mutant applied; ValueError if the lines are no longer there."""
        starts = _block_starts(text, self.old)
        if len(starts) <= self.occurrence:
            raise ValueError(f"mutant {self.id}: {self.file} no longer has the mutated text (line {self.line} when "
                             "generated); the reference changed: regenerate them (pggit-model mutate --list)")
        start = starts[self.occurrence]
        return text[:start] + self.new + text[start + len(self.old):]

    def apply(self, dest: Path, source: Path = REFERENCE_SOURCE) -> Path:
        """Copy the reference checkout to ``dest`` with this mutant applied; returns ``dest``."""
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        target = dest / "sql" / self.file
        target.write_text(self.apply_to(target.read_text()))
        return dest

    def diff(self) -> str:
        """The change as a unified diff of the affected lines."""
        lines = difflib.unified_diff(self.old.splitlines(keepends=True), self.new.splitlines(keepends=True),
                                     f"a/{self.file}", f"b/{self.file}", n=0, lineterm="")
        return "".join(x if x.endswith("\n") else x + "\n" for x in lines)


def _block_starts(text: str, block: str) -> list[int]:
    """Offsets of every line start where ``block`` (whole lines) begins, in order."""
    out, p = [], text.find(block)
    while p >= 0:
        if p == 0 or text[p - 1] == "\n":
            out.append(p)
        p = text.find(block, p + 1)
    return out


def _line_offset(text: str, line: int) -> int:
    off = 0
    for _ in range(line - 1):
        off = text.find("\n", off) + 1
        if off == 0:
            return -1
    return off


# -- the operators ------------------------------------------------------------------------------------------------

_CMP = re.compile(r"(?<![<>=!:~@#\-|&*+/%^])(<=|>=|<>|!=|<|>|=)(?![<>=~@#\-|&*+/%^])")
_CMP_SWAP = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "=": "<>", "<>": "=", "!=": "="}
_STMT_START = re.compile(r";|\$\$|\b(?:BEGIN|THEN|ELSE|LOOP|DECLARE)\b", re.IGNORECASE)


def _statement_before(masked: str, at: int) -> str:
    """The current statement's text up to ``at`` (from the last ``;``, ``$$`` or block keyword)."""
    starts = [m.end() for m in _STMT_START.finditer(masked, max(0, at - 2000), at)]
    return masked[starts[-1] if starts else max(0, at - 2000):at]


def cmp(text: str, masked: str) -> Iterator[list[Edit]]:
    """``<``/``<=``, ``>``/``>=``, ``=``/``<>`` — not an assignment of SET or RAISE … USING."""
    for m in _CMP.finditer(masked):
        op = m.group(1)
        if op == "=":
            before = _statement_before(masked, m.start())
            last_set = max((s.end() for s in re.finditer(r"\bSET\b", before, re.I)), default=-1)
            if last_set >= 0 and not re.search(r"\b(?:WHERE|FROM)\b", before[last_set:], re.I):
                continue  # UPDATE … SET a = x, b = y / SET search_path = …: an assignment
            if re.search(r"\bRAISE\b", before, re.I):
                continue
        yield [(m.start(), m.end(), _CMP_SWAP[op])]


_DISTINCT = re.compile(r"\bIS\s+(NOT\s+)?DISTINCT\s+FROM\b", re.IGNORECASE)


def distinct(text: str, masked: str) -> Iterator[list[Edit]]:
    """``IS DISTINCT FROM`` -> ``<>``, ``IS NOT DISTINCT FROM`` -> ``=`` (NULL then compares unknown)."""
    for m in _DISTINCT.finditer(masked):
        yield [(m.start(), m.end(), "=" if m.group(1) else "<>")]


_MINMAX = re.compile(r"\b(min|max|greatest|least)(?=\s*\()", re.IGNORECASE)
_MINMAX_SWAP = {"min": "max", "max": "min", "greatest": "least", "least": "greatest"}


def minmax(text: str, masked: str) -> Iterator[list[Edit]]:
    """``min``/``max``, ``greatest``/``least``."""
    for m in _MINMAX.finditer(masked):
        if masked[max(0, m.start() - 1)] in "._":
            continue
        swapped = _MINMAX_SWAP[m.group(1).lower()]
        yield [(m.start(), m.end(), swapped.upper() if m.group(1).isupper() else swapped)]


_ANDOR = re.compile(r"\b(AND|OR)\b(?!\s+REPLACE\b)", re.IGNORECASE)


def andor(text: str, masked: str) -> Iterator[list[Edit]]:
    """``AND``/``OR`` (not BETWEEN's AND, not CREATE OR REPLACE)."""
    for m in _ANDOR.finditer(masked):
        word = m.group(1)
        if word.upper() == "AND" and re.search(r"\bBETWEEN\b(?!.*\bAND\b)", _statement_before(masked, m.start()),
                                               re.I | re.S):
            continue
        new = "OR" if word.upper() == "AND" else "AND"
        yield [(m.start(), m.end(), new if word.isupper() else new.lower())]


_NOT = re.compile(r"\bNOT\s+", re.IGNORECASE)


def negate(text: str, masked: str) -> Iterator[list[Edit]]:
    """Drop one ``NOT`` of a condition (``NOT FOUND``, ``IS NOT NULL``, ``NOT EXISTS``, ``NOT IN`` …); a column's
    ``NOT NULL`` constraint and ``IF NOT EXISTS`` are left alone."""
    for m in _NOT.finditer(masked):
        before = masked[max(0, m.start() - 10):m.start()]
        if re.search(r"\bIF\s*$", before, re.I) and re.match(r"EXISTS\s+[^\s(]", masked[m.end():], re.I):
            continue  # DDL's IF NOT EXISTS, not a condition
        if re.match(r"NULL\b", masked[m.end():m.end() + 5], re.I) and not re.search(r"\bIS\s*$", before, re.I):
            continue
        yield [(m.start(), m.end(), "")]


_BOOL = re.compile(r"(?<![\w.$])(true|false)(?![\w(])", re.IGNORECASE)


def boolean(text: str, masked: str) -> Iterator[list[Edit]]:
    """``true``/``false``."""
    for m in _BOOL.finditer(masked):
        new = "false" if m.group(1).lower() == "true" else "true"
        yield [(m.start(), m.end(), new.upper() if m.group(1).isupper() else new)]


_WHERE = re.compile(r"\bWHERE\b", re.IGNORECASE)
_AND_SEP = re.compile(r"\bAND\b", re.IGNORECASE)


def where(text: str, masked: str) -> Iterator[list[Edit]]:
    """Drop one conjunct of a WHERE; a WHERE of one conjunct becomes ``WHERE true``."""
    for m in _WHERE.finditer(masked):
        end = clause_end(masked, m.end(), skip="WHERE")
        if re.search(r"\bBETWEEN\b", masked[m.end():end], re.I):
            continue
        parts = split_top(masked, m.end(), end, _AND_SEP)
        if len(parts) == 1:
            yield [(parts[0][0], parts[0][1], "true")]
            continue
        for k in range(len(parts)):
            a, b = drop_part(parts, k)
            yield [(a, b, "")]


_ORDER = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
_COMMA = re.compile(r",")
_DIRECTION = re.compile(r"\s+(ASC|DESC)\s*$", re.IGNORECASE)


def order(text: str, masked: str) -> Iterator[list[Edit]]:
    """Reverse one ORDER BY key (add or drop DESC); drop one key of several."""
    for m in _ORDER.finditer(masked):
        end = clause_end(masked, m.end())
        keys = split_top(masked, m.end(), end, _COMMA)
        for a, b in keys:
            key = masked[a:b]
            d = _DIRECTION.search(key)
            if d is None:
                yield [(b, b, " DESC")]
            elif d.group(1).upper() == "DESC":
                yield [(a + d.start(), b, "")]
            else:
                yield [(a + d.start(1), b, "DESC")]
        if len(keys) > 1:
            for k in range(len(keys)):
                a, b = drop_part(keys, k)
                yield [(a, b, "")]


_INT = re.compile(r"(?<![\w$.])(\d+)(?![\w.])")


def integer(text: str, masked: str) -> Iterator[list[Edit]]:
    """An integer literal +1 and -1 (not the 1 of ``SELECT 1 FROM``, whose value nothing reads)."""
    for m in _INT.finditer(masked):
        if (re.search(r"\b(?:SELECT|PERFORM)\s+$", masked[max(0, m.start() - 10):m.start()], re.I)
                and re.match(r"\s+FROM\b", masked[m.end():], re.I)):
            continue
        v = int(m.group(1))
        yield [(m.start(), m.end(), str(v + 1))]
        yield [(m.start(), m.end(), str(v - 1))]


_INSERT = re.compile(r"\bINSERT\s+INTO\s+[\w.\"]+\s*\(", re.IGNORECASE)
_VALUES_OR_SELECT = re.compile(r"\s*(?:(VALUES)\s*\(|(SELECT)\b(?:\s+DISTINCT\b)?)", re.IGNORECASE)


def insert(text: str, masked: str) -> Iterator[list[Edit]]:
    """Drop one column of an INSERT's column list together with its value (VALUES or SELECT list)."""
    for m in _INSERT.finditer(masked):
        close = matching_paren(masked, m.end() - 1)
        vs = _VALUES_OR_SELECT.match(masked, close + 1)
        if close < 0 or vs is None:
            continue
        if vs.group(1):
            vend = matching_paren(masked, vs.end() - 1)
            if vend < 0 or re.match(r"\s*,\s*\(", masked[vend + 1:]):  # several rows: leave them be
                continue
            values = split_top(masked, vs.end(), vend, _COMMA)
        else:
            values = split_top(masked, vs.end(), clause_end(masked, vs.end()), _COMMA)
        cols = split_top(masked, m.end(), close, _COMMA)
        if len(cols) != len(values) or len(cols) < 2:
            continue
        for k in range(len(cols)):
            ca, cb = drop_part(cols, k)
            va, vb = drop_part(values, k)
            yield [(ca, cb, ""), (va, vb, "")]


_SET = re.compile(r"\b(?:UPDATE\s+[\w.\"]+(?:\s+(?!SET\b)\w+)?|DO\s+UPDATE)\s+SET\b", re.IGNORECASE)


def set_clause(text: str, masked: str) -> Iterator[list[Edit]]:
    """Drop one assignment of an UPDATE's SET list (of two or more)."""
    for m in _SET.finditer(masked):
        parts = split_top(masked, m.end(), clause_end(masked, m.end()), _COMMA)
        if len(parts) < 2 or masked[parts[0][0]] == "(":
            continue
        for k in range(len(parts)):
            a, b = drop_part(parts, k)
            yield [(a, b, "")]


_STMT = re.compile(r"^[ \t]*(?:(?:PERFORM|INSERT|UPDATE|DELETE|EXECUTE|RAISE\s+EXCEPTION|RETURN\s+(?:QUERY|NEXT)|"
                   r"SELECT)\b|[a-z_][\w.]*\s*:=)", re.IGNORECASE | re.MULTILINE)


def _statement_end(masked: str, start: int) -> int:
    """The offset just past the ``;`` ending the statement that starts at ``start`` (depth 0)."""
    depth = 0
    for i in range(start, len(masked)):
        c = masked[i]
        depth += c == "("
        depth -= c == ")"
        if c == ";" and depth == 0:
            return i + 1
    return -1


_AFTER_STATEMENT = re.compile(r"(?:;|\$\$|\b(?:BEGIN|THEN|ELSE|LOOP))\s*\Z", re.IGNORECASE)


def statement(text: str, masked: str) -> Iterator[list[Edit]]:
    """Replace one simple statement of a PL/pgSQL body (PERFORM, INSERT, UPDATE, DELETE, an assignment, RETURN
    QUERY, RAISE EXCEPTION …) by ``NULL;``; control structures and plain RETURN stay."""
    for body_start, body_end in sqltext.plpgsql_bodies(masked):
        for m in _STMT.finditer(masked, body_start, body_end):
            a = m.start() + len(m.group(0)) - len(m.group(0).lstrip())
            if not _AFTER_STATEMENT.search(masked, body_start - 2, a):  # e.g. the SELECT of an INSERT … SELECT
                continue
            b = _statement_end(masked, a)
            # a SELECT heading a FOR … IN … LOOP is not a statement of its own
            if 0 <= b <= body_end and not re.search(r"\bLOOP\b", masked[a:b], re.I):
                yield [(a, b, "NULL;")]


_ROW_LOCK = re.compile(r"\s+FOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE)(?:\s+OF\s+[\w.]+(?:\s*,\s*[\w.]+)*)?"
                       r"(?:\s+NOWAIT|\s+SKIP\s+LOCKED)?\b", re.IGNORECASE)
_LOCK_CALL = re.compile(r"(?:\bPERFORM\s+)?\b[\w.]*(?:_lock\w*|pg_advisory\w*lock\w*)\s*\(", re.IGNORECASE)
_LOCK_TABLE = re.compile(r"\bLOCK\s+(?:TABLE\s+)?[\w.\"]+[^;]*;", re.IGNORECASE)


def lock(text: str, masked: str) -> Iterator[list[Edit]]:
    """Drop a row lock (FOR UPDATE/SHARE), a lock call (``PERFORM pggit._lock_bookkeeping()``, an advisory lock)
    or a LOCK TABLE statement."""
    for m in _ROW_LOCK.finditer(masked):
        yield [(m.start(), m.end(), "")]
    for m in _LOCK_CALL.finditer(masked):
        close = matching_paren(masked, m.end() - 1)
        if close < 0:
            continue
        if m.group(0).upper().startswith("PERFORM"):
            end = _statement_end(masked, m.start())
            yield [(m.start(), end, "NULL;")]
        elif not re.search(r"\bFUNCTION\s*$", masked[max(0, m.start() - 40):m.start()], re.I):
            yield [(m.start(), close + 1, "NULL")]  # a call inside an expression (a SQL function's SELECT)
    for m in _LOCK_TABLE.finditer(masked):
        yield [(m.start(), m.end(), "NULL;")]


#: The operators in the order their mutants are kept: a mutant two operators produce counts for the first.
OPERATORS: dict[str, Operator] = {
    "lock": lock, "cmp": cmp, "distinct": distinct, "minmax": minmax, "andor": andor, "not": negate,
    "bool": boolean, "where": where, "order": order, "int": integer, "insert": insert, "set": set_clause,
    "stmt": statement,
}


def mutants_of(file: str, text: str, operators: dict[str, Operator] = OPERATORS) -> list[Mutant]:
    """Every mutant of one file's text, in a deterministic order, without duplicates (same resulting text)."""
    masked = sqltext.mask(text)
    seen = {hashlib.sha256(text.encode()).digest()}
    counts: dict[tuple[int, str], int] = {}
    out: list[Mutant] = []
    for name, op in operators.items():
        for edits in op(text, masked):
            mutant = _mutant(file, text, name, sorted(edits), counts)
            # the mutated file from the edits themselves (not apply_to, which the tests check against this)
            start = _line_offset(text, mutant.line)
            key = hashlib.sha256((text[:start] + mutant.new + text[start + len(mutant.old):]).encode()).digest()
            if key in seen:
                continue
            seen.add(key)
            out.append(mutant)
    return sorted(out, key=lambda m: (m.line, list(operators).index(m.operator), m.n))


def _mutant(file: str, text: str, operator: str, edits: list[Edit], counts: dict[tuple[int, str], int]) -> Mutant:
    a, b = edits[0][0], max(e[1] for e in edits)
    ls = text.rfind("\n", 0, a) + 1
    le = text.find("\n", max(a, b - 1))
    le = len(text) if le < 0 else le + 1
    old = text[ls:le]
    new, pos = [], ls
    for s, e, rep in edits:
        new += [text[pos:s], rep]
        pos = e
    new.append(text[pos:le])
    line = sqltext.line_of(text, ls)
    n = counts[(line, operator)] = counts.get((line, operator), 0) + 1
    occurrence = _block_starts(text, old).index(ls)
    return Mutant(file, line, operator, n, old, "".join(new), occurrence)


def generate(source: Path = REFERENCE_SOURCE, operators: dict[str, Operator] = OPERATORS) -> tuple[Mutant, ...]:
    """Every mutant of every SQL file under ``source/sql`` except install.sql (which only includes the others)."""
    files = sorted(p for p in (source / "sql").glob("*.sql") if p.name != "install.sql")
    return tuple(m for p in files for m in mutants_of(p.name, p.read_text(), operators))
