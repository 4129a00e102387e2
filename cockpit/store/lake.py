"""Parquet segments for the large tables, published through a manifest in the small DuckDB file.

Opt-in (`COCKPIT_STORE=parquet`): the first writer converts the workspace; from then on the
workspace stays in this format whatever the setting. Design (docs/scale.md §3):

- `conversations`, `messages`, `tags` and `embed_texts` (`migrations.LAKE_TABLES`) live as
  Parquet files under `$COCKPIT_HOME/lake/<table>/`; a file is written once and never changed.
- The list of live files (the manifest) is a JSON value in the small `cockpit.duckdb`'s `meta`
  table. That file is still copied and `os.replace`d by `writing()`, so the derived tables and
  the manifest are published together in one atomic step; the copy is small because the large
  tables are not in it.
- A key lives in exactly one live file (no duplicates across files), so readers see plain
  `read_parquet` views under the usual table names and queries do not change.
- The writer sees the same names as views over the live files minus the keys it replaced or
  deleted (`_lake_gone_<t>`), plus the rows it wrote (`_lake_new_<t>`); it writes through
  `store.upsert` / `store.delete_where`. At publish (`flush`) the new rows become one new file
  per table, and only the files holding a replaced or deleted key are rewritten without it
  (copy-on-write per file): a night's cost grows with the new data, not the history.
- A killed writer publishes nothing: its files are listed by no manifest and deleted by the next
  writer. Files dropped from the manifest are kept for one generation (readers that opened the
  previous state keep working until they reopen, which the app does on the next rerun) and then
  deleted (`collect_garbage`).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from cockpit.store.migrations import (
    LAKE_PARTITIONS,
    LAKE_TABLES,
    drop_lake_tables,
    lake_reader_view,
    lake_writer_objects,
)

log = logging.getLogger(__name__)

LAKE_DIR = "lake"
MANIFEST_KEY = "lake_manifest"
# Above this many live files in one table, the smallest half are merged into one file. One file
# a night keeps ~2 months of nights unmerged; tens of files cost a reader little, hundreds of
# small files cost it file opens on every query. Merging halves the count, so its rewrite
# cost is amortised (each row is rewritten about log2(nights / MAX_FILES) times).
MAX_FILES_PER_TABLE = 64


@dataclass
class PublishStats:
    """Bytes one writer wrote (new Parquet and the small file's copy) against the store's size."""

    segment_bytes: int = 0
    db_bytes: int = 0
    store_bytes: int = 0
    files_written: int = 0
    files_rewritten: int = 0
    written: dict[str, int] = field(default_factory=dict)

    @property
    def written_bytes(self) -> int:
        return self.segment_bytes + self.db_bytes


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta' "
        "AND database_name = current_database()"
    ).fetchall()
    if not rows[0][0]:
        return None
    rows = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
    return rows[0][0] if rows else None


def manifest(con: duckdb.DuckDBPyConnection) -> dict | None:
    """The published manifest of the connection's database, or None (a single-file store)."""
    raw = _meta(con, MANIFEST_KEY)
    return json.loads(raw) if raw else None


def sql_literal(value) -> str:
    """`value` as a quoted SQL string (paths and partition values pasted into DDL and COPY,
    where DuckDB takes no parameters)."""
    return "'" + str(value).replace("'", "''") + "'"


def _sql_list(root: Path, files: list[str]) -> str:
    return "[" + ", ".join(sql_literal(root / f) for f in files) + "]"


def attach_views(con: duckdb.DuckDBPyConnection, root: Path, m: dict) -> None:
    """Readers: one view per lake table over exactly the manifest's files (a table the
    manifest does not list yet is still in the small file)."""
    for table in m["tables"]:
        con.execute(lake_reader_view(table, _sql_list(root, m["tables"][table])))


def _token() -> str:
    return uuid.uuid4().hex[:12]


def fsync(path: Path) -> None:
    """Flush a file's or folder's contents to disk (before a publish names it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_to(con: duckdb.DuckDBPyConnection, select: str, root: Path, rel: str) -> int:
    out = root / rel
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = con.execute(f"COPY ({select}) TO {sql_literal(out)} (FORMAT parquet)").fetchall()
    fsync(out)
    return int(rows[0][0]) if rows else 0


def missing(m: dict | None) -> list[str]:
    """The lake tables a manifest does not list yet (all of them for a single-file store)."""
    listed = m["tables"] if m else {}
    return [t for t in LAKE_TABLES if t not in listed]


def convert(con: duckdb.DuckDBPyConnection, root: Path, m: dict | None) -> None:
    """Move the lake tables the manifest `m` lacks (all, for a single-file work copy) from the
    work copy into Parquet and record the manifest that lists them.

    The tables are dropped from the work copy afterwards; the caller compacts the file (a
    dropped table's blocks stay allocated otherwise). A workspace converted before a table
    joined `LAKE_TABLES` has that table moved by its next writer.
    """
    token = _token()
    tables: dict[str, list[str]] = dict(m["tables"]) if m else {}
    moved = missing(m)
    n_file = 0
    for table in moved:
        order = ", ".join(LAKE_TABLES[table])
        written: list[str] = []
        for where in _partitions(con, table, table):
            rel = f"{table}/{token}-c{n_file}.parquet"
            n_file += 1
            _copy_to(con, f"SELECT * FROM {table} WHERE {where} ORDER BY {order}", root, rel)
            written.append(rel)
        tables[table] = written
        log.info("Moved %s to %s (%s files)", table, root / table, len(written))
    drop_lake_tables(con, moved)
    fsync(root)
    previous = m.get("previous", []) if m else []
    generation = m["generation"] if m else 1
    _set_manifest(con, {"generation": generation, "tables": tables, "previous": previous})


def _partitions(con: duckdb.DuckDBPyConnection, table: str, source: str) -> list[str]:
    """One SQL condition per file to write from `source` (rows of lake table `table`): a
    single `true`, or one per value of its partition column (`LAKE_PARTITIONS`). Always at
    least one, so an empty table still gets a file holding its schema."""
    column = LAKE_PARTITIONS.get(table)
    if column is None:
        return ["true"]
    values = [r[0] for r in con.execute(f"SELECT DISTINCT {column} FROM {source}").fetchall()]
    conds = [f"{column} IS NULL" if v is None else f"{column} = {sql_literal(v)}" for v in values]
    return sorted(conds) or ["true"]


def _set_manifest(con: duckdb.DuckDBPyConnection, m: dict) -> None:
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [MANIFEST_KEY, json.dumps(m)])


def begin(con: duckdb.DuckDBPyConnection, root: Path) -> dict | None:
    """Writers: the working views and tables over the published manifest (None: single file)."""
    m = manifest(con)
    if m is None:
        return None
    for table in m["tables"]:
        for sql in lake_writer_objects(table, _sql_list(root, m["tables"][table])):
            con.execute(sql)
    return m


def active(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """True when `table` is a lake table of this writer connection."""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = 'temp' AND table_name = ?",
        [f"_lake_new_{table}"],
    ).fetchall()
    return bool(rows[0][0])


def _keys(table: str) -> str:
    return ", ".join(LAKE_TABLES[table])


def upsert(
    con: duckdb.DuckDBPyConnection, table: str, select: str, params: list | None = None
) -> None:
    """Write `select`'s rows over the stored ones with the same key (columns matched by name;
    `params` bind the select's `?`)."""
    if not active(con, table):
        con.execute(f"INSERT OR REPLACE INTO {table} BY NAME {select}", params or [])
        return
    keys = _keys(table)
    match = " AND ".join(f"n.{k} = i.{k}" for k in LAKE_TABLES[table])
    con.execute(f"CREATE OR REPLACE TEMP TABLE _lake_in AS {select}", params or [])
    con.execute(f"DELETE FROM _lake_new_{table} n USING _lake_in i WHERE {match}")
    con.execute(f"INSERT INTO _lake_gone_{table} SELECT DISTINCT {keys} FROM _lake_in")
    con.execute(f"INSERT INTO _lake_new_{table} BY NAME SELECT * FROM _lake_in")
    con.execute("DROP TABLE _lake_in")


def delete_where(
    con: duckdb.DuckDBPyConnection, table: str, condition: str, params: list | None = None
) -> None:
    """Delete the rows of `table` matching the SQL `condition` (over the table's columns;
    `params` bind its `?`)."""
    if not active(con, table):
        con.execute(f"DELETE FROM {table} WHERE {condition}", params or [])
        return
    keys = _keys(table)
    con.execute(
        f"INSERT INTO _lake_gone_{table} SELECT {keys} FROM {table} WHERE {condition}",
        params or [],
    )
    con.execute(f"DELETE FROM _lake_new_{table} WHERE {condition}", params or [])


def _size(root: Path, rel: str) -> int:
    try:
        return (root / rel).stat().st_size
    except FileNotFoundError:
        return 0


def flush(con: duckdb.DuckDBPyConnection, root: Path, m: dict) -> PublishStats:
    """Write this run's changes as new files and record the next manifest in the work copy."""
    token = _token()
    stats = PublishStats()
    tables: dict[str, list[str]] = {}
    n = 0

    def name(table: str) -> str:
        nonlocal n
        n += 1
        return f"{table}/{token}-{n}.parquet"

    for table in m["tables"]:
        files = list(m["tables"][table])
        keys = _keys(table)
        gone = con.execute(f"SELECT count(*) FROM _lake_gone_{table}").fetchall()[0][0]
        new = con.execute(f"SELECT count(*) FROM _lake_new_{table}").fetchall()[0][0]
        written: list[str] = []
        if gone:
            hit = con.execute(
                f"SELECT DISTINCT filename FROM read_parquet({_sql_list(root, files)}, "
                f"filename = true, union_by_name = true) SEMI JOIN _lake_gone_{table} "
                f"USING ({keys})"
            ).fetchall()
            hit_rel = {os.path.relpath(h[0], root) for h in hit}
            for rel in [f for f in files if f in hit_rel]:
                out = name(table)
                kept = _copy_to(
                    con,
                    f"SELECT * FROM read_parquet({_sql_list(root, [rel])}) "
                    f"ANTI JOIN _lake_gone_{table} USING ({keys})",
                    root,
                    out,
                )
                written.append(out)
                stats.files_rewritten += 1
                files.remove(rel)
                if kept:
                    files.append(out)
        if new:
            for where in _partitions(con, table, f"_lake_new_{table}"):
                out = name(table)
                _copy_to(
                    con, f"SELECT * FROM _lake_new_{table} WHERE {where} ORDER BY {keys}", root, out
                )
                written.append(out)
                files.append(out)
        if len(files) > MAX_FILES_PER_TABLE:
            smallest = sorted(files, key=lambda f: _size(root, f))[: len(files) // 2]
            merged = f"read_parquet({_sql_list(root, smallest)}, union_by_name = true)"
            files = [f for f in files if f not in smallest]
            for where in _partitions(con, table, merged):
                out = name(table)
                _copy_to(con, f"SELECT * FROM {merged} WHERE {where} ORDER BY {keys}", root, out)
                written.append(out)
                files.append(out)
        if not files:  # every row deleted: an empty file keeps the table's schema
            out = name(table)
            _copy_to(con, f"SELECT * FROM _lake_new_{table} LIMIT 0", root, out)
            written.append(out)
            files.append(out)
        tables[table] = files
        stats.written[table] = sum(_size(root, f) for f in written)
        stats.files_written += len(written)
    for table in tables:
        if (root / table).exists():
            fsync(root / table)
    stats.segment_bytes = sum(stats.written.values())
    stats.store_bytes = sum(_size(root, f) for fs in tables.values() for f in fs)
    previous = sorted({f for fs in m["tables"].values() for f in fs})
    _set_manifest(con, {"generation": m["generation"] + 1, "tables": tables, "previous": previous})
    return stats


def collect_garbage(root: Path, m: dict) -> int:
    """Delete lake files neither the published manifest nor the one before it lists.

    Runs under the writer lock after a publish, so no other writer is writing files. Also
    removes files of killed writers (listed by no manifest). Returns the number deleted.
    """
    keep = {f for fs in m["tables"].values() for f in fs} | set(m.get("previous", []))
    deleted = 0
    for table in LAKE_TABLES:
        folder = root / table
        if not folder.exists():
            continue
        for p in folder.glob("*.parquet"):
            if f"{table}/{p.name}" not in keep:
                p.unlink(missing_ok=True)
                deleted += 1
    return deleted


def lake_bytes(root: Path, m: dict) -> int:
    """Bytes of the files a manifest lists."""
    return sum(_size(root, f) for fs in m["tables"].values() for f in fs)
