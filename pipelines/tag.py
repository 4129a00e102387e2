"""Tag step: automation type + topic for conversations that need it; `taxonomy_topics`.

Re-tags a conversation when it is new, its embedded text changed, its correction is not yet
applied (or was removed), or — for all of them — when the taxonomy version or the model id
differs from the one in `meta`, or on `--full`. Corrections win over the model and are training
examples. Pages of conversations are read, tagged and upserted one at a time (bounded memory).
Counts: tags_written, tags_changed (existing tags whose type or topic changed),
corrections_applied (written rows that carry a correction).
The step reads the vectors the embed step cached (the refresh runs embed before tag) and never
embeds conversations itself; a conversation without a vector is an error that says what to run.
The fitted tagger comes from `cockpit.tagging.cache.load_or_fit`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa

from cockpit import engine, store
from cockpit.embedding import arrow_query, attach_cache, cached_embed, embedder_model_id
from cockpit.errors import MissingVectorsError
from cockpit.tagging.cache import cache_path, code_fingerprint, load_or_fit
from cockpit.tagging.corrections import sync_corrections
from cockpit.tagging.rows import predict_tags, upsert_tags
from cockpit.tagging.taxonomy import OTHER, Taxonomy, load_taxonomy
from pipelines import embed as embed_step
from pipelines.context import StepContext

log = logging.getLogger(__name__)

PAGE = 20_000
SEED = 0


def _valid_corrections(con, taxonomy: Taxonomy, corrections: pd.DataFrame) -> pd.DataFrame:
    """Corrections whose ids the current taxonomy still knows (others are logged and ignored)."""
    ok = corrections["automation_type"].isin(taxonomy.type_ids) & corrections["topic_id"].isin(
        taxonomy.topic_ids + [OTHER]
    )
    if (~ok).any():
        log.warning(
            "Ignoring %d correction(s) with ids unknown to taxonomy %s",
            (~ok).sum(),
            taxonomy.version,
        )
    return corrections[ok].reset_index(drop=True)


def write_topics(con, taxonomy: Taxonomy) -> None:
    """Rebuild `taxonomy_topics` from the taxonomy (plus `other`)."""
    frame = pd.DataFrame(
        taxonomy.rows(), columns=["topic_id", "name", "description", "vertical", "account_id"]
    )
    con.register("_topics", frame.astype(object))
    store.replace_rows(con, "taxonomy_topics", "_topics")
    con.unregister("_topics")


def run(ctx: StepContext) -> dict[str, float]:
    """Tag what needs tagging; see the module docstring."""
    con, settings = ctx.con, ctx.settings
    taxonomy = load_taxonomy(custom_dir=settings.custom_taxonomy_dir)
    model_id = embedder_model_id(settings)
    if not store.table_exists(con, "embed_texts"):
        raise MissingVectorsError(
            "the tag step found no embedded texts (table embed_texts); expected the embed step "
            "to have run first. Run `cockpit refresh` (it runs embed before tag)."
        )
    attach_cache(con, settings.embeddings_path)
    retag_all = (
        ctx.full
        or store.get_meta(con, "taxonomy_version") != taxonomy.version
        or store.get_meta(con, "model_id") != model_id
        # tags written by another version of the tagger's code (a release re-tuned it)
        or store.get_meta(con, "tagger_code") != code_fingerprint()
    )

    corrections = _valid_corrections(
        con, taxonomy, sync_corrections(con, settings.corrections_path)
    )
    con.register(
        "_corr", corrections[["conversation_id", "automation_type", "topic_id"]].astype(object)
    )
    store.delete_where(
        con, "tags", "conversation_id NOT IN (SELECT conversation_id FROM conversations)"
    )
    need = "true" if retag_all else (
        "t.conversation_id IS NULL OR t.text_hash IS DISTINCT FROM e.text_hash "
        "OR (k.conversation_id IS NOT NULL AND (NOT coalesce(t.corrected, false) "
        "    OR t.automation_type IS DISTINCT FROM k.automation_type "
        "    OR t.topic_id IS DISTINCT FROM k.topic_id)) "
        "OR (k.conversation_id IS NULL AND coalesce(t.corrected, false))"
    )  # fmt: skip
    con.execute(
        # One pass over the cache joins the vectors (spilling to disk if large); pages then read
        # slices of this table instead of probing the whole cache once per page.
        f"""CREATE OR REPLACE TEMP TABLE _tag_todo AS
            SELECT row_number() OVER (ORDER BY c.conversation_id) AS rn, c.conversation_id,
                   c.account_id, a.vertical, e.text_hash, v.vector
            FROM conversations c
            LEFT JOIN embed_texts e USING (conversation_id)
            LEFT JOIN emb.embeddings v ON v.text_hash = e.text_hash AND v.model_id = ?
            LEFT JOIN accounts a USING (account_id)
            LEFT JOIN tags t USING (conversation_id)
            LEFT JOIN _corr k USING (conversation_id)
            WHERE {need}""",
        [model_id],
    )
    total = con.execute("SELECT count(*) FROM _tag_todo").fetchall()[0][0]
    missing = con.execute("SELECT count(*) FROM _tag_todo WHERE vector IS NULL").fetchall()[0][0]
    if missing:
        con.execute("DROP TABLE _tag_todo")
        con.unregister("_corr")
        raise MissingVectorsError(
            f"{missing} conversation(s) to tag have no cached vector for model {model_id}; "
            "expected the embed step to have embedded every text. Run `cockpit refresh` "
            "(it runs embed before tag), or `cockpit refresh --full` if the cache was deleted."
        )
    counts = {"tags_written": 0, "tags_changed": 0, "corrections_applied": 0}
    tagger = None
    if total:  # fit (or load) the tagger only when something needs tagging
        train = texts_for_corrections(con, corrections)
        tagger = load_or_fit(
            settings.home / "models", taxonomy,
            cached_embed(con, ctx.embedder_factory, model_id), model_id, train, seed=SEED,
        )  # fmt: skip
        ctx.progress.start("Tagging", total)
    now = datetime.now(UTC).replace(tzinfo=None)
    if total and engine.uses_ray(settings):
        from cockpit.engine import ray_data

        # the actors load the fit load_or_fit just cached (one copy per actor)
        path = cache_path(settings.home / "models", taxonomy, model_id, train, SEED)
        ray_data.tag(con, settings, "_tag_todo", path, corrections, taxonomy.version,
                     model_id, now, counts)  # fmt: skip
        ctx.progress.advance(total)
        ctx.progress.done()
        total = 0  # the pages below are done
    for start in range(1, total + 1, PAGE):
        page = arrow_query(
            con,
            """SELECT conversation_id, account_id, vertical, text_hash, vector FROM _tag_todo
               WHERE rn >= ? AND rn < ? ORDER BY rn""",
            [start, start + PAGE],
        )
        in_page = min(PAGE, total - start + 1)
        if page.num_rows:
            _write_page(con, tagger, page, corrections, taxonomy.version, model_id, now, counts)
        ctx.progress.advance(in_page)
    if total:
        ctx.progress.done()
    con.execute("DROP TABLE _tag_todo")
    con.unregister("_corr")
    write_topics(con, taxonomy)
    store.set_meta(con, "taxonomy_version", taxonomy.version)
    store.set_meta(con, "model_id", model_id)
    store.set_meta(con, "tagger_code", code_fingerprint())
    log.info("Tagging - Completed: %s", counts)
    return counts


def texts_for_corrections(con, corrections: pd.DataFrame) -> pd.DataFrame:
    """Corrections with the embedded text of their conversation (training examples)."""
    if not len(corrections):
        return corrections.assign(text=pd.Series(dtype=object))
    texts = embed_step.texts_for(con, corrections["conversation_id"].tolist())
    return corrections.merge(texts, on="conversation_id", how="inner")


def _write_page(con, tagger, page: pa.Table, corrections, version, model_id, now, counts) -> None:
    tags = predict_tags(tagger, page, corrections, version, model_id, now)
    con.register("_tag_page", tags)
    upsert_tags(con, "_tag_page", counts)
    con.unregister("_tag_page")
