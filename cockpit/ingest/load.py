"""Ingestion: contract files (CSV, Parquet, JSON Lines; optionally gzipped) → validated tables.

DuckDB reads, validates and upserts everything in SQL, so memory stays bounded by the store's
`memory_limit` (staging tables spill to `temp_directory`) however large the file is.

Decisions (also in README's data contract):
- Row numbers (`quarantine.row_number`) are 1-based *data record* numbers: the header is not
  counted, and rows the reader rejected (invalid UTF-8, wrong column count) keep their place, so
  record N is the N-th record after the header. For CSV this equals "file line − 1" as long as
  no earlier record spans several lines (quoted newlines); JSON Lines count lines; Parquet rows.
- Bad rows go to `quarantine`, one quarantine row per failing column (a record can fail twice);
  `FileReport.quarantined` counts distinct records. `raw` holds the record's contract columns as
  JSON, with texts already masked; extra columns are dropped (they may hold personal data).
- A key seen twice in one file: the *last* occurrence wins, earlier ones are quarantined with
  reason "duplicate key in file". Across files the *latest ingested* row wins.
- A file whose sha256 is already in `ingested_files` is skipped as a whole (even if some of its
  rows were quarantined back then: fix the data and export a new file).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

import cockpit.ingest.privacy as privacy
from cockpit import contract, store
from cockpit.errors import MissingColumnsError, NoDataError, UnknownTableError

log = logging.getLogger(__name__)

MASKED_COLUMNS = {("conversations", "text"), ("messages", "body")}
TRUE_WORDS = ("true", "t", "1", "yes", "y")
FALSE_WORDS = ("false", "f", "0", "no", "n")
_UDF = "cockpit_mask"


@dataclass
class FileReport:
    """What happened to one input file."""

    path: str
    table: str | None
    rows_read: int = 0
    loaded: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0
    skipped: bool = False
    refused: str | None = None


@dataclass
class IngestReport:
    """What happened to every file of one ingest command."""

    files: list[FileReport] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(f, name) for f in self.files)

    @property
    def totals(self) -> dict[str, int]:
        names = ("rows_read", "loaded", "updated", "unchanged", "quarantined")
        totals = {n: self._sum(n) for n in names}
        totals["skipped"] = sum(f.skipped for f in self.files)
        totals["refused"] = sum(f.refused is not None for f in self.files)
        return totals

    @property
    def nothing_loaded(self) -> bool:
        """True when no row was loaded or updated and something went wrong (or no file at all).

        Re-ingesting known files (skipped) or unchanged rows is not a failure.
        """
        if not self.files:
            return True
        if self._sum("loaded") + self._sum("updated"):
            return False
        return any(f.refused or f.quarantined for f in self.files)


def _first(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, with the result fully consumed (DuckDB 2 keeps it open)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def file_sha256(path: Path) -> str:
    """Content hash of a file, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def expand_paths(paths: list[str | Path]) -> tuple[list[Path], list[FileReport]]:
    """Files to ingest (directories expand to their supported files) and refusals."""
    files: list[Path] = []
    refused: list[FileReport] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(c for c in p.rglob("*") if c.is_file() and contract.file_format(c.name))
            if not found:
                refused.append(FileReport(str(p), None, refused=_no_files_message(p)))
            files.extend(found)
        elif p.is_file():
            files.append(p)
        else:
            refused.append(
                FileReport(str(p), None, refused=f"{p}: no such file or directory; check the path.")
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
) -> IngestReport:
    """Validate and load files into the store on a writer connection (already migrated).

    Files load parents first (`contract.LOAD_ORDER`) whatever the order given, so accounts in
    the same command satisfy the conversations that reference them. `table` forces the table
    for every file; otherwise it is recognised from the file name. Returns one report per file.
    """
    if table is not None and table not in contract.TABLES:
        raise UnknownTableError(
            f"unknown table '{table}'; expected one of {', '.join(contract.TABLES)}."
        )
    run_id = run_id or uuid.uuid4().hex[:12]
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
    _register_mask(con)
    if progress is not None:
        progress.start("Ingesting files", len(plan))
    try:
        for path, name in plan:
            report.files.append(_ingest_file(con, path, name, run_id))
            if progress is not None:
                progress.advance(1)
    finally:
        con.remove_function(_UDF)
        if progress is not None:
            progress.done()
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


