"""replay.sql: a recorded run as a plain psql script for a fresh install, and the same script read back.

The script carries what a rerun needs as ``-- @pggit-model`` comments (machine, schema, backend, verdict,
sequences, known divergences, session events), each statement with the model's prediction beside it and the
diverging step marked; ``load_sql`` reads it back (or a hand-written script) into a ``Run``. ``render_test``
writes the same run as a pytest module.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs
from psycopg import sql

from . import known as kn
from .backend import SETVAL, final_state_queries
from .errors import InvalidOp, MalformedReplay, UnsupportedStatement
from .model import State, initial_state, session_lost, step
from .ops import CreateSchema, Fault, Op, OtherSession, TerminateSession, Untracked
from .ops.base import render
from .ops.events import FAULT_SQLSTATES
from .parse import parse_one
from .runs import Run, guess_schema, known_entry, known_json


def describe_expected(expected: Any) -> str:
    """The model's prediction for one op, in words (for the comments of replay.sql)."""
    kind = getattr(expected, "kind", "?")
    if kind == "ok":
        return "succeeds"
    if kind == "error":
        states = "/".join(expected.sqlstates) or "any SQLSTATE"
        return f"fails with {states}" + (f" ({expected.why})" if expected.why else "")
    if kind == "value":
        return f"returns {expected.value!r}"
    if kind == "rows":
        return f"returns {len(expected.rows)} row(s) {list(expected.columns)}: {list(expected.rows)!r}"
    if kind == "unspecified":
        return "not specified by the contract"
    return str(expected)


def _comment(text: str, prefix: str = "--   ") -> str:
    lines = str(text).splitlines() or [""]
    return "\n".join(prefix + line[:400] for line in lines)


def render_sql(run: Run) -> str:
    """The run as a psql script: schema, each op's SQL with what the model expects, the divergence marked."""
    out = [*_header(run), *_setup(run), "-- @pggit-model ops"]
    state = initial_state(schemas=(run.schema,))
    if run.step == 0:
        out.append(f"-- !! before any op, pgGit's state already differs from the model [{run.rule}]")
        out += _divergence_comments(run)
    for i, op in enumerate(run.ops, 1):
        mark = f"  <-- DIVERGES HERE [{run.rule}]" if i == run.step else ""
        out.append(f"-- step {i}: {op.kind}{mark}")
        state, lines = _step_lines(state, op, run.schema)
        out += lines
        if i == run.step:
            out += _divergence_comments(run)
        out.append("")
    out += ["-- @pggit-model end", "", "-- pgGit's state for the schema, as the checker observed it (contract O1-O7):",
            *final_state_queries(run.schema), ""]
    return "\n".join(out)


def _header(run: Run) -> list[str]:
    """What the script reproduces, how to run it, and the metadata a replay reads back."""
    backend = run.backend if run.backend == "reference" else f"pggit at {run.source}"
    install = ("the bundled reference: cd pggit_model/reference/sql" if run.backend == "reference"
               else f"cd {run.source}/sql") + " && psql -X -d replay -f install.sql"
    return [
        f"-- pggit-model replay script for failure {run.id}",
        f"-- {run.machine} found: [{run.rule}] {run.message.splitlines()[0] if run.message else ''}",
        f"-- at step {run.step} of {len(run.ops)}; backend {backend} (sha256 {(run.digest or '?')[:12]}), "
        f"PostgreSQL {run.server_version}",
        *([f"-- backend version {run.backend_version}"] if run.backend_version else []),
        *([f"-- missing from the backend (their rules skipped, I4): {', '.join(run.missing)}"] if run.missing else []),
        "--",
        "-- Reproduce by hand on a fresh database with the backend installed:",
        "--   createdb replay",
        f"--   {install}",
        "--   psql -X -d replay -f replay.sql",
        "-- or rerun it with the model checking every step:",
        # damage to pgGit's own tables (U4) is not in the SQL parser's vocabulary, and a parallel program is only
        # comments here (psql runs one session): run.json holds those ops
        f"--   pggit-model replay {'run.json' if _needs_json(run) else 'replay.sql'}"
        + ("" if run.backend == "reference" else f" --pggit-source {run.source}"),
        *([f"-- {run.rule} is judged against a twin: a database made from template1 in the same cluster, without",
           "-- pgGit (createdb twin), on which the same DDL, transaction and session statements ran (not pgGit's",
           "-- calls nor the writes to pggit.*). Each statement must answer there as it does here (success, or the",
           f"-- same SQLSTATE), and at the end `pg_dump --schema-only --schema={run.schema}` of both must agree."]
          if run.rule in ("V21", "U4") else []),
        "-- Statements run in autocommit unless the script BEGINs; an error does not stop the script.",
        *(["-- The machine ran them inside one transaction (isolation=rollback), so now() was the same for every",
           "-- step: for time-dependent answers (created_at order, Trinity timestamps) run the script inside",
           "-- BEGIN; ... ROLLBACK; with \\set ON_ERROR_ROLLBACK on (pggit-model replay does that itself)."]
          if run.isolation == "rollback" else []),
        "--",
        f"-- @pggit-model machine={run.machine} schema={run.schema} isolation={run.isolation}",
        f"-- @pggit-model backend={run.backend} sha256={run.digest or ''} source={run.source or ''}",
        f"-- @pggit-model verdict rule={run.rule} step={run.step}",
        "",
        "\\set ON_ERROR_STOP 0",
        "\\set ECHO queries",
        sql.SQL("CREATE SCHEMA {};").format(sql.Identifier(run.schema)).as_string(None),
        "",
    ]


