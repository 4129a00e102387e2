"""Backtest of the automation potential: predict with data before a cutoff, compare with after.

Prediction: `cockpit.scoring.potential` run as of the day before the cutoff, on the conversations of the
potential window before it, with the setup rows live before the cutoff (an account that has setup
rows at all keeps a known setup, even if nothing was live yet).

Realised ("what the account achieved afterwards, on its own mix"), for accounts with a known
setup:
    realised = Σ_cells share_c · r_c
where share_c is the cell's share before the cutoff (the mix the prediction used) and
    r_c = the cell's automation rate after the cutoff, counted from the day its enabler went live
          (+ `ramp_days`) when that happened after the cutoff            — observable cells:
          enabler live by the end of the data, or predicted target = own rate (no enabler needed,
          or already at benchmark), with at least `min_post` known outcomes;
    r_c = the predicted target otherwise (the enabler never went live: nothing to compare, so the
          cell adds no error).
Only accounts whose newly-live, observed cells hold at least `min_new_share` of the mix are scored
(they "deployed the missing enablers"). On the demo workspace the prediction is also compared with
`demo_truth.achievable_automation_rate` for every account.
Figures: MAE in points, share within ±5 points, bias, interval coverage (the share of scored
accounts whose realised / truth value lies inside the predicted [low, high]; stored as
`coverage_realised` / `coverage_truth` in backtest_runs), and a calibration table (predicted
deciles vs mean achieved). The prediction also gets the window before its own (the interval's
mix drift).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field

import duckdb
import numpy as np
import pandas as pd

from cockpit import store
from cockpit.contract import CELL, ENABLER_FOR_TYPE
from cockpit.scoring import metrics
from cockpit.scoring.potential import DEFAULT_PARAMS, PotentialParams, potential_for

log = logging.getLogger(__name__)

DEFAULT_LOOKBACK_DAYS = 90
KEY = ["account_id", *CELL]


@dataclass
class Backtest:
    """One backtest: summary figures, per-account rows and the calibration table."""

    summary: dict
    results: pd.DataFrame
    calibration: pd.DataFrame = field(default_factory=pd.DataFrame)

    def to_json(self) -> dict:
        """The `cockpit backtest --json` payload."""
        return {
            **self.summary,
            "calibration": [
                {k: (None if pd.isna(v) else v) for k, v in r.items()}
                for r in self.calibration.to_dict("records")
            ],
        }


def default_cutoff(as_of: dt.date, lookback_days: int = DEFAULT_LOOKBACK_DAYS) -> dt.date:
    """The refresh's cutoff: `lookback_days` before the as-of date."""
    return as_of - dt.timedelta(days=lookback_days)


def realised_rates(
    contributions: pd.DataFrame,
    post: pd.DataFrame,
    cutoff: dt.date,
    setup_accounts: set[str],
    min_post: int = 5,
    min_new_share: float = 0.05,
) -> pd.DataFrame:
    """Per account: realised rate on the pre-cutoff mix (see module docstring) and coverage.

    `post` has account_id, automation_type, topic_id, live_since (of the cell's enabler, NULL when
    none), known_post, ai_post (counted from max(cutoff, live_since + ramp)).
    """
    df = contributions.merge(post, on=KEY, how="left")
    df["known_post"] = df["known_post"].fillna(0)
    df["ai_post"] = df["ai_post"].fillna(0)
    since = pd.to_datetime(df["live_since"])
    live_end = df["live_end"].fillna(False).astype(bool)
    new = live_end & since.notna() & (since >= pd.Timestamp(cutoff))
    enough = df["known_post"] >= min_post
    kept = (df["target_rate"] - df["current_rate"]).abs() < 1e-12
    observable = enough & (live_end | kept)
    post_rate = df["ai_post"] / df["known_post"].where(df["known_post"] > 0)
    df["r"] = np.where(observable, post_rate, df["target_rate"])
    df["new_share"] = np.where(new & observable, df["share"], 0.0)
    g = df.assign(sr=df["share"] * df["r"]).groupby("account_id")
    out = pd.DataFrame({"realised": g["sr"].sum(), "new_share": g["new_share"].sum()})
    ok = out.index.isin(list(setup_accounts)) & (out["new_share"] >= min_new_share)
    out.loc[~ok, "realised"] = np.nan
    return out.reset_index()


def calibration_table(pred: pd.Series, achieved: pd.Series, bins: int = 10) -> pd.DataFrame:
    """Mean predicted vs mean achieved per predicted-decile bin."""
    ok = pred.notna() & achieved.notna()
    if ok.sum() < 2:
        return pd.DataFrame(columns=["bin", "n", "predicted", "achieved"])
    p, a = pred[ok], achieved[ok]
    q = pd.qcut(p.rank(method="first"), min(bins, int(ok.sum())), labels=False)
    t = pd.DataFrame({"bin": q + 1, "p": p, "a": a}).groupby("bin")
    return pd.DataFrame(
        {"n": t.size(), "predicted": t["p"].mean(), "achieved": t["a"].mean()}
    ).reset_index()


