"""The Portfolio page and the sidebar: store overview, CSMs, account options, portfolio rows."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import duckdb

from cockpit.queries.common import exists, fetch_frame, fetch_rows, topic_names_sql

if TYPE_CHECKING:
    import pandas as pd


def store_overview(con: duckdb.DuckDBPyConnection) -> dict:
    """Accounts held, data as-of date and the last successful and last run (for the sidebar)."""
    out = {"accounts": 0, "as_of": None, "last_success_at": None, "last_run_status": None}
    if not exists(con, "accounts"):
        return out
    out["accounts"] = fetch_rows(con, "SELECT count(*) FROM accounts")[0][0]
    if exists(con, "meta"):
        row = fetch_rows(con, "SELECT value FROM meta WHERE key = 'as_of'")
        out["as_of"] = date.fromisoformat(row[0][0][:10]) if row and row[0][0] else None
    if out["as_of"] is None and exists(con, "account_metrics"):
        out["as_of"] = fetch_rows(con, "SELECT max(as_of) FROM account_metrics")[0][0]
    if exists(con, "runs"):
        out["last_success_at"] = fetch_rows(
            con, "SELECT max(ended_at) FROM runs WHERE status = 'success'"
        )[0][0]
        last = fetch_rows(con, "SELECT status FROM runs ORDER BY started_at DESC LIMIT 1")
        out["last_run_status"] = last[0][0] if last else None
    return out


def csm_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every CSM who owns at least one account, alphabetically."""
    return [
        r[0]
        for r in fetch_rows(
            con, "SELECT DISTINCT csm FROM accounts WHERE csm IS NOT NULL ORDER BY 1"
        )
    ]


def account_options(con: duckdb.DuckDBPyConnection, csm: str | None = None) -> dict[str, str]:
    """account_id → display name, for the CSM's book (all accounts when `csm` is None)."""
    rows = fetch_rows(
        con,
        "SELECT account_id, coalesce(name, account_id) FROM accounts "
        "WHERE ? IS NULL OR csm = ? ORDER BY 2",
        [csm, csm],
    )
    return dict(rows)


def verticals(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Verticals present among the accounts."""
    return [
        r[0]
        for r in fetch_rows(
            con, "SELECT DISTINCT vertical FROM accounts WHERE vertical IS NOT NULL ORDER BY 1"
        )
    ]


def portfolio_rows(
    con: duckdb.DuckDBPyConnection, csm: str | None = None, search: str | None = None
) -> pd.DataFrame:
    """One row per account in the book, with a `look_first` reason for those to open first.

    Look first when: the gap × ARR is among the three largest (and the gap ≥ 10 pts), automation
    fell ≥ 3 pts against the previous window, or a cell's volume spiked last week.
    """
    pattern = f"%{search.strip()}%" if search and search.strip() else None
    return fetch_frame(
        con,
        f"""
        WITH ranked AS (
            SELECT account_id, week, automation_rate,
                   row_number() OVER (PARTITION BY account_id ORDER BY week DESC) AS rn
            FROM weekly_metrics),
        trend AS (
            SELECT account_id, list(automation_rate ORDER BY week) AS trend
            FROM ranked WHERE rn <= 4 GROUP BY account_id),
        spikes AS (
            SELECT account_id, string_agg(DISTINCT coalesce(n.topic_name, c.topic_id), ', ') AS spike_topics
            FROM cell_metrics c LEFT JOIN {topic_names_sql(con)} n USING (topic_id)
            WHERE c.spike GROUP BY account_id),
        top_action AS (
            SELECT x.account_id,
                   replace(x.kind, '_', ' ') || ': ' || coalesce(n.topic_name, x.topic_id)
                   || ' (+' || round(x.gain_pts, 1) || ' pts)' AS top_action
            FROM actions x LEFT JOIN {topic_names_sql(con)} n USING (topic_id)
            WHERE x.rank = 1),
        base AS (
            SELECT a.account_id, coalesce(a.name, a.account_id) AS name, a.vertical, a.csm,
                   a.arr_usd, a.renewal_date, m.automation_rate, p.potential, p.gap_pts,
                   t.trend, m.conversations, m.automation_rate_change_pts, s.spike_topics,
                   ta.top_action,
                   coalesce(p.gap_pts, 0) * coalesce(a.arr_usd, 0) / 100 AS value_at_stake
            FROM accounts a
            LEFT JOIN account_metrics m USING (account_id)
            LEFT JOIN potential p USING (account_id)
            LEFT JOIN trend t USING (account_id)
            LEFT JOIN spikes s USING (account_id)
            LEFT JOIN top_action ta USING (account_id)
            WHERE (? IS NULL OR a.csm = ?)
              AND (? IS NULL OR a.name ILIKE ? OR a.account_id ILIKE ? OR a.vertical ILIKE ?)),
        flagged AS (
            SELECT *, concat_ws('; ',
                CASE WHEN row_number() OVER (ORDER BY value_at_stake DESC) <= 3 AND gap_pts >= 10
                     THEN 'big gap on high ARR (' || round(gap_pts) || ' pts)' END,
                CASE WHEN automation_rate_change_pts <= -3
                     THEN 'automation falling (' || round(automation_rate_change_pts, 1) || ' pts)' END,
                CASE WHEN spike_topics IS NOT NULL THEN 'spike: ' || spike_topics END
            ) AS look_first
            FROM base)
        SELECT * REPLACE (nullif(look_first, '') AS look_first) FROM flagged
        ORDER BY (look_first <> '') DESC, value_at_stake DESC
        """,
        [csm, csm, pattern, pattern, pattern, pattern],
    )
