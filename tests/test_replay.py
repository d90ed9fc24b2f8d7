"""Failures as files and back (pggit_model.replay, ``pggit-model replay`` / ``triage``).

The pure tests check the file formats; the server tests plant one fault in a copy of the reference backend
(history rows of ALTERs are never written, contract V8), let the versioning machine find and shrink it, and
replay what it recorded: against the mutant it reproduces, against the correct reference it does not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

from pggit_model import cluster
from pggit_model.cli.triage import triage_lines
from pggit_model.divergences import divergence_type
from pggit_model.errors import MalformedReplay
from pggit_model.install import REFERENCE_SOURCE
from pggit_model.isolation import Template
from pggit_model.known import Known, Registry
from pggit_model.machine import Harness
from pggit_model.machines import VersioningMachine
from pggit_model.ops import (
    AddColumn,
    AddConstraint,
    AlterTable,
    Begin,
    Check,
    Column,
    CommitChanges,
    CreateBranch,
    CreateCommit,
    CreateFunction,
    CreateIndex,
    CreateSchema,
    CreateTable,
    CreateView,
    DetectChangesByHash,
    DropColumn,
    DropTable,
    Fault,
    GenerateTrinityId,
    GetVersion,
    OtherSession,
    PrimaryKey,
    Rollback,
    SetDefault,
    TerminateSession,
    Untracked,
    UpdateAllHashes,
)
from pggit_model.runs import Run, failure_id, op_from_repr
from pggit_model.session import RunStats
from pggit_model.store import load_run, record_failure

Server = cluster.ThrowawayCluster | cluster.ExternalServer
S = "mc_abc123"
OPS = [
    CreateTable(S, "t1", (Column("id", "int", not_null=True), Column("note", "text", default="it's")),
                (PrimaryKey(("id",)),)),
    AlterTable(S, "t1", (AddColumn(Column("n", "bigint")), SetDefault("note", "x"))),
    AlterTable(S, "t1", (AddColumn(Column("q", "int")),)),
    CreateIndex(S, "i1", "t1", ("id", "n"), unique=True),
    CreateView(S, "v1", "t1", ("id",)),
    CreateFunction(S, "f1", ("integer",), body=2),
    Begin(),
    CreateBranch("feature/x", "main"),
    CreateCommit("main", "a 'quoted'\nmessage; DROP TABLE x; --", None),
    CommitChanges("main", "msg", "  custom-id-0001  "),
    Rollback(),
    GetVersion(f"{S}.t1"),
    DropTable(S, "t1", cascade=True),
]


def _divergence(step: int = 3, ops: list | None = None) -> Exception:
    d = divergence_type("V8")("ALTER appended no history row", op=OPS[step - 1], step=step,
                              expected="1 history row", observed="0 history rows", rules=("V8",))
    d.ops = list(OPS if ops is None else ops)
    return d


def _record(tmp_path: Path, **kw: object) -> Path:
    return record_failure(tmp_path, machine="VersioningMachine", divergence=_divergence(**kw),  # type: ignore[arg-type]
                          profile="smoke", seed=None, report=None, server_version="16.4")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pggit_model", *args], capture_output=True, text=True, timeout=120)


# -- formats (no server) --------------------------------------------------------------------------------

def test_every_op_repr_evaluates_back_to_an_equal_op() -> None:
    """The restricted eval rebuilds each op from its repr (nested columns, constraints, quotes, newlines)."""
    for op in [*OPS, AlterTable(S, "t1", (AddConstraint(Check("c1", "id")),)), CommitChanges(None, None, None)]:
        assert op_from_repr(repr(op)) == op


@pytest.mark.parametrize("text", ["__import__('os').system('true')", "CreateTable.__init__", "open('/etc/passwd')",
                                  "[c for c in ()]", "Begin() if True else Rollback()", "Begin()[0]", "print"])
def test_op_repr_eval_refuses_anything_but_op_constructors(text: str) -> None:
    """Builtins, attribute access, comprehensions and other expressions are refused before anything runs."""
    with pytest.raises(ValueError):
        op_from_repr(text)


def test_run_json_and_replay_sql_round_trip_the_ops(tmp_path: Path) -> None:
    """run.json and replay.sql both load back to the recorded ops, schema and verdict."""
    folder = _record(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["replay.sql", "run.json", f"test_replay_{folder.name}.py"]
    from_json, from_sql = load_run(folder / "run.json"), load_run(folder / "replay.sql")
    for run in (from_json, from_sql):
        assert list(run.ops) == OPS
        assert (run.schema, run.machine, run.rule, run.step) == (S, "VersioningMachine", "V8", 3)
        assert run.id == folder.name
    doc = json.loads((folder / "run.json").read_text())
    assert doc["ops"][0]["kind"] == "create_table" and doc["divergence"]["verdict"] == "divergence V8 at step 3"
    assert doc["postgresql"] == "16.4" and doc["backend"]["name"] == "reference" and doc["profile"] == "smoke"


def test_replay_sql_is_a_commented_psql_script(tmp_path: Path) -> None:
    """replay.sql creates the schema, then each op's SQL with the model's expectation; the failing step is marked."""
    text = (_record(tmp_path) / "replay.sql").read_text()
    assert f'CREATE SCHEMA "{S}";' in text
    assert text.index(f'CREATE SCHEMA "{S}";') < text.index(OPS[0].to_sql() + ";")
    assert "-- step 3: alter_table  <-- DIVERGES HERE [V8]" in text
    assert "--   expected: 1 history row" in text and "--   observed: 0 history rows" in text
    assert "--   model expects: succeeds" in text
    assert "BEGIN;" in text and "ROLLBACK;" in text


def test_same_failure_same_folder_whatever_the_schema_name(tmp_path: Path) -> None:
    """The id ignores the run's schema name, so a failure found again lands in the same folder."""
    other = [op_from_repr(repr(op).replace(S, "mc_ffffff")) for op in OPS]
    assert failure_id("M", "V8", OPS, S) == failure_id("M", "V8", other, "mc_ffffff")
    assert failure_id("M", "V8", OPS, S) != failure_id("M", "V9", OPS, S)
    assert _record(tmp_path) == _record(tmp_path)


