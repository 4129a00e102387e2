"""Conversations: filter and read tagged conversations, correct a tag, download the rows."""

from datetime import date

import streamlit as st

from cockpit import queries, ui
from cockpit.contract import AUTOMATION_TYPES

ctx = ui.context()
con = ui.cursor(ctx.settings)
ui.require_tables(con, "conversations")

st.title("Conversations")
scope = (
    ui.text(ctx.accounts.get(ctx.account_id))
    if ctx.account_id
    else (f"{ui.text(ctx.csm)}'s accounts" if ctx.csm else "all accounts")
)
st.caption(
    f"Showing {scope} (change it in the sidebar). Text is masked; tags come from the last refresh."
)
topics = queries.topic_options(con)
first, last = queries.conversation_date_bounds(con)
first, last = first or date.today(), last or date.today()


def _day(v, default: date) -> date:
    try:
        return min(max(date.fromisoformat(str(v)), first), last)
    except ValueError:
        return default


# The date range lives in the URL (conv_from, conv_to), so a reload or a shared link shows the
# same set; a click-through sets it to the window its source counted.
ui.url_value("conv_from", ui.ALL)
ui.url_value("conv_to", ui.ALL)
reset = st.session_state.pop("_conv_dates_reset", False) or ui.history_navigation()
if reset or "conv_dates" not in st.session_state:
    st.session_state["conv_dates"] = (
        _day(st.session_state["conv_from"], first),
        _day(st.session_state["conv_to"], last),
    )
ui.url_value("conv_outcome", ui.ALL)
ui.url_value("conv_conf", 0, int)
ui.url_value("conv_q", "")
ui.url_value("conv_page", 1, int)
ui.url_value("conv_id", ui.ALL)

with st.container(key="conv_filters", border=True):
    f1, f2, f3, f4 = st.columns(4)
    ui.url_seed("conv_type", AUTOMATION_TYPES)
    kind = f1.selectbox(
        "Automation type",
        [ui.ALL, *AUTOMATION_TYPES],
        key="conv_type",
        format_func=lambda v: "All types" if v == ui.ALL else ui.type_label(v),
    )
    ui.url_seed("conv_topic", topics)
    topic = f2.selectbox(
        "Topic",
        [ui.ALL, *topics],
        key="conv_topic",
        format_func=lambda v: "All topics" if v == ui.ALL else topics.get(v, v),
    )
    OUTCOME_LABELS = {
        ui.ALL: "All outcomes",
        "ai": "Resolved by AI",
        "human": "Resolved by a human",
        "none": "Unresolved",
        "unknown": "Outcome unknown",
    }
    if st.session_state["conv_outcome"] not in OUTCOME_LABELS:
        st.session_state["conv_outcome"] = ui.ALL
    outcome = f3.selectbox(
        "Outcome", list(OUTCOME_LABELS), key="conv_outcome", format_func=OUTCOME_LABELS.get
    )
    if not 0 <= st.session_state["conv_conf"] <= 100:
        st.session_state["conv_conf"] = 0
    min_conf = f4.slider(
        "Min. tag confidence",
        0,
        100,
        step=5,
        format="%d%%",
        key="conv_conf",
        help="Lowest of the type and topic confidences.",
    )
    g1, g2 = st.columns([2, 3])
    dates = g1.date_input(
        "Date range", key="conv_dates", min_value=first, max_value=last, format="YYYY-MM-DD"
    )
    text = g2.text_input("Search text", key="conv_q", placeholder="e.g. refund, card, invoice")

# Every filter keeps its value in the URL, so any filtered view is a link.
ui.url_sync("conv_type", kind)
ui.url_sync("conv_topic", topic)
ui.url_write("conv_outcome", outcome, ui.ALL)
ui.url_write("conv_conf", min_conf, 0)
ui.url_write("conv_q", text, "")


def _emerging_filter() -> str | None:
    """The emerging topic a click-through on the Topics page asked for (kept in the URL)."""
    if "conv_emerging" not in st.session_state or ui.history_navigation():
        st.session_state["conv_emerging"] = st.query_params.get("conv_emerging", ui.ALL)
    cid = st.session_state["conv_emerging"]
    if cid in (None, "", ui.ALL):
        if "conv_emerging" in st.query_params:  # touch the URL only when it changes
            del st.query_params["conv_emerging"]
        return None
    if st.query_params.get("conv_emerging") != cid:
        st.query_params["conv_emerging"] = cid
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.info(f"Only the conversations of emerging topic **{cid}**.", icon=":material/filter_alt:")
    right.button("Show all", key="conv_emerging_clear", on_click=st.session_state.update, kwargs={"conv_emerging": ui.ALL})  # fmt: skip
    return cid


emerging = _emerging_filter()

start, end = (dates[0], dates[1]) if isinstance(dates, tuple) and len(dates) == 2 else (None, None)
narrowed = start is not None and end is not None and (start, end) != (first, last)
ui.url_write("conv_from", start.isoformat() if narrowed else ui.ALL, ui.ALL)
ui.url_write("conv_to", end.isoformat() if narrowed else ui.ALL, ui.ALL)

