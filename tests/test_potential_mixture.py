"""Known answers for the mixture, the tag-confidence cleaning, the conformal scale and the floor."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cockpit.scoring import backtest
from cockpit.scoring.mixture import fit_mixture
from cockpit.scoring.potential import Z80, PotentialParams, _own_counts, potential_for
from tests.conftest import SHARED_DATA

AS_OF = dt.date(2026, 3, 15)
CELL = ("saas", "informational", "billing")


def _cells(rates: list[float], n: int = 200, state: str = "unknown") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "account_id": [f"a{i:02d}" for i in range(len(rates))],
            "vertical": CELL[0],
            "automation_type": CELL[1],
            "topic_id": CELL[2],
            "n": n,
            "k": [round(r * n) for r in rates],
            "setup_state": state,
        }
    )


def test_mixture_recovers_two_levels_and_who_works():
    rates = [0.7] * 10 + [0.1] * 10
    fit = fit_mixture(_cells(rates))
    hi = 1 / (1 + np.exp(-fit["L_hi"].iloc[0]))
    lo = 1 / (1 + np.exp(-fit["L_lo"].iloc[0]))
    assert hi == pytest.approx(0.7, abs=0.01) and lo == pytest.approx(0.1, abs=0.01)
    assert (fit["p_work"].iloc[:10] > 0.99).all() and (fit["p_work"].iloc[10:] < 0.01).all()
    assert fit["delta"].abs().max() < 0.05  # accounts do not differ: no quality effect
    assert fit["p_full"].to_numpy() == pytest.approx(np.full(20, 0.7), abs=0.02)


def test_mixture_account_effect_lifts_a_strong_account():
    # two cells; account s is strong on the working one, so its missing cell reaches more
    work = _cells([0.6] * 12 + [0.85], state="live")
    missing = _cells([0.1] * 12 + [0.1], state="not_live").assign(topic_id="plans")
    fit = fit_mixture(pd.concat([work, missing], ignore_index=True))
    strong = fit[(fit["account_id"] == "a12") & (fit["topic_id"] == "plans")].iloc[0]
    typical = fit[(fit["account_id"] == "a00") & (fit["topic_id"] == "plans")].iloc[0]
    assert strong["delta"] > 0.3 and abs(typical["delta"]) < 0.2
    assert strong["p_full"] > typical["p_full"]


def _book(live_rate_a: float, conf_a: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ten peers with billing and orders live (70% / 50%); account A with setup saying both are
    live, billing at `live_rate_a`, and a missing plans cell (peers reach 60% there)."""
    rows, setup = [], []
    for i in range(10):
        p = f"p{i}"
        rows += [
            (p, "informational", "billing", 100, 70, 1.0),
            (p, "action", "orders", 100, 50, 1.0),
            (p, "informational", "plans", 100, 60, 1.0),
        ]
        setup += [(p, "help_content", "billing"), (p, "procedure", "orders")]
        setup += [(p, "help_content", "plans")]
    rows += [
        ("A", "informational", "billing", 100, round(100 * live_rate_a), conf_a),
        ("A", "action", "orders", 100, 50, 1.0),
        ("A", "informational", "plans", 100, 10, 1.0),
    ]
    setup += [("A", "help_content", "billing"), ("A", "procedure", "orders")]
    cols = ["account_id", "automation_type", "topic_id", "known_outcome", "ai_resolved"]
    cells = pd.DataFrame(rows, columns=[*cols, "tag_confidence"]).assign(vertical="saas")
    s = pd.DataFrame(setup, columns=["account_id", "enabler", "topic_id"]).assign(live_since=None)
    return cells, s


def test_a_live_cell_full_of_mistagged_conversations_is_lifted():
    cells, setup = _book(live_rate_a=0.2)
    p = PotentialParams(n_boot=10)
    out = potential_for(cells, setup, AS_OF, p)
    c = out["contributions"].set_index(["account_id", "topic_id"]).loc["A"]
    # setup says billing is live, but it resolves 20% where peers reach 70%: lifted towards 70%
    assert c.loc["billing", "target_rate"] > 0.6
    assert c.loc["billing", "contribution_pts"] > 10
    # the pooled estimator kept a live cell near its own rate (only a 30-conversation shrinkage)
    old = potential_for(cells, setup, AS_OF, PotentialParams(statistic="pooled", n_boot=10))
    oc = old["contributions"].set_index(["account_id", "topic_id"]).loc["A"]
    assert oc.loc["billing", "contribution_pts"] < 5
    pot = out["potential"].set_index("account_id").loc["A"]
    assert pot["gap_pts"] == pytest.approx(100 * (pot["potential"] - pot["automation_rate"]))


