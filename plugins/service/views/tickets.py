"""Tickets: the list, logging a call / a new ticket, the ticket page and its workflow buttons."""
from __future__ import annotations

import colander
import deform
from pyramid.httpexceptions import HTTPForbidden, HTTPNotFound
from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.models.user import User
from core.security import get_visible_or_404, restricted_query
from core.web import parsing
from core.web.forms import CSRFSchema, make_form, page, process, run_action
from core.web.listing import Column, Filter, Listing, render_listing
from core.web.lookups import LookupWidget
from core.web.record import record_panels
from core.web.shell import flash
from plugins.lending.models import Customer, Loan
from plugins.service.i18n import _, word
from plugins.service.models import (
    CATEGORIES,
    CHANNELS,
    PRIORITIES,
    SLA_STATES,
    STATUSES,
    CannedAnswer,
    Ticket,
    TicketMessage,
)
from plugins.service.search import TICKETS
from plugins.service.services import routing, tickets

FORM_PAGE = "core:web/templates/form_page.pt"
LIST_PAGE = "core:web/templates/list_page.pt"


def ticket_url(request, ticket) -> str:
    return request.route_url("service.ticket", id=ticket.id)


def _choices(values):
    return tuple((v, word(v)) for v in values)


def ticket_columns(request) -> list[Column]:
    return [
        Column("id", "#", Ticket.id, link=ticket_url),
        Column("subject", _("Subject"), Ticket.subject, link=ticket_url, wide=True),
        Column("customer", _("Customer"), value=lambda t: t.customer.name if t.customer else t.contact_name,
               kind="text"),
        Column("category", _("Category"), Ticket.category, kind="label", domain="service"),
        Column("priority", _("Priority"), Ticket.priority, kind="label", domain="service"),
        Column("status", _("Status"), Ticket.status, kind="label", domain="service", card="key"),
        Column("sla_state", _("SLA"), Ticket.sla_state, kind="label", domain="service", css="sla"),
        Column("resolution_due", _("Resolution due"), Ticket.resolution_due),
        Column("channel", _("Channel"), Ticket.channel, kind="label", domain="service", optional=True),
        Column("department", _("Department"), Ticket.department, optional=True),
        Column("created_at", _("Created"), Ticket.created_at),
    ]


@view_config(route_name="service.tickets", renderer=LIST_PAGE, permission="service.ticket.view")
def tickets_list(request):
    active = ("new", "open", "waiting_customer", "waiting_department")
    listing = Listing(request, restricted_query(request, Ticket), columns=ticket_columns(request), filters=[
        TICKETS.filter(_("Search")),
        Filter("status", _("Status"), lambda stmt, v: stmt.where(Ticket.status.in_(active)) if v == "active"
               else stmt.where(Ticket.status == v), (("active", _("active")), *_choices(STATUSES))),
        Filter("sla", _("SLA"), lambda stmt, v: stmt.where(Ticket.sla_state == v), _choices(SLA_STATES)),
        Filter("category", _("Category"), lambda stmt, v: stmt.where(Ticket.category == v), _choices(CATEGORIES)),
        Filter("channel", _("Channel"), lambda stmt, v: stmt.where(Ticket.channel == v), _choices(CHANNELS)),
        Filter("mine", _("Mine"), lambda stmt, v: stmt.where(Ticket.assignee_id == request.user.id)
               if v == "yes" else stmt, (("yes", _("yes")),)),
    ], default_sort="-id", export_name="service-tickets")
    actions = [(_("Log a call"), request.route_url("service.ticket_new"))] \
        if request.has_permission("service.ticket.manage") else []
    return render_listing(listing, title=_("Tickets"), actions=actions)


