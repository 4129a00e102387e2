"""Names for clusters: their distinctive terms (class-based TF-IDF) and most central example.

Class-based TF-IDF (as in BERTopic's c-TF-IDF): all texts of a class are one document; a term's
weight is its frequency in the class times log(1 + A / f), where A is the mean number of terms
per class and f the term's frequency over every class. The scope's unclustered texts are one
more class, so a term common to everything the taxonomy could not place does not name a cluster.
"""

from __future__ import annotations

import re

import numpy as np

from cockpit.discovery.clustering import NOISE

# Terms in a name: three say what a cluster is about without becoming a sentence.
NAME_TERMS = 3
# Terms kept per cluster for display and for the promoted topic's description.
KEEP_TERMS = 8
# Privacy placeholders ([EMAIL], [CARD], …) are not words the customer used.
_MASK = re.compile(r"\[[A-Z]+\]")
_TOKEN = r"(?u)\b[a-zA-Z][a-zA-Z']+\b"


def class_terms(
    texts: list[str], labels: np.ndarray, top_n: int = KEEP_TERMS
) -> dict[int, list[str]]:
    """The `top_n` most distinctive terms (unigrams and bigrams) of each non-noise label."""
    from sklearn.feature_extraction.text import CountVectorizer

    labels = np.asarray(labels)
    classes = sorted({int(c) for c in labels})
    wanted = [c for c in classes if c != NOISE]
    if not wanted:
        return {}
    docs = [
        " ".join(_MASK.sub(" ", texts[i]) for i in np.flatnonzero(labels == c)) for c in classes
    ]
    vectorizer = CountVectorizer(
        stop_words="english", ngram_range=(1, 2), token_pattern=_TOKEN, lowercase=True
    )
    try:
        counts = vectorizer.fit_transform(docs).toarray().astype(float)
    except ValueError:  # nothing but stop words
        return {c: [] for c in wanted}
    vocab = np.array(vectorizer.get_feature_names_out())
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    avg = counts.sum() / len(classes)
    idf = np.log(1 + avg / np.maximum(counts.sum(axis=0), 1))
    scores = tf * idf
    out: dict[int, list[str]] = {}
    for row, c in enumerate(classes):
        if c == NOISE:
            continue
        order = np.argsort(-scores[row], kind="stable")
        out[c] = [str(vocab[j]) for j in order[: top_n * 3] if counts[row, j] > 0][: top_n * 3]
        out[c] = _dedupe(out[c])[:top_n]
    return out


def _dedupe(terms: list[str]) -> list[str]:
    """Drop a unigram already inside a better-ranked bigram, and a bigram made of two kept words."""
    kept: list[str] = []
    for t in terms:
        words = t.split()
        if len(words) == 1 and any(t in k.split() for k in kept):
            continue
        if len(words) == 2 and all(w in kept for w in words):
            continue
        kept.append(t)
    return kept


def cluster_name(terms: list[str]) -> str:
    """A short display name from the leading terms, e.g. 'Crypto wallet · withdraw · fee'."""
    if not terms:
        return "Unnamed cluster"
    name = " · ".join(terms[:NAME_TERMS])
    return name[0].upper() + name[1:]


def central_order(vectors: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    """Indices of `vectors` from the most to the least central (cosine to the centroid)."""
    if not len(vectors):
        return np.zeros(0, dtype=np.int64)
    return np.argsort(-(vectors @ centroid), kind="stable")
