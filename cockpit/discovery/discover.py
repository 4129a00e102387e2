"""One vertical's emerging topics: cluster, name, type, match to the previous refresh.

Pure: DataFrames and arrays in, DataFrames out; the pipeline step (`pipelines/discover.py`)
reads the store, calls these and writes the result.

Scopes: every vertical is clustered as a whole; then each account with at least
`ACCOUNT_MIN_POINTS` of the vertical's noise points has those points clustered alone, so a topic
only one big account sees can still surface. A cluster's scope is `vertical:<v>` or
`account:<id>`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cockpit.discovery.automation import likely_type
from cockpit.discovery.clustering import (
    GRAB_BAG_COHERENCE,
    NOISE,
    Clusters,
    assign_to_clusters,
    cluster_vectors,
    coherence,
    unit,
)
from cockpit.discovery.identity import NewCluster, OldCluster, match_clusters
from cockpit.discovery.naming import central_order, class_terms, cluster_name
from cockpit.tagging.taxonomy import OTHER

log = logging.getLogger(__name__)

# An account's own clustering needs this many of its conversations left as noise by the
# vertical's: with MIN_CLUSTER_SIZE 15, a topic then needs ≥ 7.5% of that residue to show.
ACCOUNT_MIN_POINTS = 200
# What is shown (smaller or looser clusters stay stored, hidden): a weekly product review wants
# at least ~20 conversations behind a topic (≈ 5 a week over the 4-week window of the metrics),
# and members whose mean cosine to their centroid is below 0.45 read as a grab bag (MiniLM:
# one intent family 0.55–0.75, random support texts ~0.3; bench/topics.py prints the values).
MIN_SHOWN_SIZE = 20
MIN_COHERENCE = GRAB_BAG_COHERENCE  # one line for a grab bag: clustering splits them, too
# A cluster whose members are mostly (this share or more, `other` not counted) tagged with one
# known topic can be hidden as a margin of that topic rather than a new one (novelty brings such
# margins in: 16-26 shown in Bitext's vertical). None: no such rule. Chosen leave-one-dataset-out
# with the novelty ratio by bench/topics.py --families over (None, 0.5, ..., 0.9): None on every
# held-out set, because a family the taxonomy lacks that a neighbouring topic absorbs (CLINC150
# rewards and application_status in `cards`) is exactly such a cluster, and every share of the
# grid hides it (F1 0.85 -> 0.01). Kept as a setting so a better margin test can be measured.
MAX_KNOWN_SHARE: float | None = None
# Example conversations kept per cluster (the page shows 5; promotion takes its examples here).
EXAMPLES_KEPT = 20
SHOWN_EXAMPLES = 5
ACTIVE = "active"
RETIRED = ("merged",)  # statuses that no longer take part in matching

CLUSTER_COLUMNS = [
    "cluster_id", "vertical", "scope", "account_id", "status", "name", "terms", "likely_type",
    "type_confidence", "size", "coherence", "assign_threshold", "central_conversation_id",
    "example_conversation_ids", "first_seen", "merged_into", "centroid",
]  # fmt: skip


@dataclass
class VerticalResult:
    """The vertical's clusters (every status), its points (cluster_id None = noise), events."""

    clusters: pd.DataFrame
    points: pd.DataFrame
    events: list[tuple[str, str, str | None]] = field(default_factory=list)


def _scope_clusters(
    vectors: np.ndarray, accounts: np.ndarray, seed: int, keys: np.ndarray | None = None
) -> tuple[np.ndarray, list[str], Clusters]:
    """Labels over all rows (vertical clusters first, then account ones), each label's scope.

    `keys` (conversation ids) keep the fitted sample stable across refreshes (fit_sample)."""
    vert = cluster_vectors(vectors, seed, keys)
    labels = vert.labels.copy()
    scopes = ["vertical"] * vert.n_clusters
    centroids, thresholds = [vert.centroids], [vert.thresholds]
    noise = labels == NOISE
    acc_noise = pd.Series(accounts[noise]).value_counts()
    offset = vert.n_clusters
    for account in sorted(acc_noise[acc_noise >= ACCOUNT_MIN_POINTS].index):
        rows = np.flatnonzero(noise & (accounts == account))
        sub = cluster_vectors(vectors[rows], seed, None if keys is None else keys[rows])
        hit = sub.labels >= 0
        labels[rows[hit]] = sub.labels[hit] + offset
        scopes += [f"account:{account}"] * sub.n_clusters
        centroids.append(sub.centroids)
        thresholds.append(sub.thresholds)
        offset += sub.n_clusters
    dim = vectors.shape[1]
    cents = np.vstack([c.reshape(-1, dim) for c in centroids]) if offset else np.zeros((0, dim))
    return (
        labels,
        scopes,
        Clusters(labels, cents, np.full(len(labels), np.nan), np.concatenate(thresholds)),
    )


