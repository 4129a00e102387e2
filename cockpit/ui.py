"""Streamlit-only helpers shared by app.py and the pages.

- `settings()`: the `Settings` read once per session at the edge (app.py).
- `cursor()`: a cursor on a cached read-only connection keyed on the store file's
  (path, inode, mtime), so a new publish (an `os.replace` by the writer) is picked up on the
  next rerun without restarting the app.
- `sidebar()`: as-of date, freshness, CSM filter and account picker (bound to the URL).
- formats (`pct`, `pts`, `compact`, `usd`, `hours`, `age`), the automation-type colours every chart
  uses, and metric definitions for `help=` tooltips.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime

import altair as alt
import duckdb
import streamlit as st

from cockpit import queries, store
from cockpit.brief import vertical_label  # noqa: F401  (re-exported for the pages)
from cockpit.contract import AUTOMATION_TYPES
from cockpit.errors import CockpitError, NoDataError
from cockpit.settings import Settings

NO_DATA = "No data yet — run `cockpit demo` or `cockpit ingest` first, then reload this page."
ALL = "__all__"  # the "no filter" value of selectboxes bound to the URL

# One colour per automation type, used by every chart (Tableau-10, colour-blind friendly).
TYPE_COLORS = {"informational": "#4C78A8", "personalized": "#F58518", "action": "#54A24B"}
TYPE_LABELS = {"informational": "Informational", "personalized": "Personalized", "action": "Action"}
# Vega expression that shows a type id as its label on axes and legends (charts keep the ids, so
# selections and colours stay keyed on them).
TYPE_LABEL_EXPR = "upper(substring(datum.label, 0, 1)) + substring(datum.label, 1)"

DEFINITIONS = {
    "automation_rate": "Share of conversations with a known outcome that the AI agent resolved "
    "without a human (AI-resolved ÷ known outcome).",
    "involvement_rate": "Share of all conversations in which the AI agent took part.",
    "ai_resolution_rate": "Of the conversations the AI took part in, the share it resolved alone.",
    "csat": "Average satisfaction score (1–5) of AI-resolved vs human-resolved conversations.",
    "handle_time": "Median human handle time per conversation, in minutes.",
    "conversations": "Support conversations in the current window.",
    "potential": "Automation rate the account could reach if each topic performed like the "
    "best peers of its vertical (with a low–high interval).",
    "gap_pts": "Potential minus current automation rate, in percentage points.",
    "percentile": "Rank among all accounts: 80th means better than 80% of accounts.",
    "look_first": "Why a CSM should open this account first: a big gap on high ARR, "
    "automation falling ≥ 3 pts, or a topic whose volume spiked last week.",
    "other_share": "Share of conversations whose topic was too unsure to name ('other').",
}


# --- formats -------------------------------------------------------------------------------------


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def pct(x, digits: int = 0) -> str:
    """0.423 → '42%'."""
    return "—" if _missing(x) else f"{x * 100:.{digits}f}%"


def pts(x, digits: int = 1) -> str:
    """3.25 → '+3.2 pts' (percentage points)."""
    return "—" if _missing(x) else f"{x:+.{digits}f} pts"


def compact(n) -> str:
    """12345 → '12.3k', 2_400_000 → '2.4M'."""
    if _missing(n):
        return "—"
    n = float(n)
    for div, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.1f}{suffix}"
    return f"{n:.0f}"


def usd(n) -> str:
    """240000 → '$240k'."""
    return "—" if _missing(n) else "$" + compact(n).replace(".0k", "k").replace(".0M", "M")


def hours(h) -> str:
    """37.4 → '37 h'."""
    return "—" if _missing(h) else f"{h:,.0f} h"


def ordinal(n: int) -> str:
    """4 → '4th', 22 → '22nd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def percentile(p) -> str:
    """69 → '69th percentile' (accepts 0–1 fractions too)."""
    if _missing(p):
        return "no peer rank"
    p = p * 100 if p <= 1 else p
    return f"{ordinal(int(round(p)))} percentile"


def age(ts: datetime | None, now: datetime | None = None) -> str:
    """How long ago `ts` (naive UTC) was: '3 h ago', '2 days ago'."""
    if ts is None:
        return "never"
    now = now or datetime.now(UTC).replace(tzinfo=None)
    secs = max(0.0, (now - ts).total_seconds())
    if secs < 3600:
        return f"{secs / 60:.0f} min ago"
    if secs < 48 * 3600:
        return f"{secs / 3600:.0f} h ago"
    return f"{secs / 86400:.0f} days ago"


def type_label(t: str | None) -> str:
    return TYPE_LABELS.get(t or "", t or "—")


def type_color(
    field: str = "automation_type", title: str = "Type", legend: bool = True
) -> alt.Color:
    """The Altair colour encoding every chart uses for automation types."""
    return alt.Color(
        f"{field}:N",
        title=title,
        scale=alt.Scale(
            domain=list(AUTOMATION_TYPES), range=[TYPE_COLORS[t] for t in AUTOMATION_TYPES]
        ),
        legend=alt.Legend(orient="bottom", labelExpr=TYPE_LABEL_EXPR) if legend else None,
    )


# --- settings and the cached read-only connection ------------------------------------------------


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
    cur = _reader(str(path), stat.st_ino, stat.st_mtime_ns).cursor()
    cur.execute("USE c")  # a cursor does not inherit the parent's default database
    return cur


