"""Loading: staged and validated rows → the store (upsert), bad rows → quarantine.

Decisions (also in README's data contract):
- Every input record is stored exactly once or quarantined exactly once (one quarantine row per
  failing column; `FileReport.quarantined` counts records). Row numbers are 1-based record
  numbers after the header; `quarantine.lines` holds the file lines (e.g. `24-26`).
- `raw` holds the record's contract columns as JSON, with texts already masked; extra columns
  are dropped (they may hold personal data).
- Newer wins, not later: a table with a `version` (conversations: `updated_at`, else
  `created_at`) skips an incoming row older than the stored one and counts it as `stale`; at
  equal versions the later file wins. A key seen twice in one file: the newest (then the last)
  occurrence wins, the others are quarantined ("duplicate key in file").
- A conversation whose `account_id` differs from the stored one is quarantined, never moved.
- Quarantine is a queue: a row whose only fault is a missing parent (`waiting_for`) is retried
  by every ingest and refresh once the parent exists (`retry_waiting`), and leaves the
  quarantine when it loads.
- A file whose sha256 is already in `ingested_files` is skipped as a whole.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

import cockpit.ingest.stage as stage
from cockpit import contract, store
from cockpit.errors import UnknownTableError
from cockpit.ingest.validate import Limits, build_typed, lit, q, quarantine_errors

log = logging.getLogger(__name__)

_TEMP = ("_stg", "_typed", "_rejrec", "_final", "_dups", "_retry", "_write")


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    table: str | None
    rows_read: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    quarantined: int = 0
    skipped: bool = False
    refused: str | None = None
    encoding: str | None = None


@dataclass
class IngestReport:
    """What happened to every file of one ingest command, and to the quarantine retries."""

    files: list[FileReport] = field(default_factory=list)
    retried: list[FileReport] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def totals(self) -> dict[str, int]:
        names = ("rows_read", "loaded", "updated", "unchanged", "stale", "quarantined")
        totals = {n: self._sum(n) for n in names}
        totals["skipped"] = sum(f.skipped for f in self.files)
        totals["refused"] = sum(f.refused is not None for f in self.files)
        totals["retried_loaded"] = sum(r.loaded for r in self.retried)
        return totals

    @property
    def nothing_loaded(self) -> bool:
        """True when no row was loaded or updated and something went wrong (or no file at all).

        Re-ingesting known files (skipped), unchanged or stale rows is not a failure.
        """
        if not self.files:
            return True
        if self._sum("loaded") + self._sum("updated") + self.totals["retried_loaded"]:
            return False
        return any(f.refused or f.quarantined for f in self.files)


def _first(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, with the result fully consumed (DuckDB 2 keeps it open)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def file_sha256(path: Path) -> str:
    """Content hash of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _in_a_store(path: Path, top: Path) -> bool:
    """True for a Parquet store's own segment (`<home>/lake/...` beside `cockpit.duckdb`) found
    below `top`: a folder holding a workspace expands to its export files, not the store."""
    from cockpit.store.lake import LAKE_DIR

    for folder in path.relative_to(top).parents:
        here = top / folder
        # the published file, or the first writer's work copy (`.next`) before it exists
        if here.name == LAKE_DIR and any(here.parent.glob("cockpit.duckdb*")):
            return True
    return False


def expand_paths(paths: list[str | Path]) -> tuple[list[Path], list[FileReport]]:
    """Files to ingest and refusals. Paths are literal (never globs); a directory expands to
    its supported files."""
    files: list[Path] = []
    refused: list[FileReport] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                c
                for c in p.rglob("*")
                if c.is_file() and contract.file_format(c.name) and not _in_a_store(c, p)
            )
            if not found:
                refused.append(FileReport(str(p), None, refused=_no_files_message(p)))
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            hint = (
                " (paths are literal; give a folder or list the files)"
                if any(ch in str(p) for ch in "*?[]")
                else ""
            )
            refused.append(
                FileReport(
                    str(p), None, refused=f"{p}: no such file or directory{hint}; check the path."
                )
            )
    return files, refused


def _no_files_message(p: Path) -> str:
    return (
        f"{p}: no supported files in this directory; expected "
        f"{', '.join(contract.FORMATS)} (optionally .gz)."
    )


