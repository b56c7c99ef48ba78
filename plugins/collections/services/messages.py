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

from sqlalchemy import Integer, String, case as sql_case, cast, func, insert, literal, select

from core.errors import UserError
from core.models.meta import utcnow
from plugins.collections.models import MESSAGE_CHANNELS, OutboxMessage
from plugins.collections.services import bulk
from core import context

log = logging.getLogger(__name__)
HOOK = "collections_send_message"
PLACEHOLDERS = ("customer", "loan", "amount", "days", "case")


def check_template(text: str, field: str = "message") -> None:
    """Refuse a text the renderers cannot both render the same way (see :func:`render_sql`)."""
    if "{{" in text or "}}" in text:
        raise UserError("Braces are only for placeholders such as {customer}; remove the {{ or }}.", field)
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise UserError("The text has an unmatched { or }; every { needs its }.", field) from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PLACEHOLDERS:
            raise UserError(f"Unknown placeholder {{{name}}}; use "
                            f"{', '.join('{' + p + '}' for p in PLACEHOLDERS)}.", field)
        if spec or conversion:
            raise UserError(f"Write placeholders plainly, like {{{name}}}; formats are not supported.", field)


def render(text: str, *, customer: str, loan: int, amount: Decimal, days: int, case: int) -> str:
    """The reference rendering of a strategy text (the SQL one must give the same)."""
    return text.format(customer=customer, loan=loan, amount=f"{amount:,.2f}", days=days, case=case)


def _amount_sql(dialect: str, amount):
    """SQL: ``amount`` written like ``1,234.56`` (as ``f"{amount:,.2f}"``)."""
    if dialect == "postgresql":
        return func.to_char(amount, "FM999,999,999,999,990.00")
    # SQLite's printf groups thousands for integers only: whole part, then the cents.
    return func.printf("%,d", cast(amount, Integer)) + "." + func.substr(func.printf("%.2f", amount), -2)


def render_sql(dialect: str, text, *, customer, loan, amount, days, case):
    """SQL rendering of a strategy text for many rows at once (the daily job); equals :func:`render`."""
    out = text
    for name, value in (("customer", customer), ("loan", cast(loan, String)), ("amount", _amount_sql(dialect, amount)),
                        ("days", cast(days, String)), ("case", cast(case, String))):
        out = func.replace(out, "{" + name + "}", value)
    return out


def gateway_enabled(session) -> bool:
    return context.has_listeners(session, HOOK)


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


def queue_for_items(session, item_ids: list[int]) -> int:
    """Write the messages of these SMS/email action items, rendered in SQL (the daily job's bulk path)."""
    from plugins.collections.models import ActionItem, Case, StrategyAction
    from plugins.lending.models import Customer, Loan

    if not item_ids:
        return 0
    A, S, C = ActionItem.__table__, StrategyAction.__table__, Case.__table__
    K, L = Customer.__table__, Loan.__table__
    dialect = session.get_bind().dialect.name
    status = "queued" if gateway_enabled(session) else "outbox"
    body = render_sql(dialect, S.c.message, customer=K.c.name, loan=C.c.loan_id, amount=C.c.overdue_amount,
                      days=L.c.days_past_due, case=C.c.id)
    recipient = sql_case((A.c.channel == "sms", K.c.phone), else_=K.c.email)
    now = utcnow()
    for chunk in bulk.id_chunks(session, item_ids):
        rows = (select(A.c.case_id, A.c.id, A.c.channel, recipient, func.substr(body, 1, 2000), literal(status),
                       literal(""), literal(""), literal(now))
                .select_from(A.join(S, S.c.id == A.c.action_id).join(C, C.c.id == A.c.case_id)
                             .join(K, K.c.id == C.c.customer_id).join(L, L.c.id == C.c.loan_id))
                .where(bulk.in_ids(session, A.c.id, chunk)))
        session.execute(insert(OutboxMessage.__table__).from_select(
            ["case_id", "action_item_id", "channel", "recipient", "body", "status", "provider_ref", "error",
             "created_at"], rows))
    return len(item_ids)


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
