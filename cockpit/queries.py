"""Named read queries used by the CLI and the pages (no SQL anywhere else that reads for display)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from cockpit.errors import UnknownAccountError

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported inside the functions that build DataFrames: the CLI's `accounts` /
# `account` path never needs it, and importing it costs most of a `cockpit account` call.

# --- scoring queries (owner: metrics) ----------------------------------------------------------
# Read-only, precomputed: `cockpit accounts`, `cockpit account ID` and the backtest track record.

ACCOUNT_TOP_N = 5


def _clean(value):
    """JSON-safe Python value of a fetched cell: NaN → None, dates → ISO dates, lists cleaned."""
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    return value


def _dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    """Rows as JSON-ready dicts, straight from fetchall() (no pandas)."""
    cur = con.execute(sql, params or [])
    rows = cur.fetchall()
    names = [d[0] for d in cur.description]
    return [{k: _clean(v) for k, v in zip(names, row, strict=True)} for row in rows]


def _need(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    from cockpit.errors import NoDataError

    missing = [n for n in names if not _exists(con, n)]
    if missing:
        raise NoDataError(f"Scores are missing (no table {', '.join(missing)})")


def accounts_list(con: duckdb.DuckDBPyConnection, csm: str | None = None) -> list[dict]:
    """Rows of `cockpit accounts`: account_id, name, vertical, csm, conversations (current
    window), automation_rate, potential, gap_pts — largest gap first."""
    _need(con, "accounts", "account_metrics", "potential")
    return _dicts(
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
    _need(con, "accounts")
    head = _dicts(
        con,
        "SELECT account_id, coalesce(name, account_id) AS name, vertical, csm FROM accounts "
        "WHERE account_id = ?",
        [account_id],
    )
    if not head:
        raise UnknownAccountError(account_id)
    _need(con, "account_metrics", "potential", "potential_contributions", "cell_metrics",
          "top_issues", "actions")  # fmt: skip
    out = head[0]
    m = _dicts(con, "SELECT * FROM account_metrics WHERE account_id = ?", [account_id])
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
    p = _dicts(con, "SELECT * FROM potential WHERE account_id = ?", [account_id])
    contributions = _dicts(
        con,
        f"""
            SELECT c.topic_id, coalesce(n.topic_name, c.topic_id) AS topic, c.automation_type,
                   c.share, c.current_rate, c.target_rate, c.enabler, c.enabler_live,
                   c.contribution_pts
            FROM potential_contributions c LEFT JOIN {_topic_names_sql(con)} n USING (topic_id)
            WHERE c.account_id = ? AND c.contribution_pts > 0
            ORDER BY c.contribution_pts DESC, c.topic_id, c.automation_type
            """,
        [account_id],
    )
    prow = p[0] if p else {}
    out["potential"] = {
        "automation_rate": prow.get("potential"),
        "low": prow.get("low"),
        "high": prow.get("high"),
        "gap_pts": prow.get("gap_pts"),
        "method": prow.get("method"),
        "contributions": contributions,
    }
    out["mix"] = _dicts(
        con,
        """
            SELECT automation_type, sum(conversations) / sum(sum(conversations)) OVER () AS share
            FROM cell_metrics WHERE account_id = ? GROUP BY automation_type
            ORDER BY share DESC, automation_type
            """,
        [account_id],
    )
    out["top_issues"] = _dicts(
        con,
        """
            SELECT topic_id, topic, automation_type, conversations, automation_rate,
                   benchmark_rate, trend_pts, spike, example_conversation_ids
            FROM top_issues WHERE account_id = ? ORDER BY rank LIMIT ?
            """,
        [account_id, int(top)],
    )
    out["next_best_actions"] = _dicts(
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

    if not _exists(con, "backtest_runs"):
        return pd.DataFrame()
    return _df(con, "SELECT * FROM backtest_runs ORDER BY created_at DESC")


# --- page queries (owner: app) -----------------------------------------------------------------
# Named read queries behind the Streamlit pages. Each takes a read-only connection (a cursor of
# `store.read_only`) and returns plain Python or a DataFrame; pages never hold SQL. Everything
# here reads precomputed tables, so every call is a few milliseconds on the demo workspace.

PAGE_SIZE = 50
# Derived tables each page needs; a page lists the missing ones and shows what to run.
PAGE_TABLES = {
    "portfolio": ("account_metrics", "potential", "weekly_metrics", "cell_metrics", "actions"),
    "account": ("account_metrics", "potential", "weekly_metrics", "cell_metrics", "top_issues", "actions"),
    "topics": ("topic_weekly",),
    "conversations": ("tags",),
    "brief": ("account_metrics", "potential", "cell_metrics", "top_issues", "actions"),
    "data_health": (),
}  # fmt: skip


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    # fetchall, never fetchone: DuckDB 2 refuses new work on a cursor with an unfinished result.
    return con.execute(sql, params or []).fetchall()


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        _rows(
            con,
            "SELECT 1 FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database() "
            "UNION ALL SELECT 1 FROM duckdb_views() WHERE view_name = ? "
            "AND database_name = current_database()",
            [name, name],
        )
    )


def missing_tables(con: duckdb.DuckDBPyConnection, names: tuple[str, ...] | list[str]) -> list[str]:
    """The tables among `names` that the published database does not hold yet."""
    return [n for n in names if not _exists(con, n)]


def _topic_names_sql(con: duckdb.DuckDBPyConnection) -> str:
    """A subquery (topic_id, topic_name); empty when the tag step has not written the taxonomy."""
    if _exists(con, "taxonomy_topics"):
        return (
            "(SELECT topic_id, any_value(name ORDER BY account_id NULLS FIRST) AS topic_name "
            "FROM taxonomy_topics GROUP BY topic_id)"
        )
    return "(SELECT NULL::VARCHAR AS topic_id, NULL::VARCHAR AS topic_name WHERE false)"


def store_overview(con: duckdb.DuckDBPyConnection) -> dict:
    """Accounts held, data as-of date and the last successful and last run (for the sidebar)."""
    out = {"accounts": 0, "as_of": None, "last_success_at": None, "last_run_status": None}
    if not _exists(con, "accounts"):
        return out
    out["accounts"] = _rows(con, "SELECT count(*) FROM accounts")[0][0]
    if _exists(con, "meta"):
        row = _rows(con, "SELECT value FROM meta WHERE key = 'as_of'")
        out["as_of"] = date.fromisoformat(row[0][0][:10]) if row and row[0][0] else None
    if out["as_of"] is None and _exists(con, "account_metrics"):
        out["as_of"] = _rows(con, "SELECT max(as_of) FROM account_metrics")[0][0]
    if _exists(con, "runs"):
        out["last_success_at"] = _rows(
            con, "SELECT max(ended_at) FROM runs WHERE status = 'success'"
        )[0][0]
        last = _rows(con, "SELECT status FROM runs ORDER BY started_at DESC LIMIT 1")
        out["last_run_status"] = last[0][0] if last else None
    return out


def csm_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every CSM who owns at least one account, alphabetically."""
    return [
        r[0]
        for r in _rows(con, "SELECT DISTINCT csm FROM accounts WHERE csm IS NOT NULL ORDER BY 1")
    ]


