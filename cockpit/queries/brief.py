"""The pre-call brief: everything `cockpit.brief` renders, in one report dict."""

from __future__ import annotations

import duckdb

from cockpit.queries.account import (
    account_actions,
    account_cells,
    account_contributions,
    account_summary,
    account_top_issues,
)
from cockpit.queries.common import exists
from cockpit.queries.conversations import conversation_texts
from cockpit.queries.health import backtest_latest, backtest_track_record


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
        # the cells adding most to the potential (as in `cockpit account ID --json`)
        "contributions": account_contributions(con, account_id, top).to_dict("records")
        if exists(con, "potential_contributions")
        else [],
        "as_of": summary.get("as_of"),
        "track_record": backtest_track_record(backtest_latest(con)[0]).sentence()
        if exists(con, "backtest_runs")
        else None,
    }
