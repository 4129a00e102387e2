"""Account: KPIs vs the previous window and peers, trend vs potential, mix, issues and actions."""

import altair as alt
import streamlit as st

from cockpit import queries, ui
from cockpit.brief import KIND_LABELS
from cockpit.tagging.tagger import UNCERTAIN_TYPE_CONFIDENCE
from cockpit.ui.charts import trend_vs_potential, type_mix_bars, type_topic_heatmap
from cockpit.ui.emerging import decided

ctx = ui.context()
con = ui.cursor(ctx.settings)
ui.require_tables(con, "account")
ui.require_account(
    ctx, "Account", "Pick an account in the sidebar (or click one on the Portfolio page)."
)

acc = queries.account_summary(con, ctx.account_id)
MIN_WEEKLY = 10  # weeks with fewer conversations are left out of the trend chart
DAYS = acc["window_days"] or 28  # the cards, mix, heatmap and issues window
POT_DAYS = acc.get("potential_window_days") or 90  # the potential's own window
window = f"vs prior {DAYS} d"
# Cards, heatmap and top issues count the metric window; a click-through opens exactly it.
win_start, win_end = queries.account_window(con, ctx.account_id)


def _num(value, fmt: str, unit: str = "") -> str | None:
    return None if value is None else f"{value:{fmt}}{unit}"


st.title(ui.text(acc["name"]))  # data is text, never Markdown
facts = [
    ui.vertical_label(acc["vertical"]),
    f"{ui.text(acc['plan'].title())} plan" if acc.get("plan") else None,
    f"ARR {ui.usd(acc['arr_usd'])}",
    f"CSM {ui.text(acc['csm'] or '—')}",
    f"renews {acc['renewal_date']:%d %b %Y}" if acc.get("renewal_date") is not None else None,
]
st.caption(" · ".join(f for f in facts if f))


def emerging_alerts(account_id: str) -> None:
    """A note per emerging topic that grows fast in this account (owner: discovery)."""
    for t in queries.account_emerging_alerts(con, account_id, exclude=decided(ctx.settings)):
        st.warning(
            f"Emerging topic **{t['name']}** ({t['id']}) grows fast here: {t['recent']:,} "
            f"conversations in the last 28 days, {t['previous']:,} in the 28 before. The taxonomy "
            "cannot place it yet; see Topics → Emerging topics.",
            icon=":material/trending_up:",
        )


emerging_alerts(ctx.account_id)

# Two rows of three cards: at 1400 px six cards in one row truncate labels and deltas.
# Short labels with the window; the comparison and the peer ranks are in the caption below.
RATES = [  # (label, rate, its change in pts, definition)
    ("Automation", "automation_rate", "automation_rate_change_pts", "automation_rate"),
    ("AI involvement", "involvement_rate", "involvement_rate_change_pts", "involvement_rate"),
    ("AI resolution", "ai_resolution_rate", "ai_resolution_rate_change_pts", "ai_resolution_rate"),
]
for col, (label, rate, change, definition) in zip(st.columns(3), RATES, strict=True):
    col.metric(
        f"{label} · {DAYS} d",
        ui.pct(acc[rate], 1),
        ui.pts(acc[change]),
        help=ui.DEFINITIONS[definition] + " " + ui.DEFINITIONS["percentile"],
        border=True,
    )
