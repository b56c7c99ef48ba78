"""Composing messages: one at a time (:func:`compose`) or set-based (:func:`compose_from_select`).

Every message is written to ``core_message`` in the transaction that decided
to send it, so nothing leaves for work that rolls back; the job
``core.deliver_messages`` hands it to a gateway after commit. Its status at
birth:

* ``suppressed`` — the address opted out of the channel: never sent, kept so
  the department's history shows it was not sent;
* ``queued`` — a gateway handles the channel; due at once;
* ``outbox`` — no gateway handles the channel: the outbox is the gateway.

Both paths apply the same rules; the set-based one puts them in the
``INSERT … SELECT`` (consent as an ``EXISTS``, the status as a ``CASE``) so a
daily job writes a hundred thousand messages in one statement.
"""
from __future__ import annotations

from typing import cast

from sqlalchemy import Table, case, func, insert, literal, select

from core.errors import UserError
from core.i18n import _
from core.messages.consent import is_opted_out, opted_out_sql
from core.messages.gateways import gateway_by_channel, gateways_for
from core.models.message import CHANNELS, Message
from core.models.meta import UTCDateTime, utcnow

BODY_LIMIT = 2000
#: The columns a department's SELECT gives :func:`compose_from_select`, by these labels.
SELECT_COLUMNS = ("channel", "address", "subject", "body", "entity_type", "entity_id", "sender_ref")


def handled_channels(session) -> tuple[str, ...]:
    return tuple(gateway_by_channel(gateways_for(session)))


def compose(session, *, sender: str, channel: str, address: str, body: str, subject: str = "",
            entity_type: str | None = None, entity_id: int | None = None, sender_ref: str = "") -> Message:
    """Write one message (see the module docstring). ``UserError`` when there is no text or no address."""
    if channel not in CHANNELS:
        raise UserError(_("Only SMS and e-mail are sent as messages."), "channel")
    body = (body or "").strip()
    if not body:
        raise UserError(_("Write the sms text.") if channel == "sms" else _("Write the email text."), "message")
    address = (address or "").strip()
    if not address:
        raise UserError(_("There is no phone number to send to.") if channel == "sms"
                        else _("There is no e-mail address to send to."), "channel")
    now = utcnow()
    if is_opted_out(session, channel, address):
        status = "suppressed"
    else:
        status = "queued" if channel in handled_channels(session) else "outbox"
    message = Message(sender=sender, channel=channel, address=address[:200], subject=(subject or "")[:200],
                      body=body[:BODY_LIMIT], status=status, attempts=0, last_error="", gateway="",
                      provider_ref="", entity_type=entity_type, entity_id=entity_id, sender_ref=sender_ref[:100],
                      created_at=now, next_attempt_at=now if status == "queued" else None)
    session.add(message)
    session.flush()
    return message


def compose_from_select(session, sender: str, rows) -> int:
    """Write one message per row of ``rows`` (a SELECT labelling :data:`SELECT_COLUMNS`) in one statement.

    Consent and status are decided in SQL exactly as :func:`compose` decides
    them; returns the number of messages written.
    """
    src = rows.subquery("composed")
    handled = handled_channels(session)
    now = utcnow()
    status = case((opted_out_sql(src.c.channel, src.c.address), literal("suppressed")),
                  (src.c.channel.in_(handled), literal("queued")),
                  else_=literal("outbox"))
    decided = select(src, status.label("status")).subquery("decided")  # consent is looked up once per row
    select_rows = select(
        literal(sender), decided.c.channel, func.substr(decided.c.address, 1, 200),
        func.substr(decided.c.subject, 1, 200), func.substr(decided.c.body, 1, BODY_LIMIT), decided.c.status,
        literal(0), literal(""), literal(""), literal(""), decided.c.entity_type, decided.c.entity_id,
        decided.c.sender_ref, literal(now, UTCDateTime()),
        case((decided.c.status == "queued", literal(now, UTCDateTime())), else_=None))
    # RETURNING, because psycopg reports no rowcount for INSERT … SELECT.
    messages = cast(Table, Message.__table__)
    result = session.execute(insert(messages).from_select(
        ["sender", "channel", "address", "subject", "body", "status", "attempts", "last_error", "gateway",
         "provider_ref", "entity_type", "entity_id", "sender_ref", "created_at", "next_attempt_at"], select_rows)
        .returning(messages.c.id))
    return len(result.all())