def _setup(run: Run) -> list[str]:
    """pgGit's sequences as the recording left them, and the known divergences the run explored past."""
    out = []
    if run.sequences:
        out.append("-- pgGit's sequences where the recording session had left them (ROLLBACK does not reset them);")
        out.append("-- never moved back: CREATE SCHEMA above may have drawn values already, and they must not repeat.")
        for name, value in run.sequences:
            out.append(f"-- @pggit-model sequence {name}={value}")
            out.append(SETVAL.format(seq=sql.Literal(name).as_string(None), value=value) + ";")
        out.append("")
    if run.known:
        out.append("-- The run explored past these known divergences (--pggit-known); `pggit-model replay` does too,")
        out.append("-- so steps where they show are not the verdict:")
        for k in run.known:
            out.append(f"-- @pggit-model known {json.dumps(known_json(k), ensure_ascii=False)}")
        out.append("")
    return out


def _needs_json(run: Run) -> bool:
    return any(op.family == "damage" or op.kind == "parallel" for op in run.ops)


def _step_lines(state: State, op: Op, schema: str) -> tuple[State, list[str]]:
    """One op as script lines with the model's prediction; the model state after it."""
    if isinstance(op, TerminateSession):
        return session_lost(state, schema), [
            "-- @pggit-model terminate-session",
            "-- (pggit-model replay kills the session with pg_terminate_backend and reconnects;",
            "--  by hand, a new connection has the same effect on the open transaction)",
            "\\connect",
            _comment("model expects: nothing of the open transaction remains; the new session is on main (X5)")]
    struck = kn.struck(op)
    try:
        state, expected = step(state, struck)
        prediction = describe_expected(expected)
    except Exception as e:  # a model bug must not lose the script
        prediction = f"(the model raised {type(e).__name__}: {e})"
    out = []
    if isinstance(op, OtherSession):
        out += ["-- @pggit-model other-session",
                "-- (pggit-model replay runs it on a second, autocommit session; by hand, in another psql)"]
    if isinstance(op, Untracked):
        # the marker makes a replay run it as drift again; by hand, the switch lines around it do that
        before, after = op.switches()
        return state, [f"-- @pggit-model untracked {op.how} {json.dumps([list(t) for t in op.triggers])}",
                       *(f"{render(c)};  {_SWITCH}" for c in before), op.op.to_sql() + ";",
                       *(f"{render(c)};  {_SWITCH}" for c in after), _comment(f"model expects: {prediction}")]
    if isinstance(op, Fault):
        out += [f"-- @pggit-model fault {op.kind_of_fault}",
                f"-- (pggit-model replay runs it under {op.kind_of_fault}, striking after pgGit's triggers; "
                "by hand it runs unstruck)"]
        prediction += f", or fails with {FAULT_SQLSTATES[op.kind_of_fault]} and has no effect at all (X4)"
    return state, [*out, struck.to_sql() + ";", _comment(f"model expects: {prediction}")]


