"""Who may see what: roles from a small TOML file, permission checks, the bind rule.

Pure library logic (no Streamlit): `cockpit.ui.auth` feeds it the signed-in identity, the
correction path (`tagging.corrections.correct`) calls `require` so a forged request from a
read-only user is refused server-side, not only hidden in the UI.

The roles file (`$COCKPIT_HOME/roles.toml` by default, `COCKPIT_ROLES` to move it):

    [users]
    "dana@example.com" = { role = "csm", csm = "Dana Diaz" }   # csm = her name in the store
    "sam@example.com" = "csm"                                  # csm name = the login's name
    "rita@example.com" = "sales"

    [groups]            # matched against the identity token's `groups` claim
    "cockpit-data" = "data"
    "it-admins" = "admin"

A user entry wins over groups; with several matching groups the broadest role wins.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from cockpit.errors import CockpitError

# Broadest first: the order decides which role wins when several groups match.
ROLES = ("admin", "data", "csm", "sales")
ROLE_HELP = {
    "admin": "everything",
    "data": "everything, including Data health details and quarantined raw rows",
    "csm": "all accounts, lands on their own book, may correct tags",
    "sales": "read-only: all accounts, no corrections, no overrides",
}
PERMISSIONS = {
    "view": {"admin", "data", "csm", "sales"},
    "correct": {"admin", "data", "csm"},  # tag corrections
    "override": {"admin", "data", "csm"},  # type overrides
    "details": {"admin", "data"},  # Data health details: step logs, quarantined raw rows
    "curate": {"admin", "data"},  # emerging topics: promote into the taxonomy, dismiss
}
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
# Without sign-in the app trusts whoever reaches it: only the local machine can, so it acts
# as an operator (same rights as the CLI).
OPEN_ROLE = "admin"


class RolesError(CockpitError):
    """The roles file is not valid TOML or maps to an unknown role."""


class AccessDeniedError(CockpitError):
    """The signed-in user's role does not allow this action."""

    def __init__(self, action: str, role: str | None):
        allowed = ", ".join(r for r in ROLES if r in PERMISSIONS.get(action, ()))
        super().__init__(
            f"your role ({role or 'none'}) may not {action}; it needs one of: {allowed}. "
            "Ask your Cockpit admin to change your role in the roles file."
        )


class OpenBindError(CockpitError):
    """The app would serve every account without sign-in on a non-local address."""


@dataclass(frozen=True)
class Identity:
    """A signed-in user as Cockpit sees them."""

    email: str | None
    name: str | None
    role: str | None  # None: signed in but no role (sees the "ask your admin" page)
    csm: str | None = None  # their name in the store's CSM column: the default book

    @property
    def label(self) -> str:
        """Who made a change, as the audit records it."""
        return self.email or self.name or "unknown"


@dataclass(frozen=True)
class RoleMap:
    """E-mails and groups mapped to roles (keys lower-cased: e-mail matching ignores case)."""

    users: dict[str, str] = field(default_factory=dict)
    user_csm: dict[str, str] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)

    def resolve(
        self, email: str | None, name: str | None = None, groups: list[str] | tuple = ()
    ) -> Identity:
        """The identity of a signed-in user: their role (or None) and their CSM book."""
        key = (email or "").strip().lower()
        role = self.users.get(key)
        if role is None:
            matched = {self.groups[g.lower()] for g in groups or () if g.lower() in self.groups}
            role = next((r for r in ROLES if r in matched), None)
        csm = self.user_csm.get(key) or (name if role == "csm" else None)
        return Identity(email=email, name=name, role=role, csm=csm)


def _role(value: object, where: str, path: Path) -> str:
    if not isinstance(value, str) or value not in ROLES:
        raise RolesError(
            f"{path}: {where} has role {value!r}; expected one of {', '.join(ROLES)}. "
            "Fix the roles file; the app re-reads it on the next page load."
        )
    return value


def parse_roles(text: str, path: Path | str = "roles.toml") -> RoleMap:
    """Validate the roles file's text (see the module docstring) into a RoleMap."""
    path = Path(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RolesError(f"{path}: not valid TOML ({exc}). Fix the file.") from None
    unknown = sorted(set(data) - {"users", "groups"})
    if unknown:
        raise RolesError(
            f"{path}: unknown section(s) {', '.join(unknown)}; expected [users] and [groups]."
        )
    users, user_csm, groups = {}, {}, {}
    for email, value in (data.get("users") or {}).items():
        where = f"[users] {email!r}"
        if isinstance(value, dict):
            extra = sorted(set(value) - {"role", "csm"})
            if extra:
                raise RolesError(
                    f"{path}: {where} has unknown key(s) {', '.join(extra)}; expected role, csm."
                )
            users[email.lower()] = _role(value.get("role"), where, path)
            if value.get("csm"):
                user_csm[email.lower()] = str(value["csm"])
        else:
            users[email.lower()] = _role(value, where, path)
    for group, value in (data.get("groups") or {}).items():
        groups[group.lower()] = _role(value, f"[groups] {group!r}", path)
    return RoleMap(users=users, user_csm=user_csm, groups=groups)


def load_roles(path: Path | str) -> RoleMap:
    """Read and validate the roles file; a missing file maps nobody (everyone gets no role)."""
    path = Path(path)
    if not path.exists():
        return RoleMap()
    return parse_roles(path.read_text(encoding="utf-8"), path)


def can(role: str | None, action: str) -> bool:
    """Whether `role` may perform `action` (a key of PERMISSIONS)."""
    if action not in PERMISSIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(PERMISSIONS)}")
    return role in PERMISSIONS[action]


def require(role: str | None, action: str) -> None:
    """Raise AccessDeniedError unless `role` may perform `action`."""
    if not can(role, action):
        raise AccessDeniedError(action, role)


def auth_configured(secrets: dict) -> bool:
    """Whether Streamlit secrets configure an OIDC provider for `st.login` ([auth] section)."""
    auth = secrets.get("auth") if isinstance(secrets, dict) else None
    if not isinstance(auth, dict):
        return False
    direct = {"client_id", "server_metadata_url"} <= set(auth)
    named = any(isinstance(v, dict) and "client_id" in v for v in auth.values())
    return bool(auth.get("redirect_uri") and auth.get("cookie_secret") and (direct or named))


def read_secrets(paths: list[Path]) -> dict:
    """Merge Streamlit secrets files (later files win, like Streamlit); unreadable ones skipped."""
    merged: dict = {}
    for p in paths:
        try:
            merged.update(tomllib.loads(Path(p).read_text(encoding="utf-8")))
        except (OSError, tomllib.TOMLDecodeError):
            continue
    return merged


def check_bind(host: str | None, auth: bool, allow_open: bool) -> None:
    """Refuse to serve without sign-in on anything but localhost unless explicitly allowed.

    `host` empty or None means every interface (Streamlit's default).
    """
    if auth or allow_open or (host or "") in LOCAL_HOSTS:
        return
    where = host or "every network interface"
    raise OpenBindError(
        f"no sign-in is configured, so Cockpit would serve every account to anyone reaching "
        f"{where}. Configure an OpenID Connect provider in .streamlit/secrets.toml (see README "
        "'Sign-in and roles'), serve on 127.0.0.1, or pass --allow-open "
        "(COCKPIT_ALLOW_OPEN=1) to accept an open app."
    )