class TicketSchema(CSRFSchema):
    subject = colander.SchemaNode(colander.String(), title=_("Subject"), validator=colander.Length(1, 200))
    channel = colander.SchemaNode(colander.String(), title=_("Channel"), missing="phone",
                                  widget=deform.widget.SelectWidget(values=_choices(CHANNELS)))
    category = colander.SchemaNode(colander.String(), title=_("Category"), missing="other",
                                   widget=deform.widget.SelectWidget(values=_choices(CATEGORIES)))
    priority = colander.SchemaNode(colander.String(), title=_("Priority"), missing="normal",
                                   widget=deform.widget.SelectWidget(values=_choices(PRIORITIES)))
    customer_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Customer.id)), title=_("Customer"),
                                      missing=None, widget=LookupWidget(lookup="lending.customer"),
                                      description=_("Or leave it empty: the phone or e-mail finds the customer."))
    loan_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Loan.id)), title=_("Loan"), missing=None,
                                  widget=LookupWidget(lookup="lending.loan"))
    contact_name = colander.SchemaNode(colander.String(), title=_("Caller's name"), missing="")
    contact_phone = colander.SchemaNode(colander.String(), title=_("Phone"), missing="")
    contact_email = colander.SchemaNode(colander.String(), title=_("E-mail"), missing="")
    body = colander.SchemaNode(colander.String(), title=_("What was said"), missing="",
                               widget=deform.widget.TextAreaWidget(rows=5))


@view_config(route_name="service.ticket_new", renderer=FORM_PAGE, permission="service.ticket.manage")
def ticket_new(request):
    form = make_form(request, TicketSchema(), buttons=("create",))

    def create(data):
        ticket = tickets.open_ticket(request.dbsession, author_id=request.user.id, **data)
        flash(request, _("Ticket ${id} created.", mapping={"id": ticket.id}))
        return ticket_url(request, ticket)

    start = {"channel": "phone"}
    try:  # "Log a call" on the customer 360 page names the customer
        start["customer_id"] = parsing.parse_id(request.GET.get("customer_id"), maximum=parsing.int_bound(Customer.id))
    except ValueError:
        pass
    return page(_("Log a call"), process(request, form, create, start))


class DetailsSchema(CSRFSchema):
    category = colander.SchemaNode(colander.String(), title=_("Category"),
                                   widget=deform.widget.SelectWidget(values=_choices(CATEGORIES)))
    priority = colander.SchemaNode(colander.String(), title=_("Priority"),
                                   widget=deform.widget.SelectWidget(values=_choices(PRIORITIES)))
    customer_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Customer.id)), title=_("Customer"),
                                      missing=None, widget=LookupWidget(lookup="lending.customer"))
    loan_id = colander.SchemaNode(parsing.Id(parsing.int_bound(Loan.id)), title=_("Loan"), missing=None,
                                  widget=LookupWidget(lookup="lending.loan"))
    assignee_id = colander.SchemaNode(parsing.Id(parsing.int_bound(User.id)), title=_("Agent"), missing=None,
                                      widget=LookupWidget(lookup="service.agent"))


@view_config(route_name="service.ticket_edit", renderer=FORM_PAGE, permission="service.ticket.manage")
def ticket_edit(request):
    ticket = get_visible_or_404(request, Ticket, request.matchdict["id"])
    form = make_form(request, DetailsSchema(), buttons=("save",))

    def save(data):
        tickets.update_details(request.dbsession, ticket, **data)
        flash(request, _("Ticket ${id} saved.", mapping={"id": ticket.id}))
        return ticket_url(request, ticket)

    values = {"category": ticket.category, "priority": ticket.priority, "customer_id": ticket.customer_id,
              "loan_id": ticket.loan_id, "assignee_id": ticket.assignee_id}
    return page(_("Ticket ${id}", mapping={"id": ticket.id}), process(request, form, save, values))


@view_config(route_name="service.ticket", renderer="plugins.service:templates/ticket.pt",
             permission="service.ticket.view")
