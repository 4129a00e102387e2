"""Issue 11: the exact file shapes that broke ingestion, one test each.

Each input record must be stored exactly once or quarantined exactly once, whatever its
neighbours look like.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cockpit import store
from cockpit.ingest import ingest_paths
from cockpit.settings import Settings

ACCOUNTS = "account_id,name,vertical,arr_usd\na1,Acme,fintech,1000\na2,Beta,,2000\n"
HEADER = "conversation_id,account_id,created_at,text,channel,csat,ai_involved\n"


def write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def ingest(settings: Settings, *paths, **kw):
    with store.writing(settings, "ingest") as con:
        return ingest_paths(con, list(paths), run_id="r1", limits=settings.ingest_limits(), **kw)


def rows(settings: Settings, sql: str) -> list[tuple]:
    with store.reading(settings.db_path) as con:
        return con.execute(sql).fetchall()


def good(i: int, account: str = "a1", day: str = "2026-11-25") -> str:
    return f"c{i},{account},{day}T10:00:00Z,text {i},chat,5,true\n"


def exactly_once(settings: Settings, n: int) -> None:
    """Every one of the n records is stored or quarantined, once."""
    stored = rows(settings, "SELECT count(*) FROM conversations")[0][0]
    quarantined = rows(
        settings,
        "SELECT count(DISTINCT row_number) FROM quarantine WHERE table_name = 'conversations'",
    )[0][0]
    assert stored + quarantined == n


@pytest.fixture
def accounts(tmp_path) -> Path:
    return write(tmp_path / "accounts.csv", ACCOUNTS)


def test_one_unclosed_quote_in_56_rows_quarantines_only_that_row(settings, tmp_path, accounts):
    lines = [good(i) for i in range(1, 57)]
    lines[29] = 'c30,a1,2026-11-25T10:00:00Z,"unclosed quote mail bob@x.org,chat,5,true\n'
    c = write(tmp_path / "conversations.csv", HEADER + "".join(lines))
    f = ingest(settings, accounts, c).files[1]
    assert (f.rows_read, f.loaded, f.quarantined) == (56, 55, 1)
    ((row, lines_, reason, raw),) = rows(
        settings, "SELECT row_number, lines, reason, raw FROM quarantine"
    )
    assert (row, lines_) == (30, "31")  # record 30 is file line 31 (after the header)
    assert reason.startswith("malformed CSV record")
    assert "bob@x.org" not in raw and "[EMAIL]" in raw
    assert rows(settings, "SELECT count(*) FROM conversations WHERE text LIKE '%\"%'") == [(0,)]


def test_bad_record_at_24001_of_25001_swallows_nothing(settings, tmp_path, accounts):
    lines = [good(i) for i in range(1, 25_002)]
    lines[24_000] = 'c24001,a1,2026-11-25T10:00:00Z,"never closed,chat,5,true\n'
    c = write(tmp_path / "conversations.csv", HEADER + "".join(lines))
    f = ingest(settings, accounts, c).files[1]
    assert (f.rows_read, f.loaded, f.quarantined) == (25_001, 25_000, 1)
    exactly_once(settings, 25_001)
    assert rows(settings, "SELECT row_number FROM quarantine") == [(24_001,)]


def test_valid_multiline_record_next_to_an_unclosed_one(settings, tmp_path, accounts):
    data = (
        HEADER
        + good(1)
        + 'c2,a1,2026-11-25T10:00:00Z,"broken,chat,5,true\n'
        + 'c3,a1,2026-11-25T10:00:00Z,"line one\nline two, with ""quotes""",chat,5,true\n'
        + good(4)
    )
    c = write(tmp_path / "conversations.csv", data)
    f = ingest(settings, accounts, c).files[1]
    assert (f.rows_read, f.loaded, f.quarantined) == (4, 3, 1)
    assert rows(settings, "SELECT text FROM conversations WHERE conversation_id = 'c3'") == [
        ('line one\nline two, with "quotes"',)
    ]
    assert rows(settings, "SELECT row_number, lines FROM quarantine") == [(2, "3")]


