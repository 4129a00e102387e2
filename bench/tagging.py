"""Tagging benchmark, leave one data set out (skips with a message when ../shared/data is absent).

  .venv/bin/python bench/tagging.py [--seeds 3] [--throughput-n 1000] [--no-throughput]

Three labelled sets nobody on the team wrote: Bitext (e-commerce, types from
../shared/data/bitext/intent_types.csv), CLINC150 banking + credit cards and MultiDoGo (types
in bench/intent_types.csv, labelled from the intent names by the taxonomy's rule, border
intents marked). Every figure is leave-one-dataset-out: each type-head configuration (intent
layer on/off, LR/vote mix, confidence scale) and the "uncertain" threshold are chosen on the
two other sets, then scored on the held-out one. The taxonomy examples are written from the
rule, never from these sets (caveat: earlier examples were partly written after reading
Bitext errors, so Bitext's held-out figure is optimistic). In-sample (the best configuration
for that very set) is printed beside, never as the headline.

Also: expected calibration error of the type head, 10-shot intent accuracy (CLINC banking,
Bitext; mean over seeds), topic `other` rate on the fintech sets, throughput of embed + tag vs
bare model.encode. Embeddings are cached in /tmp/cockpit-bench-tagging (not the repo).
"""

from __future__ import annotations

import argparse
import itertools
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
from cockpit.tagging.evaluation import (  # noqa: E402
    evaluate_examples,
    expected_calibration_error,
    few_shot_split,
)
from cockpit.tagging.tagger import (  # noqa: E402
    DEFAULT_TYPE_CONFIG,
    TypeHeadConfig,
    calibrated_confidence,
    calibration_features,
    examples_calibration,
    fit_tagger,
    fit_type_head,
    scaled,
)
from cockpit.tagging.taxonomy import OTHER, custom_taxonomy, load_taxonomy  # noqa: E402

# ../shared/data from the project root; a git worktree elsewhere points at it with the variable
DATA = Path(os.environ.get("COCKPIT_SHARED_DATA", ROOT.parent / "shared" / "data"))
CACHE_HOME = Path(os.environ.get("COCKPIT_BENCH_CACHE", "/tmp/cockpit-bench-tagging"))
LABELS = ROOT / "bench" / "intent_types.csv"
SETS = ("bitext", "clinc150", "multidogo")
MULTIDOGO_VERTICAL = {
    "airline": "ecommerce",
    "fastfood": "ecommerce",
    "finance": "fintech",
    "insurance": "fintech",
    "media": "saas",
    "software": "saas",
}
GRID = {
    "intents": (False, True),
    "mix_weight": (0.25, 0.5, 0.75, 1.0),
    "confidence_scale": (0.6, 0.8, 1.0, 1.25, 1.5),
}
UNCERTAIN_GRID = np.round(np.arange(0.40, 0.91, 0.05), 2)
UNCERTAIN_MAX_ACCURACY = 0.5  # below the threshold a forced type is at best a coin flip
BARS = {"type_accuracy": 0.85, "ece": 0.05, "clinc_banking_k10": 0.93, "bitext_k10": 0.97}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_sets() -> dict[str, pd.DataFrame]:
    """text, intent, automation_type, border, vertical for each labelled set."""
    labels = pd.read_csv(LABELS)
    bitext = pd.read_csv(DATA / "bitext" / "bitext_cs_8k.csv")
    types = pd.read_csv(DATA / "bitext" / "intent_types.csv")
    bitext = bitext.merge(types[["intent", "automation_type"]], on="intent")
    bitext = bitext.rename(columns={"utterance": "text"}).assign(vertical="ecommerce")
    clinc = pd.read_csv(DATA / "clinc150" / "clinc150_cs_subset.csv")
    clinc = clinc[clinc.domain.isin(["banking", "credit_cards"])].assign(vertical="fintech")
    md = pd.read_json(DATA / "multidogo" / "conversations_test.jsonl", lines=True)
    turns = multidogo_turns(md)
    md = pd.DataFrame(
        {
            "text": [E.embed_text(None, t) for t in turns],
            "intent": md.primary_intent,
            "vertical": md.domain.map(MULTIDOGO_VERTICAL),
            "domain": md.domain,
            "turns": turns,
        }
    )
    out = {}
    for name, frame in (("bitext", bitext), ("clinc150", clinc), ("multidogo", md)):
        lab = labels[labels.dataset == name][["intent", "automation_type", "border"]]
        frame = frame.drop(columns=["automation_type"], errors="ignore").merge(lab, on="intent")
        keep = ["text", "intent", "automation_type", "border", "vertical"]
        keep += ["domain", "turns"] if name == "multidogo" else []
        out[name] = frame[keep].reset_index(drop=True)
    return out


