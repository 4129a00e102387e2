"""Metric definitions on hand-built frames with known answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from cockpit.scoring import metrics

AS_OF = dt.date(2026, 3, 15)  # a Sunday


def _conv(
    cid,
    day,
    ai,
    rb,
    ho=False,
    ht=0.0,
    csat=None,
    account="A",
    type_="informational",
    topic="billing",
):
    return {
        "conversation_id": cid, "account_id": account,
        "created_at": pd.Timestamp(day) + pd.Timedelta(hours=10), "text": "x",
        "ai_involved": ai, "resolved_by": rb, "handed_over": ho,
        "handle_time_minutes": ht, "csat": csat, "_type": type_, "_topic": topic,
    }  # fmt: skip


def _frames(rows):
    df = pd.DataFrame(rows)
    df["csat"] = df["csat"].astype("Int64")
    tags = df[["conversation_id", "_type", "_topic"]].rename(
        columns={"_type": "automation_type", "_topic": "topic_id"}
    )
    convs = df.drop(columns=["_type", "_topic"])
    accounts = pd.DataFrame(
        {"account_id": ["A", "B"], "name": ["Acme", "Beta"], "vertical": ["saas", "saas"]}
    )
    return convs, tags, accounts


BASE = [
    _conv("a1", AS_OF, True, "ai", csat=5),
    _conv("a2", AS_OF, True, "human", ho=True, ht=10.0, csat=3),
    _conv("a3", AS_OF - dt.timedelta(days=1), False, "human", ht=20.0, csat=4),
    _conv("a4", AS_OF - dt.timedelta(days=2), True, None),  # unknown outcome
    _conv("a5", AS_OF - dt.timedelta(days=3), True, "none", topic="orders"),
    # previous window (29..56 days back): 2 known, both AI-resolved
    _conv("p1", AS_OF - dt.timedelta(days=30), True, "ai"),
    _conv("p2", AS_OF - dt.timedelta(days=40), True, "ai"),
    _conv("b1", AS_OF - dt.timedelta(days=5), True, "ai", account="B"),
]


@pytest.fixture
def result():
    return metrics.compute_metrics(*_frames(BASE))


def test_account_metrics_known_answers(result):
    a = result["account_metrics"].set_index("account_id").loc["A"]
    assert a["as_of"] == AS_OF  # from the data, not the wall clock
    assert a["window_days"] == 28
    assert (a["conversations"], a["known_outcome"], a["unknown_outcome"]) == (5, 4, 1)
    assert (a["ai_involved"], a["ai_resolved"], a["handed_over"]) == (3, 1, 1)
    assert a["automation_rate"] == pytest.approx(1 / 4)  # unknown outcome excluded
    assert a["involvement_rate"] == pytest.approx(3 / 4)
    assert a["ai_resolution_rate"] == pytest.approx(1 / 3)
    assert a["handover_rate"] == pytest.approx(1 / 3)
    assert a["handle_time_total_min"] == pytest.approx(30.0)
    assert a["handle_time_median_min"] == pytest.approx(15.0)
    assert (a["csat_ai"], a["csat_ai_n"]) == (pytest.approx(5.0), 1)
    assert (a["csat_human"], a["csat_human_n"]) == (pytest.approx(3.5), 2)
    assert a["automation_rate_prev"] == pytest.approx(1.0)
    assert a["automation_rate_change_pts"] == pytest.approx(-75.0)
    assert a["conversations_change_pct"] == pytest.approx(150.0)


def test_peer_percentiles_within_vertical(result):
    acc = result["account_metrics"].set_index("account_id")
    assert acc.loc["A", "automation_percentile"] == pytest.approx(25.0)
    assert acc.loc["B", "automation_percentile"] == pytest.approx(75.0)


def test_weekly_metrics_use_monday_weeks(result):
    w = result["weekly_metrics"]
    assert all(pd.Timestamp(d).weekday() == 0 for d in w["week"])
    last = w[(w["account_id"] == "A") & (pd.to_datetime(w["week"]) == "2026-03-09")].iloc[0]
    assert last["conversations"] == 5 and last["automation_rate"] == pytest.approx(0.25)


def test_cell_metrics_share_and_trend(result):
    c = result["cell_metrics"].set_index(["account_id", "automation_type", "topic_id"])
    billing = c.loc[("A", "informational", "billing")]
    assert billing["known_outcome"] == 3 and billing["share"] == pytest.approx(3 / 4)
    assert billing["automation_rate"] == pytest.approx(1 / 3)
    assert billing["trend_pts"] == pytest.approx((1 / 3 - 1) * 100)
    assert c.loc[("A", "informational", "orders"), "share"] == pytest.approx(1 / 4)


def test_untagged_conversations_fall_in_unknown_other():
    convs, tags, accounts = _frames(BASE)
    out = metrics.compute_metrics(convs, tags.iloc[:0], accounts)
    cells = out["cell_metrics"]
    assert set(zip(cells["automation_type"], cells["topic_id"], strict=True)) == {
        ("unknown", "other")
    }


def test_empty_denominators_are_null():
    rows = [_conv("x1", AS_OF, False, None)]
    out = metrics.compute_metrics(*_frames(rows))
    a = out["account_metrics"].set_index("account_id").loc["A"]
    assert np.isnan(a["automation_rate"]) and np.isnan(a["ai_resolution_rate"])
    assert a["unknown_outcome"] == 1


def test_spike_flag_mean_plus_two_sigma():
    blocks = pd.DataFrame(
        {
            "account_id": "A", "automation_type": "action", "topic_id": "orders",
            "block": list(range(9)), "n": [30, 10, 11, 9, 10, 12, 8, 10, 10],
        }
    )  # fmt: skip
    calm = blocks.assign(topic_id="billing", n=[11, 10, 11, 9, 10, 12, 8, 10, 10])
    out = metrics.spike_flags(pd.concat([blocks, calm])).set_index("topic_id")
    assert bool(out.loc["orders", "spike"]) and not bool(out.loc["billing", "spike"])
    assert out.loc["orders", "weekly_mean"] == pytest.approx(10.0)
    assert out.loc["orders", "last_week_volume"] == 30


def test_topic_weekly_counts(result):
    t = result["topic_weekly"]
    assert t["conversations"].sum() == len(BASE)
    assert t["ai_resolved"].sum() == 4
