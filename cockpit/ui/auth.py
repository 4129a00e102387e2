"""Sign-in gate for app.py: Streamlit's `st.login` / `st.user` plus the roles file.

With an OpenID Connect provider in the Streamlit secrets ([auth]), every page needs a signed-in
user with a role; otherwise the app runs open, on localhost only (`access.check_bind`), and says
so in the sidebar. The roles file is re-read whenever it changes, and the role is resolved on
every run, so a removed user loses access at the next page load.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from cockpit import access
from cockpit.formats import md_text
from cockpit.ui.data import settings

OPEN_NOTE = (
    "**Open mode**: no sign-in is configured, so anyone on this machine sees every account. "
    "Cockpit serves on localhost only; see README 'Sign-in and roles' to add a provider."
)


def auth_enabled() -> bool:
    """Whether the Streamlit secrets configure a provider for `st.login`."""
    try:
        secrets = st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}
    except Exception:  # unreadable secrets: Streamlit logs why; treat as not configured
        secrets = {}
    return access.auth_configured(secrets)


@st.cache_resource(max_entries=4, show_spinner=False)
def _roles(path: str, mtime_ns: int, size: int) -> access.RoleMap:
    # Keyed on the file's version: an edit is picked up at the next page load.
    return access.load_roles(path)


def roles(path: Path) -> access.RoleMap:
    """The roles file's current content (validated; RolesError names the bad entry)."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return access.RoleMap()
    return _roles(str(path), stat.st_mtime_ns, stat.st_size)


def _login_page() -> None:
    st.title("Cockpit")
    st.write("Sign in with your company account to see the accounts, topics and conversations.")
    if st.button("Sign in", key="auth_login", type="primary", icon=":material/login:"):
        st.login()


def _no_role_page(who: access.Identity) -> None:
    st.title("No access yet")
    st.warning(
        f"You are signed in as **{who.label}**, but Cockpit has no role for you. "
        "Ask your Cockpit admin to add you to the roles file (csm, sales, data or admin)."
    )
    if st.button("Sign out", key="auth_logout_norole", icon=":material/logout:"):
        st.logout()
        st.stop()


def gate() -> access.Identity:
    """Return who is using the app, or render the sign-in / no-role / refusal page and stop."""
    cfg = settings()
    if not auth_enabled():
        try:
            access.check_bind(st.get_option("server.address"), False, cfg.allow_open)
        except access.OpenBindError as exc:
            st.error(str(exc))
            st.stop()
        who = access.Identity(email=None, name="local (open mode)", role=access.OPEN_ROLE)
        st.session_state["_identity"] = who
        st.sidebar.caption(OPEN_NOTE)
        return who
    if not st.user.is_logged_in:
        st.session_state.pop("_identity", None)
        _login_page()
        st.stop()
    try:
        mapping = roles(cfg.roles_path)
    except access.RolesError as exc:
        st.error(f"Cockpit cannot read its roles file: {exc}")
        st.stop()
    groups = st.user.get("groups") or []
    who = mapping.resolve(st.user.get("email"), st.user.get("name"), list(groups))
    st.session_state["_identity"] = who
    if who.role is None:
        _no_role_page(who)
        st.stop()
    with st.sidebar:
        st.caption(
            f"Signed in as **{md_text(who.label, streamlit=True)}** · {who.role}",
            help=access.ROLE_HELP[who.role],
        )
        if st.button("Sign out", key="auth_logout", icon=":material/logout:"):
            st.logout()  # redirects to the provider's end-session page, then to the sign-in
            st.stop()
    return who


def identity() -> access.Identity:
    """The identity `gate()` resolved for this run (pages call this)."""
    who = st.session_state.get("_identity")
    if who is None:  # a page run outside app.py
        who = gate()
    return who


def can(action: str) -> bool:
    """Whether the current user may perform `action` (see `access.PERMISSIONS`)."""
    return access.can(identity().role, action)
