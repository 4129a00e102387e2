"""Data health: pipeline runs, freshness, quarantine, tag coverage, versions and backtest record."""

import json

import altair as alt
import streamlit as st

from cockpit import queries, ui
from cockpit.tagging.tagger import UNCERTAIN_TYPE_CONFIDENCE

ctx = ui.context()
con = ui.cursor(ctx.settings)

st.title("Data health")
overview = queries.store_overview(con)
meta = queries.meta_items(con)
have = {
    t: not queries.missing_tables(con, [t]) for t in ("runs", "quarantine", "tags", "backtest_runs")
}
cov = queries.tag_coverage(con) if have["tags"] else {}

# Two rows of three: version strings (taxonomy "2026.11.2+2b1dcb4f", model ids) do not fit a
# fifth of the page; the full values are in the Versions table below.
taxonomy = meta.get("taxonomy_version") or "—"
model = meta.get("model_id") or "—"
k = st.columns(3)
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
# Versions in two halves: in thirds, the taxonomy release ("2026.12.1") was cut at 1024 px and
# the model name ("all-MiniLM-L6-v2") at 1440 px; the variant ("+onnx-int8") is in the label.
v = st.columns(2)
name, _, variant = model.rsplit("/", 1)[-1].partition("+")
v[0].metric("Taxonomy", taxonomy.split("+", 1)[0], help=f"Taxonomy version {taxonomy}")
v[1].metric(f"Model · {variant}" if variant else "Model", name, help=f"Embedding model {model}")
st.metric("Tagged conversations", ui.pct(cov["tagged"] / cov["conversations"]) if have["tags"] and cov["conversations"] else "—",
          help=f"{cov['tagged']:,} of {cov['conversations']:,} conversations carry a tag." if have["tags"] else None,
          border=False)  # fmt: skip
if have["tags"] and cov["tagged"]:
    unsure = queries.uncertain_counts(con)
    st.caption(
        f"Uncertain type: {int(unsure['uncertain'].sum()):,} of {cov['tagged']:,} tagged "
        f"conversations have a type confidence below {ui.pct(UNCERTAIN_TYPE_CONFIDENCE)} "
        f"(most in {', '.join(unsure[unsure['uncertain'] > 0]['account_id'].head(3)) or 'none'})."
    )