def account_options(con: duckdb.DuckDBPyConnection, csm: str | None = None) -> dict[str, str]:
    """account_id → display name, for the CSM's book (all accounts when `csm` is None)."""
    rows = _rows(
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
        for r in _rows(
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
    return _df(
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
            FROM cell_metrics c LEFT JOIN {_topic_names_sql(con)} n USING (topic_id)
            WHERE c.spike GROUP BY account_id),
        top_action AS (
            SELECT x.account_id,
                   replace(x.kind, '_', ' ') || ': ' || coalesce(n.topic_name, x.topic_id)
                   || ' (+' || round(x.gain_pts, 1) || ' pts)' AS top_action
            FROM actions x LEFT JOIN {_topic_names_sql(con)} n USING (topic_id)
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


def account_summary(con: duckdb.DuckDBPyConnection, account_id: str) -> dict:
    """Who the account is plus its current-window metrics, changes, percentiles and potential."""
    df = _df(
        con,
        """
        SELECT a.*, m.* EXCLUDE (account_id),
               p.potential, p.low AS potential_low, p.high AS potential_high, p.gap_pts,
               p.method AS potential_method
        FROM accounts a
        LEFT JOIN account_metrics m USING (account_id)
        LEFT JOIN potential p USING (account_id)
        WHERE a.account_id = ?
        """,
        [account_id],
    )
    if df.empty:
        raise UnknownAccountError(account_id)
    return {k: (None if _isna(v) else v) for k, v in df.iloc[0].to_dict().items()}


def _isna(v) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def account_weekly(con: duckdb.DuckDBPyConnection, account_id: str) -> pd.DataFrame:
    """Weekly automation, involvement and volume, with the account's potential band."""
    return _df(
        con,
        """
        SELECT w.week, w.conversations, w.automation_rate, w.involvement_rate,
               w.ai_resolution_rate, p.potential, p.low AS potential_low, p.high AS potential_high
        FROM weekly_metrics w LEFT JOIN potential p USING (account_id)
        WHERE w.account_id = ? ORDER BY w.week
        """,
        [account_id],
    )


def account_cells(con: duckdb.DuckDBPyConnection, account_id: str) -> pd.DataFrame:
    """The account's (automation type × topic) cells in the current window."""
    return _df(
        con,
        f"""
        SELECT c.automation_type, c.topic_id, coalesce(n.topic_name, c.topic_id) AS topic,
               c.conversations, c.ai_resolved, c.automation_rate, c.share, c.trend_pts, c.spike
        FROM cell_metrics c LEFT JOIN {_topic_names_sql(con)} n USING (topic_id)
        WHERE c.account_id = ? ORDER BY c.conversations DESC
        """,
        [account_id],
    )


def account_type_mix(con: duckdb.DuckDBPyConnection, account_id: str) -> pd.DataFrame:
    """Volume and automation by automation type (current window)."""
    return _df(
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
    return _df(
        con,
        "SELECT * EXCLUDE (account_id) FROM top_issues WHERE account_id = ? ORDER BY rank",
        [account_id],
    )


def account_actions(con: duckdb.DuckDBPyConnection, account_id: str) -> pd.DataFrame:
    """Ranked next best actions of the account, with the topic's display name."""
    return _df(
        con,
        f"""
        SELECT x.* EXCLUDE (account_id), coalesce(n.topic_name, x.topic_id) AS topic
        FROM actions x LEFT JOIN {_topic_names_sql(con)} n USING (topic_id)
        WHERE x.account_id = ? ORDER BY x.rank
        """,
        [account_id],
    )


def _vertical_clause(vertical: str | None) -> tuple[str, list]:
    return "(? IS NULL OR vertical = ?)", [vertical, vertical]


def portfolio_type_share(
    con: duckdb.DuckDBPyConnection, vertical: str | None = None, weeks: int = 4
) -> pd.DataFrame:
    """Conversations and AI-resolved share by automation type over the last `weeks` weeks."""
    where, params = _vertical_clause(vertical)
    return _df(
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
    where, params = _vertical_clause(vertical)
    return _df(
        con,
        f"""
        SELECT t.week, t.topic_id, coalesce(n.topic_name, t.topic_id) AS topic,
               sum(t.conversations) AS conversations, sum(t.ai_resolved) AS ai_resolved
        FROM topic_weekly t LEFT JOIN {_topic_names_sql(con)} n USING (topic_id)
        WHERE {where} GROUP BY ALL ORDER BY t.week, topic
        """,
        params,
    )


def topic_growth(
    con: duckdb.DuckDBPyConnection, vertical: str | None = None, weeks: int = 4, limit: int = 10
) -> pd.DataFrame:
    """Topics whose volume grew fastest: last `weeks` weeks against the `weeks` before."""
    where, params = _vertical_clause(vertical)
    return _df(
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
        FROM agg a LEFT JOIN {_topic_names_sql(con)} n USING (topic_id)
        WHERE a.previous > 0 ORDER BY growth DESC NULLS LAST LIMIT {int(limit)}
        """,
        params,
    )


def topic_unautomated(
    con: duckdb.DuckDBPyConnection, vertical: str | None = None, weeks: int = 4, limit: int = 15
) -> pd.DataFrame:
    """Cells (type × topic) holding the most conversations the AI did not resolve."""
    where, params = _vertical_clause(vertical)
    return _df(
        con,
        f"""
        SELECT t.automation_type, t.topic_id, coalesce(n.topic_name, t.topic_id) AS topic,
               sum(t.conversations) AS conversations,
               sum(t.conversations) - sum(t.ai_resolved) AS unautomated,
               sum(t.ai_resolved) / nullif(sum(t.conversations), 0) AS ai_resolved_share
        FROM topic_weekly t LEFT JOIN {_topic_names_sql(con)} n USING (topic_id)
        WHERE {where} AND t.topic_id <> 'other'
          AND t.week > (SELECT max(week) FROM topic_weekly) - INTERVAL ({int(weeks)} * 7) DAY
        GROUP BY ALL ORDER BY unautomated DESC LIMIT {int(limit)}
        """,
        params,
    )


@dataclass(frozen=True)
class ConversationFilter:
    """What the Conversations page filters on; None means no filter."""

    account_ids: tuple[str, ...] | None = None
    automation_type: str | None = None
    topic_id: str | None = None
    outcome: str | None = None  # ai | human | none | unknown
    min_confidence: float = 0.0
    start: date | None = None
    end: date | None = None  # inclusive
    text: str | None = None
    emerging_id: str | None = None  # members of one emerging topic (cockpit.discovery)


def _conversation_where(f: ConversationFilter) -> tuple[str, list]:
    clauses, params = ["true"], []
    if f.account_ids is not None:
        clauses.append("c.account_id IN (SELECT unnest(?::VARCHAR[]))")
        params.append(list(f.account_ids))
    if f.automation_type:
        clauses.append("t.automation_type = ?")
        params.append(f.automation_type)
    if f.topic_id:
        clauses.append("t.topic_id = ?")
        params.append(f.topic_id)
    if f.outcome == "unknown":
        clauses.append("c.resolved_by IS NULL")
    elif f.outcome:
        clauses.append("c.resolved_by = ?")
        params.append(f.outcome)
    if f.min_confidence:
        clauses.append("least(t.type_confidence, t.topic_confidence) >= ?")
        params.append(float(f.min_confidence))
    if f.start:
        clauses.append("c.created_at >= ?")
        params.append(f.start)
    if f.end:
        clauses.append("c.created_at < ?::DATE + 1")
        params.append(f.end)
    if f.text and f.text.strip():
        clauses.append("c.text ILIKE ?")
        params.append(f"%{f.text.strip()}%")
    if f.emerging_id:
        clauses.append(
            "c.conversation_id IN (SELECT conversation_id FROM emerging_points WHERE cluster_id = ?)"
        )
        params.append(f.emerging_id)
    return " AND ".join(clauses), params


def _conversation_sql(con: duckdb.DuckDBPyConnection, where: str) -> str:
    return f"""
        SELECT c.conversation_id, c.account_id, coalesce(a.name, c.account_id) AS account,
               c.created_at, c.text, t.automation_type, t.type_confidence, t.topic_id,
               coalesce(n.topic_name, t.topic_id) AS topic, t.topic_confidence,
               coalesce(c.resolved_by, 'unknown') AS outcome, c.channel, c.csat,
               coalesce(t.corrected, false) AS corrected
        FROM conversations c
        JOIN tags t USING (conversation_id)
        LEFT JOIN accounts a USING (account_id)
        LEFT JOIN {_topic_names_sql(con)} n ON n.topic_id = t.topic_id
        WHERE {where}
    """


def conversation_page(
    con: duckdb.DuckDBPyConnection, f: ConversationFilter, page: int = 1, page_size: int = PAGE_SIZE
) -> tuple[pd.DataFrame, int]:
    """One page (1-based) of tagged conversations matching `f`, newest first, and the total count."""
    where, params = _conversation_where(f)
    total = _rows(
        con,
        f"SELECT count(*) FROM conversations c JOIN tags t USING (conversation_id) WHERE {where}",
        params,
    )[0][0]
    offset = max(0, (int(page) - 1) * int(page_size))
    df = _df(
        con,
        _conversation_sql(con, where)
        + f" ORDER BY c.created_at DESC, c.conversation_id LIMIT {int(page_size)} OFFSET {offset}",
        params,
    )
    return df, int(total)


def conversation_export(con: duckdb.DuckDBPyConnection, f: ConversationFilter) -> pd.DataFrame:
    """Every conversation matching `f` (one row each), for the CSV download."""
    where, params = _conversation_where(f)
    return _df(con, _conversation_sql(con, where) + " ORDER BY c.created_at DESC", params)


def topic_options(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """topic_id → display name for every topic the tags use or the taxonomy lists."""
    sources = ["SELECT DISTINCT topic_id FROM tags"] if _exists(con, "tags") else []
    if _exists(con, "taxonomy_topics"):
        sources.append("SELECT DISTINCT topic_id FROM taxonomy_topics")
    if not sources:
        return {}
    rows = _rows(
        con,
        f"""
        SELECT ids.topic_id, coalesce(n.topic_name, ids.topic_id)
        FROM ({" UNION ".join(sources)}) ids LEFT JOIN {_topic_names_sql(con)} n USING (topic_id)
        ORDER BY 2
        """,
    )
    return dict(rows)


def conversation_date_bounds(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """First and last conversation dates."""
    lo, hi = _rows(con, "SELECT min(created_at)::DATE, max(created_at)::DATE FROM conversations")[0]
    return lo, hi


def conversation_texts(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, str]:
    """conversation_id → masked text for the given ids (examples on the brief)."""
    if not ids:
        return {}
    return dict(
        _rows(
            con,
            "SELECT conversation_id, text FROM conversations "
            "WHERE conversation_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(ids)],
        )
    )


def recent_runs(con: duckdb.DuckDBPyConnection, limit: int = 10) -> pd.DataFrame:
    """The latest pipeline runs, newest first, with their duration."""
    return _df(
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
    return _df(
        con,
        "SELECT run_id, step, status, started_at, duration_s, counts FROM run_steps "
        "WHERE run_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY started_at DESC, run_id, started_at",
        [list(run_ids)],
    )


def quarantine_count(con: duckdb.DuckDBPyConnection) -> int:
    """Rows held back by validation."""
    return int(_rows(con, "SELECT count(*) FROM quarantine")[0][0])


def quarantine_by_reason(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Quarantined rows counted by table, column and reason."""
    return _df(
        con,
        "SELECT table_name, column_name, reason, count(*) AS rows, max(quarantined_at) AS last_seen "
        "FROM quarantine GROUP BY ALL ORDER BY rows DESC, table_name, reason",
    )


def quarantine_sample(con: duckdb.DuckDBPyConnection, limit: int = 20) -> pd.DataFrame:
    """The latest quarantined rows with their reason and raw content."""
    return _df(
        con,
        "SELECT file, table_name, row_number, column_name, reason, raw, quarantined_at "
        f"FROM quarantine ORDER BY quarantined_at DESC, file, row_number LIMIT {int(limit)}",
    )


def tag_coverage(con: duckdb.DuckDBPyConnection) -> dict:
    """How many conversations are tagged, the `other` share and the corrected count."""
    row = _rows(
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
    return _df(
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


def meta_items(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The meta table as a dict (taxonomy version, model id, as-of, last refresh run)."""
    if not _exists(con, "meta"):
        return {}
    return dict(_rows(con, "SELECT key, value FROM meta ORDER BY key"))


def backtest_latest(con: duckdb.DuckDBPyConnection) -> tuple[dict | None, pd.DataFrame]:
    """The newest backtest run (summary dict) and its per-account predicted vs achieved rows."""
    import pandas as pd

    runs = _df(con, "SELECT * FROM backtest_runs ORDER BY created_at DESC LIMIT 1")
    if runs.empty:
        return None, pd.DataFrame()
    summary = runs.iloc[0].to_dict()
    points = _df(
        con,
        "SELECT r.*, coalesce(a.name, r.account_id) AS name FROM backtest_results r "
        "LEFT JOIN accounts a USING (account_id) WHERE r.backtest_id = ? ORDER BY r.account_id",
        [summary["backtest_id"]],
    )
    return summary, points


def brief_report(con: duckdb.DuckDBPyConnection, account_id: str, top: int = 3) -> dict:
    """Everything the pre-call brief shows, as plain data (dates and numbers, no formatting).

    Keys: account (summary dict), issues (top `top`, each with `example` text), actions (top
    `top`), changes (cells with a spike or the largest trends), as_of.
    """
    summary = account_summary(con, account_id)
    issues = account_top_issues(con, account_id).head(top)
    example_ids = [
        ids[0] for ids in issues["example_conversation_ids"] if ids is not None and len(ids)
    ]
    texts = conversation_texts(con, example_ids)
    issue_rows = []
    for rec in issues.to_dict("records"):
        ids = rec.pop("example_conversation_ids")
        first = ids[0] if ids is not None and len(ids) else None
        rec["example_id"], rec["example"] = first, texts.get(first)
        issue_rows.append(rec)
    actions = account_actions(con, account_id).head(top)
    action_rows = [
        {k: v for k, v in r.items() if k != "evidence_conversation_ids"}
        for r in actions.to_dict("records")
    ]
    cells = account_cells(con, account_id)
    # A trend over a handful of conversations (+100 pts on 2) is noise, not news for a call.
    changes = cells[
        (cells["spike"].fillna(False) | (cells["trend_pts"].abs() >= 3))
        & (cells["conversations"] >= 5)
    ]
    changes = (
        changes.assign(_spike=changes["spike"].fillna(False), _abs=changes["trend_pts"].abs())
        .sort_values(["_spike", "_abs"], ascending=False)
        .drop(columns=["_spike", "_abs"])
        .head(4)
    )
    return {
        "account": summary,
        "issues": issue_rows,
        "actions": action_rows,
        "changes": changes.to_dict("records"),
        "as_of": summary.get("as_of"),
    }


# --- emerging topics (owner: discovery) ----------------------------------------------------------
# Clusters of what the taxonomy could not place (cockpit.discovery, pipelines/discover.py).

EMERGING_WINDOW_DAYS = 28  # the metrics' window: "conversations" and trend_pts use it too
# "Grows fast" on the Account page: the account's last 28 days hold at least this many of the
# cluster's conversations and at least twice the 28 days before (a doubling is what a CSM should
# hear about; fewer than 10 conversations is a handful of tickets, not a trend).
EMERGING_ALERT_MIN = 10
EMERGING_ALERT_GROWTH = 2.0


def _emerging_sql(account_id: str | None, where: str = "e.shown") -> tuple[str, list]:
    """One row per cluster: members (in the account, if given), accounts, 28-day windows."""
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
               e.type_confidence, e.status, g.recent, g.previous
        FROM emerging_topics e JOIN agg g USING (cluster_id)
        WHERE {where}
        ORDER BY g.conversations DESC, e.cluster_id
        """,
        [account_id, account_id, account_id, account_id],
    )  # fmt: skip


def emerging_topics(
    con: duckdb.DuckDBPyConnection, account_id: str | None = None, vertical: str | None = None
) -> list[dict]:
    """Shown emerging topics, largest first (`cockpit topics emerging`, the Topics page).

    Keys: id, name, likely_type, conversations, accounts, first_seen, trend_pts (share of the
    scope's conversations in the last 28 days minus the 28 before, in points),
    example_conversation_ids (5 most central), conversation_ids (every member), plus scope,
    vertical, terms, type_confidence, recent and previous (members in each 28-day window). With
    `account_id`, counts, trend and examples cover that account's conversations only.
    """
    if not _exists(con, "emerging_topics"):
        return []
    if account_id is not None:
        _known_account(con, account_id)
    sql, params = _emerging_sql(account_id)
    rows = _dicts(con, sql, params)
    if vertical:
        rows = [r for r in rows if r["vertical"] == vertical]
    from cockpit.discovery import SHOWN_EXAMPLES

    for r in rows:
        members = set(r["conversation_ids"])
        r["example_conversation_ids"] = [i for i in r["example_conversation_ids"] if i in members][
            :SHOWN_EXAMPLES
        ]
    return rows


def _known_account(con: duckdb.DuckDBPyConnection, account_id: str) -> None:
    if not _rows(con, "SELECT 1 FROM accounts WHERE account_id = ?", [account_id]):
        raise UnknownAccountError(account_id)


def emerging_topic(con: duckdb.DuckDBPyConnection, cluster_id: str) -> dict:
    """One stored cluster, whatever its status (for promote and dismiss); CockpitError if unknown."""
    from cockpit.errors import CockpitError

    if _exists(con, "emerging_topics"):
        rows = _dicts(
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
    return _df(
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


def account_emerging_alerts(con: duckdb.DuckDBPyConnection, account_id: str) -> list[dict]:
    """The account's shown emerging topics that grow fast in it (see EMERGING_ALERT_*)."""
    if not _exists(con, "emerging_topics"):
        return []
    return [
        r
        for r in emerging_topics(con, account_id)
        if r["recent"] >= EMERGING_ALERT_MIN
        and r["recent"] >= EMERGING_ALERT_GROWTH * (r["previous"] or 0)
    ]
