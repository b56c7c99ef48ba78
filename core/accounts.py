"""Account services: login, passwords, users, roles, API keys, default-role sync.

Plain functions over a session; the web UI, the CLI and tests share them.
Security events go to the audit log through ``core.audit.record_event``.
"""
from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import func, select

from core import throttle
from core.audit import record_event
from core.context import settings as service_settings
from core.errors import AccountError, UserError  # noqa: F401  (AccountError: the old name)
from core.i18n import _, _n
from core.models.meta import utcnow
from core.models.user import ApiKey, Role, RolePermission, SeededPermission, User
from core.passwords import burn_password_time, hash_password, verify_password
from core.security import ADMIN_ROLE
from core.sessions import revoke_user_sessions

MIN_PASSWORD_LENGTH = 10
WRONG_CREDENTIALS = _("Wrong username or password.")
USERNAME_RULE = re.compile(r"[A-Za-z0-9._-]{1,64}")
#: The ~20,000 most common passwords (from Django's password validation, BSD licence; see core/data/README.md).
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None


def authenticate(session, username: str, password: str, settings: dict, client_addr: str | None = None) -> LoginResult:
    """Check a login, throttled per (username, client address). Never says which part was wrong.

    The attempt is counted before the password is checked (see ``core.throttle``), so
    concurrent guesses cannot slip past the limit; known and unknown usernames take
    the same path and get the same messages.
    """
    now = utcnow()
    username = (username or "").strip()
    wait = throttle.claim_attempt(session, username, client_addr, settings, now)
    if wait is not None:
        record_event(session, "login_throttled", "core.user", None, {"username": username[:64], "wait": wait})
        return LoginResult(None, _n("Too many failed logins for this username from your address; "
                                    "wait ${n} second and try again.",
                                    "Too many failed logins for this username from your address; "
                                    "wait ${n} seconds and try again.", wait))
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        burn_password_time(password, settings)
        record_event(session, "login_failed", "core.user", None, {"username": username[:64]})
        return LoginResult(None, WRONG_CREDENTIALS)
    if not verify_password(user.password_hash, password, settings):
        record_event(session, "login_failed", "core.user", user.id, {})
        return LoginResult(None, WRONG_CREDENTIALS)
    throttle.clear(session, username, client_addr)
    user.last_login = now
    record_event(session, "login", "core.user", user.id, {})
    return LoginResult(user)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip().lower() for line in lines if line.strip())


def check_new_password(user_or_name, password: str, field: str = "new_password") -> None:
    username = getattr(user_or_name, "username", user_or_name) or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Use at least ${n} characters.", mapping={"n": MIN_PASSWORD_LENGTH}), field)
    if password.strip().lower() == username.strip().lower():
        raise AccountError(_("The password must not be the username."), field)
    if password.strip().lower() in common_passwords():
        raise AccountError(_("This password is on a list of commonly used passwords; choose another."), field)


def check_username(session, username: str, user: User | None = None) -> str:
    """The username, stripped, if it follows the rules and no other user has it in any letter case."""
    username = (username or "").strip()
    if not USERNAME_RULE.fullmatch(username):
        raise AccountError(_("Use 1–64 letters, digits, dots, dashes or underscores."), "username")
    same = select(User.id).where(func.lower(User.username) == username.lower())
    if user is not None and user.id is not None:
        same = same.where(User.id != user.id)
    if session.scalars(same).first() is not None:
        raise AccountError(_("User '${username}' already exists (usernames ignore letter case).",
                             mapping={"username": username}), "username")
    return username


def rename_user(session, user: User, username: str) -> None:
    user.username = check_username(session, username, user)


def set_password(session, user: User, password: str, *, keep_session: str | None = None,
                 field: str = "new_password") -> None:
    """Set a password; every session (but ``keep_session``) and every API key of the user ends."""
    check_new_password(user, password, field)
    user.password_hash = hash_password(password, service_settings(session))
    record_event(session, "password_set", "core.user", user.id, {})
    revoke_user_sessions(session, user.id, "password changed", keep=keep_session)
    revoke_user_api_keys(session, user, "password changed")


def change_own_password(session, user: User, old: str, new: str, *, current_session: str | None = None) -> None:
    if not verify_password(user.password_hash, old, service_settings(session)):
        raise AccountError(_("The current password is wrong."), "old_password")
    set_password(session, user, new, keep_session=current_session)


