"""Which embedder the settings name, and its model id (without loading anything)."""

from __future__ import annotations

from cockpit.embedding.base import Embedder
from cockpit.embedding.hashing import HashingEmbedder
from cockpit.embedding.sentence_transformer import SentenceTransformerEmbedder
from cockpit.settings import Settings


def embedder_model_id(settings: Settings) -> str:
    """The model id `make_embedder(settings)` will report, without loading anything."""
    if settings.embedder == "hashing":
        return HashingEmbedder.model_id
    if settings.embedder == "onnx-int8":
        return settings.model_id + "+onnx-int8"  # = cockpit.embedding.onnx_int8.ONNX_SUFFIX
    return settings.model_id


def make_embedder(settings: Settings) -> Embedder:
    """The embedder `settings.embedder` names: sentence-transformers, onnx-int8 or hashing."""
    if settings.embedder == "hashing":
        return HashingEmbedder()
    if settings.embedder == "onnx-int8":
        from cockpit.embedding.onnx_int8 import OnnxInt8Embedder

        return OnnxInt8Embedder(settings)
    return SentenceTransformerEmbedder(settings)
