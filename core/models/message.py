"""Messages (SMS and e-mail) and the consent of each address, owned by core's message service.

A department composes a :class:`Message`; core keeps it for good, whatever
becomes of it, so every department's history shows what was sent, what is
waiting, what failed and what was *suppressed* because the customer opted out
(see :mod:`core.messages`). ``sender`` is the composing plugin and
``entity_type``/``entity_id`` the record the message is about (a collection
case, a ticket, a campaign contact); ``sender_ref`` is the department's own
reference ("contact:12"), kept as text so core needs no key into a plugin's
tables.

Messages are written by the hundred thousand by daily jobs, so they opt out of
row-by-row auditing like other bulk records: the message row is itself the
record. Consent changes are audited (who opted an address out, and why).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.models.meta import Base, UTCDateTime, utcnow

CHANNELS = ("sms", "email")
#: queued: a gateway will send it · outbox: no gateway for its channel, the outbox is the gateway ·
#: sent · failed: the gateway refused it every attempt · suppressed: the address opted out, never sent.
STATUSES = ("queued", "outbox", "sent", "failed", "suppressed")


class Message(Base):
    """One SMS or e-mail, from composition to delivery."""

    __tablename__ = "core_message"
    __audit__ = False  # see the module docstring
    __table_args__ = (
        Index("ix_core_message_status_next", "status", "next_attempt_at"),
        Index("ix_core_message_entity", "entity_type", "entity_id"),
        Index("ix_core_message_gateway_attempt", "gateway", "last_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(200))  # phone number or e-mail address
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    gateway: Mapped[str] = mapped_column(String(60), default="")
    provider_ref: Mapped[str] = mapped_column(String(100), default="")
    sender: Mapped[str] = mapped_column(String(40))  # the plugin that composed it
    entity_type: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    sender_ref: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageConsent(Base):
    """An address that must not receive messages on a channel (opted out), or that opted back in.

    One row per (channel, address): ``opted_out_at`` set means "do not send";
    opting in again clears it and keeps the row, so the last decision and its
    source stay visible. The party (``entity_type``/``entity_id``, e.g. a lending
    customer) is optional: consent follows the address, because that is what a
    gateway delivers to and what a carrier's STOP reply names.
    """

    __tablename__ = "core_message_consent"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(200))
    entity_type: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(60), default="")  # who or what decided: "customer phone call", "sms STOP"
    reason: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
