"""Stable cluster ids across refreshes: match new clusters to old ones, record merges and splits.

A new cluster inherits an old cluster's id when they share members or, failing that, when their
centroids are nearly the same (the old members may have left the window, or a topic that faded
may return). Pairs are linked when either side shares at least `MIN_OVERLAP` of its members with
the other, or when the centroids' cosine reaches `MATCH_MIN_SIMILARITY`. Ids then go one-to-one,
strongest link first (shared members, then centroid similarity):
- an old cluster whose id went elsewhere while it was linked to a new one is *merged* into it;
- a new cluster linked only to ids already taken is a *split* of the strongest of them;
- an old cluster linked to nothing is *gone* (kept: it can return with its id);
- a new cluster linked to nothing gets a fresh id.
A cluster keeps its status through all of this: a dismissed or promoted one stays so, and a new
cluster that inherits its id inherits the status (a dismissed topic never comes back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

# Share of a cluster's (still present) members that must sit in the other for a link. Clusters
# of one run are disjoint, so a third shared is far above chance, yet survives HDBSCAN's
# boundary moves and a window that drops old conversations.
MIN_OVERLAP = 1 / 3
# Centroid cosine that links clusters sharing no members. Measured on MiniLM vectors in
# bench/topics.py (printed there): two halves of one intent family ≥ 0.95, distinct families of
# one vertical mostly 0.5–0.85; 0.9 sits between and is not tuned beyond that.
MATCH_MIN_SIMILARITY = 0.9


@dataclass(frozen=True)
class OldCluster:
    cluster_id: str
    status: str
    centroid: np.ndarray
    members: frozenset[str]  # members that are still candidates in this run


@dataclass(frozen=True)
class NewCluster:
    centroid: np.ndarray
    members: frozenset[str]


@dataclass
class Matching:
    """ids[i] is the id of new cluster i; `events` rows are (event, cluster_id, other_id)."""

    ids: list[str]
    inherited: list[OldCluster | None]
    events: list[tuple[str, str, str | None]] = field(default_factory=list)
    merged_into: dict[str, str] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)


def match_clusters(
    old: list[OldCluster], new: list[NewCluster], new_id: Callable[[], str]
) -> Matching:
    """Give each new cluster an id (see the module docstring)."""
    links: list[tuple[float, float, int, int]] = []  # (overlap score, similarity, new i, old j)
    for i, n in enumerate(new):
        for j, o in enumerate(old):
            shared = len(n.members & o.members)
            share = max(shared / max(len(n.members), 1), shared / max(len(o.members), 1))
            sim = float(np.dot(n.centroid, o.centroid))
            if (shared and share >= MIN_OVERLAP) or sim >= MATCH_MIN_SIMILARITY:
                score = shared / np.sqrt(max(len(n.members), 1) * max(len(o.members), 1))
                links.append((score, sim, i, j))
    links.sort(key=lambda t: (-t[0], -t[1], t[2], t[3]))
    owner: dict[int, int] = {}  # new i -> old j
    taken: set[int] = set()
    for _, _, i, j in links:
        if i not in owner and j not in taken:
            owner[i] = j
            taken.add(j)
    result = Matching(ids=[], inherited=[])
    for i in range(len(new)):
        if i in owner:
            o = old[owner[i]]
            result.ids.append(o.cluster_id)
            result.inherited.append(o)
            if o.status == "gone":
                result.events.append(("returned", o.cluster_id, None))
            continue
        cid = new_id()
        result.ids.append(cid)
        result.inherited.append(None)
        parents = [old[j] for _, _, ii, j in links if ii == i]
        if parents:
            parent = parents[0]
            result.inherited[-1] = OldCluster(cid, parent.status, parent.centroid, frozenset())
            result.events.append(("split", cid, parent.cluster_id))
        else:
            result.events.append(("new", cid, None))
    for j, o in enumerate(old):
        if j in taken:
            continue
        into = [result.ids[i] for _, _, i, jj in links if jj == j]
        if into:
            result.merged_into[o.cluster_id] = into[0]
            result.events.append(("merged", o.cluster_id, into[0]))
        elif o.status != "gone":
            result.gone.append(o.cluster_id)
            result.events.append(("gone", o.cluster_id, None))
    return result
