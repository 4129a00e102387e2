"""What every pipeline step receives: the writer connection, settings and reporting hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

from cockpit.progress import Progress, QuietProgress
from cockpit.settings import Settings


def _no_embedder() -> Any:
    raise RuntimeError("this run was started without an embedder factory")


@dataclass
class StepContext:
    """The state a step works with. Steps read and write only through `con`."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    run_id: str
    full: bool = False
    progress: Progress = field(default_factory=QuietProgress)
    embedder_factory: Callable[[], Any] = _no_embedder
