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
