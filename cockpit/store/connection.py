"""The DuckDB store: one file at `$COCKPIT_HOME/cockpit.duckdb`, migrations, connections.

Concurrency model (DuckDB allows one writing process or many reading ones, never both):
- Every writer (ingest, demo, refresh, backtest) goes through `writing(settings)`: it takes the
  writer lock, copies the published file to `cockpit.duckdb.next`, works on the copy, and
  atomically `os.replace`s it over the published file on success. Readers (the app, `status`,
  `account`) therefore only ever see a complete state, and a killed writer leaves the published
  file untouched (its `.next` is discarded by the next writer).
- Readers use `read_only(path)`: an in-memory DuckDB with the file ATTACHed READ_ONLY, which
  never takes the write lock.

Every table's DDL lives in `cockpit.store.migrations`, applied to each writer's work copy.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb

import cockpit.store.lake as lake
from cockpit.errors import NoDataError
from cockpit.settings import Settings
from cockpit.store.lock import writer_lock
from cockpit.store.migrations import migrate

log = logging.getLogger(__name__)

SCHEMA = "main"

# What the last successful `writing()` block of this process wrote (bench and tests read it).
last_publish: lake.PublishStats | None = None


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Thread count, memory cap and spill folder tuned for the 2-core machine."""
    # Settings reach DuckDB as parameters, never pasted into the SQL text.
    con.execute("SET threads = ?", [int(settings.threads)])
    con.execute("SET memory_limit = ?", [settings.memory_limit])
    tmp = settings.home / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    con.execute("SET temp_directory = ?", [str(tmp)])
    con.execute("SET TimeZone = 'UTC'")


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _copy(src: Path, dst: Path) -> None:
    """Copy the published file to the work copy (a seam tests use to interrupt a copy)."""
    shutil.copyfile(src, dst)


def _discard(path: Path, why: str) -> None:
    for p in (path, _wal(path)):
        if p.exists():
            log.warning("Discarding %s %s", p, why)
            p.unlink()


def published_version(path: Path | str) -> tuple[int, int, int, int] | None:
    """An identity of the published file's current version: (device, inode, mtime ns, size).

    Every publish `os.replace`s a new file (new inode, fresh mtime) over the path, so a reader
    that caches its connection keyed by this tuple notices a new state without a restart and
    never mistakes one version for another. None when the file does not exist yet.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def _close_checkpointed(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Checkpoint and close; afterwards every change must be in `path` itself, none in a WAL."""
    con.execute("CHECKPOINT")
    con.close()
    if _wal(path).exists():  # close() normally checkpoints; make sure, once, before giving up
        again = duckdb.connect(str(path))
        again.execute("CHECKPOINT")
        again.close()
    if _wal(path).exists():
        raise RuntimeError(f"{_wal(path)} still exists after a checkpoint; not publishing")


