"""The Data health page: runs, quarantine, tag coverage, confidence, backtest."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from cockpit.queries.common import fetch_frame, fetch_rows

if TYPE_CHECKING:
    import pandas as pd


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pd.DataFrame:
    """The latest pipeline runs, newest first, with their duration."""
    return fetch_frame(
        con,
        f"""
        SELECT run_id, command, status, started_at, ended_at,
               date_diff('millisecond', started_at, ended_at) / 1000.0 AS duration_s,
               exit_code, error
        FROM runs ORDER BY started_at DESC LIMIT {int(limit)}
        """,
    )


def run_step_rows(con: duckdb.DuckDBPyConnection, run_ids: list[str]) -> pd.DataFrame:
    """The steps of the given runs with their status, duration and counts (JSON text)."""
    return fetch_frame(
        con,
        "SELECT run_id, step, status, started_at, duration_s, counts FROM run_steps "
        "WHERE run_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY started_at DESC, run_id, started_at",
        [list(run_ids)],
    )


def quarantine_count(con: duckdb.DuckDBPyConnection) -> int:
    """Rows held back by validation."""
    return int(fetch_rows(con, "SELECT count(*) FROM quarantine")[0][0])


def quarantine_by_reason(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantined rows counted by table, column and reason."""
    return fetch_frame(
        con,
        "SELECT table_name, column_name, reason, count(*) AS rows, max(quarantined_at) AS last_seen "
        "FROM quarantine GROUP BY ALL ORDER BY rows DESC, table_name, reason",
    )


def quarantine_sample(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pd.DataFrame:
    """The latest quarantined rows with their reason and raw content."""
    return fetch_frame(
        con,
        "SELECT file, table_name, row_number, column_name, reason, raw, quarantined_at "
        f"FROM quarantine ORDER BY quarantined_at DESC, file, row_number LIMIT {int(limit)}",
    )


def uncertain_counts(con: duckdb.DuckDBPyConnection, account_id: str | None = None) -> pd.DataFrame:
    """Per account: tagged conversations and those whose type is uncertain (uncorrected, type
    confidence below `tagger.UNCERTAIN_TYPE_CONFIDENCE`), most uncertain first."""
    from cockpit.tagging.tagger import UNCERTAIN_TYPE_CONFIDENCE

    where, params = ("WHERE c.account_id = ?", [account_id]) if account_id else ("", [])
    return fetch_frame(
        con,
        f"""
        SELECT c.account_id, count(*) AS tagged,
               count(*) FILTER (WHERE NOT coalesce(t.corrected, false)
                                AND t.type_confidence < ?) AS uncertain,
               uncertain / count(*) AS uncertain_share
        FROM tags t JOIN conversations c USING (conversation_id) {where}
        GROUP BY c.account_id ORDER BY uncertain DESC, c.account_id
        """,
        [UNCERTAIN_TYPE_CONFIDENCE, *params],
    )


def tag_coverage(con: duckdb.DuckDBPyConnection) -> dict:
    """How many conversations are tagged, the `other` share and the corrected count."""
    row = fetch_rows(
        con,
        """
        SELECT (SELECT count(*) FROM conversations), count(*),
               avg((topic_id = 'other')::INT), sum(corrected::INT),
               median(type_confidence), median(topic_confidence)
        FROM tags
        """,
    )[0]
    return dict(
        zip(
            ["conversations", "tagged", "other_share", "corrected", "median_type_confidence",
             "median_topic_confidence"],
            row,
            strict=True,
        )
    )  # fmt: skip


def confidence_histogram(con: duckdb.DuckDBPyConnection, bins: int = 20) -> pd.DataFrame:
    """Tag confidences (type and topic) counted in `bins` equal bins over [0, 1]."""
    b = int(bins)
    return fetch_frame(
        con,
        f"""
        WITH v AS (
            SELECT 'type' AS kind, type_confidence AS c FROM tags
            UNION ALL SELECT 'topic', topic_confidence FROM tags)
        SELECT kind, least(floor(c * {b}), {b} - 1) / {b} AS bin_start,
               (least(floor(c * {b}), {b} - 1) + 1) / {b} AS bin_end, count(*) AS n
        FROM v WHERE c IS NOT NULL GROUP BY ALL ORDER BY kind, bin_start
        """,
    )


def backtest_track_record(summary: dict | None):
    """The track record (figures and the accounts behind them) of a `backtest_latest` summary."""
    from cockpit.scoring.backtest import track_record

    return track_record(summary)


def backtest_latest(con: duckdb.DuckDBPyConnection) -> tuple[dict | None, pd.DataFrame]:
    """The newest backtest run (summary dict) and its per-account predicted vs achieved rows."""
    import pandas as pd

    runs = fetch_frame(con, "SELECT * FROM backtest_runs ORDER BY created_at DESC LIMIT 1")
    if runs.empty:
        return None, pd.DataFrame()
    summary = runs.iloc[0].to_dict()
    points = fetch_frame(
        con,
        "SELECT r.*, coalesce(a.name, r.account_id) AS name FROM backtest_results r "
        "LEFT JOIN accounts a USING (account_id) WHERE r.backtest_id = ? ORDER BY r.account_id",
        [summary["backtest_id"]],
    )
    return summary, points


def quarantine_waiting(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pd.DataFrame:
    """Quarantined rows waiting for a parent, by table and missing parent id (most rows first).

    They load by themselves at the next ingest or refresh once the parent exists.
    """
    return fetch_frame(
        con,
        "SELECT table_name, waiting_for, CASE waiting_for WHEN 'conversations' THEN "
        "json_extract_string(raw, '$.conversation_id') ELSE json_extract_string(raw, "
        "'$.account_id') END AS missing_id, count(DISTINCT (file, row_number)) AS rows, "
        "min(quarantined_at) AS waiting_since FROM quarantine WHERE waiting_for IS NOT NULL "
        "GROUP BY ALL ORDER BY rows DESC, missing_id LIMIT ?",
        [int(limit)],
    )