def cluster_vertical(
    vertical: str,
    candidates: pd.DataFrame,
    vectors: np.ndarray,
    previous: pd.DataFrame,
    previous_points: pd.DataFrame,
    examples: tuple[np.ndarray, list[str]],
    new_id: Callable[[], str],
    seed: int = 0,
) -> VerticalResult:
    """Re-cluster one vertical's candidates and carry ids over from `previous`.

    `candidates`: conversation_id, account_id, created_at, text (one row per vector).
    `previous`: the vertical's stored clusters (CLUSTER_COLUMNS); `previous_points`:
    conversation_id, cluster_id of the last run. `examples`: taxonomy example vectors and types.
    """
    x = unit(vectors)
    ids = candidates["conversation_id"].to_numpy()
    accounts = candidates["account_id"].to_numpy()
    labels, scopes, fit = _scope_clusters(x, accounts, seed, ids)
    k = len(scopes)
    present = set(ids)
    old_points = previous_points[previous_points["cluster_id"].notna()]
    members_of = old_points.groupby("cluster_id")["conversation_id"].agg(
        lambda s: frozenset(s) & present
    )
    old = [
        OldCluster(r.cluster_id, r.status, np.asarray(r.centroid, dtype=np.float32), members_of.get(r.cluster_id, frozenset()))
        for r in previous.itertuples()
        if r.status not in RETIRED
    ]  # fmt: skip
    new = [NewCluster(fit.centroids[c], frozenset(ids[labels == c])) for c in range(k)]
    matching = match_clusters(old, new, new_id)

    terms = class_terms(candidates["text"].tolist(), labels)
    prev = previous.set_index("cluster_id") if len(previous) else None
    ex_vectors, ex_types = examples
    rows, sims = [], np.full(len(ids), np.nan)
    for c in range(k):
        member = np.flatnonzero(labels == c)
        order = member[central_order(x[member], fit.centroids[c])]
        sims[member] = x[member] @ fit.centroids[c]
        inherited = matching.inherited[c]
        status = (
            inherited.status
            if inherited is not None and inherited.status not in ("gone",)
            else ACTIVE
        )
        first_seen = candidates["created_at"].iloc[member].min()
        if prev is not None and matching.ids[c] in prev.index:
            first_seen = min(first_seen, prev.at[matching.ids[c], "first_seen"])
        ltype, tconf = likely_type(x[order], ex_vectors, ex_types)
        scope = f"vertical:{vertical}" if scopes[c] == "vertical" else scopes[c]
        rows.append({
            "cluster_id": matching.ids[c], "vertical": vertical, "scope": scope,
            "account_id": scope.split(":", 1)[1] if scope.startswith("account:") else None,
            "status": status, "name": cluster_name(terms.get(c, [])), "terms": terms.get(c, []),
            "likely_type": ltype, "type_confidence": tconf, "size": len(member),
            "coherence": coherence(x[member], fit.centroids[c]),
            "assign_threshold": float(fit.thresholds[c]),
            "central_conversation_id": str(ids[order[0]]),
            "example_conversation_ids": [str(i) for i in ids[order[:EXAMPLES_KEPT]]],
            "first_seen": first_seen, "merged_into": None,
            "centroid": fit.centroids[c].astype(float).tolist(),
        })  # fmt: skip
    kept = {r["cluster_id"] for r in rows}
    for r in previous.itertuples():  # every old cluster stays stored, with its new state
        if r.cluster_id in kept:
            continue
        row = {col: getattr(r, col) for col in CLUSTER_COLUMNS}
        if r.cluster_id in matching.merged_into:
            row.update(status="merged", merged_into=matching.merged_into[r.cluster_id], size=0)
        elif r.status in (ACTIVE, "gone"):
            row.update(status="gone", size=0)
        else:
            row.update(size=0)  # dismissed / promoted keep their status with no members now
        rows.append(row)
    clusters = pd.DataFrame(rows, columns=CLUSTER_COLUMNS)
    points = pd.DataFrame({
        "conversation_id": ids,
        "cluster_id": [matching.ids[c] if c >= 0 else None for c in labels],
        "similarity": sims,
    })  # fmt: skip
    log.info("Discovery - %s: %d clusters, %d events", vertical, k, len(matching.events))
    return VerticalResult(clusters, points, matching.events)


def assign_new(
    candidates: pd.DataFrame, vectors: np.ndarray, clusters: pd.DataFrame
) -> pd.DataFrame:
    """Place new candidates in the vertical's existing clusters (no re-clustering).

    Only clusters with members (not merged, not gone) take new points; a dismissed or promoted
    one absorbs its look-alikes so they never surface as a new topic. Returns points rows.
    """
    live = clusters[(clusters["size"] > 0) & ~clusters["status"].isin(("merged", "gone"))]
    if not len(live):
        return pd.DataFrame(
            {
                "conversation_id": candidates["conversation_id"],
                "cluster_id": None,
                "similarity": np.nan,
            }
        )
    cents = np.vstack([np.asarray(c, dtype=np.float32) for c in live["centroid"]])
    labels, sims = assign_to_clusters(
        vectors, cents, live["assign_threshold"].to_numpy(dtype=np.float32)
    )
    cids = live["cluster_id"].to_numpy()
    return pd.DataFrame({
        "conversation_id": candidates["conversation_id"].to_numpy(),
        "cluster_id": [cids[c] if c >= 0 else None for c in labels],
        "similarity": sims,
    })  # fmt: skip


def known_share(topic_ids) -> float:
    """Share of a cluster's members carrying its most common known topic (`other` excluded)."""
    topics = pd.Series(np.asarray(topic_ids, dtype=object))
    if not len(topics):
        return 0.0
    known = topics[topics != OTHER].value_counts()
    return float(known.iloc[0] / len(topics)) if len(known) else 0.0


def is_shown(
    status: str,
    size: int,
    coherence_value: float,
    known: float = 0.0,
    max_known_share: float | None = MAX_KNOWN_SHARE,
) -> bool:
    """Whether a cluster appears in the app and the CLI: active, big and coherent enough, and
    (when `max_known_share` is set) not mostly one known topic (`known`: its known_share;
    hidden at `max_known_share` or more)."""
    return (
        status == ACTIVE
        and size >= MIN_SHOWN_SIZE
        and coherence_value >= MIN_COHERENCE
        and (max_known_share is None or known < max_known_share)
    )