def test_multiline_record_reports_its_line_span(settings, tmp_path, accounts):
    c = write(
        tmp_path / "conversations.csv",
        HEADER + 'c1,a1,2026-11-25T10:00:00Z,"a\nb\nc",chat,9,true\n' + good(2),
    )
    ingest(settings, accounts, c)
    assert rows(settings, "SELECT row_number, lines, column_name FROM quarantine") == [
        (1, "2-4", "csat")
    ]


def test_20mb_text_quarantines_its_row_not_the_file(settings, tmp_path, accounts):
    big = "x" * 20_000_000
    c = write(
        tmp_path / "conversations.csv",
        HEADER + good(1) + f"c2,a1,2026-11-25T10:00:00Z,{big},chat,5,true\n" + good(3),
    )
    f = ingest(settings, accounts, c).files[1]
    assert (f.refused, f.loaded, f.quarantined) == (None, 2, 1)
    ((col, reason, raw),) = rows(settings, "SELECT column_name, reason, raw FROM quarantine")
    assert col == "text" and "20,000,000 bytes; the limit is 1,000,000" in reason
    assert len(raw) < 3_000  # the quarantine keeps a masked prefix, not 20 MB


@pytest.mark.parametrize("value", ["NaN", "inf", "-inf", "2147483648", "1e400"])
def test_csat_that_fits_no_integer_quarantines_its_row(settings, tmp_path, accounts, value):
    c = write(
        tmp_path / "conversations.csv",
        HEADER + good(1) + f"c2,a1,2026-11-25T10:00:00Z,t,chat,{value},true\n" + good(3),
    )
    f = ingest(settings, accounts, c).files[1]
    assert (f.refused, f.loaded, f.quarantined) == (None, 2, 1)
    assert rows(settings, "SELECT row_number, column_name FROM quarantine") == [(2, "csat")]


def test_csat_nan_in_parquet_and_jsonl_quarantines_its_row(settings, tmp_path, accounts):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(
        pa.table({
            "conversation_id": ["p1", "p2"], "account_id": ["a1", "a1"],
            "created_at": ["2026-11-25T10:00:00Z"] * 2, "text": ["a", "b"],
            "csat": [float("nan"), 4.0],
        }),
        tmp_path / "conversations_p.parquet",
    )  # fmt: skip
    write(
        tmp_path / "conversations_j.jsonl",
        '{"conversation_id":"j1","account_id":"a1","created_at":"2026-11-25","text":"x","csat":NaN}\n'
        '{"conversation_id":"j2","account_id":"a1","created_at":"2026-11-25","text":"y","csat":3}\n',
    )
    report = ingest(settings, accounts, tmp_path / "conversations_p.parquet",
                    tmp_path / "conversations_j.jsonl")  # fmt: skip
    assert [(f.loaded, f.quarantined) for f in report.files[1:]] == [(1, 1), (1, 1)]


def test_crlf_file_whose_last_line_ends_in_lf_loads(settings, tmp_path, accounts):
    data = HEADER.replace("\n", "\r\n") + good(1).replace("\n", "\r\n") + good(2)
    c = write(tmp_path / "conversations.csv", data)
    f = ingest(settings, accounts, c).files[1]
    assert (f.refused, f.loaded, f.quarantined) == (None, 2, 0)
    assert rows(settings, "SELECT count(*) FROM conversations WHERE text LIKE '%\r%'") == [(0,)]


def test_cr_only_and_mixed_line_endings_load(settings, tmp_path, accounts):
    data = HEADER.replace("\n", "\r") + good(1).replace("\n", "\r") + good(2) + good(3)
    c = write(tmp_path / "conversations.csv", data)
    assert ingest(settings, accounts, c).files[1].loaded == 3


def test_stale_redelivery_never_overwrites_newer(settings, tmp_path, accounts):
    header = HEADER.strip() + ",updated_at\n"
    new = write(
        tmp_path / "conversations_new.csv",
        header + "c1,a1,2026-11-20T10:00:00Z,new text,chat,5,true,2026-11-25T00:00:00Z\n",
    )
    old = write(
        tmp_path / "conversations_old.csv",
        header + "c1,a1,2026-11-10T10:00:00Z,old text,chat,2,true,2026-11-12T00:00:00Z\n",
    )
    ingest(settings, accounts, new)
    f = ingest(settings, old).files[0]
    assert (f.loaded, f.updated, f.stale, f.quarantined) == (0, 0, 1, 0)
    assert rows(settings, "SELECT text, csat, created_at::DATE::VARCHAR FROM conversations") == [
        ("new text", 5, "2026-11-20")
    ]


