"""The embedding cache: a writer-only DuckDB file keyed by (model id, text hash).

A second run embeds nothing; a new model id re-embeds everything. Missing texts stream through
the embedder in chunks sorted by length (less padding) with bounded memory.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from cockpit.embedding.base import DIM, Embedder
from cockpit.embedding.text import normalise, text_hash, truncate
from cockpit.errors import CockpitError
from cockpit.store.migrations import migrate_cache

log = logging.getLogger(__name__)

CACHE_CHUNK = 2048  # texts per streaming chunk: bounded memory (~3 MB of vectors)


def attach_cache(con: duckdb.DuckDBPyConnection, path: Path | str, alias: str = "emb") -> str:
    """ATTACH the embedding cache file to `con` as `alias` (creating its table); return alias."""
    attached = {
        r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    }
    if alias not in attached:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        escaped = str(path).replace("'", "''")
        try:
            con.execute(f"ATTACH '{escaped}' AS {alias}")
            migrate_cache(con, alias)
        except duckdb.Error as exc:
            # The cache is disposable: a corrupt file is named, moved aside and rebuilt.
            aside = _move_aside(Path(path))
            log.warning(
                "Embedding cache %s is unreadable (%s); moved it to %s and rebuilding it",
                path, str(exc).strip().splitlines()[0], aside,
            )  # fmt: skip
            if alias in {
                r[0] for r in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
            }:
                con.execute(f"DETACH {alias}")
            con.execute(f"ATTACH '{escaped}' AS {alias}")
    migrate_cache(con, alias)
    return alias


def _move_aside(path: Path) -> Path:
    """Rename a broken cache file (and its WAL) to `<name>.corrupt-<UTC time>`."""
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    path.replace(aside)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        wal.replace(aside.with_name(aside.name + ".wal"))
    return aside


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


def embed_rows(embedder: Embedder, hashes: list[str], texts: list[str]) -> pa.Table:
    """(model_id, text_hash, vector) for `texts`: the row function both engines run."""
    return pa.table(
        {
            "model_id": pa.array([embedder.model_id] * len(texts), pa.string()),
            "text_hash": pa.array(hashes, pa.string()),
            "vector": vectors_to_arrow(embedder.embed(list(texts))),
        }
    )


def insert_vectors(con: duckdb.DuckDBPyConnection, relation: str, alias: str = "emb") -> int:
    """Add the rows of `relation` (model_id, text_hash, vector) to the cache; return their count."""
    n = con.execute(f"SELECT count(*) FROM {relation}").fetchall()[0][0]
    con.execute(
        f"INSERT OR IGNORE INTO {alias}.embeddings "
        f"SELECT model_id, text_hash, vector::FLOAT[{DIM}] FROM {relation}"
    )
    return n


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
        batch = embed_rows(embedder, [r[0] for r in rows], [r[1] for r in rows])
        con.register("_emb_batch", batch)
        insert_vectors(con, "_emb_batch", alias)
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
        norm = [truncate(normalise(t)) for t in texts]
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
