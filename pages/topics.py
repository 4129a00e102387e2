"""Topics: what customers ask about across the portfolio, and what the product should build next."""

import altair as alt
import streamlit as st

from cockpit import queries, ui

ctx = ui.context()
con = ui.cursor(ctx.settings)
ui.require_tables(con, "topics")

st.title("Topics")
vertical = st.selectbox(
    "Vertical",
    [ui.ALL, *queries.verticals(con)],
    format_func=lambda v: "All verticals" if v == ui.ALL else v.title(),
    key="tp_vertical",
    bind="query-params",
)
vertical = None if vertical == ui.ALL else vertical
st.caption("Portfolio-wide demand from `topic_weekly` (last 4 weeks unless stated).")

share = queries.portfolio_type_share(con, vertical)
if share.empty:
    st.info(
        "No topic volume for this vertical yet. Pick another vertical or run `cockpit refresh`."
    )
    st.stop()

left, right = st.columns([2, 3])
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
        share[["automation_type", "conversations", "share", "ai_resolved_share"]],
        hide_index=True,
        key="tp_share",
        column_config={
            "automation_type": "Type",
            "conversations": st.column_config.NumberColumn("Conversations", format="compact"),
            "share": st.column_config.NumberColumn("Share", format="percent"),
            "ai_resolved_share": st.column_config.NumberColumn("AI-resolved", format="percent"),
        },
    )
with right:
    st.subheader("Topic demand over time")
    demand = queries.topic_demand(con, vertical)
    top = demand.groupby("topic")["conversations"].sum().nlargest(8).index
    demand = demand.assign(topic=demand["topic"].where(demand["topic"].isin(top), "Other topics"))
    demand = demand.groupby(["week", "topic"], as_index=False)["conversations"].sum()
    area = alt.Chart(demand).mark_area().encode(
        x=alt.X("week:T", title=None, axis=alt.Axis(format="%d %b")),
        y=alt.Y("conversations:Q", title="Conversations per week", stack=True),
        color=alt.Color("topic:N", title="Topic", scale=alt.Scale(scheme="tableau20"),
                        legend=alt.Legend(orient="right")),
        tooltip=[alt.Tooltip("week:T", title="Week of", format="%d %b %Y"), "topic:N",
                 alt.Tooltip("conversations:Q", title="Conversations", format=",")],
    )  # fmt: skip
    st.altair_chart(area.properties(height=340), width="stretch")

grow_col, build_col = st.columns(2)
with grow_col:
    st.subheader("Growing fastest", help="Last 4 weeks against the 4 weeks before.")
    growth = queries.topic_growth(con, vertical)
    st.dataframe(
        growth[["topic", "recent", "previous", "change", "growth"]],
        hide_index=True,
        key="tp_growth",
        width="stretch",
        column_config={
            "topic": "Topic",
            "recent": st.column_config.NumberColumn("Last 4 wk", format="compact"),
            "previous": st.column_config.NumberColumn("4 wk before", format="compact"),
            "change": st.column_config.NumberColumn("Change", format="%+d"),
            "growth": st.column_config.NumberColumn("Growth", format="percent"),
        },
    )
with build_col:
    st.subheader(
        "Most unautomated volume",
        help="Conversations the AI did not resolve, by type × topic: what the product team "
        "should build next.",
    )
    todo = queries.topic_unautomated(con, vertical)
    todo["cell"] = todo["topic"] + " · " + todo["automation_type"]
    bars = alt.Chart(todo).mark_bar().encode(
        y=alt.Y("cell:N", title=None, sort="-x"),
        x=alt.X("unautomated:Q", title="Not resolved by AI (last 4 weeks)"),
        color=ui.type_color(),
        tooltip=[alt.Tooltip("topic:N", title="Topic"), alt.Tooltip("automation_type:N", title="Type"),
                 alt.Tooltip("unautomated:Q", title="Not AI-resolved", format=","),
                 alt.Tooltip("ai_resolved_share:Q", title="AI-resolved", format=".0%")],
    )  # fmt: skip
    st.altair_chart(bars.properties(height=alt.Step(22)), width="stretch")
