"""Delivery: the job ``core.deliver_messages`` (every minute) hands queued messages to the gateways.

Each run takes the queued messages that are due (``next_attempt_at`` ≤ now),
oldest first — ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never
send the same message — and for each:

* the address opted out since it was composed → ``suppressed``;
* no enabled gateway handles its channel (the gateway plugin was disabled) →
  it waits, still ``queued``;
* its gateway already had ``rate_per_minute`` attempts in the last minute →
  it waits for the next run;
* otherwise the gateway's ``send`` is called: a reference back → ``sent``;
  an exception → the error is kept and the message is tried again after
  :data:`BACKOFF` (1, 5, 30 minutes, then 2 hours), until it has had
  ``mutuo.messages.max_attempts`` attempts (default 5) → ``failed``.

The run's transaction records every status; a gateway that hangs is cut off
by the job's time limit.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from core import context
from core.messages.consent import address_key
from core.messages.gateways import gateway_by_channel, gateways_for
from core.models.message import Message, MessageConsent
from core.models.meta import utcnow

log = logging.getLogger(__name__)
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
DEFAULT_MAX_ATTEMPTS = 5
BATCH = 1000


@dataclass
class DeliveryRun:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    suppressed: int = 0
    waiting: int = 0  # held back by a rate limit or a missing gateway

    @property
    def summary(self) -> str:
        """In the language being served (a job: the company's)."""
        from core.formatting import current
        from core.i18n import _n

        number = current().number
        return _n("${n} message sent, ${retrying} to retry, ${failed} failed, ${suppressed} suppressed, "
                  "${waiting} waiting for the rate limit or a gateway",
                  "${n} messages sent, ${retrying} to retry, ${failed} failed, ${suppressed} suppressed, "
                  "${waiting} waiting for the rate limit or a gateway", self.sent,
                  mapping={"retrying": number(self.retrying), "failed": number(self.failed),
                           "suppressed": number(self.suppressed), "waiting": number(self.waiting)})


def max_attempts(session) -> int:
    raw = context.settings(session).get("mutuo.messages.max_attempts") or DEFAULT_MAX_ATTEMPTS
    return max(1, int(raw))


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def _budgets(session, gateways, now: datetime) -> dict[str, int | None]:
    """Attempts each gateway may still make in this minute (None: no limit)."""
    budgets: dict[str, int | None] = {}
    for gateway in gateways:
        if gateway.rate_per_minute is None:
            budgets[gateway.name] = None
            continue
        used = session.scalar(select(func.count()).where(
            Message.gateway == gateway.name, Message.last_attempt_at > now - timedelta(minutes=1))) or 0
        budgets[gateway.name] = max(0, gateway.rate_per_minute - used)
    return budgets


def _opted_out(session, due: list[Message]) -> set[tuple[str, str]]:
    """(channel, address key) of the batch's addresses that opted out, in one query."""
    keys = {address_key(m.address) for m in due}
    if not keys:
        return set()
    rows = session.execute(select(MessageConsent.channel, MessageConsent.address).where(
        MessageConsent.address.in_(keys), MessageConsent.opted_out_at.is_not(None)))
    return {(channel, address) for channel, address in rows}


def deliver(session, now: datetime | None = None, limit: int = BATCH) -> DeliveryRun:
    """One run of ``core.deliver_messages`` (see the module docstring); ``now`` is for tests."""
    now = now or utcnow()
    run = DeliveryRun()
    gateways = gateways_for(session)
    if not gateways:
        return run
    by_channel = gateway_by_channel(gateways)
    budgets = _budgets(session, gateways, now)
    most = max_attempts(session)
    stmt = (select(Message).where(Message.status == "queued", Message.next_attempt_at <= now)
            .order_by(Message.next_attempt_at, Message.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    due = session.scalars(stmt).all()
    opted_out = _opted_out(session, due)
    for message in due:
        gateway = by_channel.get(message.channel)
        if gateway is None or budgets[gateway.name] == 0:
            run.waiting += 1
            continue
        if (message.channel, address_key(message.address)) in opted_out:
            message.status = "suppressed"
            run.suppressed += 1
            continue
        left = budgets[gateway.name]
        if left is not None:
            budgets[gateway.name] = left - 1
        _attempt(message, gateway, now, most, run)
    session.flush()
    return run


def _attempt(message: Message, gateway, now: datetime, most: int, run: DeliveryRun) -> None:
    message.attempts = (message.attempts or 0) + 1
    message.gateway, message.last_attempt_at = gateway.name, now
    try:
        ref = gateway.send(message)
    except Exception as exc:  # the gateway's error is kept on the message; the others still go
        log.warning("message %s to %s failed (attempt %s): %s", message.id, message.address, message.attempts, exc)
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= most:
            message.status, message.next_attempt_at = "failed", None
            run.failed += 1
        else:
            message.next_attempt_at = now + backoff(message.attempts)
            run.retrying += 1
        return
    message.status, message.provider_ref, message.sent_at = "sent", str(ref or "")[:100], now
    message.next_attempt_at = None
    run.sent += 1


# -- core's jobs (declared in core.hooks, as a plugin declares its own) ------------------

def deliver_messages(request) -> str:
    """Send what the departments queued (see core.messages.delivery)."""
    if not gateways_for(request.dbsession):
        return "no message gateway enabled: messages stay in the outbox (Admin > Messages)"
    return deliver(request.dbsession).summary
