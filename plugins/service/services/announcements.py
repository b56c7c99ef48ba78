"""Platform announcements: the public notice board and SMS/e-mail to a segment of customers.

Publishing puts the notice on the board (the public JSON feed
``/service/notices.json``). Sending writes one message per customer of the
segment (all, borrowers, investors) with an address on the channel, in one
``INSERT … SELECT`` through core's messages (:func:`core.messages.compose_from_select`):
an address that opted out of the channel gets a ``suppressed`` message that
never leaves, so consent is respected and the statistics show it. An
announcement is sent once.
"""
from __future__ import annotations

from sqlalchemy import String, cast, func, literal, select

from core.errors import ConflictError, UserError
from core.messages import compose_from_select
from core.models.message import Message
from core.models.meta import utcnow
from plugins.lending.models import Customer
from plugins.service.i18n import _
from plugins.service.models import Announcement

SEGMENTS = ("all", "borrowers", "investors")
SEGMENT_WORDS = (_("all"), _("borrowers"), _("investors"))
ENTITY_TYPE = "service.announcement"


def _clean(title: str, body: str, segment: str) -> tuple[str, str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    if not title:
        raise UserError(_("Give the announcement a title."), "title")
    if not body:
        raise UserError(_("Write the announcement."), "body")
    if segment not in SEGMENTS:
        raise UserError(_("Choose who receives it."), "segment")
    return title[:200], body, segment


def create(session, title: str, body: str, segment: str = "all") -> Announcement:
    title, body, segment = _clean(title, body, segment)
    announcement = Announcement(title=title, body=body, segment=segment, sent_count=0)
    session.add(announcement)
    session.flush()
    return announcement


def publish(session, announcement: Announcement) -> Announcement:
    if announcement.published_at is None:
        announcement.published_at = utcnow()
        session.flush()
    return announcement


def send(session, announcement: Announcement, channels: tuple[str, ...]) -> int:
    """Send to the segment on ``channels`` (``sms``, ``email``); returns the messages written."""
    if announcement.sent_at is not None:
        raise ConflictError(_("This announcement was already sent."))
    channels = tuple(c for c in channels if c in ("sms", "email"))
    if not channels:
        raise UserError(_("Choose at least one channel."), "channels")
    written = 0
    K = Customer.__table__
    for channel in channels:
        address = K.c.email if channel == "email" else K.c.phone
        rows = select(literal(channel).label("channel"), address.label("address"),
                      literal(announcement.title if channel == "email" else "").label("subject"),
                      literal(announcement.body if channel == "email" else
                              f"{announcement.title}: {announcement.body}").label("body"),
                      literal(ENTITY_TYPE).label("entity_type"), literal(announcement.id).label("entity_id"),
                      (literal("announcement:") + cast(literal(announcement.id), String)).label("sender_ref")
                      ).where(address != "")
        if announcement.segment == "borrowers":
            rows = rows.where(K.c.role.in_(("borrower", "both")))
        elif announcement.segment == "investors":
            rows = rows.where(K.c.role.in_(("investor", "both")))
        written += compose_from_select(session, "service", rows)
    announcement.sent_at, announcement.sent_count = utcnow(), written
    publish(session, announcement)
    return written


def delivery(session, announcement: Announcement) -> dict[str, int]:
    """Messages of the announcement by status (queued, sent, failed, suppressed, outbox…)."""
    rows = session.execute(select(Message.status, func.count()).where(
        Message.entity_type == ENTITY_TYPE, Message.entity_id == announcement.id).group_by(Message.status)).all()
    return dict(rows)


def notice_board(session, limit: int = 20) -> list[dict]:
    """The published notices, newest first, as the public feed gives them (locale-independent)."""
    rows = session.scalars(select(Announcement).where(Announcement.published_at.is_not(None))
                           .order_by(Announcement.published_at.desc()).limit(limit)).all()
    return [{"id": a.id, "title": a.title, "body": a.body, "published_at": a.published_at.isoformat()}
            for a in rows]
