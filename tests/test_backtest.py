"""Backtest: the realised-rate definition on hand-built frames, and a run on a generated demo."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cockpit import demo, store
from cockpit.scoring import backtest
from pipelines import backtest as backtest_step
from pipelines import score
from pipelines.context import StepContext

CUTOFF = dt.date(2026, 6, 1)
KEY = ["account_id", "automation_type", "topic_id"]


def test_realised_rates_on_the_pre_cutoff_mix():
    contributions = pd.DataFrame(
        {
            "account_id": ["A", "A", "A", "B"],
            "automation_type": ["informational", "action", "personalized", "informational"],
            "topic_id": ["billing", "orders", "cards", "billing"],
            "share": [0.5, 0.3, 0.2, 1.0],
            "current_rate": [0.1, 0.4, 0.1, 0.1],
            "target_rate": [0.7, 0.4, 0.6, 0.7],
        }
    )
    post = pd.DataFrame(
        {
            "account_id": ["A", "A", "A", "B"],
            "automation_type": ["informational", "action", "personalized", "informational"],
            "topic_id": ["billing", "orders", "cards", "billing"],
            # billing went live after the cutoff; orders needs nothing new; cards never went live
            "live_since": [pd.Timestamp("2026-06-10"), pd.NaT, pd.NaT, pd.Timestamp("2026-07-01")],
            "live_end": [True, False, False, True],
            "known_post": [40, 50, 30, 2],
            "ai_post": [32, 25, 3, 2],
        }
    )
    out = backtest.realised_rates(contributions, post, CUTOFF, {"A", "B"}).set_index("account_id")
    # billing observed 0.8; orders observed (target = own) 0.5; cards unobservable → its target
    assert out.loc["A", "realised"] == pytest.approx(0.5 * 0.8 + 0.3 * 0.5 + 0.2 * 0.6)
    assert out.loc["A", "new_share"] == pytest.approx(0.5)
    assert pd.isna(out.loc["B", "realised"])  # too few post-live outcomes to score


def test_calibration_table_bins():
    pred = pd.Series([0.1, 0.2, 0.3, 0.4])
    t = backtest.calibration_table(pred, pred + 0.01, bins=2)
    assert list(t["n"]) == [2, 2]
    assert t["achieved"].iloc[0] == pytest.approx(0.16)


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    from cockpit.settings import Settings

    settings = Settings(home=tmp_path_factory.mktemp("bt") / "home", embedder="hashing")
    demo.build_demo(settings, refresh=None)  # the default demo: 60 accounts, 40k
    with store.writing(settings, "test-tags") as con:
        # stand-in tags from the generator's truth (this test is about scoring, not tagging)
        store.upsert(
            con,
            "tags",
            "SELECT conversation_id, automation_type, topic_id FROM demo_conversation_truth",
        )
    with store.writing(settings, "test-score") as con:
        ctx = StepContext(con=con, settings=settings, run_id="t")
        score.run(ctx)
        counts = backtest_step.run(ctx)
    assert counts["accounts"] > 0
    return settings


def test_backtest_step_stores_a_track_record(demo_home):
    con = store.read_only(demo_home.db_path)
    try:
        runs = con.execute("SELECT * FROM backtest_runs").df()
        results = con.execute("SELECT * FROM backtest_results").df()
    finally:
        con.close()
    assert len(runs) == 1 and len(results) == runs.iloc[0]["n_accounts"]
    assert results["predicted"].between(0, 1).all()
    assert (results["low"] <= results["predicted"] + 1e-9).all()
    assert (results["predicted"] <= results["high"] + 1e-9).all()
    # interval coverage: the share of scored accounts inside [low, high]
    truth = results.dropna(subset=["truth"])
    if len(truth):
        inside = (truth["truth"] >= truth["low"] - 1e-9) & (truth["truth"] <= truth["high"] + 1e-9)
        assert runs.iloc[0]["coverage_truth"] == pytest.approx(inside.mean())


def test_backtest_meets_the_bar_against_hidden_truth(demo_home):
    from click.testing import CliRunner

    from pipelines.cli import cli

    r = CliRunner().invoke(cli, ["backtest", "--json"], env={"COCKPIT_HOME": str(demo_home.home)})
    assert r.exit_code == 0, r.output
    import json

    s = json.loads(r.output)
    assert s["n_truth"] == 60
    assert s["mae_truth_pts"] <= 5.0
    assert s["mae_realised_pts"] is None or s["mae_realised_pts"] <= 8.0
    # the same cutoff and method replace the stored run instead of adding one
    con = store.read_only(demo_home.db_path)
    try:
        n = con.execute("SELECT count(*) FROM backtest_runs").fetchall()[0][0]
    finally:
        con.close()
    assert n == 1


@given(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1)))
def test_default_cutoff_is_a_monday_90_to_96_days_back(as_of):
    cutoff = backtest.default_cutoff(as_of)
    assert cutoff.weekday() == 0
    assert 90 <= (as_of - cutoff).days <= 96
    # Weekly: the next day keeps the cutoff unless the lookback day reached a new Monday.
    nxt = backtest.default_cutoff(as_of + dt.timedelta(days=1))
    assert nxt == cutoff or nxt == cutoff + dt.timedelta(days=7)


def test_a_prediction_for_another_cutoff_is_refused(demo_home):
    con = store.read_only(demo_home.db_path)
    try:
        pred = backtest.Prediction(dt.date(2026, 1, 5), "x", None, None, set())
        with pytest.raises(ValueError, match="expected cutoff 2026-01-12"):
            backtest.run_backtest(con, dt.date(2026, 1, 12), prediction=pred)
    finally:
        con.close()


def test_the_store_as_of_is_the_scored_as_of(demo_home):
    """The cheap read (latest conversation) names the date the scored view would, and the
    score step's stored one; an empty table has none."""
    from cockpit.scoring import metrics

    con = store.read_only(demo_home.db_path)
    try:
        con.execute("CREATE TEMP VIEW _scored AS " + metrics.scored_relation())
        as_of = metrics.store_as_of(con)
        assert as_of is not None and as_of == metrics.as_of_date(con, "_scored")
        assert str(as_of) == store.get_meta(con, "as_of")
        con.execute("CREATE TEMP TABLE _none AS SELECT * FROM conversations LIMIT 0")
        assert metrics.store_as_of(con, "_none") is None
    finally:
        con.close()
