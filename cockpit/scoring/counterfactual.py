"""Per-conversation counterfactual: would this conversation be AI-resolved where its enabler works?

Why: a cell's rate where it works (the mixture's `p_full`) is one number per vertical × cell, but
what an account's own conversations would reach depends on which requests they are (rates vary
by intent within a topic) and on conversations tagged into the wrong cell. The counterfactual
asks, per conversation i of account a, how its nearest neighbours in embedding space resolve at
*other* accounts of the same vertical, counting only neighbours in cells that work there
(mixture P(working) > 0.5, or `setup` says live):

    q_i = (Σ_{j ∈ kNN(i)} y_j + m · p̄) / (K + m)     (y_j = 1 when j was AI-resolved)

with p̄ the neighbours' vertical-wide working rate and m = `KNN_PRIOR` pseudo-neighbours. The
account's rate in cell c if it worked is then the mean over its conversations in c of
sigmoid(logit(q_i) + δ_a) (δ_a the account effect of the mixture). Neighbours come from peers, so
an account's own outcomes never enter its own counterfactual.

Inputs are plain frames and a vector matrix: the caller reads the vectors from the embedding
cache (`cockpit.embedding.cache.lookup_vectors`) at the pipeline edge.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cockpit.contract import CELL

KEYC = ["account_id", "vertical", *CELL]
# Neighbours per conversation: the demo and the evaluation book each have ~20–60 peer
# conversations per intent in a 90-day window; 20 keeps most neighbours within the intent while
# the binomial noise of one q_i (±11 pts at 50%) averages out over a cell's conversations.
KNN_K = 20
# Pseudo-neighbours at the vertical's working rate: a conversation whose neighbours are few still
# gets a defined, mildly shrunk estimate.
KNN_PRIOR = 2.0
# Scale caps (the similarity product costs asked × pool × 384 per vertical): at most `QUERY_MAX`
# conversations per account × cell are asked (a cell's mean logit is settled well before 100),
# and at most `POOL_MAX` working conversations per vertical answer (an evenly spaced subsample).
# 5,000: the counterfactual was validated on pools of 1,000-4,400 per vertical (the two books of
# `bench/potential.py`), so a larger vertical answers from a pool of that size; capping both books
# at 2,500 or 5,000 moved neither book's MAE by more than 0.13 pts (README, "Cost"), and 20,000
# cost 4x the time at 2,000,000 conversations for no measured gain.
QUERY_MAX = 100
POOL_MAX = 5_000
# At most this many conversations are asked per vertical: when the cells' conversations exceed
# it, every cell's quota is lowered to the same q (the largest with Σ_c min(n_c, q) ≤ ASK_MAX,
# at least 1), so a cell's mean logit still rests on up to q answers and the work per vertical
# is bounded by ASK_MAX × POOL_MAX similarities (measured in bench/potential.py --cost). 10,000:
# above both books' asked rows (at most 6,260 per vertical); a 5,000 cap moved their MAE by at
# most 0.02 pts.
ASK_MAX = 10_000
# Queries per block of the similarity product: bounds memory to block × pool × 4 bytes.
BLOCK = 1024
EPS = 1e-6


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    return np.log(p / (1 - p))


def neighbour_rates(
    vectors: np.ndarray,
    account: np.ndarray,
    y: np.ndarray,
    pool: np.ndarray,
    k: int = KNN_K,
    prior: float = KNN_PRIOR,
    query: np.ndarray | None = None,
) -> np.ndarray:
    """q_i for every row (or only the rows where `query` is true; NaN elsewhere): the shrunk
    AI-resolved share of its k most similar pool rows of other accounts (cosine on the given
    vectors). Rows without any pool row of another account get the pool's mean rate (NaN when
    the pool is empty)."""
    n = len(vectors)
    out = np.full(n, np.nan)
    idx = np.flatnonzero(pool)
    ask = np.arange(n) if query is None else np.flatnonzero(query)
    if n == 0 or len(idx) == 0 or len(ask) == 0:
        return out
    import torch  # already a dependency (the embedders); imported here, where it is needed

    # float32 throughout (the product's cost). Accounts as integer codes; the pool is sorted by
    # account so that an account's own pool rows are one slice [lo, hi), and the asked rows too,
    # so that a block holds few accounts: the peers-only mask is a few slice fills per block
    # instead of a block × pool comparison. torch.topk keeps the k best of each row ~5× faster
    # than numpy's argpartition on a 1,024 × 20,000 block (docs/scale.md, "Score").
    v = np.asarray(vectors, dtype="float32")
    v = v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)
    codes = pd.factorize(np.asarray(account))[0]
    idx = idx[np.argsort(codes[idx], kind="stable")]
    ask = ask[np.argsort(codes[ask], kind="stable")]
    pa = codes[idx]
    lo, hi = np.searchsorted(pa, codes, "left"), np.searchsorted(pa, codes, "right")
    pv = torch.from_numpy(np.ascontiguousarray(v[idx]))
    py = y[idx].astype("float64")
    base = float(py.mean())
    kk = min(k, len(idx))
    with torch.inference_mode():
        for s in range(0, len(ask), BLOCK):
            rows = ask[s : s + BLOCK]
            sims = torch.from_numpy(np.ascontiguousarray(v[rows])) @ pv.T
            starts = np.flatnonzero(np.r_[True, codes[rows][1:] != codes[rows][:-1]])
            for a, b in zip(starts, np.r_[starts[1:], len(rows)], strict=True):
                r = rows[a]
                if hi[r] > lo[r]:
                    sims[a:b, lo[r] : hi[r]] = -np.inf  # peers only
            vals, top = torch.topk(sims, kk, dim=1, sorted=False)
            ok = torch.isfinite(vals).numpy()
            hits = (py[top.numpy()] * ok).sum(axis=1)
            out[rows] = (hits + prior * base) / (ok.sum(axis=1) + prior)
    return out


def cell_quota(sizes: np.ndarray, total: int | None = None, per_cell: int | None = None) -> int:
    """The largest q ≤ `per_cell` (QUERY_MAX) with Σ min(size, q) ≤ `total` (ASK_MAX), at
    least 1: how many conversations each cell of one vertical may ask."""
    total = ASK_MAX if total is None else total
    per_cell = QUERY_MAX if per_cell is None else per_cell
    sizes = np.asarray(sizes, dtype="int64")
    if len(sizes) == 0 or np.minimum(sizes, per_cell).sum() <= total:
        return per_cell
    lo, hi = 1, per_cell  # Σ min(size, q) grows with q: bisect for the largest that fits
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if np.minimum(sizes, mid).sum() <= total:
            lo = mid
        else:
            hi = mid - 1
    return lo


def asked_rows(conv: pd.DataFrame) -> np.ndarray:
    """Which rows ask for a counterfactual: per account × cell at most the vertical's quota
    (`cell_quota`), evenly spaced over the cell's rows (spread over the window, deterministic)."""
    g = conv.groupby(KEYC, sort=False)
    rank = g.cumcount().to_numpy()
    size = g["account_id"].transform("size").to_numpy()
    quota = np.zeros(len(conv), dtype="int64")
    for _, rows in conv.groupby("vertical").indices.items():
        cells = conv.iloc[rows].groupby(KEYC, sort=False).size().to_numpy()
        quota[rows] = cell_quota(cells)
    # Row r of n is asked when it starts a new q-th of the cell: exactly min(n, q) rows.
    return np.where(size <= quota, True, (rank * quota) // size != ((rank - 1) * quota) // size)


def cell_counterfactual(
    conversations: pd.DataFrame,
    vectors: np.ndarray,
    working: pd.DataFrame,
    delta: pd.Series,
    k: int = KNN_K,
) -> pd.DataFrame:
    """Per account × cell: `p_knn`, the rate the account's conversations of the cell would reach
    where their enabler works (see the module docstring), and `n_knn`, how many it averages.

    `conversations`: one row per known-outcome conversation of the window, aligned with `vectors`,
    with account_id, vertical, automation_type, topic_id and `ai` (1 when AI-resolved).
    `working`: account × cell rows with `p_work` (the mixture's P(working)); `delta`: the
    account effect (logits) by account_id.
    """
    cols = [*KEYC, "p_knn", "n_knn"]
    if conversations.empty:
        return pd.DataFrame(columns=cols)
    conv = conversations.reset_index(drop=True)
    w = conv.merge(working[[*KEYC, "p_work"]], on=KEYC, how="left")["p_work"]
    pool = (w.fillna(0.0) > 0.5).to_numpy().copy()
    asked = asked_rows(conv)
    for _, rows in conv.groupby("vertical").indices.items():
        members = rows[pool[rows]]
        if len(members) > POOL_MAX:  # evenly spaced: deterministic, spread over the window
            pool[members] = False
            pool[members[np.linspace(0, len(members) - 1, POOL_MAX).astype(int)]] = True
    keep = asked | pool
    conv, vectors, pool = conv[keep].reset_index(drop=True), vectors[keep], pool[keep]
    asked = asked[keep]
    q = np.full(len(conv), np.nan)
    for _, rows in conv.groupby("vertical").indices.items():
        q[rows] = neighbour_rates(
            vectors[rows],
            conv["account_id"].to_numpy()[rows],
            conv["ai"].to_numpy(dtype="float64")[rows],
            pool[rows],
            k,
            query=asked[rows],  # pool rows only answer: their own q_i is never used
        )
    d = conv["account_id"].map(delta).fillna(0.0).to_numpy()
    conv["p_i"] = 1.0 / (1.0 + np.exp(-(_logit(q) + d)))
    conv.loc[np.isnan(q), "p_i"] = np.nan
    conv["z_i"] = np.where(np.isnan(q), np.nan, _logit(q))
    conv = conv[asked]
    g = conv.groupby(KEYC)
    out = pd.DataFrame({"p_knn": g["p_i"].mean(), "n_knn": g["p_i"].count(), "z": g["z_i"].mean()})
    ref = conv.groupby(["vertical", *CELL])["z_i"].mean().rename("z_ref")
    out = out.reset_index().merge(ref.reset_index(), on=["vertical", *CELL], how="left")
    out["shift"] = out["z"] - out["z_ref"]
    return out[[*cols, "shift"]]