def test_tag_confidence_cleans_a_cell_of_other_cells_conversations():
    # own rate r = conf · ρ + (1 − conf) · R, so ρ = (r − (1 − conf) R) / conf
    status = pd.DataFrame(
        {
            "account_id": ["A", "A"],
            "known_outcome": [100, 100],
            "ai_resolved": [40, 60],
            "tag_confidence": [0.8, 1.0],
            "status_source": ["setup", "setup"],
            "enabler_live": [False, False],
            "ev_known": [0, 0],
            "ev_ai": [0, 0],
        }
    )
    out = _own_counts(status, noise_weight=1.0)
    # R = 100 / 200 = 0.5; ρ = (0.4 − 0.2 · 0.5) / 0.8 = 0.375
    assert out["k"].iloc[0] == pytest.approx(37.5)
    assert out["k"].iloc[1] == pytest.approx(60.0)
    half = _own_counts(status, noise_weight=0.5)  # conf 0.8 counts as 0.9
    assert half["k"].iloc[0] == pytest.approx(100 * (0.4 - 0.1 * 0.5) / 0.9)


def test_low_tag_confidence_raises_the_potential_of_an_account_with_a_gap():
    sure = potential_for(*_book(0.7, conf_a=1.0), AS_OF, PotentialParams(n_boot=10))
    unsure = potential_for(*_book(0.7, conf_a=0.6), AS_OF, PotentialParams(n_boot=10))
    a = sure["potential"].set_index("account_id").loc["A", "potential"]
    b = unsure["potential"].set_index("account_id").loc["A", "potential"]
    assert b > a  # its billing conversations are partly plans requests the AI cannot do yet


def test_potential_is_floored_at_todays_rate():
    cells, setup = _book(live_rate_a=0.95)  # far above peers: shrinking would pull it under
    # A keeps only its billing cell: nothing missing, and its shrunk target sits under 95%
    cells = cells[(cells["account_id"] != "A") | (cells["topic_id"] == "billing")]
    pot = potential_for(cells, setup, AS_OF, PotentialParams(n_boot=10, own_prior=500))
    a = pot["potential"].set_index("account_id").loc["A"]
    assert a["potential"] >= a["automation_rate"] - 1e-12
    assert a["gap_pts"] == pytest.approx(100 * (a["potential"] - a["automation_rate"]))
    assert bool(a["floored"])


def test_conformal_scale_known_answer():
    sd = pd.Series(np.full(10, 0.01))
    pred = pd.Series(np.full(10, 0.5))
    realised = pred + sd * np.arange(1, 11)  # scores 1, 2, ..., 10
    # rank ⌈0.8 · 11⌉ = 9 → the 9th smallest score, 9 = κ · z
    assert backtest.conformal_scale(pred, realised, sd) == pytest.approx(9 / Z80)
    assert backtest.conformal_scale(pred.head(9), realised.head(9), sd.head(9)) is None


def test_track_record_says_when_evidence_is_thin():
    thin = backtest.track_record({"n_realised": 4, "mae_realised_pts": 2.0})
    assert thin.thin and thin.sentence().startswith("Evidence is thin: only 4 accounts")
    ok = backtest.track_record(
        {
            "n_realised": 12,
            "mae_realised_pts": 2.5,
            "bias_realised_pts": -0.4,
            "coverage_realised": 0.83,
            "cutoff": "2026-08-01",
        }  # fmt: skip
    )
    assert not ok.thin
    assert ok.sentence() == (
        "Past predictions vs what 12 accounts achieved: MAE 2.5 pts, bias -0.4 pts; "
        "the likely range held for 83%."
    )
    assert backtest.track_record(None).thin


DATA = Path(os.environ.get("COCKPIT_SHARED_DATA", SHARED_DATA))


