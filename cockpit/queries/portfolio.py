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


def account_labels(con: duckdb.DuckDBPyConnection, csm: str | None = None) -> dict[str, str]:
    """account_id → "name · id · vertical" for the picker: two accounts may share a name."""
    from cockpit.brief import vertical_label

    rows = fetch_rows(
        con,
        "SELECT account_id, coalesce(name, account_id), vertical FROM accounts "
        "WHERE ? IS NULL OR csm = ? ORDER BY 2, 1",
        [csm, csm],
    )
    return {i: f"{n} · {i} · {vertical_label(v)}" for i, n, v in rows}


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
    """One row per account in the book; `look_first` holds the fired parts of flagged accounts.

    `automation_rate` is the potential's own window (so gap = potential − automation_rate on
    every row); `automation_rate_window` is the metric window's rate. The flag and its parts come from the `priority` table the score step writes (per CSM book,
    never relative to the search or filter shown); `reasons` lists the fired parts of every
    account, flagged or not.
    """
    pattern = f"%{search.strip()}%" if search and search.strip() else None
    has_priority = exists(con, "priority")
    look = (
        "CASE WHEN pr.look_first THEN array_to_string(pr.reasons, '; ') END"
        if has_priority
        else "NULL::VARCHAR"
    )
    reasons = "pr.reasons" if has_priority else "NULL::VARCHAR[]"
    score = "pr.score" if has_priority else "NULL::DOUBLE"
    join = "LEFT JOIN priority pr USING (account_id)" if has_priority else ""
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
        top_action AS (
            SELECT x.account_id,
                   replace(x.kind, '_', ' ') || ': ' || coalesce(n.topic_name, x.topic_id)
                   || ' (+' || round(x.gain_pts, 1) || ' pts)' AS top_action
            FROM actions x LEFT JOIN {topic_names_sql(con)} n USING (topic_id)
            WHERE x.rank = 1)
        SELECT a.account_id, coalesce(a.name, a.account_id) AS name, a.vertical, a.csm,
               a.arr_usd, a.renewal_date, p.automation_rate, p.potential, p.gap_pts,
               m.automation_rate AS automation_rate_window,
               t.trend, m.conversations, m.automation_rate_change_pts, ta.top_action,
               {look} AS look_first, {reasons} AS reasons, {score} AS priority_score
        FROM accounts a
        LEFT JOIN account_metrics m USING (account_id)
        LEFT JOIN potential p USING (account_id)
        LEFT JOIN trend t USING (account_id)
        LEFT JOIN top_action ta USING (account_id)
        {join}
        WHERE (? IS NULL OR a.csm = ?)
          AND (? IS NULL OR a.name ILIKE ? OR a.account_id ILIKE ? OR a.vertical ILIKE ?)
        ORDER BY (look_first IS NOT NULL) DESC, priority_score DESC NULLS LAST, a.arr_usd DESC
        """,
        [csm, csm, pattern, pattern, pattern, pattern],
    )
