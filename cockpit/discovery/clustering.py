"""Density clustering of embeddings: scikit-learn's HDBSCAN on cosine distances, bounded in cost.

HDBSCAN runs on the full-dimensional cosine distances (a dense matrix, `metric="precomputed"`).
Projecting first (PCA to 16 dimensions, 50x faster) was tried and rejected: the projection
turns texts that have nothing in common into a dense Gaussian blob that HDBSCAN reports as one
big cluster swallowing the real families (measured on the hashing vectors of random texts);
BERTopic avoids this with UMAP, which would add numba and umap-learn to the install.
At most `MAX_FIT_POINTS` vectors (a seeded sample) are fitted; every other vector, and every
fitted one HDBSCAN left as noise, joins the cluster whose centroid it is nearest to, when it is
at least as close as most of that cluster's core members (`ASSIGN_QUANTILE`), and is noise
otherwise. So the cost of one vertical is
bounded whatever its volume, and new conversations can be placed in existing clusters without
re-clustering (`assign_to_clusters`).

None of these constants is tuned on a benchmark; each is set from what it controls (below), and
`bench/topics.py` reports the figures they give on the public data sets (all held out).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

NOISE = -1
# Most vectors one HDBSCAN fit sees: the distance matrix is n² float64, so 4,000 vectors take
# 128 MB and ~2 s on the 2 cores; a family of 1% of a vertical still has ~40 sampled members,
# above MIN_CLUSTER_SIZE.
MAX_FIT_POINTS = 4_000
# Smallest group HDBSCAN may call a cluster, as an absolute floor and as a share of the fitted
# points: below ~15 similar conversations a "topic" is anecdote, and a share keeps big scopes
# from shattering into many small near-duplicates of one family.
MIN_CLUSTER_SIZE = 15
MIN_CLUSTER_SHARE = 0.01
# HDBSCAN's min_samples (density smoothing): its default (= min_cluster_size) marks too much as
# noise on short texts; 5 keeps the core of a family while leaving isolated messages out.
MIN_SAMPLES = 5
# Clusters whose centroids are at least this close are one topic (merged, closest pair first,
# as BERTopic's reduce_topics): HDBSCAN splits a family into its sub-intents ("refund status",
# "refund policy"), while a product team wants the family. MiniLM centroids of *distinct*
# intents of one data set have a cosine of 0.30-0.37 at the median and 0.58-0.63 at the 95th
# percentile (Bitext, CLINC150; bench/topics.py prints them). 0.6 and 0.7 were compared
# leave-one-dataset-out by bench/topics.py --families (BENCH_MERGE_SIMILARITY): the same
# purity, coverage and ids for all 9 held-out families, 14.7 topics shown per vertical against
# 15.6 (margins of one known topic merge); 0.6 was chosen on every held-out set.
MERGE_SIMILARITY = 0.6
# A cluster whose members' mean cosine to their centroid is below this is a grab bag, not a
# topic: the same line as the shown threshold (discover.MIN_COHERENCE; MiniLM: one intent
# family 0.55-0.75, random support texts ~0.3). Grab bags are re-fitted alone
# (`split_grab_bags`), at most MAX_SPLIT_DEPTH levels deep (each level is one more HDBSCAN fit
# over at most the fitted points, so the cost stays bounded).
GRAB_BAG_COHERENCE = 0.45
MAX_SPLIT_DEPTH = 2
# A non-fitted vector joins its nearest cluster when its cosine to the centroid reaches this
# quantile of the fitted members' cosines: it is then closer than 95% of the members are.
# Chosen leave-one-dataset-out by bench/topics.py --families (BENCH_ASSIGN_QUANTILE) over
# {0.2, 0.1, 0.05, 0.02, 0}: best mean F1 of the family's purity and coverage on the two other
# sets, then the largest quantile within 0.01 F1 (the most conservative), among the values that
# keep planted noise out of planted clusters (0 does not: a single loose core member then sets
# the bar, and the planted clusters' purity fell to 0.57 in tests/test_discovery.py). 0.05 on
# every held-out set; held out, purity 0.87 -> 0.86, coverage 0.52 -> 0.56 (was 0.2).
ASSIGN_QUANTILE = 0.05


@dataclass(frozen=True)
class Clusters:
    """Labels (NOISE = -1) for the input vectors, the clusters' unit centroids, the cosine of
    each vector to its cluster's centroid (NaN for noise) and each cluster's join threshold."""

    labels: np.ndarray
    centroids: np.ndarray  # (k, dim)
    similarity: np.ndarray
    thresholds: np.ndarray  # (k,)

    @property
    def n_clusters(self) -> int:
        return len(self.centroids)


def unit(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norm == 0, 1, norm)


def centroids_of(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """Unit mean vector of each label 0..k-1."""
    dim = vectors.shape[1]
    out = np.zeros((k, dim), dtype=np.float32)
    for c in range(k):
        rows = labels == c
        if rows.any():
            out[c] = vectors[rows].mean(axis=0)
    return unit(out)


def min_cluster_size(n_fitted: int) -> int:
    """HDBSCAN's min_cluster_size for a fit of `n_fitted` vectors."""
    return max(MIN_CLUSTER_SIZE, int(round(MIN_CLUSTER_SHARE * n_fitted)))