def _divergence_comments(run: Run) -> list[str]:
    lines = [_comment(f"divergence: {run.message}")]
    if run.expected is not None:
        lines.append(_comment(f"expected: {run.expected}"))
    if run.observed is not None:
        lines.append(_comment(f"observed: {run.observed}"))
    return lines


def render_test(run: Run) -> str:
    """A pytest module that replays the ops against the session's server and backend."""
    ops_src = "\n".join(f"    {op!r}," for op in run.ops)
    first = run.message.splitlines()[0] if run.message else ""
    return f'''"""Replay of failure {run.id}: {run.machine} diverged [{run.rule}] at step {run.step} of {len(run.ops)}.

{first}
Run with the backend it was recorded against:
    pytest {{this file}}{"" if run.backend == "reference" else f" --pggit-source {run.source}"}
Generated by pggit-model; the same ops are in run.json and replay.sql next to this file.
"""

import pytest

from pggit_model.known import Known  # noqa: F401 (in RECORDED when the run explored past known divergences)
from pggit_model.ops import *  # noqa: F403
from pggit_model.replay import Run, replay

SCHEMA = {run.schema!r}
OPS = [
{ops_src}
]
RECORDED = Run(tuple(OPS), SCHEMA, machine={run.machine!r}, isolation={run.isolation!r}, backend={run.backend!r},
               source={run.source!r}, digest={run.digest!r}, rule={run.rule!r}, step={run.step!r},
               sequences={run.sequences!r}, known={run.known!r})


def test_replay_{run.id}(pggit_server, pytestconfig):
    """The recorded divergence [{run.rule}] at step {run.step} still happens when these ops are replayed."""
    result = replay(RECORDED, pggit_server, pytestconfig.getoption("--pggit-source"))
    assert result.reproduced, result.summary()
'''


#: Where a hand-written script's unqualified names run (a replay creates the run's schema on a fresh install).
DEFAULT_SCHEMA = "replay"
#: Schemas a fresh install already has (a replay cannot create them) or that pgGit never tracks (V1: its own,
#: pggit*, and the system's): the model would check nothing there.
RESERVED_SCHEMAS = frozenset({"public", "pggit", "pg_catalog", "information_schema"})


def reserved_schema(name: str) -> bool:
    return name in RESERVED_SCHEMAS or name.startswith(("pg_", "pggit"))

_META = re.compile(r"^--\s*@pggit-model\s+(.*)$")
#: ends a line that switches pgGit's triggers off or on around an untracked statement: not an op of its own
_SWITCH = "-- @pggit-model switch"


_CREATE_SCHEMA = re.compile(r'^\s*CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|\w+)\s*;\s*$', re.I)


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
        s = _CREATE_SCHEMA.match(line)
        quoted = s.group(1) if s else ""
        name = quoted[1:-1].replace('""', '"') if quoted.startswith('"') else quoted.lower()
        if name and self.schema is None and not self.started and self.meta.get("schema", name) == name:
            # The machine's schema: the header's (before the ops) or a hand-written script's first statement; a
            # replay creates it itself. Any other CREATE SCHEMA is the example's DDL (an extra schema, the renames
            # pool's, or the machine's own again with IF NOT EXISTS) and runs as an op.
            self.schema = name
            self.body.append("")
        elif not self.in_ops or line.lstrip().startswith("\\") or line.rstrip().endswith(_SWITCH):
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
               isolation=meta.get("isolation", "rollback"), backend=meta.get("backend", "reference"),
               source=meta.get("source") or None, digest=meta.get("sha256") or None,
               rule=None if rule in (None, "", "None") else rule,
               step=int(step_text) if step_text and step_text.isdigit() else None,
               sequences=tuple(sorted(sequences.items())), known=tuple(known_entries), path=p)


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


__all__ = ["DEFAULT_SCHEMA", "RESERVED_SCHEMAS", "SETVAL", "describe_expected", "load_sql", "render_sql", "render_test",
           "reserved_schema"]
