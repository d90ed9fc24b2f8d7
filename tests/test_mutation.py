"""Mutation analysis of the reference (issue 16): the operators on known snippets, every generated mutant applying
to exactly one place, the equivalents file, the score, and one real run of the runner (pggit_model.mutation)."""

from __future__ import annotations

import argparse
import difflib
import re
from pathlib import Path

import pytest

from pggit_model import cluster
from pggit_model.install import REFERENCE_SOURCE
from pggit_model.mutation import OPERATORS, generate, mutants_of
from pggit_model.mutation.operators import Mutant, Operator
from pggit_model.mutation.report import (
    EQUIVALENTS,
    MutationInputError,
    compare,
    load_equivalents,
    score,
    summary,
)
from pggit_model.mutation.runner import Result, RunConfig, run_all
from pggit_model.mutation.sqltext import mask

Server = cluster.ThrowawayCluster | cluster.ExternalServer


def _new_lines(text: str, op: str) -> list[str]:
    """What each mutant of ``op`` turns the (one-statement) snippet into, whitespace collapsed."""
    ops: dict[str, Operator] = {op: OPERATORS[op]}
    return [" ".join(m.apply_to(text).split()) for m in mutants_of("x.sql", text, ops)]


# -- the text mask ------------------------------------------------------------------------------------------------

def test_mask_blanks_comments_and_string_contents_only() -> None:
    """Comments, '…' (with ''), E'…' (with \\') and "…" contents become spaces; code, quotes and newlines stay."""
    text = "SELECT 'a < b', E'x\\'=1', \"c=d\" -- x = 1\nFROM t /* y < 2 */ WHERE a = 'it''s'\n"
    m = mask(text)
    assert len(m) == len(text) and m.count("\n") == text.count("\n")
    assert "<" not in m and "x = 1" not in m and "c=d" not in m and "it" not in m
    assert m.startswith("SELECT '") and "WHERE a = '" in m and "FROM t" in m


# -- each operator on a known snippet -----------------------------------------------------------------------------

def test_cmp_swaps_comparisons_but_not_assignments_arrows_or_json_operators() -> None:
    """`<`->`<=`, `>=`->`>`, `=`->`<>`; `:=`, `=>`, `->>` and UPDATE's SET `=` are left alone."""
    text = "UPDATE t SET a = 1 WHERE b < 2 AND c >= f(x => 1) AND j ->> 'k' = v;\n"
    assert _new_lines(text, "cmp") == [
        "UPDATE t SET a = 1 WHERE b <= 2 AND c >= f(x => 1) AND j ->> 'k' = v;",
        "UPDATE t SET a = 1 WHERE b < 2 AND c > f(x => 1) AND j ->> 'k' = v;",
        "UPDATE t SET a = 1 WHERE b < 2 AND c >= f(x => 1) AND j ->> 'k' <> v;",
    ]
    assert _new_lines("v := a;\n", "cmp") == []


def test_distinct_minmax_andor_not_bool() -> None:
    """IS [NOT] DISTINCT FROM -> <> / =; min<->max; AND<->OR (not BETWEEN's, not OR REPLACE); NOT dropped from a
    condition (not from a NOT NULL column or IF NOT EXISTS); true<->false."""
    assert _new_lines("SELECT a IS DISTINCT FROM b, c IS NOT DISTINCT FROM d;\n", "distinct") == [
        "SELECT a <> b, c IS NOT DISTINCT FROM d;", "SELECT a IS DISTINCT FROM b, c = d;"]
    assert _new_lines("SELECT min(a), max(b), greatest(1, c);\n", "minmax") == [
        "SELECT max(a), max(b), greatest(1, c);", "SELECT min(a), min(b), greatest(1, c);",
        "SELECT min(a), max(b), least(1, c);"]
    assert _new_lines("CREATE OR REPLACE VIEW v AS SELECT 1 WHERE a AND b BETWEEN 1 AND 2;\n", "andor") == [
        "CREATE OR REPLACE VIEW v AS SELECT 1 WHERE a OR b BETWEEN 1 AND 2;"]
    assert _new_lines("CREATE TABLE IF NOT EXISTS t (a int NOT NULL);\nIF NOT FOUND AND b IS NOT NULL THEN\n",
                      "not") == ["CREATE TABLE IF NOT EXISTS t (a int NOT NULL); IF FOUND AND b IS NOT NULL THEN",
                                 "CREATE TABLE IF NOT EXISTS t (a int NOT NULL); IF NOT FOUND AND b IS NULL THEN"]
    assert _new_lines("SELECT f(true), false;\n", "bool") == ["SELECT f(false), false;", "SELECT f(true), true;"]


