"""Portfolio: every account in the CSM's book, what to look at first, and current vs potential."""

import altair as alt
import streamlit as st

from cockpit import queries, ui

ctx = ui.context()
con = ui.cursor(ctx.settings)
ui.require_tables(con, "portfolio")

st.title("Portfolio")
st.caption(
    f"{'All CSMs' if ctx.csm is None else ui.text(ctx.csm)} · "
    "potential from peer benchmarks. Automation, potential and gap share the potential's window "
    "(the last 90 days); the sparkline shows the last 4 weeks. Click a row (any cell) to open the account."
)

ui.url_value("pf_q", "")
search = st.text_input("Search accounts", key="pf_q", placeholder="name, id or vertical")
ui.url_write("pf_q", search, "")
rows = queries.portfolio_rows(con, ctx.csm, search)
if rows.empty:
    st.info("No account matches. Clear the search or pick another CSM in the sidebar.")
    st.stop()

look = rows[rows["look_first"].notna()]
k1, k2, k3, k4 = st.columns(4)
k1.metric("Accounts", len(rows))
k2.metric("ARR", ui.usd(rows["arr_usd"].sum()))
k3.metric(
    "Median rate",
    ui.pct(rows["automation_rate"].median()),
    help=ui.DEFINITIONS["automation_rate"],
)
k4.metric("Look first", len(look), help=ui.DEFINITIONS["look_first"])
if len(look):
    # The parts that fired, in full (the table's column is cut at 1024 px); data escaped.
    st.markdown(
        "\n".join(
            f"- ⚑ **{ui.text(r.name)}** — {ui.text(r.look_first)}" for r in look.itertuples()
        ),
        help=ui.DEFINITIONS["look_first"],
    )

table = rows.assign(
    automation_pct=rows["automation_rate"] * 100,
    potential_pct=rows["potential"] * 100,
    trend_pct=rows["trend"].map(lambda xs: [x * 100 for x in xs] if xs is not None else None),
    flag=rows["look_first"].map(lambda r: "⚑ " + r if isinstance(r, str) else ""),
    vertical=rows["vertical"].map(ui.vertical_label),
    # No action: no topic sits far enough below its peers (a blank cell would read None).
    top_action=rows["top_action"].fillna("– (none suggested)"),
    arr_usd=rows["arr_usd"].round().astype("Int64"),
)[
    # Columns by priority: at 1024 px the first six stay visible (account, its rates and gap,
    # ARR, why to look: its reasons are listed in full above the table); the rest scroll.
    ["name", "automation_pct", "potential_pct", "gap_pts", "arr_usd", "flag", "renewal_date",
     "top_action", "vertical", "csm", "trend_pct", "conversations"]
]  # fmt: skip


def _open_selected() -> None:
    selected = ui.selected_row("pf_table")
    if selected is not None:
        ui.go("app_pages/account.py", account=rows.iloc[selected]["account_id"])


st.dataframe(
    table,
    key="pf_table",
    hide_index=True,
    on_select=_open_selected,
    selection_mode=ui.ROW_SELECTION,
    width="stretch",
    column_config={
        "flag": st.column_config.TextColumn("Look first", help=ui.DEFINITIONS["look_first"], width="medium"),
        "name": st.column_config.TextColumn("Account", pinned=True),
        "vertical": "Vertical",
        "csm": "CSM",
        "automation_pct": st.column_config.NumberColumn(
            "Automation", format="%.0f%%", help=ui.DEFINITIONS["automation_rate"] + " Over the potential's window (90 days)."
        ),
        "potential_pct": st.column_config.NumberColumn("Potential", format="%.0f%%", help=ui.DEFINITIONS["potential"]),
        "gap_pts": st.column_config.NumberColumn("Gap", format="%.1f pts", help=ui.DEFINITIONS["gap_pts"]),
        "trend_pct": st.column_config.LineChartColumn("Last 4 weeks", help="Weekly automation rate, %"),
        "conversations": st.column_config.NumberColumn("Conversations", format="compact"),
        # Whole dollars with separators ("dollar" would print cents on a yearly contract value).
        "arr_usd": st.column_config.NumberColumn("ARR", format="$%,d"),
        "renewal_date": st.column_config.DateColumn("Renewal", format="D MMM YYYY"),
        "top_action": st.column_config.TextColumn("Top action", width="medium", help="The first next best action and its expected gain. None suggested: no topic sits far enough below its peers for a step to pay off."),
    },
)  # fmt: skip


st.subheader("Current vs potential")
chart_data = rows.assign(
    look=rows["look_first"].notna().map({True: "Look first", False: "On track"})
)[
    [
        "name",
        "automation_rate",
        "potential",
        "gap_pts",
        "conversations",
        "arr_usd",
        "look",
        "look_first",
    ]
]
# Zoom to where the accounts are (to the nearest 10 pts): potentials cluster in a narrow band.
lo, hi = ui.zoom_domain(chart_data[["automation_rate", "potential"]].to_numpy().ravel())
x_scale, y_scale = alt.Scale(domain=[lo, hi]), alt.Scale(domain=[lo, hi])
diagonal = (
    alt.Chart(alt.Data(values=[{"x": lo, "y": lo}, {"x": hi, "y": hi}]))
    .mark_line(color="#bbbbbb", strokeDash=[4, 4])
    .encode(x=alt.X("x:Q", scale=x_scale), y=alt.Y("y:Q", scale=y_scale))
)
points = (
    alt.Chart(chart_data)
    .mark_circle(opacity=0.8, stroke="white", strokeWidth=1)
    .encode(
        x=alt.X("automation_rate:Q", title="Automation now", axis=alt.Axis(format="%"), scale=x_scale),
        y=alt.Y("potential:Q", title="Potential", axis=alt.Axis(format="%"), scale=y_scale),
        size=alt.Size("conversations:Q", title="Conversations", scale=alt.Scale(range=[60, 900])),
        color=alt.Color("look:N", title=None, scale=alt.Scale(domain=["Look first", "On track"], range=["#E45756", "#9e9e9e"]), legend=alt.Legend(orient="bottom")),
        tooltip=[
            alt.Tooltip("name:N", title="Account"),
            alt.Tooltip("automation_rate:Q", title="Automation", format=".0%"),
            alt.Tooltip("potential:Q", title="Potential", format=".0%"),
            alt.Tooltip("gap_pts:Q", title="Gap (pts)", format=".1f"),
            alt.Tooltip("conversations:Q", title="Conversations", format=","),
            alt.Tooltip("arr_usd:Q", title="ARR", format="$,.0f"),
            alt.Tooltip("look_first:N", title="Look first"),
        ],
    )
)  # fmt: skip
st.altair_chart((diagonal + points).properties(height=380), width="stretch")
st.caption(
    "Above the dashed line: room to grow. Below it: the account ran above what its mix and its "
    "peers suggest it sustains. Both axes cover the potential's window (the last 90 days). Bubble "
    "size: conversations in the window. Hover a bubble for the account's name and figures."
)