def _register_mask(con: duckdb.DuckDBPyConnection) -> None:
    varchar = duckdb.sqltype("VARCHAR")
    with contextlib.suppress(duckdb.Error):
        con.remove_function(_UDF)
    con.create_function(
        _UDF, privacy.mask_array, [varchar], varchar, type="arrow", side_effects=False
    )


# --- one file ---------------------------------------------------------------------------------


def _ingest_file(con: duckdb.DuckDBPyConnection, path: Path, table: str, run_id: str) -> FileReport:
    fr = FileReport(str(path), table)
    file_hash = file_sha256(path)
    seen = _first(con, "SELECT path FROM ingested_files WHERE file_hash = ?", [file_hash])
    if seen:
        log.info("%s: already ingested (as %s); skipped", path, seen[0])
        fr.skipped = True
        return fr
    con.execute("BEGIN")
    try:
        _stage(con, path, table, fr)
        if fr.refused is None:
            _validate_and_load(con, path, table, run_id, fr)
            con.execute(
                "INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
                [file_hash, str(path), table, fr.rows_read, fr.loaded, fr.updated,
                 fr.unchanged, fr.quarantined, run_id],
            )  # fmt: skip
        con.execute("COMMIT")
    except duckdb.Error as exc:
        con.execute("ROLLBACK")
        first = str(exc).strip().splitlines()[0]
        fr = FileReport(str(path), table, refused=f"{path}: could not be read ({first}).")
    finally:
        for t in ("_stg", "_typed", "_rej", "_rej_scan", "_lines", "_rejrec", "_adj", "_dups"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
    log.info("%s → %s: %s", path, table, fr)
    return fr


def _stage(con: duckdb.DuckDBPyConnection, path: Path, table: str, fr: FileReport) -> None:
    """Read the file into `_stg(_ord, <contract columns as cleaned VARCHAR>)`, rejects in `_rej`.

    `_ord` is the reader's 1-based order among the records it could read.
    """
    spec = contract.TABLES[table]
    fmt = contract.file_format(path.name)
    src = _lit(str(path))
    if fmt == "csv":
        source = (
            f"read_csv({src}, all_varchar=true, header=true, store_rejects=true, "
            f"rejects_table='_rej', rejects_scan='_rej_scan') WITH ORDINALITY"
        )
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        columns = [c for c in columns if c != "ordinality"]
        ord_expr, header_lines = "ordinality", 1
    elif fmt == "parquet":
        source = f"read_parquet({src}, file_row_number=true)"
        columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        columns = [c for c in columns if c != "file_row_number"]
        ord_expr, header_lines = "file_row_number + 1", 0
    else:
        con.execute(
            f"CREATE TEMP TABLE _lines AS SELECT j, ordinality FROM read_csv({src}, "
            f"columns={{'j': 'VARCHAR'}}, header=false, delim='\x1e', quote='', escape='', "
            f"auto_detect=false, store_rejects=true, rejects_table='_rej', "
            f"rejects_scan='_rej_scan') WITH ORDINALITY"
        )
        con.execute(
            "ALTER TABLE _lines ADD COLUMN ok BOOLEAN DEFAULT false; "
            "UPDATE _lines SET ok = CASE WHEN json_valid(j) THEN json_type(j) = 'OBJECT' ELSE false END"
        )
        columns = [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT unnest(json_keys(j)) AS k FROM _lines WHERE ok ORDER BY k"
            ).fetchall()
        ]
        source = "_lines"
        ord_expr, header_lines = "ordinality", 0

    by_name = {c.strip().lower(): c for c in columns}
    missing = [c for c in spec.required if c not in by_name]
    if missing:
        fr.refused = str(MissingColumnsError(str(path), table, missing, spec.names))
        return
    extra = [c for c in columns if c.strip().lower() not in spec.names]
    if extra:
        log.info("%s: ignoring extra column(s) %s", path, ", ".join(extra))

    exprs = [f"{ord_expr} AS _ord"]
    for col in spec.columns:
        if col.name not in by_name:
            exprs.append(f"NULL::VARCHAR AS {_q(col.name)}")
            continue
        if fmt == "jsonl":
            raw = f"json_extract_string(j, {_lit('$.' + _q(by_name[col.name]))})"
        else:
            raw = f"CAST({_q(by_name[col.name])} AS VARCHAR)"
        value = f"replace({raw}, chr(0), '')"  # NUL bytes are stripped, never stored
        if (table, col.name) in MASKED_COLUMNS:
            value = f"{_UDF}({value})"
        exprs.append(f"{value} AS {_q(col.name)}")
    where = " WHERE ok" if fmt == "jsonl" else ""
    con.execute(f"CREATE TEMP TABLE _stg AS SELECT {', '.join(exprs)} FROM {source}{where}")

    # Records the reader could not read, by record number (header excluded). The JSON Lines
    # reader never fails on a line, invalid JSON is found here instead, by reader order.
    con.execute("CREATE TEMP TABLE _rejrec (rec BIGINT, ord BIGINT, reason VARCHAR, raw VARCHAR)")
    if _temp_exists(con, "_rej"):
        con.execute(
            f"INSERT INTO _rejrec SELECT line - {header_lines}, NULL, "
            f"'unreadable record: ' || lower(string_agg(DISTINCT error_type, ', ')), "
            f"to_json(struct_pack(line := any_value({_UDF}(csv_line)))) FROM _rej GROUP BY line"
        )
    if fmt == "jsonl":
        con.execute(
            f"INSERT INTO _rejrec SELECT NULL, ordinality, 'invalid JSON object', "
            f"to_json(struct_pack(line := {_UDF}(j))) FROM _lines WHERE NOT ok"
        )


