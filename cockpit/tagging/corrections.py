"""Tag corrections: a small SQLite file that the CLI and the app write while a refresh runs.

SQLite in WAL mode with a busy timeout lets several processes append corrections safely; the
DuckDB store could not (one writer at a time). The tag step reads the latest correction per
conversation: it wins over the model (`tags.corrected = true`, confidences 1.0) and becomes a
training example on the next run.

An undo never deletes: it appends a row whose `undoes` names the cancelled correction. Effective
corrections are the rows that are neither undo rows nor undone (`_EFFECTIVE`); the audit lists
every row, so both events stay in the history.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from cockpit import access
from cockpit.contract import AUTOMATION_TYPES
from cockpit.errors import CockpitError
from cockpit.store.migrations import CORRECTIONS_DDL, CORRECTIONS_MIGRATIONS, OVERRIDE_AUDIT_DDL
from cockpit.tagging.taxonomy import OTHER, Taxonomy

COLUMNS = ["conversation_id", "automation_type", "topic_id", "corrected_by", "corrected_at", "note"]
AUDIT_COLUMNS = [
    "corrected_at", "corrected_by", "source", "role", "conversation_id", "old_automation_type",
    "automation_type", "old_topic_id", "topic_id", "note", "id", "undoes",
]  # fmt: skip
SOURCES = ("app", "cli")
BUSY_TIMEOUT_MS = 10_000
# Rows that still count: not an undo record, and not cancelled by one.
_EFFECTIVE = (
    "undoes IS NULL AND id NOT IN (SELECT undoes FROM corrections WHERE undoes IS NOT NULL)"
)


def _connect(path: Path | str) -> sqlite3.Connection:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    con.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    con.execute("PRAGMA journal_mode = WAL")
    con.execute(CORRECTIONS_DDL)
    con.execute(OVERRIDE_AUDIT_DDL)
    have = {row[1] for row in con.execute("PRAGMA table_info(corrections)")}
    for column, ddl in CORRECTIONS_MIGRATIONS:
        if column not in have:
            con.execute(ddl)
    return con


def validate_correction(
    taxonomy: Taxonomy,
    automation_type: str,
    topic_id: str,
    vertical: str | None = None,
    account_id: str | None = None,
    check_account: bool = False,
) -> None:
    """Raise CockpitError when the type or topic id is unknown (listing the valid ids).

    With `check_account`, the topic must also be valid for that account (vertical + custom).
    """
    if automation_type not in taxonomy.type_ids:
        raise CockpitError(
            f"unknown automation type {automation_type!r}; valid types: {', '.join(taxonomy.type_ids)}."
        )
    if check_account:
        valid = [t.id for t in taxonomy.topics_for(vertical, account_id)] + [OTHER]
        where = f" for account {account_id} ({vertical or 'no vertical'})"
    else:
        valid = taxonomy.topic_ids + [OTHER]
        where = ""
    if topic_id not in valid:
        raise CockpitError(
            f"unknown topic id {topic_id!r}{where}; valid topic ids: {', '.join(valid)}."
        )


def record_correction(
    path: Path | str,
    conversation_id: str,
    automation_type: str,
    topic_id: str,
    by: str | None = None,
    note: str | None = None,
    taxonomy: Taxonomy | None = None,
    at: datetime | None = None,
    *,
    source: str = "cli",
    role: str | None = None,
    old: tuple[str | None, str | None] = (None, None),
) -> None:
    """Append a correction (validated against `taxonomy` when given, else the project's).

    The audit columns record where it came from (`source`: app or cli), the role it was made
    with, and `old`, the (type, topic) it replaced.
    """
    if source not in SOURCES:
        raise CockpitError(
            f"correction source must be one of {', '.join(SOURCES)}; got {source!r}."
        )
    if taxonomy is None:
        from cockpit.tagging.taxonomy import load_taxonomy

        taxonomy = load_taxonomy()
    if not conversation_id:
        raise CockpitError("a correction needs a conversation id.")
    validate_correction(taxonomy, automation_type, topic_id)
    stamp = (
        (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    )
    with closing(_connect(path)) as con, con:
        con.execute(
            "INSERT INTO corrections (conversation_id, automation_type, topic_id, corrected_by, "
            "corrected_at, note, source, role, old_automation_type, old_topic_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [conversation_id, automation_type, topic_id, by, stamp, note, source, role, *old],
        )


def read_log(
    path: Path | str,
    table: str,
    columns: list[str],
    *,
    where: str = "",
    params: list | None = None,
    limit: int | None = None,
    connect=None,
) -> pd.DataFrame:
    """Rows of one audit table of the corrections file, newest first (`columns`, object dtype).

    The one reader of the file's logs (corrections, type overrides, emerging-topic decisions):
    an absent file reads as no rows; an unreadable one is a CockpitError saying what to do.
    `connect` opens the file (default: this module's, which creates the tables it owns).
    """
    path = Path(path)
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if not path.exists():
        return empty
    sql = f"SELECT {', '.join(columns)} FROM {table} {where} ORDER BY id DESC"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    try:
        with closing((connect or _connect)(path)) as con:
            rows = con.execute(sql, params or []).fetchall()
    except sqlite3.DatabaseError as exc:
        raise CockpitError(
            f"{path}: cannot read {table} ({exc}); expected a Cockpit corrections file. "
            "Move the file aside."
        ) from None
    return pd.DataFrame(rows, columns=columns, dtype=object)


def audit_log(
    path: Path | str, conversation_ids: list[str] | None = None, limit: int | None = None
) -> pd.DataFrame:
    """Every correction and undo, newest first (AUDIT_COLUMNS): who, when, from where, old and
    new tag; an undo row has `undoes` = the id of the correction it cancelled (its new tag is
    the one that applies again: an earlier correction's, else the tag before the correction).

    Rows written before the audit columns existed read None there.
    """
    if conversation_ids is None:
        return read_log(path, "corrections", AUDIT_COLUMNS, limit=limit)
    if not conversation_ids:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in AUDIT_COLUMNS})
    where = f"WHERE conversation_id IN ({', '.join('?' * len(conversation_ids))})"
    return read_log(
        path, "corrections", AUDIT_COLUMNS, where=where, params=list(conversation_ids), limit=limit
    )


def current_tag(con, corrections_path: Path | str, conversation_id: str) -> tuple:
    """(type, topic) a conversation has now: its latest correction, else its published tag."""
    path = Path(corrections_path)
    if path.exists():
        with closing(_connect(path)) as lite:
            row = lite.execute(
                "SELECT automation_type, topic_id FROM corrections WHERE conversation_id = ? "
                f"AND {_EFFECTIVE} ORDER BY id DESC LIMIT 1",
                [conversation_id],
            ).fetchone()
        if row:
            return tuple(row)
    try:
        rows = con.execute(
            "SELECT automation_type, topic_id FROM tags WHERE conversation_id = ?",
            [conversation_id],
        ).fetchall()
    except duckdb.CatalogException:  # no tags table yet (nothing tagged): no old value
        return (None, None)
    return tuple(rows[0]) if rows else (None, None)


def load_corrections(path: Path | str, latest: bool = True) -> pd.DataFrame:
    """Effective corrections (COLUMNS; undone ones and undo rows left out); with `latest`, only
    the newest per conversation."""
    path = Path(path)
    if not path.exists():
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    try:
        with closing(_connect(path)) as con:
            rows = con.execute(
                f"SELECT {', '.join(COLUMNS)}, id FROM corrections WHERE {_EFFECTIVE} ORDER BY id"
            ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise CockpitError(
            f"{path}: cannot read corrections ({exc}). Move the file aside."
        ) from None
    frame = pd.DataFrame(rows, columns=COLUMNS + ["id"], dtype=object)
    if latest and len(frame):
        frame = frame.drop_duplicates("conversation_id", keep="last")
    return frame.drop(columns="id").reset_index(drop=True)


def apply_corrections(tags: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    """Tags with the corrected conversations overridden (confidence 1.0, corrected = true).

    `tags` needs conversation_id, automation_type, type_confidence, topic_id, topic_confidence.
    """
    out = tags.copy()
    out["corrected"] = False
    if corrections is None or not len(corrections) or not len(out):
        return out
    latest = corrections.drop_duplicates("conversation_id", keep="last").set_index(
        "conversation_id"
    )
    hit = out["conversation_id"].isin(latest.index)
    if hit.any():
        ids = out.loc[hit, "conversation_id"]
        out.loc[hit, "automation_type"] = latest.loc[ids, "automation_type"].to_numpy()
        out.loc[hit, "topic_id"] = latest.loc[ids, "topic_id"].to_numpy()
        out.loc[hit, ["type_confidence", "topic_confidence"]] = 1.0
        # A corrected type is certain: its probability is 1, the other types' 0.
        for t in AUTOMATION_TYPES:
            col = f"p_{t}"
            if col in out:
                out.loc[hit, col] = (out.loc[hit, "automation_type"] == t).astype(float)
        out.loc[hit, "corrected"] = True
    return out


EXPORT_COLUMNS = [
    "conversation_id", "account_id", "automation_type", "type_confidence", "topic_id",
    "topic_confidence", "taxonomy_version", "corrected",
]  # fmt: skip


def export_tags(con, out: Path | str) -> int:
    """Write one CSV row per tagged conversation (EXPORT_COLUMNS) with DuckDB's COPY; return rows.

    `con` is a reader (`store.read_only`); the file is streamed, whatever the number of rows.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    from cockpit.formats import csv_cell_sql  # texts never start like a spreadsheet formula

    query = (
        f"SELECT {csv_cell_sql('t.conversation_id')} AS conversation_id, "
        f"{csv_cell_sql('c.account_id')} AS account_id, t.automation_type, "
        "round(t.type_confidence, 4) AS type_confidence, "
        f"{csv_cell_sql('t.topic_id')} AS topic_id, round(t.topic_confidence, 4) AS topic_confidence, "
        "t.taxonomy_version, t.corrected FROM tags t LEFT JOIN conversations c USING (conversation_id) "
        "ORDER BY t.conversation_id"
    )
    escaped = str(out).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{escaped}' (HEADER, DELIMITER ',')")
    return con.execute("SELECT count(*) FROM tags").fetchall()[0][0]


def conversation_scope(con, conversation_id: str) -> tuple[str, str | None] | None:
    """(account_id, vertical) of a stored conversation, or None when it is not in the store."""
    rows = con.execute(
        "SELECT c.account_id, a.vertical FROM conversations c "
        "LEFT JOIN accounts a USING (account_id) WHERE c.conversation_id = ?",
        [conversation_id],
    ).fetchall()
    return rows[0] if rows else None


def correct(
    con,
    corrections_path: Path | str,
    taxonomy: Taxonomy,
    conversation_id: str,
    automation_type: str,
    topic_id: str,
    *,
    by: str | None,
    note: str | None = None,
    source: str = "cli",
    role: str | None = None,
) -> None:
    """Record a corrected tag: the one path the CLI and the app both take.

    `con` reads the published store: the conversation must exist there, and the topic must be
    valid for its account (shared + the account's vertical + its custom topics, or `other`).
    From the app (`source="app"`) the signed-in user's `role` must allow corrections: a
    request forged by a read-only user is refused here, whatever the page showed. The CLI is an
    operator tool (no role). Raises CockpitError naming what is wrong, and records nothing then.
    """
    if source == "app" or role is not None:
        access.require(role, "correct")
    scope = conversation_scope(con, conversation_id)
    if scope is None:
        raise CockpitError(
            f"no conversation {conversation_id!r} in the store; check the id "
            "(e.g. with `cockpit export tags --out tags.csv`)."
        )
    account_id, vertical = scope
    validate_correction(
        taxonomy, automation_type, topic_id, vertical, account_id, check_account=True
    )
    old = current_tag(con, corrections_path, conversation_id)
    record_correction(
        corrections_path, conversation_id, automation_type, topic_id,
        by=by, note=note, taxonomy=taxonomy, source=source, role=role, old=old,
    )  # fmt: skip


def undo_latest(
    path: Path | str,
    conversation_id: str,
    *,
    by: str | None = None,
    source: str = "cli",
    role: str | None = None,
    at: datetime | None = None,
) -> bool:
    """Cancel the newest effective correction of `conversation_id` by recording an undo row.

    The cancelled row stays (the audit shows both); an earlier correction, if any, wins again,
    else the model's tag comes back on the next refresh. Returns False when the conversation
    has no correction left to undo.
    """
    if source not in SOURCES:
        raise CockpitError(f"undo source must be one of {', '.join(SOURCES)}; got {source!r}.")
    path = Path(path)
    if not path.exists():
        return False
    stamp = (
        (at or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    )
    with closing(_connect(path)) as con, con:
        rows = con.execute(
            "SELECT id, automation_type, topic_id, old_automation_type, old_topic_id "
            f"FROM corrections WHERE conversation_id = ? AND {_EFFECTIVE} ORDER BY id DESC LIMIT 2",
            [conversation_id],
        ).fetchall()
        if not rows:
            return False
        undone, cur_type, cur_topic, old_type, old_topic = rows[0]
        # What applies again: the earlier correction, else the tag this one replaced.
        back = rows[1][1:3] if len(rows) > 1 else (old_type, old_topic)
        con.execute(
            "INSERT INTO corrections (conversation_id, automation_type, topic_id, corrected_by, "
            "corrected_at, note, source, role, old_automation_type, old_topic_id, undoes) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                conversation_id, back[0] or "", back[1] or "", by, stamp,
                f"undo of correction #{undone}", source, role, cur_type, cur_topic, undone,
            ],
        )  # fmt: skip
    return True


def sync_corrections(con, path: Path | str) -> pd.DataFrame:
    """Keep corrections in both places; return the latest per conversation (`load_corrections`).

    Every effective correction of `corrections.sqlite` is copied into the published store
    (`applied_corrections`, by id) and undone ones are removed from it. When the file lost
    corrections the store holds (deleted, replaced by an older copy), they are written back to
    it and the loss is logged, so a lost file never silently undoes a correction; a correction
    the file marks undone is never restored. `con` is the writer's connection.
    """
    import logging

    log = logging.getLogger(__name__)
    path = Path(path)
    stored = con.execute(
        f"SELECT id, {', '.join(COLUMNS)} FROM applied_corrections ORDER BY id"
    ).fetchall()
    if not stored and not path.exists():
        return load_corrections(path)
    with closing(_connect(path)) as sq, sq:
        have = {r[0] for r in sq.execute("SELECT id FROM corrections").fetchall()}
        lost = [r for r in stored if r[0] not in have]
        if lost:
            log.warning(
                "%s lacked %d correction(s) kept in the published store; restored them",
                path, len(lost),
            )  # fmt: skip
            sq.executemany(
                "INSERT INTO corrections (id, conversation_id, automation_type, topic_id, "
                "corrected_by, corrected_at, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
                lost,
            )
        rows = sq.execute(
            f"SELECT id, {', '.join(COLUMNS)} FROM corrections WHERE {_EFFECTIVE}"
        ).fetchall()
        undone = [
            r[0]
            for r in sq.execute(
                "SELECT undoes FROM corrections WHERE undoes IS NOT NULL"
            ).fetchall()
        ]
    if undone:
        con.execute(
            f"DELETE FROM applied_corrections WHERE id IN ({', '.join('?' * len(undone))})",
            undone,
        )
    if rows:
        con.executemany(
            "INSERT OR REPLACE INTO applied_corrections VALUES (?, ?, ?, ?, ?, ?, ?)", rows
        )
    return load_corrections(path)
