"""Top issues and next best actions: ranking, kinds, and never recommending a live enabler."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cockpit.scoring import actions
from cockpit.scoring.potential import PotentialParams, potential_for

AS_OF = dt.date(2026, 3, 15)
P = PotentialParams(statistic="pooled", own_prior=0.0, prior_conv=0.0, n_boot=20)
FACTS = {
    "billing": {"data_source": "billing system", "sensitive": False},
    "transfers": {"data_source": "core banking", "sensitive": True},
    "orders": {"data_source": "order system", "sensitive": False},
}


def _cell(account, type_, topic, n, ai, ht=0.0, csat=None, csat_n=0):
    return {"account_id": account, "vertical": "fintech", "automation_type": type_,
            "topic_id": topic, "known_outcome": n, "ai_resolved": ai, "conversations": n,
            "handle_time_total_min": ht, "csat_ai": csat, "csat_ai_n": csat_n,
            "csat_human": 4.2}  # fmt: skip


PEERS = [
    _cell("P", "informational", "billing", 100, 80),
    _cell("P", "personalized", "billing", 100, 70),
    _cell("P", "action", "transfers", 100, 50),
    _cell("P", "action", "orders", 100, 60),
]
A = [
    _cell("A", "informational", "billing", 90, 9, ht=810.0),  # missing help content
    _cell("A", "personalized", "billing", 60, 6, ht=540.0),  # data connector LIVE per setup
    _cell("A", "action", "transfers", 30, 0, ht=300.0),  # sensitive → approval_step
    _cell("A", "action", "orders", 60, 50, ht=100.0, csat=2.5, csat_n=20),  # fine but poor CSAT
]
SETUP = pd.DataFrame(
    {
        "account_id": ["P", "P", "P", "P", "A", "A"],
        "enabler": ["help_content", "data_connector", "procedure", "procedure",
                    "data_connector", "procedure"],
        "topic_id": ["billing", "billing", "transfers", "orders", "billing", "orders"],
        "live_since": [None] * 6,
    }
)  # fmt: skip


@pytest.fixture
def scored():
    cells = pd.DataFrame(PEERS + A)
    out = potential_for(cells, SETUP, AS_OF, P)
    nba = actions.next_best_actions(
        out["cells"], out["benchmarks"], out["contributions"], 30, FACTS
    )
    return out, nba


def test_actions_kinds_and_ranking(scored):
    _, nba = scored
    a = nba[nba["account_id"] == "A"].set_index(["kind", "topic_id"])
    assert ("help_content", "billing") in a.index
    assert ("approval_step", "transfers") in a.index  # sensitive action topic
    assert ("quality", "orders") in a.index  # AI CSAT 2.5 with 20 answers
    hc = a.loc[("help_content", "billing")]
    # 90 known a month, 10% → 80%: 63 more; hours: 810 min over 81 unresolved = 10 min each
    assert hc["extra_ai_resolved_per_month"] == pytest.approx(63.0)
    assert hc["hours_saved_per_month"] == pytest.approx(63.0 * 10 / 60)
    assert hc["gain_pts"] == pytest.approx(100 * (90 / 240) * 0.7)
    assert hc["rank"] == 1
    assert list(nba[nba["account_id"] == "A"]["rank"]) == [1, 2, 3, 4]
    # the live data connector performs far below peers: improve it, never "connect" it again
    live_weak = nba[(nba["account_id"] == "A") & (nba["automation_type"] == "personalized")]
    assert list(live_weak["kind"]) == ["quality"] and live_weak.iloc[0]["confidence"] == "low"
    assert "help content" in hc["rationale"]
    assert a.loc[("quality", "orders"), "gain_pts"] == 0


def test_never_recommends_a_live_enabler(scored):
    _, nba = scored
    live = {(r.account_id, r.enabler, r.topic_id) for r in SETUP.itertuples()}
    enabler_of = {"help_content": "help_content", "data_connector": "data_connector",
                  "procedure": "procedure", "approval_step": "procedure"}  # fmt: skip
    for r in nba[nba["kind"] != "quality"].itertuples():
        assert (r.account_id, enabler_of[r.kind], r.topic_id) not in live
    assert not ((nba["account_id"] == "A") & (nba["kind"] == "data_connector")).any()


def test_top_issues_rank_by_hours_and_gap_with_examples(scored):
    out, _ = scored
    cells = pd.DataFrame(A).assign(
        automation_rate=lambda d: d["ai_resolved"] / d["known_outcome"],
        trend_pts=0.0,
        spike=False,
    )
    examples = pd.DataFrame(
        {
            "account_id": ["A"],
            "automation_type": ["informational"],
            "topic_id": ["billing"],
            "conversation_ids": [["c1", "c2"]],
        }  # fmt: skip
    )
    issues = actions.top_issues(
        cells, out["benchmarks"], {"A": "fintech"}, examples, {"billing": "Billing"}, 30
    )
    first = issues.iloc[0]
    assert (first["topic_id"], first["automation_type"]) == ("billing", "informational")
    assert first["topic"] == "Billing" and first["example_conversation_ids"] == ["c1", "c2"]
    assert first["hours_per_month"] == pytest.approx(810 / 60)
    assert list(issues["rank"]) == list(range(1, len(issues) + 1))
    assert issues["score"].is_monotonic_decreasing