def test_the_generated_pytest_file_compiles_and_names_its_ops(tmp_path: Path) -> None:
    """test_replay_<id>.py is valid Python holding the ops as constructor calls and one server test."""
    folder = _record(tmp_path)
    src = (folder / f"test_replay_{folder.name}.py").read_text()
    compile(src, "test_replay.py", "exec")
    assert f"def test_replay_{folder.name}(pggit_server, pytestconfig):" in src
    assert repr(OPS[1]) in src


@pytest.mark.parametrize(("name", "text", "where"), [
    ("run.json", '{"ops": [\n  {"op": "Begin()"},\n  oops]}', "run.json:3:3: not valid JSON"),
    ("run.json", '{"ops": [\n {"op": "Begin()"},\n {"op": "DropEverything()"}]}', "op #2 (line 3): unknown name"),
    ("run.json", '{"ops": [{"op": "Begin(isolation=\'sometimes\')"}]}', "Begin.isolation: must be one of"),
    ("run.json", '[1, 2]', "not a pggit-model run.json"),
    ("replay.sql", "BEGIN;\n\nCREATE TABLE m.t (id int);\n  VACUUM m.t;\n", "replay.sql:4:3: statement 'VACUUM"),
])
def test_malformed_files_name_the_file_and_position(tmp_path: Path, name: str, text: str, where: str) -> None:
    """A bad run.json or replay.sql raises MalformedReplay naming the file, the line and what is wrong."""
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(MalformedReplay) as e:
        load_run(p)
    assert where in str(e.value)
    assert str(e.value).startswith(str(p))


