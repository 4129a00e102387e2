"""Peer benchmarks and automation potential.

Inputs are per account × cell counts (`known_outcome`, `ai_resolved`) over a window, the accounts'
vertical, and the `setup` table. A cell is (automation_type, topic_id); the enabler it needs is
`contract.ENABLER_FOR_TYPE[automation_type]` for that topic.

1. Enabler status. Where `setup` lists rows for an account, a cell's enabler is live when a row
   (enabler, topic_id) has `live_since` empty or on/before `as_of`. Where an account has no setup
   rows at all, status is inferred from its own outcomes: live when the cell's automation rate is at
   or above the midpoint between the median live and median not-live peer rates of that vertical ×
   cell (known from accounts with setup), or, without such peers, at or above
   `infer_ratio` × the cell's benchmark.
2. Benchmark ("what peers that have the enabler reach"), per vertical × cell. Default
   (statistic = "pooled", chosen by the backtest on the demo):
       A, N      = AI-resolved and known outcomes of live peers while their enabler was live
       type      = the same pooled over the vertical × automation type (itself shrunk to the
                   automation type across verticals)
       benchmark = (A + k · type) / (N + k)                 (k = `prior_conv` conversations)
   i.e. an empirical-Bayes (beta-binomial) shrinkage of a thin cell towards its type level.
   Alternative (statistic = "quantile"): the q-th percentile of live peers' cell rates (peers with
   ≥ `min_n` outcomes), shrunk to the type-level percentile with weight k = `prior_k` accounts.
3. Potential of an account = Σ_cells share_c · target_c, with share_c = the cell's share of the
   account's known-outcome conversations over the last `window_days` days and
       target_c = (a_live + m · benchmark_c) / (n_live + m)   if the enabler is live: its own rate
                  while live, shrunk to the benchmark (m = `own_prior`; m = 0 keeps the raw rate);
       target_c = max(shrunk own rate, benchmark_c)          if the enabler is missing;
       target_c = own rate                                   if the cell needs no enabler
                                                             ('unknown' type, 'other' topic).
   contribution_pts_c = 100 · share_c · (target_c − own rate_c); gap_pts = Σ contributions.
4. Likely range (an 80% interval): 10th–90th percentile of seeded draws that combine
   - sampling noise: the account's conversations resampled (multinomial over cells, binomial
     outcomes within a cell) and the benchmarks redrawn (Beta draws of the pooled counts, or peer
     accounts resampled for "quantile");
   - model / peer uncertainty (`peer_spread`): a real account does not land exactly on its peers'
     pooled rate. Each draw shifts the benchmark of all the account's missing cells by one
     account-level deviation δ ~ N(0, τ_v²), where τ_v² is the between-account variance of live
     peers' deviations from the benchmarks in vertical v:
         D_a  = (Σ ev_ai − Σ ev_known · benchmark) / Σ ev_known       (live cells of account a)
         τ²   = max(var_a(D_a) − mean_a(Σ ev_known · b(1 − b) / (Σ ev_known)²), 0)
         τ_v² = ((n_v − 1) · τ²_v + s · τ²_all) / (n_v − 1 + s)       (s = `spread_prior` accounts)
       so target*_c = max(r*_c, benchmark*_c + δ) for missing cells;
   - mix drift: the potential is stated on the window's mix, the next months bring another.
     Each draw adds ε ~ N(0, σ_v²), σ_v² = mean over accounts of
     (Σ_c (share_c(previous window) − share_c) · target_c)², shrunk like τ_v (`mix_drift`).
   The range always contains the point estimate.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cockpit.contract import CELL, ENABLER_FOR_TYPE

log = logging.getLogger(__name__)

VCELL = ["vertical", *CELL]


@dataclass(frozen=True)
class PotentialParams:
    """Knobs of the benchmark and potential estimate (defaults chosen by the backtest)."""

    statistic: str = "pooled"  # "pooled": live peers' conversations pooled; "quantile"
    quantile: float = 0.75  # for statistic="quantile": the peer percentile
    population: str = "live"  # "live": peers with the enabler live; "all": every peer
    min_n: int = 20  # known outcomes an account needs in a cell to count as a peer (quantile)
    prior_k: float = 3.0  # quantile: shrinkage towards the type level, in accounts
    prior_conv: float = 30.0  # pooled: shrinkage towards the type level, in conversations
    own_prior: float = 30.0  # pseudo-conversations shrinking a cell's own rate to its benchmark
    account_factor: bool = False  # scale benchmarks by the account's own live-cell performance
    factor_prior: float = 30.0  # pseudo-conversations of the account factor (towards 1)
    infer_ratio: float = 0.8
    window_days: int = 90  # own rates and mix are measured over this many days
    n_boot: int = 200
    seed: int = 0
    interval: tuple[float, float] = (10.0, 90.0)  # percentiles of the draws: an 80% interval
    peer_spread: bool = True  # add the between-account spread of live peers to the interval
    spread_prior: float = 10.0  # accounts: a vertical's spread is shrunk to the all-vertical one


DEFAULT_PARAMS = PotentialParams()


def _rate(a: pd.Series, n: pd.Series) -> pd.Series:
    n = n.astype("float64")
    return (a.astype("float64") / n.where(n > 0)).astype("float64")


def enabler_status(
    cells: pd.DataFrame,
    setup: pd.DataFrame,
    as_of: dt.date,
    params: PotentialParams = PotentialParams(),
    setup_accounts: set[str] | None = None,
) -> pd.DataFrame:
    """Add `rate`, `enabler`, `enabler_live`, `status_source` (setup|inferred|none) and the live
    evidence `ev_known`, `ev_ai` (outcomes while the enabler was live) to cells.

    `cells` may carry `known_live` / `ai_live` (from `metrics.live_counts`); without them a live
    cell's whole window counts as live evidence. `setup_accounts`: accounts whose setup is known
    even if none of their rows is live yet (default: the accounts present in `setup`).
    """
    out = cells.copy()
    out["rate"] = _rate(out["ai_resolved"], out["known_outcome"])
    out["enabler"] = out["automation_type"].map(ENABLER_FOR_TYPE)
    has_enabler = out["enabler"].notna() & (out["topic_id"] != "other")
    out.loc[~has_enabler, "enabler"] = None
    setup = setup if setup is not None else pd.DataFrame()
    live_keys: set[tuple[str, str, str]] = set()
    with_setup: set[str] = set()
    if not setup.empty:
        since = pd.to_datetime(setup["live_since"])
        live = setup[(since.isna() | (since <= pd.Timestamp(as_of))).to_numpy()]
        live_keys = set(zip(live["account_id"], live["enabler"], live["topic_id"], strict=True))
        with_setup = set(setup["account_id"])
    if setup_accounts is not None:
        with_setup = set(setup_accounts)
    known = out["account_id"].isin(with_setup) & has_enabler
    keys = zip(out["account_id"], out["enabler"], out["topic_id"], strict=True)
    out["enabler_live"] = [k in live_keys for k in keys]
    out["status_source"] = np.where(known, "setup", np.where(has_enabler, "inferred", "none"))
    infer = (out["status_source"] == "inferred").to_numpy()
    if infer.any():
        threshold = _inference_threshold(out, params)
        t = out.loc[infer, VCELL].merge(threshold, on=VCELL, how="left")["threshold"]
        rate = out.loc[infer, "rate"].to_numpy()
        out.loc[infer, "enabler_live"] = np.nan_to_num(rate, nan=0.0) >= t.fillna(1.01).to_numpy()
    out.loc[~has_enabler, "enabler_live"] = False
    out["enabler_live"] = out["enabler_live"].astype(bool)
    kl = out["known_live"] if "known_live" in out else pd.Series(np.nan, index=out.index)
    al = out["ai_live"] if "ai_live" in out else pd.Series(np.nan, index=out.index)
    from_setup = (out["status_source"] == "setup") & kl.notna()
    live = out["enabler_live"]
    out["ev_known"] = np.where(live, np.where(from_setup, kl, out["known_outcome"]), 0).astype(
        "int64"
    )
    out["ev_ai"] = np.where(live, np.where(from_setup, al, out["ai_resolved"]), 0).astype("int64")
    return out


def _inference_threshold(cells: pd.DataFrame, params: PotentialParams) -> pd.DataFrame:
    """Per vertical × cell: the rate above which an enabler is taken to be live — the midpoint
    between live and not-live peers with known setup, else `infer_ratio` × the benchmark."""
    known = cells[cells["status_source"] == "setup"]
    g = known.groupby([*VCELL, "enabler_live"])[["ai_resolved", "known_outcome"]].sum()
    pooled = (g["ai_resolved"] / g["known_outcome"].where(g["known_outcome"] > 0)).unstack(
        "enabler_live"
    )
    mid = pd.Series(dtype="float64")
    if True in pooled.columns and False in pooled.columns:
        mid = ((pooled[True] + pooled[False]) / 2).dropna()
    everyone = cells[cells["enabler"].notna()].assign(
        enabler_live=True, ev_known=lambda d: d["known_outcome"], ev_ai=lambda d: d["ai_resolved"]
    )
    bench = benchmarks(everyone, params)
    thr = bench.set_index(VCELL)["benchmark_rate"] * params.infer_ratio
    thr.loc[mid.index] = mid
    return thr.rename("threshold").reset_index()


def _quantile_by(df: pd.DataFrame, by: list[str], q: float) -> pd.DataFrame:
    g = df.groupby(by)["rate"]
    return pd.DataFrame({"value": g.quantile(q), "n": g.count()}).reset_index()


def _peers(cells: pd.DataFrame, params: PotentialParams) -> pd.DataFrame:
    peers = cells[(cells["known_outcome"] >= params.min_n) & cells["enabler"].notna()]
    if params.population == "live":
        peers = peers[peers["enabler_live"]]
    return peers


def _type_level(cells: pd.DataFrame, params: PotentialParams) -> pd.DataFrame:
    base = cells[cells["enabler"].notna()]
    if params.population == "live":
        base = base[base["enabler_live"]]
    pooled = base.groupby(["vertical", "automation_type", "account_id"], as_index=False)[
        ["known_outcome", "ai_resolved"]
    ].sum()
    pooled = pooled[pooled["known_outcome"] >= params.min_n]
    pooled["rate"] = _rate(pooled["ai_resolved"], pooled["known_outcome"])
    vtype = _quantile_by(pooled, ["vertical", "automation_type"], params.quantile)
    gtype = _quantile_by(pooled, ["automation_type"], params.quantile)
    return vtype.merge(gtype, on="automation_type", how="outer", suffixes=("", "_global"))


def _pooled_benchmarks(cells: pd.DataFrame, params: PotentialParams) -> pd.DataFrame:
    """Pooled live-peer rate per vertical × cell, shrunk to the vertical × type pooled rate."""
    grid = cells.loc[cells["enabler"].notna(), VCELL].drop_duplicates()
    live = cells[cells["enabler"].notna() & cells["enabler_live"]]
    cell = live.groupby(VCELL)[["ev_ai", "ev_known"]].sum()
    cell["n_accounts"] = live[live["ev_known"] > 0].groupby(VCELL)["account_id"].nunique()
    vtype = live.groupby(["vertical", "automation_type"])[["ev_ai", "ev_known"]].sum()
    gtype = live.groupby(["automation_type"])[["ev_ai", "ev_known"]].sum()
    out = grid.merge(cell.reset_index(), on=VCELL, how="left")
    out = out.merge(
        vtype.reset_index().rename(columns={"ev_ai": "v_ai", "ev_known": "v_n"}),
        on=["vertical", "automation_type"],
        how="left",
    ).merge(
        gtype.reset_index().rename(columns={"ev_ai": "g_ai", "ev_known": "g_n"}),
        on="automation_type",
        how="left",
    )
    out = out.fillna({"ev_ai": 0, "ev_known": 0, "v_ai": 0, "v_n": 0, "n_accounts": 0})
    glob = (out["g_ai"] / out["g_n"].where(out["g_n"] > 0)).fillna(0.5)
    k = params.prior_conv
    prior = (out["v_ai"] + k * glob) / (out["v_n"] + k)  # type level, itself shrunk to global
    out["benchmark_rate"] = (out["ev_ai"] + k * prior) / (out["ev_known"] + k)
    out["n_accounts"] = out["n_accounts"].astype("int64")
    out["n_conversations"] = out["ev_known"].astype("int64")
    out["method"] = [
        f"pooled live peers ({a} accounts, {n} conversations), shrunk to type level "
        f"(k={k:g} conversations)"
        for a, n in zip(out["n_accounts"], out["n_conversations"], strict=True)
    ]
    return out[[*VCELL, "benchmark_rate", "n_accounts", "method"]]


def benchmarks(cells: pd.DataFrame, params: PotentialParams = PotentialParams()) -> pd.DataFrame:
    """Benchmark automation rate per vertical × cell (see the module docstring for the formula).

    `cells` needs vertical, automation_type, topic_id, account_id, known_outcome, ai_resolved,
    enabler, enabler_live, ev_known, ev_ai (from `enabler_status`).
    """
    cells = cells.copy()
    if "rate" not in cells:
        cells["rate"] = _rate(cells["ai_resolved"], cells["known_outcome"])
    if params.statistic == "pooled":
        return _pooled_benchmarks(cells, params).reset_index(drop=True)
    grid = cells.loc[cells["enabler"].notna(), VCELL].drop_duplicates()
    raw = _quantile_by(_peers(cells, params), VCELL, params.quantile)
    out = grid.merge(raw, on=VCELL, how="left")
    types = _type_level(cells, params)
    out = out.merge(types, on=["vertical", "automation_type"], how="left")
    prior = out["value_y"].fillna(out["value_global"])
    n = out["n_x"].fillna(0).astype("int64")
    k = params.prior_k
    shrunk = (n * out["value_x"].fillna(0.0) + k * prior) / (n + k)
    out["benchmark_rate"] = shrunk.where(prior.notna(), out["value_x"])
    out["n_accounts"] = n
    pct = round(params.quantile * 100)
    who = "live peers" if params.population == "live" else "peers"
    out["method"] = [f"p{pct} of {who} (n={m}), shrunk to type level (k={k:g})" for m in n]
    return out[[*VCELL, "benchmark_rate", "n_accounts", "method"]].reset_index(drop=True)


def _account_factor(t: pd.DataFrame, params: PotentialParams) -> pd.Series:
    """How the account's live cells perform against their benchmarks (1 = like peers).

    factor = (AI-resolved in live cells + m) / (Σ live outcomes × benchmark + m), clipped to
    [0.5, 1.5]; m = `factor_prior`.
    """
    if not params.account_factor:
        return pd.Series(1.0, index=t.index)
    live = t["enabler_live"] & t["benchmark_rate"].notna()
    obs = (t["ev_ai"] * live).groupby(t["account_id"]).transform("sum")
    exp = (
        (t["ev_known"] * t["benchmark_rate"].fillna(0) * live)
        .groupby(t["account_id"])
        .transform("sum")
    )
    m = params.factor_prior
    return ((obs + m) / (exp + m)).clip(0.5, 1.5)


def _targets(cells: pd.DataFrame, bench: pd.DataFrame, params: PotentialParams) -> pd.DataFrame:
    out = cells.merge(bench[[*VCELL, "benchmark_rate"]], on=VCELL, how="left")
    own = out["rate"].fillna(0.0)
    factor = _account_factor(out, params)
    expected = (out["benchmark_rate"] * factor).clip(upper=1.0)
    has = out["enabler"].notna() & out["benchmark_rate"].notna()
    m = params.own_prior
    # A live cell's rate measured while live, shrunk to the (account-scaled) benchmark.
    live_rate = (out["ev_ai"] + m * expected) / (out["ev_known"] + m)
    live_rate = live_rate.where(out["ev_known"] + m > 0, own)
    own_shrunk = (out["ai_resolved"] + m * expected) / (out["known_outcome"] + m)
    actionable = has & ~out["enabler_live"]
    out["current_rate"] = own
    out["target_rate"] = np.where(
        actionable,
        np.maximum(own_shrunk.fillna(0.0), expected.fillna(0.0)),
        np.where(has & out["enabler_live"] & (m > 0), live_rate, own),
    )
    out["actionable"] = actionable & (out["target_rate"] > own)
    out["factor"] = factor
    return out


def _bench_draws(
    cells: pd.DataFrame, bench: pd.DataFrame, params: PotentialParams, rng: np.random.Generator
) -> dict[tuple[str, str, str], np.ndarray]:
    """Bootstrap draws of each benchmark: peer accounts resampled (quantile) or a Beta draw of
    the pooled counts (pooled), shrunk like the estimate."""
    draws = {}
    if params.statistic == "pooled":
        live = cells[cells["enabler"].notna() & cells["enabler_live"]]
        counts = live.groupby(VCELL)[["ev_ai", "ev_known"]].sum()
        k = params.prior_conv
        for row in bench.itertuples(index=False):
            key = (row.vertical, row.automation_type, row.topic_id)
            a, n = counts.loc[key] if key in counts.index else (0, 0)
            prior = (row.benchmark_rate * (n + k) - a) / k if k > 0 else row.benchmark_rate
            p = rng.beta(a + 1, n - a + 1, params.n_boot) if n > 0 else np.full(params.n_boot, 0)
            draws[key] = (n * p + k * prior) / (n + k)
        return draws
    peers = _peers(cells, params)
    groups = {key: g["rate"].to_numpy() for key, g in peers.groupby(VCELL)}
    k = params.prior_k
    for row in bench.itertuples(index=False):
        key = (row.vertical, row.automation_type, row.topic_id)
        x = groups.get(key)
        b = row.benchmark_rate
        if x is None or len(x) < 2 or pd.isna(b):
            draws[key] = np.full(params.n_boot, b)
            continue
        n = len(x)
        raw_q = np.quantile(x, params.quantile)
        prior = (b * (n + k) - n * raw_q) / k if k > 0 else raw_q
        boot = np.quantile(rng.choice(x, size=(params.n_boot, n)), params.quantile, axis=1)
        draws[key] = (n * boot + k * prior) / (n + k)
    return draws


def peer_spread(t: pd.DataFrame, params: PotentialParams = PotentialParams()) -> dict[str, float]:
    """Between-account spread (sd, in rate units) of live peers around their benchmarks, per
    vertical (key "*" = all verticals).

    For every account with at least `min_n` live outcomes, its deviation from the benchmarks over
    its live cells is D = (Σ ev_ai − Σ ev_known · benchmark) / Σ ev_known. The spread is the
    method-of-moments between-account variance: var(D) − mean binomial variance of D, floored at
    0; a vertical's variance is shrunk to the all-vertical one with weight `spread_prior` accounts.
    `t` needs account_id, vertical, enabler_live, benchmark_rate, ev_known, ev_ai.
    """
    live = t[t["enabler_live"] & t["benchmark_rate"].notna() & (t["ev_known"] > 0)]
    if live.empty:
        return {"*": 0.0}
    b = live["benchmark_rate"].clip(0, 1)
    acc = (
        live.assign(exp=live["ev_known"] * b, var=live["ev_known"] * b * (1 - b))
        .groupby(["vertical", "account_id"])[["ev_ai", "ev_known", "exp", "var"]]
        .sum()
    )
    acc = acc[acc["ev_known"] >= max(params.min_n, 1)]
    if len(acc) < 2:
        return {"*": 0.0}
    dev = (acc["ev_ai"] - acc["exp"]) / acc["ev_known"]
    noise = acc["var"] / acc["ev_known"] ** 2

    def tau2(d: pd.Series, v: pd.Series) -> float:
        return max(float(d.var(ddof=1)) - float(v.mean()), 0.0) if len(d) >= 2 else 0.0

    overall = tau2(dev, noise)
    out = {"*": overall**0.5}
    k = params.spread_prior
    for vertical, d in dev.groupby(level="vertical"):
        n = len(d)
        own = tau2(d, noise.loc[d.index])
        out[vertical] = ((max(n - 1, 0) * own + k * overall) / (max(n - 1, 0) + k)) ** 0.5
    return out


def mix_drift(
    t: pd.DataFrame, previous: pd.DataFrame | None, params: PotentialParams = PotentialParams()
) -> dict[str, float]:
    """How far the potential moves when the mix moves: sd over accounts of
    Σ_c (share_c(previous window) − share_c(window)) · target_c, per vertical (key "*" = all),
    a vertical shrunk to the all-vertical value with weight `spread_prior` accounts.

    The potential is stated on the window's mix, but the account's next months come with another
    mix; the window before shows how much it moves in one window. `t` holds the window's cells with
    share and target_rate; `previous` the previous window's account × cell known_outcome counts.
    Accounts need `min_n` outcomes in both windows.
    """
    if previous is None or previous.empty or t.empty:
        return {"*": 0.0}
    prev = previous[["account_id", *CELL, "known_outcome"]].rename(columns={"known_outcome": "n0"})
    m = t[["account_id", "vertical", *CELL, "share", "target_rate", "known_outcome"]].merge(
        prev, on=["account_id", *CELL], how="left"
    )
    m["n0"] = m["n0"].fillna(0)
    g = m.groupby("account_id")
    n0, n1 = g["n0"].transform("sum"), g["known_outcome"].transform("sum")
    m = m[(n0 >= params.min_n) & (n1 >= params.min_n)]
    if m["account_id"].nunique() < 2:
        return {"*": 0.0}
    m = m.assign(d=(m["n0"] / n0[m.index] - m["share"]) * m["target_rate"])
    d = m.groupby(["vertical", "account_id"])["d"].sum()
    overall = float((d**2).mean())  # drift around 0: the point estimate assumes no drift
    out = {"*": overall**0.5}
    k = params.spread_prior
    for vertical, dv in d.groupby(level="vertical"):
        out[vertical] = ((len(dv) * float((dv**2).mean()) + k * overall) / (len(dv) + k)) ** 0.5
    return out


def estimate_potential(
    cells: pd.DataFrame,
    bench: pd.DataFrame,
    params: PotentialParams = PotentialParams(),
    account_names: dict[str, str] | None = None,
    previous: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Potential per account and per-cell contributions (see module docstring).

    `cells` comes from `enabler_status`; `previous` (optional) holds the previous window's
    account × cell counts, for the mix-drift part of the interval. Returns (potential,
    contributions) shaped like the `potential` and `potential_contributions` tables.
    """
    rng = np.random.default_rng(params.seed)
    t = _targets(cells, bench, params)
    t = t[t["known_outcome"] > 0].copy()
    totals = t.groupby("account_id")["known_outcome"].transform("sum")
    t["share"] = t["known_outcome"] / totals
    t["contribution_pts"] = 100 * t["share"] * (t["target_rate"] - t["current_rate"])
    draws = _bench_draws(cells, bench, params, rng)
    spread = peer_spread(t, params) if params.peer_spread else {"*": 0.0}
    drift = mix_drift(t, previous, params) if params.peer_spread else {"*": 0.0}
    lo_q, hi_q = params.interval
    m = params.own_prior
    rows = []
    for account_id, g in t.groupby("account_id", sort=True):
        n = g["known_outcome"].to_numpy(dtype="int64")
        total = int(n.sum())
        rate = g["current_rate"].to_numpy()
        target = g["target_rate"].to_numpy()
        current = float((g["share"] * g["current_rate"]).sum())
        point = float((g["share"] * g["target_rate"]).sum())
        nstar = rng.multinomial(total, n / total, size=params.n_boot)
        # Resample each cell around its target: own outcomes (binomial) for kept cells,
        # the benchmark's uncertainty (peer bootstrap) for cells that would reach it.
        fac = g["factor"].to_numpy()
        bstar = np.column_stack(
            [
                draws.get((v, a, tp), np.full(params.n_boot, np.nan))
                for v, a, tp in zip(g["vertical"], g["automation_type"], g["topic_id"], strict=True)
            ]
        )
        bstar = np.clip(np.nan_to_num(bstar * fac, nan=0.0), 0, 1)
        kept_n = np.where(g["enabler_live"].to_numpy() & (m > 0), g["ev_known"].to_numpy(), n)
        kept_p = np.where(g["enabler_live"].to_numpy() & (m > 0), target, rate)
        astar = rng.binomial(np.broadcast_to(kept_n, nstar.shape), np.clip(kept_p, 0, 1))
        rstar = np.divide(astar, kept_n, out=np.zeros(nstar.shape), where=kept_n > 0)
        if m > 0:
            live = g["enabler_live"].to_numpy()
            rstar = np.where(live, (astar + m * bstar) / (kept_n + m), rstar)
        act = g["actionable"].to_numpy()
        # Model uncertainty: the account may sit above or below its peers once the enablers are
        # live, by one account-level deviation shared by all its missing cells.
        vertical = g["vertical"].iloc[0]
        tau = spread.get(vertical, spread["*"])
        reach = np.clip(bstar + tau * rng.standard_normal((params.n_boot, 1)), 0, 1)
        tstar = np.where(act, np.fmax(rstar, reach), rstar)
        pstar = (nstar * tstar).sum(axis=1) / total
        pstar = pstar + drift.get(vertical, drift["*"]) * rng.standard_normal(params.n_boot)
        lo, hi = np.percentile(pstar, [lo_q, hi_q])
        low, high = float(min(lo, point)), float(max(hi, point))
        name = (account_names or {}).get(account_id, account_id)
        rows.append(
            {
                "account_id": account_id,
                "automation_rate": current,
                "potential": point,
                "low": low,
                "high": high,
                "gap_pts": 100 * (point - current),
                "method": method_sentence(name, vertical, point, low, high, params),
            }
        )
    pot = pd.DataFrame(
        rows,
        columns=["account_id", "automation_rate", "potential", "low", "high", "gap_pts", "method"],
    )
    contrib = t[
        [
            "account_id",
            *CELL,
            "share",
            "current_rate",
            "target_rate",
            "enabler",
            "enabler_live",
            "contribution_pts",
        ]
    ].sort_values(["account_id", "contribution_pts"], ascending=[True, False])
    return pot, contrib.reset_index(drop=True)


