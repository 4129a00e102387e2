"""The Account page: summary, weekly trend, cells, type mix, top issues, actions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from cockpit.errors import UnknownAccountError
from cockpit.queries.common import fetch_frame, isna, topic_names_sql

if TYPE_CHECKING:
    import pandas as pd


def account_summary(con: duckdb.DuckDBPyConnection, account_id: str) -> dict:
    """Who the account is plus its current-window metrics, changes, percentiles and potential."""
    df = fetch_frame(
        con,
        """
        SELECT a.*, m.* EXCLUDE (account_id),
               p.potential, p.low AS potential_low, p.high AS potential_high, p.gap_pts,
               p.method AS potential_method, p.automation_rate AS potential_rate_today,
               p.window_days AS potential_window_days
        FROM accounts a
        LEFT JOIN account_metrics m USING (account_id)
        LEFT JOIN potential p USING (account_id)
        WHERE a.account_id = ?
        """,
        [account_id],
    )
    if df.empty:
        raise UnknownAccountError(account_id)
    return {k: (None if isna(v) else v) for k, v in df.iloc[0].to_dict().items()}


def account_weekly(con: duckdb.DuckDBPyConnection, account_id: str) -> pd.DataFrame:
    """Weekly automation, involvement and volume, with the account's potential band.

    The band (potential, potential_low, potential_high) is set only on the weeks inside the
    window the potential was computed over (its `window_days` up to the metrics' as-of): today's
    potential is not a statement about last spring.
    """
    return fetch_frame(
        con,
        """
        WITH p AS (
            SELECT p.*, m.as_of - CAST(coalesce(p.window_days, 90) - 1 AS INTEGER) AS since
            FROM potential p LEFT JOIN account_metrics m USING (account_id)
            WHERE p.account_id = ?
        )
        SELECT w.week, w.conversations, w.automation_rate, w.involvement_rate,
               w.ai_resolution_rate,
               CASE WHEN CAST(w.week AS DATE) + 6 >= p.since THEN p.potential END AS potential,
               CASE WHEN CAST(w.week AS DATE) + 6 >= p.since THEN p.low END AS potential_low,
               CASE WHEN CAST(w.week AS DATE) + 6 >= p.since THEN p.high END AS potential_high
        FROM weekly_metrics w LEFT JOIN p USING (account_id)
        WHERE w.account_id = ? ORDER BY w.week
        """,
        [account_id, account_id],
    )


def account_cells(con: duckdb.DuckDBPyConnection, account_id: str) -> pd.DataFrame:
    """The account's (automation type × topic) cells in the current window."""
    return fetch_frame(
        con,
        f"""
        SELECT c.automation_type, c.topic_id, coalesce(n.topic_name, c.topic_id) AS topic,
               c.conversations, c.ai_resolved, c.automation_rate, c.share, c.trend_pts, c.spike
        FROM cell_metrics c LEFT JOIN {topic_names_sql(con)} n USING (topic_id)
        WHERE c.account_id = ? ORDER BY c.conversations DESC
        """,
        [account_id],
    )


def account_type_mix(con: duckdb.DuckDBPyConnection, account_id: str) -> pd.DataFrame:
    """Volume and automation by automation type (current window)."""
    return fetch_frame(
        con,
        """
        SELECT automation_type, sum(conversations) AS conversations,
               sum(ai_resolved) AS ai_resolved,
               sum(ai_resolved) / nullif(sum(known_outcome), 0) AS automation_rate,
               sum(conversations) / sum(sum(conversations)) OVER () AS share
        FROM cell_metrics WHERE account_id = ? GROUP BY automation_type ORDER BY automation_type
        """,
        [account_id],
    )


def account_top_issues(con: duckdb.DuckDBPyConnection, account_id: str) -> pd.DataFrame:
    """Ranked top issues of the account."""
    return fetch_frame(
        con,
        "SELECT * EXCLUDE (account_id) FROM top_issues WHERE account_id = ? ORDER BY rank",
        [account_id],
    )


def account_actions(con: duckdb.DuckDBPyConnection, account_id: str) -> pd.DataFrame:
    """Ranked next best actions of the account, with the topic's display name."""
    return fetch_frame(
        con,
        f"""
        SELECT x.* EXCLUDE (account_id), coalesce(n.topic_name, x.topic_id) AS topic
        FROM actions x LEFT JOIN {topic_names_sql(con)} n USING (topic_id)
        WHERE x.account_id = ? ORDER BY x.rank
        """,
        [account_id],
    )


def account_vertical(con: duckdb.DuckDBPyConnection, account_id: str) -> str | None:
    """The account's vertical (None when unknown or unset)."""
    from cockpit.queries.common import fetch_rows

    rows = fetch_rows(con, "SELECT vertical FROM accounts WHERE account_id = ?", [account_id])
    return rows[0][0] if rows else None


def account_window(con: duckdb.DuckDBPyConnection, account_id: str | None = None):
    """(first day, last day) of the metric window behind the account's rates and top issues.

    Without an account: the window of the store's metrics (they share one as-of and length).
    """
    from datetime import timedelta

    from cockpit.queries.common import fetch_rows

    rows = fetch_rows(
        con,
        "SELECT max(as_of), max(window_days) FROM account_metrics "
        "WHERE ? IS NULL OR account_id = ?",
        [account_id, account_id],
    )
    as_of, days = rows[0] if rows else (None, None)
    if as_of is None or days is None:
        return None, None
    return as_of - timedelta(days=int(days) - 1), as_of


# Cells shown beside the potential: the few that carry most of the gap (the rest is in --json).
TOP_CONTRIBUTIONS = 5


def contributions_sql(con: duckdb.DuckDBPyConnection) -> str:
    """The cells adding to an account's potential (one `?`: the account id), largest first,
    with topic display names: shared by the Account page and `cockpit account ID --json`."""
    return f"""
        SELECT c.topic_id, coalesce(n.topic_name, c.topic_id) AS topic, c.automation_type,
               c.share, c.current_rate, c.target_rate, c.enabler, c.enabler_live,
               c.contribution_pts
        FROM potential_contributions c LEFT JOIN {topic_names_sql(con)} n USING (topic_id)
        WHERE c.account_id = ? AND c.contribution_pts > 0
        ORDER BY c.contribution_pts DESC, c.topic_id, c.automation_type
        """


def account_contributions(
    con: duckdb.DuckDBPyConnection, account_id: str, top: int = TOP_CONTRIBUTIONS
) -> pd.DataFrame:
    """The cells adding most to the potential (contribution_pts > 0, largest first): the first
    `top` rows of `cockpit account ID --json` → potential.contributions."""
    return fetch_frame(con, contributions_sql(con) + "LIMIT ?", [account_id, top])
