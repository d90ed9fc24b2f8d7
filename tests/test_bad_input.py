"""Bad input never crashes (issue 18, part 6): fuzzed run.json, replay.sql, registry files and CLI arguments give
one clear error naming the file (and line where there is one) and exit 2, never a traceback."""

from __future__ import annotations

import atexit
import contextlib
import io
import json
import os
import shutil
import string
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pggit_model import known
from pggit_model.cli import main
from pggit_model.errors import MalformedReplay
from pggit_model.ops import Column, CreateBranch, CreateTable, GetVersion
from pggit_model.store import load_run

#: 200 cases per file kind by default; PGGIT_FUZZ_EXAMPLES=5000 for a longer hunt.
# nested_given: `triage --examples DIR` builds each machine's Hypothesis test to find its example-database key,
# which inside this fuzz test is a @given within a @given (harmless here: nothing runs it).
FUZZ = settings(max_examples=int(os.environ.get("PGGIT_FUZZ_EXAMPLES", "200")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.nested_given], database=None)
WORK = Path(tempfile.mkdtemp(prefix="pggit-fuzz-"))  # one folder for every case (no per-example fixture)
atexit.register(shutil.rmtree, WORK, ignore_errors=True)

OP_REPRS = [repr(CreateTable("mc_aaaaaa", "t1", (Column("id", "int"),))), repr(CreateBranch("b1", "main")),
            repr(GetVersion("mc_aaaaaa.t1")), "Begin()", "Commit()", "CreateTable(", "Nope()", "1", "[]",
            "CreateTable(schema=1, name=None, columns=3)", "__import__('os')", "GetVersion(name='x' * 3)"]
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
                           | st.sampled_from(OP_REPRS),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                        max_size=3), max_leaves=8)
RUN_KEYS = ["format", "id", "machine", "isolation", "schema", "seed", "profile", "backend", "postgresql", "ops",
            "divergence", "sequences", "known", "recorded_at"]
run_docs = st.dictionaries(st.sampled_from(RUN_KEYS), json_values, max_size=8) | st.fixed_dictionaries(
    {"ops": st.lists(st.fixed_dictionaries({"op": st.sampled_from(OP_REPRS)}) | json_values, max_size=4)},
    optional={k: json_values for k in RUN_KEYS if k != "ops"})

SQL_LINES = ["CREATE TABLE t (a int);", "CREATE TABLE mc_x.t1 (id integer);", "ALTER TABLE t ADD COLUMN b int;",
             "SELECT pggit.create_branch('b', 'main');", "BEGIN;", "COMMIT;", "VACUUM;", "CREATE SCHEMA s;",
             "CREATE TABLE public.t (a int);", "-- @pggit-model ops", "-- @pggit-model end",
             "-- @pggit-model fault lock_timeout", "-- @pggit-model fault nonsense", "-- @pggit-model other-session",
             "-- @pggit-model known {\"id\": \"k\", \"rule\": \"V8\"}", "-- @pggit-model known {bad",
             "-- @pggit-model known {\"id\": 3}", "-- @pggit-model sequence pggit.x=12",
             "-- @pggit-model rule=V8 step=x schema=", "-- @pggit-model terminate-session", "\\set x 1",
             "CREATE TABLE t (", "'unterminated", "$$", "SELECT 1;", "DROP TABLE t;", ";", ""]
sql_texts = st.lists(st.sampled_from(SQL_LINES) | st.text(alphabet=string.printable, max_size=20), max_size=8).map(
    "\n".join)

FIELDS = ["id", "rule", "op", "match", "failure", "status", "note", "what"]
toml_values = st.sampled_from(['"a"', '"V8"', '"alter_table"', '["alter_table", "x"]', "[]", "3", '"("', '"open"',
                               '"maybe"', "true", '""', "[1, 2]", '{x = 1}', '"H6"'])
registry_texts = st.lists(st.lists(st.tuples(st.sampled_from(FIELDS), toml_values), max_size=5).map(
    lambda kv: "[[divergence]]\n" + "".join(f"{k} = {v}\n" for k, v in kv)), max_size=3).map("\n".join) | \
    st.text(alphabet=string.printable, max_size=40)


def _write(name: str, text: str | bytes) -> Path:
    p = WORK / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def _cli(argv: list[str]) -> tuple[int, str, str]:
    """Run the CLI in-process: its exit code (argparse's SystemExit included), stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def _loads_or_says_where(p: Path) -> Any:
    """load_run either gives a Run or one MalformedReplay that starts with the file's path."""
    try:
        return load_run(p)
    except MalformedReplay as e:
        assert str(e).startswith(str(p)) and "\n" not in str(e), str(e)
        return None


@FUZZ
@given(run_docs)
def test_fuzzed_run_json_loads_or_names_the_file(doc: dict) -> None:
    """Any JSON document as run.json loads or is refused with the file named; the CLI then exits 2, one line."""
    p = _write("run.json", json.dumps(doc))
    if _loads_or_says_where(p) is None:
        code, _, err = _cli(["replay", str(p)])
        assert code == 2 and err.startswith(f"pggit-model: {p}") and "Traceback" not in err, err