def test_replay_command_exits_2_on_bad_input(tmp_path: Path) -> None:
    """`pggit-model replay` gives one line and exit 2 for a malformed file, a missing file or a gone backend."""
    bad = tmp_path / "run.json"
    bad.write_text("{not json")
    folder = _record(tmp_path)
    moved = json.loads((folder / "run.json").read_text())
    moved["backend"] = {"name": "pggit", "source": str(tmp_path / "gone"), "sha256": "ab" * 32}
    (tmp_path / "moved.json").write_text(json.dumps(moved))
    for args, needle in [((str(bad),), "not valid JSON"), ((str(tmp_path / "nope.sql"),), "no such file"),
                         ((str(tmp_path / "moved.json"),), "which is not there; pass --pggit-source DIR")]:
        res = _cli("replay", *args)
        assert res.returncode == 2, res.stdout + res.stderr
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and needle in lines[0] and "Traceback" not in res.stderr


def test_triage_prints_one_line_per_distinct_failure_known_or_new(tmp_path: Path) -> None:
    """triage lists each failure once: id, rule, op kind, steps, then known (per registry) or new."""
    a = _record(tmp_path, step=3)
    b = _record(tmp_path, step=5, ops=OPS[:5])
    entries = [Known("k1", failure=a.name), Known("k2", status="wontfix", rule="V9", match="history")]
    runs = [load_run(a / "run.json"), load_run(b / "run.json"), load_run(a / "replay.sql")]
    lines = triage_lines(runs, Registry(tuple(entries)))
    assert len(lines) == 2
    assert lines[0].split()[:6] == [a.name, "V8", "alter_table", "13", "steps", "known"]
    assert lines[1].split()[:6] == [b.name, "V8", "create_view", "5", "steps", "new"]
    entries.append(Known("k3", status="wontfix", rule="V8", match="no history row"))
    assert triage_lines([runs[1]], Registry(tuple(entries)))[0].split()[5] == "wontfix"
    (tmp_path / "known.json").write_text(json.dumps([{"id": "k4", "failure": b.name, "status": "fixed"},
                                                     {"id": "k5", "rule": "H6", "op": "detect_changes_by_hash",
                                                      "match": "x"}]))
    res = _cli("triage", str(tmp_path), "--known", str(tmp_path / "known.json"), "--examples", str(tmp_path / "none"))
    assert res.returncode == 0, res.stderr
    out = res.stdout.splitlines()
    stale = [line for line in out if line.startswith("known divergence")]
    assert stale == [f"known divergence k5 (H6, detect_changes_by_hash): covers no failure recorded under {tmp_path} "
                     "(stale: fixed upstream?)"]
    out = [line for line in out if line not in stale]
    assert sorted(line.split()[0] for line in out) == sorted([a.name, b.name])
    assert {line.split()[5] for line in out} == {"new", "fixed"}


KNOWN = Registry((Known("k-history", rule="V8", match="no history row", note="ALTER writes no history"),
                  Known("k-fixed", rule="B2", op="create_branch", status="fixed")), source="known.toml")


def test_a_run_keeps_the_known_divergences_it_explored_past(tmp_path: Path) -> None:
    """The registry in force is recorded in run.json and replay.sql and loads back (the shrunk example needs it)."""
    folder = record_failure(tmp_path, machine="VersioningMachine", divergence=_divergence(),  # type: ignore[arg-type]
                            profile="smoke", seed=None, report=None, server_version="16.4", registry=KNOWN)
    for name in ("run.json", "replay.sql"):
        run = load_run(folder / name)
        assert run.known == KNOWN.entries, name
        assert run.registry.match(_divergence()) == KNOWN.entries[0]  # type: ignore[arg-type]
    assert "-- @pggit-model known {" in (folder / "replay.sql").read_text()
    src = (folder / f"test_replay_{folder.name}.py").read_text()
    compile(src, "test_replay.py", "exec")
    assert "known=(Known(id='k-history'" in src
    assert load_run(_record(tmp_path) / "run.json").known == ()  # none in force, none recorded


