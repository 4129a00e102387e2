"""The tagging row function both engines run (a page of vectors in, a page of tags out), and the
writer's upsert of a page of tags."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import pyarrow as pa

from cockpit import store
from cockpit.embedding import arrow_to_vectors
from cockpit.tagging.corrections import apply_corrections

TAG_COLUMNS = [
    "conversation_id", "automation_type", "type_confidence", "topic_id", "topic_confidence",
    "taxonomy_version", "model_id", "text_hash", "corrected", "tagged_at",
    "p_informational", "p_personalized", "p_action",
]  # fmt: skip


def predict_tags(
    tagger,
    page: pa.Table,
    corrections: pd.DataFrame,
    taxonomy_version: str,
    model_id: str,
    tagged_at: datetime,
) -> pd.DataFrame:
    """Tags (TAG_COLUMNS) for `page` (conversation_id, account_id, vertical, text_hash, vector).

    Each row's tags depend only on that row, the fitted tagger and the corrections, so any split
    into pages or batches gives the same tags.
    """
    vectors = arrow_to_vectors(page.column("vector"))
    pred = tagger.predict(
        vectors, page.column("vertical").to_pylist(), page.column("account_id").to_pylist()
    )
    pred.insert(0, "conversation_id", page.column("conversation_id").to_pylist())
    tags = apply_corrections(pred, corrections)
    tags["taxonomy_version"] = taxonomy_version
    tags["model_id"] = model_id
    tags["text_hash"] = page.column("text_hash").to_pylist()
    tags["tagged_at"] = tagged_at
    return tags[TAG_COLUMNS]


def upsert_tags(con, relation: str, counts: dict[str, float]) -> None:
    """Write the tags in `relation` (TAG_COLUMNS) over the stored ones, counting what changed."""
    counts["tags_changed"] += con.execute(
        f"""SELECT count(*) FROM {relation} p JOIN tags t USING (conversation_id)
           WHERE t.automation_type IS DISTINCT FROM p.automation_type
              OR t.topic_id IS DISTINCT FROM p.topic_id"""
    ).fetchall()[0][0]
    written, applied = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE corrected) FROM {relation}"
    ).fetchall()[0]
    store.upsert(con, "tags", f"SELECT {', '.join(TAG_COLUMNS)} FROM {relation}")
    counts["tags_written"] += written
    counts["corrections_applied"] += applied
