"""`cockpit taxonomy eval`: how well the tagger recognises labels a user brings.

Modes (chosen by `evaluate_file`):
- few-shot (`few_shot=K`): the labels become one account's custom taxonomy; K rows per label
  (seeded sample) are its examples and every other row is the test set;
- train file (`train=PATH`): all of PATH's rows are the examples, FILE is the test set;
- zero-shot (neither): the labels must be automation types (informational / personalized /
  action) and the project taxonomy's type classifier is evaluated, or project topic ids (plus
  `other`) and its topic classifier is evaluated over all topics (or one vertical's).
Rows labelled `other` or `oos` are out-of-scope: in the custom modes their examples train the
rejection class (with the project's out_of_scope.yaml examples) and the right answer for such a
test row is `other`. Coverage is the share of test rows given a real (non-`other`) label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cockpit.contract import AUTOMATION_TYPES
from cockpit.errors import CockpitError
from cockpit.tagging.tagger import fit_tagger
from cockpit.tagging.taxonomy import OTHER, Taxonomy, custom_taxonomy

OTHER_LABELS = ("other", "oos")
MAX_CONFUSIONS = 15


@dataclass
class EvalResult:
    """Metrics of one evaluation run."""

    mode: str
    n_examples: int
    n_test: int
    accuracy: float
    macro_f1: float
    coverage: float
    per_label: pd.DataFrame  # label, precision, recall, f1, support
    confusions: pd.DataFrame  # true, predicted, count (errors only, most frequent first)
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "mode": self.mode,
            "n_examples": self.n_examples,
            "n_test": self.n_test,
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "coverage": round(self.coverage, 4),
            "per_label": self.per_label.round(4).to_dict(orient="records"),
            "confusions": self.confusions.to_dict(orient="records"),
            **self.extra,
        }


def score(truth: Sequence[str], predicted: Sequence[str], mode: str, n_examples: int) -> EvalResult:
    """Accuracy, macro-F1 (over the true labels), per-label P/R, coverage and confusions."""
    from sklearn.metrics import precision_recall_fscore_support

    y, p = np.asarray(truth, dtype=object), np.asarray(predicted, dtype=object)
    labels = sorted(set(y))
    prec, rec, f1, support = precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    per_label = pd.DataFrame(
        {"label": labels, "precision": prec, "recall": rec, "f1": f1, "support": support}
    )
    errors = pd.DataFrame({"true": y[y != p], "predicted": p[y != p]})
    confusions = (
        errors.value_counts()
        .rename("count")
        .reset_index()
        .sort_values(["count", "true", "predicted"], ascending=[False, True, True])
        if len(errors)
        else pd.DataFrame(columns=["true", "predicted", "count"])
    )
    return EvalResult(
        mode=mode,
        n_examples=n_examples,
        n_test=len(y),
        accuracy=float((y == p).mean()) if len(y) else 0.0,
        macro_f1=float(np.mean(f1)) if len(f1) else 0.0,
        coverage=float((p != OTHER).mean()) if len(p) else 0.0,
        per_label=per_label,
        confusions=confusions.head(MAX_CONFUSIONS).reset_index(drop=True),
    )


ECE_BINS = 10  # the usual equal-width binning; with fewer than ~500 rows per set use fewer


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool]) -> float:
    """Mean |accuracy - confidence| over ECE_BINS equal-width confidence bins, weighted by size."""
    conf = np.asarray(confidence, dtype=float)
    ok = np.asarray(correct, dtype=float)
    if not len(conf):
        return 0.0
    bins = np.minimum((conf * ECE_BINS).astype(int), ECE_BINS - 1)
    total = 0.0
    for b in np.unique(bins):
        sel = bins == b
        total += sel.sum() * abs(ok[sel].mean() - conf[sel].mean())
    return float(total / len(conf))


def _canonical(label: str) -> str:
    return OTHER if str(label).lower() in OTHER_LABELS else str(label)


def few_shot_split(labels: Sequence[str], k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices of K examples per label (seeded) and of the remaining test rows."""
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels, dtype=object)
    train = []
    for label in sorted(set(labels)):
        idx = np.flatnonzero(labels == label)
        train.extend(rng.choice(idx, size=min(k, len(idx)), replace=False).tolist())
    train_idx = np.sort(np.asarray(train, dtype=int))
    test_idx = np.setdiff1d(np.arange(len(labels)), train_idx)
    return train_idx, test_idx


def evaluate_examples(
    train_texts: Sequence[str],
    train_labels: Sequence[str],
    test_texts: Sequence[str],
    test_labels: Sequence[str],
    embed: Callable[[list[str]], np.ndarray],
    seed: int = 0,
    out_of_scope: Sequence[str] = (),
    other_threshold: float = 0.35,
    mode: str = "custom",
    test_vectors: np.ndarray | None = None,
) -> EvalResult:
    """Fit a custom taxonomy on the training rows and score it on the test rows."""
    examples: dict[str, list[str]] = {}
    oos = list(out_of_scope)
    for text, label in zip(train_texts, train_labels, strict=True):
        label = _canonical(label)
        (oos if label == OTHER else examples.setdefault(label, [])).append(str(text))
    if not examples:
        raise CockpitError("no training examples with a label other than other/oos.")
    taxonomy = custom_taxonomy(examples, out_of_scope=oos, other_threshold=other_threshold)
    tagger = fit_tagger(taxonomy, embed, seed=seed)
    vectors = test_vectors if test_vectors is not None else embed([str(t) for t in test_texts])
    pred = tagger.predict(vectors, None, ["eval"] * len(vectors))
    truth = [_canonical(label) for label in test_labels]
    return score(truth, pred["topic_id"].tolist(), mode, n_examples=len(train_texts))


