"""replay.sql: a recorded run as a plain psql script for a fresh install (script_read.py reads it back).

The script carries what a rerun needs as ``-- @pggit-model`` comments (machine, schema, backend, verdict,
sequences, known divergences, session events), each statement with the model's prediction beside it and the
diverging step marked. ``render_test`` writes the same run as a pytest module.
"""

from __future__ import annotations

import json
from typing import Any

from psycopg import sql

from . import known as kn
from .backend import SETVAL, final_state_queries
from .model import State, initial_state, session_lost, step
from .ops import Fault, Op, OtherSession, TerminateSession, Untracked
from .ops.base import render
from .ops.events import FAULT_SQLSTATES
from .runs import Run, known_json


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
    out += ["-- @pggit-model end", "", f"{OBSERVED} (contract O1-O7):",
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
                       *(f"{render(c)};  {SWITCH}" for c in before), op.op.to_sql() + ";",
                       *(f"{render(c)};  {SWITCH}" for c in after), _comment(f"model expects: {prediction}")]
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


#: ends a line that switches pgGit's triggers off or on around an untracked statement: not an op of its own
SWITCH = "-- @pggit-model switch"
#: the comment before the final observation queries: a script stripped of its ``-- @pggit-model end`` still ends
#: its ops here (script_read.py)
OBSERVED = "-- pgGit's state for the schema, as the checker observed it"


__all__ = ["OBSERVED", "SETVAL", "SWITCH", "describe_expected", "render_sql", "render_test"]
