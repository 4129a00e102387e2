"""AppTests for emerging topics: the Topics page section, its click-through, the Account note."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from cockpit import store
from cockpit.access import AccessDeniedError
from cockpit.discovery.decisions import decision_log, dismiss
from cockpit.settings import Settings
from tests.app_fixture import build_app_store, query
from tests.conftest import put
from tests.test_app_auth import AUTH

APP = str(Path(__file__).resolve().parent.parent / "app.py")
CLUSTER = "em00042"
TO_PROMOTE, TO_DISMISS = (
    "em00043",
    "em00044",
)  # decided by the tests below (the others keep CLUSTER)
TEXT = "my crypto wallet bitcoin withdrawal is still pending"


def emerging_account(settings: Settings) -> tuple[str, str]:
    """(account id, vertical) the emerging topic is added to: the store's first account."""
    return query(settings, "SELECT account_id, vertical FROM accounts ORDER BY 1 LIMIT 1")[0]


def add_emerging_topic(
    settings: Settings, n: int = 24, cluster: str = CLUSTER, text: str = TEXT
) -> list[str]:
    """An emerging topic of `n` new conversations of one account (`emerging_account`), all in
    the last 28 days before the store's latest conversation (it grows)."""
    account, vertical = emerging_account(settings)
    end = query(settings, "SELECT max(created_at) FROM conversations")[0][0]
    prefix = "em" if cluster == CLUSTER else f"{cluster}x"  # ids never contain CLUSTER's id
    ids = [f"{account}-{prefix}{i:03d}" for i in range(n)]
    with store.writing(settings, "test emerging") as con:
        put(
            con,
            "conversations",
            ["conversation_id", "account_id", "created_at", "text", "resolved_by"],
            [
                (cid, account, end - timedelta(days=i % 20, hours=1), f"{text} {i}", "human")
                for i, cid in enumerate(ids)
            ],
        )
        tag_columns = [  # named: tags has more columns (type probabilities), left NULL here
            "conversation_id", "automation_type", "type_confidence", "topic_id",
            "topic_confidence", "taxonomy_version", "model_id", "text_hash", "corrected",
            "tagged_at",
        ]  # fmt: skip
        put(
            con,
            "tags",
            tag_columns,
            [
                (cid, "personalized", 0.6, "other", 0.7, "2026.11.1", "m", f"t-{cid}", False, end)
                for cid in ids
            ],
        )
        put(
            con,
            "emerging_points",
            ["conversation_id", "vertical", "cluster_id", "similarity"],
            [(cid, vertical, cluster, 0.8) for cid in ids],
        )
        con.execute(
            """INSERT INTO emerging_topics (cluster_id, vertical, scope, status, name, terms,
               likely_type, type_confidence, size, coherence, assign_threshold,
               central_conversation_id, example_conversation_ids, first_seen, centroid, shown)
               VALUES (?, ?, ?, 'active', 'Crypto · withdrawal · pending',
               ['crypto', 'withdrawal', 'pending'], 'personalized', 0.7, ?, 0.6, 0.5, ?, ?, ?,
               [1.0, 0.0]::FLOAT[], true)""",
            [
                cluster,
                vertical,
                f"vertical:{vertical}",
                n,
                ids[0],
                ids[:20],
                end - timedelta(days=19),
            ],
        )
    return ids


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    settings = build_app_store(Settings(home=tmp_path_factory.mktemp("emerging") / "home"))
    add_emerging_topic(settings)
    add_emerging_topic(settings, 22, TO_PROMOTE, "where do I see my lounge access passes")
    add_emerging_topic(settings, 21, TO_DISMISS, "please unsubscribe me from the newsletter")
    return settings


@pytest.fixture
def home(built, monkeypatch) -> Path:
    monkeypatch.setenv("COCKPIT_HOME", str(built.home))
    return built.home


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
    row = frame.set_index("id").loc[CLUSTER]  # the demo's own clusters may be listed too
    assert row.name == CLUSTER and row["conversations"] == 24 and row["accounts"] == 1
    assert row["likely_type"] == "Personalized" and sum(row["weekly"]) == 24
    assert row["tagged_as"] == "Other (100%)"  # what they are tagged with now, by display name
    expander = next(e for e in at.expander if CLUSTER in e.label)
    examples = [m.value for m in expander.markdown if m.value.startswith("- ")]
    assert len(examples) == 5 and all(TEXT in m for m in examples)
    # open mode acts as an operator (admin): the decision controls are there
    assert at.button(key=f"tp_em_dismiss_{CLUSTER}") is not None


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


