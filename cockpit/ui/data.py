"""Data access for the pages: settings read once per session, a cached read-only connection.

`cursor()` is a cursor on one read-only connection per published file version, keyed on the
store file's (path, inode, mtime): a new publish (the writer's `os.replace`) is picked up on the
next rerun without restarting the app.
"""

from __future__ import annotations

import duckdb
import streamlit as st

from cockpit import queries, store
from cockpit.access import Identity
from cockpit.errors import CockpitError, NoDataError
from cockpit.settings import Settings


def settings() -> Settings:
    """The session's settings, read from the environment once (at the app's edge)."""
    if "_settings" not in st.session_state:
        try:
            st.session_state["_settings"] = Settings.from_env()
        except CockpitError as exc:
            st.error(f"Configuration error: {exc}")
            st.stop()
    return st.session_state["_settings"]


@st.cache_resource(max_entries=4, show_spinner=False)
def _reader(path: str, inode: int, mtime_ns: int) -> duckdb.DuckDBPyConnection:
    # One read-only handle per published file version; a new publish changes inode/mtime.
    return store.read_only(path)


def cursor(cfg: Settings | None = None) -> duckdb.DuckDBPyConnection:
    """A fresh cursor on the current version of the published store (raises NoDataError)."""
    path = (cfg or settings()).db_path
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise NoDataError() from None
    # a cursor inherits neither the default database nor the search path: store sets both
    return store.reader_cursor(_reader(str(path), stat.st_ino, stat.st_mtime_ns))


def require_tables(con: duckdb.DuckDBPyConnection, page: str) -> None:
    """Show what to run and stop when a table the page reads is not published yet."""
    missing = queries.missing_tables(con, queries.PAGE_TABLES[page])
    if missing:
        st.info(
            f"This page needs tables the pipeline has not produced yet: {', '.join(missing)}. "
            "Run `cockpit refresh` (or `cockpit demo` for a demo workspace), then reload."
        )
        st.stop()


def correct_tag(
    cfg: Settings, conversation_id: str, automation_type: str, topic_id: str, who: Identity
) -> None:
    """Record a tag correction through the one correction path (`tagging.corrections.correct`).

    The path checks `who.role` itself: a read-only user is refused there (AccessDeniedError),
    whatever the page showed.
    """
    from cockpit.tagging.corrections import correct
    from cockpit.tagging.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(custom_dir=cfg.custom_taxonomy_dir)
    correct(
        cursor(cfg),
        cfg.corrections_path,
        taxonomy,
        conversation_id,
        automation_type,
        topic_id,
        by=who.label,
        source="app",
        role=who.role,
    )


def corrections_audit(
    cfg: Settings, conversation_ids: list[str] | None = None, limit: int | None = 200
):
    """Who corrected which tag, when, from where, old → new (newest first)."""
    from cockpit.tagging.corrections import audit_log

    return audit_log(cfg.corrections_path, conversation_ids, limit)


def overrides_audit(cfg: Settings, limit: int | None = 50):
    """Who changed which topic's type for an account or vertical, when, old → new."""
    from cockpit.tagging.overrides import override_log

    return override_log(cfg.corrections_path, limit)
