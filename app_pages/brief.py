"""Pre-call brief: one printable page per account for Sales, downloadable as Markdown or HTML."""

import streamlit as st

from cockpit import brief, queries, ui

ctx = ui.context()
con = ui.cursor(ctx.settings)
ui.require_tables(con, "brief")
ui.require_account(ctx, "Pre-call brief", "Pick an account in the sidebar to build its brief.")

report = queries.brief_report(con, ctx.account_id)
cost = ctx.settings.cost_per_human_conversation_usd  # COCKPIT_COST_PER_HUMAN_CONVERSATION
markdown = brief.to_markdown(report, cost_per_conversation=cost)
slug = ctx.account_id.replace("/", "_")

with st.container(horizontal=True, key="brief_downloads"):
    st.download_button(
        "Download Markdown",
        markdown,
        file_name=f"brief-{slug}.md",
        mime="text/markdown",
        icon=":material/download:",
        key="brief_md",
        on_click="ignore",
    )
    st.download_button(
        "Download HTML (print to PDF)", lambda: brief.to_html(report, cost_per_conversation=cost), file_name=f"brief-{slug}.html",
        mime="text/html", icon=":material/download:", key="brief_html", on_click="ignore",
    )  # fmt: skip
st.markdown(markdown)
