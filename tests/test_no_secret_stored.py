"""Issue 11: after a planted file goes through the inbox, a refresh, a brief and every export,
none of its secrets appears anywhere under $COCKPIT_HOME (database, caches, exports, briefs).

DuckDB compresses strings on disk, so a byte grep alone could miss a stored secret: every
VARCHAR column of every table is also searched through SQL.
"""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from cockpit import store
from pipelines.cli import cli
from pipelines.refresh import refresh

SECRETS = [
    "hunter2pass",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlMTIz",
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_0123456789abcdefghijABCDEFGHIJ012345",
    "123-45-6789",
    "AB 12 34 56 C",
    "192.168.44.21",
    "4111.1111.1111.1111",
    "de89 3704 0044 0532 0130 00",
    "jane.doe@example.com",
    "ceo@globex.example",
]
TEXTS = [
    "my password is hunter2pass, please reset it",
    "our key sk_live_4eC39HqLyjWDarjtT1zdp7dc leaked in the logs",
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlMTIz fails",
    "AWS key AKIAIOSFODNN7EXAMPLE is rejected by the connector",
    "the token ghp_0123456789abcdefghijABCDEFGHIJ012345 stopped working",
    "my SSN is 123-45-6789 and my NI number AB 12 34 56 C",
    "login blocked from 192.168.44.21 again",
    "card 4111.1111.1111.1111 charged twice, iban de89 3704 0044 0532 0130 00",
    "write to jane.doe@example.com about the refund",
]


def _plant(inbox: Path) -> None:
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "accounts.csv").write_text(
        "account_id,name,vertical,csm\nceo@globex.example,Globex,ecommerce,Ann\n"
    )
    with (inbox / "conversations.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["conversation_id", "account_id", "created_at", "text", "channel", "csat"])
        for i in range(60):  # enough rows for the score step to build issues and actions
            text = TEXTS[i % len(TEXTS)]
            w.writerow([f"c{i}", "ceo@globex.example", f"2026-11-{1 + i % 25:02d}T10:00:00Z",
                        text, "chat", 4])  # fmt: skip
        # a malformed record: its raw text goes to quarantine, masked
        fh.write('c999,ceo@globex.example,2026-11-20,"unclosed my password is hunter2pass,chat,4\n')


def _every_text(settings) -> str:
    with store.reading(settings.db_path) as con:
        cols = con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = "
            "current_database() AND data_type LIKE 'VARCHAR%'"
        ).fetchall()
        parts = []
        for table, column in cols:
            rows = con.execute(f'SELECT "{column}"::VARCHAR FROM "{table}"').fetchall()
            parts += [r[0] for r in rows if r[0]]
    return "\n".join(parts)


def test_planted_secrets_appear_nowhere_under_home(settings, monkeypatch, tmp_path):
    _plant(settings.inbox)
    result = refresh(settings, progress_mode="quiet")
    assert result.status in ("success", "partial"), result.error
    monkeypatch.setenv("COCKPIT_HOME", str(settings.home))
    monkeypatch.setenv("COCKPIT_EMBEDDER", "hashing")
    runner = CliRunner()
    with store.reading(settings.db_path) as con:
        (account,) = con.execute("SELECT account_id FROM accounts").fetchall()[0]
        assert con.execute("SELECT count(*) FROM conversations").fetchall() == [(60,)]
    exports = settings.home / "exports"
    for args in (
        ["brief", account, "--format", "html", "--out", str(exports / "brief.html")],
        ["brief", account, "--format", "md", "--out", str(exports / "brief.md")],
        ["export", "tags", "--out", str(exports / "tags.csv")],
        ["quarantine", "export", "--out", str(exports / "quarantine.csv")],
    ):
        out = runner.invoke(cli, args)
        assert out.exit_code == 0, (args, out.output)
    assert (exports / "brief.html").stat().st_size > 0

    files = [p for p in settings.home.rglob("*") if p.is_file()]
    assert settings.db_path in files and settings.embeddings_path in files
    assert not list(settings.inbox.rglob("*.csv"))  # the raw exports were deleted
    haystacks = {str(p): p.read_bytes() for p in files}
    haystacks["every VARCHAR in the store"] = _every_text(settings).encode()
    assert "[PASSWORD]" in haystacks["every VARCHAR in the store"].decode()  # the scan sees texts
    for secret in SECRETS:
        for where, data in haystacks.items():
            for variant in {secret, secret.lower(), secret.upper()}:
                assert variant.encode() not in data, f"{secret!r} found in {where}"
