"""Staging: read one contract file, record by record, into `_stg` and `_rejrec` (temp tables).

Decisions:
- The file is opened by its exact path, never through DuckDB's readers (they expand globs:
  `conversations_export[2].csv` would read `conversations_export2.csv`).
- CSV is split into records here, not sniffed: the delimiter comes from the header line alone
  (`,`, `;`, tab or `|`), the quote is `"` (doubled inside a field). A line with an unbalanced
  quote starts a multi-line record that ends where the quotes balance; that candidate is
  accepted only if it parses cleanly into the header's number of fields. Otherwise the first
  line alone is quarantined and reading resumes on the next line, so one malformed record never
  changes how the rest of the file parses, and every record is staged or rejected exactly once.
- Line endings LF, CRLF and CR may be mixed; inside a quoted field they are normalised to LF.
- Encodings: a BOM wins (UTF-8, UTF-16, UTF-32); else the declared encoding; else UTF-8 when
  the sample decodes as UTF-8 (an invalid line is then quarantined alone); else the encoding
  charset-normalizer detects (e.g. cp1252, UTF-16 without BOM); else the file is refused.
- A value longer than `max_value_bytes` rejects its record (with the column named); the raw text
  kept in quarantine is masked and cut to `RAW_CHARS`.
- Row numbers are 1-based record numbers after the header; `_lines` holds the file lines.
"""

from __future__ import annotations

import csv
import json
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

import cockpit.ingest.privacy as privacy
from cockpit import contract
from cockpit.errors import MissingColumnsError
from cockpit.ingest.encoding import Refusal, detect_encoding, lines

BATCH_ROWS = 50_000  # records per Arrow batch: bounded memory, few DuckDB round trips
RAW_CHARS = 2_000  # raw text kept per quarantined record (masked), so quarantine stays small
# A multi-line record may grow to this many times the value limit before its first line is
# declared malformed (bounds memory when a quote is never closed).
MAX_RECORD_FACTOR = 4
DELIMITERS = (",", ";", "\t", "|")
# Text columns masked by `privacy.mask_text`; id and account columns by `mask_identifier`.
MASKED_COLUMNS = {("conversations", "text"), ("messages", "body")}
IDENTIFIER_COLUMNS = {"account_id", "conversation_id", "csm", "name"}


@dataclass
class Staged:
    """What staging found: the file's columns, its encoding, record and rejection counts."""

    columns: list[str]
    encoding: str | None = None
    records: int = 0
    rejected: int = 0


STG_META = ("_file", "_hash", "_row", "_lines")


