"""Embed step: decide what each conversation's embedded text is, and embed texts never seen.

Maintains `embed_texts(conversation_id, text_hash, source_hash)` in the store: `source_hash`
fingerprints the conversation text and its first customer turns (in SQL), so only conversations
whose source changed go through `embed_text` in Python. New texts are embedded into the
writer-only cache (`emb.embeddings`), streamed page by page: memory stays bounded at millions
of conversations, and a second run embeds nothing. With `settings.engine == "ray"` the
uncached texts are embedded by Ray Data actors instead (`cockpit.engine.ray_data.embed`).
"""

from __future__ import annotations

import logging

import duckdb
import pandas as pd
import pyarrow as pa

from cockpit import engine, store
from cockpit.embedding import attach_cache, embed_missing, embed_text, embedder_model_id, text_hash
from pipelines.context import StepContext

log = logging.getLogger(__name__)

PAGE = 20_000
TURNS_READ = 8  # customer turns fetched per conversation; embed_text keeps the first content turn


def _source(only: str | None = None) -> str:
    """SQL of (conversation_id, text, turns, source_hash); `only` = a table of conversation ids."""
    keep = f"WHERE conversation_id IN (SELECT conversation_id FROM {only})" if only else ""
    return f"""
SELECT c.conversation_id, c.text, m.turns,
       md5(coalesce(c.text, '') || chr(30) || coalesce(array_to_string(m.turns, chr(31)), ''))
           AS source_hash
FROM (SELECT conversation_id, text FROM conversations {keep}) c
LEFT JOIN (
    SELECT conversation_id,
           list_slice(list(body ORDER BY sent_at) FILTER (WHERE author = 'customer'), 1, {TURNS_READ})
               AS turns
    FROM messages {keep} GROUP BY conversation_id
) m USING (conversation_id)
"""


def texts_for(con: duckdb.DuckDBPyConnection, conversation_ids: list[str]) -> pd.DataFrame:
    """(conversation_id, text) as embedded, for a few conversations (e.g. corrected ones)."""
    if not conversation_ids:
        return pd.DataFrame({"conversation_id": [], "text": []})
    con.register("_ids", pd.DataFrame({"conversation_id": list(conversation_ids)}))
    try:
        rows = con.execute(
            f"SELECT s.conversation_id, s.text, s.turns FROM ({_source('_ids')}) s ORDER BY 1"
        ).fetchall()
    finally:
        con.unregister("_ids")
    return pd.DataFrame(
        {"conversation_id": [r[0] for r in rows], "text": [embed_text(r[1], r[2]) for r in rows]}
    )


