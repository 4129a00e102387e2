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
from cockpit.scoring.inputs import potential_inputs, read_setup, window_vectors
from cockpit.scoring.potential import DEFAULT_PARAMS, Z80, PotentialParams, potential_for

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
    """The refresh's cutoff: the Monday on or before `as_of` − `lookback_days`.

    Weekly, not daily: the prediction at a cutoff reads only data before it, so on six nightly
    runs of seven it is unchanged and the refresh reuses it (`Prediction`, cached by the
    `backtest` step under a fingerprint of those inputs); only the realised side, two
    group-bys, is recomputed. The realised window is therefore 90 to 96 days long."""
    day = as_of - dt.timedelta(days=lookback_days)
    return day - dt.timedelta(days=day.weekday())


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


@dataclass
class Prediction:
    """What the potential predicted at a cutoff, from data before it only: per account
    (`pred`: account_id, potential, low, high[, sd]) and per cell (`contributions`: the mix
    share, current and target rates the realised side is weighed with)."""

    cutoff: dt.date
    method: str
    pred: pd.DataFrame
    contributions: pd.DataFrame
    setup_accounts: set[str]


def predict_at_cutoff(
    con: duckdb.DuckDBPyConnection,
    cutoff: dt.date,
    params: PotentialParams = DEFAULT_PARAMS,
    ramp_days: int = 0,
    embeddings_path=None,
) -> Prediction:
    """The potential as of the day before `cutoff`, with the setup rows live before it.

    Reads conversations dated before `cutoff` (and their tags), `accounts` and `setup` only:
    `pipelines.backtest` fingerprints exactly these to reuse a prediction. `embeddings_path`
    (the embedding cache) gives it the per-conversation counterfactual, as in the score step."""
    con.execute("CREATE OR REPLACE TEMP VIEW _bt_pred AS " + metrics.scored_relation())
    try:
        as_of = cutoff - dt.timedelta(days=1)
        setup = read_setup(con)
        since = pd.to_datetime(setup["live_since"])
        visible = setup[(since.isna() | (since < pd.Timestamp(cutoff))).to_numpy()]
        inputs = potential_inputs(
            con,
            "_bt_pred",
            as_of,
            params.window_days,
            visible,
            set(setup["account_id"]),
            soft=params.soft_types,
        )
        if inputs.cells.empty:
            pred = pd.DataFrame(columns=["account_id", "potential", "low", "high"])
            contributions = pd.DataFrame(columns=[*KEY, "share", "current_rate", "target_rate"])
        else:
            neighbours = None
            if embeddings_path is not None and params.knn_weight > 0:
                neighbours = window_vectors(
                    con, "_bt_pred", as_of, params.window_days, embeddings_path
                )
            res = potential_for(
                inputs.cells,
                visible,
                as_of,
                params,
                setup_accounts=inputs.setup_accounts,
                previous=inputs.previous,
                neighbours=neighbours,
            )
            pred, contributions = res["potential"], res["contributions"]
    finally:
        con.execute("DROP VIEW IF EXISTS _bt_pred")
    return Prediction(
        cutoff, describe(params, ramp_days), pred, contributions, set(inputs.setup_accounts)
    )


def run_backtest(
    con: duckdb.DuckDBPyConnection,
    cutoff: dt.date,
    params: PotentialParams = DEFAULT_PARAMS,
    ramp_days: int = 0,
    min_post: int = 5,
    min_new_share: float = 0.05,
    embeddings_path=None,
    prediction: Prediction | None = None,
) -> Backtest:
    """Predict each account's potential with data before `cutoff`, compare with what followed.

    `prediction`: the `predict_at_cutoff` result for this cutoff and method when the caller
    has it (the refresh reuses it while its inputs are unchanged); computed here otherwise."""
    method = describe(params, ramp_days)
    if prediction is None:
        prediction = predict_at_cutoff(con, cutoff, params, ramp_days, embeddings_path)
    if prediction.cutoff != cutoff or prediction.method != method:
        raise ValueError(
            f"backtest: the prediction given is for cutoff {prediction.cutoff} with "
            f"{prediction.method!r}; expected cutoff {cutoff} with {method!r}. "
            "Recompute it with predict_at_cutoff."
        )
    pred, contributions = prediction.pred, prediction.contributions
    setup_accounts = prediction.setup_accounts
    con.execute("CREATE OR REPLACE TEMP VIEW _bt_scored AS " + metrics.scored_relation())
    post = _post_cells(con, "_bt_scored", cutoff, ramp_days)
    con.execute("DROP VIEW _bt_scored")
    real = realised_rates(contributions, post, cutoff, setup_accounts, min_post, min_new_share)
    cols = ["account_id", "potential", "low", "high", *(["sd"] if "sd" in pred else [])]
    results = pred[cols].rename(columns={"potential": "predicted"})
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
        "interval_scale": conformal_scale(
            results["predicted"], results["realised"], results.get("sd"), params
        ),
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
        "statistic", "prior_conv", "own_prior", "window_days", "infer_ratio", "interval",
        "peer_spread", "spread_prior", "interval_scale", "noise_weight",
    )  # fmt: skip
    d = {k: v for k, v in asdict(params).items() if k in keys}
    return "potential v4 " + json.dumps({**d, "ramp_days": ramp_days}, sort_keys=True)


