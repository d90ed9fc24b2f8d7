"""A failing run as files a developer can rerun without knowing Hypothesis, and the command that reruns them.

``record_failure`` writes one folder per distinct failure under the results folder (``.pggit-model/<id>/``):
``run.json`` (the ops as constructor calls, seed, profile, backend and its digest, PostgreSQL version, the
divergence), ``replay.sql`` (a psql script for a fresh install, expected/observed values as comments) and
``test_replay_<id>.py`` (a pytest test). ``load_run`` reads back either file; ``replay`` installs the same
backend in a fresh database and drives the ops through a ``Driver`` — the very loop a machine runs — checking
the whole state after every step, and says whether the recorded verdict comes back.

The id is a short hash of the machine, the rule and the ops with the machine's schema name blanked out (each
run picks a new schema name), so the same failure found again lands in the same folder.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import psycopg
from psycopg import sql

from . import faults
from . import known as kn
from . import ops as ops_module
from .client import Client
from .cluster import ExternalServer, ThrowawayCluster, connect
from .divergences import Divergence, rule_family
from .driver import Driver, OtherSession, RunStats
from .errors import InvalidProfile, MalformedReplay, PggitModelError, UnsupportedStatement
from .install import REFERENCE_SOURCE, InstallReport, source_digest
from .isolation import Template
from .model import initial_state, step
from .ops import Op
from .parse import parse_one

FORMAT = 1
_SCHEMA_MARK = "{schema}"

# -- restricted eval of op reprs --------------------------------------------------------------------------

#: Every class the ops vocabulary exports, and the faults machine's session events, and nothing else: a run.json
#: names only these.
OP_NAMES: Mapping[str, type] = {
    **{n: v for n, v in vars(ops_module).items() if isinstance(v, type) and not n.startswith("_")},
    "Fault": faults.Fault, "TerminateSession": faults.TerminateSession, "OtherSession": OtherSession,
}
_ALLOWED_NODES = (ast.Expression, ast.Call, ast.keyword, ast.Constant, ast.Tuple, ast.List, ast.Name, ast.Load,
                  ast.UnaryOp, ast.USub)


def _op_names() -> dict[str, type]:
    """OP_NAMES and the crash machine's marker (imported late: the machines import this module's users)."""
    from .machines.crash import CrashRestart

    return {**OP_NAMES, "CrashRestart": CrashRestart}


def op_from_repr(text: str) -> Op:
    """Rebuild an op from its repr: only constructor calls of ``pggit_model.ops`` names and literals.

    No builtins, no attribute access, no subscripts — a run.json is data, not code.
    """
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ValueError(f"not a constructor call: {e.msg} at column {e.offset}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ValueError(f"{type(node).__name__} is not allowed in an op (only constructor calls and literals)")
        if isinstance(node, ast.Name) and node.id not in _op_names():
            raise ValueError(f"unknown name {node.id!r} (not an op class of pggit_model.ops)")
        if isinstance(node, ast.Call) and not isinstance(node.func, ast.Name):
            raise ValueError("only calls of op classes by their bare name are allowed")
    value = eval(compile(tree, "<op>", "eval"), {"__builtins__": {}}, _op_names())
    if not isinstance(value, Op):
        raise ValueError(f"evaluates to {type(value).__name__}, not an op")
    return value


# -- the recorded run -------------------------------------------------------------------------------------

@attrs.frozen
class Verdict:
    """What a run ended with: a divergence of ``rule`` (a family, ``V10``) at ``step`` (0 = before any op)."""

    rule: str
    step: int

    def __str__(self) -> str:
        return f"divergence {self.rule} at step {self.step}"


@attrs.frozen
class Run:
    """One recorded failure: everything ``replay`` and ``triage`` need, nothing Hypothesis-specific."""

    ops: tuple[Op, ...]
    schema: str
    machine: str = "?"
    isolation: str = "rollback"
    seed: Any = None
    profile: str | None = None
    backend: str = "reference"
    source: str | None = None
    digest: str | None = None
    server_version: str | None = None
    rule: str | None = None  # the verdict; None for a hand-written replay.sql without one
    rules: tuple[str, ...] = ()
    step: int | None = None
    message: str = ""
    expected: str | None = None
    observed: str | None = None
    recorded_at: str | None = None
    #: pgGit's sequence positions when recorded: rollback does not reset sequences, so a session's later
    #: examples run with ids a fresh install would not hand out; replay starts from the same positions.
    sequences: tuple[tuple[str, int], ...] = ()
    #: the known divergences the run explored past (--pggit-known): the shrunk example is minimal only with
    #: them in force, so replay uses them too.
    known: tuple[kn.Known, ...] = ()
    path: Path | None = attrs.field(default=None, eq=False)

    @property
    def registry(self) -> kn.Registry:
        return kn.Registry(self.known, source=f"recorded in {self.path or 'the run'}") if self.known \
            else kn.EMPTY

    @property
    def verdict(self) -> Verdict | None:
        return Verdict(self.rule, self.step) if self.rule is not None and self.step is not None else None

    @property
    def id(self) -> str:
        return failure_id(self.machine, self.rule or "?", self.ops, self.schema)

    @property
    def failing_op(self) -> Op | None:
        if self.step is None or not 1 <= self.step <= len(self.ops):
            return None
        return self.ops[self.step - 1]


def _blank_schema(text: str, schema: str) -> str:
    return text.replace(schema, _SCHEMA_MARK) if schema else text


def failure_id(machine: str, rule: str, ops: Sequence[Op], schema: str) -> str:
    """Stable short id: the same machine, rule and ops (whatever the schema was called) give the same id."""
    h = hashlib.sha256(f"{machine}\n{rule}\n".encode())
    for op in ops:
        h.update(_blank_schema(repr(op), schema).encode() + b"\n")
    return h.hexdigest()[:10]


def run_from_divergence(d: Divergence, *, machine: str, schema: str, isolation: str = "rollback", seed: Any = None,
                        profile: str | None = None, report: InstallReport | None = None,
                        server_version: str | None = None, ops: Sequence[Op] | None = None,
                        sequences: Mapping[str, int] | None = None,
                        registry: kn.Registry = kn.EMPTY) -> Run:
    return Run(
        ops=tuple(ops if ops is not None else getattr(d, "ops", ())), schema=schema, machine=machine,
        isolation=isolation, seed=seed,
        profile=profile, backend=report.backend if report else "reference", source=report.source if report else None,
        digest=report.digest if report else None, server_version=server_version, rule=d.rule, rules=tuple(d.rules),
        step=d.step if d.step is not None else len(d.ops), message=d.message,
        expected=None if d.expected is None else str(d.expected),
        observed=None if d.observed is None else str(d.observed),
        recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sequences=tuple(sorted((sequences or {}).items())),
        known=registry.entries,
    )


def run_to_json(run: Run) -> dict[str, Any]:
    failing = run.failing_op
    return {
        "format": FORMAT,
        "id": run.id,
        "machine": run.machine,
        "isolation": run.isolation,
        "schema": run.schema,
        "seed": run.seed if isinstance(run.seed, int | str | None) else repr(run.seed),
        "profile": run.profile,
        "backend": {"name": run.backend, "source": run.source, "sha256": run.digest},
        "postgresql": run.server_version,
        "ops": [{"kind": op.kind, "op": repr(op)} for op in run.ops],
        "divergence": {
            "rule": run.rule, "rules": list(run.rules), "step": run.step,
            "op_kind": failing.kind if failing is not None else None,
            "message": run.message, "expected": run.expected, "observed": run.observed,
            "verdict": str(run.verdict) if run.verdict else None,
        },
        "sequences": dict(run.sequences),
        "known": [_known_json(k) for k in run.known],
        "recorded_at": run.recorded_at,
    }


def _known_json(k: kn.Known) -> dict[str, str]:
    return {f: v for f, v in attrs.asdict(k).items() if v not in (None, "")}


# -- recording --------------------------------------------------------------------------------------------

def record_failure(results_dir: Path | str, *, machine: str, divergence: Divergence, profile: str | None, seed: Any,
                   report: InstallReport | None, server_version: str | None, schema: str | None = None,
                   isolation: str = "rollback", ops: Sequence[Op] | None = None,
                   sequences: Mapping[str, int] | None = None,
                   registry: kn.Registry = kn.EMPTY) -> Path:
    """Write run.json, replay.sql and test_replay_<id>.py for one failure; returns its folder.

    ``schema`` defaults to the schema the ops name (machines put everything in one schema of their own).
    """
    op_list = tuple(ops if ops is not None else getattr(divergence, "ops", ()))
    run = run_from_divergence(divergence, machine=machine, schema=schema or guess_schema(op_list) or "public",
                              isolation=isolation, seed=seed, profile=profile, report=report,
                              server_version=server_version, ops=op_list, sequences=sequences,
                              registry=registry)
    folder = Path(results_dir) / run.id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps(run_to_json(run), indent=2, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    (folder / "replay.sql").write_text(render_sql(run), encoding="utf-8")
    (folder / f"test_replay_{run.id}.py").write_text(render_test(run), encoding="utf-8")
    return folder


def guess_schema(op_list: Iterable[Op]) -> str | None:
    for op in op_list:
        schema = getattr(op, "schema", None)
        if isinstance(schema, str):
            return schema
    return None


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
    backend = run.backend if run.backend == "reference" else f"pggit at {run.source}"
    install = ("the bundled reference: cd pggit_model/reference/sql" if run.backend == "reference"
               else f"cd {run.source}/sql") + " && psql -X -d replay -f install.sql"
    out = [
        f"-- pggit-model replay script for failure {run.id}",
        f"-- {run.machine} found: [{run.rule}] {run.message.splitlines()[0] if run.message else ''}",
        f"-- at step {run.step} of {len(run.ops)}; backend {backend} (sha256 {(run.digest or '?')[:12]}), "
        f"PostgreSQL {run.server_version}",
        "--",
        "-- Reproduce by hand on a fresh database with the backend installed:",
        "--   createdb replay",
        f"--   {install}",
        "--   psql -X -d replay -f replay.sql",
        "-- or rerun it with the model checking every step:",
        "--   pggit-model replay replay.sql" + ("" if run.backend == "reference" else f" --pggit-source {run.source}"),
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
    if run.sequences:
        out.append("-- pgGit's sequences where the recording session had left them (ROLLBACK does not reset them);")
        out.append("-- never moved back: CREATE SCHEMA above may have drawn values already, and they must not repeat.")
        for name, value in run.sequences:
            out.append(f"-- @pggit-model sequence {name}={value}")
            out.append(_SETVAL.format(seq=sql.Literal(name).as_string(None), value=value) + ";")
        out.append("")
    if run.known:
        out.append("-- The run explored past these known divergences (--pggit-known); `pggit-model replay` does too,")
        out.append("-- so steps where they show are not the verdict:")
        for k in run.known:
            out.append(f"-- @pggit-model known {json.dumps(_known_json(k), ensure_ascii=False)}")
        out.append("")
    out.append("-- @pggit-model ops")
    state = initial_state(schemas=(run.schema,))
    if run.step == 0:
        out.append(f"-- !! before any op, pgGit's state already differs from the model [{run.rule}]")
        out += _divergence_comments(run)
    for i, op in enumerate(run.ops, 1):
        mark = f"  <-- DIVERGES HERE [{run.rule}]" if i == run.step else ""
        out.append(f"-- step {i}: {op.kind}{mark}")
        if isinstance(op, faults.TerminateSession):
            state = faults.after_terminate(state, run.schema)
            out += ["-- @pggit-model terminate-session",
                    "-- (pggit-model replay kills the session with pg_terminate_backend and reconnects;",
                    "--  by hand, a new connection has the same effect on the open transaction)",
                    "\\connect",
                    _comment("model expects: nothing of the open transaction remains; the new session is on main (X5)")]
            if i == run.step:
                out += _divergence_comments(run)
            out.append("")
            continue
        struck = kn.struck(op)
        try:
            state, expected = step(state, struck)
            prediction = describe_expected(expected)
        except Exception as e:  # a model bug must not lose the script
            prediction = f"(the model raised {type(e).__name__}: {e})"
        if isinstance(op, OtherSession):
            out += ["-- @pggit-model other-session",
                    "-- (pggit-model replay runs it on a second, autocommit session; by hand, in another psql)"]
        if isinstance(op, faults.Fault):
            out += [f"-- @pggit-model fault {op.kind_of_fault}",
                    f"-- (pggit-model replay runs it under {op.kind_of_fault}, striking after pgGit's triggers; "
                    "by hand it runs unstruck)"]
            prediction += f", or fails with {faults.SQLSTATES[op.kind_of_fault]} and has no effect at all (X4)"
        out.append(struck.to_sql() + ";")
        out.append(_comment(f"model expects: {prediction}"))
        if i == run.step:
            out += _divergence_comments(run)
        out.append("")
    out += [
        "-- @pggit-model end",
        "",
        "-- pgGit's state for the schema, as the checker observed it (contract O1-O7):",
        "SELECT object_type, schema_name, object_name, branch_name, version, version_major, version_minor, "
        "version_patch, is_active",
        f"  FROM pggit.objects WHERE schema_name = {sql.Literal(run.schema).as_string(None)} ORDER BY 3, 4;",
        "SELECT o.object_name, o.branch_name, h.change_type, h.change_severity, h.old_version, h.new_version",
        "  FROM pggit.history h JOIN pggit.objects o ON o.id = h.object_id",
        f"  WHERE o.schema_name = {sql.Literal(run.schema).as_string(None)} ORDER BY h.id;",
        "",
    ]
    return "\n".join(out)


#: Put a sequence where the recording had it, but never back: values drawn since the install (by CREATE SCHEMA's
#: event triggers, say) are in rows already, and handing them out again would fail with 23505. A sequence the
#: backend does not have (a pgGit run replayed on the reference) is skipped: to_regclass gives NULL, setval is strict.
_SETVAL = "SELECT setval(to_regclass({seq}), greatest({value}, pg_sequence_last_value(to_regclass({seq}))))"


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


# -- loading ----------------------------------------------------------------------------------------------

def load_run(path: Path | str) -> Run:
    """A run.json or replay.sql as a Run; MalformedReplay names the file and the position of the problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MalformedReplay(f"{p}: no such file; pass a run.json or replay.sql from a results folder") from None
    except (OSError, UnicodeDecodeError) as e:
        raise MalformedReplay(f"{p}: cannot read it ({e})") from None
    if p.suffix == ".json" or text.lstrip().startswith("{"):
        return _load_json(p, text)
    return _load_sql(p, text)


