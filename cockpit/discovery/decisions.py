"""What people decide about an emerging topic: dismiss it, or promote it into the taxonomy.

The one path the CLI and the app both take. A decision never writes the DuckDB store (the app
opens it read-only, and a refresh may be running): it is recorded in the corrections file
(`corrections.sqlite`, table `emerging_decisions`, with who, when, from where and the role),
and a promotion also writes the custom topic YAML under `$COCKPIT_HOME/taxonomy/`. The next
refresh's discover step applies the decisions to `emerging_topics` (`sync_decisions`, with an
`emerging_events` row each) and carries the status through every re-clustering
(cockpit.discovery.identity), so a dismissed topic never comes back and a promoted one is not
proposed again. Until then, readers hide the decided clusters (`decided_clusters`).
"""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from cockpit import access
from cockpit.discovery.promotion import promotion_document, write_promotion
from cockpit.errors import CockpitError
from cockpit.store.migrations import EMERGING_DECISIONS_DDL

log = logging.getLogger(__name__)

DECIDABLE = ("active", "gone")  # statuses a person may still dismiss or promote
SOURCES = ("app", "cli")
DECISION_COLUMNS = [
    "decided_at", "decided_by", "source", "role", "cluster_id", "decision", "topic_id", "name",
    "path",
]  # fmt: skip


def _connect(path: Path | str) -> sqlite3.Connection:
    from cockpit.tagging.corrections import _connect as connect_corrections

    con = connect_corrections(path)  # WAL + busy timeout: safe next to the app and a refresh
    con.execute(EMERGING_DECISIONS_DDL)
    return con


def decided_clusters(path: Path | str) -> dict[str, str]:
    """cluster_id → decision ('dismissed' / 'promoted') of every recorded decision."""
    path = Path(path)
    if not path.exists():
        return {}
    with closing(_connect(path)) as con:
        rows = con.execute(
            "SELECT cluster_id, decision FROM emerging_decisions ORDER BY id"
        ).fetchall()
    return dict(rows)


def decision_log(path: Path | str, limit: int | None = None) -> pd.DataFrame:
    """Every decision, newest first (DECISION_COLUMNS): the audit of dismissals and promotions."""
    from cockpit.tagging.corrections import read_log

    return read_log(path, "emerging_decisions", DECISION_COLUMNS, limit=limit, connect=_connect)


def _check(source: str, role: str | None) -> None:
    if source not in SOURCES:
        raise CockpitError(f"decision source must be one of {', '.join(SOURCES)}; got {source!r}.")
    if source == "app" or role is not None:
        access.require(role, "curate")  # a forged request from the app is refused here


def _cluster(con: duckdb.DuckDBPyConnection, decisions_path: Path | str, cluster_id: str) -> dict:
    from cockpit.queries import emerging_topic

    cluster = emerging_topic(con, cluster_id)
    status = decided_clusters(decisions_path).get(cluster_id) or cluster["status"]
    if status not in DECIDABLE:
        extra = f" into {cluster['merged_into']}" if cluster.get("merged_into") else ""
        raise CockpitError(
            f"emerging topic {cluster_id} is {status}{extra}; only active topics can "
            f"be dismissed or promoted. List them with `cockpit topics emerging`."
        )
    return cluster


def _record(db: Path | str, cluster_id: str, decision: str, by, source, role, **extra) -> None:
    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    with closing(_connect(db)) as con, con:
        con.execute(
            "INSERT INTO emerging_decisions (cluster_id, decision, topic_id, name, path, "
            "decided_by, decided_at, source, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [cluster_id, decision, extra.get("topic_id"), extra.get("name"), extra.get("path"),
             by, stamp, source, role],
        )  # fmt: skip


def dismiss(
    con: duckdb.DuckDBPyConnection,
    decisions_path: Path | str,
    cluster_id: str,
    *,
    by: str | None,
    source: str = "cli",
    role: str | None = None,
) -> dict:
    """Hide a cluster for good (recorded now, applied by the next refresh); return it.

    `con` reads the published store. From the app the `role` must allow `curate`.
    """
    _check(source, role)
    cluster = _cluster(con, decisions_path, cluster_id)
    _record(decisions_path, cluster_id, "dismissed", by, source, role, name=cluster["name"])
    return cluster


def promote(
    con: duckdb.DuckDBPyConnection,
    custom_dir: Path,
    decisions_path: Path | str,
    load_taxonomy,
    cluster_id: str,
    name: str,
    vertical: str | None = None,
    account_id: str | None = None,
    automation_type: str | None = None,
    topic_id: str | None = None,
    *,
    by: str | None,
    source: str = "cli",
    role: str | None = None,
) -> tuple[Path, dict]:
    """Write the cluster as a validated custom topic and record the promotion; (path, document).

    `load_taxonomy(custom_dir)` validates the whole taxonomy with the new file (it is removed
    again when invalid). The examples are the cluster's most central members, masked as stored.
    `con` reads the published store; from the app the `role` must allow `curate`.
    """
    _check(source, role)
    cluster = _cluster(con, decisions_path, cluster_id)
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
    topic = doc["topics"][0]
    _record(
        decisions_path, cluster_id, "promoted", by, source, role,
        topic_id=topic["id"], name=topic["name"], path=str(path),
    )  # fmt: skip
    return path, doc


def sync_decisions(con: duckdb.DuckDBPyConnection, decisions_path: Path | str, run_id: str) -> int:
    """Apply recorded decisions to `emerging_topics` (writer connection); return how many changed.

    Idempotent: a decision whose cluster is already dismissed / promoted changes nothing; one
    whose cluster was merged meanwhile is logged and left (decide on the merged topic).
    """
    path = Path(decisions_path)
    if not path.exists():
        return 0
    with closing(_connect(path)) as lite:
        rows = lite.execute(
            "SELECT cluster_id, decision, topic_id, decided_by FROM emerging_decisions ORDER BY id"
        ).fetchall()
    now = datetime.now(UTC).replace(tzinfo=None)
    changed = 0
    for cluster_id, decision, topic_id, by in rows:
        found = con.execute(
            "SELECT status, merged_into FROM emerging_topics WHERE cluster_id = ?", [cluster_id]
        ).fetchall()
        if not found or found[0][0] not in DECIDABLE:
            if found and found[0][0] == "merged":
                log.warning(
                    "emerging topic %s was %s but has merged into %s meanwhile; decide on that one",
                    cluster_id, decision, found[0][1],
                )  # fmt: skip
            continue
        con.execute(
            "UPDATE emerging_topics SET status = ?, shown = false, "
            "promoted_topic_id = coalesce(?, promoted_topic_id) WHERE cluster_id = ?",
            [decision, topic_id, cluster_id],
        )
        con.execute(
            "INSERT INTO emerging_events VALUES (?, ?, ?, ?, NULL, ?)",
            [run_id, now, decision, cluster_id, f"{topic_id} by {by}" if topic_id else by],
        )
        changed += 1
    return changed
