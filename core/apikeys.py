"""Personal API keys: scoped, optionally expiring, revocable, never stronger than their user.

A key carries a *scope*: the permission names it may use. On every request the
key's permissions are ``scope ∩ the user's current permissions`` minus the
session-only permissions (``core.security.SESSION_ONLY``): a key never exceeds
its user, loses what the user loses, and can never reach the pages that change
keys, passwords or users. The default scope is read-only: the user's permissions
whose action is ``view`` (or ``view_…``, e.g. ``collections.case.view_all``).

Only the SHA-256 of a key is stored (keys are 256 random bits, so a fast hash
is enough); the plain key is shown once. ``last_used`` and ``last_used_ip`` are
written at most once a minute per key (or when the address changes).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from core.audit import record_event
from core.errors import UserError
from core.i18n import _
from core.models.meta import utcnow
from core.models.user import ApiKey, User
from core.security import SESSION_ONLY, effective_permissions, hash_api_key, new_api_key

TOUCH_EVERY = timedelta(seconds=60)


#: The words of a key's states (shown with ``current().label(state)``).
KEY_STATE_WORDS = (_("active"), _("expired"), _("revoked"))


def is_read_only(permission: str) -> bool:
    action = permission.rsplit(".", 1)[-1]
    return action == "view" or action.startswith("view_")


def grantable_permissions(user: User, registry) -> list[str]:
    """What a key of ``user`` may be given: their current permissions but the session-only ones."""
    return sorted(p for p in effective_permissions(user, registry) if p not in SESSION_ONLY)


def default_scope(user: User, registry) -> list[str]:
    return [p for p in grantable_permissions(user, registry) if is_read_only(p)]


def expiry_from_date(day: date | None) -> datetime | None:
    """A key valid *through* ``day`` stops at the following midnight (UTC)."""
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def create_api_key(session, user: User, name: str, registry, *, scope=None,
                   expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """A new key for ``user``; ``scope`` None means read-only. Returns the row and the plain key."""
    name = (name or "").strip()
    if not name:
        raise UserError(_("Give the key a name that says where it is used."), "name")
    allowed = set(grantable_permissions(user, registry))
    chosen = sorted(set(default_scope(user, registry) if scope is None else scope))
    refused = [p for p in chosen if p not in allowed]
    if refused:
        raise UserError(_("A key of ${username} cannot hold ${permissions}: the user lacks it, "
                          "or it is for logged-in sessions only.",
                          mapping={"username": user.username, "permissions": ", ".join(refused)}), "scope")
    if not chosen:
        raise UserError(_("Choose at least one permission for the key."), "scope")
    if expires_at is not None and expires_at <= utcnow():
        raise UserError(_("The expiry date must be in the future."), "expires")
    plain = new_api_key()
    key = ApiKey(user_id=user.id, name=name[:100], prefix=plain[:12], key_hash=hash_api_key(plain),
                 scope=" ".join(chosen), expires_at=expires_at)
    session.add(key)
    session.flush()
    record_event(session, "api_key_created", "core.user", user.id,
                 {"key": key.prefix, "name": key.name, "scope": chosen,
                  "expires_at": expires_at.isoformat() if expires_at else None})
    return key, plain


def revoke_api_key(session, key: ApiKey, reason: str = "revoked") -> None:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record_event(session, "api_key_revoked", "core.user", key.user_id, {"key": key.prefix, "reason": reason})


def user_keys(session, user_id: int) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.user_id == user_id).order_by(ApiKey.id)))


def key_for_token(session, token: str, client_addr: str | None) -> ApiKey | None:
    """The usable key for a Bearer token (not revoked, not expired, user active), else None."""
    key = session.scalars(select(ApiKey).options(joinedload(ApiKey.user))
                          .where(ApiKey.key_hash == hash_api_key(token))).first()
    now = utcnow()
    if key is None or not key.usable_at(now) or not key.user.active:
        return None
    addr = (client_addr or "")[:64] or None
    if key.last_used is None or now - key.last_used > TOUCH_EVERY or key.last_used_ip != addr:
        _touch(session, key, now, addr)
    return key


def _touch(session, key: ApiKey, now: datetime, addr: str | None) -> None:
    # A Core UPDATE: use is not a change a person made, so it stays out of the audit log.
    session.execute(update(ApiKey).where(ApiKey.id == key.id).values(last_used=now, last_used_ip=addr)
                    .execution_options(synchronize_session=False))
    key.__dict__["last_used"], key.__dict__["last_used_ip"] = now, addr
    tm = session.info.get("tm")
    if tm is not None:
        import zope.sqlalchemy
        zope.sqlalchemy.mark_changed(session, transaction_manager=tm)
