"""replay.sql read back: a script script.py wrote (its ``-- @pggit-model`` comments: machine, schema, backend,
verdict, sequences, known divergences, session events), or a hand-written one, into a ``Run``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs

from . import known as kn
from .errors import InvalidOp, MalformedReplay, UnsupportedStatement
from .ops import CreateSchema, Fault, Op, OtherSession, TerminateSession, Untracked
from .ops.cascades import outside_block
from .ops.events import FAULT_SQLSTATES
from .parse import parse_one
from .runs import Run, guess_schema, known_entry
from .script import OBSERVED, SWITCH

#: Where a hand-written script's unqualified names run (a replay creates the run's schema on a fresh install).
DEFAULT_SCHEMA = "replay"
#: Schemas a fresh install already has (a replay cannot create them) or that pgGit never tracks (V1: its own,
#: pggit*, and the system's): the model would check nothing there.
RESERVED_SCHEMAS = frozenset({"public", "pggit", "pg_catalog", "information_schema"})


def reserved_schema(name: str) -> bool:
    return name in RESERVED_SCHEMAS or name.startswith(("pg_", "pggit"))


_META = re.compile(r"^--\s*@pggit-model\s+(.*)$")


_CREATE_SCHEMA = re.compile(r'^\s*CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|\w+)\s*;\s*$', re.I)
#: a line restoring one of pgGit's sequences as script.py writes it (SETVAL, which a header's ``sequence`` line goes
#: with): a position to restore before the ops, not an op. A plain ``SELECT setval('pggit.x', n);`` a user wrote is
#: an op, run as written (it may move the sequence back, which a restore never does: tests/test_regress.py's
#: truncated Trinity sequence is one)
_SETVAL = re.compile(r"^\s*SELECT\s+setval\(\s*to_regclass\(\s*'(pggit\.\w+)'\s*\)\s*,\s*"
                     r"greatest\(\s*(\d+)\s*,\s*pg_sequence_last_value\([^;]*;\s*$", re.I)


@attrs.define
class _Reading:
    """What reading a replay.sql has found so far: its metadata, session events and the statements to parse."""

    p: Path
    in_ops: bool
    meta: dict[str, str] = attrs.Factory(dict)
    schema: str | None = None
    sequences: dict[str, int] = attrs.Factory(dict)
    known: list[kn.Known] = attrs.Factory(list)
    #: (line, "fault KIND" | "terminate-session" | "other-session" | "untracked HOW [TRIGGERS]"): session events
    events: list[tuple[int, str]] = attrs.Factory(list)
    body: list[str] = attrs.Factory(list)  # other lines blanked, so line numbers stay right
    #: a statement line has gone to ``body``: a CREATE SCHEMA after it is an op, never the machine's schema
    started: bool = False

    def meta_line(self, number: int, words: str) -> None:
        if words.startswith("untracked "):
            how, _, triggers = words.removeprefix("untracked ").partition(" ")
            try:
                Untracked(CreateSchema("s"), how, json.loads(triggers or "[]"))
            except (ValueError, InvalidOp) as e:
                raise MalformedReplay(f"{self.p}:{number}: bad untracked marker {words!r} ({e}); write "
                                      "'untracked replica []' or 'untracked disable [[\"trigger\", \"O\"]]'") from e
            self.events.append((number, words))
        elif words.startswith("fault ") or words in ("terminate-session", "other-session"):
            if words.startswith("fault ") and words.split()[1:] not in ([k] for k in FAULT_SQLSTATES):
                raise MalformedReplay(f"{self.p}:{number}: unknown fault {words.removeprefix('fault ')!r}; "
                                      f"one of: {', '.join(sorted(FAULT_SQLSTATES))}")
            self.events.append((number, words))
        elif words in ("ops", "end"):
            self.in_ops = words == "ops"
        elif words.startswith("known "):
            self.known.append(known_entry(self.p, len(self.known) + 1, words.removeprefix("known ")))
        elif words.startswith("sequence "):
            name, _, value = words.removeprefix("sequence ").strip().partition("=")
            if value.strip().isdigit():
                self.sequences[name.strip()] = int(value)
        else:
            self.meta.update(re.findall(r"(\w+)=(\S*)", words))
        self.body.append("")

    def sql_line(self, line: str) -> None:
        if line.startswith(OBSERVED):
            # script.py's final observation queries follow: read-only, never ops, also once the script's
            # ``-- @pggit-model end`` was stripped (its ops, BEGIN and all, are above)
            self.in_ops = False
        if (v := _SETVAL.match(line)) and not self.started:
            # a sequence position (a header's ``sequence`` line, if kept, says the same); never moved back (SETVAL)
            self.sequences.setdefault(v.group(1), int(v.group(2)))
            self.body.append("")
            return
        s = _CREATE_SCHEMA.match(line)
        quoted = s.group(1) if s else ""
        name = quoted[1:-1].replace('""', '"') if quoted.startswith('"') else quoted.lower()
        if name and self.schema is None and not self.started and self.meta.get("schema", name) == name:
            # The machine's schema: the header's (before the ops) or a hand-written script's first statement; a
            # replay creates it itself. Any other CREATE SCHEMA is the example's DDL (an extra schema, the renames
            # pool's, or the machine's own again with IF NOT EXISTS) and runs as an op.
            self.schema = name
            self.body.append("")
        elif not self.in_ops or line.lstrip().startswith("\\") or line.rstrip().endswith(SWITCH):
            self.body.append("")  # psql meta-commands and the observation queries are not ops
        else:
            self.body.append(line)
            self.started = self.started or (bool(line.strip()) and not line.lstrip().startswith("--"))


#: the step comment of a parallel program (X8-X12), whose sessions a psql script holds only as comments
_PARALLEL_STEP = re.compile(r"^-- step (\d+): parallel\b")


def load_sql(p: Path, text: str) -> Run:
    # Lines end at \n only: str.splitlines() also breaks at \x1c-\x1e, \x85, \u2028…, which drawn identifiers hold
    lines = re.split(r"\r?\n", text)
    for number, line in enumerate(lines, 1):
        if m := _PARALLEL_STEP.match(line):
            raise MalformedReplay(f"{p}:{number}: step {m.group(1)} is a parallel program, which a psql script holds "
                                  "only as comments (one session); replay the run.json next to it")
    r = _Reading(p, in_ops=not any((m := _META.match(line)) and m.group(1).strip() == "ops" for line in lines))
    for number, line in enumerate(lines, 1):
        m = _META.match(line)
        if m:
            r.meta_line(number, m.group(1).strip())
        else:
            r.sql_line(line)
    meta, schema, sequences, known_entries, events, body = r.meta, r.schema, r.sequences, r.known, r.events, r.body
    # A hand-written script may leave names unqualified: they run in the script's schema, or one of their own.
    default = meta.get("schema") or schema or DEFAULT_SCHEMA
    op_list = _with_session_events(p, _parse_statements(p, "\n".join(body), default), events)
    if not op_list:
        raise MalformedReplay(f"{p}: no statement to replay (the file is empty, or only comments and psql commands);"
                              " pass a replay.sql or run.json from a results folder, or write the SQL to replay")
    schema = meta.get("schema") or schema or guess_schema(op_list) or default
    if reserved_schema(schema):
        raise MalformedReplay(f"{p}: the statements use schema {schema!r}, which the install owns or pgGit never "
                              "tracks; a replay "
                              f"creates a schema of its own: leave the names unqualified (they run in "
                              f"{DEFAULT_SCHEMA!r}) or qualify them with a new schema")
    step_text = meta.get("step")
    rule = meta.get("rule")
    return Run(ops=tuple(op_list), schema=schema, machine=meta.get("machine", "?"),
               isolation=meta.get("isolation") or _isolation(op_list), backend=meta.get("backend", "reference"),
               source=meta.get("source") or None, digest=meta.get("sha256") or None,
               rule=None if rule in (None, "", "None") else rule,
               step=int(step_text) if step_text and step_text.isdigit() else None,
               sequences=tuple(sorted(sequences.items())), known=tuple(known_entries), path=p)


def _isolation(ops: list[Op]) -> str:
    """A script without an ``isolation=`` header runs as psql ran it when it must: a statement PostgreSQL refuses
    in a transaction block (X13: CREATE/DROP INDEX CONCURRENTLY, REINDEX … CONCURRENTLY, DETACH … CONCURRENTLY)
    needs autocommit, each statement committed (``clone``); inside the rollback isolation's outer transaction it
    would fail with 25001 as the model predicts, and a divergence of the statement itself (or of the INVALID index
    a failing one leaves, V24n) would never show. Any other script keeps the rollback isolation."""
    def inner(op: Op) -> Op:
        return inner(op.op) if isinstance(op, (Fault, OtherSession, Untracked)) else op
    return "clone" if any(outside_block(inner(op)) for op in ops) else "rollback"


def _with_session_events(p: Path, statements: list[tuple[int, Op]], events: list[tuple[int, str]]) -> list[Op]:
    """Put the recorded session events in place: a fault strikes the next statement; a terminate is an op."""
    out: list[Op] = []
    pending = sorted(events)
    for line, op in statements:
        while pending and pending[0][0] < line:
            where, what = pending.pop(0)
            if what == "terminate-session":
                out.append(TerminateSession())
            elif pending and pending[0][0] < line:
                raise MalformedReplay(f"{p}:{where}: '{what}' is not followed by a statement of its own")
            elif what == "other-session":
                op = OtherSession(op)
            elif what.startswith("untracked "):
                how, _, triggers = what.removeprefix("untracked ").partition(" ")
                op = Untracked(op, how, json.loads(triggers or "[]"))
            else:
                op = Fault(what.split()[1], op)
        out.append(op)
    for where, what in pending:
        if what != "terminate-session":
            raise MalformedReplay(f"{p}:{where}: '{what}' is not followed by a statement of its own")
        out.append(TerminateSession())
    return out


def _parse_statements(p: Path, body: str, default_schema: str | None = None) -> list[tuple[int, Op]]:
    """Parse statement by statement (with the line each starts on), so an error names the line and column."""
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.tokens import TokenType

    def tokenize(text: str) -> list[Any]:
        return Postgres().tokenizer_class().tokenize(text)

    try:
        tokens = tokenize(body)
    except Exception:  # sqlglot's TokenError: an open quote, $$ or comment; find the line where it starts
        lines = body.split("\n")
        opened = next((k for k in range(len(lines), 0, -1) if _tokenizes(tokenize, "\n".join(lines[:k - 1]))), 1)
        raise MalformedReplay(f"{p}:{opened}: cannot read the SQL: a quote, $$ or comment opened on this line is "
                              f"never closed: {lines[opened - 1][:80]!r}") from None
    out: list[tuple[int, Op]] = []
    start = None
    for t in [*tokens, None]:
        if t is not None and t.token_type != TokenType.SEMICOLON:
            if start is None:
                start = t
            continue
        if start is not None:
            end = t.start if t is not None else len(body)
            stmt = body[start.start:end]
            try:
                out.append((start.line, parse_one(stmt, default_schema)))
            except UnsupportedStatement as e:
                col = start.start - body.rfind("\n", 0, start.start)  # sqlglot's col is where the token ends
                raise MalformedReplay(f"{p}:{start.line}:{col}: {e}") from None
        start = None
    return out


def _tokenizes(tokenize: Any, text: str) -> bool:
    try:
        tokenize(text)
    except Exception:
        return False
    return True


__all__ = ["DEFAULT_SCHEMA", "RESERVED_SCHEMAS", "load_sql", "reserved_schema"]