@pytest.mark.parametrize(("name", "text", "where"), [
    ("run.json", '{"ops": [{"op": "Begin()"}], "known": {"id": "x"}}', "'known' must be a list"),
    ("run.json", '{"ops": [{"op": "Begin()"}], "known": [{"id": "x", "rule": "V8", "status": "maybe"}]}',
     "status must be one of"),
    ("replay.sql", "-- @pggit-model known {not json\nBEGIN;\n", "known divergence #1 is not valid JSON"),
])
def test_malformed_recorded_known_divergences_name_the_file(tmp_path: Path, name: str, text: str,
                                                            where: str) -> None:
    """A broken recorded registry entry is a MalformedReplay naming the file, not a crash or a silent drop."""
    p = tmp_path / name
    p.write_text(text)
    with pytest.raises(MalformedReplay) as e:
        load_run(p)
    assert where in str(e.value) and str(e.value).startswith(str(p))


@pytest.mark.server
def test_recorded_sequence_positions_never_move_a_sequence_back(pggit_conn) -> None:  # type: ignore[no-untyped-def]
    """Replay puts pgGit's sequences where the recording had them, but values already drawn (e.g. by CREATE
    SCHEMA's event triggers before the setval) are never handed out again: that would fail with 23505 (X3)."""
    from psycopg import sql

    from pggit_model.backend import SETVAL as _SETVAL

    pggit_conn.execute("CREATE SEQUENCE seq_replay_probe")
    pggit_conn.execute("SELECT nextval('seq_replay_probe') FROM generate_series(1, 5)")
    for recorded, after in [(2, 5), (9, 9)]:
        # The statement exactly as replay.sql writes it (a psql script runs it as it stands).
        pggit_conn.execute(_SETVAL.format(seq=sql.Literal("seq_replay_probe").as_string(None), value=recorded))
        got = pggit_conn.execute("SELECT last_value FROM seq_replay_probe").fetchone()
        assert got is not None and got[0] == after, (recorded, got)
    # A sequence the backend does not have (a pgGit run replayed on the reference) is skipped, not an error.
    skipped = pggit_conn.execute(sql.SQL(_SETVAL).format(seq=sql.Literal("pggit.no_such_seq"), value=sql.Literal(3)))
    assert skipped.fetchone() == (None,)


FAULT_OPS = [CreateTable(S, "t1", (Column("id", "int"),)), Begin(),
             Fault("statement_timeout", AlterTable(S, "t1", (AddColumn(Column("n", "bigint")),))),
             TerminateSession(), Fault("cancel", CreateIndex(S, "i1", "t1", ("id",))), TerminateSession(),
             Begin(), OtherSession(GenerateTrinityId()), GenerateTrinityId(), Rollback()]


def test_faults_and_terminated_sessions_round_trip(tmp_path: Path) -> None:
    """The machines' session events (a fault striking a statement, a killed session, a call on a second session)
    load back from run.json and replay.sql, in place; replay.sql marks them and stays a runnable psql script."""
    folder = _record(tmp_path, step=5, ops=FAULT_OPS)
    for name in ("run.json", "replay.sql"):
        assert list(load_run(folder / name).ops) == FAULT_OPS, name
    text = (folder / "replay.sql").read_text()
    assert "-- @pggit-model fault statement_timeout" in text and text.count("-- @pggit-model terminate-session") == 2
    assert "\\connect" in text and "or fails with 57014 and has no effect at all (X4)" in text
    assert "-- @pggit-model other-session" in text
    bad = tmp_path / "bad.sql"
    bad.write_text("-- @pggit-model fault meteor\nCREATE TABLE m.t (id int);\n")
    with pytest.raises(MalformedReplay, match=r"bad\.sql:1: unknown fault 'meteor'"):
        load_run(bad)
    bad.write_text("CREATE TABLE m.t (id int);\n-- @pggit-model fault cancel\n")
    with pytest.raises(MalformedReplay, match="not followed by a statement of its own"):
        load_run(bad)


DRIFT_OPS = [CreateTable(S, "t1", (Column("id", "int"),)), UpdateAllHashes(),
             Untracked(AlterTable(S, "t1", (AddColumn(Column("n", "bigint")),))),
             Untracked(AlterTable(S, "t1", (DropColumn("n"),)), "disable", (("pggit_ddl_trigger", "O"),)),
             DetectChangesByHash()]


