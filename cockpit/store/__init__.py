"""The store: the published DuckDB file, its single writer and its readers.

- `writing(settings, command)`: the one writer, on a copy published atomically.
- `read_only(path)` / `reading(path)`: readers that never block the writer.
- `migrations`: every table's DDL; `lock`: the writer lock; `runlog`: the run log.
"""

from cockpit.store.connection import (
    configure,
    fetch_one,
    get_meta,
    published_version,
    read_only,
    reading,
    set_meta,
    table_exists,
    writing,
)
from cockpit.store.migrations import MIGRATIONS, migrate, replace_rows

__all__ = [
    "MIGRATIONS",
    "configure",
    "fetch_one",
    "get_meta",
    "migrate",
    "published_version",
    "read_only",
    "reading",
    "replace_rows",
    "set_meta",
    "table_exists",
    "writing",
]