def _load_json(p: Path, text: str) -> Run:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise MalformedReplay(f"{p}:{e.lineno}:{e.colno}: not valid JSON: {e.msg}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("ops"), list):
        raise MalformedReplay(f"{p}: not a pggit-model run.json (no 'ops' list at the top level)")
    op_list = []
    for i, entry in enumerate(doc["ops"], 1):
        src = entry.get("op") if isinstance(entry, dict) else entry
        if not isinstance(src, str):
            raise MalformedReplay(f"{p}: op #{i}{_json_line(text, i)}: expected the op's constructor call as a string")
        try:
            op_list.append(op_from_repr(src))
        except (ValueError, TypeError, PggitModelError) as e:
            raise MalformedReplay(f"{p}: op #{i}{_json_line(text, i)}: {e}: {src[:120]!r}") from None
    backend = doc.get("backend") or {}
    div = doc.get("divergence") or {}
    schema = doc.get("schema") or guess_schema(op_list) or "public"
    return Run(ops=tuple(op_list), schema=schema, machine=doc.get("machine", "?"),
               isolation=doc.get("isolation", "rollback"), seed=doc.get("seed"), profile=doc.get("profile"),
               backend=backend.get("name", "reference"), source=backend.get("source"), digest=backend.get("sha256"),
               server_version=doc.get("postgresql"), rule=div.get("rule"), rules=tuple(div.get("rules") or ()),
               step=div.get("step"), message=div.get("message") or "", expected=div.get("expected"),
               observed=div.get("observed"), recorded_at=doc.get("recorded_at"),
               sequences=_sequences(p, doc.get("sequences")),
               known=tuple(_known_entry(p, i, k) for i, k in enumerate(_list(p, doc.get("known"), "known"), 1)),
               path=p)


def _list(p: Path, value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedReplay(f"{p}: '{name}' must be a list")
    return value


def _sequences(p: Path, value: Any) -> tuple[tuple[str, int], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, int) for k, v in value.items()):
        raise MalformedReplay(f"{p}: 'sequences' must map sequence names to integers")
    return tuple(sorted(value.items()))


def _json_line(text: str, number: int) -> str:
    """' (line N)': where the number-th entry of "ops" sits in the file, for the error message."""
    start = text.find('"ops"')
    hits = [m.start() for m in re.finditer(r'"op"\s*:', text[start:])] if start >= 0 else []
    if number <= len(hits):
        return f" (line {text.count(chr(10), 0, start + hits[number - 1]) + 1})"
    return ""


_META = re.compile(r"^--\s*@pggit-model\s+(.*)$")
_CREATE_SCHEMA = re.compile(r'^\s*CREATE\s+SCHEMA\s+(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")+"|\w+)\s*;\s*$', re.I)


def _load_sql(p: Path, text: str) -> Run:
    meta: dict[str, str] = {}
    lines = text.splitlines()
    body: list[str] = []  # the statements to parse; other lines blanked so line numbers stay right
    in_ops = not any(_META.match(line) and _META.match(line).group(1).strip() == "ops"  # type: ignore[union-attr]
                     for line in lines)
    schema: str | None = None
    sequences: dict[str, int] = {}
    known_entries: list[kn.Known] = []
    events: list[tuple[int, str]] = []  # (line, "fault KIND" | "terminate-session"): session events between statements
    for number, line in enumerate(lines, 1):
        m = _META.match(line)
        if m:
            words = m.group(1).strip()
            if words.startswith("fault ") or words in ("terminate-session", "other-session"):
                if words.startswith("fault ") and words.split()[1:] not in ([k] for k in faults.SQLSTATES):
                    raise MalformedReplay(f"{p}:{number}: unknown fault {words.removeprefix('fault ')!r}; "
                                          f"one of: {', '.join(sorted(faults.SQLSTATES))}")
                events.append((number, words))
            elif words == "ops":
                in_ops = True
            elif words == "end":
                in_ops = False
            elif words.startswith("known "):
                known_entries.append(_known_entry(p, len(known_entries) + 1, words.removeprefix("known ")))
            elif words.startswith("sequence "):
                name, _, value = words.removeprefix("sequence ").strip().partition("=")
                if value.strip().isdigit():
                    sequences[name.strip()] = int(value)
            else:
                for k, v in re.findall(r"(\w+)=(\S*)", words):
                    meta[k] = v
            body.append("")
            continue
        s = _CREATE_SCHEMA.match(line)
        if s:
            name = s.group(1)
            schema = name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()
            body.append("")
        elif not in_ops or line.lstrip().startswith("\\"):
            body.append("")  # psql meta-commands and the observation queries are not ops
        else:
            body.append(line)
    op_list = _with_session_events(p, _parse_statements(p, "\n".join(body)), events)
    schema = meta.get("schema") or schema or guess_schema(op_list) or "public"
    step_text = meta.get("step")
    rule = meta.get("rule")
    return Run(ops=tuple(op_list), schema=schema, machine=meta.get("machine", "?"),
               isolation=meta.get("isolation", "rollback"), backend=meta.get("backend", "reference"),
               source=meta.get("source") or None, digest=meta.get("sha256") or None,
               rule=None if rule in (None, "", "None") else rule,
               step=int(step_text) if step_text and step_text.isdigit() else None,
               sequences=tuple(sorted(sequences.items())), known=tuple(known_entries), path=p)


def _known_entry(p: Path, n: int, value: Any) -> kn.Known:
    """One recorded known divergence (a JSON object in run.json or after '@pggit-model known' in replay.sql)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as e:
            raise MalformedReplay(f"{p}: known divergence #{n} is not valid JSON: {e.msg}") from None
    try:
        return kn.entry(p, n, value)
    except kn.BadRegistry as e:
        raise MalformedReplay(f"{p}: recorded {e}") from None


def _with_session_events(p: Path, statements: list[tuple[int, Op]], events: list[tuple[int, str]]) -> list[Op]:
    """Put the recorded session events in place: a fault strikes the next statement; a terminate is an op."""
    out: list[Op] = []
    pending = sorted(events)
    for line, op in statements:
        while pending and pending[0][0] < line:
            where, what = pending.pop(0)
            if what == "terminate-session":
                out.append(faults.TerminateSession())
            elif pending and pending[0][0] < line:
                raise MalformedReplay(f"{p}:{where}: '{what}' is not followed by a statement of its own")
            elif what == "other-session":
                op = OtherSession(op)
            else:
                op = faults.Fault(what.split()[1], op)
        out.append(op)
    for where, what in pending:
        if what != "terminate-session":
            raise MalformedReplay(f"{p}:{where}: '{what}' is not followed by a statement of its own")
        out.append(faults.TerminateSession())
    return out


def _parse_statements(p: Path, body: str) -> list[tuple[int, Op]]:
    """Parse statement by statement (with the line each starts on), so an error names the line and column."""
    from sqlglot.dialects.postgres import Postgres
    from sqlglot.tokens import TokenType

    try:
        tokens = Postgres().tokenizer_class().tokenize(body)
    except Exception as e:  # sqlglot's TokenError carries the line in its message
        raise MalformedReplay(f"{p}: cannot read the SQL: {e}") from None
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
                out.append((start.line, parse_one(stmt)))
            except UnsupportedStatement as e:
                col = start.start - body.rfind("\n", 0, start.start)  # sqlglot's col is where the token ends
                raise MalformedReplay(f"{p}:{start.line}:{col}: {e}") from None
        start = None
    return out


# -- replaying --------------------------------------------------------------------------------------------

@attrs.frozen
class ReplayResult:
    """What a replay did: the verdict it got (None: no divergence), compared with the recorded one."""

    run: Run
    got: Verdict | None
    steps_run: int
    divergence: str | None = None  # the first line of the divergence, if any
    failing_op: Op | None = None
    warnings: tuple[str, ...] = ()
    backend: str = ""

    @property
    def reproduced(self) -> bool:
        want = self.run.verdict
        if want is None:  # a hand-written script: reproducing means diverging at all
            return self.got is not None
        return self.got == want

    def summary(self) -> str:
        recorded = f"recorded: {self.run.verdict}" if self.run.verdict else "no recorded verdict"
        if self.got is None:
            head = f"no divergence in {self.steps_run} steps"
        else:
            op = f": {self.failing_op!r}" if self.failing_op is not None else ""
            head = f"[{self.got.rule}] at step {self.got.step} of {len(self.run.ops)}{op}"
        word = "REPRODUCED" if self.reproduced else "NOT REPRODUCED"
        lines = [f"{word}: {head} ({recorded}; backend {self.backend})"]
        if self.divergence:
            lines.append(f"  {self.divergence}")
        return "\n".join(lines)



def check_backend(run: Run, source: str | Path | None, *, reference: bool = False) -> tuple[str | None, list[str]]:
    """Which backend to install for ``run`` (None = the reference), and warnings about a different one.

    Without an explicit choice the recorded backend is used; a recorded pgGit checkout that is gone or has
    changed is an error (MalformedReplay) saying what to pass. An explicit different backend (to check a
    fix, say) only warns.
    """
    warnings: list[str] = []
    if reference or source is not None:
        chosen = None if reference else str(source)
        digest = source_digest(REFERENCE_SOURCE if chosen is None else Path(chosen).expanduser().resolve())
        if run.digest and digest != run.digest:
            name = "the reference backend" if chosen is None else chosen
            warnings.append(f"recorded against {run.backend} {run.source or ''} (sha256 {run.digest[:12]}), "
                            f"replaying against {name} (sha256 {digest[:12]}): the verdict may differ")
        return chosen, warnings
    if run.backend == "reference":
        if run.digest and source_digest(REFERENCE_SOURCE) != run.digest:
            warnings.append(f"recorded against an earlier reference backend (sha256 {run.digest[:12]}); "
                            "replaying against the bundled one")
        return None, warnings
    where = run.source
    if not where or not Path(where).is_dir():
        raise MalformedReplay(f"{run.path or 'the run'}: recorded against pgGit at {where} (sha256 "
                              f"{(run.digest or '?')[:12]}), which is not there; pass --pggit-source DIR")
    if run.digest and source_digest(Path(where)) != run.digest:
        raise MalformedReplay(f"{run.path or 'the run'}: recorded against pgGit at {where} with sha256 "
                              f"{run.digest[:12]}, but that checkout has changed (sha256 "
                              f"{source_digest(Path(where))[:12]}); check out the recorded version, or pass "
                              "--pggit-source DIR to replay against another one anyway")
    return where, warnings


def replay(run: Run, server: ThrowawayCluster | ExternalServer, source: str | Path | None = None, *,
           reference: bool = False, strict: bool = False, registry: kn.Registry | None = None) -> ReplayResult:
    """Install the backend in a fresh database, run ``run.ops`` through a Driver and compare the verdict.

    ``source=None`` and ``reference=False`` means the recorded backend. ``strict`` turns the backend
    warnings into MalformedReplay. ``registry`` replaces the known divergences recorded with the run.
    """
    crash = next((i for i, op in enumerate(run.ops, 1) if op.kind == "crash_restart"), None)
    if crash is not None:
        raise MalformedReplay(f"{run.path or 'the run'}: step {crash} crashes and restarts the server, which replay "
                              "does not do to a server it shares; rerun the crash machine's saved example instead: "
                              "pytest machines/test_crash.py --hypothesis-profile=replay")
    chosen, warnings = check_backend(run, source, reference=reference)
    if strict and warnings:
        raise MalformedReplay(f"{run.path or 'the run'}: {warnings[0]}")
    template = Template(server, chosen)
    try:
        backend = f"{template.report.backend} {template.report.source} (sha256 {template.report.digest[:12]})"
        got, steps, text, op = _drive(run, template, run.registry if registry is None else registry)
    finally:
        template.close()
    return ReplayResult(run, got, steps, text, op, tuple(warnings), backend)


def _drive(run: Run, template: Template, registry: kn.Registry) -> tuple[Verdict | None, int, str | None, Op | None]:
    """Run the ops on the template database itself (it is thrown away afterwards), as the machine did."""
    nested = run.isolation == "rollback"
    with connect(template.server.conninfo(template.dbname), autocommit=not nested) as conn:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(run.schema)))
            for name, value in run.sequences:
                cur.execute(sql.SQL(_SETVAL).format(
                    seq=sql.Literal(name), value=sql.Literal(value)))
        driver = Driver(Client(conn, run.schema, nested=nested), run.schema, missing=frozenset(template.report.missing),
                        stats=RunStats(), txn_started=time.time() if nested else None, known=registry)
        conninfo = template.server.conninfo(template.dbname)
        # The faults machine's session events need the sleeping trigger and a second session, as in the run.
        other = None
        second: Client | None = None  # for OtherSession steps, as the machine's second session
        if any(isinstance(op, faults.Fault | faults.TerminateSession) for op in run.ops):
            faults.install(conn)
            other = connect(conninfo)
        done = 0
        try:
            driver.check_state()
            for op in run.ops:
                if isinstance(op, OtherSession):
                    if second is None:
                        second = Client(connect(conninfo), run.schema)
                    driver.run(op.op, session=second)
                elif isinstance(op, faults.Fault) and other is not None:
                    faults.strike(driver, op, other)
                elif isinstance(op, faults.TerminateSession) and other is not None:
                    faults.terminate_and_reconnect(driver, other, conninfo)
                else:
                    driver.run(op)
                done += 1
                driver.check_state()
        except Divergence as d:
            number = done + 1 if len(driver.ops) > done else done  # the op whose answer diverged, else the last run
            step_no = d.step if d.step is not None else number
            failing = run.ops[step_no - 1] if 1 <= step_no <= len(run.ops) else None
            return Verdict(rule_family(d.rule), step_no), number, str(d).split("\n")[0], failing
        finally:
            with contextlib.suppress(psycopg.Error):
                conn.rollback()
            for c in {driver.client.conn, other, second and second.conn} - {conn, None}:
                with contextlib.suppress(psycopg.Error):
                    c.close()  # type: ignore[union-attr]
    return None, len(run.ops), None, None


# -- triage -----------------------------------------------------------------------------------------------

def match_known(run: Run, registry: kn.Registry) -> kn.Known | None:
    """The registry entry that covers ``run``, if any (the matching itself is ``kn.Known.covers``)."""
    op = kn.struck(run.failing_op)
    text = kn.match_text(op, run.message, run.expected, run.observed)
    return registry.lookup(run.rule, run.rules, op.kind if op else None, text, failure=run.id)


def find_runs(results: Path | str) -> list[Run]:
    """Every run.json under ``results`` (one per failure folder), oldest first; unreadable ones raise."""
    runs = [load_run(p) for p in sorted(Path(results).glob("*/run.json"))]
    return sorted(runs, key=lambda r: (r.recorded_at or "", r.id))


def triage_lines(runs: Sequence[Run], registry: kn.Registry = kn.EMPTY) -> list[str]:
    """One line per distinct divergence: id, rule, op kind of the failing step, steps, known/new, details."""
    seen: set[str] = set()
    lines = []
    for run in runs:
        if run.id in seen:
            continue
        seen.add(run.id)
        entry = match_known(run, registry)
        status = "new" if entry is None else {"open": "known"}.get(entry.status, entry.status)
        op = run.failing_op
        first = run.message.splitlines()[0] if run.message else ""
        lines.append(f"{run.id}  {run.rule or '?':<4} {op.kind if op else '-':<22} {len(run.ops):>3} steps  "
                     f"{status:<6} {run.machine}: {first[:100]}")
    return lines


def example_db_lines(db_path: Path | str, runs: Sequence[Run]) -> list[str]:
    """Saved Hypothesis examples per machine that no recorded run accounts for (they need a rerun to triage)."""
    from hypothesis.database import _hash  # the directory name of a database key
    from hypothesis.internal.reflection import function_digest
    from hypothesis.stateful import get_state_machine_test

    from .machines import ALL_MACHINES

    root = Path(db_path)
    if not root.is_dir():
        return []
    recorded = {r.machine for r in runs}
    lines = []
    for machine in ALL_MACHINES:
        key = function_digest(get_state_machine_test(machine).hypothesis.inner_test)
        folder = root / _hash(key)
        saved = len(list(folder.iterdir())) if folder.is_dir() else 0
        if saved and machine.__name__ not in recorded:
            lines.append(f"db:{_hash(key)}  ?    {'-':<22}   ? steps  new    {machine.__name__}: {saved} saved "
                         "example(s) not recorded yet; rerun with --hypothesis-profile=replay to record them")
    return lines



# -- session bookkeeping for the harness and the --pggit-report summary -----------------------------------

@attrs.define
class Recorded:
    machine: str
    id: str
    rule: str
    step: int | None
    steps: int
    message: str
    folder: Path


@attrs.define
class SessionRecord:
    """Per machine: its own RunStats and the failures it recorded (the session's STATS holds the totals)."""

    machines: dict[str, RunStats] = attrs.Factory(dict)
    failures: list[Recorded] = attrs.Factory(list)


SESSION = SessionRecord()


def merge_stats(into: RunStats, part: RunStats) -> None:
    """Add ``part``'s counts, sets and maps to ``into`` (numbers add up, per-machine step counts too)."""
    for f in attrs.fields(RunStats):
        mine, theirs = getattr(into, f.name), getattr(part, f.name)
        if isinstance(mine, int):
            setattr(into, f.name, mine + theirs)
        elif isinstance(mine, set):
            mine |= theirs
        elif isinstance(mine, dict) and f.name in ("machines", "known"):  # counts add up
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        elif isinstance(mine, dict):
            mine.update(theirs)


def pggit_sequences(conn: psycopg.Connection) -> dict[str, int]:
    """Positions of pgGit's sequences on a connection ({} if it cannot tell: recording must go on)."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT format('%I.%I', schemaname, sequencename), last_value FROM pg_sequences "
                        "WHERE schemaname = 'pggit' AND last_value IS NOT NULL")
            rows = cur.fetchall()
        conn.rollback()
    except psycopg.Error:
        return {}
    return {name: int(value) for name, value in rows}


def hypothesis_context(machine: type, settings: Any = None) -> tuple[Any, str | None]:
    """The seed and profile a machine ran with, as far as Hypothesis exposes them."""
    import hypothesis
    import hypothesis.core

    seed = getattr(machine, "_hypothesis_internal_use_seed", None)
    if seed is None:
        seed = hypothesis.core.global_force_seed
    active = settings if settings is not None else hypothesis.settings.default
    if seed is None and getattr(active, "derandomize", False):
        seed = "derandomize"
    profile = hypothesis.settings.get_current_profile_name()
    return seed, profile if settings is None else f"{profile} (with settings given in code)"


def record_divergences(harness: Any, machine: type, divergences: Sequence[Divergence], settings: Any = None,
                       ) -> list[str]:
    """Record each divergence of a machine run (the Harness calls this); returns a note per divergence.

    A failure to write the files becomes the note: it must never hide the divergence itself.
    """
    seed, profile = hypothesis_context(machine, settings)
    last = getattr(harness, "last_machine", None)
    iso = getattr(harness, "_rollback", None)  # not the property: it would build one
    sequences = pggit_sequences(iso.conn) if iso is not None and getattr(machine, "isolation", "") == "rollback" \
        else {}
    schema = getattr(last, "schema", None)
    notes = []
    for d in divergences:
        op_list = list(getattr(d, "ops", ())) or list(getattr(getattr(last, "driver", None), "ops", []))
        try:
            folder = record_failure(harness.results, machine=machine.__name__, divergence=d, profile=profile, seed=seed,
                                report=harness.template.report,
                                server_version=getattr(harness.template.server, "version", None), schema=schema,
                                    isolation=getattr(machine, "isolation", "rollback"), ops=op_list,
                                    sequences=sequences, registry=getattr(harness, "known", kn.EMPTY))
        except Exception as e:
            notes.append(f"could not write the replay files under {harness.results}: {type(e).__name__}: {e}")
            continue
        SESSION.failures.append(Recorded(machine.__name__, folder.name, d.rule, d.step, len(op_list),
                                         d.message.splitlines()[0] if d.message else "", folder))
        notes.append(f"replay files: {folder}/ (replay.sql, run.json, test_replay_{folder.name}.py); "
                     f"rerun with: pggit-model replay {folder}/run.json")
    return notes


# -- sharing the Hypothesis example database --------------------------------------------------------------

LOCAL_EXAMPLES = ".hypothesis/examples"


def example_database(spec: str, local: str = LOCAL_EXAMPLES) -> Any:
    """The example database for ``--pggit-examples SPEC``: always the local directory, plus a shared one.

    ``redis://host:6379/0`` shares read-write through Redis (extra ``pggit-model[redis]``);
    ``github:OWNER/REPO[/ARTIFACT]`` reads what CI uploaded as a GitHub Actions artifact (read-only, needs
    GITHUB_TOKEN); any other value is a directory path used instead of the local default.
    """
    from hypothesis.database import (
        DirectoryBasedExampleDatabase,
        GitHubArtifactDatabase,
        MultiplexedDatabase,
        ReadOnlyDatabase,
    )

    mine = DirectoryBasedExampleDatabase(local)
    if spec.startswith(("redis://", "rediss://", "unix://")):
        try:
            import redis
            from hypothesis.extra.redis import RedisExampleDatabase
        except ImportError:
            raise InvalidProfile(f"--pggit-examples {spec!r} needs the redis client: "
                                 "pip install 'pggit-model[redis]'") from None
        return MultiplexedDatabase(mine, RedisExampleDatabase(redis.Redis.from_url(spec)))
    if spec.startswith("github:"):
        parts = spec.removeprefix("github:").split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise InvalidProfile(f"--pggit-examples {spec!r}: expected github:OWNER/REPO or github:OWNER/REPO/ARTIFACT")
        artifact = parts[2] if len(parts) == 3 else "hypothesis-example-db"
        shared = GitHubArtifactDatabase(parts[0], parts[1], artifact_name=artifact)
        return MultiplexedDatabase(mine, ReadOnlyDatabase(shared))
    return DirectoryBasedExampleDatabase(spec)


# -- the --pggit-report markdown summary ------------------------------------------------------------------

def markdown_report(session: SessionRecord, totals: RunStats, report_path: Path, all_rules: Sequence[str],
                    base: Any = lambda r: r) -> str:
    """Per machine: steps, examples, contract rules exercised, divergences with links to their replay files."""
    import os

    def link(folder: Path, name: str) -> str:
        target = os.path.relpath((folder / name).resolve(), report_path.resolve().parent)
        return f"[{name}]({target})"

    lines = ["# pggit-model run", "",
             f"{totals.steps} steps, {totals.examples} examples, "
             f"{len({base(r) for r in totals.rules} & set(all_rules))}/{len(all_rules)} contract rules exercised, "
             f"{len(session.failures)} divergences recorded.", ""]
    if totals.missing_functions:
        lines += ["Contract functions missing from the backend (their rules were skipped):", ""]
        lines += [f"- `{sig}`: {', '.join(rules)}" for sig, rules in sorted(totals.missing_functions.items())]
        lines.append("")
    for name, st in sorted(session.machines.items()):
        exercised = sorted({base(r) for r in st.rules} & set(all_rules), key=list(all_rules).index)
        lines += [f"## {name}", "",
                  "| steps | examples | skipped (unspecified) | rules exercised |", "|---|---|---|---|",
                  f"| {st.steps} | {st.examples} | {st.skipped_unspecified} | {len(exercised)}/{len(all_rules)} |", "",
                  f"Rules: {' '.join(exercised) or 'none'}", ""]
        mine = [f for f in session.failures if f.machine == name]
        if not mine:
            lines += ["No divergence.", ""]
            continue
        lines += ["| id | rule | step | steps | divergence | replay |", "|---|---|---|---|---|---|"]
        for f in mine:
            files = ", ".join(link(f.folder, n) for n in ("replay.sql", "run.json", f"test_replay_{f.id}.py"))
            message = f.message.replace("|", "\\|")
            lines.append(f"| `{f.id}` | {f.rule} | {f.step} | {f.steps} | {message} | {files} |")
        lines.append("")
    return "\n".join(lines)


__all__ = [
    "LOCAL_EXAMPLES",
    "OP_NAMES",
    "SESSION",
    "ReplayResult",
    "Run",
    "SessionRecord",
    "Verdict",
    "example_database",
    "failure_id",
    "find_runs",
    "load_run",
    "markdown_report",
    "match_known",
    "merge_stats",
    "op_from_repr",
    "record_divergences",
    "record_failure",
    "render_sql",
    "render_test",
    "replay",
    "run_to_json",
    "triage_lines",
]
