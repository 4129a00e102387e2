"""The store: the published DuckDB file, its single writer and its readers.

- `writing(settings, command)`: the one writer, on a copy published atomically.
- `read_only(path)` / `reading(path)`: readers that never block the writer.
- `upsert(con, table, select)` / `delete_where(con, table, condition)`: the writer's API for
  the large tables (`conversations`, `messages`, `tags`, `embed_texts`), which live in the file
  or, in a Parquet workspace (`COCKPIT_STORE=parquet`), as Parquet files (`lake`).
- `migrations`: every table's DDL; `lock`: the writer lock; `runlog`: the run log.
"""

from cockpit.store.connection import (
    configure,
    fetch_one,
    get_meta,
    published_version,
    read_only,
    reader_cursor,
    reading,
    set_meta,
    table_exists,
    writing,
)
from cockpit.store.lake import delete_where, upsert
from cockpit.store.migrations import MIGRATIONS, migrate, replace_rows

__all__ = [
    "MIGRATIONS",
    "configure",
    "delete_where",
    "fetch_one",
    "get_meta",
    "migrate",
    "published_version",
    "read_only",
    "reader_cursor",
    "reading",
    "replace_rows",
    "set_meta",
    "table_exists",
    "upsert",
    "writing",
]