def method_sentence(
    name: str, vertical: str, point: float, low: float, high: float, params: PotentialParams
) -> str:
    """The one-sentence method statement shown to a CSM."""
    if params.statistic == "pooled":
        peers = f"the {vertical} peers that have it typically do"
    else:
        pct = round(params.quantile * 100)
        top = {75: "top quarter", 90: "top tenth", 50: "typical half", 80: "top fifth"}.get(
            pct, f"{pct}th percentile"
        )
        peers = f"the {top} of {vertical} peers that have it"
    return (
        f"If every topic where {name} still lacks help content, a data connector or a procedure "
        f"resolved as well as {peers}, and all other topics kept today's rates, the AI would "
        f"resolve about {point:.0%} of conversations (likely range {low:.0%}–{high:.0%}, "
        f"allowing for how far accounts sit from their peers and for a shifting topic mix)."
    )


def potential_for(
    cells: pd.DataFrame,
    setup: pd.DataFrame,
    as_of: dt.date,
    params: PotentialParams = PotentialParams(),
    account_names: dict[str, str] | None = None,
    setup_accounts: set[str] | None = None,
    previous: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """Status → benchmarks → potential in one call; returns the derived frames
    (cells with status, benchmarks, potential, contributions). `previous`: the previous
    window's account × cell counts (for the interval's mix drift; optional)."""
    status = enabler_status(cells, setup, as_of, params, setup_accounts)
    bench = benchmarks(status, params)
    pot, contrib = estimate_potential(status, bench, params, account_names, previous)
    return {"cells": status, "benchmarks": bench, "potential": pot, "contributions": contrib}
