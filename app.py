"""Cockpit: the Streamlit entrypoint. Pages, shared sidebar, URL state.

Run with `cockpit app` (or `streamlit run app.py`). Reads the published store read-only.
"""

import streamlit as st

from cockpit import ui

st.set_page_config(
    page_title="Cockpit",
    page_icon="✈️",  # an emoji: no icon font or CDN is fetched for the favicon
    layout="wide",
)

PAGES = [
    st.Page("app_pages/portfolio.py", title="Portfolio", icon=":material/dashboard:", default=True,
            help="Every account in your book: automation, potential, gap, trend and what to look at first."),
    st.Page("app_pages/account.py", title="Account", icon=":material/monitoring:",
            help="One account: KPIs vs peers, trend against potential, top issues and next best actions."),
    st.Page("app_pages/topics.py", title="Topics", icon=":material/category:",
            help="Across the portfolio: demand by topic, fastest-growing topics and the most unautomated volume."),
    st.Page("app_pages/conversations.py", title="Conversations", icon=":material/forum:",
            help="Filter and read tagged conversations, correct a tag, download the rows as CSV."),
    st.Page("app_pages/brief.py", title="Pre-call brief", icon=":material/description:",
            help="A printable one-page brief per account for Sales, as Markdown or HTML."),
    st.Page("app_pages/data_health.py", title="Data health", icon=":material/health_and_safety:",
            help="Pipeline runs, freshness, quarantined rows, tag coverage, model versions, backtest."),
]  # fmt: skip

ui.settings()
ui.gate()  # sign-in and role when a provider is configured; else open, on localhost only
# The sidebar draws the page links itself (ui.sidebar): they carry the CSM and account.
page = st.navigation(PAGES, position="hidden")
ui.follow(page, PAGES)
st.session_state["_context"] = ui.sidebar(PAGES)
page.run()
