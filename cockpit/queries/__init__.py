"""Named read queries: the only SQL that reads for display (pages and CLI call these).

Each takes a read-only connection (`store.read_only`) and returns plain Python or a DataFrame;
everything reads precomputed tables. One module per screen area, one helper dialect (`common`).
"""

from cockpit.queries.account import (
    account_actions,
    account_cells,
    account_contributions,
    account_summary,
    account_top_issues,
    account_type_mix,
    account_vertical,
    account_weekly,
    account_window,
)
from cockpit.queries.accounts import ACCOUNT_TOP_N, account_report, accounts_list, backtest_history
from cockpit.queries.brief import brief_report
from cockpit.queries.common import PAGE_SIZE, PAGE_TABLES, meta_items, missing_tables
from cockpit.queries.conversations import (
    ConversationFilter,
    clamp_page,
    conversation_date_bounds,
    conversation_detail,
    conversation_export,
    conversation_page,
    conversation_texts,
    overlay_corrections,
    page_count,
    topic_options,
)
from cockpit.queries.emerging import (
    EMERGING_ALERT_GROWTH,
    EMERGING_ALERT_MIN,
    account_emerging_alerts,
    emerging_accounts,
    emerging_topic,
    emerging_topics,
    emerging_weekly,
)
from cockpit.queries.health import (
    backtest_latest,
    backtest_track_record,
    confidence_histogram,
    quarantine_by_reason,
    quarantine_count,
    quarantine_sample,
    quarantine_waiting,
    recent_runs,
    run_step_rows,
    tag_coverage,
    uncertain_counts,
)
from cockpit.queries.portfolio import (
    account_labels,
    account_options,
    csm_names,
    portfolio_rows,
    store_overview,
    verticals,
)
from cockpit.queries.topics import (
    portfolio_type_share,
    topic_demand,
    topic_demand_top,
    topic_growth,
    topic_unautomated,
    topic_window,
)

__all__ = [
    "ACCOUNT_TOP_N", "EMERGING_ALERT_GROWTH", "EMERGING_ALERT_MIN", "account_emerging_alerts",
    "emerging_accounts", "emerging_topic", "emerging_topics", "emerging_weekly", "PAGE_SIZE", "PAGE_TABLES", "ConversationFilter", "clamp_page", "conversation_detail", "overlay_corrections", "page_count", "account_actions",
    "account_cells", "account_contributions", "account_labels", "account_options", "account_report", "account_summary",
    "account_top_issues", "account_type_mix", "account_vertical", "account_weekly", "account_window", "accounts_list",
    "backtest_history", "backtest_latest", "backtest_track_record", "brief_report", "confidence_histogram",
    "conversation_date_bounds", "conversation_export", "conversation_page", "conversation_texts",
    "csm_names", "meta_items", "missing_tables", "portfolio_rows", "portfolio_type_share",
    "quarantine_by_reason", "quarantine_count", "quarantine_sample", "quarantine_waiting",
    "recent_runs",
    "run_step_rows", "store_overview", "tag_coverage", "topic_demand", "topic_demand_top", "topic_growth", "topic_window",
    "topic_options", "topic_unautomated", "uncertain_counts", "verticals",
]  # fmt: skip
