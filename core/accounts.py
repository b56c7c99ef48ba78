"""Account services: login, passwords, users, roles, API keys, default-role sync.

Plain functions over a session; the web UI, the CLI and tests share them.
Security events go to the audit log through ``core.audit.record_event``.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core.audit import record_event
from core.errors import UserError
from core.models.meta import utcnow
from core.models.user import ApiKey, Role, RolePermission, SeededPermission, User
from core.security import (
    ADMIN_ROLE, burn_password_time, hash_api_key, hash_password, lock_settings, new_api_key,
    new_security_stamp, verify_password,
)

MIN_PASSWORD_LENGTH = 10
WRONG_CREDENTIALS = "Wrong username or password."


AccountError = UserError


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None


def authenticate(session, username: str, password: str, settings: dict) -> LoginResult:
    """Check a login; count failures and lock after too many. Never says which part was wrong."""
    user = session.scalars(select(User).where(User.username == username.strip())).first()
    if user is None or not user.active:
        burn_password_time(password)
        record_event(session, "login_failed", "core.user", None, {"username": username[:64]})
        return LoginResult(None, WRONG_CREDENTIALS)
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        record_event(session, "login_failed", "core.user", user.id, {"reason": "locked"})
        return LoginResult(None, "This account is locked after too many failed logins; try again later or ask an admin.")
    if not verify_password(user.password_hash, password):
        max_failures, lock_for = lock_settings(settings)
        user.failed_logins += 1
        record_event(session, "login_failed", "core.user", user.id, {"failed_logins": user.failed_logins})
        if user.failed_logins >= max_failures:
            user.locked_until = now + lock_for
            user.failed_logins = 0
            record_event(session, "lockout", "core.user", user.id, {"until": user.locked_until.isoformat()})
        return LoginResult(None, WRONG_CREDENTIALS)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login = now
    if not user.security_stamp:
        user.security_stamp = new_security_stamp()
    record_event(session, "login", "core.user", user.id, {})
    return LoginResult(user)


def check_new_password(user_or_name, password: str) -> None:
    username = getattr(user_or_name, "username", user_or_name)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use at least {MIN_PASSWORD_LENGTH} characters.", "new_password")
    if password.strip().lower() == (username or "").lower():
        raise AccountError("The password must not be the username.", "new_password")


def set_password(session, user: User, password: str) -> None:
    check_new_password(user, password)
    user.password_hash = hash_password(password)
    user.security_stamp = new_security_stamp()  # other sessions end
    user.failed_logins = 0
    user.locked_until = None
    record_event(session, "password_set", "core.user", user.id, {})


def change_own_password(session, user: User, old: str, new: str) -> None:
    if not verify_password(user.password_hash, old):
        raise AccountError("The current password is wrong.", "old_password")
    set_password(session, user, new)


def create_user(session, username: str, password: str | None, *, full_name="", email="", roles=(), region="") -> User:
    username = (username or "").strip()
    if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise AccountError("Use 1–64 letters, digits, dots, dashes or underscores.", "username")
    if session.scalars(select(User).where(User.username == username)).first():
        raise AccountError(f"User '{username}' already exists.", "username")
    user = User(username=username, full_name=full_name, email=email, region=region,
                security_stamp=new_security_stamp(), active=True, failed_logins=0)
    if password is not None:
        check_new_password(username, password)
        user.password_hash = hash_password(password)
    user.roles = [get_role(session, name) for name in roles]
    session.add(user)
    session.flush()
    return user


def get_role(session, name: str) -> Role:
    role = session.scalars(select(Role).where(Role.name == name)).first()
    if role is None:
        raise AccountError(f"Role '{name}' does not exist; `mutuo roles list` shows the roles.", "roles")
    return role


def get_user(session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise AccountError(f"User '{username}' does not exist.", "username")
    return user


def set_active(session, user: User, active: bool) -> None:
    if user.active == active:
        return
    user.active = active
    if not active:
        user.security_stamp = new_security_stamp()  # ends every session
        for key in session.scalars(select(ApiKey).where(ApiKey.user_id == user.id, ApiKey.revoked_at.is_(None))):
            key.revoked_at = utcnow()
    record_event(session, "user_activated" if active else "user_deactivated", "core.user", user.id, {})


def set_user_roles(session, user: User, role_names) -> None:
    before = sorted(r.name for r in user.roles)
    user.roles = [get_role(session, n) for n in sorted(set(role_names))]
    after = sorted(r.name for r in user.roles)
    if before != after:
        record_event(session, "user_roles_changed", "core.user", user.id, {"roles": [before, after]})


def set_role_permissions(session, role: Role, permissions, known: dict) -> None:
    unknown = sorted(set(permissions) - set(known))
    if unknown:
        raise AccountError(f"Unknown permission(s): {', '.join(unknown)}.", "permissions")
    before = role.permissions
    after = set(permissions)
    role.grants = [g for g in role.grants if g.permission in after] + [
        RolePermission(permission=p) for p in sorted(after - before)
    ]
    if before != after:
        record_event(session, "role_permissions_changed", "core.role", role.id,
                     {"added": sorted(after - before), "removed": sorted(before - after)})


def create_api_key(session, user: User, name: str) -> tuple[ApiKey, str]:
    name = (name or "").strip()
    if not name:
        raise AccountError("Give the key a name that says where it is used.", "name")
    plain = new_api_key()
    key = ApiKey(user_id=user.id, name=name[:100], prefix=plain[:12], key_hash=hash_api_key(plain))
    session.add(key)
    session.flush()
    record_event(session, "api_key_created", "core.user", user.id, {"key": key.prefix, "name": key.name})
    return key, plain


def revoke_api_key(session, key: ApiKey) -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record_event(session, "api_key_revoked", "core.user", key.user_id, {"key": key.prefix})


def sync_default_roles(session, registry) -> list[str]:
    """Create missing default roles; add newly declared permissions once; keep admin edits.

    Returns a list of human-readable changes.
    """
    changes = []
    admin = session.scalars(select(Role).where(Role.name == ADMIN_ROLE)).first()
    if admin is None:
        session.add(Role(name=ADMIN_ROLE, title="Administrator", builtin=True, plugin="core",
                         description="Holds every permission, including those of plugins enabled later."))
        changes.append("created role admin")
    seeded = {(s.role_name, s.permission) for s in session.scalars(select(SeededPermission))}
    for name, (plugin, spec) in registry.roles.items():
        role = session.scalars(select(Role).where(Role.name == name)).first()
        if role is None:
            role = Role(name=name, title=spec.title, description=spec.description, builtin=True, plugin=plugin)
            session.add(role)
            changes.append(f"created role {name}")
        granted = []
        for perm in spec.permissions:
            if (name, perm) in seeded:
                continue
            if perm not in role.permissions:
                role.grants.append(RolePermission(permission=perm))
                granted.append(perm)
            session.add(SeededPermission(role_name=name, permission=perm))
        if granted:
            changes.append(f"granted {name}: {', '.join(granted)}")
    session.flush()
    return changes