flt = queries.ConversationFilter(
    account_ids=(ctx.account_id,) if ctx.account_id else tuple(ctx.accounts),
    automation_type=None if kind == ui.ALL else kind,
    topic_id=None if topic == ui.ALL else topic,
    outcome=None if outcome == ui.ALL else outcome,
    min_confidence=min_conf / 100,
    start=start,
    end=end,
    text=text,
    emerging_id=emerging,
)
_, total = queries.conversation_page(con, flt, 1, 1)
n_pages = queries.page_count(total)
page_no = queries.clamp_page(st.session_state.get("conv_page"), total)
st.session_state["conv_page"] = page_no

head_l, head_r = st.columns([4, 1], vertical_alignment="bottom")
rows, total = queries.conversation_page(con, flt, page_no, queries.PAGE_SIZE)
head_l.markdown(
    f"**{total:,} conversations** match · {ui.day_range(start, end)} · page {page_no} of {n_pages}"
)
head_r.download_button(
    "CSV",
    lambda: queries.conversation_export(ui.cursor(ctx.settings), flt).to_csv(index=False),
    file_name="conversations.csv", mime="text/csv", icon=":material/download:", key="conv_csv",
    on_click="ignore", disabled=total == 0, help="Download every matching row as CSV",
)  # fmt: skip

pending = ui.pending_corrections(ctx.settings)
if rows.empty:
    st.info(
        "No conversation matches these filters. Widen the date range, lower the confidence or clear the search."
    )
else:
    rows = queries.overlay_corrections(rows, pending, topics)
    OUTCOMES = {"ai": "AI", "human": "Human", "none": "Unresolved", "unknown": "Unknown"}
    # At 1024 px the table keeps date, text, type, topic and outcome; the rest follow.
    columns = ["created_at", "text", "automation_type", "topic", "outcome", "account",
               "type_confidence", "topic_confidence", "corrected", "conversation_id"]  # fmt: skip
    if ctx.account_id:  # one account: its name is in the caption, not on every row
        columns.remove("account")
    st.dataframe(
        rows.assign(
            automation_type=rows["automation_type"].map(ui.type_label),
            outcome=rows["outcome"].map(lambda o: OUTCOMES.get(o, o) if isinstance(o, str) else "—"),
            type_confidence=rows["type_confidence"] * 100,
            topic_confidence=rows["topic_confidence"] * 100,
            corrected=[("pending" if p else "yes") if c else "" for c, p in zip(rows["corrected"], rows["pending"], strict=True)],
        )[columns],
        hide_index=True, key="conv_table", width="stretch", height=min(38 + 35 * len(rows), 600),
        on_select="rerun", selection_mode=ui.ROW_SELECTION,
        column_config={
            "created_at": st.column_config.DatetimeColumn(
                "Created (UTC)", format=ui.datetime_column_format(start, end)),
            "account": "Account",
            "text": st.column_config.TextColumn("Text (masked) — click to read it", width=240),
            "automation_type": "Type",
            "type_confidence": st.column_config.NumberColumn("Type conf.", format="%.0f%%", help="How sure the tagger is of the type"),
            "topic": "Topic",
            "topic_confidence": st.column_config.NumberColumn("Topic conf.", format="%.0f%%", help="How sure the tagger is of the topic"),
            "outcome": "Resolved by",
            "corrected": st.column_config.TextColumn("Corrected", help="yes: applied by a refresh; pending: saved, applied by the next refresh"),
            "conversation_id": "ID",
        },
    )  # fmt: skip
    if n_pages > 1:
        st.pagination(n_pages, key="conv_page")
    ui.url_write("conv_page", st.session_state.get("conv_page", 1), 1)
    picked = ui.selected_row("conv_table")
    if picked is not None:
        st.session_state["conv_id"] = rows.iloc[picked]["conversation_id"]

conv_id = st.session_state.get("conv_id", ui.ALL)
ui.url_write("conv_id", conv_id, ui.ALL)
if conv_id != ui.ALL:
    ui.conversation_view(con, conv_id, topics, pending)

AUDIT_COLUMNS = {
    "corrected_at": "When (UTC)", "corrected_by": "Who", "source": "From", "conversation_id": "ID",
    "old_automation_type": "Old type", "automation_type": "New type", "old_topic_id": "Old topic",
    "topic_id": "New topic", "note": "Note",
}  # fmt: skip
audit = ui.corrections_audit(ctx.settings, rows["conversation_id"].tolist())
if not audit.empty:
    with st.expander(f"Correction history ({len(audit)})", icon=":material/history:"):
        st.dataframe(audit[list(AUDIT_COLUMNS)], hide_index=True, key="conv_audit",
                     column_config=AUDIT_COLUMNS)  # fmt: skip

if not ui.can("correct"):
    st.caption(f"Read-only: your role ({ui.identity().role}) cannot correct tags.")
    st.stop()
ui.corrections_panel(ctx, con, conv_id, topics, pending)
