"""One conversation to read (whole masked transcript, tags, outcome, why counted) and safe
tag corrections (pickers at the current tags, the account's topics only, pending list, undo)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from cockpit import formats, queries
from cockpit.contract import AUTOMATION_TYPES
from cockpit.errors import CockpitError
from cockpit.settings import Settings
from cockpit.ui.auth import can, identity
from cockpit.ui.charts import type_label
from cockpit.ui.data import correct_tag


def _t(value) -> str:
    """Data inside Markdown: every Markdown mark escaped (names, topics, ids come from data)."""
    return formats.md_text(value, streamlit=True)


AUTHOR_ROLE = {"customer": "user", "ai": "assistant", "agent": "human"}
AUTHOR_LABEL = {"customer": "Customer", "ai": "AI", "agent": "Agent"}
OUTCOME_TEXT = {
    "ai": "Resolved by the AI",
    "human": "Resolved by a human",
    "none": "Unresolved",
    "unknown": "Outcome unknown",
}


def pending_corrections(cfg: Settings) -> pd.DataFrame:
    """The latest correction per conversation saved after the last successful refresh.

    Read from `corrections.sqlite` on every run, so the list survives a reload; a refresh
    applies them (and they leave the list).
    """
    from cockpit.tagging.corrections import load_corrections

    try:
        fixes = load_corrections(cfg.corrections_path)
    except CockpitError as exc:
        st.error(str(exc))
        return load_corrections(cfg.corrections_path.with_suffix(".missing"))
    if fixes.empty:
        return fixes
    try:
        from cockpit.ui.data import cursor

        last = queries.store_overview(cursor(cfg))["last_success_at"]
    except CockpitError:
        last = None
    if last is not None:
        stamp = pd.to_datetime(fixes["corrected_at"], errors="coerce")
        fixes = fixes[stamp.isna() | (stamp > pd.Timestamp(last))]
    return fixes.reset_index(drop=True)


def _taxonomy(cfg: Settings):
    from cockpit.tagging.taxonomy import load_taxonomy

    return load_taxonomy(custom_dir=cfg.custom_taxonomy_dir)


def valid_topics(cfg: Settings, vertical: str | None, account_id: str | None) -> dict[str, str]:
    """topic_id → name for the topics a conversation of this account may carry (+ Other)."""
    from cockpit.tagging.taxonomy import OTHER

    taxonomy = _taxonomy(cfg)
    topics = {t.id: t.name for t in taxonomy.topics_for(vertical, account_id)}
    topics.setdefault(OTHER, "Other / unsure")
    return topics


def conversation_view(con, conversation_id: str, topics: dict[str, str], pending) -> None:
    """The whole conversation: facts, tags with confidences, why counted, masked transcript."""
    detail = queries.conversation_detail(con, conversation_id)
    if detail is None:
        st.warning(
            f"Conversation {conversation_id!r} is not in the store. It may have been removed by "
            "a later load; clear it from the URL (conv_id) or pick a row."
        )
        return
    r = detail["row"]
    fix = None
    if pending is not None and len(pending):
        hit = pending[pending["conversation_id"] == conversation_id]
        fix = hit.iloc[-1] if len(hit) else None
    with st.container(key="conv_view", border=True):
        st.subheader(f"Conversation {_t(conversation_id)}")
        created = r["created_at"]
        st.caption(
            f"{_t(r['account'])} · {formats.day(created)} {created:%H:%M} UTC · "
            f"{_t(r['channel'] or '—')}"
            if isinstance(created, datetime)
            else f"{_t(r['account'])} · {_t(r['channel'] or '—')}"
        )
        m = st.columns(4)
        m[0].metric("Outcome", OUTCOME_TEXT.get(r["outcome"], r["outcome"]))
        handle = r.get("handle_time_minutes")
        m[1].metric("Handle time", "—" if formats.missing(handle) else f"{handle:.0f} min")
        m[2].metric("CSAT", "—" if formats.missing(r["csat"]) else f"{int(r['csat'])} / 5")
        m[3].metric(
            "Corrected", "pending" if fix is not None else ("yes" if r["corrected"] else "no")
        )
        typ, topic = r["automation_type"], r["topic_id"]
        tconf, pconf = r["type_confidence"], r["topic_confidence"]
        tags = (
            f"**Tags:** {type_label(typ)} ({formats.pct(tconf)}) · "
            f"{_t(topics.get(topic, topic))} ({formats.pct(pconf)})"
        )
        if fix is not None:
            tags += (
                f" → corrected to {type_label(fix['automation_type'])} · "
                f"{_t(topics.get(fix['topic_id'], fix['topic_id']))}, applied at the next refresh"
            )
        st.markdown(tags)
        st.markdown(why_counted(r, detail["window"], topics))
        messages = detail["messages"]
        if messages is None or messages.empty:
            st.markdown("**Opening message** (no transcript loaded):")
            with st.chat_message("user"):
                st.text(r["text"])
        else:
            st.markdown(f"**Transcript** ({formats.plural(len(messages), 'message')}, masked):")
            for msg in messages.itertuples(index=False):
                with st.chat_message(AUTHOR_ROLE.get(msg.author, "user")):
                    st.caption(
                        f"{_t(AUTHOR_LABEL.get(msg.author, msg.author))} · {msg.sent_at:%H:%M}"
                    )
                    st.text(msg.body)


def why_counted(row: dict, window, topics: dict[str, str]) -> str:
    """Where this conversation was counted, in one sentence."""
    cell = (
        f"{type_label(row['automation_type'])} · {_t(topics.get(row['topic_id'], row['topic_id']))}"
    )
    text = f"**Counted in:** {_t(row['account'])}'s cell {cell}"
    if window:
        as_of, days = window
        start = as_of - pd.Timedelta(days=int(days) - 1)
        inside = start <= row["created_at"].date() <= as_of
        text += (
            f", inside the {days}-day window ({formats.day_range(start, as_of)}) behind the "
            "account's rates and top issues"
            if inside
            else f"; outside the current {days}-day window ({formats.day_range(start, as_of)}), "
            "so it counts only in the weekly trend"
        )
    if row["outcome"] == "unknown":
        text += "; its outcome is unknown, so it is left out of the automation rate"
    return text + "."


def corrections_panel(ctx, con, conversation_id: str, topics: dict[str, str], pending) -> None:
    """Correct the open conversation's tags, list the pending corrections, undo one."""
    from cockpit.ui.navigation import ALL

    with st.expander(
        f"Correct a tag · {formats.plural(len(pending), 'pending correction')}",
        icon=":material/edit:",
        expanded=bool(len(pending)) or conversation_id != ALL,
    ):
        if conversation_id == ALL:
            st.caption("Click a row above to read the conversation and correct its tags.")
        else:
            _fix_form(ctx, con, conversation_id, pending)
        if msg := st.session_state.pop("_fix_saved", None):
            st.success(msg, icon=":material/check:")
        if err := st.session_state.pop("_fix_error", None):
            st.error(err)
        if len(pending):
            st.markdown("**Pending until the next refresh**")
            st.dataframe(
                pending.assign(
                    automation_type=pending["automation_type"].map(type_label),
                    topic=pending["topic_id"].map(lambda t: topics.get(t, t)),
                )[["conversation_id", "automation_type", "topic", "corrected_by", "corrected_at"]],
                hide_index=True,
                key="fix_pending",
                column_config={
                    "conversation_id": "Conversation",
                    "automation_type": "Type",
                    "topic": "Topic",
                    "corrected_by": "By",
                    "corrected_at": "Saved (UTC)",
                },
            )
            u1, u2 = st.columns([3, 1], vertical_alignment="bottom")
            u1.selectbox(
                "Undo the correction of", pending["conversation_id"].tolist(), key="fix_undo_id"
            )
            u2.button(
                "Undo", key="fix_undo", on_click=_undo, args=(ctx.settings,), icon=":material/undo:"
            )