def test_drift_round_trips_through_replay_sql(tmp_path: Path) -> None:
    """U3: an untracked statement loads back from replay.sql as drift (found by triage of a v0.2.1 root: it came
    back as tracked DDL), with its trigger switches as runnable SQL that is no op of its own; a bad marker is one
    clear error."""
    folder = _record(tmp_path, step=5, ops=DRIFT_OPS)
    assert list(load_run(folder / "replay.sql").ops) == DRIFT_OPS
    text = (folder / "replay.sql").read_text()
    assert "SET session_replication_role = replica;  -- @pggit-model switch" in text
    assert 'ALTER EVENT TRIGGER "pggit_ddl_trigger" DISABLE;  -- @pggit-model switch' in text
    bad = tmp_path / "bad.sql"
    bad.write_text("-- @pggit-model untracked sideways []\nALTER TABLE m.t ADD COLUMN b int;\n")
    with pytest.raises(MalformedReplay, match=r"bad\.sql:1: bad untracked marker"):
        load_run(bad)


#: A real run's replay.sql (branches/commits machine, ci against pgGit v0.2.1, failure 5b185f5b7d; its 198
#: `@pggit-model known` lines left out): step 1 creates the extra schema `mc_c0150e_pggit`, steps 3-18 use it.
EXTRA_SCHEMA_SQL = Path(__file__).parent / "data" / "replay-extra-schema.sql"


def test_replay_sql_of_a_real_run_keeps_its_extra_schema_ddl() -> None:
    """V1/V19 (the machines' extra schemas): the schema the header names is the machine's; the example's own
    `CREATE SCHEMA "mc_c0150e_pggit"` is its step 1, not a second machine schema (before, the reader took it for
    the schema and dropped the op: 17 ops, the verdict's step 18 past the end)."""
    run = load_run(EXTRA_SCHEMA_SQL)
    assert (run.schema, run.rule, run.step, len(run.ops)) == ("mc_c0150e", "V19", 18, 18)
    assert run.ops[0] == CreateSchema("mc_c0150e_pggit")
    assert repr(run.ops[17]) == "ShowTableVersions(schema='mc_c0150e_pggit')"
    assert not any(isinstance(op, CreateSchema) and op.schema == "mc_c0150e" for op in run.ops)


def test_a_recorded_create_schema_round_trips_through_replay_sql(tmp_path: Path) -> None:
    """The machine's schema again with IF NOT EXISTS (the drift machine drew it) and another one with a quote and
    a space (`mc_<run> Zwei`): both are ops of the example, and the schema stays the recorded one."""
    ops = [CreateSchema(f"{S} Zwei"), CreateTable(f"{S} Zwei", "t1", ()), CreateSchema(S, if_not_exists=True),
           CreateTable(S, "t2", ())]
    run = load_run(_record(tmp_path, step=4, ops=ops) / "replay.sql")
    assert run.schema == S and list(run.ops) == ops


def test_a_hand_written_script_is_in_its_first_create_schema_and_may_create_more(tmp_path: Path) -> None:
    """A script's first statement `CREATE SCHEMA app` names its schema (bare names run there); a later CREATE
    SCHEMA is DDL of the script, and a CREATE SCHEMA after other statements never renames the schema."""
    p = tmp_path / "hand.sql"
    p.write_text("-- two schemas\nCREATE SCHEMA app;\nCREATE TABLE t (a int);\nCREATE SCHEMA other;\n"
                 "CREATE TABLE other.t (a int);\n")
    run = load_run(p)
    assert run.schema == "app"
    assert list(run.ops) == [CreateTable("app", "t", (Column("a", "integer"),)), CreateSchema("other"),
                             CreateTable("other", "t", (Column("a", "integer"),))]
    p.write_text("CREATE TABLE t (a int);\nCREATE SCHEMA later;\n")
    run = load_run(p)
    assert run.schema == "replay" and list(run.ops) == [CreateTable("replay", "t", (Column("a", "integer"),)),
                                                        CreateSchema("later")]


