"""Novelty: a conversation confidently tagged with a topic may still not belong to it.

The tagger must pick a topic when one fits better than the rest, so a family the taxonomy lacks
but that sits near an existing topic ("card rewards" next to `cards`) is tagged with that topic
at a high confidence and never reaches discovery through `other` or a low confidence. Novelty
looks at the distance to the taxonomy instead: a conversation's *fit* is its cosine to the
nearest taxonomy example of the topic it was given; the topic's *typical fit* is the median fit
of the conversations it was given (in the same batch). A conversation fits unusually badly
when its fit is below `ratio` × the typical fit: it is then a discovery candidate too.

Relative to each topic, so a topic with loosely written examples does not flag all its members
and a tight one does not hide an absorbed family. The ratio is chosen leave-one-dataset-out
by bench/topics.py (`--families`).
"""

from __future__ import annotations

import numpy as np

from cockpit.discovery.clustering import unit

# Rows a topic needs in the batch before its typical fit is trusted (a median of a handful of
# conversations moves with each one).
MIN_TOPIC_ROWS = 20


def topic_fit(
    vectors: np.ndarray, topic_ids: np.ndarray, example_vectors: np.ndarray, example_topics
) -> np.ndarray:
    """Cosine of each row to the nearest example of its own topic (NaN: topic has no examples)."""
    x = unit(vectors)
    ex = unit(example_vectors)
    example_topics = np.asarray(example_topics)
    topic_ids = np.asarray(topic_ids)
    fit = np.full(len(x), np.nan)
    for topic in np.unique(topic_ids):
        cols = np.flatnonzero(example_topics == topic)
        if not len(cols):
            continue
        rows = np.flatnonzero(topic_ids == topic)
        for start in range(0, len(rows), 4096):  # bounded memory whatever the batch
            part = rows[start : start + 4096]
            fit[part] = (x[part] @ ex[cols].T).max(axis=1)
    return fit


def novel_mask(topic_ids: np.ndarray, fit: np.ndarray, ratio: float | None) -> np.ndarray:
    """Rows whose fit is below `ratio` × their topic's median fit (`ratio` None: no row)."""
    topic_ids = np.asarray(topic_ids)
    out = np.zeros(len(fit), dtype=bool)
    if ratio is None:
        return out
    for topic in np.unique(topic_ids):
        rows = np.flatnonzero((topic_ids == topic) & ~np.isnan(fit))
        if len(rows) < MIN_TOPIC_ROWS:
            continue
        typical = float(np.median(fit[rows]))
        out[rows] = fit[rows] < ratio * typical
    return out
