"""Recording a parallel failure: the normal run files (run.json, replay.sql, test_replay_<id>.py, through
``session.record_divergences``) plus the isolation spec and the output the contract expects for it.

The expected output (``replay.out``) is what isolationtester prints for the spec on the bundled reference backend:
the contract's answer, so the pair drops into pgGit's own ``pg_isolation_regress`` suite, where it fails until
pgGit behaves as the contract says.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from pggit_model.cluster import Server
from pggit_model.divergences import Divergence
from pggit_model.errors import PggitModelError
from pggit_model.isolation import Template
from pggit_model.machine import Harness
from pggit_model.runs import failure_id, guess_schema
from pggit_model.session import Where, hypothesis_context, record_divergences

from . import spec
from .program import SCHEMA, Program, describe, program_of

MACHINE = "ParallelMachine"


def expected_output(program: Program, server: Server) -> str:
    """isolationtester's output for ``program``'s spec on a fresh install of the bundled reference."""
    reference = Template(server, None)
    try:
        return spec.run_spec(spec.write_spec(program), server.conninfo(reference.dbname))
    finally:
        reference.close()


def save_spec(program: Program, folder: Path, d: Divergence, server: Server | None) -> str:
    """Write replay.spec (and, given a server, replay.out); returns a note saying what was written."""
    title = f"[{d.rule}] {d.message.splitlines()[0]}"
    try:
        text = spec.write_spec(program, title=title)
    except ValueError as e:  # a statement an isolation spec cannot hold
        return f"no isolation spec written: {e}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "replay.spec").write_text(text)
    note = f"isolation spec: {folder / 'replay.spec'} (run: isolationtester 'dbname=…' < replay.spec)"
    if server is not None:
        try:
            (folder / "replay.out").write_text(expected_output(program, server))
            note += "; replay.out: its output on the reference (the expected .out for pg_isolation_regress)"
        except PggitModelError as e:
            note += f"; no replay.out: {e}"
    return note


def record(harness: Harness, d: Divergence, test: Any = None) -> Path | None:
    """Record ``d`` under the harness's results folder; returns the failure's folder. A divergence of the prefix
    (a sequential one, found by the Driver before any session ran) is recorded as a plain run."""
    program = program_of(d)
    schema = program.schema if program is not None else guess_schema(d.ops) or SCHEMA
    seed, profile = hypothesis_context(test) if test is not None else (None, None)
    where = Where(results=harness.results, machine=MACHINE, seed=seed, profile=profile,
                  report=harness.template.report, server_version=getattr(harness.template.server, "version", None),
                  schema=schema, isolation="clone", registry=harness.known)
    for note in record_divergences(where, [d]):
        d.add_note(note)
    folder = harness.results / failure_id(MACHINE, d.rule, d.ops, schema)
    harness.stats.divergences[f"{MACHINE}:{d.rule}"] = str(d).split("\n")[0][:160]
    if program is None:
        return folder
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "program.txt").write_text(describe(program) + "\n")
    d.add_note(save_spec(program, folder, d, harness.template.server))
    d.add_note(f"program:\n{describe(program)}")
    return folder