def _temp_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = _first(
        con, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [name]
    )
    return bool(row and row[0])


# --- validation in SQL ------------------------------------------------------------------------


def _num(x: float) -> str:
    return f"{x:g}"


def _column_sql(col: contract.Column) -> tuple[str, str | None]:
    """(typed value expression, error-reason expression) for one contract column of `_stg`."""
    v = f"NULLIF(trim({_q(col.name)}), '')"
    reason_empty = f"WHEN {v} IS NULL THEN 'empty required value'" if col.required else ""
    checks: list[str] = []
    if col.kind == "text" and col.choices:
        default = _lit(col.default) if col.default else "NULL"
        value = f"coalesce(lower({v}), {default})"
        allowed = ", ".join(_lit(c) for c in col.choices)
        checks.append(
            f"{value} NOT IN ({allowed}) THEN {_lit('not one of: ' + ', '.join(col.choices))}"
        )
    elif col.kind == "text":
        value = v
    elif col.kind == "timestamp":
        value = f"(TRY_CAST({v} AS TIMESTAMPTZ) AT TIME ZONE 'UTC')"
        checks.append(
            f"{value} IS NULL THEN "
            "'unparseable timestamp; expected ISO-8601 such as 2026-11-25T14:30:00Z'"
        )
    elif col.kind == "date":
        value = f"coalesce(TRY_CAST({v} AS DATE), TRY_CAST(TRY_CAST({v} AS TIMESTAMP) AS DATE))"
        checks.append(f"{value} IS NULL THEN 'unparseable date; expected YYYY-MM-DD'")
    elif col.kind == "bool":
        t = ", ".join(_lit(w) for w in TRUE_WORDS)
        f = ", ".join(_lit(w) for w in FALSE_WORDS)
        value = f"(CASE WHEN lower({v}) IN ({t}) THEN true WHEN lower({v}) IN ({f}) THEN false END)"
        checks.append(
            f"{value} IS NULL THEN 'not a boolean; expected true/false, 1/0, yes/no or t/f'"
        )
    elif col.kind in ("float", "int"):
        d = f"TRY_CAST({v} AS DOUBLE)"
        checks.append(f"{d} IS NULL OR NOT isfinite({d}) THEN 'not a number'")
        if col.kind == "int":
            value = f"CAST({d} AS INTEGER)"
            checks.append(f"{d} <> round({d}) THEN 'not an integer'")
        else:
            value = d
        if col.min is not None or col.max is not None:
            lo = -1e308 if col.min is None else col.min
            hi = 1e308 if col.max is None else col.max
            if col.max is None:
                text = f"below the minimum {_num(lo)}" + (" (negative)" if lo == 0 else "")
            else:
                text = f"outside the range {_num(lo)}–{_num(hi)}"
            checks.append(f"{d} < {lo} OR {d} > {hi} THEN {_lit(text)}")
    else:  # pragma: no cover - the contract only has the kinds above
        raise ValueError(col.kind)
    parts = [reason_empty] + [f"WHEN {v} IS NOT NULL AND {c}" for c in checks]
    parts = [p for p in parts if p]
    error = f"CASE {' '.join(parts)} END" if parts else None
    return value, error