def _hdbscan_labels(x: np.ndarray, retry_single: bool = True) -> np.ndarray:
    """HDBSCAN labels of unit vectors `x` (`retry_single`: see the retry below)."""
    from sklearn.cluster import HDBSCAN

    x = np.ascontiguousarray(x, dtype=np.float32)
    sims = x @ x.T  # float32 BLAS: ~4x faster than float64; HDBSCAN then needs float64
    np.subtract(1.0, sims, out=sims)
    np.clip(sims, 0.0, 2.0, out=sims)
    distances = sims.astype(np.float64)
    del sims
    size = min_cluster_size(len(x))
    model = HDBSCAN(
        min_cluster_size=size,
        min_samples=min(MIN_SAMPLES, size),
        metric="precomputed",
        copy=False,
    )
    labels = model.fit_predict(distances)
    if retry_single and labels.max() < 0:
        # HDBSCAN never returns the root as a cluster unless allowed, so one family among
        # scattered texts would be all noise; allowed from the start, it would merge distinct
        # families into one (measured on planted clusters). Retry only when nothing was found.
        model.set_params(allow_single_cluster=True)
        labels = model.fit_predict(distances)
    return labels


def fit_sample(n: int, seed: int = 0, keys=None) -> np.ndarray:
    """Sorted rows HDBSCAN fits: all of them up to MAX_FIT_POINTS, else a sample of that size.

    With `keys` (one stable id per row, e.g. conversation ids) the sample is the MAX_FIT_POINTS
    rows with the smallest hash of (seed, key): a row's selection depends only on its key and on
    how many rows beat it, so adding one day (~1% of the rows) replaces ~1% of the sample. A
    positional `rng.choice(n, ...)` draws an unrelated sample as soon as `n` changes (measured:
    40% overlap between n = 10,000 and 10,120, i.e. chance), so each re-clustering re-fitted
    HDBSCAN on different points and the shown topics changed though the data barely did.
    """
    if n <= MAX_FIT_POINTS:
        return np.arange(n)
    if keys is None:
        rng = np.random.default_rng(seed)
        return np.sort(rng.choice(n, MAX_FIT_POINTS, replace=False))
    import hashlib

    ranks = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(f"{seed}|{k}".encode(), digest_size=8).digest(), "big")
            for k in keys
        ),
        dtype=np.uint64,
        count=n,
    )
    return np.sort(np.argsort(ranks, kind="stable")[:MAX_FIT_POINTS])


def cluster_vectors(vectors: np.ndarray, seed: int = 0, keys=None) -> Clusters:
    """Cluster unit vectors (see the module docstring); deterministic for a given seed.

    `keys`: a stable id per row; when given, the fitted sample is kept stable as rows are
    added (see `fit_sample`)."""
    x = unit(vectors)
    n = len(x)
    labels = np.full(n, NOISE, dtype=np.int64)
    if n < MIN_CLUSTER_SIZE:
        return Clusters(
            labels, np.zeros((0, x.shape[1] if x.ndim == 2 else 0)), np.full(n, np.nan), np.zeros(0)
        )
    fit_rows = fit_sample(n, seed, keys)
    fit_labels = _hdbscan_labels(x[fit_rows])
    fit_labels = split_grab_bags(x[fit_rows], fit_labels)
    fit_labels = merge_close(x[fit_rows], fit_labels)
    k = int(fit_labels.max()) + 1 if len(fit_labels) else 0
    centroids = centroids_of(x[fit_rows], fit_labels, k)
    thresholds = np.zeros(k, dtype=np.float32)
    for c in range(k):
        sims = x[fit_rows][fit_labels == c] @ centroids[c]
        thresholds[c] = np.quantile(sims, ASSIGN_QUANTILE)
    labels[fit_rows] = fit_labels
    # Outlier reduction (as BERTopic's reduce_outliers by embeddings): HDBSCAN keeps only the
    # dense core of a family; every other vector (unfitted, or fitted but left as noise) joins
    # the nearest cluster when it is as close to its centroid as most of the core is.
    rest = np.flatnonzero(labels == NOISE)
    if len(rest) and k:
        labels[rest], _ = assign_to_clusters(x[rest], centroids, thresholds)
    sim = np.full(n, np.nan)
    member = labels >= 0
    if k:
        sim[member] = np.einsum("ij,ij->i", x[member], centroids[labels[member]])
    log.info("Clustering - %d vectors: %d clusters, %d noise", n, k, int((~member).sum()))
    return Clusters(labels, centroids, sim, thresholds)


