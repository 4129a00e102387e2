"""Sign-in end to end: a real local OpenID provider, the real app, Chromium through the login.

oidc-provider-mock (a Flask app on 127.0.0.1) plays the company's identity provider; the app is
served with a secrets file configuring it, and a roles file in COCKPIT_HOME.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from cockpit.settings import Settings
from tests.app_fixture import build_app_store, query
from tests.browser_helpers import CHROMIUM, chromium, serve
from tests.browser_helpers import settle as _settle

oidc_provider_mock = pytest.importorskip("oidc_provider_mock")

ROLES = """
[users]
"dana@example.com" = {{ role = "csm", csm = "{csm}" }}
"rita@example.com" = "sales"
"""
USERS = {
    "dana@example.com": "Dana Diaz",
    "rita@example.com": "Rita Sales",
}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium)"
    ),
]


@pytest.fixture(scope="module")
def provider():
    """The OpenID provider on 127.0.0.1 (plain HTTP: Authlib needs AUTHLIB_INSECURE_TRANSPORT)."""
    import werkzeug.serving

    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    users = [
        oidc_provider_mock.User(sub=email, claims={"email": email, "name": name})
        for email, name in USERS.items()
    ]
    server = werkzeug.serving.make_server(
        "127.0.0.1", 0, oidc_provider_mock.app(user_claims=users), threaded=True
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Settings:
    return build_app_store(Settings(home=tmp_path_factory.mktemp("login") / "home"))


@pytest.fixture(scope="module")
def book(built) -> tuple[str, str, list[str]]:
    """(Dana's CSM name, an account of Dana's book, every account name of the store)."""
    csm, account = query(built, "SELECT csm, account_id FROM accounts ORDER BY 2 LIMIT 1")[0]
    names = [r[0] for r in query(built, "SELECT name FROM accounts ORDER BY 1")]
    return csm, account, names


@pytest.fixture(scope="module")
def home(built, book) -> Path:
    (built.home / "roles.toml").write_text(ROLES.format(csm=book[0]), encoding="utf-8")
    return built.home


@pytest.fixture(scope="module")
def server(provider, home, tmp_path_factory):
    from tests.browser_helpers import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    secrets = tmp_path_factory.mktemp("secrets") / "secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "{url}/oauth2callback"\n'
        'cookie_secret = "test-cookie-secret-that-is-long-enough-0123456789"\n'
        'client_id = "cockpit"\n'
        'client_secret = "cockpit-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n',
        encoding="utf-8",
    )
    with serve(
        home,
        port=port,
        extra_args=["--secrets.files", str(secrets)],
        env={"AUTHLIB_INSECURE_TRANSPORT": "1"},
    ) as served:
        yield served


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def _sign_in(page, server: str, email: str) -> None:
    page.goto(f"{server}/", wait_until="networkidle")
    page.get_by_role("button", name="Sign in").click()
    page.locator('input[name="sub"][type="text"]').wait_for(timeout=15_000)  # provider's form
    page.locator('input[name="sub"][type="text"]').fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{server}/**", timeout=15_000)
    _settle(page, 500)


def test_no_data_before_sign_in(server, browser, book):
    page = browser.new_page()
    for path in ["", f"conversations?account={book[1]}", "data_health"]:
        page.goto(f"{server}/{path}", wait_until="networkidle")
        page.get_by_role("button", name="Sign in").wait_for(timeout=20_000)
        _settle(page, 300)
        body = page.locator("body").inner_text()
        for secret in [*book[2], "conversations match", "Quarantined"]:
            assert secret not in body, (path, secret)
        assert page.locator('[data-testid="stDataFrame"]').count() == 0
    page.close()


def test_a_csm_lands_on_their_own_book_and_signs_out(server, browser, book):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    _sign_in(page, server, "dana@example.com")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("Signed in as").wait_for(timeout=20_000)
    assert "dana@example.com" in sidebar.inner_text()
    assert sidebar.locator('input[aria-label="CSM"]').input_value() == book[0]
    page.get_by_text("Current vs potential").first.wait_for(timeout=20_000)
    # the correction form is there for a CSM
    page.goto(f"{server}/conversations?account={book[1]}", wait_until="networkidle")
    page.get_by_text(re.compile(r"^Correct a tag")).first.wait_for(timeout=20_000)

    sidebar.get_by_role("button", name="Sign out").click()
    # the provider's end-session page (RP-initiated logout), then back to the app
    page.get_by_role("button", name="End session").click(timeout=15_000)
    page.get_by_role("button", name="Sign in").wait_for(timeout=20_000)
    body = page.locator("body").inner_text()
    assert not any(name in body for name in book[2])
    context.close()


def test_sales_is_read_only(server, browser, book):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    _sign_in(page, server, "rita@example.com")
    page.locator('[data-testid="stSidebar"]').get_by_text("Signed in as").wait_for(timeout=20_000)
    page.goto(f"{server}/conversations?account={book[1]}", wait_until="networkidle")
    page.get_by_text("conversations match").wait_for(timeout=20_000)
    _settle(page, 300)
    assert page.get_by_text("Read-only: your role (sales) cannot correct tags.").count() == 1
    assert page.get_by_text(re.compile(r"^Correct a tag")).count() == 0
    context.close()


def test_an_unknown_user_sees_the_no_role_page(server, browser, book):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    _sign_in(page, server, "eve@example.com")
    page.get_by_text("No access yet").wait_for(timeout=20_000)
    body = page.locator("body").inner_text()
    assert "eve@example.com" in body and "Ask your Cockpit admin" in body
    assert (
        not any(name in body for name in book[2])
        and page.locator('[data-testid="stDataFrame"]').count() == 0
    )
    context.close()


def test_a_removed_user_loses_access_at_the_next_page_load(server, browser, home, book):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    _sign_in(page, server, "dana@example.com")
    page.get_by_text("Current vs potential").first.wait_for(timeout=20_000)
    roles = home / "roles.toml"
    roles.write_text('[users]\n"rita@example.com" = "sales"\n', encoding="utf-8")
    try:
        page.reload(wait_until="networkidle")  # same cookie, new page load
        page.get_by_text("No access yet").wait_for(timeout=20_000)
        body = page.locator("body").inner_text()
        assert not any(name in body for name in book[2])
    finally:
        roles.write_text(ROLES.format(csm=book[0]), encoding="utf-8")
    context.close()
