"""Account: KPIs vs the previous window and peers, trend vs potential, mix, issues and actions."""

import altair as alt
import streamlit as st

from cockpit import queries, ui

ctx = ui.context()
con = ui.cursor(ctx.settings)
ui.require_tables(con, "account")
if ctx.account_id is None:
    st.title("Account")
    st.info("Pick an account in the sidebar (or click one on the Portfolio page).")
    st.stop()

acc = queries.account_summary(con, ctx.account_id)
window = f"vs previous {acc['window_days'] or 28} d"


def _delta_desc(percentile_key: str | None) -> str:
    return window + (f" · {ui.percentile(acc.get(percentile_key))}" if percentile_key else "")


st.title(acc["name"])
st.caption(
    f"{(acc['vertical'] or '—').title()} · {acc['plan'] or '—'} plan · ARR {ui.usd(acc['arr_usd'])} · "
    f"CSM {acc['csm'] or '—'} · renews {acc['renewal_date']:%d %b %Y}"
    if acc.get("renewal_date") is not None
    else f"{(acc['vertical'] or '—').title()} · ARR {ui.usd(acc['arr_usd'])} · CSM {acc['csm'] or '—'}"
)

kpis = st.columns(6)
kpis[0].metric(
    "Automation",
    ui.pct(acc["automation_rate"], 1),
    ui.pts(acc["automation_rate_change_pts"]),
    help=ui.DEFINITIONS["automation_rate"],
    delta_description=_delta_desc("automation_percentile"),
    border=True,
)
kpis[1].metric(
    "AI involvement",
    ui.pct(acc["involvement_rate"], 1),
    ui.pts(acc["involvement_rate_change_pts"]),
    help=ui.DEFINITIONS["involvement_rate"],
    delta_description=_delta_desc("involvement_percentile"),
    border=True,
)
kpis[2].metric(
    "AI resolution",
    ui.pct(acc["ai_resolution_rate"], 1),
    ui.pts(acc["ai_resolution_rate_change_pts"]),
    help=ui.DEFINITIONS["ai_resolution_rate"],
    delta_description=_delta_desc("ai_resolution_percentile"),
    border=True,
)
kpis[3].metric(
    "CSAT AI vs human",
    f"{acc['csat_ai'] or 0:.2f} / {acc['csat_human'] or 0:.2f}" if acc["csat_ai"] else "—",
    f"{acc['csat_ai_change']:+.2f} AI" if acc["csat_ai_change"] is not None else None,
    help=ui.DEFINITIONS["csat"],
    delta_description=_delta_desc("csat_ai_percentile"),
    border=True,
)
kpis[4].metric(
    "Handle time (median)",
    f"{acc['handle_time_median_min']:.1f} min" if acc["handle_time_median_min"] else "—",
    f"{acc['handle_time_median_change_min']:+.1f} min"
    if acc["handle_time_median_change_min"] is not None
    else None,
    delta_color="inverse",
    help=ui.DEFINITIONS["handle_time"],
    delta_description=window,
    border=True,
)
kpis[5].metric(
    "Conversations", ui.compact(acc["conversations"]),
    f"{acc['conversations_change_pct']:+.0f}%" if acc["conversations_change_pct"] is not None else None,
    delta_color="off", help=ui.DEFINITIONS["conversations"], delta_description=window, border=True,
)  # fmt: skip

left, right = st.columns([3, 2])
with left:
    st.subheader("Automation vs potential", help=ui.DEFINITIONS["potential"])
    weekly = queries.account_weekly(con, ctx.account_id)
    base = alt.Chart(weekly).encode(x=alt.X("week:T", title=None, axis=alt.Axis(format="%d %b")))
    band = base.mark_area(opacity=0.18, color="#54A24B").encode(
        y=alt.Y(
            "potential_low:Q",
            title="Automation rate",
            axis=alt.Axis(format="%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        y2="potential_high:Q",
        tooltip=[
            alt.Tooltip("potential_low:Q", title="Potential low", format=".0%"),
            alt.Tooltip("potential_high:Q", title="Potential high", format=".0%"),
        ],
    )
    pot = base.mark_line(color="#54A24B", strokeDash=[5, 4]).encode(y="potential:Q")
    line = base.mark_line(point=True, color="#4C78A8", strokeWidth=2.5).encode(
        y="automation_rate:Q",
        tooltip=[
            alt.Tooltip("week:T", title="Week of", format="%d %b %Y"),
            alt.Tooltip("automation_rate:Q", title="Automation", format=".1%"),
            alt.Tooltip("conversations:Q", title="Conversations", format=","),
        ],
    )
    st.altair_chart((band + pot + line).properties(height=300), width="stretch")
    st.caption(
        f"Green band: potential {ui.pct(acc['potential_low'])}–{ui.pct(acc['potential_high'])} "
        f"(point estimate {ui.pct(acc['potential'])}, gap {ui.pts(acc['gap_pts'])})."
    )
with right:
    st.subheader("Mix by automation type")
    mix = queries.account_type_mix(con, ctx.account_id)
    bars = (
        alt.Chart(mix)
        .mark_bar()
        .encode(
            y=alt.Y("automation_type:N", title=None, sort=list(ui.TYPE_COLORS)),
            x=alt.X("conversations:Q", title="Conversations"),
            color=ui.type_color(legend=False),
            tooltip=[
                alt.Tooltip("automation_type:N", title="Type"),
                alt.Tooltip("conversations:Q", title="Conversations", format=","),
                alt.Tooltip("share:Q", title="Share", format=".0%"),
                alt.Tooltip("automation_rate:Q", title="Automation", format=".0%"),
            ],
        )
    )
    text = bars.mark_text(align="left", dx=4).encode(
        text=alt.Text("automation_rate:Q", format=".0% automated"), color=alt.value("#333")
    )
    st.altair_chart((bars + text).properties(height=300), width="stretch")

st.subheader("Where conversations go: type × topic")
st.caption(
    "Colour: automation rate · number: conversations in the window · ⚡ volume spike. "
    "Click a cell to read its conversations."
)
cells = queries.account_cells(con, ctx.account_id)
cells["label"] = cells["conversations"].map(ui.compact) + cells["spike"].map(
    lambda s: " ⚡" if s else ""
)
pick = alt.selection_point(name="cell", fields=["automation_type", "topic_id"])
heat = alt.Chart(cells).encode(
    x=alt.X(
        "automation_type:N",
        title=None,
        sort=list(ui.TYPE_COLORS),
        axis=alt.Axis(labelAngle=0, orient="top"),
    ),
    y=alt.Y("topic:N", title=None, sort="-x"),
)
rect = (
    heat.mark_rect(stroke="white", strokeWidth=2)
    .encode(
        color=alt.Color(
            "automation_rate:Q",
            title="Automation",
            scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1]),
            legend=alt.Legend(format="%", orient="bottom"),
        ),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=[
            alt.Tooltip("topic:N", title="Topic"),
            alt.Tooltip("automation_type:N", title="Type"),
            alt.Tooltip("conversations:Q", title="Conversations", format=","),
            alt.Tooltip("automation_rate:Q", title="Automation", format=".0%"),
            alt.Tooltip("trend_pts:Q", title="Trend (pts)", format="+.1f"),
        ],
    )
    .add_params(pick)
)
labels = heat.mark_text(fontSize=12).encode(text="label:N")


