"""Shared fixtures: tiny data built in code, real DuckDB files in tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

ROOT = Path(__file__).resolve().parent.parent
# ../shared/data next to the project; a git worktree elsewhere points at it with the variable
SHARED_DATA = Path(os.environ.get("COCKPIT_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def settings(tmp_path):
    """Settings pointing at an empty COCKPIT_HOME in tmp_path, with the fast hashing embedder."""
    from cockpit.settings import Settings

    return Settings(home=tmp_path / "home", embedder="hashing")


def put(con, table: str, columns: list[str], rows: list[tuple]) -> None:
    """Write `rows` into `table` through the store's write API (a lake table is a view over
    Parquet files in the default store, so plain INSERTs cannot reach it)."""
    import pandas as pd

    from cockpit import store

    con.register("_put_rows", pd.DataFrame(rows, columns=columns))
    try:
        store.upsert(con, table, "SELECT * FROM _put_rows")
    finally:
        con.unregister("_put_rows")