def ingest_paths(
    con: duckdb.DuckDBPyConnection,
    paths: list[str | Path],
    table: str | None = None,
    run_id: str | None = None,
    progress: Any = None,
    limits: Limits | None = None,
    encoding: str | None = None,
) -> IngestReport:
    """Validate and load files into the store on a writer connection (already migrated).

    Files load parents first (`contract.LOAD_ORDER`) whatever the order given, so accounts in
    the same command satisfy the conversations that reference them; afterwards the quarantine's
    waiting rows are retried. `table` forces the table for every file; otherwise it is
    recognised from the file name. `encoding` overrides detection for CSV and JSON Lines.
    """
    if table is not None and table not in contract.TABLES:
        raise UnknownTableError(
            f"unknown table '{table}'; expected one of {', '.join(contract.TABLES)}."
        )
    run_id = run_id or uuid.uuid4().hex[:12]
    limits = limits or Limits.default()
    files, refusals = expand_paths(paths)
    report = IngestReport(list(refusals))
    plan: list[tuple[Path, str]] = []
    for path in files:
        name = table or contract.table_for_filename(path.name)
        reason = _refusal(path, name)
        if reason:
            report.files.append(FileReport(str(path), name, refused=reason))
        else:
            plan.append((path, name))
    plan.sort(key=lambda item: contract.LOAD_ORDER.index(item[1]))

    con.execute("SET TimeZone = 'UTC'")  # timestamps without an offset are UTC
    if progress is not None:
        progress.start("Ingesting files", len(plan))
    try:
        for path, name in plan:
            report.files.append(_ingest_file(con, path, name, run_id, limits, encoding))
            if progress is not None:
                progress.advance(1)
    finally:
        if progress is not None:
            progress.done()
    report.retried = retry_waiting(con, run_id, limits)
    return report


def _refusal(path: Path, table: str | None) -> str | None:
    fmt = contract.file_format(path.name)
    if fmt is None or (fmt == "parquet" and path.name.lower().endswith(".gz")):
        return (
            f"{path}: unsupported file type; expected {', '.join(contract.FORMATS)} "
            f"(CSV and JSON Lines may be gzipped: .csv.gz, .jsonl.gz)."
        )
    if table is None:
        return (
            f"{path}: cannot tell which table this file feeds from its name; start the file "
            f"name with one of {', '.join(contract.TABLES)} or pass --table "
            f"{'|'.join(contract.TABLES)}."
        )
    return None


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for t in _TEMP:
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    run_id: str,
    limits: Limits,
    encoding: str | None,
) -> FileReport:
    fr = FileReport(str(path), table)
    file_hash = file_sha256(path)
    seen = _first(con, "SELECT path FROM ingested_files WHERE file_hash = ?", [file_hash])
    if seen:
        log.info("%s: already ingested (as %s); skipped", path, seen[0])
        fr.skipped = True
        return fr
    con.execute("BEGIN")
    try:
        staged = stage.stage_file(con, path, table, file_hash, limits.max_value_bytes, encoding)
        fr.encoding = staged.encoding
        fr.rows_read = staged.records
        _validate_and_load(con, table, run_id, limits, fr)
        con.execute(
            "INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
            [file_hash, str(path), table, fr.rows_read, fr.loaded, fr.updated,
             fr.unchanged, fr.quarantined, run_id],
        )  # fmt: skip
        con.execute("COMMIT")
    except stage.Refusal as exc:
        con.execute("ROLLBACK")
        fr = FileReport(str(path), table, refused=str(exc))
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        first = str(exc).strip().splitlines()[0]
        fr = FileReport(str(path), table, refused=f"{path}: could not be read ({first}).")
    finally:
        _drop_temp(con)
    if fr.encoding and fr.encoding not in ("utf-8", "utf-8-sig"):
        log.warning("%s: read as %s", path, fr.encoding)
    log.info("%s → %s: %s", path, table, fr)
    return fr


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = _first(con, sql)
    return int(row[0]) if row else 0


def _version_expr(spec: contract.TableSpec, prefix: str) -> str | None:
    if not spec.version:
        return None
    if prefix == "v_":
        return "coalesce(" + ", ".join(q("v_" + c) for c in spec.version) + ")"
    return "coalesce(" + ", ".join(f"{prefix}{q(c)}" for c in spec.version) + ")"


