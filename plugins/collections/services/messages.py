"""SMS and email to debtors through a message gateway; the default gateway is the outbox table.

Every message is first written to ``collections_outbox`` in the transaction
that decided to send it, so nothing is sent for work that rolls back:

* no plugin implements ``collections_send_message`` (the default): the
  outbox *is* the gateway — messages are stored with status ``outbox`` and the
  Outbox screen shows them;
* a gateway plugin is enabled: messages are stored ``queued`` and the job
  ``collections.deliver_messages`` hands them to it after commit, marking
  each ``sent`` (with the provider's reference) or ``failed`` (with the error).
"""
from __future__ import annotations

import logging
import string
from decimal import Decimal

from sqlalchemy import insert, select

from core.errors import UserError
from core.models.meta import utcnow
from plugins.collections.models import MESSAGE_CHANNELS, OutboxMessage
from plugins.lending.services import context

log = logging.getLogger(__name__)
HOOK = "collections_send_message"
PLACEHOLDERS = ("customer", "loan", "amount", "days", "case")
_SAMPLE = {"customer": "Ana Example", "loan": 1, "amount": "1,000.00", "days": 5, "case": 1}


def check_template(text: str, field: str = "message") -> None:
    """Refuse a text whose {placeholders} the renderer does not know."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError:
        raise UserError("The text has an unmatched { or }; write {{ or }} for a literal brace.", field) from None
    unknown = [n for n in names if n not in PLACEHOLDERS]
    if unknown:
        raise UserError(f"Unknown placeholder {{{unknown[0]}}}; use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}.",
                        field)


def render(text: str, *, customer: str, loan: int, amount: Decimal, days: int, case: int) -> str:
    return text.format(customer=customer, loan=loan, amount=f"{amount:,.2f}", days=days, case=case)


def gateway_enabled(session) -> bool:
    pm = context.plugin_manager(session)
    caller = getattr(pm.hook, HOOK, None) if pm is not None else None
    return bool(caller and caller.get_hookimpls())


def recipient_for(customer, channel: str) -> str:
    return (customer.phone if channel == "sms" else customer.email) or ""


def check_sendable(case, channel: str, body: str) -> str:
    """The recipient of a message we may send; a UserError when there is no text or no address."""
    if channel not in MESSAGE_CHANNELS:
        raise UserError(f"Only {' and '.join(MESSAGE_CHANNELS)} are sent as messages.", "channel")
    body = (body or "").strip()
    if not body:
        raise UserError(f"Write the {channel} text.", "message")
    recipient = recipient_for(case.customer, channel)
    if not recipient:
        what = "phone number" if channel == "sms" else "email address"
        raise UserError(f"{case.customer.name} has no {what} on file; update the customer or choose another channel.",
                        "channel")
    return recipient


def queue_message(session, case, channel: str, body: str, *, action_item_id=None, contact_id=None) -> OutboxMessage:
    """Write one message to the outbox (see the module docstring); refuse it when the customer has no address."""
    recipient = check_sendable(case, channel, body)
    body = body.strip()
    message = OutboxMessage(case_id=case.id, action_item_id=action_item_id, contact_id=contact_id, channel=channel,
                            recipient=recipient, body=body[:2000],
                            status="queued" if gateway_enabled(session) else "outbox")
    session.add(message)
    session.flush()
    return message


def queue_many(session, rows: list[dict]) -> int:
    """Write many messages at once (the action-item job): rows of case_id, action_item_id, channel, recipient, body."""
    if not rows:
        return 0
    status = "queued" if gateway_enabled(session) else "outbox"
    now = utcnow()
    session.execute(insert(OutboxMessage.__table__), [
        {"contact_id": None, "provider_ref": "", "error": "", "sent_at": None, **row, "status": status,
         "created_at": now} for row in rows])
    return len(rows)


def deliver(session, limit: int = 500) -> str:
    """Hand queued messages to the gateway plugin (the job ``collections.deliver_messages``)."""
    if not gateway_enabled(session):
        return "no message gateway enabled: messages stay in the outbox"
    stmt = select(OutboxMessage).where(OutboxMessage.status == "queued").order_by(OutboxMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # two workers never send the same message
    hook = getattr(context.plugin_manager(session).hook, HOOK)
    sent = failed = 0
    for message in session.scalars(stmt):
        try:
            ref = hook(message=message)
        except Exception as exc:  # the gateway's error is kept on the message, the others still go
            log.warning("message %s to %s failed: %s", message.id, message.recipient, exc)
            message.status, message.error = "failed", str(exc)[:2000]
            failed += 1
            continue
        if ref is None:
            continue  # nobody answered for this message: leave it queued
        message.status, message.provider_ref, message.sent_at = "sent", str(ref)[:100], utcnow()
        sent += 1
    session.flush()
    return f"{sent} message(s) sent, {failed} failed"
