"""Emerging topics: clusters of what the taxonomy could not place (cockpit.discovery).

Read by `cockpit topics emerging`, the Topics page's "Emerging topics" section and the Account
page's fast-growth note. Tables: `emerging_topics`, `emerging_points` (pipelines/discover.py).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import duckdb

from cockpit.errors import UnknownAccountError
from cockpit.queries.common import exists, fetch_frame, fetch_records, fetch_rows, topic_names_sql

if TYPE_CHECKING:
    import pandas as pd

EMERGING_WINDOW_DAYS = 28  # the metrics' window: "conversations" and trend_pts use it too
# "Grows fast" on the Account page: the account's last 28 days hold at least this many of the
# cluster's conversations and at least twice the 28 days before (a doubling is what a CSM should
# hear about; fewer than 10 conversations is a handful of tickets, not a trend).
EMERGING_ALERT_MIN = 10
EMERGING_ALERT_GROWTH = 2.0


def _emerging_sql(account_id: str | None, names: str, where: str = "e.shown") -> tuple[str, list]:
    """One row per cluster: members (in the account, if given), accounts, 28-day windows.
    `names`: a (topic_id, topic_name) subquery (`topic_names_sql`)."""
    acc = "(?::VARCHAR IS NULL OR c.account_id = ?::VARCHAR)"
    return (
        f"""
        WITH latest AS (SELECT max(created_at)::DATE AS d FROM conversations),
        m AS (
            SELECT p.cluster_id, c.conversation_id, c.account_id,
                   c.created_at >= latest.d - INTERVAL {EMERGING_WINDOW_DAYS - 1} DAY AS recent,
                   c.created_at >= latest.d - INTERVAL {2 * EMERGING_WINDOW_DAYS - 1} DAY
                       AND c.created_at < latest.d - INTERVAL {EMERGING_WINDOW_DAYS - 1} DAY
                       AS previous
            FROM emerging_points p JOIN conversations c USING (conversation_id), latest
            WHERE p.cluster_id IS NOT NULL AND {acc}),
        base AS (
            SELECT coalesce(a.vertical, 'other') AS vertical, c.account_id,
                   count(*) FILTER (WHERE c.created_at >= latest.d - INTERVAL {EMERGING_WINDOW_DAYS - 1} DAY) AS recent,
                   count(*) FILTER (WHERE c.created_at >= latest.d - INTERVAL {2 * EMERGING_WINDOW_DAYS - 1} DAY
                                    AND c.created_at < latest.d - INTERVAL {EMERGING_WINDOW_DAYS - 1} DAY) AS previous
            FROM conversations c LEFT JOIN accounts a USING (account_id), latest
            WHERE {acc} GROUP BY ALL),
        tagged AS (  -- the topic most members carry now (novelty candidates keep their tag)
            SELECT cluster_id, arg_max(topic_id, n) AS tagged_as, max(n) AS tagged_n
            FROM (SELECT m.cluster_id, t.topic_id, count(*) AS n
                  FROM m JOIN tags t USING (conversation_id) GROUP BY ALL)
            GROUP BY cluster_id),
        agg AS (
            SELECT cluster_id, count(*) AS conversations, count(DISTINCT account_id) AS accounts,
                   count(*) FILTER (WHERE recent) AS recent, count(*) FILTER (WHERE previous) AS previous,
                   list(conversation_id ORDER BY conversation_id) AS conversation_ids
            FROM m GROUP BY cluster_id)
        SELECT e.cluster_id AS id, e.name, e.likely_type, g.conversations, g.accounts,
               e.first_seen::DATE AS first_seen,
               round(100 * (g.recent / nullif((SELECT sum(b.recent) FROM base b WHERE b.vertical = e.vertical
                             AND (e.account_id IS NULL OR b.account_id = e.account_id)), 0)
                          - coalesce(g.previous / nullif((SELECT sum(b.previous) FROM base b WHERE b.vertical = e.vertical
                             AND (e.account_id IS NULL OR b.account_id = e.account_id)), 0), 0)), 2) AS trend_pts,
               e.example_conversation_ids, g.conversation_ids, e.scope, e.vertical, e.terms,
               e.type_confidence, e.status, g.recent, g.previous, tg.tagged_as,
               coalesce(tn.topic_name, tg.tagged_as) AS tagged_as_name,
               round(tg.tagged_n / g.conversations, 3) AS tagged_share
        FROM emerging_topics e JOIN agg g USING (cluster_id) LEFT JOIN tagged tg USING (cluster_id)
             LEFT JOIN {names} tn ON tn.topic_id = tg.tagged_as
        WHERE {where}
        ORDER BY g.conversations DESC, e.cluster_id
        """,
        [account_id, account_id, account_id, account_id],
    )  # fmt: skip


def emerging_topics(
    con: duckdb.DuckDBPyConnection,
    account_id: str | None = None,
    vertical: str | None = None,
    exclude: Collection[str] = (),
) -> list[dict]:
    """Shown emerging topics, largest first (`cockpit topics emerging`, the Topics page).

    Keys: id, name, likely_type, conversations, accounts, first_seen, trend_pts (share of the
    scope's conversations in the last 28 days minus the 28 before, in points),
    example_conversation_ids (5 most central), conversation_ids (every member), plus scope,
    vertical, terms, type_confidence, recent and previous (members in each 28-day window),
    tagged_as, tagged_as_name and tagged_share (the topic most members are tagged with now, its
    display name and their share, `other` included:
    a cluster mostly tagged with a known topic is a part of it its examples miss). With
    `account_id`, counts, trend and examples cover that account's conversations only.
    `exclude`: cluster ids to leave out (decided since the last refresh, see
    `cockpit.discovery.decisions.decided_clusters`).
    """
    if not exists(con, "emerging_topics"):
        return []
    if account_id is not None:
        _known_account(con, account_id)
    sql, params = _emerging_sql(account_id, topic_names_sql(con))
    rows = fetch_records(con, sql, params)
    rows = [
        r for r in rows if (not vertical or r["vertical"] == vertical) and r["id"] not in exclude
    ]
    from cockpit.discovery import SHOWN_EXAMPLES

    for r in rows:
        members = set(r["conversation_ids"])
        r["example_conversation_ids"] = [i for i in r["example_conversation_ids"] if i in members][
            :SHOWN_EXAMPLES
        ]
    return rows


def _known_account(con: duckdb.DuckDBPyConnection, account_id: str) -> None:
    if not fetch_rows(con, "SELECT 1 FROM accounts WHERE account_id = ?", [account_id]):
        raise UnknownAccountError(account_id)


def emerging_accounts(con: duckdb.DuckDBPyConnection, cluster_id: str) -> list[tuple[str, str]]:
    """(account_id, name) of the accounts with members in a cluster, most members first."""
    return fetch_rows(
        con,
        """SELECT c.account_id, coalesce(a.name, c.account_id) FROM emerging_points p
           JOIN conversations c USING (conversation_id) LEFT JOIN accounts a USING (account_id)
           WHERE p.cluster_id = ? GROUP BY ALL ORDER BY count(*) DESC, 1""",
        [cluster_id],
    )


def emerging_topic(con: duckdb.DuckDBPyConnection, cluster_id: str) -> dict:
    """One stored cluster, whatever its status (for promote and dismiss); CockpitError if unknown."""
    from cockpit.errors import CockpitError

    if exists(con, "emerging_topics"):
        rows = fetch_records(
            con,
            "SELECT cluster_id, vertical, scope, account_id, status, name, terms, likely_type, "
            "size, example_conversation_ids, merged_into, promoted_topic_id, shown "
            "FROM emerging_topics WHERE cluster_id = ?",
            [cluster_id],
        )
        if rows:
            return rows[0]
    raise CockpitError(
        f"no emerging topic '{cluster_id}'; list them with `cockpit topics emerging`."
    )


def emerging_weekly(
    con: duckdb.DuckDBPyConnection, cluster_ids: list[str], account_id: str | None = None
) -> pd.DataFrame:
    """Weekly member conversations (week, cluster_id, conversations) of the given clusters."""
    return fetch_frame(
        con,
        """
        SELECT date_trunc('week', c.created_at)::DATE AS week, p.cluster_id,
               count(*) AS conversations
        FROM emerging_points p JOIN conversations c USING (conversation_id)
        WHERE p.cluster_id IN (SELECT unnest(?::VARCHAR[]))
          AND (?::VARCHAR IS NULL OR c.account_id = ?::VARCHAR)
        GROUP BY ALL ORDER BY week, p.cluster_id
        """,
        [list(cluster_ids), account_id, account_id],
    )


def account_emerging_alerts(
    con: duckdb.DuckDBPyConnection, account_id: str, exclude: Collection[str] = ()
) -> list[dict]:
    """The account's shown emerging topics that grow fast in it (see EMERGING_ALERT_*)."""
    if not exists(con, "emerging_topics"):
        return []
    return [
        r
        for r in emerging_topics(con, account_id, exclude=exclude)
        if r["recent"] >= EMERGING_ALERT_MIN
        and r["recent"] >= EMERGING_ALERT_GROWTH * (r["previous"] or 0)
    ]