def test_where_drops_each_conjunct_and_stops_at_the_clause_end() -> None:
    """Each top-level conjunct of a WHERE goes in turn (a nested AND and IS DISTINCT FROM stay whole, ORDER BY
    is not part of it); a WHERE of one conjunct becomes WHERE true."""
    text = "SELECT 1 FROM t WHERE a = 1 AND (b OR c AND d) AND e IS DISTINCT FROM f ORDER BY a;\n"
    assert _new_lines(text, "where") == [
        "SELECT 1 FROM t WHERE (b OR c AND d) AND e IS DISTINCT FROM f ORDER BY a;",
        "SELECT 1 FROM t WHERE a = 1 AND e IS DISTINCT FROM f ORDER BY a;",
        "SELECT 1 FROM t WHERE a = 1 AND (b OR c AND d) ORDER BY a;",
    ]
    assert _new_lines("DELETE FROM t WHERE id = x;\n", "where") == ["DELETE FROM t WHERE true;"]


def test_order_reverses_each_key_and_drops_one_of_several() -> None:
    """ORDER BY a, b DESC: a DESC, b (DESC dropped), then a alone and b DESC alone; LIMIT is not a key."""
    assert _new_lines("SELECT x FROM t ORDER BY a, b DESC LIMIT 1;\n", "order") == [
        "SELECT x FROM t ORDER BY a DESC, b DESC LIMIT 1;", "SELECT x FROM t ORDER BY a, b LIMIT 1;",
        "SELECT x FROM t ORDER BY b DESC LIMIT 1;", "SELECT x FROM t ORDER BY a LIMIT 1;"]


def test_int_steps_literals_but_not_parameters_names_or_select_1() -> None:
    """An integer ±1; $1, v_2, 1.5 and EXISTS's SELECT 1 FROM are not integer literals to step."""
    assert _new_lines("SELECT $1, v_2, 1.5, 10 FROM t WHERE EXISTS (SELECT 1 FROM u);\n", "int") == [
        "SELECT $1, v_2, 1.5, 11 FROM t WHERE EXISTS (SELECT 1 FROM u);",
        "SELECT $1, v_2, 1.5, 9 FROM t WHERE EXISTS (SELECT 1 FROM u);"]


def test_insert_drops_a_column_with_its_value_and_set_drops_an_assignment() -> None:
    """INSERT (a, b) VALUES (1, f(2, 3)) loses a with 1 or b with f(2, 3); INSERT … SELECT likewise; UPDATE's
    SET a = 1, b = 2 loses one assignment."""
    assert _new_lines("INSERT INTO t (a, b) VALUES (1, f(2, 3));\n", "insert") == [
        "INSERT INTO t (b) VALUES (f(2, 3));", "INSERT INTO t (a) VALUES (1);"]
    assert _new_lines("INSERT INTO t (a, b) SELECT x, y FROM u;\n", "insert") == [
        "INSERT INTO t (b) SELECT y FROM u;", "INSERT INTO t (a) SELECT x FROM u;"]
    assert _new_lines("UPDATE t SET a = 1, b = g(2, 3) WHERE c;\n", "set") == [
        "UPDATE t SET b = g(2, 3) WHERE c;", "UPDATE t SET a = 1 WHERE c;"]


BODY = """CREATE FUNCTION f() RETURNS int
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pggit._lock_bookkeeping();
    v := (SELECT 1);
    INSERT INTO t (a)
    SELECT b FROM u FOR UPDATE;
    FOR r IN SELECT * FROM u LOOP
        PERFORM g(r);
    END LOOP;
    RETURN 1;
END $$;
CREATE FUNCTION h() RETURNS void LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(1, 2) $$;
"""


