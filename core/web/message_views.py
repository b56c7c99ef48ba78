"""The Messages screen (every department's SMS and e-mail, filters, CSV) and the opt-out register."""
from __future__ import annotations

from pyramid.view import view_config
from sqlalchemy import distinct, select

from core import messages
from core.entities import record_url
from core.i18n import _, translate
from core.interfaces import IMessageGateways
from core.models.message import CHANNELS, STATUSES, Message, MessageConsent
from core.security import restricted_query
from core.web.forms import run_action
from core.web.helpers import for_request
from core.web.listing import Column, Filter, Listing, render_listing

#: The words of message channels and statuses (shown by h.label).
CHANNEL_WORDS = (_("sms"), _("email"))
STATUS_WORDS = (_("queued"), _("outbox"), _("sent"), _("failed"), _("suppressed"))


def _choices(request, codes) -> tuple:
    h = for_request(request)
    return tuple((c, h.label(c)) for c in codes)


def _gateways_intro(request) -> str:
    h = for_request(request)
    gateways = request.find_service(IMessageGateways)
    handled = {c: g.name for g in reversed(gateways) for c in g.channels}
    sentences = [_("What the departments sent or tried to send.")]
    for c in CHANNELS:
        if c in handled:
            sentences.append(_("${channel}: through ${gateway}.", mapping={"channel": h.label(c), "gateway": handled[c]}))
        else:
            sentences.append(_("${channel}: stays in the outbox (no gateway).", mapping={"channel": h.label(c)}))
    sentences.append(_("“${status}”: the address had opted out, nothing was sent.",
                       mapping={"status": h.label("suppressed")}))
    return " ".join(translate(s) for s in sentences)


@view_config(route_name="messages.list", renderer="core:web/templates/listing_page.pt",
             permission="core.message.view")
def message_list(request):
    senders = tuple((s, s) for s in request.dbsession.scalars(select(distinct(Message.sender)).order_by(Message.sender)))
    listing = Listing(
        request, restricted_query(request, Message),
        columns=[
            Column("id", "#", Message.id),
            Column("created_at", _("Written"), Message.created_at),
            Column("sender", _("Sender"), Message.sender),
            Column("about", _("About"), Message.entity_id, value=lambda m: f"{m.entity_type or ''} {m.entity_id or ''}",
                   link=lambda r, m: record_url(r, m.entity_type, m.entity_id)),
            Column("channel", _("Channel"), Message.channel, kind="label"),
            Column("address", _("Recipient"), Message.address),
            Column("body", _("Text"), value=lambda m: m.body, wide=True),
            Column("status", _("Status"), Message.status, kind="label"),
            Column("attempts", _("Attempts"), Message.attempts, kind="number", optional=True),
            Column("last_error", _("Last error"), value=lambda m: m.last_error, wide=True, optional=True),
            Column("gateway", _("Gateway"), Message.gateway, optional=True),
            Column("provider_ref", _("Provider ref"), Message.provider_ref, optional=True),
            Column("sent_at", _("Sent"), Message.sent_at),
        ],
        filters=[
            Filter("status", _("Status"), lambda s, v: s.where(Message.status == v), _choices(request, STATUSES)),
            Filter("channel", _("Channel"), lambda s, v: s.where(Message.channel == v), _choices(request, CHANNELS)),
            Filter("sender", _("Sender"), lambda s, v: s.where(Message.sender == v), senders),
            Filter("entity_type", _("About (type)"), lambda s, v: s.where(Message.entity_type == v)),
            Filter("entity_id", _("About (id)"), lambda s, v: s.where(Message.entity_id == int(v)) if v.isdigit() else s),
            Filter("to", _("Recipient"), lambda s, v: s.where(Message.address.ilike(f"%{v}%"))),
        ],
        default_sort="-id", export_name="messages",
    )
    actions = [(_("Opt-outs"), request.route_url("messages.consent"))]
    return render_listing(listing, title=_("Messages"), intro=_gateways_intro(request), actions=actions)


@view_config(route_name="messages.consent", renderer="core:web/templates/messages_consent.pt",
             permission="core.message.view")
def consent_list(request):
    listing = Listing(
        request, restricted_query(request, MessageConsent),
        columns=[
            Column("channel", _("Channel"), MessageConsent.channel, kind="label"),
            Column("address", _("Address"), MessageConsent.address),
            Column("opted_out_at", _("Opted out"), MessageConsent.opted_out_at,
                   value=lambda c: c.opted_out_at or _("no: opted back in")),
            Column("source", _("Source"), MessageConsent.source),
            Column("reason", _("Reason"), MessageConsent.reason),
            Column("updated_at", _("Changed"), MessageConsent.updated_at),
        ],
        filters=[
            Filter("channel", _("Channel"), lambda s, v: s.where(MessageConsent.channel == v), _choices(request, CHANNELS)),
            Filter("address", _("Address"), lambda s, v: s.where(MessageConsent.address.ilike(f"%{v}%"))),
            Filter("state", _("State"), lambda s, v: s.where(MessageConsent.opted_out_at.is_not(None) if v == "out"
                                                             else MessageConsent.opted_out_at.is_(None)),
                   (("out", _("opted out")), ("in", _("opted back in")))),
        ],
        default_sort="-updated_at", export_name="message-opt-outs",
    )
    can_change = bool(request.has_permission("core.message.consent"))
    return render_listing(listing, title=_("Message opt-outs"), channels=CHANNELS, can_change=can_change,
                          intro=_("Addresses that must not receive messages on a channel. Opting out stops queued "
                                  "messages too; they are kept as “${status}”.",
                                  mapping={"status": for_request(request).label("suppressed")}))


def _consent_action(request, change, done: str):
    p = request.POST
    back = request.route_url("messages.consent")
    # Stored in the register: the same words whatever the language of the one who recorded it.
    source = p.get("source", "").strip() or f"user {request.user.username}"
    return run_action(request, lambda: change(request.dbsession, p.get("channel", ""), p.get("address", ""),
                                              source, p.get("reason", "")),
                      lambda row: done if row is not None else _("That address had not opted out; nothing changed."),
                      back)


@view_config(route_name="messages.opt_out", request_method="POST", permission="core.message.consent")
def opt_out(request):
    return _consent_action(request, messages.opt_out, _("Opted out: nothing more will be sent to that address "
                                                        "on that channel."))


@view_config(route_name="messages.opt_in", request_method="POST", permission="core.message.consent")
def opt_in(request):
    return _consent_action(request, messages.opt_in, _("Opted back in: messages to that address are sent again."))


def includeme(config):
    config.add_route("messages.list", "/admin/messages")
    config.add_route("messages.consent", "/admin/messages/opt-outs")
    config.add_route("messages.opt_out", "/admin/messages/opt-outs/out")
    config.add_route("messages.opt_in", "/admin/messages/opt-outs/in")
    config.scan("core.web.message_views")
