"""The Messages screen (every department's SMS and e-mail, filters, CSV) and the opt-out register."""
from __future__ import annotations

from pyramid.view import view_config
from sqlalchemy import distinct, select

from core import messages
from core.entities import record_url
from core.interfaces import IMessageGateways
from core.models.message import CHANNELS, STATUSES, Message, MessageConsent
from core.security import restricted_query
from core.web.forms import run_action
from core.web.listing import Column, Filter, Listing, render_listing

CHANNEL_CHOICES = tuple((c, c) for c in CHANNELS)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def _gateways_intro(request) -> str:
    gateways = request.find_service(IMessageGateways)
    handled = {c: g.name for g in reversed(gateways) for c in g.channels}
    parts = [f"{c} through {handled[c]}" if c in handled else f"{c} stays in the outbox (no gateway)"
             for c in CHANNELS]
    return ("What the departments sent or tried to send. " + "; ".join(parts).capitalize() + ". "
            "'suppressed': the address had opted out, nothing was sent.")


@view_config(route_name="messages.list", renderer="core:web/templates/listing_page.pt",
             permission="core.message.view")
def message_list(request):
    senders = tuple((s, s) for s in request.dbsession.scalars(select(distinct(Message.sender)).order_by(Message.sender)))
    listing = Listing(
        request, restricted_query(request, Message),
        columns=[
            Column("id", "#", Message.id),
            Column("created_at", "Written (UTC)", Message.created_at, value=lambda m: _when(m.created_at)),
            Column("sender", "From", Message.sender),
            Column("about", "About", Message.entity_id, value=lambda m: f"{m.entity_type or ''} {m.entity_id or ''}",
                   link=lambda r, m: record_url(r, m.entity_type, m.entity_id)),
            Column("channel", "Channel", Message.channel),
            Column("address", "To", Message.address),
            Column("body", "Text", value=lambda m: m.body if len(m.body) < 160 else m.body[:160] + "…"),
            Column("status", "Status", Message.status),
            Column("attempts", "Attempts", Message.attempts),
            Column("last_error", "Last error", value=lambda m: m.last_error[:120]),
            Column("gateway", "Gateway", Message.gateway),
            Column("provider_ref", "Provider ref", Message.provider_ref),
            Column("sent_at", "Sent (UTC)", Message.sent_at, value=lambda m: _when(m.sent_at)),
        ],
        filters=[
            Filter("status", "Status", lambda s, v: s.where(Message.status == v), tuple((x, x) for x in STATUSES)),
            Filter("channel", "Channel", lambda s, v: s.where(Message.channel == v), CHANNEL_CHOICES),
            Filter("sender", "From", lambda s, v: s.where(Message.sender == v), senders),
            Filter("entity_type", "About (type)", lambda s, v: s.where(Message.entity_type == v)),
            Filter("entity_id", "About (id)", lambda s, v: s.where(Message.entity_id == int(v)) if v.isdigit() else s),
            Filter("to", "To", lambda s, v: s.where(Message.address.ilike(f"%{v}%"))),
        ],
        default_sort="-id", export_name="messages",
    )
    actions = [("Opt-outs", request.route_url("messages.consent"))]
    return render_listing(listing, title="Messages", intro=_gateways_intro(request), actions=actions)


@view_config(route_name="messages.consent", renderer="core:web/templates/messages_consent.pt",
             permission="core.message.view")
def consent_list(request):
    listing = Listing(
        request, restricted_query(request, MessageConsent),
        columns=[
            Column("channel", "Channel", MessageConsent.channel),
            Column("address", "Address", MessageConsent.address),
            Column("opted_out_at", "Opted out (UTC)", MessageConsent.opted_out_at,
                   value=lambda c: _when(c.opted_out_at) or "no: opted back in"),
            Column("source", "Source", MessageConsent.source),
            Column("reason", "Reason", MessageConsent.reason),
            Column("updated_at", "Changed (UTC)", MessageConsent.updated_at, value=lambda c: _when(c.updated_at)),
        ],
        filters=[
            Filter("channel", "Channel", lambda s, v: s.where(MessageConsent.channel == v), CHANNEL_CHOICES),
            Filter("address", "Address", lambda s, v: s.where(MessageConsent.address.ilike(f"%{v}%"))),
            Filter("state", "State", lambda s, v: s.where(MessageConsent.opted_out_at.is_not(None) if v == "out"
                                                          else MessageConsent.opted_out_at.is_(None)),
                   (("out", "opted out"), ("in", "opted back in"))),
        ],
        default_sort="-updated_at", export_name="message-opt-outs",
    )
    can_change = bool(request.has_permission("core.message.consent"))
    return render_listing(listing, title="Message opt-outs", channels=CHANNELS, can_change=can_change,
                          intro="Addresses that must not receive messages on a channel. Opting out stops queued "
                                "messages too; they are kept as 'suppressed'.")


def _consent_action(request, change, done: str):
    p = request.POST
    back = request.route_url("messages.consent")
    source = p.get("source", "").strip() or f"user {request.user.username}"
    return run_action(request, lambda: change(request.dbsession, p.get("channel", ""), p.get("address", ""),
                                              source, p.get("reason", "")),
                      lambda row: done if row is not None else "That address had not opted out; nothing changed.",
                      back)


@view_config(route_name="messages.opt_out", request_method="POST", permission="core.message.consent")
def opt_out(request):
    return _consent_action(request, messages.opt_out, "Opted out: nothing more will be sent to that address "
                                                      "on that channel.")


@view_config(route_name="messages.opt_in", request_method="POST", permission="core.message.consent")
def opt_in(request):
    return _consent_action(request, messages.opt_in, "Opted back in: messages to that address are sent again.")


def includeme(config):
    config.add_route("messages.list", "/admin/messages")
    config.add_route("messages.consent", "/admin/messages/opt-outs")
    config.add_route("messages.opt_out", "/admin/messages/opt-outs/out")
    config.add_route("messages.opt_in", "/admin/messages/opt-outs/in")
    config.scan("core.web.message_views")
