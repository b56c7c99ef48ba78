"""A ticket's life: opened from any channel, answered, noted, paused, solved and closed.

Transitions (:data:`TRANSITIONS`): new → open → waiting on customer / waiting on
department → solved → closed; a customer writing again reopens a waiting or
solved ticket. Routing to a department (status ``waiting_department``) goes
through :mod:`.routing`. Every change recomputes the SLA (:mod:`.sla`);
replies to the customer leave through core's messages (consent respected
there), internal notes never do.
"""
from __future__ import annotations

from sqlalchemy import func, select

from core import search
from core.audit import record_event
from core.entities import entity_type_of
from core.errors import ConflictError, UserError
from core.i18n import translate
from core.messages import compose
from core.models.meta import utcnow
from plugins.lending.models import Customer, Loan
from plugins.service.i18n import _, word
from plugins.service.models import (
    ACTIVE,
    CATEGORIES,
    CHANNELS,
    PRIORITIES,
    CannedAnswer,
    Ticket,
    TicketMessage,
    TicketPause,
)
from plugins.service.services import sla

TRANSITIONS = {
    "new": ("open", "waiting_customer", "solved"),
    "open": ("waiting_customer", "solved"),
    "waiting_customer": ("open", "solved"),
    "waiting_department": ("open", "solved"),
    "solved": ("open", "closed"),
    "closed": (),
}


def match_customer(session, phone: str = "", email: str = "") -> Customer | None:
    """The one customer with this phone (compared in E.164) or e-mail (lower case); None if none or several."""
    for key, value in ((Customer.phone_key, search.phone(phone)), (Customer.email_key, search.email(email))):
        if value:
            found = session.scalars(select(Customer).where(key == value).limit(2)).all()
            if len(found) == 1:
                return found[0]
    return None


def _check_choice(value: str, allowed: tuple, field: str, message) -> str:
    if value not in allowed:
        raise UserError(message, field)
    return value


def _loan_of(session, customer: Customer | None, loan_id: int | None) -> int | None:
    if loan_id is None:
        return None
    loan = session.get(Loan, loan_id)
    if loan is None or customer is None or loan.customer_id != customer.id:
        raise UserError(_("Choose one of the customer's own loans."), "loan_id")
    return loan_id


def open_ticket(session, *, subject: str, channel: str, category: str = "other", priority: str = "normal",
                body: str = "", customer_id: int | None = None, loan_id: int | None = None, contact_name: str = "",
                contact_phone: str = "", contact_email: str = "", assignee_id: int | None = None,
                author_id: int | None = None) -> Ticket:
    """Record an enquiry. A hotline call is answered as it is logged (first response now)."""
    from core.webhooks import publish

    subject = (subject or "").strip()
    if not subject:
        raise UserError(_("Say in a few words what the enquiry is about."), "subject")
    _check_choice(channel, CHANNELS, "channel", _("Choose how the customer reached us."))
    _check_choice(category, CATEGORIES, "category", _("Choose a category."))
    _check_choice(priority, PRIORITIES, "priority", _("Choose a priority."))
    customer = session.get(Customer, customer_id) if customer_id else match_customer(session, contact_phone,
                                                                                     contact_email)
    if customer_id and customer is None:
        raise UserError(_("Choose an existing customer."), "customer_id")
    if not (customer or contact_phone.strip() or contact_email.strip()):
        raise UserError(_("Give the customer, or a phone or e-mail to answer to."), "contact_phone")
    now = utcnow()
    ticket = Ticket(subject=subject[:200], channel=channel, category=category, priority=priority, status="new",
                    customer=customer, loan_id=_loan_of(session, customer, loan_id),
                    contact_name=(contact_name or (customer.name if customer else "")).strip()[:200],
                    contact_phone=(contact_phone or (customer.phone if customer else "")).strip()[:50],
                    contact_email=(contact_email or (customer.email if customer else "")).strip()[:200],
                    assignee_id=assignee_id, created_at=now, department="", sla_state="on_track")
    if channel == "phone":  # the agent is talking to the customer: that is the first response
        ticket.first_response_at, ticket.status = now, "open"
        ticket.assignee_id = assignee_id or author_id
    session.add(ticket)
    session.flush()
    if (body or "").strip():
        kind = "note" if channel == "phone" else "customer"
        session.add(TicketMessage(ticket_id=ticket.id, kind=kind, body=body.strip(), created_at=now,
                                  author_id=author_id if kind == "note" else None, department=""))
    sla.refresh(session, ticket, now)
    session.flush()
    publish(session, "service.ticket.created", {"ticket_id": ticket.id, "channel": channel, "category": category,
                                                "customer_id": ticket.customer_id})
    return ticket


def _message(session, ticket: Ticket, kind: str, body: str, author_id: int | None, department: str = "",
             field: str = "body") -> TicketMessage:
    body = translate(body or "").strip()
    if not body:
        raise UserError(_("Write the message."), field)
    message = TicketMessage(ticket_id=ticket.id, kind=kind, body=body, author_id=author_id, department=department,
                            created_at=utcnow())
    session.add(message)
    ticket.messages.append(message)
    return message