def require_tables(con: duckdb.DuckDBPyConnection, page: str) -> None:
    """Show what to run and stop when a table the page reads is not published yet."""
    missing = queries.missing_tables(con, queries.PAGE_TABLES[page])
    if missing:
        st.info(
            f"This page needs tables the pipeline has not produced yet: {', '.join(missing)}. "
            "Run `cockpit refresh` (or `cockpit demo` for a demo workspace), then reload."
        )
        st.stop()


# --- the shared sidebar --------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    """What every page gets from the sidebar."""

    settings: Settings
    csm: str | None
    account_id: str | None
    accounts: dict[str, str]  # id → name, in the CSM's book
    as_of: date | None


def _none_if_all(v: str | None) -> str | None:
    return None if v in (None, ALL, "") else v


def url_seed(key: str, options) -> None:
    """Seed a widget from the URL on a session's first run; drop values not offered.

    Widgets whose options are ids (accounts, CSMs, types, topics) keep the id in the URL, so they
    sync `st.query_params` themselves (`url_seed` before, `url_sync` after the widget) rather than
    using `bind="query-params"`, which writes the formatted label and ignores values set in code
    (e.g. by a click-through from another page).
    """
    if key not in st.session_state:
        # The URL wins; else the last value this session picked (a click in the navigation
        # clears the query string and Streamlit may drop the widget's state on a page switch).
        value = st.query_params.get(key) or st.session_state.get(f"_keep_{key}")
        st.session_state[key] = value if value in options else ALL
    elif st.session_state[key] != ALL and st.session_state[key] not in options:
        st.session_state[key] = ALL


def url_sync(key: str, value: str) -> None:
    """Write a widget's id value into the URL (or remove it when it is the no-filter value)."""
    st.session_state[f"_keep_{key}"] = value
    if value in (None, ALL):
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def sidebar() -> Context:
    """Render the shared sidebar; on an empty store show the guidance and stop.

    The CSM filter and account picker live in the URL (`?csm=...&account=...`) so any view can
    be shared as a link.
    """
    cfg = settings()
    try:
        con = cursor(cfg)
        overview = queries.store_overview(con)
    except NoDataError:
        overview = {"accounts": 0}
    if not overview["accounts"]:
        st.info(NO_DATA)
        st.stop()
    with st.sidebar:
        as_of = overview["as_of"]
        st.caption(
            f"Data as of **{as_of:%d %b %Y}**" if as_of else "Data as-of date unknown",
            help="End of the latest complete window the metrics cover.",
        )
        last = overview["last_success_at"]
        fresh = f"Last successful refresh: {age(last)}"
        if overview["last_run_status"] not in (None, "success"):
            fresh += f" · latest run **{overview['last_run_status']}**"
        st.caption(fresh)
        csms = queries.csm_names(con)
        url_seed("csm", csms)
        csm = st.selectbox(
            "CSM",
            [ALL, *csms],
            format_func=lambda v: "All CSMs" if v == ALL else v,
            key="csm",
            help="Show only this CSM's book of accounts.",
        )
        url_sync("csm", csm)
        csm = _none_if_all(csm)
        accounts = queries.account_options(con, csm)
        url_seed("account", accounts)
        account = st.selectbox(
            "Account",
            [ALL, *accounts],
            format_func=lambda v: "All accounts" if v == ALL else accounts.get(v, v),
            key="account",
            help="The account the Account, Conversations and Brief pages show.",
        )
        url_sync("account", account)
    return Context(cfg, csm, _none_if_all(account), accounts, as_of)


def require_account(ctx: Context, title: str, hint: str) -> None:
    """On a page about one account: without a picked account, show the title and hint and stop."""
    if ctx.account_id is None:
        st.title(title)
        st.info(hint)
        st.stop()


def context() -> Context:
    """The context app.py stored for this run (pages call this)."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        # A fresh server whose first request is a page URL runs Streamlit's legacy `pages/`
        # auto-discovery, which executes the page without app.py. Switch that mode off (what
        # st.navigation does) and rerun, so app.py's navigation and sidebar take over. (AppTest
        # resets the mode on every run, so widget events that must survive this rerun are
        # handled in on_click callbacks, which run before the script.)
        PagesManager.uses_pages_directory = False
        st.rerun()
    ctx = st.session_state.get("_context")
    if ctx is None:  # a page run outside app.py
        ctx = sidebar()
    return ctx


def go(page: str, **state) -> None:
    """Callback: set widget state (e.g. account=..., conv_topic=...) and switch to `page`.

    Runs as an `on_click` / `on_select` callback, i.e. before the sidebar widgets are created,
    which is the only moment their bound values may change. `follow()` then switches page.
    """
    for key, value in state.items():
        st.session_state[key] = ALL if value is None else value
    st.session_state["_goto"] = page


def open_row_conversations(key: str, frame, account_id: str | None):
    """An on_select callback: open Conversations filtered to the selected row's type and topic."""

    def _open() -> None:
        rows = st.session_state[key].selection.rows
        if rows:
            r = frame.iloc[rows[0]]
            go(
                "pages/conversations.py",
                **conversations_state(account_id, r["automation_type"], r["topic_id"]),
            )

    return _open


def follow() -> None:
    """In app.py, after st.navigation: perform a page switch requested by `go`."""
    page = st.session_state.pop("_goto", None)
    if page:
        st.switch_page(page)


def conversations_state(
    account_id: str | None = None, automation_type: str | None = None, topic_id: str | None = None
) -> dict:
    """Widget state that opens the Conversations page filtered to an account, type and topic."""
    state = {"conv_type": automation_type, "conv_topic": topic_id, "conv_page": 1}
    if account_id:
        state["account"] = account_id
    return state
