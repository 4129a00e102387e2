"""`cockpit status`: what the store holds (rows, date range, quarantine, files, last run, tags)."""

from __future__ import annotations

from typing import Any

import duckdb

from cockpit import store
from cockpit.errors import NoDataError


def _first(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


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
        "quarantine_waiting": one(
            "SELECT count(DISTINCT (file, row_number)) FROM quarantine WHERE waiting_for IS NOT NULL"
        ),
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


def quarantine_list(con: duckdb.DuckDBPyConnection, limit: int = 20) -> dict[str, Any]:
    """What waits in quarantine: counts by table, reason and waited-for parent, latest rows."""
    groups = con.execute(
        "SELECT table_name, reason, waiting_for, count(DISTINCT (file, row_number)) AS n "
        "FROM quarantine GROUP BY ALL ORDER BY n DESC, table_name, reason"
    ).fetchall()
    latest = con.execute(
        "SELECT file, table_name, row_number, lines, column_name, reason, waiting_for "
        "FROM quarantine ORDER BY quarantined_at DESC, file, row_number LIMIT ?",
        [int(limit)],
    ).fetchall()
    keys = ("file", "table", "row_number", "lines", "column", "reason", "waiting_for")
    return {
        "records": int(_first(con, "SELECT count(DISTINCT (file, row_number)) FROM quarantine")[0]),
        "waiting": int(
            _first(
                con,
                "SELECT count(DISTINCT (file, row_number)) FROM quarantine "
                "WHERE waiting_for IS NOT NULL",
            )[0]
        ),
        "by_reason": [
            {"table": t, "reason": r, "waiting_for": w, "records": n} for t, r, w, n in groups
        ],
        "latest": [dict(zip(keys, row, strict=True)) for row in latest],
    }


def export_quarantine(con: duckdb.DuckDBPyConnection, out) -> int:
    """Write every quarantine row to CSV (raw texts are masked; formula prefixes neutralised)."""
    from pathlib import Path

    from cockpit.formats import csv_cell_sql

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    cols = ["file", "table_name", "row_number", "lines", "column_name", "reason", "raw",
            "waiting_for", "run_id", "quarantined_at"]  # fmt: skip
    text = {"file", "lines", "column_name", "reason", "raw"}
    select = ", ".join(f"{csv_cell_sql(c)} AS {c}" if c in text else c for c in cols)
    escaped = str(out).replace("'", "''")
    con.execute(
        f"COPY (SELECT {select} FROM quarantine ORDER BY file, row_number, column_name) "
        f"TO '{escaped}' (HEADER, DELIMITER ',')"
    )
    return int(_first(con, "SELECT count(*) FROM quarantine")[0])