def create_tables(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """(Re)create the staging tables for `table`: `_stg` and `_rejrec`."""
    cols = ", ".join(f'"{n}" VARCHAR' for n in contract.TABLES[table].names)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _stg (_file VARCHAR, _hash VARCHAR, _row BIGINT, "
        f"_lines VARCHAR, {cols})"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _rejrec (_file VARCHAR, _hash VARCHAR, _row BIGINT, "
        "_lines VARCHAR, column_name VARCHAR, reason VARCHAR, raw VARCHAR)"
    )


# --- CSV records ----------------------------------------------------------------------------------

_EOL = re.compile(r"\r\n?")
# The csv module refuses fields over 128 KiB by default; our own per-value limit applies later.
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


def _parse(text: str, delim: str) -> list[str] | None:
    """Fields of one record's text, or None when it is not one well-formed CSV record."""
    if '"' not in text:
        return text.split(delim)
    try:
        rows = list(csv.reader([text], delimiter=delim, quotechar='"', strict=True))
    except csv.Error:
        return None
    return rows[0] if len(rows) == 1 else None


def _strip_eol(line: str) -> str:
    return line.rstrip("\r\n")


def csv_records(
    path: Path, encoding: str, max_record_chars: int
) -> Iterator[tuple[int, int, list[str] | None, str]]:
    """(first line, last line, fields or None, raw text or reason) for each record of a CSV.

    The header is the first non-blank record. A record that cannot be parsed yields fields None
    and its raw text (the reason is decided by the caller, which knows the header width).
    """
    source = lines(path, encoding)
    pushed: deque[tuple[int, str | None, str]] = deque()
    lineno = 0

    def next_line() -> tuple[int, str | None, str] | None:
        nonlocal lineno
        if pushed:
            return pushed.popleft()
        for text, printable in source:
            lineno += 1
            return lineno, text, printable
        return None

    delim = ","
    ncols: int | None = None
    while (item := next_line()) is not None:
        no, line, printable = item
        if line is None:
            yield no, no, None, printable
            continue
        body = _strip_eol(line)
        if ncols is None and not body.strip():
            continue  # blank lines before the header
        if ncols is None:
            delim = max(DELIMITERS, key=lambda d: (body.count(d), d == ","))
        if body.count('"') % 2 == 0 or (_parse(body, delim) or []).__len__() == ncols:
            if not body.strip():
                continue  # a blank line is not a record
            fields = _parse(body, delim)
            if ncols is None and fields is not None:
                ncols = len(fields)
                yield 0, no, [delim, *fields], body  # the header, with its delimiter first
                continue
            yield no, no, fields, body
            continue
        # An unbalanced quote: gather lines until the quotes balance, then check the candidate.
        parts, quotes, size, last = [body], body.count('"'), len(body), no
        taken: list[tuple[int, str | None, str]] = []
        ok: list[str] | None = None
        while (nxt := next_line()) is not None and size <= max_record_chars:
            taken.append(nxt)
            if nxt[1] is None:
                break
            piece = _strip_eol(nxt[1])
            parts.append(piece)
            quotes += piece.count('"')
            size += len(piece)
            if quotes % 2 == 0:
                candidate = _parse("\n".join(parts), delim)
                if candidate is not None and (ncols is None or len(candidate) == ncols):
                    ok, last = candidate, nxt[0]
                break
        if ok is not None:
            if ncols is None:
                ncols = len(ok)
                yield 0, last, [delim, *ok], body
                continue
            yield no, last, [_EOL.sub("\n", f) for f in ok], "\n".join(parts)
            continue
        pushed.extendleft(reversed(taken))  # resume on the line after the malformed one
        yield no, no, None, body


# --- the staging loop ---------------------------------------------------------------------------


class _Batcher:
    """Collects staged rows and rejections, flushing them to DuckDB in Arrow batches."""

    def __init__(self, con, table: str, file: str, file_hash: str, max_value_bytes: int):
        self.con, self.table, self.file, self.hash = con, table, file, file_hash
        self.names = contract.TABLES[table].names
        self.max_bytes = max_value_bytes
        self.rows: list[list[str | None]] = []
        self.meta: list[tuple[int, str]] = []
        self.rejects: list[tuple[int, str, str | None, str, str]] = []
        self.records = 0
        self.rejected = 0

    def add(self, row: int, lines: str, values: list[str | None], size: int | None = None) -> None:
        """Stage one record; `size` (characters of the whole record, if known) skips the
        per-value size check when no value can be over the limit."""
        self.records += 1
        if size is not None and size * 4 <= self.max_bytes:  # ≤ 4 UTF-8 bytes per character
            self.rows.append(values)
            self.meta.append((row, lines))
            if len(self.rows) >= BATCH_ROWS:
                self.flush()
            return
        for name, value in zip(self.names, values, strict=True):
            if value is not None and len(value) * 4 > self.max_bytes:
                size = len(value.encode("utf-8", errors="replace"))
                if size > self.max_bytes:
                    raw = json.dumps({name: privacy.mask_text(value[:RAW_CHARS]) + "…"})
                    self.reject(
                        row, lines, name,
                        f"value of {size:,} bytes; the limit is {self.max_bytes:,} "
                        f"(COCKPIT_MAX_VALUE_BYTES)", raw, count=False,
                    )  # fmt: skip
                    return
        self.rows.append(values)
        self.meta.append((row, lines))
        if len(self.rows) >= BATCH_ROWS:
            self.flush()

    def reject(self, row: int, lines: str, column, reason: str, raw: str, count=True) -> None:
        if count:
            self.records += 1
        self.rejected += 1
        self.rejects.append((row, lines, column, reason, raw))

    def flush(self) -> None:
        if self.rows:
            cols = list(zip(*self.rows, strict=True))
            arrays = {
                "_file": pa.array([self.file] * len(self.rows)),
                "_hash": pa.array([self.hash] * len(self.rows)),
                "_row": pa.array([m[0] for m in self.meta], pa.int64()),
                "_lines": pa.array([m[1] for m in self.meta]),
            }
            for name, values in zip(self.names, cols, strict=True):
                arr = pa.array(values, pa.string())
                arr = pc.replace_substring(arr, "\x00", "")  # NUL bytes are stripped
                if (self.table, name) in MASKED_COLUMNS:
                    arr = privacy.mask_array(arr)
                elif name in IDENTIFIER_COLUMNS:
                    arr = privacy.mask_identifier_array(arr)
                arrays[name] = arr
            batch = pa.table(arrays)
            self.con.register("_batch", batch)
            try:
                self.con.execute("INSERT INTO _stg SELECT * FROM _batch")
            finally:
                self.con.unregister("_batch")
            self.rows, self.meta = [], []
        if self.rejects:
            self.con.executemany(
                "INSERT INTO _rejrec VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(self.file, self.hash, r, ln, c, why, raw) for r, ln, c, why, raw in self.rejects],
            )
            self.rejects = []


def _lines_label(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}-{last}"


def _column_map(path: Path, table: str, columns: list[str]) -> dict[str, int]:
    spec = contract.TABLES[table]
    by_name: dict[str, int] = {}
    for i, c in enumerate(columns):
        by_name.setdefault(c.strip().lstrip("\ufeff").lower(), i)
    missing = [c for c in spec.required if c not in by_name]
    if missing:
        raise Refusal(str(MissingColumnsError(str(path), table, missing, spec.names)))
    return {n: by_name[n] for n in spec.names if n in by_name}


def _raw_json(text: str) -> str:
    return json.dumps({"line": privacy.mask_text(text[:RAW_CHARS])}, ensure_ascii=False)


def stage_csv(b: _Batcher, path: Path, table: str, encoding: str) -> list[str]:
    header: list[str] | None = None
    index: dict[str, int] = {}
    width = 0
    picks: list[int | None] = []
    max_chars = MAX_RECORD_FACTOR * b.max_bytes
    row = 0
    for first, last, fields, raw in csv_records(path, encoding, max_chars):
        if header is None:
            if fields is None or first != 0:
                text = raw if fields is None else ",".join(fields)
                if text.lstrip().startswith(("[", "{")):
                    raise Refusal(_json_in_csv(path))
                raise Refusal(f"{path}: the header line cannot be read as CSV; {_hint()}")
            header = fields[1:]
            index = _column_map(path, table, header)
            width = len(header)
            picks = [index.get(n) for n in b.names]
            continue
        row += 1
        lines = _lines_label(first, last)
        if fields is None:
            reason = "malformed CSV record (unclosed or stray quote)"
            if raw.startswith("invalid encoding"):
                reason = "unreadable record: " + raw.split(":", 1)[0]
            b.reject(row, lines, None, reason, _raw_json(raw))
        elif len(fields) != width:
            b.reject(
                row, lines, None,
                f"expected {width} fields (as in the header), found {len(fields)}",
                _raw_json(raw),
            )  # fmt: skip
        else:
            b.add(row, lines, [None if i is None else fields[i] or None for i in picks], len(raw))
    if header is None:
        raise Refusal(f"{path}: no header line found (the file holds only blank lines).")
    return header


def _hint() -> str:
    return "expected a header line of column names separated by commas."


def _json_in_csv(path: Path) -> str:
    return f"{path}: this looks like JSON, not CSV; name it .jsonl (one JSON object per line)."


def _json_value(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int | float):
        return repr(v) if isinstance(v, float) else str(v)
    return json.dumps(v, ensure_ascii=False)


def stage_jsonl(b: _Batcher, path: Path, table: str, encoding: str) -> list[str]:
    names = {n: n for n in b.names}
    seen: set[str] = set()
    row = 0
    for no, (line, printable) in enumerate(lines(path, encoding), start=1):
        if line is None:
            row += 1
            b.reject(row, str(no), None, "unreadable record: " + printable.split(":", 1)[0],
                     _raw_json(printable))  # fmt: skip
            continue
        body = line.strip()
        if not body:
            continue
        if row == 0 and body.startswith("[") and not body.startswith("[]"):
            raise Refusal(
                f"{path}: a JSON array; expected JSON Lines (one object per line). Convert it "
                f"with: jq -c '.[]' {path.name} > {path.stem}.jsonl"
            )
        row += 1
        try:
            obj = json.loads(body)
        except ValueError as exc:
            b.reject(row, str(no), None, f"invalid JSON object ({exc.msg})", _raw_json(body))
            continue
        if not isinstance(obj, dict):
            b.reject(row, str(no), None, "invalid JSON object (not an object)", _raw_json(body))
            continue
        lowered = {str(k).strip().lower(): v for k, v in obj.items()}
        seen.update(k for k in lowered if k in names)
        b.add(row, str(no), [_json_value(lowered.get(n)) for n in b.names])
    if row == 0:
        raise Refusal(f"{path}: no JSON object found (the file holds only blank lines).")
    return sorted(seen)


def stage_parquet(b: _Batcher, path: Path, table: str) -> list[str]:
    with open(path, "rb") as fh:
        pf = pq.ParquetFile(fh)
        columns = pf.schema_arrow.names
        index = _column_map(path, table, columns)
        row = 0
        for batch in pf.iter_batches(batch_size=BATCH_ROWS, columns=[columns[i] for i in
                                                                        index.values()]):  # fmt: skip
            as_text = {}
            for n, i in index.items():
                col = batch.column(columns[i])
                try:
                    as_text[n] = pc.cast(col, pa.string()).to_pylist()
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    as_text[n] = [_json_value(v) for v in col.to_pylist()]
            for k in range(batch.num_rows):
                row += 1
                b.add(row, str(row), [as_text[n][k] if n in as_text else None for n in b.names])
    return columns


def stage_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    table: str,
    file_hash: str,
    max_value_bytes: int,
    encoding: str | None = None,
) -> Staged:
    """Fill `_stg` and `_rejrec` from `path`; Refusal when the file is unusable as a whole."""
    create_tables(con, table)
    fmt = contract.file_format(path.name)
    b = _Batcher(con, table, str(path), file_hash, max_value_bytes)
    used = None
    if fmt == "parquet":
        columns = stage_parquet(b, path, table)
    else:
        used = detect_encoding(path, encoding)
        stage = stage_csv if fmt == "csv" else stage_jsonl
        columns = stage(b, path, table, used)
        if fmt == "jsonl":
            _column_map(path, table, columns)
    b.flush()
    return Staged(columns, used, b.records, b.rejected)