def ticket_page(request):
    ticket = get_visible_or_404(request, Ticket, request.matchdict["id"])
    session = request.dbsession
    can_manage = request.has_permission("service.ticket.manage")
    messages = session.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket.id)
                               .order_by(TicketMessage.id)).all()
    authors = dict(session.execute(select(User.id, User.username).where(
        User.id.in_({m.author_id for m in messages if m.author_id} | {ticket.assignee_id or 0})))
        .all())
    canned = session.scalars(select(CannedAnswer).where(CannedAnswer.active.is_(True))
                             .order_by(CannedAnswer.title)).all() if can_manage else []
    draft = ""
    if request.GET.get("canned") and can_manage:
        try:
            chosen = parsing.parse_id(request.GET["canned"], maximum=parsing.int_bound(CannedAnswer.id))
            draft = tickets.canned_text(session, chosen, ticket)
        except ValueError:  # an unreadable or unknown answer (UserError is a ValueError): an empty reply box
            draft = ""
    departments = routing.departments(request.registry["mutuo.pm"])
    return {"title": _("Ticket ${id}", mapping={"id": ticket.id}), "ticket": ticket, "messages": messages,
            "authors": authors, "can_manage": can_manage, "canned": canned, "draft": draft,
            "next_statuses": tickets.TRANSITIONS.get(ticket.status, ()), "departments": departments,
            "csrf": request.session.get_csrf_token(),
            "panels": record_panels(request, ticket, can_edit=can_manage)}


@view_config(route_name="service.ticket_action", request_method="POST", permission="service.ticket.manage")
def ticket_action(request):
    ticket = get_visible_or_404(request, Ticket, request.matchdict["id"])
    session, user, post = request.dbsession, request.user.id, request.POST
    action = request.matchdict["action"]
    back = ticket_url(request, ticket)
    if action == "reply":
        return run_action(request, lambda: tickets.reply(session, ticket, post.get("body", ""), user),
                          _("Reply sent."), back)
    if action == "note":
        return run_action(request, lambda: tickets.add_note(session, ticket, post.get("body", ""), user),
                          _("Note added."), back)
    if action == "status":
        return run_action(request, lambda: tickets.change_status(session, ticket, post.get("status", ""), user),
                          _("Status changed."), back)
    return run_action(request, lambda: routing.route(session, ticket, post.get("department", ""),
                                                     post.get("note", ""), user),
                      _("Ticket routed."), back)


def _answerable(request, ticket: Ticket) -> bool:
    department = routing.departments(request.registry["mutuo.pm"]).get(ticket.department)
    return ticket.status == "waiting_department" and department is not None \
        and routing.works_in(request, department)


@view_config(route_name="service.ticket_answer", request_method="POST", permission="service.queue.answer")
def ticket_answer(request):
    try:
        ident = parsing.parse_id(request.matchdict["id"], maximum=parsing.int_bound(Ticket.id))
    except ValueError:
        raise HTTPNotFound() from None
    ticket = request.dbsession.get(Ticket, ident)  # not the agents' record rule: the department's own check
    if ticket is None:
        raise HTTPNotFound()
    if not _answerable(request, ticket):
        raise HTTPForbidden()
    return run_action(request, lambda: routing.answer(request.dbsession, ticket, ticket.department,
                                                      request.POST.get("answer", ""), request.user.id),
                      _("Answer recorded; the agent and the customer are told."), request.route_url("service.queue"))


@view_config(route_name="service.queue", renderer="plugins.service:templates/queue.pt",
             permission="service.queue.answer")
def queue(request):
    """Tickets waiting on the departments the user works in, each with its conversation's last words."""
    mine = [d for d in routing.departments(request.registry["mutuo.pm"]).values() if routing.works_in(request, d)]
    waiting = request.dbsession.scalars(
        select(Ticket).where(Ticket.status == "waiting_department", Ticket.department.in_([d.name for d in mine]))
        .options(selectinload(Ticket.messages)).order_by(Ticket.resolution_due, Ticket.id).limit(200)).all()
    return {"title": _("Department queue"), "tickets": waiting, "departments": mine,
            "csrf": request.session.get_csrf_token()}
