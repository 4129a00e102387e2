"""Roles file, role resolution, permissions and the bind rule (cockpit.access: pure logic)."""

from __future__ import annotations

import pytest

from cockpit import access
from cockpit.access import AccessDeniedError, Identity, OpenBindError, RolesError

ROLES_TOML = """
[users]
"Dana@Example.com" = { role = "csm", csm = "Dana Diaz" }
"sam@example.com" = "csm"
"rita@example.com" = "sales"

[groups]
"cockpit-data" = "data"
"it-admins" = "admin"
"everyone" = "sales"
"""


@pytest.fixture
def roles(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text(ROLES_TOML, encoding="utf-8")
    return access.load_roles(path)


def test_users_resolve_case_insensitively_with_their_book(roles):
    assert roles.resolve("dana@example.COM", "D. Diaz") == Identity(
        "dana@example.COM", "D. Diaz", "csm", "Dana Diaz"
    )
    # without a csm key a CSM's book is their display name; other roles have no book
    assert roles.resolve("sam@example.com", "Sam Lee").csm == "Sam Lee"
    assert roles.resolve("rita@example.com", "Rita").csm is None


def test_groups_give_the_broadest_role_and_a_user_entry_wins(roles):
    assert roles.resolve("x@example.com", groups=["everyone", "it-admins"]).role == "admin"
    assert roles.resolve("x@example.com", groups=["Cockpit-Data"]).role == "data"
    assert roles.resolve("rita@example.com", groups=["it-admins"]).role == "sales"


def test_unknown_user_has_no_role(roles):
    who = roles.resolve("eve@example.com", "Eve", groups=["contractors"])
    assert who.role is None and who.label == "eve@example.com"


def test_missing_file_maps_nobody(tmp_path):
    assert access.load_roles(tmp_path / "none.toml").resolve("dana@example.com").role is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[users]\n"a@x.io" = "owner"\n',
            "roles.toml: [users] 'a@x.io' has role 'owner'; expected one of admin, data, csm, "
            "sales. Fix the roles file; the app re-reads it on the next page load.",
        ),
        (
            '[users]\n"a@x.io" = { role = "csm", book = "A" }\n',
            "roles.toml: [users] 'a@x.io' has unknown key(s) book; expected role, csm.",
        ),
        (
            '[people]\n"a@x.io" = "csm"\n',
            "roles.toml: unknown section(s) people; expected [users] and [groups].",
        ),
        (
            '[groups]\n"g" = 3\n',
            "roles.toml: [groups] 'g' has role 3; expected one of admin, data, csm, sales. "
            "Fix the roles file; the app re-reads it on the next page load.",
        ),
    ],
)
def test_invalid_roles_files_name_the_bad_entry(text, message):
    with pytest.raises(RolesError) as exc:
        access.parse_roles(text)
    assert str(exc.value) == message


def test_not_toml_is_refused():
    with pytest.raises(RolesError, match=r"roles.toml: not valid TOML"):
        access.parse_roles("[users\n")


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", {"view", "correct", "override", "details", "curate"}),
        ("data", {"view", "correct", "override", "details", "curate"}),
        ("csm", {"view", "correct", "override"}),
        ("sales", {"view"}),
        (None, set()),
    ],
)
def test_permissions_per_role(role, allowed):
    assert {a for a in access.PERMISSIONS if access.can(role, a)} == allowed


def test_require_refuses_with_what_to_do():
    access.require("csm", "correct")
    with pytest.raises(AccessDeniedError) as exc:
        access.require("sales", "correct")
    assert str(exc.value) == (
        "your role (sales) may not correct; it needs one of: admin, data, csm. "
        "Ask your Cockpit admin to change your role in the roles file."
    )
    with pytest.raises(ValueError, match="unknown action 'delete'"):
        access.can("admin", "delete")


def test_auth_configured_needs_a_complete_provider():
    base = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "s"}
    provider = {"client_id": "c", "client_secret": "x", "server_metadata_url": "http://i/.wk"}
    assert access.auth_configured({"auth": {**base, **provider}})
    assert access.auth_configured({"auth": {**base, "okta": provider}})  # named provider
    assert not access.auth_configured({})
    assert not access.auth_configured({"auth": provider})  # no redirect_uri / cookie_secret
    assert not access.auth_configured({"auth": base})


def test_read_secrets_merges_files_and_skips_unreadable(tmp_path):
    a, b, bad = tmp_path / "a.toml", tmp_path / "b.toml", tmp_path / "bad.toml"
    a.write_text('[auth]\nclient_id = "a"\n')
    b.write_text('other = 1\n[auth]\nclient_id = "b"\n')
    bad.write_text("[auth\n")
    assert access.read_secrets([a, bad, b, tmp_path / "none.toml"]) == {
        "other": 1,
        "auth": {"client_id": "b"},
    }


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1"])
def test_local_hosts_may_run_open(host):
    access.check_bind(host, auth=False, allow_open=False)


@pytest.mark.parametrize("host", ["0.0.0.0", "", None, "10.1.2.3"])
def test_other_hosts_need_auth_or_the_explicit_flag(host):
    with pytest.raises(OpenBindError, match="pass --allow-open"):
        access.check_bind(host, auth=False, allow_open=False)
    access.check_bind(host, auth=True, allow_open=False)
    access.check_bind(host, auth=False, allow_open=True)
