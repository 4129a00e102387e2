"""Ingestion: every bad-input class, upserts, idempotence, formats, the CLI and `status`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cockpit import contract, store
from cockpit.errors import MissingColumnsError, NoDataError
from cockpit.ingest import IngestReport, ingest_paths, status_summary
from pipelines.cli import cli

ACCOUNTS = "account_id,name,vertical,arr_usd\na1,Acme,fintech,1000\na2,Beta,,2000\n"
CONV_HEADER = "conversation_id,account_id,created_at,text,channel,csat,ai_involved\n"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode()
    path.write_bytes(text)
    return path


def ingest(settings, *paths, table=None) -> IngestReport:
    with store.writing(settings, "ingest") as con:
        return ingest_paths(con, list(paths), table=table, run_id="r1")


def rows(settings, sql: str) -> list[tuple]:
    con = store.read_only(settings.db_path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def accounts(tmp_path) -> Path:
    return write(tmp_path / "accounts.csv", ACCOUNTS)


def conv(tmp_path, *lines: str, name="conversations.csv") -> Path:
    return write(tmp_path / name, CONV_HEADER + "".join(line + "\n" for line in lines))


def test_loads_valid_rows_and_masks_text(settings, tmp_path, accounts):
    c = conv(tmp_path, "c1,a1,2026-11-25T10:00:00Z,mail bob@x.org or +49 30 1234 5678,CHAT,5,yes")
    report = ingest(settings, accounts, c)
    assert [(f.table, f.loaded, f.quarantined) for f in report.files] == [
        ("accounts", 2, 0),
        ("conversations", 1, 0),
    ]
    assert rows(settings, "SELECT text, channel, csat, ai_involved FROM conversations") == [
        ("mail [EMAIL] or [PHONE]", "chat", 5, True)
    ]
    assert rows(settings, "SELECT vertical FROM accounts ORDER BY account_id") == [
        ("fintech",),
        ("other",),  # empty vertical → default
    ]


def test_order_independent_accounts_load_first(settings, tmp_path, accounts):
    c = conv(tmp_path, "c1,a2,2026-11-25,hello,,,")
    report = ingest(settings, c, accounts)  # conversations given first
    assert [f.table for f in report.files] == ["accounts", "conversations"]
    assert report.totals["loaded"] == 3 and report.totals["quarantined"] == 0


def test_mixed_offsets_stored_as_naive_utc(settings, tmp_path, accounts):
    c = conv(
        tmp_path,
        "c1,a1,2026-11-25T10:00:00Z,t,,,",
        "c2,a1,2026-11-25T10:00:00+02:00,t,,,",
        "c3,a1,2026-11-25 10:00:00,t,,,",
        "c4,a1,2026-11-25T10:00:00-05:30,t,,,",
    )
    ingest(settings, accounts, c)
    got = rows(settings, "SELECT conversation_id, strftime(created_at, '%H:%M') FROM conversations")
    assert sorted(got) == [("c1", "10:00"), ("c2", "08:00"), ("c3", "10:00"), ("c4", "15:30")]
    assert rows(settings, "SELECT typeof(created_at) FROM conversations LIMIT 1") == [
        ("TIMESTAMP",)
    ]


def test_bad_rows_are_quarantined_with_row_column_reason(settings, tmp_path, accounts):
    c = conv(
        tmp_path,
        "c1,a1,2026-11-25,ok,chat,5,true",  # row 1: fine
        "c2,zz,2026-11-25,unknown account,chat,5,true",  # row 2
        "c3,a1,yesterday,bad timestamp,chat,5,true",  # row 3
        "c4,a1,2026-11-25,bad enum,pigeon,5,true",  # row 4
        "c5,a1,2026-11-25,csat 6,chat,6,true",  # row 5
        "c6,a1,2026-11-25,csat 4.5,chat,4.5,true",  # row 6
        "c7,a1,2026-11-25,bad bool,chat,5,maybe",  # row 7
        "c8,a1,2026-11-25,   ,chat,5,true",  # row 8: empty required text
        "c9,a1,2026-11-25,mixed case,EMAIL,4.0,NO",  # row 9: fine
    )
    report = ingest(settings, accounts, c)
    f = report.files[1]
    assert (f.rows_read, f.loaded, f.quarantined) == (9, 2, 7)
    got = rows(
        settings,
        "SELECT file, table_name, row_number, column_name, reason, run_id FROM quarantine "
        "ORDER BY row_number",
    )
    assert [(r[2], r[3]) for r in got] == [
        (2, "account_id"),
        (3, "created_at"),
        (4, "channel"),
        (5, "csat"),
        (6, "csat"),
        (7, "ai_involved"),
        (8, "text"),
    ]
    assert {r[0] for r in got} == {str(c)} and {r[1] for r in got} == {"conversations"}
    assert {r[5] for r in got} == {"r1"}
    reasons = dict((r[2], r[4]) for r in got)
    assert reasons[2].startswith("unknown account_id")
    assert reasons[3].startswith("unparseable timestamp")
    assert reasons[4] == "not one of: " + ", ".join(contract.CHANNELS)
    assert reasons[5] == "outside the range 1–5"
    assert reasons[6] == "not an integer"
    assert reasons[8] == "empty required value"
    raw = json.loads(rows(settings, "SELECT raw FROM quarantine WHERE row_number = 4")[0][0])
    assert raw["conversation_id"] == "c4" and raw["channel"] == "pigeon"
    assert rows(
        settings, "SELECT channel, csat, ai_involved FROM conversations WHERE conversation_id='c9'"
    ) == [("email", 4, False)]


def test_negative_numbers_and_bad_dates_in_accounts(settings, tmp_path):
    a = write(
        tmp_path / "accounts.csv",
        "account_id,name,arr_usd,renewal_date\na1,A,-1,2027-01-01\na2,B,5,31/31/2027\na3,C,,\n",
    )
    report = ingest(settings, a)
    assert (report.files[0].loaded, report.files[0].quarantined) == (1, 2)
    assert rows(settings, "SELECT row_number, column_name FROM quarantine ORDER BY 1") == [
        (1, "arr_usd"),
        (2, "renewal_date"),
    ]


def test_quarantined_conversation_raw_is_masked(settings, tmp_path, accounts):
    c = conv(tmp_path, "c1,zz,2026-11-25,call me at bob@example.com,chat,5,true")
    ingest(settings, accounts, c)
    raw = rows(settings, "SELECT raw FROM quarantine")[0][0]
    assert "bob@" not in raw and "[EMAIL]" in raw


def test_missing_required_columns_refuses_file_with_exact_message(settings, tmp_path, accounts):
    c = write(tmp_path / "conversations.csv", "conversation_id,created_at,body\nc1,2026-11-25,x\n")
    report = ingest(settings, accounts, c)
    expected = MissingColumnsError(
        str(c), "conversations", ["account_id", "text"], contract.CONVERSATIONS.names
    )
    assert report.files[1].refused == str(expected)
    assert str(expected) == (
        f"{c}: missing required column(s) account_id, text for table 'conversations'; "
        "expected columns: conversation_id, account_id, created_at, text, channel, ai_involved, "
        "resolved_by, handed_over, handle_time_minutes, csat, language, updated_at. Rename the columns in "
        "the export or pass --table if the file feeds another table."
    )
    assert rows(settings, "SELECT count(*) FROM conversations") == [(0,)]


def test_unrecognised_file_name_is_refused_with_hint(settings, tmp_path, accounts):
    odd = write(tmp_path / "export.csv", ACCOUNTS)
    report = ingest(settings, odd)
    assert "--table" in report.files[0].refused and report.nothing_loaded
    report = ingest(settings, odd, table="accounts")
    assert report.files[0].loaded == 2


def test_reingesting_same_file_is_skipped_and_changes_nothing(settings, tmp_path, accounts):
    c = conv(tmp_path, "c1,a1,2026-11-25,hi,chat,5,true", "c2,zz,2026-11-25,bad,chat,5,true")
    ingest(settings, accounts, c)
    before = rows(
        settings, "SELECT count(*) FROM conversations UNION ALL SELECT count(*) FROM quarantine"
    )
    report = ingest(settings, c, accounts)
    assert all(f.skipped for f in report.files) and not report.nothing_loaded
    after = rows(
        settings, "SELECT count(*) FROM conversations UNION ALL SELECT count(*) FROM quarantine"
    )
    assert before == after
    assert rows(settings, "SELECT count(*) FROM ingested_files") == [(2,)]


def test_newer_export_updates_by_key(settings, tmp_path, accounts):
    ingest(
        settings,
        accounts,
        conv(tmp_path, "c1,a1,2026-11-25,hi,chat,3,true", "c2,a1,2026-11-25,yo,chat,4,true"),
    )
    newer = conv(
        tmp_path,
        "c1,a1,2026-11-25,hi,chat,5,true",  # changed csat → updated
        "c2,a1,2026-11-25,yo,chat,4,true",  # same → unchanged
        "c3,a1,2026-11-26,new,chat,,",  # new → loaded
        name="conversations_2.csv",
    )
    f = ingest(settings, newer).files[0]
    assert (f.rows_read, f.loaded, f.updated, f.unchanged, f.quarantined) == (3, 1, 1, 1, 0)
    assert rows(
        settings, "SELECT conversation_id, csat, source_file FROM conversations ORDER BY 1"
    ) == [
        ("c1", 5, str(newer)),
        ("c2", 4, str(tmp_path / "conversations.csv")),
        ("c3", None, str(newer)),
    ]


def test_duplicate_key_in_file_keeps_last_and_quarantines_earlier(settings, tmp_path, accounts):
    c = conv(
        tmp_path, "c1,a1,2026-11-25,first,,,", "c2,a1,2026-11-25,x,,,", "c1,a1,2026-11-25,last,,,"
    )
    f = ingest(settings, accounts, c).files[1]
    assert (f.loaded, f.quarantined) == (2, 1)
    assert rows(settings, "SELECT text FROM conversations WHERE conversation_id='c1'") == [
        ("last",)
    ]
    assert rows(settings, "SELECT row_number, column_name, reason FROM quarantine") == [
        (1, "conversation_id", "duplicate key in file; the newest (then the last) occurrence wins")
    ]


def test_invalid_utf8_line_is_quarantined_rest_loads(settings, tmp_path, accounts):
    c = write(
        tmp_path / "conversations.csv",
        CONV_HEADER.encode()
        + "c1,a1,2026-11-25,fine café crème naïve,,,\n".encode()
        + b"c2,a1,2026-11-25,bad \xff\xfe bytes,,,\n"
        + b"c3,a1,2026-11-25,also fine,,,\n"
        + b"c4,zz,2026-11-25,unknown account,,,\n",
    )
    f = ingest(settings, accounts, c).files[1]
    assert (f.rows_read, f.loaded, f.quarantined) == (4, 2, 2)
    got = rows(settings, "SELECT row_number, column_name, reason FROM quarantine ORDER BY 1")
    assert got[0][0] == 2 and "invalid encoding" in got[0][2]
    assert got[1][:2] == (4, "account_id")  # numbering continues past the rejected line


def test_nul_bytes_are_stripped_and_1mb_text_loads(settings, tmp_path, accounts):
    big = "word " * 199_000  # just under the 1 MB default limit
    c = conv(tmp_path, "c1,a1,2026-11-25,nul\x00byte,,,", f'c2,a1,2026-11-25,"{big}",,,')
    f = ingest(settings, accounts, c).files[1]
    assert (f.loaded, f.quarantined) == (2, 0)
    assert rows(settings, "SELECT text FROM conversations WHERE conversation_id='c1'") == [
        ("nulbyte",)
    ]
    assert rows(settings, "SELECT length(text) FROM conversations WHERE conversation_id='c2'") == [
        (len(big.strip()),)
    ]


def test_gzip_csv_parquet_and_jsonl(settings, tmp_path):
    gz = tmp_path / "accounts.csv.gz"
    gz.write_bytes(gzip.compress(ACCOUNTS.encode()))
    pq.write_table(
        pa.table(
            {
                "conversation_id": ["p1", "p2"],
                "account_id": ["a1", "a2"],
                "created_at": pa.array(
                    [1764064800000000, 1764064800000000], pa.timestamp("us", tz="UTC")
                ),
                "text": ["parquet one", "card 4111 1111 1111 1111"],
                "csat": [4, None],
                "ai_involved": [True, False],
            }
        ),
        tmp_path / "conversations.parquet",
    )
    lines = [
        {
            "conversation_id": "p1",
            "sent_at": "2026-11-25T10:00:00+01:00",
            "author": "Customer",
            "body": "hi a@b.io",
        },
        {
            "conversation_id": "p1",
            "sent_at": "2026-11-25T10:01:00Z",
            "author": "ai",
            "body": "hello",
            "extra": {"x": 1},
        },
    ]
    jl = "\n".join(json.dumps(x) for x in lines) + "\n{not json\n"
    write(tmp_path / "messages.jsonl", jl)
    report = ingest(settings, tmp_path)  # a directory expands to its supported files
    got = {f.table: (f.rows_read, f.loaded, f.quarantined) for f in report.files}
    assert got == {"accounts": (2, 2, 0), "conversations": (2, 2, 0), "messages": (3, 2, 1)}
    assert rows(settings, "SELECT text, csat FROM conversations ORDER BY 1") == [
        ("card [CARD]", None),
        ("parquet one", 4),
    ]
    assert rows(
        settings, "SELECT strftime(sent_at, '%H:%M'), author, body FROM messages ORDER BY 1"
    ) == [
        ("09:00", "customer", "hi [EMAIL]"),
        ("10:01", "ai", "hello"),
    ]
    assert rows(settings, "SELECT row_number, reason FROM quarantine") == [
        (3, "invalid JSON object (Expecting property name enclosed in double quotes)")
    ]


def test_messages_and_setup_need_their_parents(settings, tmp_path, accounts):
    c = conv(tmp_path, "c1,a1,2026-11-25,hi,,,")
    m = write(
        tmp_path / "messages.csv",
        "conversation_id,sent_at,author,body\nc1,2026-11-25,agent,x\nc9,2026-11-25,agent,y\n",
    )
    s = write(
        tmp_path / "setup.csv",
        "account_id,enabler,topic_id,live_since\na1,help_content,billing,2026-01-01\nzz,procedure,x,\na2,robots,x,\n",
    )
    report = ingest(settings, s, m, c, accounts)
    got = {f.table: (f.loaded, f.quarantined) for f in report.files}
    assert got == {"accounts": (2, 0), "conversations": (1, 0), "messages": (1, 1), "setup": (1, 2)}
    assert rows(
        settings, "SELECT table_name, row_number, column_name FROM quarantine ORDER BY 1, 2"
    ) == [
        ("messages", 2, "conversation_id"),
        ("setup", 2, "account_id"),
        ("setup", 3, "enabler"),
    ]


# --- CLI --------------------------------------------------------------------------------------


def run(settings, *args):
    return CliRunner().invoke(cli, list(args), env={"COCKPIT_HOME": str(settings.home)})


@pytest.mark.parametrize("command", ["ingest", "status"])
def test_help_ends_with_example(command):
    last = cli.commands[command].help.strip().splitlines()[-1].strip()
    assert last.startswith(f"Example: cockpit {command}")
    assert last in CliRunner().invoke(cli, [command, "--help"]).output


def test_cli_ingest_prints_per_file_and_exit_codes(settings, tmp_path, accounts):
    c = conv(tmp_path, "c1,a1,2026-11-25,hi,,,", "c2,zz,2026-11-25,hi,,,")
    result = run(settings, "ingest", str(c), str(accounts))
    assert result.exit_code == 0, result.output
    assert "loaded 1" in result.output and "quarantined 1" in result.output
    assert result.output.count("\n") >= 3
    again = run(settings, "ingest", str(c))
    assert again.exit_code == 0 and "skipped" in again.output


def test_cli_ingest_all_refused_is_an_error(settings, tmp_path):
    bad = write(tmp_path / "conversations.csv", "id,text\n1,x\n")
    result = run(settings, "ingest", str(bad))
    assert result.exit_code == 1
    assert "refused" in result.output
    assert "Error: nothing could be loaded" in result.output


def test_status_on_empty_store_guides_the_user(settings):
    result = run(settings, "status")
    assert result.exit_code == 1
    assert f"Error: {NoDataError()}" in result.output
    assert "cockpit demo" in result.output


def test_status_reports_counts_range_and_quarantine(settings, tmp_path, accounts):
    c = conv(tmp_path, "c1,a1,2026-11-25T10:00:00Z,hi,,,", "c2,a1,2026-12-01,yo,,,", "c3,a1,x,z,,,")
    run(settings, "ingest", str(accounts), str(c))
    result = run(settings, "status")
    assert result.exit_code == 0, result.output
    assert "accounts        2" in result.output and "conversations   2" in result.output
    assert "2026-11-25 10:00:00" in result.output and "2026-12-01 00:00:00" in result.output
    assert "conversations.created_at: unparseable timestamp" in result.output
    data = json.loads(run(settings, "status", "--json").output)
    assert data["quarantined_rows"] == 1 and data["ingested_files"] == 2
    assert data["tag_coverage"] is None


def test_status_summary_raises_on_empty_store(tmp_path):
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    store.migrate(con)
    with pytest.raises(NoDataError):
        status_summary(con)
