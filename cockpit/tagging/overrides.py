"""Type overrides with an audit trail: the one path that changes a topic's type for a scope.

`taxonomy.write_override` keeps the override in YAML; `override_type` checks the role, reads the
type it replaces, writes the override and records who, when, from where, old → new in the
corrections file (table `override_audit`).
"""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml

from cockpit import access
from cockpit.errors import CockpitError
from cockpit.tagging.corrections import SOURCES, _connect, read_log
from cockpit.tagging.taxonomy import override_path, write_override

OVERRIDE_AUDIT_COLUMNS = [
    "changed_at", "changed_by", "source", "role", "account_id", "vertical", "topic_id",
    "old_automation_type", "automation_type", "note",
]  # fmt: skip


def current_override(
    custom_dir: Path | str, topic_id: str, account_id: str | None, vertical: str | None
) -> str | None:
    """The type an override file gives `topic_id` for this account or vertical, if any."""
    path = override_path(custom_dir, account_id, vertical)
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for entry in data.get("overrides") or []:
        if entry.get("topic") == topic_id:
            return entry.get("automation_type")
    return None


def override_type(
    custom_dir: Path | str,
    corrections_path: Path | str,
    topic_id: str,
    automation_type: str | None,
    *,
    account_id: str | None = None,
    vertical: str | None = None,
    note: str = "",
    by: str | None,
    source: str = "cli",
    role: str | None = None,
) -> Path:
    """Declare (automation_type None: remove) a topic's type for a scope, and audit it.

    From the app (`source="app"`) the user's `role` must allow overrides; the CLI is an operator
    tool. Returns the override file; nothing is recorded when the override is refused.
    """
    if source not in SOURCES:
        raise CockpitError(f"override source must be one of {', '.join(SOURCES)}; got {source!r}.")
    if source == "app" or role is not None:
        access.require(role, "override")
    old = current_override(custom_dir, topic_id, account_id, vertical)
    path = write_override(
        custom_dir, topic_id, automation_type, account_id=account_id, vertical=vertical, note=note
    )
    stamp = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    with closing(_connect(corrections_path)) as con, con:
        con.execute(
            f"INSERT INTO override_audit ({', '.join(OVERRIDE_AUDIT_COLUMNS)}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [stamp, by, source, role, account_id, vertical, topic_id, old, automation_type,
             note or None],
        )  # fmt: skip
    return path


def override_log(corrections_path: Path | str, limit: int | None = None) -> pd.DataFrame:
    """Every type-override change, newest first (OVERRIDE_AUDIT_COLUMNS)."""
    return read_log(corrections_path, "override_audit", OVERRIDE_AUDIT_COLUMNS, limit=limit)