def _reference_sql(table: str, column: str, value: str) -> str:
    parent = contract.TABLES[table].references[column]
    parent_key = contract.TABLES[parent].key[0]
    return (
        f"CASE WHEN {value} IS NOT NULL AND {value} NOT IN "
        f"(SELECT {_q(parent_key)} FROM {_q(parent)}) THEN "
        f"{_lit(f'unknown {column}; it must exist in {parent} (load the {parent} file first or in the same command)')} END"
    )


def _validate_and_load(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, run_id: str, fr: FileReport
) -> None:
    spec = contract.TABLES[table]
    names = spec.names
    # Reader order → record number: each rejected record before a row shifts it by one.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _adj AS SELECT adj, max(i) AS i FROM ("
        "  SELECT rec - row_number() OVER (ORDER BY rec) AS adj, row_number() OVER (ORDER BY rec) AS i"
        "  FROM _rejrec WHERE rec IS NOT NULL) GROUP BY adj"
    )
    has_shift = _first(con, "SELECT count(*) FROM _adj")[0] > 0
    con.execute(
        "UPDATE _rejrec SET rec = ord + coalesce((SELECT max(i) FROM _adj WHERE adj < _rejrec.ord), 0) "
        "WHERE rec IS NULL"
    )
    if has_shift:
        source = "_stg s ASOF LEFT JOIN _adj a ON s._ord > a.adj"
        row = "s._ord + coalesce(a.i, 0)"
    else:
        source, row = "_stg s", "s._ord"

    typed, errors = [], []
    for col in spec.columns:
        value, error = _column_sql(col)
        typed.append(f"{value} AS {_q('v_' + col.name)}")
        if col.name in spec.references:
            ref = _reference_sql(table, col.name, value)
            error = f"coalesce({error}, {ref})" if error else ref
        if error:
            errors.append((col.name, error))
    raw = "to_json(struct_pack(" + ", ".join(f"{_q(n)} := s.{_q(n)}" for n in names) + "))"
    error_cols = [f"{e} AS {_q('e_' + n)}" for n, e in errors]
    any_error = " OR ".join(f"{_q('e_' + n)} IS NOT NULL" for n, _ in errors) or "false"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT *, ({any_error}) AS _bad FROM ("
        f"SELECT {row} AS _row, {raw} AS _raw, {', '.join(typed + error_cols)} FROM {source})"
    )
    # Duplicate keys among otherwise valid rows: the last occurrence in the file wins.
    key = ", ".join(_q("v_" + k) for k in spec.key)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _dups AS SELECT _row FROM ("
        f"  SELECT _row, row_number() OVER (PARTITION BY {key} ORDER BY _row DESC) AS n"
        f"  FROM _typed WHERE NOT _bad) WHERE n > 1"
    )

    meta = f"{_lit(str(path))}, {_lit(table)}"
    tail = f"{_lit(run_id)}, now()::TIMESTAMP"
    inserts = [
        f"SELECT {meta}, _row, {_lit(n)}, {_q('e_' + n)}, _raw, {tail} FROM _typed "
        f"WHERE {_q('e_' + n)} IS NOT NULL"
        for n, _ in errors
    ]
    key_names = _lit(", ".join(spec.key))
    inserts.append(
        f"SELECT {meta}, t._row, {key_names}, 'duplicate key in file; the last occurrence wins', "
        f"t._raw, {tail} FROM _typed t SEMI JOIN _dups d ON t._row = d._row"
    )
    inserts.append(f"SELECT {meta}, rec, NULL, reason, raw, {tail} FROM _rejrec")
    con.execute("INSERT INTO quarantine " + " UNION ALL ".join(inserts))

    stats = _first(
        con,
        "SELECT (SELECT count(*) FROM _typed) + (SELECT count(*) FROM _rejrec), "
        "(SELECT count(*) FROM _typed WHERE _bad) + (SELECT count(*) FROM _dups) "
        "+ (SELECT count(*) FROM _rejrec)",
    )
    fr.rows_read, fr.quarantined = int(stats[0]), int(stats[1])

    hash_expr = (
        "md5(to_json(struct_pack(" + ", ".join(f"{_q(n)} := {_q('v_' + n)}" for n in names) + ")))"
    )
    renamed = ", ".join(f"{_q('v_' + n)} AS {_q(n)}" for n in names)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _final AS SELECT {renamed}, {hash_expr} AS row_hash, "
        f"{_lit(str(path))} AS source_file, now()::TIMESTAMP AS loaded_at "
        f"FROM _typed t WHERE NOT _bad AND NOT EXISTS (SELECT 1 FROM _dups d WHERE d._row = t._row)"
    )
    match = " AND ".join(f"tgt.{_q(k)} = f.{_q(k)}" for k in spec.key)
    non_key = [n for n in names if n not in spec.key] + ["row_hash", "source_file", "loaded_at"]
    sets = ", ".join(f"{_q(n)} = f.{_q(n)}" for n in non_key)
    tgt = _q(table)
    fr.updated = _count(
        con,
        f"UPDATE {tgt} AS tgt SET {sets} FROM _final f "
        f"WHERE {match} AND tgt.row_hash IS DISTINCT FROM f.row_hash",
    )
    cols = ", ".join(_q(n) for n in names + ["row_hash", "source_file", "loaded_at"])
    fr.loaded = _count(
        con,
        f"INSERT INTO {tgt} ({cols}) SELECT {cols} FROM _final f "
        f"WHERE NOT EXISTS (SELECT 1 FROM {tgt} tgt WHERE {match})",
    )
    valid = fr.rows_read - fr.quarantined
    fr.unchanged = valid - fr.loaded - fr.updated
    for t in ("_final",):
        con.execute(f"DROP VIEW IF EXISTS {t}")


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = _first(con, sql)
    return int(row[0]) if row else 0