def multidogo_turns(md: pd.DataFrame) -> list[list[str]]:
    """Customer turns as the embed step reads them: masked at ingestion, the first TURNS_READ."""
    from cockpit.ingest.privacy import mask_text
    from pipelines.embed import TURNS_READ

    return [[mask_text(t["text"]) for t in turns[:TURNS_READ]] for turns in md.customer_turns]


def text_selection(frame: pd.DataFrame, embed, head) -> dict:
    """How many content turns a transcript embeds, chosen leave-one-domain-out on MultiDoGo.

    MultiDoGo is the only labelled transcript set, so its six domains stand in for data sets:
    each domain is scored with the turn count chosen on the five others. Also scores the former
    rule (first three turns of more than two words) for comparison.
    """
    y, dom = frame.automation_type.to_numpy(), frame.domain.to_numpy()

    def former(turns):
        turns = [E.normalise(t) for t in turns if E.normalise(t)]
        return E.truncate(" ".join(([t for t in turns if len(t.split()) > 2] or turns)[:3]))

    variants = {"former rule (3 turns > 2 words)": [former(t) for t in frame.turns]}
    for k in (1, 2, 3):
        variants[k] = [E.embed_text(None, t, max_turns=k) for t in frame.turns]
    ok = {}
    for name, texts in variants.items():
        p = head.probs(embed(texts))
        ok[name] = np.asarray(head.classes, dtype=object)[p.argmax(axis=1)] == y
    domains = sorted(set(dom))
    held, chosen = np.zeros(len(y), dtype=bool), {}
    for d in domains:
        others = dom != d
        best = max((k for k in variants if k != "former rule (3 turns > 2 words)"),
                   key=lambda k: ok[k][others].mean())  # fmt: skip
        chosen[d] = best
        held[dom == d] = ok[best][dom == d]
    return {
        "accuracy": {str(k): float(v.mean()) for k, v in ok.items()},
        "chosen_per_domain": chosen,
        "held_out_accuracy": float(held.mean()),
        "shipped_max_turns": E.MAX_CUSTOMER_TURNS,
    }


def type_scores(frame, probs, classes) -> dict[str, float]:
    pred = np.asarray(classes, dtype=object)[probs.argmax(axis=1)]
    conf = probs.max(axis=1)
    ok = pred == frame.automation_type.to_numpy()
    border = frame.border.to_numpy() == 1
    return {
        "acc": float(ok.mean()),
        "acc_clear": float(ok[~border].mean()),
        "acc_border": float(ok[border].mean()) if border.any() else float("nan"),
        "ece": expected_calibration_error(conf, ok),
        "ok": ok,
        "conf": conf,
        "border": border,
    }


# Configuration choice on the held-in sets. The former rule (best mean accuracy over every
# configuration) flipped between near-equal ones from run to run (CLINC150 held out: 0.831, then
# 0.802, then 0.809 when a change elsewhere tipped it to the intent layer). The robust rule fixes
# the structure a priori (the plain type head: the intent layer is the extra structure, and its
# gains come from one set, MultiDoGo, at a cost on the two others) and tunes only the continuous
# constants (LR weight, confidence scale) by the worst held-in set's accuracy (maximin: a
# constant must hold on every register, not average one away), ties broken by mean ECE.
ROBUST_INTENTS = False