def inform_customer(session, ticket: Ticket, body: str) -> str | None:
    """Send ``body`` to the customer by e-mail (else SMS) through core's messages; the channel used or None."""
    for channel, address in (("email", ticket.contact_email), ("sms", ticket.contact_phone)):
        if address:
            compose(session, sender="service", channel=channel, address=address, body=translate(body),
                    subject=translate(_("Your enquiry #${id}: ${subject}", mapping={"id": ticket.id, "subject": ticket.subject}))
                    if channel == "email" else "", entity_type=entity_type_of(Ticket), entity_id=ticket.id,
                    sender_ref=f"ticket:{ticket.id}")
            return channel
    return None


def _require_active(ticket: Ticket) -> None:
    if ticket.status == "closed":
        raise ConflictError(_("This ticket is closed; open a new one for a new enquiry."))


def reply(session, ticket: Ticket, body: str, author_id: int | None, *, send: bool = True) -> TicketMessage:
    """Answer the customer: the first reply is the first response; a new ticket becomes open."""
    _require_active(ticket)
    message = _message(session, ticket, "reply", body, author_id)
    now = message.created_at
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.status == "new":
        ticket.status = "open"
    if ticket.assignee_id is None:
        ticket.assignee_id = author_id
    if send:
        inform_customer(session, ticket, message.body)
    sla.refresh(session, ticket, now)
    session.flush()
    return message


def add_note(session, ticket: Ticket, body: str, author_id: int | None) -> TicketMessage:
    """An internal note: kept on the ticket, never sent, no effect on the service level."""
    _require_active(ticket)
    message = _message(session, ticket, "note", body, author_id)
    session.flush()
    return message


def customer_wrote(session, ticket: Ticket, body: str) -> TicketMessage:
    """The customer's words (e-mail, web, API): a waiting or solved ticket is worked again."""
    _require_active(ticket)
    message = _message(session, ticket, "customer", body, None)
    if ticket.status in ("waiting_customer", "solved"):
        _move(session, ticket, "open")
    sla.refresh(session, ticket, message.created_at)
    session.flush()
    return message


def _move(session, ticket: Ticket, status: str) -> None:
    now = utcnow()
    old = ticket.status
    if old == "waiting_customer":
        for pause in ticket.pauses:
            if pause.ended_at is None:
                pause.ended_at = now
    if status == "waiting_customer":
        pause = TicketPause(ticket_id=ticket.id, started_at=now)
        session.add(pause)
        ticket.pauses.append(pause)
    if status == "solved":
        ticket.solved_at = now
    if status == "open" and old == "solved":
        ticket.solved_at = None
    if status == "closed":
        ticket.closed_at = now
    ticket.status = status
    record_event(session, "service.ticket.status", entity_type_of(Ticket), ticket.id, {"from": old, "to": status})


def change_status(session, ticket: Ticket, status: str, actor_id: int | None = None) -> Ticket:
    """Move the ticket along :data:`TRANSITIONS`; solving sends the CSAT survey."""
    from plugins.service.services import surveys

    if status not in TRANSITIONS.get(ticket.status, ()):
        raise ConflictError(_("A ticket that is ${old} cannot become ${new}.",
                              mapping={"old": word(ticket.status), "new": word(status)}))
    if status == "solved" and ticket.first_response_at is None:
        raise UserError(_("Answer the customer before solving the ticket."), "status")
    if ticket.assignee_id is None and actor_id is not None:
        ticket.assignee_id = actor_id
    _move(session, ticket, status)
    if status == "solved":
        surveys.send_csat(session, ticket)
    sla.refresh(session, ticket)
    session.flush()
    return ticket


def update_details(session, ticket: Ticket, *, category: str, priority: str, customer_id: int | None,
                   loan_id: int | None, assignee_id: int | None) -> Ticket:
    _require_active(ticket)
    _check_choice(category, CATEGORIES, "category", _("Choose a category."))
    _check_choice(priority, PRIORITIES, "priority", _("Choose a priority."))
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer_id and customer is None:
        raise UserError(_("Choose an existing customer."), "customer_id")
    ticket.loan_id = _loan_of(session, customer, loan_id)
    ticket.customer = customer
    ticket.category, ticket.priority, ticket.assignee_id = category, priority, assignee_id
    sla.refresh(session, ticket)
    session.flush()
    return ticket


def canned_text(session, answer_id: int, ticket: Ticket) -> str:
    """A canned answer's text for this ticket (``{name}`` is the customer's name, ``{ticket}`` its number)."""
    from core.messages import render

    answer = session.get(CannedAnswer, answer_id)
    if answer is None or not answer.active:
        raise UserError(_("Choose one of the canned answers."), "canned")
    return render(answer.body, {"name": ticket.contact_name or _("customer"), "ticket": ticket.id})


def active_counts(session) -> dict[str, int]:
    rows = session.execute(select(Ticket.status, func.count()).where(Ticket.status.in_(ACTIVE))
                           .group_by(Ticket.status)).all()
    return dict(rows)


def close_solved(session, days: int) -> int:
    """Close tickets solved more than ``days`` ago (through the ORM: every change audited)."""
    from datetime import timedelta

    cutoff = utcnow() - timedelta(days=days)
    stale = session.scalars(select(Ticket).where(Ticket.status == "solved", Ticket.solved_at < cutoff)).all()
    for ticket in stale:
        _move(session, ticket, "closed")
    session.flush()
    return len(stale)
