"""Shared helpers for the library's own tests (the server fixtures come from pggit_model.pytest_plugin)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


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
