"""What people decide about an emerging topic: dismiss it, or promote it into the taxonomy.

Both run on the writer connection (inside `store.writing`), so they publish atomically and
never race a refresh (a running refresh makes them fail at once with `LockedError`). A
decision is recorded on the cluster and in `emerging_events`; the discover step carries the
status through every re-clustering (cockpit.discovery.identity), so a dismissed topic never
comes back and a promoted one is not proposed again.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from cockpit.discovery.promotion import promotion_document, write_promotion
from cockpit.errors import CockpitError

DECIDABLE = ("active", "gone")  # statuses a person may still dismiss or promote


def _cluster(con: duckdb.DuckDBPyConnection, cluster_id: str) -> dict:
    from cockpit.queries import emerging_topic

    cluster = emerging_topic(con, cluster_id)
    if cluster["status"] not in DECIDABLE:
        extra = f" into {cluster['merged_into']}" if cluster.get("merged_into") else ""
        raise CockpitError(
            f"emerging topic {cluster_id} is {cluster['status']}{extra}; only active topics can "
            f"be dismissed or promoted. List them with `cockpit topics emerging`."
        )
    return cluster


def _event(con, cluster_id: str, event: str, detail: str | None = None) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        "INSERT INTO emerging_events VALUES (NULL, ?, ?, ?, NULL, ?)",
        [now, event, cluster_id, detail],
    )


def dismiss(con: duckdb.DuckDBPyConnection, cluster_id: str, by: str | None = None) -> dict:
    """Hide a cluster for good; return it."""
    cluster = _cluster(con, cluster_id)
    con.execute(
        "UPDATE emerging_topics SET status = 'dismissed', shown = false WHERE cluster_id = ?",
        [cluster_id],
    )
    _event(con, cluster_id, "dismissed", by)
    return cluster


def promote(
    con: duckdb.DuckDBPyConnection,
    custom_dir: Path,
    load_taxonomy,
    cluster_id: str,
    name: str,
    vertical: str | None = None,
    account_id: str | None = None,
    automation_type: str | None = None,
    topic_id: str | None = None,
) -> tuple[Path, dict]:
    """Write the cluster as a validated custom topic and mark it promoted; (path, document).

    `load_taxonomy(custom_dir)` validates the whole taxonomy with the new file (it is removed
    again when invalid). The examples are the cluster's most central members, masked as stored.
    """
    cluster = _cluster(con, cluster_id)
    ids = list(cluster["example_conversation_ids"] or [])
    rows = dict(
        con.execute(
            "SELECT conversation_id, text FROM conversations "
            "WHERE conversation_id IN (SELECT unnest(?::VARCHAR[]))",
            [ids],
        ).fetchall()
    )
    texts = [rows[i] for i in ids if i in rows]
    doc = promotion_document(
        cluster, texts, name, vertical=vertical, account_id=account_id,
        automation_type=automation_type, topic_id=topic_id,
    )  # fmt: skip
    path = write_promotion(custom_dir, doc, load_taxonomy)
    topic = doc["topics"][0]["id"]
    con.execute(
        "UPDATE emerging_topics SET status = 'promoted', shown = false, promoted_topic_id = ? "
        "WHERE cluster_id = ?",
        [topic, cluster_id],
    )
    _event(con, cluster_id, "promoted", topic)
    return path, doc
