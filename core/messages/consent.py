"""Consent per address and channel: opt-out, opt-in, and the checks both send paths use.

Consent follows the *address* (the phone number or e-mail a gateway delivers
to), compared by :func:`address_key` — lower case, without spaces and hyphens,
so "+34 600-000 001" and "+34600000001" are one number. :func:`address_key_sql`
is the same rule in SQL; a test keeps the two equal. Consent rows are audited
(who opted an address out or in, when, and the source given). Opting out keeps working
for messages already queued: the delivery job checks again before sending.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, func, select

from core.errors import UserError
from core.i18n import _
from core.models.message import CHANNELS, MessageConsent
from core.models.meta import utcnow


def address_key(address: str) -> str:
    return (address or "").strip().lower().replace(" ", "").replace("-", "")


def address_key_sql(address):
    return func.replace(func.replace(func.lower(func.trim(address)), " ", ""), "-", "")


def _check(channel: str, address: str) -> str:
    if channel not in CHANNELS:
        raise UserError(_("Choose a channel: ${channels}.", mapping={"channels": " / ".join(CHANNELS)}), "channel")
    key = address_key(address)
    if not key:
        raise UserError(_("Write the phone number or e-mail address."), "address")
    return key


def _row(session, channel: str, key: str) -> MessageConsent | None:
    return session.scalars(select(MessageConsent).where(MessageConsent.channel == channel,
                                                        MessageConsent.address == key)).first()


def opt_out(session, channel: str, address: str, source: str, reason: str = "", *,
            entity_type: str | None = None, entity_id: int | None = None) -> MessageConsent:
    """Stop every message to ``address`` on ``channel`` from now on (queued ones included)."""
    key = _check(channel, address)
    if not (source or "").strip():
        raise UserError(_("Say where the opt-out came from (for example 'customer phone call')."), "source")
    row = _row(session, channel, key) or MessageConsent(channel=channel, address=key)
    row.opted_out_at = row.opted_out_at or utcnow()
    row.source, row.reason = source.strip()[:60], (reason or "").strip()
    if entity_type is not None:
        row.entity_type, row.entity_id = entity_type, entity_id
    session.add(row)
    session.flush()
    return row


def opt_in(session, channel: str, address: str, source: str, reason: str = "") -> MessageConsent | None:
    """Allow messages to ``address`` on ``channel`` again; None when it had never opted out."""
    key = _check(channel, address)
    row = _row(session, channel, key)
    if row is None or row.opted_out_at is None:
        return None
    row.opted_out_at, row.source, row.reason = None, (source or "").strip()[:60], (reason or "").strip()
    session.flush()
    return row


def is_opted_out(session, channel: str, address: str) -> bool:
    row = _row(session, channel, address_key(address))
    return row is not None and row.opted_out_at is not None


def opted_out_sql(channel, address):
    """SQL: true when ``address`` (an expression) opted out of ``channel`` — for set-based paths."""
    consent = MessageConsent.__table__
    return exists().where(and_(consent.c.channel == channel, consent.c.address == address_key_sql(address),
                               consent.c.opted_out_at.is_not(None)))
