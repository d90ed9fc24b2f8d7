"""Load mode (issue 21 part 6): ``--pggit-sessions N`` sessions run drawn units against one database for
``--pggit-load-seconds``, then pgGit's history is checked (X10, V7, V8, X8). Skipped unless the option is given."""

from collections.abc import Iterator

import pytest

from pggit_model.cluster import drop_database
from pggit_model.isolation import Template
from pggit_model.parallel.load import LoadInputError, run_load


@pytest.fixture
def sessions(pytestconfig: pytest.Config) -> int:
    """N from --pggit-sessions; without it the load mode is not asked for (before any server starts)."""
    n = pytestconfig.getoption("--pggit-sessions")
    if n is None:
        pytest.skip("load mode: pass --pggit-sessions N (2-100) to run it")
    return int(n)


@pytest.fixture
def load_db(sessions: int, pggit_template: Template) -> Iterator[str]:
    name = pggit_template.clone("load")
    try:
        yield pggit_template.server.conninfo(name)
    finally:
        drop_database(pggit_template.server, name)


def test_load(pytestconfig: pytest.Config, sessions: int, load_db: str) -> None:
    """Under N concurrent sessions, Trinity IDs and commit hashes stay unique (X10), no history row is lost or
    doubled (V8), versions step by one per object in commit order (V7), and each branch's commits form one chain
    holding every commit the sessions saw commit (X8)."""
    seconds = pytestconfig.getoption("--pggit-load-seconds")
    try:
        report = run_load(load_db, sessions, seconds)
    except LoadInputError as e:
        pytest.fail(f"pggit-model load mode: {e}", pytrace=False)
    print(f"\n{report.summary()}")
    assert report.statements > 0 and any(u.committed for u in report.units)