# Realised accounts a workspace needs before its own residuals set the likely range's width (and
# before the track record prints a bare MAE): with fewer, the 80th percentile of the residuals
# rests on one or two accounts (its standard error is about as large as the value itself).
MIN_EVIDENCE_ACCOUNTS = 10


def conformal_scale(
    predicted: pd.Series,
    realised: pd.Series,
    sd: pd.Series | None,
    params: PotentialParams = DEFAULT_PARAMS,
) -> float | None:
    """Split-conformal scale of the likely range from backtest residuals, or None when fewer than
    `MIN_EVIDENCE_ACCOUNTS` accounts were realised.

    With scores s = |realised − predicted| / sd, the range point ± z · κ · sd (z the normal 90%
    quantile) covers a new account with probability ≥ 80% when κ · z is the ⌈0.8 (n + 1)⌉-th
    smallest score (exchangeability of past and future accounts assumed).
    """
    if sd is None:
        return None
    ok = predicted.notna() & realised.notna() & sd.notna() & (sd > 0)
    n = int(ok.sum())
    if n < MIN_EVIDENCE_ACCOUNTS:
        return None
    scores = np.sort(((realised[ok] - predicted[ok]).abs() / sd[ok]).to_numpy())
    level = (params.interval[1] - params.interval[0]) / 100
    rank = min(int(np.ceil(level * (n + 1))), n) - 1
    return float(scores[rank] / Z80)


# backtest_runs columns; coverage_* = share of scored accounts whose realised / truth value lies
# inside the predicted [low, high].
RUN_COLUMNS = (
    ("backtest_id", "VARCHAR"), ("cutoff", "DATE"), ("created_at", "TIMESTAMP"),
    ("n_accounts", "INTEGER"), ("mae_realised_pts", "DOUBLE"), ("within5_realised", "DOUBLE"),
    ("mae_truth_pts", "DOUBLE"), ("within5_truth", "DOUBLE"), ("method", "VARCHAR"),
    ("n_realised", "INTEGER"), ("coverage_realised", "DOUBLE"), ("bias_realised_pts", "DOUBLE"),
    ("n_truth", "INTEGER"), ("coverage_truth", "DOUBLE"), ("bias_truth_pts", "DOUBLE"),
    ("calibration", "VARCHAR"), ("interval_scale", "DOUBLE"),
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


@dataclass(frozen=True)
class TrackRecord:
    """How the potential fared in the newest backtest, with the evidence behind it."""

    n_realised: int
    mae_pts: float | None
    bias_pts: float | None
    coverage: float | None
    cutoff: str | None

    @property
    def thin(self) -> bool:
        """Fewer than `MIN_EVIDENCE_ACCOUNTS` accounts deployed their enablers after the cutoff."""
        return self.n_realised < MIN_EVIDENCE_ACCOUNTS or self.mae_pts is None

    def sentence(self) -> str:
        """One line for Data health and the brief: the figures, or why there are none yet."""
        n = self.n_realised
        accounts = f"{n} account{'s' if n != 1 else ''}"
        if self.thin:
            return (
                f"Evidence is thin: only {accounts} deployed missing enablers after the last "
                f"backtest cutoff (at least {MIN_EVIDENCE_ACCOUNTS} are needed before the track "
                "record means much)."
            )
        return (
            f"Past predictions vs what {accounts} achieved: MAE {self.mae_pts:.1f} pts, "
            f"bias {self.bias_pts:+.1f} pts; the likely range held for {self.coverage:.0%}."
        )


def track_record(summary: dict | None) -> TrackRecord:
    """The track record of a `backtest_runs` row (None: no backtest yet → thin, no figures)."""
    if not summary:
        return TrackRecord(0, None, None, None, None)

    def num(key: str) -> float | None:
        v = summary.get(key)
        return None if v is None or pd.isna(v) else float(v)

    cutoff = summary.get("cutoff")
    return TrackRecord(
        int(num("n_realised") or 0),
        num("mae_realised_pts"),
        num("bias_realised_pts"),
        num("coverage_realised"),
        None if cutoff is None else str(cutoff)[:10],
    )


def latest_interval_scale(con: duckdb.DuckDBPyConnection) -> float | None:
    """The conformal scale of the newest backtest, when it rests on enough realised accounts."""
    if not store.table_exists(con, "backtest_runs"):
        return None
    cols = {r[0] for r in con.execute("SELECT * FROM backtest_runs LIMIT 0").description}
    if "interval_scale" not in cols:
        return None
    row = store.fetch_one(
        con,
        "SELECT interval_scale FROM backtest_runs WHERE interval_scale IS NOT NULL "
        "ORDER BY created_at DESC LIMIT 1",
    )
    return float(row[0]) if row and row[0] is not None else None
