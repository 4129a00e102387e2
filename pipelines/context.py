"""What every pipeline step receives: the writer connection, settings and reporting hooks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import duckdb

from cockpit.settings import Settings


class Progress(Protocol):
    """Reports a step's progress to whoever watches (terminal bars, log lines, or nothing)."""

    def start(self, label: str, total: int | None = None) -> None: ...

    def advance(self, n: int = 1) -> None: ...

    def done(self) -> None: ...


class NullProgress:
    """Progress that reports nothing (tests, --quiet)."""

    def start(self, label: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        pass

    def done(self) -> None:
        pass


def _no_embedder() -> Any:
    raise RuntimeError("this run was started without an embedder factory")


@dataclass
class StepContext:
    """The state a step works with. Steps read and write only through `con`."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    run_id: str
    full: bool = False
    progress: Progress = field(default_factory=NullProgress)
    embedder_factory: Callable[[], Any] = _no_embedder
