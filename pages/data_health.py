"""Data health: pipeline runs, freshness, quarantine, tag coverage, versions and backtest record."""

import json

import altair as alt
import streamlit as st

from cockpit import queries, ui

ctx = ui.context()
con = ui.cursor(ctx.settings)

st.title("Data health")
overview = queries.store_overview(con)
meta = queries.meta_items(con)
have = {
    t: not queries.missing_tables(con, [t]) for t in ("runs", "quarantine", "tags", "backtest_runs")
}

k = st.columns(5)
k[0].metric("Data as of", f"{overview['as_of']:%d %b %Y}" if overview["as_of"] else "—")
k[1].metric(
    "Last successful refresh",
    ui.age(overview["last_success_at"]),
    help=f"{overview['last_success_at']:%d %b %Y %H:%M} UTC"
    if overview["last_success_at"]
    else None,
)
k[2].metric(
    "Quarantined rows",
    queries.quarantine_count(con) if have["quarantine"] else 0,
    help="Rows refused by validation; see the reasons below.",
)
k[3].metric("Taxonomy", meta.get("taxonomy_version", "—"))
k[4].metric("Model", (meta.get("model_id") or "—").rsplit("/", 1)[-1])  # fmt: skip

st.subheader("Pipeline runs")
if have["runs"]:
    runs = queries.recent_runs(con)
    if runs.empty:
        st.info("No pipeline run recorded yet. Run `cockpit refresh`.")
    else:
        st.dataframe(
            runs, hide_index=True, key="dh_runs", width="stretch",
            column_config={
                "run_id": "Run", "command": "Command", "status": "Status",
                "started_at": st.column_config.DatetimeColumn("Started (UTC)", format="D MMM HH:mm"),
                "ended_at": st.column_config.DatetimeColumn("Ended (UTC)", format="D MMM HH:mm"),
                "duration_s": st.column_config.NumberColumn("Duration", format="%.0f s"),
                "exit_code": "Exit", "error": st.column_config.TextColumn("Error", width="large"),
            },
        )  # fmt: skip
        steps = queries.run_step_rows(con, runs["run_id"].head(3).tolist())
        steps["rows"] = steps["counts"].map(
            lambda c: ", ".join(f"{k} {v:,}" for k, v in json.loads(c).items()) if c else ""
        )
        with st.expander("Steps of the last 3 runs", key="dh_steps_exp"):
            st.dataframe(
                steps[["run_id", "step", "status", "duration_s", "rows"]], hide_index=True,
                key="dh_steps", width="stretch",
                column_config={"duration_s": st.column_config.NumberColumn("Duration", format="%.1f s"),
                               "rows": st.column_config.TextColumn("Counts", width="large")},
            )  # fmt: skip
else:
    st.info("No run log yet. Run `cockpit refresh`.")

st.subheader("Quarantined rows")
if have["quarantine"] and queries.quarantine_count(con):
    q1, q2 = st.columns([2, 3])
    q1.dataframe(
        queries.quarantine_by_reason(con),
        hide_index=True,
        key="dh_q_reason",
        width="stretch",
        column_config={
            "rows": st.column_config.NumberColumn("Rows", format="%d"),
            "last_seen": st.column_config.DatetimeColumn("Last seen", format="D MMM HH:mm"),
        },
    )
    q2.dataframe(
        queries.quarantine_sample(con), hide_index=True, key="dh_q_sample", width="stretch"
    )
    st.caption(
        "Fix the source export and re-run `cockpit ingest FILE`; corrected rows replace the quarantined ones."
    )
else:
    st.success("No quarantined rows: every ingested row passed validation.")  # fmt: skip

st.subheader("Tagging")
if have["tags"]:
    cov = queries.tag_coverage(con)
    t = st.columns(4)
    t[0].metric("Tagged", f"{cov['tagged']:,} / {cov['conversations']:,}")
    t[1].metric("Topic 'other'", ui.pct(cov["other_share"], 1), help=ui.DEFINITIONS["other_share"])
    t[2].metric("Corrected by users", f"{cov['corrected'] or 0:,}")
    t[3].metric("Median topic confidence", ui.pct(cov["median_topic_confidence"]))
    hist = queries.confidence_histogram(con)
    chart = alt.Chart(hist).mark_bar(opacity=0.85).encode(
        x=alt.X("bin_start:Q", bin="binned", title="Confidence", axis=alt.Axis(format="%")),
        x2="bin_end:Q",
        y=alt.Y("n:Q", title="Tags", stack=None),
        color=alt.Color("kind:N", title="Confidence of", scale=alt.Scale(domain=["type", "topic"], range=["#4C78A8", "#B279A2"]),
                        legend=alt.Legend(orient="bottom")),
        xOffset="kind:N",
        tooltip=["kind:N", alt.Tooltip("bin_start:Q", title="From", format=".0%"), alt.Tooltip("n:Q", title="Tags")],
    )  # fmt: skip
    st.altair_chart(chart.properties(height=240), width="stretch")
else:
    st.info("No tags yet. Run `cockpit refresh` to tag conversations.")

st.subheader("Versions")
st.dataframe([{"key": k_, "value": v} for k_, v in meta.items()], hide_index=True, key="dh_meta")

st.subheader(
    "Backtest track record",
    help="Potential predicted at a past cutoff vs what the account achieved since.",
)
summary, points = queries.backtest_latest(con) if have["backtest_runs"] else (None, None)
if summary is None:
    st.info("No backtest yet. Run `cockpit backtest` (or `cockpit refresh`).")
else:
    b = st.columns(3)
    b[0].metric(
        "MAE (achieved)",
        f"{summary['mae_realised_pts']:.1f} pts",
        help="Mean absolute error of predicted potential vs achieved automation.",
    )
    b[1].metric("Within 5 pts", ui.pct(summary["within5_realised"]))
    b[2].metric(
        "Cutoff",
        f"{summary['cutoff']:%d %b %Y}",
        help=f"Method: {summary['method']} · {summary['n_accounts']} accounts",
    )
    diag = (
        alt.Chart(alt.Data(values=[{"v": 0}, {"v": 1}]))
        .mark_line(color="#bbb", strokeDash=[4, 4])
        .encode(x="v:Q", y="v:Q")
    )
    err = (
        alt.Chart(points)
        .mark_rule(color="#4C78A8", opacity=0.4)
        .encode(x="predicted:Q", y="low:Q", y2="high:Q")
    )
    dots = alt.Chart(points).mark_circle(size=90, color="#4C78A8").encode(
        x=alt.X("predicted:Q", title="Predicted potential", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        y=alt.Y("realised:Q", title="Achieved automation", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=["name:N", alt.Tooltip("predicted:Q", format=".0%"), alt.Tooltip("realised:Q", format=".0%"),
                 alt.Tooltip("low:Q", format=".0%"), alt.Tooltip("high:Q", format=".0%")],
    )  # fmt: skip
    st.altair_chart((diag + err + dots).properties(height=320), width="stretch")