@pytest.mark.skipif(not (DATA / "bitext").is_dir(), reason=f"public data not found at {DATA}")
def test_backtest_on_a_small_evaluation_book(tmp_path):
    from bench.evalbook.generate import generate
    from cockpit import store
    from cockpit.ingest import ingest_paths
    from cockpit.settings import Settings
    from pipelines import backtest as backtest_step
    from pipelines import score
    from pipelines.context import StepContext

    book = generate(tmp_path / "files", DATA, accounts=30, days=150, conversations=9000, seed=3)
    truth = pd.read_parquet(book.directory / "truth" / "evalbook_truth.parquet")
    assert len(truth) == 30 and truth["achievable_automation_rate"].between(0, 1).all()
    assert truth["has_setup"].any() and not truth["has_setup"].all()
    # The per-conversation truth adds up to the account's: its mean achievable probability over
    # the truth window's known outcomes is the achievable rate, and no one is above it now.
    conv = pd.read_parquet(book.directory / "conversations.parquet").merge(
        pd.read_parquet(book.directory / "truth" / "evalbook_conversation_truth.parquet"),
        on="conversation_id",
    )
    day = conv["created_at"].dt.normalize()
    window = conv[(day > day.max() - pd.Timedelta(days=90)) & conv["resolved_by"].notna()]
    per_account = window.groupby("account_id")["p_full"].mean()
    achievable = truth.set_index("account_id")["achievable_automation_rate"]
    assert (per_account - achievable).abs().max() < 1e-9
    assert (conv["p_now"] <= conv["p_full"] + 1e-12).all()
    assert conv["p_now"].lt(conv["p_full"]).any()
    settings = Settings(home=tmp_path / "home", embedder="hashing")
    files = [book.directory / f"{t}.parquet" for t in ("accounts", "conversations", "setup")]
    with store.writing(settings, "test") as con:
        ingest_paths(con, [str(f) for f in files])
        truth_tags = pd.read_parquet(
            book.directory / "truth" / "evalbook_conversation_truth.parquet"
        )
        con.register("_tt", truth_tags)
        store.upsert(con, "tags", "SELECT conversation_id, automation_type, topic_id FROM _tt")
        ctx = StepContext(con=con, settings=settings, run_id="t")
        score.run(ctx)
        counts = backtest_step.run(ctx)
    assert counts["accounts"] == 30
    with store.reading(settings.db_path) as con:
        pot = con.execute("SELECT * FROM potential").df()
        run = con.execute("SELECT * FROM backtest_runs").df().iloc[0]
    assert (pot["gap_pts"] - 100 * (pot["potential"] - pot["automation_rate"])).abs().max() < 1e-9
    assert (pot["potential"] >= pot["automation_rate"] - 1e-12).all()
    m = pot.merge(truth, on="account_id")
    # 30 accounts are few peers for accuracy (bench/potential.py measures that); the
    # potential must still beat "today's rate" as a guess of what the account can reach
    err = (m["potential"] - m["achievable_automation_rate"]).abs().mean()
    assert err < (m["automation_rate"] - m["achievable_automation_rate"]).abs().mean()
    assert pd.isna(run["interval_scale"]) or run["n_realised"] >= backtest.MIN_EVIDENCE_ACCOUNTS


def test_account_effect_takes_each_cell_in_its_more_likely_component():
    """Account s's cell is only 60% likely working, account w's (same outcomes) surely: "hard"
    reads both as working, so they get the same δ; "soft" adds s's large excess over the
    not-working level, so s's δ is larger."""
    from cockpit.scoring.mixture import _account_effect

    logit = lambda p: float(np.log(p / (1 - p)))  # noqa: E731
    rates = [0.3, 0.4, 0.5, 0.7, 0.6, 0.6]
    frame = pd.DataFrame(
        {
            "account_id": ["a", "b", "c", "d", "w", "s"],
            "k": [round(r * 10_000) for r in rates],
            "n": 10_000,
            "L_hi": logit(0.5),
            "L_lo": logit(0.1),
        }
    )
    work = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 0.6])
    hard, _ = _account_effect(frame, work, "hard")
    soft, _ = _account_effect(frame, work, "soft")
    assert hard["s"] == pytest.approx(hard["w"], abs=1e-9) and hard["s"] > 0.2
    assert soft["s"] > soft["w"] + 0.3
