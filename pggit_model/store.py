"""A recorded run's files: one folder per distinct failure under the results folder (``.pggit-model/<id>/``).

``record_failure`` writes ``run.json`` (the ops as constructor calls, seed, profile, backend and its digest,
PostgreSQL version, the divergence), ``replay.sql`` (``script``) and ``test_replay_<id>.py``; ``load_run`` reads
back either file; ``find_runs`` lists a results folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import known as kn
from .divergences import Divergence
from .errors import MalformedReplay, PggitModelError
from .install import InstallReport
from .ops import Op
from .runs import FORMAT, Run, guess_schema, known_entry, known_json, op_from_repr, run_from_divergence
from .script import render_sql, render_test
from .script_read import DEFAULT_SCHEMA, load_sql, reserved_schema


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
        "backend": {"name": run.backend, "source": run.source, "sha256": run.digest, "version": run.backend_version,
                    "missing": list(run.missing)},
        "postgresql": run.server_version,
        "ops": [{"kind": op.kind, "op": repr(op)} for op in run.ops],
        "divergence": {
            "rule": run.rule, "rules": list(run.rules), "step": run.step,
            "op_kind": failing.kind if failing is not None else None,
            "message": run.message, "expected": run.expected, "observed": run.observed,
            "verdict": str(run.verdict) if run.verdict else None,
        },
        "sequences": dict(run.sequences),
        "known": [known_json(k) for k in run.known],
        "recorded_at": run.recorded_at,
    }


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


def load_run(path: Path | str) -> Run:
    """A run.json or replay.sql as a Run; MalformedReplay names the file and the position of the problem."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MalformedReplay(f"{p}: no such file; pass a run.json or replay.sql from a results folder") from None
    except (OSError, ValueError) as e:  # UnicodeDecodeError, or a NUL in the path
        raise MalformedReplay(f"{p}: cannot read it ({e})") from None
    if p.suffix == ".json" or text.lstrip().startswith("{"):
        return _load_json(p, text)
    return load_sql(p, text)


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
    if not op_list:
        raise MalformedReplay(f"{p}: 'ops' is empty: nothing to replay; pass a run.json a failing run recorded")
    backend = _typed(p, doc, "backend", dict) or {}
    div = _typed(p, doc, "divergence", dict) or {}
    schema = _typed(p, doc, "schema", str) or guess_schema(op_list) or DEFAULT_SCHEMA
    if reserved_schema(schema):
        raise MalformedReplay(f"{p}: 'schema' is {schema!r}, which the install owns or pgGit never tracks; a "
                              "replay creates the run's schema on a fresh install: name a new one")
    rules = _typed(p, div, "rules", list, "divergence.rules") or []
    if not all(isinstance(r, str) for r in rules):
        raise MalformedReplay(f"{p}: 'divergence.rules' must be a list of rule ids like \"V8\"")
    seed = doc.get("seed")
    return Run(ops=tuple(op_list), schema=schema, machine=_typed(p, doc, "machine", str) or "?",
               isolation=_typed(p, doc, "isolation", str) or "rollback",
               seed=seed if isinstance(seed, int | str | None) else repr(seed), profile=_typed(p, doc, "profile", str),
               backend=_typed(p, backend, "name", str, "backend.name") or "reference",
               source=_typed(p, backend, "source", str, "backend.source"),
               digest=_typed(p, backend, "sha256", str, "backend.sha256"),
               backend_version=_typed(p, backend, "version", str, "backend.version"),
               missing=tuple(str(m) for m in (_typed(p, backend, "missing", list, "backend.missing") or ())),
               server_version=_typed(p, doc, "postgresql", str), rule=_typed(p, div, "rule", str, "divergence.rule"),
               rules=tuple(rules), step=_typed(p, div, "step", int, "divergence.step"),
               message=_typed(p, div, "message", str, "divergence.message") or "",
               expected=_text(div.get("expected")), observed=_text(div.get("observed")),
               recorded_at=_typed(p, doc, "recorded_at", str),
               sequences=_sequences(p, doc.get("sequences")),
               known=tuple(known_entry(p, i, k) for i, k in enumerate(_list(p, doc.get("known"), "known"), 1)),
               path=p)


def _typed(p: Path, doc: dict[str, Any], key: str, kind: type, name: str | None = None) -> Any:
    """``doc[key]`` if it is absent, null or a ``kind``; else MalformedReplay saying what it must be."""
    value = doc.get(key)
    if value is None or (isinstance(value, kind) and not (kind is int and isinstance(value, bool))):
        return value
    raise MalformedReplay(f"{p}: '{name or key}' must be {_KIND_NAMES[kind]} or null, not {value!r:.60}")


_KIND_NAMES = {str: "a string", int: "an integer", dict: "an object", list: "a list"}


def _text(value: Any) -> str | None:
    return None if value is None else value if isinstance(value, str) else json.dumps(value)


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


def find_runs(results: Path | str) -> list[Run]:
    """Every run.json under ``results`` (one per failure folder), oldest first; unreadable ones raise."""
    runs = [load_run(p) for p in sorted(Path(results).glob("*/run.json"))]
    return sorted(runs, key=lambda r: (r.recorded_at or "", r.id))


__all__ = ["find_runs", "load_run", "record_failure", "run_to_json"]
