"""Login throttling per (lower-cased username, client address), counted atomically.

Each attempt first *claims* a try with one UPDATE that adds 1 to the pair's
counter only if the pair is not waiting (``next_attempt_at`` unset or past),
and in the same statement sets the next wait once the counter reaches the
limit: 1 s, 2 s, 4 s … up to ``mutuo.login.max_delay_seconds``. The password
is checked only after a successful claim, so however many requests race, at
most ``limit`` of them (and then one per wait) reach the password check: the
database row lock (PostgreSQL) or write lock (SQLite) orders them.

The account itself is never locked: the wait binds one username from one
address, so nobody can keep an admin out by guessing wrong from elsewhere.
A successful login clears only its own pair. Unknown usernames are counted
the same way, so the answers never tell known from unknown users.
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import case, delete, literal, or_, select, update

from core.models.meta import UTCDateTime
from core.models.user import LoginThrottle

DEFAULT_LIMIT = 5
DEFAULT_MAX_DELAY = 900  # seconds


def throttle_settings(settings) -> tuple[int, int]:
    """(attempts before waits start, longest wait in seconds)."""
    limit = int(settings.get("mutuo.login.max_failures", DEFAULT_LIMIT))
    cap = int(settings.get("mutuo.login.max_delay_seconds", DEFAULT_MAX_DELAY))
    return max(limit, 1), max(cap, 1)


def _key(username: str, client_addr: str | None) -> tuple[str, str]:
    return (username or "").strip().lower()[:64], (client_addr or "unknown")[:64]


def _insert_ignore(dialect: str):
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def claim_attempt(session, username: str, client_addr: str | None, settings, now: datetime) -> int | None:
    """Count one attempt; None if the password may be checked, else the seconds to wait."""
    name, addr = _key(username, client_addr)
    limit, cap = throttle_settings(settings)
    table = LoginThrottle
    insert = _insert_ignore(session.get_bind().dialect.name)
    session.execute(insert(table).values(username=name, client_addr=addr, failures=0).on_conflict_do_nothing())
    count = table.failures + 1
    # The n-th attempt (n >= limit) makes the next one wait 2^(n-limit) s, capped: one CASE, no read first.
    steps = math.ceil(math.log2(cap)) + 1
    waits = [(count == limit + i, literal(now + timedelta(seconds=min(2 ** i, cap)), UTCDateTime()))
             for i in range(steps)]
    next_at = case((count < limit, table.next_attempt_at), *waits,
                   else_=literal(now + timedelta(seconds=cap), UTCDateTime()))
    claimed = session.execute(
        update(table)
        .where(table.username == name, table.client_addr == addr,
               or_(table.next_attempt_at.is_(None), table.next_attempt_at <= now))
        .values(failures=count, next_attempt_at=next_at, last_attempt_at=now)
        .returning(table.failures)
        .execution_options(synchronize_session=False)
    ).first()
    if claimed is not None:
        return None
    waiting_until = session.scalar(select(table.next_attempt_at).where(table.username == name, table.client_addr == addr))
    return max(1, math.ceil((waiting_until - now).total_seconds())) if waiting_until else 1


def clear(session, username: str, client_addr: str | None) -> None:
    """A successful login: forget this pair's failures (other pairs keep theirs)."""
    name, addr = _key(username, client_addr)
    session.execute(delete(LoginThrottle).where(LoginThrottle.username == name, LoginThrottle.client_addr == addr)
                    .execution_options(synchronize_session=False))


FORGET_AFTER = timedelta(days=1)


def purge_stale(session, now: datetime) -> int:
    """Forget pairs with no attempt for a day and no wait running (their counts restart)."""
    stmt = delete(LoginThrottle).where(
        LoginThrottle.last_attempt_at < now - FORGET_AFTER,
        or_(LoginThrottle.next_attempt_at.is_(None), LoginThrottle.next_attempt_at < now),
    )
    return session.execute(stmt.execution_options(synchronize_session=False)).rowcount
