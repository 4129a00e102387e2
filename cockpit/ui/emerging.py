"""The Topics page's "Emerging topics" section, and its promote / dismiss controls.

Promote and dismiss take the one decision path of the CLI (`cockpit.discovery.decisions`):
the role is checked there (a forged request from a read-only user is refused), the decision is
recorded with who, when, `source="app"` and the role in the corrections file, and a promotion
writes its YAML under `$COCKPIT_HOME/taxonomy/`. The DuckDB store stays read-only here; decided
clusters are hidden at once and the next refresh applies the decision.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import streamlit as st

from cockpit import queries
from cockpit.contract import AUTOMATION_TYPES
from cockpit.errors import CockpitError
from cockpit.settings import Settings
from cockpit.ui.auth import can, identity
from cockpit.ui.charts import type_label
from cockpit.ui.data import cursor
from cockpit.ui.navigation import go

EMERGING_SHOWN = 10  # topics with their examples on the page; the CLI lists them all
RESULT_KEY = "tp_em_result"  # (kind, message) of the last decision, shown above the table


def decided(cfg: Settings) -> dict[str, str]:
    """Clusters dismissed or promoted since the last refresh (hidden until it applies them)."""
    from cockpit.discovery.decisions import decided_clusters

    return decided_clusters(cfg.corrections_path)


def _promote(cfg: Settings, cluster: dict) -> None:
    """Form callback: promote through `decisions.promote`; the outcome goes to RESULT_KEY."""
    from cockpit.discovery.decisions import promote
    from cockpit.tagging.taxonomy import load_taxonomy

    cid, who, con = cluster["id"], identity(), cursor(cfg)  # the store as published now
    scope = st.session_state[f"tp_em_scope_{cid}"]
    account = st.session_state.get(f"tp_em_account_{cid}") if scope == "account" else None
    try:
        path, doc = promote(
            con, cfg.custom_taxonomy_dir, cfg.corrections_path,
            lambda d: load_taxonomy(custom_dir=d), cid, st.session_state[f"tp_em_name_{cid}"],
            vertical=cluster["vertical"] if scope == "vertical" else None, account_id=account,
            automation_type=st.session_state[f"tp_em_type_{cid}"],
            topic_id=st.session_state[f"tp_em_id_{cid}"].strip() or None,
            by=who.label, source="app", role=who.role,
        )  # fmt: skip
    except CockpitError as exc:  # TaxonomyError, AccessDeniedError included
        st.session_state[RESULT_KEY] = ("error", f"{cid} was not promoted: {exc}")
        return
    topic = doc["topics"][0]
    st.session_state[RESULT_KEY] = (
        "success",
        f"Promoted {cid} as topic **{topic['id']}** ({len(topic['examples'])} examples, "
        f"{path.name}). The next refresh re-tags with it.",
    )


def _dismiss(cfg: Settings, cluster_id: str) -> None:
    """Button callback: dismiss through `decisions.dismiss`; the outcome goes to RESULT_KEY."""
    from cockpit.discovery.decisions import dismiss

    who, con = identity(), cursor(cfg)
    try:
        cluster = dismiss(
            con, cfg.corrections_path, cluster_id, by=who.label, source="app", role=who.role
        )
    except CockpitError as exc:
        st.session_state[RESULT_KEY] = ("error", f"{cluster_id} was not dismissed: {exc}")
        return
    st.session_state[RESULT_KEY] = (
        "success",
        f"Dismissed {cluster_id} ({cluster['name']}); it will not be shown again.",
    )


def _decision_controls(cfg: Settings, con, t: dict) -> None:
    """Promote form and dismiss button of one cluster (data role: `curate`)."""
    cid = t["id"]
    accounts = queries.emerging_accounts(con, cid)
    names = dict(accounts)
    with st.form(f"tp_em_form_{cid}", border=True):
        st.markdown("**Promote into the taxonomy**")
        st.text_input("Topic name", key=f"tp_em_name_{cid}", placeholder="e.g. Crypto withdrawals")
        left, right = st.columns(2)
        left.radio(
            "Serves", ["vertical", "account"], key=f"tp_em_scope_{cid}", horizontal=True,
            index=1 if t["scope"].startswith("account:") else 0,
            format_func=lambda s: "Its vertical" if s == "vertical" else "One account",
        )  # fmt: skip
        right.selectbox(
            "Account (when one account)", list(names), key=f"tp_em_account_{cid}",
            format_func=lambda a: f"{names[a]} ({a})",
        )  # fmt: skip
        types = list(AUTOMATION_TYPES)
        left.selectbox(
            "Automation type", types, key=f"tp_em_type_{cid}", format_func=type_label,
            index=types.index(t["likely_type"]) if t["likely_type"] in types else 0,
            help="Defaults to the likely type (from the nearest taxonomy examples).",
        )  # fmt: skip
        right.text_input("Topic id (optional)", key=f"tp_em_id_{cid}", placeholder="from the name")
        st.form_submit_button(
            "Promote", key=f"tp_em_promote_{cid}", type="primary", icon=":material/add_task:",
            on_click=_promote, args=(cfg, t),
        )  # fmt: skip
    st.button(
        "Dismiss (never show again)", key=f"tp_em_dismiss_{cid}", icon=":material/block:",
        on_click=_dismiss, args=(cfg, cid),
    )  # fmt: skip


def emerging_topics_section(cfg: Settings, con: duckdb.DuckDBPyConnection, vertical) -> None:
    """What the taxonomy cannot place yet, clustered into topics with stable ids."""
    curator = can("curate")
    st.subheader(
        "Emerging topics",
        help="Groups of recent conversations the taxonomy could not place (tagged Other or "
        "with a low topic confidence), found by clustering their meaning. Each keeps its id "
        "across refreshes. The data role promotes one into the taxonomy or dismisses it here; "
        "anyone may with `cockpit topics promote ID --name …` / `cockpit topics dismiss ID`.",
    )
    result = st.session_state.pop(RESULT_KEY, None)
    if result:
        (st.success if result[0] == "success" else st.error)(result[1])
    topics = queries.emerging_topics(con, vertical=vertical, exclude=decided(cfg))
    topics = topics[:EMERGING_SHOWN]
    if not topics:
        st.caption(
            "No emerging topics: everything recent fits the taxonomy, or too little does not."
        )
        return
    weekly = queries.emerging_weekly(con, [t["id"] for t in topics])
    series = weekly.pivot_table(
        index="week", columns="cluster_id", values="conversations", fill_value=0
    )
    table = pd.DataFrame({
        "name": [t["name"] for t in topics],
        "likely_type": [type_label(t["likely_type"]) if t["likely_type"] else "—" for t in topics],
        "conversations": [t["conversations"] for t in topics],
        "accounts": [t["accounts"] for t in topics],
        "tagged_as": [f"{t['tagged_as_name']} ({t['tagged_share']:.0%})" if t["tagged_as"] else "—" for t in topics],
        "trend_pts": [t["trend_pts"] for t in topics],
        "weekly": [series[t["id"]].tolist() if t["id"] in series else [] for t in topics],
        "first_seen": [t["first_seen"] for t in topics],
        "id": [t["id"] for t in topics],
    })  # fmt: skip
    st.dataframe(
        table, hide_index=True, key="tp_emerging", width="stretch",
        column_config={
            "name": "Topic (distinctive terms)", "likely_type": "Likely type",
            "conversations": st.column_config.NumberColumn("Conversations", format="compact"),
            "accounts": st.column_config.NumberColumn("Accounts"),
            "tagged_as": st.column_config.TextColumn(
                "Tagged now as",
                help="The topic most of its conversations carry today. 'Other': the taxonomy has "
                "nothing for them; a known topic: a part of it the topic's examples miss "
                "(promote it, or add examples to that topic)."),
            "trend_pts": st.column_config.NumberColumn(
                "Trend", format="%+.2f pts",
                help="Share of the vertical's (or account's) conversations, last 4 weeks minus the 4 before"),
            "weekly": st.column_config.LineChartColumn("Weekly volume"),
            "first_seen": st.column_config.DateColumn("First seen"), "id": "ID",
        },
    )  # fmt: skip
    texts = queries.conversation_texts(
        con, [i for t in topics for i in t["example_conversation_ids"]]
    )
    for t in topics:
        with st.expander(f"{t['name']} · {t['conversations']:,} conversations · {t['id']}"):
            for cid in t["example_conversation_ids"]:
                st.markdown(
                    f"- {texts.get(cid, cid)[:300]}  \n  <small>{cid}</small>",
                    unsafe_allow_html=True,
                )
            st.button(
                f"Open its {t['conversations']:,} conversations", key=f"tp_em_open_{t['id']}",
                icon=":material/forum:", on_click=go,
                args=("app_pages/conversations.py",),
                kwargs={"conv_emerging": t["id"], "conv_type": None, "conv_topic": None, "conv_page": 1},
            )  # fmt: skip
            if curator:
                _decision_controls(cfg, con, t)