def test_identifiers_with_unicode_line_separators_round_trip_through_replay_sql(tmp_path: Path) -> None:
    """N-rules' hostile names: a drawn identifier may hold \\x1c or \\x85, at which str.splitlines() breaks a line;
    replay.sql read them back as \\n (two recorded ci runs against v0.2.1, 59ff672081 and e694e33673)."""
    ops = [CreateTable(S, "a\x1cb\x85c\u2028d", (Column("e\x1df", "integer"),)), GetVersion(f"{S}.a\x1cb\x85c\u2028d")]
    assert list(load_run(_record(tmp_path, step=2, ops=ops) / "replay.sql").ops) == ops


def test_replay_sql_of_a_parallel_run_says_to_replay_run_json(tmp_path: Path) -> None:
    """X8: a parallel program is only comments in replay.sql (psql runs one session): its header says to replay
    run.json, and reading it back is one clear error instead of a script without its program (seven recorded
    parallel runs of the ci tier loaded without their last step)."""
    from pggit_model.ops import Parallel

    program = Parallel(((CreateCommit("main", "m", None),), (CreateCommit("main", "n", None),)), (0, 1))
    folder = _record(tmp_path, step=2, ops=[OPS[0], program])
    assert "pggit-model replay run.json" in (folder / "replay.sql").read_text()
    with pytest.raises(MalformedReplay, match=r"replay\.sql:\d+: step 2 is a parallel program.*run\.json"):
        load_run(folder / "replay.sql")
    assert list(load_run(folder / "run.json").ops) == [OPS[0], program]


@pytest.mark.server
def test_replay_strikes_faults_and_kills_the_session_as_the_machine_did(pggit_server: Server) -> None:
    """Replaying fault steps against the correct reference runs clean: the struck ALTER leaves nothing (X4),
    the killed session's open transaction is gone and the new one is on main (X5), and the Trinity ID drawn on the
    second session is below ours (T6)."""
    from pggit_model.replay import replay

    result = replay(Run(tuple(FAULT_OPS), S, isolation="clone"), pggit_server, reference=True)
    assert result.got is None and result.steps_run == len(FAULT_OPS), result.summary()

# -- a planted fault, found, recorded and replayed ------------------------------------------------------

def _machine_settings() -> settings:
    # No explain phase: it traces every line of a rerun and would double the time of this module.
    return settings(max_examples=40, stateful_step_count=8, database=None, derandomize=True, deadline=None,
                    suppress_health_check=list(HealthCheck), print_blob=False, report_multiple_bugs=False,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink])  # one failure recorded, on any version


def _dsn(server: Server) -> str:
    return server.conninfo("postgres")


@pytest.fixture(scope="module")
def mutant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference with one fault: an ALTER bumps the version but writes no history row (breaks V8)."""
    root = tmp_path_factory.mktemp("mutant") / "reference"
    shutil.copytree(REFERENCE_SOURCE, root, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    f = root / "sql" / "010_tracking.sql"
    old = "VALUES (p_id, p_change, p_severity, v_new - 1, v_new, v_text, current_query());"
    assert f.read_text().count(old) == 1, "the reference changed: update the planted fault"
    f.write_text(f.read_text().replace(old, "SELECT p_id, p_change, p_severity, v_new - 1, v_new, v_text, "
                                            "current_query() WHERE false;"))
    return root


def _run_machine(server: Server, source: Path, results: Path, run_id: str) -> list[Path]:
    template = Template(server, source)
    harness = Harness(template, results, stats=RunStats(), run_id=run_id)
    try:
        with pytest.raises((AssertionError, ExceptionGroup)) as e:
            harness.run(VersioningMachine, settings=_machine_settings())
    finally:
        harness.close()
        template.close()
    notes = [n for exc in [e.value, *getattr(e.value, "exceptions", ())] for n in getattr(exc, "__notes__", [])]
    assert any("replay files: " in n for n in notes), notes
    return sorted(p.parent for p in results.glob("*/run.json"))


@pytest.fixture(scope="module")
def recorded(pggit_server: Server, mutant: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder the versioning machine recorded for the planted fault."""
    folders = _run_machine(pggit_server, mutant, tmp_path_factory.mktemp("results"), "aaaaaa")
    assert len(folders) == 1, folders
    yield folders[0]