def _validate_and_load(
    con: duckdb.DuckDBPyConnection, table: str, run_id: str, limits: Limits, fr: FileReport
) -> None:
    """Type, check and upsert `_stg` into `table`; fill the counts of `fr`."""
    spec = contract.TABLES[table]
    names = spec.names
    error_columns = build_typed(con, table, limits)
    quarantine_errors(con, table, error_columns, run_id)

    renamed = ", ".join(f"{q('v_' + n)} AS {q(n)}" for n in names)
    hash_expr = (
        "md5(to_json(struct_pack(" + ", ".join(f"{q(n)} := {q('v_' + n)}" for n in names) + ")))"
    )
    version = _version_expr(spec, "v_") or "NULL"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _final AS SELECT {renamed}, {hash_expr} AS row_hash, "
        f"_file AS source_file, now()::TIMESTAMP AS loaded_at, _file, _hash, _row, _lines, _raw, "
        f"{version} AS _ver, "
        f"row_number() OVER (PARTITION BY {', '.join(q('v_' + k) for k in spec.key)} "
        f"ORDER BY {version} DESC NULLS LAST, _row DESC) AS _n, false AS _hop, false AS _stale "
        f"FROM _typed WHERE NOT _bad"
    )
    tail = f"{lit(run_id)}, now()::TIMESTAMP, _lines, NULL, _hash"
    cols = (
        "file, table_name, row_number, column_name, reason, raw, run_id, quarantined_at, "
        "lines, waiting_for, file_hash"
    )
    con.execute(
        f"INSERT INTO quarantine ({cols}) SELECT _file, {lit(table)}, _row, "
        f"{lit(', '.join(spec.key))}, 'duplicate key in file; the newest (then the last) "
        f"occurrence wins', _raw, {tail} FROM _final WHERE _n > 1"
    )
    duplicates = _count(con, "SELECT count(*) FROM _final WHERE _n > 1")
    con.execute("DELETE FROM _final WHERE _n > 1")

    tgt = q(table)
    match = " AND ".join(f"tgt.{q(k)} = f.{q(k)}" for k in spec.key)
    hops = 0
    if spec.owner:
        o = q(spec.owner)
        con.execute(
            f"UPDATE _final f SET _hop = true FROM {tgt} tgt WHERE {match} "
            f"AND tgt.{o} IS DISTINCT FROM f.{o}"
        )
        con.execute(
            f"INSERT INTO quarantine ({cols}) SELECT f._file, {lit(table)}, f._row, "
            f"{lit(spec.owner)}, '{spec.owner} changed: stored under ' || tgt.{o} || ', this "
            f"row says ' || f.{o} || '; a {table[:-1]} never moves between accounts (fix the "
            f"export)', f._raw, {lit(run_id)}, now()::TIMESTAMP, f._lines, NULL, f._hash "
            f"FROM _final f JOIN {tgt} tgt ON {match} WHERE f._hop"
        )
        hops = _count(con, "SELECT count(*) FROM _final WHERE _hop")
    if spec.version:
        stored = _version_expr(spec, "tgt.")
        con.execute(
            f"UPDATE _final f SET _stale = true FROM {tgt} tgt WHERE {match} AND NOT f._hop "
            f"AND {stored} > f._ver"
        )
        fr.stale = _count(con, "SELECT count(*) FROM _final WHERE _stale")

    fr.quarantined = (
        _count(con, "SELECT count(*) FROM _typed WHERE _bad")
        + _count(con, "SELECT count(*) FROM _rejrec")
        + duplicates
        + hops
    )
    all_cols = ", ".join(q(n) for n in names + ["row_hash", "source_file", "loaded_at"])
    live = "NOT f._hop AND NOT f._stale"
    # New and changed rows, in file order (the same input gives the same store), written
    # through the store's write API (a DuckDB table or Parquet segments: cockpit.store).
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _write AS SELECT {all_cols}, EXISTS (SELECT 1 FROM "
        f"{tgt} tgt WHERE {match}) AS _upd FROM _final f WHERE {live} AND NOT EXISTS "
        f"(SELECT 1 FROM {tgt} tgt WHERE {match} AND tgt.row_hash IS NOT DISTINCT FROM "
        "f.row_hash) ORDER BY f._file, f._row"
    )
    fr.updated = _count(con, "SELECT count(*) FROM _write WHERE _upd")
    fr.loaded = _count(con, "SELECT count(*) FROM _write WHERE NOT _upd")
    store.upsert(con, table, "SELECT * EXCLUDE (_upd) FROM _write")
    valid = fr.rows_read - fr.quarantined
    fr.unchanged = valid - fr.loaded - fr.updated - fr.stale


def retry_waiting(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    limits: Limits | None = None,
    everything: bool = False,
) -> list[FileReport]:
    """Retry quarantined rows waiting for a parent that now exists; one report per table.

    Retried rows leave the quarantine; the ones that fail again are quarantined anew (with
    their original file, row and lines). `everything` retries every waiting row, also those
    whose parent is still missing.
    """
    limits = limits or Limits.default()
    reports: list[FileReport] = []
    for table in contract.LOAD_ORDER:
        spec = contract.TABLES[table]
        for column, parent in spec.references.items():
            parent_key = contract.TABLES[parent].key[0]
            ready = (
                "" if everything else
                f" AND json_extract_string(raw, {lit('$.' + q(column))}) IN "
                f"(SELECT {q(parent_key)} FROM {q(parent)})"
            )  # fmt: skip
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _retry AS SELECT rowid AS id FROM quarantine "
                f"WHERE table_name = {lit(table)} AND waiting_for = {lit(parent)}{ready}"
            )
            n = _count(con, "SELECT count(*) FROM _retry")
            if not n:
                continue
            fr = FileReport(f"quarantine ({table})", table, rows_read=n)
            con.execute("BEGIN")
            try:
                stage.create_tables(con, table)
                values = ", ".join(
                    f"json_extract_string(raw, {lit('$.' + q(c))})" for c in spec.names
                )
                con.execute(
                    f"INSERT INTO _stg SELECT file, file_hash, row_number, lines, {values} "
                    f"FROM quarantine WHERE rowid IN (SELECT id FROM _retry)"
                )
                con.execute("DELETE FROM quarantine WHERE rowid IN (SELECT id FROM _retry)")
                _validate_and_load(con, table, run_id, limits, fr)
                con.execute("COMMIT")
            except duckdb.Error:
                con.execute("ROLLBACK")
                raise
            finally:
                _drop_temp(con)
            log.info("Quarantine retry %s: %s", table, fr)
            reports.append(fr)
    return reports
