"""Experiment (not shipped): contrastive fine-tuning of the bundled model on the taxonomy only.

  .venv/bin/python bench/finetune.py [--epochs 1] [--seed 0]

SetFit-style: a supervised contrastive loss (temperature 0.1) pulls together the taxonomy's
type examples of the same (topic, type) cell, batch 64, AdamW lr 2e-5: the usual defaults, not
tuned on any benchmark. The model never sees a benchmark row, so every figure it prints is held
out; it then fits the shipped type head on the fine-tuned embeddings and scores the three sets
of bench/tagging.py. Training takes ~3 min and embedding the sets ~5-10 min on the 2 shared
cores; the model is written to /tmp, never into the project or $COCKPIT_HOME.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402
import tagging as bench  # noqa: E402

from cockpit.embedding import bundled_model_path  # noqa: E402
from cockpit.tagging.tagger import fit_type_head, training_examples  # noqa: E402
from cockpit.tagging.taxonomy import load_taxonomy  # noqa: E402

BATCH, LR, TEMPERATURE = 64, 2e-5, 0.1
# Few-shot mode: 150 examples make ~3 batches an epoch, so a few epochs give the model ~30
# steps (SetFit's default of 20 pairs per example is of the same order). Set a priori.
FEW_SHOT_EPOCHS = 10


def fine_tune(texts: list[str], labels: list[str], epochs: int, seed: int):
    """The bundled model after `epochs` of supervised contrastive training on (text, label)."""
    import torch
    from sentence_transformers import SentenceTransformer

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    ids = {c: i for i, c in enumerate(sorted(set(labels)))}
    y = torch.tensor([ids[c] for c in labels])
    model = SentenceTransformer(str(bundled_model_path()), device="cpu")
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=LR)
    for _ in range(epochs):
        order = rng.permutation(len(texts))
        for b in range(0, len(order), BATCH):
            idx = order[b : b + BATCH]
            feats = model.tokenize([texts[i] for i in idx])
            emb = torch.nn.functional.normalize(model(feats)["sentence_embedding"], dim=1)
            lab = y[idx]
            self_mask = torch.eye(len(idx), dtype=torch.bool)
            sim = (emb @ emb.T / TEMPERATURE).masked_fill(self_mask, -1e9)
            pos = (lab[:, None] == lab[None, :]) & ~self_mask
            has = pos.sum(1) > 0
            if not has.any():  # a batch without any pair teaches nothing (and would give NaN)
                continue
            logp = sim - torch.logsumexp(sim, dim=1, keepdim=True)
            loss = (-(logp * pos).sum(1)[has] / pos.sum(1)[has]).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    return model


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--few-shot",
        action="store_true",
        help="instead: 10-shot intents (CLINC150 banking, credit cards), the model fine-tuned on "
        f"the K examples only ({FEW_SHOT_EPOCHS} epochs), mean of 3 seeds",
    )
    args = ap.parse_args()
    if not (bench.DATA / "bitext" / "bitext_cs_8k.csv").exists():
        print(f"SKIP: public data not found at {bench.DATA} (see ../shared/data/README.md).")
        return 0
    if args.few_shot:
        return few_shot()
    t0 = time.time()
    taxonomy = load_taxonomy()
    type_rows, _ = training_examples(taxonomy)
    model = fine_tune(
        [r[0] for r in type_rows], [f"{r[2]}:{r[1]}" for r in type_rows], args.epochs, args.seed
    )
    print(f"trained in {time.time() - t0:.0f} s on {len(type_rows)} taxonomy examples")

    def embed(texts):
        return model.encode(
            list(texts), batch_size=64, normalize_embeddings=True, show_progress_bar=False
        )

    head = fit_type_head(taxonomy, embed, args.seed)
    for name, frame in bench.load_sets().items():
        p = head.probs(embed(frame.text.tolist()))
        ok = np.asarray(head.classes, dtype=object)[p.argmax(1)] == frame.automation_type.to_numpy()
        ece = bench.expected_calibration_error(p.max(1), ok)
        print(
            f"{name:<10} type accuracy {ok.mean():.3f}  ECE {ece:.3f}  ({time.time() - t0:.0f} s)"
        )
    return 0


def few_shot(k: int = 10, seeds: int = 3) -> int:
    """10-shot custom intents with the model fine-tuned on the K examples (the shipped path
    fits the heads on the bundled model): accuracy before and after, per seed."""
    import pandas as pd

    from cockpit.tagging.evaluation import evaluate_examples, few_shot_split

    clinc = pd.read_csv(bench.DATA / "clinc150" / "clinc150_cs_subset.csv")
    taxonomy = load_taxonomy()
    oos, thr = taxonomy.out_of_scope, taxonomy.other_threshold
    for domain in ("banking", "credit_cards"):
        train = clinc[(clinc.domain == domain) & (clinc.split == "train")]
        test = clinc[(clinc.domain == domain) & (clinc.split == "test")]
        texts, labels = train.text.tolist(), train.intent.tolist()
        accs = []
        for seed in range(seeds):
            t0 = time.time()
            tr, _ = few_shot_split(labels, k, seed)
            xs, ys = [texts[i] for i in tr], [labels[i] for i in tr]
            model = fine_tune(xs, ys, FEW_SHOT_EPOCHS, seed)

            def embed(batch, model=model):
                return model.encode(
                    list(batch), batch_size=64, normalize_embeddings=True, show_progress_bar=False
                )

            tt, tl = test.text.tolist(), test.intent.tolist()
            r = evaluate_examples(xs, ys, tt, tl, embed, seed, oos, thr, test_vectors=embed(tt))
            accs.append(r.accuracy)
            print(f"{domain} seed {seed}: {r.accuracy:.3f} ({time.time() - t0:.0f} s)", flush=True)
        print(f"{domain}: 10-shot with fine-tuning, mean of {seeds} seeds {np.mean(accs):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
