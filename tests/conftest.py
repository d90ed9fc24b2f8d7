"""Shared helpers for the library's own tests (the server fixtures come from pggit_model.pytest_plugin)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pggit_model.isolation import Template
from pggit_model.machine import Harness
from pggit_model.parallel import ParallelHarness
from pggit_model.session import RunStats


@pytest.fixture
def make_checkout(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Build a small pgGit-like checkout: sql/install.sql plus the given parts (name -> SQL)."""

    def make(files: dict[str, str], install: str | None = None) -> Path:
        root = tmp_path / "checkout"
        sql_dir = root / "sql"
        sql_dir.mkdir(parents=True)
        for name, text in files.items():
            (sql_dir / name).write_text(textwrap.dedent(text))
        body = install if install is not None else "".join(f"\\i {name}\n" for name in files)
        (sql_dir / "install.sql").write_text(body)
        return root

    return make


@pytest.fixture
def parallel(pggit_template: Template, tmp_path: Path) -> Iterator[ParallelHarness]:
    """The parallel machine on the session's template, recording under the test's own folder."""
    harness = Harness(pggit_template, tmp_path / "results", stats=RunStats())
    p = ParallelHarness(harness)
    yield p
    p.close()
    harness.close()