def test_stmt_replaces_simple_statements_of_plpgsql_bodies_only() -> None:
    """PERFORM, an assignment and INSERT … SELECT each become NULL; (not the INSERT's SELECT, nor a FOR loop's
    query, nor RETURN, nor a SQL function's SELECT)."""
    got = [m for m in mutants_of("x.sql", BODY, {"stmt": OPERATORS["stmt"]})]
    assert [(m.line, m.new.strip()) for m in got] == [(5, "NULL;"), (6, "NULL;"), (7, "NULL;"), (10, "NULL;")]


def test_lock_drops_row_locks_lock_calls_and_advisory_locks() -> None:
    """FOR UPDATE goes; PERFORM pggit._lock_bookkeeping() becomes NULL; an advisory lock call becomes NULL."""
    got = mutants_of("x.sql", BODY, {"lock": OPERATORS["lock"]})
    assert [m.new.strip() for m in got] == ["NULL;", "SELECT b FROM u;", "CREATE FUNCTION h() RETURNS void "
                                            "LANGUAGE sql AS $$ SELECT NULL $$;"]


def test_nothing_inside_comments_or_strings_is_mutated() -> None:
    """A snippet whose only operators sit in comments and string literals yields no mutant at all."""
    text = ("-- WHERE a = 1 AND b < 2 ORDER BY x\n/* min(1) OR true */\n"
            "SELECT 'a = 1 AND b < 2 ORDER BY x', E'NOT true', \"x=1\";\n")
    assert mutants_of("x.sql", text) == []


# -- every generated mutant ---------------------------------------------------------------------------------------

def test_every_generated_mutant_applies_to_exactly_one_place() -> None:
    """Each reference mutant has a unique id, changes the file, and only inside the lines it names; applied to a
    file where lines were inserted above it, it still mutates the same text (ids go by content, not line numbers);
    where its own lines changed it refuses (the reference moved on) instead of mutating something else."""
    mutants = generate()
    assert len(mutants) >= 300 and {m.operator for m in mutants} == set(OPERATORS)
    assert len({m.id for m in mutants}) == len(mutants)
    texts = {p.name: p.read_text() for p in (REFERENCE_SOURCE / "sql").glob("*.sql")}
    for m in mutants:
        before = texts[m.file].splitlines(keepends=True)
        after = m.apply_to(texts[m.file]).splitlines(keepends=True)
        assert after != before, m.id
        matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)  # autojunk misplaces repeated lines
        changed = [op for op in matcher.get_opcodes() if op[0] != "equal"]
        span = range(m.line - 1, m.line - 1 + len(m.old.splitlines()))
        assert all(i1 in span and (i2 - 1 in span or i1 == i2) for _, i1, i2, _, _ in changed), m.id
    m = mutants[0]
    shifted = "-- a line above\n" + texts[m.file]
    assert m.apply_to(shifted) == "-- a line above\n" + m.apply_to(texts[m.file])
    with pytest.raises(ValueError, match="no longer has the mutated text"):
        m.apply_to(texts[m.file].replace(m.old, m.old.replace("\n", " -- edited\n", 1), 1))


def test_mutant_apply_copies_the_reference_with_one_file_changed(tmp_path: Path) -> None:
    """apply() writes a checkout whose only difference from the reference is the mutant's file."""
    m = next(x for x in generate() if x.file == "040_commits.sql")
    root = m.apply(tmp_path / "m")
    for p in (REFERENCE_SOURCE / "sql").glob("*.sql"):
        same = (root / "sql" / p.name).read_text() == p.read_text()
        assert same == (p.name != m.file), p.name


# -- equivalents, selection, score --------------------------------------------------------------------------------

def test_bundled_equivalents_name_generated_mutants_with_a_reason() -> None:
    """Every id in pggit_model/mutation/equivalent.toml is generated today and carries its sentence."""
    equivalent = load_equivalents(EQUIVALENTS, generate())
    assert all(len(why.split()) >= 5 for why in equivalent.values())