@pytest.mark.server
def test_machine_records_the_planted_fault(recorded: Path, mutant: Path) -> None:
    """The machine's failure leaves run.json naming the mutant backend, the rule V8 and a short shrunk example."""
    run = load_run(recorded / "run.json")
    assert run.rule == "V8" and run.backend == "pggit" and run.source == str(mutant.resolve())
    assert run.digest and len(run.digest) == 64 and run.server_version
    assert run.step is not None and 1 <= run.step <= len(run.ops) <= 6
    # The planted fault drops the history row of every recorded ALTER or COMMENT change.
    assert run.failing_op is not None and run.failing_op.kind in {"alter_table", "comment_table", "comment_column",
                                                                  "create_index", "drop_index"}


@pytest.mark.server
@pytest.mark.parametrize("file", ["run.json", "replay.sql"])
def test_replay_reproduces_against_the_mutant(recorded: Path, pggit_server: Server, file: str) -> None:
    """`pggit-model replay FILE` on the recorded backend prints REPRODUCED with the divergent step and exits 0."""
    res = _cli("replay", str(recorded / file), "--pg-dsn", _dsn(pggit_server))
    assert res.returncode == 0, res.stdout + res.stderr
    run = load_run(recorded / "run.json")
    assert f"REPRODUCED: [V8] at step {run.step} of {len(run.ops)}" in res.stdout


@pytest.mark.server
def test_replay_against_the_correct_reference_is_not_reproduced(recorded: Path, pggit_server: Server) -> None:
    """Against the fixed backend the same ops run clean: NOT REPRODUCED, exit 1, with a backend warning."""
    res = _cli("replay", str(recorded / "run.json"), "--reference", "--pg-dsn", _dsn(pggit_server))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "NOT REPRODUCED: no divergence in" in res.stdout
    assert "warning: recorded against pggit" in res.stderr


@pytest.mark.server
def test_replay_explores_past_known_divergences(recorded: Path, pggit_server: Server, tmp_path: Path) -> None:
    """With a registry that knows the planted fault, replay explores past it: nothing new, NOT REPRODUCED (exit 1).
    A run recorded under a registry replays under it by default; --known FILE replaces it."""
    (tmp_path / "known.toml").write_text('[[divergence]]\nid = "planted"\nrule = "V8"\n')
    res = _cli("replay", str(recorded / "run.json"), "--known", str(tmp_path / "known.toml"),
               "--pg-dsn", _dsn(pggit_server))
    assert res.returncode == 1, res.stdout + res.stderr
    assert "exploring past 1 known divergence(s)" in res.stdout and "NOT REPRODUCED: no divergence" in res.stdout
    doc = json.loads((recorded / "run.json").read_text())
    doc["known"] = [{"id": "planted", "rule": "V8"}]
    (tmp_path / "run.json").write_text(json.dumps(doc))
    res = _cli("replay", str(tmp_path / "run.json"), "--pg-dsn", _dsn(pggit_server))
    assert res.returncode == 1 and "NOT REPRODUCED: no divergence" in res.stdout, res.stdout + res.stderr

