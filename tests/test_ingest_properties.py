"""Property-based ingestion (hypothesis): whatever the file looks like, each input record is
stored exactly once or quarantined exactly once, and a stored row equals its input after masking
and normalisation.

Files are generated as CSV (LF / CRLF / CR endings; UTF-8, UTF-8 with BOM, UTF-16, cp1252),
JSON Lines and Parquet, with random texts (quotes, delimiters, newlines, non-ASCII, e-mails),
bad values (NaN, inf, huge ints, impossible dates, unknown accounts, bad enums) and malformed
records (unclosed quotes, invalid JSON). At least 10,000 rows are generated per run: the
smallest example has MIN_ROWS rows and hypothesis runs EXAMPLES examples.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from cockpit import store
from cockpit.ingest import Limits, ingest_paths
from cockpit.ingest.privacy import mask_text

EXAMPLES = 110
MIN_ROWS, MAX_ROWS = 92, 130  # 110 × 92 = 10,120 rows at least
COLUMNS = ["conversation_id", "account_id", "created_at", "text", "channel", "csat"]

TOKENS = list("ab xyzé€\"',;|\n\t") + ["bob@x.org", "4111 1111 1111 1111", "\r\n", "password: s3"]
TEXT = st.lists(st.sampled_from(TOKENS), max_size=14).map("".join)
CREATED = st.sampled_from(
    ["2026-11-25T10:00:00Z", "2026-11-01 08:30:00", "2026-11-25T10:00:00+02:00", "",
     "yesterday", "9999-12-31", "0001-01-01", "-2026-10-03", "2026-13-45"]
)  # fmt: skip
CSAT = st.sampled_from(["", "1", "3", "5", "4.0", "NaN", "inf", "-inf", "6", "2147483648", "x"])
CHANNEL = st.sampled_from(["", "chat", "EMAIL", "pigeon"])
ACCOUNT = st.sampled_from(["a1", "a1", "a2", "zz"])


@st.composite
def files(draw):
    n = draw(st.integers(MIN_ROWS, MAX_ROWS))
    records = [
        {
            "conversation_id": f"c{i}",
            "account_id": draw(ACCOUNT),
            "created_at": draw(CREATED),
            "text": draw(TEXT),
            "channel": draw(CHANNEL),
            "csat": draw(CSAT),
        }
        for i in range(1, n + 1)
    ]
    broken = set(draw(st.lists(st.integers(1, n), max_size=4)))
    fmt = draw(st.sampled_from(["csv", "csv", "jsonl", "parquet"]))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    return records, broken, fmt, ending, encoding


def _csv_bytes(records, broken, ending, encoding) -> bytes:
    out = io.StringIO()
    # The csv module quotes a field holding a line break only when the break is part of its
    # line terminator: with LF or CR endings every field is quoted so the file stays valid.
    quoting = csv.QUOTE_MINIMAL if ending == "\r\n" else csv.QUOTE_ALL
    w = csv.writer(out, lineterminator=ending, quoting=quoting)
    w.writerow(COLUMNS)
    for i, r in enumerate(records, start=1):
        if i in broken:  # an unclosed quote: this record alone must be quarantined
            out.write(f'{r["conversation_id"]},a1,2026-11-25,"unclosed {i},chat,5{ending}')
        else:
            w.writerow([r[c] for c in COLUMNS])
    return out.getvalue().encode(encoding, errors="strict")


def _write(tmp: Path, records, broken, fmt, ending, encoding) -> Path:
    if fmt == "parquet":
        path = tmp / "conversations.parquet"
        pq.write_table(pa.table({c: [r[c] or None for r in records] for c in COLUMNS}), path)
        return path
    if fmt == "jsonl":
        path = tmp / "conversations.jsonl"
        lines = [
            "{not json" if i in broken else json.dumps({c: r[c] for c in COLUMNS if r[c] != ""})
            for i, r in enumerate(records, start=1)
        ]
        path.write_bytes((ending.join(lines) + ending).encode("utf-8"))
        return path
    path = tmp / "conversations.csv"
    try:
        data = _csv_bytes(records, broken, ending, encoding)
    except UnicodeEncodeError:
        data = _csv_bytes(records, broken, ending, "utf-8")
    path.write_bytes(data)
    return path


def _expected_text(text: str, fmt: str) -> str:
    if fmt == "csv":  # line endings inside a quoted field are normalised to LF
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return mask_text(text).strip(" ")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                           HealthCheck.data_too_large],
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure prints its whole case
)  # fmt: skip
@given(case=files())
def test_every_record_is_stored_or_quarantined_exactly_once(tmp_path_factory, case):
    records, broken, fmt, ending, encoding = case
    if fmt == "parquet":
        broken = set()
    tmp = tmp_path_factory.mktemp("prop")
    path = _write(tmp, records, broken, fmt, ending, encoding)
    con = _store()
    report = ingest_paths(con, [path], run_id="p", limits=Limits.default())
    f = report.files[0]
    assert f.refused is None, f.refused
    assert f.rows_read == len(records)

    stored = {
        cid: (text, channel, csat)
        for cid, text, channel, csat in con.execute(
            "SELECT conversation_id, text, channel, csat FROM conversations"
        ).fetchall()
    }
    quarantined = [
        r[0]
        for r in con.execute(
            "SELECT DISTINCT row_number FROM quarantine WHERE table_name = 'conversations'"
        ).fetchall()
    ]
    assert len(quarantined) == len(set(quarantined)) == f.quarantined
    assert len(stored) + len(quarantined) == len(records)
    for i, r in enumerate(records, start=1):
        cid = r["conversation_id"]
        assert (cid in stored) != (i in quarantined), (i, r)
        if cid in stored:
            assert i not in broken
            text, channel, csat = stored[cid]
            assert text == _expected_text(r["text"], fmt)
            assert channel == (r["channel"].lower() or None)
            assert csat == (int(float(r["csat"])) if r["csat"] else None)
            assert r["account_id"] != "zz"


_CON: list[duckdb.DuckDBPyConnection] = []


def _store() -> duckdb.DuckDBPyConnection:
    """One migrated in-memory store for all examples, emptied of conversations before each."""
    if not _CON:
        con = duckdb.connect()
        store.migrate(con)
        con.execute("INSERT INTO accounts (account_id, name) VALUES ('a1', 'Acme'), ('a2', 'Beta')")
        _CON.append(con)
    con = _CON[0]
    for table in ("conversations", "quarantine", "ingested_files"):
        con.execute(f"DELETE FROM {table}")
    return con
