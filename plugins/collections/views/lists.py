"""Lists of promises, contacts and collections' messages (record rules narrow them like the cases)."""
from __future__ import annotations

from pyramid.view import view_config
from sqlalchemy import select
from sqlalchemy.orm import aliased

from core.models.message import STATUSES as MESSAGE_STATUSES
from core.models.message import Message
from core.models.user import User
from core.security import restricted_query
from core.web.listing import LIST_PAGE, Column, Filter, Listing, render_listing
from plugins.collections.i18n import _
from plugins.collections.models import (
    CHANNELS,
    MESSAGE_CHANNELS,
    OUTCOMES,
    PROMISE_STATUSES,
    Case,
    Contact,
    Promise,
)
from plugins.collections.services import messages
from plugins.collections.views.common import label
from plugins.lending.models import Customer


def _case_link(request, row):
    return request.route_url("collections.case", id=row[0].case_id)


def _customer(stmt, case_column):
    return (stmt.join(Case, Case.id == case_column).join(Customer, Customer.id == Case.customer_id)
            .add_columns(Customer.name))


@view_config(route_name="collections.promises", renderer=LIST_PAGE, permission="collections.case.view")
def promises(request):
    who = aliased(User)
    stmt = (_customer(restricted_query(request, Promise), Promise.case_id)
            .outerjoin(who, who.id == Promise.collector_id).add_columns(who.username))
    listing = Listing(request, stmt, columns=[
        Column("case", _("Case"), Promise.case_id, value=lambda r: r[0].case_id, link=_case_link),
        Column("customer", _("Customer"), Customer.name, value=lambda r: r.name),
        Column("amount", _("Amount"), Promise.amount, value=lambda r: r[0].amount, css="money"),
        Column("made_on", _("Made"), Promise.made_on, value=lambda r: r[0].made_on),
        Column("due_on", _("Pay by"), Promise.due_on, value=lambda r: r[0].due_on),
        Column("status", _("Status"), Promise.status, value=lambda r: label(r[0].status)),
        Column("paid", _("Paid"), Promise.paid_amount, value=lambda r: r[0].paid_amount, css="money"),
        Column("collector", _("Collector"), who.username, value=lambda r: r.username or "—"),
    ], filters=[
        Filter("status", _("Status"), lambda s, v: s.where(Promise.status == v),
               tuple((x, label(x)) for x in PROMISE_STATUSES)),
        Filter("due", _("Pay by (date)"), lambda s, v: _on(s, Promise.due_on, v), kind="date"),
        Filter("collector", _("Collector"), lambda s, v: s.where(who.username == v)),
    ], default_sort="due_on", export_name="promises")
    return render_listing(listing, title=_("Promises to pay"))


@view_config(route_name="collections.contacts", renderer=LIST_PAGE, permission="collections.case.view")
def contacts(request):
    who = aliased(User)
    stmt = (_customer(restricted_query(request, Contact), Contact.case_id)
            .outerjoin(who, who.id == Contact.collector_id).add_columns(who.username))
    listing = Listing(request, stmt, columns=[
        Column("id", "#", Contact.id, value=lambda r: r[0].id),
        Column("case", _("Case"), Contact.case_id, value=lambda r: r[0].case_id, link=_case_link),
        Column("customer", _("Customer"), Customer.name, value=lambda r: r.name),
        Column("contacted_on", _("Date"), Contact.contacted_on, value=lambda r: r[0].contacted_on),
        Column("channel", _("Channel"), Contact.channel, value=lambda r: label(r[0].channel)),
        Column("outcome", _("Outcome"), Contact.outcome, value=lambda r: label(r[0].outcome)),
        Column("stage", _("Stage"), Contact.stage, value=lambda r: label(r[0].stage)),
        Column("note", _("Note"), None, value=lambda r: r[0].note[:80]),
        Column("collector", _("Collector"), who.username, value=lambda r: r.username or "—"),
    ], filters=[
        Filter("channel", _("Channel"), lambda s, v: s.where(Contact.channel == v),
               tuple((c, label(c)) for c in CHANNELS)),
        Filter("outcome", _("Outcome"), lambda s, v: s.where(Contact.outcome == v),
               tuple((o, label(o)) for o in OUTCOMES)),
        Filter("on", _("Date"), lambda s, v: _on(s, Contact.contacted_on, v), kind="date"),
        Filter("collector", _("Collector"), lambda s, v: s.where(who.username == v)),
    ], default_sort="-id", export_name="contacts")
    return render_listing(listing, title=_("Contact attempts"))


@view_config(route_name="collections.outbox", renderer=LIST_PAGE, permission="collections.outbox.view")
def outbox(request):
    """Collections' messages (core's ``core_message`` sent by collections), narrowed like the cases."""
    visible_cases = restricted_query(request, Case).with_only_columns(Case.id).scalar_subquery()
    stmt = (select(Message).where(Message.sender == messages.SENDER, Message.entity_type == messages.ENTITY_TYPE,
                                  Message.entity_id.in_(visible_cases))
            .join(Case, Case.id == Message.entity_id).join(Customer, Customer.id == Case.customer_id)
            .add_columns(Customer.name))
    listing = Listing(request, stmt, columns=[
        Column("id", "#", Message.id, value=lambda r: r[0].id),
        Column("case", _("Case"), Message.entity_id, value=lambda r: r[0].entity_id,
               link=lambda request, r: request.route_url("collections.case", id=r[0].entity_id)),
        Column("customer", _("Customer"), Customer.name, value=lambda r: r.name),
        Column("channel", _("Channel"), Message.channel, value=lambda r: label(r[0].channel)),
        Column("recipient", _("To"), Message.address, value=lambda r: r[0].address),
        Column("body", _("Text"), None, value=lambda r: r[0].body, wide=True),
        Column("status", _("Status"), Message.status, value=lambda r: label(r[0].status)),
        Column("created_at", _("Written"), Message.created_at, value=lambda r: r[0].created_at),
        Column("sent_at", _("Sent"), Message.sent_at, value=lambda r: r[0].sent_at or "", optional=True),
    ], filters=[
        Filter("status", _("Status"), lambda s, v: s.where(Message.status == v),
               tuple((x, label(x)) for x in MESSAGE_STATUSES)),
        Filter("channel", _("Channel"), lambda s, v: s.where(Message.channel == v),
               tuple((c, label(c)) for c in MESSAGE_CHANNELS)),
        Filter("to", _("To"), lambda s, v: s.where(Message.address.ilike(f"%{v}%"))),
    ], default_sort="-id", export_name="collections-messages")
    intro = _("SMS and email to debtors, composed by collections and kept by core's message service. 'outbox': no "
              "gateway plugin is enabled, the outbox is the gateway; 'queued': waiting for the gateway (retried "
              "after a failure); 'sent' / 'failed': the gateway's answer; 'suppressed': the address opted out.")
    actions = ([(_("All messages and opt-outs"), request.route_url("messages.list", _query={"sender": messages.SENDER}))]
               if request.has_permission("core.message.view") else [])
    return render_listing(listing, title=_("Collections messages"), intro=intro, actions=actions)


def _on(stmt, column, value):
    from datetime import date

    try:
        return stmt.where(column == date.fromisoformat(value))
    except ValueError:
        return stmt.where(False)