@pytest.mark.server
def test_generated_pytest_file_reproduces(recorded: Path, pggit_server: Server, mutant: Path) -> None:
    """The recorded test_replay_<id>.py passes under pytest with the recorded backend."""
    test = recorded / f"test_replay_{recorded.name}.py"
    res = subprocess.run([sys.executable, "-m", "pytest", str(test), "-q", "-p", "no:cacheprovider",
                          "--pg-dsn", _dsn(pggit_server), "--pggit-source", str(mutant)],
                         capture_output=True, text=True, timeout=120, cwd=recorded,
                         env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert res.returncode == 0, res.stdout + res.stderr
    assert "1 passed" in res.stdout


@pytest.mark.server
def test_same_seed_profile_and_backend_give_the_same_ops_and_verdict(recorded: Path, pggit_server: Server,
                                                                     mutant: Path, tmp_path: Path) -> None:
    """Run twice with the same derandomized settings and backend, the machine records identical ops and verdict."""
    again = _run_machine(pggit_server, mutant, tmp_path, "bbbbbb")
    assert [p.name for p in again] == [recorded.name]  # the id hashes machine, rule and schema-blind ops
    first, second = load_run(recorded / "run.json"), load_run(again[0] / "run.json")
    assert [repr(op).replace("mc_aaaaaa", "S") for op in first.ops] == \
           [repr(op).replace("mc_bbbbbb", "S") for op in second.ops]
    assert first.verdict == second.verdict and first.seed == second.seed == "derandomize"


def test_load_run_of_a_run_value_keeps_its_fields() -> None:
    """A Run built in code (as the generated tests do) has the verdict and failing op it was given."""
    run = Run(tuple(OPS), S, machine="VersioningMachine", rule="V8", step=3)
    assert run.verdict is not None and str(run.verdict) == "divergence V8 at step 3"
    assert run.failing_op == OPS[2]


def test_markdown_report_lists_each_machine_with_links_to_its_replay_files(tmp_path: Path) -> None:
    """The --pggit-report summary has a section per machine and links each divergence's files relative to it."""
    from pggit_model.session import Recorded, SessionRecord, markdown_report

    folder = _record(tmp_path / "results")
    st = RunStats(steps=12, examples=3, rules={"V8", "V10k", "O1"})
    session = SessionRecord(machines={"VersioningMachine": st, "TrinityMachine": RunStats(steps=5, examples=2)},
                            failures=[Recorded("VersioningMachine", folder.name, "V8", 3, 13, "no | history", folder)])
    text = markdown_report(session, st, tmp_path / "report.md", ("O1", "V8", "V10", "T1"),
                           lambda r: r.rstrip("abcdefghijk"))
    assert "## VersioningMachine" in text and "## TrinityMachine" in text and "No divergence." in text
    assert "| 12 | 3 | 0 | 3/4 |" in text and "Rules (checks): O1 1, V8 1, V10 1" in text
    assert f"[replay.sql](results/{folder.name}/replay.sql)" in text and "no \\| history" in text


def test_example_database_spec_picks_local_redis_or_github(tmp_path: Path) -> None:
    """--pggit-examples: a path is a directory database; github: reads an artifact; redis without its extra says so."""
    from hypothesis.database import DirectoryBasedExampleDatabase, MultiplexedDatabase

    from pggit_model.errors import InvalidProfile
    from pggit_model.profiles import example_database

    assert isinstance(example_database(str(tmp_path / "db")), DirectoryBasedExampleDatabase)
    assert isinstance(example_database("github:acme/pggit-model/examples"), MultiplexedDatabase)
    with pytest.raises(InvalidProfile, match="github:OWNER/REPO"):
        example_database("github:acme")
    try:
        import redis  # noqa: F401
    except ImportError:
        with pytest.raises(InvalidProfile, match=r"pip install 'pggit-model\[redis\]'"):
            example_database("redis://localhost:6379/0")


def test_a_crash_machine_run_loads_and_replay_says_how_to_rerun_it(tmp_path: Path) -> None:
    """X6 runs record CrashRestart; triage reads them, replay refuses (it would crash a shared server) and says
    what to run instead."""
    from pggit_model.ops import CrashRestart
    from pggit_model.replay import replay

    ops = [CreateTable(S, "t1", ()), CrashRestart("kill"), GetVersion(f"{S}.t1")]
    folder = _record(tmp_path, step=3, ops=ops)
    run = load_run(folder / "run.json")
    assert list(run.ops) == ops
    with pytest.raises(MalformedReplay, match=r"step 2 crashes and restarts the server.*machines/test_crash\.py"):
        replay(run, None)  # type: ignore[arg-type]  # refused before any server is touched
