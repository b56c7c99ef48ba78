"""Server-side login sessions: one row per login in ``core_session``.

The signed cookie (Pyramid's ``SignedCookieSessionFactory``) still carries the
CSRF token and flash messages, plus one random token that names the login; the
table holds the SHA-256 of that token. Every request looks the row up, so a
session ends the moment its row is revoked: at logout, password change,
deactivation, "log out everywhere", or when it was idle longer than
``mutuo.session_idle_minutes`` or older than ``mutuo.session_max_hours``.

Why a table and not Redis: it works the same on SQLite and PostgreSQL, needs no
extra service in the embedded setup, and revoking "every session of a user" is
one UPDATE. The lookup is one primary-key read per request; ``last_seen`` is
written at most once per ``TOUCH_EVERY`` per session, so most requests write nothing.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import joinedload

from core.audit import record_event
from core.models.meta import utcnow
from core.models.user import User, UserSession
from core.stamps import global_stamp_column

SESSION_TOKEN = "sid"  # key in the signed cookie
TOUCH_EVERY = timedelta(seconds=60)
DEFAULT_IDLE_MINUTES = 30
DEFAULT_MAX_HOURS = 8


def session_limits(settings) -> tuple[timedelta, timedelta]:
    """(idle timeout, absolute lifetime) from the settings."""
    idle = int(settings.get("mutuo.session_idle_minutes", DEFAULT_IDLE_MINUTES))
    lifetime = int(settings.get("mutuo.session_max_hours", DEFAULT_MAX_HOURS))
    return timedelta(minutes=idle), timedelta(hours=lifetime)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(dbsession, user: User, *, ip: str | None, user_agent: str | None) -> tuple[UserSession, str]:
    """A new session row for ``user``; returns it and the plain token for the cookie."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(id=token_hash(token), user_id=user.id, created_at=now, last_seen=now,
                      ip=(ip or "")[:64], user_agent=(user_agent or "")[:200])
    dbsession.add(row)
    dbsession.flush()
    return row, token


def find_session(dbsession, token: str | None, settings, now: datetime | None = None) -> UserSession | None:
    """The live session named by ``token`` (not revoked, not idle, not too old, user active), else None."""
    if not token or not isinstance(token, str):
        return None
    # One statement: the session, its user (with the user's security stamp) and the global stamp,
    # which together key the cached permission set (core.stamps, core.web.policy).
    found = dbsession.execute(select(UserSession, global_stamp_column())
                              .options(joinedload(UserSession.user))
                              .where(UserSession.id == token_hash(token))).first()
    if found is None:
        return None
    row, stamp = found
    if row.revoked_at is not None:
        return None
    row.global_stamp = stamp or ""  # a plain attribute, not a column: read by the security policy
    now = now or utcnow()
    idle, lifetime = session_limits(settings)
    if now - row.last_seen > idle or now - row.created_at > lifetime or not row.user.active:
        return None
    if now - row.last_seen > TOUCH_EVERY:
        _touch(dbsession, row, now)
    return row


def _touch(dbsession, row: UserSession, now: datetime) -> None:
    # A Core UPDATE: the ORM row stays clean, so no audit entry and no flush of other state.
    dbsession.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen=now))
    row.__dict__["last_seen"] = now  # keep the loaded row in step without marking it dirty
    tm = dbsession.info.get("tm")
    if tm is not None:  # a GET must still commit this write
        import zope.sqlalchemy
        zope.sqlalchemy.mark_changed(dbsession, transaction_manager=tm)


def revoke_session(dbsession, row: UserSession, reason: str) -> None:
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        record_event(dbsession, "session_revoked", "core.user", row.user_id, {"reason": reason})


def revoke_user_sessions(dbsession, user_id: int, reason: str, *, keep: str | None = None) -> int:
    """End every live session of a user (but ``keep``, a session id); returns how many ended."""
    stmt = update(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    ended = dbsession.execute(stmt.values(revoked_at=utcnow()).execution_options(synchronize_session="fetch")).rowcount
    if ended:
        record_event(dbsession, "sessions_revoked", "core.user", user_id, {"reason": reason, "count": ended})
    return ended


def live_sessions(dbsession, user_id: int, settings) -> list[UserSession]:
    """The user's sessions that would still be accepted, newest first."""
    idle, lifetime = session_limits(settings)
    now = utcnow()
    rows = dbsession.scalars(select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
                             .order_by(UserSession.created_at.desc()))
    return [r for r in rows if now - r.last_seen <= idle and now - r.created_at <= lifetime]


KEEP_ENDED = timedelta(days=7)


def purge_ended(dbsession, settings, now: datetime | None = None) -> int:
    """Delete sessions revoked, idle or expired more than a week ago (the audit log keeps the events)."""
    now = now or utcnow()
    idle, lifetime = session_limits(settings)
    stmt = delete(UserSession).where(or_(
        UserSession.revoked_at < now - KEEP_ENDED,
        UserSession.last_seen < now - idle - KEEP_ENDED,
        UserSession.created_at < now - lifetime - KEEP_ENDED,
    ))
    return dbsession.execute(stmt.execution_options(synchronize_session=False)).rowcount


# -- core's jobs (declared in core.hooks, as a plugin declares its own) ------------------

def identity_cleanup(request) -> str:
    """Delete long-ended login sessions and stale login-throttle counters."""
    from core import throttle

    sessions = purge_ended(request.dbsession, request.registry.settings)
    throttles = throttle.purge_stale(request.dbsession, utcnow())
    from core.formatting import current
    from core.i18n import _n

    return _n("${n} ended session and ${throttles} stale login counters removed",
              "${n} ended sessions and ${throttles} stale login counters removed", sessions,
              mapping={"throttles": current().number(throttles)})
