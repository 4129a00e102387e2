"""Cockpit's own pickle caches (`$COCKPIT_HOME/models/`): a value computed once and reused.

Written only by the single writer and replaced atomically (a temp file, then `os.replace`), so a
reader never sees half a file; an unreadable file (truncated, written by an older release) is
recomputed with a warning, never fatal. The caller's key (the file name) says what the value
depends on: a changed input is another file.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


def cached(path: Path | str, compute: Callable[[], T], recompute: bool = False) -> tuple[T, bool]:
    """(the value pickled at `path`, True), else (`compute()`, False) pickled there.

    `recompute` ignores a stored value (a `--full` run) and overwrites it."""
    path = Path(path)
    if path.exists() and not recompute:
        try:
            with path.open("rb") as f:
                return pickle.load(f), True
        except Exception as exc:  # a stale or truncated cache is recomputed, never fatal
            log.warning("Cache %s unreadable (%s): recomputing it", path, exc)
    value = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    with tmp.open("wb") as f:
        pickle.dump(value, f)
    os.replace(tmp, path)
    return value, False
