"""Handing tickets to other departments' queues, and their answers, through hooks (hookspecs.py).

Service never imports another department. The departments a ticket can go to
are service's defaults for the known department plugins that are enabled
(:data:`KNOWN`) plus whatever plugins declare with ``service_departments``.
A user works in a department when they hold a permission of it: the one the
department declared, else any permission starting with ``<department>.``.
People answer on service's department queue page (``service.queue.answer``);
a plugin may answer at once (``service_ticket_routed``'s acknowledgement) or
later (``service_ticket_answer``, asked by the hourly job).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from core import context
from core.audit import record_event
from core.entities import entity_type_of
from core.errors import ConflictError, UserError
from core.webhooks import publish
from plugins.service.i18n import _, word
from plugins.service.models import Ticket
from plugins.service.services import sla
from plugins.service.services.tickets import _message, _require_active, inform_customer

#: Departments service routes to by default when their plugin is enabled: name -> title.
KNOWN = {"collections": _("Collections"), "risk": _("Risk control"), "legal": _("Legal"),
         "finance": _("Finance")}


@dataclass(frozen=True)
class Department:
    name: str
    title: str
    permission: str | None = None  # None: any permission of the plugin ("<name>.")


def departments(pm) -> dict[str, Department]:
    """The queues a ticket can be routed to with this plugin manager's enabled plugins."""
    enabled = set(pm.enabled_names)
    found = {name: Department(name, title) for name, title in KNOWN.items() if name in enabled}
    for group in pm.call("service_departments"):
        for entry in group or ():
            found[entry["name"]] = Department(entry["name"], entry["title"], entry.get("permission"))
    return found


def works_in(request, department: Department) -> bool:
    """Whether the user works in ``department`` (holds its permission, or any of its plugin's)."""
    if department.permission:
        return bool(request.has_permission(department.permission))
    from core.security import security_registry

    names = security_registry(request).permissions
    return any(request.has_permission(name) for name in names if name.startswith(department.name + "."))


def route(session, ticket: Ticket, department: str, note: str, actor_id: int | None) -> Ticket:
    """Hand the ticket to ``department``'s queue; the department's plugin hears it and may acknowledge."""
    _require_active(ticket)
    pm = context.plugin_manager(session)
    target = departments(pm).get(department)
    if target is None:
        raise UserError(_("Choose one of the departments offered."), "department")
    if ticket.status in ("solved", "waiting_department"):
        raise ConflictError(_("Only a ticket being worked can be routed; this one is ${status}.",
                              mapping={"status": word(ticket.status)}))
    from plugins.service.services.tickets import _move

    _message(session, ticket, "note", note or _("Routed to ${department}.", mapping={"department": target.title}),
             actor_id, department=department, field="note")
    ticket.department = department
    _move(session, ticket, "waiting_department")
    session.flush()
    for acknowledgement in pm.call("service_ticket_routed", ticket=ticket, department=department):
        if acknowledgement:
            _message(session, ticket, "department", str(acknowledgement), None, department=department)
    record_event(session, "service.ticket.routed", entity_type_of(Ticket), ticket.id, {"department": department})
    publish(session, "service.ticket.routed", {"ticket_id": ticket.id, "department": department})
    sla.refresh(session, ticket)
    session.flush()
    return ticket


def answer(session, ticket: Ticket, department: str, text: str, actor_id: int | None = None, *,
           inform: bool = True) -> Ticket:
    """Record ``department``'s answer: back to the agent (status open); the customer is informed."""
    if ticket.status != "waiting_department" or ticket.department != department:
        raise ConflictError(_("This ticket is not waiting on that department."))
    from plugins.service.services.tickets import _move

    message = _message(session, ticket, "department", text, actor_id, department=department, field="answer")
    _move(session, ticket, "open")
    if inform:
        inform_customer(session, ticket, _("News on your enquiry #${id}: ${answer}",
                                           mapping={"id": ticket.id, "answer": message.body}))
    context.hooks(session).service_ticket_answered(ticket=ticket, department=department, answer=message.body)
    record_event(session, "service.ticket.answered", entity_type_of(Ticket), ticket.id, {"department": department})
    publish(session, "service.ticket.answered", {"ticket_id": ticket.id, "department": department})
    sla.refresh(session, ticket)
    session.flush()
    return ticket


def ask_departments(session) -> int:
    """Ask each waiting ticket's department (``service_ticket_answer``); returns how many answered."""
    pm = context.plugin_manager(session)
    answered = 0
    waiting = session.scalars(select(Ticket).where(Ticket.status == "waiting_department")).all()
    for ticket in waiting:
        for text in pm.call("service_ticket_answer", ticket=ticket, department=ticket.department):
            if text:
                answer(session, ticket, ticket.department, str(text))
                answered += 1
                break
    return answered