@contextlib.contextmanager
def writing(
    settings: Settings, command: str = "write", run_id: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the single writer on a copy of the published database; publish it atomically.

    Takes the writer lock (`LockedError` at once if another writer runs), discards a `.next`
    left by a killed writer, copies `cockpit.duckdb` to `cockpit.duckdb.next`, migrates it and
    yields a connection to it. On normal exit the copy is checkpointed (no WAL left), closed,
    fsynced and `os.replace`d over `cockpit.duckdb`, then the directory is fsynced: readers see
    either the old complete file or the new one, never a mix, and a crash after the replace
    cannot lose it. On an exception, or if the process is killed at any point, the published
    file is left as it was and the copy is discarded (now, or by the next writer). When the
    previous writer was killed, its run is recorded as failed in the run log (`runs`).
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    with writer_lock(settings.lock_path, command, run_id=run_id) as holder:
        target = settings.db_path
        nxt = target.with_name(target.name + ".next")
        _discard(nxt, "left by an interrupted writer")
        root = target.parent / lake.LAKE_DIR
        if target.exists() and root.exists() and not _wal(target).exists():
            _compact(target, nxt)  # a Parquet store: copy only the small file's used blocks
        elif target.exists():
            _copy(target, nxt)
            if _wal(target).exists():
                # Someone wrote to the published file directly (not through writing()). Carry
                # its WAL into the copy, where DuckDB replays it; the stale WAL must not stay
                # next to the new file (DuckDB refuses to open a file with a foreign WAL).
                log.warning("Found %s: folding it into the new version", _wal(target))
                _copy(_wal(target), _wal(nxt))
        con = duckdb.connect(str(nxt))
        ok = False
        converted = False
        try:
            configure(con, settings)
            migrate(con)
            m = lake.manifest(con)
            # A single-file store converts when the setting asks for Parquet; a Parquet store
            # converted before a table joined the lake moves that table now, whatever the setting.
            if lake.missing(m) and (m is not None or settings.store_format == "parquet"):
                lake.convert(con, root, m)
                converted = True
            published = lake.begin(con, root)
            if holder.get("stale"):
                import cockpit.store.runlog as runlog

                runlog.record_interrupted(con, holder["stale"], detected_by=run_id or command)
            yield con
            stats = lake.flush(con, root, published) if published else lake.PublishStats()
            _close_checkpointed(con, nxt)
            if converted or (published and _mostly_free(nxt)):
                _compact(nxt, nxt)
            ok = True
        finally:
            if not ok:
                con.close()
                _discard(nxt, "after a failed write")
        lake.fsync(nxt)
        os.utime(nxt)  # a fresh mtime for the new version (the app keys its reader on it)
        if _wal(target).exists():
            _wal(target).unlink()
        os.replace(nxt, target)
        lake.fsync(target.parent)
        global last_publish
        stats.db_bytes = target.stat().st_size
        stats.store_bytes += stats.db_bytes
        last_publish = stats
        if published:
            with reading(target) as check:
                now = lake.manifest(check)
            lake.collect_garbage(root, now)
        log.info("Published %s (%s)", target, command)


# Block size of a compacted small file (the Parquet store's `cockpit.duckdb`). DuckDB's default
# 256 KiB blocks cost at least one block per table and column group: ~12 MB for the ~40 small
# derived tables, most of it empty, which a nightly copy would rewrite; 16 KiB (DuckDB's smallest)
# holds the same 200k-conversation demo's derived tables in 4.7 MB instead of 18.5 MB (measured).
SMALL_FILE_BLOCK_SIZE = 16_384


def _mostly_free(path: Path) -> bool:
    """True when more than half of a DuckDB file's blocks are free (rewritten derived tables
    leave free blocks behind; in a Parquet store the small file is copied every night, so it is
    compacted once free blocks outnumber used ones, which bounds it at twice its data)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        _, _, _, total, used, free, *_ = con.execute("PRAGMA database_size").fetchall()[0]
    finally:
        con.close()
    return free > used


def _compact(path: Path, dest: Path) -> None:
    """Write `path`'s contents without its free blocks to `dest` (which may be `path`)."""
    tmp = dest.with_name(dest.name + ".compact")
    _discard(tmp, "left by an interrupted compaction")
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {lake.sql_literal(path)} AS src (READ_ONLY)")
        con.execute(f"ATTACH {lake.sql_literal(tmp)} AS dst (BLOCK_SIZE {SMALL_FILE_BLOCK_SIZE})")
        con.execute("COPY FROM DATABASE src TO dst")
        con.execute("DETACH dst")
    finally:
        con.close()
    os.replace(tmp, dest)


def read_only(path: Path | str) -> duckdb.DuckDBPyConnection:
    """A reader: in-memory DuckDB with the published file attached READ_ONLY as the default db.

    It holds the version that was published when it was opened, even after a newer one replaces
    it (the old inode stays readable while open); open a new reader when `published_version`
    changes. Raises NoDataError when the file does not exist yet.
    """
    path = Path(path)
    if not path.exists():
        raise NoDataError()
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"ATTACH {lake.sql_literal(path)} AS c (READ_ONLY)")
    con.execute("USE c")
    m = lake.manifest(con)
    if m is not None:
        lake.attach_views(con, path.parent / lake.LAKE_DIR, m)
        con.execute(f"SET search_path = '{READER_SEARCH_PATH}'")
    return con


# A reader resolves names in the published file first, then in its in-memory database, where a
# Parquet store's table views live (`lake.attach_views`).
READER_SEARCH_PATH = "c.main,memory.main"


def reader_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor on a `read_only` connection that resolves names as the connection does (a
    cursor inherits neither the default database nor the search path)."""
    cur = con.cursor()
    cur.execute("USE c")
    cur.execute(f"SET search_path = '{READER_SEARCH_PATH}'")
    return cur


@contextlib.contextmanager
def reading(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection (see `read_only`) closed when the block ends."""
    con = read_only(path)
    try:
        yield con
    finally:
        con.close()


def fetch_one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, or None.

    Uses fetchall(): in DuckDB 2.0 a `fetchone()` leaves the result unfinished, and the
    connection then refuses new work (`ResourceInUseException`).
    """
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when `name` is a table or view in the connection's current database (or a lake
    table's temp view)."""
    row = fetch_one(
        con,
        "SELECT (SELECT count(*) FROM duckdb_tables() WHERE table_name = $1 "
        "AND database_name = current_database()) + (SELECT count(*) FROM duckdb_views() "
        "WHERE view_name = $1 AND database_name IN (current_database(), 'temp', 'memory'))",
        [name],
    )
    return bool(row and row[0])


def get_meta(con: duckdb.DuckDBPyConnection, key: str, default: str | None = None) -> str | None:
    """A value from the `meta` table (default when absent)."""
    if not table_exists(con, "meta"):
        return default
    row = fetch_one(con, "SELECT value FROM meta WHERE key = ?", [key])
    return row[0] if row else default


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Store a value in the `meta` table."""
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])
