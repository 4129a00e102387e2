"""Emerging topics: what the taxonomy cannot place, clustered, named and tracked with stable ids.

Stages (pure functions over arrays and DataFrames; the pipeline step does the I/O):
`clustering` (PCA + HDBSCAN, bounded), `naming` (class-based TF-IDF), `automation` (likely
type from the nearest taxonomy examples), `identity` (stable ids, merges, splits), `discover`
(one vertical end to end), `promotion` (a cluster becomes a custom topic YAML), `decisions`
(dismiss / promote, recorded in the corrections file and applied by the next refresh; import
it as `cockpit.discovery.decisions`: it reads through cockpit.queries, which imports this).
"""

from cockpit.discovery.automation import likely_type
from cockpit.discovery.clustering import Clusters, assign_to_clusters, cluster_vectors
from cockpit.discovery.discover import (
    CLUSTER_COLUMNS,
    MAX_KNOWN_SHARE,
    MIN_COHERENCE,
    MIN_SHOWN_SIZE,
    SHOWN_EXAMPLES,
    VerticalResult,
    assign_new,
    cluster_vertical,
    is_shown,
    known_share,
)
from cockpit.discovery.identity import Matching, NewCluster, OldCluster, match_clusters
from cockpit.discovery.naming import class_terms, cluster_name
from cockpit.discovery.promotion import promotion_document, topic_id_for, write_promotion

__all__ = [
    "CLUSTER_COLUMNS", "MAX_KNOWN_SHARE", "MIN_COHERENCE", "MIN_SHOWN_SIZE", "SHOWN_EXAMPLES",
    "Clusters", "Matching", "NewCluster", "OldCluster", "VerticalResult", "assign_new",
    "assign_to_clusters", "class_terms", "cluster_name", "cluster_vectors", "cluster_vertical",
    "is_shown", "known_share", "likely_type", "match_clusters", "promotion_document",
    "topic_id_for", "write_promotion",
]  # fmt: skip
