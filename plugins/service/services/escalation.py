"""The hourly SLA check: every active ticket's service level recomputed on one calendar; new breaches
escalated once (``escalated_at``, an internal note, the ``service_ticket_escalated`` hook, an audit event)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core import context
from core.audit import record_event
from core.entities import entity_type_of
from core.i18n import translate
from core.models.meta import utcnow
from plugins.service.i18n import _
from plugins.service.models import ACTIVE, SlaTarget, Ticket, TicketMessage
from plugins.service.services import sla


@dataclass
class Run:
    checked: int = 0
    at_risk: int = 0
    escalated: int = 0


def check_slas(session, now=None) -> Run:
    now = now or utcnow()
    calendar = sla.calendar_for(session)
    targets = {(t.category, t.priority): (t.first_response_minutes, t.resolution_minutes)
               for t in session.scalars(select(SlaTarget))}
    run = Run()
    active = session.scalars(select(Ticket).where(Ticket.status.in_(ACTIVE)).options(selectinload(Ticket.pauses))
                             .order_by(Ticket.id)).all()
    for ticket in active:
        state = sla.refresh(session, ticket, now, calendar, targets)
        run.checked += 1
        run.at_risk += state == "at_risk"
        if state == "breached" and ticket.escalated_at is None:
            escalate(session, ticket, now)
            run.escalated += 1
    session.flush()
    return run


def escalate(session, ticket: Ticket, now) -> None:
    reason = "first_response" if ticket.first_response_at is None or (
        ticket.first_response_due and ticket.first_response_at > ticket.first_response_due) else "resolution"
    ticket.escalated_at = now
    if ticket.priority in ("low", "normal"):
        ticket.priority = "high"
    session.add(TicketMessage(ticket_id=ticket.id, kind="note", author_id=None, department="", created_at=now,
                              body=translate(_("Service level breached (${what}): escalated to the supervisors.",
                                     mapping={"what": _("first response") if reason == "first_response"
                                              else _("resolution")}))))
    record_event(session, "service.ticket.escalated", entity_type_of(Ticket), ticket.id, {"reason": reason})
    context.hooks(session).service_ticket_escalated(ticket=ticket, reason=reason)