ops = st.columns(3)
ops[0].metric(
    f"CSAT · {DAYS} d",  # "CSAT AI / human · 28 d" was cut at 1024 px; the caption says which
    f"{_num(acc['csat_ai'], '.1f') or '—'} / {_num(acc['csat_human'], '.1f') or '—'}",
    _num(acc["csat_ai_change"], "+.2f", " AI"),
    help=ui.DEFINITIONS["csat"] + " The change and the peer rank are for AI-resolved CSAT.",
    border=True,
)
ops[1].metric(
    f"Handle time · {DAYS} d",
    _num(acc["handle_time_median_min"], ".1f", " min") or "—",
    _num(acc["handle_time_median_change_min"], "+.1f", " min"),
    delta_color="inverse",
    help=ui.DEFINITIONS["handle_time"],
    border=True,
)
ops[2].metric(
    f"Conversations · {DAYS} d",
    f"{acc['conversations']:,.0f}" if acc["conversations"] is not None else "—",
    _num(acc["conversations_change_pct"], "+.0f", "%"),
    delta_color="off",
    help=ui.DEFINITIONS["conversations"],
    border=True,
)
# The comparison and the peer ranks go below the cards, where they wrap: inside a card they
# were cut at 1024 px ("vs prior 2…").
ranks = [
    f"{name} {ui.percentile(acc.get(key))}"
    for name, key in [("automation", "automation_percentile"),
                      ("AI involvement", "involvement_percentile"),
                      ("AI resolution", "ai_resolution_percentile"),
                      ("AI CSAT", "csat_ai_percentile")]
    if acc.get(key) is not None
]  # fmt: skip
st.caption(
    f"Last {DAYS} days; CSAT is AI-resolved / human-handled; the changes are {window}."
    + (f" Rank among all accounts: {', '.join(ranks)}." if ranks else "")
)

left, right = st.columns([3, 2])
with left:
    st.subheader("Automation vs potential", help=ui.DEFINITIONS["potential"])
    weekly = queries.account_weekly(con, ctx.account_id)
    # A rate over a handful of conversations (e.g. the account's first days) is noise.
    sparse = weekly["conversations"] < MIN_WEEKLY
    weekly = weekly[~sparse]
    if weekly.empty:
        st.info(
            f"No week has {MIN_WEEKLY} or more conversations yet, so there is no trend to draw "
            f"({int(sparse.sum())} thinner week(s) left out: their rates are noise).",
            icon=":material/show_chart:",
        )
    else:
        st.altair_chart(trend_vs_potential(weekly), width="stretch")
    st.caption(
        f"Blue: weekly automation. Green band: the potential over the last {POT_DAYS} days, the "
        "window it was computed on (it is not drawn on earlier weeks)."
        + (
            f" {sparse.sum()} week(s) with fewer than {MIN_WEEKLY} conversations not shown."
            if sparse.any()
            else ""
        )
    )
with right:
    st.subheader("Mix by type", help=ui.DEFINITIONS["automation_type"])
    mix = queries.account_type_mix(con, ctx.account_id)
    mix["label"] = mix["automation_rate"].map(lambda r: f"{ui.pct(r)} automated")
    st.altair_chart(type_mix_bars(mix, days=DAYS), width="stretch")
    unsure = queries.uncertain_counts(con, ctx.account_id)
    if not unsure.empty:
        u = unsure.iloc[0]
        st.caption(
            f"Uncertain type: {u['uncertain']:,} of all {u['tagged']:,} tagged conversations "
            f"(any date; {ui.pct(u['uncertain_share'], 1)}) have a type confidence below "
            f"{ui.pct(UNCERTAIN_TYPE_CONFIDENCE)}: the mix counts them as tagged, worth a review."
        )

st.subheader("Why this potential", help=ui.DEFINITIONS["potential"])
if acc.get("potential") is None:
    st.info("The potential is not computed yet: run `cockpit refresh`.", icon=":material/info:")
