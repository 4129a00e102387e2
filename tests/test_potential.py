"""Benchmarks and automation potential on hand-built cells with known answers."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cockpit.scoring.potential import PotentialParams, benchmarks, enabler_status, potential_for

AS_OF = dt.date(2026, 3, 15)
P0 = PotentialParams(
    statistic="pooled", own_prior=0.0, prior_conv=0.0, n_boot=50
)  # no shrinkage: exact answers


def _cell(account, type_, topic, n, ai, vertical="saas"):
    return {"account_id": account, "vertical": vertical, "automation_type": type_,
            "topic_id": topic, "known_outcome": n, "ai_resolved": ai}  # fmt: skip


CELLS = pd.DataFrame(
    [
        # peers P1, P2 have help content live for billing: 80/100 and 60/100
        _cell("P1", "informational", "billing", 100, 80),
        _cell("P2", "informational", "billing", 100, 60),
        _cell("P1", "action", "orders", 100, 50),
        # account A: billing missing (10/100), orders live (30/100), 'other' topic 5/100
        _cell("A", "informational", "billing", 100, 10),
        _cell("A", "action", "orders", 100, 30),
        _cell("A", "informational", "other", 100, 5),
    ]
)
SETUP = pd.DataFrame(
    {
        "account_id": ["P1", "P2", "P1", "A"],
        "enabler": ["help_content", "help_content", "procedure", "procedure"],
        "topic_id": ["billing", "billing", "orders", "orders"],
        "live_since": [None, dt.date(2025, 1, 1), None, None],
    }
)


def test_pooled_benchmark_is_live_peers_pooled_rate():
    status = enabler_status(CELLS, SETUP, AS_OF, P0)
    b = benchmarks(status, P0).set_index(["automation_type", "topic_id"])
    assert b.loc[("informational", "billing"), "benchmark_rate"] == pytest.approx(140 / 200)
    assert b.loc[("informational", "billing"), "n_accounts"] == 2
    # orders: P1 (50/100) and A (30/100) are live
    assert b.loc[("action", "orders"), "benchmark_rate"] == pytest.approx(80 / 200)


def test_shrinkage_towards_type_level():
    p = PotentialParams(statistic="pooled", prior_conv=100.0, own_prior=0.0, n_boot=10)
    cells = pd.concat([CELLS, pd.DataFrame([_cell("P1", "informational", "plans", 100, 40)])])
    setup = pd.concat(
        [
            SETUP,
            pd.DataFrame(
                [
                    {
                        "account_id": "P1",
                        "enabler": "help_content",
                        "topic_id": "plans",
                        "live_since": None,
                    }
                ]
            ),
        ]  # fmt: skip
    )
    b = benchmarks(enabler_status(cells, setup, AS_OF, p), p).set_index("topic_id")
    # type level (saas informational, live): (80 + 60 + 40) / 300 = 0.6, itself shrunk to the
    # global informational rate (the same 0.6 here)
    assert b.loc["plans", "benchmark_rate"] == pytest.approx((40 + 100 * 0.6) / 200)


def test_potential_formula_and_contributions():
    out = potential_for(CELLS, SETUP, AS_OF, P0)
    pot = out["potential"].set_index("account_id").loc["A"]
    # shares 1/3 each; billing → benchmark 0.7; orders live keeps 0.30; other keeps 0.05
    assert pot["automation_rate"] == pytest.approx((0.10 + 0.30 + 0.05) / 3)
    assert pot["potential"] == pytest.approx((0.70 + 0.30 + 0.05) / 3)
    assert pot["gap_pts"] == pytest.approx(100 * 0.60 / 3)
    assert pot["low"] <= pot["potential"] <= pot["high"]
    c = out["contributions"].set_index(["account_id", "topic_id"]).loc["A"]
    assert c.loc["billing", "contribution_pts"] == pytest.approx(100 * 0.60 / 3)
    assert c.loc["orders", "contribution_pts"] == pytest.approx(0.0)
    assert bool(c.loc["orders", "enabler_live"]) and not bool(c.loc["billing", "enabler_live"])
    assert "resolve about 35%" in pot["method"]


def test_cell_above_benchmark_keeps_its_own_rate():
    cells = CELLS.copy()
    cells.loc[(cells["account_id"] == "A") & (cells["topic_id"] == "billing"), "ai_resolved"] = 90
    c = potential_for(cells, SETUP, AS_OF, P0)["contributions"]
    row = c[(c["account_id"] == "A") & (c["topic_id"] == "billing")].iloc[0]
    assert row["target_rate"] == pytest.approx(0.90)
    assert row["contribution_pts"] == pytest.approx(0.0)


def test_status_inferred_without_setup():
    setup = SETUP[SETUP["account_id"] != "A"]
    cells = pd.concat([CELLS, pd.DataFrame([_cell("B", "informational", "billing", 100, 75)])])
    status = enabler_status(cells, setup, AS_OF, P0).set_index(["account_id", "topic_id"])
    assert status.loc[("B", "billing"), "status_source"] == "inferred"
    assert bool(status.loc[("B", "billing"), "enabler_live"])  # 75% ≥ 0.8 × 70%
    assert not bool(status.loc[("A", "billing"), "enabler_live"])  # 10%
    assert status.loc[("A", "other"), "status_source"] == "none"


def test_setup_live_since_after_as_of_is_not_live():
    setup = SETUP.assign(live_since=dt.date(2026, 4, 1))
    status = enabler_status(CELLS, setup, AS_OF, P0)
    assert not status["enabler_live"].any()
    assert set(status.loc[status["topic_id"] != "other", "status_source"]) == {"setup"}


def test_own_prior_shrinks_live_cells_to_benchmark():
    p = PotentialParams(statistic="pooled", own_prior=100.0, prior_conv=0.0, n_boot=10)
    c = potential_for(CELLS, SETUP, AS_OF, p)["contributions"]
    row = c[(c["account_id"] == "A") & (c["topic_id"] == "orders")].iloc[0]
    assert row["target_rate"] == pytest.approx((30 + 100 * 0.4) / 200)


def test_interval_is_seeded():
    a = potential_for(CELLS, SETUP, AS_OF, PotentialParams(statistic="pooled", n_boot=100, seed=3))[
        "potential"
    ]
    b = potential_for(CELLS, SETUP, AS_OF, PotentialParams(statistic="pooled", n_boot=100, seed=3))[
        "potential"
    ]
    pd.testing.assert_frame_equal(a, b)


def test_interval_adds_peer_spread_and_mix_drift():
    # peers that sit far apart around their pooled rate widen A's range; so does a moving mix
    cells = pd.concat([CELLS, pd.DataFrame([_cell("P3", "informational", "billing", 100, 20)])])
    setup = pd.concat([SETUP, pd.DataFrame([{"account_id": "P3", "enabler": "help_content",
                                              "topic_id": "billing", "live_since": None}])])  # fmt: skip
    narrow = PotentialParams(statistic="pooled", n_boot=400, peer_spread=False)
    wide = PotentialParams(statistic="pooled", n_boot=400)
    previous = cells.assign(known_outcome=cells["known_outcome"].where(
        cells["topic_id"] != "billing", 20))[["account_id", "automation_type", "topic_id",
                                              "known_outcome"]]  # fmt: skip

    def width(p, prev=None):
        pot = potential_for(cells, setup, AS_OF, p, previous=prev)["potential"]
        row = pot.set_index("account_id").loc["A"]
        assert row["low"] <= row["potential"] <= row["high"]
        return row["high"] - row["low"]

    assert width(wide) > width(narrow)
    assert width(wide, previous) > width(wide)
    assert width(narrow, previous) == pytest.approx(width(narrow))
