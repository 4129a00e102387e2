"""AppTests for emerging topics: the Topics page section, its click-through, the Account note."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from cockpit import store
from cockpit.settings import Settings
from tests.app_fixture import AS_OF, build_app_store

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CLUSTER = "em00042"
TEXT = "my crypto wallet bitcoin withdrawal is still pending"


def add_emerging_topic(settings: Settings, n: int = 24) -> list[str]:
    """An emerging topic of `n` new initech conversations, all in the last 28 days (it grows)."""
    end = datetime.combine(AS_OF, datetime.min.time())
    ids = [f"initech-em{i:03d}" for i in range(n)]
    with store.writing(settings, "test emerging") as con:
        for i, cid in enumerate(ids):
            con.execute(
                "INSERT INTO conversations (conversation_id, account_id, created_at, text, "
                "resolved_by) VALUES (?, 'initech', ?, ?, 'human')",
                [cid, end - timedelta(days=i % 20, hours=1), f"{TEXT} {i}"],
            )
            con.execute(
                "INSERT INTO tags VALUES (?, 'personalized', 0.6, 'other', 0.7, '2026.11.1', "
                "'m', ?, false, ?)",
                [cid, f"t-{cid}", end],
            )
            con.execute("INSERT INTO emerging_points VALUES (?, 'fintech', ?, 0.8)", [cid, CLUSTER])
        con.execute(
            """INSERT INTO emerging_topics (cluster_id, vertical, scope, status, name, terms,
               likely_type, type_confidence, size, coherence, assign_threshold,
               central_conversation_id, example_conversation_ids, first_seen, centroid, shown)
               VALUES (?, 'fintech', 'vertical:fintech', 'active', 'Crypto · withdrawal · pending',
               ['crypto', 'withdrawal', 'pending'], 'personalized', 0.7, ?, 0.6, 0.5, ?, ?, ?,
               [1.0, 0.0]::FLOAT[], true)""",
            [CLUSTER, n, ids[0], ids[:20], end - timedelta(days=19)],
        )
    return ids


@pytest.fixture(scope="module")
def em_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("emerging") / "home"
    settings = build_app_store(Settings(home=home))
    add_emerging_topic(settings)
    return home


@pytest.fixture
def home(em_home, monkeypatch) -> Path:
    monkeypatch.setenv("COCKPIT_HOME", str(em_home))
    return em_home


def _open(page: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_topics_page_shows_emerging_topics_with_examples(home):
    at = _open("topics")
    assert "Emerging topics" in [s.value for s in at.subheader]
    frame = next(d.value for d in at.dataframe if "likely_type" in d.value.columns)
    row = frame.iloc[0]
    assert row["id"] == CLUSTER and row["conversations"] == 24 and row["accounts"] == 1
    assert row["likely_type"] == "Personalized" and sum(row["weekly"]) == 24
    expander = next(e for e in at.expander if CLUSTER in e.label)
    examples = [m.value for m in expander.markdown]
    assert len(examples) == 5 and all(TEXT in m for m in examples)


def test_click_through_opens_the_clusters_conversations(home):
    at = _open("topics")
    at.button(key=f"tp_em_open_{CLUSTER}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Conversations"
    assert any("24 conversations" in m.value for m in at.markdown)
    assert at.query_params["conv_emerging"] in (CLUSTER, [CLUSTER])
    at.button(key="conv_emerging_clear").click().run()
    assert not any(m.value.startswith("**24 conversations") for m in at.markdown)


def test_conversations_link_with_the_cluster_in_the_url(home):
    at = _open("conversations", conv_emerging=CLUSTER)
    assert any(m.value.startswith("**24 conversations**") for m in at.markdown)


def test_topics_page_filtered_to_another_vertical_hides_it(home):
    at = _open("topics")
    at.selectbox(key="tp_vertical").set_value("ecommerce").run()
    assert not at.exception, [e.value for e in at.exception]
    assert not any("likely_type" in d.value.columns for d in at.dataframe)


def test_account_page_notes_a_fast_growing_emerging_topic(home):
    at = _open("account", account="initech")
    notes = [w.value for w in at.warning]
    assert any(CLUSTER in n and "grows fast" in n for n in notes), notes
    other = _open("account", account="acme")
    assert not any("grows fast" in w.value for w in other.warning)