else:
    # One window for the three figures (the potential's), so gap = potential − today exactly.
    p_cols = st.columns(3)
    p_cols[0].metric(
        f"Potential · {POT_DAYS} d",
        ui.pct(acc["potential"]),
        help=ui.DEFINITIONS["potential"],
        delta_description=f"likely {ui.pct(acc['potential_low'])}–{ui.pct(acc['potential_high'])}",
        border=True,
    )
    p_cols[1].metric(
        f"Automation · {POT_DAYS} d",
        ui.pct(acc.get("potential_rate_today"), 1),
        help=ui.DEFINITIONS["automation_rate"] + f" Over the potential's {POT_DAYS}-day window.",
        border=True,
    )
    p_cols[2].metric(
        f"Gap · {POT_DAYS} d",
        ui.pts(acc["gap_pts"]),
        help=ui.DEFINITIONS["gap_pts"] + " Potential − automation today, same window.",
        delta_description="potential − automation",
        border=True,
    )
    if acc.get("potential_method"):
        st.markdown(ui.text(acc["potential_method"]))
    contrib = queries.account_contributions(con, ctx.account_id)
    if contrib.empty:
        st.caption("No topic adds to the potential: every one is at or above its peers.")
    else:
        st.dataframe(
            contrib.assign(
                cell=contrib["topic"] + " · " + contrib["automation_type"].map(ui.type_label),
                share_pct=contrib["share"] * 100,
                current_pct=contrib["current_rate"] * 100,
                target_pct=contrib["target_rate"] * 100,
                enabler=contrib["enabler"].map(lambda e: KIND_LABELS.get(e, e) if e else "—"),
                # What the cell adds comes right after it: at 1024 px the last columns scroll.
            )[["cell", "contribution_pts", "share_pct", "current_pct", "target_pct", "enabler"]],
            key="acct_contrib",
            hide_index=True,
            width="stretch",
            column_config={
                "cell": st.column_config.TextColumn("Topic · type", width=190),
                "share_pct": st.column_config.NumberColumn("Share", format="%.0f%%"),
                "current_pct": st.column_config.NumberColumn("Today", format="%.0f%%"),
                "target_pct": st.column_config.NumberColumn("Peers reach", format="%.0f%%"),
                "enabler": "Step",
                "contribution_pts": st.column_config.NumberColumn(
                    "Adds", format="+%.1f pts", help="This cell's part of the gap"
                ),
            },
        )
        st.caption(
            f"The {len(contrib)} cells adding most to the gap, over the last {POT_DAYS} days "
            "(all of them: `cockpit account ID --json`)."
        )

st.subheader("Where conversations go: type × topic")
st.caption(
    "Colour: automation rate · number: conversations in the window · ⚡ volume spike. "
    "Click a cell to read its conversations."
)
cells = queries.account_cells(con, ctx.account_id)
cells["label"] = cells["conversations"].map(ui.compact) + cells["spike"].map(
    lambda s: " ⚡" if s else ""
)
# Busiest topics first; ids stay in the data so a click can filter the Conversations page.
topic_order = (
    cells.groupby("topic")["conversations"].sum().sort_values(ascending=False).index.tolist()
)
pick = alt.selection_point(name="cell", fields=["automation_type", "topic_id"])


def _open_cell() -> None:
    chosen = st.session_state["acct_heat"].selection.get("cell") or []
    if chosen:
        c = chosen[0]
        ui.go(
            "app_pages/conversations.py",
            **ui.conversations_state(
                ctx.account_id, c.get("automation_type"), c.get("topic_id"), win_start, win_end
            ),
        )


st.altair_chart(
    type_topic_heatmap(cells, topic_order, pick),
    width="stretch",
    key="acct_heat",
    on_select=_open_cell,
    selection_mode="cell",
)

issues_col, actions_col = st.container(), st.container()
with issues_col:
    st.subheader(
        "Top issues", help="What holds automation back, ranked by unresolved volume × gap to peers."
    )
    issues = queries.account_top_issues(con, ctx.account_id)

    st.dataframe(
        issues.assign(
            automation_pct=issues["automation_rate"] * 100,
            # 'Other' mixes topics: it has no peer benchmark, and a blank cell would read None.
            benchmark_pct=issues["benchmark_rate"].map(
                lambda r: "no peers" if r is None or r != r else f"{100 * r:.0f}%"
            ),
            spike=issues["spike"].map(lambda s: "⚡" if s else ""),
            # No trend: the cell had no conversation in the previous window (a blank reads None).
            trend_pts=issues["trend_pts"].map(
                lambda t: "new" if t is None or t != t else f"{t:+.1f} pts"
            ),
            topic=issues["topic"] + " · " + issues["automation_type"].map(ui.type_label),
        )[
            # Columns by priority: at 1024 px the grid keeps the cell, its rate, the peers'
            # rate, the trend and the count a click-through opens; the rest scroll.
            [
                "rank",
                "topic",
                "automation_pct",
                "benchmark_pct",
                "trend_pts",
                "conversations",
                "hours_per_month",
                "spike",
            ]
        ],
        key="acct_issues",
        hide_index=True,
        on_select=ui.open_row_conversations(
            "acct_issues", issues, ctx.account_id, win_start, win_end
        ),
        selection_mode="single-row",
        width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn("#", width=40),
            "topic": st.column_config.TextColumn("Topic · type", width=190),
            "conversations": st.column_config.NumberColumn(
                "Conversations", format="compact", width="small"
            ),
            "automation_pct": st.column_config.NumberColumn(
                "Automation", format="%.0f%%", width="small"
            ),
            "benchmark_pct": st.column_config.TextColumn(
                "Peers",
                width="small",
                help="Benchmark automation of peers in the vertical. 'Other' has none: it "
                "mixes topics the tagger could not name, so no peer comparison is meaningful.",
            ),
            "trend_pts": st.column_config.TextColumn(
                "Trend",
                width="small",
                help="Automation now minus in the previous window of the same length, in points; "
                "'new': the cell had no conversation in the previous window.",
            ),
            "spike": st.column_config.TextColumn("Spike", width="small"),
            "hours_per_month": st.column_config.NumberColumn(
                "Human hours",
                format="%.1f h / mo",
                help="Human handle time this issue costs per month",
            ),
        },
    )
    st.caption(
        f"Last {acc['window_days'] or 28} days ({ui.day_range(win_start, win_end)}). "
        "Click a row to read exactly the conversations it counts."
    )