def test_topics_page_filtered_to_another_vertical_hides_it(home, built):
    vertical = emerging_account(built)[1]
    other = query(built, "SELECT min(vertical) FROM accounts WHERE vertical <> ?", [vertical])[0][0]
    assert other, "the fixture needs a second vertical"
    at = _open("topics")
    at.selectbox(key="tp_vertical").set_value(other).run()
    assert not at.exception, [e.value for e in at.exception]
    frames = [d.value for d in at.dataframe if "likely_type" in d.value.columns]
    assert not any(CLUSTER in f["id"].tolist() for f in frames)  # its own clusters may remain


def test_account_page_notes_a_fast_growing_emerging_topic(home, built):
    account = emerging_account(built)[0]
    at = _open("account", account=account)
    notes = [w.value for w in at.warning]
    assert any(CLUSTER in n and "grows fast" in n for n in notes), notes
    other_id = query(built, "SELECT max(account_id) FROM accounts WHERE account_id <> ?", [account])
    other = _open("account", account=other_id[0][0])
    assert not any(CLUSTER in w.value and "grows fast" in w.value for w in other.warning)


# --- Promote and dismiss from the app (data role) -------------------------------------------
ROLES = """
[users]
"dora@example.com" = "data"
"carl@example.com" = "csm"
"rita@example.com" = "sales"
"""


def signed_in(home: Path, email: str) -> AppTest:
    (home / "roles.toml").write_text(ROLES, encoding="utf-8")
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets = {"auth": dict(AUTH)}
    at.user = {"is_logged_in": True, "email": email, "name": email}
    at.run()
    at.switch_page("app_pages/topics.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _shown_ids(at: AppTest) -> list[str]:
    frame = next(d.value for d in at.dataframe if "likely_type" in d.value.columns)
    return frame["id"].tolist()


@pytest.mark.parametrize("email", ["carl@example.com", "rita@example.com"])
def test_csm_and_sales_see_no_decision_controls(home, email):
    at = signed_in(home, email)
    assert CLUSTER in _shown_ids(at)
    keys = [b.key for b in at.button] + [t.key for t in at.text_input]
    assert not any(k and (k.startswith("tp_em_dismiss_") or k.startswith("tp_em_promote_")
                          or k.startswith("tp_em_name_")) for k in keys), keys  # fmt: skip


def test_the_data_role_promotes_an_emerging_topic_from_the_app(home, built):
    at = signed_in(home, "dora@example.com")
    assert at.selectbox(key=f"tp_em_type_{TO_PROMOTE}").value == "personalized"  # likely type
    at.text_input(key=f"tp_em_name_{TO_PROMOTE}").input("Lounge passes")
    at.button(key=f"tp_em_promote_{TO_PROMOTE}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Promoted em00043 as topic **lounge_passes**" in s.value for s in at.success)
    assert TO_PROMOTE not in _shown_ids(at)  # hidden at once, before the refresh applies it
    doc = yaml.safe_load((built.custom_taxonomy_dir / f"emerging-{TO_PROMOTE}.yaml").read_text())
    topic = doc["topics"][0]
    assert doc["vertical"] == emerging_account(built)[1] and topic["id"] == "lounge_passes"
    assert topic["automation_type"] == "personalized" and len(topic["examples"]) >= 5
    entry = decision_log(built.corrections_path).iloc[0].to_dict()
    assert entry["cluster_id"] == TO_PROMOTE and entry["decision"] == "promoted"
    assert (entry["source"], entry["role"], entry["decided_by"]) == (
        "app", "data", "dora@example.com"
    )  # fmt: skip
    # the store itself was not written (the app only reads it)
    assert query(
        built, "SELECT status FROM emerging_topics WHERE cluster_id = ?", [TO_PROMOTE]
    ) == [("active",)]


def test_the_data_role_dismisses_an_emerging_topic_from_the_app(home, built):
    at = signed_in(home, "dora@example.com")
    assert TO_DISMISS in _shown_ids(at)
    at.button(key=f"tp_em_dismiss_{TO_DISMISS}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"Dismissed {TO_DISMISS}" in s.value for s in at.success)
    assert TO_DISMISS not in _shown_ids(at)
    log = decision_log(built.corrections_path)
    row = log[log["cluster_id"] == TO_DISMISS].iloc[0]
    assert (row["decision"], row["source"], row["role"]) == ("dismissed", "app", "data")


def test_a_forged_decision_from_a_read_only_role_is_refused_and_not_recorded(built):
    before = len(decision_log(built.corrections_path))
    with store.reading(built.db_path) as con:
        for role in ("sales", "csm", None):
            with pytest.raises(AccessDeniedError, match="may not curate"):
                dismiss(con, built.corrections_path, CLUSTER, by="x", source="app", role=role)
    assert len(decision_log(built.corrections_path)) == before