st.subheader("Pipeline runs")
if have["runs"]:
    runs = queries.recent_runs(con)
    if runs.empty:
        st.info("No pipeline run recorded yet. Run `cockpit refresh`.")
    else:
        st.dataframe(
            runs.assign(error=runs["error"].fillna("")), hide_index=True, key="dh_runs", width="stretch",
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
        if ui.can("details"):
            with st.expander("Steps of the last 3 runs", key="dh_steps_exp"):
                st.dataframe(
                    steps[["run_id", "step", "status", "duration_s", "rows"]], hide_index=True,
                    key="dh_steps", width="stretch",
                    column_config={"run_id": "Run", "step": "Step", "status": "Status",
                                   "duration_s": st.column_config.NumberColumn("Duration", format="%.1f s"),
                                   "rows": st.column_config.TextColumn("Counts", width="large")},
                )  # fmt: skip
else:
    st.info("No run log yet. Run `cockpit refresh`.")

st.subheader("Quarantined rows")
if have["quarantine"] and queries.quarantine_count(con):
    where = {
        "table_name": st.column_config.TextColumn(
            "Data set", help="Which export the row came from"
        ),
        "column_name": st.column_config.TextColumn(
            "Field", help="The field that failed validation"
        ),
        "reason": st.column_config.TextColumn("Why it was refused", width="large"),
    }
    st.dataframe(
        queries.quarantine_by_reason(con),
        hide_index=True,
        key="dh_q_reason",
        width="stretch",
        column_config={
            **where,
            "rows": st.column_config.NumberColumn("Rows", format="%d"),
            "last_seen": st.column_config.DatetimeColumn("Last seen (UTC)", format="D MMM HH:mm"),
        },
    )
    waiting = queries.quarantine_waiting(con)
    if len(waiting):  # rows that load by themselves once their parent arrives
        st.dataframe(
            waiting,
            hide_index=True,
            key="dh_q_waiting",
            width="stretch",
            column_config={
                "table_name": st.column_config.TextColumn("Waiting in quarantine"),
                "waiting_for": st.column_config.TextColumn("for a row of"),
                "missing_id": st.column_config.TextColumn("Missing id"),
                "rows": st.column_config.NumberColumn("Rows", format="%d"),
                "waiting_since": st.column_config.DatetimeColumn("Since (UTC)", format="D MMM"),
            },
        )
        st.caption(
            "These rows load by themselves at the next ingest or refresh once the missing row "
            "arrives; `cockpit quarantine list` shows them, `cockpit quarantine retry` retries now."
        )
    # Raw rows may carry unmasked fields: the data and admin roles only.
    if ui.can("details"):
        sample = queries.quarantine_sample(con)
        with st.expander(f"Latest {len(sample)} refused rows", key="dh_q_sample_exp"):
            st.dataframe(
                sample.assign(file=sample["file"].map(lambda f: str(f).rsplit("/", 1)[-1])),
                hide_index=True,
                key="dh_q_sample",
                width="stretch",
                column_config={
                    "file": st.column_config.TextColumn("File"),
                    "row_number": st.column_config.NumberColumn("Row", format="%d"),
                    **where,
                    "raw": st.column_config.TextColumn("Row as received", width="large"),
                    "quarantined_at": st.column_config.DatetimeColumn(
                        "Refused at (UTC)", format="D MMM HH:mm"
                    ),
                },
            )
    st.caption(
        "Fix the source export and re-run `cockpit ingest FILE`; corrected rows replace the quarantined ones."
    )
else:
    st.success("No quarantined rows: every ingested row passed validation.")  # fmt: skip

st.subheader("Tagging")
if have["tags"]:
    t = st.columns(4)
    t[0].metric(
        "Conversations tagged",
        f"{cov['tagged']:,}",
        help=f"{cov['tagged']:,} of {cov['conversations']:,} conversations carry a tag.",
    )
    t[1].metric("Topic 'other'", ui.pct(cov["other_share"], 1), help=ui.DEFINITIONS["other_share"])
    t[2].metric("Corrected by users", f"{cov['corrected'] or 0:,}")
    t[3].metric("Median topic confidence", ui.pct(cov["median_topic_confidence"]))
    hist = queries.confidence_histogram(con)
    hist = hist.assign(
        bin=hist["bin_start"].map(lambda b: f"{b * 100:.0f}–{(b + 0.05) * 100:.0f}%"),
        kind=hist["kind"].map({"type": "Automation type", "topic": "Topic"}),
    )
    chart = alt.Chart(hist).mark_bar().encode(
        x=alt.X("bin:O", title="Tag confidence", sort=alt.EncodingSortField("bin_start"), axis=alt.Axis(labelAngle=-45)),
        xOffset=alt.XOffset("kind:N", sort=["Automation type", "Topic"]),
        y=alt.Y("n:Q", title="Conversations"),
        color=alt.Color("kind:N", title="Confidence of", scale=alt.Scale(domain=["Automation type", "Topic"], range=["#4C78A8", "#B279A2"]),
                        legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("kind:N", title="Confidence of"), alt.Tooltip("bin:O", title="Confidence"),
                 alt.Tooltip("n:Q", title="Conversations", format=",")],
    )  # fmt: skip
    st.altair_chart(chart.properties(height=240), width="stretch")
else:
    st.info("No tags yet. Run `cockpit refresh` to tag conversations.")

st.subheader("Versions")
META_LABELS = {
    "as_of": "Data as of",
    "demo_seed": "Demo seed",
    "last_refresh_run_id": "Last refresh run",
    "model_id": "Embedding model",
    "taxonomy_version": "Taxonomy version",
}
st.dataframe(
    [
        {"item": META_LABELS.get(k_, k_.replace("_", " ").capitalize()), "value": v}
        for k_, v in meta.items()
    ],
    hide_index=True,
    key="dh_meta",
    column_config={"item": "Item", "value": "Value"},
)

st.subheader(
    "Backtest track record",
    help="Potential predicted at a past cutoff vs what the account achieved since.",
)
summary, points = queries.backtest_latest(con) if have["backtest_runs"] else (None, None)
if summary is None:
    st.info("No backtest yet. Run `cockpit backtest` (or `cockpit refresh`).")
else:
    record = queries.backtest_track_record(summary)
    if record.thin:
        st.info(record.sentence())
    else:
        b = st.columns(3)
        b[0].metric(
            "MAE (achieved)",
            f"{record.mae_pts:.1f} pts",
            help=f"Mean absolute error of predicted potential vs achieved automation, over "
            f"{record.n_realised} accounts that deployed their missing enablers.",
        )
        b[1].metric("Bias", f"{record.bias_pts:+.1f} pts", help="Mean predicted − achieved.")
        b[2].metric("Likely range held", ui.pct(record.coverage), help="Target: about 80%.")
    # Its own row: the cutoff date needs a wide card at 1024 px.
    st.columns([1.5, 2])[0].metric(
        "Cutoff",
        f"{summary['cutoff']:%d %b %Y}",
        help=f"Method: {summary['method']} · {summary['n_accounts']} accounts predicted, "
        f"{record.n_realised} realised",
    )
    # Zoom to where the accounts are (rounded to 10 pts) so the error bars are readable.
    lo, hi = ui.zoom_domain(points[["predicted", "realised", "low", "high"]].to_numpy().ravel())
    domain = alt.Scale(domain=[lo, hi])
    diag = (
        alt.Chart(alt.Data(values=[{"v": lo}, {"v": hi}]))
        .mark_line(color="#bbb", strokeDash=[4, 4])
        .encode(x=alt.X("v:Q", scale=domain), y=alt.Y("v:Q", scale=domain))
    )
    err = (
        alt.Chart(points)
        .mark_rule(color="#4C78A8", opacity=0.4)
        .encode(x="predicted:Q", y="low:Q", y2="high:Q")
    )
    dots = alt.Chart(points).mark_circle(size=90, color="#4C78A8").encode(
        x=alt.X("predicted:Q", title="Predicted potential", axis=alt.Axis(format="%"), scale=domain),
        y=alt.Y("realised:Q", title="Achieved automation", axis=alt.Axis(format="%"), scale=domain),
        tooltip=[alt.Tooltip("name:N", title="Account"), alt.Tooltip("predicted:Q", title="Predicted", format=".0%"),
                 alt.Tooltip("realised:Q", title="Achieved", format=".0%"),
                 alt.Tooltip("low:Q", title="Predicted low", format=".0%"), alt.Tooltip("high:Q", title="Predicted high", format=".0%")],
    )  # fmt: skip
    st.altair_chart((diag + err + dots).properties(height=320), width="stretch")

st.subheader(
    "Corrections audit", help="Every tag correction: who, when, from the app or the CLI, old → new."
)
audit = ui.corrections_audit(ctx.settings, limit=50)
if audit.empty:
    st.info("No tag corrections yet (Conversations page, or `cockpit tag correct`).")
else:
    st.dataframe(
        audit, hide_index=True, key="dh_audit", width="stretch",
        column_config={
            "corrected_at": "When (UTC)", "corrected_by": "Who", "source": "From", "role": "Role",
            "conversation_id": "Conversation", "old_automation_type": "Old type",
            "automation_type": "New type", "old_topic_id": "Old topic", "topic_id": "New topic",
            "note": "Note",
        },
    )  # fmt: skip
    st.caption("The latest 50; `cockpit audit` lists them all.")
overrides = ui.overrides_audit(ctx.settings, limit=50)
if not overrides.empty:
    st.markdown("**Type overrides** (`cockpit audit --overrides` lists them all)")
    st.dataframe(
        overrides, hide_index=True, key="dh_override_audit", width="stretch",
        column_config={
            "changed_at": "When (UTC)", "changed_by": "Who", "source": "From", "role": "Role",
            "account_id": "Account", "vertical": "Vertical", "topic_id": "Topic",
            "old_automation_type": "Old type", "automation_type": "New type", "note": "Note",
        },
    )  # fmt: skip
