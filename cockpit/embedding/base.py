"""The `Embedder` protocol: texts in, float32 L2-normalised vectors out."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

DIM = 384  # all-MiniLM-L6-v2's width (and the cache's, see store.migrations.EMBEDDING_DIM)
MAX_SEQ_LENGTH = 256  # word pieces; the length all-MiniLM-L6-v2 was trained with


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into float32, L2-normalised vectors of shape (n, dim)."""

    model_id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (cosine similarity becomes a dot product)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)