# --- status -------------------------------------------------------------------------------------


def status_summary(con: duckdb.DuckDBPyConnection, top_reasons: int = 5) -> dict[str, Any]:
    """What the store holds: row counts, date range, quarantine, ingested files, last run, tags.

    Raises NoDataError when the store has neither accounts nor conversations.
    """

    def one(sql: str) -> Any:
        return _first(con, sql)[0]

    if not store.table_exists(con, "accounts") or not (
        one("SELECT count(*) FROM accounts") or one("SELECT count(*) FROM conversations")
    ):
        raise NoDataError()
    first, last = _first(con, "SELECT min(created_at), max(created_at) FROM conversations")
    summary: dict[str, Any] = {
        "accounts": one("SELECT count(*) FROM accounts"),
        "conversations": one("SELECT count(*) FROM conversations"),
        "first_conversation": first,
        "last_conversation": last,
        "messages": one("SELECT count(*) FROM messages"),
        "setup_rows": one("SELECT count(*) FROM setup"),
        "quarantined_rows": one("SELECT count(*) FROM quarantine"),
        "quarantine_top_reasons": [
            {"table": t, "column": c, "reason": r, "rows": n}
            for t, c, r, n in con.execute(
                "SELECT table_name, column_name, reason, count(*) AS n FROM quarantine "
                "GROUP BY ALL ORDER BY n DESC, reason LIMIT ?",
                [top_reasons],
            ).fetchall()
        ],
        "ingested_files": one("SELECT count(*) FROM ingested_files"),
        "last_run": None,
        "tag_coverage": None,
    }
    if store.table_exists(con, "runs"):
        row = _first(
            con,
            "SELECT run_id, command, status, started_at, ended_at FROM runs "
            "ORDER BY started_at DESC LIMIT 1",
        )
        if row:
            summary["last_run"] = dict(
                zip(("run_id", "command", "status", "started_at", "ended_at"), row, strict=True)
            )
    if store.table_exists(con, "tags") and one("SELECT count(*) FROM tags"):
        tagged = one(
            "SELECT count(*) FROM conversations c SEMI JOIN tags t "
            "ON c.conversation_id = t.conversation_id"
        )
        total = summary["conversations"]
        summary["tag_coverage"] = {
            "tagged": tagged,
            "conversations": total,
            "share": tagged / total if total else 0.0,
        }
    return summary
