"""The Conversations page: filtered pages of conversations, export, topic options."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from cockpit.queries.common import PAGE_SIZE, exists, fetch_frame, fetch_rows, topic_names_sql

if TYPE_CHECKING:
    import pandas as pd


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
               c.handle_time_minutes, coalesce(t.corrected, false) AS corrected
        FROM conversations c
        JOIN tags t USING (conversation_id)
        LEFT JOIN accounts a USING (account_id)
        LEFT JOIN {topic_names_sql(con)} n ON n.topic_id = t.topic_id
        WHERE {where}
    """


def conversation_page(
    con: duckdb.DuckDBPyConnection, f: ConversationFilter, page: int = 1, page_size: int = PAGE_SIZE
) -> tuple[pd.DataFrame, int]:
    """One page (1-based) of tagged conversations matching `f`, newest first, and the total count."""
    where, params = _conversation_where(f)
    total = fetch_rows(
        con,
        f"SELECT count(*) FROM conversations c JOIN tags t USING (conversation_id) WHERE {where}",
        params,
    )[0][0]
    offset = max(0, (int(page) - 1) * int(page_size))
    df = fetch_frame(
        con,
        _conversation_sql(con, where)
        + f" ORDER BY c.created_at DESC, c.conversation_id LIMIT {int(page_size)} OFFSET {offset}",
        params,
    )
    return df, int(total)


def conversation_export(con: duckdb.DuckDBPyConnection, f: ConversationFilter) -> pd.DataFrame:
    """Every conversation matching `f` (one row each), for the CSV download.

    Texts that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) are
    prefixed with `'` (`formats.csv_cell`).
    """
    from cockpit.formats import csv_safe_frame

    where, params = _conversation_where(f)
    frame = fetch_frame(con, _conversation_sql(con, where) + " ORDER BY c.created_at DESC", params)
    return csv_safe_frame(frame)


def topic_options(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """topic_id → display name for every topic the tags use or the taxonomy lists."""
    sources = ["SELECT DISTINCT topic_id FROM tags"] if exists(con, "tags") else []
    if exists(con, "taxonomy_topics"):
        sources.append("SELECT DISTINCT topic_id FROM taxonomy_topics")
    if not sources:
        return {}
    rows = fetch_rows(
        con,
        f"""
        SELECT ids.topic_id, coalesce(n.topic_name, ids.topic_id)
        FROM ({" UNION ".join(sources)}) ids LEFT JOIN {topic_names_sql(con)} n USING (topic_id)
        ORDER BY 2
        """,
    )
    return dict(rows)


def conversation_date_bounds(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """First and last conversation dates."""
    lo, hi = fetch_rows(
        con, "SELECT min(created_at)::DATE, max(created_at)::DATE FROM conversations"
    )[0]
    return lo, hi


def conversation_texts(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, str]:
    """conversation_id → masked text for the given ids (examples on the brief)."""
    if not ids:
        return {}
    return dict(
        fetch_rows(
            con,
            "SELECT conversation_id, text FROM conversations "
            "WHERE conversation_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(ids)],
        )
    )


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    """Pages needed for `total` rows (at least one, so an empty list still has page 1)."""
    return max(1, -(-int(total) // int(page_size)))


def clamp_page(page, total: int, page_size: int = PAGE_SIZE) -> int:
    """A requested page number made valid: 1 when missing, unparsable or past the last page."""
    try:
        page = int(page)
    except (TypeError, ValueError):
        return 1
    return page if 1 <= page <= page_count(total, page_size) else 1


def overlay_corrections(
    rows: pd.DataFrame, pending: pd.DataFrame, topic_names: dict[str, str]
) -> pd.DataFrame:
    """Rows with the pending corrections shown (new type and topic, confidences 100 %, `pending`).

    `pending` holds conversation_id, automation_type, topic_id (from `load_corrections`): saved
    but not yet applied by a refresh, so the stored tags still show the model's.
    """
    out = rows.copy()
    out["pending"] = False
    if pending is None or pending.empty or out.empty:
        return out
    fix = pending.set_index("conversation_id")
    hit = out["conversation_id"].isin(fix.index)
    ids = out.loc[hit, "conversation_id"]
    out.loc[hit, "automation_type"] = ids.map(fix["automation_type"]).to_numpy()
    out.loc[hit, "topic_id"] = ids.map(fix["topic_id"]).to_numpy()
    out.loc[hit, "topic"] = [topic_names.get(t, t) for t in out.loc[hit, "topic_id"]]
    out.loc[hit, ["type_confidence", "topic_confidence"]] = 1.0
    out.loc[hit, "corrected"] = True
    out.loc[hit, "pending"] = True
    return out


def conversation_detail(con: duckdb.DuckDBPyConnection, conversation_id: str) -> dict | None:
    """One conversation to read: its row (tags, outcome, handle time, CSAT), messages, and why.

    `why` says where the conversation was counted: its cell (type × topic) for its account, and
    whether it falls in the account's current metric window. None when the id is unknown.
    """
    rows = fetch_frame(
        con,
        _conversation_sql(con, "c.conversation_id = ?"),
        [conversation_id],
    )
    if rows.empty:
        return None
    row = rows.iloc[0].to_dict()
    messages = (
        fetch_frame(
            con,
            "SELECT sent_at, author, body FROM messages WHERE conversation_id = ? "
            "ORDER BY sent_at, author",
            [conversation_id],
        )
        if exists(con, "messages")
        else None
    )
    window = None
    if exists(con, "account_metrics"):
        got = fetch_rows(
            con,
            "SELECT as_of, window_days FROM account_metrics WHERE account_id = ?",
            [row["account_id"]],
        )
        if got and got[0][0] is not None:
            window = got[0]
    return {"row": row, "messages": messages, "window": window}