def pick_config(scores: dict, keep, rule: str = "robust"):
    """The configuration (intents, mix weight, confidence scale) chosen on the `keep` sets only.

    rule "robust" (shipped): no intent layer, then the best worst-set accuracy, then the lowest
    mean ECE; rule "mean" (the former): best mean accuracy over every configuration, then the
    lowest mean ECE.
    """

    def ece(k):
        return float(np.mean([scores[k][n]["ece"] for n in keep]))

    if rule == "mean":
        return max(scores, key=lambda k: (round(np.mean([scores[k][n]["acc"] for n in keep]), 4), -ece(k)))  # fmt: skip
    fixed = [k for k in scores if k[0] == ROBUST_INTENTS]
    return max(fixed, key=lambda k: (round(min(scores[k][n]["acc"] for n in keep), 4), -ece(k)))


def fit_calibration(cfg, keep, scores, near) -> tuple[float, float, float]:
    """Platt-style calibrator over (logit top probability, nearest-example similarity), fitted
    on the `keep` sets' rows, each set weighted equally (the largest set must not decide)."""
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate(
        [calibration_features(scores[cfg][n]["conf"], near[cfg[:2]][n]) for n in keep]
    )
    y = np.concatenate([scores[cfg][n]["ok"] for n in keep])
    w = np.concatenate([np.full(len(scores[cfg][n]["ok"]), len(y) / len(keep) / len(scores[cfg][n]["ok"])) for n in keep])  # fmt: skip
    m = LogisticRegression(C=1e4, max_iter=1000).fit(x, y, sample_weight=w)
    return float(m.coef_[0][0]), float(m.coef_[0][1]), float(m.intercept_[0])


def calibrated(cfg, name, coef, scores, near) -> np.ndarray:
    return calibrated_confidence(scores[cfg][name]["conf"], near[cfg[:2]][name], coef)


def uncertain_threshold(conf: np.ndarray, ok: np.ndarray) -> float:
    """The largest threshold whose below-threshold rows are right at most half of the time."""
    best = float(UNCERTAIN_GRID[0])
    for t in UNCERTAIN_GRID:
        below = conf < t
        if below.any() and ok[below].mean() <= UNCERTAIN_MAX_ACCURACY:
            best = float(t)
    return best


def few_shot(texts, labels, embed, k, seeds, oos, thr, test=None):
    """Mean accuracy over seeds; with `test` (texts, labels) the examples come from texts/labels."""
    accs = []
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
    return float(np.mean(accs)), float(np.std(accs))