with actions_col:
    st.subheader(
        "Next best actions", help="What to deploy next and what it should bring, per month."
    )
    actions = queries.account_actions(con, ctx.account_id)

    st.dataframe(
        actions.assign(
            kind=actions["kind"].map(lambda k: KIND_LABELS.get(k, k)),
            topic=actions["topic"] + " · " + actions["automation_type"].map(ui.type_label),
            confidence=[
                ui.confidence_label(c, t)
                for c, t in zip(actions["confidence"], actions["thin_evidence"], strict=True)
            ],
        )[
            # Columns by priority: at 1024 px the grid is ~560 px wide and keeps what to do,
            # where, and what it brings (gain, hours, confidence); the rest scroll.
            [
                "rank",
                "topic",
                "gain_pts",
                "hours_saved_per_month",
                "confidence",
                "kind",
                "extra_ai_resolved_per_month",
            ]
        ],
        key="acct_actions",
        hide_index=True,
        on_select=ui.open_row_conversations("acct_actions", actions, ctx.account_id),
        selection_mode="single-row",
        width="stretch",
        column_config={
            "rank": st.column_config.NumberColumn(
                "#", width=40, help=ui.DEFINITIONS["action_rank"]
            ),
            "kind": "Action",
            "topic": st.column_config.TextColumn("Topic · type", width="medium"),
            "gain_pts": st.column_config.NumberColumn(
                "Gain", format="+%.1f pts", help="Expected automation gain", width="small"
            ),
            "extra_ai_resolved_per_month": st.column_config.NumberColumn(
                "+AI-resolved",
                format="%.0f / mo",
                help="Extra conversations the AI resolves per month",
            ),
            "hours_saved_per_month": st.column_config.NumberColumn(
                "Hours",  # "Hours saved" was cut at 1024 px; the unit says "h / mo"
                format="%.1f h / mo",
                help="Human handle time saved per month",
                width="small",
            ),
            "confidence": st.column_config.TextColumn(
                "Confidence", width=95, help=ui.DEFINITIONS["action_rank"]
            ),
        },
    )
    if actions.empty:
        st.info(
            "No action suggested: no topic of this account sits far enough below its peers "
            f"(gap {ui.pts(acc.get('gap_pts'))} over {POT_DAYS} days) for a step to pay off.",
            icon=":material/check_circle:",
        )
    else:
        st.caption("Click a row to read the conversations behind it.")
    # The reasoning is a sentence or two per action: too long for a grid cell.
    with st.expander("Why these actions", icon=":material/lightbulb:", key="acct_why"):
        st.markdown(
            "\n".join(
                f"{r.rank}. **{KIND_LABELS.get(r.kind, r.kind)}: {ui.text(r.topic)}** "
                f"({ui.type_label(r.automation_type).lower()}) — {ui.text(r.rationale)}"
                for r in actions.itertuples()
            )
            or "No action suggested."
        )
