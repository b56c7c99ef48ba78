"""Audiences, consent and broadcasts through core's message service.

* **Consent** is an opt-in per customer and channel (``marketing_consent``); a
  broadcast reaches only customers who gave it and did not withdraw it, and
  core's opt-out register still suppresses an address that opted out of
  everything (``core.messages.compose`` decides ``suppressed``).
* Every message ends with an **opt-out link** ``/marketing/unsubscribe/<token>``;
  the token is the customer and channel signed with ``mutuo.secret`` (HMAC-SHA256),
  so nobody can withdraw someone else's consent by guessing.
* **Compliance**: a broadcast that promotes a specific loan project may go only
  to an audience of verified customers.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import date

from sqlalchemy import and_, func, select

from core import context
from core import messages as core_messages
from core.errors import UserError
from plugins.lending.models import Customer
from plugins.marketing.i18n import _
from plugins.marketing.models import CONSENT_CHANNELS, ROLES, Audience, Broadcast, Campaign, Consent
from plugins.marketing.services import now

SENDER = "marketing"


def _channel(channel: str) -> str:
    if channel not in CONSENT_CHANNELS:
        raise UserError(_("Choose e-mail or SMS."), "channel")
    return channel


def grant_consent(session, customer: Customer, channel: str, source: str) -> Consent:
    row = session.scalar(select(Consent).where(Consent.customer_id == customer.id, Consent.channel == _channel(channel)))
    if not (source or "").strip():
        raise UserError(_("Say where the consent came from (for example 'sign-up form')."), "source")
    if row is None:
        row = Consent(customer_id=customer.id, channel=channel)
        session.add(row)
    row.granted_at, row.withdrawn_at, row.source = now(session), None, source.strip()[:60]
    session.flush()
    return row


def withdraw_consent(session, customer_id: int, channel: str, source: str) -> Consent | None:
    row = session.scalar(select(Consent).where(Consent.customer_id == customer_id, Consent.channel == _channel(channel)))
    if row is not None and row.withdrawn_at is None:
        row.withdrawn_at, row.source = now(session), (source or "")[:60]
        session.flush()
    return row


def create_audience(session, name: str, role: str = "any", verified_only: bool = True, region: str = "",
                    registered_since: date | None = None) -> Audience:
    name = (name or "").strip()
    if not name:
        raise UserError(_("Give the audience a name."), "name")
    if role not in ROLES:
        raise UserError(_("Choose borrowers, investors or any customer."), "role")
    if session.scalar(select(Audience.id).where(Audience.name == name)):
        raise UserError(_("There is already an audience named ${name}.", mapping={"name": name}), "name")
    audience = Audience(name=name, role=role, verified_only=bool(verified_only), region=(region or "").strip()[:100],
                        registered_since=registered_since)
    session.add(audience)
    session.flush()
    return audience


def members(audience: Audience):
    """A SELECT of the audience's customers (its rules, evaluated now)."""
    stmt = select(Customer)
    if audience.role == "borrower":
        stmt = stmt.where(Customer.role.in_(("borrower", "both")))
    elif audience.role == "investor":
        stmt = stmt.where(Customer.role.in_(("investor", "both")))
    if audience.verified_only:
        stmt = stmt.where(Customer.kyc_status == "verified")
    if audience.region:
        stmt = stmt.where(Customer.region == audience.region)
    if audience.registered_since:
        stmt = stmt.where(func.date(Customer.created_at) >= audience.registered_since)
    return stmt


def _consented(channel: str):
    return and_(Consent.customer_id == Customer.id, Consent.channel == channel, Consent.withdrawn_at.is_(None))


def sizes(session, audience: Audience) -> dict:
    """How many customers the audience holds, and how many of them consented to each channel."""
    base = members(audience).subquery()
    total = session.scalar(select(func.count()).select_from(base)) or 0
    out = {"members": total}
    for channel in CONSENT_CHANNELS:
        out[channel] = session.scalar(select(func.count()).select_from(
            members(audience).join(Consent, _consented(channel)).subquery())) or 0
    return out


def token(session, customer_id: int, channel: str) -> str:
    secret = str(context.settings(session).get("mutuo.secret") or "").encode()
    message = f"{customer_id}.{channel}".encode()
    return f"{customer_id}.{channel}.{hmac.new(secret, message, hashlib.sha256).hexdigest()[:32]}"


def read_token(session, value: str) -> tuple[int, str] | None:
    parts = (value or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or parts[1] not in CONSENT_CHANNELS:
        return None
    customer_id, channel = int(parts[0]), parts[1]
    return (customer_id, channel) if hmac.compare_digest(token(session, customer_id, channel), value) else None


def broadcast(session, audience: Audience, channel: str, body: str, unsubscribe_url, subject: str = "",
              campaign: Campaign | None = None, promotes_project: bool = False) -> Broadcast:
    """Compose one message per consenting member; ``unsubscribe_url(token)`` gives each its opt-out link."""
    _channel(channel)
    body = (body or "").strip()
    if not body:
        raise UserError(_("Write the message."), "body")
    if promotes_project and not audience.verified_only:
        raise UserError(_("A loan project may be promoted only to verified customers: choose an audience of "
                          "verified customers."), "promotes_project")
    if channel == "email" and not (subject or "").strip():
        raise UserError(_("Give the e-mail a subject."), "subject")
    record = Broadcast(audience_id=audience.id, campaign_id=campaign.id if campaign else None, channel=channel,
                       subject=(subject or "").strip()[:200], body=body, promotes_project=bool(promotes_project),
                       sent_at=now(session))
    session.add(record)
    session.flush()
    sent = skipped = 0
    for customer, consent in session.execute(members(audience).outerjoin(Consent, _consented(channel))
                                             .add_columns(Consent.id).order_by(Customer.id)):
        address = customer.email if channel == "email" else customer.phone
        if consent is None or not address:
            skipped += 1
            continue
        link = unsubscribe_url(token(session, customer.id, channel))
        text = _with_link(session, body, link)
        core_messages.compose(session, sender=SENDER, channel=channel, address=address, body=text,
                              subject=record.subject, entity_type="marketing.broadcast", entity_id=record.id,
                              sender_ref=f"customer {customer.id}")
        sent += 1
    record.recipients, record.skipped = sent, skipped
    session.flush()
    return record


def _with_link(session, body: str, link: str) -> str:
    from core.formatting import current

    return f"{body}\n\n{current().translate(_('Stop these messages: ${url}', mapping={'url': link}))}"