def _open_cell() -> None:
    chosen = st.session_state["acct_heat"].selection.get("cell") or []
    if chosen:
        c = chosen[0]
        ui.go(
            "pages/conversations.py",
            **ui.conversations_state(ctx.account_id, c.get("automation_type"), c.get("topic_id")),
        )


st.altair_chart(
    (rect + labels).properties(height=alt.Step(28)),
    width="stretch",
    key="acct_heat",
    on_select=_open_cell,
    selection_mode="cell",
)

issues_col, actions_col = st.columns(2)
with issues_col:
    st.subheader(
        "Top issues", help="What holds automation back, ranked by unresolved volume × gap to peers."
    )
    issues = queries.account_top_issues(con, ctx.account_id)

    def _open_issue() -> None:
        rows = st.session_state["acct_issues"].selection.rows
        if rows:
            r = issues.iloc[rows[0]]
            ui.go(
                "pages/conversations.py",
                **ui.conversations_state(ctx.account_id, r["automation_type"], r["topic_id"]),
            )

    st.dataframe(
        issues.assign(
            automation_pct=issues["automation_rate"] * 100,
            benchmark_pct=issues["benchmark_rate"] * 100,
            spike=issues["spike"].map(lambda s: "⚡" if s else ""),
        )[
            [
                "rank",
                "topic",
                "automation_type",
                "conversations",
                "automation_pct",
                "benchmark_pct",
                "trend_pts",
                "spike",
                "hours_per_month",
            ]
        ],
        key="acct_issues",
        hide_index=True,
        on_select=_open_issue,
        selection_mode="single-row",
        width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn("#", width="small"),
            "topic": "Topic",
            "automation_type": "Type",
            "conversations": st.column_config.NumberColumn("Conversations", format="compact"),
            "automation_pct": st.column_config.NumberColumn("Automation", format="%.0f%%"),
            "benchmark_pct": st.column_config.NumberColumn(
                "Peers", format="%.0f%%", help="Benchmark automation of peers in the vertical"
            ),
            "trend_pts": st.column_config.NumberColumn("Trend", format="%+.1f pts"),
            "spike": st.column_config.TextColumn("Spike", width="small"),
            "hours_per_month": st.column_config.NumberColumn("Human h / month", format="%.0f"),
        },
    )
with actions_col:
    st.subheader(
        "Next best actions", help="What to deploy next and what it should bring, per month."
    )
    actions = queries.account_actions(con, ctx.account_id)

    def _open_action() -> None:
        rows = st.session_state["acct_actions"].selection.rows
        if rows:
            r = actions.iloc[rows[0]]
            ui.go(
                "pages/conversations.py",
                **ui.conversations_state(ctx.account_id, r["automation_type"], r["topic_id"]),
            )

    st.dataframe(
        actions.assign(kind=actions["kind"].str.replace("_", " "))[
            [
                "rank",
                "kind",
                "topic",
                "automation_type",
                "gain_pts",
                "extra_ai_resolved_per_month",
                "hours_saved_per_month",
                "confidence",
                "rationale",
            ]
        ],
        key="acct_actions",
        hide_index=True,
        on_select=_open_action,
        selection_mode="single-row",
        width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn("#", width="small"),
            "kind": "Action",
            "topic": "Topic",
            "automation_type": "Type",
            "gain_pts": st.column_config.NumberColumn(
                "Gain", format="+%.1f pts", help="Expected automation gain"
            ),
            "extra_ai_resolved_per_month": st.column_config.NumberColumn(
                "+AI-resolved / mo", format="%.0f"
            ),
            "hours_saved_per_month": st.column_config.NumberColumn(
                "Hours saved / mo", format="%.0f"
            ),
            "confidence": st.column_config.ProgressColumn(
                "Confidence", min_value=0, max_value=1, format="percent"
            ),
            "rationale": st.column_config.TextColumn("Why", width="large"),
        },
    )
st.caption("Click a row to read the conversations behind it.")