def throughput(settings, embedder, embed, taxonomy, sets, n) -> dict[str, float]:
    """Bare model.encode vs cache + embed + tag on the same unseen texts, alternating, median."""
    tagger = fit_tagger(taxonomy, embed)
    pool = pd.concat([sets["bitext"].text, sets["multidogo"].text]).tolist()
    pool = [f"{t} (#{i})" for i, t in enumerate(pool)]  # unique: nothing cached
    rng = np.random.default_rng(0)
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
        tagger.predict(vecs, ["ecommerce"] * n, None)
        our_runs.append(n / (time.perf_counter() - t))
        fresh.close()
    bare, ours = float(np.median(bare_runs)), float(np.median(our_runs))
    return {"bare_texts_per_s": bare, "pipeline_texts_per_s": ours, "pipeline_vs_bare": ours / bare}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--throughput-n", type=int, default=1000)
    ap.add_argument("--no-throughput", action="store_true")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if not (DATA / "bitext" / "bitext_cs_8k.csv").exists():
        print(f"SKIP: public data not found at {DATA} (see ../shared/data/README.md).")
        return 0

    settings = Settings(home=CACHE_HOME)
    settings.home.mkdir(parents=True, exist_ok=True)
    embedder = E.make_embedder(settings)
    con = duckdb.connect()
    E.attach_cache(con, settings.embeddings_path)
    embed = E.cached_embed(con, embedder, embedder.model_id)
    taxonomy = load_taxonomy()
    sets = load_sets()
    vectors = {name: embed(frame.text.tolist()) for name, frame in sets.items()}
    results: dict = {"taxonomy_version": taxonomy.version, "embedder": embedder.model_id}
    print(
        f"taxonomy {taxonomy.version}; rows: " + ", ".join(f"{k} {len(v)}" for k, v in sets.items())
    )

    # every configuration scored on every set
    t0 = time.time()
    heads = {}
    for intents, weight in itertools.product(GRID["intents"], GRID["mix_weight"]):
        cfg = TypeHeadConfig(
            intents=intents, mix_weight=weight, confidence_scale=1.0, calibration=None
        )
        heads[(intents, weight)] = fit_type_head(taxonomy, embed, 0, cfg, keep_oof=True)
    scores, near = {}, {}
    for (intents, weight), head in heads.items():
        both = {name: head.probs_and_similarity(vectors[name]) for name in SETS}
        raw = {name: both[name][0] for name in SETS}
        near[(intents, weight)] = {name: both[name][1] for name in SETS}
        for s in GRID["confidence_scale"]:
            scores[(intents, weight, s)] = {
                name: type_scores(sets[name], scaled(raw[name], s), head.classes) for name in SETS
            }
    results["config_seconds"] = time.time() - t0

    def own_coef(cfg):
        """The calibrator fitted on the head's own examples out of fold (no benchmark row)."""
        return examples_calibration(heads[cfg[:2]].oof, cfg[2])

    def pick(keep):
        return pick_config(scores, keep)

    print(
        "\nType accuracy, leave one data set out (held-out = configuration chosen on the other two)"
    )
    print(
        f"{'set':<10} {'held-out':>9} {'clear':>6} {'border':>7} {'ECE raw':>8} {'ECE cal':>8} {'ECE own':>8} {'in-sample':>10}  chosen config (intents, w, scale)"
    )
    for name in SETS:
        others = [n for n in SETS if n != name]
        cfg = pick(others)
        sc = scores[cfg][name]
        insample = scores[pick_config(scores, [name], "mean")][name]["acc"]  # best for this set
        former = pick_config(scores, others, "mean")
        # calibrator fitted on the two other sets (nested: the scored set is never seen)
        coef = fit_calibration(cfg, others, scores, near)
        cal = calibrated(cfg, name, coef, scores, near)
        ece_cal = expected_calibration_error(cal, sc["ok"])
        conf = np.concatenate([calibrated(cfg, n, coef, scores, near) for n in others])
        ok = np.concatenate([scores[cfg][n]["ok"] for n in others])
        thr = uncertain_threshold(conf, ok)
        own = own_coef(cfg)
        own_cal = calibrated(cfg, name, own, scores, near) if own else sc["conf"]
        ece_own = expected_calibration_error(own_cal, sc["ok"])
        own_conf = np.concatenate(
            [
                calibrated(cfg, n, own, scores, near) if own else scores[cfg][n]["conf"]
                for n in others
            ]
        )
        own_thr = uncertain_threshold(own_conf, ok)
        own_below = own_cal < own_thr
        sc = dict(sc, conf=cal)
        below = sc["conf"] < thr
        wrong_border = sc["border"] & ~sc["ok"]
        results[name] = {
            "config": {"intents": cfg[0], "mix_weight": cfg[1], "confidence_scale": cfg[2]},
            "type_accuracy": sc["acc"],
            "type_accuracy_clear": sc["acc_clear"],
            "type_accuracy_border": sc["acc_border"],
            "ece_uncalibrated": sc["ece"],
            "ece": ece_cal,
            "calibration": coef,
            "ece_examples_calibration": ece_own,
            "examples_calibration": own,
            "examples_uncertain_threshold": own_thr,
            "examples_accuracy_uncertain": float(sc["ok"][own_below].mean())
            if own_below.any()
            else float("nan"),
            "examples_accuracy_certain": float(sc["ok"][~own_below].mean())
            if (~own_below).any()
            else float("nan"),
            "in_sample_type_accuracy": insample,
            "former_rule_config": former,
            "former_rule_type_accuracy": scores[former][name]["acc"],
            "uncertain_threshold": thr,
            "uncertain_share": float(below.mean()),
            "accuracy_uncertain": float(sc["ok"][below].mean()) if below.any() else float("nan"),
            "accuracy_certain": float(sc["ok"][~below].mean()) if (~below).any() else float("nan"),
            "border_wrong_flagged_uncertain": float(below[wrong_border].mean())
            if wrong_border.any()
            else float("nan"),
            "border_wrong_mean_confidence": float(sc["conf"][wrong_border].mean())
            if wrong_border.any()
            else float("nan"),
        }
        r = results[name]
        print(
            f"{name:<10} {r['type_accuracy']:>9.3f} {r['type_accuracy_clear']:>6.3f} "
            f"{r['type_accuracy_border']:>7.3f} {r['ece_uncalibrated']:>8.3f} {r['ece']:>8.3f} "
            f"{r['ece_examples_calibration']:>8.3f} "
            f"{insample:>10.3f}  {cfg}; former rule (best mean) {former}: "
            f"{r['former_rule_type_accuracy']:.3f}"
        )
    print(
        "ECE cal: calibrator fitted on the two other sets; ECE own: fitted on the head's own "
        "examples out of fold (topics held out), no benchmark row"
    )
    print("\nUncertain (type confidence below a threshold chosen on the other two sets)")
    for name in SETS:
        r = results[name]
        print(
            f"{name:<10} threshold {r['uncertain_threshold']:.2f}: {r['uncertain_share']:.1%} uncertain, "
            f"accuracy {r['accuracy_uncertain']:.3f} uncertain vs {r['accuracy_certain']:.3f} certain; "
            f"wrong border rows flagged {r['border_wrong_flagged_uncertain']:.1%} "
            f"(mean confidence {r['border_wrong_mean_confidence']:.2f}); own-examples "
            f"calibrator: threshold {r['examples_uncertain_threshold']:.2f}, accuracy "
            f"{r['examples_accuracy_uncertain']:.3f} uncertain vs "
            f"{r['examples_accuracy_certain']:.3f} certain"
        )
    shipped = pick(list(SETS))
    results["shipped_config_if_chosen_on_all_sets"] = {
        "intents": shipped[0], "mix_weight": shipped[1], "confidence_scale": shipped[2]
    }  # fmt: skip
    coef = fit_calibration(shipped, list(SETS), scores, near)
    results["calibration_all_sets"] = coef
    own = own_coef(shipped)
    results["examples_calibration_shipped"] = own
    own_conf = np.concatenate(
        [
            calibrated(shipped, n, own, scores, near) if own else scores[shipped][n]["conf"]
            for n in SETS
        ]
    )
    results["examples_uncertain_threshold_all_sets"] = uncertain_threshold(
        own_conf, np.concatenate([scores[shipped][n]["ok"] for n in SETS])
    )
    print(
        f"own-examples calibrator of that configuration: {own}; uncertain threshold on all three: "
        f"{results['examples_uncertain_threshold_all_sets']:.2f}"
    )
    # The configuration the tagger ships (its constants), with its own-examples calibrator: the
    # calibrator is fitted with the head, so only the uncertain threshold is a constant to set.
    dflt = (
        DEFAULT_TYPE_CONFIG.intents,
        DEFAULT_TYPE_CONFIG.mix_weight,
        DEFAULT_TYPE_CONFIG.confidence_scale,
    )
    own = own_coef(dflt)
    cal = {
        n: calibrated(dflt, n, own, scores, near) if own else scores[dflt][n]["conf"] for n in SETS
    }
    oks = {n: scores[dflt][n]["ok"] for n in SETS}
    results["shipped_examples_calibration"] = {
        "config": dflt,
        "calibration": own,
        "ece": {n: expected_calibration_error(cal[n], oks[n]) for n in SETS},
        "uncertain_threshold_all_sets": uncertain_threshold(
            np.concatenate(list(cal.values())), np.concatenate(list(oks.values()))
        ),
        "uncertain_threshold_held_out": {
            n: uncertain_threshold(
                np.concatenate([cal[o] for o in SETS if o != n]),
                np.concatenate([oks[o] for o in SETS if o != n]),
            )
            for n in SETS
        },
    }
    r = results["shipped_examples_calibration"]
    print(
        f"shipped configuration {dflt} with its own-examples calibrator {own}: ECE "
        + ", ".join(f"{n} {v:.3f}" for n, v in r["ece"].items())
        + f"; uncertain threshold on all three {r['uncertain_threshold_all_sets']:.2f}, "
        + "chosen without the set "
        + ", ".join(f"{n} {v:.2f}" for n, v in r["uncertain_threshold_held_out"].items())
        + "; accuracy below / above the all-sets threshold: "
        + ", ".join(
            f"{n} {oks[n][cal[n] < r['uncertain_threshold_all_sets']].mean():.2f} / "
            f"{oks[n][cal[n] >= r['uncertain_threshold_all_sets']].mean():.2f}"
            for n in SETS
        )
    )
    conf = np.concatenate([calibrated(shipped, n, coef, scores, near) for n in SETS])
    ok = np.concatenate([scores[shipped][n]["ok"] for n in SETS])
    results["uncertain_threshold_all_sets"] = uncertain_threshold(conf, ok)
    print(
        f"calibrator fitted on all three sets for that configuration (TYPE_CALIBRATION): "
        f"({coef[0]:.3f}, {coef[1]:.3f}, {coef[2]:.3f}); uncertain threshold on all three: "
        f"{results['uncertain_threshold_all_sets']:.2f}; in-sample ECE "
        + ", ".join(
            f"{n} {expected_calibration_error(calibrated(shipped, n, coef, scores, near), scores[shipped][n]['ok']):.3f}"
            for n in SETS
        )
    )
    default = (False, 0.5, 1.0)
    results["previous_default_accuracy"] = {n: scores[default][n]["acc"] for n in SETS}
    print(f"configuration chosen on all three sets: {shipped}; previous default {default}: "
          + ", ".join(f"{n} {scores[default][n]['acc']:.3f}" for n in SETS))  # fmt: skip

    # which turns of a transcript are embedded (MultiDoGo, shipped type head)
    ts = text_selection(sets["multidogo"], embed, fit_type_head(taxonomy, embed, 0))
    results["text_selection"] = ts
    print("\nText selection for transcripts (MultiDoGo, shipped type head): type accuracy by rule")
    for k, v in ts["accuracy"].items():
        label = f"first {k} content turn(s)" if k.isdigit() else k
        print(f"  {label:<36} {v:.3f}")
    print(f"  chosen leave-one-domain-out: {ts['chosen_per_domain']}; held out "
          f"{ts['held_out_accuracy']:.3f}; shipped MAX_CUSTOMER_TURNS = {ts['shipped_max_turns']}")  # fmt: skip

    # topic `other` rate on the fintech sets (project taxonomy, fintech vertical)
    tagger = fit_tagger(taxonomy, embed)
    for name, frame in (("clinc150", sets["clinc150"]), ("multidogo_finance", None)):
        if frame is None:
            frame = sets["multidogo"]
            keep = (frame.vertical == "fintech").to_numpy()
            vec, frame = vectors["multidogo"][keep], frame[keep]
        else:
            vec = vectors[name]
        pred = tagger.predict(vec, frame.vertical.tolist(), None)
        results[f"other_rate_{name}"] = float((pred.topic_id == OTHER).mean())

    # 10-shot custom intents
    oos, thr = taxonomy.out_of_scope, taxonomy.other_threshold
    bitext = sets["bitext"]
    results["bitext_k10"], _ = few_shot(
        bitext.text.tolist(), bitext.intent.tolist(), embed, 10, args.seeds, oos, thr
    )
    clinc = pd.read_csv(DATA / "clinc150" / "clinc150_cs_subset.csv")
    for domain in ("banking", "credit_cards"):
        train = clinc[(clinc.domain == domain) & (clinc.split == "train")]
        test = clinc[(clinc.domain == domain) & (clinc.split == "test")]
        results[f"clinc_{domain}_k10"], _ = few_shot(
            train.text.tolist(), train.intent.tolist(), embed, 10, args.seeds, oos, thr,
            test=(test.text.tolist(), test.intent.tolist()),
        )  # fmt: skip
    # CLINC150 out-of-scope: banking + credit cards, K = 10, test = in-scope test + oos_test
    inscope = clinc[clinc.domain != "oos"]
    train = inscope[inscope.split == "train"]
    test = pd.concat([inscope[inscope.split == "test"], clinc[clinc.split == "oos_test"]])
    is_oos = (test.intent == "oos").to_numpy()
    tv = embed(test.text.tolist())
    for variant, extra, threshold in (("no_rejection", [], 0.0), ("project_oos", list(oos), thr)):
        rec, acc = [], []
        for seed in range(args.seeds):
            tr, _ = few_shot_split(train.intent.tolist(), 10, seed)
            exs: dict[str, list[str]] = {}
            for i in tr:
                exs.setdefault(train.intent.iloc[i], []).append(train.text.iloc[i])
            tax = custom_taxonomy(exs, out_of_scope=extra, other_threshold=threshold)
            p = fit_tagger(tax, embed, seed=seed).predict(tv, None, ["eval"] * len(tv))
            p = p["topic_id"].to_numpy()
            rec.append(float((p[is_oos] == OTHER).mean()))
            acc.append(float((p[~is_oos] == test.intent.to_numpy()[~is_oos]).mean()))
        results[f"oos_{variant}_recall"] = float(np.mean(rec))
        results[f"oos_{variant}_inscope_accuracy"] = float(np.mean(acc))
    results["oos_inscope_drop_pts"] = 100 * (
        results["oos_no_rejection_inscope_accuracy"] - results["oos_project_oos_inscope_accuracy"]
    )
    if not args.no_throughput:
        results["throughput"] = throughput(
            settings, embedder, embed, taxonomy, sets, args.throughput_n
        )
    results["peak_rss_mb"] = peak_mb()

    print("\nHeld-out figures vs bars")
    print(f"{'measure':<44} {'value':>7} {'bar':>7}")
    for name in SETS:
        print(
            f"{'type accuracy, held out: ' + name:<44} {results[name]['type_accuracy']:>7.3f} {'≥0.85':>7}"
        )
    for name in SETS:
        print(
            f"{'ECE of the type head, held out: ' + name:<44} {results[name]['ece']:>7.3f} {'≤0.05':>7}"
        )
    print(
        f"{'10-shot intents, CLINC150 banking':<44} {results['clinc_banking_k10']:>7.3f} {'≥0.93':>7}"
    )
    print(
        f"{'10-shot intents, CLINC150 credit cards':<44} {results['clinc_credit_cards_k10']:>7.3f} {'report':>7}"
    )
    print(f"{'10-shot intents, Bitext':<44} {results['bitext_k10']:>7.3f} {'≥0.97':>7}")
    print(
        f"{'CLINC150 oos -> other recall (K=10)':<44} {results['oos_project_oos_recall']:>7.3f} {'≥0.70':>7}"
    )
    print(
        f"{'  in-scope accuracy cost of rejection, pts':<44} {results['oos_inscope_drop_pts']:>7.1f} {'≤3':>7}"
    )
    print(
        f"{'topic other rate, CLINC150 (fintech)':<44} {results['other_rate_clinc150']:>7.3f} {'report':>7}"
    )
    print(
        f"{'topic other rate, MultiDoGo finance+insurance':<44} {results['other_rate_multidogo_finance']:>7.3f} {'report':>7}"
    )
    if "throughput" in results:
        tp = results["throughput"]
        print(
            f"{'embed + tag vs bare model.encode':<44} {tp['pipeline_vs_bare']:>7.3f} {'≥0.85':>7}"
        )
        print(f"    ({tp['pipeline_texts_per_s']:.0f} vs {tp['bare_texts_per_s']:.0f} texts/s)")
    print(f"peak RSS {results['peak_rss_mb']:.0f} MB")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
