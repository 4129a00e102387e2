"""The Topics page: portfolio type share, topic demand, growth and unautomated volume."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from cockpit.queries.common import fetch_frame, topic_names_sql, vertical_clause

if TYPE_CHECKING:
    import pandas as pd


def portfolio_type_share(
    con: duckdb.DuckDBPyConnection, vertical: str | None = None, weeks: int = 4
) -> pd.DataFrame:
    """Conversations and AI-resolved share by automation type over the last `weeks` weeks."""
    where, params = vertical_clause(vertical)
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


def topic_demand(con: duckdb.DuckDBPyConnection, vertical: str | None = None) -> pd.DataFrame:
    """Weekly conversations per topic across the portfolio (or one vertical)."""
    where, params = vertical_clause(vertical)
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
    con: duckdb.DuckDBPyConnection, vertical: str | None = None, weeks: int = 4, limit: int = 10
) -> pd.DataFrame:
    """Topics whose volume grew fastest: last `weeks` weeks against the `weeks` before."""
    where, params = vertical_clause(vertical)
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
    con: duckdb.DuckDBPyConnection, vertical: str | None = None, weeks: int = 4, limit: int = 15
) -> pd.DataFrame:
    """Cells (type × topic) holding the most conversations the AI did not resolve."""
    where, params = vertical_clause(vertical)
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
