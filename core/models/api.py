"""The JSON API's own tables: idempotency keys, webhook endpoints and their deliveries.

* :class:`IdempotencyKey` — one row per ``(user, Idempotency-Key)`` of a POST that
  declared itself idempotent: the request's fingerprint (method, path, SHA-256 of
  the body) and the first answer (status, body). The unique constraint is what
  makes two concurrent identical requests run once: the second waits on the
  first's row and then replays its answer (see :mod:`core.api.idempotency`).
  Rows expire after ``mutuo.api.idempotency_hours`` and a job purges them.
* :class:`WebhookEndpoint` — a URL an administrator registered for chosen events,
  with the secret its deliveries are signed with (stored, since signing needs it;
  never shown again nor audited).
* :class:`WebhookDelivery` — one event for one endpoint: the exact body sent, its
  status, attempts, the last response code; the delivery log on screen.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.meta import Base, UTCDateTime, utcnow

#: pending: waiting for its (next) attempt · delivered: a 2xx answer · failed: every attempt refused.
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class IdempotencyKey(Base):
    __tablename__ = "core_api_idempotency"
    __audit__ = False  # a technical record of answers, not a change anyone made
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_core_api_idempotency_user_key"),
        Index("ix_core_api_idempotency_expires_at", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    body_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookEndpoint(Base):
    __tablename__ = "core_webhook_endpoint"
    __audit_secret__ = ("secret",)

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[str] = mapped_column(Text, default="")  # space-separated event names
    secret: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)

    @property
    def event_names(self) -> list[str]:
        return self.events.split()


class WebhookDelivery(Base):
    __tablename__ = "core_webhook_delivery"
    __audit__ = False  # the delivery row is itself the log
    __table_args__ = (Index("ix_core_webhook_delivery_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("core_webhook_endpoint.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(100))
    event_id: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    endpoint: Mapped[WebhookEndpoint] = relationship()
