"""Accounts for the CLI (`cockpit accounts`, `cockpit account ID`) and the backtest track record."""

from __future__ import annotations

from typing import TYPE_CHECKING

import duckdb

from cockpit.errors import UnknownAccountError
from cockpit.queries.account import contributions_sql
from cockpit.queries.common import exists, fetch_frame, fetch_records, need

if TYPE_CHECKING:
    import pandas as pd


ACCOUNT_TOP_N = 5


def accounts_list(con: duckdb.DuckDBPyConnection, csm: str | None = None) -> list[dict]:
    """Rows of `cockpit accounts`: account_id, name, vertical, csm, conversations (current
    window), automation_rate, potential, gap_pts — largest gap first."""
    need(con, "accounts", "account_metrics", "potential")
    return fetch_records(
        con,
        """
        SELECT a.account_id, coalesce(a.name, a.account_id) AS name, a.vertical, a.csm,
               coalesce(m.conversations, 0) AS conversations, m.automation_rate,
               p.potential, p.gap_pts
        FROM accounts a
        LEFT JOIN account_metrics m USING (account_id)
        LEFT JOIN potential p USING (account_id)
        WHERE ? IS NULL OR a.csm = ?
        ORDER BY p.gap_pts DESC NULLS LAST, a.account_id
        """,
        [csm, csm],
    )


def account_report(
    con: duckdb.DuckDBPyConnection, account_id: str, top: int = ACCOUNT_TOP_N
) -> dict:
    """Everything `cockpit account ID` shows, as plain JSON-ready data (rates are fractions).

    Raises UnknownAccountError when the id is not in `accounts`.
    """
    need(con, "accounts")
    head = fetch_records(
        con,
        "SELECT account_id, coalesce(name, account_id) AS name, vertical, csm FROM accounts "
        "WHERE account_id = ?",
        [account_id],
    )
    if not head:
        raise UnknownAccountError(account_id)
    need(con, "account_metrics", "potential", "potential_contributions", "cell_metrics",
          "top_issues", "actions")  # fmt: skip
    out = head[0]
    m = fetch_records(con, "SELECT * FROM account_metrics WHERE account_id = ?", [account_id])
    mrow = m[0] if m else {}
    out["as_of"] = mrow.get("as_of")
    out["performance"] = {
        "window_days": mrow.get("window_days"),
        "conversations": mrow.get("conversations", 0),
        "involvement_rate": mrow.get("involvement_rate"),
        "ai_resolution_rate": mrow.get("ai_resolution_rate"),
        "automation_rate": mrow.get("automation_rate"),
        "automation_rate_change_pts": mrow.get("automation_rate_change_pts"),
        "csat_ai": mrow.get("csat_ai"),
        "csat_human": mrow.get("csat_human"),
        "median_handle_time_minutes": mrow.get("handle_time_median_min"),
    }
    p = fetch_records(con, "SELECT * FROM potential WHERE account_id = ?", [account_id])
    contributions = fetch_records(con, contributions_sql(con), [account_id])
    prow = p[0] if p else {}
    out["potential"] = {
        "automation_rate": prow.get("potential"),
        "low": prow.get("low"),
        "high": prow.get("high"),
        "gap_pts": prow.get("gap_pts"),
        "method": prow.get("method"),
        # gap_pts = automation_rate − rate_today exactly, both over the same `window_days`
        "rate_today": prow.get("automation_rate"),
        "window_days": prow.get("window_days"),
        "floored": prow.get("floored"),
        "contributions": contributions,
    }
    out["mix"] = fetch_records(
        con,
        """
            SELECT automation_type, sum(conversations) / sum(sum(conversations)) OVER () AS share
            FROM cell_metrics WHERE account_id = ? GROUP BY automation_type
            ORDER BY share DESC, automation_type
            """,
        [account_id],
    )
    out["top_issues"] = fetch_records(
        con,
        """
            SELECT topic_id, topic, automation_type, conversations, automation_rate,
                   benchmark_rate, trend_pts, spike, example_conversation_ids,
                   coalesce(thin_evidence, false) AS thin_evidence
            FROM top_issues WHERE account_id = ? ORDER BY rank LIMIT ?
            """,
        [account_id, int(top)],
    )
    out["next_best_actions"] = fetch_records(
        con,
        """
            SELECT rank, kind, topic_id, automation_type, extra_ai_resolved_per_month, gain_pts,
                   hours_saved_per_month, confidence, rationale, evidence_conversation_ids
            FROM actions WHERE account_id = ? ORDER BY rank LIMIT ?
            """,
        [account_id, int(top)],
    )
    return out


def backtest_history(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored backtest run (the potential's track record), newest first."""
    import pandas as pd

    if not exists(con, "backtest_runs"):
        return pd.DataFrame()
    return fetch_frame(con, "SELECT * FROM backtest_runs ORDER BY created_at DESC")