def _fix_form(ctx, con, conversation_id: str, pending) -> None:
    detail = queries.conversation_detail(con, conversation_id)
    if detail is None:
        return
    r = detail["row"]
    current_type, current_topic = r["automation_type"], r["topic_id"]
    hit = pending[pending["conversation_id"] == conversation_id] if len(pending) else pending
    if len(hit):  # an earlier, not yet applied correction is the current tag
        current_type, current_topic = hit.iloc[-1]["automation_type"], hit.iloc[-1]["topic_id"]
    vertical = queries.account_vertical(con, r["account_id"])
    options = valid_topics(ctx.settings, vertical, r["account_id"])
    if current_topic not in options:
        options = {current_topic: f"{current_topic} (not valid for this account)", **options}
    types = list(AUTOMATION_TYPES)
    with st.form(f"conv_fix_{conversation_id}", border=False):
        c1, c2 = st.columns(2)
        c1.selectbox(
            "Automation type",
            types,
            index=types.index(current_type) if current_type in types else 0,
            key="fix_type",
            format_func=type_label,
        )
        c2.selectbox(
            "Topic",
            list(options),
            index=list(options).index(current_topic),
            key="fix_topic",
            format_func=lambda v: options.get(v, v),
            help="Only the topics valid for this account (shared, its vertical's, its custom ones).",
        )
        st.form_submit_button(
            "Save correction",
            key="fix_save",
            on_click=_save,
            args=(ctx.settings, conversation_id, options),
        )


def _save(cfg: Settings, conversation_id: str, options: dict[str, str]) -> None:
    """Form callback: runs before the script, so the submit survives any rerun."""
    new_type, new_topic = st.session_state["fix_type"], st.session_state["fix_topic"]
    try:
        correct_tag(cfg, conversation_id, new_type, new_topic, identity())
    except CockpitError as exc:
        st.session_state["_fix_error"] = str(exc)
        return
    st.session_state["_fix_saved"] = (
        f"Saved: {conversation_id} → {type_label(new_type)} · {options.get(new_topic, new_topic)}. "
        "Pending until the next refresh applies it everywhere."
    )


def _undo(cfg: Settings) -> None:
    from cockpit.tagging.corrections import undo_latest

    if not can("correct"):  # the same permission as a correction
        st.session_state["_fix_error"] = f"Your role ({identity().role}) cannot undo corrections."
        return
    cid = st.session_state.get("fix_undo_id")
    who = identity()
    if cid and undo_latest(cfg.corrections_path, cid, by=who.label, source="app", role=who.role):
        st.session_state["_fix_saved"] = f"Undone: the latest correction of {cid}."
