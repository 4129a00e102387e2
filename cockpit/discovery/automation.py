"""The likely automation type of a cluster, from the taxonomy examples nearest its members.

Each of a cluster's most central members votes for the types of its `LIKELY_TYPE_K` nearest
taxonomy examples, weighted by cosine similarity; the type with the largest share of the votes
wins and that share is its confidence. The tagger's own type head is trained on the same
examples, but discovery must not lean on tags of conversations the taxonomy could not place.
"""

from __future__ import annotations

import numpy as np

from cockpit.contract import AUTOMATION_TYPES

# Nearest examples per member: the tagger's nearest-example vote uses 20 over the same examples;
# half as many keeps a member's vote about its own phrasing rather than its neighbourhood.
LIKELY_TYPE_K = 10
# Members that vote: the most central ones describe the cluster; the edges add noise and cost.
VOTING_MEMBERS = 50


def likely_type(
    member_vectors: np.ndarray, example_vectors: np.ndarray, example_types: list[str]
) -> tuple[str | None, float]:
    """(type, share of the similarity-weighted votes) for one cluster; (None, 0) without examples."""
    if not len(example_vectors) or not len(member_vectors):
        return None, 0.0
    types = np.asarray(example_types)
    sims = (
        np.asarray(member_vectors[:VOTING_MEMBERS], dtype=np.float32)
        @ np.asarray(example_vectors, dtype=np.float32).T
    )
    k = min(LIKELY_TYPE_K, sims.shape[1])
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    weights = np.maximum(np.take_along_axis(sims, nearest, axis=1), 0.0)
    kinds = types[nearest]
    votes = {t: float(weights[kinds == t].sum()) for t in AUTOMATION_TYPES}
    total = sum(votes.values())
    if total <= 0:
        return None, 0.0
    best = max(AUTOMATION_TYPES, key=lambda t: votes[t])
    return best, votes[best] / total
