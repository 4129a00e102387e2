"""The Topics page: portfolio type share, topic demand, growth and unautomated volume."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

import duckdb

from cockpit.queries.common import fetch_frame, fetch_rows, topic_names_sql, vertical_clause

TOP_TOPICS = 8  # lines on the demand chart: more than Tableau-10's colours blur together
# A week with less than half the median weekly volume is a partial week (the data's first or
# last days), left off the demand chart so it does not read as a collapse.
PARTIAL_WEEK_SHARE = 0.5

if TYPE_CHECKING:
    import pandas as pd


def _scope(vertical: str | None, account_ids) -> tuple[str, list]:
    """Rows of one vertical and/or one CSM's accounts (None: no filter)."""
    where, params = vertical_clause(vertical)
    if account_ids is not None:
        where += " AND account_id IN (SELECT unnest(?::VARCHAR[]))"
        params = [*params, list(account_ids)]
    return where, params


def portfolio_type_share(
    con: duckdb.DuckDBPyConnection,
    vertical: str | None = None,
    weeks: int = 4,
    account_ids: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Conversations and AI-resolved share by automation type over the last `weeks` weeks."""
    where, params = _scope(vertical, account_ids)
    return fetch_frame(
        con,
        f"""
        SELECT automation_type, sum(conversations) AS conversations,
               sum(ai_resolved) AS ai_resolved,
               sum(ai_resolved) / nullif(sum(conversations), 0) AS ai_resolved_share,
               sum(conversations) / sum(sum(conversations)) OVER () AS share
        FROM topic_weekly
        WHERE {where} AND week > (SELECT max(week) FROM topic_weekly) - INTERVAL ({int(weeks)} * 7) DAY
        GROUP BY automation_type ORDER BY automation_type
        """,
        params,
    )


def topic_demand(
    con: duckdb.DuckDBPyConnection,
    vertical: str | None = None,
    account_ids: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Weekly conversations per topic across the portfolio (or one vertical)."""
    where, params = _scope(vertical, account_ids)
    return fetch_frame(
        con,
        f"""
        SELECT t.week, t.topic_id, coalesce(n.topic_name, t.topic_id) AS topic,
               sum(t.conversations) AS conversations, sum(t.ai_resolved) AS ai_resolved
        FROM topic_weekly t LEFT JOIN {topic_names_sql(con)} n USING (topic_id)
        WHERE {where} GROUP BY ALL ORDER BY t.week, topic
        """,
        params,
    )


def topic_growth(
    con: duckdb.DuckDBPyConnection,
    vertical: str | None = None,
    weeks: int = 4,
    limit: int = 10,
    account_ids: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Topics whose volume grew fastest: last `weeks` weeks against the `weeks` before."""
    where, params = _scope(vertical, account_ids)
    return fetch_frame(
        con,
        f"""
        WITH last AS (SELECT max(week) AS w FROM topic_weekly),
        agg AS (
            SELECT t.topic_id,
                   sum(conversations) FILTER (WHERE week > last.w - INTERVAL ({int(weeks)} * 7) DAY) AS recent,
                   sum(conversations) FILTER (WHERE week <= last.w - INTERVAL ({int(weeks)} * 7) DAY
                       AND week > last.w - INTERVAL ({2 * int(weeks)} * 7) DAY) AS previous
            FROM topic_weekly t, last WHERE {where} GROUP BY t.topic_id)
        SELECT a.topic_id, coalesce(n.topic_name, a.topic_id) AS topic, a.recent, a.previous,
               a.recent - a.previous AS change, (a.recent / nullif(a.previous, 0) - 1) AS growth
        FROM agg a LEFT JOIN {topic_names_sql(con)} n USING (topic_id)
        WHERE a.previous > 0 ORDER BY growth DESC NULLS LAST LIMIT {int(limit)}
        """,
        params,
    )


def topic_unautomated(
    con: duckdb.DuckDBPyConnection,
    vertical: str | None = None,
    weeks: int = 4,
    limit: int = 15,
    account_ids: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Cells (type × topic) holding the most conversations the AI did not resolve."""
    where, params = _scope(vertical, account_ids)
    return fetch_frame(
        con,
        f"""
        SELECT t.automation_type, t.topic_id, coalesce(n.topic_name, t.topic_id) AS topic,
               sum(t.conversations) AS conversations,
               sum(t.conversations) - sum(t.ai_resolved) AS unautomated,
               sum(t.ai_resolved) / nullif(sum(t.conversations), 0) AS ai_resolved_share
        FROM topic_weekly t LEFT JOIN {topic_names_sql(con)} n USING (topic_id)
        WHERE {where} AND t.topic_id <> 'other'
          AND t.week > (SELECT max(week) FROM topic_weekly) - INTERVAL ({int(weeks)} * 7) DAY
        GROUP BY ALL ORDER BY unautomated DESC LIMIT {int(limit)}
        """,
        params,
    )


def topic_demand_top(
    con: duckdb.DuckDBPyConnection,
    vertical: str | None = None,
    account_ids: tuple[str, ...] | None = None,
    top: int = TOP_TOPICS,
) -> tuple[pd.DataFrame, list[str]]:
    """Weekly conversations of the `top` busiest topics, full weeks only; and their names in order.

    Rows: week, topic_id, topic, conversations. Partial weeks (see `PARTIAL_WEEK_SHARE`) are
    left out; a "rest" band is not drawn because it would dwarf the lines.
    """
    demand = topic_demand(con, vertical, account_ids)
    if demand.empty:
        return demand.assign(conversations=demand.get("conversations")), []
    totals = demand.groupby(["topic_id", "topic"])["conversations"].sum().nlargest(top)
    ids = [t for t, _ in totals.index]
    names = [n for _, n in totals.index]
    demand = demand[demand["topic_id"].isin(ids)]
    demand = demand.groupby(["week", "topic_id", "topic"], as_index=False)["conversations"].sum()
    weekly_total = demand.groupby("week")["conversations"].sum()
    full = weekly_total[weekly_total >= PARTIAL_WEEK_SHARE * weekly_total.median()].index
    return demand[demand["week"].isin(full)].reset_index(drop=True), names


class TopicWindow(NamedTuple):
    """The days the Topics tables count: `start` (a Monday) to `end` (the last day with data);
    `partial` when the last week stops before its Sunday (the data ends mid-week)."""

    start: date | None
    end: date | None
    partial: bool


def topic_window(con: duckdb.DuckDBPyConnection, weeks: int = 4) -> TopicWindow:
    """First and last day of the last `weeks` weeks the Topics tables count (Monday to Sunday),
    the end clamped to the last conversation's day so the label never runs past the data."""
    last, newest = fetch_rows(
        con,
        "SELECT (SELECT max(week)::DATE FROM topic_weekly), "
        "(SELECT max(created_at)::DATE FROM conversations)",
    )[0]
    if last is None:
        return TopicWindow(None, None, False)
    sunday = last + timedelta(days=6)
    end = min(sunday, newest) if newest is not None else sunday
    return TopicWindow(last - timedelta(weeks=weeks - 1), end, end < sunday)
