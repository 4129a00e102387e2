"""A deterministic, model-free embedder for fast tests (`COCKPIT_EMBEDDER=hashing`)."""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable

import numpy as np

from cockpit.embedding.base import DIM, l2_normalise


class HashingEmbedder:
    """Deterministic, model-free fake: hashed word uni/bigrams and char 3-grams, L2-normalised.

    Texts sharing words land near each other, which is enough to test tagging logic quickly.
    Never use it for real tagging.
    """

    model_id = "hashing-v1"

    def __init__(self, dim: int = DIM):
        self.dim = dim

    def _features(self, text: str) -> Iterable[str]:
        words = re.findall(r"\w+", text.lower())
        yield from (f"w:{w}" for w in words)
        yield from (f"b:{a}_{b}" for a, b in zip(words, words[1:], strict=False))
        for w in words:
            padded = f"#{w}#"
            yield from (f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2))

    def embed(self, texts: list[str]) -> np.ndarray:
        """Vectors of shape (len(texts), dim)."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for feat in self._features(text):
                h = zlib.crc32(feat.encode("utf-8"))
                weight = 1.0 if feat[0] != "c" else 0.3
                out[i, h % self.dim] += weight if (h >> 16) & 1 else -weight
        return l2_normalise(out)