def test_an_equivalent_id_no_longer_generated_is_a_clear_error(tmp_path: Path) -> None:
    """A stale id in the equivalents file stops the run and says how to fix the file."""
    p = tmp_path / "eq.toml"
    p.write_text('[equivalent]\n"005_helpers.sql:9999:int:1" = "gone long ago, nothing reads it anyway"\n')
    with pytest.raises(MutationInputError, match=re.escape("no longer generated: 005_helpers.sql:9999:int:1")):
        load_equivalents(p, generate())
    p.write_text(f'[equivalent]\n"{generate()[0].id}" = ""\n')
    with pytest.raises(MutationInputError, match="without a reason"):
        load_equivalents(p, generate())


def test_sample_is_deterministic_and_skips_equivalents() -> None:
    """The same --sample/--seed picks the same mutants; an equivalent one is never picked; --only checks ids."""
    from pggit_model.cli.mutate import select

    mutants = generate()
    args = argparse.Namespace(only=None, operator=None, sample=40, seed=7)
    eq = {mutants[0].id: "x"}
    a, b = select(mutants, args, eq), select(mutants, args, eq)
    assert a == b and len(a) == 40 and mutants[0] not in a
    assert select(mutants, argparse.Namespace(only=None, operator=None, sample=40, seed=8), eq) != a
    with pytest.raises(MutationInputError, match="no mutant with id nope"):
        select(mutants, argparse.Namespace(only=["nope"], operator=None, sample=None, seed=0), eq)


def test_a_sample_cut_short_is_the_smaller_sample_of_the_same_seed() -> None:
    """The first M mutants of a --sample N run are the --sample M run with that seed, in the same order, so a run
    stopped by --budget (or a deadline) is still a seeded random sample whose score another profile can repeat."""
    from pggit_model.cli.mutate import select

    mutants = generate()
    for seed in (3, 11):
        big = select(mutants, argparse.Namespace(only=None, operator=None, sample=30, seed=seed), {})
        for m in (1, 3, 17):
            assert select(mutants, argparse.Namespace(only=None, operator=None, sample=m, seed=seed), {}) == big[:m]


def test_run_all_starts_nothing_once_stopped_and_returns_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    """--budget: the stop check runs before each mutant; the results are the prefix run, each reported."""
    from pggit_model.mutation import runner

    ran: list[str] = []

    def fake(m: Mutant, config: runner.RunConfig, work: Path) -> runner.Result:
        ran.append(m.id)
        return runner.Result(m.id, "killed")

    monkeypatch.setattr(runner, "run_one", fake)
    mutants = generate()[:6]
    seen: list[str] = []
    out = runner.run_all(mutants, runner.RunConfig("dsn"), 1, lambda i, m, r: seen.append(r.id),
                         stop=lambda: len(ran) >= 3)
    assert [r.id for r in out] == [m.id for m in mutants[:3]] == seen == ran
    # several jobs: once stopped, nothing more starts (a mutant already running finishes; its verdict is kept
    # only when every earlier one's is)
    ran.clear()
    assert runner.run_all(mutants, runner.RunConfig("dsn"), 2, stop=lambda: True) == [] and ran == []
    assert len(runner.run_all(mutants, runner.RunConfig("dsn"), 2, stop=lambda: False)) == 6


def test_score_counts_install_kills_and_errors_as_caught_and_lists_survivors() -> None:
    """killed, error and install-broken are caught; survived and timeout are not, and are listed with a diff."""
    ms = {m.id: m for m in generate()[:5]}
    ids = list(ms)
    results = [Result(ids[0], "killed", "VersioningMachine", "V8"), Result(ids[1], "install-broken"),
               Result(ids[2], "error"), Result(ids[3], "survived"), Result(ids[4], "timeout")]
    s = score(results)
    assert (s.caught, s.total, round(s.value, 2)) == (3, 5, 0.6)
    text = "\n".join(summary(results, ms, 0))
    assert f"SURVIVED {ids[3]}" in text and f"TIMEOUT {ids[4]}" in text and ids[0] not in text.split("SURVIVED")[1]
    assert compare({ids[3]: "killed"}, results) == [f"CHANGED {ids[3]}: killed -> survived"]


# -- one real run -------------------------------------------------------------------------------------------------