def _errors(pred: pd.Series, actual: pd.Series, low: pd.Series, high: pd.Series) -> dict:
    ok = pred.notna() & actual.notna()
    if not ok.any():
        return {"n": 0, "mae_pts": None, "within5": None, "coverage": None, "bias_pts": None}
    err = (pred[ok] - actual[ok]) * 100
    inside = (actual[ok] >= low[ok] - 1e-9) & (actual[ok] <= high[ok] + 1e-9)
    return {
        "n": int(ok.sum()),
        "mae_pts": float(err.abs().mean()),
        "within5": float((err.abs() <= 5).mean()),
        "coverage": float(inside.mean()),
        "bias_pts": float(err.mean()),
    }


def _post_cells(
    con: duckdb.DuckDBPyConnection, source: str, cutoff: dt.date, ramp_days: int
) -> pd.DataFrame:
    enabler_case = " ".join(f"WHEN '{t}' THEN '{e}'" for t, e in ENABLER_FOR_TYPE.items())
    has_setup = store.table_exists(con, "setup")
    live = (
        "SELECT account_id, enabler, topic_id, "
        "min(coalesce(live_since, DATE '1900-01-01')) AS live_since FROM setup GROUP BY ALL"
        if has_setup
        else "SELECT NULL::VARCHAR AS account_id, NULL::VARCHAR AS enabler, "
        "NULL::VARCHAR AS topic_id, NULL::DATE AS live_since WHERE false"
    )
    return con.execute(
        f"""
        WITH live AS ({live}),
        post AS (
            SELECT s.account_id, s.automation_type, s.topic_id, s.day, s.resolved_by,
                   l.live_since
            FROM {source} s
            LEFT JOIN live l ON l.account_id = s.account_id AND l.topic_id = s.topic_id
                 AND l.enabler = CASE s.automation_type {enabler_case} END
            WHERE s.day >= DATE '{cutoff}')
        SELECT account_id, automation_type, topic_id,
               any_value(live_since) AS live_since,
               any_value(live_since) IS NOT NULL AS live_end,
               count(resolved_by) FILTER (WHERE live_since IS NULL OR live_since < DATE '{cutoff}'
                   OR day >= live_since + INTERVAL {int(ramp_days)} DAY) AS known_post,
               count(*) FILTER (WHERE resolved_by = 'ai' AND (live_since IS NULL
                   OR live_since < DATE '{cutoff}'
                   OR day >= live_since + INTERVAL {int(ramp_days)} DAY)) AS ai_post
        FROM post GROUP BY ALL
        """
    ).df()


