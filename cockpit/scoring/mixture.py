"""Working / not-working mixture per vertical × cell, with an account quality effect.

Why: a cell's own rate is a poor ceiling. Where `setup` is missing we do not know whether the
enabler is live; where it says "live" the deployment may be partial, the setup may be wrong, or
the cell may hold conversations of another type (tagging noise) whose enabler is missing. In all
these cases the cell resolves far less than the same cell at peers where it works.

Model, per vertical × cell (c) over the accounts (a) that have the cell, on the logit scale:
    working:      p = sigmoid(L_hi[c] + δ[a])
    not working:  p = sigmoid(L_lo[c] + δ[a])        (L_lo < L_hi)
    ai_resolved[a, c] ~ Binomial(known[a, c], p)
with a prior probability of "working" per setup state (setup says live / setup says not live /
no setup), fitted by EM; a cell `setup` calls not live is taken as not working (the enabler is
what the potential is about: a peer without it is no benchmark), one it calls live may still
fail (partial deployment, wrong setup, other cells' conversations). δ[a] is the account's
quality: the information-weighted mean logit deviation of its cells from the level of their more
likely component (`DELTA_FROM`), shrunk by empirical Bayes (weight τ² / (τ² + s²_a),
τ² = the between-account variance left after binomial noise, estimated per book: a book whose
accounts do not differ gets δ = 0).

What it returns per account × cell: `p_full` = sigmoid(L_hi + δ) (the rate if the cell works),
`p_work` = P(working | the cell's own outcomes, its setup), `var_full` (the variance of p_full
from its level) and `delta_var` (the posterior variance of δ, in logits, shared by the account's
cells).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

VCELL = ["vertical", "automation_type", "topic_id"]
# Prior P(working) per setup state before EM; EM re-estimates them with `PRIOR_CELLS`
# pseudo-cells of this prior, so a book with few cells keeps trusting its setup (one cell that
# `setup` calls not live but resolves well must not make every "not live" doubtful). Setup is
# usually right, hence 0.9 / 0.1.
PRIOR_WORKING = {"live": 0.9, "not_live": 0.1, "unknown": 0.5}
PRIOR_CELLS = 10.0
# EM iterations: the levels and posteriors settle within ~20 on both books; 40 leaves margin
# (the account effect is refreshed every 5).
EM_ITERATIONS = 40
# Smallest gap between the working and not-working levels, in logits: without it, a cell where
# every account works would split its one cluster in two.
MIN_SEPARATION = 1.0
EPS = 1e-6
# Which cells say how good an account is: "soft" (every cell, by its posterior component),
# "hard" (every cell, in its more likely component) or "working" (only the working component's
# evidence). Chosen leave-one-book-out: the demo is indifferent (MAE 3.53 for all three), the
# evaluation book picks "hard" (3.68 vs soft 3.81, working 3.80): a cell the posterior leaves
# near 0.5 no longer splits its evidence between two levels (README "Potential").
DELTA_FROM = "hard"


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _binom_loglik(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return k * np.log(p) + (n - k) * np.log(1 - p)


def _solve_levels(k, n, w, offset, group, n_groups: int, start: np.ndarray) -> np.ndarray:
    """Per group, L maximising Σ w · loglik(k | n, sigmoid(L + offset)) (Newton, vectorised)."""
    level = start.copy()
    for _ in range(25):
        p = _sigmoid(level[group] + offset)
        grad = np.bincount(group, w * (k - n * p), minlength=n_groups)
        hess = np.bincount(group, w * n * p * (1 - p), minlength=n_groups)
        step = np.where(hess > 1e-9, grad / np.maximum(hess, 1e-9), 0.0)
        level += np.clip(step, -2, 2)
        if np.abs(step).max(initial=0.0) < 1e-6:
            break
    return level


def _account_effect(
    frame: pd.DataFrame, work: np.ndarray, mode: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Shrunk account effect δ and its posterior variance, from every cell: its logit deviation
    from the level of the component it belongs to (weighted by the posterior), weighted by the
    Fisher information of δ in that cell."""
    k, n = frame["k"].to_numpy(), frame["n"].to_numpy()
    r = _logit((k + 0.5) / (n + 1.0))
    mode = DELTA_FROM if mode is None else mode
    if mode == "hard":
        work = (work > 0.5).astype("float64")
    lo_w = np.zeros_like(work) if mode == "working" else 1 - work
    parts = []
    for level, w in ((frame["L_hi"].to_numpy(), work), (frame["L_lo"].to_numpy(), lo_w)):
        p = _sigmoid(level)
        info = w * n * p * (1 - p)
        parts.append((info * (r - level), info))
    g = pd.DataFrame(
        {
            "a": frame["account_id"].to_numpy(),
            "wd": parts[0][0] + parts[1][0],
            "info": parts[0][1] + parts[1][1],
        }
    )
    acc = g.groupby("a")[["wd", "info"]].sum()
    ok = acc["info"] > 1.0
    raw = (acc["wd"] / acc["info"].where(ok)).fillna(0.0)
    noise = (1.0 / acc["info"].where(ok)).fillna(np.inf)
    fin = ok & np.isfinite(noise)
    tau2 = 0.0
    if fin.sum() >= 3:
        tau2 = max(float(raw[fin].var(ddof=1)) - float(noise[fin].mean()), 0.0)
    weight = tau2 / (tau2 + noise) if tau2 > 0 else noise * 0.0
    delta = (weight * raw).fillna(0.0)
    delta = delta - delta.mean()  # the levels carry the mean: δ only says how accounts differ
    var = (weight * noise.where(np.isfinite(noise), 0.0)).fillna(0.0)  # posterior variance
    return delta, var


