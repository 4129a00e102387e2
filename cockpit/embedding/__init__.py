"""Embedding: conversation texts → vectors, computed once and cached by (model id, text hash).

- `Embedder` (protocol) and `make_embedder(settings)` / `embedder_model_id(settings)`;
- `embed_text` / `text_hash`: what is embedded for a conversation and its content address;
- the cache: `attach_cache`, `embed_missing`, `embed_rows` (the row function of both engines),
  `insert_vectors`, `lookup_vectors`, `cached_embed`;
- implementations: `SentenceTransformerEmbedder`, `OnnxInt8Embedder` (`onnx_int8`),
  `HashingEmbedder` (model-free, for tests).
"""

from cockpit.embedding.base import DIM, MAX_SEQ_LENGTH, Embedder, l2_normalise
from cockpit.embedding.cache import (
    CACHE_CHUNK,
    arrow_query,
    arrow_to_vectors,
    attach_cache,
    cached_embed,
    embed_missing,
    embed_rows,
    insert_vectors,
    lookup_vectors,
    vectors_to_arrow,
)
from cockpit.embedding.factory import embedder_model_id, make_embedder
from cockpit.embedding.hashing import HashingEmbedder
from cockpit.embedding.sentence_transformer import SentenceTransformerEmbedder, bundled_model_path
from cockpit.embedding.text import (
    MAX_CUSTOMER_TURNS,
    MAX_EMBED_CHARS,
    embed_text,
    normalise,
    text_hash,
    truncate,
)

__all__ = [
    "CACHE_CHUNK",
    "DIM",
    "MAX_CUSTOMER_TURNS",
    "MAX_EMBED_CHARS",
    "MAX_SEQ_LENGTH",
    "Embedder",
    "HashingEmbedder",
    "SentenceTransformerEmbedder",
    "arrow_query",
    "arrow_to_vectors",
    "attach_cache",
    "bundled_model_path",
    "cached_embed",
    "embed_missing",
    "embed_rows",
    "embed_text",
    "embedder_model_id",
    "insert_vectors",
    "l2_normalise",
    "lookup_vectors",
    "make_embedder",
    "normalise",
    "text_hash",
    "truncate",
    "vectors_to_arrow",
]
