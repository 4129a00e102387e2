"""AppTests of the sign-in gate: st.user mocked, the real roles file, the real pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from cockpit.settings import Settings
from tests.app_fixture import build_app_store, query

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret-that-is-long-enough-0123456789",
    "client_id": "cockpit",
    "client_secret": "x",
    "server_metadata_url": "http://127.0.0.1:9400/.well-known/openid-configuration",
}
ROLES = """
[users]
"dana@example.com" = {{ role = "csm", csm = "{csm}" }}
"rita@example.com" = "sales"
"dora@example.com" = "data"
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    return build_app_store(Settings(home=tmp_path_factory.mktemp("auth") / "home"))


@pytest.fixture(scope="module")
def book(built) -> tuple[str, dict[str, str]]:
    """Dana's book: the CSM of the first account and that CSM's accounts (id → name)."""
    csm = query(built, "SELECT csm FROM accounts ORDER BY account_id LIMIT 1")[0][0]
    rows = query(built, "SELECT account_id, name FROM accounts WHERE csm = ? ORDER BY 1", [csm])
    return csm, dict(rows)


@pytest.fixture
def home(built, book, monkeypatch) -> Path:
    monkeypatch.setenv("COCKPIT_HOME", str(built.home))
    (built.home / "roles.toml").write_text(ROLES.format(csm=book[0]), encoding="utf-8")
    return built.home


@pytest.fixture
def account(book) -> str:
    """An account in Dana's book."""
    return next(iter(book[1]))


def signed_in(email: str | None, page: str | None = None, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.secrets = {"auth": dict(AUTH)}
    at.user = {"is_logged_in": email is not None, "email": email, "name": email}
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    if page:
        at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_signed_out_sees_only_the_sign_in_button(home, account):
    at = signed_in(None, account=account)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.dataframe and not at.metric and not at.selectbox


def test_a_csm_lands_on_their_own_book(home, built, book):
    at = signed_in("dana@example.com")
    assert at.selectbox(key="csm").value == book[0]
    assert set(at.dataframe[0].value["name"]) == set(book[1].values())
    assert any("Signed in as **dana@example.com** · csm" in c.value for c in at.sidebar.caption)
    # all accounts stay one click away
    at.selectbox(key="csm").select("__all__").run()
    assert len(at.dataframe[0].value) == query(built, "SELECT count(*) FROM accounts")[0][0]
    assert len(at.dataframe[0].value) > len(book[1])


def test_sales_has_no_correction_form_and_no_raw_rows(home, account):
    at = signed_in("rita@example.com", "conversations", account=account)
    assert "fix_save" not in [b.key for b in at.get("button")]
    assert "Read-only: your role (sales) cannot correct tags." in [c.value for c in at.caption]
    at.switch_page("app_pages/data_health.py").run()
    columns = [set(d.value.columns) for d in at.dataframe]
    assert {"reason", "rows"} <= set().union(*columns)  # the reasons stay
    assert not any("raw" in c for c in columns)


def test_the_data_role_sees_quarantined_raw_rows(home):
    at = signed_in("dora@example.com", "data_health")
    assert any("raw" in d.value.columns for d in at.dataframe)


def test_a_csm_correction_is_audited_with_their_identity(home, built, account):
    listed = signed_in("dana@example.com", "conversations", account=account)
    cid = listed.dataframe[0].value["conversation_id"].iloc[0]  # on the first page
    old_type, old_topic = query(
        built, "SELECT automation_type, topic_id FROM tags WHERE conversation_id = ?", [cid]
    )[0]
    at = signed_in("dana@example.com", "conversations", account=account, conv_id=cid)
    new_type = "action" if old_type != "action" else "informational"
    picker = at.selectbox(key="fix_topic")
    at.selectbox(key="fix_type").select(new_type)
    picker.select_index(next(i for i in range(len(picker.options)) if i != picker.index))
    at.button(key="fix_save").click().run()
    assert not at.exception and not at.error
    from cockpit.tagging.corrections import audit_log

    entry = audit_log(home / "corrections.sqlite", [cid]).iloc[0]
    assert (entry.corrected_by, entry.source, entry.role) == ("dana@example.com", "app", "csm")
    assert entry.automation_type == new_type and entry.topic_id != old_topic  # another topic
    assert (entry.old_automation_type, entry.old_topic_id) == (old_type, old_topic)
    history = next(d for d in at.dataframe if "old_automation_type" in d.value.columns).value
    assert cid in history["conversation_id"].tolist()
    (home / "corrections.sqlite").unlink()


def test_an_unknown_user_sees_the_no_role_page(home):
    at = signed_in("eve@example.com")
    assert at.title[0].value == "No access yet"
    assert "ask your cockpit admin" in at.warning[0].value.lower()
    assert not at.dataframe


def test_a_removed_user_loses_access_at_the_next_page_load(home):
    at = signed_in("dana@example.com")
    assert at.dataframe
    (home / "roles.toml").write_text('[users]\n"rita@example.com" = "sales"\n', encoding="utf-8")
    at.run()
    assert at.title[0].value == "No access yet" and not at.dataframe


def test_an_invalid_roles_file_stops_with_the_reason(home):
    (home / "roles.toml").write_text('[users]\n"dana@example.com" = "boss"\n', encoding="utf-8")
    at = signed_in("dana@example.com")
    assert "has role 'boss'; expected one of admin, data, csm, sales" in at.error[0].value
    assert not at.dataframe


def test_sign_out_returns_to_the_sign_in_page(home):
    at = signed_in("dana@example.com")
    at.sidebar.button(key="auth_logout").click().run()
    at.run()  # the next load after the provider's end-session redirect
    assert [b.label for b in at.button] == ["Sign in"] and not at.dataframe


def test_without_a_provider_the_app_is_open_on_localhost_and_says_so(home):
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert any("Open mode" in c.value for c in at.sidebar.caption)
    assert at.dataframe


def test_without_a_provider_a_non_local_address_is_refused(home, monkeypatch):
    previous = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    try:
        at = AppTest.from_file(APP, default_timeout=30).run()
        assert "pass --allow-open" in at.error[0].value and not at.dataframe
        monkeypatch.setenv("COCKPIT_ALLOW_OPEN", "1")
        assert AppTest.from_file(APP, default_timeout=30).run().dataframe
    finally:
        st_config.set_option("server.address", previous)


def test_data_health_shows_the_override_audit(home, built, account):
    from cockpit.tagging.overrides import override_type

    topic = query(
        built,
        "SELECT topic_id FROM tags JOIN conversations USING (conversation_id) "
        "WHERE account_id = ? AND topic_id <> 'other' ORDER BY 1 LIMIT 1",
        [account],
    )[0][0]
    override_type(
        home / "taxonomy", home / "corrections.sqlite", topic, "action", account_id=account,
        by="dora@example.com", source="app", role="data",
    )  # fmt: skip
    try:
        at = signed_in("dora@example.com", "data_health")
        frame = next(d.value for d in at.dataframe if "vertical" in d.value.columns)
        row = frame.iloc[0]
        assert (row.changed_by, row.source, row.topic_id, row.automation_type) == (
            "dora@example.com",
            "app",
            topic,
            "action",
        )
    finally:
        (home / "corrections.sqlite").unlink()
        for f in (home / "taxonomy").glob("overrides-*.yaml"):
            f.unlink()