def run_backtest(
    con: duckdb.DuckDBPyConnection,
    cutoff: dt.date,
    params: PotentialParams = DEFAULT_PARAMS,
    ramp_days: int = 0,
    min_post: int = 5,
    min_new_share: float = 0.05,
) -> Backtest:
    """Predict each account's potential with data before `cutoff`, compare with what followed."""
    con.execute("CREATE OR REPLACE TEMP VIEW _bt_scored AS " + metrics.scored_relation())
    as_of = cutoff - dt.timedelta(days=1)
    start, end = metrics.window_bounds(as_of, params.window_days)
    cells = metrics.aggregate(
        con,
        "_bt_scored",
        ["account_id", "vertical", *CELL],
        f"day BETWEEN DATE '{start}' AND DATE '{end}'",
    )
    p0, p1 = metrics.window_bounds(as_of, params.window_days, back=1)
    previous = metrics.aggregate(
        con, "_bt_scored", ["account_id", *CELL], f"day BETWEEN DATE '{p0}' AND DATE '{p1}'"
    )
    if store.table_exists(con, "setup"):
        setup = con.execute("SELECT account_id, enabler, topic_id, live_since FROM setup").df()
    else:
        setup = pd.DataFrame(columns=["account_id", "enabler", "topic_id", "live_since"])
    setup_accounts = set(setup["account_id"])
    since = pd.to_datetime(setup["live_since"])
    visible = setup[(since.isna() | (since < pd.Timestamp(cutoff))).to_numpy()]
    method = describe(params, ramp_days)
    live = metrics.live_counts(con, "_bt_scored", visible, start, end)
    cells = cells.merge(live, on=KEY, how="left")
    if cells.empty:
        pred = pd.DataFrame(columns=["account_id", "potential", "low", "high"])
        contributions = pd.DataFrame(columns=[*KEY, "share", "current_rate", "target_rate"])
    else:
        res = potential_for(
            cells, visible, as_of, params, setup_accounts=setup_accounts, previous=previous
        )
        pred, contributions = res["potential"], res["contributions"]
    post = _post_cells(con, "_bt_scored", cutoff, ramp_days)
    con.execute("DROP VIEW _bt_scored")
    real = realised_rates(contributions, post, cutoff, setup_accounts, min_post, min_new_share)
    results = pred[["account_id", "potential", "low", "high"]].rename(
        columns={"potential": "predicted"}
    )
    results = results.merge(real[["account_id", "realised"]], on="account_id", how="left")
    if store.table_exists(con, "demo_truth"):
        truth = con.execute(
            "SELECT account_id, achievable_automation_rate AS truth FROM demo_truth"
        ).df()
        results = results.merge(truth, on="account_id", how="left")
    else:
        results["truth"] = np.nan
    results = results.astype(
        {c: "float64" for c in ["predicted", "low", "high", "realised", "truth"]}
    )
    r = _errors(results["predicted"], results["realised"], results["low"], results["high"])
    t = _errors(results["predicted"], results["truth"], results["low"], results["high"])
    created = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    digest = hashlib.sha1(method.encode()).hexdigest()[:6]
    summary = {
        "backtest_id": f"bt-{cutoff:%Y%m%d}-{digest}",
        "cutoff": cutoff.isoformat(),
        "created_at": created.isoformat(timespec="seconds"),
        "n_accounts": int(len(results)),
        "mae_realised_pts": r["mae_pts"],
        "within5_realised": r["within5"],
        "mae_truth_pts": t["mae_pts"],
        "within5_truth": t["within5"],
        "method": method,
        "n_realised": r["n"],
        "coverage_realised": r["coverage"],
        "bias_realised_pts": r["bias_pts"],
        "n_truth": t["n"],
        "coverage_truth": t["coverage"],
        "bias_truth_pts": t["bias_pts"],
    }
    calib = calibration_table(results["predicted"], results["realised"])
    log.info(
        "Backtest - cutoff %s: MAE realised %s pts (n=%s), truth %s pts",
        cutoff,
        summary["mae_realised_pts"],
        r["n"],
        summary["mae_truth_pts"],
    )
    return Backtest(summary, results.reset_index(drop=True), calib)


def describe(params: PotentialParams, ramp_days: int = 0) -> str:
    """A compact, stable description of the method and its parameters."""
    keys = (
        "statistic", "prior_conv", "own_prior", "account_factor", "window_days", "infer_ratio",
        "interval", "peer_spread", "spread_prior",
    )  # fmt: skip
    if params.statistic == "quantile":
        keys = (*keys, "quantile", "population", "min_n", "prior_k")
    d = {k: v for k, v in asdict(params).items() if k in keys}
    return "potential v3 " + json.dumps({**d, "ramp_days": ramp_days}, sort_keys=True)


# backtest_runs columns; coverage_* = share of scored accounts whose realised / truth value lies
# inside the predicted [low, high].
RUN_COLUMNS = (
    ("backtest_id", "VARCHAR"), ("cutoff", "DATE"), ("created_at", "TIMESTAMP"),
    ("n_accounts", "INTEGER"), ("mae_realised_pts", "DOUBLE"), ("within5_realised", "DOUBLE"),
    ("mae_truth_pts", "DOUBLE"), ("within5_truth", "DOUBLE"), ("method", "VARCHAR"),
    ("n_realised", "INTEGER"), ("coverage_realised", "DOUBLE"), ("bias_realised_pts", "DOUBLE"),
    ("n_truth", "INTEGER"), ("coverage_truth", "DOUBLE"), ("bias_truth_pts", "DOUBLE"),
    ("calibration", "VARCHAR"),
)  # fmt: skip


def save_backtest(con: duckdb.DuckDBPyConnection, bt: Backtest) -> None:
    """Store the run in backtest_runs / backtest_results (same id → replaced, else appended)."""
    s = bt.summary
    bid = s["backtest_id"]
    con.execute("DELETE FROM backtest_runs WHERE backtest_id = ?", [bid])
    con.execute("DELETE FROM backtest_results WHERE backtest_id = ?", [bid])
    calib = json.dumps(bt.to_json()["calibration"])
    values = {**s, "calibration": calib}
    names = [c for c, _ in RUN_COLUMNS]
    con.execute(
        f"INSERT INTO backtest_runs ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [values[c] for c in names],
    )
    rows = bt.results.assign(backtest_id=bid)[
        ["backtest_id", "account_id", "predicted", "low", "high", "realised", "truth"]
    ]
    con.register("_bt_rows", rows)
    try:
        con.execute("INSERT INTO backtest_results SELECT * FROM _bt_rows")
    finally:
        con.unregister("_bt_rows")