@FUZZ
@given(sql_texts)
def test_fuzzed_replay_sql_loads_or_names_the_file_and_line(text: str) -> None:
    """Any text as replay.sql loads or is refused naming the file (and line:column for a statement)."""
    p = _write("replay.sql", text)
    run = _loads_or_says_where(p)
    if run is None:
        code, _, err = _cli(["replay", str(p)])
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    else:
        assert run.ops and run.schema not in ("public", "pggit")


@FUZZ
@given(registry_texts, st.sampled_from(["k.toml", "k.json"]))
def test_fuzzed_registry_loads_or_names_the_file(text: str, name: str) -> None:
    """Any registry text loads or raises one BadRegistry naming the file; `known lint` exits 0, 1 or 2."""
    p = _write(name, text)
    try:
        known.load(p)
    except known.BadRegistry as e:
        assert str(p) in str(e), str(e)
    code, _, err = _cli(["known", "lint", str(p)])
    assert code in (0, 1, 2) and "Traceback" not in err
    if code == 2:
        assert str(p) in err


ARGS = ["replay", "triage", "known", "lint", "--known", "--runs", "--strict", "--reference", "--pggit-source",
        "--examples", "--pg-dsn", "-x", "--", "", str(WORK / "none.json"), str(WORK), "docs", "\x00", "é"]


@FUZZ
@given(st.lists(st.sampled_from(ARGS) | st.text(max_size=6), max_size=5))
def test_fuzzed_cli_arguments_exit_cleanly(argv: list[str]) -> None:
    """Random arguments to replay, triage and known end in a message and an exit code, never a traceback (the
    run, doctor, load and limits commands start pytest or a server and are left out)."""
    if argv and argv[0] in ("run", "doctor", "load", "limits"):
        argv = ["triage", *argv[1:]]
    if "replay" in argv[:1] and any(Path(a).is_file() for a in argv[1:] if a and "\x00" not in a):
        return  # a real file would start a server: the server cases are below
    code, _, err = _cli(argv)
    assert code in (0, 1, 2) and "Traceback" not in err


def test_an_empty_replay_sql_is_one_clear_error() -> None:
    """Issue 18: an empty replay.sql said DuplicateSchema in a traceback; now one line and exit 2."""
    p = _write("empty.sql", "")
    code, _, err = _cli(["replay", str(p)])
    assert code == 2 and err == f"pggit-model: {p}: no statement to replay (the file is empty, or only comments and " \
        "psql commands); pass a replay.sql or run.json from a results folder, or write the SQL to replay\n"


def test_unqualified_names_run_in_a_default_schema() -> None:
    """A hand-written script's bare names are qualified with its CREATE SCHEMA, else a schema of its own."""
    run = load_run(_write("hand.sql", "CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\n"))
    assert run.schema == "replay" and [op.schema for op in run.ops] == ["replay"] * 2  # type: ignore[attr-defined]
    run = load_run(_write("hand2.sql", "CREATE SCHEMA app;\nCREATE TABLE t (a int);\n"))
    assert run.schema == "app" and run.ops[0].schema == "app"  # type: ignore[attr-defined]
    with pytest.raises(MalformedReplay, match="which the install owns"):
        load_run(_write("pub.sql", "CREATE TABLE public.t (a int);\n"))


@pytest.mark.server
@pytest.mark.parametrize(("text", "code", "needle"), [
    ("CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int;\n", 1, "no divergence in 2 steps"),
    ("CREATE SCHEMA app;\nCREATE TABLE t (a int);\nSELECT pggit.create_branch('b1', 'main');\n", 1,
     "no divergence in 2 steps"),
])
def test_hand_written_scripts_that_parse_run(text: str, code: int, needle: str) -> None:
    """The few fuzz shapes that get past parsing run against the reference backend and end in a verdict."""
    p = _write("ok.sql", text)
    got, out, err = _cli(["replay", str(p)])
    assert got == code and needle in out and "Traceback" not in err, out + err


@pytest.mark.server
def test_a_hand_written_script_with_bare_names_finds_a_planted_fault(tmp_path: Path) -> None:
    """Bare names run in the default schema and are checked there: CREATE INDEX that does not bump its table (a
    planted V10c fault) is reported at step 2, so the script 'reproduces' (exit 0)."""
    from pggit_model.mutants import by_name

    source = by_name("create-index-unrecorded").apply(tmp_path / "mutant")
    p = _write("bare.sql", "CREATE TABLE t (id int);\nCREATE INDEX i1 ON t (id);\n")
    code, out, err = _cli(["replay", str(p), "--pggit-source", str(source)])
    assert code == 0 and "REPRODUCED: [V7] at step 2 of 2" in out, out + err
