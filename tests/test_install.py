"""Installing a backend from a checkout, with the install report (pggit_model.install; contract I1, I3, I4)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pggit_model import cluster
from pggit_model.errors import NotAPggitCheckout
from pggit_model.install import CONTRACT_FUNCTIONS, check_source, install, parse_log
from pggit_model.isolation import Template

Server = cluster.ThrowawayCluster | cluster.ExternalServer


@pytest.fixture
def empty_db(pggit_server: Server) -> Iterator[str]:
    name = cluster.new_dbname("inst")
    cluster.create_database(pggit_server, name)
    yield pggit_server.conninfo(name)
    cluster.drop_database(pggit_server, name)


PARTS = {
    "000_schema.sql": """
        CREATE SCHEMA pggit;
        CREATE TYPE pggit.branch_status AS ENUM ('ACTIVE', 'MERGED', 'DELETED', 'CONFLICTED');
        CREATE TABLE pggit.branches (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
    """,
    "001_broken.sql": """
        CREATE TABLE pggit.ok_before (i int);
        SELECT no_such_column FROM pggit.branches;
        CREATE TABLE pggit.ok_after (i int);
        CREATE FUNCTION pggit.bad( RETURNS int LANGUAGE sql AS 'SELECT 1';
    """,
    "002_api.sql": """
        CREATE FUNCTION pggit.generate_trinity_id() RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$;
        CREATE FUNCTION pggit.checkout_branch(p_branch_name text) RETURNS text LANGUAGE sql AS $$ SELECT $1 $$;
    """,
}


@pytest.mark.server
def test_i3_module_errors_do_not_abort_and_are_reported(
    pggit_server: Server, empty_db: str, make_checkout: Callable[..., Path]
) -> None:
    """I3: an erroring part is counted per file with its first error, and the install goes on past it."""
    root = make_checkout(PARTS)
    report = install(empty_db, root, psql=pggit_server.psql, env=pggit_server.psql_env())
    files = {f.path: f for f in report.files}
    assert files["000_schema.sql"].errors == 0 and files["000_schema.sql"].ok == 3
    broken = files["001_broken.sql"]
    assert broken.errors == 2 and broken.ok == 2
    assert broken.first_error is not None and "line 3" in broken.first_error and "no_such_column" in broken.first_error
    assert files["002_api.sql"].ok == 2 and files["002_api.sql"].errors == 0
    assert report.error_count == 2 and report.backend == "pggit"
    with cluster.connect(empty_db) as conn:
        assert conn.execute("SELECT to_regclass('pggit.ok_after') IS NOT NULL").fetchone() == (True,)
    assert "001_broken.sql: 2 errors" in report.summary()


@pytest.mark.server
def test_i3_an_include_that_does_not_exist_is_an_error_of_the_including_file(
    pggit_server: Server, empty_db: str, make_checkout: Callable[..., Path]
) -> None:
    """I3: an install.sql naming a part the checkout lacks (psql's own "error:", not the server's ERROR) is counted
    as an error of install.sql with the file it named, not "0 errors"."""
    root = make_checkout({"000_schema.sql": PARTS["000_schema.sql"]},
                         install="\\i 000_schema.sql\n\\i 001_not_there.sql\n")
    report = install(empty_db, root, psql=pggit_server.psql, env=pggit_server.psql_env())
    files = {f.path: f for f in report.files}
    assert files["install.sql"].errors == 1 and "001_not_there.sql" in (files["install.sql"].first_error or "")
    assert "install.sql: 1 errors" in report.summary()


@pytest.mark.server
def test_i3_an_install_script_that_stops_at_its_first_error_says_so(
    pggit_server: Server, empty_db: str, make_checkout: Callable[..., Path]
) -> None:
    """I3: a checkout whose install.sql sets ON_ERROR_STOP stops at its first error (psql exit 3); the report says
    the files after it were not installed, so its missing functions are read as that, not as pgGit's design."""
    root = make_checkout(PARTS, install="\\set ON_ERROR_STOP on\n" + "".join(f"\\i {n}\n" for n in PARTS))
    report = install(empty_db, root, psql=pggit_server.psql, env=pggit_server.psql_env())
    assert report.psql_exit == 3 and "psql stopped at the first error" in report.summary()
    with cluster.connect(empty_db) as conn:
        assert conn.execute("SELECT to_regclass('pggit.ok_after') IS NULL").fetchone() == (True,)


@pytest.mark.server
def test_i4_missing_contract_functions_are_listed_with_the_rules_they_block(
    pggit_server: Server, empty_db: str, make_checkout: Callable[..., Path]
) -> None:
    """I4: each contract signature is looked up; the missing ones are reported with their rule ids."""
    report = install(empty_db, make_checkout(PARTS), psql=pggit_server.psql, env=pggit_server.psql_env())
    assert set(report.present) == {"pggit.generate_trinity_id()", "pggit.checkout_branch(text)"}
    assert set(report.present) | set(report.missing) == set(CONTRACT_FUNCTIONS)
    by_functions = {r for f in report.missing for r in report.blocked[f]}
    assert "T3" not in by_functions and "C7" in by_functions and "B3" in by_functions
    assert "missing pggit.commit_changes(text, text, text) (blocks C7)" in report.summary()
    # Its tables lack the observed columns, and there is no trinity_id_seq: reported with their rules too.
    assert "pggit.trinity_id_seq" in report.missing_parts and "pggit.branches.status" in report.missing_parts
    assert "T3" in report.blocked_rules and "O3" in report.blocked_rules
    assert "missing sequence pggit.trinity_id_seq (blocks O7, T3, T7, T8, X3)" in report.summary()


@pytest.mark.server
def test_i1_nested_includes_resolve_like_psql(
    pggit_server: Server, empty_db: str, make_checkout: Callable[..., Path]
) -> None:
    """I1: install.sql runs from sql/, so a part's own \\i of another part resolves against sql/."""
    root = make_checkout(
        {"a.sql": "CREATE TABLE public.a (i int);\n\\i b.sql\n", "b.sql": "CREATE TABLE public.b (i int);\n"},
        install="\\i a.sql\n",
    )
    report = install(empty_db, root, psql=pggit_server.psql, env=pggit_server.psql_env())
    assert report.error_count == 0
    with cluster.connect(empty_db) as conn:
        assert conn.execute("SELECT to_regclass('public.b') IS NOT NULL").fetchone() == (True,)
    assert report.missing == tuple(CONTRACT_FUNCTIONS)


def test_not_a_directory_is_one_clear_error(tmp_path: Path) -> None:
    """A --pggit-source that does not exist says so and says what to pass."""
    with pytest.raises(NotAPggitCheckout, match=r"not a directory.*sql/install\.sql"):
        check_source(tmp_path / "missing")


def test_directory_without_install_sql_is_one_clear_error(tmp_path: Path) -> None:
    """A directory that is not a pgGit checkout names the file it expected."""
    with pytest.raises(NotAPggitCheckout, match=r"not a pgGit checkout: .*sql/install.sql does not exist"):
        check_source(tmp_path)


def test_release_without_install_sql_is_told_how_to_add_one(tmp_path: Path) -> None:
    """A pgGit release that installs by hand (0.1.0: sql/*.sql, a README of psql -f lines, no sql/install.sql) is
    named with its version and told the \\i lines to write, in the README's order, not called "not pgGit" (I1)."""
    (tmp_path / "sql" / "v1").mkdir(parents=True)
    for name in ("v1/b_schema.sql", "v1/a_utils.sql", "030_branches.sql"):
        (tmp_path / "sql" / name).write_text("SELECT 1;\n")
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## [0.1.0] - 2025-12-28\n")
    (tmp_path / "README.md").write_text("createdb x\npsql -d x -f sql/v1/b_schema.sql\n"
                                        "psql -d x -f sql/v1/a_utils.sql\npsql -d x -f sql/v1/b_schema.sql\n")
    with pytest.raises(NotAPggitCheckout) as e:
        check_source(tmp_path)
    msg = str(e.value)
    assert "not a pgGit checkout" not in msg
    assert "pgGit 0.1.0 (from CHANGELOG.md) with 3 .sql files under sql/ but no sql/install.sql" in msg
    assert "\\i v1/b_schema.sql \\i v1/a_utils.sql (" in msg  # README order, once each
    assert "Write sql/install.sql" in msg


def test_an_installer_outside_sql_is_named_not_called_not_pggit(tmp_path: Path) -> None:
    """A checkout whose install.sql moved (src/install.sql, no sql/) is told where I1 expects it, naming the file it
    has, instead of "not a pgGit checkout"."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "install.sql").write_text("\\i 000_schema.sql\n")
    with pytest.raises(NotAPggitCheckout, match=r"has no sql/install.sql but src/install.sql: .*copy its directory "
                                                r"to sql/") as e:
        check_source(tmp_path)
    assert "not a pgGit checkout" not in str(e.value)


def test_parse_log_attributes_statements_to_files() -> None:
    """Command tags count for the file whose marker precedes them; errors for the file they name."""
    log = "\n".join(
        [
            "@@pggit-model-file a.sql",
            "CREATE TABLE",
            " ?column? ",
            "----------",
            "        1",
            "(1 row)",
            "psql:a.sql:3: ERROR:  boom",
            "@@pggit-model-file b.sql",
            "INSERT 0 1",
            "psql:c.sql:9: ERROR:  nested",
        ]
    )
    reports = {r.path: r for r in parse_log(log)}
    assert (reports["a.sql"].ok, reports["a.sql"].errors, reports["a.sql"].first_error) == (2, 1, "line 3: boom")
    assert (reports["b.sql"].ok, reports["b.sql"].errors) == (1, 0)
    assert reports["c.sql"].errors == 1


@pytest.mark.server
def test_i7_backend_lives_in_a_database_of_its_own(pggit_server: Server, pggit_template: Template) -> None:
    """I7: the backend is installed into the session's template database only; no other database gets schema pggit."""
    with cluster.connect(pggit_server.conninfo(pggit_template.dbname)) as conn:
        assert conn.execute("SELECT to_regnamespace('pggit') IS NOT NULL").fetchone() == (True,)
    with cluster.connect(pggit_server.conninfo("postgres")) as conn:
        assert conn.execute("SELECT to_regnamespace('pggit') IS NOT NULL").fetchone() == (False,)