def test_without_updated_at_created_at_decides(settings, tmp_path, accounts):
    ingest(
        settings,
        accounts,
        write(tmp_path / "conversations_a.csv", HEADER + good(1, day="2026-11-20")),
    )
    older = HEADER + "c1,a1,2026-11-01T10:00:00Z,older,chat,5,true\n"
    f = ingest(settings, write(tmp_path / "conversations_b.csv", older)).files[0]
    assert f.stale == 1
    assert rows(settings, "SELECT text FROM conversations") == [("text 1",)]


def test_conversation_that_changes_account_is_quarantined(settings, tmp_path, accounts):
    ingest(settings, accounts, write(tmp_path / "conversations_a.csv", HEADER + good(1)))
    hop = HEADER + "c1,a2,2026-11-26T10:00:00Z,moved,chat,5,true\n"
    f = ingest(settings, write(tmp_path / "conversations_b.csv", hop)).files[0]
    assert (f.loaded, f.updated, f.quarantined) == (0, 0, 1)
    assert rows(settings, "SELECT account_id FROM conversations") == [("a1",)]
    ((col, reason),) = rows(settings, "SELECT column_name, reason FROM quarantine")
    assert col == "account_id" and "stored under a1, this row says a2" in reason


def test_orphans_load_when_their_account_arrives(settings, tmp_path):
    c = write(
        tmp_path / "conversations.csv", HEADER + good(1, "a9") + good(2, "a9") + good(3, "a1")
    )
    write(tmp_path / "accounts_day1.csv", "account_id,name\na1,Acme\n")
    first = ingest(settings, tmp_path / "accounts_day1.csv", c)
    assert first.files[1].quarantined == 2
    assert rows(settings, "SELECT count(*) FROM quarantine WHERE waiting_for = 'accounts'") == [
        (2,)
    ]
    a9 = write(tmp_path / "accounts_day2.csv", "account_id,name\na9,Nine\n")
    second = ingest(settings, a9, c)  # the same conversations file again is skipped as known
    assert second.files[1].skipped
    assert [(r.table, r.rows_read, r.loaded) for r in second.retried] == [("conversations", 2, 2)]
    assert rows(settings, "SELECT count(*) FROM quarantine") == [(0,)]
    assert rows(settings, "SELECT source_file FROM conversations WHERE conversation_id='c1'") == [
        (str(c),)
    ]


def test_orphans_still_waiting_stay_once(settings, tmp_path, accounts):
    c = write(tmp_path / "conversations.csv", HEADER + good(1, "zz"))
    ingest(settings, accounts, c)
    with store.writing(settings, "retry") as con:
        from cockpit.ingest import retry_waiting

        retry_waiting(con, "r2", everything=True)
    assert rows(settings, "SELECT row_number, waiting_for, run_id FROM quarantine") == [
        (1, "accounts", "r2")
    ]


@pytest.mark.parametrize(
    "day", ["9999-12-31", "1900-01-01", "0001-01-01", "-2026-10-03", "2999-01-01T00:00:00Z"]
)
def test_implausible_created_at_is_quarantined(settings, tmp_path, accounts, day):
    c = write(
        tmp_path / "conversations.csv",
        HEADER + good(1) + f"c2,a1,{day},far,chat,5,true\n",
    )
    f = ingest(settings, accounts, c).files[1]
    assert (f.loaded, f.quarantined) == (1, 1)
    ((col, reason),) = rows(settings, "SELECT column_name, reason FROM quarantine")
    assert col == "created_at"
    assert reason.startswith("outside the plausible window 2000-01-01") or reason.startswith(
        "unparseable timestamp"
    )


