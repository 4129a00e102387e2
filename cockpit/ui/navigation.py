"""The shared sidebar, the page context and moving between pages (state kept in the URL)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from cockpit import formats, queries
from cockpit.errors import NoDataError
from cockpit.settings import Settings
from cockpit.ui.data import cursor, settings

NO_DATA = "No data yet — run `cockpit demo` or `cockpit ingest` first, then reload this page."
ALL = "__all__"  # the "no filter" value of selectboxes bound to the URL


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


def history_navigation() -> bool:
    """True when this run was started by Back/Forward (or `follow`'s History API push).

    Such a run carries the URL of the history entry, so the URL wins over the widgets' state:
    Back shows the previous page as it was, not the state the session last picked.
    """
    ctx = get_script_run_ctx()
    return bool(ctx is not None and getattr(ctx, "is_history_navigation", False))


def url_seed(key: str, options, default: str = ALL) -> None:
    """Seed a widget from the URL on a session's first run and on Back/Forward; drop values
    not offered.

    Widgets whose options are ids (accounts, CSMs, types, topics) keep the id in the URL, so they
    sync `st.query_params` themselves (`url_seed` before, `url_sync` after the widget) rather than
    using `bind="query-params"`, which writes the formatted label and ignores values set in code
    (e.g. by a click-through from another page).
    """
    if history_navigation():
        value = st.query_params.get(key) or default
        st.session_state[key] = value if value == ALL or value in options else default
    elif key not in st.session_state:
        # The URL wins; else the last value this session picked (a click in the navigation
        # clears the query string and Streamlit may drop the widget's state on a page switch).
        value = st.query_params.get(key) or st.session_state.get(f"_keep_{key}")
        st.session_state[key] = value if value == ALL or value in options else default
    elif st.session_state[key] != ALL and st.session_state[key] not in options:
        st.session_state[key] = ALL


def url_sync(key: str, value: str) -> None:
    """Write a widget's id value into the URL (or remove it when it is the no-filter value)."""
    st.session_state[f"_keep_{key}"] = value
    if value in (None, ALL):
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def url_value(key: str, default, parse=str) -> None:
    """Seed a free-valued widget (text, number, page) from the URL on a session's first run
    and on Back/Forward.

    Used instead of `bind="query-params"`: Streamlit refuses to clear bound query parameters,
    so a page switch from a page holding a bound widget raised `Cannot clear query parameters`.
    A value the URL holds but `parse` refuses (e.g. `conv_page=x`) falls back to `default`.
    """
    history = history_navigation()
    if key in st.session_state and not history:
        return
    raw = st.query_params.get(key)
    if raw is None:
        st.session_state[key] = (
            default if history else st.session_state.get(f"_keep_{key}", default)
        )
        return
    try:
        st.session_state[key] = parse(raw)
    except (TypeError, ValueError):
        st.session_state[key] = default


def url_write(key: str, value, default) -> None:
    """Write a free-valued widget into the URL (removed when it holds `default`)."""
    st.session_state[f"_keep_{key}"] = value
    text = None if value == default or value in (None, "") else str(value)
    if text is None:
        st.query_params.pop(key, None)
    elif st.query_params.get(key) != text:
        st.query_params[key] = text


def _nav_links(box, pages, query: dict[str, str]) -> None:
    """The page list at the top of the sidebar: one `st.page_link` per page, carrying `query`.

    Used instead of Streamlit's own sidebar navigation (hidden in app.py), whose click sends an
    empty query string: the browser got `/brief` (one history entry), then the page wrote
    `?account=…` back (a second one), and until then the URL had lost the account. A page link
    sends its query string with the page change, so the URL is whole at once: one entry.
    """
    with box:
        for p in pages:
            st.page_link(p, query_params=query or None, width="stretch")


def sidebar(pages=()) -> Context:
    """Render the shared sidebar; on an empty store show the guidance and stop.

    The page links come first, then the CSM filter and account picker, which live in the URL
    (`?csm=...&account=...`) so any view can be shared as a link; the links carry them.
    """
    cfg = settings()
    nav = st.sidebar.container(key="nav")
    try:
        con = cursor(cfg)
        overview = queries.store_overview(con)
    except NoDataError:
        overview = {"accounts": 0}
    if not overview["accounts"]:
        _nav_links(nav, pages, {})
        st.info(NO_DATA)
        st.stop()
    with st.sidebar:
        as_of = overview["as_of"]
        st.caption(
            f"Data as of **{as_of:%d %b %Y}**" if as_of else "Data as-of date unknown",
            help="End of the latest complete window the metrics cover.",
        )
        last = overview["last_success_at"]
        fresh = f"Last successful refresh: {formats.age(last)}"
        if overview["last_run_status"] not in (None, "success"):
            fresh += f" · latest run **{overview['last_run_status']}**"
        st.caption(fresh)
        csms = queries.csm_names(con)
        # A CSM lands on their own book (they can still pick "All CSMs").
        who = st.session_state.get("_identity")
        own = who.csm if who is not None and who.csm in csms else ALL
        url_seed("csm", csms, default=own)
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
        asked = st.query_params.get("account") if "account" not in st.session_state else None
        url_seed("account", accounts)
        if asked and asked not in accounts:
            st.warning(
                f"Account {formats.md_text(repr(asked), streamlit=True)} from the link is not "
                f"{'in ' + formats.md_text(csm, streamlit=True) + chr(8217) + 's book' if csm else 'in the store'}. "
                "Pick one below (or clear the CSM filter)."
            )
        labels = queries.account_labels(con, csm)
        account = st.selectbox(
            "Account",
            [ALL, *accounts],
            format_func=lambda v: "All accounts" if v == ALL else labels.get(v, v),
            key="account",
            help="The account the Account, Conversations and Brief pages show.",
        )
        url_sync("account", account)
    _nav_links(
        nav, pages, {k: v for k, v in (("csm", csm), ("account", account)) if v not in (None, ALL)}
    )
    return Context(cfg, csm, _none_if_all(account), accounts, as_of)


def require_account(ctx: Context, title: str, hint: str) -> None:
    """On a page about one account: without a picked account, show the title and hint and stop."""
    if ctx.account_id is None:
        st.title(title)
        st.info(hint)
        st.stop()


def context() -> Context:
    """The context app.py stored for this run (pages call this)."""
    ctx = st.session_state.get("_context")
    if ctx is None:  # a page run outside app.py
        ctx = sidebar()
    return ctx


# Values a page leaves out of the URL (url_write's defaults besides ALL, None and "").
URL_DEFAULTS = {"conv_page": 1, "conv_conf": 0}


def _target_query(state: dict) -> dict[str, str]:
    """The query string the target page will write for `state` (+ the sidebar's csm/account).

    Handing it to `st.switch_page` puts the final URL in the page change itself, so the page's
    own `url_sync`/`url_write` calls find nothing to change: the browser gets one history entry
    per click-through (Streamlit's frontend pushes one per query-string change).
    """
    merged = {
        "csm": st.session_state.get("csm"),
        "account": st.session_state.get("account"),
        **state,
    }
    out: dict[str, str] = {}
    for key, value in merged.items():
        if key.startswith("_") or value in (None, ALL, "") or URL_DEFAULTS.get(key) == value:
            continue
        out[key] = str(value)
    return out


def go(page: str, **state) -> None:
    """Callback: set widget state (e.g. account=..., conv_topic=...) and switch to `page`.

    Runs as an `on_click` / `on_select` callback, i.e. before the sidebar widgets are created,
    which is the only moment their bound values may change. `follow()` then switches page, with
    the target's whole query string (one browser history entry).
    """
    for key, value in state.items():
        st.session_state[key] = ALL if value is None else value
    st.session_state["_goto"] = page
    st.session_state["_goto_query"] = _target_query(state)


# Tables that open a row: a click on any cell (its text) or on the row's checkbox selects it.
ROW_SELECTION = ["single-row", "single-cell"]


def selected_row(key: str) -> int | None:
    """Position of the row a table's selection points at (`ROW_SELECTION`), or None.

    A click on a cell's text selects the cell (`selection.cells`: (row, column)); a click on the
    checkbox selects the row (`selection.rows`); both open the row.
    """
    state = st.session_state.get(key)
    if state is None:
        return None
    selection = state.selection
    rows = selection.get("rows") or []
    if rows:
        return int(rows[0])
    cells = selection.get("cells") or []
    return int(cells[0][0]) if cells else None


def open_row_conversations(
    key: str, frame, account_id: str | None, start: date | None = None, end: date | None = None
):
    """An on_select callback: open Conversations on exactly what the selected row counted.

    The row's type and topic (when the frame has them), the account, and the window the row's
    figures cover (`start`..`end`, inclusive) — so the list shows the conversations counted.
    """

    def _open() -> None:
        row = selected_row(key)
        if row is not None:
            r = frame.iloc[row]
            go(
                "app_pages/conversations.py",
                **conversations_state(
                    account_id, r.get("automation_type"), r.get("topic_id"), start, end
                ),
            )

    return _open


# A click-through in a browser: push the target URL once and let Streamlit's own Back/Forward
# handler (`popstate`) switch page. `st.switch_page(page, query_params=...)` cannot give one
# history entry in Streamlit 1.67: the query params reach the browser first as a
# `page_info_changed` message, whose handler `pushState`s them onto the *current* path, and the
# rerun's `navigation` message then `pushState`s the new path (frontend `handlePageInfoChanged`
# and `maybeUpdatePageUrl`). A history navigation reruns with the URL's query string and makes
# the page's own URL writes `replaceState`, so this adds exactly one entry. The values are
# JSON-encoded with `<` escaped, so an id cannot close the script tag.
_NAVIGATE_JS = """<script>
(() => {
  const here = %(here)s;  // this page's URL path ("" on the default page)
  let base = window.location.pathname.replace(/\\/+$/, "");
  if (here && base.endsWith("/" + here)) base = base.slice(0, -here.length - 1);
  window.history.pushState({}, "", base + "/" + %(target)s + %(query)s);
  window.dispatchEvent(new PopStateEvent("popstate", {state: {}}));
})();
</script>"""


def _js(value: str) -> str:
    return json.dumps(value).replace("<", "\\u003c")


def _url_path(page_file: str, pages) -> str:
    """The URL path of `page_file` among the app's pages ("" for the default page)."""
    stem = Path(page_file).stem
    return stem if any(p.url_path == stem for p in pages) else ""


def follow(current=None, pages=()) -> None:
    """In app.py, after st.navigation: perform a page switch requested by `go`.

    In a browser (`st.context.url` is known) the switch is one History API push of the target
    URL (see `_NAVIGATE_JS`) and this run stops; without one (AppTest) it is `st.switch_page`.
    """
    page = st.session_state.pop("_goto", None)
    query = st.session_state.pop("_goto_query", None)
    if not page:
        return
    if current is None or st.context.url is None:
        st.switch_page(page, query_params=query or None)
    text = f"?{urlencode(query)}" if query else ""
    script = _NAVIGATE_JS % {
        "here": _js(current.url_path),
        "target": _js(_url_path(page, pages)),
        "query": _js(text),
    }
    st.html(script, unsafe_allow_javascript=True)
    st.stop()


def conversations_state(
    account_id: str | None = None,
    automation_type: str | None = None,
    topic_id: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> dict:
    """Widget state that opens Conversations filtered to an account, type, topic and window.

    Every other filter is reset, so the list holds exactly what the source counted.
    """
    state = {
        "conv_type": automation_type, "conv_topic": topic_id, "conv_page": 1,
        "conv_outcome": ALL, "conv_conf": 0, "conv_q": "",
        "conv_from": start.isoformat() if start else None,
        "conv_to": end.isoformat() if end else None,
        "_conv_dates_reset": True,
    }  # fmt: skip
    if account_id:
        state["account"] = account_id
    return state
