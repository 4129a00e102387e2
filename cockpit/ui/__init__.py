"""Streamlit-only helpers shared by app.py and the pages (the library never imports them).

- `auth`: the sign-in gate (`gate`), the current `identity()` and `can(action)`;
- `data`: `settings()`, `cursor()` (cached read-only connection), `require_tables`, `correct_tag`;
- `navigation`: the sidebar (`sidebar`, `context`, `Context`), URL state, page switches (`go`);
- `charts`: the automation-type colours and labels every chart uses;
- `definitions`: metric definitions for `help=` tooltips;
- formats are `cockpit.formats`, re-exported here for the pages.
"""

from cockpit.brief import vertical_label
from cockpit.formats import (
    age,
    compact,
    confidence_label,
    datetime_column_format,
    day_range,
    hours,
    ordinal,
    pct,
    percentile,
    pts,
    usd,
)
from cockpit.formats import md_text as _md_text
from cockpit.ui.auth import can, gate, identity
from cockpit.ui.charts import (
    TYPE_COLORS,
    TYPE_LABEL_EXPR,
    TYPE_LABELS,
    type_color,
    type_label,
    zoom_domain,
)
from cockpit.ui.conversation import conversation_view, corrections_panel, pending_corrections
from cockpit.ui.data import (
    correct_tag,
    corrections_audit,
    cursor,
    overrides_audit,
    require_tables,
    settings,
)
from cockpit.ui.definitions import DEFINITIONS
from cockpit.ui.navigation import (
    ALL,
    NO_DATA,
    ROW_SELECTION,
    Context,
    context,
    conversations_state,
    follow,
    go,
    history_navigation,
    open_row_conversations,
    require_account,
    selected_row,
    sidebar,
    url_seed,
    url_sync,
    url_value,
    url_write,
)

__all__ = [
    "ALL", "DEFINITIONS", "NO_DATA", "ROW_SELECTION", "selected_row", "TYPE_COLORS", "TYPE_LABELS", "TYPE_LABEL_EXPR", "Context",
    "age", "can", "compact", "confidence_label", "datetime_column_format", "day_range", "context", "conversation_view", "conversations_state", "corrections_panel", "pending_corrections", "correct_tag", "corrections_audit",
    "cursor", "follow", "gate", "go", "history_navigation", "hours", "identity", "open_row_conversations", "ordinal",
    "overrides_audit", "pct", "percentile", "pts", "require_account", "require_tables", "settings", "sidebar", "type_color", "type_label", "url_seed", "url_sync", "url_value", "url_write",
    "usd", "vertical_label", "text", "zoom_domain",
]  # fmt: skip


def text(value) -> str:
    """Data shown inside Markdown (titles, captions): every Markdown mark escaped."""
    return _md_text(value, streamlit=True)