def split_grab_bags(x: np.ndarray, labels: np.ndarray, depth: int = MAX_SPLIT_DEPTH) -> np.ndarray:
    """Labels with each grab bag (coherence < GRAB_BAG_COHERENCE) replaced by its own re-fit.

    HDBSCAN's excess-of-mass selection never returns the root, but a loose remainder that a much
    denser group splits from high in the tree (a burst of near-duplicate texts: an outage, a
    campaign, a bot) is no longer the root: it can be selected, and its stability from that
    early split outweighs its children's. Measured on a 40,000-conversation demo (hashing
    vectors) plus one day of 5,000 six-template texts: fintech's 1,569 old candidates, 26
    clusters the night before, came back as one cluster of 1,530 (coherence 0.33) beside three
    burst clusters (0.96), and the id matching then merged the 26 into it (52 -> 17 topics
    shown). Fitted alone, the remainder is the root again and gives 28 clusters. The re-fit's
    min_cluster_size is that of its own size, as if the dense group were not there (with the
    whole fit's, which the burst inflated, families of 15-18 stay noise: 14 clusters of a
    generated vertical's 25, against 25). A re-fit that finds fewer than two clusters leaves the
    cluster as it was; the re-fit's noise is noise (outlier reduction may place it later)."""
    out = labels.copy()
    if depth <= 0 or labels.max() < 0:
        return out
    next_label = int(labels.max()) + 1
    for c in range(int(labels.max()) + 1):
        rows = np.flatnonzero(labels == c)
        if len(rows) < 2 * MIN_CLUSTER_SIZE:
            continue
        centroid = unit(x[rows].mean(axis=0))
        if coherence(x[rows], centroid) >= GRAB_BAG_COHERENCE:
            continue
        sub = _hdbscan_labels(x[rows], retry_single=False)
        if sub.max() < 1:
            continue
        sub = split_grab_bags(x[rows], sub, depth - 1)
        out[rows] = np.where(sub >= 0, sub + next_label, NOISE)
        next_label += int(sub.max()) + 1
    return out


def merge_close(vectors: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Merge clusters whose centroids' cosine reaches MERGE_SIMILARITY; labels renumbered 0..k-1."""
    labels = labels.copy()
    while True:
        ids = sorted(int(c) for c in set(labels.tolist()) if c >= 0)
        if len(ids) < 2:
            break
        cents = centroids_of(vectors, labels, max(ids) + 1)[ids]
        sims = cents @ cents.T
        np.fill_diagonal(sims, -1)
        i, j = np.unravel_index(np.argmax(sims), sims.shape)
        if sims[i, j] < MERGE_SIMILARITY:
            break
        labels[labels == ids[j]] = ids[i]
    keep = sorted(int(c) for c in set(labels.tolist()) if c >= 0)
    remap = {c: n for n, c in enumerate(keep)}
    return np.array([remap.get(int(c), NOISE) for c in labels], dtype=np.int64)


def assign_to_clusters(
    vectors: np.ndarray, centroids: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centroid for each vector when close enough (its threshold), else NOISE.

    Returns (labels, cosine to the chosen centroid; NaN for noise).
    """
    x = unit(vectors)
    if not len(centroids) or not len(x):
        return np.full(len(x), NOISE, dtype=np.int64), np.full(len(x), np.nan)
    sims = x @ np.asarray(centroids, dtype=np.float32).T
    best = sims.argmax(axis=1)
    top = sims[np.arange(len(x)), best]
    ok = top >= np.asarray(thresholds)[best]
    return np.where(ok, best, NOISE).astype(np.int64), np.where(ok, top, np.nan)


def coherence(vectors: np.ndarray, centroid: np.ndarray) -> float:
    """Mean cosine of a cluster's members to its unit centroid (1 = identical texts)."""
    if not len(vectors):
        return 0.0
    return float(np.mean(unit(vectors) @ centroid))