def test_timestamp_window_is_a_setting(tmp_path, accounts):
    settings = Settings.from_env({"COCKPIT_HOME": str(tmp_path / "h"),
                                  "COCKPIT_EMBEDDER": "hashing",
                                  "COCKPIT_TIMESTAMP_MIN": "1990-01-01"})  # fmt: skip
    c = write(tmp_path / "conversations.csv", HEADER + good(1, day="1995-06-01"))
    assert ingest(settings, accounts, c).files[1].loaded == 1


def test_utf16_file_is_decoded(settings, tmp_path, accounts):
    c = write(tmp_path / "conversations.csv", (HEADER + good(1) + good(2)).encode("utf-16"))
    f = ingest(settings, accounts, c).files[1]
    assert (f.refused, f.loaded, f.encoding) == (None, 2, "utf-16")


def test_latin1_file_is_detected_and_decoded(settings, tmp_path, accounts):
    text = HEADER + "".join(
        f"c{i},a1,2026-11-25T10:00:00Z,café crème à la française {i},chat,5,true\n"
        for i in range(1, 30)
    )
    c = write(tmp_path / "conversations.csv", text.encode("latin-1"))
    f = ingest(settings, accounts, c).files[1]
    assert (f.refused, f.loaded) == (None, 29)
    assert f.encoding in ("cp1252", "latin-1", "iso8859-1", "iso8859-15")
    assert rows(settings, "SELECT text FROM conversations WHERE conversation_id='c1'") == [
        ("café crème à la française 1",)
    ]


def test_declared_encoding_wins_and_an_unknown_one_is_named(settings, tmp_path, accounts):
    c = write(
        tmp_path / "conversations.csv", (HEADER + "c1,a1,2026-11-25,caf\xe9,,,\n").encode("cp1252")
    )
    assert ingest(settings, accounts, c, encoding="cp1252").files[1].loaded == 1
    c2 = write(tmp_path / "conversations_2.csv", (HEADER + good(2)).encode())
    f = ingest(settings, c2, encoding="klingon").files[0]
    assert (
        f.refused
        == f"{c2}: unknown encoding 'klingon'; pass a Python codec name such as utf-8, cp1252, latin-1 or utf-16."
    )


def test_utf8_bom_header_is_recognised(settings, tmp_path, accounts):
    c = write(tmp_path / "conversations.csv", b"\xef\xbb\xbf" + (HEADER + good(1)).encode())
    assert ingest(settings, accounts, c).files[1].loaded == 1


def test_empty_file_has_its_own_message(settings, tmp_path, accounts):
    c = write(tmp_path / "conversations.csv", b"")
    f = ingest(settings, accounts, c).files[1]
    assert f.refused == f"{c}: the file is empty (0 bytes); export it again with a header row."


def test_json_array_file_has_its_own_message(settings, tmp_path, accounts):
    c = write(tmp_path / "conversations.json", json.dumps([{"conversation_id": "c1"}]))
    f = ingest(settings, accounts, c).files[1]
    assert f.refused == (
        f"{c}: a JSON array; expected JSON Lines (one object per line). Convert it with: "
        f"jq -c '.[]' conversations.json > conversations.jsonl"
    )


def test_bracket_file_name_is_not_a_glob(settings, tmp_path, accounts):
    write(tmp_path / "conversations_export2.csv", HEADER + good(2))
    bracket = write(tmp_path / "conversations_export[2].csv", HEADER + good(1))
    f = ingest(settings, accounts, bracket).files[1]
    assert f.loaded == 1
    assert rows(settings, "SELECT conversation_id FROM conversations") == [("c1",)]
    assert rows(settings, "SELECT path FROM ingested_files WHERE table_name='conversations'") == [
        (str(bracket),)
    ]


def test_star_in_a_path_is_literal(settings, tmp_path, accounts):
    for i in range(3):
        write(tmp_path / f"conversations_{i}.csv", HEADER + good(i))
    pattern = tmp_path / "conversations_*.csv"
    f = ingest(settings, accounts, pattern).files[0]
    assert f.refused == (
        f"{pattern}: no such file or directory (paths are literal; give a folder or list the "
        "files); check the path."
    )
    assert rows(settings, "SELECT count(*) FROM conversations") == [(0,)]


