"""The pggit-model command: doctor and run (pggit_model.cli)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest


def _cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pggit_model", *args],
        capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})}, cwd=cwd,
    )


@pytest.mark.server
def test_doctor_reports_binaries_cluster_and_backend() -> None:
    """With PostgreSQL installed, doctor names the binaries, starts/removes a cluster and installs the reference."""
    res = _cli("doctor")
    assert res.returncode == 0, res.stdout + res.stderr
    out = res.stdout
    assert "PostgreSQL binaries: " in out and "(version " in out
    assert "server: PostgreSQL" in out and "removed" in out
    assert "reference backend" in out and "contract functions: 16/16 present" in out
    assert out.rstrip().endswith("ready: 16/16 contract functions present; reference version 0.1.0 (from pggit-model)")
    # The cluster it started (named in its output) is gone; others (pytest-xdist workers) are not its business.
    root = Path(re.search(r"server: stopped; (\S+) removed", out).group(1))  # type: ignore[union-attr]
    assert root.name.startswith("pggit-model-") and not root.exists()


def test_doctor_without_binaries_says_what_to_do(tmp_path: Path) -> None:
    """With no PostgreSQL binaries anywhere, doctor exits 1 with one line naming the places searched and the fix."""
    res = _cli("doctor", env={"PATH": str(tmp_path), "PGGIT_MODEL_PG_SEARCH": str(tmp_path / "none"),
                              "PGGIT_MODEL_PG_EMBEDDED": "0"})  # not the PyPI wheel either
    assert res.returncode == 1
    problems = [line for line in res.stdout.splitlines() if line.startswith("PROBLEM:")]
    assert len(problems) == 1
    assert "no PostgreSQL server binaries" in problems[0] and "install the 'postgresql' package" in problems[0].lower()
    assert "Traceback" not in res.stdout + res.stderr


def test_doctor_rejects_a_directory_that_is_not_a_checkout(tmp_path: Path) -> None:
    """A --pggit-source without sql/install.sql is one clear PROBLEM line, before any server starts."""
    res = _cli("doctor", "--pggit-source", str(tmp_path))
    assert res.returncode == 1
    assert "PROBLEM: " in res.stdout and "sql/install.sql does not exist" in res.stdout
    assert "server:" not in res.stdout


def test_doctor_with_unreachable_dsn_masks_the_password() -> None:
    """A bad --pg-dsn gives one PROBLEM line with the password masked."""
    res = _cli("doctor", "--pg-dsn", "host=/nonexistent user=x password=s3cr3t connect_timeout=2")
    assert res.returncode == 1
    assert "s3cr3t" not in res.stdout + res.stderr and "cannot connect" in res.stdout


@pytest.mark.server
def test_doctor_reports_missing_core_functions_and_continues(make_checkout: Callable[..., Path]) -> None:
    """A pgGit lacking contract functions is reported function by function, with the rules each blocks (I4)."""
    root = make_checkout({"000.sql": "CREATE SCHEMA pggit;\n"
                                     "CREATE FUNCTION pggit.generate_trinity_id() RETURNS text "
                                     "LANGUAGE sql AS $$ SELECT 'x' $$;\n"})
    res = _cli("doctor", "--pggit-source", str(root))
    assert res.returncode == 0, res.stdout
    assert "contract functions: 1/16 present" in res.stdout
    assert "missing pggit.commit_changes(text, text, text) (blocks C7)" in res.stdout
    assert "15 contract functions missing" in res.stdout


def test_run_rejects_an_unknown_profile() -> None:
    """An invalid profile name is one line listing the valid ones, exit 2."""
    res = _cli("run", "--profile", "fast")
    assert res.returncode == 2
    assert "unknown Hypothesis profile 'fast'" in res.stderr and "smoke, ci, nightly, weekly, replay" in res.stderr


def test_run_rejects_a_directory_that_is_not_a_pggit_checkout(tmp_path: Path) -> None:
    """--pggit-source at a directory without sql/install.sql (pgGit's v0.1.0 tag has that layout) is one line
    naming the file it expected, exit 2, before pytest starts a server."""
    (tmp_path / "sql").mkdir()
    res = _cli("run", "--profile", "smoke", "--pggit-source", str(tmp_path))
    assert res.returncode == 2, res.stderr
    assert re.search(r"not a pgGit checkout: .*sql/install\.sql does not exist", res.stderr), res.stderr
    assert "Traceback" not in res.stderr and res.stdout == ""


def test_run_passes_what_follows_a_double_dash_to_pytest_as_options(tmp_path: Path) -> None:
    """`pggit-model run … -- --collect-only` gives pytest its options (no tests here: exit 5), not paths named
    "--collect-only" (a usage error, exit 4)."""
    res = _cli("run", "--profile", "smoke", "--jobs", "1", "--machines", str(tmp_path), "--", "--collect-only", "-q")
    assert res.returncode == 5, res.stdout + res.stderr
    assert "no tests collected" in res.stdout
