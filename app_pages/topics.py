"""Topics: what customers ask about across the portfolio, and what the product should build next."""

import altair as alt
import streamlit as st

from cockpit import queries, ui
from cockpit.ui.emerging import emerging_topics_section

ctx = ui.context()
con = ui.cursor(ctx.settings)
ui.require_tables(con, "topics")

st.title("Topics")
verticals = queries.verticals(con)
ui.url_seed("tp_vertical", verticals)
vertical = st.selectbox(
    "Vertical",
    [ui.ALL, *verticals],
    format_func=lambda v: "All verticals" if v == ui.ALL else ui.vertical_label(v),
    key="tp_vertical",
)
ui.url_sync("tp_vertical", vertical)
vertical = None if vertical == ui.ALL else vertical
book = tuple(ctx.accounts) if ctx.csm else None  # the sidebar's CSM filter
start, end, partial = queries.topic_window(con)
st.caption(
    f"What customers contact support about across {f'{ctx.csm}’s accounts' if ctx.csm else 'every account in the portfolio'}, "
    f"and how much of it the AI resolves. Tables cover the last 4 weeks "
    f"({ui.day_range(start, end)}{'; the last week is partial: the data ends there' if partial else ''}); "
    "the demand chart every full week. Click a row or bar to read its conversations."
)  # fmt: skip

share = queries.portfolio_type_share(con, vertical, account_ids=book)
if share.empty:
    st.info(
        "No topic volume for this vertical yet. Pick another vertical or run `cockpit refresh`."
    )
    st.stop()

# Stacked, not side by side: in a column the demand chart was ~330 px wide at 1024 px.
left, right = st.container(), st.container()
with left:
    st.subheader("Share by automation type")
    donut = alt.Chart(share).mark_arc(innerRadius=60).encode(
        theta="conversations:Q",
        color=ui.type_color(),
        tooltip=[alt.Tooltip("automation_type:N", title="Type"),
                 alt.Tooltip("conversations:Q", title="Conversations", format=","),
                 alt.Tooltip("share:Q", title="Share", format=".0%"),
                 alt.Tooltip("ai_resolved_share:Q", title="AI-resolved", format=".0%")],
    )  # fmt: skip
    st.altair_chart(donut.properties(height=280), width="stretch")
    st.dataframe(
        share.assign(
            automation_type=share["automation_type"].map(ui.type_label),
            share=share["share"] * 100,
            ai_resolved_share=share["ai_resolved_share"] * 100,
        )[["automation_type", "conversations", "share", "ai_resolved_share"]],
        hide_index=True,
        key="tp_share",
        on_select=ui.open_row_conversations("tp_share", share, None, start, end),
        selection_mode="single-row",
        column_config={
            "automation_type": "Type",
            "conversations": st.column_config.NumberColumn("Conversations", format="compact"),
            "share": st.column_config.NumberColumn("Share", format="%.0f%%"),
            "ai_resolved_share": st.column_config.NumberColumn(
                "AI-resolved",
                format="%.0f%%",
                help="Share of the type's conversations the AI resolved",
            ),
        },
    )
with right:
    st.subheader("Topic demand over time")
    demand, top = queries.topic_demand_top(con, vertical, book)
    lines = alt.Chart(demand).mark_line(strokeWidth=2).encode(
        x=alt.X("week:T", title=None, axis=alt.Axis(format="%b %Y")),
        y=alt.Y("conversations:Q", title="Conversations per week"),
        color=alt.Color("topic:N", title=f"Top {len(top)} topics", scale=alt.Scale(scheme="tableau10"),
                        sort=list(top), legend=alt.Legend(orient="right", labelLimit=200)),
        tooltip=[alt.Tooltip("week:T", title="Week of", format="%d %b %Y"), alt.Tooltip("topic:N", title="Topic"),
                 alt.Tooltip("conversations:Q", title="Conversations", format=",")],
    )  # fmt: skip
    st.altair_chart(lines.properties(height=340), width="stretch", key="tp_demand_chart")

# One section under the other: side by side, at 1024 px each table hid its last columns
# and the bars had no room left beside their labels.
st.subheader("Growing fastest", help="Last 4 weeks against the 4 weeks before.")
growth = queries.topic_growth(con, vertical, account_ids=book)
st.dataframe(
    growth.assign(growth=growth["growth"] * 100)[
        ["topic", "recent", "previous", "change", "growth"]
    ],
    hide_index=True,
    key="tp_growth",
    width="stretch",
    on_select=ui.open_row_conversations("tp_growth", growth, None, start, end),
    selection_mode="single-row",
    column_config={
        "topic": "Topic",
        "recent": st.column_config.NumberColumn("Last 4 wk", format="compact"),
        "previous": st.column_config.NumberColumn("4 wk before", format="compact"),
        "change": st.column_config.NumberColumn("Change", format="%+d"),
        "growth": st.column_config.NumberColumn("Growth", format="%+.0f%%"),
    },
)
st.subheader(
    "Most unautomated volume",
    help="Conversations the AI did not resolve, by type × topic: what the product team "
    "should build next.",
)
todo = queries.topic_unautomated(con, vertical, account_ids=book)
todo["cell"] = todo["topic"] + " · " + todo["automation_type"].map(ui.type_label)
st.dataframe(
    todo.assign(ai_resolved_share=todo["ai_resolved_share"] * 100)[
        ["cell", "unautomated", "ai_resolved_share"]
    ],
    hide_index=True,
    key="tp_todo",
    width="stretch",
    on_select=ui.open_row_conversations("tp_todo", todo, None, start, end),
    selection_mode="single-row",
    column_config={
        "cell": st.column_config.TextColumn("Topic · type", width="medium"),
        "unautomated": st.column_config.NumberColumn("Not AI-resolved", format="compact"),
        "ai_resolved_share": st.column_config.NumberColumn("AI-resolved", format="%.0f%%"),
    },
)
bars = alt.Chart(todo).mark_bar().encode(
    y=alt.Y("cell:N", title=None, sort="-x", axis=alt.Axis(labelLimit=240)),
    x=alt.X("unautomated:Q", title="Not resolved by AI (last 4 weeks)"),
    color=ui.type_color(legend=False),
    tooltip=[alt.Tooltip("topic:N", title="Topic"), alt.Tooltip("automation_type:N", title="Type"),
             alt.Tooltip("unautomated:Q", title="Not AI-resolved", format=","),
             alt.Tooltip("ai_resolved_share:Q", title="AI-resolved", format=".0%")],
)  # fmt: skip
st.altair_chart(bars.properties(height=alt.Step(22)), width="stretch")


# --- Emerging topics (owner: discovery): the section lives in cockpit/ui/emerging.py ----------
emerging_topics_section(ctx.settings, con, vertical)
