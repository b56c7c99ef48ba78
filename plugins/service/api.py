"""Customer service's JSON API under ``/api/v1/service`` (docs/api.md): tickets from other systems
(channel ``api``), their state, and the customer's further messages. The same services as the pages."""
from core.api import ID, Filter, Listing, Operation, Reply, WebhookEvent, obj, text
from core.security import get_visible_or_404
from plugins.service.i18n import _
from plugins.service.models import CATEGORIES, PRIORITIES, SLA_STATES, STATUSES, Ticket
from plugins.service.services import tickets

TICKET = obj({"id": ID, "subject": text(200), "category": {"enum": list(CATEGORIES)},
              "priority": {"enum": list(PRIORITIES)}, "status": {"enum": list(STATUSES)},
              "sla_state": {"enum": list(SLA_STATES)}, "customer_id": {"type": ["integer", "null"]},
              "department": {"type": "string"}, "resolution_due": {"type": ["string", "null"]}})
NEW_TICKET = obj({"subject": text(200, 1), "body": text(5000), "category": {"enum": list(CATEGORIES)},
                  "priority": {"enum": list(PRIORITIES)}, "name": text(200), "phone": text(50),
                  "email": text(200)}, required=["subject"])
MESSAGE = obj({"body": text(5000, 1)}, required=["body"])


def ticket_json(ticket: Ticket) -> dict:
    return {"id": ticket.id, "subject": ticket.subject, "category": ticket.category, "priority": ticket.priority,
            "status": ticket.status, "sla_state": ticket.sla_state, "customer_id": ticket.customer_id,
            "department": ticket.department or "",
            "resolution_due": ticket.resolution_due.isoformat() if ticket.resolution_due else None}


def list_tickets(request, call):
    from core.security import restricted_query

    return restricted_query(request, Ticket)


def read_ticket(request, call):
    return ticket_json(get_visible_or_404(request, Ticket, call.path["id"]))


def create_ticket(request, call):
    body = call.body
    ticket = tickets.open_ticket(request.dbsession, subject=body["subject"], channel="api",
                                 category=body.get("category", "other"), priority=body.get("priority", "normal"),
                                 body=body.get("body", ""), contact_name=body.get("name", ""),
                                 contact_phone=body.get("phone", ""), contact_email=body.get("email", ""))
    return Reply(ticket_json(ticket), status=201, location=request.route_url("api.service.tickets.read", id=ticket.id))


def add_message(request, call):
    ticket = get_visible_or_404(request, Ticket, call.path["id"])
    tickets.customer_wrote(request.dbsession, ticket, call.body["body"])
    return ticket_json(ticket)


def operations():
    view, manage = "service.ticket.view", "service.ticket.manage"
    return [
        Operation("GET", "/tickets", "tickets.list", list_tickets, view, _("List tickets"), response=TICKET,
                  listing=Listing(Ticket, ticket_json, filters={"status": Filter(Ticket.status),
                                                                "sla_state": Filter(Ticket.sla_state),
                                                                "category": Filter(Ticket.category)},
                                  sorts={"created_at": Ticket.created_at, "resolution_due": Ticket.resolution_due})),
        Operation("GET", "/tickets/{id}", "tickets.read", read_ticket, view, _("One ticket"), response=TICKET),
        Operation("POST", "/tickets", "tickets.create", create_ticket, manage, _("Open a ticket"), body=NEW_TICKET,
                  response=TICKET, status=201, idempotent=True),
        Operation("POST", "/tickets/{id}/messages", "tickets.message", add_message, manage,
                  _("Add the customer's message"), body=MESSAGE, response=TICKET),
    ]


def events():
    return [
        WebhookEvent("service.ticket.created", _("A ticket was opened."),
                     obj({"ticket_id": ID, "channel": text(10), "category": text(20),
                          "customer_id": {"type": ["integer", "null"]}})),
        WebhookEvent("service.ticket.routed", _("A ticket was routed to a department."),
                     obj({"ticket_id": ID, "department": text(40)})),
        WebhookEvent("service.ticket.answered", _("A department answered a ticket."),
                     obj({"ticket_id": ID, "department": text(40)})),
    ]
