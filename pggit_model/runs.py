"""A recorded run as a value: the ops that led to a divergence, where it was found and what it said.

``Run`` is what ``store`` writes and reads (run.json), ``script`` renders and parses (replay.sql), ``replay``
reruns and ``triage`` lists; nothing here does I/O or knows Hypothesis. The id is a short hash of the machine,
the rule and the ops with the machine's schema name blanked out (each run picks a new schema name), so the same
failure found again lands in the same folder.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs

from . import known as kn
from . import ops as ops_module
from .divergences import Divergence, rule_family
from .errors import MalformedReplay
from .install import InstallReport
from .ops import Op

FORMAT = 1
_SCHEMA_MARK = "{schema}"


#: Every class the ops vocabulary exports (ops, session events and their parts: Column, PrimaryKey…), and nothing
#: else: a run.json names only these.
OP_NAMES: Mapping[str, type] = {n: v for n, v in vars(ops_module).items()
                                if isinstance(v, type) and not n.startswith("_")}


_ALLOWED_NODES = (ast.Expression, ast.Call, ast.keyword, ast.Constant, ast.Tuple, ast.List, ast.Name, ast.Load,
                  ast.UnaryOp, ast.USub)


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
        if isinstance(node, ast.Name) and node.id not in OP_NAMES:
            raise ValueError(f"unknown name {node.id!r} (not an op class of pggit_model.ops)")
        if isinstance(node, ast.Call) and not isinstance(node.func, ast.Name):
            raise ValueError("only calls of op classes by their bare name are allowed")
    value = eval(compile(tree, "<op>", "eval"), {"__builtins__": {}}, OP_NAMES)
    if not isinstance(value, Op):
        raise ValueError(f"evaluates to {type(value).__name__}, not an op")
    return value


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
    #: the backend's version as the install report read it ("0.5.1 (from CHANGELOG.md)")
    backend_version: str | None = None
    #: contract parts (functions, tables, columns, sequences) the backend lacked, whose rules were skipped (I4)
    missing: tuple[str, ...] = ()
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


_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|-?\b\d+(?:\.\d+)?\b")


def normalised_ops(ops: Sequence[Op], schema: str) -> list[str]:
    """The ops with the schema name and every literal (names, values, numbers) blanked out: what is left is the
    shape of the example, the same whichever machine drew it and whatever it called its tables."""
    return [_LITERAL.sub("?", _blank_schema(repr(op), schema)) for op in ops]


def root_fingerprint(run: Run) -> str:
    """A machine-independent key of a failure's root: rule family, the (struck) op kind at the failing step and the
    normalised shrunk example. Runs of several machines that shrank to the same example share it."""
    op = kn.struck(run.failing_op)
    h = hashlib.sha256(f"{rule_family(run.rule or '?')}\n{getattr(op, 'kind', '-')}\n".encode())
    for line in normalised_ops(run.ops, run.schema):
        h.update(line.encode() + b"\n")
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
        digest=report.digest if report else None, server_version=server_version,
        backend_version=str(report.version) if report else None, missing=tuple(report.blocked) if report else (),
        rule=d.rule, rules=tuple(d.rules),
        step=d.step if d.step is not None else len(d.ops), message=d.message,
        expected=None if d.expected is None else str(d.expected),
        observed=None if d.observed is None else str(d.observed),
        recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        sequences=tuple(sorted((sequences or {}).items())),
        known=registry.entries,
    )


def guess_schema(op_list: Iterable[Op]) -> str | None:
    for op in op_list:
        schema = getattr(op, "schema", None)
        if isinstance(schema, str):
            return schema
    return None


def known_json(k: kn.Known) -> dict[str, str]:
    return {f: v for f, v in attrs.asdict(k).items() if v not in (None, "")}


def known_entry(p: Path, n: int, value: Any) -> kn.Known:
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


__all__ = ["FORMAT", "OP_NAMES", "Run", "Verdict", "failure_id", "guess_schema", "known_entry", "known_json",
           "normalised_ops", "op_from_repr", "root_fingerprint", "run_from_divergence"]
