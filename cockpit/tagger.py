"""Tagging: automation type and topic for each conversation, from its embedding.

Two heads over the (L2-normalised) sentence embeddings, both multinomial logistic regression:
- the type head learns informational / personalized / action from the type examples and every
  topic example filed under a type;
- the topic head learns every topic (shared, vertical, custom) from its examples plus its
  "name: description" line, and an extra rejection class `__oos__` from out_of_scope.yaml.

Confidences are calibrated by temperature scaling: out-of-fold logits from a seeded stratified
k-fold give the temperature that minimises log-loss, and the final model is fitted on everything.
Topic probabilities are restricted to the topics valid for the conversation's account (shared +
its vertical + its custom topics) by masking the logits before the softmax (= renormalising).
The topic is `other` when the rejection class wins or the best topic's probability is below
`taxonomy.other_threshold`; its `topic_confidence` is then 1 - (best topic probability).
Same taxonomy + same corrections + same seed → the same model and the same tags.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cockpit.taxonomy import OTHER, Taxonomy

log = logging.getLogger(__name__)

OOS = "__oos__"
C_TYPE = 4.0
C_TOPIC = 16.0  # normalised embeddings need weak regularisation to separate few-shot classes
MAX_FOLDS = 5
TEMPERATURES = np.exp(np.linspace(np.log(0.05), np.log(10.0), 80))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


@dataclass
class _Head:
    """A calibrated linear classifier: logits = X @ coef.T + intercept, probs = softmax(logits/T)."""

    classes: list[str]
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float = 1.0

    def logits(self, x: np.ndarray) -> np.ndarray:
        return (x @ self.coef.T + self.intercept) / self.temperature


def _fit_lr(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression
    from threadpoolctl import threadpool_limits

    # One BLAS thread: these problems are small, and on a busy 2-core machine OpenBLAS threads
    # spin against each other (measured: 140 s with the default pool vs 1 s with one thread).
    with threadpool_limits(limits=1, user_api="blas"):
        model = LogisticRegression(C=c, max_iter=2000, tol=1e-5)
        model.fit(x, y)
    return model


def _fit_head(x: np.ndarray, y: list[str], c: float, seed: int) -> _Head:
    """Fit the classifier and its temperature (out-of-fold log-loss) on (x, y)."""
    labels = np.asarray(y)
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) == 1:  # degenerate: everything is this class
        return _Head([str(classes[0])], np.zeros((1, x.shape[1])), np.zeros(1))
    model = _fit_lr(x, labels, c)
    coef, intercept = model.coef_, model.intercept_
    if len(classes) == 2:  # sklearn stores one row for binary problems
        coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
    head = _Head([str(c_) for c_ in model.classes_], coef, intercept)
    folds = min(MAX_FOLDS, int(counts.min()))
    if folds >= 2:
        head.temperature = _fit_temperature(x, labels, c, folds, seed, list(model.classes_))
    return head


def _fit_temperature(
    x: np.ndarray, y: np.ndarray, c: float, folds: int, seed: int, classes: list
) -> float:
    from sklearn.model_selection import StratifiedKFold

    oof = np.zeros((len(y), len(classes)))
    index = {c_: i for i, c_ in enumerate(classes)}
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        model = _fit_lr(x[train], y[train], c)
        z = model.decision_function(x[test])
        if z.ndim == 1:
            z = np.stack([-z / 2, z / 2], axis=1)
        cols = [index[c_] for c_ in model.classes_]
        full = np.full((len(test), len(classes)), -1e9)
        full[:, cols] = z
        oof[test] = full
    target = np.array([index[v] for v in y])
    best, best_nll = 1.0, np.inf
    for t in TEMPERATURES:
        p = _softmax(oof / t)[np.arange(len(y)), target]
        nll = -np.mean(np.log(np.clip(p, 1e-12, None)))
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


@dataclass
class Tagger:
    """A fitted tagger. `predict` is pure and deterministic."""

    taxonomy: Taxonomy
    type_head: _Head | None
    topic_head: _Head
    n_examples: int = 0

    def _valid_mask(self, vertical: str | None, account_id: str | None) -> np.ndarray:
        valid = {t.id for t in self.taxonomy.topics_for(vertical, account_id)} | {OOS}
        return np.array([c in valid for c in self.topic_head.classes])

    def predict(
        self,
        vectors: np.ndarray,
        verticals: Sequence[str | None] | None = None,
        account_ids: Sequence[str | None] | None = None,
    ) -> pd.DataFrame:
        """Tags for each row of `vectors`, restricted to topics valid for its account.

        Returns a DataFrame with automation_type, type_confidence, topic_id, topic_confidence.
        """
        n = len(vectors)
        x = np.asarray(vectors, dtype=np.float64)
        verticals = list(verticals) if verticals is not None else [None] * n
        account_ids = list(account_ids) if account_ids is not None else [None] * n

        if self.type_head is not None:
            tp = _softmax(self.type_head.logits(x)) if n else np.zeros((0, 1))
            t_idx = tp.argmax(axis=1) if n else np.zeros(0, int)
            types = np.asarray(self.type_head.classes, dtype=object)[t_idx]
            type_conf = tp[np.arange(n), t_idx] if n else np.zeros(0)
        else:
            types, type_conf = np.full(n, None, dtype=object), np.full(n, np.nan)

        logits = self.topic_head.logits(x) if n else np.zeros((0, len(self.topic_head.classes)))
        classes = np.asarray(self.topic_head.classes, dtype=object)
        is_topic = classes != OOS
        topic_ids = np.full(n, OTHER, dtype=object)
        topic_conf = np.zeros(n)
        groups = pd.DataFrame({"v": verticals, "a": account_ids}).fillna("\0")
        for (v, a), rows in groups.groupby(["v", "a"], sort=True).indices.items():
            mask = self._valid_mask(None if v == "\0" else v, None if a == "\0" else a)
            z = np.where(mask, logits[rows], -np.inf)
            p = _softmax(z)
            p_topics = np.where(is_topic, p, -1.0)
            best = p_topics.argmax(axis=1)
            p_best = p[np.arange(len(rows)), best]
            p_oos = p[:, ~is_topic].sum(axis=1) if (~is_topic).any() else np.zeros(len(rows))
            reject = (p_best < self.taxonomy.other_threshold) | (p_oos > p_best) | ~mask[best]
            topic_ids[rows] = np.where(reject, OTHER, classes[best])
            topic_conf[rows] = np.where(reject, 1.0 - p_best, p_best)

        # Custom topics may fix the automation type of their conversations.
        for topic in self.taxonomy.topics:
            if topic.automation_type:
                hit = topic_ids == topic.id
                types[hit] = topic.automation_type
                type_conf[hit] = topic_conf[hit]
        return pd.DataFrame(
            {
                "automation_type": pd.Series(types, dtype=object),
                "type_confidence": np.clip(type_conf.astype(float), 0.0, 1.0),
                "topic_id": pd.Series(topic_ids, dtype=object),
                "topic_confidence": np.clip(topic_conf, 0.0, 1.0),
            }
        )


def training_examples(
    taxonomy: Taxonomy, corrections: pd.DataFrame | None = None, descriptions: bool = True
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(text, type) pairs for the type head and (text, topic) pairs for the topic head.

    Corrections (columns text, automation_type, topic_id) are appended to both; a correction
    to `other` becomes a rejection example.
    """
    type_rows: list[tuple[str, str]] = []
    topic_rows: list[tuple[str, str]] = []
    for t in taxonomy.types:
        type_rows += [(e, t.id) for e in t.examples]
    for topic in taxonomy.topics:
        for type_id, exs in topic.examples.items():
            type_id = type_id or topic.automation_type or ""
            if type_id:
                type_rows += [(e, type_id) for e in exs]
            topic_rows += [(e, topic.id) for e in exs]
        if descriptions:
            topic_rows.append((f"{topic.name}: {topic.description}", topic.id))
    topic_rows += [(e, OOS) for e in taxonomy.out_of_scope]
    if corrections is not None and len(corrections):
        for text, type_id, topic_id in corrections[["text", "automation_type", "topic_id"]].itertuples(
            index=False
        ):
            if not isinstance(text, str) or not text:
                continue
            if type_id in taxonomy.type_ids:
                type_rows.append((text, type_id))
            if topic_id == OTHER:
                topic_rows.append((text, OOS))
            elif topic_id in taxonomy.topic_ids:
                topic_rows.append((text, topic_id))
    return type_rows, topic_rows


