"""Tagging benchmark on the public data in ../shared/data (skips with a message when absent).

  .venv/bin/python bench/tagging.py [--seeds 5] [--throughput-n 2000]

(a) automation-type accuracy / macro-F1 on Bitext, zero-shot (project taxonomy examples only);
(b) few-shot custom-taxonomy accuracy, K = 5 and 10, mean over seeds: Bitext 27 intents,
    CLINC150 banking and credit-card intents (examples from `train`, test on `test`);
(c) CLINC150 out-of-scope: recall of `oos` -> other and the in-scope accuracy drop;
(d) throughput of embed (cache) + tag vs bare `model.encode` on the same texts, peak memory.
Vectors are cached in var/bench/embeddings.duckdb so reruns embed nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from cockpit import embedding as E  # noqa: E402
from cockpit.settings import Settings  # noqa: E402
from cockpit.tagging.evaluation import evaluate_examples, evaluate_project, few_shot_split  # noqa: E402
from cockpit.tagging.tagger import fit_tagger  # noqa: E402
from cockpit.tagging.taxonomy import custom_taxonomy, load_taxonomy  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_data():
    bitext = pd.read_csv(DATA / "bitext" / "bitext_cs_8k.csv")
    types = pd.read_csv(DATA / "bitext" / "intent_types.csv")
    bitext = bitext.merge(types[["intent", "automation_type"]], on="intent", how="left")
    clinc = pd.read_csv(DATA / "clinc150" / "clinc150_cs_subset.csv")
    return bitext, clinc


def few_shot(texts, labels, embed, k, seeds, oos, thr, test=None):
    """Mean accuracy over seeds; with `test` (texts, labels) the examples come from texts/labels."""
    accs, f1s = [], []
    for seed in range(seeds):
        tr, te = few_shot_split(labels, k, seed)
        if test is None:
            tt, tl = [texts[i] for i in te], [labels[i] for i in te]
        else:
            tt, tl = test
        r = evaluate_examples(
            [texts[i] for i in tr], [labels[i] for i in tr], tt, tl, embed, seed, oos, thr,
            test_vectors=embed(list(tt)),
        )  # fmt: skip
        accs.append(r.accuracy)
        f1s.append(r.macro_f1)
    return float(np.mean(accs)), float(np.std(accs)), float(np.mean(f1s))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--throughput-n", type=int, default=2000)
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument(
        "--embedder",
        default="sentence-transformers",
        choices=("sentence-transformers", "onnx-int8"),
    )
    args = ap.parse_args()
    if not (DATA / "bitext" / "bitext_cs_8k.csv").exists():
        print(f"SKIP: public data not found at {DATA} (see ../shared/data/README.md).")
        return 0

    settings = Settings(home=ROOT / "var" / "bench", embedder=args.embedder)
    settings.home.mkdir(parents=True, exist_ok=True)
    embedder = E.make_embedder(settings)
    con = duckdb.connect()
    E.attach_cache(con, settings.embeddings_path)
    embed = E.cached_embed(con, embedder, embedder.model_id)
    taxonomy = load_taxonomy()
    oos_examples, thr = taxonomy.out_of_scope, taxonomy.other_threshold
    bitext, clinc = load_data()
    results: dict[str, float | str] = {
        "taxonomy_version": taxonomy.version,
        "embedder": embedder.model_id,
    }
    # (d) throughput first (a fresh process state): the same texts through bare
    # model.encode and through cache + tagger, alternating, median of 3 rounds
    throughput_tagger = fit_tagger(taxonomy, embed)
    texts = bitext["utterance"].tolist()
    md = pd.read_json(DATA / "multidogo" / "conversations_test.jsonl", lines=True)
    long_texts = [E.embed_text(None, [t["text"] for t in turns]) for turns in md.customer_turns]
    rng = np.random.default_rng(0)
    n = args.throughput_n
    pool = [f"{t} (#{i})" for i, t in enumerate(texts + long_texts)]  # unique: nothing cached
    sample = [pool[i] for i in rng.choice(len(pool), size=n, replace=False)]
    model = E.SentenceTransformerEmbedder(settings)._load()  # the bare baseline is always fp32
    model.encode(sample[:64], batch_size=32)  # warm-up
    embedder.embed(sample[:64])
    frame = pd.DataFrame({"text": [E.embed_text(s) for s in sample]})
    frame["text_hash"] = [E.text_hash(s) for s in frame.text]
    bare_runs, our_runs = [], []
    for _ in range(3):  # alternate: the machine is shared, so noise hits both sides alike
        t = time.perf_counter()
        model.encode(sample, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
        bare_runs.append(n / (time.perf_counter() - t))
        fresh = duckdb.connect()
        E.attach_cache(fresh, settings.home / "throughput.duckdb")
        fresh.execute("DELETE FROM emb.embeddings")
        t = time.perf_counter()
        fresh.register("src", frame)
        E.embed_missing(fresh, embedder, "src")
        vecs = E.lookup_vectors(fresh, frame.text_hash.tolist(), embedder.model_id)
        throughput_tagger.predict(vecs, ["ecommerce"] * n, None)
        our_runs.append(n / (time.perf_counter() - t))
        fresh.close()
    bare, ours = float(np.median(bare_runs)), float(np.median(our_runs))
    results["d_bare_texts_per_s"], results["d_pipeline_texts_per_s"] = bare, ours
    results["d_pipeline_vs_bare"] = ours / bare
    results["d_peak_rss_mb"] = peak_mb()
    results["d_mean_chars"] = float(np.mean([len(s) for s in sample]))
    t0 = time.time()

    # (a) zero-shot automation types on Bitext
    texts = bitext["utterance"].tolist()
    vec = embed(texts)
    r = evaluate_project(texts, bitext["automation_type"].tolist(), taxonomy, embed, vectors=vec)
    results["a_type_accuracy"] = r.accuracy
    results["a_type_macro_f1"] = r.macro_f1
    tagger = fit_tagger(taxonomy, embed)
    pred = tagger.predict(vec, ["ecommerce"] * len(vec), None)
    by_intent = (
        pd.DataFrame(
            {
                "intent": bitext["intent"],
                "truth": bitext["automation_type"],
                "pred": pred["automation_type"],
            }
        )
        .assign(ok=lambda d: d.truth == d.pred)
        .groupby(["intent", "truth"])
        .agg(acc=("ok", "mean"), top_pred=("pred", lambda s: s.value_counts().index[0]))
        .sort_values("acc")
        .reset_index()
    )
    topic_by_intent = (
        pd.DataFrame({"intent": bitext["intent"], "topic": pred["topic_id"]})
        .groupby("intent")["topic"]
        .agg(
            lambda s: ", ".join(
                f"{k} {v:.0%}" for k, v in s.value_counts(normalize=True).head(2).items()
            )
        )
    )
    print("(a) worst intents for the type classifier (accuracy, most predicted type, topics):")
    for row in by_intent.head(10).itertuples(index=False):
        print(
            f"    {row.intent:<26} truth={row.truth:<13} acc={row.acc:.2f} pred={row.top_pred:<13} topics: {topic_by_intent[row.intent]}"
        )

    # (b) few-shot custom taxonomies
    labels = bitext["intent"].tolist()
    for k in (5, 10):
        m, s, f1 = few_shot(texts, labels, embed, k, args.seeds, oos_examples, thr)
        results[f"b_bitext_k{k}_accuracy"], results[f"b_bitext_k{k}_std"] = m, s
        results[f"b_bitext_k{k}_macro_f1"] = f1
    for domain in ("banking", "credit_cards"):
        train = clinc[(clinc.domain == domain) & (clinc.split == "train")]
        test = clinc[(clinc.domain == domain) & (clinc.split == "test")]
        for k in (5, 10):
            m, s, f1 = few_shot(
                train.text.tolist(), train.intent.tolist(), embed, k, args.seeds, oos_examples, thr,
                test=(test.text.tolist(), test.intent.tolist()),
            )  # fmt: skip
            results[f"b_clinc_{domain}_k{k}_accuracy"], results[f"b_clinc_{domain}_k{k}_std"] = m, s

    # (c) out-of-scope on CLINC: banking + credit cards, K=10, test = in-scope test + oos_test
    inscope = clinc[clinc.domain != "oos"]
    train = inscope[inscope.split == "train"]
    test = pd.concat([inscope[inscope.split == "test"], clinc[clinc.split == "oos_test"]])
    is_oos = (test.intent == "oos").to_numpy()
    tv = embed(test.text.tolist())
    for variant, extra, threshold in (
        ("no_rejection", [], 0.0),
        ("project_oos", list(oos_examples), thr),
        (
            "project+clinc_oos_train",
            list(oos_examples) + clinc[clinc.split == "oos_train"].text.tolist(),
            thr,
        ),
    ):
        rec, acc = [], []
        for seed in range(args.seeds):
            tr, _ = few_shot_split(train.intent.tolist(), 10, seed)
            exs: dict[str, list[str]] = {}
            for i in tr:
                exs.setdefault(train.intent.iloc[i], []).append(train.text.iloc[i])
            tax = custom_taxonomy(exs, out_of_scope=extra, other_threshold=threshold)
            p = (
                fit_tagger(tax, embed, seed=seed)
                .predict(tv, None, ["eval"] * len(tv))["topic_id"]
                .to_numpy()
            )
            rec.append(float((p[is_oos] == "other").mean()))
            acc.append(float((p[~is_oos] == test.intent.to_numpy()[~is_oos]).mean()))
        results[f"c_{variant}_oos_recall"] = float(np.mean(rec))
        results[f"c_{variant}_inscope_accuracy"] = float(np.mean(acc))
    for variant in ("project_oos", "project+clinc_oos_train"):
        results[f"c_{variant}_inscope_drop_pts"] = 100 * (
            results["c_no_rejection_inscope_accuracy"] - results[f"c_{variant}_inscope_accuracy"]
        )
    results["quality_seconds"] = time.time() - t0

    print()
    print(f"{'metric':<48} {'value':>10}")
    for key, value in results.items():
        shown = f"{value:>10.3f}" if isinstance(value, float) else f"{value:>10}"
        print(f"{key:<48} {shown}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