def evaluate_project(
    texts: Sequence[str],
    labels: Sequence[str],
    taxonomy: Taxonomy,
    embed: Callable[[list[str]], np.ndarray],
    seed: int = 0,
    vertical: str | None = None,
    vectors: np.ndarray | None = None,
) -> EvalResult:
    """Zero-shot: score the project taxonomy's type (or topic) classifier against `labels`."""
    labels = [_canonical(label) for label in labels]
    tagger = fit_tagger(taxonomy, embed, seed=seed)
    vectors = vectors if vectors is not None else embed([str(t) for t in texts])
    if set(labels) <= set(AUTOMATION_TYPES):
        pred = tagger.predict(vectors, None, None)["automation_type"]
        return score(labels, pred.tolist(), "zero-shot types", tagger.n_examples)
    known = set(taxonomy.topic_ids) | {OTHER}
    unknown = sorted(set(labels) - known)
    if unknown:
        raise CockpitError(
            f"zero-shot evaluation needs labels that are automation types "
            f"({', '.join(AUTOMATION_TYPES)}) or project topic ids; found {', '.join(unknown[:10])}. "
            f"Pass --few-shot K or --train FILE to evaluate your own labels."
        )
    if vertical is None:  # judge against every topic: pretend each row may be any vertical
        pred = _all_topics_tagger(tagger).predict(vectors, None, None)
    else:
        pred = tagger.predict(vectors, [vertical] * len(vectors), None)
    return score(labels, pred["topic_id"].tolist(), "zero-shot topics", tagger.n_examples)


def _all_topics_tagger(tagger):
    """The same fitted tagger with every topic made shared (no vertical masking)."""
    import dataclasses

    topics = tuple(
        dataclasses.replace(t, vertical=None, account_id=None) for t in tagger.taxonomy.topics
    )
    return dataclasses.replace(
        tagger, taxonomy=dataclasses.replace(tagger.taxonomy, topics=topics, _by_id={})
    )


def read_labelled(path: Path | str, text_col: str, label_col: str) -> pd.DataFrame:
    """Read a labelled CSV/Parquet/JSONL file; check both columns exist; drop empty rows."""
    path = Path(path)
    if not path.exists():
        raise CockpitError(f"{path}: file not found.")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        frame = pd.read_parquet(path)
    elif suffix in (".jsonl", ".ndjson", ".json"):
        frame = pd.read_json(path, lines=True)
    else:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in (text_col, label_col) if c not in frame.columns]
    if missing:
        raise CockpitError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(map(str, frame.columns))}. "
            f"Pass --text-col and --label-col."
        )
    frame = frame[[text_col, label_col]].astype(str)
    frame = frame[(frame[text_col].str.strip() != "") & (frame[label_col].str.strip() != "")]
    return frame.rename(columns={text_col: "text", label_col: "label"}).reset_index(drop=True)


def evaluate_file(
    path: Path | str,
    text_col: str,
    label_col: str,
    embed: Callable[[list[str]], np.ndarray],
    taxonomy: Taxonomy,
    few_shot: int | None = None,
    train: Path | str | None = None,
    seed: int = 0,
    vertical: str | None = None,
) -> EvalResult:
    """Run the evaluation `cockpit taxonomy eval` describes (see the module docstring)."""
    data = read_labelled(path, text_col, label_col)
    if few_shot is not None and train is not None:
        raise CockpitError("use either --few-shot K or --train FILE, not both.")
    if few_shot is not None:
        if few_shot < 1:
            raise CockpitError(f"--few-shot must be at least 1; got {few_shot}.")
        tr, te = few_shot_split(data["label"].tolist(), few_shot, seed)
        if len(te) == 0:
            raise CockpitError(
                f"every row was used as an example with K={few_shot}; lower K or add rows."
            )
        result = evaluate_examples(
            data["text"].iloc[tr].tolist(), data["label"].iloc[tr].tolist(),
            data["text"].iloc[te].tolist(), data["label"].iloc[te].tolist(),
            embed, seed, taxonomy.out_of_scope, taxonomy.other_threshold, f"few-shot K={few_shot}",
        )  # fmt: skip
    elif train is not None:
        tdata = read_labelled(train, text_col, label_col)
        result = evaluate_examples(
            tdata["text"].tolist(), tdata["label"].tolist(),
            data["text"].tolist(), data["label"].tolist(),
            embed, seed, taxonomy.out_of_scope, taxonomy.other_threshold, "train file",
        )  # fmt: skip
    else:
        result = evaluate_project(
            data["text"].tolist(), data["label"].tolist(), taxonomy, embed, seed, vertical
        )
    result.extra["seed"] = seed
    return result


def format_report(result: EvalResult) -> str:
    """A plain-text report: headline metrics, per-label table, top confusions."""
    lines = [
        f"mode: {result.mode}   examples: {result.n_examples}   test rows: {result.n_test}",
        f"accuracy {result.accuracy:.3f}   macro-F1 {result.macro_f1:.3f}   "
        f"coverage (not other) {result.coverage:.3f}",
        "",
        f"{'label':<32} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}",
    ]
    for r in result.per_label.itertuples(index=False):
        lines.append(
            f"{r.label[:32]:<32} {r.precision:>9.3f} {r.recall:>7.3f} {r.f1:>6.3f} {r.support:>8d}"
        )
    lines += [
        "",
        "top confusions (true -> predicted: count)" if len(result.confusions) else "no confusions",
    ]
    for r in result.confusions.itertuples(index=False):
        lines.append(f"  {r.true} -> {r.predicted}: {r.count}")
    return "\n".join(lines)