def refresh_texts(con: duckdb.DuckDBPyConnection, full: bool = False, progress=None) -> int:
    """Bring `embed_texts` up to date; return how many conversations got a new text hash."""
    store.delete_where(
        con, "embed_texts", "conversation_id NOT IN (SELECT conversation_id FROM conversations)"
    )
    stale = "" if full else "WHERE e.source_hash IS DISTINCT FROM s.source_hash"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _embed_todo AS
            SELECT row_number() OVER (ORDER BY s.conversation_id) AS rn, s.*
            FROM ({_source()}) s LEFT JOIN embed_texts e USING (conversation_id) {stale}"""
    )
    total = con.execute("SELECT count(*) FROM _embed_todo").fetchall()[0][0]
    changed = 0
    if progress is not None and total:
        progress.start("Preparing texts", total)
    for start in range(1, total + 1, PAGE):
        rows = con.execute(
            "SELECT conversation_id, text, turns, source_hash FROM _embed_todo "
            "WHERE rn >= ? AND rn < ? ORDER BY rn",
            [start, start + PAGE],
        ).fetchall()
        page = pa.table(
            {
                "conversation_id": [r[0] for r in rows],
                "text_hash": [text_hash(embed_text(r[1], r[2])) for r in rows],
                "source_hash": [r[3] for r in rows],
            }
        )
        con.register("_embed_page", page)
        changed += con.execute(
            """SELECT count(*) FROM _embed_page p LEFT JOIN embed_texts e USING (conversation_id)
               WHERE e.text_hash IS DISTINCT FROM p.text_hash"""
        ).fetchall()[0][0]
        store.upsert(con, "embed_texts", "SELECT * FROM _embed_page")
        con.unregister("_embed_page")
        if progress is not None:
            progress.advance(len(rows))
    if progress is not None and total:
        progress.done()
    con.execute("DROP TABLE _embed_todo")
    return changed


class _Forward:
    """Passes embed_missing's per-chunk advances on to the step's progress bar."""

    def __init__(self, progress):
        self.progress = progress

    def start(self, label: str, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1) -> None:
        self.progress.advance(n)

    def done(self) -> None:
        pass


def run(ctx: StepContext) -> dict[str, float]:
    """Update embed texts, then embed every text not yet in the cache for this model."""
    con = ctx.con
    texts_changed = refresh_texts(con, ctx.full, ctx.progress)
    attach_cache(con, ctx.settings.embeddings_path)
    model_id = embedder_model_id(ctx.settings)
    embedded = 0
    # Pages of conversations whose text is not cached; embed_missing dedups and sorts by length.
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _embed_need AS
           SELECT row_number() OVER (ORDER BY t.conversation_id) AS rn, t.conversation_id
           FROM embed_texts t
           WHERE NOT EXISTS (SELECT 1 FROM emb.embeddings e
                             WHERE e.model_id = ? AND e.text_hash = t.text_hash)""",
        [model_id],
    )
    total = con.execute("SELECT count(*) FROM _embed_need").fetchall()[0][0]
    if total:
        ctx.progress.start("Embedding", total)
    embedder = None
    on_ray = bool(total) and engine.uses_ray(ctx.settings)
    if on_ray:
        con.execute("CREATE OR REPLACE TEMP TABLE _ray_embed_in (text_hash VARCHAR, text VARCHAR)")

    def factory():
        nonlocal embedder
        if embedder is None:
            embedder = ctx.embedder_factory()
        return embedder

    for start in range(1, total + 1, PAGE):
        ids = [
            r[0]
            for r in con.execute(
                "SELECT conversation_id FROM _embed_need WHERE rn >= ? AND rn < ? ORDER BY rn",
                [start, start + PAGE],
            ).fetchall()
        ]
        page = texts_for(con, ids)
        page["text_hash"] = [text_hash(t) for t in page["text"]]
        con.register("_embed_src", page)
        if on_ray:  # collect the distinct uncached texts; Ray embeds them all below
            con.execute(
                """INSERT INTO _ray_embed_in SELECT DISTINCT s.text_hash, s.text FROM _embed_src s
                   WHERE NOT EXISTS (SELECT 1 FROM _ray_embed_in r WHERE r.text_hash = s.text_hash)
                     AND NOT EXISTS (SELECT 1 FROM emb.embeddings e
                                     WHERE e.model_id = ? AND e.text_hash = s.text_hash)""",
                [model_id],
            )
        else:
            n = embed_missing(
                con, factory, "_embed_src", model_id=model_id, progress=_Forward(ctx.progress)
            )
            embedded += n
            ctx.progress.advance(len(ids) - n)  # conversations whose text was a duplicate
        con.unregister("_embed_src")
    if on_ray:
        from cockpit.engine import ray_data

        embedded = ray_data.embed(con, ctx.settings, "_ray_embed_in", "emb")
        con.execute("DROP TABLE _ray_embed_in")
        ctx.progress.advance(total)
    if total:
        ctx.progress.done()
    con.execute("DROP TABLE _embed_need")
    log.info(
        "Embedding - Completed: %d new texts, %d conversations with a new text",
        embedded,
        texts_changed,
    )
    return {"texts_embedded": embedded, "texts_changed": texts_changed}