def set_language(session, user: User, locale: str | None) -> None:
    """The user's language (None: follow the browser, then the company default); one of ``mutuo.locales``."""
    from core.i18n import available_locales

    locale = (locale or "").strip() or None
    if locale is not None and locale not in available_locales(service_settings(session)):
        raise AccountError(_("Choose one of the languages offered."), "locale")
    user.locale = locale  # audited like every change of a row


def create_user(session, username: str, password: str | None, *, full_name="", email="", roles=(), region="",
                locale: str | None = None) -> User:
    username = check_username(session, username)
    user = User(username=username, full_name=full_name, email=email, region=region, active=True)
    if locale:
        set_language(session, user, locale)
    if password is not None:
        check_new_password(username, password, "password")
        user.password_hash = hash_password(password, service_settings(session))
    user.roles = [get_role(session, name) for name in roles]
    session.add(user)
    session.flush()
    return user


def get_role(session, name: str) -> Role:
    role = session.scalars(select(Role).where(Role.name == name)).first()
    if role is None:
        raise AccountError(_("Role '${name}' does not exist; `mutuo roles list` shows the roles.",
                             mapping={"name": name}), "roles")
    return role


def get_user(session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise AccountError(_("User '${username}' does not exist.", mapping={"username": username}), "username")
    return user


def set_active(session, user: User, active: bool) -> None:
    if user.active == active:
        return
    user.active = active
    record_event(session, "user_activated" if active else "user_deactivated", "core.user", user.id, {})
    if not active:
        revoke_user_sessions(session, user.id, "deactivated")
        revoke_user_api_keys(session, user, "deactivated")


def log_out_everywhere(session, user: User) -> int:
    """End every session of the user, this one included; returns how many."""
    return revoke_user_sessions(session, user.id, "logged out everywhere")


def revoke_user_api_keys(session, user: User, reason: str) -> None:
    from core.apikeys import revoke_api_key

    for key in session.scalars(select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))):
        revoke_api_key(session, key, reason)


def set_user_roles(session, user: User, role_names) -> None:
    before = sorted(r.name for r in user.roles)
    user.roles = [get_role(session, n) for n in sorted(set(role_names))]
    after = sorted(r.name for r in user.roles)
    if before != after:
        record_event(session, "user_roles_changed", "core.user", user.id, {"roles": [before, after]})


def set_role_permissions(session, role: Role, permissions, known: dict) -> None:
    unknown = sorted(set(permissions) - set(known))
    if unknown:
        raise AccountError(_("Unknown permission(s): ${names}.", mapping={"names": ", ".join(unknown)}),
                           "permissions")
    before = role.permissions
    after = set(permissions)
    role.grants = [g for g in role.grants if g.permission in after] + [
        RolePermission(permission=p) for p in sorted(after - before)
    ]
    if before != after:
        record_event(session, "role_permissions_changed", "core.role", role.id,
                     {"added": sorted(after - before), "removed": sorted(before - after)})


def sync_default_roles(session, registry) -> list[str]:
    """Create missing default roles; add newly declared permissions once; keep admin edits.

    Returns a list of human-readable changes.
    """
    changes = []
    admin = session.scalars(select(Role).where(Role.name == ADMIN_ROLE)).first()
    if admin is None:
        session.add(Role(name=ADMIN_ROLE, title=_("Administrator"), builtin=True, plugin="core",
                         description=_("Holds every permission, including those of plugins enabled later.")))
        changes.append(_("created role admin"))
    seeded = {(s.role_name, s.permission) for s in session.scalars(select(SeededPermission))}
    for name, (plugin, spec) in registry.roles.items():
        role = session.scalars(select(Role).where(Role.name == name)).first()
        if role is None:
            role = Role(name=name, title=spec.title, description=spec.description, builtin=True, plugin=plugin)
            session.add(role)
            changes.append(_("created role ${name}", mapping={"name": name}))
        granted = []
        for perm in spec.permissions:
            if (name, perm) in seeded:
                continue
            if perm not in role.permissions:
                role.grants.append(RolePermission(permission=perm))
                granted.append(perm)
            session.add(SeededPermission(role_name=name, permission=perm))
        if granted:
            changes.append(_("granted ${name}: ${permissions}", mapping={"name": name, "permissions": ", ".join(granted)}))
    session.flush()
    return changes
