"""Peer benchmarks and automation potential.

Inputs are per account × cell counts (`known_outcome`, `ai_resolved`, `tag_confidence`) over the
potential window (`window_days`, 90), the accounts' vertical, and the `setup` table (see
`cockpit.scoring.inputs`). A cell is (automation_type, topic_id); the enabler it needs is
`contract.ENABLER_FOR_TYPE[automation_type]` for that topic.

Default method (statistic = "mixture"; chosen on the demo and the evaluation book together, see
README "Potential"):

1. Setup state of each cell: live / not live per `setup` where the account has setup rows (a row
   is live when `live_since` is empty or on/before `as_of`; a live cell counts its outcomes since
   then), unknown otherwise.
2. Tagging noise removed: a conversation belongs to its tagged cell with probability
   conf = 1 − w · (1 − type × topic confidence) (w = `noise_weight`), else to the account's other
   cells, resolving like the account (rate R). The cell's own rate is
   ρ_c = (r_c − (1 − conf_c) · R) / conf_c, clipped to [0, 1] (`_own_counts`).
3. Working / not-working mixture per vertical × cell, fitted by EM with an account quality effect
   δ_a shrunk by empirical Bayes (`cockpit.scoring.mixture`): it gives p_full = the rate where the
   cell works, adjusted for the account, and p_work = P(this account's cell works | its outcomes,
   its setup state; 0 where `setup` says not live). A cell that `setup` calls live but that
   resolves far below its peers
   (partial deployment, wrong setup, other cells' conversations) gets a low p_work.
3b. Per-conversation counterfactual (when the score step passes the window's cached vectors;
   `cockpit.scoring.counterfactual`): each known-outcome conversation asks its `knn_k` nearest
   conversations at peers of the vertical where their cell works how often they were
   AI-resolved; the mean logit of those answers over the account's conversations of the cell,
   minus the cell's mean over every account, shifts p_full (weight `knn_weight`): an account
   whose requests in a topic are the harder (easier) kind reaches less (more) there.
4. Target of each cell: target_c = p_work · ρ̃_c + (1 − p_work) · p_full, ρ̃_c = its own rate
   shrunk to p_full with `own_prior` pseudo-conversations; cells that need no enabler ('unknown'
   type, 'other' topic) keep ρ_c.
5. Potential: every conversation counts in its cell with weight conf, the rest resolves like the
   account's other conversations, so with weight_c = share_c · conf_c / Σ share · conf
       contribution_pts_c = 100 · weight_c · (target_c − ρ_c)
       potential = today's rate + Σ contributions / 100      (gap_pts = potential − today, exactly)
   with today's rate = the account's automation rate over the same window. Never below today's
   rate: where Σ contributions < 0 (cells above their peers shrunk down) the potential is floored
   at today's rate and `floored` is set; the contributions still show the cells.
6. Likely range (80%): potential ± z · κ · sd, z = 1.2816, sd² = Σ_c weight_c² · (the variance of
   the cell's target: which component it is in, its own rate, p_full and the between-account
   spread of working cells) + (the account effect's variance, shared by the cells it lifts) +
   (mix drift: how far the potential moves with the previous window's mix). κ =
   `interval_scale` until the workspace's backtest has ≥ 10 realised accounts; then the
   split-conformal scale of its residuals (`backtest.conformal_scale`).

Alternative (statistic = "pooled", the previous default, kept for comparison in the benchmark):
   benchmark = (A + k · type) / (N + k) over live peers' pooled outcomes (k = `prior_conv`), a
   missing cell targets max(shrunk own rate, benchmark), a live cell its own rate while live
   shrunk to the benchmark, contribution_pts_c = 100 · share_c · (target_c − own rate_c), and a
   bootstrap range (sampling noise, peer spread, mix drift). Where an account has no setup rows,
   a cell is live when its rate is at or above the midpoint between live and not-live peers of
   known setup, or without such peers at or above `infer_ratio` × the benchmark.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cockpit.contract import CELL, ENABLER_FOR_TYPE
from cockpit.scoring.counterfactual import cell_counterfactual
from cockpit.scoring.mixture import fit_mixture

log = logging.getLogger(__name__)

VCELL = ["vertical", *CELL]
KEYC = ["account_id", *VCELL]
POTENTIAL_COLUMNS = [
    "account_id", "automation_rate", "potential", "low", "high", "gap_pts", "method",
]  # fmt: skip
CONTRIB_COLUMNS = [
    "account_id", *CELL, "share", "current_rate", "target_rate", "enabler", "enabler_live",
    "contribution_pts",
]  # fmt: skip


# A threshold no rate reaches: a cell with no peers to compare with is never inferred live.
NO_THRESHOLD = 1.01
# The prior rate of an automation type no live peer anywhere shows: 50%, the least informative
# value (a Beta(1, 1) mean), so the pseudo-conversations pull a thin cell neither up nor down.
NO_EVIDENCE_RATE = 0.5
Z80 = 1.2815515655446004  # standard-normal quantile of 90%: the 80% two-sided range


@dataclass(frozen=True)
class PotentialParams:
    """Knobs of the benchmark and potential estimate (values chosen by `bench/potential.py`,
    leave-one-book-out across the demo and the evaluation book; see README "Potential")."""

    # "mixture": working / not-working mixture with an account effect (the default: lower MAE
    # and bias on both books); "pooled": live peers' pooled rate, a live cell kept at its own rate.
    statistic: str = "mixture"
    # Known outcomes a cell or account needs to count in the spread estimates: below ~20 the
    # binomial noise (±11 pts at 50%) swamps the between-account differences being measured.
    min_n: int = 20
    prior_conv: float = 30.0  # pooled: shrinkage towards the type level, in conversations
    # Pseudo-conversations shrinking a cell's own rate to what it reaches where it works: about
    # one month of a mid-sized cell, so a thin cell leans on its peers and a thick one on itself.
    own_prior: float = 30.0
    # Inferred status without peers of known setup (pooled): a cell at ≥ 80% of its benchmark is
    # taken as live: not-live cells sit far below (the enabler is what makes the difference), and
    # live cells scatter ±10–15% around it; the mixture replaces this rule by its posterior.
    infer_ratio: float = 0.8
    window_days: int = 90  # own rates and mix are measured over this many days
    n_boot: int = 200
    seed: int = 0
    interval: tuple[float, float] = (10.0, 90.0)  # an 80% interval
    peer_spread: bool = True  # add the between-account spread of live peers to the interval
    spread_prior: float = 10.0  # accounts: a vertical's spread is shrunk to the all-vertical one
    # Multiplier of the mixture's standard deviation in the likely range until the workspace's
    # own conformal scale (from ≥ 10 realised backtest accounts) replaces it. The mixture's sd
    # leaves out what it cannot see (intent mix within a cell, a setup that is wrong); the scale
    # that covers 80% of accounts was 1.34 on the demo and 1.40 on the evaluation book; each
    # applied to the other book covers 75% / 83%; 1.4 (README "Potential"). With the
    # per-conversation counterfactual, noise weight 0.9 and δ from hard components the scales are
    # 1.46 (demo) and 1.52 (evaluation book); each applied to the other covers 75% (eval) / 83%
    # (demo); 1.5 covers 83% / 78%. Second round (books of 2026-12-02, noise weight 0.8): 1.70
    # (demo) and 1.77 (eval) cover 80%; 1.5 covers 83% / 81%, inside 75–85% on both: kept.
    interval_scale: float = 1.5
    # How much of the tagger's doubt (1 − type × topic confidence) is taken as tagging noise
    # when cleaning a cell's own rate (0 = trust the tags, 1 = the confidences in full). Chosen
    # leave-one-book-out over {0.6, 0.7, 0.8, 0.9, 1} with the counterfactual on, re-measured on
    # the books rebuilt 2026-12-02 (second round): the demo picks 0.7 (3.40; 0.8 3.41; held-out
    # eval MAE 3.50), the evaluation book 0.9 (3.45; held-out demo 3.92); 0.7 and 0.8 tie on the
    # summed MAE (6.90 vs 7.37 at 0.9) and 0.8 has the smaller eval bias (README "Potential").
    # (First round, older books: 0.9.)
    noise_weight: float = 0.8
    # Weight of the per-conversation counterfactual (`cockpit.scoring.counterfactual`: nearest
    # neighbours at peers where the cell works) in the rate a cell reaches where it works, against
    # the mixture's cell-level p_full (0 = cell level only; used only when vectors are given).
    # Chosen leave-one-book-out over {0, 0.5, 1, 1.5} × k {10, 20, 40} ("relative" mode, noise
    # weight 0.9): the demo picks 0.5 (held-out eval 3.77 vs 3.91 without), the evaluation book
    # 1.5 (held-out demo 3.57 vs 3.52 without); 1.0 has the lowest summed MAE (README "Potential").
    knn_weight: float = 1.0
    # "relative": the neighbours say how much easier or harder this account's conversations of
    # the cell are than the cell's average (a logit shift on p_full); "absolute": p_knn itself
    # (biased low on both books: a neighbour's own cell may be mis-tagged; kept for the bench).
    knn_mode: str = "relative"
    knn_k: int = 20  # neighbours per conversation (see counterfactual.KNN_K)
    # Soft type assignment (`inputs.soft_counts`): a conversation counts in each type cell of
    # its topic with the tagger's probability of that type (when the tags store them), instead
    # of wholly in its top type with the type's doubt removed by `noise_weight`.
    soft_types: bool = False
    # How soft counts give a cell its own rate: "deconvolve" (least squares over the type
    # probabilities, `inputs.deconvolve`) or "spread" (each outcome shared by probability).
    soft_mode: str = "deconvolve"


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
        thr = t.fillna(NO_THRESHOLD).to_numpy()
        out.loc[infer, "enabler_live"] = np.nan_to_num(rate, nan=0.0) >= thr
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
    glob = (out["g_ai"] / out["g_n"].where(out["g_n"] > 0)).fillna(NO_EVIDENCE_RATE)
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
    return _pooled_benchmarks(cells, params).reset_index(drop=True)


def _targets(cells: pd.DataFrame, bench: pd.DataFrame, params: PotentialParams) -> pd.DataFrame:
    out = cells.merge(bench[[*VCELL, "benchmark_rate"]], on=VCELL, how="left")
    own = out["rate"].fillna(0.0)
    expected = out["benchmark_rate"].clip(upper=1.0)
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
    out["factor"] = 1.0
    return out


def _bench_draws(
    cells: pd.DataFrame, bench: pd.DataFrame, params: PotentialParams, rng: np.random.Generator
) -> dict[tuple[str, str, str], np.ndarray]:
    """Bootstrap draws of each benchmark: a Beta draw of the pooled counts, shrunk like the
    estimate."""
    draws = {}
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
    # Hard shares in both windows (the previous window has no soft counts): the same as `share`
    # unless `soft_types` spread the window's conversations.
    share1 = m["known_outcome"] / n1[m.index]
    m = m.assign(d=(m["n0"] / n0[m.index] - share1) * m["target_rate"])
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
        rows.append(_potential_row(account_id, name, vertical, current, point, low, high, params))
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


def _own_counts(
    status: pd.DataFrame, noise_weight: float, soft: bool = False, mode: str = "deconvolve"
) -> pd.DataFrame:
    """Add the cell's own evidence `n`, `k` (a setup-live cell counts its outcomes since it went
    live) and `k` cleaned of tagging noise, and its window-wide counts `n_all`, `k_all`.

    A conversation tagged into a cell belongs there with probability `tag_confidence` (the
    tagger's type × topic confidence, calibrated out of fold); otherwise it belongs to one of the
    account's other cells, and resolves like the account on average (rate R). So the observed
    rate is r = conf · ρ + (1 − conf) · R, and the cell's own rate is ρ = (r − (1 − conf) R) / conf
    (clipped to [0, 1]); `k` becomes n · ρ.

    `soft` (and the cells carry `known_soft`, see `inputs.soft_counts`): every conversation
    counts in each type cell of its topic with the tagger's probability of that type, so the
    type's doubt is already spread over the cells and only the topic's doubt is cleaned here
    (conf = 1 − w · (1 − topic confidence)). Cells without soft counts keep the hard ones.
    `mode` "spread" takes the spread outcomes as the cell's; "deconvolve" takes the cell's rate
    from `inputs.deconvolve` (a conversation of another type no longer lifts or sinks the cell),
    the live period's rate moved by the same correction. `rho_window`: the cell's own window rate
    with the noise removed (what the potential lifts from).
    """
    out = status.copy()
    conf = out["tag_confidence"] if "tag_confidence" in out else pd.Series(1.0, index=out.index)
    conf = pd.to_numeric(conf, errors="coerce").astype("float64").fillna(1.0).clip(0.05, 1.0)
    src = out["status_source"]
    live_obs = (src == "setup") & out["enabler_live"] & (out["ev_known"] > 0)
    n = np.where(live_obs, out["ev_known"], out["known_outcome"]).astype("float64")
    k = np.where(live_obs, out["ev_ai"], out["ai_resolved"]).astype("float64")
    n_all = out["known_outcome"].to_numpy(dtype="float64")
    k_all = out["ai_resolved"].to_numpy(dtype="float64")
    if soft and "known_soft" in out:
        has = out["known_soft"].notna().to_numpy()
        ks = out["known_soft"].fillna(0.0).to_numpy(dtype="float64")
        a_s = out["ai_soft"].fillna(0.0).to_numpy(dtype="float64")
        kl = out["known_live_soft"].to_numpy(dtype="float64")
        al = out["ai_live_soft"].to_numpy(dtype="float64")
        from_setup = ((src == "setup") & out["enabler_live"]).to_numpy() & (np.nan_to_num(kl) > 0)
        n = np.where(has, np.where(from_setup, kl, ks), n)
        k = np.where(has, np.where(from_setup, al, a_s), k)
        n_all, k_all = np.where(has, ks, n_all), np.where(has, a_s, k_all)
        tconf = pd.to_numeric(out["topic_conf_soft"], errors="coerce").astype("float64")
        conf = conf.where(~has, tconf.fillna(1.0).clip(0.05, 1.0))
    out["conf"] = 1 - noise_weight * (1 - conf)
    out["n_all"], out["k_all"] = n_all, k_all
    g = out.groupby("account_id")
    acc_rate = g["k_all"].transform("sum") / g["n_all"].transform("sum").clip(lower=1)
    r = np.divide(k, n, out=np.zeros_like(k), where=n > 0)
    r_all = np.divide(k_all, n_all, out=np.zeros_like(k_all), where=n_all > 0)
    if soft and mode == "deconvolve" and "rate_deconv" in out:
        dec = pd.to_numeric(out["rate_deconv"], errors="coerce").to_numpy(dtype="float64")
        ok = ~np.isnan(dec)
        r = np.where(ok, np.clip(r + (dec - r_all), 0.0, 1.0), r)
        r_all = np.where(ok, dec, r_all)
    out["rho_window"] = np.clip((r_all - (1 - out["conf"]) * acc_rate) / out["conf"], 0.0, 1.0)
    rho = np.clip((r - (1 - out["conf"]) * acc_rate) / out["conf"], 0.0, 1.0)
    out["n"] = n
    out["k"] = n * rho
    return out


def _mixture_input(status: pd.DataFrame) -> pd.DataFrame:
    """The mixture's observations (see `_own_counts`) and each cell's setup state."""
    cells = status[status["enabler"].notna()].copy()
    src = cells["status_source"]
    cells["setup_state"] = np.where(
        src == "setup", np.where(cells["enabler_live"], "live", "not_live"), "unknown"
    )
    return cells


def mixture_status(
    status: pd.DataFrame,
    params: PotentialParams = PotentialParams(),
    neighbours: tuple[pd.DataFrame, np.ndarray] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit the mixture on `enabler_status` output; return (cells with p_work, p_full, var_full,
    delta, an inferred enabler_live = P(working) > 0.5 where setup is missing) and the benchmarks
    (the rate where the cell works, with no account effect)."""
    status = _own_counts(status, params.noise_weight, params.soft_types, params.soft_mode)
    fit = fit_mixture(_mixture_input(status[status["n"] > 0]))
    if neighbours is not None and params.knn_weight > 0:
        fit = _blend_counterfactual(fit, neighbours, params)
    keep = [*KEYC, "p_work", "p_full", "var_full", "delta", "delta_var"]
    keep += ["knn_n"] if "knn_n" in fit else []
    out = status.merge(fit[keep], on=KEYC, how="left")
    inferred = (out["status_source"] == "inferred").to_numpy()
    # A cell without known outcomes has no posterior (NaN): never inferred live.
    out.loc[inferred, "enabler_live"] = out.loc[inferred, "p_work"].fillna(0.0).to_numpy() > 0.5
    out["enabler_live"] = out["enabler_live"].astype(bool)
    live_inf = inferred & out["enabler_live"].to_numpy()
    out.loc[live_inf, "ev_known"] = out.loc[live_inf, "known_outcome"]
    out.loc[live_inf, "ev_ai"] = out.loc[live_inf, "ai_resolved"]
    g = fit.groupby(VCELL)
    bench = pd.DataFrame(
        {
            "benchmark_rate": 1.0 / (1.0 + np.exp(-g["L_hi"].first())),
            "n_accounts": g["p_work"].apply(lambda x: int((x > 0.5).sum())),
        }
    ).reset_index()
    bench["n_accounts"] = bench["n_accounts"].astype("int64")
    bench["method"] = [
        f"peers where it works ({n} accounts; working / not working mixture fitted by EM), "
        "adjusted for each account's own quality"
        for n in bench["n_accounts"]
    ]
    return out, bench


def _blend_counterfactual(
    fit: pd.DataFrame, neighbours: tuple[pd.DataFrame, np.ndarray], params: PotentialParams
) -> pd.DataFrame:
    """p_full ← (1 − λ) · p_full + λ · p_knn where the cell has conversations to ask (λ =
    `knn_weight`; p_knn from `counterfactual.cell_counterfactual`)."""
    conv, vectors = neighbours
    delta = fit.groupby("account_id")["delta"].first()
    knn = cell_counterfactual(conv, vectors, fit, delta, params.knn_k)
    out = fit.merge(knn, on=KEYC, how="left")
    lam = np.where(out["p_knn"].notna(), params.knn_weight, 0.0)
    if params.knn_mode == "relative":
        z = out["L_hi"] + out["delta"] + lam * out["shift"].fillna(0.0)
        out["p_full"] = 1.0 / (1.0 + np.exp(-z))
    else:
        out["p_full"] = (1 - lam) * out["p_full"] + lam * out["p_knn"].fillna(0.0)
    return out.rename(columns={"n_knn": "knn_n"}).drop(columns=["shift"])


def _cell_spread(t: pd.DataFrame, params: PotentialParams) -> float:
    """Between-account sd (rate units) of working cells around p_full beyond binomial noise."""
    w = t[(t["p_work"] > 0.5) & (t["n"] >= params.min_n)]
    if len(w) < 3:
        return 0.0
    r = w["k"] / w["n"]
    d = r - w["p_full"]
    noise = (w["p_full"] * (1 - w["p_full"]) / w["n"]).mean()
    return max(float(d.var(ddof=1)) - float(noise), 0.0) ** 0.5


def _estimate_mixture(
    status: pd.DataFrame,
    bench: pd.DataFrame,
    params: PotentialParams,
    account_names: dict[str, str] | None,
    previous: pd.DataFrame | None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Potential per account from the mixture (see the module docstring)."""
    t = status[status["n_all"] > 0].merge(bench[[*VCELL, "benchmark_rate"]], on=VCELL, how="left")
    # The cell's own window rate and share: soft counts where `soft_types` spread them.
    own = (t["k_all"] / t["n_all"]).fillna(0.0)
    has = t["p_full"].notna()
    m = params.own_prior
    k, n = t["k"], t["n"]
    # The cell's own rate over the window, tagging noise removed (see `_own_counts`).
    rho = t["rho_window"]
    own_hi = (k + m * t["p_full"]) / (n + m)  # its own rate, were it working, shrunk
    pw = t["p_work"].fillna(1.0)
    target = pw * own_hi + (1 - pw) * t["p_full"]
    t["current_rate"] = own
    t["target_rate"] = np.where(has, target, rho)
    t["actionable"] = has & (t["target_rate"] > rho + 1e-9)
    totals = t.groupby("account_id")["n_all"].transform("sum")
    t["share"] = t["n_all"] / totals
    # Each conversation counts in its cell with its tag confidence; the rest of it resolves like
    # the account's other conversations, so the potential is the confidence-weighted mean of the
    # targets and a cell's contribution is its weight × (target − own rate).
    sc = t["share"] * t["conf"]
    t["weight"] = sc / sc.groupby(t["account_id"]).transform("sum")
    t["contribution_pts"] = 100 * t["weight"] * (t["target_rate"] - rho)
    # Variance of each cell's target (independent parts) and of the account effect (shared).
    pf = t["p_full"].fillna(0.0)
    tau = _cell_spread(t, params) if params.peer_spread else 0.0
    own_var = own_hi * (1 - own_hi) / (n + m)
    var_indep = np.where(
        has,
        pw * (1 - pw) * (own_hi - pf) ** 2
        + pw**2 * own_var
        + (1 - pw) ** 2 * (t["var_full"].fillna(0.0) + tau**2),
        own * (1 - own) / t["n_all"].clip(lower=1),
    )
    t["_vi"] = t["weight"] ** 2 * var_indep
    t["_lift"] = np.where(has, t["weight"] * (1 - pw) * pf * (1 - pf), 0.0)
    drift = mix_drift(t, previous, params) if params.peer_spread else {"*": 0.0}
    rows = []
    for account_id, g in t.groupby("account_id", sort=True):
        vertical = g["vertical"].iloc[0]
        current = float((g["share"] * g["current_rate"]).sum())
        point = current + float(g["contribution_pts"].sum()) / 100  # gap = point − current
        # Never below what the account sustains: the window is the same 90 days as `current`.
        floored = point < current
        point = max(point, current)
        var = float(g["_vi"].sum()) + drift.get(vertical, drift["*"]) ** 2
        # The account effect is shared by every cell it lifts: its variance adds coherently.
        var += float(g["_lift"].sum()) ** 2 * float(g["delta_var"].max(skipna=True) or 0.0)
        sd = var**0.5
        half = Z80 * params.interval_scale * sd
        low, high = max(point - half, 0.0), min(point + half, 1.0)
        name = (account_names or {}).get(account_id, account_id)
        by_request = "knn_n" in g and bool(g["knn_n"].fillna(0).gt(0).any())
        row = _potential_row(
            account_id, name, vertical, current, point, low, high, params, by_request
        )
        rows.append({**row, "sd": sd, "window_days": params.window_days, "floored": floored})
    pot = pd.DataFrame(rows, columns=[*POTENTIAL_COLUMNS, "sd", "window_days", "floored"])
    contrib = t[[*CONTRIB_COLUMNS, "weight"]].sort_values(
        ["account_id", "contribution_pts"], ascending=[True, False]
    )
    return pot, contrib.reset_index(drop=True)


def _potential_row(
    account_id: str,
    name: str,
    vertical: str,
    current: float,
    point: float,
    low: float,
    high: float,
    params: PotentialParams,
    by_request: bool = False,
) -> dict:
    """One row of the potential table (gap_pts = potential − today's rate, in points)."""
    return {
        "account_id": account_id,
        "automation_rate": current,
        "potential": point,
        "low": low,
        "high": high,
        "gap_pts": 100 * (point - current),
        "method": method_sentence(name, vertical, point, low, high, params, by_request),
    }


def method_sentence(
    name: str,
    vertical: str,
    point: float,
    low: float,
    high: float,
    params: PotentialParams,
    by_request: bool = False,
) -> str:
    """The one-sentence method statement shown to a CSM (`by_request`: the per-conversation
    counterfactual was used, so peers are compared on the same kinds of requests)."""
    if params.statistic == "mixture":
        same = " on the same kinds of requests" if by_request else ""
        return (
            f"If every topic where {name} lacks help content, a data connector or a procedure, "
            f"or resolves far less than at the {vertical} peers where it works, resolved as well "
            f"as those peers do{same} (adjusted for how {name} does on the topics that work), "
            f"and the "
            f"other topics kept today's rates, the AI would resolve about {point:.0%} of "
            f"conversations (likely range {low:.0%}–{high:.0%})."
        )
    peers = f"the {vertical} peers that have it typically do"
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
    neighbours: tuple[pd.DataFrame, np.ndarray] | None = None,
) -> dict[str, pd.DataFrame]:
    """Status → benchmarks → potential in one call; returns the derived frames
    (cells with status, benchmarks, potential, contributions). `previous`: the previous
    window's account × cell counts (for the interval's mix drift; optional)."""
    status = enabler_status(cells, setup, as_of, params, setup_accounts)
    if params.statistic == "mixture":
        status, bench = mixture_status(status, params, neighbours)
        pot, contrib = _estimate_mixture(status, bench, params, account_names, previous)
        return {"cells": status, "benchmarks": bench, "potential": pot, "contributions": contrib}
    bench = benchmarks(status, params)
    pot, contrib = estimate_potential(status, bench, params, account_names, previous)
    return {"cells": status, "benchmarks": bench, "potential": pot, "contributions": contrib}