def fit_tagger(
    taxonomy: Taxonomy,
    embed: Callable[[list[str]], np.ndarray],
    corrections: pd.DataFrame | None = None,
    seed: int = 0,
    descriptions: bool = True,
) -> Tagger:
    """Fit both heads on the taxonomy's examples (+ corrections) embedded with `embed`."""
    type_rows, topic_rows = training_examples(taxonomy, corrections, descriptions)
    texts = sorted({t for t, _ in type_rows} | {t for t, _ in topic_rows})
    vectors = embed(texts) if texts else np.zeros((0, 0))
    row = {t: i for i, t in enumerate(texts)}
    x = np.asarray(vectors, dtype=np.float64)

    type_head = None
    if type_rows:
        type_head = _fit_head(x[[row[t] for t, _ in type_rows]], [y for _, y in type_rows], C_TYPE, seed)
    if not topic_rows:
        raise ValueError("the taxonomy has no topic examples to learn from")
    topic_head = _fit_head(
        x[[row[t] for t, _ in topic_rows]], [y for _, y in topic_rows], C_TOPIC, seed
    )
    log.info(
        "Tagger - fitted on %d type and %d topic examples (T=%.2f/%.2f)",
        len(type_rows),
        len(topic_rows),
        type_head.temperature if type_head else 0,
        topic_head.temperature,
    )
    return Tagger(taxonomy, type_head, topic_head, n_examples=len(texts))