#: T3: field 2 of a Trinity ID padded to 7 digits instead of 6 (like the planted trinity-seq-truncated fault).
KILLED = "050_trinity.sql:int:aca56af4c5:1"
#: The bookkeeping lock's advisory key + 1: the key is used nowhere else, so nothing can tell (equivalent).
EQUIVALENT = "005_helpers.sql:int:f5ceb4004f:1"


@pytest.mark.server
def test_runner_kills_a_planted_like_fault_and_not_an_equivalent_mutant(pggit_server: Server) -> None:
    """Against the Trinity machine, the runner's workers say killed (T1's T3 part) for the widened sequence field and
    survived for the renamed advisory lock key: the verdict comes from the machines, not from the runner."""
    by_id = {m.id: m for m in generate()}
    assert "greatest(7," in by_id[KILLED].new and "1885697652" in by_id[EQUIVALENT].new
    config = RunConfig(pggit_server.conninfo("postgres"), ("TrinityMachine",), timeout=120)
    killed, equivalent = run_all([by_id[KILLED], by_id[EQUIVALENT]], config)
    assert (killed.verdict, killed.machine, killed.rule) == ("killed", "TrinityMachine", "T1"), killed
    assert "T3: field 2 must be zero-padded to 6 digits" in killed.detail, killed
    assert equivalent.verdict == "survived", equivalent


def test_results_json_round_trips_for_compare_and_show(tmp_path: Path) -> None:
    """The results JSON a run writes loads back into the same Results (what --compare and --show read); a file
    of another shape is one clear error."""
    from pggit_model.mutation.report import load_result_list, to_json, write_json

    ms = {m.id: m for m in generate()[:2]}
    a, b = ms
    results = [Result(a, "killed", "HashesMachine", "H2", "diff", 1.5), Result(b, "survived", seconds=3.0)]
    p = tmp_path / "r" / "mutation.json"
    write_json(p, to_json(results, ms, {"seed": 1}))
    assert load_result_list(p) == results
    (tmp_path / "bad.json").write_text('{"results": [{"verdict": "killed"}]}')
    with pytest.raises(MutationInputError, match="not a results file"):
        load_result_list(tmp_path / "bad.json")


def test_a_family_files_mutant_runs_its_own_machine_first() -> None:
    """A mutant of a second-model family file runs that family's machine first, also when the machines given
    leave it out (no default machine draws its DDL: 10 of the sample's survivors were 080_renames.sql's), then the
    other families' machines given; other files keep their first machine or the order given."""
    from pggit_model.mutation.operators import Mutant
    from pggit_model.mutation.runner import FAMILY_MACHINE
    from pggit_model.mutation.worker import DEFAULT_MACHINES

    config = RunConfig(dsn="")
    for file, machine in FAMILY_MACHINE.items():
        order = config.order_for(Mutant(file, 1, "cmp", 1, "x", "y"))
        assert order[0] == machine and len(set(order)) == len(order), order
        assert set(order) == {machine, *DEFAULT_MACHINES}, order
        # the other families' machines next, before the first model's
        assert set(order[1:len(FAMILY_MACHINE)]) == set(FAMILY_MACHINE.values()) - {machine}, order
        given = RunConfig(dsn="", machines=("VersioningMachine",)).order_for(Mutant(file, 1, "cmp", 1, "x", "y"))
        assert given == (machine, "VersioningMachine"), given
    assert config.order_for(Mutant("060_hashes.sql", 1, "cmp", 1, "x", "y"))[0] == "HashesMachine"
    assert config.order_for(Mutant("010_tracking.sql", 1, "cmp", 1, "x", "y")) == DEFAULT_MACHINES


def test_the_default_machines_are_every_machine_sharing_the_server() -> None:
    """The score is `smoke`'s: every machine of `pytest machines` but the crash machine (a durable cluster of its
    own), and the parallel machine; the dependents machine (V26d-f: views calling a function, uses of sequences and
    types) was left out when it came."""
    from pggit_model.machines import ALL_MACHINES
    from pggit_model.mutation.worker import DEFAULT_MACHINES

    shared = {m.__name__ for m in ALL_MACHINES} - {"CrashMachine"}
    assert set(DEFAULT_MACHINES) == shared | {"ParallelMachine"} and len(DEFAULT_MACHINES) == len(shared) + 1