def fit_mixture(cells: pd.DataFrame) -> pd.DataFrame:
    """Fit the mixture on enabler cells and return them with L_hi, L_lo, delta, delta_var,
    p_full, p_work and var_full (see the module docstring).

    `cells` needs account_id, vertical, automation_type, topic_id, k (AI-resolved), n (known
    outcomes) and setup_state (live | not_live | unknown).
    """
    df = cells.reset_index(drop=True).copy()
    k = df["k"].to_numpy(dtype="float64")
    n = df["n"].to_numpy(dtype="float64")
    state = df["setup_state"].to_numpy()
    group = df.groupby(VCELL, sort=True).ngroup().to_numpy()
    n_groups = int(group.max()) + 1 if len(group) else 0
    work = pd.Series(state).map(PRIOR_WORKING).to_numpy(dtype="float64")
    offset = np.zeros(len(df))
    pooled = (np.bincount(group, k, n_groups) + 0.5) / (np.bincount(group, n, n_groups) + 1.0)
    hi, lo = _logit(pooled) + 0.5, _logit(pooled) - 1.5
    prior_state = dict(PRIOR_WORKING)
    trust_off = state == "not_live"
    df["L_hi"], df["L_lo"], df["delta"] = 0.0, 0.0, 0.0
    delta_var = pd.Series(0.0, index=pd.Index(df["account_id"].unique()))
    for it in range(EM_ITERATIONS):
        hi = _solve_levels(k, n, work + 1e-3, offset, group, n_groups, hi)
        lo = _solve_levels(k, n, (1 - work) + 1e-3, offset, group, n_groups, lo)
        lo = np.minimum(lo, hi - MIN_SEPARATION)
        pi = np.array([prior_state[s] for s in state], dtype="float64")
        l1 = _binom_loglik(k, n, _sigmoid(hi[group] + offset)) + np.log(np.clip(pi, EPS, 1))
        l0 = _binom_loglik(k, n, _sigmoid(lo[group] + offset)) + np.log(np.clip(1 - pi, EPS, 1))
        work = 1.0 / (1.0 + np.exp(np.clip(l0 - l1, -50, 50)))
        work[trust_off] = 0.0  # `setup` says not live: trusted (a live cell may still fail)
        # Re-estimate the setup-state priors (`PRIOR_CELLS` pseudo-cells of the initial prior).
        for st, p0 in PRIOR_WORKING.items():
            m = state == st
            prior_state[st] = float((work[m].sum() + PRIOR_CELLS * p0) / (m.sum() + PRIOR_CELLS))
        if it % 5 == 4:
            df["L_hi"], df["L_lo"], df["p_work"] = hi[group], lo[group], work
            delta, delta_var = _account_effect(df, work)
            offset = df["account_id"].map(delta).fillna(0.0).to_numpy()
    df["L_hi"], df["L_lo"], df["p_work"], df["delta"] = hi[group], lo[group], work, offset
    p_full = _sigmoid(df["L_hi"].to_numpy() + df["delta"].to_numpy())
    df["p_full"] = p_full
    # Variance of p_full: the level's (from the working cells' information) plus δ's.
    info = (
        pd.Series(df["p_work"] * df["n"] * p_full * (1 - p_full))
        .groupby([df[c] for c in VCELL])
        .transform("sum")
        .to_numpy()
    )
    df["var_full"] = (p_full * (1 - p_full)) ** 2 / np.maximum(info, 1.0)
    df["delta_var"] = df["account_id"].map(delta_var).fillna(0.0)
    df["prior_working"] = df["setup_state"].map(prior_state)
    return df