def test_semicolon_export_is_read_from_its_header(settings, tmp_path, accounts):
    c = write(
        tmp_path / "conversations.csv",
        HEADER.replace(",", ";") + "c1;a1;2026-11-25;hello, world;chat;5;true\n",
    )
    assert ingest(settings, accounts, c).files[1].loaded == 1
    assert rows(settings, "SELECT text FROM conversations") == [("hello, world",)]


def test_wrong_field_count_is_quarantined_alone(settings, tmp_path, accounts):
    c = write(
        tmp_path / "conversations.csv",
        HEADER + good(1) + "c2,a1,2026-11-25,t,chat,5,true,extra\n" + good(3),
    )
    f = ingest(settings, accounts, c).files[1]
    assert (f.loaded, f.quarantined) == (2, 1)
    assert rows(settings, "SELECT reason FROM quarantine") == [
        ("expected 7 fields (as in the header), found 8",)
    ]


def test_cli_quarantine_list_retry_export(settings, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from pipelines.cli import cli

    monkeypatch.setenv("COCKPIT_HOME", str(settings.home))
    monkeypatch.setenv("COCKPIT_EMBEDDER", "hashing")
    write(tmp_path / "accounts.csv", "account_id,name\na1,Acme\n")
    write(
        tmp_path / "conversations.csv",
        HEADER + good(1, "a9") + "=cmd|calc,a1,2026-11-25,t,chat,9,true\n",
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["ingest", str(tmp_path)]).exit_code == 0
    listed = runner.invoke(cli, ["quarantine", "list"])
    assert listed.exit_code == 0, listed.output
    assert "quarantined records  2 (1 waiting for a parent)" in listed.output
    assert "[waits for accounts]" in listed.output and "line 2" in listed.output
    out = tmp_path / "q.csv"
    exported = runner.invoke(cli, ["quarantine", "export", "--out", str(out)])
    assert exported.exit_code == 0 and "wrote 2 quarantine rows" in exported.output
    assert "\n=" not in out.read_text() and ",=" not in out.read_text()
    write(tmp_path / "more" / "accounts_9.csv", "account_id,name\na9,Nine\n")
    with store.writing(settings, "ingest") as con:  # load the parent without a retry
        from cockpit.ingest.load import _ingest_file

        _ingest_file(
            con,
            tmp_path / "more" / "accounts_9.csv",
            "accounts",
            "r",
            settings.ingest_limits(),
            None,
        )
    retried = runner.invoke(cli, ["quarantine", "retry"])
    assert retried.exit_code == 0, retried.output
    assert "conversations retried 1, loaded 1, still quarantined 0" in retried.output


def test_data_health_shows_what_waits(settings, tmp_path):
    write(tmp_path / "accounts.csv", "account_id,name\na1,Acme\n")
    ingest(
        settings,
        tmp_path / "accounts.csv",
        write(tmp_path / "conversations.csv", HEADER + good(1, "a9")),
    )
    with store.reading(settings.db_path) as con:
        from cockpit import queries

        waiting = queries.quarantine_waiting(con)
    assert waiting[["table_name", "waiting_for", "missing_id", "rows"]].values.tolist() == [
        ["conversations", "accounts", "a9", 1]
    ]


def test_memory_limit_cannot_carry_sql(tmp_path):
    from cockpit.errors import SettingsError

    with pytest.raises(SettingsError) as exc:
        Settings.from_env({"COCKPIT_MEMORY_LIMIT": "1GB'; CREATE TABLE pwned AS SELECT 1; --"})
    assert str(exc.value).startswith("COCKPIT_MEMORY_LIMIT must be a size such as 4GB")
    assert Settings.from_env({"COCKPIT_MEMORY_LIMIT": "512MiB"}).memory_limit == "512MiB"


def test_a_quote_in_the_home_path_breaks_no_writer(tmp_path, accounts):
    home = tmp_path / "o'brien home"
    settings = Settings(home=home, embedder="hashing")
    c = write(tmp_path / "conversations.csv", HEADER + good(1))
    assert ingest(settings, accounts, c).files[1].loaded == 1
