"""Conversations: filter and read tagged conversations, correct a tag, download the rows."""

from datetime import date

import streamlit as st

from cockpit import queries, ui
from cockpit.contract import AUTOMATION_TYPES
from cockpit.errors import CockpitError

ctx = ui.context()
con = ui.cursor(ctx.settings)
ui.require_tables(con, "conversations")

st.title("Conversations")
scope = (
    ctx.accounts.get(ctx.account_id)
    if ctx.account_id
    else (f"{ctx.csm}'s accounts" if ctx.csm else "all accounts")
)
st.caption(
    f"Showing {scope} (change it in the sidebar). Text is masked; tags come from the last refresh."
)
topics = queries.topic_options(con)
first, last = queries.conversation_date_bounds(con)

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
    outcome = f3.selectbox(
        "Outcome",
        [ui.ALL, "ai", "human", "none", "unknown"],
        key="conv_outcome",
        bind="query-params",
        format_func={
            ui.ALL: "All outcomes",
            "ai": "Resolved by AI",
            "human": "Resolved by a human",
            "none": "Unresolved",
            "unknown": "Outcome unknown",
        }.get,
    )
    min_conf = f4.slider(
        "Min. tag confidence",
        0,
        100,
        0,
        5,
        format="%d%%",
        key="conv_conf",
        bind="query-params",
        help="Lowest of the type and topic confidences.",
    )
    g1, g2 = st.columns([1, 3])
    dates = g1.date_input(
        "Date range", (first or date.today(), last or date.today()), key="conv_dates"
    )
    text = g2.text_input("Search text", key="conv_q", bind="query-params", placeholder="e.g. refund, card, invoice")  # fmt: skip

# Type and topic keep ids in the URL (also when a click-through set them), so any filtered view
# is a link.
ui.url_sync("conv_type", kind)
ui.url_sync("conv_topic", topic)


def _emerging_filter() -> str | None:
    """The emerging topic a click-through on the Topics page asked for (kept in the URL)."""
    if "conv_emerging" not in st.session_state:
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
n_pages = max(1, -(-total // queries.PAGE_SIZE))
if st.session_state.get("conv_page", 1) > n_pages:
    st.session_state["conv_page"] = 1

head_l, head_r = st.columns([3, 1], vertical_alignment="bottom")
page_no = st.session_state.get("conv_page", 1)
rows, total = queries.conversation_page(con, flt, page_no, queries.PAGE_SIZE)
head_l.markdown(f"**{total:,} conversations** match · page {page_no} of {n_pages}")
head_r.download_button(
    "Download CSV",
    lambda: queries.conversation_export(ui.cursor(ctx.settings), flt).to_csv(index=False),
    file_name="conversations.csv", mime="text/csv", icon=":material/download:", key="conv_csv",
    on_click="ignore", disabled=total == 0,
)  # fmt: skip

if rows.empty:
    st.info(
        "No conversation matches these filters. Widen the date range, lower the confidence or clear the search."
    )
    st.stop()

# Corrections made in this session show at once, before the next refresh re-tags.
overlay = st.session_state.setdefault("_corrections", {})
for cid, (new_type, new_topic) in overlay.items():
    hit = rows["conversation_id"] == cid
    rows.loc[hit, ["automation_type", "topic_id", "topic", "corrected"]] = [new_type, new_topic, topics.get(new_topic, new_topic), True]  # fmt: skip

OUTCOMES = {"ai": "AI", "human": "Human", "none": "Unresolved", "unknown": "Unknown"}
columns = ["created_at", "account", "text", "automation_type", "type_confidence", "topic",
           "topic_confidence", "outcome", "corrected", "conversation_id"]  # fmt: skip
if ctx.account_id:  # one account: its name is in the caption, not on every row
    columns.remove("account")
st.dataframe(
    rows.assign(
        automation_type=rows["automation_type"].map(ui.type_label),
        outcome=rows["outcome"].map(lambda o: OUTCOMES.get(o, o) if isinstance(o, str) else "—"),
        type_confidence=rows["type_confidence"] * 100,
        topic_confidence=rows["topic_confidence"] * 100,
    )[columns],
    hide_index=True, key="conv_table", width="stretch", height=min(38 + 35 * len(rows), 600),
    column_config={
        "created_at": st.column_config.DatetimeColumn("Created (UTC)", format="D MMM HH:mm"),
        "account": "Account",
        "text": st.column_config.TextColumn("Text (masked)", width=340),
        "automation_type": "Type",
        "type_confidence": st.column_config.NumberColumn("Type conf.", format="%.0f%%", help="How sure the tagger is of the type"),
        "topic": "Topic",
        "topic_confidence": st.column_config.NumberColumn("Topic conf.", format="%.0f%%", help="How sure the tagger is of the topic"),
        "outcome": "Resolved by",
        "corrected": st.column_config.CheckboxColumn("Corrected", help="Tag corrected by a user"),
        "conversation_id": "ID",
    },
)  # fmt: skip
if n_pages > 1:
    st.pagination(n_pages, key="conv_page", bind="query-params")


def _save_correction() -> None:
    """Form callback: runs before the script, so the submit survives any rerun."""
    cid = st.session_state["fix_id"]
    new_type, new_topic = st.session_state["fix_type"], st.session_state["fix_topic"]
    try:
        ui.correct_tag(ctx.settings, cid, new_type, new_topic, ui.identity())
    except CockpitError as exc:
        st.session_state["_fix_error"] = str(exc)
        return
    overlay[cid] = (new_type, new_topic)
    st.session_state["_fix_saved"] = (
        f"Saved: {cid} → {ui.type_label(new_type)} · {topics.get(new_topic, new_topic)}. "
        "The next refresh applies it everywhere."
    )


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
with st.expander("Correct a tag", icon=":material/edit:"):
    with st.form("conv_fix", border=False):
        c1, c2, c3 = st.columns([2, 1, 1])
        c1.selectbox(
            "Conversation",
            rows["conversation_id"].tolist(),
            key="fix_id",
            format_func=lambda i: f"{i} · {rows.set_index('conversation_id').at[i, 'text'][:60]}",
        )
        c2.selectbox(
            "Automation type", list(AUTOMATION_TYPES), key="fix_type", format_func=ui.type_label
        )
        c3.selectbox("Topic", list(topics), key="fix_topic", format_func=lambda v: topics.get(v, v))
        st.form_submit_button("Save correction", key="fix_save", on_click=_save_correction)
    if msg := st.session_state.pop("_fix_saved", None):
        st.toast(msg, icon=":material/check:")
    if err := st.session_state.pop("_fix_error", None):
        st.error(err)
