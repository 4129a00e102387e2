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
    args = ap.parse_args()
    if not (bench.DATA / "bitext" / "bitext_cs_8k.csv").exists():
        print(f"SKIP: public data not found at {bench.DATA} (see ../shared/data/README.md).")
        return 0
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


if __name__ == "__main__":
    raise SystemExit(main())
