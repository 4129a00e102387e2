"""Which embedder the settings name, and its model id (without loading anything)."""

from __future__ import annotations

from cockpit.embedding.base import Embedder
from cockpit.embedding.hashing import HashingEmbedder
from cockpit.embedding.sentence_transformer import SentenceTransformerEmbedder
from cockpit.errors import SettingsError
from cockpit.settings import EMBEDDERS, Settings


def embedder_model_id(settings: Settings) -> str:
    """The model id `make_embedder(settings)` will report, without loading anything."""
    if settings.embedder == "hashing":
        return HashingEmbedder.model_id
    if settings.embedder == "onnx-int8":
        return settings.model_id + "+onnx-int8"  # = cockpit.embedding.onnx_int8.ONNX_SUFFIX
    _known(settings)
    return settings.model_id


def _known(settings: Settings) -> None:
    if settings.embedder not in EMBEDDERS:
        raise SettingsError(
            f"unknown embedder {settings.embedder!r}; expected one of {', '.join(EMBEDDERS)} "
            "(set COCKPIT_EMBEDDER to one of them)."
        )


def make_embedder(settings: Settings) -> Embedder:
    """The embedder `settings.embedder` names: onnx-int8 (default), sentence-transformers, hashing."""
    if settings.embedder == "hashing":
        return HashingEmbedder()
    if settings.embedder == "onnx-int8":
        from cockpit.embedding.onnx_int8 import OnnxInt8Embedder

        return OnnxInt8Embedder(settings)
    _known(settings)
    return SentenceTransformerEmbedder(settings)
